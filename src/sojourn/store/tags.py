"""Tags of state machines and activities (table `tags`)."""

from __future__ import annotations

from sojourn.store.rows import TagRow
from sojourn.store.sql import Statements


class TagVerbs(Statements):
    """The verbs of tags."""

    def tags(self, arn: str) -> list[TagRow]:
        """The tags of the resource `arn`, by key."""
        rows: list[TagRow] = self._all(
            "SELECT key, value FROM tags WHERE resource_arn = ? ORDER BY key", (arn,)
        )
        return rows

    def set_tag(self, arn: str, key: str, value: str) -> None:
        """Tag `arn` with `key`, replacing the value it had."""
        self._execute(
            "INSERT INTO tags (resource_arn, key, value) VALUES (?, ?, ?) "
            "ON CONFLICT (resource_arn, key) DO UPDATE SET value = excluded.value",
            (arn, key, value),
        )

    def delete_tag(self, arn: str, key: str) -> None:
        """Remove the tag `key` of `arn` (if there is one)."""
        self._execute("DELETE FROM tags WHERE resource_arn = ? AND key = ?", (arn, key))
