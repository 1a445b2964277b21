"""One ECR resource policy against the trusted set.

Every statement is read. A Deny grants nothing. An Allow is compliant only if every principal
it can match is trusted, or the statement carries a condition that pins every caller into the
trusted set, or Deny guards in the same policy stop every caller outside it on every action the
Allow grants (see :func:`_guard_state` for the guard spellings). ``NotPrincipal`` in an Allow
grants everyone but the listed principals: never compliant.

Namespaces: a private repository, the registry policy and a repository creation template are
evaluated by ECR for ``ecr:`` actions; a public repository for ``ecr-public:`` actions. A guard
covers only the part of its action list in that namespace, and an Allow's ``NotAction`` or ``*``
means every action of that namespace but the listed ones.

Unresolved values (intrinsic functions, dynamic references) are read both ways: a statement is
compliant when it is whatever they turn out to be, a violation when it is whatever they turn out
to be, and reported as unresolved only when they could change that verdict.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .conditions import SOURCE, could_pin, deny_guard_condition, describes, pinned
from .findings import Finding, pointer
from .plain import Plain
from .policy_document import Condition, Statement, parse_policy, pointer_join
from .principals import Principal
from .rules import (
    POLICY_INVALID_PRINCIPAL,
    POLICY_MALFORMED,
    POLICY_NOTPRINCIPAL_ALLOW,
    POLICY_PUBLIC_PRINCIPAL,
    POLICY_UNRESOLVED,
    POLICY_UNSCOPED_SERVICE,
    POLICY_UNTRUSTED_ACCOUNT,
    POLICY_UNTRUSTED_PRINCIPAL,
)
from .trust import Trust
from .values import data

PRIVATE, PUBLIC = "ecr", "ecr-public"


class _View(Plain):
    """What the Allow statements are judged against: the trust, the namespace the resource's
    service evaluates, and the Deny guards (decided ones, and ones unresolved values may make)."""

    __slots__ = _fields = ("trust", "namespace", "ignore_actions", "guards", "maybe_guards")
    trust: Trust
    namespace: str
    ignore_actions: frozenset[str]
    guards: list[Statement]
    maybe_guards: list[Statement]

    def __init__(self, trust: Trust, namespace: str, ignore_actions: frozenset[str],
                 guards: list[Statement] | None = None, maybe_guards: list[Statement] | None = None) -> None:
        self.trust = trust
        self.namespace = namespace
        self.ignore_actions = ignore_actions
        self.guards = [] if guards is None else guards
        self.maybe_guards = [] if maybe_guards is None else maybe_guards

    def guard_set(self, optimistic: bool) -> list[Statement]:
        return self.guards + self.maybe_guards if optimistic else self.guards


def check_policy(value: object, trust: Trust, path: str, *, ignore_actions: frozenset[str] = frozenset(),
                 namespace: str = PRIVATE) -> list[Finding]:
    """Findings for the policy at ``path``. ``ignore_actions``: actions that grant nothing new
    (pulls from an ECR Public repository, which is public by design); an Allow whose actions
    are all among them is not a grant. ``namespace``: ``ecr`` or ``ecr-public``."""
    policy, findings = parse_policy(value, path)
    if policy is None:
        return findings
    view = _View(trust, namespace, ignore_actions)
    for statement in policy.statements:
        state = _guard_state(statement, trust)
        if state == "yes":
            view.guards.append(statement)
        elif state == "maybe":
            view.maybe_guards.append(statement)
    for statement in policy.statements:
        if statement.effect == "Deny":
            continue
        findings.extend(_check_allow(statement, view))
    return findings


# --- one Allow statement (or a statement that may be one) ----------------------------------------

def _check_allow(statement: Statement, view: _View) -> Iterable[Finding]:
    trust = view.trust  # statement.label is built only for a finding
    if "Statement" in statement.unresolved:
        yield _unresolved(statement, [statement.path], "the statement may grant anything")
        return
    effect_known = "Effect" not in statement.unresolved
    if statement.not_principal is not None:
        if effect_known:
            yield POLICY_NOTPRINCIPAL_ALLOW.finding(
                path=pointer_join(statement.path, "NotPrincipal"), subject="NotPrincipal",
                message=f"{statement.label} allows NotPrincipal: everyone except the listed principals, anonymous callers "
                        "included",
                remediation="Use Principal with the trusted accounts, or Principal \"*\" with a StringEquals "
                            "aws:PrincipalOrgID condition on your organization")
        else:
            yield _unresolved(statement, [pointer_join(statement.path, "Effect")],
                              "as an Allow its NotPrincipal would grant everyone but the listed principals")
        return
    if _only(statement, view.ignore_actions, optimistic=False):
        return
    guarded = _guarded(statement, view, optimistic=False)
    may_be_guarded = guarded or _guarded(statement, view, optimistic=True)
    undecided: list[str] = []
    violations: dict[tuple[str, ...], tuple[list[Principal], list[str]]] = {}
    for principal in statement.principal or ():
        if principal.kind == "invalid":
            yield POLICY_INVALID_PRINCIPAL.finding(
                path=pointer_join(statement.path, "Principal"), subject=data(principal.text, 120),
                message=f"{statement.label}: principal {data(principal.text, 120)!r} is not a principal IAM accepts, so the "
                        "grant cannot be checked",
                remediation="Name principals as \"*\", a 12-digit account ID, an IAM ARN with a literal account, "
                            "or a service principal")
            continue
        if principal.trusted(trust) or guarded:
            continue
        if principal.kind == "unresolved":
            if not pinned(statement, trust)[0]:
                undecided.append(data(principal.text, 80))
            continue
        source_keys = principal.kind in ("service", "*")  # a direct caller carries no source key
        pins, reasons = pinned(statement, trust, service=source_keys)
        if pins:
            continue
        if (may_be_guarded or not effect_known or _could_pin(statement, trust, source_keys)
                or _only(statement, view.ignore_actions, optimistic=True)):
            undecided.append(data(principal.text, 80))
            continue
        # one finding per account, however many of its principals the statement names
        key = ("account", principal.account, principal.in_partition(trust)) if principal.kind == "account" else (
            principal.kind, principal.text)
        violations.setdefault(key, ([], reasons))[0].append(principal)
    for group, reasons in violations.values():
        yield _violation(statement, group, pointer_join(statement.path, "Principal"), reasons, trust)
    if undecided:
        yield _unresolved(statement, _places(statement, view), f"the grant to {', '.join(undecided[:3])}"
                          + (f" and {len(undecided) - 3} more" if len(undecided) > 3 else "")
                          + " may reach callers outside the trusted set")


def _could_pin(statement: Statement, trust: Trust, service: bool) -> bool:
    """Could unresolved condition values pin the statement once they are known?"""
    return "Condition block" in statement.unresolved or any(
        could_pin(c, trust, service=service) for c in statement.conditions if c.unresolved)


def _places(statement: Statement, view: _View) -> list[str]:
    """Where the unresolved values that could change the verdict are."""
    places = [pointer_join(statement.path, name) for name in ("Effect", "Principal", "Action", "NotAction",
                                                               "Resource", "Condition")
              if name in statement.unresolved or (name == "Principal" and _principal_unresolved(statement))]
    places += [g.path for g in view.maybe_guards]
    places += [g.path for g in view.guards if g.unresolved]
    return places or [statement.path]


def _principal_unresolved(statement: Statement) -> bool:
    return any(p.kind == "unresolved" for p in statement.principal or ())


# --- Deny guards -----------------------------------------------------------------------------------

def _guard_state(deny: Statement, trust: Trust) -> str:
    """``yes``: a Deny that stops every caller outside the trusted set (on its actions and
    resources); ``maybe``: one that unresolved values may make a guard; ``no``.

    Who it denies, spelt either way:
    - ``Principal`` ``*`` (or ``{"AWS": "*"}``, ``{"AWS": ["*"]}``) with conditions that are all
      guard entries (:func:`deny_guard_condition`), true for every outsider;
    - ``NotPrincipal`` listing only trusted principals: it denies everyone else, anonymous callers
      included (a Deny with NotPrincipal exempts at most the listed principals), with no condition
      or only guard entries.
    ``NotResource`` (denies everything but some resources) is no guard."""
    if "Statement" in deny.unresolved:
        return "maybe"
    if deny.effect == "Allow" or deny.not_resources is not None or "NotResource" in deny.unresolved:
        return "no"
    maybe = "Effect" in deny.unresolved
    if deny.not_principal is not None:
        listed = deny.not_principal
        if any(p.kind != "unresolved" and not p.trusted(trust) for p in listed):
            return "no"
        maybe = maybe or any(p.kind == "unresolved" for p in listed)
        needs_condition = False
    else:
        listed = deny.principal or ()
        if not any(p.kind == "*" for p in listed):
            if not any(p.kind == "unresolved" for p in listed):
                return "no"
            maybe = True
        needs_condition = True
    for condition in deny.conditions:
        if condition.unresolved:
            if not _could_be_guard_condition(condition, trust):
                return "no"
            maybe = True
        elif not deny_guard_condition(condition, trust):
            return "no"
    if "Condition" in deny.unresolved:
        maybe = True
    elif needs_condition and not deny.conditions:
        return "no"  # denies everyone: the Allow grants nothing, but it is no guard to rely on
    return "maybe" if maybe else "yes"


def _could_be_guard_condition(condition: Condition, trust: Trust) -> bool:
    return deny_guard_condition(Condition(condition.operator, condition.key, condition.values), trust)


def _guarded(allow: Statement, view: _View, *, optimistic: bool) -> bool:
    """Do the guards deny every outsider every action the Allow grants in the namespace, on its
    resources? ``optimistic``: could they, once unresolved values are known?"""
    guards = view.guard_set(optimistic)
    if not guards:
        return False
    ns = view.namespace
    if allow.actions is None:  # NotAction: every action of the namespace but the listed ones
        if optimistic and "NotAction" in allow.unresolved:
            return True
        return any(_covers_all_but(g, allow.not_actions or (), ns, optimistic)
                   and _covers_resources(g, allow, optimistic) for g in guards)
    items = [r for r in (_restrict(a, ns) for a in allow.actions) if r is not None]
    if "Action" in allow.unresolved and not optimistic:
        items.append(ns + ":*")  # an unknown action may be any
    return all(any(_covers_action(g, item, ns, optimistic) and _covers_resources(g, allow, optimistic)
                   for g in guards) for item in items)


def _covers_action(guard: Statement, action: str, ns: str, optimistic: bool) -> bool:
    """Does the guard deny every action the pattern ``action`` (inside ``ns``) matches?"""
    if "Statement" in guard.unresolved:
        return optimistic
    if guard.actions is not None:
        if optimistic and "Action" in guard.unresolved:
            return True
        return any(_wildcard_covers(p.lower(), action) for p in guard.actions)
    if "NotAction" in guard.unresolved:
        return optimistic  # its exceptions are not known
    return not any(_overlap(q.lower(), action) for q in guard.not_actions or ())


def _covers_all_but(guard: Statement, excepted: tuple[str, ...], ns: str, optimistic: bool) -> bool:
    """Does the guard deny every action of ``ns`` except (at most) those matching ``excepted``?"""
    if "Statement" in guard.unresolved:
        return optimistic
    if guard.actions is not None:
        if optimistic and "Action" in guard.unresolved:
            return True
        return any(_wildcard_covers(p.lower(), ns + ":*") for p in guard.actions)
    if "NotAction" in guard.unresolved:
        return optimistic
    for exception in guard.not_actions or ():
        part = _restrict(exception, ns)
        if part is not None and not any(_wildcard_covers(e.lower(), part) for e in excepted):
            return False  # the guard lets an outsider do something the Allow grants
    return True


def _covers_resources(guard: Statement, allow: Statement, optimistic: bool) -> bool:
    if "Statement" in guard.unresolved or "Resource" in guard.unresolved:
        if optimistic:
            return True
    if guard.resources is None and "Resource" not in guard.unresolved:
        return True  # Resource absent: the resource the policy is attached to
    if guard.resources is not None and "*" in guard.resources:
        return True
    if optimistic and ("Resource" in allow.unresolved or allow.approximate_resources):
        return True
    if allow.resources is None or "Resource" in allow.unresolved or not guard.resources:
        return False
    return all(any(_wildcard_covers(g, r) for g in guard.resources) for r in allow.resources)


def _restrict(pattern: str, ns: str) -> str | None:
    """The part of an action pattern inside namespace ``ns``, as a pattern matching at least that
    part (``*`` becomes ``ns:*``); ``None`` when the pattern names no action of ``ns``."""
    text = pattern.lower()
    if not _overlap(text, ns + ":*"):
        return None
    prefix, colon, _ = text.partition(":")
    if colon and "*" not in prefix and "?" not in prefix:
        return text  # a literal service prefix that overlaps ns: is ns
    return ns + ":*"  # a wildcard in the service prefix: every action of ns, to be safe


def _overlap(a: str, b: str) -> bool:
    """Is there an action both IAM wildcards ``a`` and ``b`` match? Linear: with a ``*`` in both,
    they share a string exactly when their literal heads (before the first ``*``) and tails (after
    the last ``*``) agree, since the pieces between can be laid out one after the other; with a
    ``*`` in one only, it must match the other's fixed-length shape."""
    star_a, star_b = "*" in a, "*" in b
    if star_a and star_b:
        head_a, tail_a = a[: a.index("*")], a[a.rindex("*") + 1:]
        head_b, tail_b = b[: b.index("*")], b[b.rindex("*") + 1:]
        return _agree(head_a, head_b) and _agree(tail_a[::-1], tail_b[::-1])
    if not star_a and not star_b:
        return len(a) == len(b) and _agree(a, b)
    pattern, shape = (a, b) if star_a else (b, a)
    return _glob(pattern, shape, lambda p, t: p == "?" or t == "?" or p == t)


