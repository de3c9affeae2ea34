"""The private statement helpers each verb module of the store builds on (no caller outside store/ sees them).

A verb writes its SQL once with `?` placeholders; the PostgreSQL store rewrites them to `%s`. Rows come back
as plain dicts, which the verbs return as the TypedDicts of `sojourn.store.rows`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sojourn.store.base import Store


class Statements:
    """One transaction's connection, with the helpers the verbs use to run their statements."""

    def __init__(self, store: Store, connection: Any):
        self.store = store
        self.connection = connection
        self.notify = False  # set when new work is due now: the store wakes the workers after commit
        self.committed: list[Callable[[], None]] = []  # called once the transaction has committed

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.store._execute(self.connection, sql, params)

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first row as a dict, or None (typed by the verb that asks)."""
        return self.store._row(self._execute(sql, params).fetchone())

    def _all(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Every row as a dict (typed by the verb that asks)."""
        to_dict = self.store._row
        return [to_dict(row) for row in self._execute(sql, params).fetchall()]

    def _insert(self, table: str, values: dict[str, Any], returning: str | None = None) -> Any:
        columns = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"
        if returning:
            row = self._one(sql + f" RETURNING {returning}", tuple(values.values()))
            return row[returning] if row else None
        self._execute(sql, tuple(values.values()))
        return None

    def _update(self, table: str, key: dict[str, Any], values: dict[str, Any]) -> int:
        sets = ", ".join(f"{column} = ?" for column in values)
        where = " AND ".join(f"{column} = ?" for column in key)
        return int(
            self._execute(
                f"UPDATE {table} SET {sets} WHERE {where}", (*values.values(), *key.values())
            ).rowcount
        )

    def _locking(self, *, of: str | None = None, skip_locked: bool = False) -> str:
        """PostgreSQL's row lock clause (`FOR UPDATE [OF table] [SKIP LOCKED]`); SQLite locks the database."""
        if not self.store.for_update:
            return ""
        return " FOR UPDATE" + (f" OF {of}" if of else "") + (" SKIP LOCKED" if skip_locked else "")
