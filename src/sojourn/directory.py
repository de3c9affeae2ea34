"""The directory of people and groups a human task is assigned to (ours, not AWS's).

Declared in the app manifest (`people:` and `groups:`) or a YAML/JSON file of the same shape that the
manifest names (`directory: data/people.yaml`):

```yaml
people:
  ann: {name: Ann Lead, email: ann@example.com, groups: [leads], manager: cy}
  bo:  {name: Bo, email: bo@example.com, out_of_office: {delegate: cy, from: 2026-12-01, until: 2026-12-24}}
groups:
  finance: [dee, eve, fay]        # or members listed on each person (`groups: [...]`); both add up
```

`Directory.resolve(assignees, today)` turns a task's assignees (`"ann"`, `"group:finance"`, or an email
address not in the directory) into who is asked, at the moment of assignment: a person out of office on
`today` is replaced by their delegate (transitively, without cycles), and the result says for whom each one
acts, so that the audit reads "decided by Cy acting for Bo". A real directory is a `Directory` subclass
overriding `person(id)` and `members(group)`.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Assignment", "Directory", "DirectoryError", "OutOfOffice", "Person"]

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,127}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class DirectoryError(ValueError):
    """A directory that cannot be used, or an assignee it does not know; the message names which."""


@dataclass(frozen=True)
class OutOfOffice:
    delegate: str
    start: _dt.date | None = None  # from this day (inclusive); None: already
    until: _dt.date | None = None  # to this day (inclusive); None: until further notice

    def covers(self, day: _dt.date) -> bool:
        return (self.start is None or self.start <= day) and (self.until is None or day <= self.until)


@dataclass(frozen=True)
class Person:
    id: str
    email: str
    name: str = ""
    groups: tuple[str, ...] = ()
    manager: str | None = None
    out_of_office: OutOfOffice | None = None

    @property
    def display(self) -> str:
        return self.name or self.email


@dataclass(frozen=True)
class Assignment:
    """Someone asked to decide: `person`, acting for `on_behalf_of` when they stand in for someone away."""

    person: Person
    on_behalf_of: Person | None = None


@dataclass
class Directory:
    people: dict[str, Person] = field(default_factory=dict)
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> Directory:
        """A directory from its manifest form (see the module's docstring); DirectoryError names the entry."""
        data = data or {}
        unknown = set(data) - {"people", "groups"}
        if unknown:
            raise DirectoryError(f"directory: unknown keys {', '.join(sorted(unknown))} (people, groups)")
        people: dict[str, Person] = {}
        members: dict[str, list[str]] = {}
        for id, entry in (data.get("people") or {}).items():
            person = _person(str(id), entry)
            people[person.id] = person
            for group in person.groups:
                members.setdefault(group, []).append(person.id)
        for group, listed in (data.get("groups") or {}).items():
            if not isinstance(listed, list) or not all(isinstance(m, str) for m in listed):
                raise DirectoryError(f"directory: group {group!r} must be a list of people's ids")
            for member in listed:
                if member not in members.setdefault(str(group), []):
                    members[str(group)].append(member)
        directory = cls(people, {group: tuple(ids) for group, ids in members.items()})
        directory._check_references()
        return directory

    def _check_references(self) -> None:
        for group, ids in self.groups.items():
            for member in ids:
                if member not in self.people:
                    raise DirectoryError(f"directory: group {group!r} names {member!r}, who is not in people")
        for person in self.people.values():
            for other, what in ((person.manager, "manager"), (_delegate(person), "delegate")):
                if other is not None and other not in self.people:
                    raise DirectoryError(
                        f"directory: {person.id!r} has {what} {other!r}, who is not in people"
                    )

    def update(self, other: Directory) -> None:
        """Take in `other`'s people and groups (an app deployed into this process); its entries win."""
        self.people.update(other.people)
        self.groups.update(other.groups)

    def person(self, id: str) -> Person | None:
        return self.people.get(id)

    def members(self, group: str) -> tuple[str, ...]:
        return self.groups.get(group, ())

    def find(self, id_or_email: str) -> Person | None:
        """The person with this id, or this email address (any case)."""
        found = self.person(id_or_email)
        if found is not None:
            return found
        wanted = id_or_email.casefold()
        return next((p for p in self.people.values() if p.email.casefold() == wanted), None)

    def resolve(self, assignees: Iterable[str], today: _dt.date) -> list[Assignment]:
        """Who is asked, in order and once each, with delegation applied as of `today`."""
        asked: list[Assignment] = []
        seen: set[str] = set()
        for assignee in assignees:
            for person in self._expand(assignee):
                assignment = self._stand_in(person, today)
                if assignment.person.id not in seen:
                    seen.add(assignment.person.id)
                    asked.append(assignment)
        return asked

    def _expand(self, assignee: str) -> list[Person]:
        if assignee.startswith("group:"):
            group = assignee.removeprefix("group:")
            ids = self.members(group)
            if not ids:
                raise DirectoryError(f"The group '{group}' is not in the directory or has no members")
            return [self._known(id) for id in ids]
        found = self.find(assignee)
        if found is not None:
            return [found]
        if _EMAIL.fullmatch(assignee):  # someone outside the directory, known only by their address
            return [Person(id=assignee.casefold(), email=assignee)]
        raise DirectoryError(f"The assignee '{assignee}' is not in the directory and is not an email address")

    def _known(self, id: str) -> Person:
        person = self.person(id)
        if person is None:
            raise DirectoryError(f"The person '{id}' is not in the directory")
        return person

    def _stand_in(self, person: Person, today: _dt.date) -> Assignment:
        """`person`, or who stands in for them today (the delegate's delegate..., stopping at a cycle)."""
        current, visited = person, {person.id}
        while current.out_of_office is not None and current.out_of_office.covers(today):
            delegate = self.person(current.out_of_office.delegate)
            if delegate is None or delegate.id in visited:
                break
            visited.add(delegate.id)
            current = delegate
        return Assignment(current, None if current is person else person)


def _delegate(person: Person) -> str | None:
    return person.out_of_office.delegate if person.out_of_office else None


def _person(id: str, entry: Any) -> Person:
    where = f"directory: person {id!r}"
    if not _ID.fullmatch(id):
        raise DirectoryError(f"{where}: an id is letters, digits, '.', '_', '@' or '-'")
    if not isinstance(entry, dict):
        raise DirectoryError(f"{where} must be a mapping with at least an email")
    unknown = set(entry) - {"name", "email", "groups", "manager", "out_of_office"}
    if unknown:
        raise DirectoryError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    email = entry.get("email")
    if not isinstance(email, str) or not _EMAIL.fullmatch(email):
        raise DirectoryError(f"{where}: 'email' must be an email address")
    groups = entry.get("groups", [])
    if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
        raise DirectoryError(f"{where}: 'groups' must be a list of group names")
    away = entry.get("out_of_office")
    return Person(
        id=id,
        email=email,
        name=str(entry.get("name", "")),
        groups=tuple(groups),
        manager=str(entry["manager"]) if entry.get("manager") is not None else None,
        out_of_office=_away(where, away) if away is not None else None,
    )


def _away(where: str, away: Any) -> OutOfOffice:
    if not isinstance(away, dict) or not isinstance(away.get("delegate"), str):
        raise DirectoryError(f"{where}: 'out_of_office' must be {{delegate, from?, until?}}")
    unknown = set(away) - {"delegate", "from", "until"}
    if unknown:
        raise DirectoryError(f"{where}: out_of_office has unknown keys {', '.join(sorted(unknown))}")
    days = []
    for key in ("from", "until"):
        value = away.get(key)
        if value is None or isinstance(value, _dt.date):  # YAML reads 2026-12-01 as a date already
            days.append(value)
            continue
        try:
            days.append(_dt.date.fromisoformat(str(value)))
        except ValueError:
            raise DirectoryError(f"{where}: out_of_office '{key}' must be a date (YYYY-MM-DD)") from None
    return OutOfOffice(away["delegate"], days[0], days[1])
