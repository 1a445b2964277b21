"""The policy perimeter in the pure core: table-driven cases (tests/cases/policy_cases.yaml),
every ECR resource that carries a policy, and properties that must hold for any policy."""

from __future__ import annotations

import copy
import json
import pathlib

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataperimeter_ecr_replicationguard.core import Category, Trust, evaluate

CASES = yaml.safe_load((pathlib.Path(__file__).parent / "cases" / "policy_cases.yaml").read_text())
BASE = dict(
    accounts=frozenset({"111111111111", "222222222222"}),
    organization_ids=frozenset({"o-a1b2c3d4e5"}),
    ou_paths=frozenset({"o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/"}),
    partition="aws",
)
TRUST = Trust(**BASE)
REPOSITORY = "AWS::ECR::Repository"


def trust_for(case: dict) -> Trust:
    overrides = {k: frozenset(v) for k, v in (case.get("trust") or {}).items()}
    return Trust(**{**BASE, **overrides})


def document(case: dict):
    if "policy" in case:
        policy = copy.deepcopy(case["policy"])
        if isinstance(policy, dict) and policy.get("Padding") == "LONG":
            policy["Padding"] = "x" * 10_300
        return policy
    return {"Version": "2012-10-17", "Statement": copy.deepcopy(case["statements"])}


def rules(findings) -> list[str]:
    return [f.rule_id for f in findings]


def test_the_table_is_large_and_balanced():
    assert len(CASES) >= 60
    assert sum(1 for c in CASES if not c["expect"]) >= 20
    assert sum(1 for c in CASES if c["expect"]) >= 30
    assert len({c["id"] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_policy_case(case):
    findings = evaluate(REPOSITORY, "Repo", {"RepositoryPolicyText": document(case)}, trust_for(case))
    assert rules(findings) == case["expect"], [f.message for f in findings]
    for finding in findings:
        assert finding.path.startswith("/RepositoryPolicyText")
        assert finding.message and finding.remediation


def test_findings_name_statement_sid_principal_and_why():
    policy = {"Statement": [
        {"Sid": "Pull", "Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage",
         "Condition": {"ForAllValues:StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}]}
    [finding] = evaluate(REPOSITORY, "Repo", {"RepositoryPolicyText": policy}, TRUST)
    assert finding.path == "/RepositoryPolicyText/Statement/0/Principal"
    assert "statement 0 (Pull)" in finding.message and "anonymous" in finding.message
    assert "ForAllValues" in finding.message and "absent" in finding.message
    assert "aws:PrincipalOrgID" in finding.remediation


def test_unscoped_lambda_says_how_to_scope_it():
    policy = {"Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                             "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]}]}
    [finding] = evaluate(REPOSITORY, "Repo", {"RepositoryPolicyText": policy}, TRUST)
    assert "aws:SourceAccount" in finding.remediation and "aws:SourceArn" in finding.remediation
    assert "function:*" in finding.remediation


def test_repository_without_policy_grants_nothing():
    assert evaluate(REPOSITORY, "Repo", {"RepositoryName": "app"}, TRUST) == []


@pytest.mark.parametrize("as_text", [False, True], ids=["object", "JSON text"])
def test_registry_policy_every_action_counts(as_text):
    policy = {"Statement": [{"Sid": "ReplicationAccessCrossAccount", "Effect": "Allow",
                             "Principal": {"AWS": "arn:aws:iam::210987654321:root"},
                             "Action": ["ecr:CreateRepository", "ecr:ReplicateImage"],
                             "Resource": "arn:aws:ecr:us-west-2:111111111111:repository/*"}]}
    value = json.dumps(policy) if as_text else policy
    [finding] = evaluate("AWS::ECR::RegistryPolicy", "Registry", {"PolicyText": value}, TRUST)
    assert finding.rule_id == "ECR-POLICY-UNTRUSTED-ACCOUNT" and finding.subject == "210987654321"
    assert finding.path == "/PolicyText/Statement/0/Principal"


def test_registry_policy_is_required():
    [finding] = evaluate("AWS::ECR::RegistryPolicy", "Registry", {}, TRUST)
    assert finding.category is Category.INVALID and finding.path == "/PolicyText"


def test_repository_creation_template_policy_is_checked_like_a_repository():
    text = json.dumps({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "444455556666"}, "Action": "ecr:*"}]})
    findings = evaluate("AWS::ECR::RepositoryCreationTemplate", "Template",
                        {"Prefix": "ROOT", "AppliedFor": ["CREATE_ON_PUSH"], "RepositoryPolicy": text}, TRUST)
    assert rules(findings) == ["ECR-POLICY-UNTRUSTED-ACCOUNT"]
    assert findings[0].path == "/RepositoryPolicy/Statement/0/Principal"


