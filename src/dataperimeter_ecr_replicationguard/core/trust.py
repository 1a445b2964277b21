"""The trusted set: who may receive replicated images or be granted access.

An immutable value built once per configuration (and per resolved organization membership)
by the adapters in ``trust_sources``; the checkers only read it.
"""

from __future__ import annotations

from functools import cached_property

from .plain import Frozen

_FIELDS = ("accounts", "organization_ids", "ou_paths", "service_principals", "partition",
           "allowed_replication_regions", "allowed_upstream_registry_urls", "notes")


class Trust(Frozen):
    """Accounts, organizations, OU paths and service principals inside the perimeter.

    ``partition`` is the stack's partition (``aws``, ``aws-cn``, ...): an ARN in another
    partition names another account namespace, even with the same 12 digits.

    ``notes`` (what is said about the set, e.g. that it rests on a stale membership) take no part
    in ``==`` and ``hash``: a noted set is the same trusted set (the caches key on it). Not a
    NamedTuple for that reason, and for the derived lookups cached on the instance.
    """

    _fields = _FIELDS
    _compared = _FIELDS[:-1]  # every field but notes
    accounts: frozenset[str]
    organization_ids: frozenset[str]
    ou_paths: frozenset[str]
    service_principals: frozenset[str]
    partition: str
    allowed_replication_regions: frozenset[str]
    allowed_upstream_registry_urls: frozenset[str]
    notes: tuple[str, ...]

    def __init__(
        self,
        accounts: frozenset[str] = frozenset(),
        organization_ids: frozenset[str] = frozenset(),
        ou_paths: frozenset[str] = frozenset(),
        service_principals: frozenset[str] = frozenset(),
        partition: str = "aws",
        allowed_replication_regions: frozenset[str] = frozenset(),
        allowed_upstream_registry_urls: frozenset[str] = frozenset(),
        notes: tuple[str, ...] = (),
    ) -> None:
        # No __slots__: the instance dict holds the fields and the cached_property values below.
        self.__dict__.update(
            accounts=accounts, organization_ids=organization_ids, ou_paths=ou_paths,
            service_principals=service_principals, partition=partition,
            allowed_replication_regions=allowed_replication_regions,
            allowed_upstream_registry_urls=allowed_upstream_registry_urls, notes=notes)

    def trusts_account(self, account_id: str, partition: str | None = None) -> bool:
        """Is this account inside the perimeter? The one place for the partition rule: the same
        12 digits in another partition are another account. ``partition`` is where the value names
        the account (an ARN's partition, a Region's); ``None`` for a bare account ID, which names
        an account of the stack's partition."""
        return (partition is None or partition == self.partition) and account_id in self.accounts

    # Derived lookups, built once per trusted set on first use (the set is immutable), so no
    # check ever walks the trusted set per value: every lookup below costs the same at 3 or
    # 100,000 trusted accounts.
    @cached_property
    def folded_accounts(self) -> frozenset[str]:
        """``accounts`` lower-cased, for ``...IgnoreCase`` operators."""
        return frozenset(a.lower() for a in self.accounts)

    @cached_property
    def folded_organization_ids(self) -> frozenset[str]:
        return frozenset(o.lower() for o in self.organization_ids)

    @cached_property
    def _path_prefixes(self) -> tuple[frozenset[str], tuple[int, ...]]:
        prefixes = frozenset({f"{org}/" for org in self.organization_ids} | set(self.ou_paths))
        return prefixes, tuple(sorted({len(p) for p in prefixes}))

    def trusts_org_path_prefix(self, value: str) -> bool:
        """Whether ``value`` starts with ``<trusted org>/`` or a trusted OU path: one set lookup
        per distinct prefix length (a handful), not one comparison per trusted path."""
        prefixes, lengths = self._path_prefixes
        size = len(value)
        return any(value[:n] in prefixes for n in lengths if n <= size)

    def region_allowed(self, region: str) -> bool:
        return not self.allowed_replication_regions or region in self.allowed_replication_regions

    def describe(self) -> str:
        """A short human description, for messages: "3 accounts, 1 organization"."""
        parts = [_count(len(self.accounts), "account")]
        if self.organization_ids:
            parts.append(_count(len(self.organization_ids), "organization"))
        if self.ou_paths:
            parts.append(_count(len(self.ou_paths), "OU path"))
        return ", ".join(parts)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
