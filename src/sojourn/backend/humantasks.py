"""Human tasks (Sojourn's own actions; issue 14): listed, described, decided, reassigned and cancelled by
operators and the portal; what a link shows its bearer, and deciding through it.

A link is its bearer's own: it shows the task and decides only through the page's POST (the HTTP layer checks
CSRF). The decision that closes a task, and a cancellation, answer its task token in the same transaction
(`Workers.answer_with`), so the task's record and the execution's resumption commit together.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
from collections.abc import Callable
from typing import Any

from sojourn import arns
from sojourn import errors as E
from sojourn.backend.common import Context, date, limit, page_token, parse_payload, read_page_token
from sojourn.directory import Directory, DirectoryError
from sojourn.humantasks import tasks
from sojourn.runtime import work
from sojourn.store.base import Tx
from sojourn.store.rows import AssigneeRow, HumanTaskEventRow, HumanTaskListing, HumanTaskRow
from sojourn.tokens import hash_token, is_token_form

__all__ = ["HumanTasks"]

GONE = "This link is not a task's link."
STOPPED = "This task is no longer waiting for a decision: its execution has moved on."
STATUSES = ("OPEN", "DECIDED", "EXPIRED", "CANCELLED")
CANCELLED_ERROR = "Sojourn.HumanTaskCancelled"  # the Task's error when an operator cancels its human task


class _Stopped(Exception):
    """The task's token no longer waits: the execution stopped, timed out or was answered otherwise."""


def _still_waits(tx: Tx, task: HumanTaskRow) -> bool:
    """Whether the task's execution still waits for it: its token open, its run at the wait that made it
    (a Task state's TimeoutSeconds, a stop or a failed branch move it on)."""
    token = tx.token(task["token_hash"], lock=True)
    found = tx.run_and_execution(task["run_id"]) if task["run_id"] is not None else None
    return (
        token is not None
        and token["status"] == "waiting"
        and (
            found is None or (found[0]["status"] == "active" and found[0]["generation"] == task["generation"])
        )
    )


