"""Helpers for the mail tests."""

from __future__ import annotations

from collections.abc import Callable

from sojourn.store.base import Store


def eventually(condition: Callable[[], bool], store: Store, tries: int = 200) -> bool:
    """Whether `condition` comes true while a background thread works (up to `tries` short waits)."""
    for _ in range(tries):
        if condition():
            return True
        store.wait(0.05)
    return condition()
