"""The package says what it is licensed under, as an SPDX expression, and ships the license's text."""

from __future__ import annotations

from importlib.metadata import distribution
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_license_is_apache_2_0_and_its_text_ships_with_the_package():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.split()[:4] == ["Apache", "License", "Version", "2.0,"]
    assert "END OF TERMS AND CONDITIONS" in text
    metadata = distribution("sojourn").metadata
    assert metadata["License-Expression"] == "Apache-2.0"
    assert metadata.get_all("License-File") == ["LICENSE"]
    assert distribution("sojourn").read_text("licenses/LICENSE") == text
