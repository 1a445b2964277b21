"""Which conditions pin every caller into the trusted set (core/conditions.py), checked through
the Repository checker with real policy documents, including the wildcard traps where a pattern
looks pinned but matches identities of other accounts."""

from __future__ import annotations

import pytest

from dataperimeter_ecr_replicationguard.core import Trust, evaluate

TRUSTED, OTHER, ORG = "111111111111", "999999999999", "o-a1b2c3d4e5"
TRUST = Trust(accounts=frozenset({TRUSTED}), organization_ids=frozenset({ORG}),
              ou_paths=frozenset({f"{ORG}/r-ab12/ou-ab12-11111111/"}), partition="aws")
PULL = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]


def rules(*statements: dict) -> list[str]:
    policy = {"Version": "2012-10-17", "Statement": list(statements)}
    findings = evaluate("AWS::ECR::Repository", "Repo", {"RepositoryPolicyText": policy}, TRUST)
    return sorted(f.rule_id for f in findings)


def allow(principal="*", condition=None, action=PULL) -> dict:
    statement = {"Sid": "Pull", "Effect": "Allow", "Principal": principal, "Action": action}
    if condition is not None:
        statement["Condition"] = condition
    return statement


PASS_CONDITIONS = [
    {"StringEquals": {"aws:PrincipalOrgID": ORG}},
    {"StringEquals": {"AWS:PRINCIPALORGID": [ORG]}},
    {"ForAnyValue:StringEquals": {"aws:PrincipalOrgID": ORG}},
    {"StringEquals": {"aws:PrincipalAccount": [TRUSTED]}},
    {"StringEquals": {"aws:PrincipalArn": f"arn:aws:iam::{TRUSTED}:role/builder"}},
    {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{TRUSTED}:role/*"}},
    {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam:*:{TRUSTED}:*"}},  # ArnLike matches field by field
    {"ArnEquals": {"aws:PrincipalArn": f"arn:aws:sts::{TRUSTED}:assumed-role/ci/session"}},
    {"StringLike": {"aws:PrincipalArn": f"arn:aws:iam::{TRUSTED}:role/*"}},  # wildcard only after the account
    {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": f"{ORG}/*"}},
    {"ForAnyValue:StringEquals": {"aws:PrincipalOrgPaths": f"{ORG}/r-ab12/ou-ab12-11111111/"}},
    # AND across keys: one pinning entry is enough, an extra network key changes nothing
    {"StringEquals": {"aws:PrincipalOrgID": ORG}, "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
    # a wildcard aws:PrincipalArn next to an org pin (policyuniverse calls this public)
    {"StringEquals": {"aws:PrincipalOrgID": ORG}, "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/ci-*"}},
    # issue 12 (was asserted failing): "*" includes AWS services acting for a trusted account, and a
    # direct caller carries no source key, so a positive non-IfExists source pin admits only those
    {"StringEquals": {"aws:SourceAccount": TRUSTED}},
    {"ArnLike": {"aws:SourceArn": f"arn:aws:lambda:*:{TRUSTED}:function:*"}},
]

FAIL_CONDITIONS = [
    {"StringEquals": {"aws:PrincipalOrgID": "o-zzzzzzzzzz"}},  # checkov passes any org ID
    {"StringEquals": {"aws:PrincipalOrgID": [ORG, "o-zzzzzzzzzz"]}},  # OR across values
    {"StringLike": {"aws:PrincipalOrgID": "o-a1b2*"}},
    {"StringEqualsIfExists": {"aws:PrincipalOrgID": ORG}},
    {"StringNotEquals": {"aws:PrincipalOrgID": ORG}},
    {"ForAllValues:StringEquals": {"aws:PrincipalOrgID": ORG}},
    {"Null": {"aws:PrincipalOrgID": "false"}},
    {"StringEquals": {"aws:PrincipalAccount": OTHER}},
    {"StringLike": {"aws:PrincipalAccount": "1111111111*"}},
    {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/builder"}},
    {"ArnLike": {"aws:PrincipalArn": f"arn:aws-cn:iam::{TRUSTED}:role/*"}},  # another partition
    # StringLike matches the whole string: "*" before the account field spans ":" (IAM paths may
    # hold ":"), so arn:aws:iam::999999999999:role/x:111111111111:/y matches these
    {"StringLike": {"aws:PrincipalArn": f"arn:aws:iam:*:{TRUSTED}:*"}},
    {"StringLike": {"aws:PrincipalArn": f"arn:*:iam::{TRUSTED}:*"}},
    {"StringLike": {"aws:PrincipalArn": f"arn:aws:i?m::{TRUSTED}:role/x"}},
    {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": f"*/{ORG}/*"}},  # wildcard before the org
    {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-*/r-ab12/*"}},
    {"StringLike": {"aws:PrincipalOrgPaths": f"{ORG}/*"}},  # multivalued key without ForAnyValue
    {"ForAllValues:StringLike": {"aws:PrincipalOrgPaths": f"{ORG}/*"}},
    {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
    {"StringEquals": {"aws:SourceVpce": "vpce-0123456789abcdef0"}},
    {"StringEquals": {"aws:SourceVpc": "vpc-0123456789abcdef0"}},
    {"StringEqualsIfExists": {"aws:SourceAccount": TRUSTED}},  # true for direct callers (no source key)
    {"StringNotEquals": {"aws:SourceAccount": OTHER}},  # negated: true when the key is absent
    {"StringLike": {"aws:SourceArn": f"arn:aws:lambda:*:{TRUSTED}:*"}},  # "*" spans to a foreign account
    {"Bool": {"aws:SecureTransport": "true"}},  # cfripper is silenced by any condition
]


@pytest.mark.parametrize("condition", PASS_CONDITIONS, ids=lambda c: str(c)[:70])
def test_pinning_condition_makes_public_principal_compliant(condition):
    assert rules(allow("*", condition)) == []
    assert rules(allow({"AWS": "*"}, condition)) == []


@pytest.mark.parametrize("condition", FAIL_CONDITIONS, ids=lambda c: str(c)[:70])
def test_condition_that_does_not_pin_leaves_principal_public(condition):
    assert rules(allow("*", condition)) == ["ECR-POLICY-PUBLIC-PRINCIPAL"]
    assert rules(allow({"AWS": OTHER}, condition)) == ["ECR-POLICY-UNTRUSTED-ACCOUNT"]


def test_the_string_like_trap_is_real():
    """The wildcard really matches a role of another account (fnmatch is what StringLike does
    for * and ?): the reason the StringLike cases above must FAIL."""
    import fnmatch

    outsider = f"arn:aws:iam::{OTHER}:role/x:{TRUSTED}:/y"
    assert fnmatch.fnmatchcase(outsider, f"arn:aws:iam:*:{TRUSTED}:*")


def test_failure_message_says_which_condition_does_not_pin():
    findings = evaluate("AWS::ECR::Repository", "Repo", {"RepositoryPolicyText": {"Statement": allow(
        "*", {"StringEqualsIfExists": {"aws:PrincipalOrgID": ORG}})}}, TRUST)
    (finding,) = findings
    assert "StringEqualsIfExists aws:principalorgid" in finding.message
    assert "absent" in finding.message
    assert "statement 0 (Pull)" in finding.message


@pytest.mark.parametrize("condition,ok", [
    ({"StringEquals": {"aws:SourceAccount": TRUSTED}}, True),
    ({"StringEquals": {"aws:SourceOrgID": ORG}}, True),
    ({"ForAnyValue:StringLike": {"aws:SourceOrgPaths": f"{ORG}/*"}}, True),
    ({"ArnLike": {"aws:SourceArn": f"arn:aws:lambda:eu-west-1:{TRUSTED}:function:*"}}, True),
    ({"ArnLike": {"aws:SourceArn": f"arn:aws:lambda:*:{TRUSTED}:function:*"}}, True),
    ({"StringLike": {"aws:SourceArn": f"arn:aws:lambda:*:{TRUSTED}:function:*"}}, False),
    ({"StringEquals": {"aws:SourceAccount": OTHER}}, False),
    ({"StringEqualsIfExists": {"aws:SourceAccount": TRUSTED}}, False),
    ({"StringLike": {"aws:SourceAccount": "*"}}, False),
    ({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, False),
    (None, False),
])
def test_service_principal_needs_a_source_pin(condition, ok):
    expected = [] if ok else ["ECR-POLICY-UNSCOPED-SERVICE"]
    assert rules(allow({"Service": "lambda.amazonaws.com"}, condition)) == expected


# Deny guards: the org guard of the data-perimeter policies makes a public Allow compliant.
GUARD_CONDITION = {"StringNotEquals": {"aws:PrincipalOrgID": ORG}}


def guard(**overrides) -> dict:
    statement = {"Sid": "Guard", "Effect": "Deny", "Principal": "*", "Action": "ecr:*",
                 "Condition": GUARD_CONDITION}
    statement.update(overrides)
    return {k: v for k, v in statement.items() if v is not None}


@pytest.mark.parametrize("deny", [
    guard(),
    guard(Action="*"),
    guard(Principal={"AWS": "*"}),
    guard(Action=["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]),
    guard(Action=["ecr:Get*", "ecr:Batch*"]),
    guard(Condition={"StringNotEquals": {"aws:PrincipalAccount": TRUSTED}}),
    guard(Condition={"StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG}}),
    guard(Resource="*"),
    # issue 12 (was asserted not a guard): denies every action but DeleteRepository, so it covers the pulls
    guard(Action=None, NotAction="ecr:DeleteRepository"),
    guard(Action=None, NotAction="ecr-public:*"),  # every ecr: action
])
def test_deny_guard_makes_public_allow_compliant(deny):
    assert rules(allow("*"), deny) == []
    assert rules(deny, allow("*")) == []  # order does not matter: every statement is read


@pytest.mark.parametrize("deny", [
    guard(Condition={"StringNotEquals": {"aws:PrincipalOrgID": "o-zzzzzzzzzz"}}),
    guard(Condition={"StringEquals": {"aws:PrincipalAccount": OTHER}}),  # denies one named account
    guard(Condition=None),  # denies everyone: then the Allow grants nothing, but it is not a guard
    guard(Condition={"StringNotEquals": {"aws:PrincipalOrgID": ORG}, "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
    guard(Condition={"ForAllValues:StringNotEquals": {"aws:PrincipalOrgID": ORG}}),
    guard(Principal={"AWS": OTHER}),
    guard(Action="ecr:BatchGetImage"),  # does not cover GetDownloadUrlForLayer
    guard(Action="ecr:Batch[G]*"),  # IAM has no [...] classes: this names no action
    guard(Action=["ecr:Batch?etImage"]),  # covers BatchGetImage only, not GetDownloadUrlForLayer
    guard(Action=None, NotAction=["ecr:BatchGetImage", "ecr:DeleteRepository"]),  # lets BatchGetImage through
    guard(Action=None, NotAction="ecr:Get*"),  # lets GetDownloadUrlForLayer through
    guard(Action="ecr-public:*"),  # names no action of a private repository
    guard(Resource=f"arn:aws:ecr:eu-west-1:{TRUSTED}:repository/other"),
    guard(NotResource=f"arn:aws:ecr:eu-west-1:{TRUSTED}:repository/repo"),  # denies everything but this one
])
def test_deny_that_is_not_a_guard_does_not_excuse_public_allow(deny):
    assert rules(allow("*"), deny) == ["ECR-POLICY-PUBLIC-PRINCIPAL"]


def test_guard_question_mark_does_not_stand_for_a_wildcard_run():
    """A Deny of ecr:Get? does not cover an Allow of ecr:Get*, which also matches ecr:GetAuthorizationToken."""
    assert rules(allow("*", action="ecr:Get*"), guard(Action="ecr:Get?")) == ["ECR-POLICY-PUBLIC-PRINCIPAL"]
    assert rules(allow("*", action="ecr:Get*"), guard(Action="ecr:G*")) == []


def test_allow_after_a_deny_is_still_read():
    """Hook samples stop at the first Deny; every statement counts."""
    deny_one = {"Effect": "Deny", "Principal": {"AWS": OTHER}, "Action": "ecr:*"}
    assert rules(deny_one, allow("*")) == ["ECR-POLICY-PUBLIC-PRINCIPAL"]


def test_guard_brackets_are_literal_characters():
    """fnmatch reads [G] as a character class; IAM does not, so this Deny names no real action."""
    assert rules(allow("*", action="ecr:BatchGetImage"), guard(Action="ecr:Batch[G]*")) == [
        "ECR-POLICY-PUBLIC-PRINCIPAL"]
    assert rules(allow("*", action="ecr:BatchGetImage"), guard(Action="ecr:Batch*")) == []


# --- one case per row of the condition-key table (core/conditions.py KEYS) ------------------------
# key: (a positive entry with trusted values, the negated entry a Deny guard would use,
#       what the positive entry does to an Allow for another account / for "*" / for a service,
#       whether the negated entry in a Deny guards an Allow to "*").
PUBLIC, ACCOUNT, SERVICE = "ECR-POLICY-PUBLIC-PRINCIPAL", "ECR-POLICY-UNTRUSTED-ACCOUNT", "ECR-POLICY-UNSCOPED-SERVICE"
KEY_CASES = {
    "aws:principalorgid": ({"StringEquals": {"aws:PrincipalOrgID": ORG}},
                           {"StringNotEquals": {"aws:PrincipalOrgID": ORG}}, [], [], [], True),
    "aws:principalaccount": ({"StringEquals": {"aws:PrincipalAccount": TRUSTED}},
                             {"StringNotEquals": {"aws:PrincipalAccount": TRUSTED}}, [], [], [], True),
    "aws:principalarn": ({"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{TRUSTED}:role/*"}},
                         {"ArnNotLike": {"aws:PrincipalArn": f"arn:aws:iam::{TRUSTED}:*"}}, [], [], [], True),
    "aws:principalorgpaths": ({"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": f"{ORG}/*"}},
                              {"ForAllValues:StringNotLike": {"aws:PrincipalOrgPaths": f"{ORG}/*"}}, [], [], [], True),
    "aws:sourceorgid": ({"StringEquals": {"aws:SourceOrgID": ORG}},
                        {"StringNotEquals": {"aws:SourceOrgID": ORG}}, [ACCOUNT], [], [], False),
    "aws:sourceaccount": ({"StringEquals": {"aws:SourceAccount": TRUSTED}},
                          {"StringNotEquals": {"aws:SourceAccount": TRUSTED}}, [ACCOUNT], [], [], False),
    "aws:sourcearn": ({"ArnLike": {"aws:SourceArn": f"arn:aws:lambda:eu-west-1:{TRUSTED}:function:*"}},
                      {"ArnNotLike": {"aws:SourceArn": f"arn:aws:lambda:*:{TRUSTED}:*"}}, [ACCOUNT], [], [], False),
    "aws:sourceorgpaths": ({"ForAnyValue:StringLike": {"aws:SourceOrgPaths": f"{ORG}/*"}},
                           {"ForAllValues:StringNotLike": {"aws:SourceOrgPaths": f"{ORG}/*"}}, [ACCOUNT], [], [], False),
    "aws:sourceip": ({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
                     {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, [ACCOUNT], [PUBLIC], [SERVICE], False),
    "aws:sourcevpc": ({"StringEquals": {"aws:SourceVpc": "vpc-1a2b3c4d"}},
                      {"StringNotEquals": {"aws:SourceVpc": "vpc-1a2b3c4d"}}, [ACCOUNT], [PUBLIC], [SERVICE], False),
    "aws:sourcevpce": ({"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}},
                       {"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}, [ACCOUNT], [PUBLIC], [SERVICE], False),
}


def test_every_key_of_the_table_has_its_cases_here():
    """Adding a row to core/conditions.py KEYS means adding its case to KEY_CASES (CONTRIBUTING.md)."""
    from dataperimeter_ecr_replicationguard.core.conditions import KEYS

    assert set(KEYS) == set(KEY_CASES)


@pytest.mark.parametrize("key", sorted(KEY_CASES))
def test_each_key_pins_and_guards_as_its_row_says(key):
    positive, negated, for_account, for_anyone, for_service, guards = KEY_CASES[key]
    assert rules(allow({"AWS": OTHER}, positive)) == for_account
    assert rules(allow("*", positive)) == for_anyone
    assert rules(allow({"Service": "lambda.amazonaws.com"}, positive)) == for_service
    guard = {"Sid": "Guard", "Effect": "Deny", "Principal": "*", "Action": "ecr:*", "Condition": negated}
    assert rules(allow("*"), guard) == ([] if guards else [PUBLIC])
