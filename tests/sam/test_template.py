"""SAM templates read and translated: short-form tags, intrinsics, parameters, Globals, skipped resources and
mistakes named by file, logical id and property (sojourn.sam)."""

from __future__ import annotations

import json
import textwrap

import pytest

from sojourn import arns
from sojourn.manifest import ManifestError
from sojourn.sam import SamApp, load_app, local_outputs, parse_overrides
from sojourn.sam.intrinsics import NO_VALUE, IntrinsicError, Intrinsics
from sojourn.sam.template import read_template

ARN = "arn:aws:lambda:us-east-1:123456789012:function:Fn"


def intrinsics() -> Intrinsics:
    refs = {
        "Stage": "dev",
        "Names": ["a", "b", "c"],
        "AWS::Region": "us-east-1",
        "AWS::NoValue": NO_VALUE,
        "Fn": "Fn",
    }
    attributes = {("Fn", "Arn"): ARN}
    return Intrinsics(
        refs,
        lambda resource, name: attributes.get((resource, name)),
        mappings={"Sizes": {"dev": {"Memory": 128}, "prod": {"Memory": 1024}}},
        conditions={
            "IsDev": {"Fn::Equals": [{"Ref": "Stage"}, "dev"]},
            "IsProd": {"Fn::Not": [{"Condition": "IsDev"}]},
            "Both": {"Fn::And": [{"Condition": "IsDev"}, {"Fn::Equals": ["1", "1"]}]},
            "Either": {"Fn::Or": [{"Condition": "IsProd"}, {"Condition": "IsDev"}]},
        },
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"Ref": "Stage"}, "dev"),
        ({"Fn::GetAtt": ["Fn", "Arn"]}, ARN),
        ({"Fn::GetAtt": "Fn.Arn"}, ARN),
        ({"Fn::Sub": "${AWS::Region}-${Stage}"}, "us-east-1-dev"),
        ({"Fn::Sub": "${Fn.Arn}"}, ARN),
        ({"Fn::Sub": "${!Literal}-${Stage}"}, "${Literal}-dev"),
        ({"Fn::Sub": ["${Who}@${Stage}", {"Who": {"Ref": "Fn"}}]}, "Fn@dev"),
        ({"Fn::Join": ["-", ["a", {"Ref": "Stage"}, 3]]}, "a-dev-3"),
        ({"Fn::Select": [1, {"Ref": "Names"}]}, "b"),
        ({"Fn::Select": ["2", {"Fn::Split": [",", "x,y,z"]}]}, "z"),
        ({"Fn::FindInMap": ["Sizes", {"Ref": "Stage"}, "Memory"]}, 128),
        ({"Fn::If": ["IsDev", "yes", "no"]}, "yes"),
        ({"Fn::If": ["IsProd", "yes", "no"]}, "no"),
        ({"Fn::If": ["Both", "both", "no"]}, "both"),
        ({"Fn::If": ["Either", "either", "no"]}, "either"),
        ({"A": {"Fn::If": ["IsProd", "x", {"Ref": "AWS::NoValue"}]}, "B": 1}, {"B": 1}),
        ([1, {"Ref": "AWS::NoValue"}, 2], [1, 2]),
        ({"Fn::GetAZs": ""}, ["us-east-1a", "us-east-1b", "us-east-1c"]),
        ({"Fn::Join": ["", [{"Fn::Equals": ["a", "a"]}]]}, "true"),
    ],
)
def test_intrinsic_functions_give_what_cloudformation_gives(value, expected):
    assert intrinsics().resolve(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"Ref": "Nope"}, "Ref Nope names no parameter"),
        ({"Fn::GetAtt": ["Fn", "Nope"]}, "Fn::GetAtt Fn.Nope: no such resource or attribute"),
        ({"Fn::Sub": "${Nope}"}, "Ref Nope"),
        ({"Fn::Select": [5, ["a"]]}, "index 5 is outside the list"),
        ({"Fn::FindInMap": ["Sizes", "test", "Memory"]}, "Mappings has no Sizes.test.Memory"),
        ({"Fn::If": ["Missing", 1, 2]}, "condition 'Missing' is not in Conditions"),
        ({"Fn::Base64": "x"}, "Fn::Base64 is not supported here"),
    ],
)
def test_an_intrinsic_cloudformation_would_refuse_says_why(value, message):
    with pytest.raises(IntrinsicError, match=message.replace("(", r"\(")):
        intrinsics().resolve(value)


