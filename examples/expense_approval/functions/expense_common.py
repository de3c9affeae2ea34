"""Shared by the expense functions: the app's directory (`data/people.yaml`, the file app.yaml gives Sojourn
as its `directory`), read here to check who asks and to name who decided."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from sojourn.directory import Directory, Person

HERE = Path(__file__).resolve().parent


def directory() -> Directory:
    path = Path(os.environ.get("PEOPLE_FILE", HERE.parent / "data" / "people.yaml"))
    return Directory.from_mapping(yaml.safe_load(path.read_text(encoding="utf-8")))


def name_of(people: Directory, id: str | None) -> str:
    """A person's name as the emails show it (their id when the directory does not know them)."""
    found: Person | None = people.person(id) if id else None
    return found.display if found else str(id)
