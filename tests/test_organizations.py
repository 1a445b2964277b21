"""Trusted accounts from AWS Organizations: real boto3 against moto for the happy paths,
botocore's Stubber (and injected botocore errors) for what moto cannot produce."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ReadTimeoutError

import organizations_helpers as helpers
from conftest import hook_request, replication
from dataperimeter_ecr_replicationguard.invocation import Invocation
from dataperimeter_ecr_replicationguard.settings import parse_settings
from dataperimeter_ecr_replicationguard.trust_sources import membership as cache
from dataperimeter_ecr_replicationguard.trust_sources import resolve_trust
from dataperimeter_ecr_replicationguard.trust_sources.organizations import (
    Deadline,
    OrganizationsError,
    organization_accounts,
)
from organizations_helpers import FakeClock, moto_organization, stubbed

MANAGEMENT = "123456789012"  # moto's default account: the organization's management account
TYPE = "AWS::ECR::ReplicationConfiguration"


# Every test starts from a cold execution environment (organizations_helpers.py's autouse fixture).
empty_cache = helpers.empty_cache


@pytest.fixture
def org(monkeypatch):
    """An organization: root -> Workloads -> Prod, with accounts at each level and one suspended."""
    with moto_organization(monkeypatch) as (client, org_id, root):
        workloads = client.create_organizational_unit(ParentId=root, Name="Workloads")["OrganizationalUnit"]["Id"]
        prod = client.create_organizational_unit(ParentId=workloads, Name="Prod")["OrganizationalUnit"]["Id"]

        def account(name, parent):
            status = client.create_account(Email=f"{name}@example.com", AccountName=name)["CreateAccountStatus"]
            account_id = status["AccountId"]
            if parent != root:
                client.move_account(AccountId=account_id, SourceParentId=root, DestinationParentId=parent)
            return account_id

        ids = {
            "in_root": account("in-root", root),
            "in_workloads": account("in-workloads", workloads),
            "in_prod": account("in-prod", prod),
            "suspended": account("suspended", prod),
        }
        client.close_account(AccountId=ids["suspended"])
        yield {"client": client, "id": org_id, "root": root, "workloads": workloads, "prod": prod, **ids,
               "workloads_path": f"{org_id}/{root}/{workloads}/"}


def counting(monkeypatch) -> list[str]:
    """Every API call the Organizations clients the hook creates really send (botocore events)."""
    calls: list[str] = []
    real = cache.organizations_client

    def wrapped(*args, **kwargs):
        client = real(*args, **kwargs)
        client.meta.events.register("before-call", lambda model, **_: calls.append(model.name))
        return client

    monkeypatch.setattr(cache, "organizations_client", wrapped)
    return calls


def settings(**raw):
    return parse_settings({"AccountSource": "Organizations", **raw})


INVOCATION = Invocation(account_id="111111111111", region="us-east-1", partition="aws")


# --- moto: the happy paths ---------------------------------------------------------------------

def test_active_accounts_of_the_organization(org):
    accounts = organization_accounts(org["client"], frozenset({org["id"]}), frozenset(), Deadline())
    assert accounts == {MANAGEMENT, org["in_root"], org["in_workloads"], org["in_prod"]}
    assert org["suspended"] not in accounts


def test_accounts_anywhere_beneath_an_ou_path(org):
    accounts = organization_accounts(org["client"], frozenset(), frozenset({org["workloads_path"]}), Deadline())
    assert accounts == {org["in_workloads"], org["in_prod"]}


def test_a_configured_organization_the_role_does_not_see_is_an_error(org):
    with pytest.raises(OrganizationsError) as error:
        organization_accounts(org["client"], frozenset({org["id"], "o-zzzzzzzzzz"}), frozenset(), Deadline())
    assert error.value.code == "OrganizationMismatch"
    assert "o-zzzzzzzzzz" in str(error.value) and org["id"] in str(error.value)


def test_warm_invocations_make_no_api_call(org, monkeypatch):
    calls = counting(monkeypatch)
    session = boto3.session.Session(region_name="us-east-1")
    config = settings(TrustedOrganizationIds=org["id"], TrustDeployingAccount="false")
    first = resolve_trust(config, INVOCATION, session)
    cold = len(calls)
    second = resolve_trust(config, INVOCATION, session)
    assert cold == 2 and calls == ["DescribeOrganization", "ListAccounts"]
    assert len(calls) == cold  # the second resolution made no call
    assert first.accounts == second.accounts == {MANAGEMENT, org["in_root"], org["in_workloads"], org["in_prod"]}


def test_the_cache_expires_after_its_ttl(org, monkeypatch):
    calls = counting(monkeypatch)
    session = boto3.session.Session(region_name="us-east-1")
    config = settings(TrustedOrganizationIds=org["id"], CacheTtlSeconds="60")
    times = iter([1000.0, 1030.0, 1061.0])
    source = cache.OrganizationsSource(cache.MembershipCache(clock=lambda: next(times)))
    for _ in range(3):
        source.membership(config, INVOCATION, session)
    assert calls.count("ListAccounts") == 2


def test_settings_that_shape_the_result_key_the_cache(org, monkeypatch):
    calls = counting(monkeypatch)
    session = boto3.session.Session(region_name="us-east-1")
    whole = resolve_trust(settings(TrustedOrganizationIds=org["id"]), INVOCATION, session)
    ou = resolve_trust(settings(TrustedOrganizationalUnitPaths=org["workloads_path"]), INVOCATION, session)
    assert org["in_root"] in whole.accounts and org["in_root"] not in ou.accounts
    assert calls.count("DescribeOrganization") == 2


def test_assume_the_organizations_role(org, monkeypatch):
    calls = counting(monkeypatch)
    iam = boto3.client("iam", region_name="us-east-1")
    role = iam.create_role(RoleName="EcrPerimeterOrganizationsRead", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    config = settings(TrustedOrganizationIds=org["id"], OrganizationsRoleArn=role)
    trust = resolve_trust(config, INVOCATION, boto3.session.Session(region_name="us-east-1"))
    assert org["in_prod"] in trust.accounts
    assert calls == ["DescribeOrganization", "ListAccounts"]


@pytest.mark.slow
def test_ten_thousand_accounts_are_looked_up_not_listed_within_the_hook_time(org, monkeypatch):
    """10,000 accounts are 500 ListAccounts pages: more than an invocation's time allows (moto
    answers a page in ~0.1 s here, the service is no faster). The listing gives up after
    LISTING_SECONDS and the accounts the resource names are looked up one by one instead.

    moto's create_account is quadratic (10,000 take minutes), so the accounts are added to
    moto's backend directly; every read goes through boto3 and moto's real API."""
    import time

    from moto.organizations.models import FakeAccount, organizations_backends

    backend = organizations_backends[MANAGEMENT]["aws"]
    for i in range(10_000 - len(backend.accounts)):
        backend.accounts.append(FakeAccount(backend.org, AccountName=f"bulk{i}", Email=f"bulk{i}@example.com"))
    last = backend.accounts[-1].id
    calls = counting(monkeypatch)
    monkeypatch.setattr(cache, "LISTING_SECONDS", 2.0)
    session = boto3.session.Session(region_name="us-east-1")
    config = settings(TrustedOrganizationIds=org["id"], TrustDeployingAccount="false")
    candidates = {last, org["suspended"], "999999999999"}
    started = time.monotonic()
    trust = resolve_trust(config, INVOCATION, session, candidates)
    took = time.monotonic() - started
    assert trust.accounts == {last}
    lookups = calls.index("DescribeAccount")
    # the organization read once, then the listing given up part way (how many pages fit in the
    # cut depends on the machine's load), then one lookup per named account
    assert calls[0] == "DescribeOrganization" and 1 < lookups < 502
    assert set(calls[1:lookups]) == {"ListAccounts"}
    assert calls[lookups:] == ["DescribeAccount"] * 3
    assert took < 20.0  # the whole invocation budget, whatever the load
    cold = len(calls)
    assert resolve_trust(config, INVOCATION, session, candidates).accounts == {last}
    assert len(calls) == cold  # warm: no call
    resolve_trust(config, INVOCATION, session, {org["in_prod"]})
    # not listed again, and the organization's ID is still known: one call for one new account
    assert calls[cold:] == ["DescribeAccount"]


def test_ten_thousand_accounts_paginate_with_empty_pages():
    """The whole listing of 10,000 accounts, 20 a page, with empty pages on the way."""
    client, stub = stubbed()
    describe(stub)
    ids = [f"{i:012d}" for i in range(1, 10_001)]
    token = None
    for n, start in enumerate(range(0, 10_000, 20)):
        params = {"MaxResults": 20, **({"NextToken": token} if token else {})}
        if n % 50 == 7:
            stub.add_response("list_accounts", page([], f"empty{n}"), params)
            params = {"MaxResults": 20, "NextToken": f"empty{n}"}
        token = f"t{n}" if start + 20 < 10_000 else None
        stub.add_response("list_accounts", page(ids[start:start + 20], token), params)
    with stub:
        accounts = organization_accounts(client, frozenset({ORG_ID}), frozenset(), Deadline())
    stub.assert_no_pending_responses()
    assert accounts == set(ids)


def test_ou_paths_decide_by_the_account_parents(org, monkeypatch):
    """Looked up one by one, an account is trusted only beneath a trusted OU path."""
    monkeypatch.setattr(cache, "LISTING_SECONDS", 0.0)  # force the one-by-one path
    session = boto3.session.Session(region_name="us-east-1")
    config = settings(TrustedOrganizationalUnitPaths=org["workloads_path"], TrustDeployingAccount="false")
    trust = resolve_trust(config, INVOCATION, session,
                          {org["in_root"], org["in_workloads"], org["in_prod"], org["suspended"]})
    assert trust.accounts == {org["in_workloads"], org["in_prod"]}


def test_named_accounts_never_lists_the_organization(org, monkeypatch):
    """OrganizationsLookup NamedAccounts: the organization is read, then only the accounts the
    resource names are looked up, from the first invocation on; the verdicts are those of a
    whole listing."""
    calls = counting(monkeypatch)
    session = boto3.session.Session(region_name="us-east-1")
    listed = settings(TrustedOrganizationIds=org["id"], TrustDeployingAccount="false")
    named = settings(TrustedOrganizationIds=org["id"], TrustDeployingAccount="false",
                     OrganizationsLookup="NamedAccounts")
    candidates = {org["in_root"], org["in_prod"], org["suspended"], "999999999999"}
    whole = resolve_trust(listed, INVOCATION, session, candidates)
    assert "ListAccounts" in calls
    cache.clear_cache()
    del calls[:]
    looked_up = resolve_trust(named, INVOCATION, session, candidates)
    assert looked_up.accounts == whole.accounts & candidates == {org["in_root"], org["in_prod"]}
    assert calls == ["DescribeOrganization"] + ["DescribeAccount"] * 4
    assert resolve_trust(named, INVOCATION, session, {org["in_workloads"]}).accounts == {org["in_workloads"]}
    assert calls[5:] == ["DescribeAccount"]


# --- through the real entrypoint --------------------------------------------------------------

def test_end_to_end_through_the_hook_entrypoint(org, invoke, monkeypatch):
    calls = counting(monkeypatch)
    config = {"AccountSource": "Organizations", "TrustedOrganizationIds": org["id"]}

    def verdict(registry):
        return invoke(hook_request(TYPE, replication(("eu-west-1", registry)), config=config))

    assert verdict(org["in_prod"])["hookStatus"] == "SUCCESS"
    warm = len(calls)
    outside = verdict("999999999999")
    assert outside["errorCode"] == "NonCompliant" and "999999999999" in outside["message"]
    suspended = verdict(org["suspended"])
    assert suspended["errorCode"] == "NonCompliant"
    assert warm == 2 and len(calls) == 2  # later invocations were warm


# --- Stubber: what moto cannot produce ---------------------------------------------------------

ORG_ID = "o-a1b2c3d4e5"


def describe(stub, org_id=ORG_ID):
    stub.add_response("describe_organization", {"Organization": {"Id": org_id, "MasterAccountId": MANAGEMENT}})


def page(ids, token=None, states=None):
    accounts = [{"Id": i, "State": (states or {}).get(i, "ACTIVE"), "Status": "ACTIVE"} for i in ids]
    return {"Accounts": accounts, **({"NextToken": token} if token else {})}


def test_empty_pages_before_the_end_are_followed(monkeypatch):
    client, stub = stubbed()
    describe(stub)
    stub.add_response("list_accounts", page([], "t1"), {"MaxResults": 20})
    stub.add_response("list_accounts", page(["111111111111"], "t2"), {"MaxResults": 20, "NextToken": "t1"})
    stub.add_response("list_accounts", page([], "t3"), {"MaxResults": 20, "NextToken": "t2"})
    stub.add_response("list_accounts", page(["222222222222", "333333333333"], states={"333333333333": "CLOSED"}),
                      {"MaxResults": 20, "NextToken": "t3"})
    with stub:
        accounts = organization_accounts(client, frozenset({ORG_ID}), frozenset(), Deadline())
    stub.assert_no_pending_responses()
    assert accounts == {"111111111111", "222222222222"}


def test_only_state_active_counts_not_the_retired_status():
    client, stub = stubbed()
    describe(stub)
    stub.add_response("list_accounts", page(["111111111111", "222222222222", "333333333333", "444444444444"],
                                            states={"222222222222": "SUSPENDED", "333333333333": "PENDING_CLOSURE",
                                                    "444444444444": "PENDING_ACTIVATION"}))
    with stub:
        assert organization_accounts(client, frozenset({ORG_ID}), frozenset(), Deadline()) == {"111111111111"}


def test_throttling_is_retried_with_backoff():
    client, stub = stubbed()
    describe(stub)
    for _ in range(3):
        stub.add_client_error("list_accounts", "TooManyRequestsException", "Rate exceeded", 400)
    stub.add_response("list_accounts", page(["111111111111"]))
    clock = FakeClock()
    with stub:
        accounts = organization_accounts(client, frozenset({ORG_ID}), frozenset(),
                                         Deadline(20, clock=clock, sleep=clock.sleep))
    assert accounts == {"111111111111"}
    assert len(clock.slept) == 3 and clock.slept[0] < clock.slept[1] < clock.slept[2]


@pytest.mark.parametrize(
    "code, error_code, advice",
    [
        ("AccessDeniedException", "AccessDenied", "OrganizationsRoleArn"),
        ("AWSOrganizationsNotInUseException", "InvalidTypeConfiguration", "AccountSource Static"),
        ("ServiceException", "InternalFailure", ""),
    ],
)
def test_api_errors_fail_closed_saying_what_was_called_and_what_to_do(monkeypatch, invoke, code, error_code, advice):
    client, stub = stubbed()
    if code == "AWSOrganizationsNotInUseException":
        stub.add_client_error("describe_organization", code, "not in an organization", 400)
    else:
        describe(stub)
        stub.add_client_error("list_accounts", code, "You don't have permissions to access this resource.", 400)
    monkeypatch.setattr(cache, "organizations_client", lambda *a, **k: client)
    with stub:
        response = invoke(hook_request(TYPE, replication(("eu-west-1", "111111111111")),
                                       config={"AccountSource": "Organizations", "TrustedOrganizationIds": ORG_ID}))
    assert response["hookStatus"] == "FAILED"
    assert response["errorCode"] == error_code
    assert code in response["message"] and advice in response["message"]
    assert "Traceback" not in response["message"] and len(response["message"]) <= 1024


def test_timeouts_fail_closed(monkeypatch, invoke):
    client = boto3.client("organizations", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")

    def timeout(**_):
        raise ReadTimeoutError(endpoint_url="https://organizations.us-east-1.amazonaws.com/")

    client.meta.events.register("before-send", timeout)
    monkeypatch.setattr(cache, "organizations_client", lambda *a, **k: client)
    response = invoke(hook_request(TYPE, replication(("eu-west-1", "111111111111")),
                                   config={"AccountSource": "Organizations", "TrustedOrganizationIds": ORG_ID}))
    assert response["hookStatus"] == "FAILED" and response["errorCode"] == "InternalFailure"
    assert "DescribeOrganization failed with ReadTimeoutError" in response["message"]


def test_garbage_answers_fail_closed(monkeypatch, invoke):
    client, stub = stubbed()
    stub.add_response("describe_organization", {})  # no Organization at all
    monkeypatch.setattr(cache, "organizations_client", lambda *a, **k: client)
    with stub:
        response = invoke(hook_request(TYPE, replication(("eu-west-1", "111111111111")),
                                       config={"AccountSource": "Organizations", "TrustedOrganizationIds": ORG_ID}))
    assert response["hookStatus"] == "FAILED"
    assert "did not have the expected shape" in response["message"]


def test_a_stale_membership_is_used_for_a_bounded_time_and_annotated(monkeypatch, invoke):
    client, stub = stubbed()
    describe(stub)
    stub.add_response("list_accounts", page(["222222222222"]))
    for _ in range(2):
        stub.add_client_error("describe_organization", "AccessDeniedException", "denied", 400)
    monkeypatch.setattr(cache, "organizations_client", lambda *a, **k: client)
    config = {"AccountSource": "Organizations", "TrustedOrganizationIds": ORG_ID, "CacheTtlSeconds": "300"}
    event = hook_request(TYPE, replication(("eu-west-1", "222222222222")), config=config)
    now = [10_000.0]
    monkeypatch.setattr(cache.CACHE, "clock", lambda: now[0])
    with stub:
        assert invoke(event)["hookStatus"] == "SUCCESS"
        now[0] += 300 + cache.STALE_GRACE_SECONDS - 1  # refresh fails, still inside the stale window
        stale = invoke(event)
        now[0] += 2  # past TTL + grace: nothing usable any more
        gone = invoke(event)
    assert stale["hookStatus"] == "SUCCESS"
    [note] = [a for a in stale["annotations"] if a["annotationName"] == "ECR-PERIMETER-STALE-TRUST"]
    assert "could not be refreshed" in note["statusMessage"] and "AccessDeniedException" in note["statusMessage"]
    assert gone["hookStatus"] == "FAILED" and gone["errorCode"] == "AccessDenied"


def test_no_credentials_fail_closed(invoke):
    event = hook_request(TYPE, replication(("eu-west-1", "111111111111")),
                         config={"AccountSource": "Organizations", "TrustedOrganizationIds": ORG_ID})
    del event["requestData"]["callerCredentials"]
    response = invoke(event)
    assert response["hookStatus"] == "FAILED" and response["errorCode"] == "InvalidCredentials"
    assert "no caller credentials" in response["message"]


def test_static_source_makes_no_call(monkeypatch):
    def forbidden(*_a, **_k):
        raise AssertionError("the static source must not call AWS")

    monkeypatch.setattr(cache, "organizations_client", forbidden)
    trust = resolve_trust(parse_settings({"TrustedOrganizationIds": ORG_ID}), INVOCATION, object())
    assert trust.organization_ids == {ORG_ID}


def test_invalid_organizations_settings():
    from dataperimeter_ecr_replicationguard.settings import ConfigurationError

    for raw in ({"AccountSource": "organizations"}, {"OrganizationsRoleArn": "arn:aws:iam::123:role/x"},
                {"CacheTtlSeconds": "-1"}, {"CacheTtlSeconds": "999999"}, {"CacheTtlSeconds": "5m"},
                {"OrganizationsLookup": "List"}, {"OrganizationsLookup": ""}):
        with pytest.raises(ConfigurationError) as error:
            parse_settings(raw)
        assert next(iter(raw)) in str(error.value)
