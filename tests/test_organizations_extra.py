"""More Organizations cases: every call counted where botocore sends it (STS included, through the
hook's own SessionProxy built from callerCredentials), OU paths whose OU moved, OU walks across
pages, throttled listings and when an organization counts as too large to list, AssumeRole
faults, a real read timeout against a silent socket, connect timeouts, the
stale window for looked-up accounts, and the light import path of the static source."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time

import boto3
import botocore.handlers
import pytest
from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError
from botocore.stub import Stubber
from moto import mock_aws

from conftest import hook_request, replication
from dataperimeter_ecr_replicationguard.invocation import Invocation
from dataperimeter_ecr_replicationguard.settings import parse_settings
from dataperimeter_ecr_replicationguard.trust_sources import TrustUnavailable, membership as cache, resolve_trust
from dataperimeter_ecr_replicationguard.trust_sources.organizations import Deadline, organization_accounts

TYPE = "AWS::ECR::ReplicationConfiguration"
CALLER_KEY = "AKIDEXAMPLE"  # the access key conftest.hook_request puts in requestData.callerCredentials
ORG_ID = "o-a1b2c3d4e5"
INVOCATION = Invocation(account_id="111111111111", region="us-east-1", partition="aws")


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear_cache()
    yield
    cache.clear_cache()


@pytest.fixture
def sent(monkeypatch) -> list[tuple[str, str]]:
    """(service:operation, access key) of every request botocore sends from clients created from
    now on: a handler in botocore's built-in list, so every session has it, the SessionProxy the
    hook builds from callerCredentials and the one built from AssumeRole's answer alike. It runs
    before moto's own before-send handler answers the request."""
    calls: list[tuple[str, str]] = []

    def record(request, **_):
        authorization = request.headers.get("Authorization", b"")
        authorization = authorization.decode() if isinstance(authorization, bytes) else authorization
        key = authorization.split("Credential=", 1)[-1].split("/", 1)[0] if "Credential=" in authorization else ""
        target = request.headers.get("X-Amz-Target", b"")
        target = target.decode() if isinstance(target, bytes) else target
        if target:  # JSON protocol (Organizations): AWSOrganizationsV20161128.ListAccounts
            name = "organizations:" + target.split(".", 1)[1]
        else:  # query protocol (STS): Action=AssumeRole in the body
            body = request.body.decode() if isinstance(request.body, bytes) else str(request.body or "")
            name = "sts:" + body.split("Action=", 1)[1].split("&", 1)[0]
        calls.append((name, key))

    monkeypatch.setattr(botocore.handlers, "BUILTIN_HANDLERS",
                        [("before-send", record), *botocore.handlers.BUILTIN_HANDLERS])
    return calls


