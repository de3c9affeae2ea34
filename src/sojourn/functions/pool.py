"""Warm worker processes per function, invocations with a deadline, and the per-invocation logs.

Behaviour follows AWS Lambda's Python runtime: the handler is loaded once per worker (init), each
invocation gets a fresh request id and context, a timeout or a crash ends the worker (Lambda resets
the execution environment) and the next invocation starts a new one.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import subprocess
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sojourn import metrics
from sojourn.arns import DEFAULT_ACCOUNT, DEFAULT_REGION, function_arn

WORKER = Path(__file__).with_name("worker.py")
NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
ARN = re.compile(
    r"arn:aws:lambda:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):function:(?P<name>[A-Za-z0-9_-]+)(:[^:]+)?"
)
LOG_FILE_LIMIT = 5_000_000  # bytes before a function's log file is rotated once


def function_name(name_or_arn: str) -> str:
    """The function's name from a name, a full ARN (with or without qualifier) or
    `<account>:function:<name>`."""
    match = ARN.fullmatch(name_or_arn)
    if match:
        return match["name"]
    parts = name_or_arn.split(":")
    if len(parts) >= 3 and parts[-2] == "function":
        return parts[-1]
    if len(parts) >= 4 and parts[-3] == "function":
        return parts[-2]
    return name_or_arn


@dataclass(frozen=True)
class Function:
    """A function as the manifest declares it; `timeout` in seconds (Lambda's default is 3)."""

    name: str
    handler: str
    code_dir: Path
    environment: Mapping[str, str] = field(default_factory=dict)
    timeout: float = 3.0
    memory: int = 128

    def __post_init__(self) -> None:
        if not NAME.fullmatch(self.name):
            raise ValueError(f"Function name '{self.name}' must be 1-64 letters, digits, '-' or '_'")
        object.__setattr__(self, "code_dir", Path(self.code_dir).resolve())
        object.__setattr__(self, "environment", dict(self.environment))


@dataclass(frozen=True)
class Invocation:
    """One call's outcome. `status`: succeeded, failed (the handler's error), timed_out or crashed."""

    function: str
    request_id: str
    status: str
    result: Any = None
    error: dict[str, Any] | None = None
    log: str = ""
    started: str = ""
    duration_ms: float = 0.0
    timeout: float = 0.0  # the deadline this call had, in seconds

    @property
    def ok(self) -> bool:
        return self.status == "succeeded"

    def record(self) -> dict[str, Any]:
        """The stored log record (what `function_logs` returns)."""
        return {
            "function": self.function,
            "requestId": self.request_id,
            "status": self.status,
            "started": self.started,
            "durationMs": round(self.duration_ms, 2),
            "log": self.log,
            "error": self.error,
        }


class _Worker:
    """One process; speaks the JSON-lines protocol of worker.py."""

    def __init__(self, fn: Function, env: dict[str, str], stderr: Any):
        self.fn = fn
        self.process = subprocess.Popen(
            [sys.executable, "-u", str(WORKER)],
            cwd=fn.code_dir,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            close_fds=True,
            # Its own session: a Ctrl+C or a SIGTERM to the server's process group must not kill a call in
            # flight (the server's graceful shutdown lets it finish); it ends when its stdin closes.
            start_new_session=True,
        )
        self.buffer = b""

    def call(self, request: dict[str, Any], deadline: float) -> dict[str, Any] | str:
        """The worker's answer, or "timeout" / "crashed"."""
        assert self.process.stdin is not None and self.process.stdout is not None
        try:
            self.process.stdin.write(json.dumps(request).encode() + b"\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            return "crashed"
        fd = self.process.stdout.fileno()
        while b"\n" not in self.buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return "timeout"
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return "crashed"
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return json.loads(line)

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> int | None:
        with contextlib.suppress(OSError):
            self.process.kill()
        code = self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(OSError):
                stream.close()  # type: ignore[union-attr]
        return code


class FunctionPool:
    """The registry of functions and their warm workers; thread-safe (the runtime calls from threads)."""

    def __init__(
        self,
        functions: Iterable[Function] = (),
        *,
        region: str = DEFAULT_REGION,
        account_id: str = DEFAULT_ACCOUNT,
        endpoint_url: str | None = None,
        data_dir: str | Path | None = None,
        max_workers_per_function: int = 8,
        keep_logs: int = 500,
        environment: Mapping[str, str] | None = None,
    ):
        self.region, self.account_id, self.endpoint_url = region, account_id, endpoint_url
        self.data_dir = Path(data_dir) if data_dir is not None else None
        self.max_workers = max_workers_per_function
        self.environment = dict(environment or {})  # given to every function, under its own variables
        self._functions: dict[str, Function] = {}
        self._idle: dict[str, list[_Worker]] = {}
        self._busy: dict[str, int] = {}
        self._cond = threading.Condition()
        self._logs: deque[dict[str, Any]] = deque(maxlen=keep_logs)
        for fn in functions:
            self.register(fn)

    # --- the registry -------------------------------------------------------------------------
    def register(self, fn: Function) -> bool:
        """Add or replace a function; True when it changed (its warm workers are then retired)."""
        with self._cond:
            changed = self._functions.get(fn.name) != fn
            if changed:
                self._functions[fn.name] = fn
                self._retire(fn.name)
            return changed

    def get(self, name_or_arn: str) -> Function | None:
        return self._functions.get(function_name(name_or_arn))

    def names(self) -> list[str]:
        return sorted(self._functions)

    def arn(self, name: str) -> str:
        return function_arn(name, self.region, self.account_id)

    # --- invocations --------------------------------------------------------------------------
    def invoke(self, name_or_arn: str, event: Any, *, timeout: float | None = None) -> Invocation:
        """Run the handler once with `event`; `timeout` (seconds) may shorten the function's own.

        Raises KeyError when no function has that name.
        """
        fn = self.get(name_or_arn)
        if fn is None:
            raise KeyError(name_or_arn)
        limit = fn.timeout if timeout is None else min(fn.timeout, timeout)
        request_id = str(uuid.uuid4())
        started = datetime.now(UTC)
        begin = time.monotonic()
        worker = self._acquire(fn)
        request = {
            "id": request_id,
            "event": event,
            "timeout_ms": int(limit * 1000),
            "arn": self.arn(fn.name),
        }
        answer = worker.call(request, begin + limit)
        duration = (time.monotonic() - begin) * 1000
        invocation = self._outcome(fn, worker, answer, request_id, started, duration, limit)
        self._release(worker, keep=isinstance(answer, dict) and not answer.get("exit"))
        self._store(invocation)
        metrics.FUNCTION_INVOCATIONS.labels(fn.name, invocation.status).inc()
        metrics.FUNCTION_DURATION.labels(fn.name).observe(duration / 1000)
        return invocation

    def close(self) -> None:
        """End every worker (idle ones now; busy ones when their call returns)."""
        with self._cond:
            for name in list(self._idle):
                self._retire(name)
            self._functions.clear()

    def logs(self, name: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """The latest invocation records kept in memory, oldest first."""
        records = [r for r in self._logs if name is None or r["function"] == name]
        return records[-limit:]

    # --- inside -------------------------------------------------------------------------------
    def _acquire(self, fn: Function) -> _Worker:
        with self._cond:
            while True:
                idle = self._idle.setdefault(fn.name, [])
                while idle:
                    worker = idle.pop()
                    if worker.alive() and worker.fn == fn:
                        self._busy[fn.name] = self._busy.get(fn.name, 0) + 1
                        return worker
                    worker.kill()
                if self._busy.get(fn.name, 0) < self.max_workers:
                    self._busy[fn.name] = self._busy.get(fn.name, 0) + 1
                    return self._spawn(fn)
                self._cond.wait()

    def _release(self, worker: _Worker, keep: bool) -> None:
        with self._cond:
            name = worker.fn.name
            self._busy[name] -= 1
            if keep and worker.alive() and self._functions.get(name) == worker.fn:
                self._idle.setdefault(name, []).append(worker)
            else:
                worker.kill()
            self._cond.notify()

    def _retire(self, name: str) -> None:
        for worker in self._idle.pop(name, []):
            worker.kill()

    def _spawn(self, fn: Function) -> _Worker:
        stderr: Any = subprocess.DEVNULL
        if self.data_dir is not None:
            (self.data_dir / "functions").mkdir(parents=True, exist_ok=True)
            stderr = open(self.data_dir / "functions" / f"{fn.name}.stderr", "ab")  # noqa: SIM115
        try:
            return _Worker(fn, self._environment(fn), stderr)
        finally:
            if stderr is not subprocess.DEVNULL:
                stderr.close()

    def _environment(self, fn: Function) -> dict[str, str]:
        """Lambda's reserved variables, the endpoint of Sojourn for boto3, then the function's own."""
        stream = f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1",
            "_HANDLER": fn.handler,
            "LAMBDA_TASK_ROOT": str(fn.code_dir),
            "AWS_EXECUTION_ENV": f"AWS_Lambda_python{sys.version_info.major}.{sys.version_info.minor}",
            "AWS_LAMBDA_FUNCTION_NAME": fn.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory),
            "AWS_LAMBDA_FUNCTION_TIMEOUT": str(int(fn.timeout)),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{fn.name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": stream,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            # Sojourn does not check signatures, boto3 only needs some credentials; with an API key set,
            # `sojourn_environment` gives the functions' own access key id instead of this one.
            "AWS_ACCESS_KEY_ID": "sojourn",
            "AWS_SECRET_ACCESS_KEY": "sojourn",
            # Keep the user's ~/.aws profiles out of the function.
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }
        if self.endpoint_url:
            env["AWS_ENDPOINT_URL_SFN"] = env["AWS_ENDPOINT_URL"] = self.endpoint_url
        env.update(self.environment)
        env.update(fn.environment)
        return env

    def _outcome(
        self,
        fn: Function,
        worker: _Worker,
        answer: dict[str, Any] | str,
        request_id: str,
        started: datetime,
        duration: float,
        limit: float,
    ) -> Invocation:
        common: dict[str, Any] = {
            "function": fn.name,
            "request_id": request_id,
            "started": started.isoformat(),
            "duration_ms": duration,
            "timeout": limit,
        }
        if answer == "timeout":
            stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
            message = f"{stamp} {request_id} Task timed out after {limit:.2f} seconds"
            worker.kill()
            return Invocation(
                status="timed_out",
                error={"errorMessage": message},
                log=self._frame(request_id, "", duration, fn, message + "\n"),
                **common,
            )
        if answer == "crashed":
            code = worker.kill()
            why = f"signal: {_signal_name(-code)}" if code is not None and code < 0 else f"exit status {code}"
            message = f"RequestId: {request_id} Error: Runtime exited with error: {why}"
            return Invocation(
                status="crashed",
                error={"errorMessage": message, "errorType": "Runtime.ExitError"},
                log=self._frame(request_id, "", duration, fn, message + "\n"),
                **common,
            )
        assert isinstance(answer, dict)
        if answer.get("ok"):
            return Invocation(
                status="succeeded",
                result=answer.get("result"),
                log=self._frame(request_id, answer.get("log", ""), duration, fn),
                **common,
            )
        error = answer["error"]
        trace = "".join(error.get("stackTrace") or [])
        extra = (
            f"[ERROR] {error['errorType']}: {error['errorMessage']}\n"
            f"Traceback (most recent call last):\n{trace}"
        )
        status = "crashed" if error.get("errorType") == "Runtime.ExitError" else "failed"
        return Invocation(
            status=status,
            error=error,
            log=self._frame(request_id, answer.get("log", ""), duration, fn, extra),
            **common,
        )

    @staticmethod
    def _frame(request_id: str, body: str, duration: float, fn: Function, extra: str = "") -> str:
        """The log of one invocation framed like CloudWatch's START / END / REPORT lines."""
        return (
            f"START RequestId: {request_id} Version: $LATEST\n{body}{extra}END RequestId: {request_id}\n"
            f"REPORT RequestId: {request_id}\tDuration: {duration:.2f} ms\tMemory Size: {fn.memory} MB\n"
        )

    def _store(self, invocation: Invocation) -> None:
        record = invocation.record()
        self._logs.append(record)
        if self.data_dir is None:
            return
        path = _log_path(self.data_dir, invocation.function)
        with self._cond:
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.exists() and path.stat().st_size > LOG_FILE_LIMIT:
                path.replace(path.with_suffix(".jsonl.1"))
            with path.open("a", encoding="utf-8") as out:
                out.write(json.dumps(record) + "\n")


def _signal_name(number: int) -> str:
    import signal

    try:
        return signal.Signals(number).name.removeprefix("SIG").lower().replace("kill", "killed")
    except ValueError:
        return str(number)


def _log_path(data_dir: Path, name: str) -> Path:
    return data_dir / "functions" / f"{name}.jsonl"


def function_logs(data_dir: str | Path, name: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """The latest invocation records written under `data_dir` (all functions, or one), oldest first.

    The server answers them at `GET /sojourn/logs` (`sojourn logs`); `sojourn logs --data-dir` reads a folder.
    """
    folder = Path(data_dir) / "functions"
    paths = [_log_path(Path(data_dir), name)] if name else sorted(folder.glob("*.jsonl"))
    records: list[dict[str, Any]] = []
    for path in paths:
        if path.exists():
            lines = path.read_text(encoding="utf-8").splitlines()[-limit:]
            records.extend(json.loads(line) for line in lines if line.strip())
    records.sort(key=lambda r: r.get("started", ""))
    return records[-limit:]


def sojourn_environment(settings: Any) -> dict[str, str]:
    """What a function needs to reach this Sojourn with `Settings.load()` (e.g. the mail helper's outbox) and
    with boto3: the database, data folder, public URL, region and account, paths made absolute (functions run
    in their code folder), and with an API key set the functions' own credential (never the key itself)."""
    db_url = settings.db_url
    if (
        db_url.startswith("sqlite:///")
        and not Path(db_url.removeprefix("sqlite:///")).expanduser().is_absolute()
    ):
        db_url = "sqlite:///" + str(Path(db_url.removeprefix("sqlite:///")).expanduser().resolve())
    environment = {
        "SOJOURN_DB_URL": db_url,
        "SOJOURN_DATA_DIR": str(Path(settings.data_dir).resolve()),
        "SOJOURN_PUBLIC_BASE_URL": settings.public_base_url,
        "SOJOURN_REGION": settings.region,
        "SOJOURN_ACCOUNT_ID": settings.account_id,
    }
    credential = getattr(settings, "function_credential", None)
    if credential:
        environment["AWS_ACCESS_KEY_ID"] = credential
    return environment
