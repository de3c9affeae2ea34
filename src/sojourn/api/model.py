"""The Step Functions API shapes, straight from botocore's service model: input checks and
output serialisation.

AWS validates requests against the same model boto3 is generated from, so driving both directions from
`botocore`'s `stepfunctions` model keeps Sojourn's wire format equal to AWS's without a copy of it.
Sojourn's own actions (human tasks, `X-Amz-Target: Sojourn.<Action>`) have a model of the same format in
`data/sojourn/<version>/service-2.json`, loaded by botocore's own Loader from `DATA_DIR`, and checked and
serialised by the same code.
Messages follow AWS's wording ("1 validation error detected: Value 'x' at 'name' failed to satisfy
constraint: Member must have length less than or equal to 80").
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import botocore.session
from botocore import xform_name
from botocore.loaders import Loader
from botocore.model import OperationModel, ServiceModel, Shape

from sojourn.errors import SerializationException, ValidationException

__all__ = ["DATA_DIR", "SOJOURN_PREFIX", "TARGET_PREFIX", "Operation", "operation", "operation_names"]

TARGET_PREFIX = "AWSStepFunctions"
SOJOURN_PREFIX = "Sojourn"  # Sojourn's own actions: `X-Amz-Target: Sojourn.ListHumanTasks`
SOJOURN_SERVICE = "sojourn"  # its model's name under DATA_DIR (and boto3's: `client("sojourn")`)
DATA_DIR = Path(__file__).parent / "data"


@cache
def _service_model(prefix: str = TARGET_PREFIX) -> Any:
    """The service model whose `targetPrefix` is `prefix`: botocore's Step Functions, or Sojourn's own."""
    if prefix == SOJOURN_PREFIX:
        loader = Loader(extra_search_paths=[str(DATA_DIR)], include_default_search_paths=False)
        return ServiceModel(loader.load_service_model(SOJOURN_SERVICE, "service-2"), SOJOURN_SERVICE)
    return botocore.session.get_session().get_service_model("stepfunctions")


def operation_names(prefix: str = TARGET_PREFIX) -> list[str]:
    """Every action the service model of `prefix` defines (`StartExecution`, ...)."""
    return list(_service_model(prefix).operation_names)


class Operation:
    """One action of the model: `check(params)` then call `method`, then `serialize(result)`."""

    def __init__(self, model: OperationModel):
        self.name = model.name
        self.method = xform_name(model.name)  # the boto3 / sojourn.Client method name
        self.input_shape = model.input_shape
        self.output_shape = model.output_shape

    def check(self, params: Any) -> dict[str, Any]:
        """Validate `params` as AWS does; return them with timestamps as datetimes. Raises API errors."""
        if not isinstance(params, dict):
            raise SerializationException("Start of structure or map found where not expected.")
        if self.input_shape is None:
            return {}
        problems: list[str] = []
        checked = _check_structure(self.input_shape, params, "", problems)
        if problems:
            count = len(problems)
            raise ValidationException(
                f"{count} validation error{'s' if count > 1 else ''} detected: " + "; ".join(problems)
            )
        return checked

    def serialize(self, result: Any) -> dict[str, Any]:
        """The JSON body of the answer: model members only, timestamps as epoch seconds."""
        if self.output_shape is None or not isinstance(result, dict):
            return {}
        return _serialize(self.output_shape, result)


@cache
def operation(action: str, prefix: str = TARGET_PREFIX) -> Operation | None:
    """The operation named `action` of the model of `prefix` (an `X-Amz-Target`'s first part), or None
    when there is no such model or action."""
    if prefix not in (TARGET_PREFIX, SOJOURN_PREFIX):
        return None
    model = _service_model(prefix)
    if action not in model.operation_names:
        return None
    return Operation(model.operation_model(action))


# -- input ------------------------------------------------------------------------------------------


def _where(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _check_structure(shape: Shape, value: dict[str, Any], path: str, problems: list[str]) -> dict[str, Any]:
    members = shape.members
    out: dict[str, Any] = {}
    for name in shape.required_members:
        if value.get(name) is None:
            problems.append(
                f"Value null at '{_where(path, name)}' failed to satisfy constraint: Member must not be null"
            )
    for name, item in value.items():
        member = members.get(name)
        if member is None or item is None:
            continue  # AWS ignores members it does not know
        out[name] = _check(member, item, _where(path, name), problems)
    return out


_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "long": (int,),
    "float": (int, float),
    "double": (int, float),
    "list": (list,),
    "map": (dict,),
    "structure": (dict,),
    "timestamp": (int, float, str),
    "blob": (str,),
}


def _wrong_type(kind: str, value: Any) -> bool:
    numeric = kind in ("integer", "long", "float", "double")
    return not isinstance(value, _TYPES.get(kind, (object,))) or (numeric and isinstance(value, bool))


def _check(shape: Shape, value: Any, path: str, problems: list[str]) -> Any:
    kind = shape.type_name
    if _wrong_type(kind, value):
        raise SerializationException(f"Unexpected value type for '{path}': expected {kind}")
    if kind == "structure":
        return _check_structure(shape, value, path, problems)
    if kind == "list":
        _check_size(shape, value, len(value), path, problems)
        return [
            _check(shape.member, item, f"{path}.{i + 1}.member", problems) for i, item in enumerate(value)
        ]
    if kind == "map":
        _check_size(shape, value, len(value), path, problems)
        return {
            _check(shape.key, k, path, problems): _check(shape.value, v, f"{path}.{k}", problems)
            for k, v in value.items()
        }
    if kind == "string":
        _check_string(shape, value, path, problems)
    elif kind in ("integer", "long"):
        _check_range(shape, value, path, problems)
    elif kind == "timestamp":
        return _timestamp(value, path)
    elif kind == "blob":
        return base64.b64decode(value)
    return value


def _shown(shape: Shape, value: Any) -> str:
    # AWS never echoes sensitive members (inputs, outputs, causes) in its messages.
    return "Value" if shape.metadata.get("sensitive") else f"Value '{value}'"


def _check_size(shape: Shape, value: Any, size: int, path: str, problems: list[str]) -> None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and size < low:
        problems.append(
            f"{_shown(shape, value)} at '{path}' failed to satisfy constraint: "
            f"Member must have length greater than or equal to {low}"
        )
    if high is not None and size > high:
        problems.append(
            f"{_shown(shape, value)} at '{path}' failed to satisfy constraint: "
            f"Member must have length less than or equal to {high}"
        )


def _check_string(shape: Shape, value: str, path: str, problems: list[str]) -> None:
    high = shape.metadata.get("max")
    # Payload limits (256 KB) are in UTF-8 bytes; names and ARNs in characters.
    size = len(value.encode("utf-8")) if high is not None and high >= 262144 else len(value)
    _check_size(shape, value, size, path, problems)
    enum = shape.enum
    if enum and value not in enum:
        problems.append(
            f"{_shown(shape, value)} at '{path}' failed to satisfy constraint: "
            f"Member must satisfy enum value set: [{', '.join(enum)}]"
        )
    pattern = shape.metadata.get("pattern")
    if pattern and not _pattern(pattern).fullmatch(value):
        problems.append(
            f"{_shown(shape, value)} at '{path}' failed to satisfy constraint: "
            f"Member must satisfy regular expression pattern: {pattern}"
        )


def _check_range(shape: Shape, value: int, path: str, problems: list[str]) -> None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and value < low:
        problems.append(
            f"Value '{value}' at '{path}' failed to satisfy constraint: "
            f"Member must have value greater than or equal to {low}"
        )
    if high is not None and value > high:
        problems.append(
            f"Value '{value}' at '{path}' failed to satisfy constraint: "
            f"Member must have value less than or equal to {high}"
        )


@cache
def _pattern(pattern: str) -> re.Pattern[str]:
    # The model's patterns are Java regular expressions; \p{ASCII} is the one class Python lacks.
    return re.compile(pattern.replace(r"\p{ASCII}", r"[\x00-\x7f]"), re.DOTALL)


def _timestamp(value: Any, path: str) -> datetime:
    try:
        if isinstance(value, str):
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        return datetime.fromtimestamp(value, UTC)
    except (ValueError, OverflowError):
        raise SerializationException(f"Invalid timestamp for '{path}'") from None


# -- output -----------------------------------------------------------------------------------------


def _serialize(shape: Shape, value: Any) -> Any:
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return value
        members = shape.members
        return {
            name: _serialize(members[name], item)
            for name, item in value.items()
            if item is not None and name in members
        }
    if kind == "list":
        return [_serialize(shape.member, item) for item in value]
    if kind == "map":
        return {key: _serialize(shape.value, item) for key, item in value.items()}
    if kind == "timestamp":
        return _epoch(value)
    if kind == "blob":
        return base64.b64encode(value).decode("ascii") if isinstance(value, bytes) else value
    return value


def _epoch(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.timestamp()
    return value
