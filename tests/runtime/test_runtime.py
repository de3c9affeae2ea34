"""The durable runtime on a real SQLite file: timers, tokens, crashes, redrive, children, nesting."""

from __future__ import annotations

import base64
import json
import threading
from pathlib import Path

import pytest
from runtime_support import history, machine, start, types

from sojourn import errors as E
from sojourn.asl.errors import StatesError
from sojourn.runtime.worker import takes_call
from sojourn.tokens import is_token_form

ADD = "arn:aws:lambda:us-east-1:123456789012:function:add"
CALLBACK = "arn:aws:states:::lambda:invoke.waitForTaskToken"


def status(client, arn: str) -> str:
    return client.describe_execution(executionArn=arn)["status"]


def assert_consistent_history(client, arn: str) -> None:
    events = history(client, arn)
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    assert all(e["previousEventId"] == e["id"] - 1 for e in events)


def callback_machine(**task: object) -> dict:
    return {
        "StartAt": "Ask",
        "States": {
            "Ask": {
                "Type": "Task",
                "Resource": CALLBACK,
                "End": True,
                "Parameters": {
                    "FunctionName": "ask",
                    "Payload": {"token.$": "$$.Task.Token", "who.$": "$.who"},
                },
                **task,
            }
        },
    }


def token_catcher() -> tuple[list[str], dict]:
    tokens: list[str] = []
    return tokens, {CALLBACK: lambda parameters: tokens.append(parameters["Payload"]["token"])}


def test_a_wait_fires_only_when_its_time_has_come(make_client, clock):
    client = make_client()
    arn = start(
        client,
        machine(client, {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}}),
    )
    client.run_until_idle()
    clock.advance(3599)
    client.run_until_idle()
    assert status(client, arn) == "RUNNING"
    clock.advance(1)
    client.run_until_idle()
    assert status(client, arn) == "SUCCEEDED"
    assert_consistent_history(client, arn)


def test_a_wait_that_fell_due_while_the_server_was_down_fires_after_restart(make_client, clock):
    first = make_client()
    arn = start(
        first,
        machine(first, {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 604800, "End": True}}}),
        {"leave": 3},
    )
    first.run_until_idle()
    first.close()  # the server goes away mid-wait
    clock.advance(8 * 86400)
    second = make_client()
    second.run_until_idle()
    described = second.describe_execution(executionArn=arn)
    assert (described["status"], json.loads(described["output"])) == ("SUCCEEDED", {"leave": 3})
    assert types(second, arn) == [
        "ExecutionStarted",
        "WaitStateEntered",
        "WaitStateExited",
        "ExecutionSucceeded",
    ]


class Crash(BaseException):
    """Stands for the process dying in the middle of a task."""


