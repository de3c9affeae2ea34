"""The store's contract for state machines, versions, aliases and tags, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from sojourn.store.base import Store

MACHINE = "arn:aws:states:us-east-1:1:stateMachine:"


def _machine(name: str, now: float = 1.0) -> dict:
    return {
        "arn": MACHINE + name,
        "name": name,
        "type": "STANDARD",
        "definition": "{}",
        "role_arn": "r",
        "description": None,
        "revision_id": f"rev-{name}",
        "logging": "{}",
        "tracing": "{}",
        "created_at": now,
        "updated_at": now,
    }


def _version(machine: str, number: int) -> dict:
    return {
        "arn": f"{MACHINE}{machine}:{number}",
        "machine_arn": MACHINE + machine,
        "version": number,
        "definition": "{}",
        "role_arn": "r",
        "description": None,
        "revision_id": f"rev{number}",
        "created_at": 2.0,
    }


def _alias(machine: str, name: str, *versions: int) -> dict:
    routing = ", ".join(
        f'{{"stateMachineVersionArn": "{MACHINE}{machine}:{number}", "weight": 50}}' for number in versions
    )
    return {
        "arn": f"{MACHINE}{machine}:{name}",
        "machine_arn": MACHINE + machine,
        "name": name,
        "description": None,
        "routing": f"[{routing}]",
        "created_at": 3.0,
        "updated_at": 3.0,
    }


def test_state_machines_are_read_back_updated_and_paged_by_name(store: Store):
    with store.transaction() as tx:
        for name in ("c", "a", "b"):
            tx.insert_machine(_machine(name))
        tx.update_machine(MACHINE + "b", {"definition": '{"StartAt":"X"}', "updated_at": 5.0})
    with store.transaction() as tx:
        assert tx.machine(MACHINE + "b") == {
            **_machine("b"),
            "definition": '{"StartAt":"X"}',
            "updated_at": 5.0,
        }
        assert tx.machine(MACHINE + "z") is None
        assert [row["name"] for row in tx.machines(None, 2)] == ["a", "b"]
        assert [row["name"] for row in tx.machines("b", 2)] == ["c"]


def test_deleting_a_state_machine_deletes_its_versions_aliases_and_tags_only(store: Store):
    with store.transaction() as tx:
        for name in ("m", "other"):
            tx.insert_machine(_machine(name))
            tx.insert_version(_version(name, 1))
            tx.insert_alias(_alias(name, "live", 1))
            tx.set_tag(MACHINE + name, "team", "a")
        tx.delete_machine(MACHINE + "m")
    with store.transaction() as tx:
        assert (
            tx.machine(MACHINE + "m"),
            tx.versions(MACHINE + "m"),
            tx.aliases(MACHINE + "m"),
            tx.tags(MACHINE + "m"),
        ) == (None, [], [], [])
        assert tx.machine(MACHINE + "other") is not None and len(tx.versions(MACHINE + "other")) == 1
        assert len(tx.aliases(MACHINE + "other")) == 1 and tx.tags(MACHINE + "other") == [
            {"key": "team", "value": "a"}
        ]


def test_version_numbers_follow_the_highest_and_versions_list_newest_first(store: Store):
    with store.transaction() as tx:
        tx.insert_machine(_machine("m"))
        assert tx.next_version_number(MACHINE + "m") == 1
        for number in (1, 2, 3):
            tx.insert_version(_version("m", number))
        tx.delete_version(f"{MACHINE}m:1")
    with store.transaction() as tx:
        assert tx.next_version_number(MACHINE + "m") == 4
        assert [row["version"] for row in tx.versions(MACHINE + "m")] == [3, 2]
        assert tx.version(f"{MACHINE}m:2") == _version("m", 2)
        assert tx.version(f"{MACHINE}m:1") is None


def test_aliases_are_listed_by_name_and_found_by_the_versions_they_route_to(store: Store):
    with store.transaction() as tx:
        tx.insert_machine(_machine("m"))
        tx.insert_alias(_alias("m", "live", 1, 10))
        tx.insert_alias(_alias("m", "beta", 10))
        tx.update_alias(f"{MACHINE}m:beta", {"description": "next", "updated_at": 9.0})
    with store.transaction() as tx:
        assert [row["name"] for row in tx.aliases(MACHINE + "m")] == ["beta", "live"]
        assert tx.alias(f"{MACHINE}m:beta") == {
            **_alias("m", "beta", 10),
            "description": "next",
            "updated_at": 9.0,
        }
        assert [row["name"] for row in tx.aliases_routing_to(f"{MACHINE}m:1")] == ["live"]  # not version 10's
        assert sorted(row["name"] for row in tx.aliases_routing_to(f"{MACHINE}m:10")) == ["beta", "live"]
        tx.delete_alias(f"{MACHINE}m:live")
    with store.transaction() as tx:
        assert tx.alias(f"{MACHINE}m:live") is None
        assert tx.aliases_routing_to(f"{MACHINE}m:1") == []


def test_a_tag_is_removed_by_key(store: Store):
    with store.transaction() as tx:
        tx.set_tag("arn:x", "team", "a")
        tx.set_tag("arn:x", "cost", "b")
        tx.delete_tag("arn:x", "team")
        tx.delete_tag("arn:x", "absent")
        assert tx.tags("arn:x") == [{"key": "cost", "value": "b"}]
