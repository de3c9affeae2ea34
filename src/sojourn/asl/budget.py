"""What evaluating a user's expressions may spend: time, nesting depth and memory.

A definition is code from whoever may call CreateStateMachine; an expression that never ends, nests
without end or builds gigabytes must fail its state, never stall the worker, the server or the other
executions. AWS bounds JSONata evaluation and fails the state with States.QueryEvaluationError; its
bounds, bisected against AWS with TestState by floci (github.com/floci-io/floci issue 2737):

- nesting depth about 100 ("Stack overflow error: ..."), jsonata-js's timebox counting;
- about 6,990,256 bytes held: `[1..873782]` accepted, `[1..873783]` refused, a string of 2^22
  characters accepted and 2^23 refused ("Expression evaluation memory limit exceeded: ...").
  Sojourn counts 8 bytes an array item and 1 a character of each value an expression produces.

The time bounds are Sojourn's own (AWS does not publish one): every expression of one step shares
`Limits.step_seconds`, and all the steps of one run share `Limits.run_seconds`, so a Retry loop of
costly expressions ends too. A step over its time fails its state with States.QueryEvaluationError;
a run over its total fails with States.Runtime. `spend()` opens a step's budget on this thread.

A caller that holds something others wait for while a step runs (the engine, inside a write transaction)
passes `defer_after`: a step still computing after that many seconds stops with `Deferred`, not a failure,
and the caller computes it again where it holds nothing (sojourn.runtime.engine's slow lane).
"""

from __future__ import annotations

import contextlib
import ctypes
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

__all__ = [
    "DEFAULT_LIMITS",
    "DEPTH_EXCEEDED",
    "MEMORY_EXCEEDED",
    "TIMED_OUT",
    "Budget",
    "Deferred",
    "Exceeded",
    "Limits",
    "current",
    "expression",
    "guarded",
    "spend",
]

DEPTH_EXCEEDED = (
    "Stack overflow error: Check for non-terminating recursive function. "
    "Consider rewriting as tail-recursive."
)
MEMORY_EXCEEDED = "Expression evaluation memory limit exceeded: Check for excessive memory usage"
TIMED_OUT = "Expression evaluation timeout: Check for infinite loop"


@dataclass(frozen=True)
class Limits:
    """The bounds on evaluating expressions (AWS's depth and memory; Sojourn's time)."""

    step_seconds: float = 1.0
    run_seconds: float = 60.0
    depth: int = 100
    memory_bytes: int = 6_990_256


class Exceeded(BaseException):
    """An expression went past a bound; `message` is what the state's cause says.

    A BaseException, so that no `except Exception` inside the expression library swallows it.
    """

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Deferred(BaseException):
    """A step ran past its caller's `defer_after`: not a failure; the caller computes it again elsewhere.

    A BaseException like `Exceeded`, and raised out of `Interpreter.advance`, which catches no other.
    """


class Budget:
    """One step's allowance: a deadline on a monotonic meter, and the depth of the expression running now."""

    def __init__(
        self,
        limits: Limits,
        seconds: float,
        meter: Callable[[], float] = time.perf_counter,
        defer_after: float | None = None,
    ):
        self.limits = limits
        self.meter = meter
        self.started = meter()
        self.deadline = self.started + seconds
        # the step is handed back (Deferred) at `defer_at`, when that comes before its deadline
        self.defer_at = (
            self.started + defer_after if defer_after is not None and defer_after < seconds else None
        )
        self.seconds = seconds
        self.depth = 0
        self.large: set[int] = set()  # ids of the large values this expression made
        self.large_bytes = 0

    def remaining(self) -> float:
        """Seconds left before the deadline or the deferral, whichever comes first (0 when past it)."""
        end = self.deadline if self.defer_at is None else self.defer_at
        return max(0.0, end - self.meter())

    def spent(self) -> float:
        return self.meter() - self.started

    def check_time(self) -> None:
        if self.meter() > (self.deadline if self.defer_at is None else self.defer_at):
            raise self.expired()

    def expired(self) -> BaseException:
        """What a step out of time raises: `Deferred` before the deadline when deferring, else `Exceeded`."""
        if self.defer_at is not None and self.meter() < self.deadline:
            return Deferred()
        return Exceeded(TIMED_OUT)

    def enter(self) -> None:
        """An expression node begins: one level deeper, and the clock is read."""
        self.depth += 1
        if self.depth > self.limits.depth:
            raise Exceeded(DEPTH_EXCEEDED)
        self.check_time()

    def leave(self, value: object, items: int | None = None) -> None:
        """An expression node produced `value` (`items` long when its `len` would not say): refuse it when
        it alone is past the memory bound."""
        self.depth -= 1
        if isinstance(value, str):
            size = len(value)
        elif isinstance(value, (list, dict)):
            size = 8 * (len(value) if items is None else items)
        else:
            return
        if size > self.limits.memory_bytes:
            raise Exceeded(MEMORY_EXCEEDED)
        if size >= LARGE_VALUE and id(value) not in self.large:
            # Each value may be within the bound while many together are not: the large ones one
            # expression makes are counted once each, against a multiple of the bound.
            self.large.add(id(value))
            self.large_bytes += size
            if self.large_bytes > LARGE_TOTAL_FACTOR * self.limits.memory_bytes:
                raise Exceeded(MEMORY_EXCEEDED)

    def allow(self, size: int) -> None:
        """Refuse, before allocating it, a value of `size` bytes past the memory bound (ranges, padding)."""
        if size > self.limits.memory_bytes:
            raise Exceeded(MEMORY_EXCEEDED)


