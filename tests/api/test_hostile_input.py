"""Requests an attacker (or a careless client) sends answer AWS's 4xx error, never a 500 or an acceptance.

All against a real `sojourn serve` over HTTP: JSON nested 10,000 deep, lone surrogates, 5,000-digit
integers, forged page tokens, names ending in a newline, malformed role and resource ARNs, and a
PostgreSQL that goes away (ServiceUnavailable, which boto3 retries on its own).
"""

from __future__ import annotations

import base64
import json
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from botocore.exceptions import ClientError

from servers import serve, tcp_proxy
from sojourn import Client
from sojourn.api.model import operation, operation_names

from .conftest import ROLE

ACCOUNT = "123456789012"
MACHINE = f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:hostile"
EXPRESS = f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:hostile-express"
ACTIVITY = f"arn:aws:states:us-east-1:{ACCOUNT}:activity:hostile"
EXECUTION = f"arn:aws:states:us-east-1:{ACCOUNT}:execution:hostile:first"
PASS = json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}})
PASS_STATE = json.dumps({"Type": "Pass", "End": True})
DEEP = "[" * 10_000 + "]" * 10_000
TOKEN = "A" * 88  # a task token's form; no task waits for it


def post(url: str, action: str, body: str | bytes | dict) -> httpx.Response:
    """One raw AWS JSON 1.0 request (boto3 would refuse to send most of these bodies)."""
    content = json.dumps(body) if isinstance(body, dict) else body
    return httpx.post(
        url,
        content=content,
        timeout=30,
        headers={"X-Amz-Target": f"AWSStepFunctions.{action}", "Content-Type": "application/x-amz-json-1.0"},
    )


def refused(answer: httpx.Response, error: str) -> str:
    """Assert a 400 with `__type` `error`; its message."""
    assert (answer.status_code, answer.json()["__type"]) == (400, error), answer.text
    return answer.json()["message"]


@pytest.fixture(scope="module")
def url(server) -> str:
    """The module's server with one machine of each type, a version, an alias, an activity
    and an execution."""
    sfn = server.client()
    sfn.create_state_machine(name="hostile", definition=PASS, roleArn=ROLE, publish=True)
    sfn.create_state_machine(name="hostile-express", definition=PASS, roleArn=ROLE, type="EXPRESS")
    sfn.create_state_machine_alias(
        name="live", routingConfiguration=[{"stateMachineVersionArn": f"{MACHINE}:1", "weight": 100}]
    )
    sfn.create_activity(name="hostile")
    sfn.start_execution(stateMachineArn=MACHINE, name="first")
    return server.url


# -- JSON the parser must refuse -------------------------------------------------------------------

IMPLEMENTED = [name for name in operation_names() if hasattr(Client, operation(name).method)]


@pytest.mark.parametrize("action", IMPLEMENTED)
def test_a_body_nested_10000_deep_is_a_serialization_exception_in_every_action(url, action):
    assert "nested deeper" in refused(post(url, action, '{"x":' + DEEP + "}"), "SerializationException")


@pytest.mark.parametrize(
    ("action", "member", "body", "error"),
    [
        ("StartExecution", "input", {"stateMachineArn": MACHINE}, "InvalidExecutionInput"),
        ("StartSyncExecution", "input", {"stateMachineArn": EXPRESS}, "InvalidExecutionInput"),
        ("TestState", "input", {"definition": PASS_STATE}, "InvalidExecutionInput"),
        ("TestState", "variables", {"definition": PASS_STATE}, "InvalidExecutionInput"),
        ("SendTaskSuccess", "output", {"taskToken": TOKEN}, "InvalidOutput"),
    ],
)
@pytest.mark.parametrize("document", [DEEP, '"\\ud800"', "1" * 5000, "NaN", "1e999", "{"])
def test_a_payload_that_is_not_json_we_can_keep_is_that_payloads_error(
    url, action, member, body, error, document
):
    if member == "variables":
        document = '{"v": ' + document + "}" if document != "{" else document
    message = refused(post(url, action, {**body, member: document}), error)
    assert "[[[[" not in message  # payloads are never echoed


