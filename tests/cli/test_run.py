"""`sojourn run`: a definition in memory; Waits really wait unless --skip-waits."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from sojourn.cli import app

A_WEEK = {
    "StartAt": "Wait",
    "States": {
        "Wait": {"Type": "Wait", "Seconds": 604800, "Next": "Done"},
        "Done": {"Type": "Pass", "Parameters": {"waited.$": "$.days"}, "End": True},
    },
}


def test_skip_waits_runs_a_week_long_wait_on_a_virtual_clock(tmp_path):
    file = tmp_path / "week.json"
    file.write_text(json.dumps(A_WEEK))
    ran = CliRunner().invoke(app, ["run", str(file), "--input", '{"days": 7}', "--skip-waits", "--json"])
    assert ran.exit_code == 0, ran.output
    answer = json.loads(ran.output)
    assert (answer["status"], answer["output"]) == ("SUCCEEDED", {"waited": 7})
