"""The composition root: one process's Sojourn is wired here and nowhere else.

`System` opens the store, lends the integrations their `Facilities`, builds the workers (`sojourn.runtime`)
and the backend's services over one shared `Context`. `sojourn.Client` is the boto3-shaped facade over a
System; `sojourn serve` and `sojourn worker` add the HTTP app, the apps' functions and mail delivery on top.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from sojourn.asl.budget import Limits
from sojourn.backend.activities import Activities
from sojourn.backend.common import Context
from sojourn.backend.executions import Executions
from sojourn.backend.humantasks import HumanTasks
from sojourn.backend.machines import StateMachines
from sojourn.backend.mailbox import Mailbox
from sojourn.backend.portal import Portal
from sojourn.backend.schedules import Schedules
from sojourn.backend.tags import Tags
from sojourn.backend.tasks import Tasks
from sojourn.backend.teststate import TestStates
from sojourn.backend.versions import Versions
from sojourn.config import Settings
from sojourn.integrations.base import Facilities
from sojourn.runtime.worker import Invoker, Workers, integration_invoker, resources_invoker
from sojourn.store.base import Store, open_store
from sojourn.webhooks import events

__all__ = ["System"]


class System:
    """The store, the workers and the services of one process; `start()`, then `close()` at the end.

    `resources` answers Task resources by callables (`{arn: callable(parameters)}`) before the integrations;
    `invoker` replaces the integrations altogether. `workers=0` polls for nothing, yet a started system still
    runs the tasks its own API calls set off.
    """

    def __init__(
        self,
        db_url: str | None = None,
        *,
        settings: Settings | None = None,
        store: Store | None = None,
        region: str | None = None,
        account_id: str | None = None,
        clock: Callable[[], float] | None = None,
        invoker: Invoker | None = None,
        resources: Mapping[str, Callable[..., Any]] | None = None,
        facilities: Facilities | None = None,
        workers: int | None = None,
    ):
        self.settings = settings = settings or Settings()
        self.owns_store = store is None
        self.store = store or open_store(db_url or settings.db_url)
        self.clock = clock or time.time
        self.facilities = facilities or Facilities(settings=settings)
        self.facilities.store = self.store
        self.facilities.clock = self.clock
        if resources is not None:
            invoker = resources_invoker(resources, invoker or integration_invoker(self.facilities))
        self.workers = Workers(
            self.store,
            clock=self.clock,
            invoker=invoker,
            facilities=self.facilities,
            workers=settings.workers if workers is None else workers,
            limits=Limits(step_seconds=settings.expression_timeout),
        )
        # the webhooks of the settings hear of status changes and human task events in their transactions
        self.workers.engine.status_listener = events.status_listener(settings)
        self.store.human_task_listener = events.human_task_listener(settings)
        self.ctx = Context(
            settings=settings,
            store=self.store,
            workers=self.workers,
            clock=self.clock,
            region=region or settings.region,
            account_id=account_id or settings.account_id,
        )
        self.machines = StateMachines(self.ctx)
        self.versions = Versions(self.ctx)
        self.executions = Executions(self.ctx)
        self.tasks = Tasks(self.ctx)
        self.activities = Activities(self.ctx)
        self.tags = Tags(self.ctx)
        self.mailbox = Mailbox(self.ctx)
        self.test_states = TestStates(self.ctx)
        self.human_tasks = HumanTasks(self.ctx, self.facilities.directory)
        self.portal = Portal(self.ctx, self.facilities.directory)
        self.schedules = Schedules(self.ctx)
        self.facilities.executions = self.executions  # a Task's nested execution starts through the service
        self.workers.start_scheduled = self.executions.start_scheduled_execution  # a due schedule's start
        self._closed = False

    def start(self) -> None:
        """Start the workers (once; a server starts them in its lifespan)."""
        if not self.workers.running:
            self.workers.start()

    def stop_polling(self) -> None:
        """End long polls (GetActivityTask) now, answering no task: the process is shutting down."""
        self.ctx.polling_ended.set()
        self.store.wake()

    def close(self, timeout: float = 5.0) -> None:
        """Stop the workers (each finishes what it holds within `timeout` seconds) and release the store.

        Workers that never started hand the leases this process's calls took to the processes serving the
        database (the CLI on `--db`)."""
        if self._closed:
            return
        self._closed = True
        self.stop_polling()
        if self.workers.running:
            self.workers.stop(timeout)
        else:
            self.workers.release()
        if self.owns_store:
            self.store.close()
