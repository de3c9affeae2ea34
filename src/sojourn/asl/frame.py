"""The interpreter frame: the whole state of one run, as the JSON object a driver stores.

A run is the top-level machine, a Parallel branch or a Map iteration. Drivers treat a frame as opaque
JSON (it is stored as text); only the interpreter reads and writes its keys. It stays a dict (a TypedDict,
not a dataclass) so that it is stored and loaded with `json` alone, and frames already stored still load.
"""

from __future__ import annotations

from typing import Any, Literal, Required, TypedDict

__all__ = ["ForkProgress", "Frame", "Phase"]

Phase = Literal["task", "wait", "retry", "fork"]


class ForkProgress(TypedDict, total=False):
    """What a Parallel or Map state waiting for its children knows of them (`Frame["fork"]`)."""

    n: Required[int]  # how many children (branches, iterations)
    next: Required[int]  # the index of the next child to start (Map's MaxConcurrency holds some back)
    out: Required[dict[str, Any]]  # finished children's outputs (or `{"Error", "Cause"}`) by str(index)
    failed: Required[int]  # how many children failed
    max: Required[int]  # MaxConcurrency; 0 for no bound
    tc: int | None  # Map's ToleratedFailureCount, None when unset
    tp: float | None  # Map's ToleratedFailurePercentage, None when unset


class Frame(TypedDict, total=False):
    """One run's state between two events (docs/design.md §1)."""

    m: Required[str]  # which machine runs: "" for the top level, else a branch's or an ItemProcessor's key
    state: Required[str | None]  # the current state; None until the run has started
    input: Required[Any]  # the current state's raw input
    vars: Required[dict[str, Any]]  # the variables the run sees (JSONata and JSONPath `Assign`)
    entered: str  # when the current state was entered, ISO 8601 (`$$.State.EnteredTime`)
    entered_id: (
        int  # the id of its StateEntered event (idempotency keys; causes "entered at the event id #n")
    )
    retries: dict[str, int]  # attempts made so far by each Retry rule, by str(index)
    retry_count: int  # attempts made so far in this state (`$$.State.RetryCount`)
    phase: Phase  # what the current state waits for; absent while nothing is awaited
    fork: ForkProgress  # present while a Parallel or Map state waits for its children
    fork_failed: bool  # a child failed the Parallel/Map: its failure is recorded unless it retries
    spent: float  # seconds this run (its children included) spent computing (sojourn.asl.budget)
    done: bool  # the run ended (Finish or Fail); later events are ignored, RedriveExecution clears it