@pytest.fixture
def org(monkeypatch):
    """root -> Workloads -> Prod, root -> Quarantine; accounts in Prod (one suspended)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        client = boto3.client("organizations", region_name="us-east-1")
        org_id = client.create_organization(FeatureSet="ALL")["Organization"]["Id"]
        root = client.list_roots()["Roots"][0]["Id"]

        def ou(name, parent):
            return client.create_organizational_unit(ParentId=parent, Name=name)["OrganizationalUnit"]["Id"]

        def account(name, parent):
            account_id = client.create_account(Email=f"{name}@example.com", AccountName=name)["CreateAccountStatus"]["AccountId"]
            client.move_account(AccountId=account_id, SourceParentId=root, DestinationParentId=parent)
            return account_id

        workloads = ou("Workloads", root)
        prod = ou("Prod", workloads)
        quarantine = ou("Quarantine", root)
        ids = {"prod_account": account("prod", prod), "suspended": account("suspended", prod)}
        client.close_account(AccountId=ids["suspended"])
        yield {"client": client, "id": org_id, "root": root, "workloads": workloads, "prod": prod,
               "quarantine": quarantine, **ids, "prod_path": f"{org_id}/{root}/{workloads}/{prod}/"}


def organizations_calls(calls):
    return [name for name, _ in calls]


# --- every call counted where botocore sends it ----------------------------------------------

def test_end_to_end_with_the_read_role_counts_assume_role_and_uses_each_credential(org, sent, invoke):
    iam = boto3.client("iam", region_name="us-east-1")
    role = iam.create_role(RoleName="EcrPerimeterOrganizationsRead", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    config = {"AccountSource": "Organizations", "TrustedOrganizationIds": org["id"], "OrganizationsRoleArn": role}
    del sent[:]  # only what the hook sends from here on

    def verdict(registry):
        return invoke(hook_request(TYPE, replication(("eu-west-1", registry)), config=config))

    assert verdict(org["prod_account"])["hookStatus"] == "SUCCESS"
    cold = list(sent)
    outside, suspended = verdict("999999999999"), verdict(org["suspended"])
    assert outside["hookStatus"] == suspended["hookStatus"] == "FAILED"
    assert outside["errorCode"] == suspended["errorCode"] == "NonCompliant"
    assert org["suspended"] in suspended["message"]
    assert organizations_calls(cold) == ["sts:AssumeRole", "organizations:DescribeOrganization",
                                         "organizations:ListAccounts"]
    # AssumeRole is signed with the caller credentials the hook received; the reads with the role's.
    assert cold[0][1] == CALLER_KEY and cold[1][1] == cold[2][1] != CALLER_KEY
    assert sent == cold  # two warm invocations: no request at all


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


# --- OU paths --------------------------------------------------------------------------------

@pytest.mark.parametrize("listing_seconds", [8.0, 0.0], ids=["listed", "looked-up"])
def test_an_ou_moved_away_no_longer_matches_its_old_path(org, monkeypatch, listing_seconds):
    """A path names the OU's ancestors: once Prod moves under Quarantine, the old path
    (Workloads/Prod) trusts nothing, whether the organization is listed or accounts looked up."""
    monkeypatch.setattr(cache, "LISTING_SECONDS", listing_seconds)
    session = boto3.session.Session(region_name="us-east-1")
    config = parse_settings({"AccountSource": "Organizations", "TrustedOrganizationalUnitPaths": org["prod_path"],
                             "TrustDeployingAccount": "false"})
    before = resolve_trust(config, INVOCATION, session, {org["prod_account"]})
    assert before.accounts == {org["prod_account"]}
    # moto has no MoveOrganizationalUnit: re-parent Prod in moto's backend, as the console would.
    from moto.organizations.models import organizations_backends

    backend = organizations_backends["123456789012"]["aws"]
    next(ou for ou in backend.ou if ou.id == org["prod"]).parent_id = org["quarantine"]
    cache.clear_cache()
    after = resolve_trust(config, INVOCATION, session, {org["prod_account"]})
    assert after.accounts == frozenset()
    moved = f"{org['id']}/{org['root']}/{org['quarantine']}/{org['prod']}/"
    cache.clear_cache()
    assert resolve_trust(config.__class__(**{**config.__dict__, "trusted_ou_paths": frozenset({moved})}),
                         INVOCATION, session, {org["prod_account"]}).accounts == {org["prod_account"]}


def test_the_ou_walk_follows_pages_of_twenty_through_moto(org, sent):
    """25 OUs beneath Workloads and 45 accounts in one of them: every page is read."""
    client = org["client"]
    children = [client.create_organizational_unit(ParentId=org["workloads"], Name=f"Team{i}")["OrganizationalUnit"]["Id"]
                for i in range(25)]
    wanted = set()
    for i in range(45):
        account_id = client.create_account(Email=f"t{i}@example.com", AccountName=f"t{i}")["CreateAccountStatus"]["AccountId"]
        client.move_account(AccountId=account_id, SourceParentId=org["root"], DestinationParentId=children[-1])
        wanted.add(account_id)
    session = boto3.session.Session(region_name="us-east-1")
    config = parse_settings({"AccountSource": "Organizations", "TrustDeployingAccount": "false",
                             "TrustedOrganizationalUnitPaths": f"{org['id']}/{org['root']}/{org['workloads']}/"})
    del sent[:]
    trust = resolve_trust(config, INVOCATION, session)
    assert trust.accounts == wanted | {org["prod_account"]}
    names = organizations_calls(sent)
    # Workloads: 2 pages of OUs (20 + 6); the 26 OUs beneath it and Workloads: 1 page of accounts
    # each, except the OU of 45 accounts: 3 pages (20 + 20 + 5).
    assert names.count("organizations:ListOrganizationalUnitsForParent") == 2 + 26
    assert names.count("organizations:ListAccountsForParent") == 27 + 2


def stubbed():
    client = boto3.client("organizations", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    return client, Stubber(client)


class FakeClock:
    def __init__(self):
        self.t = 0.0
        self.slept: list[float] = []

    def __call__(self):
        return self.t

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.t += seconds


def test_the_ou_walk_follows_empty_pages_and_retries_throttling():
    ou, child = "ou-ab12-aaaaaaaa", "ou-ab12-bbbbbbbb"
    client, stub = stubbed()
    stub.add_response("describe_organization", {"Organization": {"Id": ORG_ID}})
    stub.add_response("list_parents", {"Parents": [{"Id": "r-ab12", "Type": "ROOT"}]}, {"ChildId": ou})
    stub.add_response("list_accounts_for_parent", {"Accounts": [], "NextToken": "a1"}, {"ParentId": ou, "MaxResults": 20})
    stub.add_client_error("list_accounts_for_parent", "TooManyRequestsException", "Rate exceeded", 400)
    stub.add_response("list_accounts_for_parent",
                      {"Accounts": [{"Id": "111111111111", "State": "ACTIVE"}, {"Id": "222222222222", "State": "SUSPENDED"}]},
                      {"ParentId": ou, "MaxResults": 20, "NextToken": "a1"})
    stub.add_response("list_organizational_units_for_parent", {"OrganizationalUnits": [], "NextToken": "o1"},
                      {"ParentId": ou, "MaxResults": 20})
    stub.add_response("list_organizational_units_for_parent", {"OrganizationalUnits": [{"Id": child}]},
                      {"ParentId": ou, "MaxResults": 20, "NextToken": "o1"})
    stub.add_response("list_accounts_for_parent", {"Accounts": [{"Id": "333333333333", "State": "ACTIVE"}]},
                      {"ParentId": child, "MaxResults": 20})
    stub.add_response("list_organizational_units_for_parent", {"OrganizationalUnits": []},
                      {"ParentId": child, "MaxResults": 20})
    clock = FakeClock()
    with stub:
        accounts = organization_accounts(client, frozenset(), frozenset({f"{ORG_ID}/r-ab12/{ou}/"}),
                                         Deadline(20, clock=clock, sleep=clock.sleep))
    stub.assert_no_pending_responses()
    assert accounts == {"111111111111", "333333333333"}
    assert len(clock.slept) == 1


def test_a_configured_organization_other_than_the_roles_fails_as_a_configuration_error(org, invoke):
    config = {"AccountSource": "Organizations", "TrustedOrganizationIds": "o-zzzzzzzzzz"}
    response = invoke(hook_request(TYPE, replication(("eu-west-1", org["prod_account"])), config=config))
    assert response["hookStatus"] == "FAILED" and response["errorCode"] == "InvalidTypeConfiguration"
    message = response["message"]
    assert "DescribeOrganization failed with OrganizationMismatch" in message
    assert org["id"] in message and "o-zzzzzzzzzz" in message and "TrustedAccountIds" in message


# --- AssumeRole faults -----------------------------------------------------------------------

def before_call(monkeypatch, operation: str, handler) -> None:
    """``handler`` runs before every request to ``operation`` (e.g. "sts.AssumeRole") from the
    clients created from now on, the hook's own included; what it returns (see
    :func:`error_answer`) answers the request unsent, None lets it through."""
    monkeypatch.setattr(botocore.handlers, "BUILTIN_HANDLERS",
                        [(f"before-call.{operation}", handler), *botocore.handlers.BUILTIN_HANDLERS])


def error_answer(code: str, message: str):
    """An AWS error response, as a before-call handler returns it."""
    from botocore.awsrequest import AWSResponse

    return AWSResponse("https://aws.amazon.com", 400, {}, None), {
        "Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": 400}}


def short_circuit(monkeypatch, operation: str, answers: list[dict]):
    """The next requests to ``operation`` get ``answers`` (parsed error bodies), as Stubber
    does, but for the clients the hook itself creates."""
    def answer(**_):
        if not answers:
            return None
        error = answers.pop(0)
        return error_answer(error["Code"], error["Message"])

    before_call(monkeypatch, operation, answer)


def test_assume_role_denied_fails_closed_naming_the_trust_policy(org, monkeypatch, invoke):
    short_circuit(monkeypatch, "sts.AssumeRole", [{"Code": "AccessDenied", "Message": "User: arn:aws:sts::111111111111:"
                                                   "assumed-role/x/y is not authorized to perform: sts:AssumeRole"}])
    config = {"AccountSource": "Organizations", "TrustedOrganizationIds": org["id"],
              "OrganizationsRoleArn": "arn:aws:iam::123456789012:role/EcrPerimeterOrganizationsRead"}
    response = invoke(hook_request(TYPE, replication(("eu-west-1", org["prod_account"])), config=config))
    assert response["hookStatus"] == "FAILED" and response["errorCode"] == "AccessDenied"
    assert "AssumeRole failed with AccessDenied" in response["message"]
    assert "trust policy" in response["message"] and "organizations-read-role.yaml" in response["message"]


def test_assume_role_throttling_is_retried(org, monkeypatch, sent, invoke):
    short_circuit(monkeypatch, "sts.AssumeRole", [{"Code": "Throttling", "Message": "Rate exceeded"}] * 2)
    iam = boto3.client("iam", region_name="us-east-1")
    role = iam.create_role(RoleName="EcrPerimeterOrganizationsRead", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    config = {"AccountSource": "Organizations", "TrustedOrganizationIds": org["id"], "OrganizationsRoleArn": role}
    response = invoke(hook_request(TYPE, replication(("eu-west-1", org["prod_account"])), config=config))
    assert response["hookStatus"] == "SUCCESS"
    assert organizations_calls(sent)[0] == "sts:AssumeRole"  # the third attempt reached moto


# --- a throttled listing --------------------------------------------------------------------

def throttled(monkeypatch, *operations: str) -> dict[str, int]:
    """Every request to ``operations`` (e.g. "organizations.ListAccounts") answered with
    TooManyRequestsException before it is sent, while ``counts["on"]``; the throttled attempts
    are counted per operation."""
    counts = {"on": 1, **{operation: 0 for operation in operations}}

    def handler(operation):
        def answer(**_):
            if not counts["on"]:
                return None
            counts[operation] += 1
            return error_answer("TooManyRequestsException", "Rate exceeded")
        return answer

    for operation in operations:
        before_call(monkeypatch, operation, handler(operation))
    return counts


def fake_time(monkeypatch) -> FakeClock:
    """Every Deadline the hook makes runs on one fake clock: backoff pauses cost no real time."""
    fake = FakeClock()
    real = cache.Deadline
    monkeypatch.setattr(cache, "Deadline", lambda seconds=20.0, clock=None, sleep=None:
                        real(seconds, clock or fake, sleep or fake.sleep))
    return fake


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


# --- timeouts --------------------------------------------------------------------------------

@pytest.fixture
def silent_endpoint(monkeypatch):
    """A TCP server that accepts connections and never answers; Organizations is pointed at it
    with botocore's service-specific endpoint variable."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def serve():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    monkeypatch.setenv("AWS_ENDPOINT_URL_ORGANIZATIONS", f"http://127.0.0.1:{server.getsockname()[1]}")
    yield accepted
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    server.close()


