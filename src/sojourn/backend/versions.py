"""Versions and aliases: PublishStateMachineVersion, ListStateMachineVersions, DeleteStateMachineVersion, the
alias actions, and which version an execution of a qualified ARN runs (`resolve_target`, weighted routing)."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sojourn import arns
from sojourn import errors as E
from sojourn.backend.common import Context, date, description, limit, page_token, read_page_token
from sojourn.store.base import Tx
from sojourn.store.rows import AliasRow, MachineRow, VersionRow

__all__ = ["Target", "Versions", "publish", "resolve_target"]


def publish(ctx: Context, tx: Tx, machine: MachineRow, text: str | None) -> str:
    """The ARN of the version of `machine`'s current revision, published now unless it already is."""
    description(text)
    latest = tx.versions(machine["arn"])
    if latest and latest[0]["revision_id"] == machine["revision_id"]:
        return latest[0]["arn"]  # publishing an unchanged revision returns the existing version
    number = tx.next_version_number(machine["arn"])
    arn = f"{machine['arn']}:{number}"
    tx.insert_version(
        {
            "arn": arn,
            "machine_arn": machine["arn"],
            "version": number,
            "definition": machine["definition"],
            "role_arn": machine["role_arn"],
            "description": text,
            "revision_id": machine["revision_id"],
            "created_at": ctx.clock(),
        }
    )
    return arn


@dataclass(frozen=True)
class Target:
    """What an execution of a machine, version or alias ARN runs: `source` holds its definition and role."""

    machine: MachineRow
    source: MachineRow | VersionRow
    version_arn: str | None = None
    alias_arn: str | None = None


def resolve_target(ctx: Context, tx: Tx, arn: str) -> Target:
    """The target of a machine, version or alias ARN; an alias picks one of its versions by weight.

    StartExecution's model has no ResourceNotFound: a missing version or alias is StateMachineDoesNotExist."""
    _kind, names = arns.parse(arn, "stateMachine")
    if len(names) == 1:
        machine = ctx.get_machine(tx, arn)
        return Target(machine, machine)
    machine = ctx.get_machine(tx, ctx.machine_arn(names[0]))
    if arns.is_version(names[1]):
        version = tx.version(arn)
        if version is None:
            raise E.StateMachineDoesNotExist(f"State Machine Does Not Exist: '{arn}'")
        return Target(machine, version, version_arn=arn)
    alias = tx.alias(arn)
    if alias is None:
        raise E.StateMachineDoesNotExist(f"State Machine Does Not Exist: '{arn}'")
    chosen = _route(json.loads(alias["routing"]))
    version = tx.version(chosen)
    if version is None:
        raise E.StateMachineDoesNotExist(f"State Machine Does Not Exist: '{chosen}'")
    return Target(machine, version, version_arn=chosen, alias_arn=arn)


def _route(routes: list[dict[str, Any]]) -> str:
    """One version of an alias's routing configuration, each chosen in proportion to its weight."""
    pick = random.uniform(0, sum(route["weight"] for route in routes) or 1)
    for route in routes:
        pick -= route["weight"]
        if pick <= 0:
            return str(route["stateMachineVersionArn"])
    return str(routes[0]["stateMachineVersionArn"])


