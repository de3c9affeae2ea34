"""The store's contract for human tasks, their assignees and audit trail, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import hashlib
import json

from makers import EXECUTION, MACHINE, execution

from sojourn.store.base import Store


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _task(execution_id: int, task_id: str, created_at: float = 1.0, next_due: float | None = None) -> dict:
    return {
        "id": task_id,
        "token_hash": _hash(f"token-{task_id}"),
        "execution_id": execution_id,
        "state_name": "Approve",
        "title": f"Leave {task_id}",
        "spec": json.dumps({"Decisions": ["Approve", "Deny"]}),
        "requester": "bo",
        "status": "OPEN",
        "created_at": created_at,
        "next_due": next_due,
        "closed_at": None,
        "result": None,
    }


def _assignee(task_id: str, person: str, asked_at: float = 1.0) -> dict:
    return {
        "task_id": task_id,
        "person": person,
        "email": f"{person}@example.com",
        "name": person.title(),
        "on_behalf_of": None,
        "status": "ASKED",
        "asked_at": asked_at,
        "decision": None,
        "decided_at": None,
    }


def test_a_task_is_found_by_id_and_by_its_tokens_hash_and_changes(store: Store):
    with store.transaction() as tx:
        row = execution(tx)
        tx.insert_human_task(_task(row["id"], "ht-1"))
    with store.transaction() as tx:
        assert tx.human_task("ht-1", lock=True) == _task(row["id"], "ht-1")
        assert tx.human_task_for_token(_hash("token-ht-1"))["id"] == "ht-1"
        assert tx.human_task("ht-2") is None and tx.human_task_for_token(_hash("other")) is None
        tx.set_human_task("ht-1", {"status": "DECIDED", "closed_at": 5.0, "result": '{"Outcome":"Approve"}'})
        assert tx.human_task("ht-1")["status"] == "DECIDED"


def test_assignees_are_found_by_their_links_hash_and_decide(store: Store):
    with store.transaction() as tx:
        row = execution(tx)
        tx.insert_human_task(_task(row["id"], "ht-1"))
        tx.add_assignee(_assignee("ht-1", "ann"), _hash("link-ann"))
        tx.add_assignee({**_assignee("ht-1", "cy", 2.0), "on_behalf_of": "bo"}, _hash("link-cy"))
    with store.transaction() as tx:
        assert [a["person"] for a in tx.assignees("ht-1")] == ["ann", "cy"]
        assert tx.assignee_for_link(_hash("link-cy")) == {
            **_assignee("ht-1", "cy", 2.0),
            "on_behalf_of": "bo",
        }
        assert tx.assignee_for_link(_hash("link-nobody")) is None
        tx.set_assignee("ht-1", "ann", {"status": "DECIDED", "decision": "Approve", "decided_at": 3.0})
        assert tx.assignees("ht-1")[0]["decision"] == "Approve"


def test_lists_are_newest_first_keyset_paged_by_status_and_by_person(store: Store):
    with store.transaction() as tx:
        row = execution(tx)
        for number in range(5):  # two tasks share a creation time: the id orders them
            tx.insert_human_task(_task(row["id"], f"ht-{number}", created_at=float(min(number, 3))))
            tx.add_assignee(_assignee(f"ht-{number}", "ann" if number % 2 else "cy"), _hash(f"l-{number}"))
        tx.set_human_task("ht-4", {"status": "DECIDED"})
        tx.set_assignee("ht-3", "ann", {"status": "REMOVED"})
    with store.transaction() as tx:
        every = tx.human_tasks(None, None, 10)
        assert [t["id"] for t in every] == ["ht-4", "ht-3", "ht-2", "ht-1", "ht-0"]
        assert every[0]["execution_arn"] == EXECUTION and every[0]["machine_arn"] == MACHINE
        first = tx.human_tasks("OPEN", None, 2)
        assert [t["id"] for t in first] == ["ht-3", "ht-2"]
        after = (first[-1]["created_at"], first[-1]["id"])
        assert [t["id"] for t in tx.human_tasks("OPEN", after, 2)] == ["ht-1", "ht-0"]
        assert [t["id"] for t in tx.human_tasks(None, None, 10, person="ann")] == [
            "ht-1"
        ]  # removed from ht-3
        assert [t["id"] for t in tx.human_tasks("OPEN", None, 10, person="cy")] == ["ht-2", "ht-0"]


def test_due_tasks_are_the_open_ones_whose_time_has_come(store: Store):
    with store.transaction() as tx:
        row = execution(tx)
        tx.insert_human_task(_task(row["id"], "ht-late", next_due=5.0))
        tx.insert_human_task(_task(row["id"], "ht-soon", next_due=9.0))
        tx.insert_human_task(_task(row["id"], "ht-none"))
        tx.insert_human_task({**_task(row["id"], "ht-done", next_due=1.0), "status": "DECIDED"})
    with store.transaction() as tx:
        assert tx.next_human_task_due() == 5.0
        assert [t["id"] for t in tx.due_human_tasks(9.0, 10)] == ["ht-late", "ht-soon"]
        assert [t["id"] for t in tx.due_human_tasks(6.0, 10)] == ["ht-late"]


def test_the_audit_trail_keeps_every_event_in_order(store: Store):
    with store.transaction() as tx:
        row = execution(tx)
        tx.insert_human_task(_task(row["id"], "ht-1"))
        tx.add_human_task_event("ht-1", 1.0, "CREATED", None, {"assignees": ["ann"]})
        tx.add_human_task_event("ht-1", 2.0, "NOTIFIED", "ann", {"channel": "EMAIL"})
        tx.add_human_task_event("ht-1", 3.0, "DECIDED", "ann")
    with store.transaction() as tx:
        events = tx.human_task_events("ht-1")
        assert [(e["kind"], e["actor"]) for e in events] == [
            ("CREATED", None),
            ("NOTIFIED", "ann"),
            ("DECIDED", "ann"),
        ]
        assert json.loads(events[1]["details"]) == {"channel": "EMAIL"} and events[2]["details"] is None
        assert [e["kind"] for e in tx.human_task_events("ht-1", after=events[0]["id"], limit=1)] == [
            "NOTIFIED"
        ]
