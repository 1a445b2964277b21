"""The hook's answer (hook/answer.py): the neutral Answer built from judged findings, the status
reason cut to 1,024 characters however many findings (saying what was left out), the trust notes,
and the conversion to the library's ProgressEvent."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys

from dataperimeter_ecr_replicationguard.core import Category, Finding, Severity
from dataperimeter_ecr_replicationguard.exemptions import Judged, parse_exemptions
from dataperimeter_ecr_replicationguard.hook.answer import (
    ANNOTATION_NOT_EXPANDED,
    ANNOTATION_PASSED,
    ANNOTATION_STALE_TRUST,
    MESSAGE_LIMIT,
    STALE_TRUST_REMEDIATION,
    Annotation,
    Answer,
    cut,
    error_code,
    failed,
    progress_event,
    summary,
    verdict,
)

TARGET = "Repl (AWS::ECR::ReplicationConfiguration)"


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


def judged(i: int, category: Category = Category.VIOLATION, exemption=None) -> Judged:
    return Judged(finding(i, category)._replace(logical_id="Repl"), exemption)


def test_nothing_found_is_a_success_with_one_passed_annotation():
    answer = verdict(TARGET, [], f"{TARGET}: every destination and grant is trusted")
    assert answer == Answer("SUCCESS", f"{TARGET} is inside the ECR data perimeter", "", (
        Annotation(ANNOTATION_PASSED, "PASSED", f"{TARGET}: every destination and grant is trusted"),))


def test_a_violation_fails_with_one_annotation_per_finding():
    answer = verdict(TARGET, [judged(1), judged(2, Category.INVALID)], "unused")
    assert (answer.status, answer.error_code) == ("FAILED", "NonCompliant")
    assert answer.message.startswith(f"NonCompliant: {TARGET}: 2 findings.")
    assert [(a.name, a.status, a.severity, a.remediation) for a in answer.annotations] == [
        ("ECR-REPLICATION-UNTRUSTED-DESTINATION", "FAILED", "HIGH", "fix it")] * 2
    assert answer.annotations[0].message.startswith("Repl /ReplicationConfiguration/Rules/0/Destinations/1/")


def test_an_exempted_finding_passes_with_a_skipped_annotation_naming_the_exemption():
    [exemption] = parse_exemptions(json.dumps([{"LogicalIds": ["*"], "Reason": "SEC-9", "Expires": "2999-01-01"}]))
    answer = verdict(TARGET, [judged(1, exemption=exemption)], "unused")
    assert answer.status == "SUCCESS" and answer.error_code == ""
    assert answer.message == f"{TARGET} passes: 1 finding(s) exempted. [ECR-REPLICATION-UNTRUSTED-DESTINATION] Repl " \
        "/ReplicationConfiguration/Rules/0/Destinations/1/RegistryId."
    [note] = answer.annotations
    assert note.status == "SKIPPED" and note.message.startswith("exempted by exemption #0 until 2999-01-01 (SEC-9): ")


def test_unresolved_values_are_deferred_only_when_asked():
    unresolved = [judged(1, Category.UNRESOLVED)]
    assert verdict(TARGET, unresolved, "unused").error_code == "InvalidRequest"
    deferred = verdict(TARGET, unresolved, "unused", defer_unresolved=True, unchecked=["Fn::ForEach::Repos"])
    assert deferred.status == "SUCCESS"
    assert [(a.name, a.status) for a in deferred.annotations] == [
        ("ECR-REPLICATION-UNTRUSTED-DESTINATION", "SKIPPED"), (ANNOTATION_NOT_EXPANDED, "SKIPPED")]
    assert "left to the resource-level hook" in deferred.message and "cannot expand" in deferred.message


def test_every_text_is_cut_to_the_status_reason_limit():
    assert len(failed("InvalidRequest", "x" * 5000).message) == MESSAGE_LIMIT
    assert cut("y" * 2000).endswith("...") and cut("short") == "short"
    long = Judged(finding(1, message="z" * 5000))
    answer = verdict("T" * 3000, [long] * 3, "p" * 3000)
    assert len(answer.message) <= MESSAGE_LIMIT
    assert all(len(a.message) <= MESSAGE_LIMIT for a in answer.annotations)
    passed = verdict("T", [], "p" * 3000)
    assert len(passed.annotations[0].message) == MESSAGE_LIMIT


def test_trust_notes_add_a_skipped_annotation_each_to_any_verdict():
    notes = ["membership from 2 hours ago", "n" * 3000]
    for answer in (verdict(TARGET, [], "ok", notes=notes), verdict(TARGET, [judged(1)], "ok", notes=notes)):
        stale = [a for a in answer.annotations if a.name == ANNOTATION_STALE_TRUST]
        assert [(a.status, a.severity) for a in stale] == [("SKIPPED", "MEDIUM")] * 2
        assert stale[0].message == "membership from 2 hours ago" and len(stale[1].message) == MESSAGE_LIMIT
        assert all("docs/organizations.md" in a.remediation for a in stale)
    assert verdict(TARGET, [], "ok", notes=()) == verdict(TARGET, [], "ok")


def test_the_progress_event_says_what_the_answer_says():
    from cloudformation_cli_python_lib import HandlerErrorCode, OperationStatus

    event = progress_event(verdict(TARGET, [judged(1)], "unused", notes=["stale"]))
    assert (event.status, event.errorCode) == (OperationStatus.FAILED, HandlerErrorCode.NonCompliant)
    assert event.message.startswith(f"NonCompliant: {TARGET}: 1 finding.")
    assert [a._serialize() for a in event.annotations] == [
        {"annotationName": "ECR-REPLICATION-UNTRUSTED-DESTINATION", "status": "FAILED", "severityLevel": "HIGH",
         "statusMessage": "Repl /ReplicationConfiguration/Rules/0/Destinations/1/RegistryId: rule 0 destination 1 "
                          "replicates to registry 000000000001", "remediationMessage": "fix it",
         "remediationLink": "https://docs.aws.amazon.com/AmazonECR/latest/userguide/registry-settings-configure.html"},
        {"annotationName": ANNOTATION_STALE_TRUST, "status": "SKIPPED", "severityLevel": "MEDIUM",
         "statusMessage": "stale", "remediationMessage": STALE_TRUST_REMEDIATION,
         "remediationLink": "https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccounts.html"},
    ]
    passed = progress_event(verdict(TARGET, [], "all trusted"))
    assert (passed.status, passed.errorCode) == (OperationStatus.SUCCESS, None)
    assert [a._serialize() for a in passed.annotations] == [
        {"annotationName": ANNOTATION_PASSED, "status": "PASSED", "statusMessage": "all trusted"}]
    error = progress_event(failed("UnsupportedTarget", "UnsupportedTarget: X"))
    assert (error.status, error.errorCode, error.message, error.annotations) == (
        OperationStatus.FAILED, HandlerErrorCode.UnsupportedTarget, "UnsupportedTarget: X", None)


def test_the_neutral_answer_does_not_import_the_cloudformation_library():
    """A door that answers in another shape (a Lambda hook's JSON) reuses it without the library."""
    src = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")
    code = ("import sys; from dataperimeter_ecr_replicationguard.hook import answer;"
            "answer.verdict('T', [], 'ok'); print('cloudformation_cli_python_lib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": src},
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_date_in_an_expired_exemption_is_named():
    [exemption] = parse_exemptions(json.dumps([{"LogicalIds": ["*"], "Reason": "SEC-9", "Expires": "2020-01-01"}]))
    assert exemption.expired(datetime.date(2026, 1, 1))
    answer = verdict(TARGET, [Judged(finding(1), None, exemption)], "unused")
    assert answer.status == "FAILED"
    assert "(exemption #0 expired on 2020-01-01 and no longer applies)" in answer.annotations[0].message


def test_only_the_answer_module_builds_the_hooks_answer():
    """ProgressEvent and HookAnnotation are made in hook/answer.py and nowhere else in the
    package (the library's request errors aside), so every door answers in the same words."""
    import ast
    import pathlib

    package = pathlib.Path(__file__).resolve().parent.parent / "src" / "dataperimeter_ecr_replicationguard"
    builders = {"ProgressEvent", "HookAnnotation", "HookProgressEvent"}
    found = set()
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if name in builders:
                    found.add(str(path.relative_to(package)))
    assert found == {"hook/answer.py"}
