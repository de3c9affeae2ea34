"""What every integration receives: the task call (`TaskCall`) and the services it may use (`Services`).

Contract: docs/design.md section 4. Integrations never import the API; they reach Sojourn through
`Services.client` (a `sojourn.Client`, boto3-shaped).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class TaskCall:
    """One attempt of a Task state, as the runtime hands it to an integration."""

    resource: str
    parameters: Any
    task_token: str | None = None
    wait_for_token: bool = False
    # "<execution arn>/<state entered event id>/<attempt>": the same key means the same attempt.
    idempotency_key: str = ""
    timeout_seconds: float | None = None
    execution_arn: str = ""
    state_name: str = ""


@dataclass(frozen=True)
class Services:
    """What integrations may use; each field is optional so tests pass only what they need."""

    settings: Any = None
    client: Any = None
    functions: Any = None  # sojourn.integrations.functions.FunctionPool
    mailer: Any = None  # the email engineer's outbox/mailer
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def region(self) -> str:
        return getattr(self.settings, "region", None) or "us-east-1"

    @property
    def account_id(self) -> str:
        return getattr(self.settings, "account_id", None) or "123456789012"
