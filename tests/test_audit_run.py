"""How the audit reads (cli/audit_run.py): a bounded pool over accounts and (account, Region)
pairs, every pair judged by assess, nothing that failed ever counted as compliant, and a progress
line whose output stays bounded however many accounts there are."""

from __future__ import annotations

import io
import threading
import time

import pytest

from dataperimeter_ecr_replicationguard.assess import Resource
from dataperimeter_ecr_replicationguard.cli.audit_run import Audit, Progress, run
from dataperimeter_ecr_replicationguard.cli.audit_scope import AccountScope, ClientFactory
from dataperimeter_ecr_replicationguard.settings import parse_settings

FOREIGN = "999999999999"


class NotRead:
    """The shape aws_api.live yields for a read that failed."""

    def __init__(self, what: str, reason: str):
        self.what, self.reason = what, reason


def replication(account: str, region: str, destination: str) -> Resource:
    return Resource("AWS::ECR::ReplicationConfiguration", f"arn:aws:ecr:{region}:{account}:registry",
                    {"ReplicationConfiguration": {"Rules": [{"Destinations": [{"Region": region,
                                                                               "RegistryId": destination}]}]}})


def audit_with(reader, settings=None) -> Audit:
    return Audit(ClientFactory(session=None), parse_settings(settings or {}), reader)


def prepared(regions):
    def prepare(scope: AccountScope) -> None:
        scope.regions = tuple(regions)
    return prepare


def test_at_most_concurrency_pairs_run_at_once_and_all_run():
    lock = threading.Lock()
    state = {"now": 0, "most": 0}

    def reader(clients, *, account, region, partition):
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        time.sleep(0.01)
        with lock:
            state["now"] -= 1
        return iter(())

    accounts = [AccountScope(f"{n:012d}") for n in range(1, 31)]
    results = list(run(audit_with(reader), accounts, prepared(["eu-west-1", "us-east-1"]), concurrency=6))
    assert len(results) == 60 and all(r.audited for r in results)
    assert sorted((r.account, r.region) for r in results) == sorted(
        (a.account, region) for a in accounts for region in ("eu-west-1", "us-east-1"))
    assert 2 < state["most"] <= 6


def test_each_pair_is_judged_with_its_account_as_the_deploying_account():
    """TrustDeployingAccount: a replication to the audited account itself passes, to another fails."""
    def reader(clients, *, account, region, partition):
        yield replication(account, region, account)
        yield replication(account, region, FOREIGN)

    [result] = run(audit_with(reader), [AccountScope("111111111111")], prepared(["eu-west-1"]), concurrency=2)
    assert result.audited and result.resources == 2
    failing = [r for r in result.records if r.failing]
    assert [r.finding.rule_id for r in failing] == ["ECR-REPLICATION-UNTRUSTED-DESTINATION"]
    assert failing[0].finding.logical_id == "arn:aws:ecr:eu-west-1:111111111111:registry"
    assert failing[0].file == "111111111111/eu-west-1"


def test_exemptions_match_the_audited_account_and_the_resource_arn():
    exemptions = '[{"LogicalIds": ["arn:aws:ecr:eu-west-1:111111111111:*"], "AccountIds": ["111111111111"], ' \
                 '"Reason": "SEC-9", "Expires": "2999-01-01"}]'

    def reader(clients, *, account, region, partition):
        yield replication(account, region, FOREIGN)

    results = {r.account: r for r in run(audit_with(reader, {"Exemptions": exemptions}),
                                          [AccountScope("111111111111"), AccountScope("222222222222")],
                                          prepared(["eu-west-1"]), concurrency=2)}
    assert [r.judged.exempted for r in results["111111111111"].records] == [True]
    assert [r.failing for r in results["222222222222"].records] == [True]


def test_a_failed_read_is_not_audited_and_the_rest_is_still_judged():
    def reader(clients, *, account, region, partition):
        yield NotRead("the repository policy of arn:aws:ecr:eu-west-1:111111111111:repository/app",
                      "GetRepositoryPolicy: AccessDeniedException: not authorized")
        yield replication(account, region, FOREIGN)

    [result] = run(audit_with(reader), [AccountScope("111111111111")], prepared(["eu-west-1"]), concurrency=1)
    assert not result.audited
    assert result.not_read == [("the repository policy of arn:aws:ecr:eu-west-1:111111111111:repository/app",
                                "GetRepositoryPolicy: AccessDeniedException: not authorized")]
    assert sorted(r.finding.rule_id for r in result.records) == ["ECR-AUDIT-NOT-AUDITED",
                                                                 "ECR-REPLICATION-UNTRUSTED-DESTINATION"]
    assert all(r.failing for r in result.records)


def test_a_reader_that_raises_is_not_audited_never_compliant():
    def reader(clients, *, account, region, partition):
        yield replication(account, region, account)
        raise KeyError("repositories")

    [result] = run(audit_with(reader), [AccountScope("111111111111")], prepared(["eu-west-1"]), concurrency=1)
    assert not result.audited and result.not_read[0][1] == "the audit failed: KeyError: 'repositories'"
    assert [r.finding.rule_id for r in result.records] == ["ECR-AUDIT-NOT-AUDITED"]


