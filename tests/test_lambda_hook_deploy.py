"""deploy/lambda-hook.yaml and deploy/lambda-hook-stackset.yaml, tied to schema.json and to the
code as the registered hook's templates are (tests/test_deploy*.py lints them with the others):
the hook's target names are the schema's, its stack filters exclude its own stack, the settings
document the template hands the function validates, the roles grant what the door needs and no
more, and the StackSet passes every parameter through unchanged."""

from __future__ import annotations

import fnmatch
import importlib
import json
import pathlib

import pytest

from dataperimeter_ecr_replicationguard.aws_api.configuration_source import load_configuration
from dataperimeter_ecr_replicationguard.settings import parse_settings, properties_of
from test_deploy import SCHEMA, load, resolved, rules_allow
from test_deploy_policies import MEMBER, OTHER_ORG, assume, trust_policy

ROOT = pathlib.Path(__file__).resolve().parent.parent
TEMPLATE = "deploy/lambda-hook.yaml"
STACKSET = "deploy/lambda-hook-stackset.yaml"
STACK = "ecr-perimeter-guard"  # the stack name docs/operations.md deploys it under
PARAMETERS = {"PackageBucket": "pkg", "PackageKey": "dataperimeter-ecr-replicationguard-lambda-hook-0.1.0-x86_64.zip"}
TARGET_NAMES = list(dict.fromkeys(n for h in SCHEMA["handlers"].values() for n in h["targetNames"]))
PERMISSIONS = sorted({p for h in SCHEMA["handlers"].values() for p in h.get("permissions", [])})
FUNCTION_ARN = "arn:aws:lambda:eu-west-1:111122223333:function:f"
LOG_GROUP_ARN = "arn:aws:logs:eu-west-1:111122223333:log-group:g:*"


def value(get, parameters: dict | None = None, stack_name: str = STACK):
    """``get(template)`` resolved; what only exists once the stack's resources do (their ARNs) stays
    as written (``{"Fn::GetAtt": [...]}``, ``{"Ref": ...}``), and nothing else may be unresolved."""
    resolution = resolved(TEMPLATE, get, {**PARAMETERS, **(parameters or {})}, stack_name)
    other = [u for u in resolution.unresolved if "resource" not in u.reason]
    assert not other, other
    return resolution.value


def hook(parameters: dict | None = None, stack_name: str = STACK) -> dict:
    return value(lambda t: t["Resources"]["LambdaHook"]["Properties"], parameters, stack_name)


def function(parameters: dict | None = None) -> dict:
    return value(lambda t: t["Resources"]["Function"]["Properties"], parameters)


