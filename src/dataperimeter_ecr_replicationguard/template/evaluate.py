"""One evaluator for whole templates: the CLI (``hook-handler scan``) and the hook's STACK and
CHANGE_SET targets both call :func:`evaluate_template`.

template -> resources (type, logical ID, properties, line) -> resolved properties ->
:func:`core.evaluate` (the very function the RESOURCE handler calls) -> findings.
Only resource types the core checks are evaluated; the rest of a template is ignored.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any, Sequence

from ..core import evaluate, supported_types
from ..core.findings import Category, Finding
from ..core.trust import Trust
from .resolve import Context, Resolver, Unresolved
from .resources import TemplateResource, resources_of


@dataclass(frozen=True)
class ResourceResult:
    """One evaluated resource: its resolved properties (what a RESOURCE hook would be sent)
    and the core's findings on them."""

    logical_id: str
    resource_type: str
    line: int | None
    properties: Any
    findings: tuple[Finding, ...]
    unresolved: tuple[Unresolved, ...] = ()


def evaluate_template(template: Any, trust: Trust, context: Context) -> list[ResourceResult]:
    """Findings for every ECR resource of ``template``. Raises ``NotATemplate``."""
    resolver = Resolver(template, context)
    checked = set(supported_types())
    results = []
    for resource in resources_of(template):
        if resource.resource_type not in checked:
            continue
        decided = resolver.condition(resource.condition) if resource.condition else True
        if decided is False:
            continue  # the condition is false: the resource is not created
        result = evaluate_resource(resource, resolver, trust)
        if decided is None:
            result = _conditional(result, resource.condition)
        results.append(result)
    return results


def _conditional(result: ResourceResult, condition: str) -> ResourceResult:
    """A resource whose ``Condition`` the template does not decide may not exist: its findings
    are unresolved (they fail the CLI unless ``--allow-unresolved``; the stack-level hook leaves
    them to the RESOURCE target, which is only called for resources that are created)."""
    why = f"the resource exists only if condition {condition} holds, which the template does not decide"
    return dataclasses.replace(
        result,
        findings=tuple(
            dataclasses.replace(f, category=Category.UNRESOLVED, message=f"{f.message} ({why})") for f in result.findings
        ),
    )


def evaluate_resource(resource: TemplateResource, resolver: Resolver, trust: Trust) -> ResourceResult:
    properties = resource.properties if resource.properties is not None else {}
    resolution = resolver.resolve(properties)
    findings = evaluate(resource.resource_type, resource.logical_id, resolution.value, trust)
    return ResourceResult(
        logical_id=resource.logical_id,
        resource_type=resource.resource_type,
        line=resource.line,
        properties=resolution.value,
        findings=tuple(_explained(f, resolution.unresolved) for f in findings),
        unresolved=tuple(resolution.unresolved),
    )


def _explained(finding: Finding, unresolved: Sequence[Unresolved]) -> Finding:
    """An unresolved finding says why the template does not decide the value."""
    if finding.category is not Category.UNRESOLVED:
        return finding
    reasons = [u.reason for u in unresolved if _related(u.path, finding.path)]
    if not reasons:
        return finding
    return dataclasses.replace(finding, message=f"{finding.message} ({'; '.join(dict.fromkeys(reasons))})")


def _related(a: str, b: str) -> bool:
    return a == b or a.startswith(b + "/") or b.startswith(a + "/") or not a or not b


def placeholder_account(template: Any) -> str:
    """A 12-digit stand-in for ``AWS::AccountId`` when the deploying account is not given:
    the first of ``000000000000``, ``000000000001``, ... that the template never mentions, so
    it can only ever stand for ``AWS::AccountId``. It is trusted exactly as the deploying
    account is (``TrustDeployingAccount``)."""
    text = json.dumps(template, default=str)
    for n in range(1000):
        candidate = f"{n:012d}"
        if candidate not in text:
            return candidate
    raise ValueError("no unused placeholder account")  # pragma: no cover - 1000 literal IDs
