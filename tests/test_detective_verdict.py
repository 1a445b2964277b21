"""The detective door's translation in: an EventBridge envelope read into one call (errorCode: the
call changed nothing), and the call judged by the shared adapter and assess, on documented-shape
CloudTrail events (tests/data/cloudtrail/, the adapter's, and tests/data/cloudtrail/detective/)."""

from __future__ import annotations

import json
import pathlib

import pytest

from dataperimeter_ecr_replicationguard.assess import Resource
from dataperimeter_ecr_replicationguard.aws_api import shapes
from dataperimeter_ecr_replicationguard.aws_api.live import NotRead
from dataperimeter_ecr_replicationguard.detective.events import EnvelopeError, read_event
from dataperimeter_ecr_replicationguard.detective.verdict import LIVE, judge_call, undecided_call
from dataperimeter_ecr_replicationguard.settings import parse_settings

DATA = pathlib.Path(__file__).resolve().parent / "data" / "cloudtrail"
MINE = DATA / "detective"
MEMBER, TRUSTED, FOREIGN = "111122223333", "444455556666", "999988887777"
SETTINGS = parse_settings({"TrustedAccountIds": TRUSTED})


def event(name: str) -> dict:
    return json.loads((MINE / name).read_text(encoding="utf-8"))


def verdict_of(name: str, settings=SETTINGS, **kwargs):
    return judge_call(read_event(event(name)), settings, **kwargs)


def failing(verdict) -> list[tuple[str, str, str]]:
    return sorted((r.logical_id, j.finding.rule_id, j.finding.path) for r, j in verdict.failing)


# -- the envelope ----------------------------------------------------------------------------------


def test_the_envelope_gives_who_what_where():
    call = read_event(event("put-replication-foreign-destination.json"))
    assert (call.event_source, call.event_name, call.account, call.region, call.partition) == (
        "ecr.amazonaws.com", "PutReplicationConfiguration", MEMBER, "eu-west-1", "aws")
    assert call.caller == f"arn:aws:sts::{MEMBER}:assumed-role/Admin/alice"
    assert call.event_time == "2026-12-01T12:01:07Z" and call.watched and call.changed_nothing is None
    assert call.registry_arn == f"arn:aws:ecr:eu-west-1:{MEMBER}:registry"
    public = read_event(event("ecr-public-set-repository-policy-foreign.json"))
    assert (public.event_source, public.region, public.watched) == ("ecr-public.amazonaws.com", "us-east-1", True)
    user = read_event(event("set-repository-policy-foreign-account.json"))
    assert user.caller == f"arn:aws:iam::{MEMBER}:user/bob"


def test_a_failed_call_changed_nothing():
    call = read_event(event("put-replication-access-denied.json"))
    assert call.error_code == "AccessDenied"
    assert "AccessDenied" in call.changed_nothing and "changed nothing" in call.changed_nothing


@pytest.mark.parametrize("change, where", [
    ({"detail-type": "AWS Service Event via CloudTrail"}, "/detail-type"),
    ({"source": "aws.s3"}, "/source"),
    ({"detail": "x"}, "/detail"),
    ({"detail": {"eventSource": "ecr-public.amazonaws.com"}}, "/detail/eventSource"),
    ({"detail": {"eventName": 7}}, "/detail/eventName"),
    ({"detail": {"recipientAccountId": "11112222333\u0663"}}, "/detail/recipientAccountId"),
    ({"account": "999999999999"}, "/account"),
    ({"detail": {"awsRegion": "eu-west-1\n"}}, "/detail/awsRegion"),
])
def test_an_envelope_that_cannot_be_read_says_what_and_where(change, where):
    broken = event("put-replication-foreign-destination.json")
    for key, value in change.items():
        if key == "detail" and isinstance(value, dict):
            broken["detail"].update(value)
        else:
            broken[key] = value
    with pytest.raises(EnvelopeError) as raised:
        read_event(broken)
    assert str(raised.value).startswith(where) and "\n" not in str(raised.value)


