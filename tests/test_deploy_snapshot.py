"""deploy/snapshot-producer.yaml and the Snapshot read permission of the registration templates:
the bucket policy and roles evaluated with IAM's matching (tests/test_deploy_policies.py), the
key grammar tied to schema.json's SnapshotLocation, the parameters flowing through the StackSet."""

from __future__ import annotations

import re

import pytest

from dataperimeter_ecr_replicationguard.settings import parse_settings
from test_deploy import SCHEMA, load, resolved
from test_deploy_policies import Request, evaluate

ORG, OTHER_ORG = "o-a1b2c3d4e5", "o-zzzzzzzzzz"
BUCKET = "arn:aws:s3:::ecr-perimeter-guard-snapshot-bucket-1a2b3c4d5e6f"
PRODUCER = "arn:aws:iam::123456789012:role/ecr-perimeter-guard-snapshot-ProducerRole-ABC"
KEY = "ecr-perimeter-guard/membership-snapshot.json"
LOG_GROUP = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/ecr-perimeter-guard-snapshot-producer:*"
HOOK_ROLE = "arn:aws:iam::444455556666:role/EcrPerimeterGuardHookExecutionRole/ecr-perimeter-guard-ExecutionRole-X"


def given(value):
    """The template with its GetAtts given the values CloudFormation gives them."""
    if isinstance(value, dict):
        if value == {"Fn::GetAtt": ["SnapshotBucket", "Arn"]}:
            return BUCKET
        if value == {"Fn::GetAtt": ["ProducerRole", "Arn"]}:
            return PRODUCER
        if value == {"Fn::GetAtt": ["LogGroup", "Arn"]}:
            return LOG_GROUP
        return {k: given(v) for k, v in value.items()}
    if isinstance(value, list):
        return [given(v) for v in value]
    if isinstance(value, str):
        return value.replace("${SnapshotBucket.Arn}", BUCKET).replace("${SnapshotBucket}", BUCKET.split(":")[-1])
    return value


def producer_template_value(select) -> object:
    from dataperimeter_ecr_replicationguard.template.resolve import Context, Resolver

    template = given(load("deploy/snapshot-producer.yaml"))
    context = Context(account_id="123456789012", region="us-east-1", stack_name="ecr-perimeter-guard-snapshot",
                      parameters={"OrganizationId": ORG, "CodeBucket": "c", "CodeKey": "k"}, use_parameter_defaults=True)
    resolution = Resolver(template, context).resolve(select(template))
    assert not resolution.unresolved, resolution.unresolved
    return resolution.value


def s3(action: str, principal: str, key: str = KEY, **context) -> str:
    context.setdefault("aws:SecureTransport", "true")
    context.setdefault("aws:PrincipalOrgID", ORG)
    policy = producer_template_value(lambda t: t["Resources"]["SnapshotBucketPolicy"]["Properties"]["PolicyDocument"])
    return evaluate(policy, Request(action, principal, f"{BUCKET}/{key}", context))


def test_the_hook_roles_of_the_organization_read_the_snapshot_and_nobody_else():
    assert s3("s3:GetObject", HOOK_ROLE) == "Allow"
    assert s3("s3:GetObject", HOOK_ROLE, **{"aws:PrincipalOrgID": OTHER_ORG}) == "Deny"
    assert s3("s3:GetObject", HOOK_ROLE, **{"aws:SecureTransport": "false"}) == "Deny"
    for other in ("arn:aws:iam::444455556666:role/Admin", "arn:aws:iam::444455556666:role/EcrPerimeterGuardHookExecutionRoleX",
                  "arn:aws:iam::444455556666:role/other/EcrPerimeterGuardHookExecutionRole/x"):
        assert s3("s3:GetObject", other) == "Deny", other
    assert s3("s3:GetObject", HOOK_ROLE, key="other.json") == "ImplicitDeny"  # only the snapshot key


@pytest.mark.parametrize("action", ["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObjectAcl"])
def test_only_the_producer_writes(action):
    for principal in (HOOK_ROLE, "arn:aws:iam::123456789012:role/Admin", "arn:aws:iam::123456789012:root"):
        assert s3(action, principal) == "Deny", principal
    assert s3(action, PRODUCER) != "Deny"


def test_the_bucket_is_versioned_private_and_encrypted():
    bucket = load("deploy/snapshot-producer.yaml")["Resources"]["SnapshotBucket"]["Properties"]
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]


