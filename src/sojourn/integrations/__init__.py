"""What a Task can call. `resolve(resource)` picks the integration module by the resource's form.

- functions: `arn:aws:states:::lambda:invoke[.waitForTaskToken]`,
  `arn:aws:lambda:<region>:<account>:function:<name>`
- email: `arn:aws:states:::sojourn:email.send[.waitForTaskToken]`, `arn:aws:states:::aws-sdk:sesv2:sendEmail`
- executions: `arn:aws:states:::states:startExecution[.sync, .sync:2, .waitForTaskToken]`
- http: `arn:aws:states:::http:invoke` (request-response only, as on AWS)

Activities (`arn:aws:states:<region>:<account>:activity:<name>`) are served by the runtime itself.
Each module has one entry point, `invoke(call: TaskCall, facilities: Facilities)` (docs/design.md section 4).
"""

from __future__ import annotations

import importlib
from types import ModuleType

from sojourn.asl import resources
from sojourn.asl.resources import Kind, Pattern, UnsupportedResource
from sojourn.integrations.base import Facilities, TaskCall

__all__ = ["Facilities", "TaskCall", "UnsupportedResource", "module_name", "resolve"]

_CALLBACK = frozenset({Pattern.REQUEST_RESPONSE, Pattern.WAIT_FOR_TASK_TOKEN})
# (service, action) of an optimised integration -> (module, the patterns it serves)
_SERVICES: dict[tuple[str, str], tuple[str, frozenset[Pattern]]] = {
    ("lambda", "invoke"): ("functions", _CALLBACK),
    ("sojourn", "email.send"): ("email", _CALLBACK),
    ("aws-sdk:sesv2", "sendEmail"): ("email", frozenset({Pattern.REQUEST_RESPONSE})),
    ("states", "startExecution"): ("executions", frozenset(Pattern)),
    ("sojourn", "humanTask"): ("humantask", frozenset({Pattern.WAIT_FOR_TASK_TOKEN})),
    ("http", "invoke"): ("http", frozenset({Pattern.REQUEST_RESPONSE})),
}


def module_name(resource: str) -> str | None:
    """The short name of the integration module serving `resource`, or None."""
    try:
        task = resources.parse(resource)
    except UnsupportedResource:
        return None
    if task.kind is Kind.FUNCTION:
        return "functions"
    module, patterns = _SERVICES.get((task.service, task.action), (None, frozenset()))
    return module if task.pattern in patterns else None


def resolve(resource: str) -> ModuleType:
    """The integration module serving `resource`; UnsupportedResource when none does."""
    module = module_name(resource)
    if module is None:
        raise UnsupportedResource(resource)
    return importlib.import_module(f"sojourn.integrations.{module}")
