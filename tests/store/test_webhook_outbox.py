"""The store's contract for the webhook outbox and its leases, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from sojourn.store.base import Store


def _enqueue(store: Store, number: int, key: str | None = None, now: float = 1.0) -> str:
    fields = {
        "id": f"d{number}",
        "kind": "test",
        "url": "https://hooks.example.com/x",
        "body": f'{{"n": {number}}}',
        "secret_name": "K",
        "created_at": now,
    }
    with store.transaction() as tx:
        return tx.enqueue_webhook(fields, key)


def test_a_delivery_is_queued_once_per_idempotency_key(store: Store):
    assert _enqueue(store, 1, key="k") == "d1" and _enqueue(store, 2, key="k") == "d1"
    with store.transaction() as tx:
        assert tx.webhook_delivery("d2") is None
        row = tx.webhook_delivery("d1")
    assert (row["status"], row["body"], row["secret_name"], row["attempts"]) == (
        "PENDING",
        '{"n": 1}',
        "K",
        0,
    )


def test_a_leased_delivery_is_nobody_else_s_until_its_lease_ends(store: Store):
    for number in range(3):
        _enqueue(store, number)
    with store.transaction() as tx:
        mine = tx.claim_webhooks("a", 10.0, 30.0, 2)
        assert [row["id"] for row in mine] == ["d0", "d1"] and mine[0]["attempts"] == 1
        assert [row["id"] for row in tx.claim_webhooks("b", 10.0, 30.0, 5)] == ["d2"]
        assert tx.claim_webhooks("b", 20.0, 30.0, 5) == []
        assert tx.next_webhook_due() == 40.0
        taken = tx.claim_webhooks("b", 40.0, 30.0, 5)  # a's lease ran out: b takes them over
        assert sorted(row["id"] for row in taken) == ["d0", "d1", "d2"]
        assert not tx.finish_webhook(mine[0]["seq"], "a", "DELIVERED", 200, None, 41.0)  # a lost it
        assert tx.finish_webhook(mine[0]["seq"], "b", "DELIVERED", 200, None, 41.0)
        assert tx.retry_webhook_later(mine[1]["seq"], "b", 503, "HTTP 503", 100.0)
        tx.release_webhook_leases(42.0)
        assert tx.next_webhook_due() == 42.0  # d2's lease freed; d1 waits until 100
        assert [row["status"] for row in tx.webhook_deliveries(None, 10)] == [
            "PENDING",
            "PENDING",
            "DELIVERED",
        ]
