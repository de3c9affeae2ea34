"""The webhook outbox (table `webhook_deliveries`, migration 0130_webhooks.sql).

A delivery is PENDING until a deliverer claims it with a lease (the mechanism of `leases`, shared with the
work queue and the mail outbox) and records DELIVERED, FAILED, or a retry (PENDING again, later). Every
write after a claim checks the lease owner, so a deliverer whose lease ran out cannot overwrite the one
that took the delivery over.
"""

from __future__ import annotations

from typing import Any

from sojourn.store.leases import LeasedQueue
from sojourn.store.rows import WebhookDeliveryRow
from sojourn.store.sql import Statements

OUTBOX = LeasedQueue("webhook_deliveries", "seq", pending="status = 'PENDING'")


class WebhookVerbs(Statements):
    """The verbs of the webhook outbox."""

    def enqueue_webhook(self, fields: dict[str, Any], idempotency_key: str | None) -> str:
        """Enqueue a PENDING delivery; for a used idempotency key, the earlier delivery's id instead."""
        row = self._one(
            "INSERT INTO webhook_deliveries (id, idempotency_key, kind, url, body, secret_name, status, "
            "created_at, due_at) VALUES (?, ?, ?, ?, ?, ?, 'PENDING', ?, ?) "
            "ON CONFLICT (idempotency_key) DO NOTHING RETURNING seq",
            (
                fields["id"],
                idempotency_key,
                fields["kind"],
                fields["url"],
                fields["body"],
                fields["secret_name"],
                fields["created_at"],
                fields["created_at"],
            ),
        )
        if row is None:
            existing = self._one(
                "SELECT id FROM webhook_deliveries WHERE idempotency_key = ?", (idempotency_key,)
            )
            assert existing is not None  # the conflict that skipped the insert is this row
            return str(existing["id"])
        self.notify = True  # wakes deliverers: in this process at once, in others through NOTIFY (PostgreSQL)
        return str(fields["id"])

    def claim_webhooks(
        self, owner: str, now: float, lease_seconds: float, limit: int
    ) -> list[WebhookDeliveryRow]:
        """Lease up to `limit` due PENDING deliveries (the longest due first), in queue order;
        counts the attempt."""
        rows: list[WebhookDeliveryRow] = OUTBOX.claim(self, owner, now, lease_seconds, limit)
        return sorted(rows, key=lambda row: row["seq"])

    def finish_webhook(
        self, seq: int, owner: str, status: str, http_status: int | None, error: str | None, now: float
    ) -> bool:
        """Record DELIVERED or FAILED for a delivery this owner holds; False when its lease was lost."""
        return bool(
            self._execute(
                "UPDATE webhook_deliveries SET status = ?, last_status = ?, last_error = ?, "
                "lease_owner = NULL, delivered_at = ? "
                "WHERE seq = ? AND lease_owner = ? AND status = 'PENDING'",
                (status, http_status, error, now if status == "DELIVERED" else None, seq, owner),
            ).rowcount
        )

    def retry_webhook_later(
        self, seq: int, owner: str, http_status: int | None, error: str, due_at: float
    ) -> bool:
        """Put a delivery this owner holds back in the queue until `due_at`; False when its lease was lost."""
        return bool(
            self._execute(
                "UPDATE webhook_deliveries SET last_status = ?, last_error = ?, due_at = ?, "
                "lease_owner = NULL WHERE seq = ? AND lease_owner = ? AND status = 'PENDING'",
                (http_status, error, due_at, seq, owner),
            ).rowcount
        )

    def release_webhook_leases(self, now: float) -> None:
        """Free every lease now (SQLite serves one process: at start, any lease is a dead process's)."""
        OUTBOX.release(self, now)

    def next_webhook_due(self) -> float | None:
        """When the next PENDING delivery can be claimed (its due time, or its lease's end)."""
        return OUTBOX.next_due(self)

    def webhook_deliveries(self, before_seq: int | None, limit: int) -> list[WebhookDeliveryRow]:
        """Deliveries newest first, keyset-paged by `seq`."""
        before = before_seq if before_seq is not None else 2**62
        rows: list[WebhookDeliveryRow] = self._all(
            "SELECT * FROM webhook_deliveries WHERE seq < ? ORDER BY seq DESC LIMIT ?", (before, limit)
        )
        return rows

    def webhook_delivery(self, delivery_id: str) -> WebhookDeliveryRow | None:
        """One delivery, or None."""
        row: WebhookDeliveryRow | None = self._one(
            "SELECT * FROM webhook_deliveries WHERE id = ?", (delivery_id,)
        )
        return row
