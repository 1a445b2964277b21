"""The membership snapshot producer through its Lambda entrypoint, against moto (Organizations,
S3, EventBridge), and the EventBridge rules of deploy/snapshot-producer.yaml."""

from __future__ import annotations

import json

import boto3
import pytest

from dataperimeter_ecr_replicationguard import snapshot_producer
from dataperimeter_ecr_replicationguard.trust_sources.snapshot import FORMAT, digest, parse_snapshot
from organizations_helpers import org  # noqa: F401 - fixture
from test_deploy import load

BUCKET, KEY = "org-snapshots", "ecr-perimeter-guard/membership-snapshot.json"


@pytest.fixture
def bucket(org, monkeypatch):  # noqa: F811 - the fixture
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("SNAPSHOT_BUCKET", BUCKET)
    monkeypatch.setenv("SNAPSHOT_KEY", KEY)
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    return s3


def published(s3) -> dict:
    return json.loads(s3.get_object(Bucket=BUCKET, Key=KEY)["Body"].read())


def test_the_entrypoint_writes_every_active_account_with_its_ou_path(org, bucket):  # noqa: F811
    result = snapshot_producer.handler({"detail-type": "Scheduled Event", "source": "aws.events"}, None)
    body = published(bucket)
    management = org["client"].describe_organization()["Organization"]["MasterAccountId"]
    assert body["format"] == FORMAT and body["organizationId"] == org["id"]
    assert body["accounts"] == {management: f"{org['id']}/{org['root']}/", org["prod_account"]: org["prod_path"]}
    assert org["suspended"] not in body["accounts"]  # closed: not ACTIVE
    assert body["sha256"] == digest(body)
    assert parse_snapshot(json.dumps(body).encode(), "s3://x/y").accounts == body["accounts"]
    assert result["accounts"] == 2 and result["serial"] == body["serial"] and result["trigger"] == "Scheduled Event"
    # The OU walk: one page of accounts and one of OUs per parent (root, Workloads, Prod, Quarantine).
    assert result["calls"] == {"describe_organization": 1, "list_roots": 1, "list_accounts_for_parent": 4,
                               "list_organizational_units_for_parent": 4}


def test_each_snapshot_has_a_larger_serial_and_a_move_is_published(org, bucket):  # noqa: F811
    first = snapshot_producer.handler({}, None)
    org["client"].move_account(AccountId=org["prod_account"], SourceParentId=org["prod"],
                               DestinationParentId=org["quarantine"])
    second = snapshot_producer.handler({"detail": {"eventName": "MoveAccount"}}, None)
    assert second["serial"] > first["serial"] and second["trigger"] == "MoveAccount"
    assert published(bucket)["accounts"][org["prod_account"]] == f"{org['id']}/{org['root']}/{org['quarantine']}/"
    versions = bucket.list_object_versions(Bucket=BUCKET, Prefix=KEY)["Versions"]
    assert len(versions) == 2


def test_the_serial_keeps_increasing_past_a_previous_object_from_the_future(org, bucket):  # noqa: F811
    """A previous snapshot with a serial above the clock's (another writer's clock, a restore):
    the next serial is still larger, so no hook sees it go down."""
    bucket.put_object(Bucket=BUCKET, Key=KEY, Body=json.dumps({"serial": 10**16}).encode())
    assert snapshot_producer.handler({}, None)["serial"] == 10**16 + 1


def test_pages_are_followed_past_empty_ones(org, bucket):  # noqa: F811
    """Organizations may answer an empty page with a NextToken before the end: every list call's
    first page here is empty."""
    calls = []

    class EmptyFirstPages:
        def __init__(self, client):
            self.client = client

        def __getattr__(self, name):
            method = getattr(self.client, name)

            def call(**params):
                calls.append(name)
                if name.startswith("list_") and params.get("NextToken") == "empty-page":
                    del params["NextToken"]
                elif name.startswith("list_") and "NextToken" not in params:
                    return {"Accounts": [], "OrganizationalUnits": [], "Roots": [], "NextToken": "empty-page"}
                return method(**params)

            return call

    result = snapshot_producer.publish(EmptyFirstPages(org["client"]), bucket, BUCKET, KEY)
    assert result["accounts"] == 2 and org["prod_account"] in published(bucket)["accounts"]
    assert calls.count("list_roots") == 2 and calls.count("list_accounts_for_parent") == 8


