"""Findings into words: the status reason CloudFormation shows (at most 1,024 characters)
and the verdict's error code. Every finding still goes into the annotations in full."""

from __future__ import annotations

import re
from typing import Sequence

from .core.findings import Category, Finding
from .core.values import data

MESSAGE_LIMIT = 1024

NON_COMPLIANT = "NonCompliant"
INVALID_REQUEST = "InvalidRequest"


def error_code(findings: Sequence[Finding]) -> str:
    """``NonCompliant`` when anything is a violation; otherwise the input could not be
    decided (malformed or unresolved), which is ``InvalidRequest``."""
    return NON_COMPLIANT if any(f.category is Category.VIOLATION for f in findings) else INVALID_REQUEST


def summary(target: str, findings: Sequence[Finding], limit: int = MESSAGE_LIMIT) -> str:
    """``NonCompliant: Repl (AWS::ECR::ReplicationConfiguration): 2 findings. [RULE] /path: message; ...``
    cut to ``limit`` characters, counting what did not fit."""
    code = error_code(findings)
    head = f"{code}: {data(target, 300)}: {_plural(len(findings), 'finding')}."
    lines = [f" [{f.rule_id}] {data(f.path or '/', 200)}: {f.message}." for f in findings]
    return neutral(fit(head, lines, limit))


# What only a passing verdict says. Text from the input must not be able to say it in a failure.
_PASS_CLAIM = re.compile(r"inside\W+the\W+ECR\W+data\W+perimeter", re.IGNORECASE)


def neutral(text: str) -> str:
    """``text`` with any claim that something is inside the perimeter replaced (it can only have
    come from the input: failures never say it)."""
    return _PASS_CLAIM.sub("[text from the input]", text)


def fit(head: str, lines: Sequence[str], limit: int = MESSAGE_LIMIT) -> str:
    """``head`` then as many ``lines`` as fit in ``limit`` characters, then how many were left out."""
    text = head[:limit]
    for index, line in enumerate(lines):
        rest = len(lines) - index - 1
        tail = f" (+{rest} more in the hook annotations)" if rest else ""
        if len(text) + len(line) + len(tail) <= limit:
            text += line
            continue
        omitted = len(lines) - index
        tail = f" (+{omitted} more in the hook annotations)"
        room = limit - len(text) - len(tail)
        if room > 40:  # a truncated line still says something useful
            text += line[: room - 3] + "..."
            omitted -= 1
            tail = f" (+{omitted} more in the hook annotations)" if omitted else ""
        return (text + tail)[:limit]
    return text


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
