"""AWS partitions, from a Region name or an ARN. An account ID means one account only within
its partition: ``arn:aws-cn:iam::<id>:root`` is not ``arn:aws:iam::<id>:root``."""

from __future__ import annotations

# Longest prefix first: "us-isob-" must win over "us-iso-".
_REGION_PREFIXES = (
    ("us-isob-", "aws-iso-b"),
    ("us-isof-", "aws-iso-f"),
    ("eu-isoe-", "aws-iso-e"),
    ("us-iso-", "aws-iso"),
    ("us-gov-", "aws-us-gov"),
    ("cn-", "aws-cn"),
    ("eusc-", "aws-eusc"),
)

PARTITIONS = frozenset({"aws"} | {p for _, p in _REGION_PREFIXES})
_ANY_PREFIX = tuple(prefix for prefix, _ in _REGION_PREFIXES)


def partition_of_region(region: str) -> str:
    if not region.startswith(_ANY_PREFIX):
        return "aws"  # the common case: one test of every prefix at once
    for prefix, partition in _REGION_PREFIXES:
        if region.startswith(prefix):
            return partition
    return "aws"


def partition_of_arn(arn: str) -> str | None:
    """``arn:aws-cn:cloudformation:...`` gives ``aws-cn``; anything not an ARN gives ``None``."""
    parts = arn.split(":", 2)
    if len(parts) < 3 or parts[0] != "arn" or parts[1] not in PARTITIONS:
        return None
    return parts[1]
