"""The detective Lambda through its real entrypoint (``detective.handler.handler``), with boto3
against moto: the settings from SSM, the member role assumed through STS, findings imported into
Security Hub in the account of the call and resolved by a later compliant call, the SNS notice,
the live read for a cut event, remediation; botocore's Stubber for the ECR APIs moto lacks
(pull-through cache rules). Hostile requests never crash it or make it report compliant."""

from __future__ import annotations

import copy
import json
import pathlib

import boto3
import pytest
from botocore.stub import Stubber
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from dataperimeter_ecr_replicationguard.aws_api import configuration_source
from dataperimeter_ecr_replicationguard.aws_api.live import LiveClients
from dataperimeter_ecr_replicationguard.detective import handler as entry
from dataperimeter_ecr_replicationguard.detective.handler import DeliveryFailed, Detective, UnreadableEvent
from strategies import _disguises, json_values, junk_keys, mutated

DATA = pathlib.Path(__file__).resolve().parent / "data" / "cloudtrail"
MINE = DATA / "detective"
CENTRAL, MEMBER, TRUSTED, FOREIGN = "123456789012", "111122223333", "444455556666", "999988887777"
REGISTRY = f"arn:aws:ecr:eu-west-1:{MEMBER}:registry"
ROLE = "/ecr-perimeter-guard/EcrPerimeterGuardDetectiveMember"
GENERATOR = "ecr-perimeter-guard/detective"


class Context:
    invoked_function_arn = f"arn:aws:lambda:eu-west-1:{CENTRAL}:function:guard-detective"


def event(name: str, **detail) -> dict:
    found = json.loads((MINE / name).read_text(encoding="utf-8"))
    found["detail"].update(detail)
    return found


def later(found: dict, minutes: int) -> dict:
    """The same call, ``minutes`` after the fixtures' calls (their times are 12:01..12:11)."""
    changed = copy.deepcopy(found)
    changed["detail"]["eventTime"] = changed["time"] = f"2026-12-01T13:{minutes:02d}:00Z"
    return changed


def member_session():
    sts = boto3.client("sts", region_name="eu-west-1")
    credentials = sts.assume_role(RoleArn=f"arn:aws:iam::{MEMBER}:role{ROLE}", RoleSessionName="test")["Credentials"]
    return boto3.session.Session(aws_access_key_id=credentials["AccessKeyId"],
                                 aws_secret_access_key=credentials["SecretAccessKey"],
                                 aws_session_token=credentials["SessionToken"], region_name="eu-west-1")


class World:
    """moto's AWS: the central account (the Lambda's: SSM, SNS with a queue subscribed) and the
    member account (ECR, Security Hub)."""

    def __init__(self, monkeypatch):
        self.monkeypatch = monkeypatch
        ssm = boto3.client("ssm", region_name="eu-west-1")
        ssm.put_parameter(Name="guard-settings", Type="String", Value=json.dumps({"TrustedAccountIds": TRUSTED}))
        sns = boto3.client("sns", region_name="eu-west-1")
        self.topic = sns.create_topic(Name="guard")["TopicArn"]
        sqs = boto3.client("sqs", region_name="eu-west-1")
        self.queue = sqs.create_queue(QueueName="inbox")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=self.queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=self.topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
        self.environ = {"GUARD_CONFIGURATION_PARAMETER": "guard-settings", "GUARD_MEMBER_ROLE": ROLE,
                        "GUARD_SNS_TOPIC_ARN": self.topic}
        for key, value in self.environ.items():
            monkeypatch.setenv(key, value)
        self.member = member_session()
        self.member.client("securityhub").enable_security_hub()

    def set(self, **environ):
        for key, value in environ.items():
            if value is None:
                self.monkeypatch.delenv(key, raising=False)
            else:
                self.monkeypatch.setenv(key, value)

    def run(self, found: dict) -> dict:
        return entry.handler(found, Context())

    def findings(self, state: str | None = "ACTIVE") -> list[dict]:
        found = self.member.client("securityhub").get_findings()["Findings"]
        return [f for f in found if state is None or f["RecordState"] == state]

    def notices(self) -> list[dict]:
        sqs = boto3.client("sqs", region_name="eu-west-1")
        messages = sqs.receive_message(QueueUrl=self.queue, MaxNumberOfMessages=10).get("Messages", [])
        for m in messages:
            sqs.delete_message(QueueUrl=self.queue, ReceiptHandle=m["ReceiptHandle"])
        return [json.loads(m["Body"]) for m in messages]


