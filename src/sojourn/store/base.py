"""The store: one narrow interface over SQLite (default) and PostgreSQL (several workers).

`open_store(db_url)` gives a Store; `store.transaction()` gives a `Tx` that speaks the domain's verbs
(`tx.execution(arn)`, `tx.claim_work(...)`, `tx.enqueue_mail(...)`) and returns the typed rows of
`sojourn.store.rows`. The verbs are grouped by aggregate, a module each (machines, tags, activities,
executions, history, runs, work, tokens, mail, apps; observed: the reads behind `/metrics`' gauges); their
SQL, written once with `?` placeholders (the PostgreSQL store rewrites them to `%s`), is the only SQL in
Sojourn. Work and mail are claimed with
leases (`leases.py`; `FOR UPDATE SKIP LOCKED` on PostgreSQL) so several processes share one database;
PostgreSQL's LISTEN/NOTIFY wakes idle workers, SQLite serves one process.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from sojourn import metrics
from sojourn.store.activities import ActivityVerbs
from sojourn.store.apps import AppVerbs
from sojourn.store.executions import ExecutionVerbs
from sojourn.store.history import HistoryVerbs
from sojourn.store.humantasks import HumanTaskVerbs
from sojourn.store.machines import MachineVerbs
from sojourn.store.mail import MailVerbs
from sojourn.store.observed import ObservedVerbs
from sojourn.store.portal import PortalVerbs
from sojourn.store.retention import RetentionVerbs
from sojourn.store.runs import RunVerbs
from sojourn.store.schedules import ScheduleVerbs
from sojourn.store.tags import TagVerbs
from sojourn.store.tokens import TokenVerbs
from sojourn.store.webhooks import WebhookVerbs
from sojourn.store.work import WorkVerbs

__all__ = [
    "InvalidStoreValue",
    "SchemaTooNew",
    "Store",
    "StoreUnavailable",
    "Tx",
    "database_exists",
    "open_store",
]

NOTIFY_CHANNEL = "sojourn_work"


class StoreUnavailable(Exception):
    """The database cannot be reached for now (down, restarting, no free connection): try again later."""


class SchemaTooNew(ValueError):
    """The database was migrated by a newer Sojourn: this one does not know its schema and must not write to
    it (it could undo or corrupt what the newer one wrote)."""


class InvalidStoreValue(ValueError):
    """A value the database cannot hold (PostgreSQL's text cannot contain NUL; integers beyond 64 bits)."""


class Tx(
    MachineVerbs,
    TagVerbs,
    ActivityVerbs,
    ExecutionVerbs,
    HistoryVerbs,
    RunVerbs,
    WorkVerbs,
    TokenVerbs,
    MailVerbs,
    WebhookVerbs,
    AppVerbs,
    HumanTaskVerbs,
    PortalVerbs,
    RetentionVerbs,
    ObservedVerbs,
    ScheduleVerbs,
):
    """One transaction, speaking the store's verbs; each aggregate's verbs live in a module of their own."""

    def __init__(self, store: Store, connection: Any):
        super().__init__(store, connection)
        self._savepoints: list[
            int
        ] = []  # for each open savepoint: how many `committed` callbacks preceded it

    @contextlib.contextmanager
    def savepoint(self) -> Iterator[None]:
        """A nested transaction: an exception inside undoes only what was done inside."""
        name = f"s{len(self._savepoints)}"
        self._savepoints.append(len(self.committed))
        self._execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            self._execute(f"ROLLBACK TO SAVEPOINT {name}")
            del self.committed[self._savepoints[-1] :]  # what was undone must not be remembered
            raise
        finally:
            self._savepoints.pop()
        self._execute(f"RELEASE SAVEPOINT {name}")


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
        # Called in the transaction of every human task event when webhooks want them
        # (sojourn.webhooks.events.human_task_listener): (tx, {task_id, id, at, kind, actor, details}).
        self.human_task_listener: Callable[[Tx, dict[str, Any]], None] | None = None
        self.interned: dict[
            tuple[str, str], int
        ] = {}  # ids of committed definitions and machine ARNs (never change)

    # dialect hooks
    def _connect(self) -> Any:
        raise NotImplementedError

    @contextlib.contextmanager
    def _connection(self, write: bool = True) -> Iterator[Any]:
        raise NotImplementedError

    def _execute(self, connection: Any, sql: str, params: Sequence[Any]) -> Any:
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
        with (
            self._connection(write) as connection,
            metrics.DB_TRANSACTION_SECONDS.labels("write" if write else "read").time(),
        ):
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
        scripts = migration_scripts(self.dialect)
        names = sorted(name for name in scripts if only is None or name in only)
        applied: list[str] = []
        with self.transaction() as tx:
            self._lock_migrations(tx)
            tx._execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(name TEXT PRIMARY KEY, applied_at DOUBLE PRECISION)"
            )
            done = {row["name"] for row in tx._all("SELECT name FROM schema_migrations")}
            unknown = sorted(done - set(scripts))
            if unknown:
                raise SchemaTooNew(
                    f"the database was migrated by a newer Sojourn (migrations this one does not know: "
                    f"{', '.join(unknown)}); upgrade Sojourn, or restore a backup taken before the upgrade"
                )
            for name in names:
                if name in done:
                    continue
                script = scripts[name].read_text(encoding="utf-8")
                for statement in _statements(script):
                    tx._execute(statement)
                tx._execute("INSERT INTO schema_migrations (name, applied_at) VALUES (?, 0)", (name,))
                applied.append(name)
        return applied

    def pending_migrations(self) -> list[str]:
        """The migrations this Sojourn would apply to the database (none when it is up to date);
        SchemaTooNew when a newer Sojourn migrated it. Changes nothing."""
        scripts = migration_scripts(self.dialect)
        with self.transaction(write=False) as tx:
            try:
                with tx.savepoint():
                    done = {row["name"] for row in tx._all("SELECT name FROM schema_migrations")}
            except Exception:  # a database no Sojourn has opened (no such table): every migration is pending
                return sorted(scripts)
        unknown = sorted(done - set(scripts))
        if unknown:
            raise SchemaTooNew(
                f"the database was migrated by a newer Sojourn (migrations this one does not know: "
                f"{', '.join(unknown)})"
            )
        return sorted(set(scripts) - done)

    def _lock_migrations(self, tx: Tx) -> None:
        """Serialise migrations between processes starting together."""

    def describe_schema(self) -> dict[str, Any]:
        """The tables with their columns, indexes and constraints, as the database reports them (a migrated
        database must report what a fresh one does)."""
        with self.transaction(write=False) as tx:
            return self._schema(tx)

    def _schema(self, tx: Tx) -> dict[str, Any]:
        raise NotImplementedError

    def stored_bytes(self) -> int:
        """Bytes the database holds (the benchmark's size figure)."""
        raise NotImplementedError

    def backup(self, destination: str) -> None:
        """A consistent copy of the database at `destination`, taken while it serves (SQLite)."""
        raise NotImplementedError("back up PostgreSQL with pg_dump (see docs/operating.md)")

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


def migration_scripts(dialect: str, root: Traversable | None = None) -> dict[str, Traversable]:
    """The migrations `dialect` runs, by name: its own folder's and those of `shared/` (SQL both dialects read
    alike, such as `ALTER TABLE executions ADD COLUMN ...`); names order them across both folders."""
    root = root or resources.files("sojourn.store") / "migrations"
    scripts: dict[str, Traversable] = {}
    for folder in (root / dialect, root / "shared"):
        if not folder.is_dir():
            continue
        for entry in folder.iterdir():
            if entry.name.endswith(".sql"):
                if entry.name in scripts:
                    raise ValueError(f"Migration {entry.name} is both {dialect}'s and shared")
                scripts[entry.name] = entry
    return scripts


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
