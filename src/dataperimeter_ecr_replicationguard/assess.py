"""The one flow, written once: resources in, judged findings and the trust they rest on out.

    resources ─► trust_sources.resolve_trust ─► core.evaluate (per resource) ─► exemptions.judge

Every door (the registered hook's RESOURCE target, its STACK and CHANGE_SET targets,
``hook-handler scan``) translates its input into :class:`Resource` values, calls
:func:`assess`, and translates the :class:`Assessment` into its own answer. A door never wires
trust, checkers or exemptions itself, so two doors given the same resource give the same verdict
(``tests/test_door_agreement.py``).

What a template door knows beyond the properties travels with the resource as data: the line,
a ``Condition`` the template does not decide, and the values its resolver could not resolve.
Here they become explanations: every finding of a resource that may not exist is unresolved and
says why, and an unresolved finding names the reason its value is not known.

Light on purpose: the hook's RESOURCE path imports this module, so nothing here imports the
template reader, cfn-lint or an AWS client.
"""

from __future__ import annotations

import datetime
from typing import Any, Iterable, NamedTuple, Protocol, Sequence

from .core import evaluate
from .core.findings import Category, Finding
from .core.plain import Frozen
from .core.trust import Trust
from .exemptions import Judged, judge, today_utc
from .invocation import Invocation
from .settings import Settings
from .trust_sources import resolve_trust


class Unresolved(Protocol):
    """A value the template does not decide (``template.resolve.Unresolved`` is one)."""

    @property
    def path(self) -> str: ...  # a JSON pointer inside the properties

    @property
    def reason(self) -> str: ...


class Resource(Frozen):
    """One resource as a door hands it over. ``properties`` are what the core reads (resolved,
    for a template door). ``condition``: the name of a ``Condition`` the template does not
    decide (the resource may not exist), else ``None``. ``unresolved``: what the resolver could
    not decide, by JSON pointer. Not a NamedTuple: a tuple cannot be weakly referenced (the audit
    checks that its results keep no resource alive)."""

    __slots__ = ("resource_type", "logical_id", "properties", "line", "condition", "unresolved", "__weakref__")
    _fields = __slots__[:-1]
    resource_type: str
    logical_id: str
    properties: Any
    line: int | None
    condition: str | None
    unresolved: tuple[Unresolved, ...]

    def __init__(self, resource_type: str, logical_id: str, properties: Any, line: int | None = None,
                 condition: str | None = None, unresolved: tuple[Unresolved, ...] = ()) -> None:
        put = object.__setattr__
        put(self, "resource_type", resource_type)
        put(self, "logical_id", logical_id)
        put(self, "properties", properties)
        put(self, "line", line)
        put(self, "condition", condition)
        put(self, "unresolved", unresolved)


class Assessed(NamedTuple):
    """One resource and its judged findings (exemptions applied)."""

    resource: Resource
    judged: tuple[Judged, ...]

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(j.finding for j in self.judged)


class Assessment(NamedTuple):
    """What :func:`assess` found: the trusted set used (its ``notes`` say when it rests on a
    stale membership) and every resource with its judged findings, in the order given."""

    trust: Trust
    resources: tuple[Assessed, ...]

    @property
    def notes(self) -> tuple[str, ...]:
        return tuple(self.trust.notes)

    @property
    def judged(self) -> list[Judged]:
        return [j for assessed in self.resources for j in assessed.judged]


def assess(
    resources: Iterable[Resource],
    settings: Settings,
    invocation: Invocation,
    session: Any = None,
    *,
    stack_name: str = "",
    today: datetime.date | None = None,
    named: Any = None,
    exemption_account: str | None = None,
) -> Assessment:
    """The flow for ``resources``. ``named``: what the trust source may look accounts up in
    (default: the resources' properties; a template door passes the template, so a lookup sees
    what the template names). ``exemption_account``: the account exemptions match on (default:
    the invocation's; the scan without ``--account`` matches none). Raises ``TrustUnavailable``."""
    resources = list(resources)
    trust = resolve_trust(settings, invocation, session, [r.properties for r in resources] if named is None else named)
    day = today if today is not None else today_utc()
    account = invocation.account_id if exemption_account is None else exemption_account
    assessed = []
    for resource in resources:
        findings = findings_of(resource, trust)
        judged = tuple(judge(findings, settings.exemptions, stack_name=stack_name, account_id=account,
                             today=day)) if findings else ()  # most resources have no finding to judge
        assessed.append(Assessed(resource, judged))
    return Assessment(trust, tuple(assessed))


def findings_of(resource: Resource, trust: Trust) -> list[Finding]:
    """The core's findings on one resource, explained with what the door knew about it."""
    findings = [_explained(f, resource.unresolved) for f in
                evaluate(resource.resource_type, resource.logical_id, resource.properties, trust)]
    if resource.condition is not None:
        findings = [_conditional(f, resource.condition) for f in findings]
    return findings


def _conditional(finding: Finding, condition: str) -> Finding:
    """A resource whose ``Condition`` the template does not decide may not exist: its findings
    are unresolved (they fail the scan unless ``--allow-unresolved``; the stack-level hook leaves
    them to the RESOURCE target, which is only called for resources that are created)."""
    why = f"the resource exists only if condition {condition} holds, which the template does not decide"
    return finding._replace(category=Category.UNRESOLVED, message=f"{finding.message} ({why})")


def _explained(finding: Finding, unresolved: Sequence[Unresolved]) -> Finding:
    """An unresolved finding says why the template does not decide the value."""
    if finding.category is not Category.UNRESOLVED or not unresolved:
        return finding
    reasons = [u.reason for u in unresolved if _related(u.path, finding.path)]
    if not reasons:
        return finding
    return finding._replace(message=f"{finding.message} ({'; '.join(dict.fromkeys(reasons))})")


def _related(a: str, b: str) -> bool:
    return a == b or a.startswith(b + "/") or b.startswith(a + "/") or not a or not b
