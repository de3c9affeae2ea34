"""EXPRESS state machines over real HTTP with boto3 against a real `sojourn serve`: in-memory executions,
StartSyncExecution's answer, the APIs AWS refuses for them, the integration patterns it refuses at
creation, the log destination. AWS's answers as LocalStack's test_sfn_api_express snapshot records them.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from servers import Server, serve
from sojourn.runtime.express import log_group_file

from .conftest import ROLE

LOG_GROUP = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/vendedlogs/states/express-test:*"
SMALL_MACHINE = {
    "StartAt": "A",
    "States": {
        "A": {"Type": "Pass", "Result": {"n": 1}, "Next": "Both"},
        "Both": {
            "Type": "Parallel",
            "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Pass", "End": True}}}],
            "OutputPath": "$[0]",
            "Next": "C",
        },
        "C": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)"}, "End": True},
    },
}
FAILING = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom", "Cause": "it broke"}}}
LONG_WAIT = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 5, "End": True}}}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`sojourn serve` with Express's five minutes lowered to one second, so the limit is met quickly."""
    with serve(tmp_path_factory.mktemp("express"), env={"SOJOURN_EXPRESS_MAX_SECONDS": "1"}) as running:
        yield running


def express(sfn: Any, definition: dict[str, Any], **extra: Any) -> str:
    return sfn.create_state_machine(
        name=f"x-{uuid.uuid4().hex[:10]}",
        definition=json.dumps(definition),
        roleArn=ROLE,
        type="EXPRESS",
        **extra,
    )["stateMachineArn"]


