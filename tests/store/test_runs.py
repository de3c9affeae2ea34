"""The store's contract for executions and their runs, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import hashlib

import pytest
from makers import EXECUTION, MACHINE, execution, execution_and_run

from sojourn.store.base import Store


def test_an_execution_is_read_back_as_inserted_and_updated(store: Store):
    with store.transaction() as tx:
        inserted = execution(tx)
        tx.update_execution(inserted["id"], {"status": "SUCCEEDED", "output": '{"ok":1}', "stopped_at": 2.0})
    with store.transaction() as tx:
        assert tx.execution(EXECUTION, lock=True) == {
            **inserted,
            "status": "SUCCEEDED",
            "output": '{"ok":1}',
            "stopped_at": 2.0,
        }
        assert tx.execution(EXECUTION + "x") is None
    assert (inserted["name"], inserted["machine_arn"], inserted["next_event_id"]) == ("e", MACHINE, 1)


def test_executions_are_listed_newest_first_by_machine_status_version_alias_and_start_time(store: Store):
    with store.transaction() as tx:
        rows = [execution(tx, f"{EXECUTION}{number}") for number in range(4)]
        for number, row in enumerate(rows):
            tx.update_execution(
                row["id"],
                {
                    "started_at": 10.0 + number,
                    "version_arn": f"{MACHINE}:1" if number % 2 else None,
                    "alias_arn": f"{MACHINE}:live" if number == 3 else None,
                    "status": "FAILED" if number == 0 else "RUNNING",
                },
            )
    with store.transaction() as tx:

        def names(**filters: object) -> list[str]:
            arguments = {"machine_arn": None, "status": None, "before_id": None, "limit": 10, **filters}
            return [row["name"] for row in tx.list_executions(**arguments)]  # type: ignore[arg-type]

        assert names() == ["e3", "e2", "e1", "e0"]
        assert names(machine_arn=MACHINE, limit=2) == ["e3", "e2"]
        assert names(machine_arn=MACHINE + "-other") == []
        assert names(status="FAILED") == ["e0"]
        assert names(before_id=rows[2]["id"]) == ["e1", "e0"]
        assert names(version_arn=f"{MACHINE}:1") == ["e3", "e1"]
        assert names(alias_arn=f"{MACHINE}:live") == ["e3"]
        assert names(started_after=11.0, started_before=13.0) == ["e2", "e1"]
        listed = tx.list_executions(None, None, None, 1)[0]
    assert "input" not in listed and listed["redrive_count"] == 0


def test_runs_keep_their_frame_and_a_forks_children_are_found_by_fork(store: Store):
    with store.transaction() as tx:
        row, main = execution_and_run(tx)
        first = [
            tx.insert_run(row["id"], {"branch": n}, parent_id=main, child_index=n, parent_fork=1)
            for n in range(2)
        ]
        second = tx.insert_run(row["id"], {"branch": 0}, parent_id=main, child_index=0, parent_fork=2)
        tx.update_run(first[0], {"frame": '{"branch":0,"done":true}', "status": "done", "generation": 3})
    with store.transaction() as tx:
        assert tx.run(first[0]) == {
            "id": first[0],
            "execution_id": row["id"],
            "parent_id": main,
            "child_index": 0,
            "parent_fork": 1,
            "generation": 3,
            "fork_generation": 0,
            "status": "done",
            "frame": '{"branch":0,"done":true}',
        }
        assert tx.run(second + 100) is None
        assert [run["id"] for run in tx.runs(row["id"])] == [main, *first, second]
        assert [run["id"] for run in tx.children(main)] == [*first, second]
        assert [run["id"] for run in tx.children(main, fork=1)] == first
        run, same = tx.run_and_execution(second, lock=True)
        assert tx.run_and_execution(second + 100) is None
    assert (run["frame"], run["parent_fork"], same) == ('{"branch":0}', 2, row)


def test_cancelling_an_executions_runs_leaves_finished_runs_and_other_executions(store: Store):
    with store.transaction() as tx:
        row, main = execution_and_run(tx)
        done = tx.insert_run(row["id"], {}, parent_id=main)
        tx.update_run(done, {"status": "done"})
        _other, other_run = execution_and_run(tx, EXECUTION + "-other")
        tx.cancel_runs(row["id"])
    with store.transaction() as tx:
        assert [tx.run(run_id)["status"] for run_id in (main, done, other_run)] == [
            "cancelled",
            "done",
            "active",
        ]


def test_a_savepoint_undoes_only_what_was_done_inside_it(store: Store):
    with store.transaction() as tx:
        row = execution(tx)
        with pytest.raises(RuntimeError), tx.savepoint():
            tx.update_execution(row["id"], {"status": "FAILED"})
            tx.definition_id('{"inside":1}')  # its id must not be remembered past the rollback
            raise RuntimeError("undo")
        tx.update_execution(row["id"], {"output": "1"})
    with store.transaction() as tx:
        assert (tx.execution(EXECUTION)["status"], tx.execution(EXECUTION)["output"]) == ("RUNNING", "1")
    assert ("definitions", hashlib.sha256(b'{"inside":1}').hexdigest()) not in store.interned
