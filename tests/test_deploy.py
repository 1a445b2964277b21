"""The rollout templates in deploy/: lint-clean, and wired to what the schema and code say,
so a schema change the templates forget fails here."""

from __future__ import annotations

import json
import pathlib
import re
import subprocess
import sys

import jsonschema
import pytest
from cfnlint.decode import decode

from dataperimeter_ecr_replicationguard.settings import parse_settings
from dataperimeter_ecr_replicationguard.template.resolve import Context, Resolver

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "schema.json").read_text())
SETTINGS = set(SCHEMA["typeConfiguration"]["properties"])
PERMISSIONS = sorted(SCHEMA["handlers"]["preCreate"]["permissions"])
TEMPLATES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "deploy").glob("*.yaml"))


def load(path: str) -> dict:
    parsed, errors = decode(str(ROOT / path))
    assert not errors, errors
    return parsed


def registration_configuration(parameters: dict) -> dict:
    """The HookTypeConfig Configuration string of hook-registration.yaml, resolved as
    CloudFormation would with these parameter values, parsed as JSON."""
    template = load("deploy/hook-registration.yaml")
    context = Context(account_id="111122223333", region="eu-west-1", stack_name="ecr-perimeter-guard",
                      parameters=parameters, use_parameter_defaults=True)
    resolved = Resolver(template, context).resolve(template["Resources"]["HookTypeConfig"]["Properties"]["Configuration"])
    assert not resolved.unresolved, resolved.unresolved
    assert isinstance(resolved.value, str)
    return json.loads(resolved.value)


