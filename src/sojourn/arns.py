"""Amazon Resource Names, built and parsed in one place, and the region, account and role they default to.

Every ARN Sojourn writes is built here (Step Functions resources, Lambda functions, IAM roles), so a
reader changing how one looks finds one function. The defaults are the ones `sojourn.config.Settings`
starts from (`SOJOURN_REGION`, `SOJOURN_ACCOUNT_ID`): AWS's documentation account in us-east-1.
"""

from __future__ import annotations

import re

from sojourn.errors import InvalidArn, InvalidName

__all__ = [
    "DEFAULT_ACCOUNT",
    "DEFAULT_REGION",
    "DEFAULT_ROLE_ARN",
    "activity_arn",
    "execution_arn",
    "function_arn",
    "is_name",
    "is_version",
    "parse",
    "role_arn",
    "state_machine_arn",
    "states_arn",
    "validate_name",
    "validate_role_arn",
]

DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT = "123456789012"  # the account id AWS's documentation uses

# AWS's naming rule (CreateStateMachine, StartExecution, CreateActivity, aliases): no whitespace, brackets,
# wildcards, `"#%\^|~`$&,;:/` or control characters. `fullmatch`, never `match` with `$`: Python's `$`
# also matches before a trailing newline, which let "name\n" through.
_NAME = re.compile(r"[^\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]{1,80}")
# A part of an ARN we did not name ourselves (a distributed Map's child execution has a `/` in it).
_PART = re.compile(r"[^\s:\x00-\x1f\x7f-\x9f]{1,256}")
_PREFIX = re.compile(r"arn:aws(?:-[a-z]+)*:states:[a-z0-9-]{1,32}:\d{12}", re.ASCII)
# How many names follow each resource type: machine[:version or alias], machine:execution[:id]...
_NAMES = {
    "stateMachine": (1, 2),
    "activity": (1, 1),
    "execution": (2, 3),
    "express": (2, 3),
    "mapRun": (2, 2),
}
_VERSION = re.compile(r"[0-9]{1,10}")
# IAM's role ARN: arn:aws:iam::<account>:role/<path/>name, names of [\w+=,.@-] up to 64 characters.
_ROLE = re.compile(r"arn:aws(?:-[a-z]+)*:iam::\d{12}:role/(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}", re.ASCII)


def is_name(name: object) -> bool:
    """Whether `name` follows AWS's rule for names of machines, executions, activities and aliases."""
    return isinstance(name, str) and _NAME.fullmatch(name) is not None


def validate_name(name: str, what: str = "name") -> str:
    """AWS's rule for names of machines, executions and activities: 1-80 characters,
    no whitespace or `:/*?...`."""
    if not is_name(name):
        raise InvalidName(f"Invalid {what}: '{name}'")
    return name


def is_version(qualifier: str) -> bool:
    """Whether the qualifier of a state machine ARN is a version number (otherwise it names an alias)."""
    return _VERSION.fullmatch(qualifier) is not None


def validate_role_arn(arn: str) -> str:
    """An IAM role ARN (CreateStateMachine's roleArn...); InvalidArn as AWS answers for anything else."""
    if not isinstance(arn, str) or _ROLE.fullmatch(arn) is None:
        raise InvalidArn(f"Invalid Arn: '{arn}'")
    return arn


def role_arn(account: str = DEFAULT_ACCOUNT, name: str = "sojourn") -> str:
    """An IAM role's ARN; by default the role Sojourn names when a caller gives none."""
    return f"arn:aws:iam::{account}:role/{name}"


DEFAULT_ROLE_ARN = role_arn()


def function_arn(name: str, region: str = DEFAULT_REGION, account: str = DEFAULT_ACCOUNT) -> str:
    """A Lambda function's ARN: `arn:aws:lambda:<region>:<account>:function:<name>`."""
    return f"arn:aws:lambda:{region}:{account}:function:{name}"


def service_arn(service: str, region: str, account: str, resource: str) -> str:
    """Another AWS service's ARN, as a template's `Ref` and `Fn::GetAtt` give it (`arn:aws:sns:...:topic`)."""
    return f"arn:aws:{service}:{region}:{account}:{resource}"


def states_arn(region: str, account: str, kind: str, *names: str) -> str:
    """A Step Functions ARN of resource type `kind`:
    `states_arn(region, account, "execution", machine, name)`."""
    return ":".join(("arn:aws:states", region, account, kind, *names))


def state_machine_arn(region: str, account: str, name: str, qualifier: str | None = None) -> str:
    """A state machine's ARN, qualified by a version number or an alias name when `qualifier` is given."""
    return states_arn(region, account, "stateMachine", name, *((qualifier,) if qualifier else ()))


def execution_arn(region: str, account: str, machine: str, name: str, express_id: str | None = None) -> str:
    """A standard execution's ARN, or with `express_id` an express one (AWS's `express:machine:name:id`):
    express executions need not have unique names, so the id tells two of the same name apart.
    The name is the 8th part."""
    if express_id is None:
        return states_arn(region, account, "execution", machine, name)
    return states_arn(region, account, "express", machine, name, express_id)


def activity_arn(region: str, account: str, name: str) -> str:
    """An activity's ARN."""
    return states_arn(region, account, "activity", name)


def parse(
    arn: str, kind: str | tuple[str, ...] | None = None, qualifier: str | None = None
) -> tuple[str, list[str]]:
    """(resource type, [names...]) of a states ARN; InvalidArn when it is not one (of `kind`).

    `qualifier="version"` or `"alias"` asks for a state machine ARN qualified by a version number or an alias.
    """
    parts = arn.split(":") if isinstance(arn, str) else []
    if len(parts) < 7 or not _PREFIX.fullmatch(":".join(parts[:5])):
        raise InvalidArn(f"Invalid Arn: '{arn}'")
    found, names = parts[5], parts[6:]
    wanted = (kind,) if isinstance(kind, str) else kind
    low, high = _NAMES.get(found, (0, -1))
    valid = (
        low <= len(names) <= high
        and (wanted is None or found in wanted)
        and all(_PART.fullmatch(name) for name in names)
    )
    if valid and found in ("stateMachine", "activity"):
        valid = all(is_name(name) for name in names)
    if valid and qualifier is not None:
        valid = len(names) == 2 and is_version(names[1]) == (qualifier == "version")
    if not valid:
        raise InvalidArn(f"Invalid Arn: '{arn}'")
    return found, names
