"""`sojourn.Client`: boto3's `stepfunctions` client over Sojourn's durable runtime (design.md section 3).

Same method names, keyword arguments and return shapes as boto3 (dates are aware datetimes); errors are
`sojourn.errors.<AWS __type>`. The HTTP layer, the CLI and tests all go through this class. It is a facade and
holds no logic: each action is the method of the same name of one of the backend's services
(`sojourn.backend`), composed by `sojourn.backend.System`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, overload

from sojourn.backend import System
from sojourn.backend.activities import Activities
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
from sojourn.runtime.worker import Workers
from sojourn.store.base import Store

__all__ = ["Client"]

P = ParamSpec("P")
R = TypeVar("R")
S = TypeVar("S")


class _Action(Generic[S, P, R]):
    """`Client.<action>` is `<service>.<action>` of the client's system,
    with the service method's signature."""

    def __init__(self, service: str, method: Callable[Concatenate[S, P], R]):
        self.service, self.name = service, method.__name__

    @overload
    def __get__(self, client: None, owner: type) -> _Action[S, P, R]: ...
    @overload
    def __get__(self, client: Client, owner: type) -> Callable[P, R]: ...
    def __get__(self, client: Client | None, owner: type) -> _Action[S, P, R] | Callable[P, R]:
        if client is None:
            return self
        method: Callable[P, R] = getattr(getattr(client.system, self.service), self.name)
        return method


