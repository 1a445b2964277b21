"""The rollout templates in deploy/: lint-clean, and wired to what the schema and code say,
so a schema change the templates forget fails here. Templates are read with cfn-lint's decoder
(YAML short tags) and resolved with the project's own template resolver, as CloudFormation
would with the given parameter values."""

from __future__ import annotations

import fnmatch
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
# What any handler declares: the execution role must grant exactly this union.
PERMISSIONS = sorted({p for handler in SCHEMA["handlers"].values() for p in handler.get("permissions", [])})
TEMPLATES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "deploy").glob("*.yaml"))
LINTED = TEMPLATES + ["template.yml", "hook-role.yaml"]
ORG_ROLE = "arn:aws:iam::123456789012:role/EcrPerimeterGuardOrganizationsRead"


def load(path: str) -> dict:
    parsed, errors = decode(str(ROOT / path))
    assert not errors, errors
    return parsed


def resolved(path: str, value_of, parameters: dict, stack_name: str = "ecr-perimeter-guard"):
    """``value_of(template)`` resolved as CloudFormation would with these parameter values."""
    template = load(path)
    context = Context(account_id="111122223333", region="eu-west-1", stack_name=stack_name,
                      parameters=parameters, use_parameter_defaults=True)
    resolution = Resolver(template, context).resolve(value_of(template))
    return resolution


def registration_configuration(parameters: dict, stack_name: str = "ecr-perimeter-guard") -> dict:
    """The HookTypeConfig Configuration string of hook-registration.yaml, resolved, parsed as JSON."""
    resolution = resolved("deploy/hook-registration.yaml",
                          lambda t: t["Resources"]["HookTypeConfig"]["Properties"]["Configuration"],
                          {"PackageBucket": "b", "PackageKey": "k", **parameters}, stack_name)
    assert not resolution.unresolved, resolution.unresolved
    assert isinstance(resolution.value, str)
    return json.loads(resolution.value)


# -- cfn-lint ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lint_output() -> str:
    """One cfn-lint run over every template (one process: cfn-lint takes a second to start)."""
    result = subprocess.run([str(pathlib.Path(sys.executable).parent / "cfn-lint"), "--format", "parseable",
                             *(str(ROOT / p) for p in LINTED)], capture_output=True, text=True, timeout=300)
    assert result.returncode in (0, 2, 4, 6, 8, 10, 12, 14), result.stderr  # 0 or a lint-result bit mask
    assert not result.stderr.strip(), result.stderr
    return result.stdout


@pytest.mark.parametrize("path", LINTED)
def test_cfn_lint_reports_nothing(lint_output, path):
    """Zero errors, zero warnings, zero informational findings."""
    assert (ROOT / path).is_file()
    found = [line for line in lint_output.splitlines() if line.startswith(str(ROOT / path) + ":")]
    assert not found, "\n".join(found)


