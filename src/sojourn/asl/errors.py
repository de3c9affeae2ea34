"""ASL runtime errors as data: each class carries the `States.*` name that Retry and Catch match.

Spec: "Errors" in the Amazon States Language specification. A Task may also fail with any
custom name (a Lambda handler's exception type, a Fail state's Error): use `StatesError(name, cause)`.
"""

from __future__ import annotations

from typing import ClassVar


class StatesError(Exception):
    """A failure inside an execution; `error` is matched by Retry/Catch, `cause` explains it."""

    name: ClassVar[str] = "States.Runtime"

    def __init__(self, error: str | None = None, cause: str | None = None):
        self.error = error if error is not None else self.name
        self.cause = cause
        super().__init__(f"{self.error}: {cause}" if cause else self.error)


class StatesRuntime(StatesError):
    name = "States.Runtime"


class TaskFailed(StatesError):
    name = "States.TaskFailed"


class Timeout(StatesError):
    name = "States.Timeout"


class HeartbeatTimeout(StatesError):
    name = "States.HeartbeatTimeout"


class Permissions(StatesError):
    name = "States.Permissions"


class DataLimitExceeded(StatesError):
    name = "States.DataLimitExceeded"


class IntrinsicFailure(StatesError):
    name = "States.IntrinsicFailure"


class ParameterPathFailure(StatesError):
    name = "States.ParameterPathFailure"


class ResultPathMatchFailure(StatesError):
    name = "States.ResultPathMatchFailure"


class NoChoiceMatched(StatesError):
    name = "States.NoChoiceMatched"


class BranchFailed(StatesError):
    name = "States.BranchFailed"


class ItemReaderFailed(StatesError):
    name = "States.ItemReaderFailed"


class ResultWriterFailed(StatesError):
    name = "States.ResultWriterFailed"


class ExceedToleratedFailureThreshold(StatesError):
    name = "States.ExceedToleratedFailureThreshold"


class QueryEvaluationError(StatesError):
    name = "States.QueryEvaluationError"


# Errors that a Retrier or Catcher using States.ALL does not match (AWS dg: concepts-error-handling).
# A task result over the size quota fails the task with States.DataLimitExceeded, which States.ALL does
# catch (AWS via LocalStack snapshot test_states_errors); a state output over the quota ends the
# execution without consulting any catcher.
UNCATCHABLE_BY_ALL: frozenset[str] = frozenset({"States.Runtime"})