@pytest.mark.parametrize(
    "body",
    [
        '{"stateMachineArn": "' + MACHINE + '", "name": "\\ud800"}',
        '{"stateMachineArn": "' + MACHINE + '", "input": "\\"\\udfff\\""}',
        '{"stateMachineArn": "' + MACHINE + '", "\\ud800": 1}',
    ],
)
def test_a_lone_surrogate_in_the_body_is_a_serialization_exception(url, body):
    assert "surrogate" in refused(post(url, "StartExecution", body), "SerializationException")


def test_an_integer_of_5000_digits_in_the_body_is_a_serialization_exception(url):
    refused(post(url, "ListStateMachines", '{"maxResults": ' + "9" * 5000 + "}"), "SerializationException")


@pytest.mark.parametrize("variables", ["nope", "[1]", '"text"'])
def test_test_state_variables_must_be_a_json_object(url, variables):
    answer = post(url, "TestState", {"definition": PASS_STATE, "variables": variables})
    assert refused(answer, "InvalidExecutionInput").startswith("Invalid variables")


def test_test_state_variables_that_are_an_object_are_bound(url):
    definition = json.dumps({"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% $v %}", "End": True})
    answer = post(url, "TestState", {"definition": definition, "variables": '{"v": 42}'})
    assert answer.status_code == 200 and json.loads(answer.json()["output"]) == 42, answer.text


@pytest.mark.parametrize("action", ["CreateStateMachine", "ValidateStateMachineDefinition", "TestState"])
def test_a_definition_that_names_a_file_on_the_server_is_text_never_read(server, url, action):
    secret = server.home / "secret.json"
    secret.write_text(json.dumps({"Comment": "on the server's disk", **json.loads(PASS)}))
    for name in (str(secret), "/no/such/file.yaml"):
        answer = post(url, action, {"name": "from-a-file", "roleArn": ROLE, "definition": name})
        if action == "ValidateStateMachineDefinition":
            assert answer.status_code == 200 and answer.json()["result"] == "FAIL", answer.text
        else:
            refused(answer, "InvalidDefinition")
        assert "on the server's disk" not in answer.text


# -- page tokens ---------------------------------------------------------------------------------


