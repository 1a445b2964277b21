"""The trusted set from the type configuration alone (``AccountSource`` ``Static``)."""

from __future__ import annotations

import functools
from typing import Any

from ..core.trust import Trust
from ..core.values import is_account_id
from ..invocation import Invocation
from ..settings import Settings
from .source import TrustSource


@functools.lru_cache(maxsize=64)
def static_trust(
    settings: Settings, deploying_account: str, partition: str, extra_accounts: frozenset[str] = frozenset()
) -> Trust:
    """Configured accounts (plus the deploying account when ``TrustDeployingAccount``), orgs
    and OU paths. Cached: the same configuration gives the same (hashable) value."""
    accounts = set(settings.trusted_account_ids) | extra_accounts
    if settings.trust_deploying_account and is_account_id(deploying_account):
        accounts.add(deploying_account)
    return Trust(
        accounts=frozenset(accounts),
        organization_ids=settings.trusted_organization_ids,
        ou_paths=settings.trusted_ou_paths,
        partition=partition,
        allowed_replication_regions=settings.allowed_replication_regions,
        service_principals=settings.trusted_service_principals,
        allowed_upstream_registry_urls=settings.allowed_upstream_registry_urls,
    )


class StaticSource:
    """Nothing to read and nothing looked up: the resource is never walked."""

    account_source = "Static"

    def named_accounts(self, settings: Settings, value: Any) -> frozenset[str]:
        return frozenset()

    def resolve(self, settings: Settings, invocation: Invocation, session: Any, resource: Any) -> Trust:
        return static_trust(settings, invocation.account_id, invocation.partition)


SOURCE: TrustSource = StaticSource()  # typed: mypy checks the source has the interface
