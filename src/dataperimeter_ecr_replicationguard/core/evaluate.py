"""Dispatch: one checker module per ECR resource type. Adding a type is adding one module
with ``RESOURCE_TYPE`` and ``check(properties, trust)``, and listing it here."""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Iterable

from . import (
    public_repository,
    pull_through_cache,
    registry_policy,
    replication,
    repository,
    repository_creation_template,
)
from .findings import Finding
from .trust import Trust

Checker = Callable[[Any, Trust], Iterable[Finding]]

MODULES = (
    replication,
    repository,
    registry_policy,
    repository_creation_template,
    public_repository,
    pull_through_cache,
)

CHECKERS: dict[str, Checker] = {module.RESOURCE_TYPE: module.check for module in MODULES}


def supported_types() -> tuple[str, ...]:
    return tuple(sorted(CHECKERS))


def evaluate(resource_type: str, logical_id: str, properties: Any, trust: Trust) -> list[Finding]:
    """All findings for one resource. Raises ``KeyError`` for a type no checker knows."""
    checker = CHECKERS[resource_type]
    return [
        dataclasses.replace(f, resource_type=resource_type, logical_id=logical_id)
        for f in checker(properties, trust)
    ]
