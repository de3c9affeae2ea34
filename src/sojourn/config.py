"""Sojourn's settings: one frozen object read from flags, the environment (`SOJOURN_*`) and the manifest.

Nothing else in Sojourn reads `os.environ` (docs/design.md section 5). Precedence, highest first:
command-line flags, then the environment, then the app manifest (its `email`, `public_base_url`,
`webhooks` and `connections`), then the defaults below: a deployment can override what the app's file says
without editing it.
Webhooks' signing secrets are read from the environment variables their configuration names, when the
settings are loaded; they are kept out of `repr` and out of the database.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any
from urllib.parse import urlsplit

from sojourn import arns
from sojourn.connections import HttpConnection

__all__ = [
    "ENVIRONMENT",
    "WILDCARD_HOSTS",
    "Settings",
    "SettingsError",
    "WebhookTarget",
    "function_credential",
    "is_wildcard_url",
    "reachable_host",
    "webhook_targets",
]

HTTP_TIMEOUT_LIMIT = 60.0  # seconds: "HTTP task requests will timeout after 60 seconds" (AWS)
# Addresses a server listens on to accept every interface; nobody can connect to them.
WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", ""})


class SettingsError(ValueError):
    """A setting has a value Sojourn cannot use (e.g. `SOJOURN_PORT=abc`)."""


EXECUTION_STATUSES = ("RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")
WEBHOOK_FIELDS = ("url", "secret_env", "execution_events", "statuses", "state_machines", "human_task_events")


@dataclass(frozen=True)
class WebhookTarget:
    """A webhook of the app (`webhooks:` in app.yaml, or SOJOURN_WEBHOOKS as JSON): where Sojourn POSTs its
    events, signed with the secret in the environment variable `secret_env`. It receives every execution
    status change (`execution_events`; only `statuses` and `state_machines` when given, by name or ARN)
    and, when `human_task_events`, every event of human tasks; a human task's `Notify.Webhooks` can name it.
    """

    name: str
    url: str
    secret_env: str | None = None
    execution_events: bool = True
    statuses: tuple[str, ...] = ()
    state_machines: tuple[str, ...] = ()
    human_task_events: bool = False

    def wants_execution(self, status: str, machine_arn: str) -> bool:
        """Whether this webhook receives the status change of an execution of `machine_arn`."""
        if not self.execution_events or (self.statuses and status not in self.statuses):
            return False
        machine = machine_arn.rpartition(":")[2]
        return not self.state_machines or bool({machine_arn, machine} & set(self.state_machines))


def webhook_targets(value: Any) -> tuple[WebhookTarget, ...]:
    """The webhooks of a setting: name -> {url, secret_env?, execution_events?, statuses?, state_machines?,
    human_task_events?}, as a mapping or its JSON text; SettingsError naming the webhook and field."""
    if isinstance(value, tuple) and all(isinstance(t, WebhookTarget) for t in value):
        return value
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else {}
        except ValueError:
            raise SettingsError("SOJOURN_WEBHOOKS (webhooks) must be a JSON object of webhooks") from None
    if not isinstance(value, Mapping):
        raise SettingsError("webhooks must be a mapping of names to {url, secret_env, ...}")
    return tuple(_webhook(str(name), spec) for name, spec in value.items())


def _webhook(name: str, spec: Any) -> WebhookTarget:
    def wrong(field_name: str, message: str) -> SettingsError:
        return SettingsError(
            f"webhooks.{name}.{field_name}: {message}" if field_name else f"webhooks.{name}: {message}"
        )

    if not isinstance(spec, Mapping):
        raise wrong("", "must be a mapping with at least 'url'")
    unknown = sorted(set(spec) - set(WEBHOOK_FIELDS))
    if unknown:
        raise wrong(unknown[0], f"unknown field (expected one of {', '.join(WEBHOOK_FIELDS)})")
    url = spec.get("url")
    if (
        not isinstance(url, str)
        or urlsplit(url).scheme not in ("http", "https")
        or not urlsplit(url).hostname
    ):
        raise wrong("url", "must be an http:// or https:// URL")
    secret = spec.get("secret_env")
    if secret is not None and (not isinstance(secret, str) or not secret):
        raise wrong("secret_env", "must name an environment variable")
    flags: dict[str, Any] = {}
    for flag, default in (("execution_events", True), ("human_task_events", False)):
        flags[flag] = spec.get(flag, default)
        if not isinstance(flags[flag], bool):
            raise wrong(flag, "must be true or false")
    lists: dict[str, Any] = {}
    for listed in ("statuses", "state_machines"):
        items = spec.get(listed, [])
        if not isinstance(items, list) or not all(isinstance(item, str) and item for item in items):
            raise wrong(listed, "must be a list of names")
        lists[listed] = tuple(items)
    bad = sorted(set(lists["statuses"]) - set(EXECUTION_STATUSES))
    if bad:
        raise wrong("statuses", f"{bad[0]!r} is not one of {', '.join(EXECUTION_STATUSES)}")
    return WebhookTarget(name, url, secret, **flags, **lists)


LOG_FORMATS = ("text", "json")


@dataclass(frozen=True)
class Settings:
    """Everything configurable about a Sojourn process; build with `Settings.load(...)`."""

    db_url: str = "sqlite:///.sojourn/sojourn.db"
    host: str = "127.0.0.1"
    port: int = 8080
    region: str = arns.DEFAULT_REGION
    account_id: str = arns.DEFAULT_ACCOUNT
    # Where people reach this server (links in emails); defaults to http://host:port, with the loopback
    # address for a wildcard host (0.0.0.0 -> 127.0.0.1, :: -> ::1; `sojourn serve` then warns).
    public_base_url: str = ""
    # SMTP: with no host, mail goes only to the dev mailbox (`sojourn mail`).
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_starttls: bool = False
    smtp_tls: bool = False
    smtp_sender: str = "sojourn@localhost"
    data_dir: str = ".sojourn"
    # When set, every API request must carry it (SigV4 access key id, or `X-Api-Key`).
    api_key: str | None = field(default=None, repr=False)
    workers: int = 4
    expression_timeout: float = 1.0  # seconds one step's expressions may run (sojourn.asl.budget)
    # Closed executions (with their history, tokens, human tasks) and sent mail are removed this many days
    # after they end, as AWS keeps closed executions for 90 days; 0 keeps everything.
    retention_days: int = 90
    # Webhooks (sojourn.webhooks): who gets events, how long one POST may take, how long one is retried.
    webhooks: tuple[WebhookTarget, ...] = ()
    webhook_timeout: float = 10.0
    webhook_max_age: float = 24 * 3600.0
    # The webhooks' signing secrets by environment variable name, read when loaded (never from SOJOURN_*).
    secrets: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)
    # The HTTP Task (sojourn.integrations.http): AWS's 60 s timeout, or lower; the connections it may name.
    http_timeout: float = 60.0
    http_connections: Mapping[str, HttpConnection] = field(default_factory=dict, repr=False, hash=False)
    # Logs (sojourn.logs): "text" lines or "json" objects, one a line.
    log_format: str = "text"
    # A bearer token that may read /metrics on a server beyond localhost (as the API key may).
    metrics_token: str | None = field(default=None, repr=False)
    # How long an Express execution may run (sojourn.runtime.express): AWS's five minutes, or lower.
    express_max_seconds: float = 300.0

    def __post_init__(self) -> None:
        if self.http_timeout > HTTP_TIMEOUT_LIMIT:
            raise SettingsError(
                f"SOJOURN_HTTP_TIMEOUT (http_timeout) {self.http_timeout} exceeds the HTTP Task's "
                f"{HTTP_TIMEOUT_LIMIT:g} seconds on AWS; give {HTTP_TIMEOUT_LIMIT:g} or fewer"
            )
        if self.log_format not in LOG_FORMATS:
            raise SettingsError(
                f"SOJOURN_LOG_FORMAT (log_format) {self.log_format!r} is not one of {', '.join(LOG_FORMATS)}"
            )
        if self.express_max_seconds > 300:
            raise SettingsError(
                f"SOJOURN_EXPRESS_MAX_SECONDS (express_max_seconds) {self.express_max_seconds} exceeds "
                "Express's five minutes on AWS; give 300 or fewer"
            )
        if not self.public_base_url:
            object.__setattr__(self, "public_base_url", self.endpoint_url)
        elif is_wildcard_url(self.public_base_url):
            raise SettingsError(
                f"SOJOURN_PUBLIC_BASE_URL (public_base_url) {self.public_base_url!r} names a wildcard "
                "address nobody can reach; give the name or address people reach this server at"
            )
        object.__setattr__(self, "public_base_url", self.public_base_url.rstrip("/"))

    @classmethod
    def load(
        cls,
        env: Mapping[str, str] | None = None,
        *,
        manifest: Mapping[str, Any] | None = None,
        **overrides: Any,
    ) -> Settings:
        """Settings from `manifest` (an app's settings), then `env` (default: the process environment), then
        `overrides` (flags; None = unset), each layer winning over the one before."""
        environment = os.environ if env is None else env
        values: dict[str, Any] = {k: v for k, v in (manifest or {}).items() if v is not None}
        for name, variable in ENVIRONMENT.items():
            if environment.get(variable, "") != "":
                values[name] = environment[variable]
        values.update({k: v for k, v in overrides.items() if v is not None})
        targets = webhook_targets(values.get("webhooks", ()))
        names = {t.secret_env for t in targets if t.secret_env}
        values["secrets"] = {name: environment[name] for name in sorted(names) if environment.get(name)}
        return cls._build(values)

    def webhook(self, name: str) -> WebhookTarget | None:
        """The webhook of that name, or None."""
        return next((t for t in self.webhooks if t.name == name), None)

    def replace(self, **changes: Any) -> Settings:
        """A copy with `changes` applied (None = keep); `public_base_url` follows host/port unless set."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        if self.public_base_url_is_derived:
            values["public_base_url"] = ""  # derived, so it follows a new host or port
        values.update({k: v for k, v in changes.items() if v is not None})
        return self._build(values)

    def arn(self, kind: str, *names: str) -> str:
        """A Step Functions ARN in this region and account: `arn("execution", machine, name)`."""
        return arns.states_arn(self.region, self.account_id, kind, *names)

    @property
    def public_base_url_is_derived(self) -> bool:
        """True when `public_base_url` was not given but made from host and port."""
        return self.public_base_url == self.endpoint_url

    @property
    def endpoint_url(self) -> str:
        """Where a client on this machine reaches this server's API
        (the loopback address for a wildcard host)."""
        return f"http://{_url_host(reachable_host(self.host))}:{self.port}"

    @property
    def function_credential(self) -> str | None:
        """The access key id Sojourn gives its functions when `api_key` is set (`function_credential`)."""
        return function_credential(self.api_key) if self.api_key else None

    @property
    def is_local(self) -> bool:
        """True when the server listens only on the loopback interface."""
        return self.host in ("127.0.0.1", "localhost", "::1")

    @classmethod
    def _build(cls, values: dict[str, Any]) -> Settings:
        known = {f.name: f for f in fields(cls)}
        unknown = set(values) - set(known)
        if unknown:
            raise SettingsError(f"unknown settings: {', '.join(sorted(unknown))}")
        converted = {
            name: _convert(name, known[name].type, value)
            for name, value in values.items()
            if name != "secrets"
        }
        converted["secrets"] = dict(values.get("secrets") or {})
        return cls(**converted)


@functools.lru_cache(maxsize=8)
def function_credential(api_key: str) -> str:
    """The functions' own credential: an HMAC of the API key, so every process that shares the key (each
    `sojourn serve` and `sojourn worker`) gives and accepts the same one, and it reveals nothing of the key.
    The API accepts it only for what a function may do (`sojourn.api.protocol.FUNCTION_ACTIONS`)."""
    digest = hmac.new(api_key.encode(), b"sojourn function credential", hashlib.sha256).hexdigest()
    return "SOJOURNFN" + digest[:32].upper()


# Field name -> environment variable (webhooks' secrets come from the variables their configuration names;
# connections are declared in the manifest only: they are structured).
ENVIRONMENT: dict[str, str] = {
    f.name: "SOJOURN_" + f.name.upper()
    for f in dataclasses.fields(Settings)
    if f.name not in ("secrets", "http_connections")
}

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _convert(name: str, annotation: Any, value: Any) -> Any:
    if value is None and "None" in str(annotation):
        return None  # an optional setting left unset (Settings.replace carries them over)
    kind = str(annotation)
    if name == "webhooks":
        return webhook_targets(value)
    if kind.startswith("Mapping"):
        return dict(value)
    try:
        if kind.startswith("int"):
            number = int(value)
            if name == "port" and not 0 <= number <= 65535:
                raise ValueError
            if name == "retention_days" and number < 0:
                raise ValueError
            return number
        if kind.startswith("float"):
            seconds = float(value)
            if not 0 < seconds < float("inf"):
                raise ValueError
            return seconds
        if kind.startswith("bool"):
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in _TRUE | _FALSE:
                return text in _TRUE
            raise ValueError
    except (TypeError, ValueError):
        raise SettingsError(f"{ENVIRONMENT[name]} ({name}) has an invalid value: {value!r}") from None
    return str(value)


def reachable_host(host: str) -> str:
    """`host`, or for a wildcard the loopback address of the same family (0.0.0.0 -> 127.0.0.1, :: -> ::1)."""
    if host not in WILDCARD_HOSTS:
        return host
    return "::1" if host == "::" else "127.0.0.1"


def is_wildcard_url(url: str) -> bool:
    """True when `url` names a wildcard address (http://0.0.0.0:8080, http://[::]/):
    no link may point there."""
    try:
        return (urlsplit(url).hostname or "") in WILDCARD_HOSTS - {""}
    except ValueError:
        return False


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
