"""Webhooks for Sojourn: a durable outbox of signed JSON POSTs, delivered at least once.

`outbox.enqueue_in(tx, ...)` queues a delivery in the caller's transaction, so an event is queued if and only
if the change that made it commits. A `WebhookDeliverer` in every `sojourn serve` / `sojourn worker` process
POSTs due deliveries, retrying with backoff until they are answered 2xx or too old. Two things use it:
executions' status changes in EventBridge's shape (`events`), to the webhooks of the settings, and human
tasks' notifications (`presets`: JSON, Slack, Teams), to the webhooks a task's `Notify` names.
"""

from sojourn.webhooks.outbox import enqueue, enqueue_in

__all__ = ["enqueue", "enqueue_in"]
