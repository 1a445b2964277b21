"""Sources of the trusted set. Each turns settings (and, for Organizations, API answers)
into one immutable :class:`~dataperimeter_ecr_replicationguard.core.trust.Trust`.

One ``AccountSource`` is one module here defining ``SOURCE`` (a :class:`TrustSource`), named in
:data:`SOURCES`; it is imported on first use, so a source's code (and its AWS client) never
loads for an invocation configured with another source. See CONTRIBUTING.md, "Adding a trust source".
"""

from __future__ import annotations

import importlib
from typing import Any

from ..core.trust import Trust
from ..invocation import Invocation
from ..settings import Settings
from .source import TrustSource, TrustUnavailable
from .static import static_trust

# AccountSource -> the module of this package that defines its SOURCE.
SOURCES: dict[str, str] = {
    "Static": "static",
    "Organizations": "membership",
    "Snapshot": "snapshot",
}

_LOADED: dict[str, TrustSource] = {}


def source_for(settings: Settings) -> TrustSource:
    """The source of ``settings.account_source``, imported the first time it is needed."""
    name = settings.account_source
    source = _LOADED.get(name)
    if source is None:
        if name not in SOURCES:
            raise TrustUnavailable(f"no trust source is registered for AccountSource {name!r}", "UnknownAccountSource")
        source = _LOADED[name] = importlib.import_module(f"{__name__}.{SOURCES[name]}").SOURCE
    return source


def named_accounts(settings: Settings, value: Any) -> frozenset[str]:
    """The accounts ``value`` names that the configured source would look up one by one (for
    Organizations: every 12-digit run in it; for Static: none, and ``value`` is not walked)."""
    return source_for(settings).named_accounts(settings, value)


def resolve_trust(settings: Settings, invocation: Invocation, session: Any = None, resource: Any = None) -> Trust:
    """The trusted set for one invocation. ``session`` is the hook's ``SessionProxy`` (or a
    boto3 session) for sources that call AWS; the static source ignores it. ``resource`` is
    what is evaluated (a resource's properties, a template, ...): a source that cannot list its
    whole membership looks up the accounts it names (:func:`named_accounts`), and only then.

    Raises :class:`TrustUnavailable` when the source cannot be read and no usable cached
    membership exists. A stale membership in use is named in ``Trust.notes``.
    """
    return source_for(settings).resolve(settings, invocation, session, resource)


__all__ = ["SOURCES", "TrustSource", "TrustUnavailable", "named_accounts", "resolve_trust", "source_for",
           "static_trust"]
