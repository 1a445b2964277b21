"""Exemptions: parsed strictly, applied in one place (``exemptions.judge``) by the hook and the
CLI; active ones keep the finding visible but not failing, expired ones stop applying and are
reported."""

from __future__ import annotations

import datetime
import json

import pytest

from conftest import ACCOUNT, STACK_ID, hook_request, replication
from dataperimeter_ecr_replicationguard.core.findings import Category, Finding, Severity
from dataperimeter_ecr_replicationguard.exemptions import ExemptionError, judge, parse_exemptions, stack_name_of
from dataperimeter_ecr_replicationguard.settings import ConfigurationError, parse_settings
from scan_helpers import run_cli

TYPE = "AWS::ECR::ReplicationConfiguration"
RULE = "ECR-REPLICATION-UNTRUSTED-DESTINATION"
TODAY = datetime.date(2026, 11, 28)


def finding(logical_id="Repl", rule=RULE):
    return Finding(rule, Severity.HIGH, Category.VIOLATION, "/x", "999999999999", "m", "r", TYPE, logical_id)


def exemption(**fields):
    """An exemption entry; a field given as None is left out."""
    entry = {"LogicalIds": ["Repl*"], "Reason": "SEC-1 DR migration", "Expires": "2026-12-31"}
    entry.update(fields)
    return {k: v for k, v in entry.items() if v is not None}


@pytest.mark.parametrize(
    "fields, applies",
    [
        ({}, True),
        ({"Expires": "2026-11-28"}, True),  # inclusive: applies through its last day
        ({"Expires": "2026-11-27"}, False),
        ({"LogicalIds": ["Other"]}, False),
        ({"LogicalIds": None, "StackNames": ["ecr-perimeter-*"]}, True),
        ({"StackNames": ["prod-*"]}, False),
        ({"AccountIds": [ACCOUNT]}, True),
        ({"AccountIds": ["222222222222"]}, False),
        ({"RuleIds": [RULE]}, True),
        ({"RuleIds": ["ECR-REPLICATION-REGION-NOT-ALLOWED"]}, False),
    ],
)
def test_matching(fields, applies):
    exemptions = parse_exemptions(json.dumps([exemption(**fields)]))
    [judged] = judge([finding()], exemptions, stack_name="ecr-perimeter-test", account_id=ACCOUNT, today=TODAY)
    assert judged.exempted is applies


def test_an_expired_exemption_that_would_apply_is_reported_with_the_finding():
    exemptions = parse_exemptions([exemption(Expires="2026-01-31")])
    [judged] = judge([finding()], exemptions, stack_name="s", account_id=ACCOUNT, today=TODAY)
    assert not judged.exempted and judged.expired is exemptions[0]


def test_an_active_exemption_wins_over_an_expired_one():
    exemptions = parse_exemptions([exemption(Expires="2026-01-31"), exemption(Expires="2027-01-31")])
    [judged] = judge([finding()], exemptions, stack_name="s", account_id=ACCOUNT, today=TODAY)
    assert judged.exemption is exemptions[1] and judged.expired is None


@pytest.mark.parametrize(
    "value, problem",
    [
        ("not json", "not valid JSON"),
        ('{"a": 1}', "expected a JSON list"),
        ([{"Reason": "r", "Expires": "2026-01-01"}], "give StackNames or LogicalIds"),
        ([exemption(Reason="")], "Reason is required"),
        ([exemption(Expires="31/12/2026")], "Expires is required"),
        ([exemption(Expires="2026-02-30")], "Expires is required"),
        ([exemption(AccountIds=["123"])], "not 12-digit account IDs"),
        ([exemption(Extra=1)], "unknown key 'Extra'"),
        ([exemption(LogicalIds=[1])], "LogicalIds must be a list of non-empty strings"),
        # issue 12: a selector present but empty would mean "every" by accident
        ([exemption(RuleIds=[])], "RuleIds is empty"),
        ([exemption(AccountIds=[])], "AccountIds is empty"),
        ([exemption(StackNames=[])], "StackNames is empty"),
        ([exemption(LogicalIds=[], StackNames=["prod-*"])], "LogicalIds is empty"),
    ],
)
def test_invalid_exemptions_are_refused_with_the_reason(value, problem):
    with pytest.raises(ExemptionError) as error:
        parse_exemptions(value)
    assert problem in str(error.value)


def test_the_setting_is_read_by_parse_settings():
    settings = parse_settings({"Exemptions": json.dumps([exemption()])})
    assert settings.exemptions[0].reason == "SEC-1 DR migration"
    assert parse_settings({"Exemptions": ""}).exemptions == ()
    with pytest.raises(ConfigurationError, match=r"Exemptions\[0\]"):
        parse_settings({"Exemptions": "[{}]"})


def test_stack_name_of_a_stack_arn():
    assert stack_name_of(STACK_ID) == "ecr-perimeter-test"
    assert stack_name_of("") == "" and stack_name_of(None) == ""


