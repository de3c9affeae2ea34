"""Human tasks over the store: created with a link per assignee, decided through a link, closed by quorum.

A human task answers one task token (of `arn:aws:states:::sojourn:humanTask.waitForTaskToken`); only the
token's hash is kept. Each person asked gets a link of their own (128 random bits, stored as its SHA-256),
valid until the task closes; opening it shows the task, and only its page's POST decides. Every step is an
event of the task's audit trail. The functions here run inside the caller's transaction.
"""

from __future__ import annotations

import datetime as _dt
import json
import uuid
from dataclasses import asdict, dataclass
from typing import Any

from sojourn.asl.humantask import Decision, HumanTaskSpec, check_form
from sojourn.directory import Assignment, Directory
from sojourn.humantasks import notices
from sojourn.mail.outbox import enqueue_in
from sojourn.store.base import Tx
from sojourn.store.rows import AssigneeRow, HumanTaskRow
from sojourn.tokens import hash_token, new_token
from sojourn.webhooks import outbox as webhooks
from sojourn.webhooks.presets import Notice, render

__all__ = [
    "LINK_PATH",
    "PORTAL_PATH",
    "TIMER",
    "DecisionRefused",
    "Step",
    "arm",
    "ask",
    "cancel",
    "choices",
    "create",
    "decide",
    "is_requester",
    "link_url",
    "new_link",
    "notify_webhooks",
    "portal_url",
    "remove",
    "schedule",
    "spec_of",
    "why_not",
]

LINK_PATH = "/tasks/link/"
PORTAL_PATH = "/tasks"  # the approver portal: one's tasks, after signing in


class DecisionRefused(ValueError):
    """A decision that cannot be taken; `reason` says why in words for the person who tried, `field` where."""

    def __init__(self, reason: str, field: str | None = None, problems: dict[str, str] | None = None):
        super().__init__(reason)
        self.reason, self.field, self.problems = reason, field, problems or {}


def link_url(base_url: str, link: str) -> str:
    return f"{base_url.rstrip('/')}{LINK_PATH}{link}"


def portal_url(base_url: str, path: str = "") -> str:
    """The approver portal's URL, or one of its pages (`path` after `/tasks`)."""
    return f"{base_url.rstrip('/')}{PORTAL_PATH}{path}"


def spec_of(task: HumanTaskRow) -> dict[str, Any]:
    """The stored spec of a task (its decisions, form, quorum...)."""
    spec: dict[str, Any] = json.loads(task["spec"])
    return spec


@dataclass(frozen=True)
class Step:
    """The Task invocation a human task answers: its token (by hash), run, wait and idempotency key."""

    token_hash: str
    execution_id: int
    run_id: int
    generation: int
    state_name: str
    key: str


def create(
    tx: Tx,
    spec: HumanTaskSpec,
    asked: list[Assignment],
    step: Step,
    *,
    now: float,
    base_url: str,
    task_timeout: float | None = None,
    webhooks: list[dict[str, Any]] | None = None,
) -> str:
    """Record the task, ask each of `asked` through a link of their own (their emails queued) and set its
    first timer; the task's id. `task_timeout` is the Task state's own timeout, after which it is closed.
    `webhooks` are the spec's webhooks resolved against the settings: {"url", "preset", "secret_env"}."""
    task_id = "ht-" + uuid.uuid4().hex
    stored = {**asdict(spec), "task_timeout": task_timeout, "webhooks": webhooks or []}
    tx.insert_human_task(
        {
            "id": task_id,
            "token_hash": step.token_hash,
            "execution_id": step.execution_id,
            "state_name": step.state_name,
            "title": spec.title,
            "spec": json.dumps(stored),
            "requester": spec.requester,
            "status": "OPEN",
            "created_at": now,
            "next_due": None,
            "closed_at": None,
            "result": None,
            "step_key": step.key,
            "run_id": step.run_id,
            "generation": step.generation,
            "reminders_sent": 0,
        }
    )
    tx.add_human_task_event(task_id, now, "CREATED", spec.requester, {"assignees": list(spec.assignees)})
    ask(tx, task_id, stored, asked, now=now, base_url=base_url)
    arm(tx, task_id, stored, step.execution_id, step.run_id, now, 0)
    return task_id


