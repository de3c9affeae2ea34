"""The app manifest (`app.yaml`): functions, state machines, REST routes, email and secrets in one file.

`load_manifest(path)` reads and checks it, reporting every problem with the file, the entry and the field;
`deploy(manifest, client, settings)` creates or updates everything, idempotently.

    public_base_url: ${Env:PUBLIC_URL}       # optional; where people reach the server
    functions:
      requestLeave:
        handler: request_leave.handler       # Lambda's "module.function", or "path/file.py:function"
        code: functions                      # the code folder, relative to this file (default: its folder)
        environment:
          STATE_MACHINE_ARN: ${StateMachine:EmployeeLeaveWorkflow}
          API_TOKEN: ${Env:API_TOKEN}         # a secret from the environment (${Env:NAME:-default})
        timeout: 10                           # seconds (Lambda's default 3, at most 900)
        memory: 128
    state_machines:
      EmployeeLeaveWorkflow:
        definition: definition.json           # FunctionName: ${Function:processLeaveRequest}
        type: STANDARD
    routes:
      - {method: POST, path: /request_leave, function: requestLeave}                # API Gateway proxy
      - {method: POST, path: /sum/{id}, function: add, integration: simple}
      - {method: POST, path: /start, state_machine: EmployeeLeaveWorkflow}
    email: {host: smtp.example.com, port: 587, starttls: true, username: ..., password: ${Env:SMTP_PASSWORD},
            sender: leave@example.com}
    directory: data/people.json              # whom human tasks ask (sojourn.directory): a file of
    people:                                  # `people` and `groups` (JSON or YAML), and/or inline
      ann: {name: Ann Lead, email: ann@example.com, groups: [leads]}
    groups:
      finance: [ann]
    webhooks:                                # who is told of executions' status changes (sojourn.webhooks)
      ops: {url: https://ops.example.com/events, secret_env: OPS_WEBHOOK_SECRET, statuses: [FAILED]}
    connections:                             # what HTTP Tasks' ConnectionArn .../connection/<name>/<id> names
      Stripe: {api_key: {name: x-api-key, value: ${Env:STRIPE_KEY}}, headers: {X-Tenant: acme}}
      Billing: {basic: {username: sojourn, password: ${Env:BILLING_PASSWORD}}}
      Crm: {oauth: {token_url: https://crm.example.com/token, client_id: sojourn,
                    client_secret: ${Env:CRM_SECRET}, scopes: [read]}}
    schedules:                               # EventBridge Scheduler's expressions (sojourn.schedules)
      nightly: {state_machine: EmployeeLeaveWorkflow, expression: "cron(0 2 * * ? *)", timezone: Europe/Paris,
                flexible_window_minutes: 15, start: 2026-12-01T00:00:00, end: 2027-12-01T00:00:00,
                input: {report: daily}, enabled: true}

References: `${Function:name}` and `${StateMachine:name}` become ARNs at deploy (in definitions and function
environments), `${Env:NAME}` is read when the manifest is loaded, `${Sojourn:PublicBaseUrl}` and
`${Sojourn:DataDir}` come from the settings at deploy, `${App:Dir}` is this file's folder.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from sojourn import arns
from sojourn import schedules as expressions
from sojourn.asl.loader import DefinitionError, read_definition
from sojourn.asl.validate import validate
from sojourn.config import SettingsError, is_wildcard_url, webhook_targets
from sojourn.connections import ConnectionSpecError, HttpConnection, parse_connections
from sojourn.directory import Directory, DirectoryError
from sojourn.functions import Function
from sojourn.gateway import Endpoint

__all__ = [
    "Manifest",
    "ManifestError",
    "Problem",
    "ScheduleSpec",
    "StateMachineSpec",
    "deploy",
    "deploy_functions",
    "deploy_state_machines",
    "load_manifest",
    "resolve_references",
]

REFERENCE = re.compile(r"\$\{(?P<kind>[A-Za-z]+):(?P<name>[^}:]*)(:-(?P<default>[^}]*))?\}")
STATE_MACHINE_NAME = re.compile(r"[A-Za-z0-9_-]{1,80}")
TOP_LEVEL = {
    "name",
    "public_base_url",
    "functions",
    "state_machines",
    "routes",
    "email",
    "directory",
    "people",
    "groups",
    "webhooks",
    "connections",
    "schedules",
}
FUNCTION_FIELDS = {"handler", "code", "environment", "timeout", "memory", "description"}
MACHINE_FIELDS = {"definition", "type", "role_arn", "description"}
SCHEDULE_FIELDS = {
    "state_machine",
    "expression",
    "timezone",
    "flexible_window_minutes",
    "start",
    "end",
    "input",
    "enabled",
    "description",
}
SCHEDULE_NAME = re.compile(r"[A-Za-z0-9_-]{1,63}")  # with "-<UTC time>", an execution name (at most 80)
ROUTE_FIELDS = {"method", "path", "function", "integration", "state_machine"}
# The manifest's email section -> Settings fields (docs/design.md section 5).
EMAIL_SETTINGS = {
    "host": "smtp_host",
    "port": "smtp_port",
    "username": "smtp_username",
    "password": "smtp_password",
    "starttls": "smtp_starttls",
    "tls": "smtp_tls",
    "sender": "smtp_sender",
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a manifest: where (file, entry, field) and what."""

    file: str
    entry: str
    field: str
    message: str

    def __str__(self) -> str:
        where = ".".join(part for part in (self.entry, self.field) if part)
        return f"{self.file}: {where}: {self.message}" if where else f"{self.file}: {self.message}"