# -- through the hook's real entrypoint ------------------------------------------------------

def config(*entries):
    return {"TrustedAccountIds": "222222222222", "Exemptions": json.dumps(list(entries))}


def test_hook_resource_target_exempted_finding_passes_with_a_skipped_annotation(invoke):
    event = hook_request(TYPE, replication(("eu-west-1", "999999999999")), logical_id="ReplDr",
                         config=config(exemption(Expires="2999-12-31")))
    response = invoke(event)
    assert response["hookStatus"] == "SUCCESS"
    [annotation] = response["annotations"]
    assert annotation["status"] == "SKIPPED" and annotation["annotationName"] == RULE
    assert "SEC-1 DR migration" in annotation["statusMessage"] and "exempted" in response["message"]


def test_hook_resource_target_expired_exemption_fails_and_says_so(invoke):
    event = hook_request(TYPE, replication(("eu-west-1", "999999999999")), logical_id="ReplDr",
                         config=config(exemption(Expires="2020-01-01")))
    response = invoke(event)
    assert response["hookStatus"] == "FAILED" and response["errorCode"] == "NonCompliant"
    [annotation] = response["annotations"]
    assert annotation["status"] == "FAILED" and "expired on 2020-01-01" in annotation["statusMessage"]


def test_hook_only_the_exempted_finding_is_forgiven(invoke):
    event = hook_request(TYPE, replication(("eu-west-1", "999999999999"), ("eu-west-1", "888888888888")),
                         logical_id="ReplDr", config=config(exemption(Expires="2999-12-31", RuleIds=["NOT-THIS-RULE"])))
    assert invoke(event)["hookStatus"] == "FAILED"


@pytest.mark.parametrize("selector", ["RuleIds", "AccountIds", "StackNames", "LogicalIds"])
def test_hook_empty_selector_list_is_an_invalid_type_configuration(invoke, selector):
    """Issue 12: "RuleIds": [] must not exempt every rule; the configuration is refused."""
    entry = exemption(Expires="2999-12-31", **{selector: []})
    if selector == "LogicalIds":
        entry["StackNames"] = ["ecr-perimeter-*"]
    event = hook_request(TYPE, replication(("eu-west-1", "999999999999")), logical_id="ReplDr", config=config(entry))
    response = invoke(event)
    assert response["hookStatus"] == "FAILED" and response["errorCode"] == "InvalidTypeConfiguration", response
    assert f"{selector} is empty" in response["message"]


def test_hook_account_scoped_exemption(invoke):
    entry = exemption(Expires="2999-12-31", AccountIds=["222222222222"])
    event = hook_request(TYPE, replication(("eu-west-1", "999999999999")), logical_id="ReplDr", config=config(entry))
    assert invoke(event)["hookStatus"] == "FAILED"  # the deploying account is 111111111111


# -- through the CLI ------------------------------------------------------------------------

def test_cli_active_expired_and_reported(tmp_path):
    template = tmp_path / "legacy-dr.yaml"
    template.write_text(
        "Resources:\n  ReplDr:\n    Type: AWS::ECR::ReplicationConfiguration\n    Properties:\n"
        "      ReplicationConfiguration:\n        Rules:\n          - Destinations:\n"
        "              - {Region: eu-west-1, RegistryId: '999999999999'}\n"
    )
    cfg = tmp_path / "config.json"
    entries = [
        {"StackNames": ["legacy-*"], "Reason": "SEC-9 legacy DR", "Expires": "2026-12-31"},
        {"StackNames": ["old-*"], "Reason": "SEC-2 gone", "Expires": "2026-01-01"},
    ]
    cfg.write_text(json.dumps({"Exemptions": json.dumps(entries)}))
    code, out, _ = run_cli("scan", str(template), "--config", str(cfg), "--format", "json", "--today", "2026-11-28")
    document = json.loads(out)
    assert code == 0
    [f] = document["findings"]
    assert f["exempted"] and not f["failing"] and f["exemption"]["reason"] == "SEC-9 legacy DR"
    assert [e["reason"] for e in document["expiredExemptions"]] == ["SEC-2 gone"]

    code, out, _ = run_cli("scan", str(template), "--config", str(cfg), "--format", "json", "--today", "2027-01-01")
    document = json.loads(out)
    assert code == 1
    [f] = document["findings"]
    assert f["failing"] and not f["exempted"] and f["expiredExemption"]["reason"] == "SEC-9 legacy DR"
    assert len(document["expiredExemptions"]) == 2

    code, out, _ = run_cli("scan", str(template), "--config", str(cfg), "--today", "2027-01-01")
    assert "exemption #0 expired on 2026-12-31 and no longer applies" in out and "expired: exemption #1" in out

    # the stack name is the file name unless --stack-name says otherwise
    code, _, _ = run_cli("scan", str(template), "--config", str(cfg), "--today", "2026-11-28", "--stack-name", "prod")
    assert code == 1
