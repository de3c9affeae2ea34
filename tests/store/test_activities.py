"""The store's contract for activities and their tasks, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from makers import execution_and_run

from sojourn.store.base import Store

ACTIVITY = "arn:aws:states:us-east-1:1:activity:"


def _task(execution_id: int, run_id: int, task_id: int, activity: str = "approve") -> dict:
    return {
        "activity_arn": ACTIVITY + activity,
        "execution_id": execution_id,
        "run_id": run_id,
        "task_id": task_id,
        "state_name": "Approve",
        "input": f'{{"n":{task_id}}}',
        "created_at": 1.0,
    }


def test_activities_are_read_back_paged_by_name_and_deleted_with_their_tags(store: Store):
    with store.transaction() as tx:
        for name in ("b", "a", "c"):
            tx.insert_activity({"arn": ACTIVITY + name, "name": name, "created_at": 1.0})
        tx.set_tag(ACTIVITY + "a", "team", "x")
    with store.transaction() as tx:
        assert tx.activity(ACTIVITY + "a") == {"arn": ACTIVITY + "a", "name": "a", "created_at": 1.0}
        assert [row["name"] for row in tx.activities(None, 2)] == ["a", "b"]
        assert [row["name"] for row in tx.activities("b", 5)] == ["c"]
        tx.delete_activity(ACTIVITY + "a")
    with store.transaction() as tx:
        assert tx.activity(ACTIVITY + "a") is None and tx.tags(ACTIVITY + "a") == []
        assert [row["name"] for row in tx.activities(None, 5)] == ["b", "c"]


def test_activity_tasks_are_taken_oldest_first_once_each(store: Store):
    with store.transaction() as tx:
        execution, run = execution_and_run(tx)
        for task_id in (1, 2):
            tx.insert_activity_task(_task(execution["id"], run, task_id))
        tx.insert_activity_task(_task(execution["id"], run, 3, activity="other"))
    with store.transaction() as tx:
        first = tx.take_activity_task(ACTIVITY + "approve")
        second = tx.take_activity_task(ACTIVITY + "approve")
        assert tx.take_activity_task(ACTIVITY + "approve") is None
    assert (first["task_id"], first["input"], first["status"]) == (
        1,
        '{"n":1}',
        "pending",
    )  # as it was when taken
    assert second["task_id"] == 2


def test_closing_an_executions_tasks_closes_its_pending_activity_tasks(store: Store):
    with store.transaction() as tx:
        execution, run = execution_and_run(tx)
        other, other_run = execution_and_run(tx, "arn:aws:states:us-east-1:1:execution:m:other")
        tx.insert_activity_task(_task(execution["id"], run, 1))
        tx.insert_activity_task(_task(other["id"], other_run, 1))
        tx.close_tasks(execution["id"])
    with store.transaction() as tx:
        assert tx.take_activity_task(ACTIVITY + "approve")["execution_id"] == other["id"]
        assert tx.take_activity_task(ACTIVITY + "approve") is None
