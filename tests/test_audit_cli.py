"""``hook-handler audit`` end to end: the real command, real boto3 clients (signing, retries,
pagination, error parsing) pointed with ``AWS_ENDPOINT_URL`` (or a profile) at the local stand-in
for ECR, ECR Public, STS, EC2 and Organizations (tests/audit_stub.py). Every failure mode is
"not audited" with its reason and exit 3, never compliant; outputs are scan's formats."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

import audit_stub as stub
from scan_helpers import run_cli

CALLER = "111111111111"
MEMBER = "222222222222"
LOCKED = "333333333333"  # no audit role
FOREIGN = "999999999999"
ROLE = "EcrPerimeterGuardAuditRead"
POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Sid": "Pull", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CALLER}:root"}, "Action": "ecr:BatchGetImage"}]})
PUBLIC = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Sid": "Push", "Effect": "Allow", "Principal": "*", "Action": "ecr-public:PutImage"}]})


def organization() -> stub.World:
    """The caller's (management) account, a member with a foreign replication and a public
    repository anyone may push to, and an account without the audit role."""
    world = stub.World()
    world.accounts[CALLER] = stub.Account(name="management")
    member = world.accounts[MEMBER] = stub.Account(name="workloads")
    member.registry("eu-west-1").replication = {"rules": [{"destinations": [
        {"region": "eu-west-1", "registryId": FOREIGN}], "repositoryFilters": [{"filter": "prod/",
                                                                                "filterType": "PREFIX_MATCH"}]}]}
    member.registry("eu-west-1").repositories = {"app": POLICY, "plain": None}
    member.registry("us-east-1").public_repositories = {"tools": PUBLIC}
    world.accounts[LOCKED] = stub.Account(name="legacy", role=None)
    return world


@pytest.fixture
def aws(monkeypatch):
    """Serve a world and point boto3 at it (as the caller); returns (world setter, run)."""
    state: dict = {}

    def start(world: stub.World):
        state["world"] = world
        server = stub.serving(world)
        url = server.__enter__()
        state["server"] = server
        for name, value in stub.environment(url, CALLER).items():
            monkeypatch.setenv(name, value)
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_MAX_ATTEMPTS"):
            monkeypatch.delenv(name, raising=False)
        state["url"] = url
        return url

    yield start, state
    if "server" in state:
        state["server"].__exit__(None, None, None)


def audit_json(*argv: str) -> tuple[int, dict, str]:
    code, out, err = run_cli("audit", *argv, "--format", "json")
    return code, json.loads(out), err


def failing(document: dict) -> set[tuple[str, str, str]]:
    return {(f["file"], f["logicalId"], f["ruleId"]) for f in document["findings"] if f["failing"]}


# -- the happy paths and the exit codes ----------------------------------------------------------


def test_the_callers_account_and_region_by_default_through_aws_endpoint_url(aws):
    start, state = aws
    world = organization()
    world.accounts[CALLER].registry("eu-west-1").repositories = {"ok": POLICY}
    start(world)
    code, document, err = audit_json()
    assert code == 0, err
    assert document["audit"]["complete"] and [r["account"] for r in document["audit"]["accounts"]] == [CALLER]
    resources = {r["logicalId"] for f in document["files"] for r in f["resources"]}
    assert f"arn:aws:ecr:eu-west-1:{CALLER}:repository/ok" in resources
    assert world.calls["GetCallerIdentity"] == 1 and world.calls["GetRepositoryPolicy"] == 1
    assert "AssumeRole" not in world.calls and "DescribeRegions" not in world.calls  # the default scope asks neither


def test_a_profile_is_honoured(aws, monkeypatch, tmp_path):
    """--profile (and AWS_PROFILE): the profile's credentials and Region, with the endpoint."""
    start, _ = aws
    url = start(organization())
    (tmp_path / "credentials").write_text(f"[auditor]\naws_access_key_id = {stub.CALLER_KEY.format(MEMBER)}\n"
                                          "aws_secret_access_key = s\n")
    (tmp_path / "config").write_text(f"[profile auditor]\nregion = us-east-1\nendpoint_url = {url}\n")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    code, document, err = audit_json("--profile", "auditor")
    assert code == 1, err  # the member's public repository lets anyone push
    assert [(r["account"], r["regions"]) for r in document["audit"]["accounts"]] == [(MEMBER, ["us-east-1"])]
    assert (f"{MEMBER}/us-east-1", f"arn:aws:ecr-public::{MEMBER}:repository/tools",
            "ECR-POLICY-PUBLIC-PRINCIPAL") in failing(document)
    monkeypatch.setenv("AWS_PROFILE", "auditor")
    code, document, _ = audit_json()
    assert code == 1 and document["audit"]["accounts"][0]["account"] == MEMBER
    code, _, err = run_cli("audit", "--profile", "nobody")
    assert code == 2 and "--profile nobody" in err


