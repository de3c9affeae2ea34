"""Express executions in memory (sojourn.runtime.express) on a clock the test owns: AWS's five-minute limit,
tasks through the process's invoker, nothing stored per transition, asynchronous starts."""

from __future__ import annotations

import json
from typing import Any

from runtime_support import machine

FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:double"


def wait(seconds: int, **extra: Any) -> dict[str, Any]:
    return {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": seconds, "End": True}}, **extra}


def test_an_express_execution_ends_timed_out_at_five_minutes_on_a_virtual_clock(make_client, clock):
    client = make_client()
    arn = machine(client, wait(400), type="EXPRESS")
    answer = client.start_sync_execution(stateMachineArn=arn)
    assert (answer["status"], answer["error"], answer["cause"]) == (
        "TIMED_OUT",
        "States.Timeout",
        "The execution timed out",
    )
    assert (answer["stopDate"] - answer["startDate"]).total_seconds() == 300
    assert clock() == 1_800_000_000.0  # the execution's time jumped; the process's clock did not move


def test_a_wait_within_five_minutes_completes(make_client):
    client = make_client()
    answer = client.start_sync_execution(stateMachineArn=machine(client, wait(299), type="EXPRESS"))
    assert answer["status"] == "SUCCEEDED"
    assert answer["billingDetails"]["billedDurationInMilliseconds"] == 299_000


def test_a_lower_timeout_seconds_still_applies(make_client):
    client = make_client()
    answer = client.start_sync_execution(
        stateMachineArn=machine(client, wait(100, TimeoutSeconds=10), type="EXPRESS")
    )
    assert answer["status"] == "TIMED_OUT"
    assert (answer["stopDate"] - answer["startDate"]).total_seconds() == 10


def test_tasks_are_invoked_through_the_process_invoker_with_retries(make_client):
    calls: list[Any] = []

    def double(parameters: Any) -> Any:
        calls.append(parameters)
        if len(calls) == 1:
            raise RuntimeError("first try fails")
        return {"n": parameters["n"] * 2}

    client = make_client({FUNCTION: double})
    definition = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": FUNCTION,
                "Retry": [{"ErrorEquals": ["RuntimeError"], "IntervalSeconds": 1}],
                "End": True,
            }
        },
    }
    answer = client.start_sync_execution(
        stateMachineArn=machine(client, definition, type="EXPRESS"), input=json.dumps({"n": 21})
    )
    assert answer["status"] == "SUCCEEDED" and json.loads(answer["output"]) == {"n": 42}
    assert calls == [{"n": 21}, {"n": 21}]


def test_nothing_is_stored_for_an_express_execution(make_client):
    client = make_client()
    arn = machine(client, wait(1), type="EXPRESS")
    client.start_sync_execution(stateMachineArn=arn)
    client.start_execution(stateMachineArn=arn)  # a client that runs no workers runs it inline
    with client.store.transaction(write=False) as tx:
        assert tx.list_executions(arn, None, None, 10) == []
        assert tx.next_due() is None


def test_a_standard_machine_still_keeps_its_executions(make_client):
    client = make_client()
    arn = machine(client, wait(1))
    started = client.start_execution(stateMachineArn=arn)["executionArn"]
    assert ":execution:" in started
    assert client.describe_execution(executionArn=started)["status"] == "RUNNING"
