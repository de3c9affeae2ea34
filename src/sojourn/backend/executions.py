"""Executions: StartExecution (one, several in one transaction, nested from a Task), StartSyncExecution,
StopExecution, DescribeExecution, ListExecutions, GetExecutionHistory, RedriveExecution, and the console's
search across machines. Idempotent starts by name are decided here; running them is the runtime's."""

from __future__ import annotations

import json
import math
import time
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sojourn import arns
from sojourn import errors as E
from sojourn.asl.interpreter import ExecutionInfo, to_json
from sojourn.backend.common import (
    EVENT_ID_MAX,
    Context,
    date,
    limit,
    page_token,
    parse_payload,
    read_page_token,
    refuse_express,
)
from sojourn.backend.versions import resolve_target
from sojourn.runtime.express import ExpressStart
from sojourn.runtime.history import api_event
from sojourn.store.base import Tx
from sojourn.store.rows import ExecutionRow, MachineRow

__all__ = ["STATUSES", "Executions"]

STATUSES = ("RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE")


def _started(execution: ExecutionRow) -> dict[str, Any]:
    return {"executionArn": execution["arn"], "startDate": date(execution["started_at"])}


def _express_id(machine: MachineRow, name: str, parent: dict[str, Any] | None) -> str | None:
    """The id that makes an EXPRESS execution's ARN unique (AWS starts a new one for a name used before).

    A nested one keeps an id derived from its name, so that a re-invoked parent task finds the same child.
    """
    if machine["type"] != "EXPRESS":
        return None
    return str(uuid.uuid5(uuid.NAMESPACE_URL, name) if parent is not None else uuid.uuid4())


_EXPRESS_MACHINE = "This operation is not supported by this type of state machine"


def _billing(started: float, stopped: float) -> dict[str, int]:
    """StartSyncExecution's billingDetails: the duration rounded up to AWS's 100 ms billing increments,
    the memory at its least 64 MB increment (Sojourn does not measure an execution's memory)."""
    milliseconds = max(1, math.ceil((stopped - started) * 1000))
    return {"billedMemoryUsedInMB": 64, "billedDurationInMilliseconds": math.ceil(milliseconds / 100) * 100}


def _check_status(status: str | None) -> None:
    if status is not None and status not in STATUSES:
        raise E.ValidationException(f"Invalid statusFilter: '{status}'")


