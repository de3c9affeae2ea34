"""Express StartSyncExecution beside Standard StartExecution-to-completion, the same 5-state machine, one run.

    python bench/express_bench.py [--executions 500] [--threads 1,8] [--tasks]

Both run in one process through `sojourn.Client` on a fresh SQLite file with its workers started (no HTTP:
the figures are the runtime's, not the API's). The machine is five states (Pass, Pass with an intrinsic,
Choice, Pass, Succeed; with --tasks five Lambda-style Tasks answered by a Python callable). For each
type and each number of client threads: executions/s and the latency from the call to the execution's end
(p50, p99). An Express execution is interpreted in memory and nothing is written to the database; a
Standard one commits its start, its transitions and its end.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time
import uuid
from typing import Any

from sojourn.client import Client
from sojourn.config import Settings

ROLE = "arn:aws:iam::123456789012:role/bench"
STEP = "arn:aws:lambda:us-east-1:123456789012:function:step"


def five_states(tasks: bool) -> dict[str, Any]:
    if tasks:
        states: dict[str, Any] = {
            f"S{i}": {"Type": "Task", "Resource": STEP, "Next": f"S{i + 1}"} for i in range(4)
        }
        states["S4"] = {"Type": "Task", "Resource": STEP, "End": True}
        return {"StartAt": "S0", "States": states}
    return {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "Result": {"n": 1}, "Next": "B"},
            "B": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)"}, "Next": "C"},
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 2, "Next": "D"}]},
            "D": {"Type": "Pass", "Next": "E"},
            "E": {"Type": "Succeed"},
        },
    }


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def run_express(client: Client, arn: str) -> str:
    return str(client.start_sync_execution(stateMachineArn=arn, input="{}")["status"])


def run_standard(client: Client, arn: str) -> str:
    started = client.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    return str(client.wait_for_execution(started, timeout=60)["status"])


def measure(client: Client, arn: str, kind: str, executions: int, threads: int) -> dict[str, float]:
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    share = [executions // threads + (1 if i < executions % threads else 0) for i in range(threads)]
    run = run_express if kind == "EXPRESS" else run_standard

    def worker(count: int) -> None:
        for _ in range(count):
            began = time.perf_counter()
            status = run(client, arn)
            spent = time.perf_counter() - began
            with lock:
                latencies.append(spent)
                if status != "SUCCEEDED":
                    failures.append(status)

    began = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(count,)) for count in share]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - began
    if failures:
        raise SystemExit(f"{kind}: {len(failures)} executions did not succeed ({failures[0]})")
    return {
        "per_second": executions / elapsed,
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--executions", type=int, default=500, help="executions per type and thread count")
    parser.add_argument("--threads", default="1,8", help="client threads, comma-separated")
    parser.add_argument("--tasks", action="store_true", help="five Task states instead of Pass/Choice")
    arguments = parser.parse_args()
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start")
    with tempfile.TemporaryDirectory() as home:
        client = Client(
            f"sqlite:///{home}/bench.db",
            resources={STEP: lambda parameters: parameters},
            settings=Settings(data_dir=home),
        )
        try:
            definition = json.dumps(five_states(arguments.tasks))
            machines = {
                kind: client.create_state_machine(
                    name=f"bench-{kind.lower()}-{uuid.uuid4().hex[:6]}",
                    definition=definition,
                    roleArn=ROLE,
                    type=kind,
                )["stateMachineArn"]
                for kind in ("EXPRESS", "STANDARD")
            }
            for kind, arn in machines.items():  # warm up: compile the definition, open the connections
                measure(client, arn, kind, 20, 1)
            print(f"{'type':<10}{'threads':>8}{'executions/s':>14}{'p50 ms':>10}{'p99 ms':>10}")
            for threads in (int(t) for t in arguments.threads.split(",")):
                figures = {
                    kind: measure(client, arn, kind, arguments.executions, threads)
                    for kind, arn in machines.items()
                }
                for kind, got in figures.items():
                    print(
                        f"{kind:<10}{threads:>8}{got['per_second']:>14,.0f}{got['p50_ms']:>10.2f}{got['p99_ms']:>10.2f}"
                    )
                ratio = figures["EXPRESS"]["per_second"] / figures["STANDARD"]["per_second"]
                print(f"{'':<10}{'':>8}  Express is {ratio:.1f}x Standard's executions/s")
        finally:
            client.close()
    print(f"load average {os.getloadavg()[0]:.2f} at end")


if __name__ == "__main__":
    main()
