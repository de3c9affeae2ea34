"""The README's AWS CLI commands, word for word, on a fresh machine: no ~/.aws, no AWS_* variables but those
the README exports, the real AWS CLI (`python -m awscli`) against a real `sojourn serve`.

The commands are read from README.md (the shell block that drives `stepfunctions`), and so is `greet.json`
(the first JSON block), so the README cannot drift from what this runs; only the port differs.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from servers import ROOT, Server, serve

README_URL = "http://127.0.0.1:8080"

pytestmark = pytest.mark.slow


def blocks(language: str) -> list[str]:
    """The README's fenced code blocks in `language`, in order."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(rf"^```{language}\n(.*?)^```$", readme, flags=re.M | re.S)


def aws_commands() -> str:
    [script] = [block for block in blocks("sh") if "aws --endpoint-url" in block]
    return script


def answers(stdout: str) -> list[Any]:
    """The JSON documents the commands printed, one after another."""
    decoder, found, at = json.JSONDecoder(), [], 0
    while stdout[at:].strip():
        at += len(stdout[at:]) - len(stdout[at:].lstrip())
        value, at = decoder.raw_decode(stdout, at)
        found.append(value)
    return found


@pytest.fixture
def fresh_machine(tmp_path) -> Iterator[tuple[Server, Path, dict[str, str]]]:
    """A server, an empty working folder holding the README's greet.json, and an environment with nothing
    but PATH (where `aws` is the AWS CLI) and HOME (an empty folder)."""
    work, home, bin_dir, server_home = (tmp_path / name for name in ("work", "home", "bin", "server"))
    for folder in (work, home, bin_dir, server_home):
        folder.mkdir()
    with serve(server_home) as server:
        (work / "greet.json").write_text(blocks("json")[0])
        (bin_dir / "aws").write_text(f'#!/bin/sh\nexec {sys.executable} -m awscli "$@"\n')
        (bin_dir / "aws").chmod(0o755)
        yield server, work, {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(home)}


def test_the_readmes_aws_cli_commands_work_on_a_fresh_machine(fresh_machine):
    server, work, env = fresh_machine
    script = aws_commands().replace(README_URL, server.url)
    done = subprocess.run(
        ["bash", "-e", "-c", script], cwd=work, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    created, listed, started, tested = answers(done.stdout)
    assert created["stateMachineArn"] == "arn:aws:states:us-east-1:123456789012:stateMachine:Greeter"
    assert [m["name"] for m in listed["stateMachines"]] == ["Greeter"]
    assert started["status"] == "SUCCEEDED" and json.loads(started["output"]) == {"greeting": "Hello, Ada!"}
    assert tested["status"] == "SUCCEEDED" and json.loads(tested["output"]) == {"greeting": "Hello, Ada!"}


def test_without_the_readmes_exports_the_aws_cli_fails_as_the_readme_says(fresh_machine):
    server, work, env = fresh_machine
    lines = aws_commands().replace("\\\n", " ").replace(README_URL, server.url).splitlines()
    region, prefixes = (
        next(line for line in lines if "export" in line and name in line)
        for name in ("AWS_DEFAULT_REGION", "AWS_DISABLE_HOST_PREFIX_INJECTION")
    )
    listing, testing = (
        next(line for line in lines if f"stepfunctions {name}" in line)
        for name in ("list-state-machines", "test-state")
    )

    def run(*commands: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["bash", "-e", "-c", "\n".join(commands)],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert "You must specify a region" in run(listing).stderr
    assert (
        f'Could not connect to the endpoint URL: "{server.url.replace("127.0.0.1", "sync-127.0.0.1")}/"'
        in run(region, testing).stderr
    )
    assert run(region, prefixes, testing).returncode == 0
