"""An API fuzzer driven by botocore's model: no request, however odd, gets a 5xx or an error AWS would
not name.

For every operation of the `stepfunctions` model it builds requests from the input shape (valid-ish
values, wrong types, missing required members, huge strings, deep nesting, lone surrogates, odd ARNs and
page tokens, control characters), plus random-byte bodies and odd targets, and sends them over real HTTP
to a real `sojourn serve` on SQLite and on PostgreSQL. Each answer must be below 500, and each 4xx must
carry a `__type` the model lists for that operation or one of AWS's common errors.

Reproducible: the requests come from `random.Random(seed)`. For a longer local run:

    SOJOURN_FUZZ_REQUESTS=12000 SOJOURN_FUZZ_SECONDS=900 SOJOURN_FUZZ_SEED=7 \\
        .venv/bin/python -m pytest tests/api/test_fuzz.py -s

(defaults: 10,000 requests per database and a tenth more raced, stopping early after 25 s; `-s` shows
the figures of each run).
"""

from __future__ import annotations

import base64
import concurrent.futures
import json
import os
import random
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import botocore.session
import httpx
import pytest
from botocore.model import Shape

from servers import Server, serve

from .conftest import ROLE

REQUESTS = int(os.environ.get("SOJOURN_FUZZ_REQUESTS", "10000"))
SECONDS = float(os.environ.get("SOJOURN_FUZZ_SECONDS", "25"))
SEED = int(os.environ.get("SOJOURN_FUZZ_SEED", "20261202"))

MODEL = botocore.session.get_session().get_service_model("stepfunctions")
# AWS's common errors (API Reference, "Common Errors"), any action may answer them, and Sojourn's own 413.
COMMON = {
    "AccessDeniedException",
    "IncompleteSignature",
    "InvalidAction",
    "InvalidClientTokenId",
    "InvalidParameterCombination",
    "InvalidParameterValue",
    "InvalidQueryParameter",
    "MalformedQueryString",
    "MissingAction",
    "MissingAuthenticationToken",
    "MissingParameter",
    "NotAuthorized",
    "OptInRequired",
    "RequestExpired",
    "ServiceUnavailable",
    "ThrottlingException",
    "ValidationError",
    "ValidationException",
    "SerializationException",
    "UnknownOperationException",
    "UnrecognizedClientException",
    "RequestEntityTooLarge",
}

ACCOUNT = "123456789012"
PREFIX = f"arn:aws:states:us-east-1:{ACCOUNT}"
MACHINE, EXPRESS, ACTIVITY = (
    f"{PREFIX}:stateMachine:fuzz",
    f"{PREFIX}:stateMachine:fuzz-express",
    f"{PREFIX}:activity:fuzz",
)
PASS = {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}
DEEP = "[" * 3000 + "]" * 3000
ODD_STRINGS = [
    "",
    " ",
    "\n",
    "a\n",
    "\t",
    "\u0000",
    "nul\u0000inside",
    "\u00e9t\u00e9",
    "\U0001f600",
    "\u202e",
    "\\",
    '"',
    "'; DROP TABLE executions; --",
    "%s%n",
    "{{7*7}}",
    "<script>",
    "../../etc/passwd",
    "x" * 81,
    "x" * 257,
    "x" * 70_000,
    "$",
    "$.a",
    "States.Format('{}', 1)",
    "{% 1 + 1 %}",
    "true",
    "null",
    "-1",
    "1e999",
    "NaN",
]
ARNS = [
    MACHINE,
    EXPRESS,
    f"{MACHINE}:1",
    f"{MACHINE}:live",
    f"{MACHINE}:999",
    f"{MACHINE}:nope",
    ACTIVITY,
    f"{PREFIX}:execution:fuzz:first",
    f"{PREFIX}:execution:fuzz:missing",
    f"{PREFIX}:express:fuzz-express:x",
    f"{PREFIX}:mapRun:fuzz/Map:abc",
    f"{PREFIX}:stateMachine:",
    f"{PREFIX}:stateMachine:a:b:c",
    f"{PREFIX}:bogus:x",
    f"{PREFIX}:stateMachine:fuzz\n",
    "arn:aws:states:us-east-1:1:stateMachine:x",
    "arn:aws:states:::",
    "arn:",
    "arn:aws:iam::123456789012:role/fuzz",
    ROLE,
    "arn:aws:lambda:us-east-1:123456789012:function:f",
    f"{PREFIX}:stateMachine:{'x' * 300}",
    f"{PREFIX}:activity:a\u0000b",
]
TOKENS = [
    "e30=",
    "garbage!!",
    "AAAA",
    "MQ==",
    "LTE=",
    "dHJ1ZQ==",
    "IngiIA==",
    "OTk5OTk5OTk5OTk5OTk5OTk5OTk5OQ==",
    base64.b64encode(b"[" * 600).decode(),
    "A" * 88,
    "A" * 1025,
    "\u0000",
]


