"""The Organizations membership cache (trust_sources/membership.py): its states one by one on an
injected clock, then through the real entrypoint: what the cache key is made of, a throttled
listing, when an organization counts as too large to list, and the stale window for accounts
looked up one by one."""

from __future__ import annotations

import boto3
import pytest

import organizations_helpers as helpers
from conftest import hook_request, replication
from dataperimeter_ecr_replicationguard.invocation import Invocation
from dataperimeter_ecr_replicationguard.settings import parse_settings
from dataperimeter_ecr_replicationguard.trust_sources import membership as cache
from dataperimeter_ecr_replicationguard.trust_sources import resolve_trust
from organizations_helpers import (
    INVOCATION,
    ORG_ID,
    TYPE,
    FakeClock,
    before_call,
    error_answer,
    fake_time,
    organizations_calls,
    stubbed,
    throttled,
)

# The shared fixtures (organizations_helpers.py), bound here so that pytest finds them.
empty_cache, org, sent = helpers.empty_cache, helpers.org, helpers.sent


# --- the cache's states, one by one, on an injected clock -------------------------------------

KEY = cache.CacheKey(frozenset({ORG_ID}), frozenset(), "", "111111111111", "aws")
OTHER_KEY = KEY._replace(account_id="333333333333")


def test_a_listing_is_fresh_for_its_ttl_then_only_stale():
    store = cache.MembershipCache(clock=FakeClock(), stale_grace_seconds=100)
    assert store.fresh_listing(KEY, 0.0, 60) is None and store.state(KEY).listing is None
    listed = store.store_listing(KEY, frozenset({"222222222222"}), 1000.0)
    assert store.state(KEY).listing == listed == cache.Membership(frozenset({"222222222222"}), 1000.0)
    assert store.fresh_listing(KEY, 1059.9, 60) == listed
    assert store.fresh_listing(KEY, 1060.0, 60) is None  # the TTL is exclusive
    assert store.fresh_listing(OTHER_KEY, 1000.0, 60) is None  # another key, another membership
    # the stale window: TTL + stale_grace_seconds, exclusive too
    assert store.stale(KEY, (), 1159.9, 60) == listed
    assert store.stale(KEY, (), 1160.0, 60) is None


def test_too_large_to_list_is_remembered_per_key_until_cleared():
    store = cache.MembershipCache()
    assert not store.too_large(KEY)
    store.mark_too_large(KEY)
    assert store.too_large(KEY) and store.state(KEY).too_large
    assert not store.too_large(OTHER_KEY)
    store.clear()
    assert store.state(KEY) == cache.CacheState(listing=None, too_large=False, answers={}, organization=None)


def test_per_account_answers_make_a_membership_only_when_every_account_is_answered():
    store = cache.MembershipCache()
    store.store_answer(KEY, "222222222222", True, 1000.0)
    store.store_answer(KEY, "999999999999", False, 1010.0)
    store.store_answer(OTHER_KEY, "444444444444", True, 1000.0)
    assert store.state(KEY).answers == {"222222222222": cache.Answer(True, 1000.0),
                                        "999999999999": cache.Answer(False, 1010.0)}
    assert store.fresh_answer(KEY, "222222222222", 1059.0, 60) == cache.Answer(True, 1000.0)
    assert store.fresh_answer(KEY, "222222222222", 1060.0, 60) is None
    # only the trusted ones are members; the membership is as old as its oldest answer
    both = store.answered(KEY, ["222222222222", "999999999999"], 1030.0, 60)
    assert both == cache.Membership(frozenset({"222222222222"}), 1000.0)
    assert store.answered(KEY, ["222222222222", "999999999999"], 1065.0, 60) is None  # one is too old
    assert store.answered(KEY, ["222222222222", "444444444444"], 1030.0, 60) is None  # never asked for KEY
    assert store.answered(KEY, [], 1030.0, 60) == cache.Membership(frozenset(), 1030.0)


def test_per_account_answers_are_used_stale_only_for_every_named_account():
    store = cache.MembershipCache(stale_grace_seconds=100)
    store.store_answer(KEY, "222222222222", True, 1000.0)
    assert store.stale(KEY, ["222222222222"], 1159.0, 60) == cache.Membership(frozenset({"222222222222"}), 1000.0)
    assert store.stale(KEY, ["222222222222"], 1160.0, 60) is None
    assert store.stale(KEY, ["222222222222", "333333333333"], 1001.0, 60) is None  # one never looked up
    assert store.stale(KEY, [], 1001.0, 60) is None  # nothing named, nothing listed: nothing to fall back on


