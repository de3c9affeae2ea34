"""PostgreSQL: psycopg 3 with a connection pool; several worker processes share one database.

Workers claim due work with `FOR UPDATE SKIP LOCKED`; a commit that makes work due sends NOTIFY so
idle workers in other processes wake at once. `?schema=name` in the URL isolates a schema (tests).
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from sojourn.store.base import NOTIFY_CHANNEL, InvalidStoreValue, Store, StoreUnavailable, Tx

__all__ = ["PostgresStore"]

_PLACEHOLDER = re.compile(r"\?")


def _split_schema(url: str) -> tuple[str, str | None]:
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    schema = query.pop("schema", [None])[0]
    clean = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query, doseq=True), parts.fragment))
    return clean.replace("postgres://", "postgresql://", 1), schema


class PostgresStore(Store):
    dialect = "postgres"
    for_update = " FOR UPDATE"
    skip_locked = " FOR UPDATE SKIP LOCKED"
    transient_errors = (psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure)

    def __init__(self, url: str, pool_size: int = 10):
        super().__init__(url)
        self.conninfo, self.schema = _split_schema(url)
        if self.schema and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", self.schema):
            raise ValueError(f"Invalid schema name '{self.schema}'")
        if self.schema:
            with psycopg.connect(self.conninfo, autocommit=True) as connection:
                connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
        # the server processes of this store's connections: their NOTIFYs echo wake-ups given already
        self._own_backends: set[int] = set()
        self.pool = ConnectionPool(
            self.conninfo,
            min_size=1,
            max_size=pool_size,
            open=True,
            kwargs={"row_factory": dict_row, "autocommit": False},
            configure=self._configure,
        )
        self._sql_cache: dict[str, str] = {}

    def _configure(self, connection: psycopg.Connection) -> None:
        self._own_backends.add(connection.info.backend_pid)
        if self.schema:
            connection.execute(f'SET search_path TO "{self.schema}"')
            connection.commit()

    @contextlib.contextmanager
    def _connection(self, write: bool = True) -> Iterator[psycopg.Connection]:
        """A pooled connection; StoreUnavailable when the server cannot be reached or the link broke."""
        try:
            with self.pool.connection() as connection:
                try:
                    yield connection
                except psycopg.OperationalError as e:
                    # Deadlocks and serialization failures are OperationalErrors too, on a live connection.
                    if connection.broken or connection.closed:
                        raise StoreUnavailable(f"PostgreSQL connection lost: {type(e).__name__}") from e
                    raise
        except PoolTimeout as e:
            raise StoreUnavailable("No PostgreSQL connection could be had in time") from e
        except StoreUnavailable:
            # The other idle connections most likely went with this one (a restart, a network cut): test
            # them now, so that one request meets the loss rather than one per pooled connection.
            self.pool.check()
            raise

    def _begin(self, connection: psycopg.Connection, write: bool = True) -> None:
        """psycopg opens the transaction with the first statement."""

    @contextlib.contextmanager
    def transaction(self, write: bool = True) -> Iterator[Tx]:
        with super().transaction(write) as tx:
            yield tx
            if tx.notify:
                tx._execute(f"NOTIFY {NOTIFY_CHANNEL}")

    def _execute(self, connection: psycopg.Connection, sql: str, params: Any) -> Any:
        try:
            return connection.execute(self._sql(sql), tuple(params))
        except (
            psycopg.DataError
        ) as e:  # a caller's value (a NUL in text, a number out of range), not a bug here
            raise InvalidStoreValue(str(e).splitlines()[0]) from e

    def _sql(self, sql: str) -> str:
        """`?` placeholders as psycopg's `%s`, rewritten once per statement."""
        text = self._sql_cache.get(sql)
        if text is None:
            text = self._sql_cache[sql] = _PLACEHOLDER.sub("%s", sql.replace("%", "%%"))
        return text

    def _lock_migrations(self, tx: Tx) -> None:
        tx._execute("SELECT pg_advisory_xact_lock(727274)")

    def _schema(self, tx: Tx) -> dict[str, Any]:
        schema = tx._one("SELECT current_schema() AS name")["name"]
        tables: dict[str, Any] = {}
        for column in tx._all(
            "SELECT table_name, column_name, data_type, is_nullable, column_default, is_identity "
            "FROM information_schema.columns "
            "WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
        ):
            table = tables.setdefault(column["table_name"], {"columns": [], "indexes": [], "constraints": []})
            table["columns"].append(
                (
                    column["column_name"],
                    column["data_type"],
                    column["is_nullable"],
                    column["column_default"],
                    column["is_identity"],
                )
            )
        for index in tx._all(
            "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "ORDER BY tablename, indexname"
        ):
            # an index's definition names its schema: the same index of another schema must read the same
            tables[index["tablename"]]["indexes"].append(index["indexdef"].replace(f" {schema}.", " "))
        for constraint in tx._all(
            "SELECT c.conrelid::regclass::text AS table_name, c.conname, "
            "pg_get_constraintdef(c.oid) AS definition "
            "FROM pg_constraint c WHERE c.connamespace = current_schema()::regnamespace ORDER BY 1, 2"
        ):
            tables[constraint["table_name"]]["constraints"].append(
                (constraint["conname"], constraint["definition"])
            )
        return tables

    def stored_bytes(self) -> int:
        """The size of this schema's tables with their indexes and TOAST, after ANALYZE of those tables only
        (a whole-database ANALYZE locks every table of every schema, and runs out of lock slots with many)."""
        with self.transaction() as tx:
            tables = [
                row["tablename"]
                for row in tx._all("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            ]
            if tables:
                tx._execute("ANALYZE " + ", ".join(f'"{name}"' for name in tables))
            row = tx._one(
                "SELECT SUM(pg_total_relation_size(c.oid)) AS size FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND c.relkind = 'r'"
            )
            return int(row["size"] or 0)

    def start_listening(self, stop: threading.Event) -> threading.Event:
        ready = threading.Event()

        def listen() -> None:
            while not stop.is_set():
                try:
                    with psycopg.connect(self.conninfo, autocommit=True) as connection:
                        connection.execute(f"LISTEN {NOTIFY_CHANNEL}")
                        ready.set()
                        while not stop.is_set():
                            for notice in connection.notifies(timeout=1.0):
                                if notice.pid not in self._own_backends:
                                    self.wake()
                except psycopg.Error:
                    stop.wait(1.0)

        threading.Thread(target=listen, name="sojourn-listen", daemon=True).start()
        return ready

    def close(self) -> None:
        self.pool.close()
