"""Template transforms, for ``hook-handler scan``: what CloudFormation would do to a template
before any hook sees its resources.

- ``AWS::LanguageExtensions`` is expanded with cfn-lint's own transform (``Fn::ForEach`` copies
  its output once per collection value; ``Fn::Length``, ``Fn::ToJsonString`` and
  ``Fn::FindInMap`` with ``DefaultValue`` are then resolved by :mod:`.resolve` like every other
  intrinsic). cfn-lint is imported only when a template declares this transform: the hook's
  Lambda package carries no cfn-lint.
- ``AWS::Serverless-2016-10-31`` (SAM) leaves ECR resources as written: nothing to expand.
- Anything else (a macro, ``AWS::Include``, ``Fn::Transform`` outside resource properties) can
  change every resource and is not known before CloudFormation runs it: the file's ECR content
  is unresolved (:attr:`Expansion.unresolved`), never "0 resources".

cfn-lint's transform is written for linting and makes values up where the template does not
decide them (a random name for a collection it cannot read, some row of a mapping keyed by
``AWS::AccountId``, the first Region). A perimeter verdict must not rest on a made-up value, so
the transform only ever sees collections this module resolved itself (with the scan's
parameters, account and Region), ``Fn::FindInMap`` is hidden from it (the resolver reads it
later with the real context), and an expansion that still had to invent a value is unresolved.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, MutableMapping
from types import SimpleNamespace
from typing import Any, NamedTuple

from ..core.values import cut, data, is_object, shown
from .resolve import Context, Resolver
from .yaml_loader import take_all_marks

SAM = "AWS::Serverless-2016-10-31"
LANGUAGE_EXTENSIONS = "AWS::LanguageExtensions"
_FOR_EACH = re.compile(r"^Fn::ForEach::[a-zA-Z0-9]+$")
_HIDDEN_FIND_IN_MAP = "ECRPerimeterScan::FindInMap"  # not an intrinsic: cfn-lint's transform walks past it


class Expansion(NamedTuple):
    """The template as CloudFormation would evaluate it, and why it may not be that."""

    template: Any
    unresolved: tuple[str, ...] = ()  # reasons: the ECR content is not known before deployment
    parameters: tuple[str, ...] = ()  # parameters whose value decided a Fn::ForEach collection
    opaque: bool = False  # a transform the scan cannot expand may rewrite any resource (a macro, Fn::Transform)
    loops: tuple[tuple[Any, str], ...] = ()  # Fn::ForEach:: keys nothing expands: (key as written, why)


def declared(template: Any) -> list[Any]:
    if not is_object(template):
        return []
    value = template.get("Transform")
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def expand(template: Any, context: Context) -> Expansion:
    names = declared(template)
    unresolved = [f"the template declares transform {shown(_name(name))}, which the scan cannot expand (it runs "
                  "only when CloudFormation processes the template)" for name in names
                  if _name(name) not in (SAM, LANGUAGE_EXTENSIONS)]
    unresolved.extend(_fn_transforms(template))
    if unresolved:
        return Expansion(template, tuple(unresolved), opaque=True)
    if LANGUAGE_EXTENSIONS not in [_name(n) for n in names]:
        return Expansion(template, loops=tuple(_loops_left(template, extended=False)))
    expanded, problems, parameters = _language_extensions(template, context)
    if problems:  # nothing expanded: every loop is still there, and the problem is said
        return Expansion(template, tuple(problems), tuple(parameters))
    return Expansion(expanded, (), tuple(parameters), loops=tuple(_loops_left(expanded, extended=True)))


def _loops_left(template: Any, extended: bool) -> list[tuple[Any, str]]:
    """``Fn::ForEach::`` keys still in the Resources section, where they may make an ECR
    resource: without ``AWS::LanguageExtensions`` nothing expands them, and with it a loop whose
    name is not alphanumeric (or that is not [identifier, collection, fragment]) is not a loop
    to it either; CloudFormation rejects such a template, and the scan cannot say what it
    makes: unresolved, never "0 resources"."""
    resources = template.get("Resources") if is_object(template) else None
    if not is_object(resources):
        return []
    if not any(type(key) is str and key.startswith("Fn::ForEach::") for key in resources):
        return []
    why = ("it is not a loop AWS::LanguageExtensions expands (a loop name is letters and digits, its value "
           "[identifier, collection, fragment])" if extended else
           f"only the {LANGUAGE_EXTENSIONS} transform expands it, and the template does not declare it")
    return [(key, f"Resources/{data(key, 255)}: {why}") for key, value in resources.items()
            if isinstance(key, str) and key.startswith("Fn::ForEach::") and _may_be_ecr(value)]


def _name(entry: Any) -> str:
    if isinstance(entry, Mapping) and isinstance(entry.get("Name"), str):  # {"Name": "AWS::Include", ...}
        return entry["Name"]
    return entry if isinstance(entry, str) else json.dumps(entry, default=str)


def _fn_transforms(template: Any) -> list[str]:
    """``Fn::Transform`` where it can add or change resources (the Resources section itself, or
    a resource's body outside ``Properties``; inside properties the resolver reports it)."""
    resources = template.get("Resources") if is_object(template) else None
    if not is_object(resources):
        return []
    found = []
    if "Fn::Transform" in resources:
        found.append("the Resources section includes Fn::Transform, which the scan cannot expand")
    for logical_id, body in resources.items():
        if is_object(body) and "Fn::Transform" in body:
            found.append(f"resource {shown(str(logical_id))} includes Fn::Transform, which the scan cannot expand")
    return found


def _language_extensions(template: Any, context: Context) -> tuple[Any, list[str], list[str]]:
    import copy
    import random

    from cfnlint.template.transforms import _language_extensions as cfnlint_language_extensions

    _quiet_cfnlint_logging()
    resolver = Resolver(template, context)
    take_all_marks(template)  # the copy keeps the template's marks: it cannot take them from the text
    prepared = copy.deepcopy(template)
    problems: list[str] = []
    parameters: list[str] = []
    for key in list(prepared) if isinstance(prepared, MutableMapping) else []:
        if key == "Resources" and isinstance(prepared[key], MutableMapping):
            _prepare_resources(prepared[key], resolver, (), problems, parameters)
        else:
            _prepare(prepared[key], resolver, (), problems, parameters, relevant=False)
    if problems:
        return None, problems, parameters
    transform = cfnlint_language_extensions._Transform()
    cfn = SimpleNamespace(template=prepared, regions=[context.region] if context.region else [], filename=None)
    state = random.getstate()
    random.seed(0)  # cfn-lint names what it cannot read at random; such a result is rejected below anyway
    try:
        _, expanded = transform.transform(cfn)
    except Exception as error:  # noqa: BLE001 - cfn-lint's own errors (_ValueError, _TypeError, _ResolveError, ...)
        return None, [f"AWS::LanguageExtensions cannot be expanded: {data(' '.join(str(error).split()), 200)}"], parameters
    finally:
        random.setstate(state)
    if transform._collections:
        return None, ["AWS::LanguageExtensions: a Fn::ForEach collection is not decided by the template"], parameters
    _restore(expanded)
    return expanded, [], parameters


def _quiet_cfnlint_logging() -> None:
    """cfn-lint logs what it also returns as a problem; the scan reports that problem itself,
    once, in the chosen format. Here, where cfn-lint is imported: a scan without this transform
    imports neither cfn-lint nor ``logging``."""
    import logging

    logger = logging.getLogger("cfnlint")
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())
    logger.propagate = False