class Versions:
    def __init__(self, ctx: Context):
        self.ctx = ctx

    # -- versions ------------------------------------------------------------------------------------

    def publish_state_machine_version(
        self, *, stateMachineArn: str, revisionId: str | None = None, description: str | None = None
    ) -> dict[str, Any]:
        with self.ctx.store.transaction() as tx:
            machine = self.ctx.get_machine(tx, stateMachineArn)
            if revisionId is not None and revisionId != machine["revision_id"]:
                raise E.ConflictException(
                    f"Failed to publish the version: revisionId '{revisionId}' is not the latest"
                )
            arn = publish(self.ctx, tx, machine, description)
            version = tx.version(arn)
        assert version is not None  # published in this transaction
        return {"creationDate": date(version["created_at"]), "stateMachineVersionArn": arn}

    def list_state_machine_versions(
        self, *, stateMachineArn: str, nextToken: str | None = None, maxResults: int | None = None
    ) -> dict[str, Any]:
        with self.ctx.store.transaction(write=False) as tx:
            # The model gives ListStateMachineVersions no StateMachineDoesNotExist:
            # ValidationException is its "no such".
            self.ctx.get_machine(tx, stateMachineArn, E.ValidationException)
            rows = tx.versions(stateMachineArn)
        return _page(rows, "stateMachineVersions", "stateMachineVersionArn", nextToken, maxResults)

    def delete_state_machine_version(self, *, stateMachineVersionArn: str) -> dict[str, Any]:
        arns.parse(stateMachineVersionArn, "stateMachine", qualifier="version")
        with self.ctx.store.transaction() as tx:
            for alias in tx.aliases_routing_to(stateMachineVersionArn):
                raise E.ConflictException(f"Version is referenced by the alias '{alias['arn']}'")
            tx.delete_version(stateMachineVersionArn)
        return {}

    # -- aliases -------------------------------------------------------------------------------------

    def _routing(self, tx: Tx, machine_arn: str, routing: list[dict[str, Any]]) -> str:
        if not routing or len(routing) > 2 or sum(route.get("weight", 0) for route in routing) != 100:
            raise E.ValidationException(
                "routingConfiguration must list one or two versions whose weights add up to 100"
            )
        for route in routing:
            arns.parse(route["stateMachineVersionArn"], "stateMachine", qualifier="version")
            version = tx.version(route["stateMachineVersionArn"])
            if version is None or version["machine_arn"] != machine_arn:
                raise E.ResourceNotFound(f"Version Does Not Exist: '{route['stateMachineVersionArn']}'")
        return json.dumps(
            [{"stateMachineVersionArn": r["stateMachineVersionArn"], "weight": r["weight"]} for r in routing]
        )

    def _get_alias(self, tx: Tx, arn: str) -> AliasRow:
        arns.parse(arn, "stateMachine", qualifier="alias")
        alias = tx.alias(arn)
        if alias is None:
            raise E.ResourceNotFound(f"Alias Does Not Exist: '{arn}'")
        return alias

    def create_state_machine_alias(
        self, *, name: str, routingConfiguration: list[dict[str, Any]], description: str | None = None
    ) -> dict[str, Any]:
        arns.validate_name(name, "alias name")
        if name.isdigit():
            raise E.ValidationException("An alias name cannot be a number")
        first = routingConfiguration[0]["stateMachineVersionArn"] if routingConfiguration else ""
        machine_arn = first.rsplit(":", 1)[0]
        now = self.ctx.clock()
        with self.ctx.store.transaction() as tx:
            self.ctx.get_machine(tx, machine_arn, E.ResourceNotFound)  # the model's "no such" for aliases
            routing = self._routing(tx, machine_arn, routingConfiguration)
            arn = f"{machine_arn}:{name}"
            existing = tx.alias(arn)
            if existing is not None:
                if existing["routing"] == routing and existing["description"] == description:
                    return {"stateMachineAliasArn": arn, "creationDate": date(existing["created_at"])}
                raise E.ConflictException(f"Alias already exists: '{arn}'")
            tx.insert_alias(
                {
                    "arn": arn,
                    "machine_arn": machine_arn,
                    "name": name,
                    "description": _description(description),
                    "routing": routing,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        return {"stateMachineAliasArn": arn, "creationDate": date(now)}

    def describe_state_machine_alias(self, *, stateMachineAliasArn: str) -> dict[str, Any]:
        with self.ctx.store.transaction(write=False) as tx:
            alias = self._get_alias(tx, stateMachineAliasArn)
        answer = {
            "stateMachineAliasArn": alias["arn"],
            "name": alias["name"],
            "routingConfiguration": json.loads(alias["routing"]),
            "creationDate": date(alias["created_at"]),
            "updateDate": date(alias["updated_at"]),
        }
        if alias["description"]:
            answer["description"] = alias["description"]
        return answer

    def update_state_machine_alias(
        self,
        *,
        stateMachineAliasArn: str,
        description: str | None = None,
        routingConfiguration: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        now = self.ctx.clock()
        with self.ctx.store.transaction() as tx:
            alias = self._get_alias(tx, stateMachineAliasArn)
            changes: dict[str, Any] = {"updated_at": now}
            if description is not None:
                changes["description"] = _description(description)
            if routingConfiguration is not None:
                changes["routing"] = self._routing(tx, alias["machine_arn"], routingConfiguration)
            tx.update_alias(stateMachineAliasArn, changes)
        return {"updateDate": date(now)}

    def delete_state_machine_alias(self, *, stateMachineAliasArn: str) -> dict[str, Any]:
        arns.parse(stateMachineAliasArn, "stateMachine", qualifier="alias")
        with self.ctx.store.transaction() as tx:
            tx.delete_alias(stateMachineAliasArn)
        return {}

    def list_state_machine_aliases(
        self, *, stateMachineArn: str, nextToken: str | None = None, maxResults: int | None = None
    ) -> dict[str, Any]:
        with self.ctx.store.transaction(write=False) as tx:
            self.ctx.get_machine(tx, stateMachineArn)
            rows = tx.aliases(stateMachineArn)
        return _page(rows, "stateMachineAliases", "stateMachineAliasArn", nextToken, maxResults)


def _page(
    rows: Sequence[VersionRow] | Sequence[AliasRow],
    key: str,
    arn_key: str,
    next_token: str | None,
    max_results: int | None,
) -> dict[str, Any]:
    """One page of a machine's versions or aliases (few per machine: paged by position, newest first)."""
    size = limit(max_results)
    start = read_page_token(next_token) or 0
    answer: dict[str, Any] = {
        key: [
            {arn_key: row["arn"], "creationDate": date(row["created_at"])}
            for row in rows[start : start + size]
        ]
    }
    if start + size < len(rows):
        answer["nextToken"] = page_token(start + size)
    return answer


_description = description  # the alias actions' own `description` argument hides the module's function