@pytest.mark.parametrize(
    "actions, expect",
    [
        (["ecr-public:BatchGetImage", "ecr-public:GetDownloadUrlForLayer"], []),
        (["ecr-public:PutImage"], ["ECR-POLICY-PUBLIC-PRINCIPAL"]),
        (["ecr-public:*"], ["ECR-POLICY-PUBLIC-PRINCIPAL"]),
        (["ecr-public:BatchGetImage", "ecr-public:InitiateLayerUpload"], ["ECR-POLICY-PUBLIC-PRINCIPAL"]),
    ],
    ids=["pull is public by design", "push", "every action", "pull and push"],
)
def test_public_repository_only_non_pull_grants_count(actions, expect):
    policy = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": actions}]}
    assert rules(evaluate("AWS::ECR::PublicRepository", "Public", {"RepositoryPolicyText": policy}, TRUST)) == expect


@pytest.mark.parametrize("value", [["not", "an", "object"], "text", None, 42], ids=repr)
def test_properties_that_are_not_an_object_fail_closed(value):
    for resource_type in ("AWS::ECR::Repository", "AWS::ECR::RegistryPolicy", "AWS::ECR::PublicRepository",
                          "AWS::ECR::RepositoryCreationTemplate", "AWS::ECR::PullThroughCacheRule"):
        findings = evaluate(resource_type, "R", value, TRUST)
        assert findings and all(f.category is Category.INVALID for f in findings), resource_type


# --- properties -----------------------------------------------------------------------------

ACCOUNTS = st.sampled_from(["111111111111", "222222222222", "999999999999", "444455556666"])
PRINCIPALS = st.one_of(
    st.just("*"),
    st.builds(lambda a: {"AWS": a}, ACCOUNTS),
    st.builds(lambda a: {"AWS": f"arn:aws:iam::{a}:root"}, ACCOUNTS),
    st.builds(lambda a: {"AWS": f"arn:aws-cn:iam::{a}:role/r"}, ACCOUNTS),
    st.just({"Service": "lambda.amazonaws.com"}),
    st.just({"Federated": "accounts.google.com"}),
)
OPERATORS = st.sampled_from(["StringEquals", "StringLike", "StringEqualsIfExists", "ForAllValues:StringEquals",
                             "ForAnyValue:StringLike", "StringNotEquals", "ArnLike"])
KEYS = st.sampled_from(["aws:PrincipalOrgID", "aws:PrincipalAccount", "aws:PrincipalArn", "aws:SourceIp",
                        "aws:SourceAccount", "aws:PrincipalOrgPaths", "aws:SourceArn"])
VALUES = st.sampled_from(["o-a1b2c3d4e5", "o-zzzzzzzzzz", "o-*", "111111111111", "999999999999",
                          "arn:aws:iam::222222222222:role/*", "arn:aws:iam::*:role/x", "o-a1b2c3d4e5/*",
                          "10.0.0.0/8", "arn:aws:lambda:us-east-1:111111111111:function:*"])
CONDITIONS = st.dictionaries(OPERATORS, st.dictionaries(KEYS, st.lists(VALUES, min_size=1, max_size=2), min_size=1,
                                                        max_size=2), max_size=2)
ACTIONS = st.sampled_from(["ecr:*", "ecr:BatchGetImage", "*", ["ecr:PutImage", "ecr:BatchGetImage"]])
ALLOW = st.builds(lambda p, a, c: {"Effect": "Allow", "Principal": p, "Action": a, **({"Condition": c} if c else {})},
                  PRINCIPALS, ACTIONS, CONDITIONS)