def _token(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


LISTS = [
    ("ListStateMachines", {}),
    ("ListActivities", {}),
    ("ListExecutions", {"stateMachineArn": MACHINE}),
    ("ListExecutions", {}),
    ("ListStateMachineVersions", {"stateMachineArn": MACHINE}),
    ("ListStateMachineAliases", {"stateMachineArn": MACHINE}),
    ("GetExecutionHistory", {"executionArn": EXECUTION}),
]
FORGED = [
    "e30=",
    "garbage!!",
    "AAAA",
    _token(None),
    _token(True),
    _token(-1),
    _token(2**64),
    _token(1.5),
    _token([1]),
    _token("a\nb"),
    _token("\u0000"),
    "%%%%",
    "4pyTIMOgIGxhIG1vZGU=",
]


@pytest.mark.parametrize(("action", "body"), LISTS, ids=[f"{a}-{len(b)}" for a, b in LISTS])
@pytest.mark.parametrize("token", FORGED)
def test_a_forged_next_token_is_invalid_token_in_every_list_action(url, action, body, token):
    if action in ("ListStateMachines", "ListActivities") and token == _token(-1):
        token = _token(7)  # a number where these lists keep a name
    assert (
        refused(post(url, action, {**body, "nextToken": token}), "InvalidToken")
        == f"Invalid Token: '{token}'"
    )


def test_an_event_id_over_32_bits_is_an_invalid_token_not_a_database_error(url):
    answer = post(url, "GetExecutionHistory", {"executionArn": EXECUTION, "nextToken": _token(2**31)})
    refused(answer, "InvalidToken")


def test_the_tokens_the_lists_hand_out_still_page(server, url):
    sfn = server.client()
    for index in range(3):
        sfn.create_activity(name=f"paged-{index}")
    first = sfn.list_activities(maxResults=1)
    assert sfn.list_activities(maxResults=1, nextToken=first["nextToken"])["activities"]


# -- names ---------------------------------------------------------------------------------------

BAD_NAMES = ["trailing\n", "\n", "tab\tbed", "carriage\r", "with space", "nul\u0000", "dollar$", "slash/"]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_names_with_whitespace_or_control_characters_are_invalid_name(url, name):
    for action, body in (
        ("CreateStateMachine", {"name": name, "definition": PASS, "roleArn": ROLE}),
        ("CreateActivity", {"name": name}),
        ("StartExecution", {"stateMachineArn": MACHINE, "name": name}),
        (
            "CreateStateMachineAlias",
            {
                "name": name,
                "routingConfiguration": [{"stateMachineVersionArn": f"{MACHINE}:1", "weight": 100}],
            },
        ),
    ):
        assert post(url, action, body).json()["__type"] in ("InvalidName", "ValidationException"), (
            action,
            name,
        )
    assert post(url, "CreateActivity", {"name": name}).json()["__type"] == "InvalidName"


# -- ARNs ----------------------------------------------------------------------------------------

BAD_ROLES = [
    "nope",
    "arn:aws:iam::123:role/x",
    f"arn:aws:iam::{ACCOUNT}:user/x",
    f"arn:aws:iam::{ACCOUNT}:role/",
    f"arn:aws:iam::{ACCOUNT}:role/x\n",
    f"arn:aws:states:us-east-1:{ACCOUNT}:role/x",
    f"arn:aws:iam::{ACCOUNT}:role/a b",
]


@pytest.mark.parametrize("role", BAD_ROLES)
def test_a_malformed_role_arn_is_invalid_arn(url, role):
    assert (
        refused(
            post(url, "CreateStateMachine", {"name": "role-test", "definition": PASS, "roleArn": role}),
            "InvalidArn",
        )
        == f"Invalid Arn: '{role}'"
    )
    refused(post(url, "UpdateStateMachine", {"stateMachineArn": MACHINE, "roleArn": role}), "InvalidArn")
    refused(post(url, "TestState", {"definition": PASS_STATE, "roleArn": role}), "InvalidArn")


def test_a_role_arn_with_a_path_or_another_partition_is_accepted(server, url):
    sfn = server.client()
    for index, role in enumerate(
        (
            f"arn:aws:iam::{ACCOUNT}:role/service-role/StepFunctions-x",
            f"arn:aws-cn:iam::{ACCOUNT}:role/x+=,.@-_",
        )
    ):
        sfn.create_state_machine(name=f"role-ok-{index}", definition=PASS, roleArn=role)


BAD_ARNS = [
    "",
    "nope",
    "arn:aws:states:x",
    f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:",
    f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:a\n",
    f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:a:b:c",
    "arn:aws:states:us-east-1:1:stateMachine:a",
    f"arn:aws:states::{ACCOUNT}:stateMachine:a",
    f"arn:aws:s3:us-east-1:{ACCOUNT}:stateMachine:a",
    f"arn:aws:states:us-east-1:{ACCOUNT}:bogus:a",
    f"arn:aws:states:us-east-1:{ACCOUNT}:execution:a",
    f"arn:aws:states:us-east-1:{ACCOUNT}:activity:a b",
    f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:a\u0000",
]
ARN_MEMBERS = [
    ("DeleteStateMachine", "stateMachineArn"),
    ("DeleteActivity", "activityArn"),
    ("DeleteStateMachineAlias", "stateMachineAliasArn"),
    ("DeleteStateMachineVersion", "stateMachineVersionArn"),
    ("DescribeStateMachine", "stateMachineArn"),
    ("DescribeActivity", "activityArn"),
    ("DescribeExecution", "executionArn"),
    ("DescribeStateMachineAlias", "stateMachineAliasArn"),
    ("DescribeStateMachineForExecution", "executionArn"),
    ("StopExecution", "executionArn"),
    ("RedriveExecution", "executionArn"),
    ("GetExecutionHistory", "executionArn"),
    ("ListExecutions", "stateMachineArn"),
    ("ListStateMachineVersions", "stateMachineArn"),
    ("ListStateMachineAliases", "stateMachineArn"),
    ("StartExecution", "stateMachineArn"),
    ("PublishStateMachineVersion", "stateMachineArn"),
    ("UpdateStateMachineAlias", "stateMachineAliasArn"),
    ("ListTagsForResource", "resourceArn"),
    ("GetActivityTask", "activityArn"),
]


@pytest.mark.parametrize(("action", "member"), ARN_MEMBERS)
def test_a_malformed_arn_is_invalid_arn_in_every_action_that_takes_one(url, action, member):
    for arn in BAD_ARNS:
        answer = post(
            url,
            action,
            {member: arn, "description": "x"} if action == "UpdateStateMachineAlias" else {member: arn},
        )
        expected = "ValidationException" if arn == "" else "InvalidArn"  # "" fails the model's length first
        assert answer.json()["__type"] == expected, (arn, answer.text)


@pytest.mark.parametrize(
    ("action", "member", "arn"),
    [
        ("DeleteStateMachineAlias", "stateMachineAliasArn", f"{MACHINE}:1"),
        ("DeleteStateMachineAlias", "stateMachineAliasArn", MACHINE),
        ("DeleteStateMachineVersion", "stateMachineVersionArn", f"{MACHINE}:live"),
        ("DeleteStateMachineVersion", "stateMachineVersionArn", MACHINE),
        ("DescribeStateMachineAlias", "stateMachineAliasArn", f"{MACHINE}:1"),
        ("DeleteActivity", "activityArn", MACHINE),
        ("DeleteStateMachine", "stateMachineArn", ACTIVITY),
    ],
)
def test_an_arn_of_another_kind_is_invalid_arn(url, action, member, arn):
    refused(post(url, action, {member: arn}), "InvalidArn")


def test_deleting_a_qualified_state_machine_arn_is_a_validation_exception_and_deletes_nothing(url):
    refused(post(url, "DeleteStateMachine", {"stateMachineArn": f"{MACHINE}:live"}), "ValidationException")
    assert (
        post(url, "DescribeStateMachineAlias", {"stateMachineAliasArn": f"{MACHINE}:live"}).status_code == 200
    )


# -- the database going away ---------------------------------------------------------------------


@pytest.fixture
def through_proxy(tmp_path, postgres_store_url):
    """A `sojourn serve` (API only) whose PostgreSQL link runs through a TcpProxy the test can cut."""
    fresh = urlsplit(postgres_store_url())
    with tcp_proxy(fresh.hostname or "127.0.0.1", fresh.port or 5432) as proxy:
        user = fresh.netloc.rpartition("@")[0]  # user[:password], kept as given
        proxied = urlunsplit(
            fresh._replace(netloc=f"{user}@127.0.0.1:{proxy.port}" if user else f"127.0.0.1:{proxy.port}")
        )
        with serve(tmp_path, "--workers", "0", db_url=proxied) as running:
            yield running, proxy


def test_a_lost_database_answers_service_unavailable_503_not_a_500(through_proxy):
    running, proxy = through_proxy
    assert post(running.url, "ListStateMachines", {}).status_code == 200
    proxy.cut()
    answer = post(running.url, "ListStateMachines", {})
    assert (answer.status_code, answer.json()["__type"]) == (503, "ServiceUnavailable"), answer.text
    assert answer.headers["x-amzn-ErrorType"] == "ServiceUnavailable"
    assert post(running.url, "ListStateMachines", {}).status_code == 200  # the pool connects again


def test_boto3_retries_service_unavailable_on_its_own(through_proxy):
    running, proxy = through_proxy
    sfn = running.client(retries={"mode": "standard", "max_attempts": 3})
    sfn.create_state_machine(name="before", definition=PASS, roleArn=ROLE)
    proxy.cut()
    answer = sfn.list_state_machines()
    assert answer["ResponseMetadata"]["RetryAttempts"] >= 1  # the first attempt met the lost connection
    assert [m["name"] for m in answer["stateMachines"]] == ["before"]


# -- found by tests/api/test_fuzz.py -------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("CreateActivity", {"name": "tagged"}),
        ("CreateStateMachine", {"name": "tagged", "definition": PASS, "roleArn": ROLE}),
        ("TagResource", {"resourceArn": MACHINE}),
    ],
)
def test_a_tag_without_a_key_is_a_validation_exception(url, action, body):
    refused(
        post(url, action, {**body, "tags": [{"key": "a", "value": "b"}, {"value": "no key"}]}),
        "ValidationException",
    )


