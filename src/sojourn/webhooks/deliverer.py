"""The webhook deliverer: takes due deliveries from the outbox with a lease and POSTs them (httpx).

One runs in every `sojourn serve` and `sojourn worker` process. Each attempt carries
`Content-Type: application/json`, `X-Sojourn-Delivery` (the delivery's id, the same on every attempt: the
receiver de-duplicates by it), `X-Sojourn-Timestamp` (epoch seconds of this attempt) and, when the delivery
names a secret, `X-Sojourn-Signature: sha256=<hex>`, the HMAC-SHA256 of "<timestamp>.<body>" with it.
Outcomes:
- a 2xx answer: DELIVERED;
- any other answer (redirects are not followed), a timeout or a connection error: tried again with
  exponential backoff and jitter (10 s doubling to 1 h), FAILED with the last error once the delivery is
  older than `webhook_max_age` (24 h by default).
A delivery is leased to one deliverer at a time, so several processes share the outbox. A crash after the
receiver answered but before DELIVERED was committed sends it again when the lease runs out (at least once).
Secrets are read from the settings at send time; neither they nor the URLs' paths are logged.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import random
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from sojourn import metrics
from sojourn.store.base import Store, Tx
from sojourn.store.rounds import Rounds
from sojourn.store.rows import WebhookDeliveryRow

__all__ = ["Outcome", "WebhookDeliverer", "retry_delay", "sign"]

log = logging.getLogger("sojourn.webhooks")

FIRST_RETRY_SECONDS = 10.0
MAX_RETRY_SECONDS = 3600.0
BATCH = 10
MAX_RESPONSE_BYTES = 4096  # of an answer's body, kept (shortened) in the error: receivers can answer a lot
USER_AGENT = "Sojourn-Webhooks/1"


class _QuietWhilePosting(logging.Filter):
    """httpx logs every request's whole URL at INFO; a Slack or Teams URL is a credential, so the thread that
    posts a delivery keeps httpx quiet meanwhile (this module logs the scheme and host instead)."""

    posting = threading.local()

    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(self.posting, "on", False)


_quiet = _QuietWhilePosting()
logging.getLogger("httpx").addFilter(_quiet)


def retry_delay(attempts: int, rng: random.Random | None = None) -> float:
    """Seconds to wait after the `attempts`-th failed try: 10 s, 20 s, 40 s, ... at most 1 h, each with
    "equal jitter" (between half and all of it), so receivers coming back are not hit all at once."""
    ceiling = min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** max(0, attempts - 1))
    return ceiling / 2 + (rng or random).uniform(0, ceiling / 2)


def sign(secret: str, timestamp: str, body: str) -> str:
    """The `X-Sojourn-Signature` value: `sha256=` and the hex HMAC-SHA256 of "<timestamp>.<body>"."""
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"sha256={digest}"


@dataclass(frozen=True)
class Outcome:
    """How one attempt went: delivered (a 2xx) or not, the HTTP status when there was an answer."""

    delivered: bool
    status: int | None = None
    error: str | None = None


class WebhookDeliverer:
    """Delivers the webhook outbox of `store`. `deliver_due()` does one round (tests call it with their
    clock); `start()` runs rounds in a thread, waking when a delivery is queued or a retry falls due.
    `transport` is httpx's seam (tests may pass `httpx.MockTransport`)."""

    def __init__(
        self,
        store: Store,
        settings: Any,
        *,
        clock: Callable[[], float] = time.time,
        transport: httpx.BaseTransport | None = None,
        rng: random.Random | None = None,
        batch: int = BATCH,
    ):
        self.store = store
        self.settings = settings
        self.clock = clock
        self.timeout = float(settings.webhook_timeout)
        self.max_age = float(settings.webhook_max_age)
        self.rng = rng or random.Random()
        self.batch = batch
        # Long enough for a whole batch against a receiver that answers at the last second of every timeout.
        self.lease_seconds = self.timeout * (batch + 3)
        self.owner = f"webhooks-{uuid.uuid4().hex[:12]}"
        self.http = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(self.timeout),
            follow_redirects=False,
            headers={"User-Agent": USER_AGENT},
            trust_env=False,
        )
        self._rounds = Rounds(
            store,
            "sojourn-webhooks",
            self.deliver_due,
            lambda tx: tx.next_webhook_due(),
            lambda tx, now: tx.release_webhook_leases(now),
            clock,
            log,
        )

    def deliver_due(self) -> int:
        """POST one batch of due deliveries and record how each went; how many were handled."""
        with self.store.transaction() as tx:
            rows = tx.claim_webhooks(self.owner, self.clock(), self.lease_seconds, self.batch)
        for row in rows:
            outcome = self.post(row)
            with self.store.transaction() as tx:
                self._record(tx, row, outcome, self.clock())
        return len(rows)

    def post(self, row: Mapping[str, Any]) -> Outcome:
        """One attempt at a delivery; never raises for HTTP trouble."""
        timestamp = str(int(self.clock()))
        headers = {
            "Content-Type": "application/json",
            "X-Sojourn-Delivery": row["id"],
            "X-Sojourn-Timestamp": timestamp,
        }
        if row["secret_name"]:
            secret = self.settings.secrets.get(row["secret_name"])
            if not secret:
                return Outcome(False, None, f"the signing secret {row['secret_name']} is not set")
            headers["X-Sojourn-Signature"] = sign(secret, timestamp, row["body"])
        _quiet.posting.on = True
        try:
            with self.http.stream(
                "POST", row["url"], content=row["body"].encode(), headers=headers
            ) as answer:
                excerpt = _read_capped(answer)
        except httpx.HTTPError as e:
            return Outcome(False, None, _describe(e))
        finally:
            _quiet.posting.on = False
        if 200 <= answer.status_code < 300:
            return Outcome(True, answer.status_code)
        why = " (redirects are not followed)" if answer.is_redirect else ""
        said = f": {excerpt}" if excerpt else ""
        return Outcome(False, answer.status_code, f"HTTP {answer.status_code}{why}{said}")

    def _record(self, tx: Tx, row: WebhookDeliveryRow, outcome: Outcome, now: float) -> None:
        seq, attempts, where = row["seq"], int(row["attempts"]), _where(row["url"])
        final = outcome.delivered or now - row["created_at"] >= self.max_age
        metrics.count_delivery("webhook", outcome.delivered, final)
        if outcome.delivered:
            tx.finish_webhook(seq, self.owner, "DELIVERED", outcome.status, None, now)
            log.info("webhook %s delivered to %s (attempt %d)", row["id"], where, attempts)
        elif now - row["created_at"] >= self.max_age:
            error = f"Gave up after {attempts} attempts over {self.max_age / 3600:g} h: {outcome.error}"
            tx.finish_webhook(seq, self.owner, "FAILED", outcome.status, error, now)
            log.warning("webhook %s to %s: %s", row["id"], where, error)
        else:
            delay = retry_delay(attempts, self.rng)
            error = outcome.error or "not delivered"
            tx.retry_webhook_later(seq, self.owner, outcome.status, error, now + delay)
            log.info("webhook %s to %s not delivered (%s); next try in %.0fs", row["id"], where, error, delay)

    # -- the background thread -----------------------------------------------------------------------

    def start(self) -> WebhookDeliverer:
        """Deliver in a background thread until `stop()`.
        On SQLite (one process) a dead process's leases are freed."""
        self._rounds.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the current round (a delivery in flight finishes, or its lease brings it back later)."""
        self._rounds.stop(timeout)
        self.close()

    def close(self) -> None:
        """Close the HTTP connections (a stopped deliverer closes them itself)."""
        self.http.close()


def _read_capped(answer: httpx.Response) -> str:
    """The start of an answer's body (at most MAX_RESPONSE_BYTES are read), on one line, shortened."""
    if answer.is_success:
        return ""  # nothing to keep
    taken = answer.content if answer.is_stream_consumed else b""  # a test transport's answer is read already
    for chunk in [] if answer.is_stream_consumed else answer.iter_raw():
        taken += chunk
        if len(taken) >= MAX_RESPONSE_BYTES:
            break
    text = taken[:MAX_RESPONSE_BYTES].decode("utf-8", "replace")
    text = " ".join(text.split())
    return text if len(text) <= 200 else text[:199] + "…"


def _describe(error: BaseException) -> str:
    kind = "timed out" if isinstance(error, httpx.TimeoutException) else type(error).__name__
    text = str(error)
    return f"{kind}: {text}" if text and text != kind else kind


def _where(url: str) -> str:
    """What the log says of a URL: its scheme and host (a Slack or Teams URL's path is its secret)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"
