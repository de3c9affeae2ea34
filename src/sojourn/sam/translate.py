"""A SAM/CloudFormation template -> the functions, state machines and routes of a Sojourn app.

Every resource is either translated or listed in `skipped` with its type and why; every mistake is a
Problem naming the file, the logical id and the property.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sojourn import arns
from sojourn.asl.loader import DefinitionError, read_definition
from sojourn.asl.validate import validate
from sojourn.functions import Function
from sojourn.gateway import Endpoint
from sojourn.manifest import Problem, StateMachineSpec
from sojourn.sam.intrinsics import NO_VALUE, IntrinsicError, Intrinsics

__all__ = ["Skipped", "Translation", "translate"]

FUNCTION = "AWS::Serverless::Function"
LAMBDA = "AWS::Lambda::Function"
SAM_MACHINE = "AWS::Serverless::StateMachine"
SFN_MACHINE = "AWS::StepFunctions::StateMachine"
REST_API = "AWS::Serverless::Api"
HTTP_API = "AWS::Serverless::HttpApi"
LAYER = "AWS::Serverless::LayerVersion"
GLOBALS = {"Function": FUNCTION, "Api": REST_API, "HttpApi": HTTP_API, "StateMachine": SAM_MACHINE}
NAME_PROPERTY = {
    FUNCTION: "FunctionName",
    LAMBDA: "FunctionName",
    SAM_MACHINE: "Name",
    SFN_MACHINE: "StateMachineName",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::Serverless::SimpleTable": "TableName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::Events::EventBus": "Name",
    "AWS::IAM::Role": "RoleName",
}
# Types whose resources the AWS service emulation will create (issue 15); today a Task calling them fails.
EMULATION_LATER = {
    "AWS::DynamoDB::Table",
    "AWS::Serverless::SimpleTable",
    "AWS::SQS::Queue",
    "AWS::SNS::Topic",
    "AWS::SNS::Subscription",
    "AWS::S3::Bucket",
    "AWS::Events::EventBus",
    "AWS::Events::Rule",
}
NOT_NEEDED = {
    "AWS::IAM::Role": "Sojourn does not check IAM permissions",
    "AWS::IAM::Policy": "Sojourn does not check IAM permissions",
    "AWS::IAM::ManagedPolicy": "Sojourn does not check IAM permissions",
    "AWS::Lambda::Permission": "Sojourn does not check IAM permissions",
    "AWS::Logs::LogGroup": "functions' logs are in Sojourn's console and history",
}
SERVICE = {
    "AWS::DynamoDB::Table": "dynamodb",
    "AWS::Serverless::SimpleTable": "dynamodb",
    "AWS::SQS::Queue": "sqs",
    "AWS::SNS::Topic": "sns",
    "AWS::S3::Bucket": "s3",
    "AWS::Events::EventBus": "events",
    "AWS::Events::Rule": "events",
    "AWS::IAM::Role": "iam",
}
EMULATION_REASON = (
    "comes with Sojourn's AWS service emulation, not built yet; until then a Task calling it fails "
    "with States.Runtime (the resource is not recognized)"
)
API_EVENTS = {"Api": "Api", "HttpApi": "HttpApi"}
SCHEDULE_EVENTS = {"Schedule", "ScheduleV2"}
FUNCTION_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class Skipped:
    """A resource (or an event of one) Sojourn does not run, and why."""

    logical_id: str
    type: str
    reason: str

    def __str__(self) -> str:
        return f"{self.logical_id} ({self.type}): {self.reason}"


@dataclass
class Translation:
    name: str
    functions: dict[str, Function] = field(default_factory=dict)
    state_machines: dict[str, StateMachineSpec] = field(default_factory=dict)
    routes: list[Endpoint] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    apis: dict[str, tuple[str, str]] = field(default_factory=dict)  # logical id -> (API id, stage or "")
    problems: list[Problem] = field(default_factory=list)


def translate(
    path: Path,
    document: dict[str, Any],
    overrides: dict[str, str],
    *,
    region: str = arns.DEFAULT_REGION,
    account_id: str = arns.DEFAULT_ACCOUNT,
) -> Translation:
    """Translate `document` (read from `path`) with parameter `overrides`."""
    return _Translator(path, document, overrides, region, account_id).run()


class _Translator:
    def __init__(
        self, path: Path, document: dict[str, Any], overrides: dict[str, str], region: str, account_id: str
    ):
        self.path, self.folder, self.document = path, path.parent, document
        self.overrides, self.region, self.account_id = overrides, region, account_id
        stack = re.sub(r"[^A-Za-z0-9-]", "-", self.folder.name).strip("-") or "sam-app"
        self.out = Translation(stack)
        self.resources: dict[str, dict[str, Any]] = {}
        self.names: dict[str, str] = {}
        self.layers: dict[str, Path] = {}  # a layer's ARN -> its local folder
        self._route_origin: dict[tuple[str, str], list[str]] = {}  # which events declare each route

    # -- problems and sections -------------------------------------------------------------------------

    def problem(self, logical_id: str, prop: str, message: str) -> None:
        self.out.problems.append(Problem(self.path.name, logical_id, prop, message))

    def section(self, key: str) -> dict[str, Any]:
        value = self.document.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problem(key, "", "must be a mapping")
            return {}
        return value

    def resolve(self, value: Any, logical_id: str, prop: str, default: Any = None) -> Any:
        try:
            resolved = self.intrinsics.resolve(value)
        except IntrinsicError as e:
            self.problem(logical_id, prop, str(e))
            return default
        return default if resolved is NO_VALUE else resolved

    # -- the template ----------------------------------------------------------------------------------

    def run(self) -> Translation:
        transform = self.document.get("Transform")
        transforms = transform if isinstance(transform, list) else [transform] if transform else []
        for item in transforms:
            if item != "AWS::Serverless-2016-10-31":
                self.problem("Transform", "", f"transform {item!r} is not supported (only AWS::Serverless)")
        raw_resources = self.section("Resources")
        if not raw_resources:
            self.problem("Resources", "", "the template declares no resources")
        for logical_id, resource in raw_resources.items():
            if not isinstance(resource, dict) or not isinstance(resource.get("Type"), str):
                self.problem(str(logical_id), "Type", "every resource needs a Type")
                continue
            properties = resource.get("Properties") or {}
            if not isinstance(properties, dict):
                self.problem(str(logical_id), "Properties", "must be a mapping")
                properties = {}
            self.resources[str(logical_id)] = {**resource, "Properties": properties}
        self.apply_globals()
        refs = self.parameters()
        refs.update(self.pseudo_parameters())
        self.intrinsics = Intrinsics(
            refs, self.attribute, self.section("Mappings"), self.section("Conditions"), self.region
        )
        for logical_id, resource in self.resources.items():  # names first: Refs to resources give them
            prop = NAME_PROPERTY.get(resource["Type"])
            given = resource["Properties"].get(prop) if prop else None
            name = self.resolve(given, logical_id, f"Properties.{prop}") if given is not None else None
            self.names[logical_id] = str(name) if name is not None else logical_id
        self.implicit_apis()
        refs.update({logical_id: self.ref(logical_id) for logical_id in self.resources})
        ordered = sorted(self.resources.items(), key=lambda item: item[1]["Type"] != LAYER)  # layers first
        for logical_id, resource in ordered:
            self.resource(logical_id, resource)
        self.check_routes()
        self.outputs()
        return self.out

    def apply_globals(self) -> None:
        for key, value in self.section("Globals").items():
            kind = GLOBALS.get(key)
            if kind is None:
                if key != "SimpleTable":
                    self.problem("Globals", key, f"unknown section (expected one of {', '.join(GLOBALS)})")
                continue
            if not isinstance(value, dict):
                self.problem("Globals", key, "must be a mapping of properties")
                continue
            for resource in self.resources.values():
                if resource["Type"] == kind:
                    resource["Properties"] = _merge_globals(value, resource["Properties"])

    def parameters(self) -> dict[str, Any]:
        declared = self.section("Parameters")
        for key in sorted(set(self.overrides) - set(declared)):
            self.problem(
                "Parameters", key, "--parameter-overrides names a parameter the template does not declare"
            )
        values: dict[str, Any] = {}
        for name, spec in declared.items():
            if not isinstance(spec, dict):
                self.problem("Parameters", str(name), "must be a mapping with a Type")
                continue
            kind = str(spec.get("Type", "String"))
            if name in self.overrides:
                value: Any = self.overrides[name]
            elif "Default" in spec:
                value = spec["Default"]
            else:
                self.problem(
                    "Parameters", str(name), f"has no Default: pass --parameter-overrides {name}=<value>"
                )
                continue
            text = _scalar(value)
            allowed = spec.get("AllowedValues")
            if isinstance(allowed, list) and text not in [_scalar(item) for item in allowed]:
                self.problem("Parameters", f"{name}", f"'{text}' is not one of AllowedValues {allowed}")
            pattern = spec.get("AllowedPattern")
            if isinstance(pattern, str) and not re.fullmatch(pattern, text):
                self.problem("Parameters", f"{name}", f"'{text}' does not match AllowedPattern {pattern}")
            if kind == "Number":
                try:
                    float(text)
                except ValueError:
                    self.problem("Parameters", f"{name}", f"'{text}' is not a Number")
            is_list = kind == "CommaDelimitedList" or kind.startswith("List<")
            values[str(name)] = [part.strip() for part in text.split(",")] if is_list else text
        return values

    def pseudo_parameters(self) -> dict[str, Any]:
        stack = self.out.name
        return {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account_id,
            "AWS::StackName": stack,
            "AWS::StackId": arns.service_arn(
                "cloudformation", self.region, self.account_id, f"stack/{stack}/sojourn"
            ),
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NotificationARNs": [],
            "AWS::NoValue": NO_VALUE,
        }

    def implicit_apis(self) -> None:
        """SAM's ServerlessRestApi and ServerlessHttpApi, made when an Api event names no API."""
        for resource in list(self.resources.values()):
            events = (
                resource["Properties"].get("Events") if resource["Type"] in (FUNCTION, SAM_MACHINE) else None
            )
            for event in (events or {}).values() if isinstance(events, dict) else ():
                if not isinstance(event, dict):
                    continue
                props: dict[str, Any] = (
                    event["Properties"] if isinstance(event.get("Properties"), dict) else {}
                )
                if event.get("Type") == "Api" and "RestApiId" not in props:
                    self.resources.setdefault("ServerlessRestApi", {"Type": REST_API, "Properties": {}})
                    self.names.setdefault("ServerlessRestApi", "ServerlessRestApi")
                if event.get("Type") == "HttpApi" and "ApiId" not in props:
                    self.resources.setdefault("ServerlessHttpApi", {"Type": HTTP_API, "Properties": {}})
                    self.names.setdefault("ServerlessHttpApi", "ServerlessHttpApi")

    # -- Ref and Fn::GetAtt --------------------------------------------------------------------------

    def ref(self, logical_id: str) -> Any:
        kind, name = self.resources[logical_id]["Type"], self.names[logical_id]
        if kind in (SAM_MACHINE, SFN_MACHINE):
            return arns.state_machine_arn(self.region, self.account_id, name)
        if kind in (REST_API, HTTP_API):
            return _api_id(logical_id)
        if kind == LAYER:
            return arns.service_arn("lambda", self.region, self.account_id, f"layer:{name}:1")
        if kind == "AWS::SQS::Queue":
            return f"https://sqs.{self.region}.amazonaws.com/{self.account_id}/{name}"
        if kind == "AWS::SNS::Topic":
            return arns.service_arn("sns", self.region, self.account_id, name)
        return name  # functions, tables, buckets, roles: their names, as CloudFormation gives them

    def attribute(self, logical_id: str, attribute: str) -> Any:
        if logical_id not in self.resources:
            role_of = logical_id.removesuffix("Role")
            implicit = self.resources.get(role_of, {}).get("Type") in (FUNCTION, SAM_MACHINE)
            if implicit and attribute in ("Arn", "RoleId"):  # SAM's generated execution role
                return arns.role_arn(self.account_id, f"{self.out.name}-{logical_id}")
            return None
        kind, name = self.resources[logical_id]["Type"], self.names[logical_id]
        if kind in (FUNCTION, LAMBDA):
            return {"Arn": arns.function_arn(name, self.region, self.account_id)}.get(attribute)
        if kind in (SAM_MACHINE, SFN_MACHINE):
            return {"Arn": self.ref(logical_id), "Name": name}.get(attribute)
        if kind in (REST_API, HTTP_API):
            return {
                "RootResourceId": "root",
                "ApiEndpoint": f"https://{_api_id(logical_id)}.execute-api.{self.region}.amazonaws.com",
            }.get(attribute)
        if kind == "AWS::IAM::Role":
            return {"Arn": arns.role_arn(self.account_id, name), "RoleId": name}.get(attribute)
        service = SERVICE.get(kind, kind.split("::")[1].lower() if kind.count("::") == 2 else "")
        known = {
            "Arn": arns.service_arn(service, self.region, self.account_id, name),
            "Name": name,
            "QueueName": name,
            "TopicName": name,
            "QueueUrl": self.ref(logical_id),
            "StreamArn": arns.service_arn(service, self.region, self.account_id, f"{name}/stream/sojourn"),
        }
        return known.get(attribute)

    # -- resources -----------------------------------------------------------------------------------

    def resource(self, logical_id: str, resource: dict[str, Any]) -> None:
        kind = resource["Type"]
        condition = resource.get("Condition")
        if condition is not None:
            try:
                if not self.intrinsics.condition(str(condition)):
                    self.out.skipped.append(Skipped(logical_id, kind, f"its condition {condition} is false"))
                    return
            except IntrinsicError as e:
                self.problem(logical_id, "Condition", str(e))
                return
        properties = resource["Properties"]
        if kind in (FUNCTION, LAMBDA):
            self.function(logical_id, kind, properties)
        elif kind in (SAM_MACHINE, SFN_MACHINE):
            self.state_machine(logical_id, kind, properties)
        elif kind in (REST_API, HTTP_API):
            stage = self.resolve(properties.get("StageName"), logical_id, "Properties.StageName")
            self.out.apis[logical_id] = (
                _api_id(logical_id),
                str(stage or ("Prod" if kind == REST_API else "")),
            )
        elif kind == LAYER:
            self.layer(logical_id, properties)
        elif kind in EMULATION_LATER:
            self.out.skipped.append(Skipped(logical_id, kind, EMULATION_REASON))
        elif kind in NOT_NEEDED:
            self.out.skipped.append(Skipped(logical_id, kind, NOT_NEEDED[kind]))
        else:
            self.out.skipped.append(Skipped(logical_id, kind, "Sojourn has nothing that runs this type"))

    def layer(self, logical_id: str, properties: dict[str, Any]) -> None:
        content = self.resolve(properties.get("ContentUri"), logical_id, "Properties.ContentUri")
        folder = self.local_folder(logical_id, "Properties.ContentUri", content)
        if folder is not None:
            self.layers[self.ref(logical_id)] = folder

    def local_folder(self, logical_id: str, prop: str, value: Any) -> Path | None:
        if not isinstance(value, str) or not value or value.startswith("s3://"):
            self.problem(
                logical_id, prop, f"must be a local folder (got {value!r}); S3 locations are not read"
            )
            return None
        folder = (self.folder / value).resolve()
        if not folder.is_dir():
            self.problem(logical_id, prop, f"folder '{value}' does not exist")
            return None
        return folder

    def function(self, logical_id: str, kind: str, properties: dict[str, Any]) -> None:
        where = "Properties."
        if self.resolve(properties.get("PackageType"), logical_id, f"{where}PackageType") == "Image":
            self.out.skipped.append(Skipped(logical_id, kind, "container image functions do not run here"))
            return
        runtime = self.resolve(properties.get("Runtime"), logical_id, f"{where}Runtime")
        if not isinstance(runtime, str) or not runtime.startswith("python3"):
            self.out.skipped.append(
                Skipped(
                    logical_id,
                    kind,
                    f"runtime {runtime!r} does not run here: Sojourn runs Python (python3.x)",
                )
            )
            return
        name = self.names[logical_id]
        if not FUNCTION_NAME.fullmatch(name):
            self.problem(
                logical_id, f"{where}FunctionName", f"'{name}' must be 1-64 letters, digits, '-' or '_'"
            )
            return
        if kind == FUNCTION:
            code = self.local_folder(
                logical_id,
                f"{where}CodeUri",
                self.resolve(properties.get("CodeUri", "."), logical_id, f"{where}CodeUri"),
            )
            if properties.get("InlineCode") is not None:
                code = self.inline_code(logical_id, f"{where}InlineCode", properties["InlineCode"])
        else:
            code = self.lambda_code(logical_id, properties.get("Code"))
        handler = self.resolve(properties.get("Handler"), logical_id, f"{where}Handler")
        if code is None:
            return
        if not isinstance(handler, str) or not handler:
            self.problem(logical_id, f"{where}Handler", "is required: 'module.function'")
            return
        if not _handler_exists(code, handler):
            self.problem(logical_id, f"{where}Handler", f"module of '{handler}' not found in '{code}'")
            return
        environment = self.environment(logical_id, properties)
        paths = self.layer_paths(logical_id, properties.get("Layers"))
        if paths:
            environment["PYTHONPATH"] = ":".join(str(p) for p in paths)
        timeout = self.resolve(properties.get("Timeout", 3), logical_id, f"{where}Timeout", 3)
        memory = self.resolve(properties.get("MemorySize", 128), logical_id, f"{where}MemorySize", 128)
        try:
            timeout, memory = float(timeout), int(memory)
        except (TypeError, ValueError):
            self.problem(logical_id, f"{where}Timeout", "Timeout and MemorySize must be numbers")
            return
        if not 0 < timeout <= 900:
            self.problem(logical_id, f"{where}Timeout", "must be a number of seconds between 1 and 900")
            return
        if not 128 <= memory <= 10240:
            self.problem(
                logical_id, f"{where}MemorySize", "must be a whole number of MB between 128 and 10240"
            )
            return
        self.out.functions[name] = Function(name, handler, code, environment, timeout, memory)
        if kind == FUNCTION:
            self.events(logical_id, kind, properties.get("Events"), function=name)

    def lambda_code(self, logical_id: str, code: Any) -> Path | None:
        code = self.resolve(code, logical_id, "Properties.Code")
        if isinstance(code, str):
            return self.local_folder(logical_id, "Properties.Code", code)
        if isinstance(code, dict) and isinstance(code.get("ZipFile"), str):
            return self.inline_code(logical_id, "Properties.Code.ZipFile", code["ZipFile"])
        self.problem(
            logical_id, "Properties.Code", "must be a local folder or ZipFile (inline code); S3 is not read"
        )
        return None

    def inline_code(self, logical_id: str, prop: str, text: Any) -> Path | None:
        """Inline code is written to `.sojourn-sam/<logical id>/index.py` beside the template."""
        text = self.resolve(text, logical_id, prop)
        if not isinstance(text, str):
            self.problem(logical_id, prop, "must be the function's source text")
            return None
        folder = self.folder / ".sojourn-sam" / logical_id
        target = folder / "index.py"
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            folder.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        return folder.resolve()

    def environment(self, logical_id: str, properties: dict[str, Any]) -> dict[str, str]:
        raw = self.resolve(properties.get("Environment") or {}, logical_id, "Properties.Environment", {})
        variables = raw.get("Variables", {}) if isinstance(raw, dict) else None
        if not isinstance(variables, dict):
            self.problem(
                logical_id, "Properties.Environment.Variables", "must be a mapping of names to values"
            )
            return {}
        found: dict[str, str] = {}
        for key, value in variables.items():
            if isinstance(value, (dict, list)) or value is None:
                self.problem(logical_id, f"Properties.Environment.Variables.{key}", "must be a string")
                continue
            found[str(key)] = _scalar(value)
        return found

    def layer_paths(self, logical_id: str, layers: Any) -> list[Path]:
        """The local layers' folders, each with its `python/` first, as Lambda puts them on the path."""
        resolved = self.resolve(layers or [], logical_id, "Properties.Layers", [])
        paths: list[Path] = []
        for index, layer in enumerate(resolved if isinstance(resolved, list) else []):
            folder = self.layers.get(str(layer))
            if folder is None:
                self.problem(
                    logical_id,
                    f"Properties.Layers[{index}]",
                    f"{layer} is not a local layer of this template",
                )
                continue
            paths += [folder / "python", folder]
        return paths

    def events(
        self,
        logical_id: str,
        kind: str,
        events: Any,
        *,
        function: str | None = None,
        machine: str | None = None,
    ) -> None:
        events = self.resolve(events or {}, logical_id, "Properties.Events", {})
        if not isinstance(events, dict):
            self.problem(logical_id, "Properties.Events", "must be a mapping of events")
            return
        for event_id, event in events.items():
            where = f"Properties.Events.{event_id}"
            if not isinstance(event, dict):
                self.problem(logical_id, where, "must be a mapping with Type and Properties")
                continue
            event_type, props = event.get("Type"), event.get("Properties") or {}
            if event_type in API_EVENTS:
                self.route(logical_id, where, event_type, props, function, machine)
            elif event_type in SCHEDULE_EVENTS:
                self.out.skipped.append(
                    Skipped(
                        f"{logical_id}.Events.{event_id}",
                        f"{kind} event {event_type}",
                        "schedules are not in Sojourn yet (being added); start executions by hand meanwhile",
                    )
                )
            else:
                self.out.skipped.append(
                    Skipped(
                        f"{logical_id}.Events.{event_id}",
                        f"{kind} event {event_type}",
                        "event sources other than Api and HttpApi come with Sojourn's AWS service emulation",
                    )
                )

    def route(
        self,
        logical_id: str,
        where: str,
        event_type: str,
        props: Any,
        function: str | None,
        machine: str | None,
    ) -> None:
        if not isinstance(props, dict):
            self.problem(logical_id, f"{where}.Properties", "must be a mapping")
            return
        path = props.get("Path", "/{proxy+}" if event_type == "HttpApi" else None)
        method = props.get("Method", "ANY" if event_type == "HttpApi" else None)
        if not isinstance(path, str) or not isinstance(method, str):
            self.problem(logical_id, f"{where}.Properties", "an Api event needs Path and Method")
            return
        if path == "$default":
            path = "/{proxy+}"
        method = method.upper()
        try:
            endpoint = Endpoint(method, path, function, "proxy", machine)
        except ValueError as e:
            prop = "Method" if "method" in str(e) else "Path"
            self.problem(logical_id, f"{where}.Properties.{prop}", str(e))
            return
        self.out.routes.append(endpoint)
        key = (endpoint.method, endpoint.path)
        self._route_origin[key] = [*self._route_origin.get(key, []), f"{logical_id}.{where}"]

    def check_routes(self) -> None:
        for (method, path), origins in self._route_origin.items():
            if len(origins) > 1:
                first, *rest = origins
                self.problem(
                    first.split(".", 1)[0],
                    first.split(".", 1)[1],
                    f"{method} {path} is also declared by {', '.join(rest)}",
                )

    def state_machine(self, logical_id: str, kind: str, properties: dict[str, Any]) -> None:
        name = self.names[logical_id]
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,80}", name):
            prop = "Name" if kind == SAM_MACHINE else "StateMachineName"
            self.problem(
                logical_id, f"Properties.{prop}", f"'{name}' must be 1-80 letters, digits, '-' or '_'"
            )
            return
        prop, definition, file = self.definition(logical_id, kind, properties)
        if definition is None:
            return
        substitutions = self.resolve(
            properties.get("DefinitionSubstitutions") or {},
            logical_id,
            "Properties.DefinitionSubstitutions",
            {},
        )
        if not isinstance(substitutions, dict):
            self.problem(logical_id, "Properties.DefinitionSubstitutions", "must be a mapping")
            return
        definition = _substitute(definition, {str(k): _scalar(v) for k, v in substitutions.items()})
        for diagnostic in validate(definition):
            if diagnostic.severity == "ERROR":
                self.problem(
                    logical_id, prop, f"{diagnostic.code} at {diagnostic.location}: {diagnostic.message}"
                )
        type_prop = "Type" if kind == SAM_MACHINE else "StateMachineType"
        machine_type = self.resolve(
            properties.get(type_prop, "STANDARD"), logical_id, f"Properties.{type_prop}"
        )
        if machine_type not in ("STANDARD", "EXPRESS"):
            self.problem(logical_id, f"Properties.{type_prop}", "must be STANDARD or EXPRESS")
            return
        role = self.resolve(properties.get("Role" if kind == SAM_MACHINE else "RoleArn"), logical_id, "Role")
        role = role if isinstance(role, str) and role.startswith("arn:") else None
        self.out.state_machines[name] = StateMachineSpec(name, definition, machine_type, role, file)
        if kind == SAM_MACHINE:
            self.events(logical_id, kind, properties.get("Events"), machine=name)

    def definition(
        self, logical_id: str, kind: str, properties: dict[str, Any]
    ) -> tuple[str, Any, Path | None]:
        """The definition (before DefinitionSubstitutions), from whichever property the template uses."""
        keys = (
            ("Definition", "DefinitionUri")
            if kind == SAM_MACHINE
            else ("Definition", "DefinitionString", "DefinitionS3Location")
        )
        given = [key for key in keys if properties.get(key) is not None]
        if len(given) != 1:
            self.problem(logical_id, "Properties", f"needs exactly one of {', '.join(keys)}")
            return "Properties", None, None
        prop = f"Properties.{given[0]}"
        value = self.resolve(properties[given[0]], logical_id, prop)
        if given[0] == "Definition":
            return prop, self.mapping(logical_id, prop, value), None
        if given[0] == "DefinitionString":
            try:
                document = json.loads(value) if isinstance(value, str) else None
            except json.JSONDecodeError as e:
                self.problem(logical_id, prop, f"is not JSON: {e.msg} (line {e.lineno})")
                return prop, None, None
            return prop, self.mapping(logical_id, prop, document), None
        if not isinstance(value, str) or value.startswith("s3://"):
            self.problem(logical_id, prop, f"must be a local file (got {value!r}); S3 locations are not read")
            return prop, None, None
        file = (self.folder / value).resolve()
        if not file.is_file():
            self.problem(logical_id, prop, f"file '{value}' does not exist")
            return prop, None, None
        try:
            return prop, read_definition(file), file
        except DefinitionError as e:
            self.problem(logical_id, prop, f"{value}: {e}")
            return prop, None, None

    def mapping(self, logical_id: str, prop: str, value: Any) -> dict[str, Any] | None:
        """`value` when it is a definition's mapping; else a problem and None."""
        if isinstance(value, dict):
            return value
        self.problem(logical_id, prop, "must be a state machine definition (a mapping with StartAt)")
        return None

    def outputs(self) -> None:
        for key, output in self.section("Outputs").items():
            if not isinstance(output, dict) or "Value" not in output:
                self.problem("Outputs", str(key), "needs a Value")
                continue
            if output.get("Condition") is not None:
                try:
                    if not self.intrinsics.condition(str(output["Condition"])):
                        continue
                except IntrinsicError as e:
                    self.problem("Outputs", f"{key}.Condition", str(e))
                    continue
            value = self.resolve(output["Value"], "Outputs", f"{key}.Value")
            if value is not None:
                self.out.outputs[str(key)] = value


