"""Sojourn's human task: what a Task for a person declares, checked and read (ours, not AWS's; issue 14).

The Task's `Parameters` (JSONPath, after `.$` evaluation) or `Arguments` (JSONata, after `{% %}` evaluation):

| field | what |
| --- | --- |
| `Title` (required), `Description` | text shown to the assignees (templated from the state's input) |
| `Assignees` (required) | people or groups of the directory: `"ann"`, `"group:finance"`, or email addresses |
| `Decisions` | `["Approve", "Deny"]` (the default; Deny, Reject, Decline veto) or objects (below) |
| `Form` | a JSON Schema subset: `{"type": "object", "properties": {...}, "required": [...]}` |
| `Quorum` | `"ANY"` (default), `"ALL"`, or `{"AtLeast": n}` of the first decision that does not reject |
| `Reminders` | seconds after creation at which the assignees are reminded; the same links stay valid |
| `Escalation` | `{"AfterSeconds", "Assignees", "Mode": "ADD" or "REPLACE"}` |
| `Expiry` | `{"AfterSeconds", "Error"?, "Cause"?}`: fails with that error (`Sojourn.HumanTaskExpired`) |
| `Requester` | who asked: they may not decide their own task |
| `Notify` | `{"Email": true/false, "Webhooks": [{"Url" or "Webhook", "Preset": "JSON"/"SLACK"/"TEAMS"}]}` |

A webhook gives a `Url`, or names with `Webhook` a webhook of the app's settings (its URL and signing secret
stay out of the definition). A decision object is `{"Name", "Label"?, "RequiresComment"?, "Rejects"?}`.
`check(arguments)` lists the problems of a definition's arguments (values still to be evaluated are
skipped); `read(arguments)` makes a `HumanTaskSpec` of evaluated ones or raises `SpecError` naming the field.
A form's values are checked by `check_form(schema, values)`. Pure: no I/O, no clock.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "DEFAULT_EXPIRY_ERROR",
    "Decision",
    "Escalation",
    "Expiry",
    "HumanTaskSpec",
    "Quorum",
    "SpecError",
    "Webhook",
    "check",
    "check_form",
    "read",
]

DEFAULT_EXPIRY_ERROR = "Sojourn.HumanTaskExpired"
FIELDS = (
    "Title",
    "Description",
    "Assignees",
    "Decisions",
    "Form",
    "Quorum",
    "Reminders",
    "Escalation",
    "Expiry",
    "Requester",
    "Notify",
)
MAX_ASSIGNEES = 100
MAX_REMINDERS = 10
MAX_TITLE = 200
MAX_DESCRIPTION = 10_000
FIELD_TYPES = ("string", "number", "integer", "boolean")
PRESETS = ("JSON", "SLACK", "TEAMS")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
_ERROR_NAME = re.compile(r"[^\s]{1,256}")
_FORM_KEYS = {
    "type",
    "title",
    "description",
    "enum",
    "format",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "default",
}


class SpecError(ValueError):
    """Arguments a human task cannot be made of; `path` is the field (`Decisions[1].Name`)."""

    def __init__(self, path: str, message: str):
        super().__init__(f"{message} (at '{path}')")
        self.path, self.message = path, message


@dataclass(frozen=True)
class Decision:
    name: str
    label: str
    requires_comment: bool = False
    rejects: bool = False  # a veto: one such decision ends the task whatever the quorum


@dataclass(frozen=True)
class Quorum:
    """How many assignees must choose the approving decision; `at_least` None means all of them."""

    at_least: int | None = 1


@dataclass(frozen=True)
class Escalation:
    after_seconds: float
    assignees: tuple[str, ...]
    replace: bool = False


@dataclass(frozen=True)
class Expiry:
    after_seconds: float
    error: str = DEFAULT_EXPIRY_ERROR
    cause: str = "Nobody decided the task in time"


@dataclass(frozen=True)
class Webhook:
    """Where a task's notifications are posted: `url`, or the webhook of the settings called `name`."""

    url: str | None
    preset: str = "JSON"
    name: str | None = None


