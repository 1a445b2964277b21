"""AWS::ECR::PublicRepository: anyone may pull from an ECR Public repository by design, and its
policy cannot change that. So pull actions granted to anyone are no finding; any other action
(push, delete, set policy) granted outside the trusted set is."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .findings import Finding
from .policy import PUBLIC, check_policy_property
from .rules import POLICY_MALFORMED
from .trust import Trust

RESOURCE_TYPE = "AWS::ECR::PublicRepository"
MALFORMED = POLICY_MALFORMED  # the rule of a resource whose properties are not an object
POLICY_PROPERTY = "RepositoryPolicyText"  # the property holding the policy (tests/test_policy_classes.py runs every case on it)

PUBLIC_PULL_ACTIONS = frozenset(
    f"ecr-public:{action}".lower()
    for action in (
        "BatchCheckLayerAvailability",
        "BatchGetImage",
        "DescribeImageTags",
        "DescribeImages",
        "DescribeRepositories",
        "GetDownloadUrlForLayer",
        "GetRepositoryCatalogData",
    )
)


def check(properties: Mapping[str, Any], trust: Trust) -> Iterable[Finding]:
    return check_policy_property(properties, trust, POLICY_PROPERTY, ignore_actions=PUBLIC_PULL_ACTIONS,
                                 namespace=PUBLIC)
