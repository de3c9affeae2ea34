"""Task resources that send email through Sojourn's outbox (the task ends once the mail is queued).

- `arn:aws:states:::aws-sdk:sesv2:sendEmail`: Amazon SES v2 SendEmail's request (`FromEmailAddress`,
  `Destination`, `ReplyToAddresses`, `Content.Simple`) and response (`{"MessageId": ...}`). A bad request
  fails the task as Step Functions' AWS SDK integrations do: `<Service>.<Exception>` in PascalCase with
  the Exception suffix ("AWS SDK service integrations" in the Step Functions guide), here
  `SesV2.BadRequestException`.
- `arn:aws:states:::sojourn:email.send[.waitForTaskToken]`: `{To, Cc, Bcc, Subject, Html, Text, From,
  ReplyTo}` (addresses as a list or one string) -> `{"MessageId": ...}`; bad parameters fail with
  `States.TaskFailed`.
The task's idempotency key makes a task re-invoked after a crash find the mail it queued instead of queueing
it twice. With `.waitForTaskToken` a re-invocation carries a new task token (the old one is void), so it
queues a new message carrying the new token.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from sojourn.asl.errors import StatesError, TaskFailed
from sojourn.integrations.base import Facilities, TaskCall
from sojourn.mail.message import Message
from sojourn.mail.outbox import enqueue

__all__ = ["invoke"]

SESV2_FIELDS = {
    "FromEmailAddress",
    "FromEmailAddressIdentityArn",
    "Destination",
    "ReplyToAddresses",
    "FeedbackForwardingEmailAddress",
    "FeedbackForwardingEmailAddressIdentityArn",
    "Content",
    "EmailTags",
    "ConfigurationSetName",
    "EndpointId",
    "TenantName",
    "ListManagementOptions",
}
SIMPLE_FIELDS = {
    "To": "to",
    "Cc": "cc",
    "Bcc": "bcc",
    "Subject": "subject",
    "Html": "html",
    "Text": "text",
    "From": "sender",
    "ReplyTo": "reply_to",
}
# Message's field names -> where they are in SendEmail's request (so errors name the request's field).
SESV2_NAMES = {
    "to": "Destination.ToAddresses",
    "cc": "Destination.CcAddresses",
    "bcc": "Destination.BccAddresses",
    "reply_to": "ReplyToAddresses",
    "sender": "FromEmailAddress",
    "subject": "Content.Simple.Subject.Data",
    "html": "Content.Simple.Body.Html.Data",
    "text": "Content.Simple.Body.Text.Data",
}


def invoke(call: TaskCall, facilities: Facilities) -> Any:
    """Queue the mail the task describes; `{"MessageId": ...}`."""
    message = _sesv2(call.parameters) if call.target.service == "aws-sdk:sesv2" else _simple(call.parameters)
    key = call.idempotency_key or None
    if key and call.task_token:
        key += "/" + hashlib.sha256(b"sojourn-mail:" + call.task_token.encode()).hexdigest()[:16]
    if facilities.store is None:
        raise StatesError("States.Runtime", "Sending mail needs the store of the mail outbox")
    return {"MessageId": enqueue(facilities.store, message, idempotency_key=key, now=facilities.clock())}


def _sesv2(parameters: Any) -> Message:
    """A Message from SendEmail's request; SesV2.BadRequestException when it is not one Sojourn can send."""
    if not isinstance(parameters, dict):
        raise _bad_request("The request must be an object with Content and Destination")
    unknown = sorted(set(parameters) - SESV2_FIELDS)
    if unknown:
        raise _bad_request(f"Unknown parameter(s) for SendEmail: {', '.join(unknown)}")
    content = parameters.get("Content")
    if not isinstance(content, dict) or not content:
        raise _bad_request("Missing required parameter: Content")
    if "Simple" not in content:
        raise _bad_request("Sojourn sends Content.Simple messages only (not Raw or Template)")
    simple = content["Simple"]
    if not isinstance(simple, dict):
        raise _bad_request("Content.Simple must be an object with Subject and Body")
    if simple.get("Attachments") or simple.get("Headers"):
        raise _bad_request("Sojourn does not send Content.Simple.Attachments or Headers")
    body = simple.get("Body")
    destination = parameters.get("Destination") or {}
    if not isinstance(destination, dict) or not isinstance(body, dict):
        raise _bad_request("Destination and Content.Simple.Body must be objects")
    try:
        return Message(
            to=destination.get("ToAddresses") or (),
            cc=destination.get("CcAddresses") or (),
            bcc=destination.get("BccAddresses") or (),
            reply_to=parameters.get("ReplyToAddresses") or (),
            sender=parameters.get("FromEmailAddress"),
            subject=_data(simple, "Subject", "Content.Simple.Subject"),
            html=_data(body, "Html", "Content.Simple.Body.Html"),
            text=_data(body, "Text", "Content.Simple.Body.Text"),
        )
    except ValueError as e:
        raise _bad_request(_renamed(e, SESV2_NAMES)) from None


def _data(parent: dict[str, Any], key: str, where: str) -> Any:
    """`parent[key]["Data"]`: SES's Content shape; None when absent (Subject is required)."""
    value = parent.get(key)
    if value is None:
        if key == "Subject":
            raise _bad_request(f"Missing required parameter: {where}")
        return None
    if not isinstance(value, dict) or "Data" not in value:
        raise _bad_request(f"{where} must be an object with Data")
    return value["Data"]


def _bad_request(message: str) -> StatesError:
    request_id = uuid.uuid4()
    return StatesError(
        "SesV2.BadRequestException", f"{message} (Service: SesV2, Status Code: 400, Request ID: {request_id})"
    )


def _simple(parameters: Any) -> Message:
    """A Message from `{To, Cc, Bcc, Subject, Html, Text, From, ReplyTo}`;
    States.TaskFailed when it is wrong."""
    if not isinstance(parameters, dict):
        raise TaskFailed(cause="sojourn:email.send needs Parameters {To, Subject, Html and/or Text, ...}")
    unknown = sorted(set(parameters) - set(SIMPLE_FIELDS))
    if unknown:
        raise TaskFailed(
            cause=f"sojourn:email.send: unknown field(s) {', '.join(unknown)} "
            f"(expected {', '.join(SIMPLE_FIELDS)})"
        )
    if "Subject" not in parameters:
        raise TaskFailed(cause="sojourn:email.send: the field 'Subject' is required")
    fields = {SIMPLE_FIELDS[key]: value for key, value in parameters.items()}
    try:
        return Message(**{"to": (), **fields})
    except ValueError as e:
        raise TaskFailed(
            cause=f"sojourn:email.send: {_renamed(e, {v: k for k, v in SIMPLE_FIELDS.items()})}"
        ) from None


def _renamed(error: ValueError, names: dict[str, str]) -> str:
    """Message's error with its field named as the task's parameters name it."""
    field, colon, rest = str(error).partition(": ")
    return f"{names[field]}: {rest}" if colon and field in names else str(error)
