"""The `sojourn` command line (Typer + Rich). Every command has help; user mistakes never print tracebacks.

How commands reach Sojourn, one rule: with `--db URL` they open that database directly (no server
needed; executions they start run when a `sojourn serve` or `sojourn worker` on that database picks
them up); without it they call a running server's Step Functions API over HTTP at `--endpoint`
(default: http://SOJOURN_HOST:SOJOURN_PORT, i.e. http://127.0.0.1:8080).
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table

app = typer.Typer(
    help="Sojourn: durable, self-hosted workflows that wait for people.\n\n"
    "Commands that read or change executions call a running server over HTTP (--endpoint, default "
    "http://127.0.0.1:8080), or open the database directly when given --db URL.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
out = Console(soft_wrap=True)  # an ARN on one line, whatever the width
err = Console(stderr=True, soft_wrap=True)

ENDPOINT_HELP = "Sojourn server URL (default: http://SOJOURN_HOST:SOJOURN_PORT)."
DB_HELP = "Open this database directly instead of calling a server (sqlite:///file.db or postgresql://...)."
JSON_HELP = "Print the answer as JSON (for scripts)."
TOKEN_HELP = (
    "The task token, or @file holding it (one that starts with '-' goes after `--`, or in --task-token)."
)
TASK_TOKEN_HELP = "The task token, as the AWS CLI names it (instead of the argument)."
EXECUTION_TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}


def _fail(message: str, code: int = 1) -> None:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def _settings(**flags: Any) -> Any:
    from sojourn.config import Settings, SettingsError

    try:
        return Settings.load(**flags)
    except SettingsError as e:
        _fail(str(e))


@contextlib.contextmanager
def _user_errors() -> Iterator[None]:
    """Turn the errors a user can cause (API errors, unreachable server, bad files) into one red line."""
    from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

    from sojourn.errors import SojournAPIError

    try:
        yield
    except ClientError as e:
        error = e.response.get("Error", {})
        _fail(f"{error.get('Code', 'Error')}: {error.get('Message', '')}{_problems(e.response)}")
    except SojournAPIError as e:
        _fail(f"{e.type_name}: {e.message}{_problems(vars(e))}")
    except EndpointConnectionError as e:
        _fail(
            f"cannot reach Sojourn at {e.kwargs.get('endpoint_url', '?')} "
            "(is `sojourn serve` running? or pass --db)"
        )
    except BotoCoreError as e:
        _fail(str(e))
    except (OSError, ValueError) as e:
        _fail(str(e))


def _problems(answer: dict[str, Any]) -> str:
    """A human task's refused form fields (DecisionRefused's `problems`), for the end of the error line."""
    problems = answer.get("problems") or {}
    return "".join(f"\n  {escape(field)}: {escape(problem)}" for field, problem in problems.items())


def _client(endpoint: str | None, db: str | None, create: bool = False, tasks: bool = False) -> Any:
    """A boto3-shaped Step Functions client: `sojourn.Client` on `--db`, else boto3 against the server
    (with `tasks`: the client of Sojourn's own human-task actions, `sojourn.aws.tasks_client`).

    On `--db` the client runs no workers: what its calls schedule is left to the processes serving that
    database (`close()` hands it over), so close it, or use `_connected`. Only with `create` may it
    create the database (`sojourn deploy`): any other command on a missing SQLite file is an error.
    """
    settings = _settings(db_url=db)
    if db:
        return _database_client(settings, create)
    import boto3
    from botocore.config import Config

    options: dict[str, Any] = {
        "endpoint_url": endpoint or settings.endpoint_url,
        "region_name": settings.region,
        "aws_access_key_id": settings.api_key or "sojourn",
        "aws_secret_access_key": "sojourn",
        # StartSyncExecution's "sync-" host prefix would turn 127.0.0.1 into an unknown host.
        "config": Config(inject_host_prefix=False, retries={"max_attempts": 2}, read_timeout=90),
    }
    if tasks:
        from sojourn.aws import tasks_client

        return tasks_client(**options)
    return boto3.client("stepfunctions", **options)


def _database_client(settings: Any, create: bool = False) -> Any:
    """`sojourn.Client` on `settings.db_url`, running no workers; a SQLite file that is not there is an
    error unless `create` (reading must never leave an empty database behind)."""
    import sqlite3

    import psycopg

    from sojourn.client import Client
    from sojourn.store.base import database_exists

    if not create and not database_exists(settings.db_url):
        _fail(f"no database at {settings.db_url} (only `sojourn deploy` creates one)")
    try:
        return Client(settings=settings, workers=0, start=False)
    except (sqlite3.Error, psycopg.Error) as e:
        _fail(f"cannot open the database {settings.db_url}: {e}")


@contextlib.contextmanager
def _connected(
    endpoint: str | None, db: str | None, create: bool = False, tasks: bool = False
) -> Iterator[Any]:
    """`_client(endpoint, db, create, tasks)` inside `_user_errors()`, closed at the end."""
    with _user_errors():
        sfn = _client(endpoint, db, create, tasks)
        try:
            yield sfn
        finally:
            close = getattr(sfn, "close", None)
            if close is not None:
                close()


def _server_call(endpoint: str | None, method: str, path: str, local: str = "--db", **request: Any) -> Any:
    """Call one of the server's own endpoints (`/sojourn/...`, not Step Functions actions) with the API key;
    its JSON answer. An unreachable server or an error answer is one red line (`local`: the option that
    works without a server)."""
    import httpx

    settings = _settings()
    url = (endpoint or settings.endpoint_url).rstrip("/") + path
    headers = {"X-Api-Key": settings.api_key} if settings.api_key else {}
    try:
        answer = httpx.request(method, url, headers=headers, timeout=120, **request)
    except httpx.HTTPError:
        _fail(f"cannot reach Sojourn at {url} (is `sojourn serve` running? or pass {local})")
    is_json = answer.headers.get("content-type", "").startswith("application/json")
    body = answer.json() if is_json else None
    if answer.status_code != 200 or not isinstance(body, dict):
        problem = body if isinstance(body, dict) else {}
        message = problem.get("message") or f"{url} answered {answer.status_code}"
        _fail(f"{problem['__type']}: {message}" if problem.get("__type") else message)
    return body


def _pages(call: Any, key: str, limit: int | None = None, **params: Any) -> Iterator[dict]:
    """Every item under `key` across the pages of a List*/Get* call
    (boto3 or `sojourn.Client`), up to `limit`."""
    count = 0
    while True:
        page = call(**params)
        for item in page.get(key, []):
            if limit is not None and count >= limit:
                return
            count += 1
            yield item
        if not page.get("nextToken"):
            return
        params["nextToken"] = page["nextToken"]


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(_plain(data), indent=2, sort_keys=False) + "\n")


def _plain(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _plain(v) for k, v in data.items() if k != "ResponseMetadata"}
    if isinstance(data, list):
        return [_plain(v) for v in data]
    if isinstance(data, datetime):
        return data.isoformat()
    return data


def _read_text(value: str, option: str) -> str:
    """`value`, or the content of the file it names as `@file`."""
    if not value.startswith("@"):
        return value
    try:
        return Path(value[1:]).read_text()
    except OSError as e:
        _fail(f"{option}: cannot read {value[1:]}: {e.strerror}")
        raise AssertionError from None  # unreachable: _fail exits


def _read_json_option(text: str, option: str) -> str:
    """`--input '{...}'` or `--input @file.json`; returns the JSON text after checking it parses."""
    text = _read_text(text, option)
    try:
        json.loads(text)
    except json.JSONDecodeError as e:
        _fail(f"{option} is not valid JSON: {e}")
    return text


def _machine_arn(sfn: Any, machine: str) -> str:
    """A state machine ARN from an ARN or a name (looked up on the server)."""
    if machine.startswith("arn:"):
        return machine
    for found in _pages(sfn.list_state_machines, "stateMachines"):
        if found["name"] == machine:
            return str(found["stateMachineArn"])
    _fail(f"no state machine named {machine!r}")
    raise AssertionError  # unreachable: _fail exits


# -- serve and worker -------------------------------------------------------------------------------

OVERRIDES_HELP = (
    "A SAM template's parameters, as SAM CLI takes them: Key=Value (repeat the option, or several "
    "separated by spaces)."
)
GRACE_HELP = (
    "Seconds tasks in flight get to finish on SIGTERM/SIGINT; the rest run again after the next start."
)


@app.command()
def serve(
    db: str = typer.Option(
        None, "--db", help="Database URL (default SOJOURN_DB_URL or sqlite:///.sojourn/sojourn.db)."
    ),
    host: str = typer.Option(None, "--host", help="Interface to listen on (default 127.0.0.1)."),
    port: int = typer.Option(None, "--port", help="Port to listen on (default 8080)."),
    app_file: Path = typer.Option(
        None, "--app", help="App manifest (app.yaml) or AWS SAM template (template.yaml) to deploy and serve."
    ),
    overrides: list[str] = typer.Option(None, "--parameter-overrides", help=OVERRIDES_HELP),
    workers: int = typer.Option(
        None,
        "--workers",
        min=0,
        help="Worker threads running executions (default 4; 0: API only, `sojourn worker`s run them).",
    ),
    grace: float = typer.Option(20.0, "--grace", min=0, help=GRACE_HELP),
    as_json: bool = typer.Option(False, "--json", help="Log one JSON object per line (for log collectors)."),
) -> None:
    """Serve the Step Functions API, the app's REST routes and the console, and run the workers."""
    from sojourn import server

    manifest, settings = _app_settings(app_file, overrides, db_url=db, host=host, port=port, workers=workers)
    _logging(as_json, settings)
    if manifest is not None:
        _print_template_notes(manifest, settings.public_base_url)
    with _user_errors():
        server.serve(settings, manifest, grace=grace)


@app.command()
def worker(
    db: str = typer.Option(
        None, "--db", help="Database URL (default SOJOURN_DB_URL); use PostgreSQL to share work."
    ),
    workers: int = typer.Option(None, "--workers", min=1, help="Worker threads (default 4)."),
    app_file: Path = typer.Option(
        None, "--app", help="App manifest (app.yaml) or SAM template whose functions these workers run."
    ),
    overrides: list[str] = typer.Option(None, "--parameter-overrides", help=OVERRIDES_HELP),
    grace: float = typer.Option(20.0, "--grace", min=0, help=GRACE_HELP),
    as_json: bool = typer.Option(False, "--json", help="Log one JSON object per line (for log collectors)."),
    metrics_port: int = typer.Option(
        None, "--metrics-port", min=1, max=65535, help="Serve this process's /metrics on this port."
    ),
) -> None:
    """Run workers only (no HTTP): start one per machine, all on the same PostgreSQL database."""
    from sojourn import server

    manifest, settings = _app_settings(app_file, overrides, db_url=db, workers=workers)
    _logging(as_json, settings)
    with _user_errors():
        server.run_workers(settings, grace=grace, manifest=manifest, metrics_port=metrics_port)


def _app_settings(app_file: Path | None, overrides: list[str] | None, **flags: Any) -> tuple[Any, Any]:
    """The app (manifest or SAM template) at `app_file` (or None) and the settings it contributes to, under
    env and flags."""
    manifest = None
    if app_file is not None:
        _need_file(app_file)
        manifest = _load_app(app_file, overrides)
    return manifest, _settings(**flags, manifest=manifest.settings if manifest else None)


def _load_app(file: Path, overrides: list[str] | None) -> Any:
    """An app manifest or a SAM template (sojourn.sam), each mistake reported by file, entry and property."""
    from sojourn import arns
    from sojourn.manifest import ManifestError
    from sojourn.sam import load_app, parse_overrides

    try:
        parameters = parse_overrides(overrides)
    except ValueError as e:
        _fail(str(e))
    settings = _settings()
    try:
        return load_app(
            file,
            parameters,
            region=getattr(settings, "region", arns.DEFAULT_REGION),
            account_id=getattr(settings, "account_id", arns.DEFAULT_ACCOUNT),
        )
    except ManifestError as e:
        _fail(str(e))


def _template_notes(manifest: Any, base_url: str) -> dict[str, Any]:
    """What a SAM template's deploy reports besides the app's: skipped resources, APIs' URLs, Outputs."""
    from sojourn.sam import SamApp, local_outputs

    if not isinstance(manifest, SamApp):
        return {}
    base = base_url.rstrip("/")
    return {
        "skipped": [
            {"logicalId": s.logical_id, "type": s.type, "reason": s.reason} for s in manifest.skipped
        ],
        "apis": {logical_id: f"{base}/" for logical_id in manifest.apis},
        "outputs": local_outputs(manifest, base),
    }


def _print_template_notes(manifest: Any, base_url: str, notes: dict[str, Any] | None = None) -> None:
    notes = notes if notes is not None else _template_notes(manifest, base_url)
    if not notes:
        return
    for item in notes["skipped"]:
        out.print(f"  skipped: {item['logicalId']} ({item['type']}): {item['reason']}", highlight=False)
    for logical_id, url in notes["apis"].items():
        out.print(
            f"  api: {logical_id} at {url} (every API's routes at the server's root, no stage)",
            highlight=False,
        )
    if notes["outputs"]:
        out.print("Outputs:", highlight=False)
        for key, value in notes["outputs"].items():
            shown = value if isinstance(value, str) else json.dumps(value)
            out.print(f"  {key}: {shown}", highlight=False)


def _logging(as_json: bool = False, settings: Any = None) -> None:
    from sojourn import logs

    logs.configure(as_json or (settings is not None and settings.log_format == "json"))


# -- definitions ------------------------------------------------------------------------------------


@app.command()
def validate(
    file: Path = typer.Argument(..., help="State machine definition (JSON or YAML)."),
    as_json: bool = typer.Option(
        False, "--json", help="Print ValidateStateMachineDefinition's answer as JSON."
    ),
) -> None:
    """Validate a definition locally; print every diagnostic; exit 1 when any is an error."""
    from sojourn.asl.loader import DefinitionError, read_definition
    from sojourn.asl.validate import validate as validate_definition

    _need_file(file)
    try:
        diagnostics = validate_definition(read_definition(file))
    except DefinitionError as e:
        diagnostics = list(e.diagnostics)
    errors = [d for d in diagnostics if d.severity == "ERROR"]
    if as_json:
        _print_json(
            {
                "result": "FAIL" if errors else "OK",
                "diagnostics": [d.to_dict() for d in diagnostics],
                "truncated": False,
            }
        )
    else:
        for d in diagnostics:
            colour = "red" if d.severity == "ERROR" else "yellow"
            out.print(f"[{colour}]{d.severity}[/] {d.code} at {d.location}: {d.message}", highlight=False)
        out.print(
            f"{file}: {'FAIL' if errors else 'OK'} "
            f"({len(errors)} errors, {len(diagnostics) - len(errors)} warnings)",
            highlight=False,
        )
    raise typer.Exit(1 if errors else 0)


def _need_file(file: Path) -> None:
    if not file.is_file():
        _fail(f"{file}: no such file")


@app.command()
def run(
    file: Path = typer.Argument(..., help="State machine definition (JSON or YAML)."),
    input: str = typer.Option("{}", "--input", "-i", help="Execution input as JSON (or @file.json)."),
    skip_waits: bool = typer.Option(
        False, "--skip-waits", help="Run on a virtual clock: Waits and retry delays take no time."
    ),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Run a definition in memory (no database; Waits really wait unless --skip-waits);
    exit 1 unless it succeeded."""
    import sojourn
    from sojourn.asl.loader import DefinitionError

    _need_file(file)
    payload = json.loads(_read_json_option(input, "--input"))
    try:
        result = sojourn.run(file, payload, clock=sojourn.VirtualClock() if skip_waits else None)
    except DefinitionError as e:
        for d in e.diagnostics:
            err.print(f"[red]{d.severity}[/] {d.code} at {d.location}: {d.message}", highlight=False)
        raise typer.Exit(1) from None
    if as_json:
        _print_json(result.to_dict())
    else:
        _print_status(result.status, str(file))
        if result.status == "SUCCEEDED":
            sys.stdout.write(json.dumps(result.output, indent=2) + "\n")
        else:
            _print_fields({"error": result.error, "cause": result.cause}, ("error", "cause"))
    raise typer.Exit(0 if result.status == "SUCCEEDED" else 1)


@app.command()
def deploy(
    file: Path = typer.Argument(
        ..., help="A definition (JSON/YAML with StartAt) or an app manifest (app.yaml)."
    ),
    name: str = typer.Option(None, "--name", help="State machine name (default: the file's name)."),
    role_arn: str = typer.Option(None, "--role-arn", help="Role ARN recorded with the state machine."),
    machine_type: str = typer.Option("STANDARD", "--type", help="STANDARD or EXPRESS."),
    publish: bool = typer.Option(False, "--publish", help="Publish a new version."),
    endpoint: str = typer.Option(None, "--endpoint", help=ENDPOINT_HELP),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    overrides: list[str] = typer.Option(None, "--parameter-overrides", help=OVERRIDES_HELP),
) -> None:
    """Create or update a state machine from a definition file, or deploy an app manifest or an AWS SAM
    template (functions, state machines, routes) for every server and worker on the database."""
    from sojourn.asl.loader import DefinitionError, read_definition
    from sojourn.sam import is_template
    from sojourn.sam.template import TemplateReadError, read_template

    _need_file(file)
    try:
        template = is_template(read_template(file))
    except (TemplateReadError, OSError):
        template = False
    document: dict = {}
    if not template:
        try:
            document = read_definition(file)
        except DefinitionError as e:
            _fail(f"{file}: {e.diagnostics[0].message if e.diagnostics else e}")
    with _user_errors():
        if template or "StartAt" not in document:
            answer = _deploy_app(file, endpoint, db, overrides)
        else:
            with _connected(endpoint, db, create=True) as sfn:
                answer = _deploy_definition(
                    sfn, document, name or _name_from(file), role_arn, machine_type, publish
                )
    if as_json:
        _print_json(answer)
    elif "app" in answer:
        out.print(f"deployed app {answer['app']} from {answer['path']}", highlight=False)
        for outcome in ("created", "updated", "unchanged"):
            if answer.get(outcome):
                out.print(f"  {outcome}: {', '.join(answer[outcome])}", highlight=False)
        _print_template_notes(None, "", answer.get("template") or {})
    elif "stateMachineArn" in answer:
        out.print(f"{answer['action']} {answer['stateMachineArn']}", highlight=False)
    else:
        for action in ("created", "updated", "unchanged"):
            for entry in answer.get(action, []):
                out.print(f"{action} {entry}", highlight=False)


def _name_from(file: Path) -> str:
    stem = file.stem if file.stem != "definition" else file.resolve().parent.name
    return re.sub(r"[^A-Za-z0-9_-]", "-", stem)[:80] or "StateMachine"


def _deploy_definition(
    sfn: Any, definition: dict, name: str, role_arn: str | None, kind: str, publish: bool
) -> dict:
    from sojourn import arns

    text = json.dumps(definition)
    role = role_arn or arns.role_arn(_settings().account_id)
    existing = next(
        (m["stateMachineArn"] for m in _pages(sfn.list_state_machines, "stateMachines") if m["name"] == name),
        None,
    )
    if existing is None:
        answer = sfn.create_state_machine(
            name=name, definition=text, roleArn=role, type=kind, publish=publish
        )
        return {"action": "created", **answer}
    answer = sfn.update_state_machine(
        stateMachineArn=existing, definition=text, roleArn=role, publish=publish
    )
    return {"action": "updated", "stateMachineArn": existing, **answer}


def _deploy_app(file: Path, endpoint: str | None, db: str | None, overrides: list[str] | None = None) -> dict:
    """Deploy an app manifest or SAM template: into the database (`--db`), or through the running server,
    which reads the file at the same path. Every server and worker on that database then serves the app."""
    manifest = _load_app(file, overrides)
    settings = _settings(db_url=db, manifest=manifest.settings)
    if db:
        from sojourn.deployment import AppHost

        client = _database_client(settings, create=True)
        try:
            report = AppHost(client, settings).deploy(manifest)
        finally:
            client.close()
    else:
        from sojourn.sam import parse_overrides

        request: dict[str, Any] = {"path": str(manifest.path)}
        if overrides:
            request["parameterOverrides"] = parse_overrides(overrides)
        answer = _server_call(endpoint, "POST", "/sojourn/apps", json=request)
        report = {k: v for k, v in answer.items() if k in ("created", "updated", "unchanged")}
    notes = _template_notes(manifest, endpoint or settings.public_base_url)
    extra = {"template": notes} if notes else {}
    return {"action": "deployed app", "app": manifest.name, "path": str(manifest.path), **report, **extra}


# -- executions -------------------------------------------------------------------------------------


@app.command()
def start(
    machine: str = typer.Argument(..., help="State machine name or ARN (a version or alias ARN works too)."),
    input: str = typer.Option("{}", "--input", "-i", help="Execution input as JSON (or @file.json)."),
    name: str = typer.Option(None, "--name", help="Execution name (default: a new UUID)."),
    wait: bool = typer.Option(
        False, "--wait", help="Wait until the execution ends; exit 1 unless it succeeded."
    ),
    endpoint: str = typer.Option(None, "--endpoint", help=ENDPOINT_HELP),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Start an execution; print its ARN (with --wait: its outcome)."""
    payload = _read_json_option(input, "--input")
    with _connected(endpoint, db) as sfn:
        params = {"stateMachineArn": _machine_arn(sfn, machine), "input": payload}
        if name:
            params["name"] = name
        kind = sfn.describe_state_machine(stateMachineArn=params["stateMachineArn"])["type"] if wait else None
        if kind == "EXPRESS":
            answer = sfn.start_sync_execution(**params)  # nothing keeps an Express execution to describe
        else:
            answer = sfn.start_execution(**params)
            if wait:
                answer = _wait(sfn, answer["executionArn"])
    if as_json:
        _print_json(answer)
    elif wait:
        _print_execution(answer)
    else:
        out.print(answer["executionArn"], highlight=False)
    if wait and answer["status"] != "SUCCEEDED":
        raise typer.Exit(1)


def _wait(sfn: Any, arn: str) -> dict:
    while True:
        described = sfn.describe_execution(executionArn=arn)
        if described["status"] in EXECUTION_TERMINAL:
            return dict(described)
        time.sleep(0.2)


@app.command()
def describe(
    target: str = typer.Argument(
        ...,
        metavar="WHAT",
        help=(
            "An execution (its ARN, its name, or MACHINE/NAME when several machines have one of that name) "
            "or a state machine (its ARN or name)."
        ),
    ),
    endpoint: str = typer.Option(None, "--endpoint", help=ENDPOINT_HELP),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Describe an execution or a state machine; for a running execution, what it waits for.

    A name is looked up among state machines and the executions of every state machine: a name that
    fits several is an error listing their ARNs. What a running execution waits for (a task token, an
    activity worker, a Wait's end, a Map's iterations...) is read from its history; with --json it is
    the answer's `waitingFor` (Sojourn's addition to DescribeExecution's answer).
    """
    with _connected(endpoint, db) as sfn:
        answer = dict(_describe(sfn, target))
        if answer.get("status") == "RUNNING" and "executionArn" in answer:
            answer["waitingFor"] = _waiting_for(sfn, answer["executionArn"])
    if as_json:
        _print_json(
            {**answer, "waitingFor": [w.to_json() for w in answer["waitingFor"]]}
            if "waitingFor" in answer
            else answer
        )
    elif "executionArn" in answer:
        _print_execution(answer)
        _print_waiting(answer.get("waitingFor", []))
    else:
        _print_status(answer["status"], answer["stateMachineArn"])
        _print_fields(answer, ("name", "type", "creationDate", "revisionId", "description", "roleArn"))


def _describe(sfn: Any, target: str) -> dict:
    """DescribeExecution or DescribeStateMachine of an ARN, a name or MACHINE/NAME (see `describe`)."""
    if target.startswith("arn:"):
        if ":execution:" in target or ":express:" in target:
            return sfn.describe_execution(executionArn=target)
        return sfn.describe_state_machine(stateMachineArn=target)
    if "/" in target:  # names have no "/" (AWS's rule)
        machine, _, name = target.partition("/")
        return sfn.describe_execution(executionArn=_execution_arn(_machine_arn(sfn, machine), name))
    found = _named(sfn, target)
    if not found:
        _fail(f"no state machine or execution named {target!r}")
    if len(found) > 1:
        arns = [answer.get("executionArn") or answer["stateMachineArn"] for answer in found]
        _fail(
            f"{target!r} names {len(found)} resources; give one of these ARNs (or MACHINE/NAME):\n  "
            + "\n  ".join(arns)
        )
    return found[0]


def _named(sfn: Any, name: str) -> list[dict]:
    """The state machine named `name` and the executions named `name` of every state machine."""
    found = []
    for machine in _pages(sfn.list_state_machines, "stateMachines"):
        if machine["name"] == name:
            found.append(sfn.describe_state_machine(stateMachineArn=machine["stateMachineArn"]))
        try:
            found.append(
                sfn.describe_execution(executionArn=_execution_arn(machine["stateMachineArn"], name))
            )
        except Exception as e:
            if _error_code(e) not in ("ExecutionDoesNotExist", "InvalidArn", "InvalidName"):
                raise
    return found


def _execution_arn(machine_arn: str, name: str) -> str:
    """The ARN of the execution `name` of the state machine `machine_arn` (same region and account)."""
    from sojourn import arns

    parts = machine_arn.split(":")
    return arns.execution_arn(parts[3], parts[4], parts[6], name)


def _error_code(error: Exception) -> str | None:
    """The API error name of a boto3 ClientError or a `sojourn.Client` error; None for anything else."""
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        return response.get("Error", {}).get("Code")
    return getattr(error, "type_name", None)


def _waiting_for(sfn: Any, arn: str) -> list[Any]:
    """What the running execution `arn` waits for, read from its history (console/progress.py)."""
    from sojourn.console.progress import waiting_for

    definition = json.loads(sfn.describe_state_machine_for_execution(executionArn=arn)["definition"])
    events = list(_pages(sfn.get_execution_history, "events", executionArn=arn, maxResults=1000))
    return waiting_for(definition, events)


def _print_waiting(waiting: list[Any]) -> None:
    """One line per open state: what it waits for, since when, until when; then its resource and answer."""
    if waiting:
        out.print("  [dim]waiting for:[/]", highlight=False)
    for w in waiting:
        facts = [w.what]
        if w.total is not None:
            facts.append(f"{w.running} of {w.total} running")
        if w.since:
            facts.append(f"since {w.since.isoformat()}")
        if w.until:
            facts.append(f"{'ends' if w.type == 'Wait' else 'times out'} at {w.until.isoformat()}")
        if w.heartbeatSeconds:
            facts.append(f"heartbeat every {w.heartbeatSeconds} s")
        out.print(f"    [bold]{escape(w.state)}[/] ({w.type}): {escape(', '.join(facts))}", highlight=False)
        if w.resource:
            out.print(f"      resource: {escape(w.resource)}", highlight=False)
        if w.answer is not None:
            out.print(f"      its call answered: {escape(json.dumps(w.answer))}", highlight=False)


def _print_status(status: str, subject: str) -> None:
    colour = {"SUCCEEDED": "green", "ACTIVE": "green", "RUNNING": "cyan", "PENDING_REDRIVE": "cyan"}.get(
        status, "red"
    )
    out.print(f"[bold {colour}]{status}[/] {subject}", highlight=False)


def _print_execution(answer: dict) -> None:
    _print_status(answer["status"], answer["executionArn"])
    _print_fields(
        answer,
        (
            "name",
            "stateMachineArn",
            "startDate",
            "stopDate",
            "redriveCount",
            "error",
            "cause",
            "input",
            "output",
        ),
    )


def _print_fields(answer: dict, names: tuple[str, ...]) -> None:
    for key in names:
        if answer.get(key) is not None:
            value = answer[key].isoformat() if isinstance(answer[key], datetime) else answer[key]
            out.print(f"  [dim]{key}:[/] {escape(str(value))}", highlight=False)


@app.command()
def history(
    arn: str = typer.Argument(..., help="Execution ARN."),
    follow: bool = typer.Option(
        False, "--follow", "-f", help="Keep printing new events until the execution ends."
    ),
    endpoint: str = typer.Option(None, "--endpoint", help=ENDPOINT_HELP),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP + " With --follow: one event per line."),
) -> None:
    """Show an execution's history as a table (or JSON); --follow streams new events until it ends."""
    with _connected(endpoint, db) as sfn:
        events = _events_after(sfn, arn, 0)
        if as_json and not follow:
            _print_json({"events": events})
            return
        _show_events(events, as_json, header=True)
        seen = events[-1]["id"] if events else 0
        ended = False
        while follow and not ended:
            time.sleep(FOLLOW_SECONDS)
            # Read the status first: events written before it ended are then all in the read that follows.
            ended = sfn.describe_execution(executionArn=arn)["status"] in EXECUTION_TERMINAL
            events = _events_after(sfn, arn, seen)
            if events:
                _show_events(events, as_json, header=False)
                seen = events[-1]["id"]


FOLLOW_SECONDS = 0.5


def _events_after(sfn: Any, arn: str, seen: int) -> list[dict]:
    """The events with id > `seen`, oldest first, read newest first so a long history is not read again."""
    newer: list[dict] = []
    for event in _pages(
        sfn.get_execution_history, "events", executionArn=arn, reverseOrder=True, maxResults=100
    ):
        if event["id"] <= seen:
            break
        newer.append(event)
    return newer[::-1]


def _show_events(events: list[dict], as_json: bool, header: bool) -> None:
    if as_json:
        for event in events:
            sys.stdout.write(json.dumps(_plain(event)) + "\n")
        sys.stdout.flush()
    elif events or header:
        _print_table(HISTORY_COLUMNS, [_history_row(event) for event in events], header)


HISTORY_COLUMNS = {"id": 5, "time": 12, "type": 28, "details": 0}  # minimum widths: --follow's rows line up


def _history_row(event: dict) -> list[str]:
    details: dict[str, Any] = next((v for k, v in event.items() if k.endswith("EventDetails")), {})
    summary = ", ".join(
        f"{k}={v}"
        for k, v in details.items()
        if k not in ("input", "output", "inputDetails", "outputDetails")
    )
    colour = (
        "red"
        if ("Failed" in event["type"] or "TimedOut" in event["type"] or "Aborted" in event["type"])
        else ""
    )
    return [
        str(event["id"]),
        event["timestamp"].strftime("%H:%M:%S.%f")[:-3],
        f"[{colour}]{event['type']}[/]" if colour else event["type"],
        escape(summary),
    ]


def _print_table(
    columns: dict[str, int] | tuple[str, ...], rows: list[list[str]], header: bool = True
) -> None:
    """Print rows under `columns` (names, or names to minimum widths), each row on one line, never broken:
    an ARN or an id cut in two cannot be copied. A row wider than the terminal is printed whole (the
    terminal wraps it where it must; copying still gives the whole line)."""
    widths = columns if isinstance(columns, dict) else dict.fromkeys(columns, 0)
    table = Table(box=None, pad_edge=False, show_header=header)
    for column, width in widths.items():
        table.add_column(column, no_wrap=True, min_width=width or None)
    for row in rows:
        table.add_row(*row)
    # Rich never prints wider than its console: render on one as wide as the table, without the padding
    # that would fill the last column to its width on every line.
    needed = Measurement.get(out, out.options.update_width(UNBOUNDED), table).maximum
    wide = Console(
        width=max(needed, out.width),
        force_terminal=out.is_terminal,
        no_color=out.no_color,
        color_system="auto" if out.color_system else None,
    )
    with wide.capture() as captured:
        wide.print(table)
    sys.stdout.write(
        "".join(_TRAILING_SPACES.sub(r"\1", line) + "\n" for line in captured.get().splitlines())
    )
    sys.stdout.flush()


UNBOUNDED = 1_000_000
_TRAILING_SPACES = re.compile(r" +((?:\x1b\[[0-9;]*m)*)$")  # before the colour codes that end a line


@app.command("list")
def list_(
    machine: str = typer.Argument(
        None, help="Without it: state machines. With a state machine name or ARN: its executions."
    ),
    status: str = typer.Option(
        None, "--status", help="Only executions in this status (RUNNING, SUCCEEDED, ...)."
    ),
    limit: int = typer.Option(100, "--max", min=1, help="At most this many rows."),
    endpoint: str = typer.Option(None, "--endpoint", help=ENDPOINT_HELP),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """List state machines, or the executions of one state machine (newest first)."""
    with _connected(endpoint, db) as sfn:
        if machine is None:
            key, columns = "stateMachines", ("name", "type", "creationDate", "stateMachineArn")
            rows = list(_pages(sfn.list_state_machines, key, limit))
        else:
            key, columns = "executions", ("name", "status", "startDate", "stopDate", "executionArn")
            params: dict[str, Any] = {"stateMachineArn": _machine_arn(sfn, machine)}
            if status:
                params["statusFilter"] = status.upper()
            rows = list(_pages(sfn.list_executions, key, limit, **params))
    if as_json:
        _print_json({key: rows})
        return
    _print_table(columns, [[escape(_cell(row.get(column))) for column in columns] for row in rows])


def _cell(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return "" if value is None else str(value)


@app.command("send-task-success")
def send_task_success(
    token: str = typer.Argument(None, help=TOKEN_HELP),
    task_token: str = typer.Option(None, "--task-token", help=TASK_TOKEN_HELP),
    output: str = typer.Option("{}", "--output", "-o", help="Task output as JSON (or @file.json)."),
    endpoint: str = typer.Option(None, "--endpoint", help=ENDPOINT_HELP),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Complete a task waiting for its token with an output."""
    payload = _read_json_option(output, "--output")
    with _connected(endpoint, db) as sfn:
        answer = sfn.send_task_success(taskToken=_task_token(token, task_token), output=payload)
    _done(as_json, "task completed", answer)


@app.command("send-task-failure")
def send_task_failure(
    token: str = typer.Argument(None, help=TOKEN_HELP),
    task_token: str = typer.Option(None, "--task-token", help=TASK_TOKEN_HELP),
    error: str = typer.Option(None, "--error", help="Error name (e.g. Rejected)."),
    cause: str = typer.Option(None, "--cause", help="Human-readable cause."),
    endpoint: str = typer.Option(None, "--endpoint", help=ENDPOINT_HELP),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Fail a task waiting for its token."""
    params = {k: v for k, v in (("error", error), ("cause", cause)) if v is not None}
    with _connected(endpoint, db) as sfn:
        answer = sfn.send_task_failure(taskToken=_task_token(token, task_token), **params)
    _done(as_json, "task failed", answer)


def _task_token(token: str | None, option: str | None) -> str:
    if (token is None) == (option is None):
        _fail("give the task token once: as the argument or with --task-token")
    return _read_text(token or option or "", "token").strip()


def _done(as_json: bool, message: str, answer: dict) -> None:
    if as_json:
        _print_json(answer)
    else:
        out.print(message, highlight=False)


@app.command()
def stop(
    arn: str = typer.Argument(..., help="Execution ARN."),
    error: str = typer.Option(None, "--error", help="Error recorded with the stop."),
    cause: str = typer.Option(None, "--cause", help="Cause recorded with the stop."),
    endpoint: str = typer.Option(None, "--endpoint", help=ENDPOINT_HELP),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Stop a running execution (it ends ABORTED)."""
    params = {k: v for k, v in (("error", error), ("cause", cause)) if v is not None}
    with _connected(endpoint, db) as sfn:
        answer = sfn.stop_execution(executionArn=arn, **params)
    _done(as_json, f"stopped {arn}", answer)


@app.command()
def redrive(
    arn: str = typer.Argument(..., help="Execution ARN of a failed, timed out or aborted execution."),
    endpoint: str = typer.Option(None, "--endpoint", help=ENDPOINT_HELP),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Restart a failed execution from the states that did not succeed."""
    with _connected(endpoint, db) as sfn:
        answer = sfn.redrive_execution(executionArn=arn)
    _done(as_json, f"redriven {arn}", answer)


@app.command()
def logs(
    function: str = typer.Argument(None, help="Function name (default: every function)."),
    limit: int = typer.Option(
        20, "--limit", "-n", min=1, max=1000, help="How many of the latest invocations."
    ),
    endpoint: str = typer.Option(None, "--endpoint", help=ENDPOINT_HELP),
    data_dir: str = typer.Option(
        None, "--data-dir", help="Read this data folder directly instead of asking the server."
    ),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Show the latest function invocations: status, duration and what they printed or logged.

    They are asked of the running server (--endpoint), which keeps them in its data folder; --data-dir
    reads such a folder directly.
    """
    if data_dir:
        from sojourn.functions.pool import function_logs

        records, where = function_logs(data_dir, function, limit), f"under {data_dir}"
    else:
        params = {"maxResults": limit, **({"functionName": function} if function else {})}
        records = _server_call(endpoint, "GET", "/sojourn/logs", local="--data-dir", params=params)[
            "invocations"
        ]
        where = f"by {endpoint or _settings().endpoint_url}"
    if as_json:
        _print_json(records)
        return
    if not records:
        out.print(f"no invocations recorded {where}", highlight=False)
        return
    for record in records:
        error = record.get("error") or {}
        status = (
            "[green]succeeded[/]"
            if record.get("status") == "succeeded"
            else f"[red]{record.get('status')} "
            f"{error.get('errorType', '')}: {error.get('errorMessage', '')}[/]"
        )
        out.print(
            f"[bold]{record.get('function')}[/] {record.get('started', '')} {status} "
            f"{record.get('durationMs', '?')} ms  request {record.get('requestId', '')}",
            highlight=False,
        )
        if record.get("log"):
            out.print(record["log"].rstrip(), markup=False, highlight=False)


# -- mail -------------------------------------------------------------------------------------------

MAIL_COLOURS = {"SENT": "green", "FAILED": "red", "PENDING": "yellow", "KEPT": "cyan"}


@app.command()
def mail(
    words: list[str] = typer.Argument(None, metavar="[show] [ID]", help="A message id: print that message."),
    to: str = typer.Option(None, "--to", help="Only mail addressed to this address (To, Cc or Bcc)."),
    limit: int = typer.Option(50, "--max", min=1, help="At most this many messages, newest first."),
    endpoint: str = typer.Option(None, "--endpoint", help=ENDPOINT_HELP),
    db: str = typer.Option(None, "--db", help="Read this database directly instead of asking the server."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """The mailbox: mail queued, sent, failed, or kept because no SMTP server is configured.

    `sojourn mail` lists it, newest first; `sojourn mail ID` (or `sojourn mail show ID`) prints one message.
    It is asked of the running server (--endpoint; mail is Sojourn's, not part of the Step Functions API),
    or read from a database with --db.
    """
    words = list(words or [])
    if words[:1] == ["show"]:
        words = words[1:]
        if not words:
            _fail("`sojourn mail show` needs a message id")
    if len(words) > 1:
        _fail(f"expected one message id, got {len(words)}: {' '.join(words)}")
    with _user_errors(), _mailbox(endpoint, db) as mailbox:
        if words:
            _print_mail(mailbox.get_mail(messageId=words[0]), as_json)
            return
        messages: list[dict] = []
        token = None
        while len(messages) < limit:
            page = mailbox.list_mail(maxResults=min(100, limit - len(messages)), nextToken=token, to=to)
            messages += page["messages"]
            token = page.get("nextToken")
            if not token:
                break
    if as_json:
        _print_json({"messages": messages})
        return
    if not messages:
        out.print("no mail" + (f" to {to}" if to else ""), highlight=False)
        return
    rows = [
        [
            _cell(m["createdDate"]),
            f"[{MAIL_COLOURS.get(m['status'], '')}]{m['status']}[/]",
            escape(", ".join(m["to"] + m["cc"])),
            escape(m["subject"]),
            escape(m["messageId"]),
        ]
        for m in messages
    ]
    _print_table(("date", "status", "to", "subject", "messageId"), rows)


class _ServerMailbox:
    """`list_mail` and `get_mail` as `sojourn.Client` has them, answered by the server (`/sojourn/mail`)."""

    def __init__(self, endpoint: str | None):
        self.endpoint = endpoint

    def list_mail(
        self, *, maxResults: int, nextToken: str | None = None, to: str | None = None
    ) -> dict[str, Any]:
        params = {
            k: v
            for k, v in (("maxResults", maxResults), ("nextToken", nextToken), ("to", to))
            if v is not None
        }
        return _dates(_server_call(self.endpoint, "GET", "/sojourn/mail", params=params))

    def get_mail(self, *, messageId: str) -> dict[str, Any]:
        from urllib.parse import quote

        return _dates(_server_call(self.endpoint, "GET", "/sojourn/mail/" + quote(messageId, safe="")))


def _dates(value: Any) -> Any:
    """The server's epoch-second `...Date` members as datetimes, as `sojourn.Client` answers them."""
    if isinstance(value, list):
        return [_dates(v) for v in value]
    if not isinstance(value, dict):
        return value
    return {
        k: datetime.fromtimestamp(v, UTC) if k.endswith("Date") and isinstance(v, int | float) else _dates(v)
        for k, v in value.items()
    }


@contextlib.contextmanager
def _mailbox(endpoint: str | None, db: str | None) -> Iterator[Any]:
    """The mailbox of the server, or of the database `db` (read with a client that runs no workers)."""
    if not db:
        yield _ServerMailbox(endpoint)
        return
    client = _database_client(_settings(db_url=db))
    try:
        yield client
    finally:
        client.close()


def _print_mail(message: dict, as_json: bool) -> None:
    if as_json:
        _print_json(message)
        return
    headers = [
        ("From", message["from"]),
        ("To", ", ".join(message["to"])),
        ("Cc", ", ".join(message["cc"])),
        ("Bcc", ", ".join(message["bcc"])),
        ("Reply-To", ", ".join(message["replyTo"])),
        ("Subject", message["subject"]),
        ("Date", _cell(message["createdDate"])),
        ("Status", message["status"]),
        ("Attempts", str(message["attempts"])),
        ("Sent", _cell(message["sentDate"])),
        ("Last error", message["lastError"] or ""),
        ("Message-Id", message["messageId"]),
    ]
    for name, value in headers:
        if value:
            out.print(f"[bold]{name}:[/] {escape(value)}", highlight=False)
    body = message["text"] if message["text"] is not None else message["html"]
    sys.stdout.flush()
    sys.stdout.write("\n" + (body or "") + ("" if (body or "").endswith("\n") else "\n"))


@app.command()
def purge(
    older_than_days: int = typer.Option(
        None, "--older-than-days", help="Age in days (default: SOJOURN_RETENTION_DAYS, 90)."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only say what would be removed."),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Remove closed executions (with their history, tokens and human tasks) and sent mail older than the
    retention period, as every server does hourly."""
    import time

    from sojourn.runtime.retention import purge as run_purge

    settings = _settings(db_url=db)
    days = settings.retention_days if older_than_days is None else older_than_days
    if days < 1:
        _fail("--older-than-days must be at least 1 (SOJOURN_RETENTION_DAYS=0 keeps everything)")
    client = _database_client(settings)
    try:
        with _user_errors():
            done = run_purge(client.store, time.time(), days, dry_run=dry_run)
    finally:
        client.close()
    answer = {"dryRun": dry_run, "olderThanDays": days, "executions": done.executions, "mail": done.mail}
    verb = "would remove" if dry_run else "removed"
    _done(
        as_json,
        f"{verb} {done.executions} closed executions and {done.mail} messages older than {days} days",
        answer,
    )


@app.command()
def migrate(
    check: bool = typer.Option(False, "--check", help="Only say what would be applied; exit 1 if anything."),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Bring the database's schema up to this Sojourn's (servers do it when they start); with --check, only
    list the migrations that would be applied. A database a newer Sojourn migrated is refused."""
    from sojourn.store.base import SchemaTooNew, database_exists, open_store

    settings = _settings(db_url=db)
    if not database_exists(settings.db_url):
        _fail(f"no database at {settings.db_url} (only `sojourn deploy` creates one)")
    try:
        store = open_store(settings.db_url, migrate=False)
    except (OSError, ValueError) as e:
        _fail(str(e))
    try:
        pending = store.pending_migrations()
        applied = [] if check else store.migrate()
    except SchemaTooNew as e:
        _fail(str(e))
    finally:
        store.close()
    answer = {"pending": pending if check else [], "applied": applied}
    if check:
        message = "up to date" if not pending else "would apply: " + ", ".join(pending)
    else:
        message = "up to date" if not applied else "applied: " + ", ".join(applied)
    _done(as_json, message, answer)
    if check and pending:
        raise typer.Exit(1)


@app.command()
def backup(
    destination: Path = typer.Argument(..., help="The file to write (never overwritten)."),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Copy a SQLite database while it serves (consistent, online). For PostgreSQL use pg_dump."""
    settings = _settings(db_url=db)
    if not settings.db_url.startswith("sqlite"):
        _fail("sojourn backup copies SQLite databases; back up PostgreSQL with pg_dump (docs/operating.md)")
    client = _database_client(settings)
    try:
        with _user_errors():
            client.store.backup(str(destination))
    finally:
        client.close()
    answer = {"database": settings.db_url, "backup": str(destination), "bytes": destination.stat().st_size}
    _done(as_json, f"backed up {settings.db_url} to {destination}", answer)


# -- human tasks ------------------------------------------------------------------------------------

tasks_app = typer.Typer(
    help="Human tasks (Sojourn's own, not Step Functions actions): list, show, audit, decide, reassign, "
    "cancel.\n\nThrough a running server's API (--endpoint; the operator's API key) or a database (--db).",
    no_args_is_help=True,
)
app.add_typer(tasks_app, name="tasks")
TASK_ID_HELP = "The human task's id (ht-...), as `sojourn tasks list` shows it."
TASK_COLOURS = {"OPEN": "cyan", "DECIDED": "green", "EXPIRED": "red", "CANCELLED": "yellow"}
_DURATION = re.compile(r"(\d+)([smhdw])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def _seconds(text: str, option: str) -> int:
    """A duration such as `90s`, `30m`, `2h`, `1d12h` in seconds."""
    cleaned = text.strip().lower()
    if not cleaned or _DURATION.sub("", cleaned):
        _fail(f"{option}: {text!r} is not a duration such as 30m, 2h or 1d12h")
    return sum(int(n) * _UNITS[unit] for n, unit in _DURATION.findall(cleaned))


def _age(since: datetime | None, now: datetime) -> str:
    """How long ago `since` was, in its two largest units (`3d 4h`, `2h 5m`, `40s`)."""
    if since is None:
        return ""
    left = max(0, int((now - since).total_seconds()))
    parts: list[str] = []
    for unit in ("d", "h", "m", "s"):
        count, left = divmod(left, _UNITS[unit])
        if count or (unit == "s" and not parts):
            parts.append(f"{count}{unit}")
    return " ".join(parts[:2])


def _assignees(task: dict) -> str:
    """`ann (ASKED), bob: Approve` for a task's people."""
    return ", ".join(
        f"{a['id']}: {a['decision']}" if a.get("decision") else f"{a['id']} ({a['status']})"
        for a in task.get("assignees", [])
    )


def _task_status(status: str) -> str:
    return f"[{TASK_COLOURS.get(status, '')}]{status}[/]"


@tasks_app.command("list")
def tasks_list(
    status: str = typer.Option(None, "--status", help="OPEN, DECIDED, EXPIRED or CANCELLED (default: all)."),
    assignee: str = typer.Option(None, "--assignee", help="Only tasks asked of this person (id or email)."),
    machine: str = typer.Option(None, "--machine", help="Only tasks of this state machine (name or ARN)."),
    execution: str = typer.Option(None, "--execution", help="Only tasks of this execution (its ARN)."),
    older_than: str = typer.Option(None, "--older-than", help="Only tasks created longer ago (30m, 2h, 1d)."),
    limit: int = typer.Option(100, "--max", min=1, help="At most this many rows."),
    endpoint: str = typer.Option(None, "--endpoint", help=ENDPOINT_HELP),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """List human tasks, newest first: who is asked, what each decided, how old the task is."""
    params: dict[str, Any] = {"maxResults": min(limit, 1000)}
    if status:
        params["status"] = status.upper()
    if assignee:
        params["assignee"] = assignee
    if execution:
        params["executionArn"] = execution
    if older_than:
        params["createdBefore"] = datetime.now(UTC) - timedelta(seconds=_seconds(older_than, "--older-than"))
    if machine:
        with _connected(endpoint, db) as sfn:
            params["stateMachineArn"] = _machine_arn(sfn, machine)
    with _connected(endpoint, db, tasks=True) as tasks:
        rows = list(_pages(tasks.list_human_tasks, "humanTasks", limit, **params))
    if as_json:
        _print_json({"humanTasks": rows})
        return
    if not rows:
        out.print("no human tasks", highlight=False)
        return
    now = datetime.now(UTC)
    columns = ("taskId", "status", "age", "title", "assignees", "reminders", "next", "execution")
    _print_table(
        columns,
        [
            [
                escape(t["taskId"]),
                _task_status(t["status"]),
                _age(t["creationDate"], now),
                escape(t["title"]),
                escape(_assignees(t)),
                str(t.get("remindersSent", 0)),
                _cell(t.get("nextTimerDate")),
                escape(t["executionArn"].split(":")[-1]),
            ]
            for t in rows
        ],
    )


@tasks_app.command("show")
def tasks_show(
    task_id: str = typer.Argument(..., metavar="ID", help=TASK_ID_HELP),
    endpoint: str = typer.Option(None, "--endpoint", help=ENDPOINT_HELP),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Show one human task: what it asks, who is asked and what each decided, its timers, its result."""
    with _connected(endpoint, db, tasks=True) as tasks:
        task = dict(tasks.describe_human_task(taskId=task_id))
    if as_json:
        _print_json(task)
        return
    out.print(
        f"{_task_status(task['status'])} [bold]{escape(task['title'])}[/] {task['taskId']}", highlight=False
    )
    decisions = ", ".join(d["name"] for d in task.get("decisions", []))
    _print_fields(
        {
            **task,
            "description": task.get("description") or None,
            "decisions": decisions,
            "quorum": f"{task.get('quorum')} of {len(task.get('assignees', []))}",
        },
        (
            "description",
            "requester",
            "executionArn",
            "stateName",
            "creationDate",
            "nextTimerDate",
            "expiryDate",
            "closeDate",
            "remindersSent",
            "decisions",
            "quorum",
            "form",
            "result",
        ),
    )
    rows = [
        [
            escape(a["id"]),
            escape(a.get("name", "")),
            escape(a.get("email", "")),
            a["status"],
            escape(a.get("decision", "")),
            _cell(a.get("decisionDate")),
            escape(a.get("onBehalfOf", "")),
        ]
        for a in task.get("assignees", [])
    ]
    out.print()
    _print_table(("id", "name", "email", "status", "decision", "decided", "onBehalfOf"), rows)


@tasks_app.command("events")
def tasks_events(
    task_id: str = typer.Argument(..., metavar="ID", help=TASK_ID_HELP),
    endpoint: str = typer.Option(None, "--endpoint", help=ENDPOINT_HELP),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """A human task's audit trail, oldest first: created, notified, reminded, decided, reassigned..."""
    with _connected(endpoint, db, tasks=True) as tasks:
        events = list(_pages(tasks.list_human_task_events, "events", taskId=task_id, maxResults=1000))
    if as_json:
        _print_json({"events": events})
        return
    rows = [
        [
            str(e["id"]),
            _cell(e["timestamp"]),
            e["type"],
            escape(e.get("actor", "")),
            escape(e.get("details", "")),
        ]
        for e in events
    ]
    _print_table(("id", "time", "type", "actor", "details"), rows)


@tasks_app.command("decide")
def tasks_decide(
    task_id: str = typer.Argument(..., metavar="ID", help=TASK_ID_HELP),
    person: str = typer.Option(..., "--as", help="Decide as this person (one of those asked; id or email)."),
    decision: str = typer.Option(..., "--decision", help="The decision's name (e.g. Approve)."),
    form: str = typer.Option(None, "--form", help="The form's values as a JSON object (or @file.json)."),
    comment: str = typer.Option(None, "--comment", help="A comment recorded with the decision."),
    endpoint: str = typer.Option(None, "--endpoint", help=ENDPOINT_HELP),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Decide a human task as one of the people asked (an operator's act, recorded with channel API)."""
    params: dict[str, Any] = {"taskId": task_id, "assignee": person, "decision": decision}
    if form is not None:
        params["form"] = _read_json_option(form, "--form")
    if comment is not None:
        params["comment"] = comment
    with _connected(endpoint, db, tasks=True) as tasks:
        answer = tasks.decide_human_task(**params)
    outcome = (
        f"task {task_id} closed: {answer.get('outcome')}"
        if answer["closed"]
        else f"decision recorded; task {task_id} waits for more decisions"
    )
    _done(as_json, outcome, answer)


@tasks_app.command("reassign")
def tasks_reassign(
    task_id: str = typer.Argument(..., metavar="ID", help=TASK_ID_HELP),
    to: list[str] = typer.Option(..., "--to", help="Ask this person or group:name (repeat for several)."),
    from_: list[str] = typer.Option(
        None, "--from", help="In place of this person (repeat; default: everyone still undecided)."
    ),
    reason: str = typer.Option(None, "--reason", help="Why, for the audit trail."),
    endpoint: str = typer.Option(None, "--endpoint", help=ENDPOINT_HELP),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Ask other people of an open human task; the links of those removed stop working."""
    params: dict[str, Any] = {"taskId": task_id, "assignees": list(to)}
    if from_:
        params["fromAssignees"] = list(from_)
    if reason is not None:
        params["reason"] = reason
    with _connected(endpoint, db, tasks=True) as tasks:
        answer = tasks.reassign_human_task(**params)
    added, removed = ", ".join(answer["added"]) or "nobody", ", ".join(answer["removed"]) or "nobody"
    _done(as_json, f"asked {added}; removed {removed}", answer)


@tasks_app.command("cancel")
def tasks_cancel(
    task_id: str = typer.Argument(..., metavar="ID", help=TASK_ID_HELP),
    reason: str = typer.Option(None, "--reason", help="The cause its Task fails with."),
    endpoint: str = typer.Option(None, "--endpoint", help=ENDPOINT_HELP),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Cancel an open human task: its Task fails with Sojourn.HumanTaskCancelled (catchable)."""
    params = {"taskId": task_id, **({"reason": reason} if reason is not None else {})}
    with _connected(endpoint, db, tasks=True) as tasks:
        answer = tasks.cancel_human_task(**params)
    _done(as_json, f"cancelled {task_id}", answer)


# -- schedules -----------------------------------------------------------------------------------------

schedules_app = typer.Typer(
    help="The schedules apps declare (app.yaml's schedules:): list them, pause and resume them.",
    no_args_is_help=True,
)
app.add_typer(schedules_app, name="schedules")
SCHEDULE_NAME_HELP = "The schedule's name (as in app.yaml)."


@schedules_app.command("list")
def schedules_list(
    app_name: str = typer.Option(None, "--app", help="Only the schedules of this app."),
    endpoint: str = typer.Option(None, "--endpoint", help=ENDPOINT_HELP),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """List the schedules: expression, time zone, enabled or paused, next and last run."""
    with _connected(endpoint, db, tasks=True) as sojourn:
        rows = sojourn.list_schedules(**({"appName": app_name} if app_name else {}))["schedules"]
    if as_json:
        _print_json({"schedules": rows})
        return
    if not rows:
        out.print("no schedules", highlight=False)
        return
    columns = ("name", "state", "expression", "timezone", "next", "last", "stateMachine")
    _print_table(
        columns,
        [
            [
                escape(s["name"]),
                s["state"],
                escape(s["scheduleExpression"]),
                escape(s["scheduleExpressionTimezone"]),
                _cell(s.get("nextRunDate")),
                _cell(s.get("lastRunDate")),
                escape(s["stateMachineArn"].split(":")[-1]),
            ]
            for s in rows
        ],
    )


def _set_schedule_state(name: str, state: str, endpoint: str | None, db: str | None, as_json: bool) -> None:
    with _connected(endpoint, db, tasks=True) as sojourn:
        answer = sojourn.update_schedule(name=name, state=state)
    _done(as_json, f"{'resumed' if state == 'ENABLED' else 'paused'} {name}", answer)


@schedules_app.command("pause")
def schedules_pause(
    name: str = typer.Argument(..., metavar="NAME", help=SCHEDULE_NAME_HELP),
    endpoint: str = typer.Option(None, "--endpoint", help=ENDPOINT_HELP),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Pause a schedule: it starts nothing until resumed."""
    _set_schedule_state(name, "DISABLED", endpoint, db, as_json)


@schedules_app.command("resume")
def schedules_resume(
    name: str = typer.Argument(..., metavar="NAME", help=SCHEDULE_NAME_HELP),
    endpoint: str = typer.Option(None, "--endpoint", help=ENDPOINT_HELP),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Resume a paused schedule from its next time after now (the times it missed are not run, as on AWS)."""
    _set_schedule_state(name, "ENABLED", endpoint, db, as_json)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