def test_a_definition_of_5000_digits_is_an_invalid_definition(url):
    refused(
        post(url, "CreateStateMachine", {"name": "digits", "definition": "1" * 5000, "roleArn": ROLE}),
        "InvalidDefinition",
    )


def test_missing_machines_answer_the_error_each_action_s_model_lists(url):
    absent = f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:absent"
    refused(post(url, "ListStateMachineVersions", {"stateMachineArn": absent}), "ValidationException")
    refused(post(url, "ListStateMachineVersions", {"stateMachineArn": f"{MACHINE}:1"}), "ValidationException")
    refused(
        post(
            url,
            "CreateStateMachineAlias",
            {"name": "a", "routingConfiguration": [{"stateMachineVersionArn": f"{absent}:1", "weight": 100}]},
        ),
        "ResourceNotFound",
    )


@pytest.mark.parametrize("text", ["nul\u0000", "semi;colon", "quote'", "tab\t", "<script>"])
def test_tag_keys_and_values_follow_aws_characters(url, text):
    refused(
        post(url, "TagResource", {"resourceArn": MACHINE, "tags": [{"key": text, "value": "v"}]}),
        "ValidationException",
    )
    refused(
        post(url, "TagResource", {"resourceArn": MACHINE, "tags": [{"key": "k", "value": text}]}),
        "ValidationException",
    )
    refused(post(url, "UntagResource", {"resourceArn": MACHINE, "tagKeys": [text]}), "ValidationException")


