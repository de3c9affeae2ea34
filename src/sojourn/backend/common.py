"""What the backend's services share: their `Context`, and AWS's rules for pages, payloads, tags and
descriptions."""

from __future__ import annotations

import base64
import json
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sojourn import arns, jsontext
from sojourn import errors as E
from sojourn.config import Settings
from sojourn.runtime.worker import Workers
from sojourn.store.base import Store, Tx
from sojourn.store.rows import ExecutionRow, MachineRow

__all__ = [
    "EVENT_ID_MAX",
    "MAX_PAYLOAD",
    "Context",
    "date",
    "description",
    "limit",
    "page_token",
    "parse_payload",
    "read_page_token",
    "refuse_express",
    "tags",
]

MAX_PAYLOAD = 256 * 1024
# The largest row id a page token may name: events' ids are 32-bit in PostgreSQL, the others 64-bit.
EVENT_ID_MAX = 2**31 - 1
ROW_ID_MAX = 2**63 - 1


@dataclass
class Context:
    """The parts of the process every service works with (composed once, in `sojourn.backend.system`)."""

    settings: Settings
    store: Store
    workers: Workers
    clock: Callable[[], float]
    region: str
    account_id: str
    polling_ended: threading.Event = field(default_factory=threading.Event)  # set when the process stops

    def machine_arn(self, name: str, qualifier: str | None = None) -> str:
        return arns.state_machine_arn(self.region, self.account_id, name, qualifier)

    def get_machine(
        self, tx: Tx, arn: str, missing: type[E.SojournAPIError] = E.StateMachineDoesNotExist
    ) -> MachineRow:
        """The machine of an unqualified ARN; `missing` (the action's model names it) when there is none."""
        arns.parse(arn, "stateMachine")
        machine = tx.machine(arn)
        if machine is None:
            raise missing(f"State Machine Does Not Exist: '{arn}'")
        return machine

    def get_execution(self, tx: Tx, arn: str, lock: bool = False) -> ExecutionRow:
        arns.parse(arn, ("execution", "express"))
        execution = tx.execution(arn, lock=lock)
        if execution is None:
            raise E.ExecutionDoesNotExist(f"Execution Does Not Exist: '{arn}'")
        return execution


def refuse_express(arn: str) -> None:
    """AWS keeps no Express execution to describe, stop or read the history of: InvalidArn, in its words
    (recorded by LocalStack's test_sfn_api_express snapshot)."""
    if isinstance(arn, str) and arn.split(":")[5:6] == ["express"]:
        raise E.InvalidArn("Invalid Arn: 'Resource type not valid in this context: express'")


def date(epoch: float | None) -> datetime | None:
    return datetime.fromtimestamp(epoch, UTC) if epoch is not None else None


def page_token(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


def read_page_token(token: str | None, kind: type = int, maximum: int = ROW_ID_MAX) -> Any:
    """The position a `page_token` holds: an int in 0..`maximum`, a float, or a name (`kind=str`).

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


def limit(max_results: int | None, default: int = 100) -> int:
    return default if not max_results else max(1, min(int(max_results), 1000))


def parse_payload(text: str, error: type[E.SojournAPIError], what: str) -> Any:
    """The JSON document of a payload (input, output, variables) within AWS's size limit;
    `error` otherwise."""
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


def tags(given: list[dict[str, str]] | None) -> list[tuple[str, str]]:
    """(key, value) of each tag; the model leaves `key` optional and its characters free, AWS does not."""
    pairs = []
    for index, tag in enumerate(given or [], 1):
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


def description(text: str | None) -> str | None:
    """A description kept as it is given; NUL, which PostgreSQL's text cannot hold, is refused
    (Sojourn's rule)."""
    if text is not None and "\x00" in text:
        raise E.ValidationException(
            "Value at 'description' failed to satisfy constraint: Member must not contain NUL characters"
        )
    return text