def _agree(a: str, b: str) -> bool:
    """Do two star-free pieces agree on their common length (``?`` agrees with anything)?"""
    return all(x == y or "?" in (x, y) for x, y in zip(a, b, strict=False))


def _wildcard_covers(pattern: str, value: str) -> bool:
    """Does the IAM wildcard ``pattern`` match everything the (possibly wildcarded) ``value``
    matches? IAM knows only ``*`` and ``?`` (no ``[...]`` classes). A ``?`` of the pattern stands
    for one character, so it cannot stand for a ``*`` of the value; a ``*`` can stand for anything."""
    return _glob(pattern, value, lambda p, t: p == t or (p == "?" and t != "*"))


def _glob(pattern: str, text: str, same: Callable[[str, str], bool]) -> bool:
    """Glob matching with ``*`` in ``pattern`` (the last-star backtracking algorithm: O(len x len)
    at worst, never exponential as a backtracking regex with many ``.*`` is). ``same(p, t)``:
    does the pattern character ``p`` match the text character ``t``?"""
    i = j = 0
    star, mark = -1, 0
    while j < len(text):
        if i < len(pattern) and pattern[i] != "*" and same(pattern[i], text[j]):
            i, j = i + 1, j + 1
        elif i < len(pattern) and pattern[i] == "*":
            star, mark, i = i, j, i + 1
        elif star >= 0:
            mark += 1
            i, j = star + 1, mark
        else:
            return False
    while i < len(pattern) and pattern[i] == "*":
        i += 1
    return i == len(pattern)


