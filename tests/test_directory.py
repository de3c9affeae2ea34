"""The directory human tasks are assigned through: people, groups, and who stands in for someone away."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from sojourn.directory import Directory, DirectoryError

DIRECTORY = yaml.safe_load(
    """
people:
  ann: {name: Ann Lead, email: ann@example.com, groups: [leads], manager: cy}
  bo:  {name: Bo Finance, email: bo@example.com, groups: [finance],
        out_of_office: {delegate: cy, from: 2026-12-01, until: 2026-12-24}}
  cy:  {name: Cy Head, email: cy@example.com, out_of_office: {delegate: dee, from: 2026-12-20}}
  dee: {name: Dee, email: Dee@Example.com}
groups:
  finance: [dee, cy]
"""
)
BEFORE, DURING, LATE = dt.date(2026, 11, 30), dt.date(2026, 12, 10), dt.date(2026, 12, 22)


@pytest.fixture
def directory() -> Directory:
    return Directory.from_mapping(DIRECTORY)


def asked(directory: Directory, assignees: list[str], day: dt.date) -> list[tuple[str, str | None]]:
    return [
        (a.person.id, a.on_behalf_of.id if a.on_behalf_of else None)
        for a in directory.resolve(assignees, day)
    ]


def test_groups_gather_members_listed_on_people_and_on_the_group(directory):
    assert directory.members("finance") == ("bo", "dee", "cy")
    assert asked(directory, ["group:finance"], BEFORE) == [("bo", None), ("dee", None), ("cy", None)]


def test_someone_out_of_office_is_replaced_by_their_delegate_who_acts_for_them(directory):
    assert asked(directory, ["bo"], BEFORE) == [("bo", None)]
    assert asked(directory, ["bo"], DURING) == [("cy", "bo")]
    # cy is away too by the 22nd: the delegate's delegate stands in, still for bo
    assert asked(directory, ["bo"], LATE) == [("dee", "bo")]


def test_each_person_is_asked_once_even_when_named_twice_or_standing_in(directory):
    # bo is away: cy stands in for him, and is not asked again for himself or through the group
    assert asked(directory, ["bo", "cy", "group:finance"], DURING) == [("cy", "bo"), ("dee", None)]


def test_people_are_found_by_id_or_email_and_outsiders_by_their_address(directory):
    assert asked(directory, ["dee@example.com", "ann"], BEFORE) == [("dee", None), ("ann", None)]
    outsider = directory.resolve(["Zed@Elsewhere.org"], BEFORE)[0]
    assert outsider.person.email == "Zed@Elsewhere.org" and outsider.person.id == "zed@elsewhere.org"


def test_a_delegation_cycle_stops_at_the_last_person_not_yet_visited():
    directory = Directory.from_mapping(
        {
            "people": {
                "a": {"email": "a@x.io", "out_of_office": {"delegate": "b"}},
                "b": {"email": "b@x.io", "out_of_office": {"delegate": "a"}},
            }
        }
    )
    assert asked(directory, ["a"], BEFORE) == [("b", "a")]


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"people": {"a": {"name": "A"}}}, "person 'a': 'email' must be an email address"),
        ({"people": {"a": {"email": "a@x.io", "boss": "b"}}}, "unknown keys boss"),
        ({"people": {"a": {"email": "a@x.io", "manager": "zz"}}}, "manager 'zz', who is not in people"),
        ({"people": {"a": {"email": "a@x.io", "out_of_office": {"delegate": "zz"}}}}, "delegate 'zz'"),
        (
            {"people": {"a": {"email": "a@x.io", "out_of_office": {"delegate": "a", "from": "soon"}}}},
            "'from'",
        ),
        ({"people": {}, "groups": {"g": ["nobody"]}}, "group 'g' names 'nobody'"),
        ({"staff": {}}, "unknown keys staff"),
    ],
)
def test_a_directory_that_cannot_be_used_says_which_entry(data, words):
    with pytest.raises(DirectoryError, match=words.replace("(", r"\(")):
        Directory.from_mapping(data)


def test_an_unknown_assignee_or_empty_group_is_refused_by_name(directory):
    with pytest.raises(DirectoryError, match="'zoe' is not in the directory"):
        directory.resolve(["zoe"], BEFORE)
    with pytest.raises(DirectoryError, match="group 'sales'"):
        directory.resolve(["group:sales"], BEFORE)