def test_the_organization_id_is_fresh_for_its_ttl():
    store = cache.MembershipCache()
    assert store.fresh_organization_id(KEY, 0.0, 60) is None
    store.store_organization_id(KEY, ORG_ID, 1000.0)
    assert store.state(KEY).organization == cache.OrganizationRead(ORG_ID, 1000.0)
    assert store.fresh_organization_id(KEY, 1059.0, 60) == ORG_ID
    assert store.fresh_organization_id(KEY, 1060.0, 60) is None


def test_the_key_is_what_shapes_the_membership_read():
    settings = parse_settings({"AccountSource": "Organizations", "TrustedOrganizationIds": ORG_ID,
                               "TrustedAccountIds": "222222222222", "CacheTtlSeconds": "60"})
    assert cache.key_of(settings, INVOCATION) == KEY


# --- the states an invocation leaves, read through Stubber ------------------------------------

def listing_stub(*pages):
    client, stub = stubbed()
    stub.add_response("describe_organization", {"Organization": {"Id": ORG_ID}})
    for accounts in pages:
        stub.add_response("list_accounts", {"Accounts": [{"Id": a, "State": "ACTIVE"} for a in accounts]})
    return client, stub


def test_a_listed_organization_leaves_its_listing_and_its_id(monkeypatch):
    client, stub = listing_stub(["222222222222"])
    monkeypatch.setattr(cache, "organizations_client", lambda *a, **k: client)
    source = cache.OrganizationsSource(cache.MembershipCache(clock=lambda: 5000.0))
    settings = parse_settings({"AccountSource": "Organizations", "TrustedOrganizationIds": ORG_ID})
    with stub:
        trust = source.resolve(settings, INVOCATION, object(), {"RegistryId": "999999999999"})
    stub.assert_no_pending_responses()
    assert "222222222222" in trust.accounts and "999999999999" not in trust.accounts
    state = source.cache.state(KEY)
    assert state.listing == cache.Membership(frozenset({"222222222222"}), 5000.0)
    assert state.organization == cache.OrganizationRead(ORG_ID, 5000.0)
    assert not state.too_large and state.answers == {}  # listed: no account looked up


def test_a_listing_out_of_time_leaves_too_large_and_the_named_accounts_answers(monkeypatch):
    client, stub = stubbed()
    stub.add_response("describe_organization", {"Organization": {"Id": ORG_ID}})
    stub.add_response("describe_account", {"Account": {"Id": "222222222222", "State": "ACTIVE"}},
                      {"AccountId": "222222222222"})
    stub.add_client_error("describe_account", "AccountNotFoundException", "not a member", 400,
                          expected_params={"AccountId": "999999999999"})
    monkeypatch.setattr(cache, "organizations_client", lambda *a, **k: client)
    monkeypatch.setattr(cache, "LISTING_SECONDS", 0.0)  # the listing has no time at all
    source = cache.OrganizationsSource(cache.MembershipCache(clock=lambda: 5000.0))
    settings = parse_settings({"AccountSource": "Organizations", "TrustedOrganizationIds": ORG_ID,
                               "TrustDeployingAccount": "false"})
    resource = {"Destinations": [{"RegistryId": "999999999999"}, {"RegistryId": "222222222222"}]}
    with stub:
        trust = source.resolve(settings, INVOCATION, object(), resource)
    stub.assert_no_pending_responses()
    assert trust.accounts == {"222222222222"}
    state = source.cache.state(KEY)
    assert state.too_large and state.listing is None
    assert state.answers == {"222222222222": cache.Answer(True, 5000.0), "999999999999": cache.Answer(False, 5000.0)}
    # too large, every named account answered and fresh: the next resolution needs no client at all
    monkeypatch.setattr(cache, "organizations_client", None)
    assert source.resolve(settings, INVOCATION, object(), ["999999999999"]).accounts == frozenset()


def test_a_fresh_listing_does_not_walk_the_resource(monkeypatch):
    """Warm, with a listing: the accounts the resource names are never asked for."""
    client, stub = listing_stub(["222222222222"])
    monkeypatch.setattr(cache, "organizations_client", lambda *a, **k: client)
    walked = []

    class Source(cache.OrganizationsSource):
        def named_accounts(self, settings, value):
            walked.append(value)
            return super().named_accounts(settings, value)

    source = Source(cache.MembershipCache(clock=lambda: 5000.0))
    settings = parse_settings({"AccountSource": "Organizations", "TrustedOrganizationIds": ORG_ID})
    with stub:
        source.resolve(settings, INVOCATION, object(), {"RegistryId": "222222222222"})
        source.resolve(settings, INVOCATION, object(), {"RegistryId": "222222222222"})
    assert len(walked) == 1  # the cold resolution only


