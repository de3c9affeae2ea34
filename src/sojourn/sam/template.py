"""Reading a CloudFormation/SAM template: JSON, or YAML with CloudFormation's short-form tags.

`!Ref X` becomes `{"Ref": "X"}`, `!GetAtt A.B` becomes `{"Fn::GetAtt": ["A", "B"]}`, `!Condition C` becomes
`{"Condition": "C"}`, and every other `!Name` becomes `{"Fn::Name": value}`, as CloudFormation reads them.
YAML timestamps stay strings (CloudFormation has no dates).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

__all__ = ["TemplateReadError", "read_template"]

TAGS = (
    "Base64",
    "Cidr",
    "FindInMap",
    "GetAZs",
    "ImportValue",
    "Join",
    "Select",
    "Split",
    "Sub",
    "Transform",
    "If",
    "Equals",
    "Not",
    "And",
    "Or",
    "ToJsonString",
    "Length",
)


class TemplateReadError(ValueError):
    """The file is neither JSON nor YAML a template can be read from."""


class _Loader(yaml.SafeLoader):
    """SafeLoader with CloudFormation's tags and without YAML's dates."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _node(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]


def _function(name: str) -> Any:
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
        return {f"Fn::{name}": _node(loader, node)}

    return construct


def _ref(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    return {"Ref": _node(loader, node)}


def _condition(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    return {"Condition": _node(loader, node)}


def _get_att(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    value = _node(loader, node)
    if isinstance(value, str):
        resource, _, attribute = value.partition(".")
        value = [resource, attribute]
    return {"Fn::GetAtt": value}


for _name in TAGS:
    _Loader.add_constructor(f"!{_name}", _function(_name))
_Loader.add_constructor("!Ref", _ref)
_Loader.add_constructor("!Condition", _condition)
_Loader.add_constructor("!GetAtt", _get_att)


def read_template(path: Path) -> Any:
    """The template's document; raises TemplateReadError (with the line) or OSError."""
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith("{"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as e:
            raise TemplateReadError(
                f"is not valid JSON (line {e.lineno}, column {e.colno}): {e.msg}"
            ) from None
    try:
        return yaml.load(text, Loader=_Loader)  # a SafeLoader with CloudFormation's tags
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise TemplateReadError(f"is not valid YAML{where}: {getattr(e, 'problem', e)}") from None
