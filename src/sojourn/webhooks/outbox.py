"""The webhook outbox: `enqueue_in` stores a delivery in the caller's transaction and wakes the deliverers.

A delivery is a URL, a JSON body (kept as the exact text that is sent and signed), a kind (what it is, for
whoever reads the outbox) and the name of the environment variable holding its signing secret (the secret
itself is never stored). Its id travels in the `X-Sojourn-Delivery` header of every attempt.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from sojourn.store.base import Store, Tx
from sojourn.store.rounds import wake_others

__all__ = ["body_text", "enqueue", "enqueue_in"]


def body_text(body: Any) -> str:
    """The JSON text of a body (a string is taken as JSON text already)."""
    return body if isinstance(body, str) else json.dumps(body, separators=(",", ":"), ensure_ascii=False)


def enqueue_in(
    tx: Tx,
    url: str,
    body: Any,
    kind: str,
    secret_name: str | None = None,
    idempotency_key: str | None = None,
    now: float | None = None,
) -> str:
    """Queue a POST of `body` (JSON) to `url` in the caller's transaction: queued if, and when, it commits.
    Its delivery id; a repeated `idempotency_key` returns the first id and queues nothing."""
    fields = {
        "id": str(uuid.uuid4()),
        "kind": kind,
        "url": url,
        "body": body_text(body),
        "secret_name": secret_name,
        "created_at": time.time() if now is None else now,
    }
    delivery_id = tx.enqueue_webhook(fields, idempotency_key or None)
    store = tx.store
    tx.committed.append(lambda: wake_others(store))
    return delivery_id


def enqueue(store: Store, url: str, body: Any, kind: str, **options: Any) -> str:
    """`enqueue_in` in a transaction of its own."""
    with store.transaction() as tx:
        return enqueue_in(tx, url, body, kind, **options)
