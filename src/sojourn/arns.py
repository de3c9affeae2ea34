"""Amazon Resource Names of Step Functions resources, built and parsed in one place."""

from __future__ import annotations

import re

from sojourn.errors import InvalidArn, InvalidName

__all__ = ["activity_arn", "execution_arn", "parse", "state_machine_arn", "validate_name"]

_NAME = re.compile(r"^[^\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]{1,80}$")


def validate_name(name: str, what: str = "name") -> str:
    """AWS's rule for names of machines, executions and activities: 1-80 characters, no whitespace or `:/*?...`."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidName(f"Invalid {what}: '{name}'")
    return name


def state_machine_arn(region: str, account: str, name: str, qualifier: str | None = None) -> str:
    arn = f"arn:aws:states:{region}:{account}:stateMachine:{name}"
    return f"{arn}:{qualifier}" if qualifier else arn


def execution_arn(region: str, account: str, machine: str, name: str, express: bool = False) -> str:
    kind = "express" if express else "execution"
    return f"arn:aws:states:{region}:{account}:{kind}:{machine}:{name}"


def activity_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:states:{region}:{account}:activity:{name}"


def parse(arn: str, kind: str | None = None) -> tuple[str, list[str]]:
    """(resource type, [names...]) of a states ARN; InvalidArn when it is not one (of `kind`)."""
    parts = arn.split(":") if isinstance(arn, str) else []
    if len(parts) < 7 or parts[:3] != ["arn", "aws", "states"] or (kind is not None and parts[5] != kind):
        raise InvalidArn(f"Invalid Arn: '{arn}'")
    return parts[5], parts[6:]
