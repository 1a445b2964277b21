"""Whole templates into the resources :func:`..assess.assess` judges: the one translation the
template doors (``hook-handler scan`` and the hook's STACK and CHANGE_SET targets) share.

template -> resources (type, logical ID, properties, line) -> resolved properties, with what the
template does not decide kept as data (a ``Condition`` it does not decide, the values its
resolver could not resolve). Only resource types the core checks are kept, and a resource
whose condition is false is left out (it is not created). Nothing is evaluated here.
"""

from __future__ import annotations

import json
from typing import Any

from ..assess import Resource
from ..core import supported_types
from .resolve import Context, Resolver
from .resources import TemplateResource, resources_of

_CHECKED = frozenset(supported_types())


def template_resources(template: Any, context: Context, listed: list[TemplateResource] | None = None,
                       reads: dict[str, dict[str, None]] | None = None) -> list[Resource]:
    """Every ECR resource of ``template`` that may be created, resolved. Raises ``NotATemplate``.
    ``listed``: :func:`.resources_of` the template, when the caller has it already. ``reads``:
    filled with each returned resource's names read by its properties (logical ID ->
    :func:`.resolve.names_read`)."""
    resolver = Resolver(template, context)
    resources = []
    for resource in resources_of(template) if listed is None else listed:
        if resource.resource_type not in _CHECKED:
            continue
        decided = resolver.condition(resource.condition) if resource.condition else True
        if decided is False:
            continue  # the condition is false: the resource is not created
        names = None if reads is None else reads.setdefault(resource.logical_id, {})
        resources.append(resolved(resource, resolver, undecided=resource.condition if decided is None else None,
                                  reads=names))
    return resources


def resolved(resource: TemplateResource, resolver: Resolver, undecided: str | None = None,
             reads: dict[str, None] | None = None) -> Resource:
    """``resource`` with its properties resolved; ``undecided``: a condition the template does
    not decide; ``reads``: see :meth:`.Resolver.resolve`."""
    properties = resource.properties if resource.properties is not None else {}
    resolution = resolver.resolve(properties, reads)
    return Resource(
        resource_type=resource.resource_type,
        logical_id=resource.logical_id,
        properties=resolution.value,
        line=resource.line,
        condition=undecided,
        unresolved=tuple(resolution.unresolved),
    )


def placeholder_account(template: Any) -> str:
    """A 12-digit stand-in for ``AWS::AccountId`` when the deploying account is not given:
    the first of ``000000000000``, ``000000000001``, ... that the template never mentions, so
    it can only ever stand for ``AWS::AccountId``. It is trusted exactly as the deploying
    account is (``TrustDeployingAccount``)."""
    text = json.dumps(template, default=str)
    for n in range(1000):
        candidate = f"{n:012d}"
        if candidate not in text:
            return candidate
    raise ValueError("no unused placeholder account")  # pragma: no cover - 1000 literal IDs
