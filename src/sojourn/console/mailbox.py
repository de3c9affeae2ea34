"""The development mailbox: messages as their recipients would see them, links working.

HTML mail is shown in a sandboxed frame (`srcdoc`, no scripts, no same-origin access); a `<base
target="_blank">` makes its links open in a new, unsandboxed tab. Needs `client.list_mail`/`get_mail`
(the email integration); without them the pages say so.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sojourn import errors
from sojourn.console.web import Console, console_of

__all__ = ["routes", "srcdoc"]


def routes() -> list[BaseRoute]:
    return [
        Route("/mailbox", mailbox_page, methods=["GET"]),
        Route("/mailbox/{message_id}", message_page, methods=["GET"]),
    ]


def srcdoc(html: str) -> str:
    """A mail's HTML for the sandboxed frame: links open in a new tab (top level), not inside the frame."""
    return '<base target="_blank">' + html


def _mail(console: Console) -> Console:
    if not console.has_mail:
        raise HTTPException(404, "The mailbox is not available: this Sojourn has no email integration.")
    return console


async def mailbox_page(request: Request) -> Response:
    console = _mail(console_of(request))
    to = request.query_params.get("to") or None
    try:
        page = await console.call(
            "list_mail", maxResults=100, nextToken=request.query_params.get("next") or None, to=to
        )
    except errors.SojournAPIError as e:
        return console.api_error(request, e)
    return console.render(
        request,
        "mailbox.html",
        title="Mailbox",
        messages=page["messages"],
        next_token=page.get("nextToken"),
        to=to or "",
    )


async def message_page(request: Request) -> Response:
    console = _mail(console_of(request))
    try:
        message = await console.call("get_mail", messageId=request.path_params["message_id"])
    except errors.SojournAPIError as e:
        return console.api_error(request, e)
    html = message.get("html")
    return console.render(
        request,
        "message.html",
        title=message.get("subject") or "(no subject)",
        message=message,
        srcdoc=srcdoc(html) if html else None,
    )
