"""The store's contract for the app registry, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from sojourn.store.base import Store


def test_an_app_recorded_again_keeps_one_row_with_its_latest_path_and_time(store: Store):
    with store.transaction() as tx:
        tx.record_app("shop", "/a/app.yaml", 1.0)
        tx.record_app("blog", "/b/app.yaml", 2.0)
        tx.record_app("shop", "/c/app.yaml", 3.0)
    with store.transaction() as tx:
        assert tx.registered_apps() == [
            {"name": "blog", "path": "/b/app.yaml", "deployed_at": 2.0},
            {"name": "shop", "path": "/c/app.yaml", "deployed_at": 3.0},
        ]
