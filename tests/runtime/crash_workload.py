"""The crash test's workload: one definition mixing tasks, a Wait, Parallel, Map, a Retry and a task token.

Run as a script it is the worker process the test kills: `python crash_workload.py DB_URL TOKENS_FILE`.
The same resources run in memory through `sojourn.run` for the expected outputs. Every resource is
deterministic (re-invoking one after a crash gives the same answer) and sleeps a little, so that a
kill lands inside invocations as well as between them.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import Any

LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:"
CALLBACK = "arn:aws:states:::lambda:invoke.waitForTaskToken"


class Flake(Exception):
    """The flaky task's first attempt fails with this error; its Retry catches it."""


def _task(name: str, **fields: Any) -> dict[str, Any]:
    return {"Type": "Task", "Resource": LAMBDA + name, **fields}


DEFINITION: dict[str, Any] = {
    "StartAt": "Prepare",
    "States": {
        "Prepare": _task("prepare", ResultPath="$.prepared", Next="Pause"),
        "Pause": {"Type": "Wait", "SecondsPath": "$.pause", "Next": "Fan"},
        "Fan": {
            "Type": "Parallel",
            "ResultPath": "$.fan",
            "Next": "NeedsApproval",
            "Branches": [
                {
                    "StartAt": "Flaky",
                    "States": {
                        "Flaky": _task(
                            "flaky",
                            Retry=[{"ErrorEquals": ["Flake"], "IntervalSeconds": 1, "MaxAttempts": 2}],
                            End=True,
                        )
                    },
                },
                {
                    "StartAt": "Squares",
                    "States": {
                        "Squares": {
                            "Type": "Map",
                            "ItemsPath": "$.items",
                            "MaxConcurrency": 2,
                            "End": True,
                            "ItemProcessor": {
                                "ProcessorConfig": {"Mode": "INLINE"},
                                "StartAt": "Square",
                                "States": {"Square": _task("square", End=True)},
                            },
                        }
                    },
                },
            ],
        },
        "NeedsApproval": {
            "Type": "Choice",
            "Default": "Done",
            "Choices": [{"Variable": "$.approval", "BooleanEquals": True, "Next": "Approve"}],
        },
        "Approve": {
            "Type": "Task",
            "Resource": CALLBACK,
            "ResultPath": "$.approved",
            "Next": "Done",
            "Parameters": {"FunctionName": "ask", "Payload": {"token.$": "$$.Task.Token", "id.$": "$.id"}},
        },
        "Done": {"Type": "Pass", "End": True},
    },
}


def execution_input(number: int) -> dict[str, Any]:
    """The input of execution `number`: a Wait of 0 or 1 s, 1 to 4 Map items, a token for every third."""
    return {
        "id": number,
        "pause": number % 2,
        "items": list(range(1, number % 4 + 2)),
        "approval": number % 3 == 0,
    }


def approval(payload: dict[str, Any]) -> dict[str, Any]:
    """What the test answers a task token with (and what `ask` returns in memory)."""
    return {"approvedBy": f"manager-{payload['id'] % 5}", "for": payload["id"]}


def _pause() -> None:
    time.sleep(0.004)


def prepare(parameters: dict[str, Any]) -> dict[str, Any]:
    _pause()
    return {"total": sum(parameters["items"]), "label": f"request-{parameters['id']}"}


def square(item: int) -> int:
    _pause()
    return item * item


def flaky(call: Any) -> dict[str, Any]:
    """Fails on its first attempt (Retry waits 1 s), succeeds on the next;
    the answer depends on nothing else."""
    _pause()
    if call.attempt == 0:
        raise Flake("first attempts fail")
    return {"attempt": call.attempt, "id": call.parameters["id"]}


flaky._sojourn_call = True  # type: ignore[attr-defined]  # the durable runtime's TaskCall
flaky._sojourn_request = True  # type: ignore[attr-defined]  # sojourn.run's TaskRequest


def resources(ask: Any) -> dict[str, Any]:
    """The resources by ARN; `ask` answers the task-token state."""
    return {LAMBDA + "prepare": prepare, LAMBDA + "square": square, LAMBDA + "flaky": flaky, CALLBACK: ask}


def in_memory_ask(parameters: dict[str, Any]) -> dict[str, Any]:
    return approval(parameters["Payload"])


def main(db_url: str, tokens_file: str) -> None:
    """The worker process: run the executions stored in `db_url`, writing each task token it is given."""
    from sojourn.client import Client

    lock = threading.Lock()
    tokens = open(tokens_file, "a", encoding="utf-8")  # noqa: SIM115  # open for the process's life

    def ask(parameters: dict[str, Any]) -> None:
        with lock:  # one line per token; the test reads whole lines only
            tokens.write(json.dumps(parameters["Payload"]) + "\n")
            tokens.flush()

    client = Client(db_url, resources=resources(ask), workers=4)
    print("ready", flush=True)
    threading.Event().wait()
    client.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