def _only(statement: Statement, actions: frozenset[str], *, optimistic: bool) -> bool:
    """Are all the statement's actions among ``actions`` (``optimistic``: could they be)?"""
    if not actions or statement.actions is None or "Statement" in statement.unresolved:
        return False
    if "Action" in statement.unresolved and not optimistic:
        return False
    return all("*" not in a and a.lower() in actions for a in statement.actions)


# --- findings --------------------------------------------------------------------------------------

def _violation(statement: Statement, group: list[Principal], where: str, reasons: list[str],
               trust: Trust) -> Finding:
    label = statement.label
    because = f"; {reasons[0]}" if reasons else ""
    principal = group[0]
    if principal.kind == "*":
        return POLICY_PUBLIC_PRINCIPAL.finding(
            path=where, subject="*",
            message=f"{label} allows {_actions(statement)} to every principal, anonymous callers included, "
                    f"and no condition limits the callers to the trusted set{because}",
            remediation="Add a StringEquals condition on aws:PrincipalOrgID with your organization ID "
                        "(or aws:PrincipalAccount with trusted accounts), or name the trusted accounts as principals")
    if principal.kind == "account":
        partition = principal.in_partition(trust)
        where_from = f"partition {partition}, not {trust.partition}" if partition != trust.partition else "the trusted set"
        whole = next((p for p in group if p.whole_account), None)
        who = (whole or principal).identity
        more = len(group) - 1
        also = f" (and {more} more principal{'s' if more > 1 else ''} of that account)" if more else ""
        return POLICY_UNTRUSTED_ACCOUNT.finding(
            path=where, subject=principal.account,
            message=f"{label} allows {_actions(statement)} to {who}{also}, which is outside {where_from}{because}",
            remediation=f"Remove {principal.account}, or trust it (TrustedAccountIds or its organization) if it is yours")
    text = data(principal.text, 120)
    if principal.kind == "service":
        sourced = any(describes(c.key) == SOURCE for c in statement.conditions) or "Condition" in statement.unresolved
        scope = ("with a source condition that does not tie it to a trusted account" if sourced
                 else "on behalf of any account")
        return POLICY_UNSCOPED_SERVICE.finding(
            path=where, subject=text,
            message=f"{label} allows {_actions(statement)} to the service {text} {scope}: any customer of "
                    f"{text} could use it{because}",
            remediation="Scope it with a StringEquals aws:SourceAccount condition (or ArnLike aws:SourceArn, e.g. "
                        "arn:aws:lambda:<region>:<your account>:function:*) naming trusted accounts, or list the "
                        "service in TrustedServicePrincipals")
    kinds = {"federated": "federated identity provider", "canonical": "canonical user (an S3 concept)",
             "unique-id": "principal ID that maps to no account the hook can check"}
    return POLICY_UNTRUSTED_PRINCIPAL.finding(
        path=where, subject=text,
        message=f"{label} allows {_actions(statement)} to the {kinds.get(principal.kind, principal.kind)} "
                f"{text!r}, which is not a trusted identity{because}",
        remediation="Grant to trusted accounts or roles instead")


