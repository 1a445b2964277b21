"""The replication remediation: the plan made from a live configuration and its judged findings
(the real adapter and core), and its run against ECR (moto; botocore's Stubber for the failures).
Off by default, dry-run by default once enabled; what it puts back is always compliant."""

from __future__ import annotations

import datetime
import json
import pathlib

import boto3
import pytest
from botocore.stub import Stubber
from hypothesis import given
from hypothesis import strategies as st
from moto import mock_aws

from dataperimeter_ecr_replicationguard.assess import assess
from dataperimeter_ecr_replicationguard.aws_api import shapes
from dataperimeter_ecr_replicationguard.detective import remediation, respond
from dataperimeter_ecr_replicationguard.detective.events import read_event
from dataperimeter_ecr_replicationguard.detective.verdict import judge_call
from dataperimeter_ecr_replicationguard.invocation import Invocation
from dataperimeter_ecr_replicationguard.settings import parse_settings

MEMBER, TRUSTED, FOREIGN = "111122223333", "444455556666", "999988887777"
SETTINGS = parse_settings({"TrustedAccountIds": TRUSTED, "AllowedReplicationRegions": ""})
INVOCATION = Invocation(MEMBER, "eu-west-1", "aws")
EVENT = pathlib.Path(__file__).resolve().parent / "data" / "cloudtrail" / "detective" / "put-replication-foreign-destination.json"


def judged(configuration: dict, settings=SETTINGS) -> list:
    resource = shapes.replication_resource({"replicationConfiguration": configuration}, account=MEMBER, region="eu-west-1")
    return [j for a in assess([resource], settings, INVOCATION, today=datetime.date(2026, 12, 1)).resources
            for j in a.judged]


def rule(*destinations, filters=None) -> dict:
    out = {"destinations": [{"region": r, "registryId": a} for r, a in destinations]}
    if filters:
        out["repositoryFilters"] = filters
    return out


# -- settings --------------------------------------------------------------------------------------


def test_remediation_is_off_by_default_and_dry_run_once_enabled():
    assert remediation.remediation_of({}) == remediation.Remediation("Off", True)
    assert not remediation.remediation_of({}).enabled
    assert remediation.remediation_of({"GUARD_REMEDIATION": "KeepTrusted"}) == remediation.Remediation("KeepTrusted", True)
    assert remediation.remediation_of({"GUARD_REMEDIATION": "Remove", "GUARD_REMEDIATION_DRY_RUN": "false"}) == \
        remediation.Remediation("Remove", False)


@pytest.mark.parametrize("environ, named", [({"GUARD_REMEDIATION": "keeptrusted"}, "GUARD_REMEDIATION"),
                                            ({"GUARD_REMEDIATION": "Delete"}, "GUARD_REMEDIATION"),
                                            ({"GUARD_REMEDIATION_DRY_RUN": "no"}, "GUARD_REMEDIATION_DRY_RUN")])
def test_a_misspelt_remediation_setting_is_refused_naming_it(environ, named):
    with pytest.raises(remediation.RemediationSettingError, match=named):
        remediation.remediation_of(environ)


# -- the plan --------------------------------------------------------------------------------------


def test_keep_trusted_removes_the_foreign_destinations_and_rules_left_empty():
    live = {"rules": [rule(("eu-west-1", TRUSTED), ("us-east-1", FOREIGN), filters=[{"filter": "prod/", "filterType": "PREFIX_MATCH"}]),
                      rule(("us-east-1", FOREIGN)),
                      rule(("eu-central-1", MEMBER))]}
    planned = remediation.plan(live, judged(live), "KeepTrusted")
    assert planned.configuration == {"rules": [
        rule(("eu-west-1", TRUSTED), filters=[{"filter": "prod/", "filterType": "PREFIX_MATCH"}]),
        rule(("eu-central-1", MEMBER))]}
    assert planned.removed_destinations == ((0, 1, FOREIGN, "us-east-1"), (1, 0, FOREIGN, "us-east-1"))
    assert planned.removed_rules == (1,)
    assert "rule 0 destination 1 (999988887777 in us-east-1)" in planned.describe()
    assert judged(planned.configuration) == []  # what is put back passes


def test_remove_takes_the_whole_configuration_away():
    live = {"rules": [rule(("eu-west-1", TRUSTED), ("us-east-1", FOREIGN))]}
    planned = remediation.plan(live, judged(live), "Remove")
    assert planned.configuration == {"rules": []} and planned.removes_everything
    assert planned.describe().startswith("remove the replication configuration")


def test_nothing_failing_plans_nothing_and_exempted_findings_do_not_count():
    live = {"rules": [rule(("eu-west-1", TRUSTED))]}
    assert remediation.plan(live, judged(live), "KeepTrusted") is None
    foreign = {"rules": [rule(("us-east-1", FOREIGN))]}
    exempted = parse_settings({"TrustedAccountIds": TRUSTED, "Exemptions": json.dumps(
        [{"LogicalIds": ["arn:aws:ecr:*:registry"], "Reason": "SEC-1", "Expires": "2999-01-01"}])})
    assert remediation.plan(foreign, judged(foreign, exempted), "Remove") is None


def test_a_destination_the_core_cannot_read_goes_too():
    live = {"rules": [rule(("eu-west-1", TRUSTED), ("eu-west-1", "99998888777\u0667"))]}
    planned = remediation.plan(live, judged(live), "KeepTrusted")
    assert planned.configuration == {"rules": [rule(("eu-west-1", TRUSTED))]}
    assert "ECR-REPLICATION-INVALID-REGISTRY-ID" in planned.reasons