class ManifestError(ValueError):
    """A manifest Sojourn cannot deploy; `.problems` lists every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class StateMachineSpec:
    """A state machine as declared: its definition still holds `${Function:...}` references."""

    name: str
    definition: dict[str, Any]
    type: str = "STANDARD"
    role_arn: str | None = None
    file: Path | None = None


@dataclass(frozen=True)
class ScheduleSpec:
    """A schedule as declared: what it starts, when (EventBridge Scheduler's expression), with what input."""

    name: str
    state_machine: str
    expression: str
    timezone: str = "UTC"
    window_minutes: int = 0  # 0: the flexible window is OFF
    start_at: float | None = None
    end_at: float | None = None
    input: str = "{}"
    enabled: bool = True


@dataclass(frozen=True)
class Manifest:
    """A checked manifest. `settings` holds the Settings fields it sets (`public_base_url`, `smtp_*`,
    `webhooks`)."""

    path: Path
    name: str
    functions: dict[str, Function] = field(default_factory=dict)
    state_machines: dict[str, StateMachineSpec] = field(default_factory=dict)
    routes: list[Endpoint] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    directory: Directory = field(
        default_factory=Directory
    )  # the people and groups human tasks are assigned to
    schedules: dict[str, ScheduleSpec] = field(default_factory=dict)


def load_manifest(path: str | Path, env: Mapping[str, str] | None = None) -> Manifest:
    """Read and check `app.yaml`; raises ManifestError naming the file, entry and field of every problem.

    `env` (default: the process environment) supplies `${Env:NAME}` secrets.
    """
    path = Path(path).resolve()
    checker = _Checker(path, os.environ if env is None else env)
    return checker.load()


class _Checker:
    """Collects problems while building the Manifest."""

    def __init__(self, path: Path, env: Mapping[str, str]):
        self.path, self.env, self.folder = path, env, path.parent
        self.problems: list[Problem] = []

    def problem(self, entry: str, field_name: str, message: str) -> None:
        self.problems.append(Problem(self.path.name, entry, field_name, message))

    def load(self) -> Manifest:
        try:
            raw = yaml.safe_load(self.path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ManifestError(
                [Problem(str(self.path), "", "", f"cannot be read: {exc.strerror}")]
            ) from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
            raise ManifestError(
                [Problem(self.path.name, "", "", f"is not valid YAML{where}: {getattr(exc, 'problem', exc)}")]
            ) from None
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise ManifestError([Problem(self.path.name, "", "", "must be a mapping of sections")])
        for key in sorted(set(raw) - TOP_LEVEL):
            self.problem(key, "", f"unknown section (expected one of {', '.join(sorted(TOP_LEVEL))})")
        raw = self.environment_secrets(raw, "")
        functions = self.functions(self.section(raw, "functions", dict))
        machines = self.state_machines(self.section(raw, "state_machines", dict))
        routes = self.routes(self.section(raw, "routes", list), functions, machines)
        settings = self.email(self.section(raw, "email", dict))
        if raw.get("webhooks") is not None:
            try:
                settings["webhooks"] = webhook_targets(self.section(raw, "webhooks", dict))
            except SettingsError as e:
                where, _, message = str(e).partition(": ")
                entry, _, field_name = where.rpartition(".")
                self.problem(entry, field_name, message)
        connections = self.connections(self.section(raw, "connections", dict))
        if connections:
            settings["http_connections"] = connections
        directory = self.directory(raw)
        schedules = self.schedules(self.section(raw, "schedules", dict), machines)
        if raw.get("public_base_url") is not None:
            if not isinstance(raw["public_base_url"], str) or not re.match(
                r"https?://", raw["public_base_url"]
            ):
                self.problem("public_base_url", "", "must be an http:// or https:// URL")
            elif is_wildcard_url(raw["public_base_url"]):
                self.problem("public_base_url", "", "names a wildcard address nobody can reach (0.0.0.0, ::)")
            else:
                settings["public_base_url"] = raw["public_base_url"]
        self.references(functions, machines)
        if self.problems:
            raise ManifestError(self.problems)
        name = raw.get("name") if isinstance(raw.get("name"), str) else self.folder.name
        return Manifest(self.path, name, functions, machines, routes, settings, directory, schedules)

    def schedules(
        self, raw: dict[str, Any], machines: dict[str, StateMachineSpec]
    ) -> dict[str, ScheduleSpec]:
        """The app's schedules, each expression, time zone and date checked as EventBridge Scheduler does."""
        found: dict[str, ScheduleSpec] = {}
        for name, spec in raw.items():
            entry = f"schedules.{name}"
            if not SCHEDULE_NAME.fullmatch(str(name)):
                self.problem(entry, "", "name must be 1-63 letters, digits, '-' or '_'")
            if not self.mapping(entry, spec, SCHEDULE_FIELDS, "'state_machine' and 'expression'"):
                continue
            machine = spec.get("state_machine")
            if machine not in machines:
                self.problem(entry, "state_machine", f"names no state machine of this app: {machine!r}")
            try:
                expressions.parse(str(spec.get("expression", "")))
            except expressions.ScheduleSyntaxError as e:
                self.problem(entry, "expression", str(e))
            try:
                tz = expressions.zone(spec.get("timezone"))
            except expressions.ScheduleSyntaxError as e:
                self.problem(entry, "timezone", str(e))
                continue
            window = spec.get("flexible_window_minutes", 0)
            if not isinstance(window, int) or isinstance(window, bool) or not 0 <= window <= 1440:
                self.problem(entry, "flexible_window_minutes", "must be 0 (OFF) or 1-1440 minutes")
                window = 0
            dates = {key: self.schedule_date(entry, key, spec.get(key), tz) for key in ("start", "end")}
            enabled = spec.get("enabled", True)
            if not isinstance(enabled, bool):
                self.problem(entry, "enabled", "must be true or false")
            found[str(name)] = ScheduleSpec(
                str(name),
                str(machine),
                str(spec.get("expression")),
                tz.key,
                window,
                dates["start"],
                dates["end"],
                json.dumps(spec.get("input", {})),
                enabled is not False,
            )
        return found

    def schedule_date(self, entry: str, key: str, value: Any, tz: Any) -> float | None:
        """A start or end date (YAML's date or time, or ISO 8601 text), in the schedule's time zone
        unless it names its own."""
        if value is None:
            return None
        try:
            when = value if isinstance(value, _dt.datetime) else _dt.datetime.fromisoformat(str(value))
        except ValueError:
            self.problem(entry, key, "must be a date and time, such as 2026-12-01T00:00:00")
            return None
        return (when if when.tzinfo else when.replace(tzinfo=tz)).timestamp()

    def connections(self, raw: dict[str, Any]) -> dict[str, HttpConnection]:
        """The HTTP Task's connections (sojourn.connections), each unusable one a problem."""
        found: dict[str, HttpConnection] = {}
        for name, spec in raw.items():
            try:
                found.update(parse_connections({name: spec}))
            except ConnectionSpecError as e:
                self.problem(f"connections.{e.entry}", e.field, e.message)
        return found

    def directory(self, raw: dict[str, Any]) -> Directory:
        """The app's people and groups (sojourn.directory): the `directory` file's, then the inline `people`
        and `groups` (which win); each unusable entry a problem."""
        people, groups = self.directory_file(raw.get("directory"))
        people.update(self.section(raw, "people", dict))
        groups.update(self.section(raw, "groups", dict))
        try:
            return Directory.from_mapping({"people": people, "groups": groups})
        except DirectoryError as e:
            self.problem(
                "directory" if raw.get("directory") else "people", "", str(e).removeprefix("directory: ")
            )
            return Directory()

    def directory_file(self, name: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        """The `people` and `groups` of the file `directory:` names (JSON or YAML, relative to this file)."""
        if name is None:
            return {}, {}
        if not isinstance(name, str) or not name:
            self.problem("directory", "", "must be the path of a file of people and groups")
            return {}, {}
        try:
            data = yaml.safe_load((self.folder / name).read_text(encoding="utf-8"))  # JSON is YAML too
        except (OSError, yaml.YAMLError) as e:
            self.problem("directory", "", f"cannot read {name}: {getattr(e, 'strerror', None) or e}")
            return {}, {}
        if not isinstance(data, dict) or set(data) - {"people", "groups"}:
            self.problem("directory", "", f"{name} must be a mapping of `people` and `groups`")
            return {}, {}
        people, groups = data.get("people") or {}, data.get("groups") or {}
        if not isinstance(people, dict) or not isinstance(groups, dict):
            self.problem("directory", "", f"{name}: `people` and `groups` must be mappings")
            return {}, {}
        return dict(people), dict(groups)

    def section(self, raw: dict[str, Any], key: str, kind: type) -> Any:
        value = raw.get(key)
        if value is None:
            return kind()
        if not isinstance(value, kind):
            self.problem(key, "", f"must be a {'mapping' if kind is dict else 'list'}")
            return kind()
        return value

    def environment_secrets(self, value: Any, where: str) -> Any:
        """Replace `${Env:NAME}` everywhere (secrets stay out of the file);
        other references wait for deploy."""
        if isinstance(value, dict):
            return {
                k: self.environment_secrets(v, f"{where}.{k}" if where else str(k)) for k, v in value.items()
            }
        if isinstance(value, list):
            return [self.environment_secrets(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if not isinstance(value, str):
            return value

        def substitute(match: re.Match[str]) -> str:
            if match["kind"] != "Env":
                return match[0]
            if match["name"] in self.env:
                return self.env[match["name"]]
            if match["default"] is not None:
                return match["default"]
            entry, _, field_name = where.rpartition(".")
            self.problem(entry, field_name, f"environment variable {match['name']} is not set")
            return ""

        return REFERENCE.sub(substitute, value)

    def mapping(self, entry: str, spec: Any, allowed: set[str], needs: str) -> bool:
        """True when `spec` is a mapping; reports a non-mapping and each unknown field."""
        if not isinstance(spec, dict):
            self.problem(entry, "", f"must be a mapping with {needs}")
            return False
        for key in sorted(set(spec) - allowed):
            self.problem(entry, key, f"unknown field (expected one of {', '.join(sorted(allowed))})")
        return True

    def functions(self, raw: dict[str, Any]) -> dict[str, Function]:
        found: dict[str, Function] = {}
        for name, spec in raw.items():
            entry = f"functions.{name}"
            if not self.mapping(entry, spec, FUNCTION_FIELDS, "at least 'handler'"):
                continue
            code = self.folder / str(spec.get("code", "."))
            if not code.is_dir():
                self.problem(entry, "code", f"folder '{spec.get('code', '.')}' does not exist")
            handler = spec.get("handler")
            if not isinstance(handler, str) or not handler:
                self.problem(entry, "handler", "is required: 'module.function' or 'path/file.py:function'")
            elif code.is_dir():
                self.handler_file(entry, code, handler)
            environment = spec.get("environment") or {}
            if not isinstance(environment, dict):
                self.problem(entry, "environment", "must be a mapping of names to values")
                environment = {}
            for key, value in environment.items():
                if isinstance(value, (dict, list)) or value is None:
                    self.problem(entry, f"environment.{key}", "must be a string, a number or a boolean")
            timeout = spec.get("timeout", 3)
            if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 900:
                self.problem(entry, "timeout", "must be a number of seconds between 1 and 900")
                timeout = 3
            memory = spec.get("memory", 128)
            if isinstance(memory, bool) or not isinstance(memory, int) or not 128 <= memory <= 10240:
                self.problem(entry, "memory", "must be a whole number of MB between 128 and 10240")
                memory = 128
            try:
                found[name] = Function(
                    str(name), str(handler or ""), code, _strings(environment), float(timeout), memory
                )
            except ValueError as exc:
                self.problem(entry, "", str(exc))
        return found

    def handler_file(self, entry: str, code: Path, handler: str) -> None:
        if ":" in handler:
            file, _, function = handler.rpartition(":")
            if not (code / file).is_file():
                self.problem(entry, "handler", f"file '{file}' does not exist in '{code}'")
            elif not function.isidentifier():
                self.problem(entry, "handler", f"'{function}' is not a function name")
            return
        module, _, function = handler.rpartition(".")
        if not module or not function.isidentifier():
            self.problem(entry, "handler", f"'{handler}' is not 'module.function' or 'path/file.py:function'")
            return
        base = code / module.replace(".", "/")
        if not (base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()):
            self.problem(entry, "handler", f"module '{module}' not found in '{code}'")

    def state_machines(self, raw: dict[str, Any]) -> dict[str, StateMachineSpec]:
        found: dict[str, StateMachineSpec] = {}
        for name, spec in raw.items():
            entry = f"state_machines.{name}"
            if not STATE_MACHINE_NAME.fullmatch(str(name)):
                self.problem(entry, "", "name must be 1-80 letters, digits, '-' or '_'")
            if isinstance(spec, str):
                spec = {"definition": spec}
            if not self.mapping(entry, spec, MACHINE_FIELDS, "'definition'"):
                continue
            kind = spec.get("type", "STANDARD")
            if kind not in ("STANDARD", "EXPRESS"):
                self.problem(entry, "type", "must be STANDARD or EXPRESS")
            definition = self.definition(entry, spec.get("definition"))
            if definition is not None:
                found[str(name)] = StateMachineSpec(
                    str(name), definition, kind, spec.get("role_arn"), self.folder / str(spec["definition"])
                )
        return found

    def definition(self, entry: str, value: Any) -> dict[str, Any] | None:
        if isinstance(value, dict):
            source: Any = value
        elif isinstance(value, str) and value:
            source = self.folder / value
            if not source.is_file():
                self.problem(entry, "definition", f"file '{value}' does not exist")
                return None
        else:
            self.problem(
                entry, "definition", "is required: a file name (.json, .yaml) or the definition itself"
            )
            return None
        try:
            return read_definition(source)
        except DefinitionError as exc:
            self.problem(entry, "definition", str(exc))
            return None

    def routes(
        self, raw: list[Any], functions: dict[str, Function], machines: dict[str, StateMachineSpec]
    ) -> list[Endpoint]:
        found: list[Endpoint] = []
        seen: set[tuple[str, str]] = set()
        for index, spec in enumerate(raw):
            entry = f"routes[{index}]"
            if not self.mapping(entry, spec, ROUTE_FIELDS, "method, path and function or state_machine"):
                continue
            function, machine = spec.get("function"), spec.get("state_machine")
            if function is not None and function not in functions:
                self.problem(entry, "function", f"no function '{function}' in functions")
            if machine is not None and machine not in machines and not str(machine).startswith("arn:"):
                self.problem(entry, "state_machine", f"no state machine '{machine}' in state_machines")
            try:
                endpoint = Endpoint(
                    str(spec.get("method", "")),
                    str(spec.get("path", "")),
                    function,
                    spec.get("integration", "proxy"),
                    machine,
                )
            except ValueError as exc:
                field_name = (
                    "path"
                    if "path" in str(exc)
                    else "method"
                    if "method" in str(exc)
                    else "integration"
                    if "integration" in str(exc)
                    else ""
                )
                self.problem(entry, field_name, str(exc))
                continue
            key = (endpoint.method, endpoint.path)
            if key in seen:
                self.problem(entry, "path", f"{endpoint.method} {endpoint.path} is declared twice")
            seen.add(key)
            found.append(endpoint)
        return found

    def email(self, raw: dict[str, Any]) -> dict[str, Any]:
        settings: dict[str, Any] = {}
        for key, value in raw.items():
            if key not in EMAIL_SETTINGS:
                self.problem("email", key, f"unknown field (expected one of {', '.join(EMAIL_SETTINGS)})")
            else:
                settings[EMAIL_SETTINGS[key]] = value
        port = raw.get("port")
        if port is not None and (isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536):
            self.problem("email", "port", "must be a port number")
        return settings

    def references(self, functions: dict[str, Function], machines: dict[str, StateMachineSpec]) -> None:
        """Every `${Function:x}` / `${StateMachine:x}` names a declared entry; definitions are valid."""

        def check(value: Any, entry: str, field_name: str) -> None:
            for text in _strings_in(value):
                for match in REFERENCE.finditer(text):
                    kind, name = match["kind"], match["name"]
                    catalog: dict[str, Mapping[str, Any]] = {"Function": functions, "StateMachine": machines}
                    known = catalog.get(kind)
                    if known is not None and name not in known:
                        what = "function" if kind == "Function" else "state machine"
                        self.problem(entry, field_name, f"{match[0]} names no {what} of this manifest")
                    elif known is None and f"{kind}:{name}" not in (
                        "Sojourn:PublicBaseUrl",
                        "Sojourn:DataDir",
                        "App:Dir",
                    ):
                        self.problem(entry, field_name, f"{match[0]} is not a known reference")

        for name, fn in functions.items():
            for key, value in fn.environment.items():
                check(value, f"functions.{name}", f"environment.{key}")
        for name, machine in machines.items():
            check(machine.definition, f"state_machines.{name}", "definition")
            resolved = resolve_references(
                machine.definition, _Context(arns.DEFAULT_REGION, arns.DEFAULT_ACCOUNT, "", "", self.folder)
            )
            for diagnostic in validate(resolved):
                if diagnostic.severity == "ERROR":
                    self.problem(
                        f"state_machines.{name}",
                        "definition",
                        f"{diagnostic.code} at {diagnostic.location}: {diagnostic.message}",
                    )


def _strings(environment: dict[str, Any]) -> dict[str, str]:
    """Lambda's environment values are strings; YAML numbers and booleans are written as JSON writes them."""
    return {
        str(k): v if isinstance(v, str) else json.dumps(v)
        for k, v in environment.items()
        if not isinstance(v, (dict, list)) and v is not None
    }


def _strings_in(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _strings_in(k) + _strings_in(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings_in(v)]
    return []


@dataclass(frozen=True)
class _Context:
    region: str
    account_id: str
    public_base_url: str
    data_dir: str
    folder: Path


def resolve_references(value: Any, context: Any) -> Any:
    """`value` with `${Function:x}`, `${StateMachine:x}`, `${Sojourn:...}` and `${App:Dir}` replaced."""
    if isinstance(value, dict):
        return {resolve_references(k, context): resolve_references(v, context) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_references(v, context) for v in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        kind, name = match["kind"], match["name"]
        if kind == "Function":
            return arns.function_arn(name, context.region, context.account_id)
        if kind == "StateMachine":
            return arns.state_machine_arn(context.region, context.account_id, name)
        if (kind, name) == ("Sojourn", "PublicBaseUrl"):
            return context.public_base_url
        if (kind, name) == ("Sojourn", "DataDir"):
            return str(Path(context.data_dir).resolve())
        if (kind, name) == ("App", "Dir"):
            return str(context.folder)
        return match[0]

    return REFERENCE.sub(substitute, value)


def deploy(manifest: Manifest, client: Any, settings: Any, *, functions: Any = None) -> dict[str, list[str]]:
    """Create or update the manifest's functions and state machines; idempotent.

    Functions go to `functions` (a FunctionPool), by default the pool the client's runtime lends to Tasks
    and routes (`Facilities.function_pool()`).
    Returns what happened: `{"created": [...], "updated": [...], "unchanged": [...]}` with entries such as
    `function:requestLeave` and `stateMachine:EmployeeLeaveWorkflow`. `client` is boto3-shaped
    (`sojourn.Client` or `boto3.client("stepfunctions")`).
    """
    pool = functions if functions is not None else client.facilities.function_pool()
    report = deploy_functions(manifest, pool, settings)
    for outcome, entries in deploy_state_machines(manifest, client, settings).items():
        report[outcome] += entries
    return report


def _context(manifest: Manifest, settings: Any) -> _Context:
    return _Context(
        getattr(settings, "region", arns.DEFAULT_REGION),
        getattr(settings, "account_id", arns.DEFAULT_ACCOUNT),
        str(manifest.settings.get("public_base_url") or getattr(settings, "public_base_url", "")),
        getattr(settings, "data_dir", ".sojourn"),
        manifest.path.parent,
    )


def deploy_functions(manifest: Manifest, pool: Any, settings: Any) -> dict[str, list[str]]:
    """Register the manifest's functions in `pool` (a FunctionPool), references resolved; idempotent."""
    context = _context(manifest, settings)
    report: dict[str, list[str]] = {"created": [], "updated": [], "unchanged": []}
    for fn in manifest.functions.values():
        existed = pool.get(fn.name) is not None
        changed = pool.register(replace(fn, environment=resolve_references(dict(fn.environment), context)))
        report["created" if not existed else "updated" if changed else "unchanged"].append(
            f"function:{fn.name}"
        )
    return report


def deploy_state_machines(manifest: Manifest, client: Any, settings: Any) -> dict[str, list[str]]:
    """Create or update the manifest's state machines through `client` (boto3-shaped); idempotent."""
    context = _context(manifest, settings)
    report: dict[str, list[str]] = {"created": [], "updated": [], "unchanged": []}
    existing = _state_machines(client)
    for machine in manifest.state_machines.values():
        definition = json.dumps(resolve_references(machine.definition, context), indent=2)
        role = machine.role_arn or arns.role_arn(context.account_id)
        arn = existing.get(machine.name)
        if arn is None:
            client.create_state_machine(
                name=machine.name, definition=definition, roleArn=role, type=machine.type
            )
            report["created"].append(f"stateMachine:{machine.name}")
            continue
        current = client.describe_state_machine(stateMachineArn=arn)
        if json.loads(current["definition"]) == json.loads(definition) and current.get("roleArn") == role:
            report["unchanged"].append(f"stateMachine:{machine.name}")
        else:
            client.update_state_machine(stateMachineArn=arn, definition=definition, roleArn=role)
            report["updated"].append(f"stateMachine:{machine.name}")
    return report


def _state_machines(client: Any) -> dict[str, str]:
    """Name -> ARN of every state machine the client knows (all pages)."""
    found: dict[str, str] = {}
    arguments: dict[str, Any] = {}
    while True:
        page = client.list_state_machines(**arguments)
        for machine in page.get("stateMachines", []):
            found[machine["name"]] = machine["stateMachineArn"]
        if not page.get("nextToken"):
            return found
        arguments["nextToken"] = page["nextToken"]