@dataclass(frozen=True)
class HumanTaskSpec:
    title: str
    assignees: tuple[str, ...]
    decisions: tuple[Decision, ...]
    description: str = ""
    form: dict[str, Any] | None = None
    quorum: Quorum = field(default_factory=Quorum)
    reminders: tuple[float, ...] = ()
    escalation: Escalation | None = None
    expiry: Expiry | None = None
    requester: str | None = None
    email: bool = True
    webhooks: tuple[Webhook, ...] = ()

    @property
    def approving(self) -> Decision:
        """The decision the quorum counts: the first that does not reject."""
        return next((d for d in self.decisions if not d.rejects), self.decisions[0])


_REJECTING = ("Deny", "Reject", "Decline")  # decisions given by name alone that end the task as a veto
_DEFAULT_DECISIONS = (Decision("Approve", "Approve"), Decision("Deny", "Deny", rejects=True))


def _dynamic(value: Any) -> bool:
    """A value the definition leaves to evaluation: a JSONata template or a JSONPath reference."""
    return isinstance(value, str) and value.strip().startswith("{%")


def _count(people: Any) -> int:
    """How many people a list of assignees names; 0 when that is known only once groups are resolved."""
    if not isinstance(people, list) or any(isinstance(p, str) and p.startswith("group:") for p in people):
        return 0
    return len(people)


