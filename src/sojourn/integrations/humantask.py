"""Human tasks: `arn:aws:states:::sojourn:humanTask.waitForTaskToken` (ours; sojourn.asl.humantask says what
the arguments declare). The task is recorded with a link for each person asked and their emails queued, in
one transaction; the execution then waits for the token, which the task answers with its decision
(sojourn.backend.humantasks). The token itself is never stored: the task is found by the token's hash.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from sojourn.asl.errors import StatesError
from sojourn.asl.humantask import SpecError, not_yet, read
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
        for path, message in not_yet(call.parameters):
            raise SpecError(path, message)
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
    token_hash = hash_token(call.task_token)
    with facilities.store.transaction() as tx:
        if tx.human_task_for_token(token_hash) is not None:
            return {}
        execution = tx.execution(call.execution_arn)
        if execution is None:
            raise StatesError("States.Runtime", f"The execution {call.execution_arn} is gone")
        tasks.create(
            tx,
            spec,
            eligible,
            token_hash=token_hash,
            execution_id=execution["id"],
            state_name=call.state_name,
            now=now,
            base_url=facilities.settings.public_base_url,
        )
    return {}