def test_cfn_lint_reports_broken_templates(tmp_path):
    """The lint test can fail: a HookTypeConfig with an object Configuration and a bad alias."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("Resources:\n  Config:\n    Type: AWS::CloudFormation::HookTypeConfig\n    Properties:\n"
                   "      TypeName: A::B::C\n      ConfigurationAlias: prod\n      Configuration: {a: 1}\n")
    result = subprocess.run([str(pathlib.Path(sys.executable).parent / "cfn-lint"), "--format", "parseable",
                             str(bad)], capture_output=True, text=True, timeout=300)
    assert result.returncode != 0 and "E3012" in result.stdout, result.stdout


# -- execution roles -----------------------------------------------------------------------


def execution_role(template: dict) -> tuple[str, dict]:
    [(name, role)] = [(n, r) for n, r in template["Resources"].items()
                      if r["Type"] == "AWS::IAM::Role" and "Execution" in n]
    return name, role


def granted(path: str, organizations_role_arn: str) -> dict[str, set]:
    """action -> resources the execution role's inline policies allow, for this parameter value."""
    resolution = resolved(path, lambda t: execution_role(t)[1]["Properties"].get("Policies", []),
                          {"PackageBucket": "b", "PackageKey": "k", "OrganizationsRoleArn": organizations_role_arn})
    assert not resolution.unresolved, resolution.unresolved
    grants: dict[str, set] = {}
    for policy in resolution.value:
        for statement in policy["PolicyDocument"]["Statement"]:
            assert statement["Effect"] == "Allow" and "NotAction" not in statement and "NotResource" not in statement
            actions = [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
            resources = [statement["Resource"]] if isinstance(statement["Resource"], str) else statement["Resource"]
            for action in actions:
                grants.setdefault(action, set()).update(resources)
    return grants


ROLE_TEMPLATES = ["deploy/hook-execution-role.yaml", "deploy/hook-registration.yaml", "hook-role.yaml"]


@pytest.mark.parametrize("path", ROLE_TEMPLATES)
def test_execution_role_grants_exactly_the_schema_permissions(path):
    grants = granted(path, ORG_ROLE)
    assert sorted(grants) == PERMISSIONS
    if "sts:AssumeRole" in grants:
        assert grants["sts:AssumeRole"] == {ORG_ROLE}  # never sts:AssumeRole on "*"


@pytest.mark.parametrize("path", ROLE_TEMPLATES)
def test_without_an_organizations_role_the_execution_role_assumes_nothing(path):
    grants = granted(path, "")
    assert "sts:AssumeRole" not in grants
    assert sorted(grants) == sorted(set(PERMISSIONS) - {"sts:AssumeRole"})


@pytest.mark.parametrize("path", ["deploy/hook-execution-role.yaml", "deploy/hook-registration.yaml"])
def test_execution_role_trusts_only_this_hook_type_in_this_account(path):
    trust = resolved(path, lambda t: execution_role(t)[1]["Properties"]["AssumeRolePolicyDocument"],
                     {"PackageBucket": "b", "PackageKey": "k"})
    assert not trust.unresolved, trust.unresolved
    [statement] = trust.value["Statement"]
    assert statement["Principal"] == {"Service": "hooks.cloudformation.amazonaws.com"}
    assert statement["Action"] == "sts:AssumeRole"
    type_arn_prefix = "arn:aws:cloudformation:eu-west-1:111122223333:type/hook/" + SCHEMA["typeName"].replace("::", "-")
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": "111122223333"},
                                      "StringLike": {"aws:SourceArn": type_arn_prefix + "/*"}}


@pytest.mark.parametrize("path", ["deploy/hook-execution-role.yaml", "deploy/hook-registration.yaml"])
def test_organizations_read_role_admits_the_execution_roles_these_templates_create(path):
    """The read role in the management account trusts the role path these templates use; the path
    holds even when CloudFormation truncates a generated name (a StackSet instance's stack name
    alone is 65 characters). IAM's own matching: tests/test_deploy_policies.py."""
    like = resolved("deploy/organizations-read-role.yaml",
                    lambda t: t["Resources"]["OrganizationsReadRole"]["Properties"]["AssumeRolePolicyDocument"],
                    {"OrganizationId": "o-a1b2c3d4e5"}).value["Statement"][0]["Condition"]["ArnLike"]["aws:PrincipalArn"]
    role = resolved(path, lambda t: execution_role(t)[1]["Properties"], {"PackageBucket": "b", "PackageKey": "k"}).value
    assert like == "arn:aws:iam::*:role/EcrPerimeterGuardHookExecutionRole/*"
    assert role["Path"] == "/EcrPerimeterGuardHookExecutionRole/"


# -- registration ---------------------------------------------------------------------------


# The property that names each retained resource type these templates use (a new type fails here).
PHYSICAL_NAME = {"AWS::Logs::LogGroup": "LogGroupName", "AWS::S3::Bucket": "BucketName"}