def test_the_producer_role_has_least_privilege():
    policies = producer_template_value(lambda t: t["Resources"]["ProducerRole"]["Properties"]["Policies"])
    grants: dict[str, set] = {}
    for policy in policies:
        for statement in policy["PolicyDocument"]["Statement"]:
            assert statement["Effect"] == "Allow"
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            for action in actions:
                grants.setdefault(action, set()).add(statement["Resource"])
    assert grants == {
        "organizations:DescribeOrganization": {"*"}, "organizations:ListRoots": {"*"},
        "organizations:ListOrganizationalUnitsForParent": {"*"}, "organizations:ListAccountsForParent": {"*"},
        "s3:GetObject": {f"{BUCKET}/{KEY}"}, "s3:PutObject": {f"{BUCKET}/{KEY}"},
        "logs:CreateLogStream": {LOG_GROUP}, "logs:PutLogEvents": {LOG_GROUP},
    }
    from dataperimeter_ecr_replicationguard import snapshot_producer

    called = {"describe_organization", "list_roots", "list_organizational_units_for_parent", "list_accounts_for_parent"}
    source = open(snapshot_producer.__file__, encoding="utf-8").read()
    assert {m for m in re.findall(r'"((?:describe|list)_[a-z_]+)"', source)} == called  # what the code calls


def test_the_key_the_stack_accepts_is_a_location_the_hook_accepts():
    """The SnapshotKey parameter's grammar is the key part of schema.json's SnapshotLocation pattern,
    and the SnapshotLocation output is read by the hook."""
    key_pattern = load("deploy/snapshot-producer.yaml")["Parameters"]["SnapshotKey"]["AllowedPattern"]
    location = SCHEMA["typeConfiguration"]["properties"]["SnapshotLocation"]["pattern"]
    assert key_pattern.removeprefix("^").removesuffix("$") in location
    output = producer_template_value(lambda t: t["Outputs"]["SnapshotLocation"]["Value"])
    assert output == f"s3://{BUCKET.split(':')[-1]}/{KEY}"
    assert parse_settings({"SnapshotLocation": output}).snapshot_location == output


def snapshot_grants(path: str, **parameters) -> dict[str, set]:
    from test_deploy import execution_role

    resolution = resolved(path, lambda t: execution_role(t)[1]["Properties"].get("Policies", []),
                          {"PackageBucket": "b", "PackageKey": "k", **parameters})
    assert not resolution.unresolved, resolution.unresolved
    grants: dict[str, set] = {}
    for policy in resolution.value:
        for statement in policy["PolicyDocument"]["Statement"]:
            actions = [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
            for action in actions:
                grants.setdefault(action, set()).update([statement["Resource"]] if isinstance(statement["Resource"], str)
                                                        else statement["Resource"])
    return grants


@pytest.mark.parametrize("path,parameters", [("deploy/hook-registration.yaml", {"AccountSource": "Snapshot"}),
                                             ("deploy/hook-execution-role.yaml", {})])
def test_with_snapshot_the_execution_role_reads_exactly_the_snapshot_object(path, parameters):
    grants = snapshot_grants(path, SnapshotLocation="s3://org-snapshots/ecr/membership.json", **parameters)
    assert grants["s3:GetObject"] == {"arn:aws:s3:::org-snapshots/ecr/membership.json"}
    assert not {a for a in grants if a.startswith("s3:") and a != "s3:GetObject"}
    assert "s3:GetObject" not in snapshot_grants(path, **parameters)


@pytest.mark.parametrize("parameters", [{}, {"AccountSource": "Organizations",
                                             "SnapshotLocation": "s3://org-snapshots/ecr/membership.json"},
                                        {"AccountSource": "Snapshot"}])
def test_otherwise_the_execution_role_reads_no_object(parameters):
    assert "s3:GetObject" not in snapshot_grants("deploy/hook-registration.yaml", **parameters)


def test_the_stackset_passes_the_snapshot_settings_to_every_registration():
    stackset = load("deploy/org-stackset.yaml")
    passed = {p["ParameterKey"]: p["ParameterValue"] for p in
              stackset["Resources"]["HookStackSet"]["Properties"]["Parameters"]}
    for name in ("SnapshotLocation", "SnapshotRegion", "SnapshotMaxAgeSeconds", "SnapshotFallback"):
        assert passed[name] == {"Ref": name}
    assert "Snapshot" in stackset["Parameters"]["AccountSource"]["AllowedValues"]