def _unresolved(statement: Statement, places: list[str], what: str) -> Finding:
    shown_places = ", ".join(places[:4]) + (f" and {len(places) - 4} more" if len(places) > 4 else "")
    return POLICY_UNRESOLVED.finding(
        path=places[0], subject=f"statement {statement.index}",
        message=f"{statement.label}: {what}, depending on values that are not resolved ({shown_places})",
        remediation="Give these values literal values, or check the resolved policy (the resource-level hook does)")


def _actions(statement: Statement) -> str:
    if statement.actions is None:
        return "every action but " + data(", ".join(statement.not_actions or ()), 80)
    if not statement.actions:
        return "actions not resolved"
    return data(", ".join(statement.actions), 80)


def check_policy_property(
    properties: Mapping[str, Any], trust: Trust, name: str, *, required: bool = False,
    ignore_actions: frozenset[str] = frozenset(), namespace: str = PRIVATE,
) -> list[Finding]:
    """The policy held in one property of a resource (the shared body of the policy checkers)."""
    if properties.get(name) is None:
        if not required:
            return []
        return [POLICY_MALFORMED.finding(path=pointer(name), subject=name, message=f"{name} is required and missing",
                                         remediation=f"Set {name} to the policy")]
    return check_policy(properties[name], trust, pointer(name), ignore_actions=ignore_actions, namespace=namespace)