def error_of(call: Any, **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def test_a_sync_execution_answers_with_its_output_and_billing(server):
    sfn = server.client()
    arn = express(sfn, SMALL_MACHINE)
    answer = sfn.start_sync_execution(stateMachineArn=arn, name="one", input='{"a": 1}')
    assert answer["status"] == "SUCCEEDED"
    assert json.loads(answer["output"]) == {"n": 2}
    assert answer["outputDetails"] == {"included": True}
    assert answer["input"] == '{"a": 1}' and answer["inputDetails"] == {"included": True}
    assert answer["name"] == "one" and answer["stateMachineArn"] == arn
    prefix = arn.replace(":stateMachine:", ":express:") + ":one:"
    assert answer["executionArn"].startswith(prefix) and len(answer["executionArn"]) > len(prefix)
    assert answer["billingDetails"]["billedMemoryUsedInMB"] == 64
    assert answer["billingDetails"]["billedDurationInMilliseconds"] % 100 == 0
    assert answer["billingDetails"]["billedDurationInMilliseconds"] >= 100
    assert answer["stopDate"] >= answer["startDate"]
    assert "error" not in answer and "cause" not in answer


def test_a_failed_sync_execution_answers_with_its_error_and_cause(server):
    sfn = server.client()
    answer = sfn.start_sync_execution(stateMachineArn=express(sfn, FAILING))
    assert (answer["status"], answer["error"], answer["cause"]) == ("FAILED", "Boom", "it broke")
    assert "output" not in answer and "outputDetails" not in answer


def test_metadata_only_leaves_input_and_output_out(server):
    sfn = server.client()
    answer = sfn.start_sync_execution(
        stateMachineArn=express(sfn, SMALL_MACHINE), input="{}", includedData="METADATA_ONLY"
    )
    assert "input" not in answer and "output" not in answer
    assert answer["inputDetails"] == {"included": False} and answer["outputDetails"] == {"included": False}


def test_an_execution_past_the_express_limit_times_out(server):
    sfn = server.client()
    answer = sfn.start_sync_execution(stateMachineArn=express(sfn, LONG_WAIT))
    assert (answer["status"], answer["error"]) == ("TIMED_OUT", "States.Timeout")
    assert (answer["stopDate"] - answer["startDate"]).total_seconds() < 3  # ended at the 1 s limit


def test_two_sync_executions_of_one_name_both_run(server):
    sfn = server.client()
    arn = express(sfn, SMALL_MACHINE)
    first = sfn.start_sync_execution(stateMachineArn=arn, name="same")
    second = sfn.start_sync_execution(stateMachineArn=arn, name="same")
    assert first["status"] == second["status"] == "SUCCEEDED"
    assert first["executionArn"] != second["executionArn"]


def test_describe_history_and_stop_refuse_an_express_execution_as_aws_does(server):
    sfn = server.client()
    machine = express(sfn, SMALL_MACHINE)
    started = sfn.start_execution(stateMachineArn=machine)
    arn = started["executionArn"]
    assert ":express:" in arn
    refusal = ("InvalidArn", "Invalid Arn: 'Resource type not valid in this context: express'")
    assert error_of(sfn.describe_execution, executionArn=arn) == refusal
    assert error_of(sfn.get_execution_history, executionArn=arn) == refusal
    assert error_of(sfn.stop_execution, executionArn=arn) == refusal
    assert error_of(sfn.describe_state_machine_for_execution, executionArn=arn) == refusal
    assert error_of(sfn.list_executions, stateMachineArn=machine) == (
        "StateMachineTypeNotSupported",
        "This operation is not supported by this type of state machine",
    )


def test_start_sync_execution_refuses_a_standard_machine(server):
    sfn = server.client()
    standard = sfn.create_state_machine(
        name=f"s-{uuid.uuid4().hex[:10]}", definition=json.dumps(SMALL_MACHINE), roleArn=ROLE
    )["stateMachineArn"]
    assert error_of(sfn.start_sync_execution, stateMachineArn=standard)[0] == "StateMachineTypeNotSupported"


@pytest.mark.parametrize(
    ("resource", "message"),
    [
        (
            "arn:aws:states:::states:startExecution.sync",
            "Express state machine does not support '.sync' service integration at /States/T/Resource",
        ),
        (
            "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "Express state machine does not support '.waitForTaskToken' service integration"
            "  at /States/T/Resource",  # two spaces, as AWS answers
        ),
        (
            "arn:aws:states:us-east-1:123456789012:activity:work",
            "Express state machine does not support Activity ARN at /States/T/Resource",
        ),
    ],
)
def test_creating_an_express_machine_refuses_what_express_cannot_run(server, resource, message):
    sfn = server.client()
    definition = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": resource, "End": True}}}
    code, text = error_of(
        sfn.create_state_machine,
        name=f"x-{uuid.uuid4().hex[:10]}",
        definition=json.dumps(definition),
        roleArn=ROLE,
        type="EXPRESS",
    )
    assert code == "InvalidDefinition"
    assert text == f"Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: {message}'"


def test_a_refused_pattern_inside_a_parallel_branch_is_found(server):
    sfn = server.client()
    task = {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2", "End": True}
    definition = {
        "StartAt": "P",
        "States": {
            "P": {"Type": "Parallel", "End": True, "Branches": [{"StartAt": "T", "States": {"T": task}}]}
        },
    }
    _, text = error_of(
        sfn.create_state_machine,
        name="x-par",
        definition=json.dumps(definition),
        roleArn=ROLE,
        type="EXPRESS",
    )
    assert text.endswith("at /States/P/Branches/0/States/T/Resource'")
    # the same definition is a Standard machine's to run
    sfn.create_state_machine(name="s-par", definition=json.dumps(definition), roleArn=ROLE)


def read_log(path: Path, until_type: str, timeout: float = 10.0) -> list[dict[str, Any]]:
    """The log group's lines once one of type `until_type` is there (an asynchronous execution's end)."""
    deadline = time.monotonic() + timeout
    while True:
        lines = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
        if any(line["type"] == until_type for line in lines) or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


def test_an_asynchronous_execution_completes_and_logs_its_events(server):
    sfn = server.client()
    group = LOG_GROUP.replace("express-test", f"async-{uuid.uuid4().hex[:8]}")
    logging = {
        "level": "ALL",
        "includeExecutionData": True,
        "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": group}}],
    }
    arn = sfn.start_execution(stateMachineArn=express(sfn, SMALL_MACHINE, loggingConfiguration=logging))[
        "executionArn"
    ]
    lines = read_log(log_group_file(server.home / "data", group), "ExecutionSucceeded")
    assert lines[0]["type"] == "ExecutionStarted"
    end = lines[-1]
    assert end["type"] == "ExecutionSucceeded" and end["execution_arn"] == arn
    assert json.loads(end["details"]["output"]) == {"n": 2}
    assert [line["id"] for line in lines] == [str(n) for n in range(1, len(lines) + 1)]
    assert end["previous_event_id"] == str(len(lines) - 1) and end["redrive_count"] == "0"
    assert end["event_timestamp"].isdigit()


def test_an_error_level_log_keeps_only_failures_and_no_data_unless_asked(server):
    sfn = server.client()
    group = LOG_GROUP.replace("express-test", f"errors-{uuid.uuid4().hex[:8]}")
    logging = {"level": "ERROR", "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": group}}]}
    sfn.start_sync_execution(stateMachineArn=express(sfn, FAILING, loggingConfiguration=logging))
    lines = read_log(log_group_file(server.home / "data", group), "ExecutionFailed")
    assert [line["type"] for line in lines] == ["ExecutionFailed"]
    assert lines[0]["details"] == {"error": "Boom", "cause": "it broke"}


def test_validation_of_an_express_definition_reports_a_refused_pattern_inside_a_map(server):
    sfn = server.client()
    task = {
        "Type": "Task",
        "Resource": "arn:aws:states:::states:startExecution.sync:2",
        "Parameters": {"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:child"},
        "End": True,
    }
    processor = {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "T", "States": {"T": task}}
    definition = {"StartAt": "M", "States": {"M": {"Type": "Map", "ItemProcessor": processor, "End": True}}}
    express_answer = sfn.validate_state_machine_definition(definition=json.dumps(definition), type="EXPRESS")
    assert express_answer["result"] == "FAIL"
    assert [d["location"] for d in express_answer["diagnostics"]] == [
        "/States/M/ItemProcessor/States/T/Resource"
    ]
    standard = sfn.validate_state_machine_definition(definition=json.dumps(definition), type="STANDARD")
    assert standard["result"] == "OK"
