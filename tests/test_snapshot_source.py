"""AccountSource Snapshot: the membership snapshot the producer publishes, read by the hook through
its real Lambda entrypoint against moto (S3, and Organizations for the producer and the fallback),
and the source's cache on a fake clock."""

from __future__ import annotations

import json

import boto3
import botocore.handlers
import pytest

from conftest import hook_request, replication
from dataperimeter_ecr_replicationguard import snapshot_producer
from dataperimeter_ecr_replicationguard.invocation import Invocation
from dataperimeter_ecr_replicationguard.settings import parse_settings
from dataperimeter_ecr_replicationguard.trust_sources import TrustUnavailable, membership, snapshot
from dataperimeter_ecr_replicationguard.trust_sources.snapshot import FORMAT, SnapshotCache, SnapshotSource, digest
from organizations_helpers import FakeClock, org  # noqa: F401 - fixture

TYPE = "AWS::ECR::ReplicationConfiguration"
BUCKET, KEY = "org-snapshots", "ecr/membership.json"
LOCATION = f"s3://{BUCKET}/{KEY}"
OUTSIDER = "999999999999"


@pytest.fixture(autouse=True)
def cold_environment():
    snapshot.clear_cache()
    membership.clear_cache()
    yield
    snapshot.clear_cache()
    membership.clear_cache()


@pytest.fixture
def requests(monkeypatch) -> list[str]:
    """service:operation of every request botocore sends from clients created from now on."""
    sent: list[str] = []

    def record(model, **_):
        sent.append(f"{model.service_model.service_name}:{model.name}")

    monkeypatch.setattr(botocore.handlers, "BUILTIN_HANDLERS",
                        [("before-call", record), *botocore.handlers.BUILTIN_HANDLERS])
    return sent


@pytest.fixture
def published(org, monkeypatch):  # noqa: F811
    """The producer's snapshot of the moto organization, in a moto bucket."""
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    snapshot_producer.publish(org["client"], s3, BUCKET, KEY)
    return s3


def config(org_id: str, **extra) -> dict:  # noqa: F811
    return {"AccountSource": "Snapshot", "TrustedOrganizationIds": org_id, "SnapshotLocation": LOCATION,
            "SnapshotRegion": "us-east-1", "TrustDeployingAccount": "false", **extra}


def body_of(s3) -> dict:
    return json.loads(s3.get_object(Bucket=BUCKET, Key=KEY)["Body"].read())


def rewrite(s3, body: dict, *, sign: bool = True) -> None:
    if sign:
        body["sha256"] = digest(body)
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=json.dumps(body).encode())


# -- through the hook's entrypoint -------------------------------------------------------------


def test_members_are_trusted_and_outsiders_refused_with_no_organizations_call(org, published, invoke, requests):  # noqa: F811
    ok = invoke(hook_request(TYPE, replication(("eu-west-1", org["prod_account"])), config=config(org["id"])))
    assert ok["hookStatus"] == "SUCCESS", ok
    refused = invoke(hook_request(TYPE, replication(("eu-west-1", OUTSIDER)), config=config(org["id"])))
    assert refused["hookStatus"] == "FAILED" and OUTSIDER in refused["message"]
    closed = invoke(hook_request(TYPE, replication(("eu-west-1", org["suspended"])), config=config(org["id"])))
    assert closed["hookStatus"] == "FAILED"  # not ACTIVE: not in the snapshot
    assert requests == ["s3:GetObject"]  # one read for three invocations, no Organizations call


def test_ou_path_trust_reads_the_snapshot_paths(org, published, invoke):  # noqa: F811
    settings = config(org["id"], TrustedOrganizationIds="", TrustedOrganizationalUnitPaths=org["prod_path"])
    management = org["client"].describe_organization()["Organization"]["MasterAccountId"]
    assert invoke(hook_request(TYPE, replication(("eu-west-1", org["prod_account"])), config=settings))[
        "hookStatus"] == "SUCCESS"
    above = invoke(hook_request(TYPE, replication(("eu-west-1", management)), config=settings))
    assert above["hookStatus"] == "FAILED"  # under the root, not under the trusted OU


