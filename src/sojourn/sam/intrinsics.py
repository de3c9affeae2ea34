"""CloudFormation's intrinsic functions and conditions, evaluated the way CloudFormation evaluates them.

`Intrinsics.resolve(value)` replaces `Ref`, `Fn::GetAtt`, `Fn::Sub` (both forms), `Fn::Join`, `Fn::If`,
`Fn::Select`, `Fn::Split`, `Fn::FindInMap`, `Fn::GetAZs`, `Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or` and
`Condition`; `AWS::NoValue` removes the property or list item it stands in. What a resource's `Ref` and
`Fn::GetAtt` give is the translator's (`refs`, `attribute`); a mistake raises IntrinsicError.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from sojourn import arns

__all__ = ["NO_VALUE", "IntrinsicError", "Intrinsics"]

SUB_VARIABLE = re.compile(r"\$\{(!?)([^}]*)\}")


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE: Any = _NoValue()


class IntrinsicError(ValueError):
    """An intrinsic function CloudFormation would refuse (what it names, why)."""


class Intrinsics:
    """Evaluates intrinsics against a template's parameters, mappings, conditions and resources.

    `refs`: what `Ref` gives for each name (parameters, pseudo parameters, resources);
    `attribute(resource, name)`: what `Fn::GetAtt` gives, or None when the resource has no such attribute.
    """

    def __init__(
        self,
        refs: Mapping[str, Any],
        attribute: Callable[[str, str], Any],
        mappings: Mapping[str, Any] | None = None,
        conditions: Mapping[str, Any] | None = None,
        region: str = arns.DEFAULT_REGION,
    ):
        self.refs, self.attribute = refs, attribute
        self.mappings = mappings or {}
        self.conditions = conditions or {}
        self.region = region
        self._decided: dict[str, bool] = {}
        self._deciding: set[str] = set()

    def condition(self, name: str) -> bool:
        """The value of the template's condition `name`."""
        if name in self._decided:
            return self._decided[name]
        if name not in self.conditions:
            raise IntrinsicError(f"condition '{name}' is not in Conditions")
        if name in self._deciding:
            raise IntrinsicError(f"condition '{name}' depends on itself")
        self._deciding.add(name)
        try:
            value = self.resolve(self.conditions[name])
        finally:
            self._deciding.discard(name)
        if not isinstance(value, bool):
            raise IntrinsicError(f"condition '{name}' must be Fn::Equals, Fn::Not, Fn::And or Fn::Or")
        self._decided[name] = value
        return value

    def resolve(self, value: Any) -> Any:
        """`value` with every intrinsic evaluated; NO_VALUE only where the whole value is AWS::NoValue."""
        if isinstance(value, list):
            items = [self.resolve(item) for item in value]
            return [item for item in items if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref":
                return self._ref(argument)
            if key == "Condition" and isinstance(argument, str):
                return self.condition(argument)
            if isinstance(key, str) and key.startswith("Fn::"):
                method = getattr(self, "_" + key[4:].lower(), None)
                if method is None:
                    raise IntrinsicError(f"{key} is not supported here")
                return method(argument)
        resolved = {key: self.resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not NO_VALUE}

    def _ref(self, name: Any) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if not isinstance(name, str) or name not in self.refs:
            raise IntrinsicError(
                f"Ref {name} names no parameter, pseudo parameter or resource of this template"
            )
        return self.refs[name]

    def _getatt(self, argument: Any) -> Any:
        if isinstance(argument, str):
            argument = argument.split(".", 1)
        if not isinstance(argument, list) or len(argument) != 2:
            raise IntrinsicError("Fn::GetAtt takes [resource, attribute]")
        resource, name = argument[0], self.resolve(argument[1])
        value = self.attribute(str(resource), str(name))
        if value is None:
            raise IntrinsicError(f"Fn::GetAtt {resource}.{name}: no such resource or attribute")
        return value

    def _sub(self, argument: Any) -> str:
        if isinstance(argument, str):
            text, variables = argument, {}
        elif isinstance(argument, list) and len(argument) == 2 and isinstance(argument[0], str):
            text, variables = argument[0], self.resolve(argument[1])
            if not isinstance(variables, dict):
                raise IntrinsicError("Fn::Sub's second item must be a mapping of variables")
        else:
            raise IntrinsicError("Fn::Sub takes a string or [string, {variables}]")

        def substitute(match: re.Match[str]) -> str:
            if match[1]:  # ${!Literal} is written as ${Literal}
                return "${" + match[2] + "}"
            name = match[2].strip()
            if name in variables:
                found = variables[name]
            elif name not in self.refs and "." in name:
                found = self._getatt(name.split(".", 1))
            else:
                found = self._ref(name)
            if isinstance(found, (dict, list)) or found is NO_VALUE:
                raise IntrinsicError(f"Fn::Sub: ${{{name}}} is not a string")
            return _text(found)

        return SUB_VARIABLE.sub(substitute, text)

    def _join(self, argument: Any) -> str:
        argument = self.resolve(argument)
        if not (isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], list)):
            raise IntrinsicError("Fn::Join takes [delimiter, [values]]")
        return str(argument[0]).join(_text(item) for item in argument[1])

    def _select(self, argument: Any) -> Any:
        argument = self.resolve(argument)
        if not (isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], list)):
            raise IntrinsicError("Fn::Select takes [index, [values]]")
        try:
            index = int(argument[0])
            if index < 0:
                raise IndexError
            return argument[1][index]
        except (ValueError, IndexError):
            raise IntrinsicError(f"Fn::Select: index {argument[0]} is outside the list") from None

    def _split(self, argument: Any) -> list[str]:
        argument = self.resolve(argument)
        if not (isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], str)):
            raise IntrinsicError("Fn::Split takes [delimiter, string]")
        return argument[1].split(str(argument[0]))

    def _findinmap(self, argument: Any) -> Any:
        argument = self.resolve(argument)
        if not (isinstance(argument, list) and len(argument) in (3, 4)):
            raise IntrinsicError("Fn::FindInMap takes [map, top-level key, second-level key]")
        name, top, second = (str(part) for part in argument[:3])
        try:
            return self.mappings[name][top][second]
        except (KeyError, TypeError):
            if len(argument) == 4 and isinstance(argument[3], dict) and "DefaultValue" in argument[3]:
                return argument[3]["DefaultValue"]
            raise IntrinsicError(f"Fn::FindInMap: Mappings has no {name}.{top}.{second}") from None

    def _getazs(self, argument: Any) -> list[str]:
        region = self.resolve(argument) or self.region
        return [f"{region}{zone}" for zone in "abc"]

    def _if(self, argument: Any) -> Any:
        if not (isinstance(argument, list) and len(argument) == 3 and isinstance(argument[0], str)):
            raise IntrinsicError("Fn::If takes [condition, value if true, value if false]")
        return self.resolve(argument[1] if self.condition(argument[0]) else argument[2])

    def _equals(self, argument: Any) -> bool:
        argument = self.resolve(argument)
        if not (isinstance(argument, list) and len(argument) == 2):
            raise IntrinsicError("Fn::Equals takes [value, value]")
        return _text(argument[0]) == _text(argument[1])

    def _not(self, argument: Any) -> bool:
        argument = self.resolve(argument)
        if not (isinstance(argument, list) and len(argument) == 1 and isinstance(argument[0], bool)):
            raise IntrinsicError("Fn::Not takes [condition]")
        return not argument[0]

    def _and(self, argument: Any) -> bool:
        return all(self._booleans("Fn::And", argument))

    def _or(self, argument: Any) -> bool:
        return any(self._booleans("Fn::Or", argument))

    def _booleans(self, name: str, argument: Any) -> list[bool]:
        argument = self.resolve(argument)
        if not (isinstance(argument, list) and 2 <= len(argument) <= 10):
            raise IntrinsicError(f"{name} takes 2 to 10 conditions")
        if not all(isinstance(item, bool) for item in argument):
            raise IntrinsicError(f"{name}'s items must be conditions")
        return argument

    def _tojsonstring(self, argument: Any) -> str:
        return json.dumps(self.resolve(argument), separators=(",", ":"))


def _text(value: Any) -> str:
    """A value as CloudFormation writes it into a string (booleans lower case)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
