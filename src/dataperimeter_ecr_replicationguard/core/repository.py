"""AWS::ECR::Repository: the repository policy must grant nothing outside the trusted set."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .findings import Finding
from .policy import check_policy_property
from .rules import POLICY_MALFORMED
from .trust import Trust

RESOURCE_TYPE = "AWS::ECR::Repository"
MALFORMED = POLICY_MALFORMED  # the rule of a resource whose properties are not an object
POLICY_PROPERTY = "RepositoryPolicyText"  # the property holding the policy (tests/test_policy_classes.py runs every case on it)


def check(properties: Mapping[str, Any], trust: Trust) -> Iterable[Finding]:
    return check_policy_property(properties, trust, POLICY_PROPERTY)