class Client:
    """A Step Functions client backed by Sojourn's store. `close()` stops its workers."""

    def __init__(self, db_url: str | None = None, *, start: bool = True, **options: Any):
        """A client of the database at `db_url` (default: the settings' `db_url`); `options` are
        `System`'s (settings, store, region, account_id, clock, invoker, resources, facilities, workers).
        With `start`, its workers start now, unless there are none (`workers=0`)."""
        self.system = System(db_url, **options)
        if start and self.workers.workers > 0:
            self.system.start()

    # -- the process ---------------------------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        return self.system.settings

    @property
    def store(self) -> Store:
        return self.system.store

    @property
    def clock(self) -> Callable[[], float]:
        return self.system.clock

    @property
    def facilities(self) -> Facilities:
        return self.system.facilities

    @property
    def workers(self) -> Workers:
        return self.system.workers

    @property
    def region(self) -> str:
        return self.system.ctx.region

    @property
    def account_id(self) -> str:
        return self.system.ctx.account_id

    def start(self) -> None:
        """Start the workers of a client made with `start=False` (a server starts them in its lifespan).

        With `workers=0` no thread polls for work, but tasks that this process's API calls set off
        (SendTaskSuccess leading to the next Task) still run here at once instead of waiting for a lease.
        """
        self.system.start()

    def stop_polling(self) -> None:
        """End long polls (GetActivityTask) now, answering no task: the process is shutting down."""
        self.system.stop_polling()

    def close(self, timeout: float = 5.0) -> None:
        """Stop the workers (each finishes what it holds within `timeout` seconds) and release the store."""
        self.system.close(timeout)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run_until_idle(self) -> int:
        """Drive due work inline (when the client was made with `start=False`); returns items processed."""
        return self.workers.run_until_idle()

    # -- state machines ------------------------------------------------------------------------------
    create_state_machine = _Action("machines", StateMachines.create_state_machine)
    describe_state_machine = _Action("machines", StateMachines.describe_state_machine)
    update_state_machine = _Action("machines", StateMachines.update_state_machine)
    list_state_machines = _Action("machines", StateMachines.list_state_machines)
    delete_state_machine = _Action("machines", StateMachines.delete_state_machine)
    describe_state_machine_for_execution = _Action(
        "machines", StateMachines.describe_state_machine_for_execution
    )
    validate_state_machine_definition = _Action("machines", StateMachines.validate_state_machine_definition)

    # -- versions and aliases ------------------------------------------------------------------------
    publish_state_machine_version = _Action("versions", Versions.publish_state_machine_version)
    list_state_machine_versions = _Action("versions", Versions.list_state_machine_versions)
    delete_state_machine_version = _Action("versions", Versions.delete_state_machine_version)
    create_state_machine_alias = _Action("versions", Versions.create_state_machine_alias)
    describe_state_machine_alias = _Action("versions", Versions.describe_state_machine_alias)
    update_state_machine_alias = _Action("versions", Versions.update_state_machine_alias)
    delete_state_machine_alias = _Action("versions", Versions.delete_state_machine_alias)
    list_state_machine_aliases = _Action("versions", Versions.list_state_machine_aliases)

    # -- executions ----------------------------------------------------------------------------------
    start_execution = _Action("executions", Executions.start_execution)
    start_executions = _Action("executions", Executions.start_executions)
    start_sync_execution = _Action("executions", Executions.start_sync_execution)
    wait_for_execution = _Action("executions", Executions.wait_for_execution)
    stop_execution = _Action("executions", Executions.stop_execution)
    describe_execution = _Action("executions", Executions.describe_execution)
    list_executions = _Action("executions", Executions.list_executions)
    search_executions = _Action("executions", Executions.search_executions)
    get_execution_history = _Action("executions", Executions.get_execution_history)
    redrive_execution = _Action("executions", Executions.redrive_execution)

    # -- task tokens and the inbox -------------------------------------------------------------------
    send_task_success = _Action("tasks", Tasks.send_task_success)
    send_task_failure = _Action("tasks", Tasks.send_task_failure)
    send_task_heartbeat = _Action("tasks", Tasks.send_task_heartbeat)
    list_waiting_tasks = _Action("tasks", Tasks.list_waiting_tasks)
    describe_waiting_task = _Action("tasks", Tasks.describe_waiting_task)
    decide_task = _Action("tasks", Tasks.decide_task)

    # -- activities ----------------------------------------------------------------------------------
    create_activity = _Action("activities", Activities.create_activity)
    describe_activity = _Action("activities", Activities.describe_activity)
    delete_activity = _Action("activities", Activities.delete_activity)
    list_activities = _Action("activities", Activities.list_activities)
    get_activity_task = _Action("activities", Activities.get_activity_task)

    # -- tags ----------------------------------------------------------------------------------------
    tag_resource = _Action("tags", Tags.tag_resource)
    untag_resource = _Action("tags", Tags.untag_resource)
    list_tags_for_resource = _Action("tags", Tags.list_tags_for_resource)

    # -- Sojourn's own: the mailbox and TestState ----------------------------------------------------
    list_mail = _Action("mailbox", Mailbox.list_mail)
    get_mail = _Action("mailbox", Mailbox.get_mail)
    test_state = _Action("test_states", TestStates.test_state)

    # -- Sojourn's own: human tasks ------------------------------------------------------------------
    list_human_tasks = _Action("human_tasks", HumanTasks.list_human_tasks)
    describe_human_task = _Action("human_tasks", HumanTasks.describe_human_task)
    list_human_task_events = _Action("human_tasks", HumanTasks.list_human_task_events)
    decide_human_task = _Action("human_tasks", HumanTasks.decide_human_task)
    reassign_human_task = _Action("human_tasks", HumanTasks.reassign_human_task)
    cancel_human_task = _Action("human_tasks", HumanTasks.cancel_human_task)
    list_schedules = _Action("schedules", Schedules.list_schedules)
    update_schedule = _Action("schedules", Schedules.update_schedule)
    describe_human_task_link = _Action("human_tasks", HumanTasks.describe_human_task_link)
    decide_human_task_link = _Action("human_tasks", HumanTasks.decide_human_task_link)

    # -- Sojourn's own: the approver portal's sign-in ------------------------------------------------
    request_portal_sign_in = _Action("portal", Portal.request_portal_sign_in)
    describe_portal_sign_in = _Action("portal", Portal.describe_portal_sign_in)
    start_portal_session = _Action("portal", Portal.start_portal_session)
    check_portal_session = _Action("portal", Portal.check_portal_session)
    end_portal_session = _Action("portal", Portal.end_portal_session)