def test_an_organization_audit_finds_reports_and_exits_3_when_incomplete(aws):
    start, state = aws
    start(organization())
    code, document, err = audit_json("--organization", "--role-name", ROLE, "--regions", "eu-west-1,us-east-1",
                                     "--trusted-account-ids", CALLER)
    assert code == 3, err
    assert err.startswith(f"hook-handler audit: incomplete: {LOCKED}: not audited: the account: cannot assume "
                          f"arn:aws:iam::{LOCKED}:role/{ROLE}: AccessDenied: ")
    assert failing(document) == {
        (f"{MEMBER}/eu-west-1", f"arn:aws:ecr:eu-west-1:{MEMBER}:registry", "ECR-REPLICATION-UNTRUSTED-DESTINATION"),
        (f"{MEMBER}/us-east-1", f"arn:aws:ecr-public::{MEMBER}:repository/tools", "ECR-POLICY-PUBLIC-PRINCIPAL"),
        (LOCKED, "", "ECR-AUDIT-NOT-AUDITED"),
    }
    rows = {r["account"]: r for r in document["audit"]["accounts"]}
    assert rows[CALLER]["complete"] and rows[CALLER]["regionsRead"] == 2 and rows[CALLER]["failing"] == 0
    assert rows[MEMBER]["complete"] and rows[MEMBER]["failing"] == 2 and rows[MEMBER]["resources"] >= 4
    assert not rows[LOCKED]["complete"] and rows[LOCKED]["regionsRead"] == 0 and rows[LOCKED]["regionsPlanned"] == 2
    assert rows[LOCKED]["notAudited"][0]["reason"].startswith(f"cannot assume arn:aws:iam::{LOCKED}:role/{ROLE}")
    assert document["audit"]["summary"] == {"accounts": 3, "accountsComplete": 2, "regionsRead": 4, "notAudited": 1}
    assert rows[MEMBER]["name"] == "workloads"


def test_findings_exit_1_and_a_clean_complete_audit_exits_0(aws):
    start, _ = aws
    world = organization()
    del world.accounts[LOCKED]
    start(world)
    code, _, err = run_cli("audit", "--organization", "--role-name", ROLE, "--regions", "eu-west-1")
    assert code == 1, err
    code, _, err = run_cli("audit", "--organization", "--role-name", ROLE, "--regions", "eu-west-1",
                           "--trusted-account-ids", f"{FOREIGN},{CALLER}")
    assert code == 0, err


def test_the_text_report_has_a_table_per_account(aws):
    start, _ = aws
    start(organization())
    code, out, err = run_cli("audit", "--organization", "--role-name", ROLE, "--regions", "eu-west-1,us-east-1",
                             "--trusted-account-ids", CALLER)
    assert code == 3
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("account "))
    assert lines[header].split() == ["account", "name", "Regions", "resources", "failing", "exempted", "status"]
    table = {line.split()[0]: line.split() for line in lines[header + 1:header + 4]}
    assert table[CALLER][1:3] == ["management", "2/2"] and table[CALLER][-1] == "audited"
    assert table[MEMBER][1:3] == ["workloads", "2/2"] and table[MEMBER][4] == "2"
    assert table[LOCKED][2] == "0/2" and "not audited: cannot assume" in " ".join(table[LOCKED])
    assert f"{MEMBER}/eu-west-1: arn:aws:ecr:eu-west-1:{MEMBER}:registry (AWS::ECR::ReplicationConfiguration) " \
           "ECR-REPLICATION-UNTRUSTED-DESTINATION [HIGH]" in lines
    assert lines[-1] == ("FAILED: 3 account(s), 4 account-Region(s) read, 7 ECR resource(s), 2 finding(s): 2 failing, "
                         "0 exempted; INCOMPLETE: 1 part(s) not audited")
    assert any(line.startswith(f"not audited: {LOCKED}: the account: cannot assume") for line in lines)


