"""Mail fixtures: a real aiosmtpd SMTP server that can refuse on demand, a clock the test moves."""

from __future__ import annotations

import email
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from sojourn.config import Settings
from sojourn.mail.deliverer import Deliverer
from sojourn.store.base import Store


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    def part(self, subtype: str) -> str | None:
        body = self.message.get_body(preferencelist=(subtype,))
        if body is None or body.get_content_subtype() != subtype:
            return None
        return str(body.get_content()).replace("\r\n", "\n")  # the wire has CRLF line ends


@dataclass
class SmtpServer:
    """Records what it accepts; `refuse(stage, reply, times)` makes it answer `reply` at RCPT or DATA."""

    port: int
    received: list[Received] = field(default_factory=list)
    refusals: dict[str, list[str]] = field(default_factory=dict)
    controller: Controller | None = None
    logins: list[str] = field(default_factory=list)

    def refuse(self, stage: str, reply: str, times: int = 1) -> None:
        self.refusals.setdefault(stage, []).extend([reply] * times)

    def _refusal(self, stage: str) -> str | None:
        waiting = self.refusals.get(stage)
        return waiting.pop(0) if waiting else None

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        refusal = self._refusal("RCPT")
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        refusal = self._refusal("DATA")
        if refusal:
            return refusal
        message = email.message_from_bytes(envelope.content, policy=default)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def start(self, credentials: tuple[str, str] | None = None, **tls: Any) -> SmtpServer:
        """Listen; with `credentials`, only clients that log in with them (AUTH PLAIN/LOGIN) may send.

        `tls`: aiosmtpd's `tls_context=` and `require_starttls=` (STARTTLS) or `ssl_context=` (implicit TLS).
        """
        kwargs: dict[str, Any] = dict(tls)
        if credentials is not None:

            def authenticate(
                server: Any, session: Any, envelope: Any, mechanism: str, data: Any
            ) -> AuthResult:
                self.logins.append(data.login.decode())
                ok = (data.login.decode(), data.password.decode()) == credentials
                return AuthResult(success=ok, handled=False)  # not handled: aiosmtpd answers 535 itself

            kwargs.update(authenticator=authenticate, auth_required=True, auth_require_tls=False)
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, **kwargs)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """An SMTP server on a free port, not yet started (a test may want it down at first)."""
    server = SmtpServer(free_port())
    yield server
    server.stop()


class Clock:
    """Epoch seconds that move only when the test says so (starts at the real time: mail ages by it)."""

    def __init__(self) -> None:
        import time

        self.now = float(int(time.time()))

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def smtp_settings(smtp_server: SmtpServer, store_url: str) -> Settings:
    return Settings(
        db_url=store_url,
        smtp_host="127.0.0.1",
        smtp_port=smtp_server.port,
        smtp_sender="Sojourn <sojourn@example.com>",
    )


@pytest.fixture
def make_deliverer(store: Store, clock: Clock) -> Callable[..., Deliverer]:
    def make(settings: Settings, **kwargs: Any) -> Deliverer:
        return Deliverer(store, settings, clock=clock, **kwargs)

    return make
