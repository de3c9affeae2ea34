"""The mailbox pages: mail queued in the real outbox and kept (no SMTP host),
as the recipient would see it."""

from __future__ import annotations

import httpx
import pytest

from sojourn.mail import Message, enqueue

from .support import screenshot, serving

APPROVAL_HTML = """<html><body style="font-family: sans-serif">
<h2 style="color:#1f5f8b">Leave request from Dana</h2><p>Dana asks for 3 days from 2030-11-01.</p>
<p><a id="approve" href="{url}/console/executions">Approve</a> · <a href="{url}/console/inbox">Deny</a></p>
<script>document.body.innerHTML = "scripted";</script></body></html>"""


@pytest.fixture
def mail_client(make_client):
    return make_client(workers=0)


def queue(client, subject, html, text, to="lead@example.com") -> str:
    message = Message(sender="sojourn@localhost", to=(to,), subject=subject, html=html, text=text)
    return enqueue(client.store, message)


def test_the_mailbox_lists_messages_and_filters_by_recipient(mail_client, settings):
    queue(
        mail_client, "Leave request from Dana", APPROVAL_HTML.format(url="http://127.0.0.1:9"), "Approve: ..."
    )
    queue(mail_client, "Plain news", None, "Just text <b>not bold</b>", to="dana@example.com")
    with serving(mail_client, settings) as url, httpx.Client(base_url=url) as http:
        listing = http.get("/console/mailbox").text
        assert ">Mailbox<" in listing and "Leave request from Dana" in listing and "Plain news" in listing
        only = http.get("/console/mailbox", params={"to": "dana@example.com"}).text
        assert "Plain news" in only and "Leave request" not in only
        assert http.get("/console/mailbox/nope").status_code == 404


def test_html_mail_is_shown_in_a_sandboxed_frame_without_scripts_and_text_is_escaped(mail_client, settings):
    html_id = queue(
        mail_client, "Leave request from Dana", APPROVAL_HTML.format(url="http://127.0.0.1:9"), "Approve"
    )
    text_id = queue(mail_client, "Plain news", None, "Just text <b>not bold</b>", to="dana@example.com")
    with serving(mail_client, settings) as url, httpx.Client(base_url=url) as http:
        page = http.get(f"/console/mailbox/{html_id}").text
        assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in page
        assert "allow-scripts" not in page and "allow-same-origin" not in page
        assert 'srcdoc="&lt;base target=&#34;_blank&#34;&gt;&lt;html&gt;' in page
        plain = http.get(f"/console/mailbox/{text_id}").text
        assert "Just text &lt;b&gt;not bold&lt;/b&gt;" in plain and "<iframe" not in plain


@pytest.mark.browser
def test_a_mail_renders_as_its_recipient_sees_it_and_its_links_open_in_a_new_tab(mail_client, settings, page):
    with serving(mail_client, settings) as url:
        queue(mail_client, "Leave request from Dana", APPROVAL_HTML.format(url=url), "Approve")
        page.goto(f"{url}/console/mailbox")
        screenshot(page, "mailbox")
        page.get_by_role("link", name="Leave request from Dana").click()
        frame = page.frame_locator("iframe.mail-body")
        assert frame.locator("h2").inner_text() == "Leave request from Dana"  # the script did not run
        screenshot(page, "mail-message")
        with page.context.expect_page() as opened:
            frame.locator("#approve").click()
        tab = opened.value
        tab.wait_for_load_state()
        assert tab.url == f"{url}/console/executions"
        assert tab.locator("h1").inner_text() == "Executions"
