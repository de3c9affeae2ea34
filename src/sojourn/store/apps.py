"""The app registry (table `apps`): which manifests are deployed, and when each last was."""

from __future__ import annotations

from sojourn.store.rows import AppRow
from sojourn.store.sql import Statements


class AppVerbs(Statements):
    """The verbs of the app registry."""

    def record_app(self, name: str, path: str, now: float) -> None:
        """Record (or re-record) the app `name`, deployed from the manifest at `path`."""
        self._execute(
            "INSERT INTO apps (name, path, deployed_at) VALUES (?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET path = excluded.path, deployed_at = excluded.deployed_at",
            (name, path, now),
        )

    def registered_apps(self) -> list[AppRow]:
        """Every recorded app: `name`, `path`, `deployed_at`."""
        rows: list[AppRow] = self._all("SELECT name, path, deployed_at FROM apps ORDER BY name")
        return rows