@pytest.mark.parametrize("path", TEMPLATES + ["template.yml", "hook-role.yaml"])
def test_cfn_lint_reports_nothing(path):
    result = subprocess.run([str(pathlib.Path(sys.executable).parent / "cfn-lint"), "--format", "parseable",
                             str(ROOT / path)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


@pytest.mark.parametrize("path", ["deploy/hook-registration.yaml", "deploy/hook-execution-role.yaml", "hook-role.yaml"])
def test_execution_roles_grant_exactly_the_schema_permissions(path):
    template = load(path)
    roles = [r for name, r in template["Resources"].items() if r["Type"] == "AWS::IAM::Role" and "Execution" in name]
    [role] = roles
    actions, assume = set(), None
    for policy in role["Properties"]["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            if "Fn::If" in statement:
                statement = statement["Fn::If"][1]
                assume = statement
            action = statement["Action"]
            actions |= {action} if isinstance(action, str) else set(action)
    assert sorted(actions) == PERMISSIONS
    assert assume["Action"] == "sts:AssumeRole" and assume["Resource"] == {"Ref": "OrganizationsRoleArn"}
    trust = role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert "hooks.cloudformation.amazonaws.com" in json.dumps(trust["Principal"])
    assert "type/hook/DataPerimeter-ECR-ReplicationGuard/*" in json.dumps(trust["Condition"]["StringLike"])


def test_registration_declares_version_default_and_configuration():
    resources = load("deploy/hook-registration.yaml")["Resources"]
    types = {r["Type"] for r in resources.values()}
    assert {"AWS::CloudFormation::HookVersion", "AWS::CloudFormation::HookDefaultVersion",
            "AWS::CloudFormation::HookTypeConfig", "AWS::IAM::Role"} <= types
    assert resources["HookVersion"]["Properties"]["TypeName"] == SCHEMA["typeName"]
    assert resources["HookTypeConfig"]["Properties"]["ConfigurationAlias"] == "default"
    assert resources["HookTypeConfig"]["DependsOn"] == "HookDefaultVersion"


def test_every_setting_flows_from_a_parameter_into_the_configuration():
    template = load("deploy/hook-registration.yaml")
    assert SETTINGS <= set(template["Parameters"])
    marker = {name: f"V{i}" for i, name in enumerate(sorted(SETTINGS))}
    # Values that validate, so the document is also checked against the schema below.
    values = {**marker, "TrustedAccountIds": "111122223333", "TrustDeployingAccount": "false",
              "AccountSource": "Organizations", "CacheTtlSeconds": "60", "Exemptions": "",
              "OrganizationsRoleArn": "arn:aws:iam::123456789012:role/Read", "TrustedOrganizationIds": "o-a1b2c3d4e5",
              "TrustedOrganizationalUnitPaths": "", "AllowedReplicationRegions": "eu-west-1",
              "TrustedServicePrincipals": "codebuild.amazonaws.com", "AllowedUpstreamRegistryUrls": "public.ecr.aws"}
    properties = registration_configuration({"PackageBucket": "b", "PackageKey": "k", **values})[
        "CloudFormationConfiguration"]["HookConfiguration"]["Properties"]
    assert set(properties) == SETTINGS
    assert properties == {name: values[name] for name in SETTINGS}
    jsonschema.validate(properties, {**SCHEMA["typeConfiguration"], "definitions": SCHEMA.get("definitions", {})})
    assert parse_settings(properties).account_source == "Organizations"


def test_defaults_make_a_valid_configuration_that_excludes_the_hook_stack():
    config = registration_configuration({"PackageBucket": "b", "PackageKey": "k"})["CloudFormationConfiguration"][
        "HookConfiguration"]
    assert config["FailureMode"] == "FAIL" and config["TargetOperations"] == ["RESOURCE", "STACK", "CHANGE_SET"]
    assert config["StackFilters"]["StackNames"]["Exclude"] == ["ecr-perimeter-guard"]
    jsonschema.validate(config["Properties"], SCHEMA["typeConfiguration"])
    assert parse_settings(config["Properties"]).trust_deploying_account is True


def test_excluded_stack_names_and_escaped_exemptions():
    exemptions = [{"StackNames": ["legacy-*"], "Reason": 'SEC-1 "DR"', "Expires": "2099-01-01"}]
    escaped = json.dumps(json.dumps(exemptions))[1:-1]
    pattern = load("deploy/hook-registration.yaml")["Parameters"]["Exemptions"]["AllowedPattern"]
    assert re.fullmatch(pattern, escaped) and not re.fullmatch(pattern, json.dumps(exemptions))
    config = registration_configuration({"PackageBucket": "b", "PackageKey": "k", "Exemptions": escaped,
                                         "ExcludedStackNames": ["StackSet-ecr-perimeter-guard-*", "sandbox-*"]})
    hook = config["CloudFormationConfiguration"]["HookConfiguration"]
    assert hook["StackFilters"]["StackNames"]["Exclude"] == [
        "ecr-perimeter-guard", "StackSet-ecr-perimeter-guard-*", "sandbox-*"]
    [exemption] = parse_settings(hook["Properties"]).exemptions
    assert exemption.reason == 'SEC-1 "DR"'


def test_stackset_rolls_the_registration_out_to_the_organization():
    template = load("deploy/org-stackset.yaml")
    [stackset] = template["Resources"].values()
    props = stackset["Properties"]
    assert stackset["Type"] == "AWS::CloudFormation::StackSet"
    assert props["PermissionModel"] == "SERVICE_MANAGED"
    assert props["AutoDeployment"] == {"Enabled": True, "RetainStacksOnAccountRemoval": False}
    assert props["ManagedExecution"] == {"Active": True}
    assert 0 < props["OperationPreferences"]["FailureTolerancePercentage"] < props["OperationPreferences"][
        "MaxConcurrentPercentage"] <= 100
    targets = props["StackInstancesGroup"][0]
    assert targets["DeploymentTargets"]["OrganizationalUnitIds"] == {"Ref": "OrganizationalUnitIds"}
    assert targets["Regions"] == {"Ref": "Regions"}
    passed = {p["ParameterKey"]: p["ParameterValue"] for p in props["Parameters"]}
    registration = load("deploy/hook-registration.yaml")["Parameters"]
    assert set(passed) <= set(registration)
    assert {name for name, p in registration.items() if "Default" not in p} <= set(passed)
    assert passed["ExcludedStackNames"] == {"Fn::Sub": "StackSet-${StackSetName}-*"}
    assert SETTINGS - {"TrustDeployingAccount"} <= set(passed)


def test_package_bucket_is_tls_only_private_versioned_encrypted_and_org_readable():
    resources = load("deploy/package-bucket.yaml")["Resources"]
    bucket = resources["PackageBucket"]["Properties"]
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    deny, allow = resources["PackageBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert allow["Effect"] == "Allow" and allow["Action"] == "s3:GetObject"
    assert allow["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": {"Ref": "OrganizationId"}}}


@pytest.mark.parametrize("path", sorted(p.name for p in (ROOT / "deploy").glob("type-configuration-*.json")))
def test_example_type_configurations_validate_against_the_schema(path):
    document = json.loads((ROOT / "deploy" / path).read_text())
    properties = document["CloudFormationConfiguration"]["HookConfiguration"]["Properties"]
    jsonschema.validate(properties, SCHEMA["typeConfiguration"])
    parse_settings(properties)  # and the hook reads it
    assert len(json.dumps(document)) <= 204_800
