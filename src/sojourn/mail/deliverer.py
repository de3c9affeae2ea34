"""The deliverer: takes due mail from the outbox with a lease and sends it over SMTP (aiosmtplib).

One runs in every `sojourn serve` and `sojourn worker` process. Outcomes:
- accepted by the server: SENT;
- refused for good (a 5xx reply to MAIL FROM, RCPT TO or DATA): FAILED with the server's reply;
- the server is unreachable, times out, answers 4xx, or refuses the session (HELO, STARTTLS, AUTH, which
  is a configuration problem, not the message's): tried again with exponential backoff (15 s doubling
  to 30 min), FAILED once the message is 24 h old;
- no SMTP host configured: KEPT in the development mailbox (`sojourn mail`, the console).
A message is leased to one deliverer at a time, so it is sent once even with several processes. A crash
after the server accepted a message but before SENT was committed sends it again when the lease runs
out (at-least-once); the copy carries the same Message-ID header.
Once a message is SENT or FAILED, the task tokens in its bodies (approval links) are redacted: it no longer
needs them, and Sojourn keeps tokens only as hashes. KEPT mail keeps them, for the developer to click.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, Protocol

import aiosmtplib

from sojourn import metrics
from sojourn.mail.message import Message, bare_address
from sojourn.store.base import Store
from sojourn.store.rounds import Rounds
from sojourn.tokens import hash_token, redact_known, token_candidates

__all__ = ["Deliverer", "Envelope", "Outcome", "SmtpTransport", "Transport", "retry_delay"]

log = logging.getLogger("sojourn.mail")

FIRST_RETRY_SECONDS = 15.0
MAX_RETRY_SECONDS = 30 * 60.0
GIVE_UP_SECONDS = 24 * 3600.0
SMTP_TIMEOUT_SECONDS = 30.0
BATCH = 10
# Long enough for a whole batch against a server that answers at the last second of every timeout.
LEASE_SECONDS = SMTP_TIMEOUT_SECONDS * (BATCH + 3)


def retry_delay(attempts: int) -> float:
    """Seconds to wait after the `attempts`-th failed try: 15 s, 30 s, 1 min, ... at most 30 min."""
    return float(min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** max(0, attempts - 1)))


@dataclass(frozen=True)
class Envelope:
    """What goes over SMTP for one message."""

    sender: str
    recipients: list[str]
    mime: EmailMessage


@dataclass(frozen=True)
class Outcome:
    """How one send went. Not sent and not permanent: try again later."""

    sent: bool
    permanent: bool = False
    error: str | None = None


class Transport(Protocol):
    def send(self, envelopes: Sequence[Envelope]) -> list[Outcome]:
        """One outcome per envelope, in order; never raises for SMTP trouble."""
        ...


class SmtpTransport:
    """Sends over one SMTP connection per batch with the settings' host, port, TLS and credentials."""

    def __init__(self, settings: Any, timeout: float = SMTP_TIMEOUT_SECONDS):
        self.settings = settings
        self.timeout = timeout

    def send(self, envelopes: Sequence[Envelope]) -> list[Outcome]:
        return asyncio.run(self._send(envelopes))

    async def _send(self, envelopes: Sequence[Envelope]) -> list[Outcome]:
        s = self.settings
        smtp = aiosmtplib.SMTP(
            hostname=s.smtp_host,
            port=s.smtp_port,
            use_tls=s.smtp_tls,
            start_tls=s.smtp_starttls and not s.smtp_tls,
            timeout=self.timeout,
        )
        try:
            await smtp.connect()
            if s.smtp_username:
                await smtp.login(s.smtp_username, s.smtp_password or "")
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as e:
            where = f"{s.smtp_host}:{s.smtp_port}"
            return [Outcome(sent=False, error=f"SMTP server {where}: {_describe(e)}")] * len(envelopes)
        try:
            return [await self._send_one(smtp, envelope) for envelope in envelopes]
        finally:
            if smtp.is_connected:
                try:
                    await smtp.quit()
                except (aiosmtplib.SMTPException, OSError, TimeoutError):
                    smtp.close()

    @staticmethod
    async def _send_one(smtp: aiosmtplib.SMTP, envelope: Envelope) -> Outcome:
        try:
            refused, _ = await smtp.send_message(
                envelope.mime, sender=envelope.sender, recipients=envelope.recipients
            )
        except aiosmtplib.SMTPRecipientsRefused as e:
            permanent = all(refusal.code >= 500 for refusal in e.recipients)
            return Outcome(
                sent=False,
                permanent=permanent,
                error="; ".join(
                    f"{refusal.recipient}: {refusal.code} {refusal.message}" for refusal in e.recipients
                ),
            )
        except aiosmtplib.SMTPResponseException as e:
            return Outcome(sent=False, permanent=e.code >= 500, error=_describe(e))
        except (aiosmtplib.SMTPNotSupported, ValueError) as e:  # e.g. a non-ASCII address without SMTPUTF8
            return Outcome(sent=False, permanent=True, error=_describe(e))
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as e:
            return Outcome(sent=False, error=_describe(e))
        if refused:  # accepted for some recipients: sent, with the refusals noted
            return Outcome(
                sent=True, error="; ".join(f"{who}: {r.code} {r.message}" for who, r in refused.items())
            )
        return Outcome(sent=True)


