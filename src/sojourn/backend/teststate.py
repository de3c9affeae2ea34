"""TestState: one state run alone (`sojourn.asl.teststate`), its Task calling the process's integrations."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime
from typing import Any

from sojourn import arns
from sojourn import errors as E
from sojourn.asl.interpreter import Env, ExecutionInfo, InvokeTask
from sojourn.asl.loader import DefinitionError
from sojourn.asl.teststate import test_state
from sojourn.backend.common import Context, parse_payload
from sojourn.integrations.base import TaskCall
from sojourn.tokens import new_token

__all__ = ["TestStates"]


class TestStates:
    __test__ = False  # not a pytest class

    def __init__(self, ctx: Context):
        self.ctx = ctx

    def test_state(
        self,
        *,
        definition: str,
        roleArn: str | None = None,
        input: str | None = None,
        inspectionLevel: str = "INFO",
        revealSecrets: bool = False,
        variables: str | None = None,
        stateName: str | None = None,
        mock: dict[str, Any] | None = None,
        context: str | None = None,
        stateConfiguration: dict[str, Any] | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        if roleArn is not None:
            arns.validate_role_arn(roleArn)
        now = datetime.fromtimestamp(self.ctx.clock(), UTC)
        data = parse_payload(input or "{}", E.InvalidExecutionInput, "input")
        # TestState's variables are JSON input data as much as its input is:
        # the same error, InvalidExecutionInput.
        bound = parse_payload(variables, E.InvalidExecutionInput, "variables") if variables else None
        if bound is not None and not isinstance(bound, dict):
            raise E.InvalidExecutionInput(
                "Invalid variables: the value must be a JSON object of variable names"
            )
        # `context` is the context object as the state should see it ($$, $states.context), laid over the one
        # TestState builds: JSON input data too, so InvalidExecutionInput when it is not an object.
        given = parse_payload(context, E.InvalidExecutionInput, "context") if context else None
        if given is not None and not isinstance(given, dict):
            raise E.InvalidExecutionInput("Invalid context: the value must be a JSON object")
        configuration = stateConfiguration or {}
        region, account = self.ctx.region, self.ctx.account_id
        info = ExecutionInfo(
            execution_arn=arns.execution_arn(region, account, "TestState", "test"),
            name="test",
            input=data,
            start_time=now,
            state_machine_arn=self.ctx.machine_arn("TestState"),
            state_machine_name="TestState",
            role_arn=roleArn or arns.role_arn(account),
            context=given,
        )
        env = Env(now=now, new_task_token=new_token, rng=random.Random())

        def invoke(action: InvokeTask) -> Any:
            call = TaskCall(
                resource=action.resource.arn,
                parameters=action.parameters,
                task_token=action.task_token,
                wait_for_token=action.resource.waits_for_token,
                idempotency_key=f"test-state/{uuid.uuid4()}",
                timeout_seconds=action.timeout_seconds,
                execution_arn=info.execution_arn,
                state_name=action.state_name,
            )
            return self.ctx.workers.invoker(call)

        try:
            return test_state(
                definition,
                data,
                state_name=stateName,
                variables=bound,
                invoke=invoke,
                mock=mock,
                inspection_level=inspectionLevel,
                info=info,
                env=env,
                retrier_retry_count=configuration.get("retrierRetryCount"),
            )
        except DefinitionError as e:
            raise E.InvalidDefinition("; ".join(d.message for d in e.diagnostics)) from None
