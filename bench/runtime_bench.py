"""The durable runtime against DBOS Transact, on the same SQLite and PostgreSQL, in one run.

    python bench/runtime_bench.py [--executions N] [--waiting N] [--samples N] [--sqlite-only]

Figures, for Sojourn and for DBOS (durable Python workflows: a step is DBOS's persisted transition):
- persisted state transitions/s: N executions of a 5-Task machine (5 DBOS steps), started together;
- start-to-finish latency of the 5-state machine, one execution at a time (p50, p99);
- SendTaskSuccess-to-next-state latency (DBOS: `send` to the step after `recv`), p50 and p99;
- bytes stored per waiting execution (waiting on a task token; DBOS: a workflow blocked in `recv`).
Each system and database runs in its own process. The ratio column says how many times Sojourn is
ahead (above 1) or behind. PostgreSQL is 127.0.0.1:5432 database `test` (SOJOURN_BENCH_POSTGRES_URL),
a fresh schema per run. Needs `pip install -e '.[bench]'`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

POSTGRES_URL = os.environ.get("SOJOURN_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
ROLE = "arn:aws:iam::123456789012:role/bench"
STEP = "arn:aws:lambda:us-east-1:123456789012:function:step"
ASK = "arn:aws:states:::lambda:invoke.waitForTaskToken"
NEXT = "arn:aws:lambda:us-east-1:123456789012:function:next"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def wait_until(condition: Callable[[], bool], timeout: float = 120.0, every: float = 0.001) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the benchmark's workload did not finish in time")
        time.sleep(every)


# -- Sojourn ----------------------------------------------------------------------------------------


def five_tasks() -> dict[str, Any]:
    states: dict[str, Any] = {
        f"S{i}": {"Type": "Task", "Resource": STEP, "Next": f"S{i + 1}"} for i in range(5)
    }
    states["S4"] = {"Type": "Task", "Resource": STEP, "End": True}
    return {"StartAt": "S0", "States": states}


def callback_machine() -> dict[str, Any]:
    return {
        "StartAt": "Ask",
        "States": {
            "Ask": {
                "Type": "Task",
                "Resource": ASK,
                "Next": "Next",
                "Parameters": {"FunctionName": "ask", "Payload": {"token.$": "$$.Task.Token", "n.$": "$.n"}},
            },
            "Next": {"Type": "Task", "Resource": NEXT, "End": True},
        },
    }


def waiting_machine() -> dict[str, Any]:
    return {
        "StartAt": "Ask",
        "States": {
            "Ask": {
                "Type": "Task",
                "Resource": ASK,
                "End": True,
                "Parameters": {"FunctionName": "ask", "Payload": {"token.$": "$$.Task.Token", "n.$": "$.n"}},
            }
        },
    }


def run_sojourn(db_url: str, executions: int, samples: int, waiting: int) -> dict[str, float]:
    from sojourn.client import Client

    tokens: dict[int, str] = {}
    reached: dict[int, float] = {}

    def ask(parameters: dict[str, Any]) -> None:
        tokens[parameters["Payload"]["n"]] = parameters["Payload"]["token"]

    def next_state(output: dict[str, Any]) -> dict[str, Any]:
        reached[output["n"]] = time.perf_counter()
        return output

    client = Client(db_url, resources={STEP: lambda value: value, ASK: ask, NEXT: next_state})
    figures: dict[str, float] = {}

    def create(name: str, definition: dict[str, Any]) -> str:
        return str(
            client.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE)[
                "stateMachineArn"
            ]
        )

    def start(machine: str, value: Any) -> str:
        return str(client.start_execution(stateMachineArn=machine, input=json.dumps(value))["executionArn"])

    def running(machine: str) -> bool:
        return bool(
            client.list_executions(stateMachineArn=machine, statusFilter="RUNNING", maxResults=1)[
                "executions"
            ]
        )

    five = create("five", five_tasks())
    began = time.perf_counter()
    for number in range(executions):
        start(five, {"n": number})
    wait_until(lambda: not running(five), every=0.02)
    figures["transitions_per_s"] = 5 * executions / (time.perf_counter() - began)

    latencies = []
    for number in range(samples):
        began = time.perf_counter()
        described = client.wait_for_execution(start(five, {"n": number}))
        latencies.append(time.perf_counter() - began)
        assert described["status"] == "SUCCEEDED", described
    figures["latency_p50_ms"], figures["latency_p99_ms"] = (
        percentile(latencies, 0.5) * 1e3,
        percentile(latencies, 0.99) * 1e3,
    )

    callback = create("callback", callback_machine())
    latencies = []
    for number in range(samples):
        start(callback, {"n": number})
        wait_until(lambda number=number: number in tokens)
        began = time.perf_counter()
        client.send_task_success(taskToken=tokens[number], output=json.dumps({"n": number}))
        wait_until(lambda number=number: number in reached)
        latencies.append(reached[number] - began)
    figures["callback_p50_ms"], figures["callback_p99_ms"] = (
        percentile(latencies, 0.5) * 1e3,
        percentile(latencies, 0.99) * 1e3,
    )

    waits = create("waits", waiting_machine())
    tokens.clear()
    before = stored_bytes(client.store)
    for number in range(waiting):
        start(waits, {"n": number})
    wait_until(lambda: len(tokens) == waiting, every=0.02)
    time.sleep(0.2)  # the last invocations' answers commit
    figures["bytes_per_waiting"] = (stored_bytes(client.store) - before) / waiting
    client.close()
    return figures


def stored_bytes(store: Any) -> int:
    """Bytes the database holds
    (SQLite: pages in use after a checkpoint; PostgreSQL: the schema's relations)."""
    return int(store.stored_bytes())


# -- DBOS Transact ----------------------------------------------------------------------------------


def run_dbos(
    db_url: str, schema: str | None, executions: int, samples: int, waiting: int
) -> dict[str, float]:
    from dbos import DBOS

    ready: dict[str, threading.Event] = {}
    reached: dict[str, float] = {}

    @DBOS.step()
    def step(value: Any) -> Any:
        return value

    @DBOS.workflow()
    def five(value: Any) -> Any:
        for _ in range(5):
            value = step(value)
        return value

    @DBOS.step()
    def asked(key: str) -> None:
        ready[key].set()

    @DBOS.step()
    def next_state(key: str) -> None:
        reached[key] = time.perf_counter()

    @DBOS.workflow()
    def callback(key: str) -> Any:
        asked(key)
        message = DBOS.recv("approval", timeout_seconds=3600)
        next_state(key)
        return message

    @DBOS.workflow()
    def wait_only(key: str) -> Any:
        asked(key)
        return DBOS.recv("approval", timeout_seconds=86400)

    config: dict[str, Any] = {"name": "sojourn_bench", "system_database_url": db_url, "log_level": "WARNING"}
    if schema:
        config["dbos_system_schema"] = schema
    DBOS(config=config)  # type: ignore[arg-type]
    DBOS.launch()
    figures: dict[str, float] = {}

    began = time.perf_counter()
    handles = [DBOS.start_workflow(five, {"n": number}) for number in range(executions)]
    for handle in handles:
        handle.get_result()
    figures["transitions_per_s"] = 5 * executions / (time.perf_counter() - began)

    latencies = []
    for number in range(samples):
        began = time.perf_counter()
        DBOS.start_workflow(five, {"n": number}).get_result()
        latencies.append(time.perf_counter() - began)
    figures["latency_p50_ms"], figures["latency_p99_ms"] = (
        percentile(latencies, 0.5) * 1e3,
        percentile(latencies, 0.99) * 1e3,
    )

    latencies = []
    for number in range(samples):
        key = f"cb-{number}"
        ready[key] = threading.Event()
        handle = DBOS.start_workflow(callback, key)
        ready[key].wait(60)
        time.sleep(0.002)  # into recv (a message sent earlier is found in the table all the same)
        began = time.perf_counter()
        DBOS.send(handle.workflow_id, {"n": number}, "approval")
        wait_until(lambda key=key: key in reached)
        latencies.append(reached[key] - began)
    figures["callback_p50_ms"], figures["callback_p99_ms"] = (
        percentile(latencies, 0.5) * 1e3,
        percentile(latencies, 0.99) * 1e3,
    )

    before = dbos_stored_bytes(db_url, schema)
    for number in range(waiting):
        key = f"wait-{number}"
        ready[key] = threading.Event()
        DBOS.start_workflow(wait_only, key)
    for number in range(waiting):
        ready[f"wait-{number}"].wait(120)
    time.sleep(0.5)  # every workflow into recv, its timeout recorded
    figures["bytes_per_waiting"] = (dbos_stored_bytes(db_url, schema) - before) / waiting
    return figures


def dbos_stored_bytes(db_url: str, schema: str | None) -> int:
    if db_url.startswith("sqlite"):
        import sqlite3

        with sqlite3.connect(db_url.removeprefix("sqlite:///")) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            pages, free, size = (
                connection.execute(f"PRAGMA {name}").fetchone()[0]
                for name in ("page_count", "freelist_count", "page_size")
            )
            return int((pages - free) * size)
    import psycopg

    with psycopg.connect(db_url, autocommit=True) as connection:
        connection.execute("ANALYZE")
        row = connection.execute(
            "SELECT SUM(pg_total_relation_size(c.oid)) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind = 'r'",
            (schema,),
        ).fetchone()
        return int(row[0] or 0) if row else 0


# -- the run ----------------------------------------------------------------------------------------

FIGURES = [
    ("transitions_per_s", "persisted state transitions/s", True),
    ("latency_p50_ms", "5-state start-to-finish p50 (ms)", False),
    ("latency_p99_ms", "5-state start-to-finish p99 (ms)", False),
    ("callback_p50_ms", "SendTaskSuccess-to-next-state p50 (ms)", False),
    ("callback_p99_ms", "SendTaskSuccess-to-next-state p99 (ms)", False),
    ("bytes_per_waiting", "bytes stored per waiting execution", False),
]


def child(arguments: argparse.Namespace) -> None:
    if arguments.child == "sojourn":
        figures = run_sojourn(arguments.db, arguments.executions, arguments.samples, arguments.waiting)
    else:
        figures = run_dbos(
            arguments.db, arguments.schema, arguments.executions, arguments.samples, arguments.waiting
        )
    print(json.dumps(figures), flush=True)
    os._exit(0)  # DBOS's waiting workflows hold threads; nothing more to wait for


def measure(system: str, db: str, schema: str | None, arguments: argparse.Namespace) -> dict[str, float]:
    command = [
        sys.executable,
        __file__,
        "--child",
        system,
        "--db",
        db,
        "--executions",
        str(arguments.executions),
        "--samples",
        str(arguments.samples),
        "--waiting",
        str(arguments.waiting),
    ]
    if schema:
        command += ["--schema", schema]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise RuntimeError(f"{system} on {db} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def postgres_reachable() -> bool:
    try:
        import psycopg

        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            return True
    except Exception:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--executions", type=int, default=1000, help="executions in the throughput run")
    parser.add_argument(
        "--samples", type=int, default=100, help="executions timed one at a time for latencies"
    )
    parser.add_argument(
        "--waiting", type=int, default=500, help="executions left waiting for the storage figure"
    )
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--child", choices=["sojourn", "dbos"], help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--schema", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        child(arguments)
        return

    print(
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start "
        "(other processes share this machine: figures move with their load)"
    )
    results: dict[str, dict[str, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as folder:
        results["SQLite"] = {
            "sojourn": measure("sojourn", f"sqlite:///{folder}/sojourn.db", None, arguments),
            "dbos": measure("dbos", f"sqlite:///{folder}/dbos.db", None, arguments),
        }
    if not arguments.sqlite_only and postgres_reachable():
        import psycopg

        schemas = [f"bench_{uuid.uuid4().hex[:10]}", f"bench_dbos_{uuid.uuid4().hex[:10]}"]
        try:
            results["PostgreSQL"] = {
                "sojourn": measure("sojourn", f"{POSTGRES_URL}?schema={schemas[0]}", None, arguments),
                "dbos": measure("dbos", POSTGRES_URL, schemas[1], arguments),
            }
        finally:
            with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
                for schema in schemas:
                    connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    elif not arguments.sqlite_only:
        print(f"PostgreSQL not reachable at {POSTGRES_URL}: SQLite only")

    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    print(
        f"{'figure':42}"
        + "".join(f"{db + ' ' + who:>20}" for db in results for who in ("Sojourn", "DBOS", "ratio"))
    )
    for key, label, higher_is_better in FIGURES:
        cells = []
        for figures in results.values():
            ours, theirs = figures["sojourn"][key], figures["dbos"][key]
            ratio = (
                (ours / theirs if higher_is_better else theirs / ours) if ours and theirs else float("nan")
            )
            cells += [f"{ours:20.1f}", f"{theirs:20.1f}", f"{ratio:19.2f}x"]
        print(f"{label:42}" + "".join(cells))
    print(
        "ratio: how many times Sojourn is ahead (above 1) or behind (below 1). "
        "Targets: >= 3,000 transitions/s on SQLite, callback p99 < 20 ms, "
        "< 4,096 bytes per waiting execution."
    )


if __name__ == "__main__":
    main()
