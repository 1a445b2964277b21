"""A small IAM policy object model for ECR resource policies: parse once, strictly.

Policy text arrives as an object or as a JSON string. Anything the model cannot represent
exactly (broken JSON, duplicate keys, an unknown Effect, a Statement that is neither an object
nor a list, NaN or Infinity, an element name in another case, an operator IAM does not know,
text longer than ECR accepts) is a finding: the check fails closed. Unresolved values are kept
and marked (see ``Statement.unresolved``). Each statement's Principal or NotPrincipal is parsed
with it (:func:`.principals.principals`), so judgement reads :class:`.principals.Principal` values.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, NamedTuple

from .findings import Finding, pointer
from .plain import Frozen
from .principals import Principal, principals
from .rules import POLICY_MALFORMED, POLICY_TOO_LONG, POLICY_UNRESOLVED
from .values import data, is_dynamic_reference, is_intrinsic, shown, type_name

MAX_POLICY_CHARACTERS = 10_240  # ECR's limit on repository and registry policy text


class Condition(NamedTuple):
    """One operator/key pair. ``operator`` as written (``ForAnyValue:StringLike``); ``key`` lower-cased
    (condition keys are case-insensitive); ``values`` as strings (values are case-sensitive)."""

    operator: str
    key: str
    values: tuple[str, ...]
    unresolved: bool = False  # some values are intrinsic functions: ``values`` holds only the literal ones

    @property
    def qualifier(self) -> str:
        """``ForAnyValue``, ``ForAllValues`` or ``""``."""
        return self.operator.split(":", 1)[0] if ":" in self.operator else ""

    @property
    def base(self) -> str:
        """The operator without its set qualifier and ``IfExists``: ``StringLike``."""
        name = self.operator.split(":", 1)[-1]
        return name[: -len("IfExists")] if name.endswith("IfExists") else name

    @property
    def if_exists(self) -> bool:
        return self.operator.endswith("IfExists")

    @property
    def negated(self) -> bool:
        return "Not" in self.base

    def describe(self) -> str:
        return f"{self.operator} {data(self.key)}"  # the operator is one IAM knows; the key is input text


class Statement(Frozen):
    """One statement as read. Not a NamedTuple: its ``index`` field would hide ``tuple.index``."""

    __slots__ = _fields = ("index", "sid", "effect", "principal", "not_principal", "actions", "not_actions",
                           "resources", "conditions", "path", "not_resources", "unresolved", "approximate_resources")
    index: int
    sid: str
    effect: str
    principal: tuple[Principal, ...] | None  # parsed (principals.principals); None when NotPrincipal is used
    not_principal: tuple[Principal, ...] | None  # parsed; None when Principal is used
    actions: tuple[str, ...] | None  # None when NotAction is used
    not_actions: tuple[str, ...] | None
    resources: tuple[str, ...] | None  # None when absent (the resource the policy is attached to);
    # ("*",) with NotResource (an Allow is read as granting everything), whose items are in not_resources
    conditions: tuple[Condition, ...]
    path: str  # JSON pointer of the statement in the properties
    not_resources: tuple[str, ...] | None  # as written when NotResource is used
    # Elements holding a value that is not resolved (an intrinsic function or a dynamic reference):
    # "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition" (some condition value),
    # "Condition block" (the whole Condition or an operator's block), "Statement" (all of it). Their
    # tuples above hold only the literal items. Principals and condition entries carry their own
    # marks (Principal kind "unresolved", Condition.unresolved).
    unresolved: frozenset[str]
    # An Allow's Resource items written as Fn::Sub are kept as IAM wildcards ("${AWS::Region}" -> "*"):
    # every value the template can give them matches the wildcard, so a guard covering it covers them.
    approximate_resources: bool

    def __init__(self, index: int, sid: str, effect: str, principal: tuple[Principal, ...] | None,
                 not_principal: tuple[Principal, ...] | None, actions: tuple[str, ...] | None,
                 not_actions: tuple[str, ...] | None, resources: tuple[str, ...] | None,
                 conditions: tuple[Condition, ...], path: str, not_resources: tuple[str, ...] | None = None,
                 unresolved: frozenset[str] = frozenset(), approximate_resources: bool = False) -> None:
        put = object.__setattr__
        put(self, "index", index)
        put(self, "sid", sid)
        put(self, "effect", effect)
        put(self, "principal", principal)
        put(self, "not_principal", not_principal)
        put(self, "actions", actions)
        put(self, "not_actions", not_actions)
        put(self, "resources", resources)
        put(self, "conditions", conditions)
        put(self, "path", path)
        put(self, "not_resources", not_resources)
        put(self, "unresolved", unresolved)
        put(self, "approximate_resources", approximate_resources)

    @property
    def label(self) -> str:
        return f"statement {self.index}" + (f" ({data(self.sid)})" if self.sid else "")


class Policy(NamedTuple):
    statements: tuple[Statement, ...]


def parse_policy(value: Any, path: str) -> tuple[Policy | None, list[Finding]]:
    """The policy at ``path`` (a JSON pointer in the properties), or the findings that stop it
    from being read. ``None`` and no findings when there is no policy."""
    if value is None:
        return None, []
    if is_dynamic_reference(value) or is_intrinsic(value):
        return None, [POLICY_UNRESOLVED.finding(
            path=path, subject=shown(value), message=f"the policy {shown(value)} is not resolved, so it cannot be checked",
            remediation="Give the policy as literal JSON (dynamic references are not resolved for hooks)")]
    if isinstance(value, str):
        if len(value) > MAX_POLICY_CHARACTERS:
            return None, [_too_long(path, len(value))]
        try:
            value = json.loads(value, object_pairs_hook=_no_duplicate_keys, parse_constant=_NonFinite)
        except _DuplicateKey as error:
            return None, [_malformed(path, f"the policy text repeats the key {error.key!r}; IAM would keep "
                                           "only one of them, so the hook cannot tell which grant applies")]
        except RecursionError:
            return None, [_malformed(path, "the policy text is nested too deeply to read")]
        except ValueError as error:
            return None, [_malformed(path, f"the policy text is not valid JSON ({error})")]
    if not isinstance(value, dict):
        return None, [_malformed(path, f"the policy must be a JSON object or JSON text, got {type_name(value)}")]
    try:
        # One pass in C for the common case: the compact text ECR counts, written with allow_nan=False,
        # so it also proves the policy holds no NaN or Infinity (a float, or the _NonFinite json.loads
        # made of one, which no encoder writes). Only when it fails is the policy walked, to say where
        # a NaN is or that it cannot be written: the answers of the walk-first order, in its order
        # (tests/test_policy_fast_paths.py). json.dumps, not a prebuilt encoder: the same call depth,
        # so a policy nested to the recursion limit fails exactly as before.
        size = len(json.dumps(value, separators=(",", ":"), allow_nan=False))
    except (TypeError, ValueError, RecursionError):
        size = -1
    if size < 0:
        non_finite = _non_finite(value)
        if non_finite is not None:
            return None, [_malformed(pointer_join(path, *_clean(non_finite)), "the policy holds NaN or Infinity, which "
                                     "JSON does not allow and IAM rejects")]
        try:
            size = len(json.dumps(value, separators=(",", ":")))
        except (TypeError, ValueError, RecursionError):
            return None, [_malformed(path, "the policy cannot be written as JSON")]
    if size > MAX_POLICY_CHARACTERS:
        return None, [_too_long(path, size)]
    misspelt = _misspelt(value, _POLICY_ELEMENTS, _POLICY_SPELT)
    if misspelt:
        return None, [_malformed(pointer_join(path, misspelt), f"the policy has {misspelt!r}; IAM spells it "
                                 f"{_POLICY_ELEMENTS[misspelt.lower()]!r} (the hook does not guess which copy applies)")]
    statements = value.get("Statement")
    if isinstance(statements, dict):
        raw = [(statements, pointer_join(path, "Statement"))]
    elif isinstance(statements, list) and statements:
        raw = [(s, pointer_join(path, "Statement", i)) for i, s in enumerate(statements)]
    else:
        return None, [_malformed(pointer_join(path, "Statement"),
                                 f"Statement must be an object or a non-empty list, got {type_name(statements)}")]
    parsed, findings = [], []
    for index, (statement, where) in enumerate(raw):
        if is_intrinsic(statement) or is_dynamic_reference(statement):
            # a whole statement not known: it may grant anything, or be a Deny guard
            parsed.append(Statement(index=index, sid="", effect="", principal=None, not_principal=None,
                                    actions=(), not_actions=None, resources=None, conditions=(), path=where,
                                    unresolved=frozenset({"Statement"})))
            continue
        result = _statement(index, statement, where)
        if isinstance(result, Finding):
            findings.append(result)
        else:
            parsed.append(result)
    return Policy(tuple(parsed)), findings


def _statement(index: int, raw: Any, where: str) -> Statement | Finding:
    label = f"statement {index}"
    if not isinstance(raw, dict):
        return _malformed(where, f"{label} must be an object, got {type_name(raw)}")
    misspelt = _misspelt(raw, _STATEMENT_ELEMENTS, _STATEMENT_SPELT)
    if misspelt:
        return _malformed(pointer_join(where, misspelt), f"{label} has {misspelt!r}; IAM spells it "
                          f"{_STATEMENT_ELEMENTS[misspelt.lower()]!r} (the hook does not guess which copy applies)")
    sid_value = raw.get("Sid")
    sid = sid_value if isinstance(sid_value, str) else ""
    if sid:
        label += f" ({data(sid)})"
    unresolved: set[str] = set()
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):  # the common case first: neither word is an unresolved value
        if not _unknown(effect):
            return _malformed(pointer_join(where, "Effect"), f"{label}: Effect must be \"Allow\" or \"Deny\", got {shown(effect)}")
        unresolved.add("Effect")
        effect = ""
    has_principal, has_not = "Principal" in raw, "NotPrincipal" in raw
    if has_principal == has_not:
        return _malformed(where, f"{label} must have exactly one of Principal and NotPrincipal")
    if ("Action" in raw) == ("NotAction" in raw):
        return _malformed(where, f"{label} must have exactly one of Action and NotAction")
    element = "Action" if "Action" in raw else "NotAction"
    listed = _strings(raw[element], unresolved, element)
    if listed is None:
        return _malformed(pointer_join(where, element),
                          f"{label}: {element} must be a string or a non-empty list of strings")
    actions, not_actions = (listed, None) if element == "Action" else (None, listed)
    resources, not_resources, approximate = None, None, False
    if "Resource" in raw:
        resources, approximate = _resources(raw["Resource"], unresolved, allow=effect == "Allow")
        if resources is None:
            return _malformed(pointer_join(where, "Resource"), f"{label}: Resource must be a string or a list of strings")
    elif "NotResource" in raw:
        resources = ("*",)  # everything but some: an Allow is read as granting everything
        not_resources = _strings(raw["NotResource"], unresolved, "NotResource")
        if not_resources is None:
            return _malformed(pointer_join(where, "NotResource"), f"{label}: NotResource must be a string or a list of strings")
    not_principal = principals(raw["NotPrincipal"]) if has_not and raw["NotPrincipal"] is not None else None
    conditions = _conditions(raw.get("Condition"), unresolved)
    if isinstance(conditions, _Problem):
        return _malformed(pointer_join(where, "Condition", *_clean(conditions.place)), f"{label}: {conditions.text}")
    return Statement(
        index=index, sid=sid, effect=effect,
        # a null NotPrincipal is read as no principal at all: an invalid one (never as "everyone but none")
        principal=None if not_principal is not None else principals(raw.get("Principal")),
        not_principal=not_principal,
        actions=actions, not_actions=not_actions, resources=resources,
        conditions=conditions, path=where,
        not_resources=not_resources, unresolved=frozenset(unresolved), approximate_resources=approximate,
    )


class _Problem(Frozen):
    """Why a Condition cannot be read, and where: ``place`` holds the path parts under Condition.
    Not a tuple (a NamedTuple): it is returned where the conditions' tuple would be."""

    __slots__ = _fields = ("place", "text")
    place: tuple[str, ...]
    text: str

    def __init__(self, place: tuple[str, ...], text: str) -> None:
        object.__setattr__(self, "place", place)
        object.__setattr__(self, "text", text)