def test_the_caller_is_data_cut_and_escaped():
    hostile = event("put-replication-foreign-destination.json")
    hostile["detail"]["userIdentity"]["arn"] = "arn:aws:sts::1:assumed-role/x/\u202eevil\n" + "a" * 1000
    caller = read_event(hostile).caller
    assert "\u202e" not in caller and "\n" not in caller and len(caller) <= 256


# -- the verdict -----------------------------------------------------------------------------------


def test_a_foreign_destination_set_with_the_cli_fails_at_its_path():
    verdict = verdict_of("put-replication-foreign-destination.json")
    assert verdict.read_from == "event" and not verdict.undecided
    assert failing(verdict) == [(f"arn:aws:ecr:eu-west-1:{MEMBER}:registry", "ECR-REPLICATION-UNTRUSTED-DESTINATION",
                                 "/ReplicationConfiguration/Rules/0/Destinations/1/RegistryId")]
    [(_, judged)] = verdict.failing
    assert FOREIGN in judged.finding.message


@pytest.mark.parametrize("name", ["put-replication-trusted.json", "put-replication-removed.json",
                                  "set-repository-policy-trusted.json", "put-registry-policy-trusted.json"])
def test_trusted_and_removing_calls_are_compliant(name):
    verdict = verdict_of(name)
    assert verdict.compliant and verdict.assessed, verdict


@pytest.mark.parametrize("name, arn, rule", [
    ("set-repository-policy-foreign-account.json", f"arn:aws:ecr:eu-west-1:{MEMBER}:repository/prod/app",
     "ECR-POLICY-UNTRUSTED-ACCOUNT"),
    ("create-pull-through-cache-rule-foreign-ecr.json", f"arn:aws:ecr:eu-west-1:{MEMBER}:pull-through-cache-rule/upstream",
     "ECR-PTC-UNTRUSTED-UPSTREAM"),
    ("create-repository-creation-template-public.json",
     f"arn:aws:ecr:eu-west-1:{MEMBER}:repository-creation-template/team-a", "ECR-POLICY-PUBLIC-PRINCIPAL"),
    ("ecr-public-set-repository-policy-foreign.json", f"arn:aws:ecr-public::{MEMBER}:repository/tools",
     "ECR-POLICY-UNTRUSTED-ACCOUNT"),
])
def test_every_judged_call_fails_with_its_rule_on_its_resource(name, arn, rule):
    assert {(a, r) for a, r, _ in failing(verdict_of(name))} == {(arn, rule)}


def test_the_account_of_the_call_is_the_deploying_account():
    same_account = "put-replication-trusted.json"  # eu-central-1 in the member account itself, and a trusted one
    assert verdict_of(same_account).compliant
    strict = parse_settings({"TrustedAccountIds": TRUSTED, "TrustDeployingAccount": "false"})
    assert [rule for _, rule, _ in failing(verdict_of(same_account, strict))] == ["ECR-REPLICATION-UNTRUSTED-DESTINATION"]


def test_an_exempted_finding_does_not_fail_and_the_exemption_matches_the_resource_arn():
    exemption = json.dumps([{"LogicalIds": [f"arn:aws:ecr:eu-west-1:{MEMBER}:registry"], "AccountIds": [MEMBER],
                             "Reason": "SEC-9 DR copy", "Expires": "2999-12-31"}])
    verdict = verdict_of("put-replication-foreign-destination.json",
                         parse_settings({"TrustedAccountIds": TRUSTED, "Exemptions": exemption}))
    assert verdict.compliant
    [judged] = [j for a in verdict.assessed for j in a.judged]
    assert judged.exempted and judged.exemption.reason == "SEC-9 DR copy"


def test_a_cut_event_without_a_live_read_is_undecided_naming_the_registry():
    verdict = verdict_of("put-replication-truncated.json")
    assert verdict.read_from == LIVE and not verdict.compliant and not verdict.assessed
    [undecided] = verdict.undecided
    assert undecided.arn == f"arn:aws:ecr:eu-west-1:{MEMBER}:registry"
    assert undecided.resource_type == "AWS::ECR::ReplicationConfiguration"
    assert "cannot be read" in undecided.reason and "not read" in undecided.reason