def test_sarif_and_junit_say_what_was_not_audited(aws, tmp_path):
    start, _ = aws
    start(organization())
    sarif, junit = tmp_path / "a.sarif", tmp_path / "a.xml"
    code, out, err = run_cli("audit", "--organization", "--role-name", ROLE, "--regions", "eu-west-1",
                             "--output-file", f"sarif={sarif}", "--output-file", f"junit={junit}", "--quiet",
                             "--trusted-account-ids", CALLER)
    assert code == 3, err
    run_ = json.loads(sarif.read_text())["runs"][0]
    assert run_["invocations"][0]["executionSuccessful"] is False
    [note] = run_["invocations"][0]["toolExecutionNotifications"]
    assert note["message"]["text"].startswith(f"not audited: {LOCKED}: the account: cannot assume")
    results = {(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]) for r in run_["results"]}
    assert results == {("ECR-AUDIT-NOT-AUDITED", LOCKED), ("ECR-REPLICATION-UNTRUSTED-DESTINATION", f"{MEMBER}/eu-west-1")}
    assert {r["id"] for r in run_["tool"]["driver"]["rules"]} == {"ECR-AUDIT-NOT-AUDITED",
                                                                 "ECR-REPLICATION-UNTRUSTED-DESTINATION"}
    root = ET.fromstring(junit.read_text())
    assert root.get("name") == "hook-handler audit"
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert suites[LOCKED].find("testcase/failure").get("type") == "ECR-AUDIT-NOT-AUDITED"
    assert suites[f"{MEMBER}/eu-west-1"].get("failures") == "1"
    assert f"{CALLER}/eu-west-1" in suites and suites[f"{CALLER}/eu-west-1"].get("failures") == "0"


# -- failure modes: never compliant ---------------------------------------------------------------


def test_a_region_not_enabled_and_all_enabled_regions(aws):
    start, _ = aws
    world = organization()
    del world.accounts[LOCKED]
    start(world)
    code, document, _ = audit_json("--accounts", MEMBER, "--role-name", ROLE, "--regions", "eu-west-1,ap-east-1")
    assert code == 3
    [row] = document["audit"]["accounts"]
    assert row["notAudited"] == [{"where": f"{MEMBER}/ap-east-1", "what": "the Region",
                                  "reason": "not enabled in this account (opt-in status not-opted-in)"}]
    code, document, _ = audit_json("--accounts", MEMBER, "--role-name", ROLE, "--regions", "all")
    assert code == 1 and document["audit"]["complete"]
    enabled = sorted(r for r, s in stub.DEFAULT_REGIONS.items() if s != "not-opted-in")
    assert document["audit"]["accounts"][0]["regions"] == enabled


def test_access_denied_calls_are_not_audited_and_the_rest_is_read(aws):
    start, _ = aws
    world = organization()
    del world.accounts[LOCKED]
    world.deny = {(MEMBER, "eu-west-1", "GetRepositoryPolicy"), (MEMBER, "us-east-1", "DescribeRegistry")}
    start(world)
    code, document, err = audit_json("--accounts", MEMBER, "--role-name", ROLE, "--regions", "eu-west-1,us-east-1")
    assert code == 3, err
    [row] = document["audit"]["accounts"]
    where = {(m["where"], "AccessDenied" in m["reason"]) for m in row["notAudited"]}
    assert (f"{MEMBER}/eu-west-1", True) in where and (f"{MEMBER}/us-east-1", True) in where
    assert len([m for m in row["notAudited"] if m["where"] == f"{MEMBER}/eu-west-1"]) == 2  # both repositories
    # What could be read still is: the foreign replication in eu-west-1, the public repository in us-east-1.
    rules = {f["ruleId"] for f in document["findings"] if f["failing"]}
    assert {"ECR-REPLICATION-UNTRUSTED-DESTINATION", "ECR-POLICY-PUBLIC-PRINCIPAL", "ECR-AUDIT-NOT-AUDITED"} == rules
    assert not row["complete"]


