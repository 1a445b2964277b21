"""``hook-handler audit``'s scope (cli/audit_scope.py): which accounts (the caller's, --accounts,
--organization with OUs), with which credentials (--role-name assumed through STS) and which
Regions (the session's, a list, or every enabled one). AWS Organizations, STS, EC2 and ECR are
moto's; what moto does not do (an empty page before the end, access denied, throttling that never
stops) is botocore's Stubber."""

from __future__ import annotations

import argparse

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from dataperimeter_ecr_replicationguard.cli import audit, audit_scope
from dataperimeter_ecr_replicationguard.cli.audit_scope import AccountScope, ClientFactory, ScopeError
from dataperimeter_ecr_replicationguard.cli.main import main

MOTO_CALLER = "123456789012"  # moto's default account: the management account of the organization it creates


@pytest.fixture
def aws(monkeypatch):
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "eu-west-1", "AWS_REGION": "eu-west-1",
                        "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield boto3.session.Session(region_name="eu-west-1")


def organization(session, members: int, suspended: int = 0) -> dict:
    """An organization in moto: ``members`` ACTIVE accounts (the first three in OU A, one of
    them in A's child OU B) and ``suspended`` closed ones; returns their IDs and the OU IDs."""
    client = session.client("organizations")
    client.create_organization(FeatureSet="ALL")
    root = client.list_roots()["Roots"][0]["Id"]
    ou_a = client.create_organizational_unit(ParentId=root, Name="A")["OrganizationalUnit"]["Id"]
    ou_b = client.create_organizational_unit(ParentId=ou_a, Name="B")["OrganizationalUnit"]["Id"]
    active = []
    for n in range(members + suspended):
        account = client.create_account(Email=f"a{n}@example.com", AccountName=f"member-{n}")[
            "CreateAccountStatus"]["AccountId"]
        if n < 3:
            client.move_account(AccountId=account, SourceParentId=root, DestinationParentId=ou_b if n == 2 else ou_a)
        if n >= members:
            client.close_account(AccountId=account)
        else:
            active.append(account)
    return {"root": root, "A": ou_a, "B": ou_b, "active": active}


def args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    audit.add_arguments(parser)  # what hook-handler's parser adds to its audit command
    return parser.parse_args(list(argv))


def nothing(clients, *, account, region, partition):
    """A reader of an empty registry: these tests are about the scope, not the reading."""
    return iter(())


def identity_reader(seen: list):
    """A reader that asks STS who it is with the pair's clients: the credentials in use."""
    def read(clients, *, account, region, partition):
        seen.append((account, region, clients.client("sts").get_caller_identity()["Account"]))
        return iter(())
    return read


# -- accounts ---------------------------------------------------------------------------------


def test_default_scope_is_the_callers_account_and_region(aws):
    report = audit.audit_report(args(), reader=nothing, session=aws)
    assert [(r.account, r.region, r.audited) for r in report.results] == [(MOTO_CALLER, "eu-west-1", True)]
    assert report.complete


def test_organization_lists_every_active_account_across_pages(aws):
    """25 members and the management account: two pages of 20; closed accounts are left out."""
    org = organization(aws, members=25, suspended=2)
    found = [a for a, _ in audit_scope.organization_accounts(ClientFactory(aws), "eu-west-1", [])]
    assert found == sorted(org["active"] + [MOTO_CALLER])
    assert len(found) == 26


def test_organizational_units_are_walked_down(aws):
    org = organization(aws, members=5)
    factory = ClientFactory(aws)
    beneath_a = [a for a, _ in audit_scope.organization_accounts(factory, "eu-west-1", [org["A"]])]
    assert beneath_a == sorted(org["active"][:3])  # A's two and B's one
    assert [a for a, _ in audit_scope.organization_accounts(factory, "eu-west-1", [org["B"]])] == [org["active"][2]]


def test_every_organization_account_is_read_with_its_assumed_role(aws):
    org = organization(aws, members=3)
    seen: list = []
    report = audit.audit_report(args("--organization", "--role-name", "EcrPerimeterGuardAuditRead",
                                     "--regions", "eu-west-1,us-east-1"), reader=identity_reader(seen), session=aws)
    expected = sorted(org["active"] + [MOTO_CALLER])
    assert sorted({a for a, _, _ in seen}) == expected
    assert all(account == who for account, _, who in seen)  # each pair reads with its own account's role
    assert sorted((a, r) for a, r, _ in seen) == [(a, r) for a in expected for r in ("eu-west-1", "us-east-1")]
    assert report.complete and [r["account"] for r in report.rows()] == expected
    assert {r["name"] for r in report.rows()} >= {"member-0", "member-1", "member-2"}


