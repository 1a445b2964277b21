"""``AccountSource`` ``Organizations``: the organization membership, cached in the execution
environment (:class:`MembershipCache`), and how it is read (:class:`OrganizationsSource`). The
API calls themselves are :mod:`.organizations`.

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

import math
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, NamedTuple

from ..core.trust import Trust
from ..core.values import mentioned_account_ids
from ..invocation import Invocation
from ..settings import Settings
from .organizations import (
    Deadline,
    OrganizationsError,
    confirm_organization,
    organization_accounts,
    organizations_client,
    trusted_member,
)
from .source import TrustSource, TrustUnavailable
from .static import static_trust

STALE_GRACE_SECONDS = 3600
LISTING_SECONDS = 8.0

__all__ = [
    "Answer", "CacheKey", "CacheState", "Deadline", "LISTING_SECONDS", "Membership", "MembershipCache",
    "OrganizationsSource", "SOURCE", "STALE_GRACE_SECONDS", "clear_cache", "key_of", "organizations_client",
]


class CacheKey(NamedTuple):
    """What shapes the membership read: another value of any of these is another membership."""

    organization_ids: frozenset[str]
    ou_paths: frozenset[str]
    role_arn: str
    account_id: str
    partition: str


def key_of(settings: Settings, invocation: Invocation) -> CacheKey:
    return CacheKey(settings.trusted_organization_ids, settings.trusted_ou_paths, settings.organizations_role_arn,
                    invocation.account_id, invocation.partition)


@dataclass(frozen=True)
class Membership:
    """Trusted member accounts, read at ``fetched_at`` (the oldest answer they rest on);
    ``stale_reason`` says why a membership past its TTL is in use."""

    accounts: frozenset[str]
    fetched_at: float
    stale_reason: str = ""


@dataclass(frozen=True)
class Answer:
    """One account looked up: whether it is a trusted member, and when that was read."""

    trusted: bool
    read_at: float


@dataclass(frozen=True)
class OrganizationRead:
    organization_id: str
    read_at: float


@dataclass(frozen=True)
class CacheState:
    """Everything the cache holds for one key, as a value (see :meth:`MembershipCache.state`)."""

    listing: Membership | None
    too_large: bool
    answers: Mapping[str, Answer]
    organization: OrganizationRead | None


class MembershipCache:
    """What one execution environment knows of the organizations it reads, per :class:`CacheKey`:
    the whole listing, whether the organization is too large to list, per-account answers and
    the organization's ID, each with the time it was read on ``clock``; and the stale window
    (``stale_grace_seconds`` past the TTL) within which a failed refresh may fall back on them.

    ``clock`` is a wall clock (``time.time``): cache ages survive across invocations. Every
    method is thread-safe; ``at``/``ttl`` are the caller's reading of the clock and the TTL.
    """

    def __init__(self, clock: Callable[[], float] = time.time, stale_grace_seconds: float = STALE_GRACE_SECONDS):
        self.clock = clock
        self.stale_grace_seconds = stale_grace_seconds
        self._lock = threading.Lock()
        self._listings: dict[CacheKey, Membership] = {}
        self._answers: dict[tuple[CacheKey, str], Answer] = {}
        self._too_large: set[CacheKey] = set()
        self._organizations: dict[CacheKey, OrganizationRead] = {}

    def clear(self) -> None:
        with self._lock:
            self._listings.clear()
            self._answers.clear()
            self._too_large.clear()
            self._organizations.clear()

    def state(self, key: CacheKey) -> CacheState:
        with self._lock:
            return CacheState(
                listing=self._listings.get(key),
                too_large=key in self._too_large,
                answers={account: answer for (k, account), answer in self._answers.items() if k == key},
                organization=self._organizations.get(key),
            )

    # -- the whole listing ------------------------------------------------------------------

    def fresh_listing(self, key: CacheKey, at: float, ttl: float) -> Membership | None:
        with self._lock:
            listed = self._listings.get(key)
        return listed if listed is not None and at - listed.fetched_at < ttl else None

    def store_listing(self, key: CacheKey, accounts: frozenset[str], at: float) -> Membership:
        listed = Membership(accounts, at)
        with self._lock:
            self._listings[key] = listed
        return listed

    # -- too large to list ------------------------------------------------------------------

    def too_large(self, key: CacheKey) -> bool:
        with self._lock:
            return key in self._too_large

    def mark_too_large(self, key: CacheKey) -> None:
        with self._lock:
            self._too_large.add(key)

    # -- per-account answers ----------------------------------------------------------------

    def fresh_answer(self, key: CacheKey, account: str, at: float, ttl: float) -> Answer | None:
        with self._lock:
            known = self._answers.get((key, account))
        return known if known is not None and at - known.read_at < ttl else None

    def store_answer(self, key: CacheKey, account: str, trusted: bool, at: float) -> None:
        with self._lock:
            self._answers[(key, account)] = Answer(trusted, at)

    def answered(
        self, key: CacheKey, accounts: Iterable[str], at: float, within: float = math.inf
    ) -> Membership | None:
        """The membership of ``accounts`` from their answers, if every one was read less than
        ``within`` seconds before ``at`` (by default: if every one was answered at all); dated
        by the oldest answer (``at`` for no account)."""
        with self._lock:
            answers = [(account, self._answers.get((key, account))) for account in accounts]
        found: list[tuple[str, Answer]] = []
        for account, answer in answers:
            if answer is None or at - answer.read_at >= within:
                return None
            found.append((account, answer))
        oldest = min((answer.read_at for _, answer in found), default=at)
        return Membership(frozenset(account for account, answer in found if answer.trusted), oldest)

    # -- the organization's ID --------------------------------------------------------------

    def fresh_organization_id(self, key: CacheKey, at: float, ttl: float) -> str | None:
        with self._lock:
            known = self._organizations.get(key)
        return known.organization_id if known is not None and at - known.read_at < ttl else None

    def store_organization_id(self, key: CacheKey, organization_id: str, at: float) -> None:
        with self._lock:
            self._organizations[key] = OrganizationRead(organization_id, at)

    # -- the stale window -------------------------------------------------------------------

    def stale(self, key: CacheKey, accounts: Iterable[str], at: float, ttl: float) -> Membership | None:
        """What may still be used after a failed refresh: the listing, else the answers for all
        of ``accounts`` (at least one), read less than TTL + ``stale_grace_seconds`` ago."""
        limit = ttl + self.stale_grace_seconds
        with self._lock:
            listed = self._listings.get(key)
        if listed is not None and at - listed.fetched_at < limit:
            return listed
        accounts = list(accounts)
        return self.answered(key, accounts, at, limit) if accounts else None


class OrganizationsSource:
    """The trusted set with the ACTIVE members of the trusted organizations and OU paths, read
    into ``cache``. Without trusted organizations or OU paths it is the static set: no call."""

    account_source = "Organizations"

    def __init__(self, cache: MembershipCache):
        self.cache = cache

    def named_accounts(self, settings: Settings, value: Any) -> frozenset[str]:
        """The accounts ``value`` (a resource's properties, a template, ...) names, which this
        source may have to look up one by one: every 12-digit run in it
        (:func:`~..core.values.mentioned_account_ids`). A set or tuple of account IDs is read as
        a list. An account this misses is simply not trusted: it can only make a verdict stricter."""
        if not (settings.trusted_organization_ids or settings.trusted_ou_paths):
            return frozenset()
        if isinstance(value, (set, frozenset, tuple)):
            value = list(value)
        return mentioned_account_ids(value)

    def resolve(self, settings: Settings, invocation: Invocation, session: Any, resource: Any) -> Trust:
        """Raises :class:`TrustUnavailable` when Organizations cannot be read and no usable
        cached membership exists; a stale membership in use is named in ``Trust.notes``."""
        if not (settings.trusted_organization_ids or settings.trusted_ou_paths):
            return static_trust(settings, invocation.account_id, invocation.partition)
        try:
            found = self.membership(settings, invocation, session, resource)
        except OrganizationsError as error:
            raise TrustUnavailable(f"the trusted set could not be read from AWS Organizations: {error}",
                                   error.code, error.throttled) from None
        except (KeyError, TypeError, AttributeError, ValueError) as error:
            raise TrustUnavailable(
                "the trusted set could not be read from AWS Organizations: an answer did not have the expected "
                f"shape ({type(error).__name__}: {error})", "MalformedResponse") from None
        trust = static_trust(settings, invocation.account_id, invocation.partition, found.accounts)
        return trust._replace(notes=(found.stale_reason,)) if found.stale_reason else trust

    def membership(self, settings: Settings, invocation: Invocation, session: Any, resource: Any = None) -> Membership:
        """The trusted members among the organizations and OUs: the whole membership when it
        could be listed, else those of the accounts ``resource`` names that are members. The
        resource is walked only when the listing is not fresh."""
        cache = self.cache
        key = key_of(settings, invocation)
        ttl = settings.cache_ttl_seconds
        started = cache.clock()
        listed = cache.fresh_listing(key, started, ttl)
        if listed is not None:
            return listed
        wanted = sorted(self.named_accounts(settings, resource))
        too_large = settings.organizations_lookup == "NamedAccounts" or cache.too_large(key)
        if too_large:
            known = cache.answered(key, wanted, started, ttl)
            if known is not None:
                return known
        deadline = Deadline()
        try:
            client = organizations_client(session, settings.organizations_role_arn, invocation.region, deadline)
            org_id = cache.fresh_organization_id(key, started, ttl)
            if org_id is None:
                org_id = confirm_organization(
                    client, settings.trusted_organization_ids, settings.trusted_ou_paths, deadline)
                cache.store_organization_id(key, org_id, started)
            if not too_large:
                listing = Deadline(min(LISTING_SECONDS, deadline.left()), clock=deadline.clock, sleep=deadline.sleep)
                try:
                    accounts = organization_accounts(
                        client, settings.trusted_organization_ids, settings.trusted_ou_paths, listing, org_id)
                except OrganizationsError as error:
                    if not error.throttled or deadline.left() <= 0:
                        raise
                    if error.code == "BudgetExhausted" and not listing.throttles:
                        cache.mark_too_large(key)
                    # else throttled: this invocation looks its accounts up; the next one lists again
                else:
                    return cache.store_listing(key, accounts, started)
            for account in wanted:
                if cache.fresh_answer(key, account, started, ttl) is None:
                    member = trusted_member(client, account, org_id, settings.trusted_organization_ids,
                                            settings.trusted_ou_paths, deadline)
                    cache.store_answer(key, account, member, started)
            found = cache.answered(key, wanted, started)
            if found is None:  # only if the cache was cleared meanwhile
                raise OrganizationsError("DescribeAccount", "MissingAnswer", "an account's answer was not kept")
            return found
        except OrganizationsError as error:
            stale = cache.stale(key, wanted, started, ttl)
            if stale is None:
                raise
            age = started - stale.fetched_at
            return Membership(stale.accounts, stale.fetched_at,
                              f"the organization membership could not be refreshed ({error.api}: {error.code}); "
                              f"using what was read {int(age)} s ago")


CACHE = MembershipCache()  # this execution environment's membership
SOURCE: TrustSource = OrganizationsSource(CACHE)  # typed: mypy checks the source has the interface


def clear_cache() -> None:
    """Forget everything read (tests and benchmarks: a cold execution environment)."""
    CACHE.clear()
