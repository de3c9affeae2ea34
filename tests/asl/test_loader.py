"""Reading definitions from dicts, JSON/YAML text and files; bad syntax becomes INVALID_JSON_DESCRIPTION."""

from __future__ import annotations

from pathlib import Path

import pytest

from sojourn.asl.loader import DefinitionError, Diagnostic, format_diagnostics, read_definition

MACHINE = {
    "StartAt": "Hello",
    "States": {"Hello": {"Type": "Wait", "Timestamp": "2016-03-14T01:59:00Z", "End": True}},
}
JSON_TEXT = (
    '{"StartAt": "Hello", '
    '"States": {"Hello": {"Type": "Wait", "Timestamp": "2016-03-14T01:59:00Z", "End": true}}}'
)
YAML_TEXT = """
StartAt: Hello
States:
  Hello:
    Type: Wait
    Timestamp: 2016-03-14T01:59:00Z
    End: true
"""


@pytest.mark.parametrize("source", [MACHINE, JSON_TEXT, YAML_TEXT], ids=["dict", "json", "yaml"])
def test_every_source_form_reads_to_the_same_dict(source: object) -> None:
    assert read_definition(source) == MACHINE  # type: ignore[arg-type]


def test_yaml_timestamps_stay_strings_as_json_would_have_them() -> None:
    assert read_definition(YAML_TEXT)["States"]["Hello"]["Timestamp"] == "2016-03-14T01:59:00Z"


@pytest.mark.parametrize(
    ("suffix", "text"), [(".json", JSON_TEXT), (".yaml", YAML_TEXT), (".yml", YAML_TEXT)]
)
def test_files_are_read_by_path_and_by_file_name(tmp_path: Path, suffix: str, text: str) -> None:
    path = tmp_path / f"machine{suffix}"
    path.write_text(text)
    assert read_definition(path) == MACHINE
    assert read_definition(str(path)) == MACHINE


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ('{\n  "StartAt": "A",\n  "States": {,}\n}', "line 3, column 14"),
        ('{"StartAt": "A"', "line 1, column 16"),
        ("StartAt: A\nStates: [\n", "line 3, column 1"),
        ("StartAt: A\n  States: x\n", "line 2, column 9"),
    ],
    ids=["json-comma", "json-unterminated", "yaml-unclosed", "yaml-indent"],
)
def test_bad_syntax_is_one_invalid_json_description_with_line_and_column(text: str, position: str) -> None:
    with pytest.raises(DefinitionError) as raised:
        read_definition(text)
    [diagnostic] = raised.value.diagnostics
    assert diagnostic.severity == "ERROR"
    assert diagnostic.code == "INVALID_JSON_DESCRIPTION"
    assert position in diagnostic.message


def test_bad_syntax_in_a_file_reports_the_position(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"StartAt": "A",\n "States": {"A": {"Type": "Succeed",}}}')
    with pytest.raises(DefinitionError) as raised:
        read_definition(path)
    assert raised.value.diagnostics[0].code == "INVALID_JSON_DESCRIPTION"
    assert "line 2" in raised.value.diagnostics[0].message


@pytest.mark.parametrize("text", ['{"a": NaN}', '{"a": Infinity}', "a: .nan"])
def test_non_finite_numbers_are_not_json(text: str) -> None:
    with pytest.raises(DefinitionError) as raised:
        read_definition(text)
    assert raised.value.diagnostics[0].code == "INVALID_JSON_DESCRIPTION"


@pytest.mark.parametrize("text", ["", "   \n", "# only a comment\n"])
def test_empty_definition_is_missing_description(text: str) -> None:
    with pytest.raises(DefinitionError) as raised:
        read_definition(text)
    assert [d.code for d in raised.value.diagnostics] == ["MISSING_DESCRIPTION"]


@pytest.mark.parametrize("text", ["[1, 2]", '"just a string"', "42", "- a\n- b\n"])
def test_a_definition_that_is_not_an_object_fails_schema_validation(text: str) -> None:
    with pytest.raises(DefinitionError) as raised:
        read_definition(text)
    assert [d.code for d in raised.value.diagnostics] == ["SCHEMA_VALIDATION_FAILED"]


def test_diagnostic_to_dict_has_the_validate_state_machine_definition_shape() -> None:
    diagnostic = Diagnostic(
        "ERROR", "MISSING_TRANSITION_TARGET", "Missing 'Next' target: B at /States/A/Next", "/States/A/Next"
    )
    assert diagnostic.to_dict() == {
        "severity": "ERROR",
        "code": "MISSING_TRANSITION_TARGET",
        "message": "Missing 'Next' target: B at /States/A/Next",
        "location": "/States/A/Next",
    }
    assert "location" not in Diagnostic("ERROR", "INVALID_JSON_DESCRIPTION", "bad", "").to_dict()


def test_definition_error_carries_its_diagnostics_and_formats_them() -> None:
    diagnostics = [Diagnostic("ERROR", "A", "first", "/x"), Diagnostic("WARNING", "B", "second", "/y")]
    error = DefinitionError(diagnostics)
    assert error.diagnostics == tuple(diagnostics)
    assert str(error) == format_diagnostics(diagnostics) == "ERROR A: first\nWARNING B: second"