def test_a_task_interrupted_by_a_crash_is_invoked_again_with_the_same_idempotency_key(make_client, clock):
    keys: list[str] = []

    @takes_call
    def crashing(call):
        keys.append(call.idempotency_key)
        raise Crash()

    @takes_call
    def adding(call):
        keys.append(call.idempotency_key)
        return {"sum": call.parameters["a"] + call.parameters["b"]}

    first = make_client({ADD: crashing})
    arn = start(
        first,
        machine(first, {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": ADD, "End": True}}}),
        {"a": 1, "b": 2},
    )
    with pytest.raises(Crash):
        first.run_until_idle()
    second = make_client({ADD: adding})
    second.run_until_idle()
    assert status(second, arn) == "RUNNING"  # the first worker's lease still holds the task
    clock.advance(31)
    second.run_until_idle()
    described = second.describe_execution(executionArn=arn)
    assert (described["status"], json.loads(described["output"])) == ("SUCCEEDED", {"sum": 3})
    assert keys[0] == keys[1] == f"{arn}/2/0"
    assert types(second, arn).count("LambdaFunctionSucceeded") == 1
    assert_consistent_history(second, arn)


def test_a_task_token_is_usable_once_and_only_its_hash_is_stored(make_client, db_url):
    tokens, resources = token_catcher()
    client = make_client(resources)
    arn = start(client, machine(client, callback_machine()), {"who": "ann"})
    client.run_until_idle()
    [token] = tokens
    assert len(token) >= 22  # at least 128 random bits, URL-safe
    inbox = client.list_waiting_tasks()["tasks"]
    assert [(t["stateName"], t["payload"]["Payload"]["who"]) for t in inbox] == [("Ask", "ann")]
    assert token not in json.dumps(inbox, default=str)
    database = Path(db_url.removeprefix("sqlite:///"))
    stored = b"".join(path.read_bytes() for path in database.parent.glob(database.name + "*"))
    assert token.encode() not in stored
    client.send_task_success(taskToken=token, output='{"approved": true}')
    client.run_until_idle()
    assert json.loads(client.describe_execution(executionArn=arn)["output"]) == {"approved": True}
    with pytest.raises(E.TaskTimedOut):
        client.send_task_success(taskToken=token, output="{}")
    with pytest.raises(E.TaskDoesNotExist):
        client.send_task_success(taskToken="T" * len(token), output="{}")  # well formed, never issued
    with pytest.raises(E.InvalidToken):
        client.send_task_success(taskToken="not-a-token", output="{}")
    with pytest.raises(E.InvalidOutput):
        client.send_task_success(taskToken=token, output="{not json")
    assert client.list_waiting_tasks()["tasks"] == []


def test_a_token_written_into_a_link_is_stored_only_as_a_hash_and_still_answers(make_client, db_url):
    links: list[str] = []
    client = make_client({CALLBACK: lambda parameters: links.append(parameters["Payload"]["link"])})
    arn = start(
        client,
        machine(
            client,
            {
                "StartAt": "Ask",
                "States": {
                    "Ask": {
                        "Type": "Task",
                        "Resource": CALLBACK,
                        "End": True,
                        "Parameters": {
                            "FunctionName": "ask",
                            "Payload": {
                                "link.$": (
                                    "States.Format('https://leave.example.com/approve/{}', $$.Task.Token)"
                                )
                            },
                        },
                    }
                },
            },
        ),
    )
    client.run_until_idle()
    [link] = links
    token = link.rsplit("/", 1)[1]
    database = Path(db_url.removeprefix("sqlite:///"))
    stored = b"".join(path.read_bytes() for path in database.parent.glob(database.name + "*"))
    assert token.encode() not in stored
    client.send_task_success(taskToken=token, output='{"approved": true}')
    client.run_until_idle()
    assert json.loads(client.describe_execution(executionArn=arn)["output"]) == {"approved": True}


def test_send_task_failure_fails_the_task_with_the_given_error(make_client):
    tokens, resources = token_catcher()
    client = make_client(resources)
    arn = start(client, machine(client, callback_machine()), {"who": "ann"})
    client.run_until_idle()
    client.send_task_failure(taskToken=tokens[0], error="Rejected", cause="no budget")
    client.run_until_idle()
    described = client.describe_execution(executionArn=arn)
    assert (described["status"], described["error"], described["cause"]) == (
        "FAILED",
        "Rejected",
        "no budget",
    )
    assert "TaskFailed" in types(client, arn)


def test_the_inbox_decides_a_task_by_its_id_without_the_token(make_client):
    _tokens, resources = token_catcher()
    client = make_client(resources)
    arn = start(client, machine(client, callback_machine()), {"who": "bob"})
    client.run_until_idle()
    [task] = client.list_waiting_tasks()["tasks"]
    client.decide_task(taskId=task["taskId"], output='{"approved": false}')
    client.run_until_idle()
    assert json.loads(client.describe_execution(executionArn=arn)["output"]) == {"approved": False}


def test_stop_execution_aborts_it_and_its_pending_tokens_stop_working(make_client):
    tokens, resources = token_catcher()
    client = make_client(resources)
    arn = start(client, machine(client, callback_machine()), {"who": "ann"})
    client.run_until_idle()
    client.stop_execution(executionArn=arn, error="Cancelled", cause="by hr")
    assert status(client, arn) == "ABORTED"
    with pytest.raises(E.TaskTimedOut):
        client.send_task_success(taskToken=tokens[0], output="{}")
    assert types(client, arn)[-1] == "ExecutionAborted"


def test_a_task_without_heartbeats_times_out_with_states_heartbeat_timeout(make_client, clock):
    tokens, resources = token_catcher()
    client = make_client(resources)
    arn = start(
        client, machine(client, callback_machine(HeartbeatSeconds=10, TimeoutSeconds=100)), {"who": "ann"}
    )
    client.run_until_idle()
    clock.advance(8)
    client.send_task_heartbeat(taskToken=tokens[0])
    clock.advance(8)
    client.run_until_idle()
    assert status(client, arn) == "RUNNING"  # 16 s since the start, 8 s since the heartbeat
    clock.advance(3)
    client.run_until_idle()
    assert client.describe_execution(executionArn=arn)["error"] == "States.HeartbeatTimeout"
    with pytest.raises(E.TaskTimedOut):
        client.send_task_heartbeat(taskToken=tokens[0])


def test_a_task_timeout_is_caught_like_any_error(make_client, clock):
    tokens, resources = token_catcher()
    client = make_client(resources)
    definition = callback_machine(
        TimeoutSeconds=60, Catch=[{"ErrorEquals": ["States.Timeout"], "Next": "Late"}]
    )
    definition["States"]["Ask"].pop("End")
    definition["States"]["Ask"]["Next"] = "Done"
    definition["States"].update(
        {"Late": {"Type": "Pass", "Result": "late", "End": True}, "Done": {"Type": "Pass", "End": True}}
    )
    arn = start(client, machine(client, definition), {"who": "ann"})
    client.run_until_idle()
    clock.advance(60)
    client.run_until_idle()
    assert json.loads(client.describe_execution(executionArn=arn)["output"]) == "late"
    assert "TaskTimedOut" in types(client, arn)
    with pytest.raises(E.TaskTimedOut):
        client.send_task_success(taskToken=tokens[0], output="{}")


def test_the_execution_timeout_ends_it_as_timed_out(make_client, clock):
    client = make_client()
    definition = {
        "TimeoutSeconds": 30,
        "StartAt": "W",
        "States": {"W": {"Type": "Wait", "Seconds": 60, "End": True}},
    }
    arn = start(client, machine(client, definition))
    client.run_until_idle()
    clock.advance(30)
    client.run_until_idle()
    described = client.describe_execution(executionArn=arn)
    assert (described["status"], described["error"]) == ("TIMED_OUT", "States.Timeout")
    assert types(client, arn)[-1] == "ExecutionTimedOut"


def test_a_retry_backoff_survives_a_restart(make_client, clock):
    calls: list[int] = []

    def flaky(parameters):
        calls.append(1)
        if len(calls) == 1:
            raise StatesError("Busy", "try later")
        return "done"

    definition = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": ADD,
                "End": True,
                "Retry": [{"ErrorEquals": ["Busy"], "IntervalSeconds": 60, "MaxAttempts": 2}],
            }
        },
    }
    first = make_client({ADD: flaky})
    arn = start(first, machine(first, definition))
    first.run_until_idle()
    first.close()
    second = make_client({ADD: flaky})
    clock.advance(59)
    second.run_until_idle()
    assert len(calls) == 1
    clock.advance(1)
    second.run_until_idle()
    assert json.loads(second.describe_execution(executionArn=arn)["output"]) == "done"


