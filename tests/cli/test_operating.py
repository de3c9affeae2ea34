"""Operating commands (issue 17): `sojourn backup` copies a SQLite database while it serves, and the copy
continues a waiting execution; `sojourn purge --dry-run` says what would go and changes nothing."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

from typer.testing import CliRunner

from sojourn.cli import app
from sojourn.client import Client
from sojourn.config import Settings
from sojourn.mail.deliverer import Deliverer

ROLE = "arn:aws:iam::123456789012:role/test"
WAITS = {
    "StartAt": "Wait",
    "States": {
        "Wait": {
            "Type": "Task",
            "Resource": "arn:aws:states:::sojourn:email.send.waitForTaskToken",
            "Parameters": {"To": "bo@example.com", "Subject": "Answer", "Text.$": "$$.Task.Token"},
            "HeartbeatSeconds": 3600,
            "Next": "Done",
        },
        "Done": {"Type": "Pass", "End": True},
    },
}


def sojourn(*args: str):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def test_a_backup_taken_while_serving_continues_the_waiting_execution(tmp_path: Path):
    url = f"sqlite:///{tmp_path}/live.db"
    live = Client(settings=Settings(db_url=url), workers=1)
    try:
        machine = live.create_state_machine(name="waits", definition=json.dumps(WAITS), roleArn=ROLE)
        arn = live.start_execution(stateMachineArn=machine["stateMachineArn"], input='{"n": 1}')[
            "executionArn"
        ]
        deadline = time.monotonic() + 20
        while not live.list_mail()["messages"]:  # the worker sends the email with the token
            assert time.monotonic() < deadline, "no email"
            Deliverer(live.store, live.settings).deliver_due()
            time.sleep(0.05)
        (message,) = live.list_mail()["messages"]
        token = live.get_mail(messageId=message["messageId"])["text"].strip()
        copy = tmp_path / "copy.db"
        result = sojourn("backup", str(copy), "--db", url, "--json")  # the live client keeps serving
        assert result.exit_code == 0, result.stderr
        assert json.loads(result.stdout)["bytes"] == copy.stat().st_size > 0
        again = sojourn("backup", str(copy), "--db", url)
        assert again.exit_code == 1 and "exists" in again.stderr  # never overwritten
    finally:
        live.close()
    restored = Client(settings=Settings(db_url=f"sqlite:///{copy}"), workers=1)
    try:
        assert restored.describe_execution(executionArn=arn)["status"] == "RUNNING"
        restored.send_task_success(taskToken=token, output='{"answer": 42}')
        described = restored.wait_for_execution(executionArn=arn, timeout=20)
        assert described["status"] == "SUCCEEDED" and json.loads(described["output"]) == {"answer": 42}
    finally:
        restored.close()


def test_purge_dry_run_counts_and_removes_nothing(tmp_path: Path):
    url = f"sqlite:///{tmp_path}/s.db"
    with Client(settings=Settings(db_url=url), workers=0, start=False) as client:
        done = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
        machine = client.create_state_machine(name="done", definition=json.dumps(done), roleArn=ROLE)
        client.start_execution(stateMachineArn=machine["stateMachineArn"])
        client.run_until_idle()
    result = sojourn("purge", "--dry-run", "--db", url, "--older-than-days", "1", "--json")
    assert json.loads(result.stdout) == {"dryRun": True, "olderThanDays": 1, "executions": 0, "mail": 0}
    words = sojourn("purge", "--db", url, "--older-than-days", "1").stdout
    assert re.search(r"removed 0 closed executions and 0 messages older than 1 days", words)
    refused = sojourn("purge", "--db", url, "--older-than-days", "0")
    assert refused.exit_code == 1 and "at least 1" in refused.stderr