def with_stack_id(value, stack_id: str):
    """The template with ``Ref AWS::StackId`` given a value (the resolver does not know it)."""
    if isinstance(value, dict):
        if value == {"Ref": "AWS::StackId"}:
            return stack_id
        return {k: with_stack_id(v, stack_id) for k, v in value.items()}
    if isinstance(value, list):
        return [with_stack_id(v, stack_id) for v in value]
    if isinstance(value, str) and "${AWS::StackId}" in value:
        return value.replace("${AWS::StackId}", stack_id)
    return value


@pytest.mark.parametrize("path", TEMPLATES)
def test_a_failed_creation_can_be_retried(path):
    """A resource kept on deletion survives the rollback of a failed creation; if its name is fixed,
    the retry fails with "already exists". Its name must be generated or differ per stack (AWS::StackId)."""
    template = load(path)
    for logical_id, resource in template["Resources"].items():
        if resource.get("DeletionPolicy") != "Retain":
            continue
        assert resource["Type"] in PHYSICAL_NAME, f"{path} {logical_id}: which property names a {resource['Type']}?"
        if PHYSICAL_NAME[resource["Type"]] not in resource.get("Properties", {}):
            continue  # CloudFormation generates a new name for every creation
        names = set()
        for attempt in ("0a1b2c3d-0000-4000-8000-000000000001", "0a1b2c3d-0000-4000-8000-000000000002"):
            stack_id = f"arn:aws:cloudformation:eu-west-1:111122223333:stack/ecr-perimeter-guard/{attempt}"
            context = Context(account_id="111122223333", region="eu-west-1", stack_name="ecr-perimeter-guard",
                              parameters={"PackageBucket": "b", "PackageKey": "k", "OrganizationId": "o-a1b2c3d4e5",
                                          "ReleaseRoleArn": ORG_ROLE}, use_parameter_defaults=True)
            resolution = Resolver(with_stack_id(template, stack_id), context).resolve(
                with_stack_id(resource["Properties"][PHYSICAL_NAME[resource["Type"]]], stack_id))
            assert not resolution.unresolved, resolution.unresolved
            names.add(resolution.value)
        assert len(names) == 2, f"{path} {logical_id} keeps the name {names} across creations"




def test_registration_declares_role_logs_version_default_and_configuration():
    resources = load("deploy/hook-registration.yaml")["Resources"]
    assert {r["Type"] for r in resources.values()} >= {
        "AWS::IAM::Role", "AWS::Logs::LogGroup", "AWS::CloudFormation::HookVersion",
        "AWS::CloudFormation::HookDefaultVersion", "AWS::CloudFormation::HookTypeConfig"}
    version = resources["HookVersion"]["Properties"]
    assert version["TypeName"] == SCHEMA["typeName"]
    assert version["SchemaHandlerPackage"] == {"Fn::Sub": "s3://${PackageBucket}/${PackageKey}"}
    assert version["ExecutionRoleArn"] == {"Fn::If": ["CreateExecutionRole", {"Fn::GetAtt": ["ExecutionRole", "Arn"]},
                                                      {"Ref": "ExecutionRoleArn"}]}
    assert version["LoggingConfig"]["LogGroupName"] == {"Ref": "LogGroup"}
    assert resources["HookDefaultVersion"]["Properties"] == {"TypeVersionArn": {"Ref": "HookVersion"}}
    config = resources["HookTypeConfig"]
    assert config["Properties"]["ConfigurationAlias"] == "default"
    assert config["Properties"]["TypeArn"] == {"Fn::GetAtt": ["HookVersion", "TypeArn"]}
    assert config["DependsOn"] == "HookDefaultVersion"