def test_yaml_short_form_tags_read_as_their_long_forms(tmp_path):
    path = tmp_path / "template.yaml"
    path.write_text(
        textwrap.dedent("""
        A: !Ref X
        B: !GetAtt Fn.Arn
        C: !Sub "${X}"
        D: !Join ["-", [!Ref X, b]]
        E: !If [Cond, !Select [0, !Split [",", "a,b"]], !FindInMap [M, k, v]]
        F: !Equals [!Not [!Condition C], !And [!Or [a, b], c]]
        G: !GetAZs ""
        H: 2030-01-01
    """)
    )
    assert read_template(path) == {
        "A": {"Ref": "X"},
        "B": {"Fn::GetAtt": ["Fn", "Arn"]},
        "C": {"Fn::Sub": "${X}"},
        "D": {"Fn::Join": ["-", [{"Ref": "X"}, "b"]]},
        "E": {
            "Fn::If": [
                "Cond",
                {"Fn::Select": [0, {"Fn::Split": [",", "a,b"]}]},
                {"Fn::FindInMap": ["M", "k", "v"]},
            ]
        },
        "F": {"Fn::Equals": [{"Fn::Not": [{"Condition": "C"}]}, {"Fn::And": [{"Fn::Or": ["a", "b"]}, "c"]}]},
        "G": {"Fn::GetAZs": ""},
        "H": "2030-01-01",
    }


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (["Stage=prod"], {"Stage": "prod"}),
        (["Stage=prod Size=2"], {"Stage": "prod", "Size": "2"}),
        (["Stage=prod", 'Note="a b"'], {"Stage": "prod", "Note": "a b"}),
        (["ParameterKey=Stage,ParameterValue=prod"], {"Stage": "prod"}),
        (["Url=https://x.example/?a=b"], {"Url": "https://x.example/?a=b"}),
    ],
)
def test_parameter_overrides_are_read_as_sam_cli_reads_them(given, expected):
    assert parse_overrides(given) == expected


def test_a_parameter_override_without_a_value_is_refused():
    with pytest.raises(ValueError, match="'Stage' is not Key=Value"):
        parse_overrides(["Stage"])


TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: {Type: String, Default: dev, AllowedValues: [dev, prod]}
  Greeting: {Type: String, Default: Hello}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
Mappings:
  Sizes: {dev: {Memory: 256}, prod: {Memory: 1024}}
Globals:
  Function:
    Runtime: python3.12
    Timeout: 9
    Environment: {Variables: {SHARED: shared, GREETING: !Ref Greeting}}
    Layers: [!Ref Libs]
Resources:
  Libs:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: layer/}
  Greet:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      MemorySize: !FindInMap [Sizes, !Ref Stage, Memory]
      Environment:
        Variables:
          STAGE: !Ref Stage
          MACHINE: !Ref Flow
          MACHINE_NAME: !GetAtt Flow.Name
          ONLY_PROD: !If [IsProd, "yes", !Ref AWS::NoValue]
      Events:
        Hello: {Type: Api, Properties: {Path: "/hello/{name}", Method: get}}
        Files: {Type: HttpApi, Properties: {Path: "/files/{proxy+}", Method: ANY}}
        Nightly: {Type: Schedule, Properties: {Schedule: rate(1 day)}}
        Queue: {Type: SQS, Properties: {Queue: !GetAtt Jobs.Arn}}
  Inline:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.11
      Handler: index.handler
      Code:
        ZipFile: |
          def handler(event, context):
              return {"inline": True}
  Flow:
    Type: AWS::Serverless::StateMachine
    Properties:
      Name: !Sub "${AWS::StackName}-flow"
      Definition:
        StartAt: Call
        States:
          Call: {Type: Task, Resource: "${GreetArn}", Next: Store}
          Store: {Type: Task, Resource: "arn:aws:states:::dynamodb:putItem",
                  Parameters: {TableName: "${Table}", Item: {}}, End: true}
      DefinitionSubstitutions:
        GreetArn: !GetAtt Greet.Arn
        Table: !Ref Items
      Events:
        Start: {Type: Api, Properties: {Path: /flow, Method: post}}
  Classic:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      StateMachineName: classic
      DefinitionString: !Sub |
        {"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": "${Inline.Arn}", "End": true}}}
  Node:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: src/, Handler: app.handler, Runtime: nodejs20.x}
  ProdOnly:
    Type: AWS::SNS::Topic
    Condition: IsProd
  Items: {Type: AWS::DynamoDB::Table}
  Jobs: {Type: AWS::SQS::Queue}
  Role: {Type: AWS::IAM::Role, Properties: {AssumeRolePolicyDocument: {}}}
  Alarm: {Type: AWS::CloudWatch::Alarm}
