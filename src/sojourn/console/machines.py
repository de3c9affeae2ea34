"""State machine pages: the list; one machine's graph, definition (JSON, YAML),
versions, executions; start."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any
from urllib.parse import quote

import yaml
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sojourn import errors
from sojourn.console.graph import Graph, layout
from sojourn.console.web import console_of, redirect

__all__ = ["graph_of", "routes"]

TABS = ("graph", "definition", "versions", "executions", "start")


def routes() -> list[BaseRoute]:
    return [
        Route("/state-machines", list_machines, methods=["GET"]),
        Route("/state-machines/{arn}", machine_page, methods=["GET"]),
        Route("/state-machines/{arn}/start", start_execution, methods=["POST"]),
    ]


@lru_cache(maxsize=128)
def graph_of(definition: str) -> Graph:
    """The laid-out graph of a definition's JSON text (cached: a definition never changes)."""
    return layout(definition)


async def list_machines(request: Request) -> Response:
    console = console_of(request)
    token = request.query_params.get("next") or None
    try:
        page = await console.call("list_state_machines", maxResults=100, nextToken=token)
    except errors.SojournAPIError as e:
        return console.api_error(request, e)
    return console.render(
        request,
        "machines.html",
        title="State machines",
        machines=page["stateMachines"],
        next_token=page.get("nextToken"),
    )


async def machine_page(
    request: Request, error: str | None = None, form: dict[str, str] | None = None
) -> Response:
    console = console_of(request)
    arn = request.path_params["arn"]
    tab = request.query_params.get("tab", "start" if error else "graph")
    tab = tab if tab in TABS else "graph"
    try:
        machine = await console.call("describe_state_machine", stateMachineArn=arn)
        base_arn = ":".join(arn.split(":")[:7])
        context: dict[str, Any] = {}
        if tab == "graph":
            context["graph"] = graph_of(machine["definition"])
            checked = await console.call(
                "validate_state_machine_definition", definition=machine["definition"], severity="WARNING"
            )
            context["diagnostics"] = checked["diagnostics"]
        elif tab == "definition":
            definition = json.loads(machine["definition"])
            context["format"] = "yaml" if request.query_params.get("format") == "yaml" else "json"
            context["text"] = (
                yaml.safe_dump(definition, sort_keys=False, allow_unicode=True, width=100)
                if context["format"] == "yaml"
                else json.dumps(definition, indent=2, ensure_ascii=False)
            )
        elif tab == "versions":
            context["versions"] = (
                await console.call("list_state_machine_versions", stateMachineArn=base_arn, maxResults=1000)
            )["stateMachineVersions"]
        elif tab == "executions":
            context["executions"] = (
                await console.call("list_executions", stateMachineArn=arn, maxResults=50)
            )["executions"]
        else:
            context["form"] = form or {
                "input": await _input_from(console, request.query_params.get("from")),
                "name": "",
            }
    except errors.SojournAPIError as e:
        return console.api_error(request, e)
    return console.render(
        request,
        "machine.html",
        status=400 if error else 200,
        title=machine["name"],
        machine=machine,
        arn=arn,
        base_arn=base_arn,
        tab=tab,
        error=error,
        **context,
    )


async def _input_from(console: Any, execution_arn: str | None) -> str:
    """The input of an earlier execution (to start it again, edited), pretty; `{}` otherwise."""
    if not execution_arn:
        return "{\n}"
    try:
        execution = await console.call("describe_execution", executionArn=execution_arn)
    except errors.SojournAPIError:
        return "{\n}"
    return json.dumps(json.loads(execution["input"]), indent=2, ensure_ascii=False)


async def start_execution(request: Request) -> Response:
    console = console_of(request)
    form = await console.form(request)
    arn = request.path_params["arn"]
    text = form.get("input", "").strip() or "{}"
    try:
        json.loads(text)
    except ValueError as e:
        return await machine_page(request, error=f"The input is not valid JSON: {e}", form=form)
    kwargs = {"name": form["name"].strip()} if form.get("name", "").strip() else {}
    try:
        started = await console.call("start_execution", stateMachineArn=arn, input=text, **kwargs)
    except errors.SojournAPIError as e:
        return await machine_page(request, error=f"{e.type_name}: {e.message}", form=form)
    return redirect(f"/executions/{quote(started['executionArn'], safe='')}", "started")
