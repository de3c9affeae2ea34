"""Deciding human tasks as people do, for the example apps' end-to-end tests: the engine's link out of an
email, its confirmation page opened in a browser of one's own (a fresh cookie jar), its button pressed; and
a link scanner that opens every link of every email, as mail security gateways do."""

from __future__ import annotations

import re
from email.message import EmailMessage
from html import unescape
from typing import Any

import httpx

from servers import Mailbox

LINK = re.compile(r"https?://[^\s\"'<>]+")


def task_link(message: EmailMessage) -> str:
    """The engine's link to the task in an email that asks someone to decide."""
    text = message.get_body(("plain",)).get_content()
    found = re.search(r"(https?://\S+/tasks/link/\S+)", text)
    assert found, text
    return found.group(1)


def body(message: EmailMessage) -> str:
    """The email's text part."""
    return str(message.get_body(("plain",)).get_content())


def decide(link: str, decision: str, *, comment: str = "", **form: Any) -> httpx.Response:
    """Open `link` in a browser of one's own, fill the form and press `decision`'s button; the answer."""
    with httpx.Client(timeout=30) as browser:
        page = browser.get(link)
        found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        if found is None:  # the page offers no decision (closed, decided, not theirs): show why
            return page
        fields = {"csrf_token": found.group(1), "decision": decision, "comment": comment}
        return browser.post(link, data=fields | {k: str(v) for k, v in form.items()})


def scan_every_link(smtp: Mailbox) -> int:
    """GET and HEAD every link of every email received so far (a link scanner); how many links."""
    with smtp.lock:
        messages = list(smtp.messages)
    links = set()
    for message in messages:
        for part in message.walk():
            if part.get_content_maintype() == "text":
                links.update(unescape(url) for url in LINK.findall(part.get_content()))
    with httpx.Client(timeout=30) as scanner:
        for url in links:
            assert scanner.get(url).status_code < 500, url
            assert scanner.head(url).status_code < 500, url
    return len(links)
