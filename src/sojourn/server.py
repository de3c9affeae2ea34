"""`sojourn serve` and `sojourn worker`: one ASGI app from the API, gateway and console routes, plus workers.

The app is composed from parts that each expose `routes(...)` (docs/design.md section 5). The lifespan
starts the runtime's workers and stops them on shutdown: in-flight work finishes within the grace
period, anything left stays leased and is taken again after the lease expires.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import signal
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Mount, Route

from sojourn import api, gateway
from sojourn.config import Settings
from sojourn.errors import SojournAPIError

__all__ = ["Runtime", "build_app", "open_runtime", "run_workers", "serve"]

log = logging.getLogger("sojourn.server")

SHUTDOWN_GRACE_SECONDS = 20.0


class Runtime:
    """The client of one database and its workers; `start()`/`stop()` around the process's life."""

    def __init__(self, client: Any, settings: Settings, workers: int):
        from sojourn.deployment import AppHost

        self.client = client
        self.settings = settings
        self.workers = workers
        self.apps = AppHost(client, settings)  # the deployed apps' functions and routes, kept current
        self.mail: Any = None

    def start(self) -> None:
        self.apps.start()
        if self.workers > 0:
            self.client.start_workers()
            log.info("%d workers started on %s", self.workers, _redacted(self.settings.db_url))
        from sojourn.mail.deliverer import Deliverer

        self.mail = Deliverer(self.client.store, self.settings).start()  # every process delivers the outbox

    def stop(self) -> None:
        if self.mail is not None:
            self.mail.stop()
            self.mail = None
        self.apps.stop()
        # Workers finish what they hold within the grace period; leases on the rest expire.
        self.client.close(timeout=SHUTDOWN_GRACE_SECONDS)


def open_runtime(settings: Settings, workers: int | None = None) -> Runtime:
    """Open the database named by `settings.db_url` (creating a SQLite file's folder) and its client."""
    from sojourn.client import Client

    if settings.db_url.startswith("sqlite:///"):
        Path(settings.db_url.removeprefix("sqlite:///")).expanduser().parent.mkdir(parents=True, exist_ok=True)
    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    count = settings.workers if workers is None else workers
    client = Client(settings=settings, workers=count, start=False)
    return Runtime(client, settings, count)


def build_app(runtime: Runtime, manifest: Any = None) -> Starlette:
    """The server's ASGI app: `/health`, the Step Functions API, the console, app deploys and the apps' REST
    routes (kept current as apps are deployed, by this process or another on the same database)."""
    live = gateway.LiveRoutes()
    runtime.apps.on_routes = lambda endpoints: live.update(
        gateway.routes(endpoints, client=runtime.client, settings=runtime.settings))
    routes: list[BaseRoute] = [Route("/health", _health, methods=["GET"])]
    routes += api.routes(runtime.client, runtime.settings)
    routes += _optional_routes("sojourn.console", runtime, manifest)
    routes += [Route("/sojourn/apps", _deploy_endpoint(runtime), methods=["POST"]), Mount("", app=live)]

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


def _deploy_endpoint(runtime: Runtime) -> Any:
    """`POST /sojourn/apps {"path": "/abs/app.yaml"}`: deploy a manifest found on this server's disk
    (`sojourn deploy app.yaml` without --db). Requires `X-Api-Key` when an API key is set."""
    from sojourn import app as apps

    async def deploy(request: Request) -> JSONResponse:
        key = runtime.settings.api_key
        if key and not hmac.compare_digest(request.headers.get("x-api-key", "").encode(), key.encode()):
            return JSONResponse({"message": "The API key is missing or wrong"}, status_code=403)
        try:
            body = json.loads(await request.body())
            path = body["path"]
            manifest = await run_in_threadpool(apps.load_manifest, path)
        except apps.ManifestError as e:
            return JSONResponse({"message": str(e), "problems": [str(p) for p in e.problems]}, status_code=400)
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"message": 'The body must be {"path": "<app.yaml on the server>"}'}, status_code=400)
        try:
            report = await run_in_threadpool(runtime.apps.deploy, manifest)
        except SojournAPIError as e:
            return JSONResponse({"__type": e.type_name, "message": e.message}, status_code=e.status)
        return JSONResponse({"app": manifest.name, "path": str(manifest.path), **report})

    return deploy


def serve(settings: Settings, manifest: Any = None, workers: int | None = None) -> None:
    """Run the server in the foreground until SIGINT/SIGTERM; deploy `manifest` (a loaded app) first.

    The manifest's own settings (email, public URL) are already part of `settings` (`Settings.load`).
    """
    import uvicorn

    _check_exposure(settings)
    runtime = open_runtime(settings, workers)
    asgi = build_app(runtime, manifest)
    if manifest is not None:
        runtime.apps.deploy(manifest)
    config = uvicorn.Config(
        asgi, host=settings.host, port=settings.port, log_level="info",
        access_log=False, timeout_graceful_shutdown=int(SHUTDOWN_GRACE_SECONDS), lifespan="on",
    )
    log.info("Sojourn listening on %s (API endpoint %s)", settings.public_base_url, settings.endpoint_url)
    uvicorn.Server(config).run()


def run_workers(settings: Settings, workers: int | None = None, manifest: Any = None) -> None:
    """Run workers only (no HTTP) until SIGINT/SIGTERM: several machines can share one PostgreSQL.

    With `manifest`, the app is deployed (idempotently) so these workers can run its functions.
    """
    runtime = open_runtime(settings, workers)
    if manifest is not None:
        runtime.apps.deploy(manifest)
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
