"""The template resolver: what a template decides is resolved, what it does not stays an
intrinsic object (never a trusted value) and is listed with a reason."""

from __future__ import annotations

import datetime

import pytest

from dataperimeter_ecr_replicationguard.core import evaluate
from dataperimeter_ecr_replicationguard.core.trust import Trust
from dataperimeter_ecr_replicationguard.template import Context, Resolver, placeholder_account
from dataperimeter_ecr_replicationguard.template.yaml_loader import load_template_text

ACCOUNT = "111111111111"
CONTEXT = Context(account_id=ACCOUNT, region="eu-west-1", stack_name="demo")


def resolve(value, template=None, context=CONTEXT):
    resolution = Resolver(template or {}, context).resolve(value)
    return resolution.value, [(u.path, u.reason) for u in resolution.unresolved]


TEMPLATE = load_template_text("""
Parameters:
  Dr: {Type: String, Default: "222222222222"}
  NoDefault: {Type: String}
  Names: {Type: CommaDelimitedList, Default: "a, b,c"}
  Ids: {Type: "List<AWS::EC2::VPC::Id>", Default: "vpc-1,vpc-2"}
  FromSsm: {Type: "AWS::SSM::Parameter::Value<String>", Default: /acct}
  Env: {Type: String, Default: prod}
  Count: {Type: Number, Default: 3}
Mappings:
  M: {prod: {Account: "333333333333"}}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsThree: !Equals [!Ref Count, 3]
  NotProd: !Not [!Condition IsProd]
  Both: !And [!Condition IsProd, !Condition IsThree]
  Either: !Or [!Condition NotProd, !Condition IsThree]
  Unknown: !Equals [!Ref NoDefault, x]
  AndWithUnknownButFalse: !And [!Condition NotProd, !Condition Unknown]
  OrWithUnknownButTrue: !Or [!Condition Unknown, !Condition IsProd]
  Loop: !Condition Loop
Resources:
  Repo: {Type: AWS::ECR::Repository}
""")


@pytest.mark.parametrize(
    "value, expected",
    [
        ({"Ref": "AWS::AccountId"}, ACCOUNT),
        ({"Ref": "AWS::Region"}, "eu-west-1"),
        ({"Ref": "AWS::Partition"}, "aws"),
        ({"Ref": "AWS::URLSuffix"}, "amazonaws.com"),
        ({"Ref": "AWS::StackName"}, "demo"),
        ({"Ref": "Dr"}, "222222222222"),
        ({"Ref": "Names"}, ["a", "b", "c"]),
        ({"Ref": "Ids"}, ["vpc-1", "vpc-2"]),
        ({"Ref": "Count"}, "3"),
        ({"Fn::Sub": "arn:${AWS::Partition}:iam::${Dr}:root"}, "arn:aws:iam::222222222222:root"),
        ({"Fn::Sub": ["${A}-${AWS::Region}", {"A": {"Ref": "Env"}}]}, "prod-eu-west-1"),
        ({"Fn::Sub": "${!Literal} ${ Dr }"}, "${Literal} 222222222222"),
        ({"Fn::Join": [":", ["a", {"Ref": "Env"}, "c"]]}, "a:prod:c"),
        ({"Fn::Join": ["", {"Ref": "Names"}]}, "abc"),
        ({"Fn::Select": ["1", {"Ref": "Names"}]}, "b"),
        ({"Fn::Select": [0, {"Fn::Split": ["/", "x/y"]}]}, "x"),
        ({"Fn::Split": [",", "a,b"]}, ["a", "b"]),
        ({"Fn::FindInMap": ["M", {"Ref": "Env"}, "Account"]}, "333333333333"),
        ({"Fn::FindInMap": ["M", "test", "Account", {"DefaultValue": "d"}]}, "d"),
        ({"Fn::If": ["IsProd", "yes", "no"]}, "yes"),
        ({"Fn::If": ["NotProd", "yes", "no"]}, "no"),
        ({"Fn::If": ["Both", "yes", "no"]}, "yes"),
        ({"Fn::If": ["Either", "yes", "no"]}, "yes"),
        ({"Fn::If": ["AndWithUnknownButFalse", "yes", "no"]}, "no"),
        ({"Fn::If": ["OrWithUnknownButTrue", "yes", "no"]}, "yes"),
        ({"Fn::ToJsonString": {"a": {"Ref": "Env"}}}, '{"a":"prod"}'),
        ({"Fn::Length": [1, 2, 3]}, "3"),
        ({"Statement": [{"Fn::If": ["NotProd", {"Sid": "x"}, {"Ref": "AWS::NoValue"}]}, {"Sid": "y"}]},
         {"Statement": [{"Sid": "y"}]}),
        ({"A": {"Ref": "AWS::NoValue"}, "B": "b"}, {"B": "b"}),
        ({"Enabled": True, "Count": 5, "Ratio": 1.5, "Version": datetime.date(2012, 10, 17)},
         {"Enabled": "true", "Count": "5", "Ratio": "1.5", "Version": "2012-10-17"}),
    ],
)
def test_resolves_what_the_template_decides(value, expected):
    resolved, unresolved = resolve(value, TEMPLATE)
    assert resolved == expected
    assert unresolved == []