def test_a_real_read_timeout_fails_closed_after_one_attempt(silent_endpoint, invoke):
    """The client waits 5 s for an answer and does not retry on its own: one connection, one
    InternalFailure naming the call, well inside the hook's 30 s."""
    started = time.monotonic()
    response = invoke(hook_request(TYPE, replication(("eu-west-1", "222222222222")),
                                   config={"AccountSource": "Organizations", "TrustedOrganizationIds": ORG_ID}))
    took = time.monotonic() - started
    assert response["hookStatus"] == "FAILED" and response["errorCode"] == "InternalFailure"
    assert "DescribeOrganization failed with ReadTimeoutError" in response["message"]
    assert 4.5 <= took < 10 and len(silent_endpoint) == 1


@pytest.mark.parametrize("error", [
    ConnectTimeoutError(endpoint_url="https://organizations.us-east-1.amazonaws.com/"),
    EndpointConnectionError(endpoint_url="https://organizations.us-east-1.amazonaws.com/"),
], ids=lambda e: type(e).__name__)
def test_connection_failures_fail_closed(monkeypatch, invoke, error):
    def fail(**_):
        raise error

    monkeypatch.setattr(botocore.handlers, "BUILTIN_HANDLERS",
                        [("before-send.organizations", fail), *botocore.handlers.BUILTIN_HANDLERS])
    response = invoke(hook_request(TYPE, replication(("eu-west-1", "222222222222")),
                                   config={"AccountSource": "Organizations", "TrustedOrganizationIds": ORG_ID}))
    assert response["hookStatus"] == "FAILED" and response["errorCode"] == "InternalFailure"
    assert f"DescribeOrganization failed with {type(error).__name__}" in response["message"]
    assert "fails closed" in response["message"] and len(response["message"]) <= 1024


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


