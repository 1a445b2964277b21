"""The hook's answer, built in one place: judged findings (or an error) into a neutral
:class:`Answer` (status, error code, message, annotations), then into whatever a door returns:
:func:`progress_event` for the registered hook. Every door that answers as a hook (the RESOURCE,
STACK and CHANGE_SET targets, and later the Lambda hook) builds its answer here, so the same
findings and exemptions give the same verdict and the same words whichever door asked.

- An exempted finding does not fail; its annotation is SKIPPED and names the exemption.
- With ``defer_unresolved`` (STACK and CHANGE_SET), an unresolved value does not fail either:
  its annotation is SKIPPED, and the RESOURCE target, which sees the resolved value, decides.
- Anything else fails: ``NonCompliant`` when a finding is a violation, else ``InvalidRequest``.
- ``unchecked`` (STACK and CHANGE_SET): parts of the template the hook cannot expand (a macro,
  ``Fn::ForEach``, ``AWS::Include``). Each gets a SKIPPED annotation saying the RESOURCE target
  judges what it makes, and a SUCCESS never says the target is inside the perimeter.
- ``notes`` (the trust's): a verdict that rests on a stale organization membership says so in a
  SKIPPED annotation.
- The status reason CloudFormation shows is at most 1,024 characters (:data:`MESSAGE_LIMIT`);
  every finding still goes into the annotations in full.

Nothing here imports the CloudFormation library but :func:`progress_event`, so a door that
answers in another shape (a Lambda hook's JSON) reuses the neutral answer without it.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple, Sequence

from ..core import rules, values
from ..core.findings import Category, Finding
from ..core.values import data
from ..exemptions import Judged

MESSAGE_LIMIT = 1024

SUCCESS, FAILED = "SUCCESS", "FAILED"  # the answer's status
PASSED, SKIPPED = "PASSED", "SKIPPED"  # an annotation's status (besides FAILED)

NON_COMPLIANT = "NonCompliant"
INVALID_REQUEST = "InvalidRequest"
INVALID_TYPE_CONFIGURATION = "InvalidTypeConfiguration"
UNSUPPORTED_TARGET = "UnsupportedTarget"
INTERNAL_FAILURE = "InternalFailure"
ACCESS_DENIED = "AccessDenied"
INVALID_CREDENTIALS = "InvalidCredentials"
THROTTLING = "Throttling"
ERROR_CODES = (NON_COMPLIANT, INVALID_REQUEST, INVALID_TYPE_CONFIGURATION, UNSUPPORTED_TARGET, INTERNAL_FAILURE,
               ACCESS_DENIED, INVALID_CREDENTIALS, THROTTLING)  # hook/handlers.py checks them at import

TRUST_ERRORS = {  # TrustUnavailable.code -> the error code answered (HandlerErrorCode names)
    "AccessDeniedException": ACCESS_DENIED,
    "AccessDenied": ACCESS_DENIED,
    "NoCredentials": INVALID_CREDENTIALS,
    "OrganizationMismatch": INVALID_TYPE_CONFIGURATION,
    "AWSOrganizationsNotInUseException": INVALID_TYPE_CONFIGURATION,
    **dict.fromkeys(("SnapshotNotConfigured", "SnapshotOrganizationMismatch"), INVALID_TYPE_CONFIGURATION),
}

ANNOTATION_PASSED = rules.PERIMETER.id
ANNOTATION_NOT_EXPANDED = rules.PERIMETER_NOT_EXPANDED.id
ANNOTATION_STALE_TRUST = rules.PERIMETER_STALE_TRUST.id
NOT_EXPANDED_REMEDIATION = (
    "Keep RESOURCE in the hook's TargetOperations: it sees the expanded resources (docs/operations.md); "
    "before deploying, run hook-handler scan on the template (docs/scan.md)"
)
STALE_TRUST_REMEDIATION = "Check that the hook can call AWS Organizations (docs/organizations.md)"


class Annotation(NamedTuple):
    """One line of the answer: ``status`` PASSED, FAILED or SKIPPED; ``severity`` CRITICAL,
    HIGH, MEDIUM, LOW or INFORMATIONAL, or ``None``. Messages are cut already."""

    name: str
    status: str
    message: str
    remediation: str | None = None
    severity: str | None = None
    link: str | None = None  # remediationLink: a published page on how to fix it (rules.remediation_link)


class Answer(NamedTuple):
    """A hook's answer before it takes a door's shape: ``status`` SUCCESS or FAILED;
    ``error_code`` a CloudFormation ``HandlerErrorCode`` name when it failed."""

    status: str
    message: str
    error_code: str = ""
    annotations: tuple[Annotation, ...] = ()


def failed(error_code: str, message: str) -> Answer:
    """The request could not be judged (or is not the hook's to judge): no annotations."""
    return Answer(FAILED, cut(message), error_code)


def trust_failed(target: str, error: Any) -> Answer:
    """The trusted set could not be read (``trust_sources.TrustUnavailable``: ``code``, ``throttled``)."""
    code = TRUST_ERRORS.get(error.code, THROTTLING if error.throttled else INTERNAL_FAILURE)
    return failed(code, f"{code}: {target}: {error}; the hook fails closed.")


def target_name(logical_id: Any, kind: Any) -> str:
    """How every answer names its target, ``Repl (AWS::ECR::ReplicationConfiguration)`` or
    ``my-stack (STACK)``: both parts come from the request, so both are shown as data."""
    logical_id = data(logical_id, 255) if isinstance(logical_id, str) and logical_id else "?"
    kind = data(kind, 128) if isinstance(kind, str) and kind else "?"
    return f"{logical_id} ({kind})"


def configuration_failed(error: Exception) -> Answer:
    """The configuration (a type configuration, or a Lambda hook's settings document) does not validate."""
    return failed(INVALID_TYPE_CONFIGURATION,
                  f"InvalidTypeConfiguration: the hook's type configuration does not validate: {error}")


def unsupported_target(target: str, checked: Sequence[str]) -> Answer:
    return failed(UNSUPPORTED_TARGET, f"UnsupportedTarget: {target}: this hook checks {', '.join(checked)}")


def internal_failure(target: str, error: BaseException) -> Answer:
    """Anything else: the door logs the exception; the answer names only its type."""
    return failed(
        INTERNAL_FAILURE,
        f"InternalFailure: {target}: the hook could not evaluate this resource "
        f"({type(error).__name__}); it fails closed. See the hook's logs.",
    )


def verdict(
    target: str,
    judged: Sequence[Judged],
    passed_message: str,
    *,
    defer_unresolved: bool = False,
    unchecked: Sequence[str] = (),
    notes: Sequence[str] = (),
) -> Answer:
    """The answer on ``target`` (``Repl (AWS::ECR::ReplicationConfiguration)``) from its judged
    findings. ``passed_message``: what the PASSED annotation says when nothing was found."""
    return with_notes(_verdict(target, judged, passed_message, defer_unresolved, unchecked), notes)


def with_notes(answer: Answer, notes: Sequence[str]) -> Answer:
    """``answer`` with a SKIPPED annotation for each trust note (a stale membership in use)."""
    if not notes:
        return answer
    stale = tuple(
        Annotation(ANNOTATION_STALE_TRUST, SKIPPED, cut(note), STALE_TRUST_REMEDIATION,
                   rules.PERIMETER_STALE_TRUST.severity.value, rules.remediation_link(ANNOTATION_STALE_TRUST))
        for note in notes
    )
    return Answer(answer.status, answer.message, answer.error_code, answer.annotations + stale)


def failing(judged: Sequence[Judged], defer_unresolved: bool) -> list[Judged]:
    return [
        j
        for j in judged
        if not j.exempted and not (defer_unresolved and j.finding.category is Category.UNRESOLVED)
    ]


def _verdict(target: str, judged: Sequence[Judged], passed_message: str, defer_unresolved: bool,
             unchecked: Sequence[str]) -> Answer:
    fails = failing(judged, defer_unresolved)
    skipped = tuple(not_expanded(part) for part in unchecked)
    if not judged and not unchecked:
        return Answer(SUCCESS, cut(f"{target} is inside the ECR data perimeter"),
                      annotations=(Annotation(ANNOTATION_PASSED, PASSED, cut(passed_message)),))
    failing_ids = {id(j) for j in fails}  # not `j in fails`: quadratic with thousands of findings
    annotations = tuple(annotation(j, id(j) in failing_ids) for j in judged) + skipped
    if fails:
        findings = [j.finding for j in fails]
        return Answer(FAILED, summary(target, findings), error_code(findings), annotations)
    exempted = sum(1 for j in judged if j.exempted)
    deferred = len(judged) - exempted
    head = f"{target} passes:" if judged else f"{cut(passed_message, MESSAGE_LIMIT // 2)}. Not checked here:"
    parts = []
    if exempted:
        parts.append(f" {exempted} finding(s) exempted.")
    if deferred:
        parts.append(f" {deferred} value(s) not resolved in the template, left to the resource-level hook.")
    if unchecked:
        parts.append(f" {len(unchecked)} template part(s) the hook cannot expand, left to the RESOURCE target.")
    lines = [f" [{j.finding.rule_id}] {data(j.finding.logical_id, 255)} {data(j.finding.path or '/', 200)}."
             for j in judged]
    lines += [f" [{ANNOTATION_NOT_EXPANDED}] {part}." for part in unchecked]
    return Answer(SUCCESS, fit(head + "".join(parts), lines, MESSAGE_LIMIT), annotations=annotations)


def not_expanded(part: str) -> Annotation:
    """A part of the template the hook cannot expand: the resources it makes are not checked here."""
    return Annotation(
        ANNOTATION_NOT_EXPANDED,
        SKIPPED,
        cut(
            f"not checked here: {part}; the hook cannot expand it (the hook package cannot carry cfn-lint, "
            "and macros run only when the stack deploys), so the resources it makes are judged by the RESOURCE target"
        ),
        cut(NOT_EXPANDED_REMEDIATION),
        rules.PERIMETER_NOT_EXPANDED.severity.value,
        rules.remediation_link(ANNOTATION_NOT_EXPANDED),
    )


def annotation(judged: Judged, fails: bool) -> Annotation:
    finding = judged.finding
    text = f"{data(finding.logical_id, 255)} {data(finding.path or '/', 200)}: {finding.message}"
    if judged.exemption is not None:
        e = judged.exemption
        text = f"exempted by exemption #{e.index} until {e.expires.isoformat()} ({e.reason}): {text}"
    elif not fails:
        text = f"not resolved in the template; the resource-level hook decides: {text}"
    elif judged.expired is not None:
        e = judged.expired
        text = f"{text} (exemption #{e.index} expired on {e.expires.isoformat()} and no longer applies)"
    return Annotation(
        finding.rule_id,
        FAILED if fails else SKIPPED,
        cut(neutral(text)),
        cut(neutral(finding.remediation)),
        finding.severity.value,
        rules.remediation_link(finding.rule_id, finding.resource_type),
    )


def error_code(findings: Sequence[Finding]) -> str:
    """``NonCompliant`` when anything is a violation; otherwise the input could not be
    decided (malformed or unresolved), which is ``InvalidRequest``."""
    return NON_COMPLIANT if any(f.category is Category.VIOLATION for f in findings) else INVALID_REQUEST


def summary(target: str, findings: Sequence[Finding], limit: int = MESSAGE_LIMIT) -> str:
    """``NonCompliant: Repl (AWS::ECR::ReplicationConfiguration): 2 findings. [RULE] /path: message; ...``
    cut to ``limit`` characters, counting what did not fit."""
    code = error_code(findings)
    head = f"{code}: {cut(target, 300)}: {_plural(len(findings), 'finding')}."
    lines = [f" [{f.rule_id}] {data(f.path or '/', 200)}: {f.message}." for f in findings]
    return neutral(fit(head, lines, limit))


# What only a passing verdict says. Text from the input must not be able to say it in a failure.
_PASS_CLAIM = re.compile(r"inside\W+the\W+ECR\W+data\W+perimeter", re.IGNORECASE)


def neutral(text: str) -> str:
    """``text`` with any claim that something is inside the perimeter replaced (it can only have
    come from the input: failures never say it)."""
    return _PASS_CLAIM.sub("[text from the input]", text)


def cut(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """:func:`..core.values.cut`, to a message's limit unless told otherwise."""
    return values.cut(text, limit)


def fit(head: str, lines: Sequence[str], limit: int = MESSAGE_LIMIT) -> str:
    """``head`` then as many ``lines`` as fit in ``limit`` characters, then how many were left out."""
    text = head[:limit]
    for index, line in enumerate(lines):
        rest = len(lines) - index - 1
        tail = f" (+{rest} more in the hook annotations)" if rest else ""
        if len(text) + len(line) + len(tail) <= limit:
            text += line
            continue
        omitted = len(lines) - index
        tail = f" (+{omitted} more in the hook annotations)"
        room = limit - len(text) - len(tail)
        if room > 40:  # a truncated line still says something useful
            text += line[: room - 3] + "..."
            omitted -= 1
            tail = f" (+{omitted} more in the hook annotations)" if omitted else ""
        return (text + tail)[:limit]
    return text


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def progress_event(answer: Answer) -> Any:
    """The registered hook's shape of ``answer``: the CloudFormation library's ProgressEvent."""
    from cloudformation_cli_python_lib import (
        HandlerErrorCode,
        HookAnnotation,
        HookAnnotationSeverityLevel,
        HookAnnotationStatus,
        OperationStatus,
        ProgressEvent,
    )

    annotations = [
        HookAnnotation(
            annotationName=a.name,
            status=HookAnnotationStatus[a.status],
            statusMessage=a.message,
            remediationMessage=a.remediation,
            remediationLink=a.link,
            severityLevel=HookAnnotationSeverityLevel[a.severity] if a.severity is not None else None,
        )
        for a in answer.annotations
    ]
    return ProgressEvent(
        status=OperationStatus[answer.status],
        errorCode=HandlerErrorCode[answer.error_code] if answer.error_code else None,
        message=answer.message,
        annotations=annotations or None,
    )
