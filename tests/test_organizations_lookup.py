"""How the Organizations source reads the membership, counted where botocore sends each request
(STS included, through the hook's own SessionProxy built from callerCredentials): the read
role's credentials, OU paths whose OU moved, OU walks across pages (moto and Stubber), and an
organization other than the role's."""

from __future__ import annotations

import boto3
import pytest

import organizations_helpers as helpers
from conftest import hook_request, replication
from dataperimeter_ecr_replicationguard.settings import parse_settings
from dataperimeter_ecr_replicationguard.trust_sources import membership as cache
from dataperimeter_ecr_replicationguard.trust_sources import resolve_trust
from dataperimeter_ecr_replicationguard.trust_sources.organizations import Deadline, organization_accounts
from organizations_helpers import (
    CALLER_KEY,
    INVOCATION,
    ORG_ID,
    TYPE,
    FakeClock,
    organizations_calls,
    stubbed,
)

# The shared fixtures (organizations_helpers.py), bound here so that pytest finds them.
empty_cache, org, sent = helpers.empty_cache, helpers.org, helpers.sent


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
    assert resolve_trust(config._replace(trusted_ou_paths=frozenset({moved})),
                         INVOCATION, session, {org["prod_account"]}).accounts == {org["prod_account"]}


def test_the_ou_walk_follows_pages_of_twenty_through_moto(org, sent):
    """25 OUs beneath Workloads and 45 accounts in one of them: every page is read."""
    client = org["client"]
    children = [
        client.create_organizational_unit(ParentId=org["workloads"], Name=f"Team{i}")["OrganizationalUnit"]["Id"]
        for i in range(25)]
    wanted = set()
    for i in range(45):
        status = client.create_account(Email=f"t{i}@example.com", AccountName=f"t{i}")["CreateAccountStatus"]
        account_id = status["AccountId"]
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


def test_the_ou_walk_follows_empty_pages_and_retries_throttling():
    ou, child = "ou-ab12-aaaaaaaa", "ou-ab12-bbbbbbbb"
    client, stub = stubbed()
    stub.add_response("describe_organization", {"Organization": {"Id": ORG_ID}})
    stub.add_response("list_parents", {"Parents": [{"Id": "r-ab12", "Type": "ROOT"}]}, {"ChildId": ou})
    stub.add_response("list_accounts_for_parent", {"Accounts": [], "NextToken": "a1"},
                      {"ParentId": ou, "MaxResults": 20})
    stub.add_client_error("list_accounts_for_parent", "TooManyRequestsException", "Rate exceeded", 400)
    stub.add_response("list_accounts_for_parent",
                      {"Accounts": [{"Id": "111111111111", "State": "ACTIVE"},
                                    {"Id": "222222222222", "State": "SUSPENDED"}]},
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
