"""Sources of the trusted set. Each turns settings (and, for Organizations, API answers)
into one immutable :class:`~dataperimeter_ecr_replicationguard.core.trust.Trust`."""

from __future__ import annotations

from typing import Any

from ..core.trust import Trust
from ..invocation import Invocation
from ..settings import Settings
from .static import static_trust


def resolve_trust(settings: Settings, invocation: Invocation, session: Any = None) -> Trust:
    """The trusted set for one invocation. ``session`` is the hook's ``SessionProxy`` (or a
    boto3 session) for sources that call AWS; the static source ignores it."""
    return static_trust(settings, invocation.account_id, invocation.partition)


__all__ = ["resolve_trust", "static_trust"]