class Executions:
    def __init__(self, ctx: Context):
        self.ctx = ctx

    # -- starting ------------------------------------------------------------------------------------

    def start_execution(
        self,
        *,
        stateMachineArn: str,
        name: str | None = None,
        input: str | None = None,
        traceHeader: str | None = None,
    ) -> dict[str, Any]:
        return _started(self._start(stateMachineArn, name, input, None))

    def start_executions(self, requests: list[dict[str, Any]]) -> list[dict[str, Any] | Exception]:
        """StartExecution for each of `requests` (its keyword arguments), all in one transaction.

        The HTTP layer groups the requests that arrive together: one commit serves them all. Each gets
        its own answer or error (the exception, not raised); a request that fails changes nothing.
        """
        answers: list[dict[str, Any] | Exception] = []
        with self.ctx.store.transaction() as tx:
            for request in requests:
                try:
                    with tx.savepoint():
                        execution = self._start_in(
                            tx, request["stateMachineArn"], request.get("name"), request.get("input"), None
                        )
                    answers.append(_started(execution))
                except Exception as e:  # this request's own error, for its own answer
                    answers.append(e)
        return answers

    def start_nested_execution(
        self, *, stateMachineArn: str, input: str | None, name: str | None, parent: dict[str, Any]
    ) -> ExecutionRow:
        """StartExecution from a Task (`states:startExecution`); `parent` says whom to answer when it ends."""
        return self._start(stateMachineArn, name, input, parent)

    def _start(
        self, machine_arn: str, name: str | None, input: str | None, parent: dict[str, Any] | None
    ) -> ExecutionRow:
        with self.ctx.store.transaction() as tx:
            return self._start_in(tx, machine_arn, name, input, parent)

    def start_scheduled_execution(self, tx: Tx, machine_arn: str, name: str, input: str) -> ExecutionRow:
        """StartExecution in `tx`, the transaction that fires a schedule (sojourn.runtime.scheduler)."""
        return self._start_in(tx, machine_arn, name, input, None)

    def _start_in(
        self, tx: Tx, machine_arn: str, name: str | None, input: str | None, parent: dict[str, Any] | None
    ) -> ExecutionRow:
        text = "{}" if input is None else input
        parse_payload(text, E.InvalidExecutionInput, "execution input")
        name = arns.validate_name(name) if name is not None else str(uuid.uuid4())
        target = resolve_target(self.ctx, tx, machine_arn)
        machine = target.machine
        if machine["type"] == "EXPRESS" and parent is None:
            start = self._express(machine, target.source, name, text)
            # run once the call's transaction commits (a batch of starts that rolls back starts none)
            tx.committed.append(lambda: self.ctx.workers.express.start(start, not self.ctx.workers.running))
            return cast(ExecutionRow, {"arn": start.info.execution_arn, "started_at": self.ctx.clock()})
        arn = arns.execution_arn(
            self.ctx.region, self.ctx.account_id, machine["name"], name, _express_id(machine, name, parent)
        )
        existing = tx.execution(arn)
        if existing is not None:
            same_parent = parent is not None and existing["parent"] == json.dumps(parent)
            if existing["input"] == text and (existing["status"] == "RUNNING" or same_parent):
                return existing  # idempotent by name (and a re-invoked parent task finds its child)
            raise E.ExecutionAlreadyExists(f"Execution Already Exists: '{arn}'")
        return self.ctx.workers.engine.start_execution(
            tx,
            {
                "arn": arn,
                "machine_arn": machine["arn"],
                "version_arn": target.version_arn,
                "alias_arn": target.alias_arn,
                "status": "RUNNING",
                "definition_id": tx.definition_id(target.source["definition"]),
                "role_arn": target.source["role_arn"],
                "input": text,
                "started_at": self.ctx.clock(),
                "parent": json.dumps(parent) if parent else None,
            },
        )

    def start_sync_execution(
        self,
        *,
        stateMachineArn: str,
        name: str | None = None,
        input: str | None = None,
        traceHeader: str | None = None,
        includedData: str | None = None,
    ) -> dict[str, Any]:
        """Run an Express execution in memory, here, and answer with its end (sojourn.runtime.express)."""
        text = "{}" if input is None else input
        parse_payload(text, E.InvalidExecutionInput, "execution input")
        name = arns.validate_name(name) if name is not None else str(uuid.uuid4())
        with self.ctx.store.transaction(write=False) as tx:
            target = resolve_target(self.ctx, tx, stateMachineArn)
        if target.machine["type"] != "EXPRESS":
            raise E.StateMachineTypeNotSupported("StartSyncExecution supports EXPRESS state machines only")
        start = self._express(target.machine, target.source, name, text)
        result = self.ctx.workers.express.run(start)
        # the execution's own times (on a test's clock, time jumps to its timers)
        started, stopped = (result.history[i]["timestamp"].timestamp() for i in (0, -1))
        metadata_only = includedData == "METADATA_ONLY"
        answer: dict[str, Any] = {
            "executionArn": start.info.execution_arn,
            "stateMachineArn": target.machine["arn"],
            "name": name,
            "startDate": date(started),
            "stopDate": date(stopped),
            "status": result.status,
        }
        if not metadata_only:
            answer["input"] = text
        answer["inputDetails"] = {"included": not metadata_only}
        if result.status == "SUCCEEDED":
            if not metadata_only:
                answer["output"] = to_json(result.output)
            answer["outputDetails"] = {"included": not metadata_only}
        for key, value in (("error", result.error), ("cause", result.cause)):
            if value is not None:
                answer[key] = value
        answer["billingDetails"] = _billing(started, stopped)
        return answer

    def _express(self, machine: MachineRow, source: Any, name: str, text: str) -> ExpressStart:
        """An Express execution of `machine` (its definition and role from `source`, a version or itself)."""
        arn = arns.execution_arn(
            self.ctx.region, self.ctx.account_id, machine["name"], name, str(uuid.uuid4())
        )
        payload = json.loads(text)
        info = ExecutionInfo(
            execution_arn=arn,
            name=name,
            input=payload,
            start_time=date(self.ctx.clock()) or datetime.now(),
            state_machine_arn=machine["arn"],
            state_machine_name=machine["name"],
            role_arn=source["role_arn"],
        )
        logging = json.loads(machine["logging"] or "{}")
        return ExpressStart(info, source["definition"], payload, logging)

    def wait_for_execution(self, executionArn: str, timeout: float = 60.0) -> dict[str, Any]:
        """Block until the execution is no longer RUNNING (or `timeout`), then describe it."""
        deadline = time.monotonic() + timeout
        while True:
            if not self.ctx.workers.running:
                self.ctx.workers.run_until_idle()
            described = self.describe_execution(executionArn=executionArn)
            remaining = deadline - time.monotonic()
            if described["status"] != "RUNNING" or remaining <= 0:
                return described
            self.ctx.store.wait(min(0.5, remaining))

    # -- stopping and redriving ----------------------------------------------------------------------

    def stop_execution(
        self, *, executionArn: str, error: str | None = None, cause: str | None = None
    ) -> dict[str, Any]:
        refuse_express(executionArn)
        with self.ctx.store.transaction() as tx:
            execution = self.ctx.get_execution(tx, executionArn, lock=True)
            if execution["status"] == "RUNNING":
                self.ctx.workers.engine.stop_execution(tx, execution, error, cause)
            stopped = self.ctx.get_execution(tx, executionArn)["stopped_at"]
        self.ctx.store.wake()
        return {"stopDate": date(stopped)}

    def redrive_execution(self, *, executionArn: str, clientToken: str | None = None) -> dict[str, Any]:
        with self.ctx.store.transaction() as tx:
            execution = self.ctx.get_execution(tx, executionArn, lock=True)
            if execution["status"] not in ("FAILED", "TIMED_OUT", "ABORTED"):
                raise E.ExecutionNotRedrivable(f"Execution is {execution['status']}: '{executionArn}'")
            self.ctx.workers.engine.redrive(tx, execution)
            redriven = execution["redrive_at"]
        self.ctx.store.wake()
        return {"redriveDate": date(redriven)}

    # -- reading -------------------------------------------------------------------------------------

    def describe_execution(self, *, executionArn: str, includedData: str | None = None) -> dict[str, Any]:
        refuse_express(executionArn)
        return self.describe_nested_execution(executionArn=executionArn)

    def describe_nested_execution(self, *, executionArn: str) -> dict[str, Any]:
        """DescribeExecution for the runtime: a child started from a Task is kept even when it is an
        EXPRESS machine's, so that a `.sync` parent hears of its end."""
        with self.ctx.store.transaction(write=False) as tx:
            execution = self.ctx.get_execution(tx, executionArn)
        answer: dict[str, Any] = {
            "executionArn": execution["arn"],
            "stateMachineArn": execution["machine_arn"],
            "name": execution["name"],
            "status": execution["status"],
            "startDate": date(execution["started_at"]),
            "input": execution["input"],
            "inputDetails": {"included": True},
            "redriveCount": execution["redrive_count"],
        }
        if execution["stopped_at"] is not None:
            answer["stopDate"] = date(execution["stopped_at"])
        if execution["status"] == "SUCCEEDED":
            answer.update(output=execution["output"], outputDetails={"included": True})
        if execution["error"] is not None:
            answer["error"] = execution["error"]
        if execution["cause"] is not None:
            answer["cause"] = execution["cause"]
        answer.update(_qualifiers(execution))
        if execution["redrive_at"] is not None:
            answer["redriveDate"] = date(execution["redrive_at"])
        redrivable = execution["status"] in ("FAILED", "TIMED_OUT", "ABORTED")
        answer["redriveStatus"] = "REDRIVABLE" if redrivable else "NOT_REDRIVABLE"
        if not redrivable:
            answer["redriveStatusReason"] = f"Execution is {execution['status']}"
        return answer

    def list_executions(
        self,
        *,
        stateMachineArn: str | None = None,
        statusFilter: str | None = None,
        maxResults: int | None = None,
        nextToken: str | None = None,
        mapRunArn: str | None = None,
        redriveFilter: str | None = None,
    ) -> dict[str, Any]:
        _check_status(statusFilter)
        if mapRunArn is not None:
            if stateMachineArn is not None:
                raise E.ValidationException("Specify either a stateMachineArn or a mapRunArn, not both")
            arns.parse(mapRunArn, "mapRun")
            raise E.ResourceNotFound(
                f"Map Run Does Not Exist: '{mapRunArn}'"
            )  # Sojourn runs no distributed Maps
        size = limit(maxResults)
        version = alias = machine = None
        if stateMachineArn is not None:
            _, names = arns.parse(stateMachineArn, "stateMachine")
            machine = self.ctx.machine_arn(names[0])
            with self.ctx.store.transaction(write=False) as tx:
                if self.ctx.get_machine(tx, machine)["type"] == "EXPRESS":
                    raise E.StateMachineTypeNotSupported(_EXPRESS_MACHINE)
            if len(names) > 1:
                version, alias = (
                    (stateMachineArn, None) if arns.is_version(names[1]) else (None, stateMachineArn)
                )
        after = read_page_token(nextToken)
        with self.ctx.store.transaction(write=False) as tx:
            if machine is not None:
                self.ctx.get_machine(tx, machine)
            rows = tx.list_executions(machine, statusFilter, after, size + 1, version, alias)
        if redriveFilter == "REDRIVEN":
            rows = [row for row in rows if row["redrive_count"]]
        elif redriveFilter == "NOT_REDRIVEN":
            rows = [row for row in rows if not row["redrive_count"]]
        return _execution_page(rows, size)

    def search_executions(
        self,
        *,
        stateMachineArn: str | None = None,
        statusFilter: str | None = None,
        startedAfter: datetime | None = None,
        startedBefore: datetime | None = None,
        maxResults: int | None = None,
        nextToken: str | None = None,
    ) -> dict[str, Any]:
        """The console's executions list: ListExecutions across machines, also bounded by start time.

        Same answer shape as `list_executions`, newest first; `startedAfter` is inclusive,
        `startedBefore` not.
        """
        _check_status(statusFilter)
        size = limit(maxResults)
        after = read_page_token(nextToken)
        with self.ctx.store.transaction(write=False) as tx:
            if stateMachineArn is not None:
                self.ctx.get_machine(tx, stateMachineArn)
            rows = tx.list_executions(
                stateMachineArn,
                statusFilter,
                after,
                size + 1,
                started_after=startedAfter.timestamp() if startedAfter else None,
                started_before=startedBefore.timestamp() if startedBefore else None,
            )
        return _execution_page(rows, size)

    def get_execution_history(
        self,
        *,
        executionArn: str,
        maxResults: int | None = None,
        reverseOrder: bool = False,
        nextToken: str | None = None,
        includeExecutionData: bool = True,
    ) -> dict[str, Any]:
        refuse_express(executionArn)
        size = limit(maxResults)
        position = read_page_token(nextToken, maximum=EVENT_ID_MAX)
        with self.ctx.store.transaction(write=False) as tx:
            execution = self.ctx.get_execution(tx, executionArn)
            if reverseOrder:
                rows = tx.events(execution["id"], 0, size + 1, reverse=True, before_id=position)
            else:
                rows = tx.events(execution["id"], position or 0, size + 1)
        answer: dict[str, Any] = {
            "events": [api_event(row, execution, includeExecutionData) for row in rows[:size]]
        }
        if len(rows) > size:
            answer["nextToken"] = page_token(rows[size - 1]["id"])
        return answer


def _qualifiers(row: Mapping[str, Any]) -> dict[str, str]:
    """The version and alias an execution was started through,
    as DescribeExecution and ListExecutions name them."""
    return {
        key: row[column]
        for key, column in (("stateMachineVersionArn", "version_arn"), ("stateMachineAliasArn", "alias_arn"))
        if row[column]
    }


def _execution_page(rows: Sequence[Mapping[str, Any]], size: int) -> dict[str, Any]:
    """ListExecutions' answer from up to `size + 1` rows (the extra one says there is a next page)."""
    items = []
    for row in rows[:size]:
        item: dict[str, Any] = {
            "executionArn": row["arn"],
            "stateMachineArn": row["machine_arn"],
            "name": row["name"],
            "status": row["status"],
            "startDate": date(row["started_at"]),
            "redriveCount": row["redrive_count"],
        }
        if row["stopped_at"] is not None:
            item["stopDate"] = date(row["stopped_at"])
        if row["redrive_at"] is not None:
            item["redriveDate"] = date(row["redrive_at"])
        item.update(_qualifiers(row))
        items.append(item)
    answer: dict[str, Any] = {"executions": items}
    if len(rows) > size:
        answer["nextToken"] = page_token(rows[size - 1]["id"])
    return answer
