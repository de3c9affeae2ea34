"""The web console under `/console`: state machines and their graphs, executions (live),
the inbox, human tasks, the mailbox.

Server-rendered pages (Starlette, Jinja2) with a little vanilla JavaScript; every asset ships in the
package, so it works offline with no build step. `sojourn serve` mounts `routes(...)`.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import BaseRoute, Mount, Route

__all__ = ["routes"]


def routes(*, client: Any, settings: Any = None, manifest: Any = None) -> list[BaseRoute]:
    """The console's routes for `client` (a `sojourn.Client`); `settings.api_key`, when set, is required."""
    from sojourn.console.web import PREFIX, Console

    # `/console` itself redirects explicitly: the apps' routes, served after the console, would answer it.
    return [
        Route(PREFIX, _to_console, methods=["GET"]),
        Mount(PREFIX, app=Console(client, settings).app, name="console"),
    ]


async def _to_console(request: Request) -> RedirectResponse:
    return RedirectResponse(request.url.path + "/", status_code=307)
