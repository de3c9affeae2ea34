"""Apps in a running process: deploy a manifest, record it, and keep every process's functions and
routes current.

`sojourn deploy app.yaml`, `sojourn serve --app` and `sojourn worker --app` record the app in the database
(`sojourn.store.apps`). Every `sojourn serve` and `sojourn worker` loads the recorded apps when it starts and
looks for redeploys every few seconds, so an app's functions run on whichever process picks up the work and
its routes are served by every server. Each process reads the manifest and the code from the recorded path:
on several machines, install the app at the same path on each. The file is an app manifest or an AWS SAM
template (sojourn.sam); a template's `--parameter-overrides` reach only the process given them (the others
read the template with its parameters' defaults).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from sojourn import arns, sam
from sojourn import manifest as manifests
from sojourn.runtime import scheduler

__all__ = ["AppHost"]

log = logging.getLogger("sojourn.deployment")

POLL_SECONDS = 2.0


class AppHost:
    """The apps this process serves: their functions in the client's pool and their REST routes.

    `on_routes(endpoints)` is called whenever the set of routes changes (the server swaps its live routes).
    """

    def __init__(self, client: Any, settings: Any, on_routes: Any = None, poll_seconds: float = POLL_SECONDS):
        self.client, self.settings = client, settings
        self.on_routes = on_routes
        self.poll_seconds = poll_seconds
        self._manifests: dict[str, Any] = {}
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def endpoints(self) -> list[Any]:
        """Every route of every app served here."""
        with self._lock:
            return [endpoint for manifest in self._manifests.values() for endpoint in manifest.routes]

    def deploy(self, manifest: Any) -> dict[str, list[str]]:
        """Deploy `manifest` (functions, state machines), record it for the other processes with its
        schedules (created, updated, deleted to match), serve its routes."""
        report = manifests.deploy(manifest, self.client, self.settings)
        now = self.client.clock()
        region, account = self.client.system.ctx.region, self.client.system.ctx.account_id
        with self.client.store.transaction() as tx:
            tx.record_app(manifest.name, str(manifest.path), now)
            declared = scheduler.declare(
                tx,
                manifest.name,
                manifest.schedules,
                lambda machine: arns.state_machine_arn(region, account, machine),
                now,
            )
        for outcome, entries in declared.items():
            report.setdefault(outcome, []).extend(entries)
        self._serve(manifest, now)
        return report

    def sync(self) -> list[str]:
        """Load the apps recorded or redeployed since the last look; returns their names.

        A manifest that no longer loads is logged and the version already served stays in place.
        """
        with self.client.store.transaction() as tx:
            recorded = tx.registered_apps()
        loaded: list[str] = []
        for row in recorded:
            if self._seen.get(row["name"]) == row["deployed_at"]:
                continue
            try:
                manifest = sam.load_app(
                    row["path"], region=self.settings.region, account_id=self.settings.account_id
                )
                manifests.deploy_functions(manifest, self.client.facilities.function_pool(), self.settings)
            except (manifests.ManifestError, OSError, ValueError) as e:
                log.error("app %s (%s) cannot be loaded: %s", row["name"], row["path"], e)
                self._seen[row["name"]] = row["deployed_at"]
                continue
            self._serve(manifest, row["deployed_at"])
            loaded.append(row["name"])
        return loaded

    def start(self) -> None:
        """Load the recorded apps now, then look for redeploys in the background."""
        self.sync()
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._watch, name="sojourn-apps", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def _serve(self, manifest: Any, deployed_at: float) -> None:
        facilities = self.client.facilities
        facilities.directory.update(manifest.directory)  # whom its human tasks can ask
        connections = manifest.settings.get("http_connections")
        if connections:  # what its HTTP Tasks' ConnectionArns name, secrets from this process's environment
            known = facilities.settings.http_connections
            facilities.settings = facilities.settings.replace(http_connections={**known, **connections})
        with self._lock:
            self._manifests[manifest.name] = manifest
            self._seen[manifest.name] = deployed_at
        if self.on_routes is not None:
            self.on_routes(self.endpoints)

    def _watch(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            try:
                self.sync()
            except Exception:  # a database hiccup must not end the watch; the next look retries
                log.exception("looking for redeployed apps failed")
