"""The mail outbox (tables `mail_messages`, `mail_recipients`, migration 0100_mail.sql).

A message is PENDING until a deliverer claims it with a lease (the mechanism of `leases`, shared with the
work queue) and records SENT, FAILED, a retry (PENDING again, later), or KEPT when no SMTP host is
configured. Every write after a claim checks the lease owner, so a deliverer whose lease ran out cannot
overwrite the one that took the message over.
"""

from __future__ import annotations

import json
from typing import Any

from sojourn.store.leases import LeasedQueue
from sojourn.store.rows import MailMessageRow
from sojourn.store.sql import Statements

OUTBOX = LeasedQueue("mail_messages", "seq", pending="status = 'PENDING'")
_SUMMARY = (
    "seq",
    "id",
    "sender",
    "to_addresses",
    "cc_addresses",
    "subject",
    "status",
    "attempts",
    "last_error",
    "created_at",
)
_ADDRESS_LISTS = ("to_addresses", "cc_addresses", "bcc_addresses", "reply_to")


class MailVerbs(Statements):
    """The verbs of the mail outbox."""

    def enqueue_mail(self, fields: dict[str, Any], recipients: list[str], idempotency_key: str | None) -> str:
        """Enqueue a PENDING message; for a used idempotency key, the earlier message's id instead."""
        row = self._one(
            "INSERT INTO mail_messages (id, idempotency_key, sender, to_addresses, cc_addresses, "
            "bcc_addresses, reply_to, subject, html, text, status, created_at, due_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'PENDING', ?, ?) "
            "ON CONFLICT (idempotency_key) DO NOTHING RETURNING seq",
            (
                fields["id"],
                idempotency_key,
                fields["sender"],
                *(json.dumps(fields[k]) for k in _ADDRESS_LISTS),
                fields["subject"],
                fields["html"],
                fields["text"],
                fields["created_at"],
                fields["created_at"],
            ),
        )
        if row is None:
            existing = self._one("SELECT id FROM mail_messages WHERE idempotency_key = ?", (idempotency_key,))
            assert existing is not None  # the conflict that skipped the insert is this row
            return str(existing["id"])
        for address in sorted(set(recipients)):
            self._execute("INSERT INTO mail_recipients (address, seq) VALUES (?, ?)", (address, row["seq"]))
        self.notify = True  # wakes deliverers: in this process at once, in others through NOTIFY (PostgreSQL)
        return str(fields["id"])

    def claim_mail(self, owner: str, now: float, lease_seconds: float, limit: int) -> list[MailMessageRow]:
        """Lease up to `limit` due PENDING messages (the longest due first), returned by `seq`;
        counts the attempt."""
        rows = OUTBOX.claim(self, owner, now, lease_seconds, limit)
        return sorted((_decoded(row) for row in rows), key=lambda row: row["seq"])

    def keep_due_mail(self, now: float, sender: str) -> int:
        """No SMTP host: each due PENDING message goes to the development mailbox (KEPT); returns how many."""
        return int(
            self._execute(
                "UPDATE mail_messages SET status = 'KEPT', sender = COALESCE(sender, ?), lease_owner = NULL "
                "WHERE status = 'PENDING' AND due_at <= ?",
                (sender, now),
            ).rowcount
        )

    def finish_mail(
        self,
        seq: int,
        owner: str,
        status: str,
        sender: str,
        error: str | None,
        now: float,
        html: str | None,
        text: str | None,
    ) -> bool:
        """Record SENT or FAILED for a message this owner holds, with the bodies to keep;
        False when its lease was lost."""
        return bool(
            self._execute(
                "UPDATE mail_messages SET status = ?, sender = COALESCE(sender, ?), last_error = ?, "
                "lease_owner = NULL, sent_at = ?, html = ?, text = ? "
                "WHERE seq = ? AND lease_owner = ? AND status = 'PENDING'",
                (status, sender, error, now if status == "SENT" else None, html, text, seq, owner),
            ).rowcount
        )

    def retry_mail_later(self, seq: int, owner: str, error: str, due_at: float) -> bool:
        """Put a message this owner holds back in the queue until `due_at`; False when its lease was lost."""
        return bool(
            self._execute(
                "UPDATE mail_messages SET last_error = ?, due_at = ?, lease_owner = NULL "
                "WHERE seq = ? AND lease_owner = ? AND status = 'PENDING'",
                (error, due_at, seq, owner),
            ).rowcount
        )

    def release_mail_leases(self, now: float) -> None:
        """Free every lease now (SQLite serves one process: at start, any lease is a dead process's)."""
        OUTBOX.release(self, now)

    def next_mail_due(self) -> float | None:
        """When the next PENDING message can be claimed (its due time, or its lease's end)."""
        return OUTBOX.next_due(self)

    def mail_messages(
        self, before_seq: int | None, limit: int, address: str | None = None
    ) -> list[MailMessageRow]:
        """Summaries newest first, keyset-paged by `seq`; `address` keeps those sent to it (To, Cc or Bcc)."""
        before = before_seq if before_seq is not None else 2**62
        columns = ", ".join(f"m.{column}" for column in _SUMMARY)
        if address is None:
            rows = self._all(
                f"SELECT {columns} FROM mail_messages m WHERE m.seq < ? ORDER BY m.seq DESC LIMIT ?",
                (before, limit),
            )
        else:
            rows = self._all(
                f"SELECT {columns} FROM mail_recipients r JOIN mail_messages m ON m.seq = r.seq "
                "WHERE r.address = ? AND r.seq < ? ORDER BY r.seq DESC LIMIT ?",
                (address, before, limit),
            )
        return [_decoded(row) for row in rows]

    def mail_message(self, message_id: str) -> MailMessageRow | None:
        """One message with its bodies, or None."""
        row = self._one("SELECT * FROM mail_messages WHERE id = ?", (message_id,))
        return _decoded(row) if row is not None else None


def _decoded(row: dict[str, Any]) -> MailMessageRow:
    """A message row with its address lists as lists."""
    for column in _ADDRESS_LISTS:
        if column in row:
            row[column] = json.loads(row[column])
    return row  # type: ignore[return-value]
