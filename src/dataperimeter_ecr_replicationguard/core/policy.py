"""One ECR resource policy against the trusted set.

Every statement is read. A Deny grants nothing. An Allow is compliant only if every principal
it can match is trusted, or the statement carries a condition that pins every caller into the
trusted set, or a Deny guard in the same policy stops every caller outside it (the org guard of
the data-perimeter policies: Principal ``*``, the same actions, only ``StringNotEquals`` on
``aws:PrincipalOrgID``/``aws:PrincipalAccount`` with trusted values). ``NotPrincipal`` in an
Allow grants everyone but the listed principals: never compliant.
"""

from __future__ import annotations

import re
from typing import Iterable

from .conditions import deny_guard_condition, pinned
from .findings import Category, Finding, Severity, pointer
from .policy_document import MALFORMED, Statement, parse_policy, pointer_join
from .principals import Principal, principals
from .trust import Trust

PUBLIC_PRINCIPAL = "ECR-POLICY-PUBLIC-PRINCIPAL"
UNTRUSTED_ACCOUNT = "ECR-POLICY-UNTRUSTED-ACCOUNT"
UNTRUSTED_PRINCIPAL = "ECR-POLICY-UNTRUSTED-PRINCIPAL"
NOTPRINCIPAL_ALLOW = "ECR-POLICY-NOTPRINCIPAL-ALLOW"
UNSCOPED_SERVICE = "ECR-POLICY-UNSCOPED-SERVICE"
INVALID_PRINCIPAL = "ECR-POLICY-INVALID-PRINCIPAL"
UNRESOLVED_PRINCIPAL = "ECR-POLICY-UNRESOLVED"


def check_policy(value: object, trust: Trust, path: str, *, ignore_actions: frozenset[str] = frozenset()) -> list[Finding]:
    """Findings for the policy at ``path``. ``ignore_actions``: actions that grant nothing new
    (pulls from an ECR Public repository, which is public by design); an Allow whose actions
    are all among them is not a grant."""
    policy, findings = parse_policy(value, path)
    if policy is None:
        return findings
    guards = [s for s in policy.statements if s.effect == "Deny" and _is_guard(s, trust)]
    for statement in policy.statements:
        if statement.effect != "Allow" or _only(statement, ignore_actions):
            continue
        findings.extend(_check_allow(statement, trust, guards))
    return findings


def _check_allow(statement: Statement, trust: Trust, guards: list[Statement]) -> Iterable[Finding]:
    label = statement.label
    if statement.not_principal is not None:
        yield _finding(NOTPRINCIPAL_ALLOW, Severity.CRITICAL, pointer_join(statement.path, "NotPrincipal"),
                       "NotPrincipal",
                       f"{label} allows NotPrincipal: everyone except the listed principals, anonymous callers included",
                       "Use Principal with the trusted accounts, or Principal \"*\" with a StringEquals "
                       "aws:PrincipalOrgID condition on your organization")
        return
    where = pointer_join(statement.path, "Principal")
    guarded = any(_covers(guard, statement) for guard in guards)
    for principal in principals(statement.principal, trust.partition):
        if principal.kind == "invalid":
            yield Finding(INVALID_PRINCIPAL, Severity.HIGH, Category.INVALID, where, principal.text,
                          f"{label}: principal {principal.text!r} is not a principal IAM accepts, so the grant cannot be checked",
                          "Name principals as \"*\", a 12-digit account ID, an IAM ARN with a literal account, "
                          "or a service principal")
            continue
        if principal.kind == "unresolved":
            yield Finding(UNRESOLVED_PRINCIPAL, Severity.HIGH, Category.UNRESOLVED, where, principal.text[:60],
                          f"{label}: principal {principal.text[:60]} is not resolved, so the grant cannot be checked",
                          "Give the principal a literal value")
            continue
        if principal.trusted(trust) or guarded:
            continue
        service = principal.kind == "service"
        pins, reasons = pinned(statement, trust, service=service)
        if pins:
            continue
        yield _violation(statement, principal, where, reasons, trust)