@pytest.mark.slow
def test_throttling_is_retried_and_a_storm_that_never_ends_is_not_audited(aws, monkeypatch):
    start, _ = aws
    world = organization()
    del world.accounts[LOCKED]
    world.throttle = {"DescribeRepositories": 2, "DescribeRegistry": 1}
    start(world)
    code, document, err = audit_json("--accounts", MEMBER, "--role-name", ROLE, "--regions", "eu-west-1")
    assert code == 1 and document["audit"]["complete"], err  # retried: read in full
    assert world.calls["DescribeRepositories"] == 3 and world.calls["DescribeRegistry"] == 2
    world.throttle = {"GetRepositoryPolicy": 10**6}
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    code, document, err = audit_json("--accounts", MEMBER, "--role-name", ROLE, "--regions", "eu-west-1")
    assert code == 3
    reasons = [m["reason"] for m in document["audit"]["accounts"][0]["notAudited"]]
    assert len(reasons) == 2 and all("Throttling" in r for r in reasons), reasons
    assert world.calls["GetRepositoryPolicy"] == 2 + 2 * 2  # the first run, then two attempts each (AWS_MAX_ATTEMPTS)


@pytest.mark.slow
def test_repositories_beyond_one_page_and_organizations_pages_that_are_empty(aws):
    """150 repositories (DescribeRepositories answers 100 a page); 45 accounts (Organizations answers
    at most 20 a page, and an empty page with a NextToken before each later one)."""
    start, _ = aws
    world = stub.World(page_size=20, empty_pages=True)
    world.accounts[CALLER] = stub.Account(name="management")
    world.accounts[CALLER].registry("eu-west-1").repositories = {f"r{n:03d}": POLICY for n in range(150)}
    for n in range(44):
        world.accounts[f"{400000000000 + n:012d}"] = stub.Account()
    world.accounts[f"{500000000000:012d}"] = stub.Account(state="SUSPENDED")
    start(world)
    code, document, err = audit_json("--organization", "--role-name", ROLE, "--concurrency", "8")
    assert code == 0, err
    assert len(document["audit"]["accounts"]) == 45  # the suspended one is left out
    assert world.calls["ListAccounts"] == 5  # pages 1, empty, 2, empty, 3
    mine = [f for f in document["files"] if f["file"] == f"{CALLER}/eu-west-1"][0]
    assert sum(r["resourceType"] == "AWS::ECR::Repository" for r in mine["resources"]) == 150
    assert world.calls["GetRepositoryPolicy"] == 150


def test_concurrency_is_bounded_and_used(aws):
    start, _ = aws
    world = stub.World(latency=(0.01, 0.02))
    world.accounts[CALLER] = stub.Account()
    for n in range(12):
        account = world.accounts[f"{400000000000 + n:012d}"] = stub.Account()
        account.registry("eu-west-1").repositories = {f"r{k}": POLICY for k in range(3)}
    start(world)
    code, _, err = run_cli("audit", "--organization", "--role-name", ROLE, "--regions", "eu-west-1,us-east-1",
                           "--concurrency", "4", "--trusted-account-ids", CALLER, "--processes", "1")
    assert code == 0, err
    assert 2 <= world.most_in_flight <= 4


