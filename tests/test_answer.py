"""The status reason: at most 1,024 characters however many findings, saying what was left out."""

from __future__ import annotations

from dataperimeter_ecr_replicationguard.core import Category, Finding, Severity
from dataperimeter_ecr_replicationguard.hook.answer import MESSAGE_LIMIT, error_code, summary


def finding(i: int, category: Category = Category.VIOLATION, message: str | None = None) -> Finding:
    return Finding(
        rule_id="ECR-REPLICATION-UNTRUSTED-DESTINATION",
        severity=Severity.HIGH,
        category=category,
        path=f"/ReplicationConfiguration/Rules/0/Destinations/{i}/RegistryId",
        subject=f"{i:012d}",
        message=message or f"rule 0 destination {i} replicates to registry {i:012d}",
        remediation="fix it",
    )


def test_one_finding_is_shown_whole():
    text = summary("Repl (AWS::ECR::ReplicationConfiguration)", [finding(1)])
    assert text.startswith("NonCompliant: Repl (AWS::ECR::ReplicationConfiguration): 1 finding.")
    assert "/ReplicationConfiguration/Rules/0/Destinations/1/RegistryId" in text
    assert "more in the hook annotations" not in text


def test_many_findings_fit_and_count_what_was_left_out():
    findings = [finding(i) for i in range(2500)]
    text = summary("Repl (AWS::ECR::ReplicationConfiguration)", findings)
    assert len(text) <= MESSAGE_LIMIT
    assert "2500 findings" in text
    shown = text.count("[ECR-REPLICATION-UNTRUSTED-DESTINATION]")
    assert shown >= 3
    assert text.endswith(f"(+{2500 - shown} more in the hook annotations)")


def test_a_single_huge_finding_is_cut():
    text = summary("R (T)", [finding(0, message="x" * 5000), finding(1)])
    assert len(text) <= MESSAGE_LIMIT
    assert "..." in text and text.endswith("(+1 more in the hook annotations)")


def test_error_code_is_noncompliant_only_for_violations():
    assert error_code([finding(0, Category.INVALID), finding(1)]) == "NonCompliant"
    assert error_code([finding(0, Category.INVALID), finding(1, Category.UNRESOLVED)]) == "InvalidRequest"
    assert summary("R (T)", [finding(0, Category.INVALID)]).startswith("InvalidRequest: ")
