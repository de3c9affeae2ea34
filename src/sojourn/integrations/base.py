"""What a Task hands to an integration (`TaskCall`), and what the runtime lends it (`Services`).

Contract: docs/design.md section 4. Integrations never import the API; they reach Sojourn through
`Services.client` (a `sojourn.Client`, boto3-shaped).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sojourn import arns
from sojourn.asl import resources
from sojourn.asl.resources import Resource

__all__ = ["Services", "TaskCall"]


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

    @property
    def target(self) -> Resource:
        """`resource` parsed (sojourn.asl.resources): what it calls and how it waits."""
        return resources.parse(self.resource)


@dataclass
class Services:
    """The runtime's parts an integration may use; each optional so tests lend only what they need."""

    settings: Any = None  # sojourn.config.Settings
    client: Any = None  # sojourn.Client
    functions: Any = None  # sojourn.functions.FunctionPool
    store: Any = None  # sojourn.store.base.Store
    mailer: Any = None  # the email integration's outbox / mailer

    @property
    def region(self) -> str:
        return getattr(self.settings, "region", None) or arns.DEFAULT_REGION

    @property
    def account_id(self) -> str:
        return getattr(self.settings, "account_id", None) or arns.DEFAULT_ACCOUNT