@pytest.fixture
def world(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    configuration_source.forget_cached_configuration()
    entry.forget_detectives()
    with mock_aws():
        yield World(monkeypatch)
    configuration_source.forget_cached_configuration()
    entry.forget_detectives()


def fields(finding: dict) -> dict:
    return {k.removeprefix("dataperimeter/"): v for k, v in finding["ProductFields"].items()}


# -- the path a user sees --------------------------------------------------------------------------


def test_a_foreign_destination_set_with_the_cli_is_a_security_hub_finding_in_the_account_of_the_call(world):
    summary = world.run(event("put-replication-foreign-destination.json"))
    assert summary["status"] == "failing" and summary["readFrom"] == "event"
    [finding] = world.findings()
    assert finding["AwsAccountId"] == MEMBER and finding["Region"] == "eu-west-1"
    assert finding["ProductArn"] == f"arn:aws:securityhub:eu-west-1:{MEMBER}:product/{MEMBER}/default"
    assert finding["GeneratorId"] == GENERATOR
    assert finding["Resources"][0]["Id"] == REGISTRY
    assert finding["Severity"]["Label"] == "HIGH" and finding["Compliance"]["Status"] == "FAILED"
    assert fields(finding)["RuleId"] == "ECR-REPLICATION-UNTRUSTED-DESTINATION"
    assert fields(finding)["Caller"] == f"arn:aws:sts::{MEMBER}:assumed-role/Admin/alice"
    assert fields(finding)["Path"] == "/ReplicationConfiguration/Rules/0/Destinations/1/RegistryId"
    assert FOREIGN in finding["Description"] and FOREIGN in finding["Remediation"]["Recommendation"]["Text"]
    assert finding["Remediation"]["Recommendation"]["Url"].startswith("https://docs.aws.amazon.com/")
    assert summary["imported"] == [finding["Id"]]
    [notice] = world.notices()
    assert notice["call"]["account"] == MEMBER and notice["findings"][0]["ruleId"] == "ECR-REPLICATION-UNTRUSTED-DESTINATION"
    assert world.findings(state=None) == [finding]  # the central account imported nothing of its own


def test_a_later_compliant_call_on_the_same_resource_resolves_the_finding(world):
    world.run(event("put-replication-foreign-destination.json"))
    [open_] = world.findings()
    summary = world.run(later(event("put-replication-removed.json"), 5))
    assert summary["status"] == "compliant" and summary["resolved"] == [open_["Id"]]
    assert world.findings() == []
    [closed] = world.findings(state="ARCHIVED")
    assert closed["Id"] == open_["Id"] and closed["Compliance"]["Status"] == "PASSED"
    assert world.notices()[1:] == []  # a compliant call sends nothing


def test_two_untrusted_accounts_in_one_statement_are_two_findings_not_one_overwritten(world):
    # One statement, two foreign accounts: the core reports each (same rule, same path); Security
    # Hub keys a finding by Id, so one Id for both would keep only the last account imported.
    other = "777766665555"
    policy = {"Version": "2012-10-17", "Statement": [{"Sid": "Pull", "Effect": "Allow", "Principal": {"AWS": [
        f"arn:aws:iam::{FOREIGN}:root", f"arn:aws:iam::{other}:root"]}, "Action": ["ecr:BatchGetImage"]}]}
    found = event("set-repository-policy-foreign-account.json")
    found["detail"]["requestParameters"]["policyText"] = json.dumps(policy)
    summary = world.run(found)
    assert sorted(f["ruleId"] for f in summary["failing"]) == ["ECR-POLICY-UNTRUSTED-ACCOUNT"] * 2
    assert len(set(summary["imported"])) == 2
    subjects = sorted(fields(f)["Subject"] for f in world.findings())
    assert subjects == sorted([FOREIGN, other])
    # a later call that drops one of them resolves that one only
    policy["Statement"][0]["Principal"]["AWS"].pop()
    found = later(found, 5)
    found["detail"]["requestParameters"]["policyText"] = json.dumps(policy)
    summary = world.run(found)
    assert len(summary["resolved"]) == 1
    assert [fields(f)["Subject"] for f in world.findings()] == [FOREIGN]


def test_a_compliant_call_older_than_the_violation_does_not_resolve_it(world):
    world.run(later(event("put-replication-foreign-destination.json"), 30))
    summary = world.run(later(event("put-replication-trusted.json"), 10))  # arrived late
    assert summary["resolved"] == []
    assert [fields(f)["RuleId"] for f in world.findings()] == ["ECR-REPLICATION-UNTRUSTED-DESTINATION"]


def test_a_compliant_registry_policy_does_not_resolve_a_replication_finding_on_the_same_registry(world):
    world.run(event("put-replication-foreign-destination.json"))
    summary = world.run(later(event("put-registry-policy-trusted.json"), 5))
    assert summary["status"] == "compliant" and summary["resolved"] == []
    assert len(world.findings()) == 1


def test_a_failed_call_changed_nothing_and_reports_nothing(world):
    summary = world.run(event("put-replication-access-denied.json"))
    assert summary["status"] == "ignored" and "AccessDenied" in summary["reason"]
    assert world.findings(state=None) == [] and world.notices() == []


def test_an_event_that_is_not_a_cloudtrail_ecr_call_fails_the_invocation_so_it_is_kept(world):
    with pytest.raises(UnreadableEvent, match="/source"):
        world.run({**event("put-replication-trusted.json"), "source": "aws.s3"})


def test_the_trusted_set_can_come_from_organizations_as_for_the_hook(world):
    organizations = boto3.client("organizations", region_name="us-east-1")
    org = organizations.create_organization(FeatureSet="ALL")["Organization"]["Id"]
    sister = organizations.create_account(AccountName="dr", Email="dr@example.com")["CreateAccountStatus"]["AccountId"]
    boto3.client("ssm", region_name="eu-west-1").put_parameter(
        Name="guard-settings", Type="String", Overwrite=True,
        Value=json.dumps({"AccountSource": "Organizations", "TrustedOrganizationIds": org}))
    to_sister = json.loads(json.dumps(event("put-replication-foreign-destination.json")).replace(TRUSTED, sister))
    summary = world.run(to_sister)  # the sister account is trusted, the foreign one still not
    assert [(f["ruleId"], FOREIGN in f["message"]) for f in summary["failing"]] == [
        ("ECR-REPLICATION-UNTRUSTED-DESTINATION", True)]
    only_sister = copy.deepcopy(to_sister)
    only_sister["detail"]["requestParameters"]["replicationConfiguration"]["rules"][0]["destinations"].pop()
    assert world.run(later(only_sister, 1))["status"] == "compliant"


def test_an_exempted_finding_is_reported_as_a_warning_and_does_not_fail(world):
    boto3.client("ssm", region_name="eu-west-1").put_parameter(
        Name="guard-settings", Type="String", Overwrite=True, Value=json.dumps({
            "TrustedAccountIds": TRUSTED, "Exemptions": json.dumps([{"LogicalIds": [REGISTRY], "Reason": "SEC-7 DR",
                                                                     "Expires": "2999-01-01"}])}))
    summary = world.run(event("put-replication-foreign-destination.json"))
    assert summary["status"] == "compliant" and summary["failing"] == []
    [finding] = world.findings()
    assert finding["Compliance"]["Status"] == "WARNING" and "SEC-7 DR" in fields(finding)["Exemption"]
    assert world.notices() == []


# -- events the adapter cannot read ----------------------------------------------------------------


def test_a_cut_event_is_judged_from_the_live_configuration_through_the_member_role(world):
    ecr = world.member.client("ecr")
    ecr.put_replication_configuration(replicationConfiguration={"rules": [
        {"destinations": [{"region": "us-east-1", "registryId": FOREIGN}]}]})
    summary = world.run(event("put-replication-truncated.json"))
    assert summary["readFrom"] == "live" and summary["status"] == "failing"
    assert [fields(f)["RuleId"] for f in world.findings()] == ["ECR-REPLICATION-UNTRUSTED-DESTINATION"]


def stubbed(responses):
    """LiveClients whose ECR client answers with ``responses`` (botocore's Stubber: moto has no
    pull-through cache rules)."""
    def clients(session, region):
        ecr = boto3.client("ecr", region_name=region, aws_access_key_id="k", aws_secret_access_key="s")
        stub = Stubber(ecr)
        for method, answer in responses:
            if isinstance(answer, Exception):
                stub.add_client_error(method, answer.args[0], answer.args[1])
            else:
                stub.add_response(method, answer)
        stub.activate()
        return LiveClients(ecr=ecr)
    return clients


def update_ptc_event() -> dict:
    found = event("create-pull-through-cache-rule-foreign-ecr.json", eventName="UpdatePullThroughCacheRule")
    found["detail"]["requestParameters"] = {"ecrRepositoryPrefix": "upstream", "credentialArn":
                                            f"arn:aws:secretsmanager:eu-west-1:{MEMBER}:secret:ecr-pullthroughcache/x"}
    return found


def test_an_update_of_a_pull_through_cache_rule_is_judged_from_the_live_rule(world):
    rule = {"ecrRepositoryPrefix": "upstream", "upstreamRegistryUrl": f"{FOREIGN}.dkr.ecr.eu-west-1.amazonaws.com",
            "registryId": MEMBER, "upstreamRegistry": "ecr"}
    detective = Detective(dict(world.environ), boto3.session.Session(), CENTRAL,
                          live_clients=stubbed([("describe_pull_through_cache_rules", {"pullThroughCacheRules": [rule]})]))
    summary = detective.handle(update_ptc_event())
    assert summary["readFrom"] == "live"
    assert [f["ruleId"] for f in summary["failing"]] == ["ECR-PTC-UNTRUSTED-UPSTREAM"]
    assert [fields(f)["RuleId"] for f in world.findings()] == ["ECR-PTC-UNTRUSTED-UPSTREAM"]


def test_an_event_that_can_be_read_neither_from_the_record_nor_live_is_an_undecided_finding(world):
    denied = Exception("AccessDeniedException", "not authorized to perform ecr:DescribePullThroughCacheRules")
    detective = Detective(dict(world.environ), boto3.session.Session(), CENTRAL,
                          live_clients=stubbed([("describe_pull_through_cache_rules", denied)]))
    summary = detective.handle(update_ptc_event())
    assert summary["status"] == "failing" and summary["failing"] == [] and summary["undecided"]
    [finding] = world.findings()
    assert fields(finding)["RuleId"] == "ECR-PERIMETER-UNDECIDED" and finding["Compliance"]["Status"] == "FAILED"
    assert "AccessDeniedException" in finding["Description"]
    [notice] = world.notices()
    assert notice["findings"][0]["ruleId"] == "ECR-PERIMETER-UNDECIDED"


def test_undecided_calls_on_two_repositories_are_two_findings_each_resolved_by_its_own_compliant_call(world):
    # The record names the repository even when its policy was cut: the undecided finding is that
    # repository's, so a second cut call on another one does not overwrite it, and a later
    # compliant call on the repository resolves it (a finding on the registry never would be).
    denied = Exception("AccessDeniedException", "not authorized to perform ecr:DescribeRepositories")
    detective = Detective(dict(world.environ), boto3.session.Session(), CENTRAL,
                          live_clients=stubbed([("describe_repositories", denied)] * 2))
    cut = {}
    for name in ("prod/app", "prod/web"):
        found = event("set-repository-policy-foreign-account.json")
        found["detail"]["requestParameters"].update(repositoryName=name, policyText="{\"Version\": \"2012-10-17\", \"Sta")
        cut[name] = found
        summary = detective.handle(found)
        assert summary["status"] == "failing" and summary["readFrom"] == "live"
        assert [u["arn"] for u in summary["undecided"]] == [f"arn:aws:ecr:eu-west-1:{MEMBER}:repository/{name}"]
    assert sorted(f["Resources"][0]["Id"] for f in world.findings()) == [
        f"arn:aws:ecr:eu-west-1:{MEMBER}:repository/prod/app", f"arn:aws:ecr:eu-west-1:{MEMBER}:repository/prod/web"]
    compliant = later(event("set-repository-policy-trusted.json"), 5)
    compliant["detail"]["requestParameters"]["repositoryName"] = "prod/app"
    summary = world.run(compliant)
    assert summary["status"] == "compliant" and len(summary["resolved"]) == 1
    assert [f["Resources"][0]["Id"] for f in world.findings()] == [f"arn:aws:ecr:eu-west-1:{MEMBER}:repository/prod/web"]


def test_settings_that_do_not_validate_make_every_call_an_undecided_finding(world):
    boto3.client("ssm", region_name="eu-west-1").put_parameter(
        Name="guard-settings", Type="String", Overwrite=True, Value=json.dumps({"TrustedAcountIds": TRUSTED}))
    summary = world.run(event("put-replication-trusted.json"))
    assert summary["status"] == "failing"
    [finding] = world.findings()
    assert fields(finding)["RuleId"] == "ECR-PERIMETER-UNDECIDED"
    assert "TrustedAccountIds" in finding["Description"]  # the nearest setting is named


def test_the_document_can_come_from_the_environment_instead(world):
    world.set(GUARD_CONFIGURATION_PARAMETER=None, GUARD_CONFIGURATION=json.dumps({"TrustedAccountIds": FOREIGN}))
    assert world.run(event("put-replication-foreign-destination.json"))["status"] == "failing"  # TRUSTED not trusted now
    world.set(GUARD_CONFIGURATION=json.dumps({"TrustedAccountIds": f"{TRUSTED},{FOREIGN}"}))
    assert world.run(event("put-replication-foreign-destination.json"))["status"] == "compliant"


def test_an_error_while_judging_is_an_undecided_finding_not_a_lost_event(world, monkeypatch):
    from dataperimeter_ecr_replicationguard.detective import verdict

    def broken(*args, **kwargs):
        raise KeyError("boom")

    monkeypatch.setattr(entry, "judge_call", broken)
    assert verdict.judge_call is not broken
    summary = world.run(event("put-replication-foreign-destination.json"))
    assert summary["status"] == "failing" and "KeyError" in summary["undecided"][0]["reason"]
    assert [fields(f)["RuleId"] for f in world.findings()] == ["ECR-PERIMETER-UNDECIDED"]


# -- what cannot be delivered ----------------------------------------------------------------------


def test_without_a_role_in_the_account_of_the_call_the_invocation_fails_after_notifying(world):
    world.set(GUARD_MEMBER_ROLE="")
    with pytest.raises(DeliveryFailed, match="GUARD_MEMBER_ROLE names no role"):
        world.run(event("put-replication-foreign-destination.json"))
    assert world.findings(state=None) == []
    [notice] = world.notices()  # SNS still says what was found
    assert notice["findings"][0]["ruleId"] == "ECR-REPLICATION-UNTRUSTED-DESTINATION"


def test_security_hub_refusing_the_findings_fails_the_invocation(world, monkeypatch):
    from dataperimeter_ecr_replicationguard.aws_api import security_hub

    monkeypatch.setattr(security_hub, "import_findings",
                        lambda client, findings: [{"Id": f["Id"], "ErrorCode": "InvalidAccess", "ErrorMessage": "no"}
                                                  for f in findings])
    with pytest.raises(DeliveryFailed, match="refused 1 of 1"):
        world.run(event("put-replication-foreign-destination.json"))


def test_the_largest_configuration_the_api_accepts_still_gets_its_sns_notice_under_256_kib(world):
    # 25 rules of 100 destinations (the API's limits), half of them foreign, remediation in dry run:
    # the notice (every finding it can hold, the rest counted, and the planned configuration) must
    # fit SNS's 256 KiB, or every retry of the event fails on SNS and it ends on the dead-letter queue.
    rules = [{"destinations": [{"region": "eu-west-1", "registryId": TRUSTED if d % 2 else f"99998888{r:02d}{d:02d}"}
                               for d in range(100)],
              "repositoryFilters": [{"filter": f"team-{r}/", "filterType": "PREFIX_MATCH"}]} for r in range(25)]
    world.set(GUARD_REMEDIATION="KeepTrusted")
    found = event("put-replication-foreign-destination.json")
    found["detail"]["requestParameters"] = {"replicationConfiguration": {"rules": rules}}
    found["detail"]["responseElements"] = None
    detective = Detective(dict(world.environ, GUARD_REMEDIATION="KeepTrusted"), boto3.session.Session(), CENTRAL)
    member = world.member

    class Member:  # the member session, whose ECR answers with the 25 rules (moto holds one rule only)
        def client(self, service, **kwargs):
            if service != "ecr":
                return member.client(service, **kwargs)
            ecr = boto3.client("ecr", region_name="eu-west-1", aws_access_key_id="k", aws_secret_access_key="s")
            stub = Stubber(ecr)
            stub.add_response("describe_registry", {"registryId": MEMBER, "replicationConfiguration": {"rules": rules}})
            stub.activate()
            return ecr

    detective.accounts.session_for = lambda account, partition: Member()
    summary = detective.handle(found)
    assert summary["status"] == "failing" and len(summary["failing"]) == 1250
    assert summary["remediation"]["dryRun"] is True and summary["notified"]
    [notice] = world.notices()
    assert len(notice["findings"]) + notice["omittedFindings"] == 1250 and notice["findings"]
    assert notice["remediation"]["action"].startswith("dry run, would keep only the trusted destinations")


# -- remediation -----------------------------------------------------------------------------------


def test_remediation_keep_trusted_puts_the_trusted_destinations_back_and_says_so(world):
    ecr = world.member.client("ecr")
    ecr.put_replication_configuration(replicationConfiguration={"rules": [{"destinations": [
        {"region": "eu-west-1", "registryId": TRUSTED}, {"region": "us-east-1", "registryId": FOREIGN}]}]})
    world.set(GUARD_REMEDIATION="KeepTrusted", GUARD_REMEDIATION_DRY_RUN="false")
    summary = world.run(event("put-replication-foreign-destination.json"))
    assert summary["remediation"]["applied"] is True
    assert ecr.describe_registry()["replicationConfiguration"] == {"rules": [{"destinations": [
        {"region": "eu-west-1", "registryId": TRUSTED}]}]}
    [finding] = world.findings()
    assert "keep only the trusted destinations" in fields(finding)["Remediation"]
    assert world.notices()[0]["remediation"]["applied"] is True


def test_remediation_is_off_by_default_and_dry_run_changes_nothing(world):
    ecr = world.member.client("ecr")
    configuration = {"rules": [{"destinations": [{"region": "us-east-1", "registryId": FOREIGN}]}]}
    ecr.put_replication_configuration(replicationConfiguration=configuration)
    assert "remediation" not in world.run(event("put-replication-foreign-destination.json"))
    world.set(GUARD_REMEDIATION="Remove")
    summary = world.run(event("put-replication-foreign-destination.json"))
    assert summary["remediation"]["applied"] is False and summary["remediation"]["dryRun"] is True
    assert ecr.describe_registry()["replicationConfiguration"] == configuration


# -- hostile input ---------------------------------------------------------------------------------

BAD_CALLS = {  # fixture, the request path of the offending value, its documented form, the live state that call left
    "put-replication-foreign-destination.json": (("replicationConfiguration", "rules", 0, "destinations", 1, "registryId"),
                                                 "RegistryId"),
    "set-repository-policy-foreign-account.json": (("policyText",), "Principal"),
    "create-pull-through-cache-rule-foreign-ecr.json": (("upstreamRegistryUrl",), "UpstreamRegistryUrl"),
    "ecr-public-set-repository-policy-foreign.json": (("policyText",), "Principal"),
}


def _disguised(name: str, disguise, junk: list) -> dict:
    found = event(name)
    params = found["detail"]["requestParameters"]
    path, kind = BAD_CALLS[name]
    node = params
    for part in path[:-1]:
        node = node[part]
    if kind == "Principal":
        policy = json.loads(node[path[-1]])
        policy["Statement"][0]["Principal"] = disguise
        node[path[-1]] = json.dumps(policy)
    else:
        node[path[-1]] = disguise
    for key, value in junk:  # junk beside the offending value and at the top
        if isinstance(node, dict) and key not in node and key.lower() not in {"omitted"}:
            node[key] = value
    return found


def _seed_live_state(world) -> None:
    """What ECR holds after the bad calls (ECR stores only what it accepted: the plain foreign values)."""
    ecr = world.member.client("ecr")
    ecr.put_replication_configuration(replicationConfiguration={"rules": [
        {"destinations": [{"region": "us-east-1", "registryId": FOREIGN}]}]})
    ecr.create_repository(repositoryName="prod/app")
    ecr.set_repository_policy(repositoryName="prod/app", policyText=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Pull", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{FOREIGN}:root"},
         "Action": ["ecr:BatchGetImage"]}]}))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_disguised_foreign_value_never_crashes_the_lambda_nor_passes(world, data):
    name = data.draw(st.sampled_from(sorted(BAD_CALLS)))
    kind = BAD_CALLS[name][1]
    disguise = data.draw(st.sampled_from(_disguises({"RegistryId": "RegistryId", "Principal": "Principal",
                                                      "UpstreamRegistryUrl": "UpstreamRegistryUrl"}[kind])))
    disguise = json.loads(json.dumps(disguise).replace("111111111111", TRUSTED).replace("999999999999", FOREIGN))
    junk = data.draw(st.lists(st.tuples(junk_keys, json_values), max_size=2))
    if not world.findings(state=None):
        _seed_live_state(world)
    summary = world.run(later(_disguised(name, disguise, junk), data.draw(st.integers(0, 59))))
    assert summary["status"] == "failing", summary


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_requests_never_crash_the_lambda(world, data):
    name = data.draw(st.sampled_from(sorted(p.name for p in MINE.glob("*.json"))))
    found = event(name)
    if isinstance(found["detail"]["requestParameters"], dict):
        found["detail"]["requestParameters"] = data.draw(mutated(found["detail"]["requestParameters"]))
    summary = world.run(found)
    assert summary["status"] in ("failing", "compliant", "ignored")
    if summary["status"] == "compliant":  # then the adapter read a request the core passes, never a cut one
        assert summary["readFrom"] in ("event", "live") and not summary["undecided"]


# -- the import path -------------------------------------------------------------------------------


def test_the_entrypoint_imports_no_template_reader_linter_yaml_or_other_door():
    from test_import_path import PACKAGE, modules_after

    loaded = set(modules_after(f"import {PACKAGE}.detective.handler")["all"])
    assert f"{PACKAGE}.detective.handler" in loaded
    assert not {m for m in loaded if m.split(".")[0] in {"cfnlint", "yaml", "moto", "jsonschema"}}
    own_forbidden = {f"{PACKAGE}.{name}" for name in ("cli", "hook", "template", "trust_sources.organizations",
                                                      "trust_sources.snapshot", "snapshot_producer")}
    assert not {m for m in loaded if any(m == f or m.startswith(f + ".") for f in own_forbidden)}
