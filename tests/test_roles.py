"""The roles grant exactly what the handlers use: the schema, hook-role.yaml and the
Organizations read role agree with the code's own list of actions."""

from __future__ import annotations

import json
import pathlib

from cfnlint.decode import decode

from dataperimeter_ecr_replicationguard.trust_sources.organizations import ACTIONS

ROOT = pathlib.Path(__file__).resolve().parent.parent


def template(path: str) -> dict:
    parsed, errors = decode(str(ROOT / path))
    assert not errors, errors
    return parsed


def statements(role: dict) -> list:
    return [s for policy in role["Properties"]["Policies"] for s in policy["PolicyDocument"]["Statement"]]


def test_schema_declares_exactly_the_actions_the_code_calls():
    schema = json.loads((ROOT / "schema.json").read_text())
    for handler in schema["handlers"].values():
        assert sorted(handler["permissions"]) == sorted([*ACTIONS, "sts:AssumeRole"])


def test_hook_role_scopes_assume_role_to_the_configured_role():
    role = template("hook-role.yaml")["Resources"]["ExecutionRole"]
    read, assume = statements(role)
    assert sorted(read["Action"]) == sorted(ACTIONS)
    then = assume["Fn::If"][1]
    assert assume["Fn::If"][0] == "HasOrganizationsRole" and assume["Fn::If"][2] == {"Ref": "AWS::NoValue"}
    assert then["Action"] == "sts:AssumeRole" and then["Resource"] == {"Ref": "OrganizationsRoleArn"}


def test_organizations_read_role_is_read_only_and_trusts_only_the_organization():
    role = template("deploy/organizations-read-role.yaml")["Resources"]["OrganizationsReadRole"]
    [read] = statements(role)
    assert sorted(read["Action"]) == sorted(ACTIONS)
    assert all(a.split(":")[1].startswith(("Describe", "List")) for a in read["Action"])
    [trust] = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Condition"]["StringEquals"] == {"aws:PrincipalOrgID": {"Ref": "OrganizationId"}}
    assert "aws:PrincipalArn" in trust["Condition"]["ArnLike"]


def test_every_execution_role_trusts_only_the_hooks_service():
    """One principal everywhere: hooks.cloudformation.amazonaws.com invokes hooks (the cfn CLI also
    writes resources.cloudformation.amazonaws.com, the resource types' principal; tools/generate.py
    drops it), always with this account and this hook type as the source."""
    for path in ("hook-role.yaml", "deploy/hook-registration.yaml", "deploy/hook-execution-role.yaml"):
        resources = template(path)["Resources"]
        [role] = [r for n, r in resources.items() if r["Type"] == "AWS::IAM::Role" and n == "ExecutionRole"]
        [trust] = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert trust["Principal"] == {"Service": "hooks.cloudformation.amazonaws.com"}, path
        assert set(trust["Condition"]) == {"StringEquals", "StringLike"}, path
