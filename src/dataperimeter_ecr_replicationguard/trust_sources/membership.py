"""Organization membership, cached in the execution environment.

A Lambda execution environment answers many invocations: what was read from Organizations is
kept for ``CacheTtlSeconds``, so warm invocations within it make no API call.

Two ways to read it, both inside one :class:`Deadline` well under the hook's 30 s:

- the whole listing (ListAccounts, or the OU walk), tried first within
  :data:`LISTING_SECONDS`: one call per 20 accounts, so it suits organizations of a few
  thousand accounts;
- when the listing does not finish in time (10,000 accounts need 500 pages), or is throttled,
  only the accounts the resource names are looked up (DescribeAccount, and ListParents for OU
  paths), each answer cached. An account the hook does not look up is never trusted, so this can
  only refuse more, never let more in. An organization whose listing ran out of time without
  being throttled is remembered as too large to list, for this environment; a throttled listing
  is tried again by the next invocation that needs it.

``OrganizationsLookup`` ``NamedAccounts`` skips the listing: for organizations known to be too
large, so that no execution environment spends its first invocation listing them.

The organization's ID (DescribeOrganization) is read once per ``CacheTtlSeconds`` too.

When a refresh fails, a cached membership is still used for at most :data:`STALE_GRACE_SECONDS`
past its TTL (the response says so in an annotation); after that, or with nothing cached, the
invocation fails closed.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from ..invocation import Invocation
from ..settings import Settings
from .organizations import (
    SESSION_NAME,
    Deadline,
    OrganizationsError,
    call,
    confirm_organization,
    organization_accounts,
    trusted_member,
)

STALE_GRACE_SECONDS = 3600
LISTING_SECONDS = 8.0


@dataclass(frozen=True)
class Membership:
    accounts: frozenset[str]
    fetched_at: float
    stale_reason: str = ""


_LISTINGS: dict[tuple, Membership] = {}  # key -> the whole membership
_MEMBERS: dict[tuple, tuple[bool, float]] = {}  # (key, account) -> (trusted, read at)
_TOO_LARGE: set[tuple] = set()
_ORGANIZATIONS: dict[tuple, tuple[str, float]] = {}  # key -> (organization ID, read at)
_LOCK = threading.Lock()
clock: Callable[[], float] = time.time  # wall clock: cache ages survive across invocations


def clear_cache() -> None:
    with _LOCK:
        _LISTINGS.clear()
        _MEMBERS.clear()
        _TOO_LARGE.clear()
        _ORGANIZATIONS.clear()


def membership(
    settings: Settings,
    invocation: Invocation,
    session: Any,
    candidates: Iterable[str] = (),
) -> Membership:
    """The trusted members among the organizations and OUs: the whole membership when it could
    be listed, else those of ``candidates`` (the accounts the resource names) that are members."""
    key = (settings.trusted_organization_ids, settings.trusted_ou_paths, settings.organizations_role_arn,
           invocation.account_id, invocation.partition)
    ttl = settings.cache_ttl_seconds
    started = clock()
    with _LOCK:
        listed = _LISTINGS.get(key)
        too_large = key in _TOO_LARGE or settings.organizations_lookup == "NamedAccounts"
    if listed and started - listed.fetched_at < ttl:
        return listed
    wanted = sorted(set(candidates))
    if too_large and all(_fresh(key, a, started, ttl) for a in wanted):
        return _from_members(key, wanted, started)
    deadline = Deadline()
    try:
        client = organizations_client(session, settings.organizations_role_arn, invocation.region, deadline)
        org_id = _organization_id(key, client, settings, deadline, started, ttl)
        if not too_large:
            listing = Deadline(min(LISTING_SECONDS, deadline.left()), clock=deadline.clock, sleep=deadline.sleep)
            try:
                accounts = organization_accounts(
                    client, settings.trusted_organization_ids, settings.trusted_ou_paths, listing, org_id)
            except OrganizationsError as error:
                if not error.throttled or deadline.left() <= 0:
                    raise
                if error.code == "BudgetExhausted" and not listing.throttles:
                    with _LOCK:
                        _TOO_LARGE.add(key)
                # else throttled: this invocation looks its accounts up; the next one lists again
            else:
                fresh = Membership(accounts, started)
                with _LOCK:
                    _LISTINGS[key] = fresh
                return fresh
        for account in wanted:
            if not _fresh(key, account, started, ttl):
                member = trusted_member(client, account, org_id, settings.trusted_organization_ids,
                                        settings.trusted_ou_paths, deadline)
                with _LOCK:
                    _MEMBERS[(key, account)] = (member, started)
        return _from_members(key, wanted, started)
    except OrganizationsError as error:
        stale = _stale(key, wanted, listed, started, ttl)
        if stale is None:
            raise
        age = started - stale.fetched_at
        return Membership(stale.accounts, stale.fetched_at,
                          f"the organization membership could not be refreshed ({error.api}: {error.code}); "
                          f"using what was read {int(age)} s ago")


def _organization_id(key: tuple, client: Any, settings: Settings, deadline: Deadline, at: float, ttl: int) -> str:
    with _LOCK:
        known = _ORGANIZATIONS.get(key)
    if known is not None and at - known[1] < ttl:
        return known[0]
    org_id = confirm_organization(client, settings.trusted_organization_ids, settings.trusted_ou_paths, deadline)
    with _LOCK:
        _ORGANIZATIONS[key] = (org_id, at)
    return org_id


def _fresh(key: tuple, account: str, at: float, ttl: int) -> bool:
    with _LOCK:
        known = _MEMBERS.get((key, account))
    return known is not None and at - known[1] < ttl


def _from_members(key: tuple, wanted: list[str], at: float) -> Membership:
    with _LOCK:
        answers = [(a, _MEMBERS[(key, a)]) for a in wanted]
    oldest = min((read for _, (_, read) in answers), default=at)
    return Membership(frozenset(a for a, (member, _) in answers if member), oldest)


def _stale(key: tuple, wanted: list[str], listed: Membership | None, at: float, ttl: int) -> Membership | None:
    """What may still be used after a failed refresh: nothing older than TTL + grace."""
    limit = ttl + STALE_GRACE_SECONDS
    if listed and at - listed.fetched_at < limit:
        return listed
    with _LOCK:
        answers = [_MEMBERS.get((key, a)) for a in wanted]
    if wanted and all(a is not None and at - a[1] < limit for a in answers):
        return Membership(frozenset(a for a, ans in zip(wanted, answers) if ans[0]), min(ans[1] for ans in answers))
    return None


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
    answer = call(sts, "AssumeRole", deadline, RoleArn=role_arn, RoleSessionName=SESSION_NAME, DurationSeconds=900)
    credentials = answer["Credentials"]
    import boto3

    assumed = boto3.session.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=region,
    )
    return assumed.client("organizations", config=config)
