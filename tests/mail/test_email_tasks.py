"""Mail from workflows: the email Task resources in real executions,
and `send_email` in a real function worker.

Executions run on a SQLite file with `sojourn.Client`; the deliverer sends to a real aiosmtpd server.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Iterator

import pytest

from sojourn.asl.errors import StatesError
from sojourn.client import Client
from sojourn.config import Settings
from sojourn.functions import Function, FunctionPool
from sojourn.functions.pool import sojourn_environment
from sojourn.integrations import TaskCall, resolve
from sojourn.integrations.base import Facilities
from sojourn.mail.deliverer import Deliverer

HANDLER = """
from sojourn.mail import send_email


def notify(event, context):
    sent = send_email(to=[event["to"]], subject=f"Leave on {event['date']}",
                      html=f"<p>Leave on {event['date']}</p>", text=f"Leave on {event['date']}")
    return {"messageId": sent}
"""
ROLE = "arn:aws:iam::123456789012:role/sojourn"


@pytest.fixture
def sojourn(tmp_path, smtp_server) -> Iterator[tuple[Client, Deliverer]]:
    """A client whose executions run inline, a function pool, and a deliverer to the test's SMTP server."""
    code = tmp_path / "code"
    code.mkdir()
    (code / "leave.py").write_text(textwrap.dedent(HANDLER))
    settings = Settings(
        db_url=f"sqlite:///{tmp_path}/sojourn.db",
        data_dir=str(tmp_path / "data"),
        smtp_host="127.0.0.1",
        smtp_port=smtp_server.port,
        smtp_sender="leave@example.com",
    )
    pool = FunctionPool([Function("notify", "leave.notify", code)], environment=sojourn_environment(settings))
    client = Client(settings=settings, facilities=Facilities(settings=settings, functions=pool), workers=0)
    smtp_server.start()
    yield client, Deliverer(client.store, settings)
    client.close()
    pool.close()


def run(client: Client, state: dict, payload: object = None) -> tuple[str, dict]:
    """Run a one-Task execution until it ends or waits; its ARN and description."""
    definition = {"StartAt": "Send", "States": {"Send": {"Type": "Task", "End": True, **state}}}
    machine = client.create_state_machine(name="M", definition=json.dumps(definition), roleArn=ROLE)[
        "stateMachineArn"
    ]
    execution = client.start_execution(stateMachineArn=machine, input=json.dumps(payload or {}))[
        "executionArn"
    ]
    client.run_until_idle()
    return execution, client.describe_execution(executionArn=execution)


def test_sesv2_send_email_queues_the_mail_and_the_smtp_server_receives_it(sojourn, smtp_server):
    client, deliverer = sojourn
    _, described = run(
        client,
        {
            "Resource": "arn:aws:states:::aws-sdk:sesv2:sendEmail",
            "Parameters": {
                "FromEmailAddress": "Leave App <leave@example.org>",
                "Destination": {"ToAddresses.$": "States.Array($.lead)", "CcAddresses": ["hr@example.com"]},
                "ReplyToAddresses": ["noreply@example.org"],
                "Content": {
                    "Simple": {
                        "Subject": {"Data.$": "States.Format('Leave for {}', $.name)"},
                        "Body": {
                            "Text": {"Data": "Please decide."},
                            "Html": {"Data": "<p>Please decide.</p>"},
                        },
                    }
                },
            },
        },
        {"lead": "lead@example.com", "name": "Ann"},
    )
    assert described["status"] == "SUCCEEDED"
    message_id = json.loads(described["output"])["MessageId"]
    assert deliverer.deliver_due() == 1
    [received] = smtp_server.received
    assert received.rcpt_tos == ["lead@example.com", "hr@example.com"]
    assert (received.message["From"], received.message["Subject"], received.message["Reply-To"]) == (
        "Leave App <leave@example.org>",
        "Leave for Ann",
        "noreply@example.org",
    )
    assert (received.part("plain"), received.part("html")) == ("Please decide.\n", "<p>Please decide.</p>\n")
    assert client.get_mail(messageId=message_id)["status"] == "SENT"


def test_a_sent_approval_mail_is_kept_with_its_task_token_redacted_and_the_token_still_answers(
    sojourn, smtp_server
):
    client, deliverer = sojourn
    execution, _ = run(
        client,
        {
            "Resource": "arn:aws:states:::sojourn:email.send.waitForTaskToken",
            "Parameters": {
                "To": "lead@example.com",
                "Subject": "Approve?",
                "Text.$": "States.Format('Approve: https://leave.example.com/approve/{}', $$.Task.Token)",
                "Html.$": (
                    "States.Format("
                    "'<a href=\"https://leave.example.com/approve/{}\">Approve</a>', $$.Task.Token)"
                ),
            },
        },
    )
    assert deliverer.deliver_due() == 1
    token = re.search(r"approve/(\S+)", smtp_server.received[0].part("plain"))[1]
    [summary] = client.list_mail()["messages"]
    kept = client.get_mail(messageId=summary["messageId"])
    assert kept["status"] == "SENT" and token not in kept["text"] + kept["html"]
    assert (
        "approve/<task token: redacted>" in kept["text"] and "approve/<task token: redacted>" in kept["html"]
    )
    client.send_task_success(taskToken=token, output=json.dumps({"approved": True}))
    client.run_until_idle()
    assert json.loads(client.describe_execution(executionArn=execution)["output"]) == {"approved": True}


