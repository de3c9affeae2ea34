"""ARNs and the defaults they carry have one home, `sojourn.arns`; everything else builds through it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import sojourn
from sojourn import arns
from sojourn.config import Settings

SOURCE = Path(sojourn.__file__).parent


def test_each_builder_writes_the_arn_aws_writes():
    assert (
        arns.state_machine_arn("eu-west-1", "000000000001", "m", "7")
        == "arn:aws:states:eu-west-1:000000000001:stateMachine:m:7"
    )
    assert (
        arns.execution_arn("eu-west-1", "000000000001", "m", "e")
        == "arn:aws:states:eu-west-1:000000000001:execution:m:e"
    )
    assert arns.execution_arn("r", "1", "m", "e", "id") == "arn:aws:states:r:1:express:m:e:id"
    assert arns.activity_arn("r", "1", "a") == "arn:aws:states:r:1:activity:a"
    assert arns.function_arn("f") == "arn:aws:lambda:us-east-1:123456789012:function:f"
    assert (
        arns.DEFAULT_ROLE_ARN
        == arns.role_arn(arns.DEFAULT_ACCOUNT)
        == "arn:aws:iam::123456789012:role/sojourn"
    )
    assert arns.validate_role_arn(arns.DEFAULT_ROLE_ARN) == arns.DEFAULT_ROLE_ARN


def test_settings_start_from_the_defaults_arns_holds():
    settings = Settings()
    assert (settings.region, settings.account_id) == (arns.DEFAULT_REGION, arns.DEFAULT_ACCOUNT)


def test_an_in_memory_run_names_the_default_role_and_region():
    result = sojourn.run({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    started = result.history[0]["executionStartedEventDetails"]
    assert started["roleArn"] == arns.DEFAULT_ROLE_ARN
    assert started["stateMachineArn"] == arns.state_machine_arn(
        arns.DEFAULT_REGION, arns.DEFAULT_ACCOUNT, "in-memory"
    )


@pytest.mark.parametrize("pattern", [r'f"arn:', r"123456789012", r'"us-east-1"', r"role/sojourn"])
def test_no_module_but_arns_writes_an_arn_or_a_default(pattern):
    # store/packing.py holds sample history text as a compression dictionary, not ARNs it builds.
    writers = sorted(
        str(path.relative_to(SOURCE))
        for path in SOURCE.rglob("*.py")
        if path.name != "arns.py"
        and path.parts[-2:] != ("store", "packing.py")
        and re.search(pattern, path.read_text())
    )
    assert writers == []