class HumanTasks:
    def __init__(self, ctx: Context, directory: Directory):
        self.ctx = ctx
        self.directory = directory

    # -- operators and the portal --------------------------------------------------------------------

    def list_human_tasks(
        self,
        *,
        status: str | None = None,
        assignee: str | None = None,
        stateMachineArn: str | None = None,
        executionArn: str | None = None,
        createdBefore: Any = None,
        maxResults: int | None = None,
        nextToken: str | None = None,
    ) -> dict[str, Any]:
        """Human tasks newest first: of one `status`, asked of one `assignee` (a person's id; their groups
        were resolved to them when they were asked), of one machine or execution, created before a time;
        keyset pages."""
        if status is not None and status not in STATUSES:
            raise E.ValidationException(
                f"Value '{status}' at 'status' failed to satisfy constraint: "
                f"Member must satisfy enum value set: [{', '.join(STATUSES)}]"
            )
        if stateMachineArn is not None:
            arns.parse(stateMachineArn, "stateMachine")
        if executionArn is not None:
            arns.parse(executionArn, ("execution", "express"))
        person = self._person_id(assignee) if assignee is not None else None
        before = _read_position(nextToken)
        count = limit(maxResults)
        with self.ctx.store.transaction(write=False) as tx:
            rows = tx.human_tasks(
                status,
                before,
                count + 1,
                person,
                stateMachineArn,
                _epoch(createdBefore, "createdBefore"),
                executionArn,
            )
            page = rows[:count]
            people = tx.assignees_of([row["id"] for row in page])
        answer: dict[str, Any] = {"humanTasks": [_listed(row, people[row["id"]]) for row in page]}
        if len(rows) > count:
            answer["nextToken"] = page_token([page[-1]["created_at"], page[-1]["id"]])
        return answer

    def describe_human_task(self, *, taskId: str) -> dict[str, Any]:
        """One task: what it asks (decisions, form: its JSON Schema as JSON text), who is asked and what each
        decided, its timers, its result once decided."""
        with self.ctx.store.transaction(write=False) as tx:
            task = tx.human_task_listing(taskId) if isinstance(taskId, str) else None
            if task is None:
                raise E.TaskDoesNotExist(f"Human task does not exist: '{taskId}'")
            people = tx.assignees(taskId)
        spec = tasks.spec_of(task)
        answer = _listed(task, people)
        answer.update(
            {
                "description": spec["description"],
                "decisions": _decisions(spec),
                "form": json.dumps(spec["form"]) if spec["form"] is not None else None,
                "quorum": spec["quorum"]["at_least"] or len([a for a in people if a["status"] != "REMOVED"]),
            }
        )
        timers = tasks.schedule(spec, task["created_at"])
        expiry = next((at for at, what, _ in timers if what == "EXPIRE"), None)
        if expiry is not None:
            answer["expiryDate"] = date(expiry)
        if task["result"] is not None:
            answer["result"] = task["result"]
        return answer

    def list_human_task_events(
        self, *, taskId: str, maxResults: int | None = None, nextToken: str | None = None
    ) -> dict[str, Any]:
        """A task's audit trail, oldest first: what happened, when, by whom (created, notified, reminded,
        decided, delegated, reassigned, escalated, expired, cancelled, closed)."""
        after = read_page_token(nextToken) or 0
        count = limit(maxResults, 1000)
        with self.ctx.store.transaction(write=False) as tx:
            if not isinstance(taskId, str) or tx.human_task(taskId) is None:
                raise E.TaskDoesNotExist(f"Human task does not exist: '{taskId}'")
            rows = tx.human_task_events(taskId, after, count + 1)
        page = rows[:count]
        answer: dict[str, Any] = {"events": [_event(row) for row in page]}
        if len(rows) > count:
            answer["nextToken"] = page_token(page[-1]["id"])
        return answer

    def decide_human_task(
        self,
        *,
        taskId: str,
        assignee: str,
        decision: str,
        form: dict[str, Any] | str | None = None,
        comment: str | None = None,
        channel: str = "API",
    ) -> dict[str, Any]:
        """Decide a task as `assignee` (one of those asked, by id or email): the portal for its signed-in
        person, the API for an operator; as deciding through a link, with the same refusals."""
        values = parse_payload(form, E.ValidationException, "form") if isinstance(form, str) else form

        def find(tx: Tx) -> tuple[HumanTaskRow, AssigneeRow]:
            task = tx.human_task(taskId, lock=True) if isinstance(taskId, str) else None
            if task is None:
                raise E.TaskDoesNotExist(f"Human task does not exist: '{taskId}'")
            found = self._assignee(tx, task, assignee)
            if found is None:
                raise E.DecisionRefused(f"'{assignee}' is not asked to decide this task.")
            return task, found

        return self._decide(find, decision, values or {}, comment or "", channel)

    def reassign_human_task(
        self,
        *,
        taskId: str,
        assignees: list[str],
        fromAssignees: list[str] | None = None,
        by: str | None = None,
        reason: str | None = None,
    ) -> dict[str, Any]:
        """Ask `assignees` (people or groups, resolved through the directory now) in place of
        `fromAssignees` (by default everyone still undecided): their links stop working, the new people
        get links of their own. With `by` (the portal's signed-in person) only that person, still asked,
        hands their part on. `{"added", "removed"}`."""
        now = self.ctx.clock()
        today = _dt.datetime.fromtimestamp(now, _dt.UTC).date()
        with self.ctx.store.transaction() as tx:
            task = tx.human_task(taskId, lock=True) if isinstance(taskId, str) else None
            if task is None:
                raise E.TaskDoesNotExist(f"Human task does not exist: '{taskId}'")
            if task["status"] != "OPEN" or not _still_waits(tx, task):
                raise E.ConflictException("This task is no longer waiting for a decision.")
            people = tx.assignees(taskId)
            undecided = [a for a in people if a["status"] == "ASKED"]
            if by is not None:
                me = self._assignee(tx, task, by)
                if me is None or me["status"] != "ASKED":
                    raise E.DecisionRefused(f"'{by}' is not waiting to decide this task.")
                removing = [me]
            elif fromAssignees is None:
                removing = undecided
            else:
                wanted = {self._person_id(p) for p in fromAssignees}
                removing = [a for a in undecided if a["person"] in wanted]
                if len(removing) != len(wanted):
                    raise E.ValidationException(
                        "Each of 'fromAssignees' must be asked to decide this task and not have decided yet"
                    )
            try:
                asked = self.directory.resolve(assignees, today)
            except DirectoryError as e:
                raise E.ValidationException(str(e)) from None
            spec = tasks.spec_of(task)
            for assignment in asked:
                person = assignment.person
                if tasks.is_requester(task["requester"], person.id, person.email, self.directory):
                    raise E.DecisionRefused(f"'{person.id}' asked for this task and cannot decide it.")
            if not asked:
                raise E.ValidationException(
                    "Value at 'assignees' failed to satisfy constraint: no one to ask"
                )
            staying = {a.person.id for a in asked}
            removed = [a["person"] for a in removing if a["person"] not in staying]
            tasks.remove(tx, taskId, removed)
            added = tasks.ask(tx, taskId, spec, asked, now=now, base_url=self.ctx.settings.public_base_url)
            tx.add_human_task_event(
                taskId, now, "REASSIGNED", by, {"added": added, "removed": removed, "reason": reason or ""}
            )
        return {"added": added, "removed": removed}

    def cancel_human_task(self, *, taskId: str, reason: str | None = None) -> dict[str, Any]:
        """Close an open task with no decision: its Task fails with `Sojourn.HumanTaskCancelled` (the
        reason its cause), which the definition can catch; `{"taskId", "status"}`."""
        cause = reason or "The human task was cancelled by an operator."

        def close(tx: Tx) -> tuple[str, work.WorkEvent] | None:
            task = tx.human_task(taskId, lock=True) if isinstance(taskId, str) else None
            if task is None:
                raise E.TaskDoesNotExist(f"Human task does not exist: '{taskId}'")
            if task["status"] != "OPEN":
                raise E.ConflictException(f"This task is already {task['status'].lower()}.")
            waits = _still_waits(tx, task)
            now = self.ctx.clock()
            tx.set_human_task(taskId, {"status": "CANCELLED", "closed_at": now, "next_due": None})
            tx.add_human_task_event(taskId, now, "CANCELLED", None, {"reason": cause})
            return (task["token_hash"], work.failed(CANCELLED_ERROR, cause)) if waits else None

        self.ctx.workers.answer_with(close)
        return {"taskId": taskId, "status": "CANCELLED"}

    # -- through a link ------------------------------------------------------------------------------

    def _find(self, tx: Tx, link: str, lock: bool = False) -> tuple[HumanTaskRow, AssigneeRow]:
        assignee = tx.assignee_for_link(hash_token(link)) if is_token_form(link) else None
        task = tx.human_task(assignee["task_id"], lock=lock) if assignee else None
        if assignee is None or task is None:
            raise E.TaskDoesNotExist(GONE)
        return task, assignee

    def describe_human_task_link(self, *, link: str) -> dict[str, Any]:
        """The task a link opens, for its bearer; `canDecide` False, with the `reason`, if they cannot."""
        with self.ctx.store.transaction(write=False) as tx:
            found, assignee = self._find(tx, link)
            task = tx.human_task_listing(found["id"])
        assert task is not None  # found in this transaction
        spec = tasks.spec_of(task)
        reason = tasks.why_not(task, assignee, self.directory)
        answer: dict[str, Any] = {
            "taskId": task["id"],
            "title": task["title"],
            "description": spec["description"],
            "status": task["status"],
            "decisions": _decisions(spec),
            "form": spec["form"],
            "requester": task["requester"],
            "assignee": {
                "id": assignee["person"],
                "name": assignee["name"],
                "onBehalfOf": assignee["on_behalf_of"],
            },
            "since": date(task["created_at"]),
            "executionArn": task["execution_arn"],
            "canDecide": reason is None,
        }
        if reason is not None:
            answer["reason"] = reason
        if assignee["decision"]:
            answer["decision"] = assignee["decision"]
        return answer

    def decide_human_task_link(
        self,
        *,
        link: str,
        decision: str,
        form: dict[str, Any] | None = None,
        comment: str = "",
        channel: str = "LINK",
    ) -> dict[str, Any]:
        """Decide the link's task as its bearer: `{"taskId", "closed", "outcome"?}`; DecisionRefused (nothing
        changed) when the decision cannot be taken."""
        return self._decide(
            lambda tx: self._find(tx, link, lock=True), decision, form or {}, comment, channel
        )

    # -- shared --------------------------------------------------------------------------------------

    def _decide(
        self,
        find: Callable[[Tx], tuple[HumanTaskRow, AssigneeRow]],
        decision: str,
        form: dict[str, Any],
        comment: str,
        channel: str,
    ) -> dict[str, Any]:
        """Record the decision of the assignee `find` names; the one that closes the task answers its token
        in the same transaction."""
        outcome: dict[str, Any] = {}

        def record(tx: Tx) -> tuple[str, work.WorkEvent] | None:
            task, assignee = find(tx)
            outcome["taskId"] = task["id"]
            if task["status"] == "OPEN" and not _still_waits(tx, task):
                raise _Stopped
            try:
                result = tasks.decide(
                    tx,
                    task,
                    assignee,
                    decision,
                    form,
                    comment,
                    now=self.ctx.clock(),
                    channel=channel,
                    directory=self.directory,
                )
            except tasks.DecisionRefused as e:
                raise E.DecisionRefused(e.reason, e.problems) from None
            outcome["closed"] = result is not None
            if result is None:  # more decisions are needed
                return None
            outcome["outcome"] = result["Outcome"]
            return task["token_hash"], work.succeeded(result)

        try:
            self.ctx.workers.answer_with(record)
        except _Stopped:
            with self.ctx.store.transaction() as tx:
                tasks.cancel(tx, outcome["taskId"], self.ctx.clock(), "the execution moved on")
            raise E.DecisionRefused(STOPPED) from None
        return outcome

    def _person_id(self, given: str) -> str:
        """A person's id from their id or email (the directory's spelling when known)."""
        known = self.directory.find(given) if isinstance(given, str) else None
        return known.id if known is not None else str(given)

    def _assignee(self, tx: Tx, task: HumanTaskRow, given: str) -> AssigneeRow | None:
        """The task's assignee who is `given` (an id or an email, any case), or None."""
        wanted = {str(given).casefold(), self._person_id(given).casefold()}
        return next(
            (a for a in tx.assignees(task["id"]) if {a["person"].casefold(), a["email"].casefold()} & wanted),
            None,
        )


