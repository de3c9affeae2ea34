"""The app registry's SQL: which manifests are deployed, and when each last was."""

from __future__ import annotations

from typing import Any

from sojourn.store.base import Tx

__all__ = ["record_app", "registered_apps"]


def record_app(tx: Tx, name: str, path: str, now: float) -> None:
    """Record (or re-record) the app `name`, deployed from the manifest at `path`."""
    tx.execute(
        "INSERT INTO apps (name, path, deployed_at) VALUES (?, ?, ?) "
        "ON CONFLICT (name) DO UPDATE SET path = excluded.path, deployed_at = excluded.deployed_at",
        (name, path, now),
    )


def registered_apps(tx: Tx) -> list[dict[str, Any]]:
    """Every recorded app: `name`, `path`, `deployed_at`."""
    return tx.all("SELECT name, path, deployed_at FROM apps ORDER BY name")