def _conditions(raw: Any, unresolved: set[str]) -> tuple[Condition, ...] | _Problem:
    """The condition entries, or the problem that stops them from being read."""
    if raw is None:
        return ()
    if _unknown(raw):
        unresolved.update(("Condition", "Condition block"))
        return ()
    if not isinstance(raw, dict):
        return _Problem((), f"Condition must be an object, got {type_name(raw)}")
    out: list[Condition] = []
    for operator, block in raw.items():
        if not isinstance(operator, str):
            return _Problem((), f"Condition {shown(operator)} must map condition keys to values")
        problem = operator_problem(operator)
        if problem:
            return _Problem((operator,), f"Condition operator {shown(operator)} {problem}")
        if _unknown(block):
            unresolved.update(("Condition", "Condition block"))  # keys and values not known
            continue
        if not isinstance(block, dict) or not block:
            return _Problem((operator,), f"Condition {shown(operator)} must map condition keys to values")
        for key, values in block.items():
            strings = _condition_values(values)
            if strings is None or not isinstance(key, str):
                return _Problem((operator,), f"Condition {operator} {shown(key)} must have string, number or boolean values")
            if any(c.operator == operator and c.key == key.lower() for c in out):
                # keys are case-insensitive: which copy IAM keeps is not something to guess
                return _Problem((operator,), f"Condition {operator} repeats the key {shown(key)} (condition keys are case-insensitive)")
            literal, unknown = strings
            if unknown:
                unresolved.add("Condition")
            out.append(Condition(operator, key.lower(), literal, unknown))
    return tuple(out)