@pytest.mark.parametrize("tamper,code,error_code", [
    (lambda b: b.update(generatedAt=b["generatedAt"] - 7201), "SnapshotStale", "InternalFailure"),
    (lambda b: b.update(organizationId="o-zzzzzzzzzz", accounts={}), "SnapshotOrganizationMismatch",
     "InvalidTypeConfiguration"),
])
def test_a_stale_or_foreign_snapshot_fails_closed_with_its_code(org, published, invoke, tamper, code, error_code):  # noqa: F811
    body = body_of(published)
    tamper(body)
    rewrite(published, body)
    response = invoke(hook_request(TYPE, replication(("eu-west-1", org["prod_account"])), config=config(org["id"])))
    assert response["hookStatus"] == "FAILED" and response["errorCode"] == error_code, response
    assert f"({code})" in response["message"] and LOCATION in response["message"]


def test_a_tampered_snapshot_fails_its_digest(org, published, invoke):  # noqa: F811
    body = body_of(published)
    body["accounts"][OUTSIDER] = f"{org['id']}/{org['root']}/"  # added without the producer's digest
    rewrite(published, body, sign=False)
    response = invoke(hook_request(TYPE, replication(("eu-west-1", OUTSIDER)), config=config(org["id"])))
    assert response["hookStatus"] == "FAILED" and "(SnapshotDigestMismatch)" in response["message"]


def test_a_missing_snapshot_is_unreadable(org, invoke, monkeypatch):  # noqa: F811
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)
    response = invoke(hook_request(TYPE, replication(("eu-west-1", org["prod_account"])), config=config(org["id"])))
    assert response["hookStatus"] == "FAILED" and "(SnapshotUnreadable)" in response["message"]
    assert "NoSuchKey" in response["message"]


def test_without_a_location_the_configuration_is_invalid(org, invoke):  # noqa: F811
    response = invoke(hook_request(TYPE, replication(("eu-west-1", org["prod_account"])),
                                   config=config(org["id"], SnapshotLocation="")))
    assert response["hookStatus"] == "FAILED" and response["errorCode"] == "InvalidTypeConfiguration"
    assert "(SnapshotNotConfigured)" in response["message"]


def test_the_named_accounts_fallback_looks_the_accounts_up_in_organizations(org, invoke, requests):  # noqa: F811
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)  # no snapshot in it
    settings = config(org["id"], SnapshotFallback="NamedAccounts")
    response = invoke(hook_request(TYPE, replication(("eu-west-1", org["prod_account"])), config=settings))
    assert response["hookStatus"] == "SUCCESS", response
    assert "organizations:DescribeAccount" in requests and "organizations:ListAccounts" not in requests
    refused = invoke(hook_request(TYPE, replication(("eu-west-1", OUTSIDER)), config=settings))
    assert refused["hookStatus"] == "FAILED"


# -- the cache, on a fake clock ----------------------------------------------------------------


INVOCATION = Invocation(account_id="111111111111", region="eu-west-1", partition="aws")


@pytest.fixture
def source():
    clock = FakeClock()
    clock.t = 2_000_000_000.0
    return SnapshotSource(SnapshotCache(clock)), clock


def session():
    return boto3.session.Session(region_name="us-east-1")


def test_one_conditional_get_per_ttl_and_a_304_keeps_the_snapshot(org, published, source, requests, monkeypatch):  # noqa: F811
    src, clock = source
    body = body_of(published)
    clock.t = body["generatedAt"] + 10.0
    settings = parse_settings(config(org["id"], CacheTtlSeconds="300"))
    for _ in range(5):
        assert org["prod_account"] in src.resolve(settings, INVOCATION, session(), None).accounts
    assert requests == ["s3:GetObject"]
    first = src.cache.state(LOCATION, "us-east-1")
    clock.t += 301
    sent_if_none_match = []
    monkeypatch.setattr(botocore.handlers, "BUILTIN_HANDLERS", [
        ("before-call.s3.GetObject", lambda params, **_: sent_if_none_match.append(params["headers"].get("If-None-Match"))),
        *botocore.handlers.BUILTIN_HANDLERS])
    assert org["prod_account"] in src.resolve(settings, INVOCATION, session(), None).accounts
    assert requests == ["s3:GetObject", "s3:GetObject"] and sent_if_none_match == [first.etag]
    after = src.cache.state(LOCATION, "us-east-1")
    assert after.snapshot is first.snapshot and after.checked_at == clock.t  # 304: kept, checked again


def test_a_changed_snapshot_is_read_at_the_next_check(org, published, source):  # noqa: F811
    src, clock = source
    clock.t = body_of(published)["generatedAt"] + 10.0
    settings = parse_settings(config(org["id"]))
    assert OUTSIDER not in src.resolve(settings, INVOCATION, session(), None).accounts
    body = body_of(published)
    body["accounts"][OUTSIDER] = f"{org['id']}/{org['root']}/"
    body["serial"] += 1
    rewrite(published, body)
    assert OUTSIDER not in src.resolve(settings, INVOCATION, session(), None).accounts  # within the TTL
    clock.t += 300
    assert OUTSIDER in src.resolve(settings, INVOCATION, session(), None).accounts


