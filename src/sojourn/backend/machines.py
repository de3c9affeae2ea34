"""State machines: CreateStateMachine, DescribeStateMachine, UpdateStateMachine, ListStateMachines,
DeleteStateMachine, DescribeStateMachineForExecution and ValidateStateMachineDefinition."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any, cast

from sojourn import arns
from sojourn import errors as E
from sojourn.asl.loader import DefinitionError, Diagnostic, parse_definition, read_definition
from sojourn.asl.validate import express_diagnostics, validate
from sojourn.backend import versions
from sojourn.backend.common import Context, date, limit, page_token, read_page_token, refuse_express, tags
from sojourn.store.rows import MachineRow

__all__ = ["StateMachines", "definition_text"]


def definition_text(definition: Any, type: str = "STANDARD") -> str:
    """The definition as compact JSON text; InvalidDefinition listing every problem (for an EXPRESS
    machine also what Express does not run)."""
    try:
        # Text is never taken for a file's name (over HTTP that read the server's files); a Path, which only
        # Python callers can pass, is still read.
        parsed = read_definition(definition) if isinstance(definition, Path) else parse_definition(definition)
    except DefinitionError as e:
        raise E.InvalidDefinition(e.cause) from None
    problems = [d for d in _diagnostics(parsed, type) if d.severity == "ERROR"]
    if problems:
        raise E.InvalidDefinition(DefinitionError(problems).cause)
    return json.dumps(parsed, separators=(",", ":"), ensure_ascii=False)


def _diagnostics(parsed: Any, type: str) -> list[Diagnostic]:
    found = validate(parsed)
    return found + express_diagnostics(parsed) if type == "EXPRESS" else found


class StateMachines:
    def __init__(self, ctx: Context):
        self.ctx = ctx

    def create_state_machine(
        self,
        *,
        name: str,
        definition: str,
        roleArn: str,
        type: str = "STANDARD",
        loggingConfiguration: dict[str, Any] | None = None,
        tracingConfiguration: dict[str, Any] | None = None,
        tags: list[dict[str, str]] | None = None,
        publish: bool = False,
        versionDescription: str | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        arns.validate_name(name)
        arns.validate_role_arn(roleArn)
        if type not in ("STANDARD", "EXPRESS"):
            raise E.StateMachineTypeNotSupported(f"Invalid type: '{type}'")
        text = definition_text(definition, type)
        arn = self.ctx.machine_arn(name)
        pairs = _tags(tags)
        now = self.ctx.clock()
        with self.ctx.store.transaction() as tx:
            existing = tx.machine(arn)
            if existing is not None:
                if (existing["definition"], existing["role_arn"], existing["type"]) == (text, roleArn, type):
                    return {"stateMachineArn": arn, "creationDate": date(existing["created_at"])}
                raise E.StateMachineAlreadyExists(f"State Machine Already Exists: '{arn}'")
            machine: MachineRow = {
                "arn": arn,
                "name": name,
                "type": type,
                "definition": text,
                "role_arn": roleArn,
                "description": None,
                "revision_id": uuid.uuid4().hex,
                "logging": json.dumps(
                    loggingConfiguration or {"level": "OFF", "includeExecutionData": False}
                ),
                "tracing": json.dumps(tracingConfiguration or {"enabled": False}),
                "created_at": now,
                "updated_at": now,
            }
            tx.insert_machine(machine)
            for key, value in pairs:
                tx.set_tag(arn, key, value)
            answer: dict[str, Any] = {"stateMachineArn": arn, "creationDate": date(now)}
            if publish:
                answer["stateMachineVersionArn"] = versions.publish(self.ctx, tx, machine, versionDescription)
        return answer

    def describe_state_machine(
        self, *, stateMachineArn: str, includedData: str | None = None
    ) -> dict[str, Any]:
        _kind, names = arns.parse(stateMachineArn, "stateMachine")
        with self.ctx.store.transaction(write=False) as tx:
            machine = self.ctx.get_machine(tx, self.ctx.machine_arn(names[0]))
            source: Any = machine
            if len(names) > 1:
                source = tx.version(stateMachineArn)
                if source is None:
                    raise E.StateMachineDoesNotExist(f"State Machine Does Not Exist: '{stateMachineArn}'")
        answer = {
            "stateMachineArn": stateMachineArn,
            "name": machine["name"],
            "status": "ACTIVE",
            "definition": source["definition"],
            "roleArn": source["role_arn"],
            "type": machine["type"],
            "creationDate": date(source["created_at"]),
            "loggingConfiguration": json.loads(machine["logging"] or "{}"),
            "tracingConfiguration": json.loads(machine["tracing"] or "{}"),
            "revisionId": source["revision_id"],
        }
        if source.get("description"):
            answer["description"] = source["description"]
        return answer

    def update_state_machine(
        self,
        *,
        stateMachineArn: str,
        definition: str | None = None,
        roleArn: str | None = None,
        loggingConfiguration: dict[str, Any] | None = None,
        tracingConfiguration: dict[str, Any] | None = None,
        publish: bool = False,
        versionDescription: str | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        if (
            definition is None
            and roleArn is None
            and loggingConfiguration is None
            and tracingConfiguration is None
        ):
            raise E.MissingRequiredParameter(
                "Either the definition, the roleArn, the logging or the tracing configuration "
                "must be specified"
            )
        changes: dict[str, Any] = {}
        if definition is not None:
            with self.ctx.store.transaction(write=False) as tx:
                kind = self.ctx.get_machine(tx, stateMachineArn)["type"]
            changes["definition"] = definition_text(definition, kind)
        if roleArn is not None:
            changes["role_arn"] = arns.validate_role_arn(roleArn)
        if loggingConfiguration is not None:
            changes["logging"] = json.dumps(loggingConfiguration)
        if tracingConfiguration is not None:
            changes["tracing"] = json.dumps(tracingConfiguration)
        now = self.ctx.clock()
        with self.ctx.store.transaction() as tx:
            machine = self.ctx.get_machine(tx, stateMachineArn)
            changes.update(updated_at=now, revision_id=uuid.uuid4().hex)
            tx.update_machine(stateMachineArn, changes)
            answer: dict[str, Any] = {"updateDate": date(now), "revisionId": changes["revision_id"]}
            if publish:
                updated = cast(MachineRow, {**machine, **changes})
                answer["stateMachineVersionArn"] = versions.publish(self.ctx, tx, updated, versionDescription)
        return answer

    def list_state_machines(
        self, *, maxResults: int | None = None, nextToken: str | None = None
    ) -> dict[str, Any]:
        size = limit(maxResults)
        after = read_page_token(nextToken, str)
        with self.ctx.store.transaction(write=False) as tx:
            rows = tx.machines(after, size + 1)
        answer: dict[str, Any] = {
            "stateMachines": [
                {
                    "stateMachineArn": row["arn"],
                    "name": row["name"],
                    "type": row["type"],
                    "creationDate": date(row["created_at"]),
                }
                for row in rows[:size]
            ]
        }
        if len(rows) > size:
            answer["nextToken"] = page_token(rows[size - 1]["name"])
        return answer

    def delete_state_machine(self, *, stateMachineArn: str) -> dict[str, Any]:
        _kind, names = arns.parse(stateMachineArn, "stateMachine")
        if (
            len(names) > 1
        ):  # AWS: a version or alias ARN is DeleteStateMachineVersion's or DeleteStateMachineAlias's
            raise E.ValidationException(
                f"Invalid Arn: a qualified state machine ARN cannot be deleted: '{stateMachineArn}'"
            )
        with self.ctx.store.transaction() as tx:
            tx.delete_machine(stateMachineArn)
        return {}

    def describe_state_machine_for_execution(self, *, executionArn: str, **_: Any) -> dict[str, Any]:
        refuse_express(executionArn)  # not supported for EXPRESS machines, as on AWS
        with self.ctx.store.transaction(write=False) as tx:
            execution = self.ctx.get_execution(tx, executionArn)
            machine = tx.machine(execution["machine_arn"])
            definition = tx.definition(execution["definition_id"])
        answer = {
            "stateMachineArn": execution["machine_arn"],
            "name": execution["machine_arn"].split(":")[6],
            "definition": definition,
            "roleArn": execution["role_arn"],
            "updateDate": date(machine["updated_at"] if machine else execution["started_at"]),
            "loggingConfiguration": json.loads(machine["logging"])
            if machine and machine["logging"]
            else {"level": "OFF"},
            "tracingConfiguration": json.loads(machine["tracing"])
            if machine and machine["tracing"]
            else {"enabled": False},
        }
        if machine:
            answer["revisionId"] = machine["revision_id"]
        return answer

    def validate_state_machine_definition(
        self,
        *,
        definition: str,
        type: str = "STANDARD",
        severity: str = "ERROR",
        maxResults: int | None = None,
    ) -> dict[str, Any]:
        try:
            diagnostics = _diagnostics(parse_definition(definition), type)
        except DefinitionError as e:
            diagnostics = list(e.diagnostics)
        wanted = ("ERROR",) if severity == "ERROR" else ("ERROR", "WARNING")
        found = [d.to_dict() for d in diagnostics if d.severity in wanted]
        size = limit(maxResults)
        result = "FAIL" if any(d["severity"] == "ERROR" for d in found) else "OK"
        return {"result": result, "diagnostics": found[:size], "truncated": len(found) > size}


_tags = tags  # create_state_machine's own `tags` argument hides the module's function
