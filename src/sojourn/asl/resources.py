"""A Task's `Resource`, parsed once when the definition is compiled into what it calls and how it waits.

The forms AWS accepts (Step Functions developer guide, "Integrating services" and "Service integration
patterns"), and Sojourn's own, each with its kind, service and action:

- `arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]`: FUNCTION, `lambda`, `<name>`
- `arn:aws:states:<region>:<account>:activity:<name>`: ACTIVITY, `states`, `<name>`
- `arn:aws:states:::<service>:<action>[.sync, .sync:2, .waitForTaskToken]`: SERVICE, `<service>`, `<action>`
- `arn:aws:states:::aws-sdk:<service>:<action>[.waitForTaskToken]` (no `.sync`, as on AWS): SERVICE,
  `aws-sdk:<service>`, `<action>`
- `arn:aws:states:::sojourn:<action>[...]`, the actions in `SOJOURN_ACTIONS` (ours, not AWS's): SERVICE,
  `sojourn`, `<action>`

Any well-formed optimised or SDK integration is accepted although Sojourn's runtime serves only some
(`sojourn.integrations`): `sojourn.run(resources=...)` and `Client(resources=...)` may answer any of them.
Anything else is refused when the definition is validated, with AWS's words (`UnsupportedResource`).
"""

from __future__ import annotations

import enum
import functools
import re
from dataclasses import dataclass

from sojourn.asl.errors import StatesError

__all__ = ["SOJOURN_ACTIONS", "Kind", "Pattern", "Resource", "UnsupportedResource", "is_arn", "parse"]


class Pattern(enum.Enum):
    """How a Task waits for its service (AWS's service integration patterns); the value is the ARN suffix."""

    REQUEST_RESPONSE = ""
    SYNC = ".sync"  # Run a Job: the output as a JSON string
    SYNC2 = ".sync:2"  # Run a Job: the output as JSON
    WAIT_FOR_TASK_TOKEN = ".waitForTaskToken"  # a callback: SendTaskSuccess or SendTaskFailure answers


class Kind(enum.Enum):
    """What the Task calls; each kind has its own history events (LambdaFunction*, Activity*, Task*)."""

    FUNCTION = "function"
    ACTIVITY = "activity"
    SERVICE = "service"


# Sojourn's own integrations (`arn:aws:states:::sojourn:<action>`) and the patterns each serves.
SOJOURN_ACTIONS: dict[str, frozenset[Pattern]] = {
    "email.send": frozenset({Pattern.REQUEST_RESPONSE, Pattern.WAIT_FOR_TASK_TOKEN}),
    # a task for people (sojourn.asl.humantask): the engine holds the token and answers it with the decision
    "humanTask": frozenset({Pattern.WAIT_FOR_TASK_TOKEN}),
}
_SDK_PATTERNS = frozenset({Pattern.REQUEST_RESPONSE, Pattern.WAIT_FOR_TASK_TOKEN})

_PARTITION = r"arn:aws(?:-[a-z]+)*"
_FUNCTION = re.compile(
    rf"{_PARTITION}:lambda:[a-z0-9-]+:\d{{12}}:function:(?P<action>[A-Za-z0-9_-]{{1,64}})(?::[A-Za-z0-9$_-]{{1,128}})?"
)
_ACTIVITY = re.compile(rf"{_PARTITION}:states:[a-z0-9-]+:\d{{12}}:activity:(?P<action>[^\s:]{{1,80}})")
_SUFFIX = re.compile(r"\.(?:sync(?::2)?|waitForTaskToken)\Z")
_SERVICE = re.compile(rf"{_PARTITION}:states:::(?P<service>[a-z][a-z0-9-]*):(?P<action>[A-Za-z][A-Za-z0-9]*)")
_SDK = re.compile(
    rf"{_PARTITION}:states:::aws-sdk:(?P<service>[a-z][a-z0-9-]*):(?P<action>[A-Za-z][A-Za-z0-9]*)"
)
_SOJOURN = re.compile(rf"{_PARTITION}:states:::sojourn:(?P<action>[a-z][A-Za-z0-9.]*)")
_ARN = re.compile(r"arn:[^:\s]+:[^:\s]+:[^:\s]*:[^:\s]*:\S+")


