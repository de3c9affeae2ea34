"""The store's contract for human tasks, their assignees and audit trail, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import hashlib
import json

from makers import EXECUTION, MACHINE, execution

from sojourn.store.base import Store


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _task(
    execution_id: int, task_id: str, created_at: float = 1.0, next_due: float | None = None, run_id: int = 1
) -> dict:
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
        "step_key": f"arn:exec/{task_id}/0",
        "run_id": run_id,
        "generation": 3,
        "reminders_sent": 0,
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
        tx.add_assignee(_assignee("ht-1", "ann"))
        tx.add_link("ht-1", "ann", _hash("link-ann"), 1.0)
        tx.add_assignee({**_assignee("ht-1", "cy", 2.0), "on_behalf_of": "bo"})
        tx.add_link("ht-1", "cy", _hash("link-cy"), 2.0)
        tx.add_link("ht-1", "cy", _hash("reminder-cy"), 9.0)  # a reminder's link: the first one still works
    with store.transaction() as tx:
        assert [a["person"] for a in tx.assignees("ht-1")] == ["ann", "cy"]
        cy = {**_assignee("ht-1", "cy", 2.0), "on_behalf_of": "bo"}
        assert tx.assignee_for_link(_hash("link-cy")) == cy == tx.assignee_for_link(_hash("reminder-cy"))
        assert tx.assignee_for_link(_hash("link-nobody")) is None
        tx.set_assignee("ht-1", "ann", {"status": "DECIDED", "decision": "Approve", "decided_at": 3.0})
        assert tx.assignees("ht-1")[0]["decision"] == "Approve"


def test_lists_are_newest_first_keyset_paged_by_status_and_by_person(store: Store):
    with store.transaction() as tx:
        row = execution(tx)
        for number in range(5):  # two tasks share a creation time: the id orders them
            tx.insert_human_task(_task(row["id"], f"ht-{number}", created_at=float(min(number, 3))))
            tx.add_assignee(_assignee(f"ht-{number}", "ann" if number % 2 else "cy"))
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


def test_a_task_is_found_again_by_the_step_that_made_it_and_closed_with_its_execution_or_run(store: Store):
    with store.transaction() as tx:
        row = execution(tx)
        tx.insert_human_task(_task(row["id"], "ht-a", run_id=7))
        tx.insert_human_task(_task(row["id"], "ht-b", run_id=8))
        tx.insert_human_task({**_task(row["id"], "ht-done", run_id=7), "status": "DECIDED"})
    with store.transaction() as tx:
        assert tx.human_task_for_step("arn:exec/ht-a/0")["id"] == "ht-a"
        assert tx.human_task_for_step("arn:exec/ht-z/0") is None
        tx.close_human_tasks(row["id"], 7, 5.0, "its branch was cancelled")
        assert [tx.human_task(t)["status"] for t in ("ht-a", "ht-b", "ht-done")] == [
            "CANCELLED",
            "OPEN",
            "DECIDED",
        ]
        tx.close_human_tasks(row["id"], None, 6.0, "the execution ended")
        assert tx.human_task("ht-b")["status"] == "CANCELLED" and tx.human_task("ht-b")["closed_at"] == 6.0
        assert [e["kind"] for e in tx.human_task_events("ht-a")] == ["CANCELLED"]
        assert tx.human_task_events("ht-done") == []


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


def test_a_list_of_one_execution_holds_only_its_tasks(store: Store):
    other_arn = EXECUTION + "-other"
    with store.transaction() as tx:
        mine, other = execution(tx), execution(tx, other_arn)
        tx.insert_human_task(_task(mine["id"], "ht-1"))
        tx.insert_human_task(_task(other["id"], "ht-2", created_at=2.0))
        tx.insert_human_task(_task(mine["id"], "ht-3", created_at=3.0))
    with store.transaction() as tx:
        assert [t["id"] for t in tx.human_tasks(None, None, 10, execution_arn=EXECUTION)] == ["ht-3", "ht-1"]
        assert [t["id"] for t in tx.human_tasks("OPEN", None, 10, execution_arn=other_arn)] == ["ht-2"]
        assert tx.human_tasks(None, None, 10, execution_arn=EXECUTION + "-none") == []
