"""``hook-handler audit --security-hub``: the findings of each (account, Region), in ASFF, imported
into that account's Security Hub in that Region with the pair's own credentials; the ones that no
longer hold resolved on the next run; a part not read is an undecided finding, and a failed import
makes the audit incomplete. Against the local stand-in (every call and credential seen) and
moto's Security Hub."""

from __future__ import annotations

import json

import boto3
from moto import mock_aws

import audit_stub as stub
from scan_helpers import run_cli

CALLER, MEMBER, FOREIGN = "111111111111", "222222222222", "999999999999"
ROLE = "EcrPerimeterGuardAuditRead"


def grant(account: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "ecr:BatchGetImage"}]})


def world() -> stub.World:
    w = stub.World()
    w.accounts[CALLER] = stub.Account()
    member = w.accounts[MEMBER] = stub.Account()
    registry = member.registry("eu-west-1")
    registry.replication = {"rules": [{"destinations": [{"region": "eu-west-1", "registryId": FOREIGN}]}]}
    registry.repositories = {"shared": grant(FOREIGN), "own": grant(MEMBER)}
    return w


def run(monkeypatch, w: stub.World, *extra: str):
    with stub.serving(w) as url:
        for name, value in stub.environment(url, CALLER).items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("AWS_PROFILE", raising=False)
        return run_cli("audit", "--organization", "--role-name", ROLE, "--regions", "eu-west-1", "--security-hub",
                       "--format", "json", *extra)


def active(w: stub.World, account: str) -> dict[str, dict]:
    return {f["Resources"][0]["Id"] + " " + f["ProductFields"]["dataperimeter/RuleId"]: f
            for (who, _), f in w.findings.items() if who == account and f["RecordState"] == "ACTIVE"}


def test_each_pairs_findings_go_to_its_own_account_and_region(monkeypatch):
    w = world()
    code, out, err = run(monkeypatch, w)
    assert code == 1, err
    found = active(w, MEMBER)
    assert set(found) == {f"arn:aws:ecr:eu-west-1:{MEMBER}:registry ECR-REPLICATION-UNTRUSTED-DESTINATION",
                          f"arn:aws:ecr:eu-west-1:{MEMBER}:repository/shared ECR-POLICY-UNTRUSTED-ACCOUNT"}
    for finding in found.values():
        assert finding["AwsAccountId"] == MEMBER and finding["Region"] == "eu-west-1"
        assert finding["ProductArn"] == f"arn:aws:securityhub:eu-west-1:{MEMBER}:product/{MEMBER}/default"
        assert finding["Compliance"] == {"Status": "FAILED"} and finding["GeneratorId"].endswith("/audit")
    assert active(w, CALLER) == {}  # nothing fails there: nothing imported
    assert ("role", "securityhub", "BatchImportFindings") in w.made  # with the member's role, not the caller's
    assert ("caller", "securityhub", "BatchImportFindings") not in w.made
    notes = [n for a in json.loads(out)["audit"]["accounts"] for n in a["notes"]]
    assert f"Security Hub {MEMBER}/eu-west-1: 2 of 2 finding(s) imported (0 resolved)" in notes


def test_a_fixed_finding_is_resolved_and_an_unread_one_left_alone(monkeypatch):
    w = world()
    run(monkeypatch, w)
    ids = {k: f["Id"] for k, f in active(w, MEMBER).items()}
    registry = w.accounts[MEMBER].registry("eu-west-1")
    registry.replication = {"rules": []}  # fixed
    w.deny = {(MEMBER, "eu-west-1", "GetRepositoryPolicy")}  # the repository cannot be read this time
    code, out, err = run(monkeypatch, w)
    assert code == 3, err
    replication = ids[f"arn:aws:ecr:eu-west-1:{MEMBER}:registry ECR-REPLICATION-UNTRUSTED-DESTINATION"]
    resolved = w.findings[(MEMBER, replication)]
    assert (resolved["RecordState"], resolved["Compliance"], resolved["Workflow"]) == (
        "ARCHIVED", {"Status": "PASSED"}, {"Status": "RESOLVED"})
    shared = ids[f"arn:aws:ecr:eu-west-1:{MEMBER}:repository/shared ECR-POLICY-UNTRUSTED-ACCOUNT"]
    assert w.findings[(MEMBER, shared)]["RecordState"] == "ACTIVE"  # not read now: not known to be fixed
    undecided = [f for f in active(w, MEMBER).values()
                 if f["ProductFields"]["dataperimeter/RuleId"] == "ECR-PERIMETER-UNDECIDED"]
    assert len(undecided) == 1 and "AccessDenied" in undecided[0]["Description"]
    # Readable again and clean: the undecided finding and the repository's are resolved too.
    w.deny = set()
    registry.repositories = {"own": grant(MEMBER)}
    code, _, err = run(monkeypatch, w)
    assert code == 0, err
    assert active(w, MEMBER) == {}


