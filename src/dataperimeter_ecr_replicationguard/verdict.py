"""Judged findings into the hook's answer: a ProgressEvent with one annotation per finding.

Used by the RESOURCE handler and the STACK / CHANGE_SET targets, so the same findings and
exemptions give the same verdict whichever target asked.

- An exempted finding does not fail; its annotation is SKIPPED and names the exemption.
- With ``defer_unresolved`` (STACK and CHANGE_SET), an unresolved value does not fail either:
  its annotation is SKIPPED, and the RESOURCE target, which sees the resolved value, decides.
- Anything else fails: ``NonCompliant`` when a finding is a violation, else ``InvalidRequest``.
- ``unchecked`` (STACK and CHANGE_SET): parts of the template the hook cannot expand (a macro,
  ``Fn::ForEach``, ``AWS::Include``). Each gets a SKIPPED annotation saying the RESOURCE target
  judges what it makes, and a SUCCESS never says the target is inside the perimeter.
"""

from __future__ import annotations

from typing import Sequence

from cloudformation_cli_python_lib import (
    HandlerErrorCode,
    HookAnnotation,
    HookAnnotationSeverityLevel,
    HookAnnotationStatus,
    OperationStatus,
    ProgressEvent,
)

from .core.findings import Category
from .exemptions import Judged
from .report import MESSAGE_LIMIT, error_code, fit, neutral, summary

ANNOTATION_PASSED = "ECR-PERIMETER"
ANNOTATION_NOT_EXPANDED = "ECR-PERIMETER-NOT-EXPANDED"
NOT_EXPANDED_REMEDIATION = (
    "Keep RESOURCE in the hook's TargetOperations: it sees the expanded resources (docs/operations.md); "
    "before deploying, run hook-handler scan on the template (docs/scan.md)"
)


def failing(judged: Sequence[Judged], defer_unresolved: bool) -> list[Judged]:
    return [
        j
        for j in judged
        if not j.exempted and not (defer_unresolved and j.finding.category is Category.UNRESOLVED)
    ]


def progress_event(
    target: str,
    judged: Sequence[Judged],
    passed_message: str,
    *,
    defer_unresolved: bool = False,
    unchecked: Sequence[str] = (),
) -> ProgressEvent:
    fails = failing(judged, defer_unresolved)
    skipped = [not_expanded(part) for part in unchecked]
    if not judged and not unchecked:
        return ProgressEvent(
            status=OperationStatus.SUCCESS,
            message=cut(f"{target} is inside the ECR data perimeter"),
            annotations=[
                HookAnnotation(
                    annotationName=ANNOTATION_PASSED,
                    status=HookAnnotationStatus.PASSED,
                    statusMessage=cut(passed_message),
                )
            ],
        )
    failing_ids = {id(j) for j in fails}  # not `j in fails`: quadratic with thousands of findings
    annotations = [annotation(j, id(j) in failing_ids) for j in judged] + skipped
    if fails:
        return ProgressEvent(
            status=OperationStatus.FAILED,
            errorCode=HandlerErrorCode[error_code([j.finding for j in fails])],
            message=summary(target, [j.finding for j in fails]),
            annotations=annotations,
        )
    exempted = sum(1 for j in judged if j.exempted)
    deferred = len(judged) - exempted
    head = f"{target} passes:" if judged else f"{cut_to(passed_message, MESSAGE_LIMIT // 2)}. Not checked here:"
    parts = []
    if exempted:
        parts.append(f" {exempted} finding(s) exempted.")
    if deferred:
        parts.append(f" {deferred} value(s) not resolved in the template, left to the resource-level hook.")
    if unchecked:
        parts.append(f" {len(unchecked)} template part(s) the hook cannot expand, left to the RESOURCE target.")
    lines = [f" [{j.finding.rule_id}] {j.finding.logical_id} {j.finding.path or '/'}." for j in judged]
    lines += [f" [{ANNOTATION_NOT_EXPANDED}] {part}." for part in unchecked]
    return ProgressEvent(
        status=OperationStatus.SUCCESS,
        message=fit(head + "".join(parts), lines, MESSAGE_LIMIT),
        annotations=annotations,
    )


def not_expanded(part: str) -> HookAnnotation:
    """A part of the template the hook cannot expand: the resources it makes are not checked here."""
    return HookAnnotation(
        annotationName=ANNOTATION_NOT_EXPANDED,
        status=HookAnnotationStatus.SKIPPED,
        statusMessage=cut(
            f"not checked here: {part}; the hook cannot expand it (the hook package cannot carry cfn-lint, "
            "and macros run only when the stack deploys), so the resources it makes are judged by the RESOURCE target"
        ),
        remediationMessage=cut(NOT_EXPANDED_REMEDIATION),
        severityLevel=HookAnnotationSeverityLevel.MEDIUM,
    )


def annotation(judged: Judged, fails: bool) -> HookAnnotation:
    finding = judged.finding
    text = f"{finding.logical_id} {finding.path or '/'}: {finding.message}"
    if judged.exemption is not None:
        e = judged.exemption
        text = f"exempted by exemption #{e.index} until {e.expires.isoformat()} ({e.reason}): {text}"
    elif not fails:
        text = f"not resolved in the template; the resource-level hook decides: {text}"
    elif judged.expired is not None:
        e = judged.expired
        text = f"{text} (exemption #{e.index} expired on {e.expires.isoformat()} and no longer applies)"
    return HookAnnotation(
        annotationName=finding.rule_id,
        status=HookAnnotationStatus.FAILED if fails else HookAnnotationStatus.SKIPPED,
        statusMessage=cut(neutral(text)),
        remediationMessage=cut(neutral(finding.remediation)),
        severityLevel=HookAnnotationSeverityLevel[finding.severity.value],
    )


def cut(text: str) -> str:
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 3] + "..."


def cut_to(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
