"""Task tokens and the inbox: SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat, and Sojourn's own
ListWaitingTasks, DescribeWaitingTask and DecideTask (a waiting task addressed by its token's hash, `taskId`,
so that the console never holds a token). Every answer goes through `Tasks.answer`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sojourn import errors as E
from sojourn.backend.common import Context, date, limit, page_token, parse_payload, read_page_token
from sojourn.runtime import work
from sojourn.tokens import hash_token, is_token_form, mask_placeholders, redact_token

__all__ = ["Tasks"]


def _check_token(token: Any) -> str:
    if not is_token_form(token):
        raise E.InvalidToken("Invalid Token: 'Invalid token'")
    return str(token)


def _waiting_task(row: Mapping[str, Any]) -> dict[str, Any]:
    """An inbox task from a waiting token's row (joined with its execution's machine); never the token."""
    payload = json.loads(row["parameters"]) if row["parameters"] else None
    return {
        "taskId": row["hash"],
        "executionArn": row["execution_arn"],
        "stateMachineArn": row["machine_arn"],
        "stateName": row["state_name"],
        "resource": row["resource"],
        "payload": mask_placeholders(payload) if payload is not None else None,
        "since": date(row["created_at"]),
        "deadline": date(row["timeout_at"]),
    }


def _answer_event(output: str | None, error: str | None, cause: str | None) -> work.WorkEvent:
    if output is not None:
        return work.succeeded(parse_payload(output, E.InvalidOutput, "output"))
    return work.failed(error or "", cause)


class Tasks:
    def __init__(self, ctx: Context):
        self.ctx = ctx

    def answer(self, token_hash: str, event: work.WorkEvent) -> dict[str, Any]:
        """Resume the task waiting with the token that hashes to `token_hash`; AWS's errors when none does."""
        status = self.ctx.workers.answer(token_hash, event)
        if status == "missing":
            raise E.TaskDoesNotExist("Task Does Not Exist")
        if status == "closed":
            raise E.TaskTimedOut("Task Timed Out: the task is no longer waiting for this token")
        return {}

    def send_task_success(self, *, taskToken: str, output: str) -> dict[str, Any]:
        event = _answer_event(output, None, None)  # the output is checked first, as AWS does
        token = _check_token(taskToken)
        # An answer that carries its own token (an app echoing the link it was sent) keeps it redacted: the
        # answer goes into history, where tokens are never kept in clear.
        return self.answer(hash_token(token), redact_token(event, token))

    def send_task_failure(
        self, *, taskToken: str, error: str | None = None, cause: str | None = None
    ) -> dict[str, Any]:
        token = _check_token(taskToken)
        return self.answer(hash_token(token), redact_token(_answer_event(None, error, cause), token))

    def send_task_heartbeat(self, *, taskToken: str) -> dict[str, Any]:
        token = _check_token(taskToken)
        with self.ctx.store.transaction() as tx:
            row = tx.token(hash_token(token))
            if row is None:
                raise E.TaskDoesNotExist("Task Does Not Exist")
            if row["status"] != "waiting":
                raise E.TaskTimedOut("Task Timed Out")
            tx.set_token(row["hash"], {"heartbeat_at": self.ctx.clock()})
        return {}

    # -- the inbox (Sojourn's own actions) -----------------------------------------------------------

    def list_waiting_tasks(
        self, *, maxResults: int | None = None, nextToken: str | None = None, executionArn: str | None = None
    ) -> dict[str, Any]:
        """Tasks waiting for a person (of one execution, or all), newest first, without tokens."""
        size = limit(maxResults)
        after = read_page_token(nextToken, float)
        with self.ctx.store.transaction(write=False) as tx:
            if executionArn is None:
                rows = tx.waiting_tokens(size + 1, after)
            else:
                rows = tx.execution_waiting_tokens(executionArn, size + 1, after)
        answer: dict[str, Any] = {"tasks": [_waiting_task(row) for row in rows[:size]]}
        if len(rows) > size:
            answer["nextToken"] = page_token(rows[size - 1]["created_at"])
        return answer

    def describe_waiting_task(self, *, taskId: str) -> dict[str, Any]:
        """One task of the inbox, by its `taskId`; TaskDoesNotExist once it waits no more."""
        with self.ctx.store.transaction(write=False) as tx:
            row = tx.waiting_task(taskId)
        if row is None:
            raise E.TaskDoesNotExist("Task Does Not Exist")
        return _waiting_task(row)

    def decide_task(
        self, *, taskId: str, output: str | None = None, error: str | None = None, cause: str | None = None
    ) -> dict[str, Any]:
        """SendTaskSuccess (with `output`) or SendTaskFailure, addressed by the inbox's task id."""
        return self.answer(taskId, _answer_event(output, error, cause))