def _merge_globals(defaults: dict[str, Any], own: dict[str, Any]) -> dict[str, Any]:
    """SAM's Globals: the resource's own value wins; maps merge (Variables too), lists add up."""
    merged = dict(defaults)
    for key, value in own.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict) and not _intrinsic(value):
            merged[key] = _merge_globals(merged[key], value)
        elif isinstance(value, list) and isinstance(merged.get(key), list):
            merged[key] = merged[key] + value
        else:
            merged[key] = value
    return merged


def _intrinsic(value: dict[str, Any]) -> bool:
    key = str(next(iter(value), ""))
    return len(value) == 1 and (key in ("Ref", "Condition") or key.startswith("Fn::"))


def _substitute(value: Any, substitutions: dict[str, str]) -> Any:
    """DefinitionSubstitutions: `${Key}` in every string of the definition (keys and values)."""
    if isinstance(value, dict):
        return {_substitute(k, substitutions): _substitute(v, substitutions) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, substitutions) for v in value]
    if isinstance(value, str):
        return re.sub(r"\$\{([^}]+)\}", lambda m: substitutions.get(m[1], m[0]), value)
    return value


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


def _api_id(logical_id: str) -> str:
    """A local API's id (the host name part of its execute-api URL)."""
    return re.sub(r"[^a-z0-9]", "", logical_id.lower())[:10] or "api"


def _handler_exists(code: Path, handler: str) -> bool:
    module, _, function = handler.rpartition(".")
    if not module or not function.isidentifier():
        return False
    base = code / module.replace(".", "/")
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()
