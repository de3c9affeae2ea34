"""The Step Functions API over HTTP: Sojourn (`sojourn serve`, SQLite) against moto's server, in one run.

    python bench/api_bench.py [--seconds 5] [--concurrency 1,8,32] [--tokens 200] [--only sojourn|moto]

Measures StartExecution requests per second with 1, 8 and 32 concurrent clients (keep-alive
connections from a minimal asyncio HTTP client, so the load generator costs little of the CPU), and
how fast the server then finishes what it accepted (executions completed per second, counted from the
first request until none is RUNNING: the workers run every execution on the same machine meanwhile).
Then the latency of SendTaskSuccess (p50/p99) on tasks waiting for their token: Sojourn hands tokens out
through an activity (GetActivityTask), moto through SQS (`sqs:sendMessage.waitForTaskToken`). moto runs
in its executing mode (`execute_state_machine`), so both servers really run what they start; Sojourn
also writes every execution durably to SQLite. moto is measured when installed (`pip install -e '.[bench]'`).
The figures depend on what else runs on the machine: the load average is printed with them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import httpx
from botocore.config import Config

HELLO = {"StartAt": "Hello", "States": {"Hello": {"Type": "Pass", "Result": "world", "End": True}}}
ROLE = "arn:aws:iam::123456789012:role/bench"
READ_TIMEOUT = 60.0  # seconds a server may take to answer one request before the benchmark gives up


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def process(
    command: list[str], url: str, health: str, log: Path, env: dict[str, str] | None = None
) -> Iterator[None]:
    """Run a server until the block ends; wait until `health` answers."""
    with log.open("w") as out:
        child = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if child.poll() is not None:
                raise SystemExit(f"{command[0]} exited:\n{log.read_text()[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(url + health, timeout=1)
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"{command[0]} did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)
        yield
    finally:
        child.terminate()
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def sfn(url: str) -> Any:
    return boto3.client(
        "stepfunctions",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        config=Config(retries={"max_attempts": 1}, read_timeout=120),
    )


# -- a minimal keep-alive HTTP/1.1 client: AWS JSON 1.0 calls without boto3's per-call cost -----------


class Connection:
    """One keep-alive connection that sends AWS JSON 1.0 requests and reads the answers."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def call(self, action: str, body: dict[str, Any]) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        payload = json.dumps(body).encode()
        self.writer.write(
            f"POST / HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nX-Amz-Target: AWSStepFunctions.{action}\r\n"
            f"Content-Type: application/x-amz-json-1.0\r\nAuthorization: AWS4-HMAC-SHA256 "
            f"Credential=bench/20260101/us-east-1/states/aws4_request, SignedHeaders=host, Signature=0\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n".encode()
            + payload
        )
        assert self.reader is not None
        head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), READ_TIMEOUT)
        status = int(head[9:12])
        length, closing = 0, False
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
            closing = closing or line.lower() == b"connection: close"
        body = await asyncio.wait_for(self.reader.readexactly(length), READ_TIMEOUT)
        if closing:  # the server ends the connection after this answer (moto's does for some actions)
            self.close()
        return status, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


@dataclass
class Load:
    requests: int = 0
    errors: int = 0
    warmup: int = 0  # requests made before measuring began
    latencies: list[float] = field(default_factory=list)


async def start_executions(url: str, machine_arn: str, clients: int, seconds: float) -> tuple[float, Load]:
    """StartExecution from `clients` connections for `seconds` (after a short warm-up); (req/s, load)."""
    host, port = url.removeprefix("http://").split(":")
    load = Load()
    measuring = False
    stop_at = 0.0

    async def client() -> None:
        connection = Connection(host, int(port))
        try:
            while not stop_at or time.perf_counter() < stop_at:
                began = time.perf_counter()
                status, _ = await connection.call(
                    "StartExecution", {"stateMachineArn": machine_arn, "input": '{"n": 1}'}
                )
                if measuring:
                    load.requests += 1
                    load.errors += status != 200
                    load.latencies.append(time.perf_counter() - began)
                else:
                    load.warmup += 1
        finally:
            connection.close()

    tasks = [asyncio.create_task(client()) for _ in range(clients)]
    await asyncio.sleep(min(1.0, seconds / 5))  # warm-up: connections open, caches filled
    measuring = True
    began = time.perf_counter()
    stop_at = began + seconds
    await asyncio.gather(*tasks)
    return load.requests / (time.perf_counter() - began), load


