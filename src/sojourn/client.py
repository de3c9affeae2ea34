"""`sojourn.Client`: boto3's `stepfunctions` client over Sojourn's durable runtime (design.md §3).

Same method names, keyword arguments and return shapes as boto3 (dates are aware datetimes); errors
are `sojourn.errors.<AWS __type>`. The HTTP layer, the CLI and tests all go through this class.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import threading
import time
import unicodedata
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sojourn import arns, jsontext
from sojourn import errors as E
from sojourn.asl.budget import Limits
from sojourn.asl.loader import DefinitionError, parse_definition, read_definition
from sojourn.asl.validate import validate
from sojourn.integrations.base import Services
from sojourn.runtime import work
from sojourn.runtime.history import api_event
from sojourn.runtime.worker import Invoker, Runtime, resources_invoker
from sojourn.store.base import Store, Tx, open_store
from sojourn.store.rows import ActivityRow, AliasRow, ExecutionRow, MachineRow
from sojourn.tokens import hash_token, is_token_form, mask_placeholders, new_token

__all__ = ["Client"]

MAX_PAYLOAD = 256 * 1024
ACTIVITY_POLL_SECONDS = 60.0
_STATUSES = ("RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE")


def _date(epoch: float | None) -> datetime | None:
    return datetime.fromtimestamp(epoch, UTC) if epoch is not None else None


def _page_token(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


# The largest row id a page token may name: events' ids are 32-bit in PostgreSQL, the others 64-bit.
EVENT_ID_MAX = 2**31 - 1
ROW_ID_MAX = 2**63 - 1


def _read_page_token(token: str | None, kind: type = int, maximum: int = ROW_ID_MAX) -> Any:
    """The position a `_page_token` holds: an int in 0..`maximum`, a float, or a name (`kind=str`).

    Anything else, however it was made (`e30=` is `{}`), is AWS's InvalidToken, never a query with it.
    """
    if not token:
        return None
    try:
        value = jsontext.parse(base64.urlsafe_b64decode(token.encode("utf-8", "surrogatepass")))
    except ValueError:
        value = None  # not base64 (binascii.Error), not UTF-8 or not JSON: refused below
    if kind is str:
        valid = isinstance(value, str) and arns.is_name(value)
    elif kind is float:
        valid = isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0
    else:
        valid = isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= maximum
    if not valid:
        raise E.InvalidToken(f"Invalid Token: '{token}'")
    return value


def _limit(max_results: int | None, default: int = 100) -> int:
    return default if not max_results else max(1, min(int(max_results), 1000))


def _parse_payload(text: str, error: type[E.SojournAPIError], what: str) -> Any:
    """The JSON document of a payload (input, output, variables) within AWS's size limit; `error` otherwise."""
    if not isinstance(text, str):
        raise error(f"Invalid {what}: the value must be a JSON string")
    if len(text.encode("utf-8", "surrogatepass")) > MAX_PAYLOAD:
        raise error(f"The {what} exceeds the maximum size of 262144 bytes")
    try:
        return jsontext.parse(text)
    except jsontext.InvalidJSON as e:
        raise error(f"Invalid {what}: {e}") from None


_TAG_SYMBOLS = frozenset(" _.:/=+-@")


def _tag_text(text: str) -> bool:
    """AWS's rule for tag keys and values: Unicode letters, digits, white space and `_ . : / = + - @` only."""
    return all(ch.isalnum() or ch in _TAG_SYMBOLS or unicodedata.category(ch) == "Zs" for ch in text)


def _tags(tags: list[dict[str, str]] | None) -> list[tuple[str, str]]:
    """(key, value) of each tag; the model leaves `key` optional and its characters free, AWS does not."""
    pairs = []
    for index, tag in enumerate(tags or [], 1):
        key, value = tag.get("key"), tag.get("value", "")
        if not key:
            raise E.ValidationException(
                f"Value null at 'tags.{index}.member.key' failed to satisfy constraint: "
                "Member must not be null"
            )
        for member, text in (("key", key), ("value", value)):
            if not _tag_text(text):
                raise E.ValidationException(
                    f"Value at 'tags.{index}.member.{member}' failed to satisfy constraint: "
                    "Tags may only contain Unicode letters, digits, white space, "
                    "or these symbols: _ . : / = + - @"
                )
        pairs.append((key, value))
    return pairs


def _description(text: str | None) -> str | None:
    """A description kept as it is given; NUL, which PostgreSQL's text cannot hold, is refused (Sojourn's own rule)."""
    if text is not None and "\x00" in text:
        raise E.ValidationException(
            "Value at 'description' failed to satisfy constraint: Member must not contain NUL characters"
        )
    return text


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
        "since": _date(row["created_at"]),
        "deadline": _date(row["timeout_at"]),
    }


def _started(execution: dict[str, Any]) -> dict[str, Any]:
    return {"executionArn": execution["arn"], "startDate": _date(execution["started_at"])}


def _check_token(token: Any) -> None:
    if not is_token_form(token):
        raise E.InvalidToken("Invalid Token: 'Invalid token'")