def _documents() -> list[str]:
    """JSON texts (and near misses) for input, output, definition and variables members."""
    return [
        "{}",
        "[]",
        "null",
        "1",
        '"s"',
        '{"a": [1, 2, {"b": null}]}',
        json.dumps(PASS),
        json.dumps({"Type": "Pass", "End": True}),
        json.dumps({"StartAt": "A", "States": {"A": {"Type": "Fail", "Error": "E"}}}),
        json.dumps(
            {
                "QueryLanguage": "JSONata",
                "StartAt": "A",
                "States": {"A": {"Type": "Pass", "Output": "{% $states.input %}", "End": True}},
            }
        ),
        json.dumps(
            {
                "StartAt": "A",
                "States": {
                    "A": {
                        "Type": "Choice",
                        "Choices": [{"Variable": "$.x", "IsPresent": True, "Next": "B"}],
                        "Default": "B",
                    },
                    "B": {"Type": "Succeed"},
                },
            }
        ),
        "{",
        "nope",
        "NaN",
        "Infinity",
        "1e999",
        "1" * 5000,
        '"\\ud800"',
        '{"\\ud800": 1}',
        DEEP,
        '{"a":' * 600 + "1" + "}" * 600,
        '"\\u0000"',
        "{" + ",".join(f'"k{i}": {i}' for i in range(2000)) + "}",
        json.dumps({"s": "x" * 300_000}),
        "StartAt: A\nStates: {A: {Type: Pass, End: true}}",
    ]


DOCUMENTS = _documents()


# Real ARNs of each kind, by the member that takes them (the odd ones of ARNS are mixed in too).
KINDS = {
    "statemachinearn": [MACHINE, EXPRESS, f"{MACHINE}:1", f"{MACHINE}:live"],
    "statemachineversionarn": [f"{MACHINE}:1", f"{MACHINE}:2"],
    "statemachinealiasarn": [f"{MACHINE}:live"],
    "activityarn": [ACTIVITY],
    "executionarn": [f"{PREFIX}:execution:fuzz:first"],
    "resourcearn": [MACHINE, ACTIVITY],
}


