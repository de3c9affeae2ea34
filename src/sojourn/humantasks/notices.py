"""What a human task tells people: the emails that ask, remind and (after escalation) ask again.

Each carries the bearer's own link. Opening it decides nothing, and the email says so: the person chooses
on the page. Texts come from the task's title and description, escaped in the HTML part.
"""

from __future__ import annotations

import html

from sojourn.mail.message import Message

__all__ = ["invitation", "reminder"]


def invitation(title: str, description: str, to: str, url: str) -> Message:
    """The email that asks someone to decide a task."""
    return _message(title, title, description, to, url, "")


def reminder(title: str, description: str, to: str, url: str, deadline: str | None) -> Message:
    """A reminder: the same task, a link that works like the first email's (which still works too)."""
    lead = "This task is still waiting for your decision."
    if deadline:
        lead += f" It expires at {deadline}."
    return _message(f"Reminder: {title}", title, description, to, url, lead)


def _message(subject: str, title: str, description: str, to: str, url: str, lead: str) -> Message:
    text = "\n\n".join(part for part in (lead, title, description, f"Open the task to decide: {url}") if part)
    page = "".join(
        (
            f"<p>{html.escape(lead)}</p>" if lead else "",
            f"<h1>{html.escape(title)}</h1>",
            f"<p>{html.escape(description)}</p>" if description else "",
            f'<p><a href="{html.escape(url)}">Open the task to decide</a></p>',
            "<p>Opening the link decides nothing: you choose on the page.</p>",
        )
    )
    return Message(to=(to,), subject=subject, text=text + "\n", html=page)