def test_redrive_runs_the_failed_state_again(make_client):
    calls: list[int] = []

    def once_broken(parameters):
        calls.append(1)
        if len(calls) == 1:
            raise StatesError("Broken", "first time")
        return {"ok": len(calls)}

    client = make_client({ADD: once_broken})
    definition = {
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "Next": "T"}, "T": {"Type": "Task", "Resource": ADD, "End": True}},
    }
    arn = start(client, machine(client, definition))
    client.run_until_idle()
    assert status(client, arn) == "FAILED"
    with pytest.raises(E.ExecutionNotRedrivable):
        client.redrive_execution(
            executionArn=start(
                client,
                machine(
                    client,
                    {"StartAt": "S", "States": {"S": {"Type": "Wait", "Seconds": 5, "End": True}}},
                    name="other",
                ),
            )
        )
    client.redrive_execution(executionArn=arn)
    client.run_until_idle()
    described = client.describe_execution(executionArn=arn)
    assert (described["status"], described["redriveCount"], json.loads(described["output"])) == (
        "SUCCEEDED",
        1,
        {"ok": 2},
    )
    kinds = types(client, arn)
    assert kinds.count("PassStateEntered") == 1 and "ExecutionRedriven" in kinds
    assert_consistent_history(client, arn)


def test_a_failed_branch_cancels_the_other_branch_and_its_token(make_client):
    tokens, resources = token_catcher()
    client = make_client(resources)
    definition = {
        "StartAt": "Both",
        "States": {
            "Both": {
                "Type": "Parallel",
                "End": True,
                "Branches": [
                    callback_machine(),
                    {
                        "StartAt": "W",
                        "States": {
                            "W": {"Type": "Wait", "Seconds": 1, "Next": "F"},
                            "F": {"Type": "Fail", "Error": "Nope"},
                        },
                    },
                ],
            }
        },
    }
    arn = start(client, machine(client, definition), {"who": "ann"})
    client.run_until_idle()
    assert len(tokens) == 1 and status(client, arn) == "RUNNING"
    client.clock.advance(1)  # type: ignore[attr-defined]
    client.run_until_idle()
    assert client.describe_execution(executionArn=arn)["error"] == "Nope"
    with pytest.raises(E.TaskTimedOut):
        client.send_task_success(taskToken=tokens[0], output="{}")


