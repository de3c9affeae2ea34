"""Signing in to the approver portal (issue 14): a one-time link emailed to people the directory knows or
tasks asked, never a password. Opening the link signs no one in (mail scanners open links); only its page's
button does, once, within 15 minutes. Sessions end after 12 idle hours or on signing out. Real SQLite file,
real HTTP, the real outbox read through `list_mail`; time on a virtual clock."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from humantask_support import (
    ROLE,
    Clock,
    ask_definition,
    ask_to_sign_in,
    csrf_of,
    sign_in,
    sign_in_paths,
    sojourn_with_links,
)
from sojourn import portal
from sojourn.tokens import hash_token

DIRECTORY = {
    "people": {
        "ann": {"name": "Ann Lead", "email": "Ann@Example.com"},
        "bob": {"name": "Bob Finance", "email": "bob@example.com"},
    }
}
SAME_ANSWER = "If this address may sign in, a link is on its way."


@pytest.fixture
def sojourn(tmp_path) -> Any:
    clock = Clock()
    with sojourn_with_links(tmp_path, DIRECTORY, clock) as (client, http):
        yield client, http, clock


def signed_in(http: httpx.Client) -> bool:
    """Whether `/tasks` shows my tasks (rather than the sign-in form)."""
    page = http.get("/tasks")
    assert page.status_code == 200
    return "Waiting for me" in page.text


def test_a_sign_in_link_is_emailed_and_its_button_signs_in_once(sojourn):
    client, http, _ = sojourn
    form = http.get("/tasks")
    assert 'name="email"' in form.text and "<script" not in form.text
    asked = ask_to_sign_in(http, "ann@example.com")  # the directory's address, in another case
    assert asked.status_code == 200 and SAME_ANSWER in asked.text
    [path] = sign_in_paths(client, "Ann@Example.com")
    mail = client.list_mail()["messages"][0]
    assert mail["subject"] == "Your sign-in link to Sojourn's tasks"
    token = path.rsplit("/", 1)[1]
    assert len(token) == 43  # 256 random bits, base64url
    shown = http.get(path)
    assert shown.status_code == 200 and "Sign in as Ann Lead" in shown.text
    assert (
        shown.headers["referrer-policy"] == "no-referrer"
        and "frame-ancestors 'none'" in (shown.headers["content-security-policy"])
    )
    signed = http.post(path, data={"csrf_token": csrf_of(shown)})
    assert signed.status_code == 303 and signed.headers["location"] == "/tasks"
    cookie = next(c for c in signed.headers.get_list("set-cookie") if c.startswith(portal.SESSION_COOKIE))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/tasks" in cookie
    assert "Secure" not in cookie  # the server is reached over http
    assert signed_in(http) and "Signed in as Ann Lead" in http.get("/tasks").text

    other = httpx.Client(base_url=http.base_url)  # the same link, used again (from anywhere)
    again = other.post(path, data={"csrf_token": csrf_of(other.get("/tasks"))})
    assert again.status_code == 404 and "expired or was already used" in again.text
    assert other.get(path).status_code == 404 and not signed_in(other)


def test_opening_the_link_with_get_or_head_signs_no_one_in(sojourn):
    client, http, _ = sojourn
    ask_to_sign_in(http, "bob@example.com")
    [path] = sign_in_paths(client, "bob@example.com")
    scanner = httpx.Client(base_url=http.base_url)
    for _ in range(3):  # a mail scanner opens the link, again and again
        assert scanner.get(path).status_code == 200
        assert scanner.head(path).status_code == 200
    assert portal.SESSION_COOKIE not in scanner.cookies and not signed_in(scanner)
    # the person still signs in with it afterwards
    assert http.post(path, data={"csrf_token": csrf_of(http.get(path))}).status_code == 303
    assert signed_in(http)


def test_anyone_gets_the_same_answer_and_only_people_who_may_sign_in_get_mail(sojourn):
    client, http, _ = sojourn
    made = client.create_state_machine(
        name="ask",
        definition=ask_definition({"Title": "Quote", "Assignees": ["pat@supplier.example"]}),
        roleArn=ROLE,
    )
    client.start_execution(stateMachineArn=made["stateMachineArn"], input=json.dumps({}))
    client.run_until_idle()
    before = len(client.list_mail()["messages"])  # the task's own email to pat
    answers = [
        ask_to_sign_in(http, address).text
        for address in ("nobody@example.com", "not an address", "pat@supplier.example", "bob@example.com")
    ]
    assert SAME_ANSWER in answers[0] and len(set(answers)) == 1  # the very same page for each
    assert len(client.list_mail()["messages"]) == before + 2
    assert sign_in_paths(client, "nobody@example.com") == []
    # someone asked from outside the directory signs in to their tasks
    sign_in(client, http, "pat@supplier.example")
    page = http.get("/tasks")
    assert "Signed in as pat@supplier.example" in page.text and "Quote" in page.text


def test_a_link_expires_after_15_minutes(sojourn):
    client, http, clock = sojourn
    ask_to_sign_in(http, "bob@example.com")
    [path] = sign_in_paths(client, "bob@example.com")
    shown = http.get(path)
    clock.now += 15 * 60
    late = http.post(path, data={"csrf_token": csrf_of(shown)})
    assert late.status_code == 404 and "expired" in late.text and not signed_in(http)
    assert http.get(path).status_code == 404


def test_a_tampered_or_made_up_link_signs_no_one_in(sojourn):
    client, http, _ = sojourn
    ask_to_sign_in(http, "bob@example.com")
    [path] = sign_in_paths(client, "bob@example.com")
    token = path.rsplit("/", 1)[1]
    tampered = "/tasks/signin/" + token[:-1] + ("A" if token[-1] != "A" else "B")
    csrf = csrf_of(http.get("/tasks"))
    for wrong in (
        tampered,
        "/tasks/signin/" + "a" * 43,
        "/tasks/signin/short",
        "/tasks/signin/" + token + "x",
    ):
        assert http.get(wrong).status_code == 404
        assert http.post(wrong, data={"csrf_token": csrf}).status_code == 404
    assert not signed_in(http)
    assert http.post(path, data={"csrf_token": csrf}).status_code == 303  # the real one still works


def test_at_most_five_unused_links_per_address_in_15_minutes(sojourn):
    client, http, clock = sojourn
    for _ in range(7):
        assert SAME_ANSWER in ask_to_sign_in(http, "bob@example.com").text
    assert len(sign_in_paths(client, "bob@example.com")) == 5
    clock.now += 15 * 60  # those expired: new ones may be sent
    ask_to_sign_in(http, "bob@example.com")
    assert len(sign_in_paths(client, "bob@example.com")) == 6


def test_forms_without_the_csrf_token_change_nothing(sojourn):
    client, http, _ = sojourn
    forged = httpx.post(f"{http.base_url}/tasks", data={"email": "bob@example.com", "csrf_token": "x"})
    assert forged.status_code == 403 and sign_in_paths(client, "bob@example.com") == []
    ask_to_sign_in(http, "bob@example.com")
    [path] = sign_in_paths(client, "bob@example.com")
    http.get(path)
    assert http.post(path, data={}).status_code == 403  # the cookie, but not the form's copy
    assert not signed_in(http)
    sign_in(client, http, "bob@example.com")
    assert http.post("/tasks/signout", data={}).status_code == 403 and signed_in(http)


def test_a_session_ends_after_12_idle_hours(sojourn):
    client, http, clock = sojourn
    sign_in(client, http, "bob@example.com")
    for _ in range(3):  # used every 11 hours, it lasts
        clock.now += 11 * 3600
        assert signed_in(http)
    clock.now += 12 * 3600
    assert not signed_in(http)


def test_signing_out_ends_the_session_wherever_its_cookie_was_copied(sojourn):
    client, http, _ = sojourn
    sign_in(client, http, "bob@example.com")
    copy = httpx.Client(
        base_url=http.base_url, cookies={portal.SESSION_COOKIE: http.cookies[portal.SESSION_COOKIE]}
    )
    assert signed_in(copy)
    out = http.post("/tasks/signout", data={"csrf_token": csrf_of(http.get("/tasks"))})
    assert out.status_code == 303 and not signed_in(http) and not signed_in(copy)


def test_the_session_token_is_stored_only_as_its_hash(sojourn, tmp_path: Path):
    client, http, _ = sojourn
    sign_in(client, http, "bob@example.com")
    session = http.cookies[portal.SESSION_COOKIE]
    assert len(session) == 43
    stored = b"".join(path.read_bytes() for path in tmp_path.glob("sojourn.db*"))
    assert session.encode() not in stored
    assert bytes.fromhex(hash_token(session)) in stored


def test_cookies_are_secure_when_people_reach_the_server_by_https(tmp_path):
    https = "https://tasks.example.com"
    with sojourn_with_links(tmp_path, DIRECTORY, Clock(), base_url=https) as (client, http):

        def send(path: str, **data: str) -> httpx.Response:
            """POST the form of `path`'s page; httpx sends no Secure cookie over http, so it goes by hand."""
            page = http.get(path)
            assert "Secure" in page.headers["set-cookie"]
            csrf = csrf_of(page)
            cookie = {"cookie": f"{portal.CSRF_COOKIE}={csrf}"}
            return http.post(path, data={"csrf_token": csrf, **data}, headers=cookie)

        send("/tasks", email="bob@example.com")
        [path] = sign_in_paths(client, "bob@example.com")
        signed = send(path)
        cookie = next(c for c in signed.headers.get_list("set-cookie") if c.startswith(portal.SESSION_COOKIE))
        assert "Secure" in cookie and "HttpOnly" in cookie
