"""`sojourn serve` and `sojourn worker`: one ASGI app from the API, gateway and console routes, plus workers.

The app is composed from parts that each expose `routes(...)` (docs/design.md section 5). Shutdown on
SIGTERM or SIGINT is graceful: long polls answer at once, the workers stop claiming, tasks in flight get
`grace` seconds to finish and commit. A task still running then is left as it is: its work item stays
leased, and the next start (SQLite) or the lease's expiry (PostgreSQL) runs it again with the same
idempotency key. Every transition commits with its next work, so an exit at any point loses nothing.
"""

from __future__ import annotations

import contextlib
import functools
import hmac
import logging
import os
import signal
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import Receive, Scope, Send

from sojourn import api, console, gateway, jsontext, logs, metrics, portal
from sojourn.api import extensions
from sojourn.config import WILDCARD_HOSTS, Settings
from sojourn.errors import SojournAPIError

__all__ = ["SHUTDOWN_GRACE_SECONDS", "Host", "build_app", "open_host", "run_workers", "serve"]

log = logging.getLogger("sojourn.server")

SHUTDOWN_GRACE_SECONDS = 20.0


class Host:
    """What `serve` and `worker` run over a client: its workers, the deployed apps, mail and webhook delivery;
    `start()`/`stop()` around the process's life."""

    def __init__(self, client: Any, settings: Settings, workers: int, grace: float = SHUTDOWN_GRACE_SECONDS):
        from sojourn.deployment import AppHost

        self.client = client
        self.settings = settings
        self.workers = workers
        self.grace = grace
        self.finished = True  # False when tasks were still running at the end of the grace period
        self.apps = AppHost(client, settings)  # the deployed apps' functions and routes, kept current
        self.mail: Any = None
        self.purger: Any = None
        self.webhooks: Any = None

    def start(self) -> None:
        from sojourn.mail.deliverer import Deliverer
        from sojourn.runtime.retention import Purger
        from sojourn.webhooks.deliverer import WebhookDeliverer

        self.apps.start()
        self.client.start()
        log.info("%d workers started on %s", self.workers, _redacted(self.settings.db_url))
        self.mail = Deliverer(self.client.store, self.settings).start()  # every process delivers the outbox
        self.purger = Purger(self.client.store, self.settings.retention_days).start()
        self.webhooks = WebhookDeliverer(self.client.store, self.settings).start()  # and the webhooks'

    def stop(self) -> None:
        """Let tasks in flight finish within the grace period; release what is held when they all did."""
        if self.mail is not None:
            self.mail.stop()
            self.mail = None
        if self.purger is not None:
            self.purger.stop()
            self.purger = None
        if self.webhooks is not None:
            self.webhooks.stop()
            self.webhooks = None
        self.apps.stop()
        stopper = threading.Thread(
            target=self.client.close, kwargs={"timeout": self.grace}, name="sojourn-stop", daemon=True
        )
        stopper.start()
        stopper.join(self.grace)
        self.finished = not stopper.is_alive()
        if not self.finished:
            log.warning(
                "tasks still running after %ss: they stay leased and run again after the next start",
                self.grace,
            )
            return
        functions = self.client.facilities.functions
        if functions is not None:  # only now: a function cut short would be recorded as failed
            functions.close()
        log.info("workers stopped")


def open_host(settings: Settings, workers: int | None = None, grace: float = SHUTDOWN_GRACE_SECONDS) -> Host:
    """Open the database named by `settings.db_url` and its client; workers start with `Host.start()`."""
    from sojourn.client import Client

    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    count = settings.workers if workers is None else workers
    client = Client(settings=settings, workers=count, start=False)
    return Host(client, settings, count, grace)


def build_app(host: Host, manifest: Any = None) -> Starlette:
    """The server's ASGI app: `/health`, the Step Functions API, the console, Sojourn's own endpoints (app
    deploys, the mailbox, function logs: `/sojourn/...`) and the apps' REST routes (kept current as apps are
    deployed, by this process or another on the same database); a person at `/` goes to the console."""
    live = gateway.LiveRoutes(default=_to_the_console)
    host.apps.on_routes = lambda endpoints: live.update(
        gateway.routes(endpoints, client=host.client, settings=host.settings)
    )
    routes: list[BaseRoute] = [Route("/health", _health, methods=["GET"])]
    routes += [Route("/metrics", _metrics_endpoint(host), methods=["GET"])]
    routes += api.routes(host.client, host.settings)
    routes += console.routes(client=host.client, settings=host.settings, manifest=manifest)
    routes += portal.routes(host.client)
    routes += [Route("/sojourn/apps", _deploy_endpoint(host), methods=["POST"])]
    routes += extensions.routes(host.client, host.settings)
    routes += [Mount("", app=live)]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        host.start()
        try:
            yield
        finally:
            host.stop()

    return Starlette(routes=routes, lifespan=lifespan, middleware=[Middleware(logs.AccessLog)])


