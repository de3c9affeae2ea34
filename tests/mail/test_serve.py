"""The deliverer runs inside every `sojourn serve` / `sojourn worker` process
(server.Host starts and stops it)."""

from __future__ import annotations

from mail.support import eventually
from sojourn import server
from sojourn.client import Client
from sojourn.config import Settings
from sojourn.mail import send_email


def test_a_served_process_delivers_mail_that_its_functions_queue(tmp_path, monkeypatch, smtp_server):
    smtp_server.start()
    settings = Settings(
        db_url=f"sqlite:///{tmp_path}/sojourn.db", smtp_host="127.0.0.1", smtp_port=smtp_server.port
    )
    monkeypatch.setenv("SOJOURN_DB_URL", settings.db_url)  # what a function's worker process receives
    host = server.Host(Client(settings=settings, workers=0), settings, workers=0)
    host.start()
    try:
        message_id = send_email(to=["ann@example.com"], subject="Hi", text="Hello")  # its own store object
        assert eventually(
            lambda: host.client.get_mail(messageId=message_id)["status"] == "SENT", host.client.store
        )
    finally:
        host.stop()
    assert host.mail is None
    assert [r.message["Subject"] for r in smtp_server.received] == ["Hi"]
