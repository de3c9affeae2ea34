"""Interpreter speed: sojourn.run against moto's ASL interpreter (LocalStack's, in-process) in one run.

    python bench/asl_bench.py [--repeat N]

Workloads: a 100-state Pass chain, a Choice-heavy loop, a Map over 1,000 items. Each is timed end
to end (start to SUCCEEDED) and divided by its number of state transitions; the table shows
microseconds per transition and how many times faster Sojourn is. Needs `pip install -e '.[bench]'`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import sojourn


def pass_chain(n: int = 100) -> tuple[dict[str, Any], Any, int]:
    states = {
        f"S{i}": {
            "Type": "Pass",
            "Parameters": {"i": i, "prev.$": "$"} if i % 10 == 0 else {"i": i},
            "Next": f"S{i + 1}",
        }
        for i in range(n)
    }
    states[f"S{n - 1}"] = {"Type": "Pass", "End": True}
    return {"StartAt": "S0", "States": states}, {"start": True}, n


def choice_loop(rounds: int = 100) -> tuple[dict[str, Any], Any, int]:
    definition = {
        "StartAt": "Check",
        "States": {
            "Check": {
                "Type": "Choice",
                "Choices": [
                    {
                        "And": [
                            {"Variable": "$.n", "NumericGreaterThanEquals": rounds},
                            {"Variable": "$.tag", "StringMatches": "lo*p"},
                        ],
                        "Next": "Done",
                    },
                    {
                        "Or": [
                            {"Variable": "$.n", "NumericLessThan": 0},
                            {"Variable": "$.tag", "StringEquals": "never"},
                        ],
                        "Next": "Done",
                    },
                    {"Not": {"Variable": "$.flag", "BooleanEquals": False}, "Next": "Done"},
                ],
                "Default": "Count",
            },
            "Count": {
                "Type": "Pass",
                "Parameters": {"n.$": "States.MathAdd($.n, 1)", "tag.$": "$.tag", "flag.$": "$.flag"},
                "Next": "Check",
            },
            "Done": {"Type": "Succeed"},
        },
    }
    return definition, {"n": 0, "tag": "loop", "flag": False}, 2 * rounds + 2


def map_items(n: int = 1000) -> tuple[dict[str, Any], Any, int]:
    definition = {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemProcessor": {
                    "StartAt": "Shape",
                    "States": {
                        "Shape": {"Type": "Pass", "Parameters": {"id.$": "$.id", "ok": True}, "End": True}
                    },
                },
                "End": True,
            }
        },
    }
    return definition, {"items": [{"id": i} for i in range(n)]}, n + 1


WORKLOADS = {
    "pass chain (100 states)": pass_chain,
    "choice loop (202 transitions)": choice_loop,
    "map (1,000 items)": map_items,
}


def time_sojourn(definition: dict[str, Any], input: Any) -> float:
    started = time.perf_counter()
    result = sojourn.run(definition, input)
    elapsed = time.perf_counter() - started
    assert result.status == "SUCCEEDED", result.to_dict()
    return elapsed


class Moto:
    """moto's Step Functions with its ASL interpreter enabled, in this process."""

    def __init__(self) -> None:
        import boto3
        from moto import mock_aws
        from moto.core.config import default_user_config

        default_user_config["stepfunctions"]["execute_state_machine"] = True
        self.mock = mock_aws()
        self.mock.start()
        self.client = boto3.client(
            "stepfunctions", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
        )
        self.count = 0

    def time(self, definition: dict[str, Any], input: Any) -> float:
        self.count += 1
        arn = self.client.create_state_machine(
            name=f"bench{self.count}",
            definition=json.dumps(definition),
            roleArn="arn:aws:iam::123456789012:role/x",
        )["stateMachineArn"]
        started = time.perf_counter()
        execution = self.client.start_execution(stateMachineArn=arn, input=json.dumps(input))["executionArn"]
        while (status := self.client.describe_execution(executionArn=execution)["status"]) == "RUNNING":
            time.sleep(0.0005)
        elapsed = time.perf_counter() - started
        assert status == "SUCCEEDED", status
        return elapsed

    def close(self) -> None:
        self.mock.stop()


def best(
    timer: Callable[[dict[str, Any], Any], float], definition: dict[str, Any], input: Any, repeat: int
) -> float:
    return statistics.median(timer(definition, input) for _ in range(repeat))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    try:
        moto: Moto | None = Moto()
    except ImportError:
        print("moto is not installed (pip install -e '.[bench]'): timing Sojourn alone", file=sys.stderr)
        moto = None
    print(f"{'workload':32} {'sojourn µs/transition':>22} {'moto µs/transition':>20} {'speed-up':>9}")
    try:
        for name, make in WORKLOADS.items():
            definition, input, transitions = make()
            time_sojourn(definition, input)  # compile and warm up
            ours = best(time_sojourn, definition, input, args.repeat) / transitions * 1e6
            theirs = (
                best(moto.time, definition, input, max(1, args.repeat // 2)) / transitions * 1e6
                if moto
                else float("nan")
            )
            print(f"{name:32} {ours:22.1f} {theirs:20.1f} {theirs / ours:8.1f}x")
    finally:
        if moto is not None:
            moto.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
