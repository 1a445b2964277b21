"""Dispatch: one checker module per ECR resource type. Adding a type is adding one module with
``RESOURCE_TYPE``, ``MALFORMED`` (the rule of a resource it cannot read) and
``check(properties, trust)``, and listing it here (CONTRIBUTING.md, "Adding a policy-bearing
resource type")."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from . import (
    public_repository,
    pull_through_cache,
    registry_policy,
    replication,
    repository,
    repository_creation_template,
)
from .findings import Finding
from .rules import Rule
from .trust import Trust
from .values import is_object, type_name

# A checker reads the properties of one resource (always an object: evaluate() checks that once).
Checker = Callable[[Mapping[str, Any], Trust], Iterable[Finding]]

MODULES = (
    replication,
    repository,
    registry_policy,
    repository_creation_template,
    public_repository,
    pull_through_cache,
)

CHECKERS: dict[str, Checker] = {module.RESOURCE_TYPE: module.check for module in MODULES}
_MALFORMED: dict[str, Rule] = {module.RESOURCE_TYPE: module.MALFORMED for module in MODULES}


def supported_types() -> tuple[str, ...]:
    return tuple(sorted(CHECKERS))


def evaluate(resource_type: str, logical_id: str, properties: Any, trust: Trust) -> list[Finding]:
    """All findings for one resource. Raises ``KeyError`` for a type no checker knows."""
    checker = CHECKERS[resource_type]
    if is_object(properties):
        found: Iterable[Finding] = checker(properties, trust)
    else:
        found = [_MALFORMED[resource_type].finding(
            path="", subject=type_name(properties),
            message=f"the resource properties must be an object, got {type_name(properties)}",
            remediation="Fix the resource's Properties: an object of the resource type's properties")]
    return [f._replace(resource_type=resource_type, logical_id=logical_id) for f in found]