DENY = st.builds(lambda p, a, c: {"Effect": "Deny", "Principal": p, "Action": a, **({"Condition": c} if c else {})},
                 PRINCIPALS, ACTIONS, CONDITIONS)
POLICIES = st.lists(st.one_of(ALLOW, DENY), min_size=1, max_size=4)
PINS = st.sampled_from([
    ("StringEquals", "aws:PrincipalOrgID", "o-a1b2c3d4e5"),
    ("StringEquals", "aws:PrincipalAccount", "222222222222"),
    ("ArnLike", "aws:PrincipalArn", "arn:aws:iam::111111111111:role/*"),
    ("ForAnyValue:StringLike", "aws:PrincipalOrgPaths", "o-a1b2c3d4e5/*"),
])
PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def verdict(statements) -> bool:
    """True = PASS."""
    return not evaluate(REPOSITORY, "R", {"RepositoryPolicyText": {"Statement": statements}}, TRUST)


@PROPERTY_SETTINGS
@given(POLICIES, ALLOW)
def test_adding_an_allow_never_turns_fail_into_pass(statements, extra):
    if not verdict(statements):
        assert not verdict(statements + [extra])


@PROPERTY_SETTINGS
@given(POLICIES, PINS)
def test_adding_a_trusted_pin_never_turns_pass_into_fail(statements, pin):
    """A pin added to every Allow statement (a Deny guard must stay as it is to stay a guard)."""
    if verdict(statements):
        operator, key, value = pin
        pinned = copy.deepcopy(statements)
        for statement in (s for s in pinned if s["Effect"] == "Allow"):
            conditions = statement.setdefault("Condition", {})
            block = conditions.setdefault(operator, {})
            if key not in block:
                block[key] = value
        assert verdict(pinned)


@PROPERTY_SETTINGS
@given(POLICIES, DENY)
def test_adding_a_deny_never_turns_pass_into_fail(statements, deny):
    if verdict(statements):
        assert verdict(statements + [deny])


@PROPERTY_SETTINGS
@given(POLICIES, st.randoms(use_true_random=False))
def test_condition_key_case_never_changes_the_verdict(statements, random):
    shouted = copy.deepcopy(statements)
    for statement in shouted:
        for operator, block in statement.get("Condition", {}).items():
            statement["Condition"][operator] = {
                "".join(c.upper() if random.random() < 0.5 else c.lower() for c in key): value
                for key, value in block.items()
            }
    assert verdict(shouted) == verdict(statements)


@PROPERTY_SETTINGS
@given(POLICIES)
def test_object_and_json_text_give_the_same_findings(statements):
    as_object = evaluate(REPOSITORY, "R", {"RepositoryPolicyText": {"Statement": statements}}, TRUST)
    as_text = evaluate(REPOSITORY, "R", {"RepositoryPolicyText": json.dumps({"Statement": statements})}, TRUST)
    assert rules(as_object) == rules(as_text)


@pytest.mark.parametrize("url", [
    "999999999999.dkr.ecr.eu-west-1.amazonaws.com:443",
    "https://user@999999999999.dkr.ecr.eu-west-1.amazonaws.com:443/v2/",
    "999999999999.DKR.ECR.eu-west-1.AMAZONAWS.com.",
])
def test_a_port_or_user_part_does_not_disguise_a_foreign_ecr_upstream(url):
    findings = evaluate("AWS::ECR::PullThroughCacheRule", "Cache", {"UpstreamRegistryUrl": url}, TRUST)
    assert [(f.rule_id, f.subject) for f in findings] == [("ECR-PTC-UNTRUSTED-UPSTREAM", "999999999999")]


def test_guard_coverage_stays_fast_at_the_policy_size_limit():
    """Issue 12: 200 allowed patterns against a NotAction guard of 200 patterns (9,400 characters,
    within ECR's limit) is every pair compared; it took 7.5 s with a table per pair."""
    import time

    policy = {"Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": [f"ecr:x{i:014d}" for i in range(200)]},
        {"Effect": "Deny", "Principal": "*", "NotAction": [f"ecr:*y{j:014d}*" for j in range(200)],
         "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}]}
    start = time.perf_counter()
    assert evaluate(REPOSITORY, "R", {"RepositoryPolicyText": policy}, TRUST) == []
    assert time.perf_counter() - start < 2
