"""The store: one small interface over SQLite (default) and PostgreSQL (several workers).

`open_store(db_url)` gives a Store; `store.transaction()` gives a `Tx` whose methods are the only SQL
in Sojourn's runtime. SQL is written once with `?` placeholders; the PostgreSQL store rewrites them
to `%s`. Work is claimed with leases (`FOR UPDATE SKIP LOCKED` on PostgreSQL) so several workers can
share one database; PostgreSQL's LISTEN/NOTIFY wakes idle workers, SQLite serves one process.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import threading
from collections.abc import Callable, Collection, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from sojourn.store.packing import pack, unpack

__all__ = ["InvalidStoreValue", "Store", "StoreUnavailable", "Tx", "database_exists", "open_store"]

NOTIFY_CHANNEL = "sojourn_work"


class StoreUnavailable(Exception):
    """The database cannot be reached for now (down, restarting, no free connection): try again later."""


class InvalidStoreValue(ValueError):
    """A value the database cannot hold (PostgreSQL's text cannot contain NUL; integers beyond 64 bits)."""


class Tx:
    """One transaction. Rows come back as dicts."""

    def __init__(self, store: Store, connection: Any):
        self.store = store
        self.connection = connection
        self.notify = False  # set when new work is due now: the store wakes the workers after commit
        self.committed: list[Callable[[], None]] = []  # called once the transaction has committed
        self._savepoints: list[int] = []  # for each open savepoint: how many `committed` callbacks preceded it

    # -- raw SQL (for store modules only) ---------------------------------------------------------

    def locking(self, *, of: str | None = None, skip_locked: bool = False) -> str:
        """PostgreSQL's row lock clause (`FOR UPDATE [OF table] [SKIP LOCKED]`); SQLite locks the whole database."""
        if not self.store.for_update:
            return ""
        return " FOR UPDATE" + (f" OF {of}" if of else "") + (" SKIP LOCKED" if skip_locked else "")

    def execute(self, sql: str, params: tuple | list = ()) -> Any:
        return self.store._execute(self.connection, sql, params)

    def one(self, sql: str, params: tuple | list = ()) -> dict[str, Any] | None:
        row = self.execute(sql, params).fetchone()
        return self.store._row(row)

    def all(self, sql: str, params: tuple | list = ()) -> list[dict[str, Any]]:
        rows = (self.store._row(row) for row in self.execute(sql, params).fetchall())
        return [row for row in rows if row is not None]

    @contextlib.contextmanager
    def savepoint(self) -> Iterator[None]:
        """A nested transaction: an exception inside undoes only what was done inside."""
        name = f"s{len(self._savepoints)}"
        self._savepoints.append(len(self.committed))
        self.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            self.execute(f"ROLLBACK TO SAVEPOINT {name}")
            del self.committed[self._savepoints[-1]:]  # what was undone must not be remembered
            raise
        finally:
            self._savepoints.pop()
        self.execute(f"RELEASE SAVEPOINT {name}")

    def insert(self, table: str, values: dict[str, Any], returning: str | None = None) -> Any:
        columns = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"
        if returning:
            row = self.one(sql + f" RETURNING {returning}", tuple(values.values()))
            return row[returning] if row else None
        self.execute(sql, tuple(values.values()))
        return None

    def update(self, table: str, key: dict[str, Any], values: dict[str, Any]) -> int:
        sets = ", ".join(f"{column} = ?" for column in values)
        where = " AND ".join(f"{column} = ?" for column in key)
        return self.execute(f"UPDATE {table} SET {sets} WHERE {where}", (*values.values(), *key.values())).rowcount

    # -- state machines -------------------------------------------------------------------------

    def machine(self, arn: str) -> dict[str, Any] | None:
        return self.one("SELECT * FROM state_machines WHERE arn = ?", (arn,))

    def machines(self, after: str | None, limit: int) -> list[dict[str, Any]]:
        return self.all(
            "SELECT * FROM state_machines WHERE (CAST(? AS TEXT) IS NULL OR name > ?) ORDER BY name LIMIT ?", (after, after, limit)
        )

    def versions(self, machine_arn: str) -> list[dict[str, Any]]:
        return self.all("SELECT * FROM machine_versions WHERE machine_arn = ? ORDER BY version DESC", (machine_arn,))

    def version(self, arn: str) -> dict[str, Any] | None:
        return self.one("SELECT * FROM machine_versions WHERE arn = ?", (arn,))

    def alias(self, arn: str) -> dict[str, Any] | None:
        return self.one("SELECT * FROM machine_aliases WHERE arn = ?", (arn,))

    def aliases(self, machine_arn: str) -> list[dict[str, Any]]:
        return self.all("SELECT * FROM machine_aliases WHERE machine_arn = ? ORDER BY name", (machine_arn,))

    def tags(self, arn: str) -> list[dict[str, Any]]:
        return self.all("SELECT key, value FROM tags WHERE resource_arn = ? ORDER BY key", (arn,))

    def set_tag(self, arn: str, key: str, value: str) -> None:
        self.execute(
            "INSERT INTO tags (resource_arn, key, value) VALUES (?, ?, ?) "
            "ON CONFLICT (resource_arn, key) DO UPDATE SET value = excluded.value",
            (arn, key, value),
        )

    # -- definitions ----------------------------------------------------------------------------

    def definition_id(self, text: str) -> int:
        """The id of the definition `text`, stored once (by its SHA-256) however many executions use it."""
        return self._interned("definitions", "hash", hashlib.sha256(text.encode()).hexdigest(), {"definition": text})

    def machine_id(self, arn: str) -> int:
        """The id of the state machine ARN `arn`, stored once however many executions name it."""
        return self._interned("machine_arns", "arn", arn, {})

    def _interned(self, table: str, column: str, key: str, values: dict[str, Any]) -> int:
        """The id of the row of `table` whose `column` is `key`, inserted with `values` the first time."""
        known = self.store.interned.get((table, key))
        if known is not None:
            return known
        find = f"SELECT id FROM {table} WHERE {column} = ?"
        marks = ", ".join("?" * (1 + len(values)))
        row = self.one(find, (key,)) or self.one(
            f"INSERT INTO {table} ({', '.join([column, *values])}) VALUES ({marks}) ON CONFLICT ({column}) DO NOTHING RETURNING id",
            (key, *values.values()),
        ) or self.one(find, (key,))  # another transaction stored it meanwhile
        assert row is not None
        interned = int(row["id"])
        self.committed.append(lambda: self.store.interned.__setitem__((table, key), interned))
        return interned

    def definition(self, definition_id: int) -> str:
        row = self.one("SELECT definition FROM definitions WHERE id = ?", (definition_id,))
        if row is None:
            raise LookupError(f"No definition {definition_id}")
        return str(row["definition"])

    # -- executions -----------------------------------------------------------------------------
    # An execution's `id` is its place in the listing order; its `name` is the last part of its ARN.

    def insert_execution(self, row: dict[str, Any]) -> dict[str, Any]:
        """Insert a RUNNING execution (`row` without `id` and `name`); returns the full row."""
        values = {key: value for key, value in row.items() if key not in ("id", "name", "machine_arn")}
        values["machine_id"] = self.machine_id(row["machine_arn"])
        values["id"] = self.insert("executions", values, returning="id")
        return _named({**_EXECUTION_DEFAULTS, **values, "machine_arn": row["machine_arn"]})

    def execution(self, arn: str, lock: bool = False) -> dict[str, Any] | None:
        row = self.one(f"SELECT e.*, m.arn AS machine_arn FROM executions e {_MACHINE} WHERE e.arn = ?"
                       + (self.locking(of="e") if lock else ""), (arn,))
        return _named(row) if row else None

    def update_execution(self, execution_id: int, changes: dict[str, Any]) -> None:
        self.update("executions", {"id": execution_id}, changes)

    def list_executions(
        self, machine_arn: str | None, status: str | None, before_id: int | None, limit: int,
        version_arn: str | None = None, alias_arn: str | None = None,
        started_after: float | None = None, started_before: float | None = None,
    ) -> list[dict[str, Any]]:
        """Newest first (keyset on `id`); `started_after`/`started_before` bound the start time (inclusive/exclusive)."""
        clauses: list[str] = []
        params: list[Any] = []
        filters = (("e.machine_id = (SELECT id FROM machine_arns WHERE arn = ?)", machine_arn), ("e.status = ?", status),
                   ("e.version_arn = ?", version_arn), ("e.alias_arn = ?", alias_arn), ("e.id < ?", before_id),
                   ("e.started_at >= ?", started_after), ("e.started_at < ?", started_before))
        for clause, value in filters:
            if value is not None:
                clauses.append(clause)
                params.append(value)
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        columns = ("e.id, e.arn, m.arn AS machine_arn, e.version_arn, e.alias_arn, e.status, e.started_at, e.stopped_at, "
                   "e.redrive_count, e.redrive_at")
        rows = self.all(f"SELECT {columns} FROM executions e {_MACHINE}{where} ORDER BY e.id DESC LIMIT ?", (*params, limit))
        return [_named(row) for row in rows]

    # -- history --------------------------------------------------------------------------------
    # An event's details are stored without their wrapper key (see sojourn.runtime.history).

    def append_events(self, execution: dict[str, Any], ts: float,
                      events: list[tuple[str, dict[str, Any] | None]]) -> None:
        """Append events with the next ids, in one statement; `execution` is the locked row, kept in step
        (`save_event_counter` stores the counter)."""
        first = execution["next_event_id"]
        rows = [
            (execution["id"], event_id, ts, type,
             pack(json.dumps(details, separators=(",", ":"))) if details is not None else None)
            for event_id, (type, details) in enumerate(events, start=first)
        ]
        # multi-row VALUES: one round trip to PostgreSQL per 500 events (SQLite takes 32,766 parameters at most)
        for start in range(0, len(rows), 500):
            chunk = rows[start:start + 500]
            self.execute("INSERT INTO events (execution_id, id, ts, type, details) VALUES "
                         + ", ".join(["(?, ?, ?, ?, ?)"] * len(chunk)), [value for row in chunk for value in row])
        execution["next_event_id"] = first + len(rows)

    def save_event_counter(self, execution: dict[str, Any]) -> None:
        self.update("executions", {"id": execution["id"]}, {"next_event_id": execution["next_event_id"]})

    def events(self, execution_id: int, after_id: int, limit: int, reverse: bool = False,
               before_id: int | None = None) -> list[dict[str, Any]]:
        if reverse:
            rows = self.all(
                "SELECT id, ts, type, details FROM events WHERE execution_id = ? AND id < ? ORDER BY id DESC LIMIT ?",
                (execution_id, before_id if before_id is not None else 2**31, limit),
            )
        else:
            rows = self.all("SELECT id, ts, type, details FROM events WHERE execution_id = ? AND id > ? ORDER BY id LIMIT ?",
                            (execution_id, after_id, limit))
        for row in rows:
            row["details"] = unpack(row["details"])
        return rows

    # -- runs -----------------------------------------------------------------------------------

    def insert_run(self, execution_id: int, frame: dict[str, Any], parent_id: int | None = None,
                   child_index: int = 0, parent_fork: int = 0) -> int:
        return int(self.insert("runs", {
            "execution_id": execution_id, "parent_id": parent_id, "child_index": child_index,
            "parent_fork": parent_fork, "status": "active", "frame": pack(json.dumps(frame, separators=(",", ":"))),
        }, returning="id"))

    def run(self, run_id: int) -> dict[str, Any] | None:
        row = self.one("SELECT * FROM runs WHERE id = ?", (run_id,))
        return _run(row) if row else None

    def run_and_execution(self, run_id: int, lock: bool = False) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """A run and its execution in one read; `lock` locks the execution's row (PostgreSQL)."""
        columns = ", ".join(f"r.{column} AS run_{column}" for column in _RUN_COLUMNS)
        row = self.one(f"SELECT e.*, m.arn AS machine_arn, {columns} FROM runs r JOIN executions e ON e.id = r.execution_id "
                       f"{_MACHINE} WHERE r.id = ?"
                       + (self.locking(of="e") if lock else ""), (run_id,))
        if row is None:
            return None
        run = {column: row.pop(f"run_{column}") for column in _RUN_COLUMNS}
        return _run(run), _named(row)

    def update_run(self, run_id: int, changes: dict[str, Any]) -> None:
        """Change a run's columns (`frame` as JSON text)."""
        if "frame" in changes:
            changes = {**changes, "frame": pack(changes["frame"])}
        self.update("runs", {"id": run_id}, changes)

    def runs(self, execution_id: int) -> list[dict[str, Any]]:
        return [_run(row) for row in self.all("SELECT * FROM runs WHERE execution_id = ? ORDER BY id", (execution_id,))]

    def children(self, parent_id: int, fork: int | None = None) -> list[dict[str, Any]]:
        """The runs a Fork of `parent_id` made (all of them, or those of Fork number `fork`)."""
        if fork is None:
            rows = self.all("SELECT * FROM runs WHERE parent_id = ? ORDER BY id", (parent_id,))
        else:
            rows = self.all("SELECT * FROM runs WHERE parent_id = ? AND parent_fork = ? ORDER BY id", (parent_id, fork))
        return [_run(row) for row in rows]

    def cancel_runs(self, execution_id: int) -> None:
        self.execute("UPDATE runs SET status = 'cancelled' WHERE execution_id = ? AND status = 'active'", (execution_id,))

    # -- work -----------------------------------------------------------------------------------
    # An item is due at `due_at`. Leasing it moves `due_at` to the lease's end: a dead worker's
    # claims fall due again by themselves, and the next due time is the smallest `due_at`.

    def add_work(self, execution_id: int, run_id: int, kind: str, payload: dict[str, Any], due_at: float,
                 owner: str | None = None, now: float | None = None) -> int:
        """Record work due at `due_at`; with `owner`, leased to it until `due_at` (it runs the work now)."""
        if now is not None and due_at <= now and owner is None:
            self.notify = True
        return int(self.insert("work", {
            "execution_id": execution_id, "run_id": run_id, "kind": kind,
            "payload": json.dumps(payload, separators=(",", ":")), "due_at": due_at, "lease_owner": owner,
        }, returning="id"))

    def claim_work(self, owner: str, now: float, lease_seconds: float, limit: int) -> list[dict[str, Any]]:
        """Lease up to `limit` due items (a dead worker's claims come back when their lease ends)."""
        return self.all(
            "UPDATE work SET lease_owner = ?, due_at = ?, attempts = attempts + 1 WHERE id IN "
            "(SELECT id FROM work WHERE due_at <= ? ORDER BY due_at, id LIMIT ?" + self.store.skip_locked + ") "
            "RETURNING *",
            (owner, now + lease_seconds, now, limit),
        )

    def due_work(self, now: float, limit: int) -> list[dict[str, Any]]:
        """Up to `limit` due items with their execution's ARN, locked for this transaction (PostgreSQL)."""
        return self.all(
            "SELECT w.*, e.arn AS execution_arn FROM work w JOIN executions e ON e.id = w.execution_id "
            "WHERE w.due_at <= ? ORDER BY w.due_at, w.id LIMIT ?" + self.locking(of="w", skip_locked=True),
            (now, limit),
        )

    def next_due(self) -> float | None:
        """When the next item falls due (a leased one when its lease ends); None when there is no work."""
        row = self.one("SELECT MIN(due_at) AS due FROM work")
        return float(row["due"]) if row and row["due"] is not None else None

    def lease_owners(self, now: float) -> list[str]:
        """The workers holding live leases."""
        rows = self.all("SELECT DISTINCT lease_owner FROM work WHERE lease_owner IS NOT NULL AND due_at > ?", (now,))
        return [row["lease_owner"] for row in rows]

    def release_leases(self, owner: str, now: float) -> int:
        """Make `owner`'s claims due now for any worker (a dead worker's, or a process that runs no workers)."""
        released = int(self.execute(
            "UPDATE work SET lease_owner = NULL, due_at = ? WHERE lease_owner = ?", (now, owner)).rowcount)
        if released:
            self.notify = True
        return released

    def renew_leases(self, owner: str, work_ids: list[int], until: float) -> None:
        for work_id in work_ids:
            self.execute("UPDATE work SET due_at = ? WHERE id = ? AND lease_owner = ?", (until, work_id, owner))

    def lease_work(self, work_id: int, owner: str, until: float) -> None:
        self.execute("UPDATE work SET lease_owner = ?, due_at = ?, attempts = attempts + 1 WHERE id = ?",
                     (owner, until, work_id))

    def held_work(self, work_id: int, owner: str) -> dict[str, Any] | None:
        """The item `work_id` with its execution's ARN if `owner` holds it still."""
        return self.one("SELECT w.*, e.arn AS execution_arn FROM work w JOIN executions e ON e.id = w.execution_id "
                        "WHERE w.id = ? AND w.lease_owner = ?", (work_id, owner))

    def take_work(self, work_id: int, owner: str) -> bool:
        """Delete an item `owner` holds; False when it is gone or another worker holds it now."""
        return bool(self.execute("DELETE FROM work WHERE id = ? AND lease_owner = ?", (work_id, owner)).rowcount)

    def delete_work(self, work_ids: list[int]) -> None:
        for start in range(0, len(work_ids), 500):
            chunk = work_ids[start:start + 500]
            self.execute(f"DELETE FROM work WHERE id IN ({', '.join('?' * len(chunk))})", chunk)

    # A run or execution that moved on drops its pending work, but not the items a worker holds locked right now:
    # waiting for them would invert the worker's lock order (work, then execution) and deadlock. That worker
    # finds its item stale (an older generation) and drops it itself.

    def delete_run_work(self, run_id: int) -> None:
        self.execute("DELETE FROM work WHERE id IN (SELECT id FROM work WHERE run_id = ?" + self.store.skip_locked + ")",
                     (run_id,))

    def delete_execution_work(self, execution_id: int) -> None:
        self.execute("DELETE FROM work WHERE id IN (SELECT id FROM work WHERE run_id IN "
                     "(SELECT id FROM runs WHERE execution_id = ?)" + self.store.skip_locked + ")", (execution_id,))

    def heartbeat_seconds(self, run_id: int) -> int | None:
        """The heartbeat timeout of the task `run_id` waits on, from its pending heartbeat check."""
        row = self.one("SELECT payload FROM work WHERE run_id = ? AND kind = 'event' AND payload LIKE ?",
                       (run_id, '%"heartbeat"%'))
        return json.loads(row["payload"]).get("seconds") if row else None

    def count_work(self) -> int:
        row = self.one("SELECT COUNT(*) AS n FROM work")
        return int(row["n"]) if row else 0

    # -- task tokens (stored as SHA-256 hashes, 32 raw bytes; hex outside the store) and activity tasks

    def insert_token(self, values: dict[str, Any]) -> None:
        """Record a waiting token: `hash` in hex, `parameters` as JSON text."""
        self.insert("tokens", {**values, "hash": bytes.fromhex(values["hash"]), "parameters": _packed(values.get("parameters")),
                               "status": "waiting"})

    def token(self, token_hash: str, lock: bool = False) -> dict[str, Any] | None:
        return _token(self.one("SELECT * FROM tokens WHERE hash = ?" + (self.store.for_update if lock else ""),
                               (bytes.fromhex(token_hash),)))

    def waiting_token(self, execution_id: int, run_id: int, task_id: int) -> dict[str, Any] | None:
        return _token(self.one("SELECT * FROM tokens WHERE execution_id = ? AND run_id = ? AND task_id = ? AND status = 'waiting'",
                               (execution_id, run_id, task_id)))

    def set_token(self, token_hash: str, changes: dict[str, Any]) -> None:
        self.update("tokens", {"hash": bytes.fromhex(token_hash)}, changes)

    def reissue_token(self, execution_id: int, run_id: int, task_id: int, token_hash: str) -> bool:
        """Give a waiting task a new token (its invocation is repeated); False when it waits no more."""
        return bool(self.execute(
            "UPDATE tokens SET hash = ? WHERE execution_id = ? AND run_id = ? AND task_id = ? AND status = 'waiting'",
            (bytes.fromhex(token_hash), execution_id, run_id, task_id),
        ).rowcount)

    def close_tasks(self, execution_id: int, run_id: int | None = None, task_id: int | None = None) -> None:
        """Close the tokens and activity tasks still open for an execution (or one run, or one task of a run)."""
        where = "execution_id = ?" + (" AND run_id = ?" if run_id is not None else "") + (
            " AND task_id = ?" if task_id is not None else "")
        params = [value for value in (execution_id, run_id, task_id) if value is not None]
        self.execute(f"UPDATE tokens SET status = 'closed' WHERE {where} AND status = 'waiting'", params)
        self.execute(f"UPDATE activity_tasks SET status = 'closed' WHERE {where} AND status <> 'closed'", params)

    def count_waiting_tokens(self) -> int:
        row = self.one("SELECT COUNT(*) AS n FROM tokens WHERE status = 'waiting'")
        return int(row["n"]) if row else 0

    def waiting_tokens(self, limit: int, after: float | None = None) -> list[dict[str, Any]]:
        return [_token(row) for row in self.all(
            _TASKS + " WHERE t.status = 'waiting' AND (CAST(? AS DOUBLE PRECISION) IS NULL OR t.created_at < ?) ORDER BY t.created_at DESC LIMIT ?",
            (after, after, limit),
        )]

    def execution_waiting_tokens(self, execution_arn: str, limit: int, after: float | None = None) -> list[dict[str, Any]]:
        """`waiting_tokens` of one execution (the index `tokens_by_task` finds them)."""
        return [_token(row) for row in self.all(
            _TASKS + " WHERE e.arn = ? AND t.status = 'waiting' AND (CAST(? AS DOUBLE PRECISION) IS NULL OR t.created_at < ?) "
            "ORDER BY t.created_at DESC LIMIT ?",
            (execution_arn, after, after, limit),
        )]

    def waiting_task(self, token_hash: str) -> dict[str, Any] | None:
        """The token `token_hash` while it waits, with its execution's ARN and machine (the inbox's task)."""
        if not re.fullmatch(r"[0-9a-f]{64}", token_hash):
            return None  # no task's id
        return _token(self.one(
            _TASKS + " WHERE t.hash = ? AND t.status = 'waiting'", (bytes.fromhex(token_hash),)))

    def insert_activity_task(self, values: dict[str, Any]) -> None:
        self.insert("activity_tasks", {**values, "status": "pending"})

    def take_activity_task(self, activity_arn: str) -> dict[str, Any] | None:
        """The oldest pending task of `activity_arn`, marked started (locked against other pollers)."""
        task = self.one("SELECT * FROM activity_tasks WHERE activity_arn = ? AND status = 'pending' ORDER BY id LIMIT 1"
                        + self.store.skip_locked, (activity_arn,))
        if task is not None:
            self.update("activity_tasks", {"id": task["id"]}, {"status": "started"})
        return task


_RUN_COLUMNS = ("id", "execution_id", "parent_id", "child_index", "parent_fork", "generation", "fork_generation",
                "status", "frame")
_EXECUTION_DEFAULTS = {"version_arn": None, "alias_arn": None, "output": None, "error": None, "cause": None,
                       "stopped_at": None, "redrive_count": 0, "redrive_at": None, "parent": None, "next_event_id": 1}


def _packed(text: str | None) -> bytes | None:
    return pack(text) if text is not None else None


def _run(row: dict[str, Any]) -> dict[str, Any]:
    """A run row with its frame as JSON text."""
    row["frame"] = unpack(row["frame"])
    return row


def _token(row: dict[str, Any] | None) -> Any:
    """A token row as the store's callers see it: the hash in hex, the parameters as JSON text."""
    if row is not None:
        row["hash"] = bytes(row["hash"]).hex()
        row["parameters"] = unpack(row["parameters"])
    return row


_MACHINE = "JOIN machine_arns m ON m.id = e.machine_id"  # an execution's machine ARN is stored once
_TASKS = ("SELECT t.*, e.arn AS execution_arn, m.arn AS machine_arn FROM tokens t JOIN executions e ON e.id = t.execution_id "
          + _MACHINE)


def _named(row: dict[str, Any]) -> dict[str, Any]:
    """An execution row with its name, the 8th part of its ARN (`...:execution:machine:name`, `...:express:machine:name:id`)."""
    row.pop("machine_id", None)
    row["name"] = row["arn"].split(":")[7]
    return row


class Store:
    """A database: connections, transactions, migrations, wake-ups. Subclasses choose the dialect."""

    dialect = "sqlite"
    for_update = ""
    skip_locked = ""
    # Errors after which the same transaction, run again, may well succeed (PostgreSQL's deadlock victims).
    transient_errors: tuple[type[Exception], ...] = ()

    def __init__(self, url: str):
        self.url = url
        self._wake = threading.Condition()
        self._generation = 0
        self._work = threading.Condition()
        self._work_signals = 0
        self.interned: dict[tuple[str, str], int] = {}  # ids of committed definitions and machine ARNs (never change)

    # dialect hooks
    def _connect(self) -> Any:
        raise NotImplementedError

    @contextlib.contextmanager
    def _connection(self, write: bool = True) -> Iterator[Any]:
        raise NotImplementedError

    def _execute(self, connection: Any, sql: str, params: tuple | list) -> Any:
        raise NotImplementedError

    def _row(self, row: Any) -> dict[str, Any] | None:
        return dict(row) if row is not None else None

    def _begin(self, connection: Any, write: bool = True) -> None:
        raise NotImplementedError

    def _commit(self, connection: Any) -> None:
        connection.commit()

    def _rollback(self, connection: Any) -> None:
        connection.rollback()

    @contextlib.contextmanager
    def transaction(self, write: bool = True) -> Iterator[Tx]:
        """A transaction that commits on success and rolls back on any exception.

        `write=False` promises only reads: on SQLite it then neither waits for nor holds up the writer.
        """
        with self._connection(write) as connection:
            self._begin(connection, write)
            tx = Tx(self, connection)
            try:
                yield tx
            except BaseException:
                self._rollback(connection)
                raise
            self._commit(connection)
        for callback in tx.committed:
            callback()
        if tx.notify:
            self.wake()

    # Wake-ups. Whoever waits for a change (a long poll, `wait_for_execution`) waits on the generation;
    # idle workers wait for work, one at a time: new work wakes one worker, and a worker that finds a
    # full batch wakes the next (waking them all made most claim nothing). Commits that add due work
    # wake both, in this process and (PostgreSQL, through NOTIFY) in others.
    def wake(self, work: bool = True) -> None:
        with self._wake:
            self._generation += 1
            self._wake.notify_all()
        if work:
            self.wake_worker()

    def wake_worker(self, count: int = 1) -> None:
        """Wake `count` idle workers (one for new work; all of them to stop)."""
        with self._work:
            self._work_signals = max(self._work_signals, count)
            self._work.notify(count)

    def wait_for_work(self, timeout: float) -> bool:
        """An idle worker sleeps here until `wake_worker` or `timeout`; True when woken."""
        with self._work:
            woken = self._work.wait_for(lambda: self._work_signals > 0, timeout=max(0.0, timeout))
            if woken:
                self._work_signals -= 1
            return woken

    @property
    def generation(self) -> int:
        """Counts wake-ups; pass it to `wait(since=...)` to not miss one that comes before waiting."""
        return self._generation

    def wait(self, timeout: float, since: int | None = None) -> bool:
        """Sleep until a wake-up (after `since`, or from now) or `timeout`; True when woken."""
        with self._wake:
            generation = self._generation if since is None else since
            return self._wake.wait_for(lambda: self._generation != generation, timeout=max(0.0, timeout))

    def migrate(self, only: Collection[str] | None = None) -> list[str]:
        """Apply the migrations not yet applied, in order (`only`: of these; tests build older schemas);
        returns their names."""
        folder = resources.files("sojourn.store") / "migrations" / self.dialect
        names = sorted(entry.name for entry in folder.iterdir()
                       if entry.name.endswith(".sql") and (only is None or entry.name in only))
        applied: list[str] = []
        with self.transaction() as tx:
            self._lock_migrations(tx)
            tx.execute("CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at DOUBLE PRECISION)")
            done = {row["name"] for row in tx.all("SELECT name FROM schema_migrations")}
            for name in names:
                if name in done:
                    continue
                script = (folder / name).read_text(encoding="utf-8")
                for statement in _statements(script):
                    tx.execute(statement)
                tx.execute("INSERT INTO schema_migrations (name, applied_at) VALUES (?, 0)", (name,))
                applied.append(name)
        return applied

    def _lock_migrations(self, tx: Tx) -> None:
        """Serialise migrations between processes starting together."""

    def close(self) -> None:
        """Release connections."""

    def start_listening(self, stop: threading.Event) -> threading.Event:
        """PostgreSQL: wake this process's workers on NOTIFY from others; the event is set once listening."""
        ready = threading.Event()
        ready.set()  # SQLite serves one process: in-process wake-ups suffice
        return ready


def database_exists(url: str) -> bool:
    """False when `url` names a SQLite file that is not there (opening it would create it); True otherwise
    (an in-memory SQLite database, or PostgreSQL, whose server says whether the database exists)."""
    if not url.startswith("sqlite:"):
        return True
    from sojourn.store.sqlite import sqlite_path

    path = sqlite_path(url)
    return path == ":memory:" or Path(path).is_file()


def _statements(script: str) -> list[str]:
    text = re.sub(r"--[^\n]*", "", script)
    return [statement.strip() for statement in text.split(";") if statement.strip()]


def open_store(url: str, *, migrate: bool = True) -> Store:
    """The store for `url`: `sqlite:///path/to/file.db` or `postgresql://user@host:port/db[?schema=name]`."""
    if url.startswith("sqlite:"):
        from sojourn.store.sqlite import SqliteStore

        store: Store = SqliteStore(url)
    elif url.startswith(("postgresql:", "postgres:")):
        from sojourn.store.postgres import PostgresStore

        store = PostgresStore(url)
    else:
        raise ValueError(f"Unsupported database URL '{url}': use sqlite:///path.db or postgresql://...")
    if migrate:
        store.migrate()
    return store