def test_every_setting_flows_from_a_parameter_into_the_configuration():
    template = load("deploy/hook-registration.yaml")
    assert SETTINGS <= set(template["Parameters"])
    # Values that validate, so the document is also checked against the schema and read by the hook.
    values = {"TrustedAccountIds": "111122223333", "TrustDeployingAccount": "false",
              "AccountSource": "Organizations", "CacheTtlSeconds": "60", "Exemptions": "",
              "OrganizationsRoleArn": ORG_ROLE, "TrustedOrganizationIds": "o-a1b2c3d4e5",
              "TrustedOrganizationalUnitPaths": "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/",
              "AllowedReplicationRegions": "eu-west-1", "TrustedServicePrincipals": "codebuild.amazonaws.com",
              "AllowedUpstreamRegistryUrls": "public.ecr.aws", "OrganizationsLookup": "NamedAccounts",
              "SnapshotLocation": "s3://org-snapshots/ecr/membership.json", "SnapshotRegion": "us-east-1",
              "SnapshotMaxAgeSeconds": "3600", "SnapshotFallback": "NamedAccounts"}
    assert SETTINGS <= set(values), f"new settings {SETTINGS - set(values)}: add a value here and a parameter"
    properties = registration_configuration(values)["CloudFormationConfiguration"]["HookConfiguration"]["Properties"]
    assert set(properties) == SETTINGS
    assert properties == {name: values[name] for name in SETTINGS}
    jsonschema.validate(properties, SCHEMA["typeConfiguration"])
    settings = parse_settings(properties)
    assert settings.account_source == "Organizations" and settings.cache_ttl_seconds == 60
    assert settings.organizations_lookup == "NamedAccounts"
    assert settings.trust_deploying_account is False
    assert (settings.snapshot_location, settings.snapshot_region) == ("s3://org-snapshots/ecr/membership.json", "us-east-1")
    assert (settings.snapshot_max_age_seconds, settings.snapshot_fallback) == (3600, "NamedAccounts")


def test_hook_settings_flow_from_parameters_into_the_configuration():
    hook = registration_configuration({"FailureMode": "WARN", "HookInvocationStatus": "DISABLED",
                                       "TargetOperations": ["RESOURCE"], "TargetActions": ["CREATE"]})[
        "CloudFormationConfiguration"]["HookConfiguration"]
    assert hook["FailureMode"] == "WARN" and hook["HookInvocationStatus"] == "DISABLED"
    assert hook["TargetOperations"] == ["RESOURCE"]
    assert hook["TargetFilters"] == {"Actions": ["CREATE"], "InvocationPoints": ["PRE_PROVISION"]}


def test_defaults_make_a_valid_configuration_that_excludes_the_hook_stack():
    config = registration_configuration({})["CloudFormationConfiguration"]["HookConfiguration"]
    assert config["FailureMode"] == "FAIL" and config["HookInvocationStatus"] == "ENABLED"
    assert config["TargetOperations"] == ["RESOURCE", "STACK", "CHANGE_SET"]
    assert config["TargetFilters"]["Actions"] == ["CREATE", "UPDATE"]
    # Itself, and the rollout, package bucket and read-role stacks (so a bad configuration never
    # blocks the stack update that fixes it).
    assert config["StackFilters"]["StackNames"]["Exclude"] == [
        "ecr-perimeter-guard", "ecr-perimeter-guard-rollout", "ecr-perimeter-guard-bucket",
        "ecr-perimeter-guard-organizations-read-role", "ecr-perimeter-guard-snapshot",
        "ecr-perimeter-guard-detective", "ecr-perimeter-guard-detective-rollout", "ecr-perimeter-guard-detective-member"]
    jsonschema.validate(config["Properties"], SCHEMA["typeConfiguration"])
    assert parse_settings(config["Properties"]).trust_deploying_account is True


