"""Sources of the trusted set. Each turns settings (and, for Organizations, API answers)
into one immutable :class:`~dataperimeter_ecr_replicationguard.core.trust.Trust`."""

from __future__ import annotations

import dataclasses
from typing import Any, Iterable

from ..core.trust import Trust
from ..invocation import Invocation
from ..settings import Settings
from .static import static_trust


class TrustUnavailable(Exception):
    """The trusted set could not be resolved: the invocation must fail closed.
    ``code`` is the AWS error code behind it (``AccessDeniedException``, ...)."""

    def __init__(self, message: str, code: str, throttled: bool = False):
        super().__init__(message)
        self.code = code
        self.throttled = throttled


def resolve_trust(
    settings: Settings, invocation: Invocation, session: Any = None, candidates: Iterable[str] = ()
) -> Trust:
    """The trusted set for one invocation. ``session`` is the hook's ``SessionProxy`` (or a
    boto3 session) for sources that call AWS; the static source ignores it. ``candidates`` are
    the accounts the evaluated resource names (``core.values.mentioned_account_ids``): when an
    organization is too large to list within the hook's time, only they are looked up.

    Raises :class:`TrustUnavailable` when Organizations cannot be read and no usable cached
    membership exists. A stale membership in use is named in ``Trust.notes``.
    """
    if settings.account_source != "Organizations" or not (
        settings.trusted_organization_ids or settings.trusted_ou_paths
    ):
        return static_trust(settings, invocation.account_id, invocation.partition)
    from .membership import membership
    from .organizations import OrganizationsError

    try:
        found = membership(settings, invocation, session, candidates)
    except OrganizationsError as error:
        raise TrustUnavailable(f"the trusted set could not be read from AWS Organizations: {error}",
                               error.code, error.throttled) from None
    except (KeyError, TypeError, AttributeError, ValueError) as error:
        raise TrustUnavailable(
            "the trusted set could not be read from AWS Organizations: an answer did not have the expected "
            f"shape ({type(error).__name__}: {error})", "MalformedResponse") from None
    trust = static_trust(settings, invocation.account_id, invocation.partition, found.accounts)
    return dataclasses.replace(trust, notes=(found.stale_reason,)) if found.stale_reason else trust


__all__ = ["TrustUnavailable", "resolve_trust", "static_trust"]
