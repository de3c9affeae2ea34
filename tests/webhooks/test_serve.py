"""The webhook deliverer runs inside every `sojourn serve` / `sojourn worker` process (server.Host starts
and stops it): a real `sojourn serve` configured by the environment tells a real receiver of its
executions, signed with the secret of the variable its configuration names."""

from __future__ import annotations

import json

from mail.support import eventually
from servers import serve, wait_for, wait_for_status
from sojourn import server
from sojourn.client import Client
from webhooks.conftest import SECRET

ROLE = "arn:aws:iam::123456789012:role/test"
PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})


def test_a_host_starts_and_stops_the_webhook_deliverer(settings, receiver, tmp_path):
    receiver.start()
    settings = settings.replace(db_url=f"sqlite:///{tmp_path}/host.db")
    host = server.Host(Client(settings=settings, workers=1), settings, workers=1)
    host.start()
    try:
        machine = host.client.create_state_machine(name="m", definition=PASS, roleArn=ROLE)
        host.client.start_execution(stateMachineArn=machine["stateMachineArn"])
        assert eventually(lambda: len(receiver.received) == 2, host.client.store)
    finally:
        host.stop()
    assert host.webhooks is None
    assert [got.json["detail"]["status"] for got in receiver.received] == ["RUNNING", "SUCCEEDED"]


def test_sojourn_serve_posts_status_changes_from_its_environment_s_configuration(tmp_path, receiver):
    receiver.start()
    hooks = {"ops": {"url": receiver.url, "secret_env": "OPS_SECRET", "statuses": ["SUCCEEDED"]}}
    env = {"SOJOURN_WEBHOOKS": json.dumps(hooks), "OPS_SECRET": SECRET}
    with serve(tmp_path, env=env) as running:
        sfn = running.client()
        machine = sfn.create_state_machine(name="m", definition=PASS, roleArn=ROLE)
        arn = sfn.start_execution(stateMachineArn=machine["stateMachineArn"])["executionArn"]
        wait_for_status(sfn, arn, "SUCCEEDED")
        wait_for(lambda: receiver.received)
        logs = running.logs()
    [got] = receiver.received
    assert got.verifies(SECRET) and got.json["detail"]["executionArn"] == arn
    assert SECRET not in logs and "/hook" not in logs
