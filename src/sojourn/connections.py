"""The connections an HTTP Task authorises with: Sojourn's stand-in for EventBridge connections.

On AWS an HTTP Task names an EventBridge connection by ARN
(`arn:aws:events:<region>:<account>:connection/<name>/<uuid>`); the connection holds the authorization
(API key, basic, OAuth client credentials) and extra header, query and body parameters
("Call HTTPS APIs in Step Functions workflows", "Connectivity for an HTTP Task"). Sojourn resolves the ARN by
its `<name>` to a connection declared in the app manifest (`connections:`) or in `Settings.http_connections`.
Secrets come from the environment (`${Env:NAME}` in the manifest); they are never in a repr, a log line or
an execution's history.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["AUTHORIZATIONS", "ConnectionSpecError", "HttpConnection", "TokenCache", "parse_connections"]

# EventBridge's AuthorizationType values, one per manifest key.
AUTHORIZATIONS = {"api_key": "API_KEY", "basic": "BASIC", "oauth": "OAUTH_CLIENT_CREDENTIALS"}
_FIELDS = {
    "api_key": ({"name", "value"}, {"name", "value"}),
    "basic": ({"username", "password"}, {"username", "password"}),
    "oauth": ({"token_url", "client_id", "client_secret", "scopes", "method"}, {"token_url", "client_id"}),
}
_PARAMETERS = ("headers", "query", "body")


class ConnectionSpecError(ValueError):
    """A connection declared wrongly: `entry` (the connection), `field` and what is wrong."""

    def __init__(self, entry: str, field_name: str, message: str):
        super().__init__(f"{entry}.{field_name}: {message}" if field_name else f"{entry}: {message}")
        self.entry, self.field, self.message = entry, field_name, message


@dataclass(frozen=True)
class HttpConnection:
    """One connection: its authorization and the parameters it adds to every request (they win over the
    definition's, as EventBridge connections do). Secret fields are left out of the repr."""

    name: str
    authorization: str  # API_KEY, BASIC or OAUTH_CLIENT_CREDENTIALS
    api_key_name: str = ""
    api_key_value: str = field(default="", repr=False)
    username: str = ""
    password: str = field(default="", repr=False)
    token_url: str = ""
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    scopes: tuple[str, ...] = ()
    token_method: str = "POST"
    headers: tuple[tuple[str, str], ...] = ()
    query: tuple[tuple[str, str], ...] = ()
    body: tuple[tuple[str, str], ...] = ()


def parse_connections(raw: Mapping[str, Any]) -> dict[str, HttpConnection]:
    """Connections from the manifest's `connections:` mapping (name -> spec); ConnectionSpecError for the
    first problem."""
    return {str(name): _connection(str(name), spec) for name, spec in raw.items()}


def _connection(name: str, spec: Any) -> HttpConnection:
    if not isinstance(spec, dict):
        raise ConnectionSpecError(name, "", "must be a mapping with one of api_key, basic or oauth")
    unknown = sorted(set(spec) - set(AUTHORIZATIONS) - set(_PARAMETERS))
    if unknown:
        expected = ", ".join([*AUTHORIZATIONS, *_PARAMETERS])
        raise ConnectionSpecError(name, unknown[0], f"unknown field (expected one of {expected})")
    kinds = [key for key in AUTHORIZATIONS if key in spec]
    if len(kinds) != 1:
        raise ConnectionSpecError(name, "", "needs exactly one of api_key, basic or oauth")
    kind = kinds[0]
    auth = spec[kind]
    allowed, required = _FIELDS[kind]
    if not isinstance(auth, dict):
        raise ConnectionSpecError(name, kind, f"must be a mapping with {', '.join(sorted(required))}")
    extra = sorted(set(auth) - allowed)
    if extra:
        expected = ", ".join(sorted(allowed))
        raise ConnectionSpecError(name, f"{kind}.{extra[0]}", f"unknown field (expected one of {expected})")
    for key in sorted(required):
        if not isinstance(auth.get(key), str) or not auth[key]:
            raise ConnectionSpecError(name, f"{kind}.{key}", "is required (a non-empty string)")
    values: dict[str, Any] = {}
    if kind == "api_key":
        values = {"api_key_name": auth["name"], "api_key_value": auth["value"]}
    elif kind == "basic":
        values = {"username": auth["username"], "password": auth["password"]}
    else:
        scopes = auth.get("scopes") or []
        if isinstance(scopes, str):
            scopes = scopes.split()
        if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
            raise ConnectionSpecError(name, "oauth.scopes", "must be a list of strings")
        method = str(auth.get("method") or "POST").upper()
        if method not in ("GET", "POST", "PUT"):
            raise ConnectionSpecError(name, "oauth.method", "must be GET, POST or PUT (as EventBridge's)")
        values = {
            "token_url": auth["token_url"],
            "client_id": auth["client_id"],
            "client_secret": str(auth.get("client_secret") or ""),
            "scopes": tuple(scopes),
            "token_method": method,
        }
    for key in _PARAMETERS:
        values[key] = _pairs(name, key, spec.get(key))
    return HttpConnection(name=name, authorization=AUTHORIZATIONS[kind], **values)


def _pairs(name: str, key: str, value: Any) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise ConnectionSpecError(name, key, "must be a mapping of names to values")
    return tuple((str(k), "" if v is None else str(v)) for k, v in value.items())


class TokenCache:
    """OAuth access tokens by connection, kept until they expire (less a margin), shared by the threads that
    run tasks. `fetch()` returns (token, lifetime seconds or None)."""

    MARGIN = 30.0  # seconds before expiry a token is no longer handed out
    DEFAULT_LIFETIME = 3600.0  # when the token endpoint gives no expires_in

    def __init__(self) -> None:
        self._tokens: dict[tuple[str, str, str], tuple[str, float]] = {}
        self._lock = threading.Lock()

    def token(
        self, connection: HttpConnection, now: float, fetch: Callable[[], tuple[str, float | None]]
    ) -> str:
        """A token for `connection`, from the cache or from `fetch()`."""
        key = (connection.name, connection.token_url, connection.client_id)
        with self._lock:
            cached = self._tokens.get(key)
            if cached is not None and cached[1] > now:
                return cached[0]
        token, lifetime = fetch()
        expires = now + (lifetime if lifetime is not None else self.DEFAULT_LIFETIME) - self.MARGIN
        with self._lock:
            self._tokens[key] = (token, expires)
        return token

    def forget(self, connection: HttpConnection) -> None:
        """Drop `connection`'s token (the API answered 401: it may have been revoked)."""
        with self._lock:
            self._tokens.pop((connection.name, connection.token_url, connection.client_id), None)
