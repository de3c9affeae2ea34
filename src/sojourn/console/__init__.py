"""The web console under `/console`: state machines and their graphs, executions (live), the inbox, the mailbox.

Server-rendered pages (Starlette, Jinja2) with a little vanilla JavaScript; every asset ships in the
package, so it works offline with no build step. `sojourn serve` mounts `routes(...)`.
"""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute, Mount

__all__ = ["routes"]


def routes(*, client: Any, settings: Any = None, manifest: Any = None) -> list[BaseRoute]:
    """The console's routes for `client` (a `sojourn.Client`); `settings.api_key`, when set, is required."""
    from sojourn.console.web import PREFIX, Console

    return [Mount(PREFIX, app=Console(client, settings).app, name="console")]