# --- what the cache key is made of -----------------------------------------------------------

def test_settings_outside_the_cache_key_reuse_the_membership(org, sent):
    session = boto3.session.Session(region_name="us-east-1")
    first = resolve_trust(parse_settings({"AccountSource": "Organizations", "TrustedOrganizationIds": org["id"]}),
                          INVOCATION, session)
    count = len(sent)
    extra = resolve_trust(parse_settings({"AccountSource": "Organizations", "TrustedOrganizationIds": org["id"],
                                          "TrustedAccountIds": "222222222222", "TrustDeployingAccount": "false"}),
                          INVOCATION, session)
    assert len(sent) == count == 2  # TrustedAccountIds does not shape what Organizations returns
    assert "222222222222" in extra.accounts and org["prod_account"] in first.accounts & extra.accounts
    other_account = Invocation(account_id="333333333333", region="us-east-1", partition="aws")
    resolve_trust(parse_settings({"AccountSource": "Organizations", "TrustedOrganizationIds": org["id"]}),
                  other_account, session)
    assert len(sent) == 4  # another deploying account is another key


# --- a throttled listing --------------------------------------------------------------------

def test_a_throttled_listing_falls_back_to_looking_up_the_named_accounts(org, monkeypatch, sent, invoke):
    """ListAccounts throttled for the whole listing window: the invocation still decides, by
    looking up the accounts its resource names, within the budget. The organization is not
    taken for one too large to list: once the throttling stops, the next invocation that needs
    the membership lists it whole, and later ones make no call."""
    counts = throttled(monkeypatch, "organizations.ListAccounts")
    clock = fake_time(monkeypatch)
    config = {"AccountSource": "Organizations", "TrustedOrganizationIds": org["id"], "TrustDeployingAccount": "false"}

    def verdict(registry):
        return invoke(hook_request(TYPE, replication(("eu-west-1", registry)), config=config))

    assert verdict(org["prod_account"])["hookStatus"] == "SUCCESS"
    assert counts["organizations.ListAccounts"] > 3 and cache.LISTING_SECONDS - 2.0 <= clock.t <= 20.0
    assert organizations_calls(sent) == ["organizations:DescribeOrganization", "organizations:DescribeAccount"]
    foreign = verdict("999999999999")
    assert foreign["errorCode"] == "NonCompliant" and "999999999999" in foreign["message"]
    assert organizations_calls(sent)[2:] == ["organizations:DescribeAccount"]  # looked up, not listed
    counts["on"] = 0  # the throttling stops
    del sent[:]
    assert verdict(org["suspended"])["errorCode"] == "NonCompliant"
    assert organizations_calls(sent) == ["organizations:ListAccounts"]  # listed whole, organization ID cached
    assert verdict("777777777777")["errorCode"] == "NonCompliant"
    assert verdict(org["prod_account"])["hookStatus"] == "SUCCESS"
    assert len(sent) == 1  # both answered from the listing


def test_when_the_lookups_are_throttled_too_the_invocation_fails_as_throttling_within_the_budget(
        org, monkeypatch, sent, invoke):
    counts = throttled(monkeypatch, "organizations.ListAccounts", "organizations.DescribeAccount")
    clock = fake_time(monkeypatch)
    config = {"AccountSource": "Organizations", "TrustedOrganizationIds": org["id"]}
    response = invoke(hook_request(TYPE, replication(("eu-west-1", org["prod_account"])), config=config))
    assert response["hookStatus"] == "FAILED" and response["errorCode"] == "Throttling"
    assert "DescribeAccount failed with TooManyRequestsException" in response["message"]
    assert counts["organizations.ListAccounts"] > 3 and counts["organizations.DescribeAccount"] > 3
    assert sum(clock.slept) <= 20.0