def test_a_cut_event_is_judged_from_the_live_configuration():
    live = shapes.replication_resource(
        {"replicationConfiguration": {"rules": [{"destinations": [{"region": "eu-west-1", "registryId": FOREIGN}]}]}},
        account=MEMBER, region="eu-west-1")
    asked = []
    verdict = verdict_of("put-replication-truncated.json", live=lambda call: asked.append(call) or [live])
    assert [c.event_name for c in asked] == ["PutReplicationConfiguration"]
    assert verdict.read_from == LIVE and not verdict.undecided
    assert [rule for _, rule, _ in failing(verdict)] == ["ECR-REPLICATION-UNTRUSTED-DESTINATION"]


@pytest.mark.parametrize("read", [
    lambda call: [NotRead("DescribeRegistry", "AccessDeniedException: not authorized")],
    lambda call: [],
    lambda call: (_ for _ in ()).throw(RuntimeError("boom")),
])
def test_a_cut_event_whose_live_read_fails_is_undecided_never_compliant(read):
    verdict = verdict_of("put-replication-truncated.json", live=read)
    assert not verdict.compliant and verdict.undecided and not verdict.failing


def test_what_the_live_read_found_is_judged_beside_what_it_could_not_read():
    found = Resource(shapes.REPOSITORY, f"arn:aws:ecr:eu-west-1:{MEMBER}:repository/prod/app",
                     {"RepositoryName": "prod/app", "RepositoryPolicyText": json.dumps({
                         "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
                                                                 "Action": "ecr:*"}]})})
    cut = event("set-repository-policy-foreign-account.json")
    cut["detail"]["requestParameters"] = {"omitted": True}
    verdict = judge_call(read_event(cut), SETTINGS,
                         live=lambda call: [found, NotRead("GetRepositoryPolicy other", "ThrottlingException")])
    assert [rule for _, rule, _ in failing(verdict)] == ["ECR-POLICY-PUBLIC-PRINCIPAL"]
    assert len(verdict.undecided) == 1 and "ThrottlingException" in verdict.undecided[0].reason


def test_a_trusted_set_that_cannot_be_read_makes_the_call_undecided():
    organizations = parse_settings({"AccountSource": "Organizations", "TrustedOrganizationIds": "o-a1b2c3d4e5"})
    verdict = verdict_of("put-replication-foreign-destination.json", organizations, session=None)
    assert not verdict.compliant and not verdict.failing
    [undecided] = verdict.undecided
    assert "trusted set cannot be read" in undecided.reason and "NoCredentials" in undecided.reason


def test_settings_that_do_not_validate_make_the_call_undecided():
    verdict = undecided_call(read_event(event("put-replication-foreign-destination.json")), "settings: bad")
    assert not verdict.compliant and verdict.undecided[0].reason == "settings: bad"


EXPECTED = json.loads((DATA / "expected.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(EXPECTED["events"]))
def test_the_adapters_fixtures_get_their_expected_outcome_through_the_door(name):
    """The awsapi fixtures, through this door's envelope reader and verdict: a judged event fails
    with exactly the rules expected.json lists; an unreadable one is undecided (no live read
    here); a failed call changed nothing; a call the door does not judge is not watched."""
    expected = EXPECTED["events"][name]
    call = read_event(json.loads((DATA / name).read_text(encoding="utf-8")))
    outcome = expected["outcome"]
    if outcome == "failed-call":
        assert call.changed_nothing is not None
        return
    if outcome == "not-a-perimeter-call":
        assert not call.watched
        return
    verdict = judge_call(call, parse_settings(EXPECTED["settings"]))
    if outcome == "unreadable":
        assert verdict.undecided and not verdict.assessed and not verdict.compliant
        return
    assert outcome == "judged"
    assert {r.logical_id for a in verdict.assessed for r in [a.resource]} == {expected["arn"]}
    assert sorted({j.finding.rule_id for _, j in verdict.failing}) == sorted(set(expected["rule_ids"]))