class UnsupportedResource(StatesError):
    """A Task resource Sojourn does not know. AWS refuses these at CreateStateMachine
    (SCHEMA_VALIDATION_FAILED); one that still reaches a runtime fails the task with States.Runtime."""

    name = "States.Runtime"

    def __init__(self, resource: object):
        super().__init__(
            cause=f"The resource provided {resource} is not recognized. The value is not a valid "
            "resource ARN, or the resource is not available in this region."
        )


@dataclass(frozen=True)
class Resource:
    """A Task's resource: `arn` as written, what it calls (`kind`, `service`, `action`) and its `pattern`."""

    arn: str
    kind: Kind
    service: str
    action: str
    pattern: Pattern = Pattern.REQUEST_RESPONSE

    @property
    def base(self) -> str:
        """The ARN without its pattern's suffix
        (`...:lambda:invoke.waitForTaskToken` -> `...:lambda:invoke`)."""
        return self.arn.removesuffix(self.pattern.value)

    @property
    def waits_for_token(self) -> bool:
        """True for `.waitForTaskToken`: the call's return is not the answer, SendTaskSuccess is."""
        return self.pattern is Pattern.WAIT_FOR_TASK_TOKEN

    @property
    def needs_token(self) -> bool:
        """True when the task gets a task token: a callback, or an activity (GetActivityTask hands it out)."""
        return self.waits_for_token or self.kind is Kind.ACTIVITY

    @property
    def event_names(self) -> tuple[str, str]:
        """(resourceType, resource) as a SERVICE task's Task* history events name it
        (`arn:aws:states:::lambda:invoke.waitForTaskToken` -> `lambda`, `invoke.waitForTaskToken`)."""
        if self.kind is not Kind.SERVICE:
            return self.kind.value, self.arn
        resource_type, _, name = self.arn.split(":::", 1)[1].partition(":")
        return resource_type, name


def is_arn(text: object) -> bool:
    """True when `text` has an ARN's shape (six parts); else AWS says "Value is not a valid resource ARN"."""
    return isinstance(text, str) and _ARN.fullmatch(text) is not None


def parse(text: object) -> Resource:
    """The typed resource `text` names; UnsupportedResource (AWS's words) when it is no form Sojourn knows."""
    if not isinstance(text, str):
        raise UnsupportedResource(text)
    return _parse(text)


@functools.lru_cache(maxsize=1024)  # the runtime parses the stored text of every task it invokes
def _parse(text: str) -> Resource:
    if match := _FUNCTION.fullmatch(text):
        return Resource(text, Kind.FUNCTION, "lambda", match["action"])
    if match := _ACTIVITY.fullmatch(text):
        return Resource(text, Kind.ACTIVITY, "states", match["action"])
    suffix = _SUFFIX.search(text)
    pattern = Pattern(suffix[0]) if suffix else Pattern.REQUEST_RESPONSE
    body = text[: len(text) - len(pattern.value)]
    if (match := _SOJOURN.fullmatch(body)) and pattern in SOJOURN_ACTIONS.get(match["action"], ()):
        return Resource(text, Kind.SERVICE, "sojourn", match["action"], pattern)
    if (match := _SDK.fullmatch(body)) and pattern in _SDK_PATTERNS:
        return Resource(text, Kind.SERVICE, f"aws-sdk:{match['service']}", match["action"], pattern)
    if (match := _SERVICE.fullmatch(body)) and match["service"] not in ("sojourn", "aws-sdk"):
        return Resource(text, Kind.SERVICE, match["service"], match["action"], pattern)
    raise UnsupportedResource(text)