def _prepare_resources(resources: MutableMapping, resolver: Resolver, identifiers: tuple[str, ...],
                       problems: list[str], parameters: list[str]) -> None:
    """The Resources section (or a ``Fn::ForEach`` output inside it): a collection matters only
    where what it makes may be an ECR resource."""
    for key in list(resources):
        value = resources[key]
        if _is_for_each(key, value):
            relevant = _may_be_ecr(value[2])
            value[1] = _collection(key, value[1], resolver, identifiers, problems, parameters, relevant)
            if value[1] is None:
                del resources[key]
                continue
            if isinstance(value[2], MutableMapping):
                _prepare_resources(value[2], resolver, identifiers + (_identifier(value),), problems, parameters)
        else:
            _prepare(value, resolver, identifiers, problems, parameters, relevant=_may_be_ecr({key: value}))


def _prepare(node: Any, resolver: Resolver, identifiers: tuple[str, ...], problems: list[str],
             parameters: list[str], relevant: bool) -> None:
    """In place: every ``Fn::ForEach`` collection the template decides becomes a literal list;
    ``Fn::FindInMap`` is hidden from cfn-lint's transform."""
    if isinstance(node, MutableMapping):
        if "Fn::FindInMap" in node and len(node) == 1:
            node[_HIDDEN_FIND_IN_MAP] = node.pop("Fn::FindInMap")
        for key in list(node):
            value = node[key]
            if _is_for_each(key, value):
                value[1] = _collection(key, value[1], resolver, identifiers, problems, parameters, relevant)
                if value[1] is None:
                    del node[key]
                    continue
                _prepare(value[2], resolver, identifiers + (_identifier(value),), problems, parameters, relevant)
            else:
                _prepare(value, resolver, identifiers, problems, parameters, relevant)
    elif isinstance(node, list):
        for item in node:
            _prepare(item, resolver, identifiers, problems, parameters, relevant)


