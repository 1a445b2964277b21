"""Which conditions pin every caller of a statement into the trusted set.

Condition entries are ANDed (across operators and keys), values of one key are ORed. So one
entry that admits only trusted callers is enough to pin a statement, and it must admit only
trusted callers for *every* value. Key names are case-insensitive, values case-sensitive.

Never pinning: ``...IfExists`` (true when the key is absent, as it is for anonymous callers),
negated operators (true when absent), ``ForAllValues:`` (true when absent), ``Null``, wildcards
in the organization or account part of a value, and network keys (``aws:SourceIp``,
``aws:SourceVpc``, ``aws:SourceVpce``), which say where a request comes from, not who makes it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .policy_document import Condition, Statement
from .trust import Trust

IDENTITY_KEYS = ("aws:principalorgid", "aws:principalaccount", "aws:principalarn", "aws:principalorgpaths")
SOURCE_KEYS = ("aws:sourceaccount", "aws:sourceorgid", "aws:sourceorgpaths", "aws:sourcearn")
NETWORK_KEYS = ("aws:sourceip", "aws:sourcevpc", "aws:sourcevpce")
_EQUALS = ("StringEquals", "StringEqualsIgnoreCase")
_LIKE = ("StringLike",)
_ARN = ("ArnEquals", "ArnLike")


@dataclass(frozen=True)
class Verdict:
    """Whether a condition pins callers; ``why`` explains a condition on a relevant key that does not."""

    pins: bool
    why: str = ""


# What each pinning key compares, and what its values must all be. Identity keys describe the
# caller; source keys the resource an AWS service acts for (they restrict service principals only).
_ORG = ("organization", "trusted organization IDs")
_ACCOUNT = ("account", "trusted account IDs")
_ARN_ACCOUNT = ("arn", "ARNs whose account is a literal trusted account")
_ORG_PATH = ("path", "paths under a trusted organization or OU")
_PINS = {
    "aws:principalorgid": _ORG, "aws:principalaccount": _ACCOUNT, "aws:principalarn": _ARN_ACCOUNT,
    "aws:principalorgpaths": _ORG_PATH,
    "aws:sourceorgid": _ORG, "aws:sourceaccount": _ACCOUNT, "aws:sourcearn": _ARN_ACCOUNT,
    "aws:sourceorgpaths": _ORG_PATH,
}
_MULTIVALUED = ("aws:principalorgpaths", "aws:sourceorgpaths")


def identity_pin(condition: Condition, trust: Trust) -> Verdict:
    """Does this entry admit only callers whose identity is trusted?"""
    key = condition.key
    if condition.unresolved:
        return Verdict(False)  # an unknown value may name anyone (values are ORed)
    if key in NETWORK_KEYS:
        return Verdict(False, f"{condition.describe()} limits the network a request comes from, not who makes it")
    if key in SOURCE_KEYS:
        return Verdict(False, f"{condition.describe()} describes the resource a service acts for, not the caller: "
                              "it restricts service principals (and \"*\") only")
    return _pin(condition, trust) if key in IDENTITY_KEYS else Verdict(False)


def source_pin(condition: Condition, trust: Trust) -> Verdict:
    """For service principals (and ``*``, which includes them): does this entry tie the request to a
    trusted account's resource? A direct caller carries no source key, so a positive, non-IfExists
    operator on one is false for it."""
    if condition.unresolved:
        return Verdict(False)
    return _pin(condition, trust) if condition.key in SOURCE_KEYS else Verdict(False)


def could_pin(condition: Condition, trust: Trust, *, service: bool = False) -> bool:
    """Could this entry pin the statement once its unresolved values are known? (For an entry with
    unresolved values: its operator and key must be able to pin, and its literal values must all
    be trusted, since values are ORed.)"""
    if not condition.unresolved:
        return identity_pin(condition, trust).pins or (service and source_pin(condition, trust).pins)
    if condition.key not in IDENTITY_KEYS and not (service and condition.key in SOURCE_KEYS):
        return False
    literal = Condition(condition.operator, condition.key, condition.values)
    return not _shape_problem(literal, multivalued=condition.key in _MULTIVALUED) and (
        not condition.values or _pin(literal, trust).pins)


def _pin(condition: Condition, trust: Trust) -> Verdict:
    problem = _shape_problem(condition, multivalued=condition.key in _MULTIVALUED)
    if problem:
        return Verdict(False, problem)
    kind, what = _PINS[condition.key]
    if kind == "organization":
        return _all(condition, lambda v: _literal_in(v, condition, trust.organization_ids), what)
    if kind == "account":
        return _all(condition, lambda v: _literal_in(v, condition, trust.accounts), what)
    if kind == "arn":
        return _all(condition, lambda v: _arn_account_trusted(v, condition, trust), what)
    return _all(condition, lambda v: _org_path_trusted(v, trust), what)


# A Deny guard entry must be true for every caller outside the trusted set, anonymous callers
# included. Negated operators are true when the key is absent, so they are what make a guard.
# The values are the exceptions: each must admit only trusted callers.
_GUARD_EXACT = {"StringNotEquals": "StringEquals", "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
                "StringNotLike": "StringEquals"}  # StringNotLike: only without wildcards (checked below)
_GUARD_ARN = {"ArnNotEquals": "ArnEquals", "ArnNotLike": "ArnLike", "StringNotEquals": "StringEquals",
              "StringNotLike": "StringLike"}
_GUARD_PATH = {"StringNotEquals": "StringEquals", "StringNotLike": "StringLike"}


def deny_guard_condition(condition: Condition, trust: Trust) -> bool:
    """A Deny entry that is true for every caller outside the trusted set (true when the key is
    absent too, so anonymous callers are denied):

    - ``StringNotEquals``/``StringNotEqualsIgnoreCase`` (or ``StringNotLike`` with no wildcard, the
      same test) on ``aws:PrincipalOrgID`` / ``aws:PrincipalAccount`` with trusted values;
    - ``ArnNotLike``/``ArnNotEquals`` (or the string forms) on ``aws:PrincipalArn`` whose values all
      have a literal trusted account;
    - ``ForAllValues:StringNotLike``/``ForAllValues:StringNotEquals`` on ``aws:PrincipalOrgPaths``
      with paths under a trusted organization or OU (true when the key is absent or when none of the
      caller's paths is trusted: AWS's documented form).

    ``...IfExists`` does not change a negated operator for an absent key (true either way)."""
    if condition.unresolved:
        return False
    key, base, qualifier = condition.key, condition.base, condition.qualifier
    if key in ("aws:principalorgid", "aws:principalaccount") and not qualifier and base in _GUARD_EXACT:
        if base == "StringNotLike" and any(c in v for v in condition.values for c in "*?"):
            return False  # a wildcard exempts organizations or accounts outside the set
        positive = Condition(_GUARD_EXACT[base], key, condition.values)
        trusted = trust.organization_ids if key == "aws:principalorgid" else trust.accounts
        return all(_literal_in(v, positive, trusted) for v in condition.values)
    if key == "aws:principalarn" and not qualifier and base in _GUARD_ARN:
        positive = Condition(_GUARD_ARN[base], key, condition.values)
        return all(_arn_account_trusted(v, positive, trust) for v in condition.values)
    if key == "aws:principalorgpaths" and qualifier == "ForAllValues" and base in _GUARD_PATH:
        return all(_org_path_trusted(v, trust) for v in condition.values)
    return False


def pinned(statement: Statement, trust: Trust, *, service: bool = False) -> tuple[bool, list[str]]:
    """Whether any entry pins the statement's callers, and why the relevant ones did not."""
    reasons: list[str] = []
    for condition in statement.conditions:
        if condition.unresolved:
            continue  # not known: it cannot be relied on to pin
        verdict = identity_pin(condition, trust)
        if not verdict.pins and service:
            verdict = source_pin(condition, trust) if condition.key in SOURCE_KEYS else verdict
        if verdict.pins:
            return True, []
        if verdict.why:
            reasons.append(verdict.why)
    return False, reasons


