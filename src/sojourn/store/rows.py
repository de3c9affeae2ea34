"""The rows the store's verbs return, one TypedDict per table (DBOS's system database types its rows alike).

Callers read them as dicts (`row["status"]`); the types say which keys there are. A column added to a table
is added here too (and, for executions, to `EXECUTION_DEFAULTS` or `LISTED_EXECUTION_COLUMNS` if it has a
default or shows in listings): see docs/design.md, "Adding a column to executions".
"""

from __future__ import annotations

from typing import Any, TypedDict

__all__ = [
    "EXECUTION_DEFAULTS",
    "LISTED_EXECUTION_COLUMNS",
    "ActivityRow",
    "ActivityTaskRow",
    "AliasRow",
    "AppRow",
    "DueWorkRow",
    "EventRow",
    "ExecutionRow",
    "MachineRow",
    "MailMessageRow",
    "RunRow",
    "ScheduleRow",
    "TagRow",
    "TaskRow",
    "TokenRow",
    "VersionRow",
    "WebhookDeliveryRow",
    "WorkRow",
]


class MachineRow(TypedDict):
    """A state machine (table `state_machines`); `logging` and `tracing` are JSON text."""

    arn: str
    name: str
    type: str
    definition: str
    role_arn: str
    description: str | None
    revision_id: str
    logging: str | None
    tracing: str | None
    created_at: float
    updated_at: float


class VersionRow(TypedDict):
    """A published version of a state machine (table `machine_versions`)."""

    arn: str
    machine_arn: str
    version: int
    definition: str
    role_arn: str
    description: str | None
    revision_id: str
    created_at: float


class AliasRow(TypedDict):
    """An alias (table `machine_aliases`); `routing` is JSON text: [{stateMachineVersionArn, weight}]."""

    arn: str
    machine_arn: str
    name: str
    description: str | None
    routing: str
    created_at: float
    updated_at: float


class TagRow(TypedDict):
    """One tag of a resource."""

    key: str
    value: str


class ActivityRow(TypedDict):
    """An activity (table `activities`)."""

    arn: str
    name: str
    created_at: float


class ExecutionRow(TypedDict):
    """An execution with its machine's ARN and its name (its ARN's 8th part); `id` is its listing order."""

    id: int
    arn: str
    name: str
    machine_arn: str
    version_arn: str | None
    alias_arn: str | None
    status: str
    definition_id: int
    role_arn: str
    input: str
    output: str | None
    error: str | None
    cause: str | None
    started_at: float
    stopped_at: float | None
    redrive_count: int
    redrive_at: float | None
    parent: str | None
    next_event_id: int


# What a new execution's row holds until set: `insert_execution` returns the full row without reading it back.
EXECUTION_DEFAULTS: dict[str, Any] = {
    "version_arn": None,
    "alias_arn": None,
    "output": None,
    "error": None,
    "cause": None,
    "stopped_at": None,
    "redrive_count": 0,
    "redrive_at": None,
    "parent": None,
    "next_event_id": 1,
}
# The columns `list_executions` reads (a listing needs neither inputs nor outputs).
LISTED_EXECUTION_COLUMNS = (
    "id",
    "arn",
    "version_arn",
    "alias_arn",
    "status",
    "started_at",
    "stopped_at",
    "redrive_count",
    "redrive_at",
)


class EventRow(TypedDict):
    """A history event; `details` is JSON text without its wrapper key (see sojourn.runtime.history)."""

    id: int
    ts: float
    type: str
    details: str | None


class RunRow(TypedDict):
    """One interpreter run (an execution's main run, or a branch or iteration of a Fork);
    `frame` is JSON text."""

    id: int
    execution_id: int
    parent_id: int | None
    child_index: int
    parent_fork: int
    generation: int
    fork_generation: int
    status: str
    frame: str


class WorkRow(TypedDict):
    """A work item (table `work`); due at `due_at`, which a lease moves to the lease's end."""

    id: int
    execution_id: int
    run_id: int
    kind: str
    payload: str
    due_at: float
    lease_owner: str | None
    attempts: int


class DueWorkRow(WorkRow):
    """A work item with its execution's ARN."""

    execution_arn: str


