"""Organization membership, cached in the execution environment.

A Lambda execution environment answers many invocations: the membership read from
Organizations is kept for ``CacheTtlSeconds``, so warm invocations within it make no API call.
When a refresh fails, a cached membership is still used for at most :data:`STALE_GRACE_SECONDS`
past its TTL (the response says so in an annotation); after that, or with nothing cached, the
invocation fails closed.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

from ..invocation import Invocation
from ..settings import Settings
from .organizations import SESSION_NAME, Deadline, OrganizationsError, _call, organization_accounts

STALE_GRACE_SECONDS = 3600


@dataclass(frozen=True)
class Membership:
    accounts: frozenset[str]
    fetched_at: float
    stale_reason: str = ""


_CACHE: dict[tuple, Membership] = {}
_LOCK = threading.Lock()


def clear_cache() -> None:
    with _LOCK:
        _CACHE.clear()


def membership(
    settings: Settings,
    invocation: Invocation,
    session: Any,
    *,
    now: Callable[[], float] = time.time,
    deadline: Deadline | None = None,
) -> Membership:
    """The ACTIVE accounts of the trusted organizations and OUs, from the cache when fresh."""
    key = (settings.trusted_organization_ids, settings.trusted_ou_paths, settings.organizations_role_arn,
           invocation.account_id, invocation.partition)
    with _LOCK:
        cached = _CACHE.get(key)
    started = now()
    if cached and started - cached.fetched_at < settings.cache_ttl_seconds:
        return cached
    try:
        deadline = deadline or Deadline()
        client = organizations_client(session, settings.organizations_role_arn, invocation.region, deadline)
        accounts = organization_accounts(client, settings.trusted_organization_ids, settings.trusted_ou_paths, deadline)
    except OrganizationsError as error:
        age = started - cached.fetched_at if cached else None
        if cached and age < settings.cache_ttl_seconds + STALE_GRACE_SECONDS:
            return Membership(cached.accounts, cached.fetched_at,
                              f"the organization membership could not be refreshed ({error.api}: {error.code}); "
                              f"using the one read {int(age)} s ago")
        raise
    fresh = Membership(accounts, started)
    with _LOCK:
        _CACHE[key] = fresh
    return fresh


def organizations_client(session: Any, role_arn: str, region: str, deadline: Deadline) -> Any:
    """An Organizations client with the hook's credentials, or with ``role_arn``'s when set."""
    from botocore.config import Config

    if session is None:
        raise OrganizationsError(
            "Organizations", "NoCredentials", "the request carried no caller credentials",
            "register the hook with an execution role (hook-role.yaml or deploy/hook-execution-role.yaml)",
        )
    config = Config(connect_timeout=3, read_timeout=5, retries={"total_max_attempts": 1}, region_name=region)
    if not role_arn:
        return session.client("organizations", config=config)
    sts = session.client("sts", config=config)
    answer = _call(sts, "AssumeRole", deadline, RoleArn=role_arn, RoleSessionName=SESSION_NAME, DurationSeconds=900)
    credentials = answer["Credentials"]
    import boto3

    assumed = boto3.session.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=region,
    )
    return assumed.client("organizations", config=config)