def ask(
    tx: Tx,
    task_id: str,
    spec: dict[str, Any],
    asked: list[Assignment],
    *,
    now: float,
    base_url: str,
    actor: str | None = None,
) -> list[str]:
    """Ask each of `asked` (not asked already) to decide, through a new link, emailed; whom it asked."""
    present = {a["person"]: a for a in tx.assignees(task_id)}
    added = []
    for assignment in asked:
        person, away = assignment.person, assignment.on_behalf_of
        before = present.get(person.id)
        if before is not None and before["status"] != "REMOVED":
            continue
        row: AssigneeRow = {
            "task_id": task_id,
            "person": person.id,
            "email": person.email,
            "name": person.name,
            "on_behalf_of": away.id if away else None,
            "status": "ASKED",
            "asked_at": now,
            "decision": None,
            "decided_at": None,
        }
        if before is None:
            tx.add_assignee(row)
        else:  # asked again after being reassigned away: the old links count again
            tx.set_assignee(
                task_id, person.id, {k: v for k, v in row.items() if k not in ("task_id", "person")}
            )
        if away is not None:
            tx.add_human_task_event(task_id, now, "DELEGATED", person.id, {"onBehalfOf": away.id})
        added.append(person.id)
        if spec["email"]:
            url = new_link(tx, task_id, person.id, now, base_url)
            message = notices.invitation(
                spec["title"], spec["description"], person.email, url, portal_url(base_url), choices(spec)
            )
            enqueue_in(tx, message, now=now)
            tx.add_human_task_event(task_id, now, "NOTIFIED", person.id, {"channel": "EMAIL", "by": actor})
    asked_now = [{"id": a.person.id, "name": a.person.name, "email": a.person.email} for a in asked]
    notify_webhooks(tx, task_id, spec, [p for p in asked_now if p["id"] in added], "ASKED", now, base_url)
    return added


def notify_webhooks(
    tx: Tx,
    task_id: str,
    spec: dict[str, Any],
    people: list[dict[str, str]],
    kind: str,
    now: float,
    base_url: str,
    deadline: float | None = None,
) -> None:
    """Queue the task's webhooks (one post each, about all of `people`: "ASKED" or "REMINDED"), in `tx`."""
    hooks = spec.get("webhooks") or []
    if not hooks or not people:
        return
    task = tx.human_task_listing(task_id)
    assert task is not None  # made or locked in this transaction
    notice = Notice(
        kind=kind,
        task_id=task_id,
        title=spec["title"],
        description=spec["description"],
        task_url=portal_url(base_url, "/" + task_id),
        people=tuple(people),
        decisions=tuple(d["name"] for d in spec["decisions"]),
        execution_arn=task["execution_arn"],
        state_name=task["state_name"],
        date=now,
        deadline=deadline,
    )
    for hook in hooks:
        body = render(hook["preset"], notice)
        delivery = webhooks.enqueue_in(
            tx, hook["url"], body, f"human-task-{kind.lower()}", hook.get("secret_env"), None, now
        )
        details = {"channel": "WEBHOOK", "preset": hook["preset"], "people": [p["id"] for p in people]}
        tx.add_human_task_event(task_id, now, "NOTIFIED", None, {**details, "deliveryId": delivery})


def choices(spec: dict[str, Any]) -> list[tuple[str, str]]:
    """(name, label) of each of a task's decisions, for its emails."""
    return [(d["name"], d["label"]) for d in spec["decisions"]]


def new_link(tx: Tx, task_id: str, person: str, now: float, base_url: str) -> str:
    """A new link for an assignee (their earlier ones stay valid): its URL. Only its hash is kept."""
    link = new_token()
    tx.add_link(task_id, person, hash_token(link), now)
    return link_url(base_url, link)