def grants(role: str, parameters: dict | None = None) -> dict[str, set]:
    policies = value(lambda t: t["Resources"][role]["Properties"]["Policies"], parameters)
    out: dict[str, set] = {}
    for policy in policies:
        for statement in policy["PolicyDocument"]["Statement"]:
            assert statement["Effect"] == "Allow" and "NotAction" not in statement and "NotResource" not in statement
            actions = [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
            resources = [statement["Resource"]] if isinstance(statement["Resource"], (str, dict)) else statement["Resource"]
            for action in actions:
                out.setdefault(action, set()).update(json.dumps(r) if isinstance(r, dict) else r for r in resources)
    return out


# -- the hook ----------------------------------------------------------------------------------


def test_the_hook_targets_exactly_what_the_schema_declares():
    properties = hook()
    assert properties["TargetFilters"]["TargetNames"] == TARGET_NAMES
    assert properties["TargetFilters"]["InvocationPoints"] == ["PRE_PROVISION"]
    assert properties["TargetFilters"]["Actions"] == ["CREATE", "UPDATE"]
    assert properties["TargetOperations"] == ["RESOURCE", "STACK", "CHANGE_SET"]
    assert properties["LambdaFunction"] == {"Fn::GetAtt": ["Function", "Arn"]}
    assert properties["ExecutionRole"] == {"Fn::GetAtt": ["HookRole", "Arn"]}
    assert properties["HookStatus"] == "ENABLED" and properties["FailureMode"] == "FAIL"
    assert hook({"FailureMode": "WARN"})["FailureMode"] == "WARN"
    assert set(load(TEMPLATE)["Parameters"]["FailureMode"]["AllowedValues"]) == {"FAIL", "WARN"}


def test_the_guard_answers_every_target_name_and_no_other():
    """The filter names the checked types: any other type would be answered UnsupportedTarget."""
    from dataperimeter_ecr_replicationguard.core import supported_types

    assert set(TARGET_NAMES) == set(supported_types()) | {"STACK", "CHANGE_SET"}


def test_the_stack_filters_exclude_the_hooks_own_stack_and_the_documented_ones():
    filters = hook()["StackFilters"]
    assert filters["FilteringCriteria"] == "ALL" and "Include" not in filters["StackNames"]
    excluded = filters["StackNames"]["Exclude"]
    assert excluded[0] == STACK
    assert set(excluded[1:]) == set(load("deploy/hook-registration.yaml")["Parameters"]["ExcludedStackNames"]
                                     ["Default"].split(","))
    assert hook({"ExcludedStackNames": [""]})["StackFilters"]["StackNames"]["Exclude"] == [STACK]
    assert not any(fnmatch.fnmatchcase("prod-ecr", p) for p in excluded)


def test_cloud_control_is_not_offered_and_resource_comes_with_every_stack_target():
    import itertools

    parameter = load(TEMPLATE)["Parameters"]["TargetOperations"]
    assert "CLOUD_CONTROL" not in parameter["AllowedValues"]
    for size in range(1, 4):
        for chosen in itertools.combinations(parameter["AllowedValues"], size):
            wanted = "RESOURCE" in chosen or not {"STACK", "CHANGE_SET"} & set(chosen)
            assert rules_allow(TEMPLATE, {"TargetOperations": list(chosen)}) == wanted, chosen


def test_the_alias_parameter_is_the_resource_schemas_pattern():
    import re

    pattern = load(TEMPLATE)["Parameters"]["HookAlias"]["AllowedPattern"]
    assert re.fullmatch(pattern.replace("(?!(?i)aws)", "(?!(?i:aws))"), "DataPerimeter::ECR::LambdaGuard")
    assert not re.fullmatch(pattern.replace("(?!(?i)aws)", "(?!(?i:aws))"), "Aws::ECR::Guard")


# -- the function and its settings -------------------------------------------------------------


def test_the_function_runs_the_door_the_package_builds():
    import sys

    sys.path.insert(0, str(ROOT / "tools"))
    from lambda_package import HANDLER

    properties = function()
    assert properties["Handler"] == HANDLER
    module, name = HANDLER.rsplit(".", 1)
    assert callable(getattr(importlib.import_module(module), name))
    assert properties["Runtime"] == json.loads((ROOT / ".rpdk-config").read_text())["runtime"]
    assert int(properties["Timeout"]) < 30  # CloudFormation waits 30 seconds for a Lambda hook
    from dataperimeter_ecr_replicationguard.lambda_hook import payload

    worst = payload.ATTEMPTS * payload.TIMEOUT_SECONDS + sum(payload.BACKOFF_SECONDS * a for a in range(1, payload.ATTEMPTS))
    assert worst <= int(properties["Timeout"]) - 5  # a failing payload URL is answered, with time for the rest
    assert properties["LoggingConfig"] == {"LogGroup": {"Ref": "LogGroup"}}
    assert properties["Code"] == {"S3Bucket": "pkg", "S3Key": PARAMETERS["PackageKey"]}
    assert function({"PackageBucketRegionSuffix": "true"})["Code"]["S3Bucket"] == "pkg-eu-west-1"
    assert function({"Architecture": "arm64"})["Architectures"] == ["arm64"]


@pytest.mark.parametrize("document", [None, *sorted((ROOT / "deploy").glob("type-configuration-*.json"))],
                         ids=lambda p: getattr(p, "name", "default"))
def test_the_configuration_parameter_becomes_a_document_the_function_reads(document):
    parameters = {} if document is None else {"Configuration": document.read_text(encoding="utf-8")}
    environment = function(parameters)["Environment"]["Variables"]
    assert environment["GUARD_CONFIGURATION_PARAMETER"] == ""
    settings = load_configuration(environment, lambda: None)
    expected = parse_settings(properties_of(json.loads(document.read_text())) if document else {})
    assert settings == expected


def test_the_configuration_parameter_fits_lambdas_environment_limit():
    assert load(TEMPLATE)["Parameters"]["Configuration"]["MaxLength"] <= 4096 - 200


@pytest.mark.parametrize("name, arn", [
    ("/ecr-perimeter-guard/settings", "arn:aws:ssm:eu-west-1:111122223333:parameter/ecr-perimeter-guard/settings"),
    ("ecr-perimeter-guard-settings", "arn:aws:ssm:eu-west-1:111122223333:parameter/ecr-perimeter-guard-settings"),
])
def test_an_ssm_parameter_replaces_the_document_and_only_it_may_be_read(name, arn):
    environment = function({"ConfigurationParameterName": name})["Environment"]["Variables"]
    assert environment == {"GUARD_CONFIGURATION": "", "GUARD_CONFIGURATION_PARAMETER": name}
    assert grants("FunctionRole", {"ConfigurationParameterName": name})["ssm:GetParameter"] == {arn}
    assert not rules_allow(TEMPLATE, {"ConfigurationParameterName": name, "Configuration": '{"A": 1}'})
    assert rules_allow(TEMPLATE, {"ConfigurationParameterName": name})


# -- roles ---------------------------------------------------------------------------------------


def test_the_function_role_grants_the_schema_permissions_its_logs_and_nothing_else():
    granted = grants("FunctionRole")
    assert sorted(set(granted) - {"logs:CreateLogStream", "logs:PutLogEvents"}) == [
        p for p in PERMISSIONS if p != "sts:AssumeRole"]
    assert granted["logs:PutLogEvents"] == {json.dumps({"Fn::GetAtt": ["LogGroup", "Arn"]})}
    role = "arn:aws:iam::123456789012:role/EcrPerimeterGuardOrganizationsRead"
    with_role = grants("FunctionRole", {"OrganizationsRoleArn": role, "SnapshotLocation": "s3://snap-bucket/org/a.json"})
    assert sorted(set(with_role) - {"logs:CreateLogStream", "logs:PutLogEvents", "s3:GetObject"}) == PERMISSIONS
    assert with_role["sts:AssumeRole"] == {role}
    assert with_role["s3:GetObject"] == {"arn:aws:s3:::snap-bucket/org/a.json"}


def test_the_function_role_is_one_the_organizations_read_role_admits():
    role = value(lambda t: t["Resources"]["FunctionRole"]["Properties"])
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    arn = f"arn:aws:iam::{MEMBER}:role{role['Path']}StackSet-ecr-perimeter-guard-lambda-hook-7b0c-FunctionRole-AbCdEf"
    assert assume(trust_policy(), arn) == "Allow"
    assert assume(trust_policy(), arn, org=OTHER_ORG) == "ImplicitDeny"


def test_the_hook_role_may_only_invoke_the_function():
    role = value(lambda t: t["Resources"]["HookRole"]["Properties"])
    [statement] = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "hooks.cloudformation.amazonaws.com"}
    assert statement["Condition"] == {"StringEqualsIfExists": {"aws:SourceAccount": "111122223333"}}
    assert grants("HookRole") == {"lambda:InvokeFunction": {json.dumps({"Fn::GetAtt": ["Function", "Arn"]})}}


