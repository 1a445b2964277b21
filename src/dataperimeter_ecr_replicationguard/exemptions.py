"""Exemptions: findings the security team accepts for a while, kept in the type configuration
(the ``Exemptions`` setting) or the CLI's ``--config``, never in the scanned template.

The setting is a JSON list (as a string, like every setting) of objects::

    [{"StackNames": ["legacy-*"], "LogicalIds": ["Replication*"], "AccountIds": ["111111111111"],
      "RuleIds": ["ECR-REPLICATION-UNTRUSTED-DESTINATION"], "Reason": "SEC-123 migration to the DR org",
      "Expires": "2026-12-31"}]

- ``StackNames`` / ``LogicalIds``: glob patterns (``*``, ``?``, case-sensitive); at least one
  of the two is required. An exemption matches a finding when every given field matches.
- ``AccountIds``: the deploying accounts it applies in; absent means every account.
- ``RuleIds``: the rules it covers; absent means every rule.
- A selector list that is present but empty (``"RuleIds": []``) is refused: it would otherwise
  mean "every" by accident.
- ``Reason`` (required) and ``Expires`` (required, ``YYYY-MM-DD``): it applies through the end
  of that day (UTC) and stops applying after it. An expired exemption that would have matched
  is reported with the finding, which then fails as if there were no exemption.

:func:`judge` is the one place exemptions are applied, for the hook and the CLI alike.
An exempted finding is still reported, marked exempted, with its reason.
"""

from __future__ import annotations

import datetime
import fnmatch
import json
import re
from typing import Any, Iterable, NamedTuple, Sequence

from .core.findings import Finding
from .core.plain import Frozen
from .core.values import is_account_id

