"""A value the database cannot hold is the caller's error (InvalidStoreValue), on both backends,
never a driver error."""

from __future__ import annotations

import pytest

from sojourn.store.base import InvalidStoreValue


def test_a_value_the_database_cannot_hold_is_an_invalid_store_value(store):
    value = (
        "a\u0000b" if store.dialect == "postgres" else 2**64
    )  # PostgreSQL: NUL in text; SQLite: over 64 bits
    with pytest.raises(InvalidStoreValue), store.transaction() as tx:
        tx.set_tag("arn", "k", value)
    with store.transaction() as tx:
        assert tx.tags("arn") == []