def test_worker_processes_give_the_same_report(aws):
    """--processes 3 (accounts in chunks, each chunk read by a forked worker with its own session
    and thread pool) reports exactly what one process does, and uses them: more calls in flight
    than one process's --concurrency."""
    start, _ = aws
    world = stub.World(latency=(0.005, 0.01))
    world.accounts[CALLER] = stub.Account()
    for n in range(16):
        account = world.accounts[f"{400000000000 + n:012d}"] = stub.Account(role=None if n == 5 else ROLE)
        account.registry("eu-west-1").repositories = {f"r{k}": POLICY if k % 2 else None for k in range(4)}
        account.registry("eu-west-1").replication = {"rules": [{"destinations": [
            {"region": "eu-west-1", "registryId": FOREIGN if n % 4 == 0 else CALLER}]}]}
    start(world)
    argv = ("--organization", "--role-name", ROLE, "--regions", "eu-west-1,ap-east-1", "--concurrency", "2",
            "--trusted-account-ids", CALLER)
    one = audit_json(*argv, "--processes", "1")
    world.most_in_flight = 0
    world.latency = (0.03, 0.05)  # long enough that the workers' calls overlap on a busy machine too
    three = audit_json(*argv, "--processes", "3", "--progress")
    assert one[0] == three[0] == 3
    progress = [line for line in three[2].splitlines() if line.startswith("audit [")]
    assert progress[-1].startswith("audit [########################] 17/17 accounts, 32/32 Regions read, "
                                   "17 not fully audited"), progress
    assert one[1] == three[1]
    # 4 foreign replications; ap-east-1 in the 16 accounts read; 400000000005, whose role is missing
    assert one[1]["summary"]["failing"] == 4 + 16 + 1
    assert world.most_in_flight > 2


def test_progress_only_for_several_accounts_and_a_terminal_or_progress(aws):
    start, _ = aws
    world = organization()
    del world.accounts[LOCKED]
    start(world)
    _, _, err = run_cli("audit", "--organization", "--role-name", ROLE, "--regions", "eu-west-1")
    assert "audit [" not in err  # stderr is not a terminal
    _, _, err = run_cli("audit", "--organization", "--role-name", ROLE, "--regions", "eu-west-1", "--progress")
    lines = [line for line in err.splitlines() if line.startswith("audit [")]
    assert lines and lines[-1].startswith("audit [########################] 2/2 accounts, 2/2 Regions read")
    _, _, err = run_cli("audit", "--regions", "eu-west-1", "--progress")
    assert "audit [" not in err  # one account: no progress


def test_the_caller_identity_or_organization_cannot_be_read_exit_2(aws):
    start, _ = aws
    world = organization()
    world.deny = {("*", "*", "ListAccounts")}
    start(world)
    code, out, err = run_cli("audit", "--organization", "--role-name", ROLE)
    assert code == 2 and out == ""
    assert err.startswith("hook-handler audit: cannot list the organization's accounts") and err.count("\n") == 1
    world.deny = {("*", "*", "GetCallerIdentity")}
    code, _, err = run_cli("audit")
    assert code == 2 and "cannot read the caller's identity (sts:GetCallerIdentity): AccessDenied" in err


def test_the_trust_sources_of_the_hook_apply(aws, fresh_membership):
    """AccountSource Organizations: the organization's ACTIVE accounts are trusted, read with the
    caller's credentials (not the audited accounts' roles); a foreign destination still fails."""
    start, _ = aws
    world = organization()
    del world.accounts[LOCKED]
    registry = world.accounts[MEMBER].registry("eu-west-1")
    registry.replication = {"rules": [{"destinations": [{"region": "eu-west-1", "registryId": CALLER}]}]}
    registry.repositories = {"app": POLICY}
    world.accounts[MEMBER].registry("us-east-1").public_repositories = {}
    start(world)
    code, document, err = audit_json("--organization", "--role-name", ROLE, "--regions", "eu-west-1",
                                     "--account-source", "Organizations", "--trusted-organization-ids", "o-a1b2c3d4e5",
                                     "--trust-deploying-account", "false")
    assert code == 0, (err, failing(document))
    assert ("caller", "organizations", "DescribeOrganization") in world.made
    assert not any(who == "role" and service == "organizations" for who, service, _ in world.made)
    registry.replication["rules"][0]["destinations"].append({"region": "eu-west-1", "registryId": FOREIGN})
    code, document, err = audit_json("--organization", "--role-name", ROLE, "--regions", "eu-west-1",
                                     "--account-source", "Organizations", "--trusted-organization-ids", "o-a1b2c3d4e5")
    assert code == 1 and {r for _, _, r in failing(document)} == {"ECR-REPLICATION-UNTRUSTED-DESTINATION"}, err


@pytest.fixture
def fresh_membership():
    """The Organizations membership cache is the process's (as in the hook): empty before, emptied after."""
    from dataperimeter_ecr_replicationguard.trust_sources import membership

    membership.clear_cache()
    yield
    membership.clear_cache()
