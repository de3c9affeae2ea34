"""The mail outbox's SQL (tables `mail_messages`, `mail_recipients`, migration 0100_mail.sql).

Functions take an open `Tx`. A message is PENDING until a deliverer claims it with a lease (`FOR UPDATE
SKIP LOCKED` on PostgreSQL, so several processes share the outbox) and records SENT, FAILED, a retry
(PENDING again, later), or KEPT when no SMTP host is configured. A claim moves `due_at` to the lease's
end, so a dead deliverer's message falls due again by itself and "what is due next" is one index lookup.
Every write after a claim checks the lease owner, so a deliverer whose lease ran out cannot overwrite the
one that took the message over.
"""

from __future__ import annotations

import json
from typing import Any

from sojourn.store.base import Tx

__all__ = ["claim_due", "finish", "insert_message", "keep_due", "message", "messages", "next_due", "release_leases",
           "retry_later"]

_SUMMARY = ("seq, id, sender, to_addresses, cc_addresses, subject, status, attempts, last_error, created_at")


def insert_message(tx: Tx, fields: dict[str, Any], recipients: list[str], idempotency_key: str | None) -> str:
    """Enqueue a PENDING message; with an idempotency key already used, the earlier message's id instead."""
    row = tx.one(
        "INSERT INTO mail_messages (id, idempotency_key, sender, to_addresses, cc_addresses, bcc_addresses, reply_to, "
        "subject, html, text, status, created_at, due_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'PENDING', ?, ?) "
        "ON CONFLICT (idempotency_key) DO NOTHING RETURNING seq",
        (fields["id"], idempotency_key, fields["sender"], *(json.dumps(fields[k]) for k in
         ("to_addresses", "cc_addresses", "bcc_addresses", "reply_to")),
         fields["subject"], fields["html"], fields["text"], fields["created_at"], fields["created_at"]),
    )
    if row is None:
        existing = tx.one("SELECT id FROM mail_messages WHERE idempotency_key = ?", (idempotency_key,))
        assert existing is not None  # the conflict that skipped the insert is this row
        return str(existing["id"])
    for address in sorted(set(recipients)):
        tx.execute("INSERT INTO mail_recipients (address, seq) VALUES (?, ?)", (address, row["seq"]))
    tx.notify = True  # wakes deliverers: in this process at once, in others through NOTIFY (PostgreSQL)
    return str(fields["id"])


def claim_due(tx: Tx, owner: str, now: float, lease_seconds: float, limit: int) -> list[dict[str, Any]]:
    """Lease up to `limit` due PENDING messages (oldest due first); counts the attempt."""
    rows = tx.all(
        "SELECT seq FROM mail_messages WHERE status = 'PENDING' AND due_at <= ? ORDER BY due_at, seq LIMIT ?"
        + tx.store.skip_locked,
        (now, limit),
    )
    claimed = []
    for row in rows:
        item = tx.one(
            "UPDATE mail_messages SET lease_owner = ?, due_at = ?, attempts = attempts + 1 "
            "WHERE seq = ? AND status = 'PENDING' AND due_at <= ? RETURNING *",
            (owner, now + lease_seconds, row["seq"], now),
        )
        if item is not None:
            claimed.append(_decoded(item))
    return claimed


def keep_due(tx: Tx, now: float, sender: str) -> int:
    """No SMTP host: every due PENDING message goes to the development mailbox (KEPT); returns how many."""
    return int(tx.execute(
        "UPDATE mail_messages SET status = 'KEPT', sender = COALESCE(sender, ?), lease_owner = NULL "
        "WHERE status = 'PENDING' AND due_at <= ?",
        (sender, now),
    ).rowcount)


def finish(tx: Tx, seq: int, owner: str, status: str, sender: str, error: str | None, now: float,
           html: str | None, text: str | None) -> bool:
    """Record SENT or FAILED for a message this owner holds, with the bodies to keep; False when its lease was lost."""
    return bool(tx.execute(
        "UPDATE mail_messages SET status = ?, sender = COALESCE(sender, ?), last_error = ?, lease_owner = NULL, "
        "sent_at = ?, html = ?, text = ? WHERE seq = ? AND lease_owner = ? AND status = 'PENDING'",
        (status, sender, error, now if status == "SENT" else None, html, text, seq, owner),
    ).rowcount)


def known_token_hashes(tx: Tx, hashes: list[str]) -> set[str]:
    """Which of these SHA-256 hashes (hex) are task tokens Sojourn issued (waiting or not); stored as raw bytes."""
    if not hashes:
        return set()
    marks = ", ".join("?" for _ in hashes)
    rows = tx.all(f"SELECT hash FROM tokens WHERE hash IN ({marks})", [bytes.fromhex(known) for known in hashes])
    return {bytes(row["hash"]).hex() for row in rows}


def retry_later(tx: Tx, seq: int, owner: str, error: str, due_at: float) -> bool:
    """Put a message this owner holds back in the queue until `due_at`; False when its lease was lost."""
    return bool(tx.execute(
        "UPDATE mail_messages SET last_error = ?, due_at = ?, lease_owner = NULL "
        "WHERE seq = ? AND lease_owner = ? AND status = 'PENDING'",
        (error, due_at, seq, owner),
    ).rowcount)


def release_leases(tx: Tx, now: float) -> None:
    """Free every lease now (SQLite serves one process: at start, any lease is a dead process's)."""
    tx.execute("UPDATE mail_messages SET lease_owner = NULL, due_at = ? WHERE status = 'PENDING' AND lease_owner IS NOT NULL",
               (now,))


def next_due(tx: Tx) -> float | None:
    """When the next PENDING message can be claimed (its due time, or its lease's end)."""
    row = tx.one("SELECT MIN(due_at) AS due FROM mail_messages WHERE status = 'PENDING'")
    return float(row["due"]) if row and row["due"] is not None else None


def messages(tx: Tx, before_seq: int | None, limit: int, address: str | None = None) -> list[dict[str, Any]]:
    """Summaries, newest first, keyset-paged by `seq`; `address` keeps those sent to it (To, Cc or Bcc)."""
    before = before_seq if before_seq is not None else 2**62
    if address is None:
        rows = tx.all(f"SELECT {_SUMMARY} FROM mail_messages WHERE seq < ? ORDER BY seq DESC LIMIT ?", (before, limit))
    else:
        columns = ", ".join(f"m.{column.strip()}" for column in _SUMMARY.split(","))
        rows = tx.all(
            f"SELECT {columns} FROM mail_recipients r JOIN mail_messages m ON m.seq = r.seq "
            "WHERE r.address = ? AND r.seq < ? ORDER BY r.seq DESC LIMIT ?",
            (address, before, limit),
        )
    return [_decoded(row) for row in rows]


def message(tx: Tx, message_id: str) -> dict[str, Any] | None:
    """One message with its bodies, or None."""
    row = tx.one("SELECT * FROM mail_messages WHERE id = ?", (message_id,))
    return _decoded(row) if row is not None else None


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    for column in ("to_addresses", "cc_addresses", "bcc_addresses", "reply_to"):
        if column in row:
            row[column] = json.loads(row[column])
    return row
