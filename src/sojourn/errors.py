"""Errors of the Step Functions API, named exactly as AWS's `__type` so the wire mapping is one place.

The client raises these; the HTTP layer turns `type(e).__name__` into `__type` and `str(e)` into the
message; boto3 then raises the matching exception class (e.g. `client.exceptions.ExecutionDoesNotExist`).
"""

from __future__ import annotations


class SojournAPIError(Exception):
    """Base of every API error; `status` is the HTTP status AWS answers with."""

    status: int = 400

    @property
    def type_name(self) -> str:
        return type(self).__name__

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


class ActivityAlreadyExists(SojournAPIError): ...


class ActivityDoesNotExist(SojournAPIError): ...


class ActivityLimitExceeded(SojournAPIError): ...


class ActivityWorkerLimitExceeded(SojournAPIError): ...


class ConflictException(SojournAPIError): ...


class ExecutionAlreadyExists(SojournAPIError): ...


class ExecutionDoesNotExist(SojournAPIError): ...


class ExecutionLimitExceeded(SojournAPIError): ...


class ExecutionNotRedrivable(SojournAPIError): ...


class InvalidArn(SojournAPIError): ...


class InvalidDefinition(SojournAPIError): ...


class InvalidExecutionInput(SojournAPIError): ...


class InvalidName(SojournAPIError): ...


class InvalidOutput(SojournAPIError): ...


class InvalidToken(SojournAPIError): ...


class MessageDoesNotExist(SojournAPIError):
    """No message with that id in the mail outbox (Sojourn's mailbox, not a Step Functions error)."""


class MissingRequiredParameter(SojournAPIError): ...


class ResourceNotFound(SojournAPIError): ...


class ServiceQuotaExceededException(SojournAPIError): ...


class StateMachineAlreadyExists(SojournAPIError): ...


class StateMachineDeleting(SojournAPIError): ...


class StateMachineDoesNotExist(SojournAPIError): ...


class StateMachineLimitExceeded(SojournAPIError): ...


class StateMachineTypeNotSupported(SojournAPIError): ...


class TaskDoesNotExist(SojournAPIError): ...


class TaskTimedOut(SojournAPIError): ...


class DecisionRefused(SojournAPIError):
    """Sojourn's own: a human task's decision that cannot be taken (closed task, used or reassigned link, the
    requester deciding, a form that does not fit); `problems` maps each form field to what is wrong."""

    def __init__(self, message: str, problems: dict[str, str] | None = None):
        super().__init__(message)
        self.problems = problems or {}


class TooManyTags(SojournAPIError): ...


class ValidationException(SojournAPIError): ...


class UnknownOperationException(SojournAPIError):
    """An action that Sojourn does not implement."""


class SerializationException(SojournAPIError):
    """The request body is not valid JSON or not of the operation's shape."""


class AccessDeniedException(SojournAPIError):
    status = 403


class UnrecognizedClientException(SojournAPIError):
    status = 403


class RequestEntityTooLarge(SojournAPIError):
    """Request payload over AWS's 256 KB limit (AWS answers 413 with this type)."""

    status = 413


class InternalFailure(SojournAPIError):
    status = 500


class ServiceUnavailable(SojournAPIError):
    """AWS's common error for a temporary failure of the server (here: the database is out of reach)."""

    status = 503
