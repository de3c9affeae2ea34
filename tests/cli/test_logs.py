"""`sojourn logs`: what functions printed and logged, per invocation, read from the data folder."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from sojourn.cli import app
from sojourn.functions import Function, FunctionPool

HANDLER = """
import logging


def handler(event, context):
    print("approving", event["who"])
    logging.getLogger("leave").warning("no days left for %s", event["who"])
    if event.get("refuse"):
        raise ValueError("refused")
    return {"ok": True}
"""


def test_logs_show_each_invocations_output_and_error(tmp_path):
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "leave.py").write_text(HANDLER)
    pool = FunctionPool(data_dir=tmp_path / "data")
    try:
        pool.register(Function("approve", "leave.handler", tmp_path / "code"))
        assert pool.invoke("approve", {"who": "ann"}).ok
        assert not pool.invoke("approve", {"who": "bob", "refuse": True}).ok
    finally:
        pool.close()

    runner = CliRunner()
    shown = runner.invoke(app, ["logs", "approve", "--data-dir", str(tmp_path / "data")])
    assert shown.exit_code == 0, shown.output
    assert "approving ann" in shown.output and "no days left for bob" in shown.output
    assert "ValueError: refused" in shown.output

    records = json.loads(
        runner.invoke(app, ["logs", "--json", "-n", "1", "--data-dir", str(tmp_path / "data")]).output
    )
    assert [(r["function"], r["status"], r["error"]["errorType"]) for r in records] == [
        ("approve", "failed", "ValueError")
    ]
    assert "approving bob" in records[0]["log"]


def test_logs_say_so_when_nothing_ran(tmp_path):
    shown = CliRunner().invoke(app, ["logs", "--data-dir", str(tmp_path)])
    assert shown.exit_code == 0 and "no invocations recorded" in shown.output