def test_a_prepare_that_raises_or_refuses_makes_the_account_not_audited():
    def prepare(scope: AccountScope) -> None:
        if scope.account == "111111111111":
            raise RuntimeError("boom")
        if scope.account == "222222222222":
            scope.not_audited = "cannot assume arn:aws:iam::222222222222:role/R: AccessDenied: no"
            return
        scope.regions = ("eu-west-1",)
        scope.skipped = {"ap-east-1": "not enabled in this account (opt-in status not-opted-in)"}

    accounts = [AccountScope(a) for a in ("111111111111", "222222222222", "333333333333")]
    results = sorted(run(audit_with(lambda *a, **k: iter(())), accounts, prepare, concurrency=3),
                     key=lambda r: (r.account, r.region))
    assert [(r.account, r.region, r.audited) for r in results] == [
        ("111111111111", "", False), ("222222222222", "", False), ("333333333333", "ap-east-1", False),
        ("333333333333", "eu-west-1", True)]
    assert results[0].not_read == [("the account", "the audit failed: RuntimeError: boom")]
    assert results[1].records[0].finding.message == ("not audited: the account: cannot assume "
                                                     "arn:aws:iam::222222222222:role/R: AccessDenied: no")


def test_a_trust_source_that_fails_makes_the_pair_not_audited(fresh_membership):
    """AccountSource Organizations without a session: the trusted set cannot be built."""
    settings = {"AccountSource": "Organizations", "TrustedOrganizationIds": "o-a1b2c3d4e5"}

    def reader(clients, *, account, region, partition):
        yield replication(account, region, FOREIGN)

    [result] = run(audit_with(reader, settings), [AccountScope("111111111111")], prepared(["eu-west-1"]), 1)
    assert not result.audited and result.not_read[0][0] == "the trusted set"
    assert result.not_read[0][1].startswith("cannot build the trusted set: ")


def test_messages_escape_and_cut_what_aws_said():
    def reader(clients, *, account, region, partition):
        yield NotRead("the registry", "AccessDenied: \u202eevil\n" + "x" * 5000)

    [result] = run(audit_with(reader), [AccountScope("111111111111")], prepared(["eu-west-1"]), concurrency=1)
    message = result.records[0].finding.message
    assert "\u202e" not in message and "\\u202e" in message and "\n" not in message and len(message) < 900


# -- progress -----------------------------------------------------------------------------------


def test_progress_off_a_terminal_is_a_line_per_tenth_of_the_accounts():
    stream = io.StringIO()
    accounts = [AccountScope(f"{n:012d}") for n in range(1, 501)]
    list(run(audit_with(lambda *a, **k: iter(())), accounts, prepared(["eu-west-1"]), concurrency=8,
             progress=Progress(stream, terminal=False)))
    lines = stream.getvalue().splitlines()
    assert 2 <= len(lines) <= 12, lines
    assert lines[-1].startswith("audit [########################] 500/500 accounts, 500/500 Regions read")
    assert "\r" not in stream.getvalue()


def test_progress_on_a_terminal_redraws_one_line_at_a_bounded_rate():
    stream = io.StringIO()
    ticks = iter(range(10_000))
    progress = Progress(stream, terminal=True, per_second=10, clock=lambda: next(ticks) * 0.001)  # 1 ms apart
    progress.start(100)
    progress.planned(300)
    for n in range(300):
        progress.pair_done(True)
        if n % 3 == 2:
            progress.account_done(False)
    progress.close()
    text = stream.getvalue()
    assert progress.lines <= 1 + 600 * 0.001 * 10 + 2  # at most 10 draws a second, plus the first and the last
    assert "\n" not in text and text.endswith("\r" + " " * 79 + "\r")
    assert "100/100 accounts, 300/300 Regions read" in text


@pytest.mark.parametrize("concurrency", [1, 4])
def test_results_keep_findings_not_resources(concurrency):
    """What a pair hands back holds no resource (no properties, no policy text): memory grows with
    findings, not with what was read."""
    import gc
    import weakref

    made = []

    def reader(clients, *, account, region, partition):
        for n in range(50):
            resource = Resource("AWS::ECR::Repository", f"arn:aws:ecr:{region}:{account}:repository/r{n}",
                                {"RepositoryName": f"r{n}", "RepositoryPolicyText": "x" * 1000})
            made.append(weakref.ref(resource))
            yield resource

    results = list(run(audit_with(reader), [AccountScope("111111111111")], prepared(["eu-west-1"]), concurrency))
    gc.collect()
    assert results[0].resources == 50 and len(made) == 50
    assert [ref for ref in made if ref() is not None] == []


@pytest.fixture
def fresh_membership():
    """The Organizations membership cache is the process's (as in the hook): empty before, emptied after."""
    from dataperimeter_ecr_replicationguard.trust_sources import membership

    membership.clear_cache()
    yield
    membership.clear_cache()
