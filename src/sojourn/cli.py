"""The `sojourn` command line (Typer + Rich). Every command has help; user mistakes never print tracebacks."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.console import Console

app = typer.Typer(help="Sojourn: durable, self-hosted workflows that wait for people.", no_args_is_help=True)
out = Console()
err = Console(stderr=True)


def _fail(message: str, code: int = 1) -> None:
    err.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


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


def main() -> None:
    app()


if __name__ == "__main__":
    main()