async def send_task_successes(url: str, tokens: list[str]) -> list[float]:
    """Latency of SendTaskSuccess, one call at a time on a keep-alive connection."""
    host, port = url.removeprefix("http://").split(":")
    connection = Connection(host, int(port))
    latencies = []
    try:
        for token in tokens:
            began = time.perf_counter()
            status, body = await connection.call(
                "SendTaskSuccess", {"taskToken": token, "output": '{"ok": true}'}
            )
            latencies.append(time.perf_counter() - began)
            if status != 200:
                raise SystemExit(f"SendTaskSuccess answered {status}: {body[:300]!r}")
    finally:
        connection.close()
    return latencies


# -- the two servers ----------------------------------------------------------------------------------


def sojourn_tokens(url: str, count: int) -> list[str]:
    """Start `count` executions waiting in an activity Task; take their tokens with GetActivityTask."""
    client = sfn(url)
    activity = client.create_activity(name="bench-approval")["activityArn"]
    definition = {"StartAt": "Wait", "States": {"Wait": {"Type": "Task", "Resource": activity, "End": True}}}
    machine = client.create_state_machine(
        name="bench-tokens", definition=json.dumps(definition), roleArn=ROLE
    )
    for _ in range(count):
        client.start_execution(stateMachineArn=machine["stateMachineArn"])
    return [
        client.get_activity_task(activityArn=activity, workerName="bench")["taskToken"] for _ in range(count)
    ]


def moto_tokens(url: str, count: int) -> list[str]:
    """Start `count` executions waiting on `sqs:sendMessage.waitForTaskToken`; read the tokens from SQS."""
    sqs = boto3.client(
        "sqs",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )
    queue = sqs.create_queue(QueueName="bench-tokens")["QueueUrl"]
    definition = {
        "StartAt": "Wait",
        "States": {
            "Wait": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "End": True,
                "Parameters": {"QueueUrl": queue, "MessageBody": {"token.$": "$$.Task.Token"}},
            }
        },
    }
    client = sfn(url)
    machine = client.create_state_machine(
        name="bench-tokens", definition=json.dumps(definition), roleArn=ROLE
    )
    for _ in range(count):
        client.start_execution(stateMachineArn=machine["stateMachineArn"])
    tokens: list[str] = []
    deadline = time.monotonic() + 120
    while len(tokens) < count and time.monotonic() < deadline:
        for message in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        ):
            tokens.append(json.loads(message["Body"])["token"])
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
    return tokens


@contextlib.contextmanager
def sojourn_server(workdir: Path) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable,
        "-m",
        "sojourn.cli",
        "serve",
        "--port",
        str(port),
        "--db",
        f"sqlite:///{workdir / 'bench.db'}",
    ]
    with process(
        command, url, "/health", workdir / "sojourn.log", {"SOJOURN_DATA_DIR": str(workdir / "data")}
    ):
        yield url


@contextlib.contextmanager
def moto_server(workdir: Path) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    with process(command, url, "/moto-api/", workdir / "moto.log"):
        httpx.post(
            url + "/moto-api/config", json={"stepfunctions": {"execute_state_machine": True}}, timeout=10
        )
        yield url


def drained(client: Any, machine: str, timeout: float = 600) -> None:
    """Wait until no execution of `machine` is RUNNING."""
    deadline = time.monotonic() + timeout
    while client.list_executions(stateMachineArn=machine, statusFilter="RUNNING", maxResults=1)["executions"]:
        if time.monotonic() > deadline:
            raise SystemExit(f"executions still RUNNING after {timeout}s")
        time.sleep(0.05)


