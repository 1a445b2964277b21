"""Which conditions pin every caller of a statement into the trusted set.

Condition entries are ANDed (across operators and keys), values of one key are ORed. So one
entry that admits only trusted callers is enough to pin a statement, and it must admit only
trusted callers for *every* value. Key names are case-insensitive, values case-sensitive.

Never pinning: ``...IfExists`` (true when the key is absent, as it is for anonymous callers),
negated operators (true when absent), ``ForAllValues:`` (true when absent), ``Null``, wildcards
in the organization or account part of a value, and network keys (``aws:SourceIp``,
``aws:SourceVpc``, ``aws:SourceVpce``), which say where a request comes from, not who makes it.

What each key describes and compares is one row of :data:`KEYS`; the functions below read the row.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from .policy_document import Condition, Statement
from .trust import Trust

CALLER, SOURCE, NETWORK = "caller", "source", "network"
ORGANIZATION, ACCOUNT, ARN, PATH = "organization", "account", "arn", "path"


class ConditionKey(NamedTuple):
    """What one global condition key says about a request, for the perimeter.

    ``describes``: ``caller`` (the identity making the request), ``source`` (the resource an AWS
    service acts for: it restricts service principals, and ``*`` which includes them, only) or
    ``network`` (where the request comes from: never who makes it). ``compares``: what its values
    are (organization IDs, account IDs, ARNs, organization paths; ``""`` for network keys).
    ``multivalued``: the request holds a set of values (ForAnyValue pins, ForAllValues guards).
    ``guard``: a negated operator on it with trusted values makes a Deny guard."""

    name: str  # lower case: condition keys are case-insensitive
    describes: str
    compares: str = ""
    multivalued: bool = False
    guard: bool = False

    @property
    def pins(self) -> bool:
        """Can a positive operator on this key pin callers (caller keys) or services (source keys)?"""
        return self.describes in (CALLER, SOURCE)


# One row per key the perimeter reads (CONTRIBUTING.md, "Adding a condition key"); any other key
# neither pins nor guards.
KEYS: dict[str, ConditionKey] = {key.name: key for key in (
    ConditionKey("aws:principalorgid", CALLER, ORGANIZATION, guard=True),
    ConditionKey("aws:principalaccount", CALLER, ACCOUNT, guard=True),
    ConditionKey("aws:principalarn", CALLER, ARN, guard=True),
    ConditionKey("aws:principalorgpaths", CALLER, PATH, multivalued=True, guard=True),
    ConditionKey("aws:sourceorgid", SOURCE, ORGANIZATION),
    ConditionKey("aws:sourceaccount", SOURCE, ACCOUNT),
    ConditionKey("aws:sourcearn", SOURCE, ARN),
    ConditionKey("aws:sourceorgpaths", SOURCE, PATH, multivalued=True),
    ConditionKey("aws:sourceip", NETWORK),
    ConditionKey("aws:sourcevpc", NETWORK),
    ConditionKey("aws:sourcevpce", NETWORK),
)}

# What the values of a pinning key must all be, by what it compares.
_TRUSTED_VALUES = {
    ORGANIZATION: "trusted organization IDs",
    ACCOUNT: "trusted account IDs",
    ARN: "ARNs whose account is a literal trusted account",
    PATH: "paths under a trusted organization or OU",
}
_EQUALS = ("StringEquals", "StringEqualsIgnoreCase")
_LIKE = ("StringLike",)
_ARN = ("ArnEquals", "ArnLike")


def describes(key: str) -> str:
    """``caller``, ``source``, ``network`` or ``""`` (a key the perimeter does not read)."""
    row = KEYS.get(key)
    return row.describes if row else ""


class Verdict(NamedTuple):
    """Whether a condition pins callers; ``why`` explains a condition on a relevant key that does not."""

    pins: bool
    why: str = ""


def identity_pin(condition: Condition, trust: Trust) -> Verdict:
    """Does this entry admit only callers whose identity is trusted?"""
    if condition.unresolved:
        return Verdict(False)  # an unknown value may name anyone (values are ORed)
    row = KEYS.get(condition.key)
    if row is None:
        return Verdict(False)
    if row.describes == NETWORK:
        return Verdict(False, f"{condition.describe()} limits the network a request comes from, not who makes it")
    if row.describes == SOURCE:
        return Verdict(False, f"{condition.describe()} describes the resource a service acts for, not the caller: "
                              "it restricts service principals (and \"*\") only")
    return _pin(condition, row, trust)


def source_pin(condition: Condition, trust: Trust) -> Verdict:
    """For service principals (and ``*``, which includes them): does this entry tie the request to a
    trusted account's resource? A direct caller carries no source key, so a positive, non-IfExists
    operator on one is false for it."""
    if condition.unresolved:
        return Verdict(False)
    row = KEYS.get(condition.key)
    return _pin(condition, row, trust) if row is not None and row.describes == SOURCE else Verdict(False)


def could_pin(condition: Condition, trust: Trust, *, service: bool = False) -> bool:
    """Could this entry pin the statement once its unresolved values are known? (For an entry with
    unresolved values: its operator and key must be able to pin, and its literal values must all
    be trusted, since values are ORed.)"""
    if not condition.unresolved:
        return identity_pin(condition, trust).pins or (service and source_pin(condition, trust).pins)
    row = KEYS.get(condition.key)
    if row is None or not (row.describes == CALLER or (service and row.describes == SOURCE)):
        return False
    literal = Condition(condition.operator, condition.key, condition.values)
    return not _shape_problem(literal, multivalued=row.multivalued) and (
        not condition.values or _pin(literal, row, trust).pins)


def _pin(condition: Condition, row: ConditionKey, trust: Trust) -> Verdict:
    problem = _shape_problem(condition, multivalued=row.multivalued)
    if problem:
        return Verdict(False, problem)
    return _all(condition, lambda v: _value_trusted(row.compares, v, condition, trust), _TRUSTED_VALUES[row.compares])


def _value_trusted(compares: str, value: str, condition: Condition, trust: Trust) -> bool:
    """Does this value of a (positive) entry admit only trusted callers? By what the key compares."""
    if compares == ORGANIZATION:
        return _literal_in(value, condition, trust.organization_ids, trust.folded_organization_ids)
    if compares == ACCOUNT:
        return _literal_in(value, condition, trust.accounts, trust.folded_accounts)
    if compares == ARN:
        return _arn_account_trusted(value, condition, trust)
    return _org_path_trusted(value, trust)


# A Deny guard entry must be true for every caller outside the trusted set, anonymous callers
# included. Negated operators are true when the key is absent, so they are what make a guard.
# The values are the exceptions: each must admit only trusted callers. For each negated operator,
# the positive one its values are read with, by what the key compares.
_GUARD_EXACT = {"StringNotEquals": "StringEquals", "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
                "StringNotLike": "StringEquals"}  # StringNotLike: only without wildcards (checked below)
_GUARD_ARN = {"ArnNotEquals": "ArnEquals", "ArnNotLike": "ArnLike", "StringNotEquals": "StringEquals",
              "StringNotLike": "StringLike"}
_GUARD_PATH = {"StringNotEquals": "StringEquals", "StringNotLike": "StringLike"}
_GUARD_OPERATORS = {ORGANIZATION: _GUARD_EXACT, ACCOUNT: _GUARD_EXACT, ARN: _GUARD_ARN, PATH: _GUARD_PATH}


def deny_guard_condition(condition: Condition, trust: Trust) -> bool:
    """A Deny entry that is true for every caller outside the trusted set (true when the key is
    absent too, so anonymous callers are denied), on a key whose row says ``guard``:

    - ``StringNotEquals``/``StringNotEqualsIgnoreCase`` (or ``StringNotLike`` with no wildcard, the
      same test) on ``aws:PrincipalOrgID`` / ``aws:PrincipalAccount`` with trusted values;
    - ``ArnNotLike``/``ArnNotEquals`` (or the string forms) on ``aws:PrincipalArn`` whose values all
      have a literal trusted account;
    - ``ForAllValues:StringNotLike``/``ForAllValues:StringNotEquals`` on ``aws:PrincipalOrgPaths``
      (a multivalued key) with paths under a trusted organization or OU (true when the key is absent
      or when none of the caller's paths is trusted: AWS's documented form).

    ``...IfExists`` does not change a negated operator for an absent key (true either way)."""
    if condition.unresolved:
        return False
    row = KEYS.get(condition.key)
    if row is None or not row.guard:
        return False
    base, operators = condition.base, _GUARD_OPERATORS[row.compares]
    # a single-valued key takes no set qualifier; a multivalued one needs ForAllValues
    if condition.qualifier != ("ForAllValues" if row.multivalued else "") or base not in operators:
        return False
    if row.compares in (ORGANIZATION, ACCOUNT) and base == "StringNotLike" and any(
            c in v for v in condition.values for c in "*?"):
        return False  # a wildcard exempts organizations or accounts outside the set
    positive = Condition(operators[base], condition.key, condition.values)
    return all(_value_trusted(row.compares, v, positive, trust) for v in condition.values)


def pinned(statement: Statement, trust: Trust, *, service: bool = False) -> tuple[bool, list[str]]:
    """Whether any entry pins the statement's callers, and why the relevant ones did not."""
    reasons: list[str] = []
    for condition in statement.conditions:
        if condition.unresolved:
            continue  # not known: it cannot be relied on to pin
        verdict = identity_pin(condition, trust)
        if not verdict.pins and service:
            verdict = source_pin(condition, trust) if describes(condition.key) == SOURCE else verdict
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


def _all(condition: Condition, trusted: Callable[[str], bool], what: str) -> Verdict:
    bad = [v for v in condition.values if not trusted(v)]
    if not bad:
        return Verdict(True)
    return Verdict(False, f"{condition.describe()} admits {', '.join(repr(b) for b in bad[:3])}, not only {what}")


def _literal_in(value: str, condition: Condition, trusted: frozenset[str], folded: frozenset[str]) -> bool:
    if "*" in value or "?" in value:
        return False  # a wildcard matches organizations or accounts outside the set
    if condition.base == "StringEqualsIgnoreCase":
        return value.lower() in folded  # the trusted set lower-cased once (Trust), not per value
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
    return trust.trusts_org_path_prefix(value)  # wildcards may follow the trusted prefix, never precede it