def test_tags_of_letters_digits_spaces_and_the_allowed_symbols_are_kept(server, url):
    sfn = server.client()
    sfn.tag_resource(resourceArn=ACTIVITY, tags=[{"key": "caf\u00e9 1", "value": "a b_c.d:e/f=g+h-i@j"}])
    assert {"key": "caf\u00e9 1", "value": "a b_c.d:e/f=g+h-i@j"} in sfn.list_tags_for_resource(
        resourceArn=ACTIVITY
    )["tags"]


def test_a_description_with_nul_is_a_validation_exception(url):
    refused(
        post(url, "PublishStateMachineVersion", {"stateMachineArn": MACHINE, "description": "a\u0000"}),
        "ValidationException",
    )
    refused(
        post(
            url,
            "UpdateStateMachineAlias",
            {"stateMachineAliasArn": f"{MACHINE}:live", "description": "a\u0000"},
        ),
        "ValidationException",
    )


def test_starting_a_version_or_alias_that_does_not_exist_is_state_machine_does_not_exist(url):
    for arn in (f"{MACHINE}:99", f"{MACHINE}:gone"):
        refused(post(url, "StartExecution", {"stateMachineArn": arn}), "StateMachineDoesNotExist")


def test_list_executions_of_a_map_run_checks_the_arn_and_lists_nothing_else(url):
    run = f"arn:aws:states:us-east-1:{ACCOUNT}:mapRun:hostile/Map:0f3c"
    refused(post(url, "ListExecutions", {"mapRunArn": run}), "ResourceNotFound")
    refused(post(url, "ListExecutions", {"mapRunArn": MACHINE}), "InvalidArn")
    refused(
        post(url, "ListExecutions", {"mapRunArn": run, "stateMachineArn": MACHINE}), "ValidationException"
    )


def test_express_executions_of_the_same_name_each_run_with_their_own_arn(server, url):
    sfn = server.client()
    first = sfn.start_sync_execution(stateMachineArn=EXPRESS, name="again", input='{"n": 1}')
    second = sfn.start_sync_execution(stateMachineArn=EXPRESS, name="again", input='{"n": 2}')
    assert first["executionArn"] != second["executionArn"]
    assert first["executionArn"].startswith(
        f"arn:aws:states:us-east-1:{ACCOUNT}:express:hostile-express:again:"
    )
    assert [first["output"], second["output"]] == ['{"n":1}', '{"n":2}']
    with pytest.raises(ClientError) as refused:  # AWS keeps no Express execution to describe
        sfn.describe_execution(executionArn=second["executionArn"])
    assert refused.value.response["Error"]["Code"] == "InvalidArn"


def test_the_deploy_endpoint_answers_a_400_for_json_it_cannot_read(server):
    for body in ('{"path": ' + DEEP + "}", '{"path": "\\ud800"}', "9" * 5000):
        answer = httpx.post(server.url + "/sojourn/apps", content=body, timeout=30)
        assert answer.status_code == 400 and "path" in answer.json()["message"], answer.text


@pytest.mark.parametrize("route", [f"{MACHINE}:live", f"{MACHINE}:1\n", f"{MACHINE}:1\u0000", "nope:1"])
def test_an_alias_routes_only_to_version_arns(url, route):
    body = {
        "stateMachineAliasArn": f"{MACHINE}:live",
        "routingConfiguration": [{"stateMachineVersionArn": route, "weight": 100}],
    }
    refused(post(url, "UpdateStateMachineAlias", body), "InvalidArn")
