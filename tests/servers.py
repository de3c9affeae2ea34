"""Real servers for tests: an SMTP server (aiosmtpd) and `sojourn serve` subprocesses, on free ports.

Imported by the test packages that need them (`from servers import serve`); `tests/` is on sys.path.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Mailbox:
    """Messages an aiosmtpd server received, parsed; `wait_for` polls until one matches."""

    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler protocol
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)  # type: ignore[arg-type]
        return "250 OK"

    def wait_for(self, predicate, timeout: float = 30.0) -> EmailMessage:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for message in self.messages:
                    if predicate(message):
                        return message
            time.sleep(0.05)
        with self.lock:
            subjects = [(m["To"], m["Subject"]) for m in self.messages]
        raise AssertionError(f"no matching email within {timeout}s; received: {subjects}")

    def to(self, address: str, subject_part: str, timeout: float = 30.0) -> EmailMessage:
        return self.wait_for(lambda m: address in str(m["To"]) and subject_part in str(m["Subject"]), timeout)


@contextlib.contextmanager
def smtp_server() -> Iterator[Mailbox]:
    """A real SMTP server on a free port, keeping what it receives."""
    from aiosmtpd.controller import Controller

    port = free_port()
    mailbox = Mailbox("127.0.0.1", port)
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


@dataclass
class Server:
    """A running `sojourn serve`: its base URL, database URL and log file."""

    url: str
    db_url: str
    log: Path
    process: subprocess.Popen

    def client(self):
        import boto3

        return boto3.client(
            "stepfunctions", endpoint_url=self.url, region_name="us-east-1",
            aws_access_key_id="test", aws_secret_access_key="test",
        )

    def logs(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@contextlib.contextmanager
def serve(args: list[str], tmp_path: Path, env: dict[str, str] | None = None) -> Iterator[Server]:
    """Start `sojourn serve ARGS` on a free port with a fresh SQLite file; stop it afterwards."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    db_url = f"sqlite:///{tmp_path / 'sojourn.db'}"
    log = tmp_path / "server.log"
    environment = {
        **os.environ,
        "SOJOURN_DB_URL": db_url,
        "SOJOURN_PORT": str(port),
        "SOJOURN_HOST": "127.0.0.1",
        "SOJOURN_PUBLIC_BASE_URL": url,
        "SOJOURN_DATA_DIR": str(tmp_path / "data"),
        **(env or {}),
    }
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "sojourn.cli", "serve", "--port", str(port), "--db", db_url, *args],
            cwd=tmp_path, env=environment, stdout=out, stderr=subprocess.STDOUT,
        )
    server = Server(url, db_url, log, process)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise AssertionError(f"sojourn serve exited with {process.returncode}:\n{server.logs()}")
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(url + "/health", timeout=1)
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"sojourn serve did not answer within 60s:\n{server.logs()}")
            time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