class _Reader:
    """Reads arguments into a spec, collecting problems; `static` skips what evaluation will decide."""

    def __init__(self, static: bool):
        self.static = static
        self.problems: list[tuple[str, str]] = []

    def problem(self, path: str, message: str) -> None:
        self.problems.append((path, message))

    def fields(self, arguments: Mapping[str, Any]) -> dict[str, tuple[str, Any]]:
        """Field name -> (the key it was given under, its value); `X.$` keys are left to evaluation."""
        found: dict[str, tuple[str, Any]] = {}
        for key, value in arguments.items():
            name = key[:-2] if key.endswith(".$") else key
            if name not in FIELDS:
                self.problem(
                    key, f"The field '{key}' is not supported by a human task; use {', '.join(FIELDS)}"
                )
                continue
            if key.endswith(".$") or _dynamic(value):
                if not self.static:  # after evaluation no such key remains
                    self.problem(key, f"The field '{key}' was not evaluated")
                continue
            found[name] = (key, value)
        return found

    def text(self, path: str, value: Any, limit: int, required: bool = True) -> str:
        if not isinstance(value, str) or (required and not value.strip()):
            self.problem(path, f"The field '{path}' must be a {'non-empty ' if required else ''}string")
            return ""
        if len(value) > limit:
            self.problem(path, f"The field '{path}' must be at most {limit} characters")
        return value

    def seconds(self, path: str, value: Any) -> float:
        if _dynamic(value) and self.static:
            return 0.0
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
            or value <= 0
        ):
            self.problem(path, f"The field '{path}' must be a positive number of seconds")
            return 0.0
        return float(value)

    def people(self, path: str, value: Any) -> tuple[str, ...]:
        if not isinstance(value, list) or not value:
            self.problem(path, f"The field '{path}' must be a non-empty list of people or groups")
            return ()
        if len(value) > MAX_ASSIGNEES:
            self.problem(path, f"The field '{path}' may name at most {MAX_ASSIGNEES} people or groups")
        people: list[str] = []
        for index, person in enumerate(value):
            if _dynamic(person) and self.static:
                continue
            if not isinstance(person, str) or not person.strip():
                self.problem(
                    f"{path}[{index}]",
                    f"The field '{path}[{index}]' must be a person's id, a group or an email",
                )
                continue
            if person not in people:
                people.append(person.strip())
        return tuple(people)

    def decisions(self, path: str, value: Any) -> tuple[Decision, ...]:
        if not isinstance(value, list) or not value:
            self.problem(path, f"The field '{path}' must be a non-empty list of decisions")
            return _DEFAULT_DECISIONS
        made: list[Decision] = []
        for index, item in enumerate(value):
            where = f"{path}[{index}]"
            if isinstance(item, str):
                item = {"Name": item, "Rejects": item in _REJECTING}
            if not isinstance(item, dict):
                self.problem(where, f"The field '{where}' must be a decision's name or an object with a Name")
                continue
            unknown = set(item) - {"Name", "Label", "RequiresComment", "Rejects"}
            if unknown:
                self.problem(
                    where, f"The field '{where}' has unsupported fields: {', '.join(sorted(unknown))}"
                )
            name = item.get("Name")
            if not isinstance(name, str) or not _NAME.fullmatch(name):
                self.problem(
                    f"{where}.Name", f"The field '{where}.Name' must be a name of letters, digits, '_' or '-'"
                )
                continue
            if any(d.name == name for d in made):
                self.problem(f"{where}.Name", f"The decision '{name}' is listed twice")
            label = self.text(f"{where}.Label", item.get("Label", name), 100)
            flags = [item.get(key, False) for key in ("RequiresComment", "Rejects")]
            for key, flag in zip(("RequiresComment", "Rejects"), flags, strict=True):
                if not isinstance(flag, bool):
                    self.problem(f"{where}.{key}", f"The field '{where}.{key}' must be a boolean")
            made.append(Decision(name, label or name, flags[0] is True, flags[1] is True))
        return tuple(made) or _DEFAULT_DECISIONS

    def quorum(self, path: str, value: Any, assignees: int) -> Quorum:
        if value == "ANY":
            return Quorum(1)
        if value == "ALL":
            return Quorum(None)
        at_least = value.get("AtLeast") if isinstance(value, dict) and set(value) == {"AtLeast"} else None
        if isinstance(at_least, bool) or not isinstance(at_least, int) or at_least < 1:
            self.problem(path, f'The field \'{path}\' must be "ANY", "ALL" or {{"AtLeast": n}} with n >= 1')
            return Quorum(1)
        if assignees and at_least > assignees:
            self.problem(path, f"The field '{path}' asks for {at_least} decisions of {assignees} assignees")
        return Quorum(at_least)

    def form(self, path: str, value: Any) -> dict[str, Any] | None:
        if not isinstance(value, dict) or value.get("type") != "object":
            self.problem(
                path, f'The field \'{path}\' must be a JSON Schema object: {{"type": "object", ...}}'
            )
            return None
        unknown = set(value) - {"type", "properties", "required", "title", "description"}
        if unknown:
            self.problem(path, f"The field '{path}' has unsupported keywords: {', '.join(sorted(unknown))}")
        properties = value.get("properties", {})
        if not isinstance(properties, dict):
            self.problem(f"{path}.properties", f"The field '{path}.properties' must be an object")
            return None
        for name, schema in properties.items():
            self.form_field(f"{path}.properties.{name}", name, schema)
        required = value.get("required", [])
        if not isinstance(required, list) or any(r not in properties for r in required):
            self.problem(f"{path}.required", f"The field '{path}.required' must list properties of the form")
        return value

    def form_field(self, path: str, name: str, schema: Any) -> None:
        if not _NAME.fullmatch(name) or name == "comment":
            self.problem(
                path,
                f"The form field '{name}' must be named with letters, digits, '_' or '-' (not 'comment')",
            )
        if not isinstance(schema, dict) or schema.get("type") not in FIELD_TYPES:
            self.problem(path, f"The form field '{name}' must have a type: {', '.join(FIELD_TYPES)}")
            return
        unknown = set(schema) - _FORM_KEYS
        if unknown:
            self.problem(
                path, f"The form field '{name}' has unsupported keywords: {', '.join(sorted(unknown))}"
            )
        if "enum" in schema and (not isinstance(schema["enum"], list) or not schema["enum"]):
            self.problem(
                f"{path}.enum", f"The form field '{name}' must list its choices in a non-empty 'enum'"
            )
        if schema.get("format") not in (None, "date", "email") or (
            "format" in schema and schema["type"] != "string"
        ):
            self.problem(
                f"{path}.format", f"The form field '{name}' may have format 'date' or 'email' (strings only)"
            )
        for bound in ("minimum", "maximum", "minLength", "maxLength"):
            limit = schema.get(bound)
            if bound in schema and (isinstance(limit, bool) or not isinstance(limit, (int, float))):
                self.problem(f"{path}.{bound}", f"The form field '{name}' must have a number as '{bound}'")

    def read(self, arguments: Any) -> HumanTaskSpec | None:
        if not isinstance(arguments, dict):
            if not (self.static and _dynamic(arguments)):
                self.problem("", "A human task's arguments must be an object with a Title and Assignees")
            return None
        given = self.fields(arguments)
        for name in ("Title", "Assignees"):
            if name not in given and name not in arguments and f"{name}.$" not in arguments:
                self.problem(name, f"The field '{name}' is required by a human task")
        value = {name: item[1] for name, item in given.items()}
        title = self.text("Title", value["Title"], MAX_TITLE) if "Title" in value else ""
        description = (
            self.text("Description", value["Description"], MAX_DESCRIPTION, False)
            if "Description" in value
            else ""
        )
        assignees = self.people("Assignees", value["Assignees"]) if "Assignees" in value else ()
        decisions = (
            self.decisions("Decisions", value["Decisions"]) if "Decisions" in value else _DEFAULT_DECISIONS
        )
        form = self.form("Form", value["Form"]) if "Form" in value else None
        quorum = Quorum(1)
        if "Quorum" in value:
            quorum = self.quorum("Quorum", value["Quorum"], _count(value.get("Assignees")))
        reminders: tuple[float, ...] = ()
        if "Reminders" in value:
            if not isinstance(value["Reminders"], list) or len(value["Reminders"]) > MAX_REMINDERS:
                self.problem(
                    "Reminders",
                    f"The field 'Reminders' must be a list of at most {MAX_REMINDERS} delays in seconds",
                )
            else:
                reminders = tuple(
                    sorted(
                        self.seconds(f"Reminders[{i}]", delay) for i, delay in enumerate(value["Reminders"])
                    )
                )
        escalation = self.escalation(value["Escalation"]) if "Escalation" in value else None
        expiry = self.expiry(value["Expiry"]) if "Expiry" in value else None
        requester = self.text("Requester", value["Requester"], 256) if "Requester" in value else None
        email, webhooks = self.notify(value["Notify"]) if "Notify" in value else (True, ())
        return HumanTaskSpec(
            title=title,
            assignees=assignees,
            decisions=decisions,
            description=description,
            form=form,
            quorum=quorum,
            reminders=reminders,
            escalation=escalation,
            expiry=expiry,
            requester=requester,
            email=email,
            webhooks=webhooks,
        )

    def escalation(self, value: Any) -> Escalation | None:
        if not isinstance(value, dict) or set(value) - {"AfterSeconds", "Assignees", "Mode"}:
            self.problem(
                "Escalation", 'The field \'Escalation\' must be {"AfterSeconds", "Assignees", "Mode"?}'
            )
            return None
        after = self.seconds("Escalation.AfterSeconds", value.get("AfterSeconds"))
        people = self.people("Escalation.Assignees", value.get("Assignees"))
        mode = value.get("Mode", "ADD")
        if mode not in ("ADD", "REPLACE"):
            self.problem("Escalation.Mode", 'The field \'Escalation.Mode\' must be "ADD" or "REPLACE"')
        return Escalation(after, people, mode == "REPLACE")

    def expiry(self, value: Any) -> Expiry | None:
        if not isinstance(value, dict) or set(value) - {"AfterSeconds", "Error", "Cause"}:
            self.problem("Expiry", 'The field \'Expiry\' must be {"AfterSeconds", "Error"?, "Cause"?}')
            return None
        after = self.seconds("Expiry.AfterSeconds", value.get("AfterSeconds"))
        error = value.get("Error", DEFAULT_EXPIRY_ERROR)
        if not isinstance(error, str) or not _ERROR_NAME.fullmatch(error):
            self.problem("Expiry.Error", "The field 'Expiry.Error' must be an error name (no spaces)")
            error = DEFAULT_EXPIRY_ERROR
        cause = self.text("Expiry.Cause", value.get("Cause", Expiry.cause), 32_768)
        return Expiry(after, error, cause)

    def notify(self, value: Any) -> tuple[bool, tuple[Webhook, ...]]:
        if not isinstance(value, dict) or set(value) - {"Email", "Webhooks"}:
            self.problem("Notify", 'The field \'Notify\' must be {"Email"?: boolean, "Webhooks"?: [...]}')
            return True, ()
        email = value.get("Email", True)
        if not isinstance(email, bool):
            self.problem("Notify.Email", "The field 'Notify.Email' must be a boolean")
        hooks: list[Webhook] = []
        listed = value.get("Webhooks", [])
        if not isinstance(listed, list):
            self.problem("Notify.Webhooks", "The field 'Notify.Webhooks' must be a list of webhooks")
            listed = []
        for index, hook in enumerate(listed):
            where = f"Notify.Webhooks[{index}]"
            if not isinstance(hook, dict) or set(hook) - {"Url", "Webhook", "Preset"}:
                self.problem(where, f'The field \'{where}\' must be {{"Url" or "Webhook", "Preset"?}}')
                continue
            url, name, preset = hook.get("Url"), hook.get("Webhook"), hook.get("Preset", "JSON")
            if (url is None) == (name is None):
                self.problem(where, f"The field '{where}' needs a 'Url' or a 'Webhook' (one of them)")
                continue
            if url is not None and (not isinstance(url, str) or not url.startswith(("https://", "http://"))):
                self.problem(f"{where}.Url", f"The field '{where}.Url' must be an http(s) URL")
                continue
            if name is not None and (not isinstance(name, str) or not name):
                self.problem(f"{where}.Webhook", f"The field '{where}.Webhook' must name a webhook")
                continue
            if preset not in PRESETS:
                self.problem(
                    f"{where}.Preset", f"The field '{where}.Preset' must be one of {', '.join(PRESETS)}"
                )
                continue
            hooks.append(Webhook(url, str(preset), name))
        return email is not False, tuple(hooks)