def test_excluded_stack_names_and_escaped_exemptions():
    exemptions = [{"StackNames": ["legacy-*"], "Reason": 'SEC-1 "DR"', "Expires": "2099-01-01"}]
    escaped = json.dumps(json.dumps(exemptions))[1:-1]
    pattern = load("deploy/hook-registration.yaml")["Parameters"]["Exemptions"]["AllowedPattern"]
    assert re.fullmatch(pattern, escaped) and not re.fullmatch(pattern, json.dumps(exemptions))
    config = registration_configuration({"Exemptions": escaped,
                                         "ExcludedStackNames": ["StackSet-ecr-perimeter-guard-*", "sandbox-*"]})
    hook = config["CloudFormationConfiguration"]["HookConfiguration"]
    assert hook["StackFilters"]["StackNames"]["Exclude"] == [
        "ecr-perimeter-guard", "StackSet-ecr-perimeter-guard-*", "sandbox-*"]
    [exemption] = parse_settings(hook["Properties"]).exemptions
    assert exemption.reason == 'SEC-1 "DR"'


# -- organization rollout -------------------------------------------------------------------


def test_stackset_rolls_the_registration_out_to_the_organization():
    template = load("deploy/org-stackset.yaml")
    [stackset] = template["Resources"].values()
    props = stackset["Properties"]
    assert stackset["Type"] == "AWS::CloudFormation::StackSet"
    assert props["PermissionModel"] == "SERVICE_MANAGED"
    assert props["CallAs"] == {"Ref": "CallAs"}
    assert set(template["Parameters"]["CallAs"]["AllowedValues"]) == {"SELF", "DELEGATED_ADMIN"}
    assert props["AutoDeployment"] == {"Enabled": True, "RetainStacksOnAccountRemoval": False}
    assert props["ManagedExecution"] == {"Active": True}
    preferences = props["OperationPreferences"]
    assert 0 < preferences["FailureTolerancePercentage"] < preferences["MaxConcurrentPercentage"] <= 50
    targets = props["StackInstancesGroup"][0]
    assert targets["DeploymentTargets"]["OrganizationalUnitIds"] == {"Ref": "OrganizationalUnitIds"}
    assert targets["Regions"] == {"Ref": "Regions"}
    assert props["TemplateURL"] == {"Ref": "RegistrationTemplateUrl"}
    assert "hook-registration.yaml" in template["Parameters"]["RegistrationTemplateUrl"]["Description"]


def test_stackset_deploys_role_hook_version_default_version_and_type_configuration():
    """What the StackSet deploys is hook-registration.yaml: every parameter it passes exists
    there, every required one is passed, every setting is passed, and the roles it creates
    need no more than the capabilities the StackSet grants."""
    props = load("deploy/org-stackset.yaml")["Resources"]["HookStackSet"]["Properties"]
    passed = {p["ParameterKey"]: p["ParameterValue"] for p in props["Parameters"]}
    registration = load("deploy/hook-registration.yaml")
    parameters = registration["Parameters"]
    # Everything but ExecutionRoleArn: every account creates its own role.
    assert set(passed) == set(parameters) - {"ExecutionRoleArn"}
    assert SETTINGS | {"HookInvocationStatus", "FailureMode", "TargetOperations", "TargetActions"} <= set(passed)
    outer = load("deploy/org-stackset.yaml")["Parameters"]
    for name, value in passed.items():
        if value == {"Ref": name}:  # passed through: same type and constraints as in the registration
            for key in ("Type", "AllowedValues", "AllowedPattern", "Default"):
                assert outer[name].get(key) == parameters[name].get(key) or (
                    name == "FailureMode" and key == "Default"), (name, key)
        elif parameters[name]["Type"] == "CommaDelimitedList" and name != "ExcludedStackNames":
            assert value == {"Fn::Join": [",", {"Ref": name}]}
            assert outer[name]["AllowedValues"] == parameters[name]["AllowedValues"]
    resources = registration["Resources"]
    kinds = {r["Type"] for r in resources.values()}
    assert {"AWS::IAM::Role", "AWS::CloudFormation::HookVersion", "AWS::CloudFormation::HookDefaultVersion",
            "AWS::CloudFormation::HookTypeConfig"} <= kinds
    named_roles = [n for n, r in resources.items() if r["Type"] == "AWS::IAM::Role" and "RoleName" in r["Properties"]]
    assert ("CAPABILITY_NAMED_IAM" in props["Capabilities"]) or not named_roles
    assert "CAPABILITY_IAM" in props["Capabilities"]