Outputs:
  Api:
    Value: !Sub "https://${ServerlessRestApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/Prod/hello/"
  Http:
    Value: !Sub "https://${ServerlessHttpApi}.execute-api.${AWS::Region}.amazonaws.com/files/x"
  Machine: {Value: !Ref Flow}
  Prod: {Value: "yes", Condition: IsProd}
"""


def write(folder, text=TEMPLATE):
    (folder / "src").mkdir(exist_ok=True)
    (folder / "src" / "app.py").write_text("def handler(event, context):\n    return event\n")
    (folder / "layer" / "python").mkdir(parents=True, exist_ok=True)
    path = folder / "template.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_a_template_becomes_functions_state_machines_and_routes(tmp_path):
    (tmp_path / "shop").mkdir()
    app = load_app(write(tmp_path / "shop"))
    assert isinstance(app, SamApp)
    assert app.name == "shop"
    greet = app.functions["Greet"]
    assert (greet.handler, greet.code_dir, greet.timeout, greet.memory) == (
        "app.handler",
        tmp_path / "shop" / "src",
        9.0,
        256,
    )
    assert greet.environment == {
        "SHARED": "shared",
        "GREETING": "Hello",
        "STAGE": "dev",
        "MACHINE": arns.state_machine_arn(arns.DEFAULT_REGION, arns.DEFAULT_ACCOUNT, "shop-flow"),
        "MACHINE_NAME": "shop-flow",
        "PYTHONPATH": f"{tmp_path}/shop/layer/python:{tmp_path}/shop/layer",
    }
    inline = app.functions["Inline"]
    assert (inline.code_dir / "index.py").read_text().startswith("def handler(event, context):")
    flow = app.state_machines["shop-flow"]
    assert flow.definition["States"]["Call"]["Resource"] == arns.function_arn("Greet")
    assert flow.definition["States"]["Store"]["Parameters"]["TableName"] == "Items"
    assert app.state_machines["classic"].definition["States"]["Call"]["Resource"] == arns.function_arn(
        "Inline"
    )
    assert [(r.method, r.path, r.function, r.state_machine) for r in app.routes] == [
        ("GET", "/hello/{name}", "Greet", None),
        ("ANY", "/files/{proxy+}", "Greet", None),
        ("POST", "/flow", None, "shop-flow"),
    ]


def test_every_resource_not_run_is_listed_with_its_type_and_why(tmp_path):
    app = load_app(write(tmp_path))
    skipped = {s.logical_id: (s.type, s.reason) for s in app.skipped}
    assert set(skipped) == {
        "Greet.Events.Nightly",
        "Greet.Events.Queue",
        "Node",
        "ProdOnly",
        "Items",
        "Jobs",
        "Role",
        "Alarm",
    }
    assert skipped["Greet.Events.Nightly"][0] == "AWS::Serverless::Function event Schedule"
    assert "schedules are not in Sojourn yet" in skipped["Greet.Events.Nightly"][1]
    assert "service emulation" in skipped["Greet.Events.Queue"][1]
    assert "nodejs20.x" in skipped["Node"][1] and "python3.x" in skipped["Node"][1]
    assert skipped["ProdOnly"] == ("AWS::SNS::Topic", "its condition IsProd is false")
    assert skipped["Items"][0] == "AWS::DynamoDB::Table"
    assert "service emulation" in skipped["Items"][1] and "States.Runtime" in skipped["Items"][1]
    assert "IAM" in skipped["Role"][1]
    assert skipped["Alarm"] == ("AWS::CloudWatch::Alarm", "Sojourn has nothing that runs this type")


def test_outputs_name_the_local_server_for_each_api(tmp_path):
    app = load_app(write(tmp_path))
    assert local_outputs(app, "http://127.0.0.1:8080") == {
        "Api": "http://127.0.0.1:8080/hello/",
        "Http": "http://127.0.0.1:8080/files/x",
        "Machine": arns.state_machine_arn(arns.DEFAULT_REGION, arns.DEFAULT_ACCOUNT, f"{app.name}-flow"),
    }


def test_parameter_overrides_change_parameters_and_conditions(tmp_path):
    app = load_app(write(tmp_path), {"Stage": "prod", "Greeting": "Hi"})
    greet = app.functions["Greet"]
    assert (greet.environment["STAGE"], greet.environment["ONLY_PROD"], greet.memory) == ("prod", "yes", 1024)
    assert greet.environment["GREETING"] == "Hi"
    assert "ProdOnly" in {s.logical_id for s in app.skipped}  # an SNS topic: skipped for its type now
    assert local_outputs(app, "http://h")["Prod"] == "yes"


def test_a_json_template_is_read_too(tmp_path):
    path = tmp_path / "template.json"
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("def handler(e, c):\n    return e\n")
    path.write_text(
        json.dumps(
            {
                "Resources": {
                    "F": {
                        "Type": "AWS::Serverless::Function",
                        "Properties": {"CodeUri": "src", "Handler": "app.handler", "Runtime": "python3.12"},
                    }
                }
            }
        )
    )
    assert list(load_app(path).functions) == ["F"]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            ("CodeUri: src/", "CodeUri: missing/"),
            "template.yaml: Greet.Properties.CodeUri: folder 'missing/'",
        ),
        (
            ("Handler: app.handler\n      MemorySize", "Handler: nope.handler\n      MemorySize"),
            "template.yaml: Greet.Properties.Handler: module of 'nope.handler' not found",
        ),
        (
            ("MACHINE: !Ref Flow", "MACHINE: !Ref Flowx"),
            "template.yaml: Greet.Properties.Environment: Ref Flowx names no parameter",
        ),
        (
            ("GreetArn: !GetAtt Greet.Arn", "GreetArn: !GetAtt Greet.Nope"),
            "template.yaml: Flow.Properties.DefinitionSubstitutions: Fn::GetAtt Greet.Nope",
        ),
        (("Next: Store}", "Next: Nowhere}"), "template.yaml: Flow.Properties.Definition: "),
        (
            ("Default: dev,", "Default: test,"),
            "template.yaml: Parameters.Stage: 'test' is not one of AllowedValues",
        ),
        (("Path: /flow,", "Path: flow,"), "template.yaml: Flow.Properties.Events.Start.Properties.Path: "),
        (
            ("StateMachineName: classic", "StateMachineName: classic\n      Definition: {}"),
            "template.yaml: Classic.Properties: needs exactly one of",
        ),
        (
            ("Path: /flow, Method: post", 'Path: "/hello/{name}", Method: get'),
            "GET /hello/{name} is also declared by Flow.Properties.Events.Start",
        ),
    ],
)
def test_a_mistake_names_the_file_the_logical_id_and_the_property(tmp_path, change, problem):
    old, new = change
    assert old in TEMPLATE
    with pytest.raises(ManifestError) as raised:
        load_app(write(tmp_path, TEMPLATE.replace(old, new)))
    assert any(str(p).startswith(problem) or problem in str(p) for p in raised.value.problems), raised.value


def test_an_override_of_an_undeclared_parameter_is_a_mistake(tmp_path):
    with pytest.raises(ManifestError, match=r"Parameters\.Stag: --parameter-overrides names a parameter"):
        load_app(write(tmp_path), {"Stag": "prod"})


def test_a_parameter_without_default_or_override_is_a_mistake(tmp_path):
    with pytest.raises(
        ManifestError, match=r"Parameters\.Greeting: has no Default: pass --parameter-overrides"
    ):
        load_app(write(tmp_path, TEMPLATE.replace("{Type: String, Default: Hello}", "{Type: String}")))