def test_the_settings_parameters_carry_the_registrations_patterns():
    mine, registration = load(TEMPLATE)["Parameters"], load("deploy/hook-registration.yaml")["Parameters"]
    for name in ("OrganizationsRoleArn", "SnapshotLocation"):
        assert mine[name]["AllowedPattern"] == registration[name]["AllowedPattern"]
    assert mine["ConfigurationParameterName"]["AllowedPattern"] == registration["ExemptionsParameterName"]["AllowedPattern"]
    for name in ("TargetOperations", "TargetActions", "ExcludedStackNames", "FailureMode"):
        assert mine[name].get("AllowedValues") == registration[name].get("AllowedValues")
        assert mine[name]["Default"] == registration[name]["Default"]


# -- the StackSet --------------------------------------------------------------------------------


def test_the_stackset_rolls_the_lambda_hook_out_to_the_organization():
    template = load(STACKSET)
    props = template["Resources"]["LambdaHookStackSet"]["Properties"]
    assert props["PermissionModel"] == "SERVICE_MANAGED" and props["CallAs"] == {"Ref": "CallAs"}
    assert props["AutoDeployment"] == {"Enabled": True, "RetainStacksOnAccountRemoval": False}
    assert props["TemplateURL"] == {"Ref": "LambdaHookTemplateUrl"}
    assert props["Capabilities"] == ["CAPABILITY_IAM"]  # the roles have generated names
    assert not [n for n, r in load(TEMPLATE)["Resources"].items() if r["Type"] == "AWS::IAM::Role"
                and "RoleName" in r["Properties"]]
    assert template["Parameters"]["FailureMode"]["Default"] == "WARN"
    assert template["Parameters"]["PackageBucketRegionSuffix"]["Default"] == "true"  # Lambda code is per Region
    passed = {p["ParameterKey"]: p["ParameterValue"] for p in props["Parameters"]}
    inner, outer = load(TEMPLATE)["Parameters"], template["Parameters"]
    assert set(passed) == set(inner)
    for name, given in passed.items():
        if given == {"Ref": name}:
            for key in ("Type", "AllowedValues", "AllowedPattern", "MaxLength"):
                assert outer[name].get(key) == inner[name].get(key), (name, key)
        elif name != "ExcludedStackNames":
            assert given == {"Fn::Join": [",", {"Ref": name}]}
            assert outer[name]["AllowedValues"] == inner[name]["AllowedValues"]


def test_the_stackset_excludes_its_own_instances_from_the_hook():
    parameters = {"LambdaHookTemplateUrl": "https://b.s3.amazonaws.com/t", "PackageBucket": "b", "PackageKey": "k",
                  "OrganizationalUnitIds": ["r-ab12"], "Regions": ["eu-west-1"]}
    resolution = resolved(STACKSET, lambda t: t["Resources"]["LambdaHookStackSet"]["Properties"]["Parameters"],
                          parameters)
    excluded = {p["ParameterKey"]: p["ParameterValue"] for p in resolution.value}["ExcludedStackNames"]
    instance = "StackSet-ecr-perimeter-guard-lambda-hook-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"
    patterns = hook({"ExcludedStackNames": excluded.split(",")}, stack_name=instance)["StackFilters"]["StackNames"][
        "Exclude"]
    assert any(fnmatch.fnmatchcase(instance, p) for p in patterns)
    assert not any(fnmatch.fnmatchcase("prod-ecr", p) for p in patterns)
