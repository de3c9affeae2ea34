"""The mailbox: Sojourn's own ListMail and GetMail over the outbox (queued, sent, failed and kept mail;
not part of the Step Functions API). The CLI's `sojourn mail` and the console's mailbox read it."""

from __future__ import annotations

from typing import Any

from sojourn import errors as E
from sojourn.backend.common import Context, limit, page_token, read_page_token
from sojourn.mail.message import bare_address
from sojourn.mail.outbox import details, summary

__all__ = ["Mailbox"]


class Mailbox:
    def __init__(self, ctx: Context):
        self.ctx = ctx

    def list_mail(
        self, *, maxResults: int | None = None, nextToken: str | None = None, to: str | None = None
    ) -> dict[str, Any]:
        """Mail newest first; `to` keeps mail addressed to it (To, Cc or Bcc)."""
        size = limit(maxResults)
        before = read_page_token(nextToken)
        with self.ctx.store.transaction(write=False) as tx:
            rows = tx.mail_messages(before, size + 1, bare_address(to) if to else None)
        sender = self.ctx.settings.smtp_sender
        answer: dict[str, Any] = {"messages": [summary(row, sender) for row in rows[:size]]}
        if len(rows) > size:
            answer["nextToken"] = page_token(rows[size - 1]["seq"])
        return answer

    def get_mail(self, *, messageId: str) -> dict[str, Any]:
        """One message with its bodies; MessageDoesNotExist for an unknown id."""
        with self.ctx.store.transaction(write=False) as tx:
            row = tx.mail_message(messageId)
        if row is None:
            raise E.MessageDoesNotExist(f"Message Does Not Exist: '{messageId}'")
        return details(row, self.ctx.settings.smtp_sender)
