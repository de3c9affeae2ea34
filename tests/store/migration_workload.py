"""A deterministic workload for the migration test: it runs on the schema of any version of Sojourn.

`begin` leaves executions in every state a database holds (finished, failed, stopped, waiting on a task
token, on an activity, in a Wait) and returns the tokens handed out; `finish` answers them and lets the
clock pass the Wait. `snapshot` is everything the API tells about the executions.
"""

from __future__ import annotations

import json
from typing import Any

START = 1_800_000_000.0
ROLE = "arn:aws:iam::123456789012:role/sojourn"
STEP = "arn:aws:lambda:us-east-1:123456789012:function:step"
BREAK = "arn:aws:lambda:us-east-1:123456789012:function:break"
ASK = "arn:aws:states:::lambda:invoke.waitForTaskToken"
ACTIVITY = "arn:aws:states:us-east-1:123456789012:activity:approve"

FLOW = {
    "StartAt": "Work",
    "States": {
        "Work": {"Type": "Task", "Resource": STEP, "Next": "Both"},
        "Both": {
            "Type": "Parallel",
            "Next": "Each",
            "Branches": [
                {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": "a", "End": True}}},
                {"StartAt": "B", "States": {"B": {"Type": "Task", "Resource": STEP, "End": True}}},
            ],
        },
        "Each": {
            "Type": "Map",
            "ItemsPath": "$[1].items",
            "End": True,
            "ItemProcessor": {"StartAt": "Double", "States": {"Double": {"Type": "Pass", "End": True}}},
        },
    },
}
BROKEN = {"StartAt": "Break", "States": {"Break": {"Type": "Task", "Resource": BREAK, "End": True}}}
WAITS = {
    "StartAt": "Ask",
    "States": {
        "Ask": {
            "Type": "Task",
            "Resource": ASK,
            "Next": "Nap",
            "TimeoutSeconds": 86400,
            "Parameters": {"FunctionName": "ask", "Payload": {"token.$": "$$.Task.Token", "who.$": "$.who"}},
        },
        "Nap": {"Type": "Wait", "Seconds": 3600, "End": True},
    },
}
MANUAL = {"StartAt": "Approve", "States": {"Approve": {"Type": "Task", "Resource": ACTIVITY, "End": True}}}


def resources(tokens: dict[str, str]) -> dict[str, Any]:
    def ask(parameters: dict[str, Any]) -> None:
        tokens[parameters["Payload"]["who"]] = parameters["Payload"]["token"]

    def broken(parameters: dict[str, Any]) -> None:
        raise RuntimeError("broken on purpose")

    return {STEP: lambda value: value, BREAK: broken, ASK: ask}


def begin(client: Any, clock: Any, tokens: dict[str, str]) -> None:
    """Executions in every state; `tokens` gets the task tokens handed out (by execution name)."""
    arns = {}
    for name, definition in (("flow", FLOW), ("broken", BROKEN), ("waits", WAITS), ("manual", MANUAL)):
        arns[name] = client.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE)[
            "stateMachineArn"
        ]
        clock.now += 1
    client.create_activity(name="approve")
    for name, machine, value in (
        ("done-1", "flow", {"items": [1, 2]}),
        ("done-2", "flow", {"items": [3]}),
        ("failed", "broken", {}),
        ("asking", "waits", {"who": "asking"}),
        ("napping", "waits", {"who": "napping"}),
        ("stopped", "waits", {"who": "stopped"}),
        ("manual", "manual", {"n": 1}),
    ):
        client.start_execution(stateMachineArn=arns[machine], name=name, input=json.dumps(value))
        clock.now += 1
        client.run_until_idle()
    client.send_task_success(taskToken=tokens.pop("napping"), output=json.dumps({"ok": True}))
    client.run_until_idle()
    clock.now += 1
    client.stop_execution(
        executionArn=arns["waits"].replace("stateMachine", "execution") + ":stopped",
        error="Stopped",
        cause="on purpose",
    )
    tokens.pop("stopped")
    clock.now += 1
    tokens["manual"] = client.get_activity_task(activityArn=ACTIVITY, workerName="w1")["taskToken"]
    clock.now += 1
    client.run_until_idle()


def finish(client: Any, clock: Any, tokens: dict[str, str]) -> None:
    """Answer the waiting tasks and let the Wait end."""
    client.send_task_success(taskToken=tokens["asking"], output=json.dumps({"approved": True}))
    client.send_task_failure(taskToken=tokens["manual"], error="Denied", cause="no")
    clock.now += 7200
    client.run_until_idle()


def snapshot(client: Any) -> dict[str, Any]:
    """What the API answers about every execution: listing, description, definition, history;
    waiting tasks."""
    answer: dict[str, Any] = {"lists": {}, "executions": {}}
    for machine in client.list_state_machines()["stateMachines"]:
        arn = machine["stateMachineArn"]
        pages, token = [], None
        while True:
            page = client.list_executions(
                stateMachineArn=arn, maxResults=2, **({"nextToken": token} if token else {})
            )
            pages.append(page["executions"])
            token = page.get("nextToken")
            if not token:
                break
        answer["lists"][machine["name"]] = pages
        for item in [item for page in pages for item in page]:
            execution = item["executionArn"]
            answer["executions"][execution] = {
                "describe": client.describe_execution(executionArn=execution),
                "definition": client.describe_state_machine_for_execution(executionArn=execution)[
                    "definition"
                ],
                "history": client.get_execution_history(executionArn=execution, maxResults=1000)["events"],
                "reversed": client.get_execution_history(
                    executionArn=execution, maxResults=3, reverseOrder=True, includeExecutionData=False
                )["events"],
            }
    answer["waiting"] = [
        {key: value for key, value in task.items() if key != "taskId"}
        for task in client.list_waiting_tasks()["tasks"]
    ]
    return answer
