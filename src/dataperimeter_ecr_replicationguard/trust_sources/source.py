"""What every trust source is: the interface :func:`~.resolve_trust` calls, and the one error
a source raises when the trusted set cannot be resolved."""

from __future__ import annotations

from typing import Any, Protocol

from ..core.trust import Trust
from ..invocation import Invocation
from ..settings import Settings


class TrustUnavailable(Exception):
    """The trusted set could not be resolved: the invocation must fail closed.
    ``code`` is the AWS error code behind it (``AccessDeniedException``, ...)."""

    def __init__(self, message: str, code: str, throttled: bool = False):
        super().__init__(message)
        self.code = code
        self.throttled = throttled


class TrustSource(Protocol):
    """One ``AccountSource``: a module of ``trust_sources`` that defines ``SOURCE``, an object
    with this shape, and is named in :data:`~.SOURCES`.

    ``resolve`` is called on every invocation (keep its warm path to a cache hit); it raises
    only :class:`TrustUnavailable`. ``named_accounts`` is the accounts a resource value names
    that this source would have to look up (empty when it never looks accounts up)."""

    account_source: str

    def named_accounts(self, settings: Settings, value: Any) -> frozenset[str]: ...

    def resolve(self, settings: Settings, invocation: Invocation, session: Any, resource: Any) -> Trust: ...
