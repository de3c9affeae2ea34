"""Human tasks over the store: created with a link per assignee, decided through a link, closed by quorum.

A human task answers one task token (of `arn:aws:states:::sojourn:humanTask.waitForTaskToken`); only the
token's hash is kept. Each person asked gets a link of their own (128 random bits, stored as its SHA-256),
valid until the task closes; opening it shows the task, and only its page's POST decides. Every step is an
event of the task's audit trail. The functions here run inside the caller's transaction.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
import uuid
from dataclasses import asdict
from typing import Any

from sojourn.asl.humantask import Decision, HumanTaskSpec, check_form
from sojourn.directory import Assignment, Directory
from sojourn.mail.message import Message
from sojourn.mail.outbox import enqueue_in
from sojourn.store.base import Tx
from sojourn.store.rows import AssigneeRow, HumanTaskRow
from sojourn.tokens import hash_token, new_token

__all__ = [
    "LINK_PATH",
    "DecisionRefused",
    "cancel",
    "create",
    "decide",
    "is_requester",
    "link_url",
    "spec_of",
    "why_not",
]

LINK_PATH = "/tasks/link/"


class DecisionRefused(ValueError):
    """A decision that cannot be taken; `reason` says why in words for the person who tried, `field` where."""

    def __init__(self, reason: str, field: str | None = None, problems: dict[str, str] | None = None):
        super().__init__(reason)
        self.reason, self.field, self.problems = reason, field, problems or {}


def link_url(base_url: str, link: str) -> str:
    return f"{base_url.rstrip('/')}{LINK_PATH}{link}"


def spec_of(task: HumanTaskRow) -> dict[str, Any]:
    """The stored spec of a task (its decisions, form, quorum...)."""
    spec: dict[str, Any] = json.loads(task["spec"])
    return spec


def create(
    tx: Tx,
    spec: HumanTaskSpec,
    asked: list[Assignment],
    *,
    token_hash: str,
    execution_id: int,
    state_name: str,
    now: float,
    base_url: str,
) -> str:
    """Record the task, ask each of `asked` through a link of their own and queue their emails; the task's id.
    Each link goes out in its email only: the store keeps its hash."""
    task_id = "ht-" + uuid.uuid4().hex
    tx.insert_human_task(
        {
            "id": task_id,
            "token_hash": token_hash,
            "execution_id": execution_id,
            "state_name": state_name,
            "title": spec.title,
            "spec": json.dumps(asdict(spec)),
            "requester": spec.requester,
            "status": "OPEN",
            "created_at": now,
            "next_due": None,
            "closed_at": None,
            "result": None,
        }
    )
    tx.add_human_task_event(task_id, now, "CREATED", spec.requester, {"assignees": list(spec.assignees)})
    for assignment in asked:
        person = assignment.person
        link = new_token()
        away = assignment.on_behalf_of
        tx.add_assignee(
            {
                "task_id": task_id,
                "person": person.id,
                "email": person.email,
                "name": person.name,
                "on_behalf_of": away.id if away else None,
                "status": "ASKED",
                "asked_at": now,
                "decision": None,
                "decided_at": None,
            },
            hash_token(link),
        )
        if away is not None:
            tx.add_human_task_event(task_id, now, "DELEGATED", person.id, {"onBehalfOf": away.id})
        if spec.email:
            enqueue_in(tx, _invitation(spec, person.email, link_url(base_url, link)), now=now)
            tx.add_human_task_event(task_id, now, "NOTIFIED", person.id, {"channel": "EMAIL"})
    return task_id


def _invitation(spec: HumanTaskSpec, to: str, url: str) -> Message:
    text = f"{spec.title}\n\n{spec.description}\n\nOpen the task to decide: {url}\n".replace("\n\n\n", "\n\n")
    body = f"<p>{html.escape(spec.description)}</p>" if spec.description else ""
    page = (
        f"<h1>{html.escape(spec.title)}</h1>{body}"
        f'<p><a href="{html.escape(url)}">Open the task to decide</a></p>'
        "<p>Opening the link decides nothing: you choose on the page.</p>"
    )
    return Message(to=(to,), subject=spec.title, text=text, html=page)


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
    decided = [a for a in people if a["status"] == "DECIDED"]
    approving = next((d for d in decisions if not d.rejects), decisions[0])
    approvals = [a for a in decided if a["decision"] == approving.name]
    asked = [a for a in people if a["status"] != "REMOVED"]
    needed = spec["quorum"]["at_least"] or len(asked)
    vetoed = chosen.rejects
    everyone = len(decided) == len(asked)
    if not (vetoed or len(approvals) >= needed or everyone):
        return None
    outcome = chosen.name if vetoed else approving.name if len(approvals) >= needed else chosen.name
    result = _result(task, outcome, people, assignee, values, comment, now, channel, directory)
    tx.set_human_task(
        task["id"], {"status": "DECIDED", "closed_at": now, "next_due": None, "result": json.dumps(result)}
    )
    tx.add_human_task_event(task["id"], now, "CLOSED", assignee["person"], {"outcome": outcome})
    return result


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
