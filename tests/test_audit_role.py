"""deploy/audit-read-role.yaml: cfn-lint clean, read-only, trusting only the auditor account (or the
roles named), and allowing exactly the calls the audit makes in an audited account: the list is
not written here, it is what the audit called with the role's credentials when run against the
local stand-in over every path it has (an organization, every enabled Region, us-east-1 for ECR
Public, repositories with and without policies, pull-through cache rules, creation templates,
--security-hub). docs/audit.md lists the same calls, and the caller's."""

from __future__ import annotations

import json
import pathlib
import re
import subprocess
import sys

import pytest
from cfnlint.decode import decode

import audit_stub as stub
from dataperimeter_ecr_replicationguard.template.resolve import Context, Resolver
from scan_helpers import run_cli

ROOT = pathlib.Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "deploy" / "audit-read-role.yaml"
CALLER = "111111111111"
POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"}, "Action": "ecr:BatchGetImage"}]})


def resolved(parameters: dict, value_of):
    template, errors = decode(str(TEMPLATE))
    assert not errors, errors
    context = Context(account_id="222222222222", region="eu-west-1", stack_name="StackSet-audit-role-0a1b",
                      parameters={"AuditorAccountId": CALLER, **parameters}, use_parameter_defaults=True)
    resolution = Resolver(template, context).resolve(value_of(template))
    assert not resolution.unresolved, resolution.unresolved
    return resolution.value


def granted(parameters: dict) -> dict[str, set[str]]:
    """IAM action -> resources the role's inline policies allow."""
    grants: dict[str, set[str]] = {}
    for policy in resolved(parameters, lambda t: t["Resources"]["AuditReadRole"]["Properties"]["Policies"]):
        for statement in policy["PolicyDocument"]["Statement"]:
            assert statement["Effect"] == "Allow" and set(statement) <= {"Sid", "Effect", "Action", "Resource"}
            actions = [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
            for action in actions:
                grants.setdefault(action, set()).add(statement["Resource"])
    return grants


def every_path() -> stub.World:
    """An organization of the caller and two members whose registries hold every kind of setting."""
    world = stub.World()
    for n, account in enumerate((CALLER, "222222222222", "333333333333")):
        member = world.accounts[account] = stub.Account(name=f"account-{n}")
        for region in ("eu-west-1", "us-east-1"):
            registry = member.registry(region)
            registry.replication = {"rules": [{"destinations": [{"region": "eu-west-1", "registryId": CALLER}]}]}
            registry.registry_policy = POLICY
            registry.repositories = {"with-policy": POLICY, "without": None}
            registry.pull_through_cache_rules = [{"ecrRepositoryPrefix": "hub", "upstreamRegistryUrl": "public.ecr.aws"}]
            registry.creation_templates = [{"prefix": "team", "appliedFor": ["CREATE_ON_PUSH"], "repositoryPolicy": POLICY}]
        member.registry("us-east-1").public_repositories = {"tools": POLICY, "plain": None}
    return world


def audit_calls(monkeypatch, *extra: str, regions: str = "all") -> stub.World:
    world = every_path()
    with stub.serving(world) as url:
        for name, value in stub.environment(url, CALLER).items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("AWS_PROFILE", raising=False)
        code, _, err = run_cli("audit", "--organization", "--role-name", "EcrPerimeterGuardAuditRead",
                               "--regions", regions, *extra)
    assert code == 1, err  # read in full; the grants to 999999999999 fail
    return world


def test_cfn_lint_reports_nothing():
    result = subprocess.run([str(pathlib.Path(sys.executable).parent / "cfn-lint"), "--format", "parseable",
                             str(TEMPLATE)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and not result.stdout.strip() and not result.stderr.strip(), result.stdout


@pytest.mark.parametrize("security_hub", [False, True])
def test_the_role_allows_exactly_the_calls_the_audit_makes(monkeypatch, security_hub):
    world = audit_calls(monkeypatch, *(["--security-hub"] if security_hub else []))
    made = world.actions("role")
    grants = granted({"AllowSecurityHubImport": "true" if security_hub else "false"})
    assert made == set(grants)
    assert {"ecr:DescribeRegistry", "ecr-public:GetRepositoryPolicy", "ec2:DescribeRegions"} <= made  # every path ran
    assert ("securityhub:BatchImportFindings" in made) is security_hub
    assert all(r == {"*"} for a, r in grants.items() if a != "securityhub:BatchImportFindings")
    if security_hub:
        assert grants["securityhub:BatchImportFindings"] == {
            "arn:aws:securityhub:*:222222222222:product/222222222222/default"}  # its own findings only
        assert {f["AwsAccountId"] for f in world.imported} == {CALLER, "222222222222", "333333333333"}


def test_the_role_is_read_only_but_for_the_optional_import():
    for parameters in ({}, {"AllowSecurityHubImport": "true"}):
        writes = [a for a in granted(parameters) if not re.match(r"[\w-]+:(Describe|Get|List)", a)]
        assert writes == ([] if not parameters else ["securityhub:BatchImportFindings"])


def test_the_docs_list_the_calls_of_the_role_and_of_the_caller(monkeypatch):
    world = audit_calls(monkeypatch, "--security-hub")
    text = (ROOT / "docs" / "audit.md").read_text(encoding="utf-8")
    permissions = text[text.index("## Permissions"):]
    named = set(re.findall(r"`([a-z0-9-]+:[A-Za-z]+)`", permissions))
    caller = world.actions("caller")
    assert caller == {"sts:GetCallerIdentity", "sts:AssumeRole", "organizations:ListAccounts"}
    walk = audit_calls(monkeypatch, "--organizational-unit-ids", "r-root", regions="eu-west-1").actions("caller")
    assert walk - caller == {"organizations:ListAccountsForParent", "organizations:ListOrganizationalUnitsForParent"}
    assert set(granted({"AllowSecurityHubImport": "true"})) | caller | walk == named
    assert "`sts:GetCallerIdentity` needs no permission" in permissions


def test_the_trust_policy_admits_the_auditor_account_or_only_the_roles_named():
    def trust(parameters):
        return resolved(parameters, lambda t: t["Resources"]["AuditReadRole"]["Properties"]["AssumeRolePolicyDocument"])

    [statement] = trust({})["Statement"]
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{CALLER}:root"} and statement["Action"] == "sts:AssumeRole"
    assert "Condition" not in statement
    roles = [f"arn:aws:iam::{CALLER}:role/security/Auditor", f"arn:aws:iam::{CALLER}:role/Ci"]
    [statement] = trust({"AuditorPrincipalArns": roles})["Statement"]
    assert statement["Condition"] == {"ArnEquals": {"aws:PrincipalArn": roles}}


def test_the_role_name_is_what_the_audit_assumes_by_default_in_the_docs():
    template, _ = decode(str(TEMPLATE))
    name = template["Parameters"]["RoleName"]["Default"]
    assert name == stub.Account().role
    assert f"--role-name {name}" in (ROOT / "docs" / "audit.md").read_text(encoding="utf-8")
    assert f"--role-name {name}" in (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