def test_stackset_excludes_its_own_stacks_from_the_hook():
    """A StackSet instance's stack is named StackSet-<name>-<uuid>: the pattern passed down
    must match it, so a bad configuration never blocks the stack that fixes it."""
    parameters = {"StackSetName": "ecr-perimeter-guard", "RegistrationTemplateUrl": "https://b.s3.amazonaws.com/t",
                  "PackageBucket": "b", "PackageKey": "k", "OrganizationalUnitIds": ["r-ab12"],
                  "Regions": ["eu-west-1"]}
    passed = resolved("deploy/org-stackset.yaml", lambda t: t["Resources"]["HookStackSet"]["Properties"]["Parameters"],
                      parameters).value
    excluded = {p["ParameterKey"]: p["ParameterValue"] for p in passed}["ExcludedStackNames"]
    instance_stack = "StackSet-ecr-perimeter-guard-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"
    hook = registration_configuration({"ExcludedStackNames": excluded.split(",")}, stack_name=instance_stack)[
        "CloudFormationConfiguration"]["HookConfiguration"]
    assert hook["StackFilters"]["FilteringCriteria"] == "ALL"
    assert any(fnmatch.fnmatchcase(instance_stack, p) for p in hook["StackFilters"]["StackNames"]["Exclude"])
    assert not any(fnmatch.fnmatchcase("prod-ecr", p) for p in hook["StackFilters"]["StackNames"]["Exclude"])
    assert "Include" not in hook["StackFilters"]["StackNames"]


def test_stackset_starts_in_warn():
    assert load("deploy/org-stackset.yaml")["Parameters"]["FailureMode"]["Default"] == "WARN"


# -- package bucket --------------------------------------------------------------------------


