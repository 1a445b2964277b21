"""The IAM policies of the rollout, evaluated as IAM would: the Organizations read role's trust
policy, the SCP that protects the hook execution role path, and the package bucket policy.

The templates are resolved with the given parameter values (the project's own resolver, as in
test_deploy.py), and each request is evaluated by a small matcher written from the IAM User
Guide's condition operator reference, not from these policies:
- ``StringLike``: ``*`` matches any run of characters, ``/`` and ``:`` included, ``?`` one character;
- ``ArnLike``/``ArnEquals`` (the same operator): each of the six colon-delimited parts of the ARN is
  matched on its own, so ``*`` spans ``/`` (a role path) but never ``:``;
- case-sensitive values; several values for one key are ORed, several keys and operators ANDed;
- a key absent from the request fails every operator but the negated ones (``...Not...``), which
  it satisfies, and ``ForAnyValue``, which it fails; ``IfExists`` makes an absent key pass;
- an explicit Deny wins over any Allow; with neither, the request is implicitly denied.
Anything the matcher does not know (an operator, NotPrincipal, a policy variable) raises, so a
policy it cannot read never passes by accident.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest

from dataperimeter_ecr_replicationguard.template.resolve import Context, Resolver
from test_deploy import load, resolved

ORG = "o-a1b2c3d4e5"
OTHER_ORG = "o-zzzzzzzzzz"
MEMBER = "444455556666"


# -- the matcher -------------------------------------------------------------------------------


def string_like(pattern: str, value: str) -> bool:
    if "${" in pattern:
        raise AssertionError(f"policy variables are not modelled: {pattern!r}")
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, flags=re.S) is not None


def arn_like(pattern: str, value: str) -> bool:
    parts, values = pattern.split(":", 5), value.split(":", 5)
    if len(parts) != 6 or len(values) != 6:
        return False
    return all(string_like(p, v) for p, v in zip(parts, values, strict=True))


_BASE = {
    "StringEquals": lambda p, v: p == v,
    "StringLike": string_like,
    "ArnEquals": arn_like,
    "ArnLike": arn_like,
    "Bool": lambda p, v: str(p).lower() == str(v).lower(),
}
_NEGATED = {"StringNotEquals": "StringEquals", "StringNotLike": "StringLike",
            "ArnNotEquals": "ArnEquals", "ArnNotLike": "ArnLike"}


@dataclass
class Request:
    action: str
    principal_arn: str
    resource: str = ""
    context: dict = field(default_factory=dict)

    def value(self, key: str):
        context = {"aws:principalarn": self.principal_arn,
                   **({"aws:principalaccount": self.principal_arn.split(":")[4]} if ":" in self.principal_arn else {}),
                   **{k.lower(): v for k, v in self.context.items()}}
        return context.get(key.lower())


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def condition_holds(operator: str, key: str, expected, request: Request) -> bool:
    expected = [str(e).lower() if isinstance(e, bool) else str(e) for e in _as_list(expected)]
    qualifier, _, name = operator.rpartition(":")
    if_exists = name.endswith("IfExists")
    name = name.removesuffix("IfExists")
    if name == "Null":
        return (request.value(key) is None) == (expected[0].lower() == "true")
    negated = name in _NEGATED
    match = _BASE[_NEGATED.get(name, name)]
    actual = request.value(key)
    if actual is None:
        return if_exists or negated or qualifier == "ForAllValues"
    if qualifier in ("ForAnyValue", "ForAllValues"):
        hits = [any(match(e, a) for e in expected) for a in _as_list(actual)]
        found = any(hits) if qualifier == "ForAnyValue" else all(hits)
        return not found if negated else found
    assert not qualifier and not isinstance(actual, list), (operator, key, actual)
    found = any(match(e, actual) for e in expected)
    return not found if negated else found


def statement_applies(statement: dict, request: Request) -> bool:
    assert not {"NotPrincipal", "NotResource"} & set(statement), statement
    principal = statement.get("Principal")
    if principal is not None and principal != "*":
        arns = _as_list(principal.get("AWS", [])) + _as_list(principal.get("Service", []))
        if "*" not in arns and request.principal_arn not in arns:
            return False
    actions = _as_list(statement.get("Action", statement.get("NotAction")))
    hit = any(string_like(a.lower(), request.action.lower()) for a in actions)
    if hit != ("Action" in statement):
        return False
    if "Resource" in statement and not any(string_like(r, request.resource) for r in _as_list(statement["Resource"])):
        return False
    return all(condition_holds(operator, key, expected, request)
               for operator, block in statement.get("Condition", {}).items()
               for key, expected in block.items())


def evaluate(policy: dict, request: Request) -> str:
    """"Deny" (explicit), "Allow", or "ImplicitDeny"."""
    effects = {s["Effect"] for s in _as_list(policy["Statement"]) if statement_applies(s, request)}
    return "Deny" if "Deny" in effects else "Allow" if "Allow" in effects else "ImplicitDeny"


def test_the_matcher_reads_iam_wildcards_as_iam_does():
    assert arn_like("arn:aws:iam::*:role/*ExecutionRole*", "arn:aws:iam::1:role/service-role/AmazonSageMaker-ExecutionRole-1")
    assert not arn_like("arn:aws:iam::*:role/x", "arn:aws:iam::1:role/X")           # case-sensitive
    assert not arn_like("arn:aws:iam::*:role/a?", "arn:aws:iam::1:role/a")          # ? is one character
    assert not arn_like("arn:aws:iam:*:role/a", "arn:aws:iam::1:role/a")            # * never spans ":"
    assert string_like("a*", "a:b/c") and not string_like("a", "ab")
    request = Request("sts:AssumeRole", "arn:aws:iam::1:role/r")
    assert condition_holds("ArnNotLike", "aws:PrincipalArn", "arn:aws:iam::*:role/other", request)
    assert condition_holds("StringNotEquals", "aws:PrincipalOrgID", ORG, request)   # absent: negated holds
    assert not condition_holds("StringEquals", "aws:PrincipalOrgID", ORG, request)
    assert not condition_holds("ForAnyValue:StringLike", "aws:PrincipalOrgPaths", "o-*", request)
    assert condition_holds("Null", "s3:if-none-match", "true", request)
    with pytest.raises(KeyError):
        condition_holds("NumericLessThan", "k", "1", request)


# -- the Organizations read role ---------------------------------------------------------------


def trust_policy(**parameters) -> dict:
    resolution = resolved("deploy/organizations-read-role.yaml",
                          lambda t: t["Resources"]["OrganizationsReadRole"]["Properties"]["AssumeRolePolicyDocument"],
                          {"OrganizationId": ORG, **parameters})
    assert not resolution.unresolved, resolution.unresolved
    return resolution.value


def assume(policy: dict, role_arn: str, org: str = ORG, org_paths: list | None = None) -> str:
    context = {"aws:PrincipalOrgID": org}
    if org_paths is not None:
        context["aws:PrincipalOrgPaths"] = org_paths
    return evaluate(policy, Request("sts:AssumeRole", role_arn, context=context))


def role_arn_created_by(path: str) -> str:
    """The ARN of the hook execution role a template creates, in a member account; where
    CloudFormation generates the name, the longest a StackSet instance gives."""
    resolution = resolved(path, lambda t: t["Resources"]["ExecutionRole"]["Properties"],
                          {"PackageBucket": "b", "PackageKey": "k"})
    assert not resolution.unresolved, resolution.unresolved
    properties = resolution.value
    name = properties.get("RoleName", "StackSet-ecr-perimeter-guard-7b0c2d9e-1a2b-3c-ExecutionRole-AbCdEfGhIjKl")
    return f"arn:aws:iam::{MEMBER}:role{properties.get('Path', '/')}{name}"


# Roles that exist in many member accounts and must never read the organization: AWS defaults, the
# StackSet roles, the roles `cfn submit` deploys for this and other types, and look-alikes of the path.
NOT_HOOK_ROLES = [
    "ecsTaskExecutionRole",
    "service-role/AmazonSageMaker-ExecutionRole-20240101T000000",
    "service-role/AmazonBedrockExecutionRoleForAgents_ABCDEFGHIJ",
    "service-role/AmazonBedrockExecutionRoleForKnowledgeBase_abcde",
    "AWSCloudFormationStackSetExecutionRole",
    "stacksets-exec-0123456789abcdef0123456789abcdef",
    "dataperimeter-ecr-replicationguard-role-s-ExecutionRole-ABCDEFGHIJKL",
    "acme-widgets-resource-role-stack-ExecutionRole-ZYXWVUTSRQPO",
    "EcrPerimeterGuardHookExecutionRole-eu-west-1",
    "service-role/EcrPerimeterGuardHookExecutionRole/x",
    "EcrPerimeterGuardHookExecutionRoleX/x",
    "Admin",
]


@pytest.mark.parametrize("path", ["deploy/hook-registration.yaml", "deploy/hook-execution-role.yaml"])
def test_the_read_role_admits_the_execution_roles_these_templates_create(path):
    policy = trust_policy()
    arn = role_arn_created_by(path)
    assert assume(policy, arn) == "Allow", arn
    assert assume(policy, arn, org=OTHER_ORG) == "ImplicitDeny"
    assert assume(policy, arn.replace(":role/", ":user/")) == "ImplicitDeny"


@pytest.mark.parametrize("role", NOT_HOOK_ROLES)
def test_the_read_role_refuses_every_other_role_of_the_organization(role):
    assert assume(trust_policy(), f"arn:aws:iam::{MEMBER}:role/{role}") == "ImplicitDeny"


def test_a_cfn_submit_role_is_admitted_only_by_its_exact_arn():
    submitted = f"arn:aws:iam::{MEMBER}:role/dataperimeter-ecr-replicationguard-role-s-ExecutionRole-ABCDEFGHIJKL"
    assert assume(trust_policy(), submitted) == "ImplicitDeny"
    policy = trust_policy(CfnSubmitRoleArns=[submitted])
    assert assume(policy, submitted) == "Allow"
    assert assume(policy, submitted.replace(MEMBER, "777788889999")) == "ImplicitDeny"
    assert assume(policy, role_arn_created_by("deploy/hook-registration.yaml")) == "Allow"
    for role in NOT_HOOK_ROLES:
        if not submitted.endswith("/" + role):
            assert assume(policy, f"arn:aws:iam::{MEMBER}:role/{role}") == "ImplicitDeny", role


def test_principal_org_paths_narrow_the_read_role_to_the_targeted_ous():
    ou = f"{ORG}/r-ab12/ou-ab12-11111111/"
    policy = trust_policy(PrincipalOrgPaths=[ou])
    arn = role_arn_created_by("deploy/hook-registration.yaml")
    assert assume(policy, arn, org_paths=[ou]) == "Allow"
    assert assume(policy, arn, org_paths=[ou + "ou-ab12-22222222/"]) == "Allow"   # a child OU
    assert assume(policy, arn, org_paths=[f"{ORG}/r-ab12/ou-ab12-33333333/"]) == "ImplicitDeny"
    assert assume(policy, arn) == "ImplicitDeny"                                    # no org path: refused


def test_no_read_role_parameter_accepts_a_wildcard():
    parameters = load("deploy/organizations-read-role.yaml")["Parameters"]
    assert "HookExecutionRoleNamePattern" not in parameters
    for name, parameter in parameters.items():
        pattern = parameter.get("AllowedPattern")
        assert pattern, f"{name} has no AllowedPattern"
        for wild in ("*", "?", "arn:aws:iam::*:role/x", f"arn:aws:iam::{MEMBER}:role/*", "o-*"):
            assert not re.fullmatch(pattern, wild), (name, wild)


# -- the SCP that protects the path -------------------------------------------------------------


def scp() -> dict:
    import json
    import pathlib

    return json.loads((pathlib.Path(__file__).resolve().parent.parent / "deploy" /
                       "scp-ecr-perimeter-guard.json").read_text())


HOOK_ROLE = f"arn:aws:iam::{MEMBER}:role/EcrPerimeterGuardHookExecutionRole/StackSet-ecr-perimeter-guard-x-ExecutionRole-A"


@pytest.mark.parametrize("action", ["iam:CreateRole", "iam:UpdateAssumeRolePolicy", "iam:PutRolePolicy",
                                    "iam:AttachRolePolicy", "iam:PassRole", "iam:UpdateRole", "iam:TagRole"])
def test_the_scp_stops_member_administrators_minting_or_changing_a_hook_role(action):
    admin = f"arn:aws:iam::{MEMBER}:role/Admin"
    assert evaluate(scp(), Request(action, admin, HOOK_ROLE)) == "Deny"
    assert evaluate(scp(), Request(action, admin, f"arn:aws:iam::{MEMBER}:role/EcrPerimeterGuardHookExecutionRole/new")) == "Deny"
    # The service-managed StackSet's execution role deploys and removes the hook's roles.
    stackset = f"arn:aws:iam::{MEMBER}:role/stacksets-exec-0123456789abcdef0123456789abcdef"
    assert evaluate(scp(), Request(action, stackset, HOOK_ROLE)) != "Deny"
    # Nor can an administrator make the StackSet's execution role its own (its trust is the StackSets
    # service-linked role's, which SCPs do not restrict).
    if action in ("iam:UpdateAssumeRolePolicy", "iam:PutRolePolicy", "iam:AttachRolePolicy"):
        assert evaluate(scp(), Request(action, admin, stackset)) == "Deny"
    # Other roles are not the SCP's business.
    assert evaluate(scp(), Request(action, admin, f"arn:aws:iam::{MEMBER}:role/app-role")) != "Deny"


@pytest.mark.parametrize("stack", ["StackSet-ecr-perimeter-guard-x", "ecr-perimeter-guard-rollout",
                                   "ecr-perimeter-guard-bucket", "ecr-perimeter-guard-organizations-read-role",
                                   "ecr-perimeter-guard-snapshot", "ecr-perimeter-guard-detective",
                                   "ecr-perimeter-guard-detective-rollout", "ecr-perimeter-guard-detective-member"])
def test_the_scp_keeps_the_excluded_stack_names_for_the_stackset(stack):
    """The hook skips these names (so a bad configuration never blocks its own fix): in member
    accounts only the StackSet may use them, or any developer could name a stack so to skip it."""
    arn = f"arn:aws:cloudformation:eu-west-1:{MEMBER}:stack/{stack}/0a1b2c3d-0000-4000-8000-000000000001"
    developer = f"arn:aws:iam::{MEMBER}:role/Developer"
    stackset = f"arn:aws:iam::{MEMBER}:role/stacksets-exec-0123456789abcdef0123456789abcdef"
    for action in ("cloudformation:CreateStack", "cloudformation:UpdateStack", "cloudformation:CreateChangeSet"):
        assert evaluate(scp(), Request(action, developer, arn)) == "Deny"
        if stack.startswith("StackSet-"):
            assert evaluate(scp(), Request(action, stackset, arn)) != "Deny"
    other = f"arn:aws:cloudformation:eu-west-1:{MEMBER}:stack/app-{stack}/0a1b2c3d-0000-4000-8000-000000000001"
    assert evaluate(scp(), Request("cloudformation:CreateStack", developer, other)) != "Deny"


def test_the_scp_keeps_member_administrators_from_switching_the_hook_off():
    """SetTypeConfiguration cannot be scoped to one type (Hooks User Guide): only the StackSet may call it."""
    admin = f"arn:aws:iam::{MEMBER}:role/Admin"
    stackset = f"arn:aws:iam::{MEMBER}:role/stacksets-exec-0123456789abcdef0123456789abcdef"
    for action in ("cloudformation:SetTypeConfiguration", "cloudformation:SetTypeDefaultVersion",
                   "cloudformation:DeregisterType"):
        assert evaluate(scp(), Request(action, admin, "*")) == "Deny"
        assert evaluate(scp(), Request(action, stackset, "*")) != "Deny"


# -- the package bucket -------------------------------------------------------------------------

RELEASE = "arn:aws:iam::123456789012:role/release/EcrPerimeterGuardRelease"
BUCKET = "arn:aws:s3:::pkg"


def bucket_policy(**parameters) -> dict:
    """The bucket policy resolved with these parameters; the bucket's ARN (a GetAtt, which the
    resolver leaves open) is given the value CloudFormation gives it."""

    def arn_given(value):
        if isinstance(value, dict):
            if value == {"Fn::GetAtt": ["PackageBucket", "Arn"]}:
                return BUCKET
            return {k: arn_given(v) for k, v in value.items()}
        if isinstance(value, list):
            return [arn_given(v) for v in value]
        return value.replace("${PackageBucket.Arn}", BUCKET) if isinstance(value, str) else value

    template = arn_given(load("deploy/package-bucket.yaml"))
    context = Context(account_id="123456789012", region="eu-west-1", stack_name="ecr-perimeter-guard-bucket",
                      parameters={"OrganizationId": ORG, "ReleaseRoleArn": RELEASE, **parameters},
                      use_parameter_defaults=True)
    resolution = Resolver(template, context).resolve(template["Resources"]["PackageBucketPolicy"]["Properties"][
        "PolicyDocument"])
    assert not resolution.unresolved, resolution.unresolved
    return resolution.value


def s3(action: str, principal: str, key: str | None = "dataperimeter-ecr-replicationguard-0.2.0.zip", **context) -> str:
    context.setdefault("aws:SecureTransport", "true")
    context.setdefault("aws:PrincipalOrgID", ORG)
    resource = f"{BUCKET}/{key}" if key is not None else BUCKET
    return evaluate(bucket_policy(), Request(action, principal, resource, context))


WRITES = ["s3:PutObject", "s3:PutObjectAcl", "s3:PutObjectVersionAcl", "s3:DeleteObject", "s3:DeleteObjectVersion",
          "s3:PutObjectRetention", "s3:BypassGovernanceRetention"]
OTHERS = [f"arn:aws:iam::123456789012:role/{n}" for n in ("Admin", "OrganizationAccountAccessRole", "release/Other")] + [
    "arn:aws:iam::123456789012:root", f"arn:aws:iam::{MEMBER}:role/stacksets-exec-0123",
    "arn:aws:iam::123456789012:role/EcrPerimeterGuardRelease"]


@pytest.mark.parametrize("principal", OTHERS)
@pytest.mark.parametrize("action", WRITES)
def test_only_the_release_role_writes_or_deletes_packages(action, principal):
    assert s3(action, principal, **{"s3:if-none-match": "*", "s3:ObjectCreationOperation": "true"}) == "Deny"


@pytest.mark.parametrize("action", ["s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutBucketVersioning",
                                    "s3:PutLifecycleConfiguration", "s3:PutBucketObjectLockConfiguration"])
def test_only_the_release_role_changes_the_bucket(action):
    assert s3(action, OTHERS[0], key=None) == "Deny"
    assert s3(action, RELEASE, key=None) != "Deny"


def test_the_release_role_writes_each_key_once():
    first = {"s3:if-none-match": "*", "s3:ObjectCreationOperation": "true"}
    assert s3("s3:PutObject", RELEASE, **first) != "Deny"
    assert s3("s3:PutObject", RELEASE, **{"s3:ObjectCreationOperation": "true"}) == "Deny"   # would overwrite
    # The parts of a multipart upload carry no conditional header; its completion does.
    assert s3("s3:PutObject", RELEASE, **{"s3:ObjectCreationOperation": "false"}) != "Deny"
    assert s3("s3:DeleteObject", RELEASE) != "Deny"


def test_the_organization_reads_and_nobody_else():
    member_role = f"arn:aws:iam::{MEMBER}:role/stacksets-exec-0123"
    assert s3("s3:GetObject", member_role) == "Allow"
    assert s3("s3:GetObjectVersion", member_role) == "Allow"
    assert s3("s3:GetObject", "arn:aws:iam::999999999999:role/x", **{"aws:PrincipalOrgID": OTHER_ORG}) == "ImplicitDeny"
    assert s3("s3:GetObject", member_role, **{"aws:SecureTransport": "false"}) == "Deny"
    assert s3("s3:ListBucket", member_role, key=None) == "ImplicitDeny"


# -- the log delivery role -------------------------------------------------------------------------


def test_the_log_delivery_role_admits_cloudformation_with_or_without_a_source_account():
    """The cfn CLI's own log delivery role has no condition, and nothing documents that
    CloudFormation sends aws:SourceAccount when it assumes it: an absent key must not refuse it
    (every log and metric would be dropped), a foreign source account must."""
    trust = resolved("deploy/hook-registration.yaml",
                     lambda t: t["Resources"]["LogDeliveryRole"]["Properties"]["AssumeRolePolicyDocument"],
                     {"PackageBucket": "b", "PackageKey": "k"}).value
    for service in ("hooks.cloudformation.amazonaws.com", "resources.cloudformation.amazonaws.com"):
        assert evaluate(trust, Request("sts:AssumeRole", service)) == "Allow"
        assert evaluate(trust, Request("sts:AssumeRole", service, context={"aws:SourceAccount": "111122223333"})) == "Allow"
        assert evaluate(trust, Request("sts:AssumeRole", service,
                                       context={"aws:SourceAccount": "999999999999"})) == "ImplicitDeny"
    assert evaluate(trust, Request("sts:AssumeRole", "lambda.amazonaws.com")) == "ImplicitDeny"
