"""Console page speed: an execution with 1,000 history events, and the executions list over 100,000.

    python bench/console_bench.py [--repeat N] [--executions N]

Serves the console with uvicorn on 127.0.0.1 (a SQLite file in a temporary folder) and times real
HTTP requests with httpx: the execution page (target: under 0.5 s), its live poll when nothing changed
and when everything did, and pages of the executions list (first, deep, filtered by status and by time).
Prints median and 95th percentile in milliseconds. A benchmark, not a test: no thresholds are enforced.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import httpx

TESTS = Path(__file__).resolve().parents[1] / "tests"
sys.path[:0] = [str(TESTS), str(TESTS / "console")]  # the tests' real-server helpers

from support import ROLE, serving  # noqa: E402

from sojourn.client import Client  # noqa: E402
from sojourn.config import Settings  # noqa: E402

# A Map over 248 items, each one Pass state: 4 events per item, plus the Map's and the
# execution's: 998 events.
MAP_ITEMS = 248
MAP = {
    "StartAt": "Each",
    "States": {
        "Each": {
            "Type": "Map",
            "End": True,
            "ItemProcessor": {"StartAt": "Item", "States": {"Item": {"Type": "Pass", "End": True}}},
        }
    },
}


def timed(http: httpx.Client, path: str, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        answer = http.get(path)
        times.append((time.perf_counter() - started) * 1000)
        answer.raise_for_status()
    return times


def report(label: str, times: list[float], size: int | None = None) -> None:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    extra = f"  ({size / 1024:.0f} KB)" if size else ""
    print(f"{label:<52} median {statistics.median(times):7.1f} ms   p95 {p95:7.1f} ms{extra}")


def many_executions(client: Client, machine: str, count: int) -> None:
    """`count` finished executions straight into the store (starting them one by one would take minutes)."""
    now = time.time() - count
    with client.store.transaction() as tx:
        definition = tx.definition_id("{}")
        for seq in range(1, count + 1):
            tx.insert_execution(
                {
                    "arn": f"{machine.replace(':stateMachine:', ':execution:')}:{uuid.uuid4().hex}",
                    "machine_arn": machine,
                    "status": "SUCCEEDED" if seq % 10 else "FAILED",
                    "definition_id": definition,
                    "role_arn": ROLE,
                    "input": "{}",
                    "started_at": now + seq,
                    "stopped_at": now + seq + 0.5,
                }
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--executions", type=int, default=100_000)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="sojourn-console-bench-")
    settings = Settings(db_url=f"sqlite:///{folder}/bench.db", data_dir=folder)
    client = Client(settings=settings, workers=0, start=False)
    try:
        machine = client.create_state_machine(name="map", definition=json.dumps(MAP), roleArn=ROLE)[
            "stateMachineArn"
        ]
        execution = client.start_execution(stateMachineArn=machine, input=json.dumps(list(range(MAP_ITEMS))))[
            "executionArn"
        ]
        client.run_until_idle()
        events = client.get_execution_history(executionArn=execution, maxResults=1000)["events"]
        bulk = client.create_state_machine(name="bulk", definition=json.dumps(MAP), roleArn=ROLE)[
            "stateMachineArn"
        ]
        many_executions(client, bulk, args.executions)
        with serving(client, settings) as url, httpx.Client(base_url=url, timeout=30) as http:
            page = f"/console/executions/{quote(execution, safe='')}"
            size = len(http.get(page).content)
            print(
                f"execution with {len(events)} history events; {args.executions:,} executions in the list; "
                f"{args.repeat} requests each\n"
            )
            report("execution page (target < 500 ms)", timed(http, page, args.repeat), size)
            last = events[-1]["id"]
            report("live poll, nothing changed", timed(http, f"{page}/progress?since={last}", args.repeat))
            report("live poll, everything changed", timed(http, f"{page}/progress?since=0", args.repeat))
            report(
                "state machine graph page",
                timed(http, f"/console/state-machines/{quote(machine, safe='')}", args.repeat),
            )
            report("executions list, first page (50)", timed(http, "/console/executions", args.repeat))
            token = None
            for _ in range(100):
                token = client.search_executions(maxResults=50, nextToken=token)["nextToken"]
            report(
                "executions list, page 101 (keyset)",
                timed(http, f"/console/executions?next={quote(token)}", args.repeat),
            )
            report(
                "executions list, status FAILED",
                timed(http, "/console/executions?status=FAILED", args.repeat),
            )
            old = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() - args.executions * 0.9))
            report(
                "executions list, started before the oldest 10%",
                timed(http, f"/console/executions?to={old}", args.repeat),
            )
    finally:
        client.close()


if __name__ == "__main__":
    main()
