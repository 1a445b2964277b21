"""Who a Principal element can match, and whether each is inside the trusted set.

An account principal (``123456789012`` or ``arn:aws:iam::123456789012:root``) means every
identity of that account, not only its root user; a role, user or assumed-role ARN belongs to
its account. An ARN in another partition names another account namespace, even with the same
digits; a bare account ID names an account of the stack's partition. IAM allows no partial
wildcards in principals: only a bare ``*`` matches everyone, anonymous callers included.

:mod:`.policy_document` parses each statement's Principal or NotPrincipal with :func:`principals`
when it reads the policy, so judgement only asks :meth:`Principal.trusted`.
"""

from __future__ import annotations

import functools
import re
from typing import Any, NamedTuple

from .trust import Trust
from .values import data, is_account_id, is_dynamic_reference, is_intrinsic

_IAM_ARN = re.compile(r"arn:(aws[a-z-]*):(iam|sts)::([0-9]{12}):(root|user/.+|role/.+|assumed-role/.+|federated-user/.+)")
_SERVICE = re.compile(r"[a-z0-9][a-z0-9.-]*\.amazonaws\.com(\.cn)?")
_UNIQUE_ID = re.compile(r"A(RO|ID|IP|NP|NV|PK|SC|SI)A[A-Z0-9]{12,}")

KINDS = ("AWS", "Service", "Federated", "CanonicalUser")


class Principal(NamedTuple):
    """One principal value. ``kind``: ``*`` (anyone), ``account``, ``service``, ``federated``,
    ``canonical``, ``unique-id``, ``invalid`` or ``unresolved``; ``account`` and ``partition``
    for account principals and IAM ARNs (``partition`` is ``""`` for a bare account ID: the
    account of that ID in the stack's partition, whatever it is)."""

    kind: str
    text: str
    account: str = ""
    partition: str = ""  # an ARN's partition; "" for a bare account ID (the stack's)
    whole_account: bool = False  # an account ID or its root ARN: every identity of the account

    @property
    def identity(self) -> str:
        """What an account-kind principal names, in words: "the role ..." or "the user ..."."""
        if self.whole_account:
            return f"every identity of account {self.account}"
        kind = self.text.split(":", 5)[-1].split("/", 1)[0].replace("-", " ")
        return f"the {kind} {data(self.text, 120)} of account {self.account}"

    def in_partition(self, trust: Trust) -> str:
        """The partition the principal's account is in, for this stack."""
        return self.partition or trust.partition

    def trusted(self, trust: Trust) -> bool:
        if self.kind == "account":
            return trust.trusts_account(self.account, self.partition or None)
        if self.kind == "service":
            return self.text in trust.service_principals
        return False


def principals(element: Any) -> tuple[Principal, ...]:
    """Every principal an element names. A string other than ``*`` is invalid (IAM requires
    ``"*"`` or an object); unknown keys and non-string values are invalid entries."""
    if element == "*":
        return (Principal("*", "*"),)
    if is_intrinsic(element) or is_dynamic_reference(element):
        return (Principal("unresolved", str(element)),)
    if not isinstance(element, dict) or not element:
        return (Principal("invalid", f"{element!r}"[:80]),)
    out: list[Principal] = []
    for kind, values in element.items():
        items = values if isinstance(values, list) else [values]
        if kind not in KINDS or not items:
            out.append(Principal("invalid", f"{kind!r}"[:80]))
            continue
        for value in items:
            out.append(_one(kind, value))
    return tuple(out)


def _one(kind: str, value: Any) -> Principal:
    if isinstance(value, str):
        return _named(kind, value)
    if is_intrinsic(value):
        return Principal("unresolved", str(value)[:80])
    return Principal("invalid", repr(value)[:80])


@functools.lru_cache(maxsize=4096)
def _named(kind: str, value: str) -> Principal:
    """One principal written as a string. Cached: a pure function of two strings giving an
    immutable value, and the same accounts and roles recur across a stack's (and a scan's) policies."""
    if is_dynamic_reference(value):
        return Principal("unresolved", value[:80])
    if kind == "AWS":
        if value == "*":
            return Principal("*", value)
        if is_account_id(value):
            return Principal("account", value, value, whole_account=True)
        match = _IAM_ARN.fullmatch(value)
        if match and "*" not in value and "?" not in value:
            return Principal("account", value, match.group(3), match.group(1), whole_account=match.group(4) == "root")
        if _UNIQUE_ID.fullmatch(value):
            return Principal("unique-id", value)
        return Principal("invalid", value)
    if kind == "Service":
        return Principal("service", value) if _SERVICE.fullmatch(value) else Principal("invalid", value)
    if kind == "Federated":
        return Principal("federated", value)
    return Principal("canonical", value)