def test_a_trust_failure_is_typed(monkeypatch):
    def denied(*_a, **_k):
        from dataperimeter_ecr_replicationguard.trust_sources.organizations import OrganizationsError

        raise OrganizationsError("ListAccounts", "AccessDeniedException", "not the management account")

    monkeypatch.setattr(cache, "organizations_client", denied)
    with pytest.raises(TrustUnavailable) as error:
        resolve_trust(parse_settings({"AccountSource": "Organizations", "TrustedOrganizationIds": ORG_ID}),
                      INVOCATION, object())
    assert error.value.code == "AccessDeniedException" and not error.value.throttled
    assert "OrganizationsRoleArn" in str(error.value)


# --- the static source stays light -----------------------------------------------------------

def test_the_static_source_imports_no_organizations_code():
    """A Static invocation through the real entrypoint never imports the Organizations modules
    (cold start), while an Organizations one does."""
    program = """
import json, sys
sys.path.insert(0, "tests")
from conftest import hook_request, replication
from dataperimeter_ecr_replicationguard.handlers import hook
mods = lambda: sorted(m for m in sys.modules if ".trust_sources." in m)
event = hook_request("AWS::ECR::ReplicationConfiguration", replication(("eu-west-1", "111111111111")),
                     config={"AccountSource": sys.argv[1], "TrustedOrganizationIds": "o-a1b2c3d4e5"})
if sys.argv[1] == "Organizations":
    del event["requestData"]["callerCredentials"]
status = hook(event, None)["hookStatus"]
print(json.dumps([status, mods()]))
"""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "PYTHONPATH": os.path.join(root, "src")}

    def run(source):
        out = subprocess.run([sys.executable, "-c", program, source], cwd=root, env=env,
                             capture_output=True, text=True, check=True).stdout
        return json.loads(out.strip().splitlines()[-1])

    static_status, static_modules = run("Static")
    orgs_status, orgs_modules = run("Organizations")
    assert static_status == "SUCCESS"
    assert not any(m.endswith((".membership", ".organizations")) for m in static_modules), static_modules
    assert orgs_status == "FAILED" and any(m.endswith(".membership") for m in orgs_modules)
