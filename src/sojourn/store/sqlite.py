"""SQLite: one file, WAL, zero set-up. One connection per thread; writes take the lock up front."""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sojourn.store.base import InvalidStoreValue, Store, Tx

__all__ = ["SqliteStore", "sqlite_path"]

CHECKPOINT_DELAY = 0.5  # seconds between a write and the checkpoint that follows it


def _sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _hex_blob(text: str) -> bytes:
    return bytes.fromhex(text)


def sqlite_path(url: str) -> str:
    """The file a `sqlite:` URL names (SQLAlchemy's convention: sqlite:///relative.db, sqlite:////abs.db)."""
    return url.removeprefix("sqlite:").removeprefix("///") or ":memory:"


class SqliteStore(Store):
    dialect = "sqlite"

    def __init__(self, url: str):
        super().__init__(url)
        self.path = sqlite_path(url)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        # SQLite has one writer at a time. Threads of this process queue here for it: SQLite's own busy
        # handler sleeps 1 to 100 ms between tries, which left a waiting worker idle with the lock free
        self._writer = threading.Lock()
        self._written = threading.Event()  # set by commits: the checkpointer has work
        self._closing = threading.Event()
        self._checkpointer: threading.Thread | None = None

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        connection.row_factory = sqlite3.Row
        # migrations hash stored text as PostgreSQL's sha256() does
        connection.create_function("sha256_hex", 1, _sha256_hex, deterministic=True)
        connection.create_function(
            "hex_blob", 1, _hex_blob, deterministic=True
        )  # migration 0004: hashes as bytes
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        # checkpoints (and their fsyncs) run in the checkpointer thread, not inside commits;
        # this is a backstop
        connection.execute("PRAGMA wal_autocheckpoint=10000")
        connection.execute("PRAGMA busy_timeout=30000")
        connection.execute("PRAGMA foreign_keys=ON")
        with self._all_lock:
            self._all.append(connection)
        return connection

    @contextlib.contextmanager
    def _connection(self, write: bool = True) -> Iterator[sqlite3.Connection]:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = self._connect()
        if not write:  # WAL: readers see the last commit and never wait
            yield connection
            return
        with self._writer:
            yield connection

    def _begin(self, connection: sqlite3.Connection, write: bool = True) -> None:
        connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")

    def _commit(self, connection: sqlite3.Connection) -> None:
        connection.execute("COMMIT")
        if self._checkpointer is None and self.path != ":memory:":
            with self._all_lock:
                if self._checkpointer is None:
                    self._checkpointer = threading.Thread(
                        target=self._checkpoint, name="sojourn-checkpoint", daemon=True
                    )
                    self._checkpointer.start()
        self._written.set()

    def _checkpoint(self) -> None:
        """Copy the WAL back into the database a moment after writes, off the commit path (it fsyncs)."""
        connection = self._connect()
        while self._written.wait() and not self._closing.wait(CHECKPOINT_DELAY):
            self._written.clear()
            with contextlib.suppress(sqlite3.Error):
                connection.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def _rollback(self, connection: sqlite3.Connection) -> None:
        if connection.in_transaction:
            connection.execute("ROLLBACK")

    def _execute(self, connection: sqlite3.Connection, sql: str, params: Any) -> Any:
        try:
            return connection.execute(sql, tuple(params))
        except OverflowError as e:  # an integer beyond SQLite's 64 bits: the caller's value
            raise InvalidStoreValue(str(e)) from e

    def _row(self, row: sqlite3.Row | None) -> dict[str, Any] | None:
        return (
            dict(zip(row.keys(), row, strict=True)) if row is not None else None
        )  # 3x faster than dict(row)

    def _schema(self, tx: Tx) -> dict[str, Any]:
        tables = tx._all(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
        return {table["name"]: _table_schema(tx, table["name"]) for table in tables}

    def backup(self, destination: str) -> None:
        """SQLite's online backup API in one step: it reads one snapshot (in WAL mode writers go on
        meanwhile; copying in steps would start again at each write by another connection), written to a
        temporary file first, so a failed copy leaves nothing behind."""
        target = Path(destination)
        if target.exists():
            raise FileExistsError(f"{destination} exists; a backup never overwrites a file")
        partial = target.with_name(target.name + ".partial")
        try:
            with (
                contextlib.closing(sqlite3.connect(self.path, timeout=30)) as source,
                contextlib.closing(sqlite3.connect(partial)) as copy,
            ):
                source.backup(copy)
            partial.rename(target)
        finally:
            partial.unlink(missing_ok=True)

    def stored_bytes(self) -> int:
        """Pages in use after a checkpoint (free pages are not counted)."""
        with contextlib.closing(sqlite3.connect(self.path)) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            pages, free, size = (
                connection.execute(f"PRAGMA {name}").fetchone()[0]
                for name in ("page_count", "freelist_count", "page_size")
            )
            return int((pages - free) * size)

    def close(self) -> None:
        self._closing.set()
        self._written.set()
        if self._checkpointer is not None:
            self._checkpointer.join(5)
            self._checkpointer = None
        self._closing.clear()
        with self._all_lock:
            for connection in self._all:
                with contextlib.suppress(sqlite3.Error):
                    connection.close()
            self._all.clear()
        self._local = threading.local()


def _table_schema(tx: Tx, table: str) -> dict[str, Any]:
    """A table's columns, indexes (with their columns) and foreign keys, from SQLite's pragmas."""
    indexes = tx._all(f"PRAGMA index_list({table})")
    return {
        "columns": [
            (c["name"], c["type"], c["notnull"], c["dflt_value"], c["pk"])
            for c in tx._all(f"PRAGMA table_info({table})")
        ],
        "indexes": sorted(
            (
                i["name"],
                i["unique"],
                i["partial"],
                [c["name"] for c in tx._all(f"PRAGMA index_info({i['name']})")],
            )
            for i in indexes
        ),
        "foreign_keys": sorted(
            (f["table"], f["from"], f["to"], f["on_delete"])
            for f in tx._all(f"PRAGMA foreign_key_list({table})")
        ),
    }
