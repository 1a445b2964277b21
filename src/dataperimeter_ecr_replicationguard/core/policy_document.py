"""A small IAM policy object model for ECR resource policies: parse once, strictly.

Policy text arrives as an object or as a JSON string. Anything the model cannot represent
exactly (broken JSON, duplicate keys, an unknown Effect, a Statement that is neither an object
nor a list, text longer than ECR accepts) is a finding: the check fails closed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .findings import Category, Finding, Severity, pointer
from .values import is_dynamic_reference, is_intrinsic, shown, type_name

MAX_POLICY_CHARACTERS = 10_240  # ECR's limit on repository and registry policy text

MALFORMED = "ECR-POLICY-MALFORMED"
TOO_LONG = "ECR-POLICY-TOO-LONG"
UNRESOLVED = "ECR-POLICY-UNRESOLVED"


@dataclass(frozen=True)
class Condition:
    """One operator/key pair. ``operator`` as written (``ForAnyValue:StringLike``); ``key`` lower-cased
    (condition keys are case-insensitive); ``values`` as strings (values are case-sensitive)."""

    operator: str
    key: str
    values: tuple[str, ...]

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
        return f"{self.operator} {self.key}"


@dataclass(frozen=True)
class Statement:
    index: int
    sid: str
    effect: str
    principal: Any  # as written; None when absent
    not_principal: Any
    actions: tuple[str, ...] | None  # None when NotAction is used
    not_actions: tuple[str, ...] | None
    resources: tuple[str, ...] | None  # None when absent (the repository itself) or NotResource
    conditions: tuple[Condition, ...]
    path: str  # JSON pointer of the statement in the properties
    not_resources: tuple[str, ...] | None = None  # as written when NotResource is used

    @property
    def label(self) -> str:
        return f"statement {self.index}" + (f" ({self.sid})" if self.sid else "")


@dataclass(frozen=True)
class Policy:
    statements: tuple[Statement, ...]


def parse_policy(value: Any, path: str) -> tuple[Policy | None, list[Finding]]:
    """The policy at ``path`` (a JSON pointer in the properties), or the findings that stop it
    from being read. ``None`` and no findings when there is no policy."""
    if value is None:
        return None, []
    if is_dynamic_reference(value) or is_intrinsic(value):
        return None, [_finding(UNRESOLVED, Category.UNRESOLVED, Severity.HIGH, path, shown(value),
                               f"the policy {shown(value)} is not resolved, so it cannot be checked",
                               "Give the policy as literal JSON (dynamic references are not resolved for hooks)")]
    if isinstance(value, str):
        if len(value) > MAX_POLICY_CHARACTERS:
            return None, [_too_long(path, len(value))]
        try:
            value = json.loads(value, object_pairs_hook=_no_duplicate_keys)
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
        size = len(json.dumps(value, separators=(",", ":")))
    except (TypeError, ValueError, RecursionError):
        return None, [_malformed(path, "the policy cannot be written as JSON")]
    if size > MAX_POLICY_CHARACTERS:
        return None, [_too_long(path, size)]
    misspelt = _misspelt(value, _POLICY_ELEMENTS)
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
        result = _statement(index, statement, where)
        if isinstance(result, Finding) and _has_unresolved(statement):
            result = _finding(UNRESOLVED, Category.UNRESOLVED, Severity.HIGH, where, f"statement {index}",
                              f"statement {index} holds a value that is not resolved (an intrinsic function or a "
                              "dynamic reference), so it cannot be checked",
                              "Give the statement literal values")
        if isinstance(result, Finding):
            findings.append(result)
        else:
            parsed.append(result)
    return Policy(tuple(parsed)), findings


def _statement(index: int, raw: Any, where: str) -> Statement | Finding:
    label = f"statement {index}"
    if not isinstance(raw, dict):
        return _malformed(where, f"{label} must be an object, got {type_name(raw)}")
    misspelt = _misspelt(raw, _STATEMENT_ELEMENTS)
    if misspelt:
        return _malformed(pointer_join(where, misspelt), f"{label} has {misspelt!r}; IAM spells it "
                          f"{_STATEMENT_ELEMENTS[misspelt.lower()]!r} (the hook does not guess which copy applies)")
    sid = raw.get("Sid") if isinstance(raw.get("Sid"), str) else ""
    if sid:
        label += f" ({sid})"
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        return _malformed(pointer_join(where, "Effect"), f"{label}: Effect must be \"Allow\" or \"Deny\", got {shown(effect)}")
    has_principal, has_not = "Principal" in raw, "NotPrincipal" in raw
    if has_principal == has_not:
        return _malformed(where, f"{label} must have exactly one of Principal and NotPrincipal")
    if ("Action" in raw) == ("NotAction" in raw):
        return _malformed(where, f"{label} must have exactly one of Action and NotAction")
    actions = _strings(raw["Action"]) if "Action" in raw else None
    not_actions = _strings(raw["NotAction"]) if "NotAction" in raw else None
    if actions is None and not_actions is None:
        return _malformed(where, f"{label}: Action or NotAction must be a string or a non-empty list of strings")
    resources, not_resources = None, None
    if "Resource" in raw:
        resources = _strings(raw["Resource"])
        if resources is None:
            return _malformed(pointer_join(where, "Resource"), f"{label}: Resource must be a string or a list of strings")
    elif "NotResource" in raw:
        resources = ("*",)  # everything but some: an Allow is read as granting everything
        not_resources = _strings(raw["NotResource"])
        if not_resources is None:
            return _malformed(pointer_join(where, "NotResource"), f"{label}: NotResource must be a string or a list of strings")
    conditions = _conditions(raw.get("Condition"))
    if isinstance(conditions, str):
        return _malformed(pointer_join(where, "Condition"), f"{label}: {conditions}")
    return Statement(
        index=index, sid=sid, effect=effect,
        principal=raw.get("Principal") if has_principal else None,
        not_principal=raw.get("NotPrincipal") if has_not else None,
        actions=actions, not_actions=not_actions, resources=resources,
        conditions=conditions, path=where,
        not_resources=not_resources,
    )


def _conditions(raw: Any) -> tuple[Condition, ...] | str:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        return f"Condition must be an object, got {type_name(raw)}"
    out = []
    for operator, block in raw.items():
        if not isinstance(operator, str) or not isinstance(block, dict) or not block:
            return f"Condition {shown(operator)} must map condition keys to values"
        for key, values in block.items():
            strings = _condition_values(values)
            if strings is None or not isinstance(key, str):
                return f"Condition {operator} {shown(key)} must have string, number or boolean values"
            if any(c.operator == operator and c.key == key.lower() for c in out):
                # keys are case-insensitive: which copy IAM keeps is not something to guess
                return f"Condition {operator} repeats the key {shown(key)} (condition keys are case-insensitive)"
            out.append(Condition(operator, key.lower(), strings))
    return tuple(out)


def _condition_values(value: Any) -> tuple[str, ...] | None:
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if isinstance(item, bool):
            out.append(str(item).lower())
        elif isinstance(item, (str, int, float)):
            out.append(str(item))
        else:
            return None
    return tuple(out) if out else None


def _strings(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


def _has_unresolved(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if is_intrinsic(item) or is_dynamic_reference(item):
            return True
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


_POLICY_ELEMENTS = {k.lower(): k for k in ("Version", "Id", "Statement")}
_STATEMENT_ELEMENTS = {k.lower(): k for k in ("Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction",
                                              "Resource", "NotResource", "Condition")}


def _misspelt(raw: dict, elements: dict[str, str]) -> str:
    """A key that is an IAM element name in another case (``principal``, ``EFFECT``): IAM would
    reject it or fold it onto the real element, so it is refused rather than ignored (issue 8)."""
    for key in raw:
        if isinstance(key, str) and key.lower() in elements and key != elements[key.lower()]:
            return key
    return ""


class _DuplicateKey(ValueError):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _no_duplicate_keys(pairs: list) -> dict:
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def pointer_join(base: str, *parts: object) -> str:
    return base + pointer(*parts)


def _too_long(path: str, size: int) -> Finding:
    return _finding(TOO_LONG, Category.INVALID, Severity.HIGH, path, f"{size} characters",
                    f"the policy is {size} characters long; ECR accepts at most {MAX_POLICY_CHARACTERS}",
                    f"Shorten the policy to at most {MAX_POLICY_CHARACTERS} characters")


def _malformed(path: str, message: str) -> Finding:
    return _finding(MALFORMED, Category.INVALID, Severity.HIGH, path, "policy", message,
                    "Fix the policy so that it is a valid IAM resource policy")


def _finding(rule: str, category: Category, severity: Severity, path: str, subject: str, message: str,
             remediation: str) -> Finding:
    return Finding(rule_id=rule, severity=severity, category=category, path=path, subject=subject,
                   message=message, remediation=remediation)
