"""Recovery: leases of long tasks are renewed, a dead worker's claims are re-enqueued (never run by the
recovering worker), and the execution's and a task's heartbeat timers fire after a restart."""

from __future__ import annotations

import json
import subprocess
import threading
import time

from runtime_support import machine, start, types

from sojourn.runtime.worker import Workers, _process_space, resources_invoker

SLOW = "arn:aws:lambda:us-east-1:123456789012:function:slow"
CALLBACK = "arn:aws:states:::lambda:invoke.waitForTaskToken"


def test_heartbeat_and_execution_timeouts_fire_after_a_restart(make_client, clock):
    first = make_client({CALLBACK: lambda parameters: None})
    ask = {
        "Type": "Task",
        "Resource": CALLBACK,
        "HeartbeatSeconds": 60,
        "End": True,
        "Parameters": {"FunctionName": "ask", "Payload": {"token.$": "$$.Task.Token"}},
    }
    heartbeat = start(first, machine(first, {"StartAt": "Ask", "States": {"Ask": ask}}, name="heartbeat"))
    timeout = start(
        first,
        machine(
            first,
            {"TimeoutSeconds": 120, "StartAt": "Ask", "States": {"Ask": {**ask, "HeartbeatSeconds": 3600}}},
            name="timeout",
        ),
    )
    first.run_until_idle()
    first.close()  # the server goes away while both wait for their tokens
    clock.advance(7200)
    second = make_client({CALLBACK: lambda parameters: None})
    second.run_until_idle()
    described = second.describe_execution(executionArn=heartbeat)
    assert (described["status"], described["error"]) == ("FAILED", "States.HeartbeatTimeout")
    described = second.describe_execution(executionArn=timeout)
    assert (described["status"], described["error"]) == ("TIMED_OUT", "States.Timeout")
    assert types(second, timeout)[-1] == "ExecutionTimedOut"


def test_a_task_longer_than_its_lease_keeps_it_and_runs_once(make_client):
    client = make_client(clock=time.time)
    calls: list[int] = []

    def slow(parameters):
        calls.append(1)
        time.sleep(4.0)  # more than two leases of 1.5 s: renewed meanwhile, or a rival would take it
        return parameters

    runtimes = [
        Workers(client.store, invoker=resources_invoker({SLOW: slow}), workers=1, lease_seconds=1.5)
        for _ in range(2)
    ]
    for runtime in runtimes:
        runtime.start()
    try:
        arn = start(
            client,
            machine(
                client, {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": SLOW, "End": True}}}
            ),
            {"long": True},
        )
        deadline = time.monotonic() + 20
        while (
            (described := client.describe_execution(executionArn=arn))["status"] == "RUNNING"
            and time.monotonic() < deadline
        ):  # not wait_for_execution: this client would run the task itself
            time.sleep(0.05)
    finally:
        for runtime in runtimes:
            runtime.stop()
    assert described["status"] == "SUCCEEDED", (described.get("error"), described.get("cause"), calls)
    assert json.loads(described["output"]) == {"long": True}
    assert len(calls) == 1


def test_recovery_re_enqueues_a_dead_workers_claims_without_running_them(make_client, clock):
    client = make_client()
    dead = subprocess.Popen(["true"])
    dead.wait()
    owner = f"{_process_space()}/{dead.pid}/gone"
    invoked = threading.Event()
    runtime = Workers(client.store, clock=clock, invoker=lambda call: invoked.set())
    with client.store.transaction() as tx:  # leased until clock() + 30
        claimed = tx.add_work(1, 1, "event", {"e": "timer"}, clock() + 30, owner=owner)
        tx.add_work(1, 1, "event", {"e": "timer"}, clock() + 30, owner=runtime.owner)
    assert runtime.recover() == 1
    with client.store.transaction() as tx:
        taken = tx.claim_work("another", clock(), 30, 10)
    assert [item["id"] for item in taken] == [
        claimed
    ]  # due again for any worker; the live worker's claim is untouched
    assert not invoked.is_set()
    runtime.stop()
