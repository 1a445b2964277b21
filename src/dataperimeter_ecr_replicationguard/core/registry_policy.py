"""AWS::ECR::RegistryPolicy: the registry policy must grant nothing outside the trusted set.

With the default registry policy scope (V2) a registry policy applies to every ECR action on
every repository, and the scope is an account setting the hook cannot see: every action counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .findings import Finding
from .policy import check_policy_property
from .rules import POLICY_MALFORMED
from .trust import Trust

RESOURCE_TYPE = "AWS::ECR::RegistryPolicy"
MALFORMED = POLICY_MALFORMED  # the rule of a resource whose properties are not an object
POLICY_PROPERTY = "PolicyText"  # the property holding the policy (tests/test_policy_classes.py runs every case on it)


def check(properties: Mapping[str, Any], trust: Trust) -> Iterable[Finding]:
    return check_policy_property(properties, trust, POLICY_PROPERTY, required=True)