def check(arguments: Any) -> list[tuple[str, str]]:
    """(field, message) for each problem of a definition's arguments; evaluated values are not judged."""
    reader = _Reader(static=True)
    reader.read(arguments)
    return reader.problems


def read(arguments: Any) -> HumanTaskSpec:
    """The spec of evaluated arguments; SpecError for the first problem."""
    reader = _Reader(static=False)
    spec = reader.read(arguments)
    if reader.problems or spec is None:
        path, message = reader.problems[0] if reader.problems else ("", "No arguments")
        raise SpecError(path, message)
    return spec


def check_form(schema: Mapping[str, Any] | None, values: Mapping[str, Any]) -> dict[str, str]:
    """Field -> what is wrong with its value (empty when the values fit the form); unknown fields are too."""
    properties: Mapping[str, Any] = (schema or {}).get("properties", {})
    problems: dict[str, str] = {}
    for name in (schema or {}).get("required", []):
        if values.get(name) in (None, ""):
            problems[name] = "This field is required"
    for name, value in values.items():
        if name in problems or value is None:
            continue
        field_schema = properties.get(name)
        if field_schema is None:
            problems[name] = "This form has no such field"
            continue
        wrong = _field_problem(field_schema, value)
        if wrong:
            problems[name] = wrong
    return problems


def _field_problem(schema: Mapping[str, Any], value: Any) -> str | None:
    kind = schema.get("type")
    if kind == "boolean" and not isinstance(value, bool):
        return "Must be true or false"
    if kind in ("number", "integer"):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return "Must be a number"
        if kind == "integer" and value != int(value):
            return "Must be a whole number"
        if "minimum" in schema and value < schema["minimum"]:
            return f"Must be at least {schema['minimum']}"
        if "maximum" in schema and value > schema["maximum"]:
            return f"Must be at most {schema['maximum']}"
    if kind == "string":
        if not isinstance(value, str):
            return "Must be text"
        if "minLength" in schema and len(value) < schema["minLength"]:
            return f"Must be at least {schema['minLength']} characters"
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            return f"Must be at most {schema['maxLength']} characters"
        if schema.get("format") == "date":
            try:
                _dt.date.fromisoformat(value)
            except ValueError:
                return "Must be a date (YYYY-MM-DD)"
        if schema.get("format") == "email" and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
            return "Must be an email address"
    if "enum" in schema and value not in schema["enum"]:
        return "Must be one of: " + ", ".join(str(choice) for choice in schema["enum"])
    return None