_local = threading.local()
DEFAULT_LIMITS = Limits()
LARGE_VALUE = 1 << 20
LARGE_TOTAL_FACTOR = 16


def current() -> Budget:
    """The budget of the step running on this thread (call only inside `spend` or `expression`)."""
    budget: Budget = _local.budget
    return budget


def expression() -> contextlib.AbstractContextManager[Budget]:
    """The budget one expression evaluates within: its step's, or outside a step one of its own."""
    budget: Budget | None = getattr(_local, "budget", None)
    if budget is None:
        return spend(DEFAULT_LIMITS, DEFAULT_LIMITS.step_seconds)
    return contextlib.nullcontext(budget)


@contextlib.contextmanager
def spend(
    limits: Limits,
    seconds: float,
    meter: Callable[[], float] = time.perf_counter,
    defer_after: float | None = None,
) -> Iterator[Budget]:
    """Run a step's expressions within `seconds` (and `limits`' depth and memory) on this thread; past
    `defer_after` seconds, if given, they stop with `Deferred`."""
    outer = getattr(_local, "budget", None)
    budget = Budget(limits, seconds, meter, defer_after)
    _local.budget = budget
    try:
        yield budget
    finally:
        _local.budget = outer


# -- the watchdog --------------------------------------------------------------------------------------
#
# The checks above run between expression nodes. A library function that loops in Python for a long
# time between two nodes (a `$replace` over millions of matches, say) is stopped by the watchdog: past
# its deadline plus GRACE, the thread still evaluating is sent an exception (CPython raises it at the
# thread's next bytecode). A call that stays in C for long cannot be interrupted; the functions that
# could (regular expressions, padding, ranges) are bounded before they start (sojourn.asl.jsonata).

GRACE = 0.25
DEFER_GRACE = 0.02  # a step to defer is cheap to compute again: the watchdog steps in sooner


class _Interrupted(BaseException):
    """Sent by the watchdog to a thread whose expression ran past its deadline."""


class _Watch:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.active: dict[int, float] = {}  # thread id -> deadline (perf_counter) of the expression running
        self.fired: set[int] = set()
        self.thread: threading.Thread | None = None
        self.wake = threading.Event()

    def begin(self, deadline: float) -> None:
        """Watch this thread until `end`: past `deadline` (its grace included) it is interrupted."""
        ident = threading.get_ident()
        with self.lock:
            self.active[ident] = deadline
            if self.thread is None:
                self.thread = threading.Thread(
                    target=self._run, name="sojourn-expression-watchdog", daemon=True
                )
                self.thread.start()
        self.wake.set()

    def end(self) -> None:
        """Leave the evaluation; an exception the watchdog sent and this thread has not yet raised
        is cleared."""
        ident = threading.get_ident()
        with self.lock:
            self.active.pop(ident, None)
            if ident in self.fired:
                self.fired.discard(ident)
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), None)

    def _run(self) -> None:
        while True:
            with self.lock:
                now = time.perf_counter()
                for ident, deadline in self.active.items():
                    if now > deadline and ident not in self.fired:
                        self.fired.add(ident)
                        ctypes.pythonapi.PyThreadState_SetAsyncExc(
                            ctypes.c_ulong(ident), ctypes.py_object(_Interrupted)
                        )
                waiting = bool(self.active)
            if not waiting:
                self.wake.wait()
                self.wake.clear()
            else:
                time.sleep(0.05)


_watch = _Watch()


def guarded(budget: Budget, evaluate: Callable[[], object]) -> object:
    """Call `evaluate` (one expression) within `budget`'s deadline, interrupting it when it overstays."""
    grace = GRACE if budget.defer_at is None else DEFER_GRACE
    _watch.begin(time.perf_counter() + budget.remaining() + grace)
    try:
        try:
            return evaluate()
        finally:
            _watch.end()
    except _Interrupted:
        # Delivered inside `evaluate` or before `end` took the lock: leave again (it fires once only).
        _watch.end()
        raise budget.expired() from None
