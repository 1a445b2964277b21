"""Principal forms (core/principals.py): who each form names and whether it is trusted. An account
principal is every identity of that account; the partition must be the stack's own."""

from __future__ import annotations

import pytest

from dataperimeter_ecr_replicationguard.core import Trust, evaluate
from dataperimeter_ecr_replicationguard.core.principals import principals

TRUSTED, OTHER = "111111111111", "999999999999"
TRUST = Trust(accounts=frozenset({TRUSTED}), partition="aws",
              service_principals=frozenset({"codebuild.amazonaws.com"}))
CN = Trust(accounts=frozenset({TRUSTED}), partition="aws-cn")


@pytest.mark.parametrize("element,kinds", [
    ("*", ["*"]),
    ({"AWS": "*"}, ["*"]),
    ({"AWS": ["*", TRUSTED]}, ["*", "account"]),
    ({"AWS": TRUSTED}, ["account"]),
    ({"AWS": f"arn:aws:iam::{TRUSTED}:root"}, ["account"]),
    ({"AWS": f"arn:aws:iam::{TRUSTED}:role/path/builder"}, ["account"]),
    ({"AWS": f"arn:aws:iam::{TRUSTED}:user/alice"}, ["account"]),
    ({"AWS": f"arn:aws:sts::{TRUSTED}:assumed-role/ci/session-1"}, ["account"]),
    ({"Service": "lambda.amazonaws.com"}, ["service"]),
    ({"Service": ["codebuild.amazonaws.com", "ecs-tasks.amazonaws.com"]}, ["service", "service"]),
    ({"Federated": "cognito-identity.amazonaws.com"}, ["federated"]),
    ({"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}, ["canonical"]),
    ({"AWS": "AROAEXAMPLEID1234567"}, ["unique-id"]),
    ({"AWS": f"arn:aws:iam::{TRUSTED}:role/*"}, ["invalid"]),  # no partial wildcards in principals
    ({"AWS": "arn:aws:iam::*:root"}, ["invalid"]),
    ({"AWS": f"arn:aws:iam::{TRUSTED}:group/devs"}, ["invalid"]),  # groups are not principals
    ({"AWS": "1111"}, ["invalid"]),
    ({"aws": TRUSTED}, ["invalid"]),  # element names are case-sensitive
    (["*"], ["invalid"]),
    ("111111111111", ["invalid"]),
    ({}, ["invalid"]),
    ({"AWS": []}, ["invalid"]),
    ({"AWS": 111111111111}, ["invalid"]),
    ({"AWS": {"Ref": "Consumer"}}, ["unresolved"]),
    ({"Fn::If": ["Shared", "*", {"Ref": "AWS::NoValue"}]}, ["unresolved"]),
])
def test_principal_forms(element, kinds):
    assert [p.kind for p in principals(element)] == kinds


@pytest.mark.parametrize("element,trusted", [
    ({"AWS": TRUSTED}, True),
    ({"AWS": f"arn:aws:iam::{TRUSTED}:root"}, True),
    ({"AWS": f"arn:aws:sts::{TRUSTED}:assumed-role/ci/s"}, True),
    ({"AWS": OTHER}, False),
    ({"AWS": f"arn:aws:iam::{OTHER}:role/builder"}, False),
    ({"AWS": f"arn:aws-cn:iam::{TRUSTED}:root"}, False),  # same digits, another partition
    ({"AWS": f"arn:aws-us-gov:iam::{TRUSTED}:role/x"}, False),
    ({"Service": "codebuild.amazonaws.com"}, True),  # listed in TrustedServicePrincipals
    ({"Service": "lambda.amazonaws.com"}, False),
    ({"Federated": "accounts.google.com"}, False),
    ("*", False),
])
def test_trust_of_each_form(element, trusted):
    (principal,) = principals(element)
    assert principal.trusted(TRUST) is trusted


def test_partition_comes_from_the_trust():
    (bare,) = principals({"AWS": TRUSTED})
    (cn_arn,) = principals({"AWS": f"arn:aws-cn:iam::{TRUSTED}:root"})
    (aws_arn,) = principals({"AWS": f"arn:aws:iam::{TRUSTED}:root"})
    assert bare.trusted(CN) and cn_arn.trusted(CN) and not aws_arn.trusted(CN)


def grant(principal) -> list[str]:
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "Grant", "Effect": "Allow", "Principal": principal, "Action": "ecr:BatchGetImage"}]}
    return sorted(f.rule_id for f in evaluate("AWS::ECR::Repository", "Repo", {"RepositoryPolicyText": policy}, TRUST))


@pytest.mark.parametrize("principal,rule_ids", [
    ({"AWS": [TRUSTED, f"arn:aws:iam::{TRUSTED}:role/x"]}, []),
    ({"AWS": [TRUSTED, OTHER]}, ["ECR-POLICY-UNTRUSTED-ACCOUNT"]),
    ({"AWS": f"arn:aws-cn:iam::{TRUSTED}:root"}, ["ECR-POLICY-UNTRUSTED-ACCOUNT"]),
    ({"AWS": "*"}, ["ECR-POLICY-PUBLIC-PRINCIPAL"]),
    ("*", ["ECR-POLICY-PUBLIC-PRINCIPAL"]),
    ({"Service": "lambda.amazonaws.com"}, ["ECR-POLICY-UNSCOPED-SERVICE"]),
    ({"Service": "codebuild.amazonaws.com"}, []),
    ({"Federated": "token.actions.githubusercontent.com"}, ["ECR-POLICY-UNTRUSTED-PRINCIPAL"]),
    ({"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},
     ["ECR-POLICY-UNTRUSTED-PRINCIPAL"]),
    ({"AWS": f"arn:aws:iam::{TRUSTED}:role/*"}, ["ECR-POLICY-INVALID-PRINCIPAL"]),
    ({"AWS": {"Ref": "Consumer"}}, ["ECR-POLICY-UNRESOLVED"]),
])
def test_each_form_through_the_repository_checker(principal, rule_ids):
    assert grant(principal) == rule_ids


def test_untrusted_account_message_names_account_statement_and_partition():
    policy = {"Statement": [{"Sid": "CrossPartition", "Effect": "Allow",
                             "Principal": {"AWS": f"arn:aws-cn:iam::{TRUSTED}:root"}, "Action": "ecr:*"}]}
    (finding,) = evaluate("AWS::ECR::Repository", "Repo", {"RepositoryPolicyText": policy}, TRUST)
    assert "statement 0 (CrossPartition)" in finding.message
    assert "partition aws-cn, not aws" in finding.message
    assert finding.path == "/RepositoryPolicyText/Statement/0/Principal"
