"""What a human task tells people: the emails that ask, remind and (after escalation) ask again, and the
approver portal's sign-in link.

Each carries the bearer's own link. Opening it decides nothing, and the email says so: the person chooses
on the page. Texts come from the task's title and description, escaped in the HTML part. A task's email
ends with a link to the portal, where all of one's tasks are.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from urllib.parse import quote

from sojourn.mail.message import Message

__all__ = ["invitation", "reminder", "sign_in"]

Choices = Sequence[tuple[str, str]]  # (name, label) of each decision


def invitation(
    title: str, description: str, to: str, url: str, portal: str, choices: Choices = ()
) -> Message:
    """The email that asks someone to decide a task (`portal`: the approver portal's URL, for the footer).
    Each decision is a link too (the same link, the decision preselected): as in the emails people know,
    with Approve and Deny, yet only the page's button decides."""
    return _message(title, title, description, to, url, "", portal, choices)


def reminder(
    title: str, description: str, to: str, url: str, deadline: str | None, portal: str, choices: Choices = ()
) -> Message:
    """A reminder: the same task, a link that works like the first email's (which still works too)."""
    lead = "This task is still waiting for your decision."
    if deadline:
        lead += f" It expires at {deadline}."
    return _message(f"Reminder: {title}", title, description, to, url, lead, portal, choices)


def sign_in(to: str, name: str, url: str, minutes: int) -> Message:
    """The approver portal's one-time sign-in link, for the person who asked for it."""
    lead = f"Hello {name}," if name else "Hello,"
    note = (
        f"The link works once, for {minutes} minutes. If you did not ask for it, ignore this email: "
        "nobody is signed in until the button on the page is pressed."
    )
    text = f"{lead}\n\nSign in to your tasks: {url}\n\n{note}\n"
    page = (
        f"<p>{html.escape(lead)}</p>"
        f'<p><a href="{html.escape(url)}">Sign in to your tasks</a></p>'
        f"<p>{html.escape(note)}</p>"
    )
    return Message(to=(to,), subject="Your sign-in link to Sojourn's tasks", text=text, html=page)


def _message(
    subject: str,
    title: str,
    description: str,
    to: str,
    url: str,
    lead: str,
    portal: str,
    choices: Choices = (),
) -> Message:
    footer = f"All the tasks asked of you: {portal}"
    chosen = [(label, f"{url}?choose={quote(name)}") for name, label in choices]
    quick = "\n".join(f"{label}: {link}" for label, link in chosen)
    text = "\n\n".join(
        part
        for part in (
            lead,
            title,
            description,
            f"Open the task to decide: {url}",
            f"Or choose now (you confirm on the page):\n{quick}" if quick else "",
            footer,
        )
        if part
    )
    buttons = " ".join(f'<a href="{html.escape(link)}">{html.escape(label)}</a>' for label, link in chosen)
    page = "".join(
        (
            f"<p>{html.escape(lead)}</p>" if lead else "",
            f"<h1>{html.escape(title)}</h1>",
            f"<p>{html.escape(description)}</p>" if description else "",
            f'<p><a href="{html.escape(url)}">Open the task to decide</a></p>',
            f"<p>{buttons}</p>" if buttons else "",
            "<p>Opening a link decides nothing: you confirm on the page.</p>",
            f'<p><small><a href="{html.escape(portal)}">All the tasks asked of you</a></small></p>',
        )
    )
    return Message(to=(to,), subject=subject, text=text + "\n", html=page)