def test_a_map_inside_a_parallel_branch_answers_the_branch(make_client):
    client = make_client({ADD: lambda item: item * 10})

    def each(task: str) -> dict:
        return {
            "Type": "Map",
            "MaxConcurrency": 1,
            "End": True,
            "ItemProcessor": {
                "StartAt": task,
                "States": {task: {"Type": "Task", "Resource": ADD, "End": True}},
            },
        }

    definition = {
        "StartAt": "Both",
        "States": {
            "Both": {
                "Type": "Parallel",
                "End": True,
                "Branches": [
                    {"StartAt": "Each", "States": {"Each": each("T1")}},
                    {
                        "StartAt": "Inner",
                        "States": {
                            "Inner": {
                                "Type": "Parallel",
                                "End": True,
                                "Branches": [{"StartAt": "Again", "States": {"Again": each("T2")}}],
                            }
                        },
                    },
                ],
            }
        },
    }
    arn = start(client, machine(client, definition), [1, 2, 3])
    client.run_until_idle()
    described = client.describe_execution(executionArn=arn)
    assert (described["status"], json.loads(described["output"])) == (
        "SUCCEEDED",
        [[10, 20, 30], [[10, 20, 30]]],
    )
    assert_consistent_history(client, arn)


def _barrier_task(parties: int):
    barrier = threading.Barrier(parties, timeout=5)

    def meet(parameters):
        barrier.wait()  # raises BrokenBarrierError unless all parties run at the same time
        return parameters

    return meet


