"""Prometheus metrics (`GET /metrics`, docs/observability.md): the process's counters and histograms, and
gauges read from the database at scrape time.

Counters and histograms are the official client's, safe across worker threads; each process (every
`sojourn serve` and `sojourn worker`) counts what it did itself, so Prometheus sums them over instances.
Labels stay few: a state machine's name, a function's name, an API action, a status or error name, never
an execution's name or anything a caller chooses freely. This module imports nothing else of Sojourn's, so
every layer, the store included, may count here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

__all__ = [
    "API_ERRORS",
    "API_REQUESTS",
    "CONTENT_TYPE",
    "DB_TRANSACTION_SECONDS",
    "EXECUTIONS_ENDED",
    "EXECUTIONS_STARTED",
    "FUNCTION_DURATION",
    "FUNCTION_INVOCATIONS",
    "OUTBOX_DELIVERED",
    "OUTBOX_FAILURES",
    "REGISTRY",
    "STATE_TRANSITIONS",
    "TASK_DURATION",
    "TRANSITION_LATENCY",
    "WORKER_HEARTBEAT",
    "WORK_PROCESSED",
    "StoreGauges",
    "count_delivery",
    "machine_name",
    "render",
]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

REGISTRY = CollectorRegistry()  # this process's own: the client's default one also holds its demo metrics

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

EXECUTIONS_STARTED = Counter(
    "sojourn_executions_started",
    "Executions started (StartExecution, StartSyncExecution, nested starts) by state machine.",
    ["state_machine"],
    registry=REGISTRY,
)
EXECUTIONS_ENDED = Counter(
    "sojourn_executions_ended",
    "Executions ended by state machine and status (SUCCEEDED, FAILED, TIMED_OUT, ABORTED).",
    ["state_machine", "status"],
    registry=REGISTRY,
)
STATE_TRANSITIONS = Counter(
    "sojourn_state_transitions",
    "States entered, by state machine (AWS's StateTransition).",
    ["state_machine"],
    registry=REGISTRY,
)
TRANSITION_LATENCY = Histogram(
    "sojourn_transition_latency_seconds",
    "From the moment a work item fell due to the commit of its transition (queueing and applying).",
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
TASK_DURATION = Histogram(
    "sojourn_task_duration_seconds",
    "How long a Task's integration call took, by resource type (lambda, http, sojourn, states...).",
    ["resource_type"],
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
WORK_PROCESSED = Counter(
    "sojourn_work_items_processed", "Work items a worker of this process took.", registry=REGISTRY
)
WORKER_HEARTBEAT = Gauge(
    "sojourn_worker_heartbeat_timestamp_seconds",
    "When a worker loop of this process last polled for work (Unix time); absent without workers.",
    registry=REGISTRY,
)
FUNCTION_INVOCATIONS = Counter(
    "sojourn_function_invocations",
    "Function invocations by function and outcome (succeeded, failed, timed_out, crashed).",
    ["function", "status"],
    registry=REGISTRY,
)
FUNCTION_DURATION = Histogram(
    "sojourn_function_duration_seconds",
    "Function invocation duration by function.",
    ["function"],
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
API_REQUESTS = Counter(
    "sojourn_api_requests",
    "Step Functions API requests by action (Sojourn's own as Sojourn.<Action>).",
    ["action"],
    registry=REGISTRY,
)
API_ERRORS = Counter(
    "sojourn_api_errors",
    "Step Functions API requests answered with an error, by action and error type (the __type).",
    ["action", "error_type"],
    registry=REGISTRY,
)
DB_TRANSACTION_SECONDS = Histogram(
    "sojourn_db_transaction_seconds",
    "Database transactions from begin to commit or rollback, by mode (read, write).",
    ["mode"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0),
    registry=REGISTRY,
)
OUTBOX_DELIVERED = Counter(
    "sojourn_outbox_delivered",
    "Outbox items delivered by this process (outbox: mail, webhook).",
    ["outbox"],
    registry=REGISTRY,
)
OUTBOX_FAILURES = Counter(
    "sojourn_outbox_failures",
    "Outbox delivery attempts that failed (outbox: mail, webhook; final: true once given up).",
    ["outbox", "final"],
    registry=REGISTRY,
)


def count_delivery(outbox: str, delivered: bool, final: bool) -> None:
    """Count one delivery attempt of an outbox (mail, webhook): delivered, or failed (`final`: given up)."""
    if delivered:
        OUTBOX_DELIVERED.labels(outbox).inc()
    else:
        OUTBOX_FAILURES.labels(outbox, "true" if final else "false").inc()


def machine_name(machine_arn: str) -> str:
    """The state machine's name, a label value (`arn:aws:states:r:a:stateMachine:<name>[:version]`)."""
    parts = machine_arn.split(":")
    return parts[6] if len(parts) > 6 else machine_arn


# The gauges read at scrape time: name -> (help, the key of `store gauges` it shows)
_GAUGES: dict[str, tuple[str, str]] = {
    "sojourn_work_items_due": ("Work items due now and not leased (events, tasks, timers).", "work_due"),
    "sojourn_work_items_overdue": (
        "Work items due for more than a minute: no worker is taking them.",
        "work_overdue",
    ),
    "sojourn_work_oldest_due_age_seconds": (
        "How long the oldest due work item has waited.",
        "work_oldest_age",
    ),
    "sojourn_task_tokens_open": ("Task tokens waiting for SendTaskSuccess/Failure.", "tokens_open"),
    "sojourn_task_token_oldest_age_seconds": ("Age of the oldest waiting task token.", "tokens_oldest_age"),
    "sojourn_human_tasks_open": ("Human tasks waiting for people.", "human_open"),
    "sojourn_human_task_oldest_age_seconds": ("Age of the oldest open human task.", "human_oldest_age"),
    "sojourn_human_tasks_overdue": (
        "Open human tasks whose reminder, escalation or expiry fell due over a minute ago.",
        "human_overdue",
    ),
    "sojourn_mail_outbox_pending": ("Mail waiting to be sent (PENDING).", "mail_pending"),
    "sojourn_mail_outbox_overdue_seconds": (
        "How long the pending mail most behind has been due (0: none is late).",
        "mail_overdue",
    ),
    "sojourn_webhook_outbox_pending": ("Webhook deliveries waiting (PENDING).", "webhook_pending"),
    "sojourn_webhook_outbox_overdue_seconds": (
        "How long the pending webhook delivery most behind has been due (0: none is late).",
        "webhook_overdue",
    ),
}


class StoreGauges(Collector):
    """The database's gauges, read when scraped: `read()` gives the store's counts (`Tx.observed_gauges`)."""

    def __init__(self, read: Callable[[], Mapping[str, float]]):
        self.read = read

    def collect(self) -> Iterator[GaugeMetricFamily]:
        values = self.read()
        for name, (help_text, key) in _GAUGES.items():
            yield GaugeMetricFamily(name, help_text, value=float(values.get(key, 0.0)))


def render(*collectors: Collector) -> bytes:
    """The text exposition of this process's metrics followed by `collectors`' (the store's gauges)."""
    extra = CollectorRegistry(auto_describe=False)
    for collector in collectors:
        extra.register(collector)
    return bytes(generate_latest(REGISTRY) + generate_latest(extra))
