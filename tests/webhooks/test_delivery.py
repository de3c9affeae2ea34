"""Delivery to a real receiver over HTTP: what arrives and how it is signed, retries that lose nothing while
the receiver is down, then slow, then up, answers that are not 2xx, giving up, and the httpx seam.

Every test runs on SQLite and on PostgreSQL (`store`); retries fall due on the test's clock, never slept for.
"""

from __future__ import annotations

import logging
import random

import httpx
import pytest

from sojourn.store.base import Store
from sojourn.webhooks import enqueue
from sojourn.webhooks.deliverer import MAX_RESPONSE_BYTES, WebhookDeliverer, retry_delay, sign
from webhooks.conftest import SECRET


def _row(store: Store, delivery_id: str) -> dict:
    with store.transaction() as tx:
        return dict(tx.webhook_delivery(delivery_id) or {})


def _enqueue(store: Store, url: str, clock, body=None, **options) -> str:
    options.setdefault("secret_name", "HOOK_SECRET")
    return enqueue(store, url, body or {"hello": "world"}, "test", now=clock(), **options)


def _retry_all(deliverer: WebhookDeliverer, clock, rounds: int = 1) -> None:
    for _ in range(rounds):
        clock.advance(3600.0)  # past any backoff
        deliverer.deliver_due()


def test_the_receiver_gets_the_body_with_its_id_timestamp_and_a_signature_it_can_verify(
    store, settings, receiver, clock
):
    receiver.start()
    delivery_id = _enqueue(store, receiver.url, clock, {"b": 1, "a": "é"})
    deliverer = WebhookDeliverer(store, settings, clock=clock)
    assert deliverer.deliver_due() == 1
    [got] = receiver.received
    assert got.json == {"b": 1, "a": "é"}
    assert got.headers["content-type"] == "application/json"
    assert got.headers["x-sojourn-delivery"] == delivery_id
    assert got.headers["x-sojourn-timestamp"] == str(int(clock()))
    assert got.verifies(SECRET) and not got.verifies("another secret")
    row = _row(store, delivery_id)
    assert (row["status"], row["attempts"], row["last_status"], row["delivered_at"]) == (
        "DELIVERED",
        1,
        200,
        clock(),
    )
    assert deliverer.deliver_due() == 0  # delivered once
    deliverer.close()


def test_down_then_slow_then_up_loses_nothing_and_repeats_each_id(store, settings, receiver, clock):
    ids = [_enqueue(store, receiver.url, clock, {"event": n}) for n in range(3)]
    deliverer = WebhookDeliverer(store, settings, clock=clock)
    assert deliverer.deliver_due() == 3  # down: nobody listens
    assert {_row(store, i)["last_error"].split(":")[0] for i in ids} == {"ConnectError"}
    assert {_row(store, i)["status"] for i in ids} == {"PENDING"}

    receiver.delay = settings.webhook_timeout + 0.5  # slow: answers after the deliverer stopped waiting
    receiver.start()
    _retry_all(deliverer, clock)
    assert {_row(store, i)["last_error"] for i in ids} == {"timed out"}
    assert len(receiver.received) == 3

    receiver.delay = 0.0  # up
    _retry_all(deliverer, clock)
    assert {_row(store, i)["status"] for i in ids} == {"DELIVERED"}
    assert [_row(store, i)["attempts"] for i in ids] == [3, 3, 3]
    by_id: dict[str, list] = {}
    for got in receiver.received:
        by_id.setdefault(got.headers["x-sojourn-delivery"], []).append(got)
    assert sorted(by_id) == sorted(ids) and all(len(tries) == 2 for tries in by_id.values())
    assert all(got.verifies(SECRET) for got in receiver.received)
    assert sorted(tries[-1].json["event"] for tries in by_id.values()) == [0, 1, 2]
    deliverer.close()


def test_an_answer_that_is_not_2xx_is_tried_again_later_with_its_status_and_a_short_excerpt(
    store, settings, receiver, clock
):
    receiver.status, receiver.answer = 503, b"busy " * (MAX_RESPONSE_BYTES * 50)
    receiver.start()
    delivery_id = _enqueue(store, receiver.url, clock)
    deliverer = WebhookDeliverer(store, settings, clock=clock, rng=random.Random(7))
    deliverer.deliver_due()
    row = _row(store, delivery_id)
    assert (row["status"], row["last_status"]) == ("PENDING", 503)
    assert row["last_error"].startswith("HTTP 503: busy busy") and len(row["last_error"]) < 300
    assert clock() + 5 <= row["due_at"] <= clock() + 10  # the first backoff: 10 s with jitter
    assert deliverer.deliver_due() == 0  # not due yet
    receiver.status = 204
    clock.advance(10)
    assert deliverer.deliver_due() == 1 and _row(store, delivery_id)["status"] == "DELIVERED"
    deliverer.close()