def test_organization_with_ous_on_the_command_line(aws, capsys):
    org = organization(aws, members=4)
    code = main(["audit", "--organization", "--organizational-unit-ids", org["B"], "--role-name", "R",
                 "--format", "json"])
    # The live reader is not stood in here: whatever it reads, the scope is the one account beneath B.
    assert code in (0, 1, 3)
    import json

    document = json.loads(capsys.readouterr().out)
    assert [a["account"] for a in document["audit"]["accounts"]] == [org["active"][2]]


def test_other_accounts_need_a_role(aws):
    with pytest.raises(audit.UsageError, match="needs --role-name"):
        audit.audit_report(args("--accounts", "111111111111,222222222222"), reader=nothing, session=aws)


@pytest.mark.parametrize("argv, message", [
    (["--accounts", "11111111111"], "is not a 12-digit account ID"),
    (["--accounts", ","], "expected one or more"),
    (["--regions", "eu_west_1"], "is not a Region name"),
    (["--organizational-unit-ids", "ou-ab12-11111111"], "needs --organization"),
    (["--organization", "--accounts", "111111111111"], "exclusive"),
    (["--organization", "--organizational-unit-ids", "ou-x"], "is not an OU ID"),
    (["--role-name", "bad name"], "is not an IAM role name"),
    (["--concurrency", "0"], "expected 1 to"),
    (["--trusted-account-ids", "1234"], "does not validate"),
])
def test_usage_errors_exit_2_with_one_line(aws, capsys, argv, message):
    assert main(["audit", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_an_account_whose_role_cannot_be_assumed_is_not_audited():
    """STS refuses (AccessDenied): the account is reported with STS's reason, the others are read."""
    factory = _StubbedFactory()
    sts = factory.stub("sts")
    sts.add_client_error("assume_role", "AccessDenied", "User: arn:aws:iam::111111111111:user/a is not authorized "
                         "to perform: sts:AssumeRole on resource: arn:aws:iam::222222222222:role/R", 403)
    why = audit_scope.assume(factory, "eu-west-1", "aws", "222222222222", "R", None)
    assert why == ("cannot assume arn:aws:iam::222222222222:role/R: AccessDenied: User: arn:aws:iam::111111111111:"
                   "user/a is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222222222222:role/R")
    sts.assert_no_pending_responses()


def test_assume_role_passes_the_external_id_and_the_partition():
    factory = _StubbedFactory()
    sts = factory.stub("sts")
    credentials = {"AccessKeyId": "ASIAEXAMPLEEXAMPLE12", "SecretAccessKey": "s", "SessionToken": "t",
                   "Expiration": "2099-01-01T00:00:00Z"}
    sts.add_response("assume_role", {"Credentials": credentials},
                     {"RoleArn": "arn:aws-cn:iam::222222222222:role/path/R", "RoleSessionName": audit_scope.SESSION_NAME,
                      "DurationSeconds": audit_scope.ROLE_SECONDS, "ExternalId": "x-1"})
    got = audit_scope.assume(factory, "cn-north-1", "aws-cn", "222222222222", "path/R", "x-1")
    assert got == {"AccessKeyId": "ASIAEXAMPLEEXAMPLE12", "SecretAccessKey": "s", "SessionToken": "t"}


def test_organization_pages_may_be_empty_before_the_end():
    """Organizations may answer an empty page that still has a NextToken: the listing goes on."""
    factory = _StubbedFactory()
    orgs = factory.stub("organizations")
    account = {"Id": "111111111111", "Arn": "arn:aws:organizations::111111111111:account/o-a1b2c3d4e5/111111111111",
               "Name": "one", "Email": "a@example.com", "State": "ACTIVE"}
    orgs.add_response("list_accounts", {"Accounts": [account], "NextToken": "t1"})
    orgs.add_response("list_accounts", {"Accounts": [], "NextToken": "t2"}, {"NextToken": "t1"})
    orgs.add_response("list_accounts", {"Accounts": [], "NextToken": "t3"}, {"NextToken": "t2"})
    orgs.add_response("list_accounts", {"Accounts": [dict(account, Id="222222222222", Name="two"),
                                                     dict(account, Id="333333333333", State="SUSPENDED")]},
                      {"NextToken": "t3"})
    assert audit_scope.organization_accounts(factory, "us-east-1", []) == [("111111111111", "one"),
                                                                           ("222222222222", "two")]
    orgs.assert_no_pending_responses()


def test_organizations_access_denied_stops_the_audit_with_a_reason():
    factory = _StubbedFactory()
    factory.stub("organizations").add_client_error("list_accounts", "AccessDeniedException",
                                                   "You don't have permissions to access this resource.")
    with pytest.raises(ScopeError, match="AccessDeniedException: You don't have permissions.*management account"):
        audit_scope.organization_accounts(factory, "us-east-1", [])


def test_caller_identity_failure_is_a_scope_error():
    factory = _StubbedFactory()
    factory.stub("sts").add_client_error("get_caller_identity", "ExpiredToken", "The security token included in "
                                         "the request is expired")
    with pytest.raises(ScopeError, match="ExpiredToken"):
        audit_scope.caller_identity(factory, "eu-west-1")


# -- Regions ------------------------------------------------------------------------------------


def test_all_regions_are_the_enabled_ones(aws):
    scope = AccountScope(MOTO_CALLER)
    known = audit_scope.enabled_regions(ClientFactory(aws), scope, "eu-west-1")
    assert isinstance(known, dict) and known["ap-east-1"] == "not-opted-in" and known["eu-west-1"] != "not-opted-in"
    audit_scope.regions_of(scope, None, known)
    assert "eu-west-1" in scope.regions and "ap-east-1" not in scope.regions and not scope.skipped


def test_a_listed_region_not_enabled_is_not_audited(aws):
    report = audit.audit_report(args("--regions", "eu-west-1,ap-east-1,xx-nowhere-9"), reader=nothing, session=aws)
    assert not report.complete
    by_region = {r.region: r for r in report.results}
    assert by_region["eu-west-1"].audited
    assert by_region["ap-east-1"].not_read == [("the Region", "not enabled in this account (opt-in status not-opted-in)")]
    assert by_region["xx-nowhere-9"].not_read[0][1].startswith("no such Region")
    assert [r.finding.rule_id for r in by_region["ap-east-1"].records] == ["ECR-AUDIT-NOT-AUDITED"]


def test_regions_that_cannot_be_listed():
    """DescribeRegions denied: 'all' cannot be worked out (the account is not audited); a list is
    read as given (the reads say whether each Region answers)."""
    denied = "cannot list the account's Regions (ec2:DescribeRegions): UnauthorizedOperation: no"
    every = AccountScope("111111111111")
    audit_scope.regions_of(every, None, denied)
    assert every.not_audited is not None and every.not_audited.startswith(denied) and not every.regions
    listed = AccountScope("111111111111")
    audit_scope.regions_of(listed, ["eu-west-1"], denied)
    assert listed.regions == ("eu-west-1",) and listed.not_audited is None


def test_describe_regions_denied_is_reported():
    factory = _StubbedFactory()
    factory.stub("ec2").add_client_error("describe_regions", "UnauthorizedOperation",
                                         "You are not authorized to perform this operation.")
    why = audit_scope.enabled_regions(factory, AccountScope("111111111111"), "eu-west-1")
    assert why == ("cannot list the account's Regions (ec2:DescribeRegions): UnauthorizedOperation: You are not "
                   "authorized to perform this operation.")


def test_no_region_at_all_is_a_usage_error(aws):
    with pytest.raises(audit.UsageError, match="no Region"):
        audit.audit_report(args(), reader=nothing, session=_NoRegion(aws))


class _NoRegion:
    def __init__(self, session):
        self._session = session
        self.region_name = None

    def client(self, *a, **k):
        return self._session.client(*a, **k)


# -- a factory of stubbed clients ----------------------------------------------------------------


class _StubbedFactory(ClientFactory):
    """Clients with a Stubber attached, one per service, made by the real factory."""

    def __init__(self):
        super().__init__(boto3.session.Session(aws_access_key_id="a", aws_secret_access_key="b", region_name="eu-west-1"))
        self.clients: dict = {}
        self.stubbers: dict = {}

    def stub(self, service: str) -> Stubber:
        client = super().client(service, "eu-west-1")
        self.clients[service] = client
        self.stubbers[service] = Stubber(client)
        self.stubbers[service].activate()
        return self.stubbers[service]

    def client(self, service, region, credentials=None, config=None, **kwargs):
        return self.clients[service]
