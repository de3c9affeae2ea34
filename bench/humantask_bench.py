"""Human tasks at scale: what creating one adds to the transition that starts it, and listing among 100,000
open tasks.

    python bench/humantask_bench.py [--tasks 100000] [--people 1000] [--executions 300] [--repeat 30]
                                    [--sqlite-only]

Creation: executions run, inline, up to the Task that waits; the human task (a task row, a link and an
email per assignee, its first timer) is compared with the nearest thing without it, a `.waitForTaskToken`
email task (`arn:aws:states:::sojourn:email.send`, one email with the token). The difference per execution
is what the human task adds (target: under 5 ms). Listing: `--tasks` open tasks, each asked of two of
`--people` people, written straight into the store; then the first page (100) of ListHumanTasks for OPEN
tasks, a page 50 pages deep, one person's tasks ("my tasks", what the portal shows), one machine's; beside
ListExecutions over the same executions (AWS's own list, the peer). Median and p95 in milliseconds
(target: under 50 ms median). SQLite and PostgreSQL (`SOJOURN_BENCH_POSTGRES_URL`, default
127.0.0.1:5432/test, a fresh schema dropped after). A benchmark, not a test: no thresholds are enforced.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from sojourn.client import Client
from sojourn.config import Settings
from sojourn.directory import Directory
from sojourn.integrations.base import Facilities

ROLE = "arn:aws:iam::123456789012:role/bench"
POSTGRES = os.environ.get("SOJOURN_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def waiting_on(resource: str, arguments: dict[str, Any]) -> str:
    return json.dumps(
        {
            "QueryLanguage": "JSONata",
            "StartAt": "Prepare",
            "States": {
                "Prepare": {"Type": "Pass", "Next": "Ask"},
                "Ask": {"Type": "Task", "Resource": resource, "Arguments": arguments, "End": True},
            },
        }
    )


HUMAN = waiting_on(
    "arn:aws:states:::sojourn:humanTask.waitForTaskToken",
    {
        "Title": "{% 'Leave for ' & $states.input.who %}",
        "Description": "Approve or deny.",
        "Assignees": ["p0"],
        "Reminders": [86400],
        "Expiry": {"AfterSeconds": 172800, "Error": "Leave.Expired"},
    },
)
EMAIL = waiting_on(
    "arn:aws:states:::sojourn:email.send.waitForTaskToken",
    {
        "To": "p0@example.com",
        "Subject": "{% 'Leave for ' & $states.input.who %}",
        "Text": "{% 'Approve: https://example.com/approve/' & $states.context.Task.Token %}",
    },
)


def directory(people: int) -> Directory:
    return Directory.from_mapping(
        {"people": {f"p{n}": {"name": f"Person {n}", "email": f"p{n}@example.com"} for n in range(people)}}
    )


@contextlib.contextmanager
def sojourn(db_url: str, people: int) -> Iterator[Client]:
    folder = tempfile.mkdtemp(prefix="sojourn-humantask-bench-")
    settings = Settings(db_url=db_url, data_dir=folder, public_base_url="http://tasks.example.com")
    facilities = Facilities(settings=settings, directory=directory(people))
    client = Client(settings=settings, facilities=facilities, workers=0, start=False)
    try:
        yield client
    finally:
        client.close()


@contextlib.contextmanager
def sqlite_file() -> Iterator[str]:
    yield f"sqlite:///{tempfile.mkdtemp(prefix='sojourn-humantask-bench-db-')}/bench.db"


@contextlib.contextmanager
def postgres_schema() -> Iterator[str]:
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    try:
        yield f"{POSTGRES}?schema={schema}"
    finally:
        with psycopg.connect(POSTGRES, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def creation(client: Client, executions: int) -> dict[str, float]:
    """Milliseconds per execution, start to waiting, for each of the two machines (alternating rounds)."""
    machines = {
        name: client.create_state_machine(name=name, definition=definition, roleArn=ROLE)["stateMachineArn"]
        for name, definition in (("human", HUMAN), ("email", EMAIL))
    }
    spent = {name: 0.0 for name in machines}
    rounds = 5
    for _ in range(rounds):
        for name, arn in machines.items():
            batch = [
                {"stateMachineArn": arn, "input": json.dumps({"who": f"E{n}"})}
                for n in range(executions // rounds)
            ]
            started = time.perf_counter()
            client.start_executions(batch)
            client.run_until_idle()
            spent[name] += time.perf_counter() - started
    return {name: seconds * 1000 / executions for name, seconds in spent.items()}


def many_open_tasks(client: Client, tasks: int, people: int) -> str:
    """`tasks` open human tasks of one machine, two assignees each, written straight into the store."""
    machine = client.create_state_machine(name="many", definition=HUMAN, roleArn=ROLE)["stateMachineArn"]
    now = time.time() - tasks
    batch = 5000
    for first in range(0, tasks, batch):
        with client.store.transaction() as tx:
            definition = tx.definition_id(HUMAN)
            for seq in range(first, min(first + batch, tasks)):
                execution = tx.insert_execution(
                    {
                        "arn": f"{machine.replace(':stateMachine:', ':execution:')}:{uuid.uuid4().hex}",
                        "machine_arn": machine,
                        "status": "RUNNING",
                        "definition_id": definition,
                        "role_arn": ROLE,
                        "input": "{}",
                        "started_at": now + seq,
                    }
                )
                task_id = "ht-" + uuid.uuid4().hex
                tx.insert_human_task(
                    {
                        "id": task_id,
                        "token_hash": uuid.uuid4().hex * 2,
                        "execution_id": execution["id"],
                        "state_name": "Ask",
                        "title": f"Leave for E{seq}",
                        "spec": "{}",
                        "requester": None,
                        "status": "OPEN",
                        "created_at": now + seq,
                        "next_due": None,
                        "closed_at": None,
                        "result": None,
                        "step_key": uuid.uuid4().hex,
                        "run_id": None,
                        "generation": None,
                        "reminders_sent": 0,
                    }
                )
                for person in (seq % people, (seq * 7 + 1) % people):
                    tx.add_assignee(
                        {
                            "task_id": task_id,
                            "person": f"p{person}",
                            "email": f"p{person}@example.com",
                            "name": f"Person {person}",
                            "on_behalf_of": None,
                            "status": "ASKED",
                            "asked_at": now + seq,
                            "decision": None,
                            "decided_at": None,
                        }
                    )
    return str(machine)


def timed(call: Callable[[], Any], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def report(label: str, times: list[float]) -> None:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    print(f"  {label:<58} median {statistics.median(times):7.2f} ms   p95 {p95:7.2f} ms")


def bench(name: str, database: Callable[[], contextlib.AbstractContextManager[str]], args: Any) -> None:
    print(f"\n{name}")
    with database() as db_url, sojourn(db_url, args.people) as client:
        per = creation(client, args.executions)
        print(
            f"  start to waiting, per execution: human task {per['human']:.2f} ms, "
            f"email task with a token {per['email']:.2f} ms: the human task adds "
            f"{per['human'] - per['email']:.2f} ms (target < 5 ms)"
        )
    with database() as db_url, sojourn(db_url, args.people) as client:
        loaded = time.perf_counter()
        machine = many_open_tasks(client, args.tasks, args.people)
        stored = client.store.stored_bytes()  # on PostgreSQL after ANALYZE, as autovacuum would run it
        print(
            f"  {args.tasks:,} open tasks written in {time.perf_counter() - loaded:.0f} s; "
            f"{stored / args.tasks:,.0f} bytes stored per open task with its execution; "
            f"{args.repeat} calls each"
        )
        deep = None
        for _ in range(50):
            deep = client.list_human_tasks(status="OPEN", nextToken=deep)["nextToken"]
        report(
            "ListHumanTasks OPEN, first page of 100",
            timed(lambda: client.list_human_tasks(status="OPEN"), args.repeat),
        )
        report(
            "ListHumanTasks OPEN, page 51 (keyset)",
            timed(lambda: client.list_human_tasks(status="OPEN", nextToken=deep), args.repeat),
        )
        report(
            "my tasks: ListHumanTasks OPEN for one person",
            timed(lambda: client.list_human_tasks(status="OPEN", assignee="p17"), args.repeat),
        )
        report(
            "ListHumanTasks OPEN of one machine",
            timed(lambda: client.list_human_tasks(status="OPEN", stateMachineArn=machine), args.repeat),
        )
        report(
            "peer: ListExecutions RUNNING, first page of 100",
            timed(
                lambda: client.list_executions(
                    stateMachineArn=machine, statusFilter="RUNNING", maxResults=100
                ),
                args.repeat,
            ),
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--executions", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}")
    bench("SQLite", sqlite_file, args)
    if not args.sqlite_only:
        bench("PostgreSQL", postgres_schema, args)
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