def test_a_configuration_that_cannot_be_read_is_removed_whole():
    unreadable = respond._unreadable()
    assert remediation.plan(None, [unreadable], "KeepTrusted").configuration == {"rules": []}
    assert remediation.plan({"rules": "x"}, [unreadable], "KeepTrusted").configuration == {"rules": []}


ACCOUNTS = st.sampled_from([TRUSTED, FOREIGN, MEMBER, "123456789012"])
REGIONS = st.sampled_from(["eu-west-1", "us-east-1", "ap-southeast-2"])
CONFIGURATIONS = st.lists(st.lists(st.tuples(REGIONS, ACCOUNTS), min_size=1, max_size=4), min_size=1, max_size=25).map(
    lambda rules: {"rules": [rule(*destinations) for destinations in rules]})


@given(CONFIGURATIONS)
def test_what_keep_trusted_puts_back_always_passes_and_keeps_every_trusted_destination(live):
    planned = remediation.plan(live, judged(live), "KeepTrusted")
    if planned is None:
        assert judged(live) == []
        return
    assert judged(planned.configuration) == []
    trusted = [d for rl in live["rules"] for d in rl["destinations"] if d["registryId"] in (TRUSTED, MEMBER)]
    assert [d for rl in planned.configuration["rules"] for d in rl["destinations"]] == trusted


# -- the run, against ECR --------------------------------------------------------------------------


def foreign_verdict():
    return judge_call(read_event(json.loads(EVENT.read_text(encoding="utf-8"))), SETTINGS)


def judge(call, resource):
    return assess([resource], SETTINGS, Invocation(call.account, call.region, call.partition))


class Member:
    """A boto3-like session whose clients are the given ones."""

    def __init__(self, **clients):
        self.clients = clients

    def client(self, name, region_name=None):
        assert region_name == "eu-west-1"
        return self.clients[name]


@pytest.fixture
def ecr():
    with mock_aws():
        yield boto3.client("ecr", region_name="eu-west-1")


def test_keep_trusted_puts_the_trusted_destinations_back(ecr):
    # moto accepts one rule per configuration
    ecr.put_replication_configuration(replicationConfiguration={"rules": [rule(("eu-west-1", TRUSTED), ("us-east-1", FOREIGN))]})
    outcome = respond.remediate(foreign_verdict(), remediation.Remediation("KeepTrusted", False), Member(ecr=ecr), judge=judge)
    assert outcome["applied"] is True and "error" not in outcome
    assert ecr.describe_registry()["replicationConfiguration"] == {"rules": [rule(("eu-west-1", TRUSTED))]}


def test_remove_removes_the_configuration(ecr):
    ecr.put_replication_configuration(replicationConfiguration={"rules": [rule(("us-east-1", FOREIGN))]})
    outcome = respond.remediate(foreign_verdict(), remediation.Remediation("Remove", False), Member(ecr=ecr), judge=judge)
    assert outcome["applied"] is True
    assert ecr.describe_registry()["replicationConfiguration"] == {"rules": []}


def test_dry_run_reports_and_changes_nothing(ecr):
    configuration = {"rules": [rule(("eu-west-1", TRUSTED), ("us-east-1", FOREIGN))]}
    ecr.put_replication_configuration(replicationConfiguration=configuration)
    outcome = respond.remediate(foreign_verdict(), remediation.Remediation("KeepTrusted", True), Member(ecr=ecr), judge=judge)
    assert outcome["applied"] is False and outcome["action"].startswith("dry run, would keep only the trusted")
    assert outcome["configuration"] == {"rules": [rule(("eu-west-1", TRUSTED))]}
    assert ecr.describe_registry()["replicationConfiguration"] == configuration


def test_a_later_compliant_change_is_never_undone(ecr):
    """The event named a foreign destination, but the live configuration is compliant by now."""
    later = {"rules": [rule(("eu-central-1", TRUSTED))]}
    ecr.put_replication_configuration(replicationConfiguration=later)
    outcome = respond.remediate(foreign_verdict(), remediation.Remediation("Remove", False), Member(ecr=ecr), judge=judge)
    assert outcome["action"].startswith("none") and outcome["applied"] is False
    assert ecr.describe_registry()["replicationConfiguration"] == later


def test_no_replication_finding_no_remediation():
    trusted = json.loads(EVENT.read_text(encoding="utf-8"))
    trusted["detail"]["requestParameters"]["replicationConfiguration"]["rules"][0]["destinations"].pop()
    verdict = judge_call(read_event(trusted), SETTINGS)
    assert respond.remediate(verdict, remediation.Remediation("Remove", False), None, judge=judge) is None


def test_failures_change_nothing_and_say_why():
    client = boto3.client("ecr", region_name="eu-west-1", aws_access_key_id="k", aws_secret_access_key="s")
    with Stubber(client) as stub:
        stub.add_client_error("describe_registry", "AccessDeniedException", "not authorized to DescribeRegistry")
        outcome = respond.remediate(foreign_verdict(), remediation.Remediation("Remove", False), Member(ecr=client),
                                    judge=judge)
        assert outcome["applied"] is False and "AccessDeniedException" in outcome["error"]
        stub.assert_no_pending_responses()
    with Stubber(client) as stub:
        stub.add_response("describe_registry", {"registryId": MEMBER, "replicationConfiguration": {
            "rules": [rule(("us-east-1", FOREIGN))]}})
        stub.add_client_error("put_replication_configuration", "ValidationException", "bad")
        outcome = respond.remediate(foreign_verdict(), remediation.Remediation("Remove", False), Member(ecr=client),
                                    judge=judge)
        assert outcome["applied"] is False and "ValidationException" in outcome["error"]
        stub.assert_no_pending_responses()
    outcome = respond.remediate(foreign_verdict(), remediation.Remediation("Remove", False), None, judge=judge)
    assert outcome["applied"] is False and "no credentials" in outcome["error"]