def _shape_problem(condition: Condition, *, multivalued: bool) -> str:
    name = condition.describe()
    if condition.if_exists:
        return f"{name} is true when the key is absent (anonymous callers have none)"
    if condition.base == "Null":
        return f"{name} only tests whether the key is present"
    if condition.negated:
        return f"{name} is a negated operator: it admits every value but the listed ones, and callers without the key"
    if condition.qualifier == "ForAllValues":
        return f"{name} uses ForAllValues, which is true when the key is absent (anonymous callers)"
    if multivalued and condition.qualifier != "ForAnyValue":
        return f"{name}: a multivalued key needs ForAnyValue to pin callers"
    if condition.base not in _EQUALS + _LIKE + _ARN:
        return f"{name} does not compare the caller's identity with trusted values"
    return ""


def _all(condition: Condition, trusted, what: str) -> Verdict:
    bad = [v for v in condition.values if not trusted(v)]
    if not bad:
        return Verdict(True)
    return Verdict(False, f"{condition.describe()} admits {', '.join(repr(b) for b in bad[:3])}, not only {what}")


def _literal_in(value: str, condition: Condition, trusted: frozenset[str]) -> bool:
    if "*" in value or "?" in value:
        return False  # a wildcard matches organizations or accounts outside the set
    if condition.base == "StringEqualsIgnoreCase":
        return value.lower() in {t.lower() for t in trusted}
    return value in trusted


def _arn_account_trusted(value: str, condition: Condition, trust: Trust) -> bool:
    parts = value.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return False
    if condition.base == "StringLike" and _wildcard_can_reach_account(parts):
        # StringLike matches the whole string: a "*" before the account field can span colons
        # (IAM paths and many resource IDs may hold ":"), so the account field is not pinned.
        # ArnLike matches the six fields one by one and is safe.
        return False
    return trust.trusts_account(parts[4], parts[1])  # a literal account: no wildcard can be "in"


def _wildcard_can_reach_account(parts: list[str]) -> bool:
    """Can a StringLike wildcard before the account field match text past it? ``*`` can stretch
    over ":<foreign account>:..." and ``?`` can stand for a ":" (an ARN's Region and account may be
    empty), so any wildcard there can."""
    return any(c in ":".join(parts[:4]) for c in "*?")


def _org_path_trusted(value: str, trust: Trust) -> bool:
    for prefix in {f"{org}/" for org in trust.organization_ids} | set(trust.ou_paths):
        if value.startswith(prefix):
            return True  # wildcards may follow the trusted prefix, never precede it
    return False
