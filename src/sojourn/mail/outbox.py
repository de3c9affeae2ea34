"""The outbox: `enqueue` stores a message durably and wakes the deliverers; `send_email` is its public face.

`send_email` runs anywhere Sojourn's settings can be loaded, typically inside a function's worker process,
which receives SOJOURN_DB_URL and friends in its environment. It opens the store once per process.
Mail queued in a process that runs a deliverer wakes it at once; on PostgreSQL the commit's NOTIFY wakes
the deliverers of other processes too (on SQLite they look again within a second).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sojourn.mail.message import Message
from sojourn.store.base import Store, Tx, open_store
from sojourn.store.rounds import wake_others

__all__ = ["details", "enqueue", "send_email", "summary"]

_stores: dict[str, Store] = {}
_stores_lock = threading.Lock()


def enqueue(
    store: Store, message: Message, *, idempotency_key: str | None = None, now: float | None = None
) -> str:
    """Queue `message` for delivery (PENDING); its message id.
    A repeated `idempotency_key` returns the first id."""
    created = time.time() if now is None else now
    with store.transaction() as tx:
        return enqueue_in(tx, message, idempotency_key=idempotency_key, now=created)


def enqueue_in(
    tx: Tx, message: Message, *, idempotency_key: str | None = None, now: float | None = None
) -> str:
    """`enqueue` in the caller's transaction: the message is queued if, and when, it commits."""
    fields = {
        "id": str(uuid.uuid4()),
        "sender": message.sender,
        "to_addresses": list(message.to),
        "cc_addresses": list(message.cc),
        "bcc_addresses": list(message.bcc),
        "reply_to": list(message.reply_to),
        "subject": message.subject,
        "html": message.html,
        "text": message.text,
        "created_at": time.time() if now is None else now,
    }
    message_id = tx.enqueue_mail(fields, message.recipients, idempotency_key or None)
    store = tx.store
    tx.committed.append(lambda: wake_others(store))
    return message_id


def _listed(addresses: Iterable[str] | str | None) -> tuple[str, ...]:
    """The addresses a caller gave as one string or a list (Message checks each)."""
    if addresses is None:
        return ()
    return (addresses,) if isinstance(addresses, str) else tuple(addresses)


def send_email(
    to: Iterable[str] | str | None,
    subject: str,
    html: str | None = None,
    text: str | None = None,
    cc: Iterable[str] | str | None = None,
    bcc: Iterable[str] | str | None = None,
    sender: str | None = None,
    reply_to: Iterable[str] | str | None = None,
    idempotency_key: str | None = None,
) -> str:
    """Queue an email in Sojourn's outbox and return its message id; delivery happens in the background.

    Raises ValueError for an invalid address, no recipient or no body. Without `sender`, the server's
    configured sender (SOJOURN_SMTP_SENDER) is used when the message is sent.
    """
    message = Message(
        to=_listed(to),
        subject=subject,
        html=html,
        text=text,
        cc=_listed(cc),
        bcc=_listed(bcc),
        sender=sender,
        reply_to=_listed(reply_to),
    )
    return enqueue(_process_store(), message, idempotency_key=idempotency_key)


def _process_store() -> Store:
    """The store named by this process's settings, opened once."""
    from sojourn.config import Settings

    url = Settings.load().db_url
    with _stores_lock:
        store = _stores.get(url)
        if store is None:
            store = _stores[url] = open_store(url)
        return store


def summary(row: Mapping[str, Any], default_sender: str) -> dict[str, Any]:
    """A mailbox row as `Client.list_mail` answers it."""
    return {
        "messageId": row["id"],
        "from": row["sender"] or default_sender,
        "to": row["to_addresses"],
        "cc": row["cc_addresses"],
        "subject": row["subject"],
        "createdDate": _date(row["created_at"]),
        "status": row["status"],
        "attempts": int(row["attempts"]),
        "lastError": row["last_error"],
    }


def details(row: Mapping[str, Any], default_sender: str) -> dict[str, Any]:
    """A whole message as `Client.get_mail` answers it."""
    return {
        **summary(row, default_sender),
        "bcc": row["bcc_addresses"],
        "replyTo": row["reply_to"],
        "html": row["html"],
        "text": row["text"],
        "sentDate": _date(row["sent_at"]),
    }


def _date(epoch: float | None) -> datetime | None:
    return datetime.fromtimestamp(epoch, UTC) if epoch is not None else None
