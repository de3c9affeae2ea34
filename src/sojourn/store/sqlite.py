"""SQLite: one file, WAL, zero set-up. One connection per thread; writes take the lock up front."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sojourn.store.base import Store

__all__ = ["SqliteStore"]


class SqliteStore(Store):
    dialect = "sqlite"

    def __init__(self, url: str):
        super().__init__(url)
        # SQLAlchemy's convention: sqlite:///relative.db, sqlite:////absolute/path.db
        path = url.removeprefix("sqlite:").removeprefix("///")
        self.path = path or ":memory:"
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        # SQLite has one writer at a time. Threads of this process queue here for it: SQLite's own busy
        # handler sleeps 1 to 100 ms between tries, which left a waiting worker idle with the lock free
        self._writer = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        connection.row_factory = sqlite3.Row
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("PRAGMA busy_timeout=30000")
        connection.execute("PRAGMA foreign_keys=ON")
        with self._all_lock:
            self._all.append(connection)
        return connection

    @contextlib.contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = self._connect()
        with self._writer:
            yield connection

    def _begin(self, connection: sqlite3.Connection) -> None:
        connection.execute("BEGIN IMMEDIATE")

    def _commit(self, connection: sqlite3.Connection) -> None:
        connection.execute("COMMIT")

    def _rollback(self, connection: sqlite3.Connection) -> None:
        if connection.in_transaction:
            connection.execute("ROLLBACK")

    def _execute(self, connection: sqlite3.Connection, sql: str, params: Any) -> Any:
        return connection.execute(sql, tuple(params))

    def _executemany(self, connection: sqlite3.Connection, sql: str, rows: list[tuple[Any, ...]]) -> None:
        connection.executemany(sql, rows)

    def close(self) -> None:
        with self._all_lock:
            for connection in self._all:
                with contextlib.suppress(sqlite3.Error):
                    connection.close()
            self._all.clear()
        self._local = threading.local()