# IAM's condition operators, spelt as IAM spells them: the names are matched exactly (IAM's policy
# grammar lists them so; a misspelt qualifier such as "forallvalues:" must not be read as "no
# qualifier"). Null takes neither a set qualifier nor IfExists.
CONDITION_OPERATORS = frozenset({
    "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike",
    "StringNotLike", "NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
    "NumericGreaterThan", "NumericGreaterThanEquals", "DateEquals", "DateNotEquals", "DateLessThan",
    "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals", "Bool", "BinaryEquals", "IpAddress",
    "NotIpAddress", "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike", "Null",
})
SET_QUALIFIERS = ("ForAnyValue", "ForAllValues")


def operator_problem(operator: str) -> str:
    """Why IAM would not accept ``operator`` as written ("" when it does)."""
    qualifier, colon, name = operator.partition(":") if ":" in operator else ("", "", operator)
    if colon and qualifier not in SET_QUALIFIERS:
        return "has a set qualifier IAM does not know (IAM spells them ForAnyValue: and ForAllValues:)"
    base = name[: -len("IfExists")] if name.endswith("IfExists") else name
    if base not in CONDITION_OPERATORS:
        return "is not a condition operator IAM knows (operator names are spelt exactly, e.g. StringEquals)"
    if base == "Null" and (qualifier or base != name):
        return "is not accepted: Null takes neither a set qualifier nor IfExists"
    return ""