def _read_position(token: str | None) -> tuple[float, str] | None:
    """The (created_at, id) a list's page token holds; InvalidToken for anything else."""
    if not token:
        return None
    try:
        value = json.loads(base64.urlsafe_b64decode(token.encode()))
    except ValueError:
        value = None
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not isinstance(value[0], (int, float))
        or isinstance(value[0], bool)
        or not isinstance(value[1], str)
        or not value[1].startswith("ht-")
    ):
        raise E.InvalidToken(f"Invalid Token: '{token}'")
    return float(value[0]), value[1]


def _epoch(value: Any, member: str) -> float | None:
    """A timestamp member as epoch seconds (the API gives a datetime, Python callers may give a number)."""
    if value is None:
        return None
    if isinstance(value, _dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=_dt.UTC)).timestamp()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise E.ValidationException(
        f"Value at '{member}' failed to satisfy constraint: Member must be a timestamp"
    )


def _decisions(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "name": d["name"],
            "label": d["label"],
            "requiresComment": d["requires_comment"],
            "rejects": d["rejects"],
        }
        for d in spec["decisions"]
    ]


def _listed(task: HumanTaskListing, people: list[AssigneeRow]) -> dict[str, Any]:
    """A task as lists show it: what, where, since when, who is asked and how far they got."""
    answer: dict[str, Any] = {
        "taskId": task["id"],
        "title": task["title"],
        "status": task["status"],
        "stateName": task["state_name"],
        "executionArn": task["execution_arn"],
        "stateMachineArn": task["machine_arn"],
        "creationDate": date(task["created_at"]),
        "remindersSent": task["reminders_sent"],
        "assignees": [
            {
                key: value
                for key, value in (
                    ("id", a["person"]),
                    ("name", a["name"]),
                    ("email", a["email"]),
                    ("status", a["status"]),
                    ("onBehalfOf", a["on_behalf_of"]),
                    ("decision", a["decision"]),
                    ("decisionDate", date(a["decided_at"])),
                )
                if value is not None
            }
            for a in people
        ],
    }
    if task["requester"]:
        answer["requester"] = task["requester"]
    if task["next_due"] is not None:
        answer["nextTimerDate"] = date(task["next_due"])
    if task["closed_at"] is not None:
        answer["closeDate"] = date(task["closed_at"])
    return answer


def _event(row: HumanTaskEventRow) -> dict[str, Any]:
    answer: dict[str, Any] = {"id": row["id"], "timestamp": date(row["at"]), "type": row["kind"]}
    if row["actor"]:
        answer["actor"] = row["actor"]
    if row["details"]:
        answer["details"] = row["details"]
    return answer