def remove(tx: Tx, task_id: str, people: list[str]) -> None:
    """Take undecided people off a task (reassigned, or replaced by escalation): their links stop working."""
    for person in people:
        tx.set_assignee(task_id, person, {"status": "REMOVED"})


TIMER = (
    "humanTask"  # the work queue's kind of item that fires a task's next timer (sojourn.humantasks.timers)
)
_ORDER = {"REMIND": 0, "ESCALATE": 1, "EXPIRE": 2, "CHECK": 3}


def schedule(spec: dict[str, Any], created_at: float) -> list[tuple[float, str, int]]:
    """A task's timers in the order they fire: (when, what, which), what being REMIND (reminder `which`),
    ESCALATE, EXPIRE, or CHECK (the Task state's own timeout: the task closes if its run moved on)."""
    timers = [(created_at + after, "REMIND", number) for number, after in enumerate(spec["reminders"])]
    if spec["escalation"]:
        timers.append((created_at + spec["escalation"]["after_seconds"], "ESCALATE", 0))
    if spec["expiry"]:
        timers.append((created_at + spec["expiry"]["after_seconds"], "EXPIRE", 0))
    if spec.get("task_timeout"):
        timers.append((created_at + spec["task_timeout"], "CHECK", 0))
    return sorted(timers, key=lambda timer: (timer[0], _ORDER[timer[1]], timer[2]))


def arm(
    tx: Tx, task_id: str, spec: dict[str, Any], execution_id: int, run_id: int, created_at: float, step: int
) -> None:
    """Queue the task's timer number `step` (none when all have fired); the task shows when it is due."""
    timers = schedule(spec, created_at)
    due = timers[step][0] if step < len(timers) else None
    if due is not None:
        tx.add_work(execution_id, run_id, TIMER, {"task": task_id, "step": step}, due)
    tx.set_human_task(task_id, {"next_due": due})


def why_not(task: HumanTaskRow, assignee: AssigneeRow, directory: Directory) -> str | None:
    """Why the link's bearer cannot decide the task now, in words for them; None when they can."""
    if task["status"] != "OPEN":
        return "This task is no longer waiting for a decision: it was decided, expired or cancelled."
    if assignee["status"] == "REMOVED":
        return "This task was reassigned: your link no longer decides it."
    if assignee["status"] == "DECIDED":
        return "You have already decided this task."
    if is_requester(task["requester"], assignee["person"], assignee["email"], directory):
        return "You asked for this yourself: someone else must decide it."
    return None


def cancel(tx: Tx, task_id: str, now: float, why: str) -> None:
    """Close an open task that no longer waits for anyone (its execution moved on)."""
    task = tx.human_task(task_id, lock=True)
    if task is not None and task["status"] == "OPEN":
        tx.set_human_task(task_id, {"status": "CANCELLED", "closed_at": now, "next_due": None})
        tx.add_human_task_event(task_id, now, "CANCELLED", None, {"reason": why})