def test_a_bad_sesv2_request_fails_the_task_with_sesv2_bad_request_exception(sojourn):
    client, _ = sojourn
    _, described = run(
        client,
        {
            "Resource": "arn:aws:states:::aws-sdk:sesv2:sendEmail",
            "Parameters": {
                "Destination": {"ToAddresses": ["not an address"]},
                "Content": {"Simple": {"Subject": {"Data": "x"}, "Body": {"Text": {"Data": "y"}}}},
            },
        },
    )
    assert (described["status"], described["error"]) == ("FAILED", "SesV2.BadRequestException")
    assert described["cause"].startswith(
        "Destination.ToAddresses: 'not an address' is not one valid email address"
    )
    assert "(Service: SesV2, Status Code: 400, Request ID: " in described["cause"]
    assert client.list_mail() == {"messages": []}


@pytest.mark.parametrize(
    ("parameters", "problem"),
    [
        ({"Destination": {"ToAddresses": ["a@example.com"]}}, "Missing required parameter: Content"),
        (
            {"Destination": {"ToAddresses": ["a@example.com"]}, "Content": {"Raw": {"Data": "..."}}},
            "Content.Simple messages only",
        ),
        (
            {
                "Destination": {"ToAddresses": ["a@example.com"]},
                "Content": {"Simple": {"Body": {"Text": {"Data": "y"}}}},
            },
            "Missing required parameter: Content.Simple.Subject",
        ),
        (
            {
                "Destination": {"ToAddresses": ["a@example.com"]},
                "Content": {"Simple": {"Subject": {"Data": "x"}, "Body": {}}},
            },
            "a message needs a body",
        ),
        (
            {"Content": {"Simple": {"Subject": {"Data": "x"}, "Body": {"Text": {"Data": "y"}}}}},
            "at least one recipient",
        ),
        ({"Destinations": {}}, "Unknown parameter(s) for SendEmail: Destinations"),
    ],
)
def test_sesv2_requests_sojourn_cannot_send_are_bad_requests(parameters, problem, tmp_path):
    call = TaskCall(resource="arn:aws:states:::aws-sdk:sesv2:sendEmail", parameters=parameters)
    with pytest.raises(StatesError) as raised:
        resolve(call.resource).invoke(call, Facilities())
    assert raised.value.error == "SesV2.BadRequestException"
    assert problem in raised.value.cause


def test_email_send_wait_for_task_token_mails_the_token_and_the_reply_resumes_the_execution(sojourn):
    client, deliverer = sojourn
    deliverer.settings = Settings(
        smtp_sender="dev@localhost"
    )  # no SMTP host: the mail is kept for the developer
    execution, described = run(
        client,
        {
            "Resource": "arn:aws:states:::sojourn:email.send.waitForTaskToken",
            "Parameters": {
                "To": "lead@example.com",
                "Subject": "Approve?",
                "Text.$": (
                    "States.Format('Approve: https://leave.example.com/approve?token={}', $$.Task.Token)"
                ),
            },
        },
    )
    assert described["status"] == "RUNNING"
    deliverer.deliver_due()
    [summary] = client.list_mail(to="lead@example.com")["messages"]
    assert (summary["status"], summary["from"]) == ("KEPT", "dev@localhost")
    token = re.search(r"token=(\S+)", client.get_mail(messageId=summary["messageId"])["text"])[1]
    client.send_task_success(taskToken=token, output=json.dumps({"approved": True}))
    client.run_until_idle()
    assert json.loads(client.describe_execution(executionArn=execution)["output"]) == {"approved": True}


def test_email_send_refuses_unknown_fields_with_a_task_failure(sojourn):
    client, _ = sojourn
    _, described = run(
        client,
        {
            "Resource": "arn:aws:states:::sojourn:email.send",
            "Parameters": {"To": "a@example.com", "Subject": "x", "Body": "y"},
        },
    )
    assert (described["status"], described["error"]) == ("FAILED", "States.TaskFailed")
    assert "unknown field(s) Body" in described["cause"]


def test_email_send_names_its_own_field_in_errors(sojourn):
    client, _ = sojourn
    _, described = run(
        client,
        {
            "Resource": "arn:aws:states:::sojourn:email.send",
            "Parameters": {"To": "a@example.com", "Cc": ["bad"], "Subject": "x", "Text": "y"},
        },
    )
    assert described["cause"].startswith("sojourn:email.send: Cc: 'bad' is not one valid email address")


def test_a_task_invoked_again_after_a_crash_does_not_queue_its_mail_twice(sojourn):
    client, _ = sojourn
    call = TaskCall(
        resource="arn:aws:states:::sojourn:email.send",
        idempotency_key="arn:execution/7/0",
        parameters={"To": ["a@example.com"], "Subject": "Hi", "Html": "<p>Hi</p>"},
    )
    first = resolve(call.resource).invoke(call, client.facilities)
    again = resolve(call.resource).invoke(call, client.facilities)
    assert first == again
    assert len(client.list_mail()["messages"]) == 1


def test_a_function_in_its_own_worker_process_sends_mail_through_the_outbox(sojourn, smtp_server):
    client, deliverer = sojourn
    _, described = run(
        client,
        {"Resource": "arn:aws:lambda:us-east-1:123456789012:function:notify"},
        {"to": "ann@example.com", "date": "2025-07-01"},
    )
    assert described["status"] == "SUCCEEDED", described
    message_id = json.loads(described["output"])["messageId"]
    assert client.get_mail(messageId=message_id)["status"] == "PENDING"
    deliverer.deliver_due()
    [received] = smtp_server.received
    assert (received.rcpt_tos, received.message["Subject"], received.message["From"]) == (
        ["ann@example.com"],
        "Leave on 2025-07-01",
        "leave@example.com",
    )
