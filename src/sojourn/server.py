"""`sojourn serve` and `sojourn worker`: one ASGI app from the API, gateway and console routes, plus workers.

The app is composed from parts that each expose `routes(...)` (docs/design.md section 5). The lifespan
starts the runtime's workers and stops them on shutdown: in-flight work finishes within the grace
period, anything left stays leased and is taken again after the lease expires.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from sojourn import api
from sojourn.config import Settings

__all__ = ["Runtime", "build_app", "open_runtime", "run_workers", "serve"]

log = logging.getLogger("sojourn.server")

SHUTDOWN_GRACE_SECONDS = 20.0


class Runtime:
    """The client of one database and its workers; `start()`/`stop()` around the process's life."""

    def __init__(self, client: Any, settings: Settings, workers: int):
        self.client = client
        self.settings = settings
        self.workers = workers

    def start(self) -> None:
        self.client.start()
        log.info("%d workers started on %s", self.workers, _redacted(self.settings.db_url))

    def stop(self, grace: float = SHUTDOWN_GRACE_SECONDS) -> None:
        """Let in-flight tasks finish within `grace` seconds; what is left stays leased for the next start.

        Every transition commits with its next work, so nothing is lost either way: a task cut short is
        invoked again (same idempotency key) when its lease is freed by the next start or expires.
        """
        stopper = threading.Thread(target=self.client.close, kwargs={"timeout": grace}, name="sojourn-stop", daemon=True)
        stopper.start()
        stopper.join(grace)
        if stopper.is_alive():
            log.warning("workers still busy after %ss; their tasks will run again after the next start", grace)
        else:
            log.info("workers stopped")


def open_runtime(settings: Settings, workers: int | None = None) -> Runtime:
    """Open the database named by `settings.db_url` and its client; workers start with `Runtime.start()`."""
    from sojourn.client import Client

    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    count = settings.workers if workers is None else workers
    client = Client(settings=settings, workers=count, start=False)
    return Runtime(client, settings, count)


def build_app(runtime: Runtime, manifest: Any = None) -> Starlette:
    """The server's ASGI app: `/health`, the Step Functions API, the app's REST routes and the console."""
    routes: list[BaseRoute] = [Route("/health", _health, methods=["GET"])]
    routes += api.routes(runtime.client, runtime.settings)
    routes += _optional_routes("sojourn.console", runtime, manifest)
    if manifest is not None:
        routes += _optional_routes("sojourn.gateway", runtime, manifest)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        runtime.start()
        try:
            yield
        finally:
            runtime.stop()

    return Starlette(routes=routes, lifespan=lifespan)


def _optional_routes(module: str, runtime: Runtime, manifest: Any) -> list[BaseRoute]:
    """Routes of a part that may not be built yet (gateway, console): none until it exposes `routes`."""
    import importlib

    part = importlib.import_module(module)
    make = getattr(part, "routes", None)
    if make is None:
        return []
    return list(make(client=runtime.client, settings=runtime.settings, manifest=manifest))


async def _health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def load_app(runtime: Runtime, path: Path) -> Any:
    """Load an app manifest (`app.yaml`) and deploy it: its state machines, functions and settings."""
    from sojourn import app as apps

    manifest = apps.load_manifest(path)
    apps.deploy(manifest, runtime.client, runtime.settings)
    return manifest


def serve(settings: Settings, app_path: Path | None = None, workers: int | None = None) -> None:
    """Run the server in the foreground until SIGINT/SIGTERM."""
    import uvicorn

    _check_exposure(settings)
    runtime = open_runtime(settings, workers)
    manifest = load_app(runtime, app_path) if app_path else None
    config = uvicorn.Config(
        build_app(runtime, manifest), host=settings.host, port=settings.port, log_level="info",
        access_log=False, timeout_graceful_shutdown=int(SHUTDOWN_GRACE_SECONDS), lifespan="on",
    )
    log.info("Sojourn listening on %s (API endpoint %s)", settings.public_base_url, settings.endpoint_url)
    uvicorn.Server(config).run()


def run_workers(settings: Settings, workers: int | None = None) -> None:
    """Run workers only (no HTTP) until SIGINT/SIGTERM: several machines can share one PostgreSQL."""
    runtime = open_runtime(settings, workers)
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    runtime.start()
    try:
        stopping.wait()
    finally:
        log.info("stopping workers (grace %ss)", SHUTDOWN_GRACE_SECONDS)
        runtime.stop()


def _check_exposure(settings: Settings) -> None:
    if not settings.is_local and not settings.api_key:
        log.warning(
            "listening on %s without SOJOURN_API_KEY: anyone who reaches this port can drive your workflows",
            settings.host,
        )


def _redacted(db_url: str) -> str:
    scheme, sep, rest = db_url.partition("://")
    if "@" in rest and ":" in rest.split("@", 1)[0]:
        user = rest.split("@", 1)[0].split(":", 1)[0]
        return f"{scheme}{sep}{user}:***@{rest.split('@', 1)[1]}"
    return db_url