class Fuzzer:
    """Builds requests for the model's operations from one seeded random source.

    `learn(answer)` keeps what answers hand out (page tokens, execution ARNs) to aim later requests at.
    """

    def __init__(self, rng: random.Random, task_tokens: list[str]):
        self.rng = rng
        self.clean = False  # this request: valid-ish values only, nothing broken on purpose
        self.tokens = list(TOKENS)
        self.task_tokens = task_tokens
        self.kinds = {kind: list(arns) for kind, arns in KINDS.items()}

    def learn(self, answer: dict[str, Any]) -> None:
        if isinstance(answer.get("nextToken"), str):
            self.tokens.append(answer["nextToken"])
        if isinstance(answer.get("executionArn"), str):
            self.kinds["executionarn"].append(answer["executionArn"])

    def request(self) -> tuple[bytes, dict[str, str]]:
        """(body, headers) of the next request."""
        rng = self.rng
        action = rng.choice(MODEL.operation_names)
        headers = {"X-Amz-Target": f"AWSStepFunctions.{action}", "Content-Type": "application/x-amz-json-1.0"}
        roll = rng.random()
        if roll < 0.03:
            return rng.randbytes(rng.randint(0, 200)), headers
        if roll < 0.05:
            headers["X-Amz-Target"] = rng.choice(
                [
                    "",
                    "AWSStepFunctions.",
                    "AWSStepFunctions.Nope",
                    f"Other.{action}",
                    f"AWSStepFunctions.{action.lower()}",
                    "AWSStepFunctions.__init__",
                ]
            )
            return b"{}", headers
        if roll < 0.07:
            return rng.choice(
                [
                    b"",
                    b"[]",
                    b"null",
                    b"1",
                    b'"x"',
                    b"{",
                    b"{}}",
                    DEEP.encode(),
                    b'{"a": "\\ud800"}',
                    b"\xff\xfe{}",
                    b"{" + b" " * 1_100_000 + b"}",
                ]
            ), headers
        shape = MODEL.operation_model(action).input_shape
        self.clean = rng.random() < 0.3
        body = self.structure(shape, 0) if shape is not None else {}
        if not self.clean:
            self.mutate(shape, body)
        text = json.dumps(body, ensure_ascii=rng.random() < 0.5)
        if (
            not self.clean and rng.random() < 0.05
        ):  # a lone surrogate as a JSON escape, which json.dumps never writes
            text = text.replace('"', '"\\udc80', 1) if text.count('"') else text
        return text.encode("utf-8", "surrogatepass"), headers

    def mutate(self, shape: Shape | None, body: dict[str, Any]) -> None:
        """Break the request in one way most of the time: a member missing, of the wrong type,
        huge or deep."""
        rng = self.rng
        members = list(shape.members) if shape is not None else []
        roll = rng.random()
        if not members or roll < 0.35:
            return
        name = rng.choice(members)
        if roll < 0.5:
            body.pop(name, None)
        elif roll < 0.7:
            body[name] = rng.choice([None, 1, -1, 2**70, 1.5, True, "s", [], {}, [1, "a"], {"a": {"b": []}}])
        elif roll < 0.8:
            body[name] = "x" * rng.choice([81, 257, 262_145, 600_000])
        elif roll < 0.9:
            body[name] = json.loads("[" * 400 + "]" * 400)
        else:
            body["unknownMember"] = rng.choice(ODD_STRINGS)

    def structure(self, shape: Shape, depth: int) -> dict[str, Any]:
        """A value for each required member and some optional ones."""
        out: dict[str, Any] = {}
        for name, member in shape.members.items():
            if name in shape.required_members or self.rng.random() < 0.4:
                out[name] = self.value(name, member, depth + 1)
        return out

    def value(self, name: str, shape: Shape, depth: int) -> Any:
        """A valid-ish value of `shape` for the member `name` (ARNs for *Arn, JSON for inputs...),
        or an odd one."""
        rng = self.rng
        kind = shape.type_name
        if kind == "structure":
            return self.structure(shape, depth) if depth < 6 else {}
        if kind == "list":
            return (
                [self.value(name, shape.member, depth + 1) for _ in range(rng.randint(0, 3))]
                if depth < 6
                else []
            )
        if kind == "map":
            return {
                rng.choice(["k", "", "\n"]): self.value(name, shape.value, depth + 1)
                for _ in range(rng.randint(0, 2))
            }
        if kind == "boolean":
            return rng.random() < 0.5
        if kind in ("integer", "long"):
            return rng.choice([0, 1, 2, 10, 100, 1000, 1001, -1, 2**31, 2**63, 10**30])
        if kind in ("float", "double"):
            return rng.choice([0.0, 0.5, 100.0, -1.0, 1e308])
        if kind == "timestamp":
            return rng.choice([0, 1_700_000_000, 1e12, -1e12, "2024-01-01T00:00:00Z", "not a date", 2**62])
        if kind == "blob":
            return rng.choice(["AAAA", "!!", ""])
        return self.string(name, shape)

    def string(self, name: str, shape: Shape) -> str:
        rng = self.rng
        if shape.enum and (self.clean or rng.random() < 0.8):
            return rng.choice(shape.enum)
        if not self.clean and rng.random() < 0.15:
            return rng.choice(ODD_STRINGS)
        lowered = name.lower()
        if lowered.endswith("arn"):
            if lowered == "rolearn":
                return ROLE if self.clean or rng.random() < 0.6 else rng.choice(ARNS)
            real = self.kinds.get(lowered)
            return rng.choice(real) if real and (self.clean or rng.random() < 0.6) else rng.choice(ARNS)
        if lowered in ("input", "output", "definition", "variables", "result", "context"):
            return rng.choice(DOCUMENTS[:11] if self.clean else DOCUMENTS)
        if lowered == "nexttoken":
            return rng.choice(self.tokens[len(TOKENS) :] or TOKENS) if self.clean else rng.choice(self.tokens)
        if lowered == "tasktoken":
            return (
                rng.choice(self.task_tokens)
                if self.task_tokens and rng.random() < 0.5
                else rng.choice(TOKENS)
            )
        if lowered in ("name", "statename"):
            clean = [
                "fuzz",
                "live",
                "first",
                f"n{rng.randint(0, 50)}",
                "A",
                "alias_1",
                f"run-{rng.randint(0, 10**6)}",
            ]
            return rng.choice(clean if self.clean else [*clean, "a\n", "with space", "1", "\u0000"])
        clean = ["x", "E", "description", "", "k", "v", "A", "caf\u00e9 \U0001f600", "a b_c.d:e/f=g+h-i@j"]
        return rng.choice(clean if self.clean else [*clean, "nul\u0000", "tab\t", "\r\n", "\u0007"])


