"""Activities: CreateActivity, DescribeActivity, DeleteActivity, ListActivities and GetActivityTask (a long
poll that hands an activity worker the next scheduled task with a new task token)."""

from __future__ import annotations

import time
from typing import Any

from sojourn import arns
from sojourn import errors as E
from sojourn.backend.common import Context, date, limit, page_token, read_page_token, tags
from sojourn.store.base import Tx
from sojourn.store.rows import ActivityRow
from sojourn.tokens import hash_token, new_token

__all__ = ["ACTIVITY_POLL_SECONDS", "Activities"]

ACTIVITY_POLL_SECONDS = 60.0


def _described(row: ActivityRow) -> dict[str, Any]:
    return {"activityArn": row["arn"], "name": row["name"], "creationDate": date(row["created_at"])}


class Activities:
    def __init__(self, ctx: Context):
        self.ctx = ctx

    def _get(self, tx: Tx, arn: str) -> ActivityRow:
        arns.parse(arn, "activity")
        row = tx.activity(arn)
        if row is None:
            raise E.ActivityDoesNotExist(f"Activity Does Not Exist: '{arn}'")
        return row

    def create_activity(
        self, *, name: str, tags: list[dict[str, str]] | None = None, **_: Any
    ) -> dict[str, Any]:
        arns.validate_name(name)
        arn = arns.activity_arn(self.ctx.region, self.ctx.account_id, name)
        pairs = _tags(tags)
        now = self.ctx.clock()
        with self.ctx.store.transaction() as tx:
            existing = tx.activity(arn)
            if existing is not None:
                return {"activityArn": arn, "creationDate": date(existing["created_at"])}
            tx.insert_activity({"arn": arn, "name": name, "created_at": now})
            for key, value in pairs:
                tx.set_tag(arn, key, value)
        return {"activityArn": arn, "creationDate": date(now)}

    def describe_activity(self, *, activityArn: str) -> dict[str, Any]:
        with self.ctx.store.transaction(write=False) as tx:
            return _described(self._get(tx, activityArn))

    def delete_activity(self, *, activityArn: str) -> dict[str, Any]:
        arns.parse(activityArn, "activity")
        with self.ctx.store.transaction() as tx:
            tx.delete_activity(activityArn)
        return {}

    def list_activities(
        self, *, maxResults: int | None = None, nextToken: str | None = None
    ) -> dict[str, Any]:
        size = limit(maxResults)
        after = read_page_token(nextToken, str)
        with self.ctx.store.transaction(write=False) as tx:
            rows = tx.activities(after, size + 1)
        answer: dict[str, Any] = {"activities": [_described(row) for row in rows[:size]]}
        if len(rows) > size:
            answer["nextToken"] = page_token(rows[size - 1]["name"])
        return answer

    def get_activity_task(
        self, *, activityArn: str, workerName: str | None = None, _poll_seconds: float = ACTIVITY_POLL_SECONDS
    ) -> dict[str, Any]:
        """Long poll (up to 60 s) for a scheduled activity task; `{}` when none came."""
        deadline = time.monotonic() + _poll_seconds
        while True:
            with self.ctx.store.transaction() as tx:
                self._get(tx, activityArn)
                answer = self._take(tx, activityArn, workerName)
            if answer is not None:
                return answer
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.ctx.polling_ended.is_set():
                return {}
            self.ctx.store.wait(min(1.0, remaining))

    def _take(self, tx: Tx, activity_arn: str, worker: str | None) -> dict[str, Any] | None:
        """The next pending task of the activity, with a new token, and ActivityStarted recorded."""
        task = tx.take_activity_task(activity_arn)
        if task is None:
            return None
        found = tx.run_and_execution(task["run_id"], lock=True)
        if found is None or found[1]["status"] != "RUNNING" or found[0]["generation"] != task["task_id"]:
            return None
        execution = found[1]
        token = new_token()
        now = self.ctx.clock()
        tx.insert_token(
            {
                "hash": hash_token(token),
                "execution_id": execution["id"],
                "run_id": task["run_id"],
                "task_id": task["task_id"],
                "state_name": task["state_name"],
                "resource": activity_arn,
                "created_at": now,
                "timeout_at": None,
                "heartbeat_seconds": tx.heartbeat_seconds(task["run_id"]),
                "heartbeat_at": now,
                "parameters": task["input"],
            }
        )
        tx.append_events(execution, now, [("ActivityStarted", {"workerName": worker or ""})])
        tx.save_event_counter(execution)
        return {"taskToken": token, "input": task["input"]}


_tags = tags  # create_activity's own `tags` argument hides the module's function