_KEYS = {"StackNames", "LogicalIds", "AccountIds", "RuleIds", "Reason", "Expires"}
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class ExemptionError(ValueError):
    """The Exemptions setting does not validate; ``problems`` lists every reason."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


class Exemption(Frozen):
    """One entry of the Exemptions setting. Not a NamedTuple: its ``index`` field would hide
    ``tuple.index``."""

    __slots__ = _fields = ("index", "reason", "expires", "stack_names", "logical_ids", "account_ids", "rule_ids")
    index: int
    reason: str
    expires: datetime.date
    stack_names: tuple[str, ...]
    logical_ids: tuple[str, ...]
    account_ids: frozenset[str]
    rule_ids: frozenset[str]

    def __init__(self, index: int, reason: str, expires: datetime.date, stack_names: tuple[str, ...] = (),
                 logical_ids: tuple[str, ...] = (), account_ids: frozenset[str] = frozenset(),
                 rule_ids: frozenset[str] = frozenset()) -> None:
        put = object.__setattr__
        put(self, "index", index)
        put(self, "reason", reason)
        put(self, "expires", expires)
        put(self, "stack_names", stack_names)
        put(self, "logical_ids", logical_ids)
        put(self, "account_ids", account_ids)
        put(self, "rule_ids", rule_ids)

    def expired(self, today: datetime.date) -> bool:
        return today > self.expires

    def matches(self, finding: Finding, stack_name: str, account_id: str) -> bool:
        return (
            _any_glob(self.stack_names, stack_name)
            and _any_glob(self.logical_ids, finding.logical_id)
            and (not self.account_ids or account_id in self.account_ids)
            and (not self.rule_ids or finding.rule_id in self.rule_ids)
        )

    def describe(self) -> str:
        scope = ", ".join(
            part
            for part in (
                f"stacks {'/'.join(self.stack_names)}" if self.stack_names else "",
                f"logical IDs {'/'.join(self.logical_ids)}" if self.logical_ids else "",
            )
            if part
        )
        return f"exemption #{self.index} ({scope}; expires {self.expires.isoformat()}): {self.reason}"

    def as_dict(self) -> dict:
        return {
            "index": self.index,
            "reason": self.reason,
            "expires": self.expires.isoformat(),
            "stackNames": list(self.stack_names),
            "logicalIds": list(self.logical_ids),
            "accountIds": sorted(self.account_ids),
            "ruleIds": sorted(self.rule_ids),
        }


class Judged(NamedTuple):
    """A finding and what the exemptions say about it: ``exemption`` is the one that applies
    (then the finding does not fail); ``expired`` is an expired one that would have applied."""

    finding: Finding
    exemption: Exemption | None = None
    expired: Exemption | None = None

    @property
    def exempted(self) -> bool:
        return self.exemption is not None


def judge(
    findings: Iterable[Finding],
    exemptions: Sequence[Exemption],
    *,
    stack_name: str,
    account_id: str,
    today: datetime.date,
) -> list[Judged]:
    judged = []
    for finding in findings:
        matching = [e for e in exemptions if e.matches(finding, stack_name, account_id)]
        active = next((e for e in matching if not e.expired(today)), None)
        expired = next((e for e in matching if e.expired(today)), None) if active is None else None
        judged.append(Judged(finding, active, expired))
    return judged


def expired_exemptions(exemptions: Sequence[Exemption], today: datetime.date) -> list[Exemption]:
    return [e for e in exemptions if e.expired(today)]


def stack_name_of(stack_id: object) -> str:
    """``arn:aws:cloudformation:eu-west-1:111111111111:stack/NAME/uuid`` gives ``NAME``."""
    parts = stack_id.split(":", 5) if isinstance(stack_id, str) else []
    if len(parts) == 6 and parts[5].startswith("stack/"):
        return parts[5].split("/")[1]
    return ""


def today_utc() -> datetime.date:
    return datetime.datetime.now(datetime.timezone.utc).date()


def parse_exemptions(value: Any) -> tuple[Exemption, ...]:
    """The ``Exemptions`` setting: a JSON list (or its text); empty text means none."""
    if isinstance(value, str):
        if not value.strip():
            return ()
        try:
            value = json.loads(value)
        except ValueError as error:
            raise ExemptionError([f"Exemptions: not valid JSON ({error})"]) from None
    if not isinstance(value, list):
        raise ExemptionError([f"Exemptions: expected a JSON list, got {type(value).__name__}"])
    problems: list[str] = []
    exemptions = []
    for index, entry in enumerate(value):
        try:
            exemptions.append(_exemption(index, entry))
        except ExemptionError as error:
            problems.extend(error.problems)
    if problems:
        raise ExemptionError(problems)
    return tuple(exemptions)


def _exemption(index: int, entry: Any) -> Exemption:
    where = f"Exemptions[{index}]"
    if not isinstance(entry, dict):
        raise ExemptionError([f"{where}: expected an object, got {type(entry).__name__}"])
    problems = [f"{where}: unknown key {key!r}" for key in entry if key not in _KEYS]
    lists = {}
    for key in ("StackNames", "LogicalIds", "AccountIds", "RuleIds"):
        raw = entry.get(key, [])
        raw = [raw] if isinstance(raw, str) else raw
        if key in entry and raw == []:
            # absent means "every": present but empty must not mean the same by accident (issue 12)
            problems.append(f"{where}: {key} is empty; leave it out to mean every one, or list what it covers")
            lists[key] = []
            continue
        if not isinstance(raw, list) or not all(isinstance(v, str) and v.strip() for v in raw):
            problems.append(f"{where}: {key} must be a list of non-empty strings")
            raw = []
        lists[key] = [v.strip() for v in raw]
    if not lists["StackNames"] and not lists["LogicalIds"]:
        problems.append(f"{where}: give StackNames or LogicalIds (an exemption must name what it covers)")
    bad_accounts = [a for a in lists["AccountIds"] if not is_account_id(a)]
    if bad_accounts:
        problems.append(f"{where}: AccountIds {bad_accounts[:3]} are not 12-digit account IDs")
    reason = entry.get("Reason")
    if not isinstance(reason, str) or not reason.strip():
        problems.append(f"{where}: Reason is required (say why the finding is accepted)")
    expires = _date(entry.get("Expires"))
    if expires is None:
        problems.append(f"{where}: Expires is required, as a date YYYY-MM-DD, got {entry.get('Expires')!r}")
    if problems:
        raise ExemptionError(problems)
    return Exemption(
        index=index,
        reason=" ".join(reason.split()),
        expires=expires,
        stack_names=tuple(lists["StackNames"]),
        logical_ids=tuple(lists["LogicalIds"]),
        account_ids=frozenset(lists["AccountIds"]),
        rule_ids=frozenset(lists["RuleIds"]),
    )


def _date(value: Any) -> datetime.date | None:
    if not isinstance(value, str) or not _DATE.fullmatch(value.strip()):
        return None
    try:
        return datetime.date.fromisoformat(value.strip())
    except ValueError:
        return None


def _any_glob(patterns: Sequence[str], name: str) -> bool:
    return not patterns or any(fnmatch.fnmatchcase(name, p) for p in patterns)