def test_a_lower_serial_than_one_already_used_fails_closed(org, published, source):  # noqa: F811
    src, clock = source
    clock.t = body_of(published)["generatedAt"] + 10.0
    settings = parse_settings(config(org["id"]))
    src.resolve(settings, INVOCATION, session(), None)
    body = body_of(published)
    body["serial"] -= 1  # e.g. an older version restored
    rewrite(published, body)
    clock.t += 300
    with pytest.raises(TrustUnavailable) as error:
        src.resolve(settings, INVOCATION, session(), None)
    assert error.value.code == "SnapshotSerialRegressed"


def test_the_age_is_checked_at_every_use_not_only_at_each_read(org, published, source, requests):  # noqa: F811
    src, clock = source
    settings = parse_settings(config(org["id"], CacheTtlSeconds="86400", SnapshotMaxAgeSeconds="600"))
    clock.t = body_of(published)["generatedAt"] + 10.0
    src.resolve(settings, INVOCATION, session(), None)
    clock.t += 600
    with pytest.raises(TrustUnavailable) as error:
        src.resolve(settings, INVOCATION, session(), None)
    assert error.value.code == "SnapshotStale" and requests == ["s3:GetObject"]


@pytest.mark.parametrize("data,code", [
    (b"not json", "SnapshotMalformed"),
    (json.dumps({"format": "other"}).encode(), "SnapshotMalformed"),
    (json.dumps({"format": FORMAT, "organizationId": "o-a1b2c3d4e5"}).encode(), "SnapshotMalformed"),
])
def test_what_is_not_a_snapshot_is_malformed(org, published, source, data, code):  # noqa: F811
    src, _ = source
    published.put_object(Bucket=BUCKET, Key=KEY, Body=data)
    with pytest.raises(TrustUnavailable) as error:
        src.resolve(parse_settings(config(org["id"])), INVOCATION, session(), None)
    assert error.value.code == code


def test_an_account_entry_outside_the_organization_is_malformed(org, published, source):  # noqa: F811
    src, clock = source
    body = body_of(published)
    clock.t = body["generatedAt"]
    body["accounts"][OUTSIDER] = "o-zzzzzzzzzz/r-ab12/"
    rewrite(published, body)
    with pytest.raises(TrustUnavailable) as error:
        src.resolve(parse_settings(config(org["id"])), INVOCATION, session(), None)
    assert error.value.code == "SnapshotMalformed" and OUTSIDER in str(error.value)


def test_without_trusted_organizations_nothing_is_read(source, requests):
    src, _ = source
    settings = parse_settings({"AccountSource": "Snapshot", "TrustedAccountIds": "222222222222",
                               "SnapshotLocation": LOCATION})
    assert src.resolve(settings, INVOCATION, None, None).accounts == {"222222222222", "111111111111"}
    assert requests == []


def test_when_the_fallback_fails_too_both_failures_are_named(org, invoke, monkeypatch):  # noqa: F811
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)  # no snapshot in it
    from organizations_helpers import before_call, error_answer

    before_call(monkeypatch, "organizations.DescribeOrganization", lambda **_: error_answer("AccessDeniedException", "no"))
    response = invoke(hook_request(TYPE, replication(("eu-west-1", org["prod_account"])),
                                   config=config(org["id"], SnapshotFallback="NamedAccounts")))
    assert response["hookStatus"] == "FAILED" and response["errorCode"] == "AccessDenied", response
    assert "(SnapshotUnreadable)" in response["message"] and "AccessDeniedException" in response["message"]


def test_a_snapshot_from_the_future_is_malformed(org, published, source):  # noqa: F811
    src, clock = source
    body = body_of(published)
    clock.t = body["generatedAt"] - 301
    with pytest.raises(TrustUnavailable) as error:
        src.resolve(parse_settings(config(org["id"])), INVOCATION, session(), None)
    assert error.value.code == "SnapshotMalformed" and "in the future" in str(error.value)
    clock.t = body["generatedAt"] - 299  # clock skew within 5 minutes
    assert org["prod_account"] in src.resolve(parse_settings(config(org["id"])), INVOCATION, session(), None).accounts
