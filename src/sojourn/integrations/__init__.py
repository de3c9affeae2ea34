"""What a Task can call. `resolve(resource)` picks the integration module by the resource's form.

| Resource | module |
| --- | --- |
| `arn:aws:states:::lambda:invoke[.waitForTaskToken]`, `arn:aws:lambda:<region>:<account>:function:<name>` | functions |
| `arn:aws:states:::sojourn:email.send[.waitForTaskToken]`, `arn:aws:states:::aws-sdk:sesv2:sendEmail` | email |
| `arn:aws:states:::states:startExecution[.sync, .sync:2, .waitForTaskToken]` | executions |

Activities (`arn:aws:states:<region>:<account>:activity:<name>`) are served by the runtime itself.
Each module has one entry point, `invoke(call: TaskCall, services: Services)` (docs/design.md section 4).
"""

from __future__ import annotations

import importlib
import re
from types import ModuleType

from sojourn.asl.errors import StatesError
from sojourn.integrations.base import Services, TaskCall

__all__ = ["Services", "TaskCall", "UnsupportedResource", "module_name", "resolve"]

_TOKEN = r"(\.waitForTaskToken)?"
_ROUTES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(rf"arn:aws:states:::lambda:invoke{_TOKEN}"), "functions"),
    (re.compile(r"arn:aws:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9$_-]+)?"), "functions"),
    (re.compile(rf"arn:aws:states:::sojourn:email\.send{_TOKEN}"), "email"),
    (re.compile(r"arn:aws:states:::aws-sdk:sesv2:sendEmail"), "email"),
    (re.compile(r"arn:aws:states:::states:startExecution(\.sync(:2)?|\.waitForTaskToken)?"), "executions"),
)


class UnsupportedResource(StatesError):
    """A Task resource no integration serves. AWS refuses these at CreateStateMachine
    (SCHEMA_VALIDATION_FAILED); one that still reaches the runtime fails the task with States.Runtime."""

    name = "States.Runtime"


def module_name(resource: str) -> str | None:
    """The short name of the integration module serving `resource`, or None."""
    for pattern, module in _ROUTES:
        if pattern.fullmatch(resource):
            return module
    return None


def resolve(resource: str) -> ModuleType:
    """The integration module serving `resource`; UnsupportedResource when none does."""
    module = module_name(resource)
    if module is None:
        raise UnsupportedResource(
            cause=f"The resource provided {resource} is not recognized. The value is not a valid "
            "resource ARN, or the resource is not available in this region."
        )
    return importlib.import_module(f"sojourn.integrations.{module}")