def test_a_function_of_another_organization_refuses_to_publish(org, bucket, monkeypatch):  # noqa: F811
    monkeypatch.setenv("SNAPSHOT_ORGANIZATION_ID", "o-zzzzzzzzzz")
    with pytest.raises(snapshot_producer.ProducerError, match="o-zzzzzzzzzz"):
        snapshot_producer.handler({}, None)
    assert "Contents" not in bucket.list_objects_v2(Bucket=BUCKET)


def cloudtrail_event(name: str, detail_type: str = "AWS API Call via CloudTrail") -> dict:
    return {"version": "0", "id": "1", "detail-type": detail_type, "source": "aws.organizations",
            "account": "111122223333", "time": "2026-12-01T10:00:00Z", "region": "us-east-1", "resources": [],
            "detail": {"eventSource": "organizations.amazonaws.com", "eventName": name}}


MEMBERSHIP_CHANGES = ["InviteAccountToOrganization", "AcceptHandshake", "RemoveAccountFromOrganization",
                      "LeaveOrganization", "MoveAccount", "CloseAccount"]


def routed(event: dict) -> bool:
    """Whether EventBridge (moto) routes ``event`` to a rule created through the API with the
    template's own pattern: moto's matcher on the pattern the rule stored. (moto delivering to a
    target needs jsonpath_ng, the moto[events] extra, which is not installed.)"""
    from moto.events.models import EventPattern

    pattern = load("deploy/snapshot-producer.yaml")["Resources"]["MembershipChanges"]["Properties"]["EventPattern"]
    events = boto3.client("events", region_name="us-east-1")
    events.put_rule(Name="membership-changes", EventPattern=json.dumps(pattern), State="ENABLED")
    stored = events.describe_rule(Name="membership-changes")["EventPattern"]
    return EventPattern.load(stored).matches_event(event)


@pytest.mark.parametrize("event", [cloudtrail_event(n) for n in MEMBERSHIP_CHANGES]
                         + [cloudtrail_event("CreateAccountResult", "AWS Service Event via CloudTrail")],
                         ids=[*MEMBERSHIP_CHANGES, "CreateAccountResult"])
def test_the_rule_of_the_template_routes_the_events_that_change_membership(org, bucket, event):  # noqa: F811
    """EventBridge (moto) routes with the template's own pattern; the event it delivers runs the entrypoint."""
    assert routed(event)
    assert snapshot_producer.handler(event, None)["trigger"] == event["detail"]["eventName"]


@pytest.mark.parametrize("name", ["DescribeAccount", "TagResource", "CreateOrganizationalUnit", "ListAccounts"])
def test_the_rule_ignores_events_that_do_not_change_membership(org, name):  # noqa: F811
    assert not routed(cloudtrail_event(name))
    assert not routed({**cloudtrail_event("MoveAccount"), "source": "aws.ec2"})


def test_the_schedule_and_the_rule_invoke_the_function_with_their_permissions():
    resources = load("deploy/snapshot-producer.yaml")["Resources"]
    function = resources["ProducerFunction"]["Properties"]
    assert function["Handler"] == f"{snapshot_producer.__name__}.handler"
    assert function["ReservedConcurrentExecutions"] == 1
    for rule, permission in (("Schedule", "ScheduleInvokes"), ("MembershipChanges", "MembershipChangesInvoke")):
        assert resources[rule]["Properties"]["Targets"] == [{"Id": "producer", "Arn": {"Fn::GetAtt": ["ProducerFunction", "Arn"]}}]
        assert resources[permission]["Properties"]["SourceArn"] == {"Fn::GetAtt": [rule, "Arn"]}