def _allowed(action: str) -> set[str]:
    if action not in MODEL.operation_names:
        return COMMON
    return COMMON | {shape.name for shape in MODEL.operation_model(action).error_shapes}


def _target_action(headers: dict[str, str]) -> str:
    prefix, _, action = headers["X-Amz-Target"].partition(".")
    return action if prefix == "AWSStepFunctions" else ""


def _prepare(server: Server) -> list[str]:
    """Real things to aim at: a machine with a version and an alias, an express machine, an activity,
    an execution, and executions waiting on the activity; the task tokens of those."""
    sfn = server.client()
    waiting = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": ACTIVITY, "End": True}}}
    sfn.create_state_machine(name="fuzz", definition=json.dumps(PASS), roleArn=ROLE, publish=True)
    sfn.create_state_machine(name="fuzz-express", definition=json.dumps(PASS), roleArn=ROLE, type="EXPRESS")
    sfn.create_state_machine_alias(
        name="live", routingConfiguration=[{"stateMachineVersionArn": f"{MACHINE}:1", "weight": 100}]
    )
    sfn.create_activity(name="fuzz")
    sfn.start_execution(stateMachineArn=MACHINE, name="first")
    worker = sfn.create_state_machine(name="fuzz-activity", definition=json.dumps(waiting), roleArn=ROLE)[
        "stateMachineArn"
    ]
    tokens = []
    for _ in range(8):
        sfn.start_execution(stateMachineArn=worker)
        tokens.append(sfn.get_activity_task(activityArn=ACTIVITY, workerName="fuzz")["taskToken"])
    return tokens


def fuzz(
    server: Server, requests: int, seconds: float, seed: int, task_tokens: list[str]
) -> tuple[Counter, list[str]]:
    """Send up to `requests` requests (stopping after `seconds`); (answers by status, problems found)."""
    fuzzer = Fuzzer(random.Random(seed), task_tokens)
    statuses: Counter = Counter()
    problems: list[str] = []
    deadline = time.monotonic() + seconds
    with httpx.Client(base_url=server.url, timeout=120) as http:
        for number in range(requests):
            if time.monotonic() > deadline:
                break
            body, headers = fuzzer.request()
            if _target_action(headers) == "GetActivityTask" and ACTIVITY.encode() in body:
                body = body.replace(
                    ACTIVITY.encode(), f"{PREFIX}:activity:absent".encode()
                )  # not a 60 s long poll
            answer = http.post("/", content=body, headers=headers)
            statuses[answer.status_code] += 1
            if answer.status_code == 200:
                fuzzer.learn(answer.json())
            problem = _judge(_target_action(headers), answer)
            if problem:
                problems.append(f"#{number} {headers['X-Amz-Target']} {body[:300]!r}: {problem}")
    return statuses, problems


