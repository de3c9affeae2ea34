"""Nested executions: `arn:aws:states:::states:startExecution[.sync|.sync:2|.waitForTaskToken]`.

Without a suffix the task returns at once with the child's ARN and start date. With `.sync` (output
as a JSON string) or `.sync:2` (output as JSON) the task answers when the child ends: the runtime
hears of the child's end in the transaction that ends it, so no thread waits. With
`.waitForTaskToken` the child is expected to call SendTaskSuccess with the token it was given.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sojourn import errors as E
from sojourn.asl.errors import StatesError
from sojourn.asl.interpreter import format_time, to_json
from sojourn.asl.resources import Pattern
from sojourn.integrations.base import Facilities, TaskCall

__all__ = ["Deferred", "invoke", "nested_execution_name"]


class Deferred:
    """Returned instead of a result: the runtime answers the task later (when the child ends)."""

    sojourn_deferred = True


# How the parent waits, as stored with the child execution (`parent.mode`, read by the runtime's engine).
_MODES = {
    Pattern.REQUEST_RESPONSE: "start",
    Pattern.SYNC: "sync",
    Pattern.SYNC2: "sync:2",
    Pattern.WAIT_FOR_TASK_TOKEN: "token",
}


def invoke(call: TaskCall, facilities: Facilities) -> Any:
    """Start the child execution named by `StateMachineArn`, `Input` and `Name` (optional)."""
    parameters = call.parameters if isinstance(call.parameters, dict) else {}
    machine = parameters.get("StateMachineArn")
    if not isinstance(machine, str):
        raise StatesError("States.Runtime", "states:startExecution needs a StateMachineArn parameter")
    data = parameters.get("Input", {})
    text = data if isinstance(data, str) else to_json(data)
    name = parameters.get("Name") or nested_execution_name(call.idempotency_key)
    mode = _MODES[call.target.pattern]
    answered_here = call.run_id is not None  # not so for TestState, which has no run to answer
    parent: dict[str, Any] = {"execution_arn": call.execution_arn, "mode": mode}
    if answered_here:
        parent.update(run_id=call.run_id, gen=call.generation)
    executions = facilities.executions
    if executions is None:
        raise StatesError("States.Runtime", "states:startExecution needs the executions service")
    try:
        execution = executions.start_nested_execution(
            stateMachineArn=machine, input=text, name=name, parent=parent
        )
    except E.SojournAPIError as e:
        raise StatesError(f"StepFunctions.{e.type_name}Exception", e.message) from None
    if mode in ("sync", "sync:2") and answered_here:
        if execution["status"] == "RUNNING":
            return Deferred()
        described = executions.describe_nested_execution(executionArn=execution["arn"])
        if described["status"] != "SUCCEEDED":
            raise StatesError("States.TaskFailed", to_json({k: str(v) for k, v in described.items()}))
        output: str = described["output"]  # a SUCCEEDED execution has one
        return {
            "ExecutionArn": execution["arn"],
            "Output": json.loads(output) if mode == "sync:2" else output,
            "Status": "SUCCEEDED",
        }
    started = execution["started_at"]
    return {"ExecutionArn": execution["arn"], "StartDate": format_time(datetime.fromtimestamp(started, UTC))}


def nested_execution_name(idempotency_key: str) -> str:
    """A stable name for a child execution, so that re-invoking the starting task finds the same one."""
    return hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