class TokenRow(TypedDict):
    """A task token, by its SHA-256 `hash` in hex (the token itself is never stored);
    `parameters` is JSON text."""

    hash: str
    execution_id: int
    run_id: int
    task_id: int
    state_name: str
    resource: str
    status: str
    created_at: float
    timeout_at: float | None
    heartbeat_seconds: int | None
    heartbeat_at: float | None
    parameters: str | None


class TaskRow(TokenRow):
    """A waiting token with its execution's and machine's ARNs (a task of the inbox)."""

    execution_arn: str
    machine_arn: str


class ActivityTaskRow(TypedDict):
    """A task scheduled on an activity, pending until a worker's GetActivityTask takes it."""

    id: int
    activity_arn: str
    execution_id: int
    run_id: int
    task_id: int
    state_name: str
    input: str
    status: str
    created_at: float


class MailMessageRow(TypedDict, total=False):
    """A mail outbox message; the address lists are lists (JSON text in the table). Summaries lack bodies."""

    seq: int
    id: str
    idempotency_key: str | None
    sender: str | None
    to_addresses: list[str]
    cc_addresses: list[str]
    bcc_addresses: list[str]
    reply_to: list[str]
    subject: str
    html: str | None
    text: str | None
    status: str
    attempts: int
    last_error: str | None
    created_at: float
    due_at: float
    lease_owner: str | None
    sent_at: float | None


class WebhookDeliveryRow(TypedDict):
    """A webhook delivery of the outbox: where, what (the JSON body as sent), how it went."""

    seq: int
    id: str
    idempotency_key: str | None
    kind: str
    url: str
    body: str
    secret_name: str | None
    status: str
    attempts: int
    last_error: str | None
    last_status: int | None
    created_at: float
    due_at: float
    lease_owner: str | None
    delivered_at: float | None


class AppRow(TypedDict):
    """A deployed app: its name, its manifest's path, when it was last deployed."""

    name: str
    path: str
    deployed_at: float


class HumanTaskRow(TypedDict):
    """A human task (table `human_tasks`, ours): `token_hash` in hex, `spec` and `result` JSON text."""

    id: str
    token_hash: str
    execution_id: int
    state_name: str
    title: str
    spec: str
    requester: str | None
    status: str
    created_at: float
    next_due: float | None
    closed_at: float | None
    result: str | None
    step_key: str | None  # the Task's idempotency key: the invocation that made it
    run_id: int | None  # the run that waits on it, at `generation`
    generation: int | None
    reminders_sent: int


class HumanTaskListing(HumanTaskRow):
    """A human task with its execution's and machine's ARNs (the portal's and the API's lists)."""

    execution_arn: str
    machine_arn: str


class AssigneeRow(TypedDict):
    """Someone asked to decide a human task (`human_task_assignees`); the link's hash stays in the store."""

    task_id: str
    person: str
    email: str
    name: str
    on_behalf_of: str | None
    status: str
    asked_at: float
    decision: str | None
    decided_at: float | None


class HumanTaskEventRow(TypedDict):
    """One event of a human task's audit trail; `details` is JSON text or None."""

    id: int
    task_id: str
    at: float
    kind: str
    actor: str | None
    details: str | None


class PortalSignInRow(TypedDict):
    """A sign-in link of the approver portal (table `portal_sign_in_links`, ours): `token_hash` in hex;
    `email` casefolded, as the limit on requests counts it."""

    token_hash: str
    person: str
    email: str
    name: str
    created_at: float
    expires_at: float
    used_at: float | None


class PortalSessionRow(TypedDict):
    """A signed-in session of the approver portal (table `portal_sessions`, ours): `token_hash` in hex."""

    token_hash: str
    person: str
    email: str
    name: str
    created_at: float
    seen_at: float
    expires_at: float


class ScheduleRow(TypedDict):
    """A schedule (table `schedules`): its declaration and when it falls due next."""

    name: str
    app: str
    state_machine_arn: str
    expression: str
    timezone: str
    window_minutes: int
    start_at: float | None
    end_at: float | None
    input: str
    enabled: int
    anchor: float
    next_due: float | None
    fire_at: float | None
    last_due: float | None
    last_execution_arn: str | None
    created_at: float
    updated_at: float