def decide(
    tx: Tx,
    task: HumanTaskRow,
    assignee: AssigneeRow,
    decision_name: str,
    values: dict[str, Any],
    comment: str,
    *,
    now: float,
    channel: str,
    directory: Directory,
) -> dict[str, Any] | None:
    """Record `assignee`'s decision; the task's result when it closes the task (quorum met, or a veto), else
    None. DecisionRefused, changing nothing, when the decision cannot be taken."""
    spec = spec_of(task)
    reason = why_not(task, assignee, directory)
    if reason is not None:
        raise DecisionRefused(reason)
    decisions = [Decision(**d) for d in spec["decisions"]]
    chosen = next((d for d in decisions if d.name == decision_name), None)
    if chosen is None:
        raise DecisionRefused(f"'{decision_name}' is not one of this task's decisions.", "decision")
    problems = check_form(spec["form"], values)
    if problems:
        raise DecisionRefused("Some fields need another look.", "form", problems)
    if chosen.requires_comment and not comment.strip():
        raise DecisionRefused(
            f"'{chosen.label}' needs a comment.", "comment", {"comment": "A comment is required"}
        )
    tx.set_assignee(
        task["id"], assignee["person"], {"status": "DECIDED", "decision": chosen.name, "decided_at": now}
    )
    details = {"decision": chosen.name, "comment": comment, "form": values, "channel": channel}
    if assignee["on_behalf_of"]:
        details["onBehalfOf"] = assignee["on_behalf_of"]
    tx.add_human_task_event(task["id"], now, "DECIDED", assignee["person"], details)
    people = tx.assignees(task["id"])
    outcome = _outcome(decisions, chosen, people, spec["quorum"]["at_least"])
    if outcome is None:
        return None
    result = _result(task, outcome, people, assignee, values, comment, now, channel, directory)
    tx.set_human_task(
        task["id"], {"status": "DECIDED", "closed_at": now, "next_due": None, "result": json.dumps(result)}
    )
    tx.add_human_task_event(task["id"], now, "CLOSED", assignee["person"], {"outcome": outcome})
    return result


def _outcome(
    decisions: list[Decision], chosen: Decision, people: list[AssigneeRow], at_least: int | None
) -> str | None:
    """The task's outcome after `chosen` was taken, or None while it waits for more decisions: a veto ends
    it; so does the quorum of approvals; once the quorum can no longer be met, the decision most taken
    (the latest of equals) ends it."""
    if chosen.rejects:
        return chosen.name
    approving = next((d for d in decisions if not d.rejects), decisions[0]).name
    asked = [a for a in people if a["status"] != "REMOVED"]
    needed = at_least or len(asked)
    approvals = sum(1 for a in asked if a["decision"] == approving)
    if approvals >= needed:
        return approving
    waiting = sum(1 for a in asked if a["status"] == "ASKED")
    if approvals + waiting >= needed:
        return None
    others = sorted(
        (a for a in asked if a["status"] == "DECIDED" and a["decision"] != approving),
        key=lambda a: a["decided_at"] or 0.0,
    )
    counts: dict[str, int] = {}
    for a in others:
        counts[str(a["decision"])] = counts.get(str(a["decision"]), 0) + 1
    most = max(counts.values(), default=0)
    return next(
        (str(a["decision"]) for a in reversed(others) if counts[str(a["decision"])] == most), chosen.name
    )


def is_requester(requester: str | None, person: str, email: str, directory: Directory) -> bool:
    """Whether the person (by id or email, any case) is the task's requester, named by id or email."""
    if not requester:
        return False
    known = directory.find(requester)
    ids = {requester.casefold()} | ({known.id.casefold(), known.email.casefold()} if known else set())
    return bool({person.casefold(), email.casefold()} & ids)


def _person(directory: Directory, id: str | None, email: str = "", name: str = "") -> dict[str, str] | None:
    if id is None:
        return None
    known = directory.person(id)
    return {"Id": id, "Name": known.name if known else name, "Email": known.email if known else email}


def _result(
    task: HumanTaskRow,
    outcome: str,
    people: list[AssigneeRow],
    last: AssigneeRow,
    values: dict[str, Any],
    comment: str,
    now: float,
    channel: str,
    directory: Directory,
) -> dict[str, Any]:
    """The Task's output: the outcome, the closing decision's form, comment and people, and every decision."""
    when = _dt.datetime.fromtimestamp(now, _dt.UTC).isoformat().replace("+00:00", "Z")
    return {
        "Outcome": outcome,
        "Form": values,
        "Comment": comment,
        "DecidedBy": _person(directory, last["person"], last["email"], last["name"]),
        "OnBehalfOf": _person(directory, last["on_behalf_of"]),
        "DecidedAt": when,
        "Channel": channel,
        "TaskId": task["id"],
        "Decisions": [
            {"Person": a["person"], "Decision": a["decision"], "OnBehalfOf": a["on_behalf_of"]}
            for a in people
            if a["status"] == "DECIDED"
        ],
    }
