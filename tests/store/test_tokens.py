"""The store's contract for task tokens, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import hashlib

from makers import EXECUTION, MACHINE, execution_and_run

from sojourn.store.base import Store


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _token(execution_id: int, run_id: int, task_id: int, token: str, created_at: float = 1.0) -> dict:
    return {
        "hash": _hash(token),
        "execution_id": execution_id,
        "run_id": run_id,
        "task_id": task_id,
        "state_name": "Ask",
        "resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
        "created_at": created_at,
        "timeout_at": None,
        "heartbeat_seconds": None,
        "heartbeat_at": created_at,
        "parameters": '{"FunctionName":"ask"}',
    }


def test_a_token_is_stored_by_its_hash_and_read_back_in_hex_with_its_parameters(store: Store):
    with store.transaction() as tx:
        row, run = execution_and_run(tx)
        tx.insert_token(_token(row["id"], run, 1, "t1"))
    with store.transaction() as tx:
        assert tx.token(_hash("t1"), lock=True) == {**_token(row["id"], run, 1, "t1"), "status": "waiting"}
        assert tx.waiting_token(row["id"], run, 1)["hash"] == _hash("t1")
        assert tx.waiting_token(row["id"], run, 2) is None
        assert tx.token(_hash("unknown")) is None
        tx.set_token(_hash("t1"), {"heartbeat_at": 7.0})
        assert tx.token(_hash("t1"))["heartbeat_at"] == 7.0
        assert tx.known_token_hashes([_hash("t1"), _hash("unknown")]) == {_hash("t1")}
        assert tx.known_token_hashes([]) == set()


def test_a_waiting_task_gets_a_new_token_until_it_is_closed(store: Store):
    with store.transaction() as tx:
        row, run = execution_and_run(tx)
        tx.insert_token(_token(row["id"], run, 1, "t1"))
        assert tx.reissue_token(row["id"], run, 1, _hash("t2")) is True
        assert tx.token(_hash("t1")) is None and tx.token(_hash("t2"))["status"] == "waiting"
        tx.close_tasks(row["id"], run, 1)
        assert tx.token(_hash("t2"))["status"] == "closed"
        assert tx.reissue_token(row["id"], run, 1, _hash("t3")) is False


def test_closing_one_run_closes_its_tokens_only(store: Store):
    with store.transaction() as tx:
        row, run = execution_and_run(tx)
        branch = tx.insert_run(row["id"], {}, parent_id=run)
        tx.insert_token(_token(row["id"], run, 1, "main"))
        tx.insert_token(_token(row["id"], branch, 1, "branch"))
        tx.close_tasks(row["id"], branch)
        assert tx.count_waiting_tokens() == 1
        assert tx.token(_hash("main"))["status"] == "waiting"


def test_waiting_tasks_are_listed_newest_first_with_their_execution_and_machine(store: Store):
    with store.transaction() as tx:
        row, run = execution_and_run(tx)
        other, other_run = execution_and_run(tx, EXECUTION + "-other")
        for number in range(3):
            tx.insert_token(_token(row["id"], run, number, f"t{number}", created_at=10.0 + number))
        tx.insert_token(_token(other["id"], other_run, 0, "other", created_at=20.0))
        tx.close_tasks(row["id"], run, 0)
    with store.transaction() as tx:
        assert [task["hash"] for task in tx.waiting_tokens(10)] == [_hash("other"), _hash("t2"), _hash("t1")]
        assert [task["hash"] for task in tx.waiting_tokens(10, after=20.0)] == [_hash("t2"), _hash("t1")]
        assert [task["hash"] for task in tx.execution_waiting_tokens(EXECUTION, 1)] == [_hash("t2")]
        assert [task["hash"] for task in tx.execution_waiting_tokens(EXECUTION, 5, after=12.0)] == [
            _hash("t1")
        ]
        task = tx.waiting_task(_hash("t1"))
        assert (task["execution_arn"], task["machine_arn"], task["parameters"]) == (
            EXECUTION,
            MACHINE,
            '{"FunctionName":"ask"}',
        )
        assert tx.waiting_task(_hash("t0")) is None  # closed
        assert tx.waiting_task("not a hash") is None