def measure(name: str, url: str, tokens_of: Any, args: argparse.Namespace) -> dict[str, Any]:
    client = sfn(url)
    machine = client.create_state_machine(name="bench-hello", definition=json.dumps(HELLO), roleArn=ROLE)[
        "stateMachineArn"
    ]
    row: dict[str, Any] = {"server": name}
    for clients in args.concurrency:
        began = time.perf_counter()
        rate, load = asyncio.run(start_executions(url, machine, clients, args.seconds))
        drained(client, machine)
        # Executions started during the warm-up are counted too: (measured + warm-up) / (all the time).
        done = (load.requests + load.warmup) / (time.perf_counter() - began)
        row[f"start/s c={clients}"] = rate
        row[f"done/s c={clients}"] = done
        row[f"errors c={clients}"] = load.errors
        print(
            f"  {name}: StartExecution with {clients:>2} clients: {rate:8.0f}/s "
            f"(p50 {1000 * statistics.median(load.latencies):.1f} ms, {load.errors} errors); "
            f"all of them completed at {done:6.0f}/s",
            flush=True,
        )
    tokens = tokens_of(url, args.tokens)
    latencies = sorted(asyncio.run(send_task_successes(url, tokens)))
    row["send p50 ms"] = 1000 * latencies[len(latencies) // 2]
    row["send p99 ms"] = 1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(
        f"  {name}: SendTaskSuccess p50 {row['send p50 ms']:.2f} ms, p99 {row['send p99 ms']:.2f} ms "
        f"({len(latencies)} tasks)",
        flush=True,
    )
    return row


def table(rows: list[dict[str, Any]], concurrency: list[int]) -> str:
    header = [
        "server",
        *[f"StartExecution/s c={c} (completed/s)" for c in concurrency],
        "SendTaskSuccess p50",
        "p99",
    ]
    lines = [" | ".join(header), " | ".join("---" for _ in header)]
    for row in rows:
        cells = [
            row["server"],
            *[f"{row[f'start/s c={c}']:.0f} ({row[f'done/s c={c}']:.0f})" for c in concurrency],
            f"{row['send p50 ms']:.2f} ms",
            f"{row['send p99 ms']:.2f} ms",
        ]
        lines.append(" | ".join(cells))
    return "\n".join(lines)


def moto_installed() -> bool:
    """moto with its server's dependencies (`moto[server]`: Flask)."""
    try:
        import flask  # noqa: F401
        import moto  # noqa: F401
    except ImportError:
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="measured seconds per concurrency level")
    parser.add_argument("--concurrency", type=lambda s: [int(x) for x in s.split(",")], default=[1, 8, 32])
    parser.add_argument("--tokens", type=int, default=200, help="SendTaskSuccess calls timed")
    parser.add_argument("--only", choices=["sojourn", "moto"], help="measure one server only")
    args = parser.parse_args()
    with_moto = args.only != "sojourn" and moto_installed()
    if args.only == "moto" and not with_moto:
        raise SystemExit("moto's server is not installed: pip install 'moto[server,stepfunctions]'")
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} before the run", flush=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="sojourn-bench-") as tmp:
        workdir = Path(tmp)
        if args.only != "moto":
            with sojourn_server(workdir) as url:
                rows.append(measure("sojourn (SQLite)", url, sojourn_tokens, args))
        if with_moto:
            with moto_server(workdir) as url:
                rows.append(measure("moto server", url, moto_tokens, args))
        elif args.only is None:
            print(
                "  (moto's server not installed: pip install 'moto[server,stepfunctions]' "
                "to measure it side by side)"
            )
    print(f"\nload average {os.getloadavg()[0]:.2f} after the run (other processes share the CPUs)\n")
    print(table(rows, args.concurrency))


if __name__ == "__main__":
    main()
