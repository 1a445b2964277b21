"""The optional responsive control for replication: replication keeps copying images out until
the rule goes, so the detective Lambda may put the registry's replication configuration back with
only its trusted destinations, or remove it. Off unless asked for; dry-run by default once asked for.

- ``GUARD_REMEDIATION``: ``Off`` (default), ``KeepTrusted`` (every destination a failing finding
  points at goes, a rule left without destinations goes, a rule or configuration the core cannot
  read goes whole) or ``Remove`` (the whole configuration goes: ``PutReplicationConfiguration``
  with no rules, ECR's way of removing it).
- ``GUARD_REMEDIATION_DRY_RUN``: ``true`` (default) reports what would be put, changes nothing;
  ``false`` puts it.

The plan is made from the live configuration (``DescribeRegistry``), judged again when the
remediation runs, never from the event: events can arrive late or out of order, and putting back
an old configuration would undo a later change. The put is itself a CloudTrail event, which the
Lambda judges compliant and which resolves the findings.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..exemptions import Judged

OFF, KEEP_TRUSTED, REMOVE = "Off", "KeepTrusted", "Remove"
MODES = (OFF, KEEP_TRUSTED, REMOVE)
MODE_VARIABLE = "GUARD_REMEDIATION"
DRY_RUN_VARIABLE = "GUARD_REMEDIATION_DRY_RUN"

_DESTINATION = re.compile(r"/ReplicationConfiguration/Rules/([0-9]+)(?:/Destinations(?:/([0-9]+))?)?(?:/.*)?")


class RemediationSettingError(ValueError):
    """A remediation variable does not validate (the message names it and the accepted values)."""


@dataclass(frozen=True)
class Remediation:
    mode: str = OFF
    dry_run: bool = True

    @property
    def enabled(self) -> bool:
        return self.mode != OFF


def remediation_of(environ: Mapping[str, str]) -> Remediation:
    """The remediation the environment asks for. Raises :class:`RemediationSettingError`."""
    mode = environ.get(MODE_VARIABLE, "").strip() or OFF
    if mode not in MODES:
        raise RemediationSettingError(f"{MODE_VARIABLE} is {mode[:40]!r}: use one of {', '.join(MODES)}")
    dry = environ.get(DRY_RUN_VARIABLE, "").strip().lower() or "true"
    if dry not in ("true", "false"):
        raise RemediationSettingError(f"{DRY_RUN_VARIABLE} is {dry[:40]!r}: use true or false")
    return Remediation(mode, dry == "true")


@dataclass(frozen=True)
class Plan:
    """What to put: ``configuration`` (API shape, ``{"rules": [...]}``), the destinations that go
    (``(rule, destination, registryId, region)``) and the rules that go whole."""

    configuration: dict[str, Any]
    removed_destinations: tuple[tuple[int, int, str, str], ...] = ()
    removed_rules: tuple[int, ...] = ()
    reasons: tuple[str, ...] = field(default_factory=tuple)

    @property
    def removes_everything(self) -> bool:
        return not self.configuration.get("rules")

    def describe(self) -> str:
        if self.removes_everything:
            return "remove the replication configuration (no rule is left)"
        gone = [f"rule {r} destination {d} ({account} in {region})" for r, d, account, region in self.removed_destinations]
        gone += [f"rule {r} (whole)" for r in self.removed_rules]
        return "keep only the trusted destinations: remove " + "; ".join(gone)


def plan(live_configuration: Any, failing: Iterable[Judged], mode: str) -> Plan | None:
    """The configuration to put back, from the live ``replicationConfiguration`` (API shape) and
    the failing judged findings of that same configuration (paths in CloudFormation's shape, the
    adapter keeping rule and destination indices). ``None``: nothing fails, nothing to do."""
    findings = [j.finding for j in failing if not j.exempted]
    if not findings:
        return None
    if mode == REMOVE:
        return Plan({"rules": []}, reasons=("GUARD_REMEDIATION is Remove",))
    rules = live_configuration.get("rules") if isinstance(live_configuration, Mapping) else None
    if not isinstance(rules, list):
        return Plan({"rules": []}, reasons=("the live configuration cannot be read rule by rule",))
    whole_rules: set[int] = set()
    destinations: set[tuple[int, int]] = set()
    for finding in findings:
        match = _DESTINATION.fullmatch(finding.path)
        if match is None:  # the configuration itself cannot be read: nothing of it is known trusted
            return Plan({"rules": []}, reasons=(f"{finding.rule_id} at {finding.path or '/'}",))
        rule, destination = int(match.group(1)), match.group(2)
        if destination is None:
            whole_rules.add(rule)
        else:
            destinations.add((rule, int(destination)))
    kept: list[Any] = []
    removed: list[tuple[int, int, str, str]] = []
    for index, rule in enumerate(rules):
        if index in whole_rules or not isinstance(rule, Mapping) or not isinstance(rule.get("destinations"), list):
            whole_rules.add(index)  # a rule the core could not read is not known to be trusted
            continue
        left = []
        for d_index, destination in enumerate(rule["destinations"]):
            if (index, d_index) in destinations:
                removed.append((index, d_index, _field(destination, "registryId"), _field(destination, "region")))
            else:
                left.append(copy.deepcopy(destination))
        if left:
            kept.append({**copy.deepcopy(dict(rule)), "destinations": left})
        else:
            whole_rules.add(index)
    reasons = tuple(sorted({f.rule_id for f in findings}))
    return Plan({"rules": kept}, tuple(removed), tuple(sorted(whole_rules)), reasons)


def _field(destination: Any, key: str) -> str:
    value = destination.get(key) if isinstance(destination, Mapping) else None
    return value[:40] if isinstance(value, str) else "?"