def test_a_redirect_is_not_followed_but_retried(store, settings, receiver, clock):
    receiver.status, receiver.headers = 302, {"Location": "http://127.0.0.1:9/elsewhere"}
    receiver.start()
    delivery_id = _enqueue(store, receiver.url, clock)
    deliverer = WebhookDeliverer(store, settings, clock=clock)
    deliverer.deliver_due()
    row = _row(store, delivery_id)
    assert row["status"] == "PENDING" and "redirects are not followed" in row["last_error"]
    assert len(receiver.received) == 1
    deliverer.close()


def test_a_delivery_older_than_the_max_age_fails_with_the_last_error(store, settings, receiver, clock):
    settings = settings.replace(webhook_max_age=7200.0)
    receiver.status = 500
    receiver.start()
    delivery_id = _enqueue(store, receiver.url, clock)
    deliverer = WebhookDeliverer(store, settings, clock=clock)
    deliverer.deliver_due()
    _retry_all(deliverer, clock, rounds=2)
    row = _row(store, delivery_id)
    assert row["status"] == "FAILED" and row["attempts"] == 3
    assert row["last_error"].startswith("Gave up after 3 attempts over 2 h: HTTP 500")
    _retry_all(deliverer, clock)
    assert len(receiver.received) == 3  # never again
    deliverer.close()


def test_a_missing_secret_is_retried_and_the_secret_is_never_logged_or_stored(
    store, settings, receiver, clock, caplog
):
    caplog.set_level(logging.DEBUG)
    receiver.start()
    missing = _enqueue(store, receiver.url, clock, secret_name="NOT_SET")
    signed = _enqueue(store, receiver.url, clock)
    deliverer = WebhookDeliverer(store, settings, clock=clock)
    deliverer.deliver_due()
    assert _row(store, missing)["last_error"] == "the signing secret NOT_SET is not set"
    assert _row(store, signed)["status"] == "DELIVERED" and len(receiver.received) == 1
    assert SECRET not in caplog.text and "/hook" not in caplog.text  # nor the URL's path
    with store.transaction() as tx:
        assert SECRET not in repr(tx.webhook_deliveries(None, 10))
    assert SECRET not in repr(settings)
    deliverer.close()


def test_an_unsigned_delivery_carries_no_signature(store, settings, receiver, clock):
    receiver.start()
    _enqueue(store, receiver.url, clock, secret_name=None)
    deliverer = WebhookDeliverer(store, settings, clock=clock)
    deliverer.deliver_due()
    assert "x-sojourn-signature" not in receiver.received[0].headers
    deliverer.close()


def test_the_transport_is_a_seam_and_a_repeated_idempotency_key_queues_once(store, settings, clock):
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    first = _enqueue(store, "https://hooks.example.com/x", clock, idempotency_key="k")
    assert _enqueue(store, "https://hooks.example.com/x", clock, idempotency_key="k") == first
    deliverer = WebhookDeliverer(store, settings, clock=clock, transport=httpx.MockTransport(answer))
    assert deliverer.deliver_due() == 1
    [request] = seen
    timestamp = request.headers["x-sojourn-timestamp"]
    assert request.headers["x-sojourn-signature"] == sign(SECRET, timestamp, request.content.decode())
    deliverer.close()


def test_the_backoff_doubles_to_an_hour_with_jitter():
    rng = random.Random(1)
    for attempts, ceiling in ((1, 10), (2, 20), (3, 40), (10, 3600), (30, 3600)):
        delays = [retry_delay(attempts, rng) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays) and len(set(delays)) > 1


def test_a_started_deliverer_delivers_what_is_queued(store, settings, receiver):
    from mail.support import eventually

    receiver.start()
    deliverer = WebhookDeliverer(store, settings).start()
    try:
        delivery_id = enqueue(store, receiver.url, {"x": 1}, "test", secret_name="HOOK_SECRET")
        assert eventually(lambda: _row(store, delivery_id)["status"] == "DELIVERED", store)
    finally:
        deliverer.stop()


@pytest.mark.postgres
def test_two_deliverers_on_postgresql_deliver_each_once(postgres_store_url, settings, receiver, clock):
    from sojourn.store.base import open_store

    url = postgres_store_url()
    stores = [open_store(url), open_store(url)]
    receiver.start()
    ids = [_enqueue(stores[0], receiver.url, clock, {"n": n}) for n in range(20)]
    deliverers = [WebhookDeliverer(s, settings, clock=clock, batch=3) for s in stores]
    while sum(d.deliver_due() for d in deliverers):
        pass
    assert sorted(got.headers["x-sojourn-delivery"] for got in receiver.received) == sorted(ids)
    for deliverer, store in zip(deliverers, stores, strict=True):
        deliverer.close()
        store.close()