async def _to_the_console(scope: Scope, receive: Receive, send: Send) -> None:
    """What no route serves: `GET /` (a person opening the server in a browser) goes to the console's home,
    anything else is API Gateway's 404. An app route that owns `/` is matched before this."""
    from sojourn.console.web import PREFIX

    if scope["type"] == "http" and scope["path"] == "/" and scope["method"] in ("GET", "HEAD"):
        await RedirectResponse(f"{scope.get('root_path', '')}{PREFIX}/", status_code=307)(
            scope, receive, send
        )
    else:
        await gateway.not_found(scope, receive, send)


async def _health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def store_gauges(client: Any) -> metrics.StoreGauges:
    """The gauges `/metrics` reads from `client`'s database when scraped."""

    def read() -> dict[str, float]:
        with client.store.transaction(write=False) as tx:
            return tx.observed_gauges(client.clock())

    return metrics.StoreGauges(read)


def _metrics_endpoint(host: Host) -> Any:
    """`GET /metrics`, Prometheus' text format. Open on a server listening on localhost only; beyond it,
    when an API key or SOJOURN_METRICS_TOKEN is set, the scrape must carry one of them (`Authorization:
    Bearer <token>`, or the API's own `X-Api-Key`); with neither set the server is open anyway."""
    gauges = store_gauges(host.client)
    settings = host.settings
    accepted = [secret.encode() for secret in (settings.metrics_token, settings.api_key) if secret]

    def allowed(request: Request) -> bool:
        if settings.is_local or not accepted:
            return True
        bearer = request.headers.get("authorization", "")
        given = bearer[7:] if bearer[:7].lower() == "bearer " else request.headers.get("x-api-key", "")
        return any(hmac.compare_digest(given.encode(), secret) for secret in accepted)

    async def scrape(request: Request) -> Response:
        if not allowed(request):
            return JSONResponse(
                {"__type": "UnrecognizedClientException", "message": "Request is missing a valid token"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        body = await run_in_threadpool(metrics.render, gauges)
        return Response(body, media_type=metrics.CONTENT_TYPE)

    return scrape


def _deploy_endpoint(host: Host) -> Any:
    """`POST /sojourn/apps {"path": "/abs/app.yaml"}`: deploy a manifest found on this server's disk
    (`sojourn deploy app.yaml` without --db). Requires the API key, as the API does, when one is set."""
    from sojourn import manifest as manifests
    from sojourn import sam
    from sojourn.api.protocol import authenticate

    async def deploy(request: Request) -> JSONResponse:
        try:
            authenticate(request, host.settings.api_key)
        except SojournAPIError as e:
            return extensions.error_response(e)
        try:
            body = jsontext.parse(await request.body())  # InvalidJSON is a ValueError: a 400 below
            path = body["path"]
            overrides = body.get("parameterOverrides") or {}
            if not isinstance(overrides, dict):
                raise TypeError("parameterOverrides")
            manifest = await run_in_threadpool(
                functools.partial(
                    sam.load_app,
                    path,
                    {str(k): str(v) for k, v in overrides.items()},
                    region=host.settings.region,
                    account_id=host.settings.account_id,
                )
            )
        except manifests.ManifestError as e:
            return JSONResponse(
                {"message": str(e), "problems": [str(p) for p in e.problems]}, status_code=400
            )
        except (ValueError, KeyError, TypeError):
            return JSONResponse(
                {"message": 'The body must be {"path": "<app.yaml on the server>"}'}, status_code=400
            )
        try:
            report = await run_in_threadpool(host.apps.deploy, manifest)
        except SojournAPIError as e:
            return extensions.error_response(e)
        return JSONResponse({"app": manifest.name, "path": str(manifest.path), **report})

    return deploy


def serve(
    settings: Settings,
    manifest: Any = None,
    workers: int | None = None,
    grace: float = SHUTDOWN_GRACE_SECONDS,
) -> None:
    """Run the server in the foreground until SIGINT/SIGTERM; deploy `manifest` (a loaded app) first.

    The manifest's own settings (email, public URL) are already part of `settings` (`Settings.load`).
    """
    import uvicorn

    _check_exposure(settings)
    host = open_host(settings, workers, grace)
    asgi = build_app(host, manifest)
    if manifest is not None:
        host.apps.deploy(manifest)
    config = uvicorn.Config(
        asgi,
        host=settings.host,
        port=settings.port,
        log_level="info",
        access_log=False,
        timeout_graceful_shutdown=max(1, round(grace)),
        lifespan="on",
        log_config=None,  # uvicorn's records go to the handlers the caller configured (plain or JSON lines)
    )

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            # Long polls would hold their connections (and the shutdown) for up to a minute.
            threading.Thread(target=host.client.stop_polling, daemon=True).start()
            super().handle_exit(sig, frame)

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            # As uvicorn's, without raising the signal again afterwards: a graceful shutdown exits with 0.
            if threading.current_thread() is not threading.main_thread():
                yield
                return
            handlers = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
            try:
                yield
            finally:
                for sig, handler in handlers.items():
                    signal.signal(sig, handler)

    log.info("Sojourn listening on %s (API endpoint %s)", settings.public_base_url, settings.endpoint_url)
    Server(config).run()
    _exit_unless_finished(host)


def run_workers(
    settings: Settings,
    workers: int | None = None,
    grace: float = SHUTDOWN_GRACE_SECONDS,
    manifest: Any = None,
    metrics_port: int | None = None,
) -> None:
    """Run workers only (no HTTP) until SIGINT/SIGTERM: several machines can share one PostgreSQL.

    With `manifest`, the app is deployed (idempotently) so these workers can run its functions; with
    `metrics_port`, this process's metrics are served at http://SOJOURN_HOST:<port>/metrics.
    """
    host = open_host(settings, workers, grace)
    if manifest is not None:
        host.apps.deploy(manifest)
    if metrics_port is not None:
        _serve_metrics(host, metrics_port)
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    host.start()
    try:
        while not stopping.wait(1.0):
            pass
    finally:
        log.info("stopping workers (grace %ss)", grace)
        host.stop()
    _exit_unless_finished(host)


def _serve_metrics(host: Host, port: int) -> None:
    """Serve `GET /metrics` (as `sojourn serve` does) on `port` from a daemon thread."""
    import uvicorn
    from starlette.applications import Starlette

    app = Starlette(routes=[Route("/metrics", _metrics_endpoint(host), methods=["GET"])])
    config = uvicorn.Config(app, host=host.settings.host, port=port, log_config=None, access_log=False)
    server = uvicorn.Server(config)  # off the main thread it leaves the signals to the workers
    threading.Thread(target=server.run, name="sojourn-metrics", daemon=True).start()
    log.info("metrics at http://%s:%d/metrics", host.settings.host, port)


def _exit_unless_finished(host: Host) -> None:
    """Exit now when tasks outlived the grace period,
    rather than wait for their threads at interpreter exit."""
    if not host.finished:
        logging.shutdown()
        os._exit(0)


def _check_exposure(settings: Settings) -> None:
    """Warn about what an exposed server is missing: an API key,
    and where people reach it (links in emails)."""
    if not settings.is_local and not settings.api_key:
        log.warning(
            "listening on %s without SOJOURN_API_KEY: anyone who reaches this port can drive your workflows",
            settings.host,
        )
    if settings.host in WILDCARD_HOSTS and settings.public_base_url_is_derived:
        log.warning(
            "listening on %s without SOJOURN_PUBLIC_BASE_URL: links in emails will point to %s, "
            "which only this machine reaches; "
            "set SOJOURN_PUBLIC_BASE_URL to the URL people reach this server at",
            settings.host or "every interface",
            settings.public_base_url,
        )


def _redacted(db_url: str) -> str:
    scheme, sep, rest = db_url.partition("://")
    if "@" in rest and ":" in rest.split("@", 1)[0]:
        user = rest.split("@", 1)[0].split(":", 1)[0]
        return f"{scheme}{sep}{user}:***@{rest.split('@', 1)[1]}"
    return db_url
