"""What a Task hands to an integration (`TaskCall`), and what the process lends it (`Facilities`).

Contract: docs/design.md section 4. Integrations import nothing above them: a nested execution reaches the
executions service through `Facilities.executions`, typed by the `NestedExecutions` protocol.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from sojourn.asl import resources
from sojourn.asl.resources import Resource
from sojourn.config import Settings
from sojourn.connections import TokenCache
from sojourn.directory import Directory
from sojourn.functions.pool import FunctionPool, sojourn_environment
from sojourn.store.base import Store

__all__ = ["Facilities", "NestedExecutions", "TaskCall"]


@dataclass(frozen=True)
class TaskCall:
    """One invocation of a Task's resource. `idempotency_key` is stable across re-invocations after a crash:
    "<execution arn>/<state entered event id>/<attempt>"."""

    resource: str
    parameters: Any
    task_token: str | None = None
    wait_for_token: bool = False
    idempotency_key: str = ""
    timeout_seconds: float | None = None
    execution_arn: str = ""
    state_name: str = ""
    attempt: int = 0
    # Where the runtime answers the task (a nested `.sync` execution ends it there): its run and generation.
    run_id: int | None = None
    generation: int | None = None

    @property
    def target(self) -> Resource:
        """`resource` parsed (sojourn.asl.resources): what it calls and how it waits."""
        return resources.parse(self.resource)


class NestedExecutions(Protocol):
    """What starting a child execution needs of the executions service (`sojourn.backend.executions`)."""

    def start_nested_execution(
        self, *, stateMachineArn: str, input: str | None, name: str | None, parent: dict[str, Any]
    ) -> Mapping[str, Any]: ...

    def describe_nested_execution(self, *, executionArn: str) -> dict[str, Any]: ...


@dataclass
class Facilities:
    """What the process lends its integrations, composed once (`sojourn.backend.system`); tests lend only what
    they need. `functions` is made on first use by `function_pool()` (apps deploy their functions into it)."""

    settings: Settings = field(default_factory=Settings)
    store: Store | None = None
    executions: NestedExecutions | None = None
    clock: Callable[[], float] = time.time
    functions: FunctionPool | None = None
    directory: Directory = field(default_factory=Directory)  # who human tasks are assigned to
    # The HTTP Task's seam (tests lend an httpx transport) and its OAuth tokens, cached until they expire.
    http_transport: httpx.BaseTransport | None = None
    http_tokens: TokenCache = field(default_factory=TokenCache)

    @property
    def region(self) -> str:
        return self.settings.region

    @property
    def account_id(self) -> str:
        return self.settings.account_id

    def function_pool(self) -> FunctionPool:
        """The one pool of this process's functions (Tasks and REST routes share its workers)."""
        if self.functions is None:
            settings = self.settings
            self.functions = FunctionPool(
                region=settings.region,
                account_id=settings.account_id,
                endpoint_url=settings.endpoint_url,
                data_dir=settings.data_dir,
                environment=sojourn_environment(settings),
            )
        return self.functions
