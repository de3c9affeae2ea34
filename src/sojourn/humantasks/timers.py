"""A human task's timers fire: reminders (with a new link each; the earlier links keep working), the
escalation (more people asked, or others in place of those still undecided), the expiry (the task fails with
its named error), and the check at the Task state's own timeout (the task closes once its run moved on).

One timer at a time is queued in the work queue (`tasks.TIMER` items, for the task's run), so timers are
durable, fire once across any number of workers, and follow the clock the workers are given. A timer that
fires late does what fell due meanwhile in order, then queues the next.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

from sojourn.directory import Directory, DirectoryError
from sojourn.humantasks import notices, tasks
from sojourn.mail.outbox import enqueue_in
from sojourn.store.base import Tx

__all__ = ["Expired", "fire"]


@dataclass(frozen=True)
class Expired:
    """The task expired: its token is to be answered with this failure."""

    token_hash: str
    error: str
    cause: str


def fire(tx: Tx, payload: dict[str, Any], now: float, base_url: str, directory: Directory) -> Expired | None:
    """Do what fell due of the task's timers from timer number `payload["step"]` on, queue the next one;
    Expired when the task expired (the caller answers its token in this transaction)."""
    task = tx.human_task(payload["task"], lock=True)
    if task is None or task["status"] != "OPEN" or task["run_id"] is None:
        return None
    found = tx.run_and_execution(task["run_id"])
    if (
        found is None
        or found[1]["status"] != "RUNNING"
        or found[0]["status"] != "active"
        or found[0]["generation"] != task["generation"]
    ):
        tasks.cancel(tx, task["id"], now, "the execution moved on")
        return None
    spec = tasks.spec_of(task)
    timers = tasks.schedule(spec, task["created_at"])
    step = payload["step"]
    while step < len(timers) and timers[step][0] <= now:
        _, what, _ = timers[step]
        step += 1
        if what == "REMIND":
            _remind(tx, task["id"], spec, timers, now, base_url)
        elif what == "ESCALATE":
            _escalate(tx, task["id"], spec, now, base_url, directory)
        elif what == "EXPIRE":
            expiry = spec["expiry"]
            tx.set_human_task(task["id"], {"status": "EXPIRED", "closed_at": now, "next_due": None})
            tx.add_human_task_event(task["id"], now, "EXPIRED", None, {"error": expiry["error"]})
            return Expired(task["token_hash"], expiry["error"], expiry["cause"])
    tasks.arm(tx, task["id"], spec, task["execution_id"], task["run_id"], task["created_at"], step)
    return None


def _remind(
    tx: Tx,
    task_id: str,
    spec: dict[str, Any],
    timers: list[tuple[float, str, int]],
    now: float,
    base_url: str,
) -> None:
    waiting = [a for a in tx.assignees(task_id) if a["status"] == "ASKED"]
    expiry = next((at for at, what, _ in timers if what == "EXPIRE"), None)
    deadline = _dt.datetime.fromtimestamp(expiry, _dt.UTC).strftime("%Y-%m-%d %H:%M UTC") if expiry else None
    for assignee in waiting:
        if spec["email"]:
            url = tasks.new_link(tx, task_id, assignee["person"], now, base_url)
            message = notices.reminder(
                spec["title"],
                spec["description"],
                assignee["email"],
                url,
                deadline,
                tasks.portal_url(base_url),
                tasks.choices(spec),
            )
            enqueue_in(tx, message, now=now)
    people = [{"id": a["person"], "name": a["name"], "email": a["email"]} for a in waiting]
    tasks.notify_webhooks(tx, task_id, spec, people, "REMINDED", now, base_url, expiry)
    task = tx.human_task(task_id)
    assert task is not None  # locked by fire()
    tx.set_human_task(task_id, {"reminders_sent": task["reminders_sent"] + 1})
    tx.add_human_task_event(task_id, now, "REMINDED", None, {"people": [a["person"] for a in waiting]})


def _escalate(
    tx: Tx, task_id: str, spec: dict[str, Any], now: float, base_url: str, directory: Directory
) -> None:
    escalation = spec["escalation"]
    today = _dt.datetime.fromtimestamp(now, _dt.UTC).date()
    try:
        asked = directory.resolve(tuple(escalation["assignees"]), today)
    except DirectoryError as e:  # the directory changed since the definition was checked: say so, go on
        tx.add_human_task_event(task_id, now, "ESCALATED", None, {"error": str(e)})
        return
    eligible = [
        a for a in asked if not tasks.is_requester(spec["requester"], a.person.id, a.person.email, directory)
    ]
    removed: list[str] = []
    if escalation["replace"] and eligible:
        keep = {a.person.id for a in eligible}
        removed = [
            a["person"] for a in tx.assignees(task_id) if a["status"] == "ASKED" and a["person"] not in keep
        ]
        tasks.remove(tx, task_id, removed)
    added = tasks.ask(tx, task_id, spec, eligible, now=now, base_url=base_url)
    mode = "REPLACE" if escalation["replace"] else "ADD"
    tx.add_human_task_event(
        task_id, now, "ESCALATED", None, {"added": added, "removed": removed, "mode": mode}
    )