@pytest.mark.parametrize(
    "value, reason",
    [
        ({"Ref": "NoDefault"}, "parameter NoDefault has no value"),
        ({"Ref": "FromSsm"}, "SSM Parameter Store"),
        ({"Ref": "Repo"}, "physical ID"),
        ({"Ref": "Nowhere"}, "names no parameter"),
        ({"Fn::ImportValue": "export"}, "Fn::ImportValue"),
        ({"Fn::GetAtt": ["Repo", "Arn"]}, "Fn::GetAtt"),
        ({"Fn::Sub": "${Repo.Arn}"}, "attribute of a resource"),
        ({"Fn::Sub": "arn:aws:iam::${NoDefault}:root"}, "parameter NoDefault"),
        ({"Fn::Join": ["", ["a", {"Fn::ImportValue": "x"}]]}, "Fn::ImportValue"),
        ({"Fn::If": ["Unknown", "a", "b"]}, "condition Unknown does not evaluate"),
        ({"Fn::If": ["Loop", "a", "b"]}, "condition Loop does not evaluate"),
        ({"Fn::Select": ["5", ["a"]]}, "outside the list"),
        ({"Fn::FindInMap": ["M", "test", "Account"]}, "no entry M/test/Account"),
        ({"Fn::GetAZs": ""}, "Fn::GetAZs"),
        ({"Fn::Base64": "x"}, "Fn::Base64"),
        ("{{resolve:ssm:/acct}}", "dynamic reference"),
    ],
)
def test_unresolved_values_stay_intrinsic_and_are_listed(value, reason):
    resolved, unresolved = resolve({"RegistryId": value}, TEMPLATE)
    assert resolved == {"RegistryId": value}
    assert [path for path, _ in unresolved] == ["/RegistryId"]
    assert reason in unresolved[0][1]


def test_unknown_pseudo_parameters_stay_unresolved():
    context = Context()
    for name in ("AWS::AccountId", "AWS::Region", "AWS::StackName", "AWS::NotificationARNs"):
        resolved, unresolved = resolve({"Ref": name}, context=context)
        assert resolved == {"Ref": name} and unresolved, name
    # The partition of an unknown Region is the partition the trust uses too ("aws").
    assert resolve({"Ref": "AWS::Partition"}, context=context)[0] == "aws"
    assert resolve({"Ref": "AWS::Partition"}, context=Context(region="cn-north-1"))[0] == "aws-cn"
    assert resolve({"Ref": "AWS::URLSuffix"}, context=Context(region="cn-north-1"))[0] == "amazonaws.com.cn"


def test_given_parameters_win_over_defaults_and_defaults_can_be_refused():
    given = Context(account_id=ACCOUNT, parameters={"Dr": "444444444444"})
    assert resolve({"Ref": "Dr"}, TEMPLATE, given)[0] == "444444444444"
    stack_level = Context(account_id=ACCOUNT, use_parameter_defaults=False)
    resolved, unresolved = resolve({"Ref": "Dr"}, TEMPLATE, stack_level)
    assert resolved == {"Ref": "Dr"} and "not in the template" in unresolved[0][1]


def test_an_unresolved_value_deep_inside_is_marked_where_it_is():
    value = {"Statement": [{"Principal": {"AWS": [{"Fn::Sub": "arn:aws:iam::${Dr}:root"}, {"Fn::ImportValue": "x"}]}}]}
    resolved, unresolved = resolve(value, TEMPLATE)
    assert resolved["Statement"][0]["Principal"]["AWS"] == ["arn:aws:iam::222222222222:root", {"Fn::ImportValue": "x"}]
    assert [p for p, _ in unresolved] == ["/Statement/0/Principal/AWS/1"]


TRUST = Trust(accounts=frozenset({ACCOUNT}))


@pytest.mark.parametrize(
    "registry_id",
    [{"Ref": "NoDefault"}, {"Fn::ImportValue": "x"}, {"Fn::If": ["Unknown", ACCOUNT, ACCOUNT]},
     {"Fn::Sub": "${NoDefault}"}, {"Fn::Join": ["", [{"Ref": "NoDefault"}]]}, "{{resolve:ssm:/a}}",
     {"Ref": "FromSsm"}],
)
def test_an_unknown_never_becomes_a_trusted_destination(registry_id):
    properties = {"ReplicationConfiguration": {"Rules": [{"Destinations": [{"Region": "eu-west-1", "RegistryId": registry_id}]}]}}
    resolved, _ = resolve(properties, TEMPLATE)
    findings = evaluate("AWS::ECR::ReplicationConfiguration", "R", resolved, TRUST)
    assert findings and all(f.category.value == "unresolved" for f in findings)


def test_placeholder_account_is_never_an_id_the_template_mentions():
    assert placeholder_account({"A": "x"}) == "000000000000"
    assert placeholder_account({"A": "000000000000", "B": "arn:aws:iam::000000000001:root"}) == "000000000002"


def test_a_value_nested_as_deep_as_the_reader_allows_is_evaluated_with_its_basis(tmp_path):
    # Look-alikes of intrinsic functions (a reading key with another key beside it) nested 600
    # deep: the reader accepts them, and so must the evaluation, the parameter read at the bottom
    # in the verdict's basis (collecting the names read must not recurse deeper than the resolver)
    import json

    from scan_helpers import run_cli

    depth = 600
    value = '{"Fn::Sub": ' * depth + '{"Ref": "P"}' + ', "k": "v"}' * depth
    path = tmp_path / "deep.json"
    path.write_text('{"Parameters": {"P": {"Type": "String", "Default": "v"}}, "Resources": {"Repo": {"Type": '
                    '"AWS::ECR::Repository", "Properties": {"Tags": [{"Key": "k", "Value": ' + value + '}]}}}}')
    code, out, _ = run_cli("scan", str(path), "--format", "json", "--account", "111111111111")
    document = json.loads(out)
    assert document["unreadable"] == []
    [resource] = document["files"][0]["resources"]
    assert resource["logicalId"] == "Repo"
    assert resource["basis"] == ["parameter P = 'v' (its Default; another value at deploy time may change the verdict)"]
