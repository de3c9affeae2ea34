"""Human tasks (Sojourn's own actions; issue 14): what a link shows its bearer, and deciding through it.

A link is its bearer's own: it shows the task and decides only through the page's POST (the HTTP layer checks
CSRF). The decision that closes a task answers its task token in the same transaction
(`Workers.answer_with`), so the task's record and the execution's resumption commit together.
"""

from __future__ import annotations

from typing import Any

from sojourn import errors as E
from sojourn.backend.common import Context, date
from sojourn.directory import Directory
from sojourn.humantasks import tasks
from sojourn.runtime import work
from sojourn.store.base import Tx
from sojourn.store.rows import AssigneeRow, HumanTaskRow
from sojourn.tokens import hash_token, is_token_form

__all__ = ["HumanTasks"]

GONE = "This link is not a task's link."
STOPPED = "This task is no longer waiting for a decision: its execution has moved on."


class _Stopped(Exception):
    """The task's token no longer waits: the execution stopped, timed out or was answered otherwise."""


class HumanTasks:
    def __init__(self, ctx: Context, directory: Directory):
        self.ctx = ctx
        self.directory = directory

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
            "decisions": [
                {
                    "name": d["name"],
                    "label": d["label"],
                    "requiresComment": d["requires_comment"],
                    "rejects": d["rejects"],
                }
                for d in spec["decisions"]
            ],
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
        outcome: dict[str, Any] = {}

        def record(tx: Tx) -> tuple[str, work.WorkEvent] | None:
            task, assignee = self._find(tx, link, lock=True)
            outcome["taskId"] = task["id"]
            token = tx.token(task["token_hash"], lock=True)
            if task["status"] == "OPEN" and (token is None or token["status"] != "waiting"):
                raise _Stopped
            try:
                result = tasks.decide(
                    tx,
                    task,
                    assignee,
                    decision,
                    form or {},
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
