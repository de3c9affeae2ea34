"""Human tasks: `arn:aws:states:::sojourn:humanTask.waitForTaskToken` (ours; sojourn.asl.humantask says what
the arguments declare). The task is recorded with a link for each person asked and their emails queued, in
one transaction; the execution then waits for the token, which the task answers with its decision
(sojourn.backend.humantasks). The token itself is never stored: the task is found by the token's hash.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from sojourn.asl.errors import StatesError
from sojourn.asl.humantask import HumanTaskSpec, SpecError, read
from sojourn.asl.interpreter import DEFAULT_TASK_TIMEOUT
from sojourn.directory import DirectoryError
from sojourn.humantasks import tasks
from sojourn.integrations.base import Facilities, TaskCall
from sojourn.tokens import hash_token

__all__ = ["INVALID", "NO_ASSIGNEE", "invoke"]

INVALID = "Sojourn.InvalidHumanTask"  # arguments that evaluate to no valid task
NO_ASSIGNEE = "Sojourn.NoEligibleAssignee"  # everyone asked is the requester


def invoke(call: TaskCall, facilities: Facilities) -> Any:
    """Create the task the arguments declare, unless this token's task exists already (a re-invocation)."""
    try:
        spec = read(call.parameters)
    except SpecError as e:
        raise StatesError(INVALID, f"The human task of state '{call.state_name}' is not valid: {e}") from None
    if not call.task_token or facilities.store is None:
        raise StatesError("States.Runtime", "A human task needs a task token and the store")
    now = facilities.clock()
    directory = facilities.directory
    try:
        asked = directory.resolve(spec.assignees, _dt.datetime.fromtimestamp(now, _dt.UTC).date())
    except DirectoryError as e:
        raise StatesError(INVALID, str(e)) from None
    eligible = [
        a for a in asked if not tasks.is_requester(spec.requester, a.person.id, a.person.email, directory)
    ]
    if not eligible:
        raise StatesError(NO_ASSIGNEE, "Every assignee of the task is its requester, who may not decide it")
    needed = spec.quorum.at_least
    if needed is not None and needed > len(eligible):
        raise StatesError(INVALID, f"The task's Quorum asks for {needed} decisions of {len(eligible)} people")
    if call.run_id is None or call.generation is None:
        raise StatesError("States.Runtime", "A human task needs the run that waits for it")
    webhooks = _webhooks(spec, facilities, call.state_name)
    token_hash = hash_token(call.task_token)
    with facilities.store.transaction() as tx:
        before = tx.human_task_for_step(call.idempotency_key) if call.idempotency_key else None
        if before is not None:  # invoked again (a worker died after making it): same task, same links
            tx.set_human_task(before["id"], {"token_hash": token_hash})
            return {}
        execution = tx.execution(call.execution_arn)
        if execution is None:
            raise StatesError("States.Runtime", f"The execution {call.execution_arn} is gone")
        step = tasks.Step(
            token_hash, execution["id"], call.run_id, call.generation, call.state_name, call.idempotency_key
        )
        timeout = (
            call.timeout_seconds
            if call.timeout_seconds and call.timeout_seconds < DEFAULT_TASK_TIMEOUT
            else None
        )
        tasks.create(
            tx,
            spec,
            eligible,
            step,
            now=now,
            base_url=facilities.settings.public_base_url,
            task_timeout=timeout,
            webhooks=webhooks,
        )
    return {}


def _webhooks(spec: HumanTaskSpec, facilities: Facilities, state_name: str) -> list[dict[str, Any]]:
    """The spec's webhooks as the task keeps them: a named one takes its URL and secret from the settings."""
    resolved = []
    for hook in spec.webhooks:
        if hook.name is None:
            resolved.append({"url": hook.url, "preset": hook.preset, "secret_env": None})
            continue
        target = facilities.settings.webhook(hook.name)
        if target is None:
            raise StatesError(
                INVALID, f"The human task of state '{state_name}' names no webhook of the app: '{hook.name}'"
            )
        resolved.append({"url": target.url, "preset": hook.preset, "secret_env": target.secret_env})
    return resolved
