"""SMTP over STARTTLS and implicit TLS, with the server's certificate verified (a test CA made by trustme)."""

from __future__ import annotations

import ssl

import pytest
import trustme

from sojourn.mail import Message, enqueue


@pytest.fixture
def certificate_authority(monkeypatch, tmp_path):
    """A CA that OpenSSL trusts in this process (SSL_CERT_FILE), and a server context for 127.0.0.1."""
    authority = trustme.CA()
    bundle = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(server_context)
    return bundle, server_context


def status(store, message_id: str) -> dict:
    with store.transaction() as tx:
        return tx.mail_message(message_id)


def message() -> Message:
    return Message(to=["ann@example.com"], subject="Leave approved", text="Enjoy your day off.\n")


def test_starttls_upgrades_the_connection_and_verifies_the_servers_certificate(
    store, smtp_server, smtp_settings, make_deliverer, clock, certificate_authority, monkeypatch
):
    bundle, server_context = certificate_authority
    smtp_server.start(tls_context=server_context, require_starttls=True)
    settings = smtp_settings.replace(smtp_starttls=True)
    untrusted = enqueue(store, message(), now=clock())
    make_deliverer(settings).deliver_due()
    refused = status(store, untrusted)
    assert (
        refused["status"] == "PENDING" and "CERTIFICATE_VERIFY_FAILED" in refused["last_error"]
    )  # kept, retried
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    clock.advance(3600)
    make_deliverer(settings).deliver_due()
    assert status(store, untrusted)["status"] == "SENT"
    assert [r.message["Subject"] for r in smtp_server.received] == ["Leave approved"]


def test_implicit_tls_sends_over_an_encrypted_connection(
    store, smtp_server, smtp_settings, make_deliverer, clock, certificate_authority, monkeypatch
):
    bundle, server_context = certificate_authority
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    smtp_server.start(ssl_context=server_context)
    message_id = enqueue(store, message(), now=clock())
    make_deliverer(smtp_settings.replace(smtp_tls=True)).deliver_due()
    assert status(store, message_id)["status"] == "SENT", status(store, message_id)["last_error"]
    assert smtp_server.received[0].part("plain") == "Enjoy your day off.\n"