BURST_ACTIONS = (
    "StartExecution",
    "StartSyncExecution",
    "StopExecution",
    "DescribeExecution",
    "SendTaskSuccess",
    "SendTaskFailure",
    "RedriveExecution",
    "CreateStateMachine",
    "DeleteStateMachine",
    "ListExecutions",
)


def burst(
    server: Server, requests: int, seed: int, task_tokens: list[str], clients: int = 8
) -> tuple[Counter, list[str]]:
    """`requests` requests of the actions that race (starts, answers, stops, deletes),
    sent by `clients` at once.

    On SQLite StartExecutions that arrive together share one transaction; each must still get its own answer.
    """
    fuzzer = Fuzzer(random.Random(seed), task_tokens)
    planned = []
    while len(planned) < requests:
        body, headers = fuzzer.request()
        if _target_action(headers) in BURST_ACTIONS:
            planned.append((body, headers))
    statuses: Counter = Counter()
    problems: list[str] = []
    with httpx.Client(base_url=server.url, timeout=120, limits=httpx.Limits(max_connections=clients)) as http:

        def send(request: tuple[bytes, dict[str, str]]) -> tuple[str, httpx.Response]:
            body, headers = request
            return f"{headers['X-Amz-Target']} {body[:300]!r}", http.post("/", content=body, headers=headers)

        with concurrent.futures.ThreadPoolExecutor(clients) as pool:
            for described, answer in pool.map(send, planned):
                statuses[answer.status_code] += 1
                problem = _judge(described.split(" ")[0].partition(".")[2], answer)
                if problem:
                    problems.append(f"{described}: {problem}")
    return statuses, problems


def _judge(action: str, answer: httpx.Response) -> str | None:
    """What is wrong with `answer`, or None."""
    if answer.status_code >= 500:
        return f"{answer.status_code} {answer.text[:300]}"
    if answer.status_code < 400:
        return None
    try:
        error = answer.json()["__type"]
    except (ValueError, KeyError, TypeError):
        return f"{answer.status_code} without a __type: {answer.text[:300]}"
    if error not in _allowed(action):
        return (
            f"{answer.status_code} {error!r}, which the model does not list for {action}: "
            f"{answer.json().get('message', '')[:200]}"
        )
    return None


@pytest.fixture(params=["sqlite", "postgres"])
def fuzzed(request: pytest.FixtureRequest, tmp_path) -> Iterator[tuple[Server, list[str]]]:
    db_url = None if request.param == "sqlite" else request.getfixturevalue("postgres_store_url")()
    with serve(tmp_path, "--workers", "1", db_url=db_url) as server:
        yield server, _prepare(server)


def test_no_request_gets_a_5xx_or_an_error_the_model_does_not_name(fuzzed):
    server, task_tokens = fuzzed
    started = time.monotonic()
    statuses, problems = fuzz(server, REQUESTS, SECONDS, SEED, task_tokens)
    raced, race_problems = burst(server, max(50, REQUESTS // 10), SEED + 1, task_tokens)
    statuses.update(raced)
    problems += race_problems
    sent = sum(statuses.values())
    print(
        f"\nfuzzed {server.db_url.split(':')[0]}: {sent} requests in {time.monotonic() - started:.1f} s, "
        f"seed {SEED}, answers {dict(sorted(statuses.items()))}, {len(problems)} problems"
    )
    assert sent >= min(REQUESTS, 100)
    assert not problems, "\n".join(problems[:15]) + f"\n... {len(problems)} in all\n" + server.logs()[-3000:]
    assert "Traceback" not in server.logs(), server.logs()[-5000:]
