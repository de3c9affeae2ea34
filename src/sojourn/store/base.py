"""The store: one small interface over SQLite (default) and PostgreSQL (several workers).

`open_store(db_url)` gives a Store; `store.transaction()` gives a `Tx` whose methods are the only SQL
in Sojourn's runtime. SQL is written once with `?` placeholders; the PostgreSQL store rewrites them
to `%s`. Work is claimed with leases (`FOR UPDATE SKIP LOCKED` on PostgreSQL) so several workers can
share one database; PostgreSQL's LISTEN/NOTIFY wakes idle workers, SQLite serves one process.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
from collections.abc import Iterator
from importlib import resources
from typing import Any

__all__ = ["Store", "Tx", "open_store"]

NOTIFY_CHANNEL = "sojourn_work"


class Tx:
    """One transaction. Rows come back as dicts."""

    def __init__(self, store: Store, connection: Any):
        self.store = store
        self.connection = connection
        self.notify = False  # set when new work is due now: the store wakes the workers after commit

    # -- raw SQL (for store modules only) ---------------------------------------------------------

    def execute(self, sql: str, params: tuple | list = ()) -> Any:
        return self.store._execute(self.connection, sql, params)

    def one(self, sql: str, params: tuple | list = ()) -> dict[str, Any] | None:
        row = self.execute(sql, params).fetchone()
        return self.store._row(row)

    def all(self, sql: str, params: tuple | list = ()) -> list[dict[str, Any]]:
        rows = (self.store._row(row) for row in self.execute(sql, params).fetchall())
        return [row for row in rows if row is not None]

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
            "SELECT * FROM state_machines WHERE (? IS NULL OR name > ?) ORDER BY name LIMIT ?", (after, after, limit)
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

    # -- executions -----------------------------------------------------------------------------

    def execution(self, arn: str, lock: bool = False) -> dict[str, Any] | None:
        return self.one("SELECT * FROM executions WHERE arn = ?" + (self.store.for_update if lock else ""), (arn,))

    def execution_by_name(self, machine_arn: str, name: str) -> dict[str, Any] | None:
        return self.one("SELECT * FROM executions WHERE machine_arn = ? AND name = ?", (machine_arn, name))

    def next_seq(self) -> int:
        row = self.one("SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM executions")
        return int(row["seq"]) if row else 1

    def list_executions(
        self, machine_arn: str | None, status: str | None, before_seq: int | None, limit: int,
        version_arn: str | None = None, alias_arn: str | None = None,
        started_after: float | None = None, started_before: float | None = None,
    ) -> list[dict[str, Any]]:
        """Newest first (keyset on `seq`); `started_after`/`started_before` bound the start time (inclusive/exclusive)."""
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in (("machine_arn", machine_arn), ("status", status), ("version_arn", version_arn), ("alias_arn", alias_arn)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        for clause, value in (("seq < ?", before_seq), ("started_at >= ?", started_after), ("started_at < ?", started_before)):
            if value is not None:
                clauses.append(clause)
                params.append(value)
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        columns = "arn, machine_arn, version_arn, alias_arn, name, status, started_at, stopped_at, redrive_count, redrive_at, seq"
        return self.all(f"SELECT {columns} FROM executions{where} ORDER BY seq DESC LIMIT ?", (*params, limit))

    # -- history --------------------------------------------------------------------------------

    def append_event(self, execution: dict[str, Any], ts: float, type: str, details: dict[str, Any] | None) -> int:
        """Append one event with the next id; `execution` is the locked row, kept in step."""
        self.append_events(execution, ts, [(type, details)])
        return int(execution["next_event_id"]) - 1

    def append_events(self, execution: dict[str, Any], ts: float,
                      events: list[tuple[str, dict[str, Any] | None]]) -> None:
        """Append events with the next ids, in one statement; `execution` is the locked row, kept in step."""
        first = execution["next_event_id"]
        rows = [
            (execution["arn"], event_id, event_id - 1, ts, type,
             json.dumps(details, separators=(",", ":")) if details is not None else None)
            for event_id, (type, details) in enumerate(events, start=first)
        ]
        # multi-row VALUES: one round trip to PostgreSQL per 500 events (SQLite takes 32,766 parameters at most)
        for start in range(0, len(rows), 500):
            chunk = rows[start:start + 500]
            self.execute("INSERT INTO events (execution_arn, id, previous_id, ts, type, details) VALUES "
                         + ", ".join(["(?, ?, ?, ?, ?, ?)"] * len(chunk)), [value for row in chunk for value in row])
        execution["next_event_id"] = first + len(rows)

    def save_event_counter(self, execution: dict[str, Any]) -> None:
        self.update("executions", {"arn": execution["arn"]}, {"next_event_id": execution["next_event_id"]})

    def events(self, arn: str, after_id: int, limit: int, reverse: bool = False, before_id: int | None = None) -> list[dict[str, Any]]:
        if reverse:
            return self.all(
                "SELECT * FROM events WHERE execution_arn = ? AND id < ? ORDER BY id DESC LIMIT ?",
                (arn, before_id if before_id is not None else 2**62, limit),
            )
        return self.all("SELECT * FROM events WHERE execution_arn = ? AND id > ? ORDER BY id LIMIT ?", (arn, after_id, limit))

    # -- runs -----------------------------------------------------------------------------------

    def run(self, run_id: int) -> dict[str, Any] | None:
        return self.one("SELECT * FROM runs WHERE id = ?", (run_id,))

    def runs(self, execution_arn: str) -> list[dict[str, Any]]:
        return self.all("SELECT * FROM runs WHERE execution_arn = ? ORDER BY id", (execution_arn,))

    def children(self, parent_id: int) -> list[dict[str, Any]]:
        return self.all("SELECT * FROM runs WHERE parent_id = ? ORDER BY id", (parent_id,))

    # -- work -----------------------------------------------------------------------------------

    def add_work(self, execution_arn: str, run_id: int, kind: str, payload: dict[str, Any], due_at: float,
                 owner: str | None = None, lease_until: float = 0, now: float | None = None) -> int:
        if now is not None and due_at <= now and owner is None:
            self.notify = True
        return int(self.insert("work", {
            "execution_arn": execution_arn, "run_id": run_id, "kind": kind,
            "payload": json.dumps(payload, separators=(",", ":")), "due_at": due_at,
            "lease_owner": owner, "lease_until": lease_until,
        }, returning="id"))

    def claim_work(self, owner: str, now: float, lease_seconds: float, limit: int) -> list[dict[str, Any]]:
        """Take up to `limit` due items whose lease is free or expired (a dead worker's claims come back)."""
        rows = self.all(
            "SELECT id FROM work WHERE due_at <= ? AND lease_until <= ? ORDER BY due_at, id LIMIT ?" + self.store.skip_locked,
            (now, now, limit),
        )
        claimed = []
        for row in rows:
            item = self.one(
                "UPDATE work SET lease_owner = ?, lease_until = ?, attempts = attempts + 1 "
                "WHERE id = ? AND lease_until <= ? RETURNING *",
                (owner, now + lease_seconds, row["id"], now),
            )
            if item is not None:
                claimed.append(item)
        return claimed

    def lease_owners(self, now: float) -> list[dict[str, Any]]:
        """The workers holding live leases."""
        return self.all("SELECT DISTINCT lease_owner FROM work WHERE lease_owner IS NOT NULL AND lease_until > ?", (now,))

    def release_leases(self, owner: str) -> int:
        """Make a dead worker's claims due again for any worker; returns how many."""
        released = int(self.execute(
            "UPDATE work SET lease_owner = NULL, lease_until = 0 WHERE lease_owner = ?", (owner,)).rowcount)
        if released:
            self.notify = True
        return released

    def due_work(self, now: float, limit: int) -> list[dict[str, Any]]:
        """Up to `limit` due items whose lease is free or expired, locked for this transaction (PostgreSQL)."""
        return self.all(
            "SELECT * FROM work WHERE due_at <= ? AND lease_until <= ? ORDER BY due_at, id LIMIT ?" + self.store.skip_locked,
            (now, now, limit),
        )

    def has_due_work(self, now: float) -> bool:
        return self.one("SELECT 1 AS due FROM work WHERE due_at <= ? AND lease_until <= ? LIMIT 1", (now, now)) is not None

    def lease_work(self, work_id: int, owner: str, until: float) -> None:
        self.execute("UPDATE work SET lease_owner = ?, lease_until = ?, attempts = attempts + 1 WHERE id = ?",
                     (owner, until, work_id))

    def holds_work(self, work_id: int, owner: str) -> bool:
        return self.one("SELECT id FROM work WHERE id = ? AND lease_owner = ?", (work_id, owner)) is not None

    def take_work(self, work_id: int, owner: str) -> bool:
        """Delete an item `owner` holds; False when it is gone or another worker holds it now."""
        return bool(self.execute("DELETE FROM work WHERE id = ? AND lease_owner = ?", (work_id, owner)).rowcount)

    def next_due(self) -> float | None:
        row = self.one("SELECT MIN(CASE WHEN lease_until > due_at THEN lease_until ELSE due_at END) AS due FROM work")
        return float(row["due"]) if row and row["due"] is not None else None

    def delete_work(self, work_id: int) -> None:
        self.execute("DELETE FROM work WHERE id = ?", (work_id,))

    def delete_run_work(self, run_ids: list[int]) -> None:
        for run_id in run_ids:
            self.execute("DELETE FROM work WHERE run_id = ?", (run_id,))

    # -- task tokens ----------------------------------------------------------------------------

    def token(self, token_hash: str, lock: bool = False) -> dict[str, Any] | None:
        return self.one("SELECT * FROM tokens WHERE hash = ?" + (self.store.for_update if lock else ""), (token_hash,))

    def reissue_token(self, execution_arn: str, run_id: int, task_id: int, token_hash: str) -> bool:
        """Give a waiting task a new token (its invocation is repeated); False when it waits no more."""
        return bool(self.execute(
            "UPDATE tokens SET hash = ? WHERE execution_arn = ? AND run_id = ? AND task_id = ? AND status = 'waiting'",
            (token_hash, execution_arn, run_id, task_id),
        ).rowcount)

    def close_tokens(self, execution_arn: str, task_id: int | None = None, status: str = "done") -> None:
        if task_id is None:
            self.execute("UPDATE tokens SET status = ? WHERE execution_arn = ? AND status = 'waiting'", (status, execution_arn))
        else:
            self.execute(
                "UPDATE tokens SET status = ? WHERE execution_arn = ? AND task_id = ? AND status = 'waiting'",
                (status, execution_arn, task_id),
            )

    def count_waiting_tokens(self) -> int:
        row = self.one("SELECT COUNT(*) AS n FROM tokens WHERE status = 'waiting'")
        return int(row["n"]) if row else 0

    def count_work(self) -> int:
        row = self.one("SELECT COUNT(*) AS n FROM work")
        return int(row["n"]) if row else 0

    def waiting_tokens(self, limit: int, after: float | None = None) -> list[dict[str, Any]]:
        return self.all(
            "SELECT t.*, e.machine_arn FROM tokens t JOIN executions e ON e.arn = t.execution_arn "
            "WHERE t.status = 'waiting' AND (? IS NULL OR t.created_at < ?) ORDER BY t.created_at DESC LIMIT ?",
            (after, after, limit),
        )

    def execution_waiting_tokens(self, execution_arn: str, limit: int, after: float | None = None) -> list[dict[str, Any]]:
        """`waiting_tokens` of one execution (the index `tokens_by_task` finds them)."""
        return self.all(
            "SELECT t.*, e.machine_arn FROM tokens t JOIN executions e ON e.arn = t.execution_arn "
            "WHERE t.execution_arn = ? AND t.status = 'waiting' AND (? IS NULL OR t.created_at < ?) "
            "ORDER BY t.created_at DESC LIMIT ?",
            (execution_arn, after, after, limit),
        )


class Store:
    """A database: connections, transactions, migrations, wake-ups. Subclasses choose the dialect."""

    dialect = "sqlite"
    for_update = ""
    skip_locked = ""

    def __init__(self, url: str):
        self.url = url
        self._wake = threading.Condition()
        self._generation = 0

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
        if tx.notify:
            self.wake()

    # wake-ups: idle workers wait here; new due work anywhere in the process (or, on PostgreSQL,
    # from another process through NOTIFY) wakes them
    def wake(self) -> None:
        with self._wake:
            self._generation += 1
            self._wake.notify_all()

    @property
    def generation(self) -> int:
        """Counts wake-ups; pass it to `wait(since=...)` to not miss one that comes before waiting."""
        return self._generation

    def wait(self, timeout: float, since: int | None = None) -> bool:
        """Sleep until a wake-up (after `since`, or from now) or `timeout`; True when woken."""
        with self._wake:
            generation = self._generation if since is None else since
            return self._wake.wait_for(lambda: self._generation != generation, timeout=max(0.0, timeout))

    def migrate(self) -> list[str]:
        """Apply the migrations not yet applied, in order; returns their names."""
        folder = resources.files("sojourn.store") / "migrations" / self.dialect
        names = sorted(entry.name for entry in folder.iterdir() if entry.name.endswith(".sql"))
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