def _condition_values(value: Any) -> tuple[tuple[str, ...], bool] | None:
    """The literal values and whether some are not resolved; ``None`` when a value is of a wrong type."""
    if _unknown(value):
        return (), True
    items = value if isinstance(value, list) else [value]
    out, unknown = [], False
    for item in items:
        if _unknown(item):
            unknown = True
        elif isinstance(item, bool):
            out.append(str(item).lower())
        elif isinstance(item, (str, int, float)):
            out.append(str(item))
        else:
            return None
    return (tuple(out), unknown) if out or unknown else None


def _strings(value: Any, unresolved: set[str] | None = None, element: str = "") -> tuple[str, ...] | None:
    """A string or a non-empty list of strings; with ``unresolved``, unresolved items are left
    out and the element is marked."""
    if unresolved is not None and _unknown(value):
        unresolved.add(element)
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not value:
        return None
    out = []
    for item in value:
        if isinstance(item, str) and not is_dynamic_reference(item):
            out.append(item)
        elif unresolved is not None and _unknown(item):
            unresolved.add(element)
        else:
            return None
    return tuple(out)


def _resources(value: Any, unresolved: set[str], *, allow: bool) -> tuple[tuple[str, ...] | None, bool]:
    """Resource items; for an Allow, an Fn::Sub item becomes the IAM wildcard of every value it can take."""
    items = value if isinstance(value, list) else [value]
    out, approximate = [], False
    for item in items:
        pattern = _sub_pattern(item) if allow else None
        if pattern is not None:
            out.append(pattern)
            approximate = True
        elif _unknown(item):
            unresolved.add("Resource")
        elif isinstance(item, str):
            out.append(item)
        else:
            return None, False
    if not items:
        return None, False
    return tuple(out), approximate