def _describe(error: BaseException) -> str:
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return f"{error.code} {error.message}"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


class Deliverer:
    """Delivers the outbox of `store`. `deliver_due()` does one round (tests call it with their clock);
    `start()` runs rounds in a thread, waking when mail is queued or a retry falls due."""

    def __init__(
        self,
        store: Store,
        settings: Any,
        *,
        clock: Callable[[], float] = time.time,
        transport: Transport | None = None,
        batch: int = BATCH,
        lease_seconds: float = LEASE_SECONDS,
        give_up_seconds: float = GIVE_UP_SECONDS,
    ):
        self.store = store
        self.settings = settings
        self.clock = clock
        self.transport = transport or SmtpTransport(settings)
        self.batch = batch
        self.lease_seconds = lease_seconds
        self.give_up_seconds = give_up_seconds
        self.owner = f"mail-{uuid.uuid4().hex[:12]}"
        self._rounds = Rounds(
            store,
            "sojourn-mail",
            self.deliver_due,
            lambda tx: tx.next_mail_due(),
            lambda tx, now: tx.release_mail_leases(now),
            clock,
            log,
        )

    def deliver_due(self) -> int:
        """Deliver (or keep, without an SMTP host) one batch of due messages; how many were handled."""
        now = self.clock()
        if not self.settings.smtp_host:
            with self.store.transaction() as tx:
                return tx.keep_due_mail(now, self.settings.smtp_sender)
        with self.store.transaction() as tx:
            rows = tx.claim_mail(self.owner, now, self.lease_seconds, self.batch)
        if not rows:
            return 0
        envelopes = [self._envelope(row) for row in rows]
        outcomes = self.transport.send(envelopes)
        now = self.clock()
        with self.store.transaction() as tx:
            for row, outcome in zip(rows, outcomes, strict=True):
                self._record(tx, row, outcome, now)
        return len(rows)

    def _envelope(self, row: Mapping[str, Any]) -> Envelope:
        message = Message(
            to=row["to_addresses"],
            cc=row["cc_addresses"],
            bcc=row["bcc_addresses"],
            reply_to=row["reply_to"],
            subject=row["subject"],
            html=row["html"],
            text=row["text"],
            sender=row["sender"],
        )
        sender = message.sender or self.settings.smtp_sender
        return Envelope(
            bare_address(sender), message.recipients, message.to_mime(row["id"], sender, row["created_at"])
        )

    def _record(self, tx: Any, row: Mapping[str, Any], outcome: Outcome, now: float) -> None:
        seq, attempts = row["seq"], int(row["attempts"])
        sender = row["sender"] or self.settings.smtp_sender
        final = outcome.sent or outcome.permanent or now - row["created_at"] >= self.give_up_seconds
        metrics.count_delivery("mail", outcome.sent, final)
        if outcome.sent:
            tx.finish_mail(seq, self.owner, "SENT", sender, outcome.error, now, *_without_tokens(tx, row))
            log.info("mail %s sent (attempt %d)", row["id"], attempts)
        elif outcome.permanent:
            tx.finish_mail(seq, self.owner, "FAILED", sender, outcome.error, now, *_without_tokens(tx, row))
            log.warning("mail %s refused: %s", row["id"], outcome.error)
        elif now - row["created_at"] >= self.give_up_seconds:
            error = (
                f"Gave up after {attempts} attempts over {self.give_up_seconds / 3600:g} h: {outcome.error}"
            )
            tx.finish_mail(seq, self.owner, "FAILED", sender, error, now, *_without_tokens(tx, row))
            log.warning("mail %s: %s", row["id"], error)
        else:
            delay = retry_delay(attempts)
            tx.retry_mail_later(seq, self.owner, outcome.error or "temporary failure", now + delay)
            log.info("mail %s not sent (%s); next try in %gs", row["id"], outcome.error, delay)

    # -- the background thread -----------------------------------------------------------------------

    def start(self) -> Deliverer:
        """Deliver in a background thread until `stop()`.
        On SQLite (one process) a dead process's leases are freed."""
        self._rounds.start()
        log.info(
            "mail: %s",
            f"SMTP {self.settings.smtp_host}:{self.settings.smtp_port}"
            if self.settings.smtp_host
            else "no SMTP host configured; mail is kept in the development mailbox (`sojourn mail`)",
        )
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the current round (a batch being sent finishes, or its lease brings it back later)."""
        self._rounds.stop(timeout)


def _without_tokens(tx: Any, row: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The message's HTML and text bodies with every task token Sojourn issued replaced by a marker."""
    bodies = (row["html"], row["text"])
    candidates = {match for body in bodies if body for match in token_candidates(body)}
    hashes = {hash_token(candidate): candidate for candidate in candidates}
    tokens = [hashes[known] for known in tx.known_token_hashes(sorted(hashes))]
    return redact_known(bodies[0], tokens), redact_known(bodies[1], tokens)