def test_a_failed_import_makes_the_audit_incomplete(monkeypatch):
    w = world()
    w.deny = {(MEMBER, "eu-west-1", "BatchImportFindings")}
    code, out, err = run(monkeypatch, w)
    assert code == 3
    [missing] = [m for a in json.loads(out)["audit"]["accounts"] for m in a["notAudited"]]
    assert missing["where"] == f"{MEMBER}/eu-west-1" and missing["what"] == "the Security Hub import"
    assert missing["reason"].startswith("Security Hub BatchImportFindings: 2 finding(s) not imported, first "
                                        "AccessDeniedException")


def test_without_the_option_nothing_is_imported(monkeypatch):
    w = world()
    with stub.serving(w) as url:
        for name, value in stub.environment(url, CALLER).items():
            monkeypatch.setenv(name, value)
        code, _, _ = run_cli("audit", "--organization", "--role-name", ROLE, "--regions", "eu-west-1")
    assert code == 1 and not w.imported and not any(s == "securityhub" for _, s, _ in w.made)


def test_into_motos_security_hub(monkeypatch):
    """moto's Organizations, STS, ECR and Security Hub: the member's findings are in its hub."""
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "eu-west-1", "AWS_REGION": "eu-west-1",
                        "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"}.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        session = boto3.session.Session(region_name="eu-west-1")
        orgs = session.client("organizations")
        orgs.create_organization(FeatureSet="ALL")
        member = orgs.create_account(Email="m@example.com", AccountName="m")["CreateAccountStatus"]["AccountId"]
        credentials = session.client("sts").assume_role(RoleArn=f"arn:aws:iam::{member}:role/{ROLE}",
                                                        RoleSessionName="setup")["Credentials"]
        keys = {"aws_access_key_id": credentials["AccessKeyId"], "aws_secret_access_key": credentials["SecretAccessKey"],
                "aws_session_token": credentials["SessionToken"]}
        ecr = session.client("ecr", **keys)
        ecr.put_replication_configuration(replicationConfiguration={"rules": [
            {"destinations": [{"region": "eu-west-1", "registryId": FOREIGN}]}]})
        code, out, err = run_cli("audit", "--organization", "--role-name", ROLE, "--security-hub", "--format", "json")
        # moto has no pull-through cache rules nor creation templates: those reads fail, so the audit
        # is incomplete and says so in Security Hub too (an undecided finding), never compliant.
        assert code == 3, err
        missing = {m["what"] for a in json.loads(out)["audit"]["accounts"] for m in a["notAudited"]}
        assert any("DescribePullThroughCacheRules" in w for w in missing), missing
        findings = session.client("securityhub", **keys).get_findings()["Findings"]
        mine = {f["ProductFields"]["dataperimeter/RuleId"]: f for f in findings if f["AwsAccountId"] == member}
        assert set(mine) == {"ECR-REPLICATION-UNTRUSTED-DESTINATION", "ECR-PERIMETER-UNDECIDED"}
        replication = mine["ECR-REPLICATION-UNTRUSTED-DESTINATION"]
        assert replication["Resources"][0]["Id"] == f"arn:aws:ecr:eu-west-1:{member}:registry"
        assert replication["Compliance"]["Status"] == "FAILED" and replication["Region"] == "eu-west-1"
