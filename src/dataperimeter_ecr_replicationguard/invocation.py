"""Where a hook invocation runs: account, Region and partition, read from the request."""

from __future__ import annotations

import os
from typing import NamedTuple

from .core.partitions import partition_of_arn, partition_of_region


class Invocation(NamedTuple):
    account_id: str
    region: str
    partition: str
    stack_id: str = ""


def invocation_of(account_id: object, stack_id: object, region: str | None = None) -> Invocation:
    """The stack ARN names the Region and partition; without one (Cloud Control, local runs)
    the Lambda's own Region (``AWS_REGION``) is used, then ``us-east-1``."""
    account = account_id if isinstance(account_id, str) else ""
    stack = stack_id if isinstance(stack_id, str) else ""
    fields = stack.split(":")
    partition = partition_of_arn(stack)
    if partition and len(fields) > 3 and fields[3]:
        stack_region = fields[3]
    else:
        stack_region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        partition = partition_of_region(stack_region)
    return Invocation(account_id=account, region=stack_region, partition=partition, stack_id=stack)
