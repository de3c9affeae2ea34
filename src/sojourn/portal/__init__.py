"""The approvers' pages (ours; issue 14), apart from the operators' console.

- `/tasks/link/{link}` (`link`): a human task opened by the link in its email, for its bearer, no sign-in.
- `/tasks` and `/tasks/signin/{token}` (`signin`): the approver portal's sign-in by a one-time emailed
  link, no passwords; `/tasks/signout`.
- `/tasks` signed in, `/tasks/{taskId}` (`mytasks`): the tasks asked of me, one task, decided or handed on.

Nothing changes on GET or HEAD (mail scanners open every link); every POST carries a double-submit CSRF
token (a cookie the form repeats). Pages are server-rendered (`pages`), with no script, not cached, and send
no Referer: links are secrets.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sojourn.portal import mytasks, signin
from sojourn.portal.link import link_page
from sojourn.portal.pages import CSRF_COOKIE
from sojourn.portal.signin import SESSION_COOKIE

__all__ = ["CSRF_COOKIE", "SESSION_COOKIE", "routes"]

READ = ["GET", "HEAD"]


def routes(client: Any) -> list[BaseRoute]:
    """The pages for `client` (a `sojourn.Client`)."""

    async def home(request: Request) -> Response:
        if request.method == "POST":
            return await signin.sign_in_request(request, client)
        me = await signin.signed_in(request, client)
        if me is None:
            return signin.sign_in_form(request, client)
        return await mytasks.my_tasks(request, client, me)

    return [
        Route("/tasks", home, methods=[*READ, "POST"]),
        Route("/tasks/link/{link}", link_page(client), methods=[*READ, "POST"]),
        Route("/tasks/signin/{token}", signin.sign_in_link(client), methods=[*READ, "POST"]),
        Route("/tasks/signout", signin.sign_out(client), methods=["POST"]),
        Route("/tasks/{taskId}", mytasks.task_page(client), methods=READ),
        Route("/tasks/{taskId}/decide", mytasks.decide(client), methods=["POST"]),
        Route("/tasks/{taskId}/handon", mytasks.hand_on(client), methods=["POST"]),
    ]
