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
from datetime import datetime
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

app = typer.Typer(
    help="Sojourn: durable, self-hosted workflows that wait for people.\n\n"
    "Commands that read or change executions call a running server over HTTP (--endpoint, default "
    "http://127.0.0.1:8080), or open the database directly when given --db URL.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True, soft_wrap=True)

ENDPOINT_HELP = "Sojourn server URL (default: http://SOJOURN_HOST:SOJOURN_PORT)."
DB_HELP = "Open this database directly instead of calling a server (sqlite:///file.db or postgresql://...)."
JSON_HELP = "Print the answer as JSON (for scripts)."
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
    from botocore.exceptions import ClientError, EndpointConnectionError

    from sojourn.errors import SojournAPIError

    try:
        yield
    except ClientError as e:
        error = e.response.get("Error", {})
        _fail(f"{error.get('Code', 'Error')}: {error.get('Message', '')}")
    except SojournAPIError as e:
        _fail(f"{e.type_name}: {e.message}")
    except EndpointConnectionError as e:
        _fail(f"cannot reach Sojourn at {e.kwargs.get('endpoint_url', '?')} (is `sojourn serve` running? or pass --db)")
    except (OSError, ValueError) as e:
        _fail(str(e))


def _client(endpoint: str | None, db: str | None) -> Any:
    """A boto3-shaped Step Functions client: `sojourn.Client` on `--db`, else boto3 against the server."""
    settings = _settings(db_url=db)
    if db:
        from sojourn.client import Client

        return Client(settings=settings)
    import boto3
    from botocore.config import Config

    return boto3.client(
        "stepfunctions", endpoint_url=endpoint or settings.endpoint_url, region_name=settings.region,
        aws_access_key_id=settings.api_key or "sojourn", aws_secret_access_key="sojourn",
        # StartSyncExecution's "sync-" host prefix would turn 127.0.0.1 into an unknown host.
        config=Config(inject_host_prefix=False, retries={"max_attempts": 2}, read_timeout=90),
    )


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


def _read_json_option(text: str, option: str) -> str:
    """`--input '{...}'` or `--input @file.json`; returns the JSON text after checking it parses."""
    if text.startswith("@"):
        text = Path(text[1:]).read_text()
    try:
        json.loads(text)
    except json.JSONDecodeError as e:
        _fail(f"{option} is not valid JSON: {e}")
    return text


def _machine_arn(sfn: Any, machine: str) -> str:
    """A state machine ARN from an ARN or a name (looked up on the server)."""
    if machine.startswith("arn:"):
        return machine
    for page in sfn.get_paginator("list_state_machines").paginate():
        for found in page["stateMachines"]:
            if found["name"] == machine:
                return found["stateMachineArn"]
    _fail(f"no state machine named {machine!r}")
    raise AssertionError  # unreachable: _fail exits


# -- serve and worker -------------------------------------------------------------------------------

@app.command()
def serve(
    db: str = typer.Option(None, "--db", help="Database URL (default SOJOURN_DB_URL or sqlite:///.sojourn/sojourn.db)."),
    host: str = typer.Option(None, "--host", help="Interface to listen on (default 127.0.0.1)."),
    port: int = typer.Option(None, "--port", help="Port to listen on (default 8080)."),
    app_file: Path = typer.Option(None, "--app", help="App manifest (app.yaml) to deploy and serve."),
    workers: int = typer.Option(None, "--workers", help="Worker threads running executions (default 4)."),
) -> None:
    """Serve the Step Functions API, the app's REST routes and the console, and run the workers."""
    from sojourn import server

    _logging()
    manifest, settings = _app_settings(app_file, db_url=db, host=host, port=port, workers=workers)
    with _user_errors():
        server.serve(settings, manifest)


@app.command()
def worker(
    db: str = typer.Option(None, "--db", help="Database URL (default SOJOURN_DB_URL); use PostgreSQL to share work."),
    workers: int = typer.Option(None, "--workers", help="Worker threads (default 4)."),
    app_file: Path = typer.Option(None, "--app", help="App manifest (app.yaml) whose functions these workers run."),
) -> None:
    """Run workers only (no HTTP): start one per machine, all on the same PostgreSQL database."""
    from sojourn import server

    _logging()
    manifest, settings = _app_settings(app_file, db_url=db, workers=workers)
    with _user_errors():
        server.run_workers(settings, manifest=manifest)


def _app_settings(app_file: Path | None, **flags: Any) -> tuple[Any, Any]:
    """The app manifest at `app_file` (or None) and the settings it contributes to, under env and flags."""
    manifest = None
    if app_file is not None:
        from sojourn.app import ManifestError, load_manifest

        try:
            manifest = load_manifest(app_file)
        except ManifestError as e:
            _fail(str(e))
    return manifest, _settings(**flags, manifest=manifest.settings if manifest else None)


def _logging() -> None:
    import logging

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


# -- definitions ------------------------------------------------------------------------------------

@app.command()
def validate(
    file: Path = typer.Argument(..., help="State machine definition (JSON or YAML)."),
    as_json: bool = typer.Option(False, "--json", help="Print the diagnostics as JSON."),
) -> None:
    """Validate a definition; print every diagnostic; exit 1 when any is an error."""
    from sojourn.asl.loader import DefinitionError, read_definition
    from sojourn.asl.validate import validate as validate_definition

    if not file.exists():
        _fail(f"{file}: no such file")
    try:
        diagnostics = validate_definition(read_definition(file))
    except DefinitionError as e:
        diagnostics = list(e.diagnostics)
    errors = [d for d in diagnostics if d.severity == "ERROR"]
    if as_json:
        out.print_json(
            data={
                "result": "FAIL" if errors else "OK",
                "diagnostics": [d.to_dict() for d in diagnostics],
                "truncated": False,
            }
        )
    else:
        for d in diagnostics:
            colour = "red" if d.severity == "ERROR" else "yellow"
            out.print(f"[{colour}]{d.severity}[/] {d.code} at {d.location}: {d.message}", highlight=False)
        out.print(f"{file}: {'FAIL' if errors else 'OK'} ({len(errors)} errors, {len(diagnostics) - len(errors)} warnings)")
    raise typer.Exit(1 if errors else 0)


@app.command()
def run(
    file: Path = typer.Argument(..., help="State machine definition (JSON or YAML)."),
    input: str = typer.Option("{}", "--input", "-i", help="Execution input as JSON (or @file.json)."),
) -> None:
    """Run a definition in memory (no database) and print the result as JSON."""
    import sojourn
    from sojourn.asl.loader import DefinitionError

    text = Path(input[1:]).read_text() if input.startswith("@") else input
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as e:
        _fail(f"--input is not valid JSON: {e}")
    try:
        result = sojourn.run(file, payload)
    except DefinitionError as e:
        for d in e.diagnostics:
            err.print(f"[red]{d.severity}[/] {d.code} at {d.location}: {d.message}", highlight=False)
        raise typer.Exit(1) from None
    sys.stdout.write(json.dumps(result.to_dict(), indent=2, default=str) + "\n")
    raise typer.Exit(0 if result.status == "SUCCEEDED" else 1)


@app.command()
def deploy(
    file: Path = typer.Argument(..., help="A definition (JSON/YAML with StartAt) or an app manifest (app.yaml)."),
    name: str = typer.Option(None, "--name", help="State machine name (default: the file's name)."),
    role_arn: str = typer.Option(None, "--role-arn", help="Role ARN recorded with the state machine."),
    machine_type: str = typer.Option("STANDARD", "--type", help="STANDARD or EXPRESS."),
    publish: bool = typer.Option(False, "--publish", help="Publish a new version."),
    endpoint: str = typer.Option(None, "--endpoint", help=ENDPOINT_HELP),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Create or update a state machine from a definition file, or deploy an app manifest."""
    from sojourn.asl.loader import DefinitionError, read_definition

    if not file.exists():
        _fail(f"{file}: no such file")
    try:
        document = read_definition(file)
    except DefinitionError as e:
        _fail(f"{file}: {e.diagnostics[0].message if e.diagnostics else e}")
    with _user_errors():
        if "StartAt" not in document:
            answer = _deploy_app(file, endpoint, db)
        else:
            sfn = _client(endpoint, db)
            answer = _deploy_definition(sfn, document, name or _name_from(file), role_arn, machine_type, publish)
    if as_json:
        _print_json(answer)
    elif "app" in answer:
        out.print(f"deployed app {answer['app']} from {answer['path']}", highlight=False)
        for outcome in ("created", "updated", "unchanged"):
            if answer.get(outcome):
                out.print(f"  {outcome}: {', '.join(answer[outcome])}", highlight=False)
    else:
        out.print(f"{answer.get('action', 'deployed')} {answer.get('stateMachineArn', file)}", highlight=False)


def _name_from(file: Path) -> str:
    stem = file.stem if file.stem != "definition" else file.resolve().parent.name
    return re.sub(r"[^A-Za-z0-9_-]", "-", stem)[:80] or "StateMachine"


def _deploy_definition(sfn: Any, definition: dict, name: str, role_arn: str | None, kind: str, publish: bool) -> dict:
    text = json.dumps(definition)
    role = role_arn or "arn:aws:iam::123456789012:role/sojourn"
    existing = None
    for page in sfn.get_paginator("list_state_machines").paginate():
        existing = next((m["stateMachineArn"] for m in page["stateMachines"] if m["name"] == name), existing)
    if existing is None:
        answer = sfn.create_state_machine(name=name, definition=text, roleArn=role, type=kind, publish=publish)
        return {"action": "created", **answer}
    answer = sfn.update_state_machine(stateMachineArn=existing, definition=text, roleArn=role, publish=publish)
    return {"action": "updated", "stateMachineArn": existing, **answer}


def _deploy_app(file: Path, endpoint: str | None, db: str | None) -> dict:
    """Deploy an app manifest: into the database (`--db`), or through the running server, which reads the
    manifest at the same path. Every server and worker on that database then serves the app."""
    from sojourn import app as apps

    try:
        manifest = apps.load_manifest(file)
    except apps.ManifestError as e:
        _fail(str(e))
    settings = _settings(db_url=db, manifest=manifest.settings)
    if db:
        from sojourn.client import Client
        from sojourn.deployment import AppHost

        client = Client(settings=settings, workers=0, start=False)
        try:
            report = AppHost(client, settings).deploy(manifest)
        finally:
            client.close()
    else:
        import httpx

        url = (endpoint or settings.endpoint_url).rstrip("/") + "/sojourn/apps"
        headers = {"X-Api-Key": settings.api_key} if settings.api_key else {}
        try:
            answer = httpx.post(url, json={"path": str(manifest.path)}, headers=headers, timeout=120)
        except httpx.HTTPError:
            _fail(f"cannot reach Sojourn at {url} (is `sojourn serve` running? or pass --db)")
        if answer.status_code != 200:
            _fail(answer.json().get("message", answer.text) if answer.headers.get("content-type", "").startswith(
                "application/json") else f"{url} answered {answer.status_code}")
        report = {k: v for k, v in answer.json().items() if k in ("created", "updated", "unchanged")}
    return {"action": "deployed app", "app": manifest.name, "path": str(manifest.path), **report}


# -- executions -------------------------------------------------------------------------------------

@app.command()
def start(
    machine: str = typer.Argument(..., help="State machine name or ARN (a version or alias ARN works too)."),
    input: str = typer.Option("{}", "--input", "-i", help="Execution input as JSON (or @file.json)."),
    name: str = typer.Option(None, "--name", help="Execution name (default: a new UUID)."),
    wait: bool = typer.Option(False, "--wait", help="Wait until the execution ends; exit 1 unless it succeeded."),
    endpoint: str = typer.Option(None, "--endpoint", help=ENDPOINT_HELP),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Start an execution."""
    payload = _read_json_option(input, "--input")
    with _user_errors():
        sfn = _client(endpoint, db)
        params = {"stateMachineArn": _machine_arn(sfn, machine), "input": payload}
        if name:
            params["name"] = name
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
            return described
        time.sleep(0.2)


@app.command()
def describe(
    arn: str = typer.Argument(..., help="Execution ARN, state machine ARN or state machine name."),
    endpoint: str = typer.Option(None, "--endpoint", help=ENDPOINT_HELP),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Describe an execution or a state machine."""
    with _user_errors():
        sfn = _client(endpoint, db)
        if ":execution:" in arn or ":express:" in arn:
            answer = sfn.describe_execution(executionArn=arn)
        else:
            answer = sfn.describe_state_machine(stateMachineArn=_machine_arn(sfn, arn))
    if as_json:
        _print_json(answer)
    elif "executionArn" in answer:
        _print_execution(answer)
    else:
        _print_fields(answer, ("name", "stateMachineArn", "type", "status", "creationDate", "revisionId", "description"))


def _print_execution(answer: dict) -> None:
    colour = {"SUCCEEDED": "green", "RUNNING": "cyan", "PENDING_REDRIVE": "cyan"}.get(answer["status"], "red")
    out.print(f"[bold {colour}]{answer['status']}[/] {answer['executionArn']}", highlight=False)
    _print_fields(answer, ("name", "stateMachineArn", "startDate", "stopDate", "redriveCount", "error", "cause", "input", "output"))


def _print_fields(answer: dict, names: tuple[str, ...]) -> None:
    for key in names:
        if answer.get(key) is not None:
            value = answer[key].isoformat() if isinstance(answer[key], datetime) else answer[key]
            out.print(f"  [dim]{key}:[/] {value}", highlight=False)


@app.command()
def history(
    arn: str = typer.Argument(..., help="Execution ARN."),
    follow: bool = typer.Option(False, "--follow", "-f", help="Keep printing new events until the execution ends."),
    endpoint: str = typer.Option(None, "--endpoint", help=ENDPOINT_HELP),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP + " With --follow: one event per line."),
) -> None:
    """Show an execution's history as a table (or JSON)."""
    with _user_errors():
        sfn = _client(endpoint, db)
        seen = 0
        while True:
            events = [e for e in _events(sfn, arn) if e["id"] > seen]
            if events:
                seen = events[-1]["id"]
                if as_json and not follow:
                    _print_json({"events": events})
                elif as_json:
                    for event in events:
                        sys.stdout.write(json.dumps(_plain(event)) + "\n")
                    sys.stdout.flush()
                else:
                    out.print(_history_table(events))
            if not follow or (sfn.describe_execution(executionArn=arn)["status"] in EXECUTION_TERMINAL and not events):
                return
            time.sleep(0.5)


def _events(sfn: Any, arn: str) -> list[dict]:
    return [e for page in sfn.get_paginator("get_execution_history").paginate(executionArn=arn) for e in page["events"]]


def _history_table(events: list[dict]) -> Table:
    table = Table(box=None, pad_edge=False)
    for column in ("id", "time", "type", "details"):
        table.add_column(column, overflow="fold")
    for event in events:
        details = next((v for k, v in event.items() if k.endswith("EventDetails")), {})
        summary = ", ".join(f"{k}={v}" for k, v in details.items() if k not in ("input", "output", "inputDetails", "outputDetails"))
        colour = "red" if ("Failed" in event["type"] or "TimedOut" in event["type"] or "Aborted" in event["type"]) else ""
        table.add_row(str(event["id"]), event["timestamp"].strftime("%H:%M:%S.%f")[:-3],
                      f"[{colour}]{event['type']}[/]" if colour else event["type"], summary)
    return table


@app.command("list")
def list_(
    machine: str = typer.Argument(None, help="Without it: state machines. With a state machine name or ARN: its executions."),
    status: str = typer.Option(None, "--status", help="Only executions in this status (RUNNING, SUCCEEDED, ...)."),
    limit: int = typer.Option(100, "--max", help="At most this many rows."),
    endpoint: str = typer.Option(None, "--endpoint", help=ENDPOINT_HELP),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """List state machines, or the executions of one state machine."""
    with _user_errors():
        sfn = _client(endpoint, db)
        if machine is None:
            key, columns = "stateMachines", ("name", "type", "creationDate", "stateMachineArn")
            pages = sfn.get_paginator("list_state_machines").paginate(PaginationConfig={"MaxItems": limit})
        else:
            key, columns = "executions", ("name", "status", "startDate", "stopDate", "executionArn")
            params: dict[str, Any] = {"stateMachineArn": _machine_arn(sfn, machine)}
            if status:
                params["statusFilter"] = status
            pages = sfn.get_paginator("list_executions").paginate(**params, PaginationConfig={"MaxItems": limit})
        rows = [row for page in pages for row in page[key]]
    if as_json:
        _print_json({key: rows})
        return
    table = Table(box=None, pad_edge=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*[_cell(row.get(column)) for column in columns])
    out.print(table)


def _cell(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return "" if value is None else str(value)


@app.command("send-task-success")
def send_task_success(
    token: str = typer.Argument(..., help="The task token (or @file holding it)."),
    output: str = typer.Option("{}", "--output", "-o", help="Task output as JSON (or @file.json)."),
    endpoint: str = typer.Option(None, "--endpoint", help=ENDPOINT_HELP),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Complete a task waiting for its token with an output."""
    payload = _read_json_option(output, "--output")
    with _user_errors():
        _client(endpoint, db).send_task_success(taskToken=_token(token), output=payload)
    _done(as_json, "task completed")


@app.command("send-task-failure")
def send_task_failure(
    token: str = typer.Argument(..., help="The task token (or @file holding it)."),
    error: str = typer.Option(None, "--error", help="Error name (e.g. Rejected)."),
    cause: str = typer.Option(None, "--cause", help="Human-readable cause."),
    endpoint: str = typer.Option(None, "--endpoint", help=ENDPOINT_HELP),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Fail a task waiting for its token."""
    params = {k: v for k, v in (("error", error), ("cause", cause)) if v is not None}
    with _user_errors():
        _client(endpoint, db).send_task_failure(taskToken=_token(token), **params)
    _done(as_json, "task failed")


def _token(token: str) -> str:
    return Path(token[1:]).read_text().strip() if token.startswith("@") else token


def _done(as_json: bool, message: str, answer: dict | None = None) -> None:
    if as_json:
        _print_json(answer or {})
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
    with _user_errors():
        answer = _client(endpoint, db).stop_execution(executionArn=arn, **params)
    _done(as_json, f"stopped {arn}", answer)


@app.command()
def redrive(
    arn: str = typer.Argument(..., help="Execution ARN of a failed, timed out or aborted execution."),
    endpoint: str = typer.Option(None, "--endpoint", help=ENDPOINT_HELP),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Restart a failed execution from the states that did not succeed."""
    with _user_errors():
        answer = _client(endpoint, db).redrive_execution(executionArn=arn)
    _done(as_json, f"redriven {arn}", answer)


@app.command()
def logs(
    function: str = typer.Argument(None, help="Function name (default: every function)."),
    limit: int = typer.Option(20, "--limit", "-n", help="How many of the latest invocations."),
    data_dir: str = typer.Option(None, "--data-dir", help="Sojourn's data folder (default SOJOURN_DATA_DIR or .sojourn)."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Show the latest function invocations: status, duration and what they printed or logged."""
    from sojourn.functions.pool import function_logs

    settings = _settings(data_dir=data_dir)
    records = function_logs(settings.data_dir, function, limit)
    if as_json:
        _print_json(records)
        return
    if not records:
        out.print(f"no invocations recorded under {settings.data_dir}", highlight=False)
        return
    for record in records:
        error = record.get("error") or {}
        status = "[green]succeeded[/]" if record.get("status") == "succeeded" else \
            f"[red]{record.get('status')} {error.get('errorType', '')}: {error.get('errorMessage', '')}[/]"
        out.print(f"[bold]{record.get('function')}[/] {record.get('started', '')} {status} "
                  f"{record.get('durationMs', '?')} ms  request {record.get('requestId', '')}", highlight=False)
        if record.get("log"):
            out.print(record["log"].rstrip(), markup=False, highlight=False)


# -- mail -------------------------------------------------------------------------------------------

MAIL_COLOURS = {"SENT": "green", "FAILED": "red", "PENDING": "yellow", "KEPT": "cyan"}


@app.command()
def mail(
    words: list[str] = typer.Argument(None, metavar="[show] [ID]", help="A message id: print that message."),
    to: str = typer.Option(None, "--to", help="Only mail addressed to this address (To, Cc or Bcc)."),
    limit: int = typer.Option(50, "--max", help="At most this many messages, newest first."),
    db: str = typer.Option(None, "--db", help="Database URL (default SOJOURN_DB_URL or sqlite:///.sojourn/sojourn.db)."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """The mailbox: mail queued, sent, failed, or kept because no SMTP server is configured.

    `sojourn mail` lists it, newest first; `sojourn mail ID` (or `sojourn mail show ID`) prints one message.
    Mail is not part of the Step Functions API: this reads the database of the settings (--db overrides).
    """
    words = list(words or [])
    if words[:1] == ["show"]:
        words = words[1:]
        if not words:
            _fail("`sojourn mail show` needs a message id")
    if len(words) > 1:
        _fail(f"expected one message id, got {len(words)}: {' '.join(words)}")
    with _user_errors(), _mail_client(db) as client:
        if words:
            _print_mail(client.get_mail(messageId=words[0]), as_json)
            return
        messages: list[dict] = []
        token = None
        while len(messages) < limit:
            page = client.list_mail(maxResults=min(100, limit - len(messages)), nextToken=token, to=to)
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
    table = Table(box=None, pad_edge=False)
    for column in ("date", "status", "to", "subject", "messageId"):
        table.add_column(column, overflow="fold")
    for message in messages:
        status = message["status"]
        table.add_row(_cell(message["createdDate"]), f"[{MAIL_COLOURS.get(status, '')}]{status}[/]",
                      escape(", ".join(message["to"] + message["cc"])), escape(message["subject"]), message["messageId"])
    out.print(table)


@contextlib.contextmanager
def _mail_client(db: str | None) -> Iterator[Any]:
    """A client on the settings' database that runs no workers (it only reads the mailbox)."""
    import sqlite3

    import psycopg

    from sojourn.client import Client

    settings = _settings(db_url=db)
    try:
        client = Client(settings=settings, workers=0, start=False)
    except (sqlite3.Error, psycopg.Error) as e:
        _fail(f"cannot open the database {settings.db_url}: {e}")
    try:
        yield client
    finally:
        client.close()


def _print_mail(message: dict, as_json: bool) -> None:
    if as_json:
        _print_json(message)
        return
    headers = [("From", message["from"]), ("To", ", ".join(message["to"])), ("Cc", ", ".join(message["cc"])),
               ("Bcc", ", ".join(message["bcc"])), ("Reply-To", ", ".join(message["replyTo"])),
               ("Subject", message["subject"]), ("Date", _cell(message["createdDate"])),
               ("Status", message["status"]), ("Attempts", str(message["attempts"])),
               ("Sent", _cell(message["sentDate"])), ("Last error", message["lastError"] or ""),
               ("Message-Id", message["messageId"])]
    for name, value in headers:
        if value:
            out.print(f"[bold]{name}:[/] {escape(value)}", highlight=False)
    body = message["text"] if message["text"] is not None else message["html"]
    sys.stdout.flush()
    sys.stdout.write("\n" + (body or "") + ("" if (body or "").endswith("\n") else "\n"))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