class Client:
    """A Step Functions client backed by Sojourn's store. `close()` stops its workers."""

    def __init__(
        self,
        db_url: str | None = None,
        *,
        settings: Any = None,
        store: Store | None = None,
        region: str | None = None,
        account_id: str | None = None,
        clock: Callable[[], float] | None = None,
        invoker: Invoker | None = None,
        resources: Mapping[str, Callable[..., Any]] | None = None,
        services: Services | None = None,
        workers: int | None = None,
        start: bool = True,
    ):
        if settings is None:
            from sojourn.config import Settings

            settings = Settings()
        self.settings = settings
        self.region = region or settings.region
        self.account_id = account_id or settings.account_id
        self._owns_store = store is None
        self.store = store or open_store(db_url or settings.db_url)
        self.clock = clock or time.time
        self.services = services or Services(settings=settings)
        self.services.client = self
        self.services.store = self.store
        if resources is not None:
            from sojourn.runtime.worker import _integration_invoker

            invoker = resources_invoker(resources, invoker or _integration_invoker(self.services))
        workers = settings.workers if workers is None else workers
        self.runtime = Runtime(
            self.store,
            clock=self.clock,
            invoker=invoker,
            services=self.services,
            workers=workers,
            limits=Limits(step_seconds=settings.expression_timeout),
        )
        self._started = start and workers > 0
        self._polling_ended = threading.Event()
        self._closed = False
        if self._started:
            self.runtime.start()

    def start(self) -> None:
        """Start the workers of a client made with `start=False` (a server starts them in its lifespan).

        With `workers=0` no thread polls for work, but tasks that this process's API calls set off
        (SendTaskSuccess leading to the next Task) still run here at once instead of waiting for a lease.
        """
        if not self._started:
            self.runtime.start()
            self._started = True

    def stop_polling(self) -> None:
        """End long polls (GetActivityTask) now, answering no task: the process is shutting down."""
        self._polling_ended.set()
        self.store.wake()

    def close(self, timeout: float = 5.0) -> None:
        """Stop the workers (each finishes what it holds within `timeout` seconds) and release the store."""
        if self._closed:
            return
        self._closed = True
        self.stop_polling()
        if self._started:
            self.runtime.stop(timeout)
            self._started = False
        else:
            self.runtime.release()
        if self._owns_store:
            self.store.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def run_until_idle(self) -> int:
        """Drive due work inline (when the client was made with `start=False`); returns items processed."""
        return self.runtime.run_until_idle()

    # -- helpers -------------------------------------------------------------------------------------

    def _machine_arn(self, name: str, qualifier: str | None = None) -> str:
        return arns.state_machine_arn(self.region, self.account_id, name, qualifier)

    def _definition(self, definition: Any) -> str:
        """The definition as compact JSON text; InvalidDefinition listing every problem."""
        try:
            # Text is never taken for a file's name (over HTTP that read the server's files); a Path, which only
            # Python callers can pass, is still read.
            parsed = (
                read_definition(definition) if isinstance(definition, Path) else parse_definition(definition)
            )
        except DefinitionError as e:
            raise E.InvalidDefinition(e.cause) from None
        problems = [d for d in validate(parsed) if d.severity == "ERROR"]
        if problems:
            raise E.InvalidDefinition(DefinitionError(problems).cause)
        return json.dumps(parsed, separators=(",", ":"), ensure_ascii=False)

    def _get_machine(
        self, tx: Tx, arn: str, missing: type[E.SojournAPIError] = E.StateMachineDoesNotExist
    ) -> MachineRow:
        """The machine of an unqualified ARN; `missing` (the action's model names it) when there is none."""
        arns.parse(arn, "stateMachine")
        machine = tx.machine(arn)
        if machine is None:
            raise missing(f"State Machine Does Not Exist: '{arn}'")
        return machine

    def _get_execution(self, tx: Tx, arn: str, lock: bool = False) -> ExecutionRow:
        arns.parse(arn, ("execution", "express"))
        execution = tx.execution(arn, lock=lock)
        if execution is None:
            raise E.ExecutionDoesNotExist(f"Execution Does Not Exist: '{arn}'")
        return execution

    def _resolve_target(
        self, tx: Tx, arn: str
    ) -> tuple[dict[str, Any], dict[str, Any], str | None, str | None]:
        """(machine, source of definition, version arn, alias arn) for a machine, version or alias ARN."""
        _kind, names = arns.parse(arn, "stateMachine")
        if len(names) == 1:
            machine = self._get_machine(tx, arn)
            return machine, machine, None, None
        base = self._machine_arn(names[0])
        machine = self._get_machine(tx, base)
        if arns.is_version(names[1]):
            version = tx.version(arn)
            if (
                version is None
            ):  # StartExecution's model has no ResourceNotFound: a version is a state machine
                raise E.StateMachineDoesNotExist(f"State Machine Does Not Exist: '{arn}'")
            return machine, version, arn, None
        alias = tx.alias(arn)
        if alias is None:
            raise E.StateMachineDoesNotExist(f"State Machine Does Not Exist: '{arn}'")
        routes = json.loads(alias["routing"])
        pick = random.uniform(0, sum(route["weight"] for route in routes) or 1)
        chosen = routes[0]["stateMachineVersionArn"]
        for route in routes:
            pick -= route["weight"]
            if pick <= 0:
                chosen = route["stateMachineVersionArn"]
                break
        version = tx.version(chosen)
        if version is None:
            raise E.StateMachineDoesNotExist(f"State Machine Does Not Exist: '{chosen}'")
        return machine, version, chosen, arn

    # -- state machines ------------------------------------------------------------------------------

    def create_state_machine(
        self,
        *,
        name: str,
        definition: str,
        roleArn: str,
        type: str = "STANDARD",
        loggingConfiguration: dict | None = None,
        tracingConfiguration: dict | None = None,
        tags: list[dict[str, str]] | None = None,
        publish: bool = False,
        versionDescription: str | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        arns.validate_name(name)
        arns.validate_role_arn(roleArn)
        if type not in ("STANDARD", "EXPRESS"):
            raise E.StateMachineTypeNotSupported(f"Invalid type: '{type}'")
        text = self._definition(definition)
        arn = self._machine_arn(name)
        now = self.clock()
        with self.store.transaction() as tx:
            existing = tx.machine(arn)
            if existing is not None:
                if (
                    existing["definition"] == text
                    and existing["role_arn"] == roleArn
                    and existing["type"] == type
                ):
                    return {"stateMachineArn": arn, "creationDate": _date(existing["created_at"])}
                raise E.StateMachineAlreadyExists(f"State Machine Already Exists: '{arn}'")
            tx.insert_machine(
                {
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
            )
            for key, value in _tags(tags):
                tx.set_tag(arn, key, value)
            answer: dict[str, Any] = {"stateMachineArn": arn, "creationDate": _date(now)}
            if publish:
                answer["stateMachineVersionArn"] = self._publish(
                    tx, tx.machine(arn) or {}, versionDescription
                )
        return answer

    def describe_state_machine(
        self, *, stateMachineArn: str, includedData: str | None = None
    ) -> dict[str, Any]:
        with self.store.transaction() as tx:
            _kind, names = arns.parse(stateMachineArn, "stateMachine")
            machine = self._get_machine(tx, self._machine_arn(names[0]))
            source = machine
            if len(names) > 1:
                version = tx.version(stateMachineArn)
                if version is None:
                    raise E.StateMachineDoesNotExist(f"State Machine Does Not Exist: '{stateMachineArn}'")
                source = version
        answer = {
            "stateMachineArn": stateMachineArn,
            "name": machine["name"],
            "status": "ACTIVE",
            "definition": source["definition"],
            "roleArn": source["role_arn"],
            "type": machine["type"],
            "creationDate": _date(source["created_at"]),
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
        loggingConfiguration: dict | None = None,
        tracingConfiguration: dict | None = None,
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
                "Either the definition, the roleArn, the logging or the tracing configuration must be specified"
            )
        changes: dict[str, Any] = {}
        if definition is not None:
            changes["definition"] = self._definition(definition)
        if roleArn is not None:
            changes["role_arn"] = arns.validate_role_arn(roleArn)
        if loggingConfiguration is not None:
            changes["logging"] = json.dumps(loggingConfiguration)
        if tracingConfiguration is not None:
            changes["tracing"] = json.dumps(tracingConfiguration)
        now = self.clock()
        with self.store.transaction() as tx:
            machine = self._get_machine(tx, stateMachineArn)
            changes.update(updated_at=now, revision_id=uuid.uuid4().hex)
            tx.update_machine(stateMachineArn, changes)
            answer: dict[str, Any] = {"updateDate": _date(now), "revisionId": changes["revision_id"]}
            if publish:
                answer["stateMachineVersionArn"] = self._publish(
                    tx, {**machine, **changes}, versionDescription
                )
        return answer

    def list_state_machines(
        self, *, maxResults: int | None = None, nextToken: str | None = None
    ) -> dict[str, Any]:
        limit = _limit(maxResults)
        with self.store.transaction() as tx:
            rows = tx.machines(_read_page_token(nextToken, str), limit + 1)
        answer: dict[str, Any] = {
            "stateMachines": [
                {
                    "stateMachineArn": row["arn"],
                    "name": row["name"],
                    "type": row["type"],
                    "creationDate": _date(row["created_at"]),
                }
                for row in rows[:limit]
            ]
        }
        if len(rows) > limit:
            answer["nextToken"] = _page_token(rows[limit - 1]["name"])
        return answer

    def delete_state_machine(self, *, stateMachineArn: str) -> dict[str, Any]:
        _kind, names = arns.parse(stateMachineArn, "stateMachine")
        if (
            len(names) > 1
        ):  # AWS: a version or alias ARN is DeleteStateMachineVersion's or DeleteStateMachineAlias's
            raise E.ValidationException(
                f"Invalid Arn: a qualified state machine ARN cannot be deleted: '{stateMachineArn}'"
            )
        with self.store.transaction() as tx:
            tx.delete_machine(stateMachineArn)
        return {}

    def describe_state_machine_for_execution(self, *, executionArn: str, **_: Any) -> dict[str, Any]:
        with self.store.transaction() as tx:
            execution = self._get_execution(tx, executionArn)
            machine = tx.machine(execution["machine_arn"])
            definition = tx.definition(execution["definition_id"])
        answer = {
            "stateMachineArn": execution["machine_arn"],
            "name": execution["machine_arn"].split(":")[6],
            "definition": definition,
            "roleArn": execution["role_arn"],
            "updateDate": _date(machine["updated_at"] if machine else execution["started_at"]),
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
            diagnostics = validate(parse_definition(definition))
        except DefinitionError as e:
            diagnostics = list(e.diagnostics)
        wanted = ("ERROR",) if severity == "ERROR" else ("ERROR", "WARNING")
        found = [d.to_dict() for d in diagnostics if d.severity in wanted]
        limit = _limit(maxResults)
        result = "FAIL" if any(d["severity"] == "ERROR" for d in found) else "OK"
        return {"result": result, "diagnostics": found[:limit], "truncated": len(found) > limit}

    # -- versions and aliases ------------------------------------------------------------------------

    def _publish(self, tx: Tx, machine: dict[str, Any], description: str | None) -> str:
        _description(description)
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
                "description": description,
                "revision_id": machine["revision_id"],
                "created_at": self.clock(),
            }
        )
        return arn

    def publish_state_machine_version(
        self, *, stateMachineArn: str, revisionId: str | None = None, description: str | None = None
    ) -> dict[str, Any]:
        with self.store.transaction() as tx:
            machine = self._get_machine(tx, stateMachineArn)
            if revisionId is not None and revisionId != machine["revision_id"]:
                raise E.ConflictException(
                    f"Failed to publish the version: revisionId '{revisionId}' is not the latest"
                )
            arn = self._publish(tx, machine, description)
            version = tx.version(arn)
        return {"creationDate": _date(version["created_at"]), "stateMachineVersionArn": arn}

    def list_state_machine_versions(
        self, *, stateMachineArn: str, nextToken: str | None = None, maxResults: int | None = None
    ) -> dict[str, Any]:
        limit = _limit(maxResults)
        start = _read_page_token(nextToken) or 0
        with self.store.transaction() as tx:
            # The model gives ListStateMachineVersions no StateMachineDoesNotExist: ValidationException is its "no such".
            self._get_machine(tx, stateMachineArn, E.ValidationException)
            rows = tx.versions(stateMachineArn)
        page = rows[start : start + limit]
        answer: dict[str, Any] = {
            "stateMachineVersions": [
                {"stateMachineVersionArn": row["arn"], "creationDate": _date(row["created_at"])}
                for row in page
            ]
        }
        if start + limit < len(rows):
            answer["nextToken"] = _page_token(start + limit)
        return answer

    def delete_state_machine_version(self, *, stateMachineVersionArn: str) -> dict[str, Any]:
        arns.parse(stateMachineVersionArn, "stateMachine", qualifier="version")
        with self.store.transaction() as tx:
            for alias in tx.aliases_routing_to(stateMachineVersionArn):
                raise E.ConflictException(f"Version is referenced by the alias '{alias['arn']}'")
            tx.delete_version(stateMachineVersionArn)
        return {}

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

    def create_state_machine_alias(
        self, *, name: str, routingConfiguration: list[dict[str, Any]], description: str | None = None
    ) -> dict[str, Any]:
        arns.validate_name(name, "alias name")
        if name.isdigit():
            raise E.ValidationException("An alias name cannot be a number")
        first = routingConfiguration[0]["stateMachineVersionArn"] if routingConfiguration else ""
        machine_arn = first.rsplit(":", 1)[0]
        now = self.clock()
        with self.store.transaction() as tx:
            self._get_machine(tx, machine_arn, E.ResourceNotFound)  # the model's "no such" for aliases
            routing = self._routing(tx, machine_arn, routingConfiguration)
            arn = f"{machine_arn}:{name}"
            existing = tx.alias(arn)
            if existing is not None:
                if existing["routing"] == routing and existing["description"] == description:
                    return {"stateMachineAliasArn": arn, "creationDate": _date(existing["created_at"])}
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
        return {"stateMachineAliasArn": arn, "creationDate": _date(now)}

    def _get_alias(self, tx: Tx, arn: str) -> AliasRow:
        arns.parse(arn, "stateMachine", qualifier="alias")
        alias = tx.alias(arn)
        if alias is None:
            raise E.ResourceNotFound(f"Alias Does Not Exist: '{arn}'")
        return alias

    def describe_state_machine_alias(self, *, stateMachineAliasArn: str) -> dict[str, Any]:
        with self.store.transaction() as tx:
            alias = self._get_alias(tx, stateMachineAliasArn)
        answer = {
            "stateMachineAliasArn": alias["arn"],
            "name": alias["name"],
            "routingConfiguration": json.loads(alias["routing"]),
            "creationDate": _date(alias["created_at"]),
            "updateDate": _date(alias["updated_at"]),
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
        now = self.clock()
        with self.store.transaction() as tx:
            alias = self._get_alias(tx, stateMachineAliasArn)
            changes: dict[str, Any] = {"updated_at": now}
            if description is not None:
                changes["description"] = _description(description)
            if routingConfiguration is not None:
                changes["routing"] = self._routing(tx, alias["machine_arn"], routingConfiguration)
            tx.update_alias(stateMachineAliasArn, changes)
        return {"updateDate": _date(now)}

    def delete_state_machine_alias(self, *, stateMachineAliasArn: str) -> dict[str, Any]:
        arns.parse(stateMachineAliasArn, "stateMachine", qualifier="alias")
        with self.store.transaction() as tx:
            tx.delete_alias(stateMachineAliasArn)
        return {}

    def list_state_machine_aliases(
        self, *, stateMachineArn: str, nextToken: str | None = None, maxResults: int | None = None
    ) -> dict[str, Any]:
        limit = _limit(maxResults)
        start = _read_page_token(nextToken) or 0
        with self.store.transaction() as tx:
            self._get_machine(tx, stateMachineArn)
            rows = tx.aliases(stateMachineArn)
        answer: dict[str, Any] = {
            "stateMachineAliases": [
                {"stateMachineAliasArn": row["arn"], "creationDate": _date(row["created_at"])}
                for row in rows[start : start + limit]
            ]
        }
        if start + limit < len(rows):
            answer["nextToken"] = _page_token(start + limit)
        return answer

    # -- executions ----------------------------------------------------------------------------------

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
        with self.store.transaction() as tx:
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
    ) -> dict[str, Any]:
        """StartExecution from a Task (`states:startExecution`); `parent` says whom to answer when it ends."""
        return self._start(stateMachineArn, name, input, parent)

    def _start(
        self, machine_arn: str, name: str | None, input: str | None, parent: dict[str, Any] | None
    ) -> dict[str, Any]:
        with self.store.transaction() as tx:
            return self._start_in(tx, machine_arn, name, input, parent)

    def _start_in(
        self, tx: Tx, machine_arn: str, name: str | None, input: str | None, parent: dict[str, Any] | None
    ) -> dict[str, Any]:
        text = "{}" if input is None else input
        _parse_payload(text, E.InvalidExecutionInput, "execution input")
        name = arns.validate_name(name) if name is not None else str(uuid.uuid4())
        machine, source, version_arn, alias_arn = self._resolve_target(tx, machine_arn)
        arn = arns.execution_arn(
            self.region, self.account_id, machine["name"], name, self._express_id(machine, name, parent)
        )
        existing = tx.execution(arn)
        if existing is not None:
            same_parent = parent is not None and existing["parent"] == json.dumps(parent)
            if existing["input"] == text and (existing["status"] == "RUNNING" or same_parent):
                return existing  # idempotent by name (and a re-invoked parent task finds its child)
            raise E.ExecutionAlreadyExists(f"Execution Already Exists: '{arn}'")
        return self.runtime.engine.start_execution(
            tx,
            {
                "arn": arn,
                "machine_arn": machine["arn"],
                "version_arn": version_arn,
                "alias_arn": alias_arn,
                "status": "RUNNING",
                "definition_id": tx.definition_id(source["definition"]),
                "role_arn": source["role_arn"],
                "input": text,
                "started_at": self.clock(),
                "parent": json.dumps(parent) if parent else None,
            },
        )

    @staticmethod
    def _express_id(machine: dict[str, Any], name: str, parent: dict[str, Any] | None) -> str | None:
        """The id that makes an EXPRESS execution's ARN unique (AWS starts a new one for a name used before).

        A nested one keeps an id derived from its name, so that a re-invoked parent task finds the same child.
        """
        if machine["type"] != "EXPRESS":
            return None
        return str(uuid.uuid5(uuid.NAMESPACE_URL, name) if parent is not None else uuid.uuid4())

    def start_sync_execution(
        self,
        *,
        stateMachineArn: str,
        name: str | None = None,
        input: str | None = None,
        traceHeader: str | None = None,
        includedData: str | None = None,
    ) -> dict[str, Any]:
        with self.store.transaction() as tx:
            machine, *_ = self._resolve_target(tx, stateMachineArn)
        if machine["type"] != "EXPRESS":
            raise E.StateMachineTypeNotSupported("StartSyncExecution supports EXPRESS state machines only")
        execution = self._start(stateMachineArn, name, input, None)
        described = self.wait_for_execution(execution["arn"], timeout=300)
        answer = {
            key: described[key]
            for key in (
                "executionArn",
                "stateMachineArn",
                "name",
                "startDate",
                "stopDate",
                "status",
                "input",
                "inputDetails",
                "output",
                "outputDetails",
                "error",
                "cause",
            )
            if key in described
        }
        answer["billingDetails"] = {"billedMemoryUsedInMB": 64, "billedDurationInMilliseconds": 100}
        return answer

    def wait_for_execution(self, executionArn: str, timeout: float = 60.0) -> dict[str, Any]:
        """Block until the execution is no longer RUNNING (or `timeout`), then describe it."""
        deadline = time.monotonic() + timeout
        while True:
            if not self._started:
                self.runtime.run_until_idle()
            described = self.describe_execution(executionArn=executionArn)
            remaining = deadline - time.monotonic()
            if described["status"] != "RUNNING" or remaining <= 0:
                return described
            self.store.wait(min(0.5, remaining))

    def stop_execution(
        self, *, executionArn: str, error: str | None = None, cause: str | None = None
    ) -> dict[str, Any]:
        with self.store.transaction() as tx:
            execution = self._get_execution(tx, executionArn, lock=True)
            if execution["status"] == "RUNNING":
                self.runtime.engine.stop_execution(tx, execution, error, cause)
            stopped = tx.execution(executionArn)["stopped_at"]
        self.store.wake()
        return {"stopDate": _date(stopped)}

    def describe_execution(self, *, executionArn: str, includedData: str | None = None) -> dict[str, Any]:
        with self.store.transaction() as tx:
            execution = self._get_execution(tx, executionArn)
        answer: dict[str, Any] = {
            "executionArn": execution["arn"],
            "stateMachineArn": execution["machine_arn"],
            "name": execution["name"],
            "status": execution["status"],
            "startDate": _date(execution["started_at"]),
            "input": execution["input"],
            "inputDetails": {"included": True},
            "redriveCount": execution["redrive_count"],
        }
        if execution["stopped_at"] is not None:
            answer["stopDate"] = _date(execution["stopped_at"])
        if execution["status"] == "SUCCEEDED":
            answer.update(output=execution["output"], outputDetails={"included": True})
        for key in ("error", "cause"):
            if execution[key] is not None:
                answer[key] = execution[key]
        for key, column in (("stateMachineVersionArn", "version_arn"), ("stateMachineAliasArn", "alias_arn")):
            if execution[column]:
                answer[key] = execution[column]
        if execution["redrive_at"] is not None:
            answer["redriveDate"] = _date(execution["redrive_at"])
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
        if statusFilter is not None and statusFilter not in _STATUSES:
            raise E.ValidationException(f"Invalid statusFilter: '{statusFilter}'")
        if mapRunArn is not None:
            if stateMachineArn is not None:
                raise E.ValidationException("Specify either a stateMachineArn or a mapRunArn, not both")
            arns.parse(mapRunArn, "mapRun")
            raise E.ResourceNotFound(
                f"Map Run Does Not Exist: '{mapRunArn}'"
            )  # Sojourn runs no distributed Maps
        limit = _limit(maxResults)
        version = alias = machine = None
        if stateMachineArn is not None:
            _, names = arns.parse(stateMachineArn, "stateMachine")
            machine = self._machine_arn(names[0])
            if len(names) > 1:
                version, alias = (
                    (stateMachineArn, None) if arns.is_version(names[1]) else (None, stateMachineArn)
                )
        with self.store.transaction() as tx:
            if machine is not None:
                self._get_machine(tx, machine)
            rows = tx.list_executions(
                machine, statusFilter, _read_page_token(nextToken), limit + 1, version, alias
            )
        if redriveFilter == "REDRIVEN":
            rows = [row for row in rows if row["redrive_count"]]
        elif redriveFilter == "NOT_REDRIVEN":
            rows = [row for row in rows if not row["redrive_count"]]
        return self._execution_page(rows, limit)

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

        Same answer shape as `list_executions`, newest first; `startedAfter` is inclusive, `startedBefore` not.
        """
        if statusFilter is not None and statusFilter not in _STATUSES:
            raise E.ValidationException(f"Invalid statusFilter: '{statusFilter}'")
        limit = _limit(maxResults)
        with self.store.transaction() as tx:
            if stateMachineArn is not None:
                self._get_machine(tx, stateMachineArn)
            rows = tx.list_executions(
                stateMachineArn,
                statusFilter,
                _read_page_token(nextToken),
                limit + 1,
                started_after=startedAfter.timestamp() if startedAfter else None,
                started_before=startedBefore.timestamp() if startedBefore else None,
            )
        return self._execution_page(rows, limit)

    @staticmethod
    def _execution_page(rows: Sequence[Mapping[str, Any]], limit: int) -> dict[str, Any]:
        """ListExecutions' answer from up to `limit + 1` rows (the extra one says there is a next page)."""
        items = []
        for row in rows[:limit]:
            item: dict[str, Any] = {
                "executionArn": row["arn"],
                "stateMachineArn": row["machine_arn"],
                "name": row["name"],
                "status": row["status"],
                "startDate": _date(row["started_at"]),
                "redriveCount": row["redrive_count"],
            }
            if row["stopped_at"] is not None:
                item["stopDate"] = _date(row["stopped_at"])
            if row["redrive_at"] is not None:
                item["redriveDate"] = _date(row["redrive_at"])
            for key, column in (
                ("stateMachineVersionArn", "version_arn"),
                ("stateMachineAliasArn", "alias_arn"),
            ):
                if row[column]:
                    item[key] = row[column]
            items.append(item)
        answer: dict[str, Any] = {"executions": items}
        if len(rows) > limit:
            answer["nextToken"] = _page_token(rows[limit - 1]["id"])
        return answer

    def get_execution_history(
        self,
        *,
        executionArn: str,
        maxResults: int | None = None,
        reverseOrder: bool = False,
        nextToken: str | None = None,
        includeExecutionData: bool = True,
    ) -> dict[str, Any]:
        limit = _limit(maxResults)
        position = _read_page_token(nextToken, maximum=EVENT_ID_MAX)
        with self.store.transaction(write=False) as tx:
            execution = self._get_execution(tx, executionArn)
            if reverseOrder:
                rows = tx.events(execution["id"], 0, limit + 1, reverse=True, before_id=position)
            else:
                rows = tx.events(execution["id"], position or 0, limit + 1)
        events = [api_event(row, execution, includeExecutionData) for row in rows[:limit]]
        answer: dict[str, Any] = {"events": events}
        if len(rows) > limit:
            answer["nextToken"] = _page_token(rows[limit - 1]["id"])
        return answer

    def redrive_execution(self, *, executionArn: str, clientToken: str | None = None) -> dict[str, Any]:
        with self.store.transaction() as tx:
            execution = self._get_execution(tx, executionArn, lock=True)
            if execution["status"] not in ("FAILED", "TIMED_OUT", "ABORTED"):
                raise E.ExecutionNotRedrivable(f"Execution is {execution['status']}: '{executionArn}'")
            self.runtime.engine.redrive(tx, execution)
            redriven = execution["redrive_at"]
        self.store.wake()
        return {"redriveDate": _date(redriven)}

    # -- task tokens ---------------------------------------------------------------------------------

    def _answer(self, token: str, payload: work.WorkEvent) -> dict[str, Any]:
        _check_token(token)
        status = self.runtime.answer_token(token, payload)
        if status == "missing":
            raise E.TaskDoesNotExist("Task Does Not Exist")
        if status == "closed":
            raise E.TaskTimedOut("Task Timed Out: the task is no longer waiting for this token")
        return {}

    def send_task_success(self, *, taskToken: str, output: str) -> dict[str, Any]:
        return self._answer(taskToken, work.succeeded(_parse_payload(output, E.InvalidOutput, "output")))

    def send_task_failure(
        self, *, taskToken: str, error: str | None = None, cause: str | None = None
    ) -> dict[str, Any]:
        return self._answer(taskToken, work.failed(error or "", cause))

    def send_task_heartbeat(self, *, taskToken: str) -> dict[str, Any]:
        _check_token(taskToken)
        with self.store.transaction() as tx:
            row = tx.token(hash_token(taskToken))
            if row is None:
                raise E.TaskDoesNotExist("Task Does Not Exist")
            if row["status"] != "waiting":
                raise E.TaskTimedOut("Task Timed Out")
            tx.set_token(row["hash"], {"heartbeat_at": self.clock()})
        return {}

    def list_waiting_tasks(
        self, *, maxResults: int | None = None, nextToken: str | None = None, executionArn: str | None = None
    ) -> dict[str, Any]:
        """The console's inbox: tasks waiting for a person (of one execution, or all), newest first, without tokens."""
        limit = _limit(maxResults)
        after = _read_page_token(nextToken, float)
        with self.store.transaction() as tx:
            if executionArn is None:
                rows = tx.waiting_tokens(limit + 1, after)
            else:
                rows = tx.execution_waiting_tokens(executionArn, limit + 1, after)
        answer: dict[str, Any] = {"tasks": [_waiting_task(row) for row in rows[:limit]]}
        if len(rows) > limit:
            answer["nextToken"] = _page_token(rows[limit - 1]["created_at"])
        return answer

    def describe_waiting_task(self, *, taskId: str) -> dict[str, Any]:
        """One task of the inbox, by its `taskId`; TaskDoesNotExist once it waits no more."""
        with self.store.transaction(write=False) as tx:
            row = tx.waiting_task(taskId)
        if row is None:
            raise E.TaskDoesNotExist("Task Does Not Exist")
        return _waiting_task(row)

    def decide_task(
        self, *, taskId: str, output: str | None = None, error: str | None = None, cause: str | None = None
    ) -> dict[str, Any]:
        """SendTaskSuccess (with `output`) or SendTaskFailure, addressed by the inbox's task id."""
        if output is not None:
            payload = work.succeeded(_parse_payload(output, E.InvalidOutput, "output"))
        else:
            payload = work.failed(error or "", cause)
        status = self.runtime.answer_task(taskId, payload)
        if status == "missing":
            raise E.TaskDoesNotExist("Task Does Not Exist")
        if status == "closed":
            raise E.TaskTimedOut("Task Timed Out")
        return {}

    # -- activities ----------------------------------------------------------------------------------

    def create_activity(
        self, *, name: str, tags: list[dict[str, str]] | None = None, **_: Any
    ) -> dict[str, Any]:
        arns.validate_name(name)
        arn = arns.activity_arn(self.region, self.account_id, name)
        now = self.clock()
        with self.store.transaction() as tx:
            existing = tx.activity(arn)
            if existing is not None:
                return {"activityArn": arn, "creationDate": _date(existing["created_at"])}
            tx.insert_activity({"arn": arn, "name": name, "created_at": now})
            for key, value in _tags(tags):
                tx.set_tag(arn, key, value)
        return {"activityArn": arn, "creationDate": _date(now)}

    def _get_activity(self, tx: Tx, arn: str) -> ActivityRow:
        arns.parse(arn, "activity")
        row = tx.activity(arn)
        if row is None:
            raise E.ActivityDoesNotExist(f"Activity Does Not Exist: '{arn}'")
        return row

    def describe_activity(self, *, activityArn: str) -> dict[str, Any]:
        with self.store.transaction() as tx:
            row = self._get_activity(tx, activityArn)
        return {"activityArn": row["arn"], "name": row["name"], "creationDate": _date(row["created_at"])}

    def delete_activity(self, *, activityArn: str) -> dict[str, Any]:
        arns.parse(activityArn, "activity")
        with self.store.transaction() as tx:
            tx.delete_activity(activityArn)
        return {}

    def list_activities(
        self, *, maxResults: int | None = None, nextToken: str | None = None
    ) -> dict[str, Any]:
        limit = _limit(maxResults)
        after = _read_page_token(nextToken, str)
        with self.store.transaction() as tx:
            rows = tx.activities(after, limit + 1)
        answer: dict[str, Any] = {
            "activities": [
                {"activityArn": row["arn"], "name": row["name"], "creationDate": _date(row["created_at"])}
                for row in rows[:limit]
            ]
        }
        if len(rows) > limit:
            answer["nextToken"] = _page_token(rows[limit - 1]["name"])
        return answer

    def get_activity_task(
        self, *, activityArn: str, workerName: str | None = None, _poll_seconds: float = ACTIVITY_POLL_SECONDS
    ) -> dict[str, Any]:
        """Long poll (up to 60 s) for a scheduled activity task; `{}` when none came."""
        deadline = time.monotonic() + _poll_seconds
        while True:
            with self.store.transaction() as tx:
                self._get_activity(tx, activityArn)
                answer = self._take_activity_task(tx, activityArn, workerName)
            if answer is not None:
                return answer
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._polling_ended.is_set():
                return {}
            self.store.wait(min(1.0, remaining))

    def _take_activity_task(self, tx: Tx, activity_arn: str, worker: str | None) -> dict[str, Any] | None:
        task = tx.take_activity_task(activity_arn)
        if task is None:
            return None
        found = tx.run_and_execution(task["run_id"], lock=True)
        if found is None or found[1]["status"] != "RUNNING" or found[0]["generation"] != task["task_id"]:
            return None
        execution = found[1]
        token = new_token()
        now = self.clock()
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

    # -- tags ----------------------------------------------------------------------------------------

    def _check_taggable(self, tx: Tx, arn: str) -> None:
        """The tagging actions answer ResourceNotFound for any missing resource (their model's only "not found")."""
        kind, _names = arns.parse(arn)
        find = {"stateMachine": tx.machine, "activity": tx.activity}.get(kind)
        if find is None or find(arn) is None:
            raise E.ResourceNotFound(f"Resource not found: '{arn}'")

    def tag_resource(self, *, resourceArn: str, tags: list[dict[str, str]]) -> dict[str, Any]:
        pairs = _tags(tags)
        with self.store.transaction() as tx:
            self._check_taggable(tx, resourceArn)
            if len({t["key"] for t in tx.tags(resourceArn)} | {key for key, _ in pairs}) > 50:
                raise E.TooManyTags(f"Too many tags on '{resourceArn}' (at most 50)")
            for key, value in pairs:
                tx.set_tag(resourceArn, key, value)
        return {}

    def untag_resource(self, *, resourceArn: str, tagKeys: list[str]) -> dict[str, Any]:
        _tags([{"key": key} for key in tagKeys])
        with self.store.transaction() as tx:
            self._check_taggable(tx, resourceArn)
            for key in tagKeys:
                tx.delete_tag(resourceArn, key)
        return {}

    def list_tags_for_resource(self, *, resourceArn: str) -> dict[str, Any]:
        with self.store.transaction() as tx:
            self._check_taggable(tx, resourceArn)
            return {"tags": tx.tags(resourceArn)}

    # -- mail (Sojourn's outbox and development mailbox; not part of the Step Functions API) -----------

    def list_mail(
        self, *, maxResults: int | None = None, nextToken: str | None = None, to: str | None = None
    ) -> dict[str, Any]:
        """Queued, sent, failed and kept mail, newest first; `to` keeps mail addressed to it (To, Cc or Bcc)."""
        from sojourn.mail.message import bare_address
        from sojourn.mail.outbox import summary

        limit = _limit(maxResults)
        before = _read_page_token(nextToken)
        with self.store.transaction() as tx:
            rows = tx.mail_messages(before, limit + 1, bare_address(to) if to else None)
        answer: dict[str, Any] = {
            "messages": [summary(row, self.settings.smtp_sender) for row in rows[:limit]]
        }
        if len(rows) > limit:
            answer["nextToken"] = _page_token(rows[limit - 1]["seq"])
        return answer

    def get_mail(self, *, messageId: str) -> dict[str, Any]:
        """One message with its bodies; MessageDoesNotExist for an unknown id."""
        from sojourn.mail.outbox import details

        with self.store.transaction() as tx:
            row = tx.mail_message(messageId)
        if row is None:
            raise E.MessageDoesNotExist(f"Message Does Not Exist: '{messageId}'")
        return details(row, self.settings.smtp_sender)

    # -- TestState -----------------------------------------------------------------------------------

    def test_state(
        self,
        *,
        definition: str,
        roleArn: str | None = None,
        input: str | None = None,
        inspectionLevel: str = "INFO",
        revealSecrets: bool = False,
        variables: str | None = None,
        stateName: str | None = None,
        mock: dict[str, Any] | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        from sojourn.asl.interpreter import Env, ExecutionInfo
        from sojourn.asl.teststate import test_state

        if roleArn is not None:
            arns.validate_role_arn(roleArn)
        now = datetime.fromtimestamp(self.clock(), UTC)
        data = _parse_payload(input or "{}", E.InvalidExecutionInput, "input")
        # TestState's variables are JSON input data as much as its input is: the same error, InvalidExecutionInput.
        bound = _parse_payload(variables, E.InvalidExecutionInput, "variables") if variables else None
        if bound is not None and not isinstance(bound, dict):
            raise E.InvalidExecutionInput(
                "Invalid variables: the value must be a JSON object of variable names"
            )
        info = ExecutionInfo(
            execution_arn=arns.execution_arn(self.region, self.account_id, "TestState", "test"),
            name="test",
            input=data,
            start_time=now,
            state_machine_arn=self._machine_arn("TestState"),
            state_machine_name="TestState",
            role_arn=roleArn or arns.role_arn(self.account_id),
        )
        env = Env(now=now, new_task_token=new_token, rng=random.Random())

        def invoke(action: Any) -> Any:
            from sojourn.integrations.base import TaskCall

            call = TaskCall(
                resource=action.resource.arn,
                parameters=action.parameters,
                task_token=action.task_token,
                wait_for_token=action.resource.waits_for_token,
                idempotency_key=f"test-state/{uuid.uuid4()}",
                timeout_seconds=action.timeout_seconds,
                execution_arn=info.execution_arn,
                state_name=action.state_name,
            )
            return self.runtime.invoker(call)

        try:
            return test_state(
                definition,
                data,
                state_name=stateName,
                variables=bound,
                invoke=invoke,
                mock=mock,
                inspection_level=inspectionLevel,
                info=info,
                env=env,
            )
        except DefinitionError as e:
            raise E.InvalidDefinition("; ".join(d.message for d in e.diagnostics)) from None


def nested_execution_name(idempotency_key: str) -> str:
    """A stable name for a child execution, so that re-invoking the starting task finds the same one."""
    return hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