def test_package_bucket_is_tls_only_private_versioned_encrypted_and_org_readable():
    resources = load("deploy/package-bucket.yaml")["Resources"]
    bucket = resources["PackageBucket"]["Properties"]
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    [rule] = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    policy = resolved("deploy/package-bucket.yaml",
                      lambda t: t["Resources"]["PackageBucketPolicy"]["Properties"]["PolicyDocument"],
                      {"OrganizationId": "o-a1b2c3d4e5",
                       "ReleaseRoleArn": "arn:aws:iam::123456789012:role/Release"}).value
    statements = policy["Statement"]
    denies = [s for s in statements if s["Effect"] == "Deny"]
    allows = [s for s in statements if s["Effect"] == "Allow"]
    assert len(denies) + len(allows) == len(statements)
    [tls] = [s for s in denies if s["Sid"] == "DenyInsecureTransport"]
    assert tls["Principal"] == "*" and tls["Action"] == "s3:*"
    assert tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert tls["Resource"] == [{"Fn::GetAtt": ["PackageBucket", "Arn"]}, {"Fn::Sub": "${PackageBucket.Arn}/*"}]
    # Every Allow is read-only and only for principals of the organization (writes: test_deploy_policies.py).
    assert allows
    for allow in allows:
        assert set(allow["Action"]) <= {"s3:GetObject", "s3:GetObjectVersion"}
        assert allow["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}


@pytest.mark.parametrize("path", ["deploy/hook-registration.yaml", "deploy/org-stackset.yaml"])
def test_setting_parameters_cannot_break_the_configuration_json(path):
    """Parameter values are pasted into a JSON string by Fn::Sub: a quote or backslash would
    break it, so every setting parameter is constrained (Exemptions: escaped text only)."""
    parameters = load(path)["Parameters"]
    for name in SETTINGS & set(parameters):
        parameter = parameters[name]
        if "AllowedValues" in parameter:
            assert not any(set(str(v)) & {'"', "\\"} for v in parameter["AllowedValues"]), name
            continue
        pattern = parameter["AllowedPattern"]
        for breaking in ('a"b', "a\\", '"}, "x": "'):
            assert not re.fullmatch(pattern, breaking), (name, breaking)


@pytest.mark.parametrize("example", sorted((ROOT / "deploy").glob("type-configuration-*.json")), ids=lambda p: p.name)
def test_the_example_settings_can_be_given_as_parameters(example):
    """Every value of the example documents passes the registration parameter's constraints."""
    parameters = load("deploy/hook-registration.yaml")["Parameters"]
    properties = json.loads(example.read_text())["CloudFormationConfiguration"]["HookConfiguration"]["Properties"]
    for name, value in properties.items():
        if name == "Exemptions":
            value = json.dumps(value)[1:-1]
        parameter = parameters[name]
        if "AllowedValues" in parameter:
            assert value in parameter["AllowedValues"], name
        else:
            assert re.fullmatch(parameter["AllowedPattern"], value), (name, value)


# -- targets, exclusions, metrics, rollout pace ------------------------------------------------------


def rule_value(value, parameters: dict):
    """A CloudFormation Rules expression, evaluated (the functions these templates use)."""
    if isinstance(value, dict) and len(value) == 1:
        [(name, argument)] = value.items()
        if name == "Ref":
            return parameters[argument]
        arguments = [rule_value(a, parameters) for a in argument] if isinstance(argument, list) else argument
        if name == "Fn::Contains":
            return arguments[1] in arguments[0]
        if name == "Fn::Equals":
            return arguments[0] == arguments[1]
        if name == "Fn::Not":
            return not arguments[0]
        if name == "Fn::Or":
            return any(arguments)
        if name == "Fn::And":
            return all(arguments)
        raise AssertionError(f"rule function {name} is not modelled")
    return value


def rules_allow(path: str, parameters: dict) -> bool:
    template = load(path)
    values = {name: p.get("Default", "") for name, p in template["Parameters"].items()}
    for name, p in template["Parameters"].items():
        if p["Type"] == "CommaDelimitedList" and isinstance(values[name], str):
            values[name] = values[name].split(",")
    values.update(parameters)
    for rule in template.get("Rules", {}).values():
        if rule_value(rule.get("RuleCondition", True), values):
            if not all(rule_value(a["Assert"], values) for a in rule["Assertions"]):
                return False
    return True


@pytest.mark.parametrize("path", ["deploy/hook-registration.yaml", "deploy/org-stackset.yaml"])
def test_the_resource_target_comes_with_every_stack_target(path):
    """STACK and CHANGE_SET read the template as submitted, before transforms: resources made by
    Fn::ForEach, a macro or AWS::Include are seen only by the RESOURCE target. Every target set
    the template accepts that has STACK or CHANGE_SET also has RESOURCE."""
    import itertools

    parameter = load(path)["Parameters"]["TargetOperations"]
    allowed = parameter["AllowedValues"]
    assert "CLOUD_CONTROL" not in allowed  # AWS ignores stack filters for Cloud Control: the exclusions would go
    assert "RESOURCE" in parameter["Default"].split(",")
    for size in range(1, len(allowed) + 1):
        for chosen in itertools.combinations(allowed, size):
            wanted = "RESOURCE" in chosen or not {"STACK", "CHANGE_SET"} & set(chosen)
            assert rules_allow(path, {"TargetOperations": list(chosen)}) == wanted, chosen


def test_the_rules_evaluator_is_not_vacuous():
    assert not rules_allow("deploy/hook-registration.yaml", {"TargetOperations": ["STACK"]})
    assert rules_allow("deploy/hook-registration.yaml", {"TargetOperations": ["RESOURCE", "STACK"]})
    with pytest.raises(AssertionError):
        rule_value({"Fn::EachMemberIn": [[], []]}, {})


def test_documented_stacks_are_excluded_by_default():
    """Every stack docs/operations.md deploys is one the hook skips by default, so a configuration
    that fails every stack never refuses the update that fixes it."""
    doc = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    stacks = set(re.findall(r"--stack-name ([\w-]+)", doc)) | set(re.findall(r"--stack-name ([\w-]+)",
                                                                            (ROOT / "docs" / "organizations.md").read_text()))
    assert {"ecr-perimeter-guard", "ecr-perimeter-guard-rollout", "ecr-perimeter-guard-bucket"} <= stacks
    excluded = registration_configuration({})["CloudFormationConfiguration"]["HookConfiguration"]["StackFilters"][
        "StackNames"]["Exclude"]
    assert stacks <= set(excluded), stacks - set(excluded)
    stackset = load("deploy/org-stackset.yaml")["Parameters"]["ExcludedStackNames"]["Default"].split(",")
    assert stacks - {"ecr-perimeter-guard"} <= set(stackset)


def test_the_metrics_permission_names_the_namespace_the_library_publishes_to():
    """cloudformation_cli_python_lib publishes a hook's metrics under AWS/CloudFormation/<account>/<type>."""
    from cloudformation_cli_python_lib.metrics import HookMetricsPublisher

    statements = resolved("deploy/hook-registration.yaml",
                          lambda t: t["Resources"]["LogDeliveryRole"]["Properties"]["Policies"][0]["PolicyDocument"][
                              "Statement"], {"PackageBucket": "b", "PackageKey": "k"}).value
    [metrics] = [s for s in statements if s["Action"] == "cloudwatch:PutMetricData"]
    namespace = metrics["Condition"]["StringEquals"]["cloudwatch:namespace"]
    assert namespace == HookMetricsPublisher._make_hook_namespace(SCHEMA["typeName"], "111122223333")


def test_stackset_runs_at_the_documented_pace():
    """"25 % of the accounts at a time": in the default STRICT_FAILURE_TOLERANCE mode the
    concurrency would start at the failure tolerance + 1, so the mode is SOFT_FAILURE_TOLERANCE."""
    preferences = load("deploy/org-stackset.yaml")["Resources"]["HookStackSet"]["Properties"]["OperationPreferences"]
    assert preferences["ConcurrencyMode"] == "SOFT_FAILURE_TOLERANCE"
    assert preferences["MaxConcurrentPercentage"] == 25
    doc = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    assert "SOFT_FAILURE_TOLERANCE" in doc and "25%" in doc


def test_exemptions_can_come_from_an_ssm_parameter():
    config = registration_configuration({"ExemptionsParameterName": "/ecr-perimeter-guard/exemptions"})
    properties = config["CloudFormationConfiguration"]["HookConfiguration"]["Properties"]
    assert properties["Exemptions"] == "{{resolve:ssm:/ecr-perimeter-guard/exemptions}}"
    for path in ("deploy/hook-registration.yaml", "deploy/org-stackset.yaml"):
        assert not rules_allow(path, {"ExemptionsParameterName": "/x", "Exemptions": "[]"})
        assert rules_allow(path, {"ExemptionsParameterName": "/x", "Exemptions": ""})
        pattern = load(path)["Parameters"]["ExemptionsParameterName"]["AllowedPattern"]
        assert re.fullmatch(pattern, "/ecr-perimeter-guard/exemptions") and re.fullmatch(pattern, "")
        assert not any(re.fullmatch(pattern, bad) for bad in ('a"b', "a}}", "a\\b", "/a/"))
    assert registration_configuration({"Exemptions": "[]"})["CloudFormationConfiguration"]["HookConfiguration"][
        "Properties"]["Exemptions"] == "[]"