def _violation(statement: Statement, principal: Principal, where: str, reasons: list[str], trust: Trust) -> Finding:
    label = statement.label
    because = f"; {reasons[0]}" if reasons else ""
    if principal.kind == "*":
        return _finding(PUBLIC_PRINCIPAL, Severity.CRITICAL, where, "*",
                        f"{label} allows {_actions(statement)} to every principal, anonymous callers included, "
                        f"and no condition limits the callers to the trusted set{because}",
                        "Add a StringEquals condition on aws:PrincipalOrgID with your organization ID "
                        "(or aws:PrincipalAccount with trusted accounts), or name the trusted accounts as principals")
    if principal.kind == "account":
        other_partition = principal.partition != trust.partition
        where_from = f"partition {principal.partition}, not {trust.partition}" if other_partition else "the trusted set"
        return _finding(UNTRUSTED_ACCOUNT, Severity.HIGH, where, principal.account,
                        f"{label} allows {_actions(statement)} to every identity of account {principal.account} "
                        f"({principal.text}), which is outside {where_from}{because}",
                        f"Remove {principal.account}, or trust it (TrustedAccountIds or its organization) if it is yours")
    if principal.kind == "service":
        return _finding(UNSCOPED_SERVICE, Severity.MEDIUM, where, principal.text,
                        f"{label} allows {_actions(statement)} to the service {principal.text} on behalf of any "
                        f"account: any customer of {principal.text} could use it{because}",
                        "Scope it with a StringEquals aws:SourceAccount condition (or ArnLike aws:SourceArn, e.g. "
                        "arn:aws:lambda:<region>:<your account>:function:*) naming trusted accounts, or list the "
                        "service in TrustedServicePrincipals")
    kinds = {"federated": "federated identity provider", "canonical": "canonical user (an S3 concept)",
             "unique-id": "principal ID that maps to no account the hook can check"}
    return _finding(UNTRUSTED_PRINCIPAL, Severity.HIGH, where, principal.text,
                    f"{label} allows {_actions(statement)} to the {kinds.get(principal.kind, principal.kind)} "
                    f"{principal.text!r}, which is not a trusted identity{because}",
                    "Grant to trusted accounts or roles instead")


def _is_guard(deny: Statement, trust: Trust) -> bool:
    """Principal * and conditions that are only negated pins on trusted values."""
    return (
        deny.principal in ("*", {"AWS": "*"})
        and deny.actions is not None
        and deny.not_resources is None  # NotResource denies everything except some resources
        and bool(deny.conditions)
        and all(deny_guard_condition(c, trust) for c in deny.conditions)
    )


def _covers(guard: Statement, allow: Statement) -> bool:
    """The guard denies at least the allowed actions on at least the allowed resources."""
    patterns = [a.lower() for a in guard.actions or ()]
    if allow.actions is None:  # NotAction: only a guard on every ECR action covers it
        actions_covered = any(p in ("*", "ecr:*", "ecr-public:*") for p in patterns)
    else:
        actions_covered = all(any(_wildcard_covers(p, a.lower()) for p in patterns) for a in allow.actions)
    if not actions_covered:
        return False
    if guard.resources is None or "*" in guard.resources:
        return True
    if allow.resources is None:
        return False
    return all(any(_wildcard_covers(g, r) for g in guard.resources) for r in allow.resources)


def _wildcard_covers(pattern: str, value: str) -> bool:
    """Does the IAM wildcard ``pattern`` match everything the (possibly wildcarded) ``value``
    matches? IAM knows only ``*`` and ``?`` (no ``[...]`` classes). A ``?`` of the pattern stands
    for one character, so it cannot stand for a ``*`` of the value; a ``*`` can stand for anything."""
    regex = "".join(".*" if c == "*" else "[^*]" if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.DOTALL) is not None


def _only(statement: Statement, actions: frozenset[str]) -> bool:
    return bool(actions) and statement.actions is not None and all(
        "*" not in a and a.lower() in actions for a in statement.actions)


def _actions(statement: Statement) -> str:
    if statement.actions is None:
        return "every action but " + ", ".join(statement.not_actions or ())[:80]
    text = ", ".join(statement.actions)
    return text if len(text) <= 80 else text[:77] + "..."


def _finding(rule: str, severity: Severity, path: str, subject: str, message: str, remediation: str) -> Finding:
    return Finding(rule_id=rule, severity=severity, category=Category.VIOLATION, path=path, subject=subject,
                   message=message, remediation=remediation)


def check_policy_property(
    properties: object, trust: Trust, name: str, *, required: bool = False,
    ignore_actions: frozenset[str] = frozenset(),
) -> list[Finding]:
    """The policy held in one property of a resource (the shared body of the policy checkers)."""
    if not isinstance(properties, dict):
        return [Finding(MALFORMED, Severity.HIGH, Category.INVALID, "", "properties",
                        "the resource properties must be an object", "Fix the resource's Properties")]
    if properties.get(name) is None:
        if not required:
            return []
        return [Finding(MALFORMED, Severity.HIGH, Category.INVALID, pointer(name), name,
                        f"{name} is required and missing", f"Set {name} to the policy")]
    return check_policy(properties[name], trust, pointer(name), ignore_actions=ignore_actions)