def test_parallel_branches_run_at_the_same_time(make_client):
    client = make_client({ADD: _barrier_task(2)}, start=True, workers=2, clock=None)
    branches = [
        {"StartAt": name, "States": {name: {"Type": "Task", "Resource": ADD, "End": True}}}
        for name in ("A", "B")
    ]
    arn = start(
        client,
        machine(
            client,
            {"StartAt": "Both", "States": {"Both": {"Type": "Parallel", "End": True, "Branches": branches}}},
        ),
        {"x": 1},
    )
    described = client.wait_for_execution(arn, timeout=10)
    assert (described["status"], json.loads(described["output"])) == ("SUCCEEDED", [{"x": 1}, {"x": 1}])


def test_map_iterations_run_at_the_same_time_up_to_max_concurrency(make_client):
    client = make_client({ADD: _barrier_task(3)}, start=True, workers=2, clock=None)
    definition = {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "MaxConcurrency": 3,
                "End": True,
                "ItemProcessor": {
                    "StartAt": "T",
                    "States": {"T": {"Type": "Task", "Resource": ADD, "End": True}},
                },
            }
        },
    }
    arn = start(client, machine(client, definition), list(range(6)))
    described = client.wait_for_execution(arn, timeout=10)
    assert (described["status"], json.loads(described["output"])) == ("SUCCEEDED", list(range(6)))
    assert_consistent_history(client, arn)


def test_a_nested_sync_execution_answers_its_parent_when_it_ends(make_client, clock):
    client = make_client()
    child = machine(
        client,
        {
            "StartAt": "W",
            "States": {
                "W": {"Type": "Wait", "Seconds": 10, "Next": "P"},
                "P": {"Type": "Pass", "Result": {"child": "done"}, "End": True},
            },
        },
        name="child",
    )
    parent = machine(
        client,
        {
            "StartAt": "Run",
            "States": {
                "Run": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::states:startExecution.sync:2",
                    "End": True,
                    "Parameters": {"StateMachineArn": child, "Input": {"from": "parent"}},
                    "ResultSelector": {"out.$": "$.Output"},
                }
            },
        },
        name="parent",
    )
    arn = start(client, parent)
    client.run_until_idle()
    assert status(client, arn) == "RUNNING"
    clock.advance(10)
    client.run_until_idle()
    described = client.describe_execution(executionArn=arn)
    assert (described["status"], json.loads(described["output"])) == ("SUCCEEDED", {"out": {"child": "done"}})
    [child_execution] = client.list_executions(stateMachineArn=child)["executions"]
    assert json.loads(client.describe_execution(executionArn=child_execution["executionArn"])["input"]) == {
        "from": "parent"
    }


def test_a_nested_execution_without_sync_returns_its_arn_at_once(make_client):
    client = make_client()
    child = machine(
        client, {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 10, "End": True}}}, name="child"
    )
    parent = machine(
        client,
        {
            "StartAt": "Run",
            "States": {
                "Run": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::states:startExecution",
                    "End": True,
                    "Parameters": {"StateMachineArn": child},
                }
            },
        },
        name="parent",
    )
    arn = start(client, parent)
    client.run_until_idle()
    output = json.loads(client.describe_execution(executionArn=arn)["output"])
    assert output["ExecutionArn"].startswith("arn:aws:states:us-east-1:123456789012:execution:child:")
    assert status(client, output["ExecutionArn"]) == "RUNNING"