@pytest.mark.parametrize("throttled_once", [False, True])
def test_only_a_listing_that_ran_out_of_time_unthrottled_marks_the_organization_too_large(
        org, monkeypatch, sent, invoke, throttled_once):
    """The listing window runs out part way through 100 accounts (each page costs 3 s of a fake
    clock). Unthrottled, the organization is too large to list: the next invocation only looks
    its account up. If the listing met throttling on the way, its slowness says nothing about
    the organization's size: the next invocation lists again."""
    from moto.organizations.models import FakeAccount, organizations_backends

    backend = organizations_backends["123456789012"]["aws"]
    for i in range(100):
        backend.accounts.append(FakeAccount(backend.org, AccountName=f"bulk{i}", Email=f"bulk{i}@example.com"))
    clock = fake_time(monkeypatch)
    throttles_left = [1] if throttled_once else []

    def slow_pages(**_):
        if throttles_left:
            throttles_left.pop()
            return error_answer("TooManyRequestsException", "Rate exceeded")
        clock.t += 3.0  # then the request goes on to moto
        return None

    before_call(monkeypatch, "organizations.ListAccounts", slow_pages)
    config = {"AccountSource": "Organizations", "TrustedOrganizationIds": org["id"], "TrustDeployingAccount": "false"}

    def verdict(registry):
        return invoke(hook_request(TYPE, replication(("eu-west-1", registry)), config=config))

    assert verdict(org["prod_account"])["hookStatus"] == "SUCCESS"
    first = organizations_calls(sent)
    assert first[0] == "organizations:DescribeOrganization" and first[-1] == "organizations:DescribeAccount"
    assert 1 <= first.count("organizations:ListAccounts") < 5  # part way: 100 accounts are 5 pages
    del sent[:]
    assert verdict(org["suspended"])["errorCode"] == "NonCompliant"
    listed_again = "organizations:ListAccounts" in organizations_calls(sent)
    assert listed_again is throttled_once
    assert organizations_calls(sent)[-1] == "organizations:DescribeAccount"  # the window runs out again


# --- the stale window for accounts looked up one by one --------------------------------------

def test_looked_up_accounts_are_used_stale_for_a_bounded_time_and_annotated(monkeypatch, invoke):
    """An organization too large to list: the accounts the resource names are looked up, and a
    failed refresh falls back to those answers within TTL + STALE_GRACE_SECONDS only. An account
    never looked up has no stale answer: that invocation fails closed."""
    client, stub = stubbed()
    stub.add_response("describe_organization", {"Organization": {"Id": ORG_ID}})
    stub.add_response("describe_account", {"Account": {"Id": "222222222222", "State": "ACTIVE"}},
                      {"AccountId": "222222222222"})
    for _ in range(60):  # from here on Organizations throttles every call
        stub.add_client_error("describe_organization", "TooManyRequestsException", "Rate exceeded", 400)
    monkeypatch.setattr(cache, "organizations_client", lambda *a, **k: client)
    monkeypatch.setattr(cache, "LISTING_SECONDS", 0.0)  # as if listing did not finish in time
    now = [50_000.0]
    monkeypatch.setattr(cache.CACHE, "clock", lambda: now[0])
    real_deadline = cache.Deadline

    def one_second(seconds=20.0, clock=None, sleep=None):  # retries sleep on a fake clock, 1 s budget
        fake = FakeClock()
        return real_deadline(min(seconds, 1.0), clock or fake, sleep or fake.sleep)

    monkeypatch.setattr(cache, "Deadline", one_second)
    config = {"AccountSource": "Organizations", "TrustedOrganizationIds": ORG_ID, "CacheTtlSeconds": "60",
              "TrustDeployingAccount": "false"}
    named = hook_request(TYPE, replication(("eu-west-1", "222222222222")), config=config)
    other = hook_request(TYPE, replication(("eu-west-1", "333333333333")), config=config)
    with stub:
        assert invoke(named)["hookStatus"] == "SUCCESS"
        now[0] += 60 + cache.STALE_GRACE_SECONDS - 1
        stale = invoke(named)
        unknown = invoke(other)
        now[0] += 2
        gone = invoke(named)
    assert stale["hookStatus"] == "SUCCESS"
    [note] = [a for a in stale["annotations"] if a["annotationName"] == "ECR-PERIMETER-STALE-TRUST"]
    assert "DescribeOrganization: TooManyRequestsException" in note["statusMessage"]
    assert f"{60 + cache.STALE_GRACE_SECONDS - 1} s ago" in note["statusMessage"]
    assert unknown["hookStatus"] == "FAILED" and unknown["errorCode"] == "Throttling"
    assert gone["hookStatus"] == "FAILED" and gone["errorCode"] == "Throttling"
    assert "DescribeOrganization failed with TooManyRequestsException" in gone["message"]