def _is_for_each(key: Any, value: Any) -> bool:
    return isinstance(key, str) and bool(_FOR_EACH.match(key)) and isinstance(value, list) and len(value) == 3


def _identifier(value: list) -> str:
    return value[0] if isinstance(value[0], str) else ""


def _may_be_ecr(node: Any) -> bool:
    """Whether ``node`` may hold an ECR resource: a ``Type`` that names ECR, or that is not a
    literal (``AWS::${Service}::Repository`` inside a loop)."""
    if isinstance(node, Mapping):
        kind = node.get("Type", "")
        if not isinstance(kind, str) or "ECR" in kind.upper() or "${" in kind or "&{" in kind:
            return True
        return any(_may_be_ecr(v) for v in node.values())
    if isinstance(node, list):
        return any(_may_be_ecr(v) for v in node)
    return False


def _collection(key: str, collection: Any, resolver: Resolver, identifiers: tuple[str, ...], problems: list[str],
                parameters: list[str], relevant: bool = True) -> Any:
    """The collection as a literal list. One the template does not decide is a problem where it
    may make or shape an ECR resource; elsewhere the loop is dropped (``None``: nothing the scan
    reads depends on it)."""
    if _mentions(collection, identifiers):
        return collection  # decided by an outer loop: cfn-lint substitutes its value
    if isinstance(collection, Mapping) and relevant:
        ref = collection.get("Ref")
        if len(collection) == 1 and isinstance(ref, str) and not ref.startswith("AWS::"):
            parameters.append(ref)
    resolution = resolver.resolve(collection)
    value = resolution.value
    if resolution.unresolved or not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        if not relevant:
            return None  # the loop is dropped
        why = "; ".join(dict.fromkeys(u.reason for u in resolution.unresolved)) or "it is not a list of strings"
        problems.append(f"the collection of {data(key, 255)} is not decided by the template ({cut(why, 200)})")
        return collection
    return value


def _mentions(value: Any, identifiers: tuple[str, ...]) -> bool:
    if not identifiers:
        return False
    if isinstance(value, Mapping):
        return any(_mentions(k, identifiers) or _mentions(v, identifiers) for k, v in value.items())
    if isinstance(value, list):
        return any(_mentions(v, identifiers) for v in value)
    if isinstance(value, str):
        return value in identifiers or any(f"${{{i}}}" in value or f"&{{{i}}}" in value for i in identifiers)
    return False


def _restore(node: Any) -> None:
    if isinstance(node, MutableMapping):
        if _HIDDEN_FIND_IN_MAP in node and len(node) == 1:
            node["Fn::FindInMap"] = node.pop(_HIDDEN_FIND_IN_MAP)
        for value in node.values():
            _restore(value)
    elif isinstance(node, list):
        for item in node:
            _restore(item)

