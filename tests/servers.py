"""Real servers for tests, on free ports: `sojourn serve` and `sojourn worker` subprocesses on a fresh
database, uvicorn in a thread around any ASGI app, and an SMTP server (aiosmtpd) that keeps what it receives.

Imported by the test packages that need them (`from servers import serve`); `tests/` is on sys.path.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import uvicorn

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serving_app(app: Any) -> Iterator[str]:
    """Serve the ASGI `app` with uvicorn in a thread (no lifespan) over real HTTP; yield its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


class TcpProxy:
    """A TCP proxy on a free port to `target` (host, port), in threads; `cut()` breaks every link it carries.

    Lets a test take a database away from a server for a moment (as a network fault or a restart would)
    without stopping a PostgreSQL that other tests share. New connections are carried again at once.
    """

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.links: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                downstream, _ = self.listener.accept()
            except OSError:
                return  # closed
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                downstream.close()
                continue
            upstream.settimeout(None)
            with self.lock:
                self.links += [downstream, upstream]
            for source, sink in ((downstream, upstream), (upstream, downstream)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        """Break every link now (both ends see the connection reset or closed)."""
        with self.lock:
            links, self.links = self.links, []
        for link in links:
            with contextlib.suppress(OSError):
                link.shutdown(socket.SHUT_RDWR)
            link.close()

    def close(self) -> None:
        self.listener.close()
        self.cut()


@contextlib.contextmanager
def tcp_proxy(host: str, port: int) -> Iterator[TcpProxy]:
    """A `TcpProxy` to host:port for the length of the block."""
    proxy = TcpProxy((host, port))
    try:
        yield proxy
    finally:
        proxy.close()


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
    """A running `sojourn serve` (or `sojourn worker`, then `url` is empty): its URLs, log and process."""

    url: str
    db_url: str
    log: Path
    process: subprocess.Popen
    home: Path
    api_key: str | None = None  # the server's SOJOURN_API_KEY: its clients present it

    def client(self, **config: Any) -> Any:
        """boto3's stepfunctions client on this server (StartSyncExecution's host prefix off:
        127.0.0.1 has none), with the server's API key as the access key id when it has one."""
        import boto3
        from botocore.config import Config

        options = {"retries": {"max_attempts": 1}, "read_timeout": 70, "inject_host_prefix": False, **config}
        return boto3.client(
            "stepfunctions",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id=self.api_key or "test",
            aws_secret_access_key="test",
            config=Config(**options),
        )

    def aws(self, *args: str) -> Any:
        """Run the real AWS CLI (`aws stepfunctions ARGS --endpoint-url URL`);
        the parsed JSON answer, or raise."""
        done = self.aws_raw(*args)
        if done.returncode != 0:
            raise AssertionError(f"aws {' '.join(args)} exited {done.returncode}: {done.stderr}")
        return json.loads(done.stdout) if done.stdout.strip() else {}

    def aws_raw(self, *args: str) -> subprocess.CompletedProcess:
        environment = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": str(self.home / "aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(self.home / "aws-credentials"),
            "AWS_DISABLE_HOST_PREFIX_INJECTION": "true",
            "AWS_MAX_ATTEMPTS": "1",
        }
        command = [
            sys.executable,
            "-m",
            "awscli",
            "stepfunctions",
            *args,
            "--endpoint-url",
            self.url,
            "--output",
            "json",
        ]
        return subprocess.run(command, env=environment, capture_output=True, text=True, timeout=90)

    def logs(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        """Send `sig` and wait for the process to exit; its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(
                f"process did not exit within {timeout}s of signal {sig}:\n{self.logs()}"
            ) from None


def _environment(home: Path, db_url: str, extra: dict[str, str] | None) -> dict[str, str]:
    return {**os.environ, "SOJOURN_DB_URL": db_url, "SOJOURN_DATA_DIR": str(home / "data"), **(extra or {})}


@contextlib.contextmanager
def serve(
    home: Path, *args: str, db_url: str | None = None, env: dict[str, str] | None = None
) -> Iterator[Server]:
    """Start `sojourn serve ARGS` on a free port (fresh SQLite file in `home` unless `db_url`);
    stop it afterwards."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    db_url = db_url or f"sqlite:///{home / 'sojourn.db'}"
    log = home / f"serve-{port}.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "sojourn.cli", "serve", "--port", str(port), "--db", db_url, *args],
            cwd=home,
            env=_environment(home, db_url, env),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(url, db_url, log, process, home, (env or {}).get("SOJOURN_API_KEY"))
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise AssertionError(f"sojourn serve exited with {process.returncode}:\n{server.logs()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise AssertionError(f"sojourn serve did not answer within 60s:\n{server.logs()}")
            time.sleep(0.05)
        yield server
    finally:
        with contextlib.suppress(AssertionError):
            server.stop()


@contextlib.contextmanager
def worker(home: Path, db_url: str, *args: str, env: dict[str, str] | None = None) -> Iterator[Server]:
    """Start `sojourn worker ARGS` on `db_url` (`env` added to its environment); stop it (SIGTERM)
    afterwards."""
    log = home / f"worker-{time.monotonic_ns()}.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "sojourn.cli", "worker", "--db", db_url, *args],
            cwd=home,
            env=_environment(home, db_url, env),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server("", db_url, log, process, home)
    try:
        yield server
    finally:
        with contextlib.suppress(AssertionError):
            server.stop()


def wait_for(predicate: Any, timeout: float = 20.0, every: float = 0.05) -> Any:
    """Poll `predicate()` until it returns something truthy; that value (AssertionError after `timeout`)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(every)


def wait_for_status(sfn: Any, execution_arn: str, status: str, timeout: float = 20.0) -> dict[str, Any]:
    """Describe the execution until it has `status`; the description."""

    def described() -> dict[str, Any] | None:
        answer = sfn.describe_execution(executionArn=execution_arn)
        return answer if answer["status"] == status else None

    return wait_for(described, timeout)
