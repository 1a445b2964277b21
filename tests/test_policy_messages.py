"""Issue 12: text taken from a policy is data in the hook's answer. Control characters, newlines
and lone surrogates are escaped or replaced, long values are cut so that the rule id, the foreign
account and the place always fit in the 1,024-character status reason, messages say what is true,
and a policy cannot write a passing verdict's words into a FAILED message. All through the real
entrypoint (handlers.hook)."""

from __future__ import annotations

import json

import pytest

from conftest import hook_request
from dataperimeter_ecr_replicationguard.core import Trust, evaluate

CONFIG = {"TrustedAccountIds": "222222222222", "TrustedOrganizationIds": "o-a1b2c3d4e5"}
OTHER = "999999999999"
TRUST = Trust(accounts=frozenset({"111111111111", "222222222222"}), organization_ids=frozenset({"o-a1b2c3d4e5"}))


def answer(invoke, *statements, logical_id="Target"):
    policy = {"Version": "2012-10-17", "Statement": list(statements)}
    return invoke(hook_request("AWS::ECR::Repository", {"RepositoryPolicyText": policy}, config=CONFIG,
                               logical_id=logical_id))


def grant(sid=None, principal=None, **extra):
    statement = {"Effect": "Allow", "Principal": principal or {"AWS": OTHER}, "Action": "ecr:BatchGetImage", **extra}
    if sid is not None:
        statement["Sid"] = sid
    return statement


def texts(response) -> list[str]:
    return [response["message"]] + [a["statusMessage"] for a in response["annotations"]]


@pytest.mark.parametrize("sid, raw, shown", [
    ("line one\nline two", "\n", "\\n"),
    ("tab\there", "\t", "\\t"),
    ("bell\x07", "\x07", "\\x07"),
    ("rtl\u202eevil", "\u202e", "\\u202e"),
    ("sep\u2028x", "\u2028", "\\u2028"),
    ("lone \udc80 surrogate", "\udc80", "\ufffd"),
])
def test_hidden_characters_of_a_sid_are_escaped(invoke, sid, raw, shown):
    response = answer(invoke, grant(sid))
    assert response["hookStatus"] == "FAILED"
    for text in texts(response):
        assert raw not in text and shown in text, text
    json.dumps(response, ensure_ascii=False).encode("utf-8")  # encodable: no lone surrogate left


@pytest.mark.parametrize("field", ["Sid", "Key", "Action", "LogicalId"])
def test_rule_account_and_place_fit_in_the_status_reason_whatever_the_length(invoke, field):
    long = "A" * 5000
    statement = grant(long if field == "Sid" else "Pull")
    if field == "Key":
        statement["Condition"] = {"StringEqualsIfExists": {f"aws:{long}": "x"}}
    if field == "Action":
        statement["Action"] = ["ecr:" + long, "ecr:BatchGetImage"]
    response = answer(invoke, statement, logical_id=("L" * 5000 if field == "LogicalId" else "Target"))
    message = response["message"]
    assert len(message) <= 1024
    assert "[ECR-POLICY-UNTRUSTED-ACCOUNT]" in message and OTHER in message, message
    assert "/RepositoryPolicyText/Statement/0/Principal" in message, message


@pytest.mark.parametrize("sid", ["is inside the ECR data perimeter", "IS INSIDE THE ECR DATA PERIMETER",
                                 "x\nis inside the ECR data perimeter", "is inside the ECR  data-perimeter"])
def test_a_policy_cannot_write_the_passing_words_into_a_failure(invoke, sid):
    response = answer(invoke, grant(sid))
    assert response["hookStatus"] == "FAILED"
    for text in texts(response):
        assert "inside the ecr data perimeter" not in " ".join(text.lower().replace("-", " ").split()), text


def test_a_role_is_named_as_a_role_not_as_every_identity_of_its_account():
    role = f"arn:aws:iam::{OTHER}:role/reader"
    [finding] = evaluate("AWS::ECR::Repository", "R", {"RepositoryPolicyText": {"Statement": [
        grant(principal={"AWS": role})]}}, TRUST)
    assert f"the role {role} of account {OTHER}" in finding.message
    assert "every identity" not in finding.message
    [finding] = evaluate("AWS::ECR::Repository", "R", {"RepositoryPolicyText": {"Statement": [
        grant(principal={"AWS": f"arn:aws:iam::{OTHER}:root"})]}}, TRUST)
    assert f"every identity of account {OTHER}" in finding.message


def test_one_finding_per_statement_and_account():
    principal = {"AWS": [f"arn:aws:iam::{OTHER}:role/a", f"arn:aws:iam::{OTHER}:user/b", OTHER,
                         "arn:aws:iam::888888888888:role/c"]}
    findings = evaluate("AWS::ECR::Repository", "R", {"RepositoryPolicyText": {"Statement": [
        grant(principal=principal), grant(principal={"AWS": OTHER})]}}, TRUST)
    assert [(f.rule_id, f.subject, f.path.split("/")[3]) for f in findings] == [
        ("ECR-POLICY-UNTRUSTED-ACCOUNT", OTHER, "0"), ("ECR-POLICY-UNTRUSTED-ACCOUNT", "888888888888", "0"),
        ("ECR-POLICY-UNTRUSTED-ACCOUNT", OTHER, "1")]
    assert f"every identity of account {OTHER}" in findings[0].message  # the account itself is named
    assert "2 more principals of that account" in findings[0].message


@pytest.mark.parametrize("condition, any_account", [
    (None, True),
    ({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, True),
    ({"StringEqualsIfExists": {"aws:SourceAccount": "111111111111"}}, False),
    ({"StringEquals": {"aws:SourceAccount": OTHER}}, False),
])
def test_on_behalf_of_any_account_only_without_a_source_condition(condition, any_account):
    statement = grant(principal={"Service": "codebuild.amazonaws.com"})
    if condition:
        statement["Condition"] = condition
    [finding] = evaluate("AWS::ECR::Repository", "R", {"RepositoryPolicyText": {"Statement": [statement]}}, TRUST)
    assert finding.rule_id == "ECR-POLICY-UNSCOPED-SERVICE"
    assert ("on behalf of any account" in finding.message) == any_account, finding.message