def test_an_activity_worker_polls_a_task_and_answers_it(make_client):
    client = make_client()
    activity = client.create_activity(name="approve")["activityArn"]
    assert client.get_activity_task(activityArn=activity, _poll_seconds=0) == {}
    arn = start(
        client,
        machine(
            client, {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": activity, "End": True}}}
        ),
        {"days": 2},
    )
    client.run_until_idle()
    task = client.get_activity_task(activityArn=activity, workerName="w1", _poll_seconds=0)
    assert json.loads(task["input"]) == {"days": 2}
    assert client.get_activity_task(activityArn=activity, _poll_seconds=0) == {}
    client.send_task_success(taskToken=task["taskToken"], output='"ok"')
    client.run_until_idle()
    assert json.loads(client.describe_execution(executionArn=arn)["output"]) == "ok"
    assert types(client, arn) == [
        "ExecutionStarted",
        "TaskStateEntered",
        "ActivityScheduled",
        "ActivityStarted",
        "ActivitySucceeded",
        "TaskStateExited",
        "ExecutionSucceeded",
    ]


def test_executions_started_together_each_get_their_own_answer_and_a_failed_one_changes_nothing(make_client):
    """`start_executions`: one transaction for requests that arrive together
    (the HTTP layer's group commit)."""
    client = make_client()
    hello = machine(client, {"StartAt": "Hi", "States": {"Hi": {"Type": "Pass", "End": True}}}, name="hello")
    answers = client.start_executions(
        [
            {"stateMachineArn": hello, "name": "first", "input": "{}"},
            {"stateMachineArn": hello, "name": "bad", "input": "{not json"},
            {"stateMachineArn": hello.replace("hello", "nope"), "name": "lost"},
            {"stateMachineArn": hello, "name": "first", "input": '{"other": 1}'},
            {"stateMachineArn": hello, "name": "second"},
        ]
    )
    assert [type(answer).__name__ for answer in answers] == [
        "dict",
        "InvalidExecutionInput",
        "StateMachineDoesNotExist",
        "ExecutionAlreadyExists",
        "dict",
    ]
    client.run_until_idle()
    listed = client.list_executions(stateMachineArn=hello)["executions"]
    assert [(item["name"], item["status"]) for item in listed] == [
        ("second", "SUCCEEDED"),
        ("first", "SUCCEEDED"),
    ]
    assert answers[0]["executionArn"] == listed[1]["executionArn"]


def test_a_token_written_in_base64_or_echoed_in_its_answer_is_never_kept_in_clear(make_client):
    sent: list[str] = []
    client = make_client({CALLBACK: lambda parameters: sent.append(parameters["Payload"]["encoded"])})
    arn = start(
        client,
        machine(
            client,
            {
                "StartAt": "Ask",
                "States": {
                    "Ask": {
                        "Type": "Task",
                        "Resource": CALLBACK,
                        "End": True,
                        "Parameters": {
                            "FunctionName": "ask",
                            "Payload": {"encoded.$": "States.Base64Encode($$.Task.Token)"},
                        },
                    }
                },
            },
        ),
    )
    client.run_until_idle()
    [encoded] = sent
    token = base64.b64decode(encoded).decode()
    assert is_token_form(token)  # the function was given the real token's base64, which answers
    client.send_task_success(
        taskToken=token, output=json.dumps({"approved": True, "echo": token, "link": f"/a/{encoded}"})
    )
    client.run_until_idle()
    history = json.dumps(client.get_execution_history(executionArn=arn)["events"], default=str)
    assert token not in history and encoded not in history
    assert "<task token: redacted>" in history
    assert json.loads(client.describe_execution(executionArn=arn)["output"]) == {
        "approved": True,
        "echo": "<task token: redacted>",
        "link": "/a/<task token: redacted>",
    }


def test_a_stored_definition_that_no_longer_compiles_fails_its_execution_once(make_client, db_url):
    # As after an upgrade whose validator is stricter: the execution fails with States.Runtime and its
    # work is gone, instead of every delivery of it failing for ever.
    import sqlite3

    client = make_client({})
    arn = start(client, machine(client, {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}))
    stale = json.dumps(
        {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:s3:::bucket", "End": True}}}
    )
    with sqlite3.connect(db_url.removeprefix("sqlite:///")) as database:
        database.execute("UPDATE definitions SET definition = ?", (stale,))
    client.close()
    client = make_client({})  # a process started after the upgrade: nothing compiled yet
    client.run_until_idle()
    described = client.describe_execution(executionArn=arn)
    assert (described["status"], described["error"]) == ("FAILED", "States.Runtime")
    assert "no longer compiles" in described["cause"]
    assert client.run_until_idle() == 0
