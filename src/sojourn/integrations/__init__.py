"""What a Task can call: one module per resource family, each with `invoke(call, services)`.

`resolve(resource)` picks the module by the resource's form (docs/design.md section 4).
"""

from __future__ import annotations

import importlib
import re
from types import ModuleType

from sojourn.asl.errors import StatesRuntime
from sojourn.integrations.base import Services, TaskCall

__all__ = ["Services", "TaskCall", "UnknownResource", "module_name", "resolve"]

_TOKEN = r"(\.waitForTaskToken)?"
_TABLE: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(rf"arn:aws:states:::lambda:invoke{_TOKEN}"), "functions"),
    (re.compile(r"arn:aws:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9$_-]+)?"), "functions"),
    (re.compile(r"arn:aws:states:::aws-sdk:sesv2:sendEmail"), "email"),
    (re.compile(rf"arn:aws:states:::sojourn:email\.send{_TOKEN}"), "email"),
    (re.compile(r"arn:aws:states:::states:startExecution(\.sync(:2)?|\.waitForTaskToken)?"), "executions"),
    (re.compile(r"arn:aws:states:[a-z0-9-]+:\d{12}:activity:[A-Za-z0-9_.-]+"), "activities"),
)


class UnknownResource(StatesRuntime):
    """A Task resource no integration serves (AWS rejects these when the definition is created)."""


def module_name(resource: str) -> str | None:
    """The integration module's short name for `resource`, or None when no integration serves it."""
    for pattern, name in _TABLE:
        if pattern.fullmatch(resource):
            return name
    return None


def resolve(resource: str) -> ModuleType:
    """The integration module whose `invoke(call, services)` runs `resource`; raises `UnknownResource`.

    AWS refuses an unknown resource at CreateStateMachine with SCHEMA_VALIDATION_FAILED ("The resource
    provided ... is not recognized"); a definition that still reaches the runtime fails with States.Runtime.
    """
    name = module_name(resource)
    if name is None:
        raise UnknownResource(
            cause=f"The resource provided {resource} is not recognized. The value is not a valid "
            "resource ARN, or the resource is not available in this region."
        )
    return importlib.import_module(f"sojourn.integrations.{name}")
