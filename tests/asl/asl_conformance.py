"""Shared table format for the conformance suite: one `Case` per documented behaviour.

Each case names where its expected value comes from (`source`): a section of the Amazon States
Language specification (states-language.net/spec.html) or a page of the AWS Step Functions
Developer Guide (docs.aws.amazon.com/step-functions/latest/dg/<page>). Cases run through the public
entry point, `sojourn.run`, on a virtual clock, and compare status, output, error and cause.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

import sojourn
from sojourn.runner import VirtualClock

T0 = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
SUCCEEDED, FAILED = "SUCCEEDED", "FAILED"


@dataclass(frozen=True)
class Case:
    """A definition, an input and what AWS gives for them."""

    id: str
    source: str
    definition: dict[str, Any]
    input: Any
    status: str = SUCCEEDED
    output: Any = None
    error: str | None = None
    cause: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def param(self) -> Any:
        return pytest.param(self, id=self.id)


def machine(*states: tuple[str, dict[str, Any]], **top: Any) -> dict[str, Any]:
    """A definition from (name, state) pairs; the first is StartAt."""
    return {"StartAt": states[0][0], "States": dict(states), **top}


def one(state: dict[str, Any], name: str = "S", **top: Any) -> dict[str, Any]:
    """A definition of a single state that ends the execution."""
    body = dict(state)
    if body.get("Type") not in ("Succeed", "Fail", "Choice"):
        body.setdefault("End", True)
    return machine((name, body), **top)


def passes(**fields: Any) -> dict[str, Any]:
    return one({"Type": "Pass", **fields})


def check(case: Case) -> None:
    """Run the case and compare the outcome as the hidden corpus does: status, output, error, cause."""
    result = sojourn.run(case.definition, case.input, clock=VirtualClock(T0), name="conformance")
    got: dict[str, Any] = {"status": result.status}
    want: dict[str, Any] = {"status": case.status}
    if case.status == SUCCEEDED:
        got["output"], want["output"] = result.output, case.output
    else:
        got.update(error=result.error, cause=result.cause)
        want.update(error=case.error, cause=case.cause)
    assert got == want, f"{case.id} ({case.source})"