def _sub_pattern(value: Any) -> str | None:
    """``{"Fn::Sub": "arn:aws:ecr:${AWS::Region}:111111111111:repository/x"}`` gives
    ``arn:aws:ecr:*:111111111111:repository/x``; anything else gives ``None``."""
    if not (isinstance(value, dict) and len(value) == 1 and "Fn::Sub" in value):
        return None
    body = value["Fn::Sub"]
    if isinstance(body, list) and len(body) == 2 and isinstance(body[1], dict):
        body = body[0]
    if not isinstance(body, str) or is_dynamic_reference(body):
        return None
    return re.sub(r"\$\{[^!][^}]*\}", "*", body).replace("${!", "${")


def _clean(parts: tuple[object, ...]) -> tuple[object, ...]:
    """Path parts up to the first one that is not safe to show as it is (long, or with hidden
    characters): a place in a message is data too."""
    out: list[object] = []
    for part in parts:
        if isinstance(part, str) and (len(part) > 64 or data(part) != part):
            break
        out.append(part)
    return tuple(out)


def _unknown(value: Any) -> bool:
    return is_intrinsic(value) or is_dynamic_reference(value)


_POLICY_ELEMENTS = {k.lower(): k for k in ("Version", "Id", "Statement")}
_STATEMENT_ELEMENTS = {k.lower(): k for k in ("Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction",
                                              "Resource", "NotResource", "Condition")}
_POLICY_SPELT, _STATEMENT_SPELT = frozenset(_POLICY_ELEMENTS.values()), frozenset(_STATEMENT_ELEMENTS.values())


def _misspelt(raw: dict[Any, Any], elements: dict[str, str], spelt: frozenset[str]) -> str:
    """A key that is an IAM element name in another case (``principal``, ``EFFECT``): IAM would
    reject it or fold it onto the real element, so it is refused rather than ignored (issue 8).
    ``spelt``: the element names as IAM spells them (``elements``' values)."""
    if raw.keys() <= spelt:
        return ""  # every key is an element spelt right (the common case: one set test, no walk)
    for key in raw:
        if isinstance(key, str) and key.lower() in elements and key != elements[key.lower()]:
            return key
    return ""


class _NonFinite:
    """What ``json.loads`` makes of NaN, Infinity and -Infinity in policy text (found by :func:`_non_finite`)."""

    def __init__(self, text: str):
        self.text = text


def _non_finite(value: Any) -> tuple[object, ...] | None:
    """The path parts of the first NaN/Infinity in ``value``, or ``None``."""
    stack: list[tuple[Any, tuple[object, ...]]] = [(value, ())]
    while stack:
        item, where = stack.pop()
        if isinstance(item, _NonFinite) or (isinstance(item, float) and not math.isfinite(item)):
            return where
        if isinstance(item, dict):
            stack.extend((v, where + (k,)) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((v, where + (i,)) for i, v in enumerate(item))
    return None


class _DuplicateKey(ValueError):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def pointer_join(base: str, *parts: object) -> str:
    return base + pointer(*parts)


def _too_long(path: str, size: int) -> Finding:
    return POLICY_TOO_LONG.finding(
        path=path, subject=f"{size} characters",
        message=f"the policy is {size} characters long; ECR accepts at most {MAX_POLICY_CHARACTERS}",
        remediation=f"Shorten the policy to at most {MAX_POLICY_CHARACTERS} characters")


def _malformed(path: str, message: str) -> Finding:
    return POLICY_MALFORMED.finding(path=path, subject="policy", message=message,
                                    remediation="Fix the policy so that it is a valid IAM resource policy")
