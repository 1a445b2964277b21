"""The hook's STACK and CHANGE_SET targets: the whole template, before anything is provisioned.

The library fetches the payload (an S3 presigned URL) into ``targetModel``. Its keys are
documented as ``template``/``previousTemplate``/``changedResources``; the Java plugin reads
``Template``/``PreviousTemplate``/``ResolvedTemplate``/``ChangedResources``. Both are accepted,
and a key spelt in any other case when it is the only one.

- CHANGE_SET with ``changedResources``: each created or updated ECR resource is evaluated on
  its ``afterContext`` properties (a JSON string whose booleans and numbers are strings; the
  ``Properties`` key in any case: the guide's syntax block spells it ``properties``; an
  ``afterContext`` with keys but no properties fails closed), resolved against the payload's
  own template when it is readable (its Mappings and Conditions decide).
- Otherwise (STACK, or a change set without changed resources): the template
  (``ResolvedTemplate`` when the payload has one, else ``Template``) is translated into resources
  as ``hook-handler scan`` translates it (:func:`..template.template_resources`) and assessed by
  the same :func:`..assess.assess`. Parameter values are not in the payload, so a value that
  depends on a parameter is unresolved (its default is not assumed).
- ``{{changeSet:KNOWN_AFTER_APPLY}}`` is not known yet, in every field.
- The template is the one submitted, before transforms. What the hook cannot expand (a macro,
  ``AWS::Include``, ``Fn::ForEach``) is named in a SKIPPED annotation and left to the
  RESOURCE target; what it could read is still checked, and only that is counted.

A concrete violation fails here, early. An unresolved value is annotated (SKIPPED) and left
to the RESOURCE target, which sees resolved values. An empty target model (the payload could
not be fetched) or an unreadable template fails closed.

YAML templates are read by :mod:`..template.yaml_loader` (PyYAML), not cfn-lint: cfn-lint's
dependencies would add about 140 MB to the Lambda package. Neither is imported for RESOURCE
targets: this module is imported only when a STACK or CHANGE_SET request arrives.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..assess import Resource, assess
from ..core import supported_types
from ..exemptions import stack_name_of
from ..invocation import Invocation
from ..settings import Settings
from ..template import Context, NotATemplate, Resolver, TemplateResource, resolved, template_resources
from ..template.resources import Unexpanded, unexpanded
from ..template.yaml_loader import TemplateSyntaxError, load_template_text
from .answer import INVALID_REQUEST, Answer, failed, target_name, verdict

KNOWN_AFTER_APPLY = "Fn::KnownAfterApply"  # marks a {{changeSet:...}} value: never trusted
_MARKER = "{{changeSet:"
_DELETE_ACTIONS = {"delete", "remove"}


def stack_target_answer(
    target_type: str,
    logical_id: str,
    model: Any,
    settings: Settings,
    invocation: Invocation,
    session: Any = None,
) -> Answer:
    """The answer on one STACK or CHANGE_SET payload: its ECR resources, assessed."""
    name = target_name(logical_id, target_type)
    if not isinstance(model, Mapping) or not any(v not in (None, "", [], {}) for v in model.values()):
        return _failed(
            f"InvalidRequest: {name}: the {target_type} payload is empty (the presigned payload URL could not be "
            "fetched, or CloudFormation sent no template); the hook fails closed"
        )
    stack_name = stack_name_of(invocation.stack_id) or (logical_id if target_type == "STACK" else "")
    context = Context(
        account_id=invocation.account_id or None,
        region=invocation.region,
        stack_name=stack_name or None,
        partition=invocation.partition,
        parameters={},
        use_parameter_defaults=False,
    )
    unchecked: list[Unexpanded] = []
    which = ""  # the template field the resources were read from, when they were
    try:
        changed = field(model, "changedResources")
        if target_type == "CHANGE_SET" and isinstance(changed, list) and changed:
            resources = _changed_resources(changed, _readable_template(model), context)
        else:
            resources, unchecked, which = _template(model, context)
    except _Unreadable as error:
        return _failed(f"InvalidRequest: {name}: {error}; the hook fails closed")
    try:
        assessment = assess(resources, settings, invocation, session, stack_name=stack_name, named=model)
    except RecursionError:
        if not which:
            raise
        return _failed(f"InvalidRequest: {name}: the payload's {which} is nested too deeply to evaluate; "
                       "the hook fails closed")
    # Honest counts: a resource with a part the hook cannot expand was not wholly checked.
    partial = {u.logical_id for u in unchecked if u.logical_id}
    checked = sum(1 for r in resources if r.logical_id not in partial)
    passed = f"{name}: {checked} ECR resource(s) checked"
    if checked:
        passed += f"; every destination and grant is trusted ({assessment.trust.describe()})"
    return verdict(name, assessment.judged, passed, defer_unresolved=True, unchecked=[u.describe() for u in unchecked],
                   notes=assessment.notes)


class _Unreadable(ValueError):
    pass


def field(model: Mapping[str, Any], camel: str) -> Any:
    """``template`` or ``Template`` (the documented and the Java plugin's spelling), else the one
    key spelt so in any other case."""
    pascal = camel[0].upper() + camel[1:]
    value = model.get(camel)
    if value in (None, ""):
        value = model.get(pascal)
    if value in (None, "") and camel not in model and pascal not in model:
        key = _key_in_any_case(model, camel)
        value = model[key] if key is not None else None
    return value


def _key_in_any_case(mapping: Mapping[str, Any], name: str) -> str | None:
    """The one key of ``mapping`` that is ``name`` in some case; two such keys are ambiguous."""
    keys = [k for k in mapping if isinstance(k, str) and k.casefold() == name.casefold()]
    if len(keys) > 1:
        raise _Unreadable(f"the keys {', '.join(sorted(ascii(k)[:40] for k in keys[:5]))} differ only in case")
    return keys[0] if keys else None


def _load(model: Mapping[str, Any]) -> tuple[Any, str]:
    """The payload's template (``resolvedTemplate`` when it has one), parsed, with
    ``{{changeSet:KNOWN_AFTER_APPLY}}`` values marked, and which field it came from."""
    raw = field(model, "resolvedTemplate")
    which = "resolvedTemplate"
    if raw in (None, "", {}):
        raw, which = field(model, "template"), "template"
    if raw in (None, "", {}):
        raise _Unreadable("the payload carries no template")
    try:
        template = load_template_text(raw) if isinstance(raw, str) else raw
        # Text without the marker has none to mark (an escaped spelling of it is then read as
        # written, which fails closed: the marker only ever defers).
        if not isinstance(raw, str) or _MARKER in raw:
            template = _mark_known_after_apply(template)
        return template, which
    except TemplateSyntaxError as error:
        raise _Unreadable(f"the payload's {which} cannot be read: {error}") from None
    except RecursionError:
        raise _Unreadable(f"the payload's {which} is nested too deeply to evaluate") from None


def _template(model: Mapping[str, Any], context: Context) -> tuple[list[Resource], list[Unexpanded], str]:
    template, which = _load(model)
    try:
        resources = template_resources(template, context)
        unchecked = unexpanded(template, frozenset(supported_types()))
    except NotATemplate as error:
        raise _Unreadable(f"the payload's {which} cannot be read: {error}") from None
    except RecursionError:
        raise _Unreadable(f"the payload's {which} is nested too deeply to evaluate") from None
    malformed = [u for u in unchecked if u.malformed]
    if malformed and not any(u.where == "Transform" for u in unchecked):
        # No macro is declared that could make sense of it: CloudFormation would not either.
        raise _Unreadable(f"the payload's {which} cannot be read: {malformed[0].describe()}")
    return resources, unchecked, which


def _readable_template(model: Mapping[str, Any]) -> Any:
    """The change set's own template, to resolve ``afterContext`` values against (its Mappings,
    Conditions, Parameters); an empty one when the payload has none or it cannot be read, so
    what it would decide stays unresolved."""
    try:
        template, _ = _load(model)
    except _Unreadable:
        return {}
    return template if isinstance(template, Mapping) else {}


def _changed_resources(changed: list, template: Any, context: Context) -> list[Resource]:
    resolver = Resolver(template, context)
    checked = set(supported_types())
    resources = []
    for index, change in enumerate(changed):
        if not isinstance(change, Mapping):
            raise _Unreadable(f"changedResources[{index}] is not an object")
        resource_type = field(change, "resourceType")
        logical_id = str(field(change, "logicalResourceId") or f"changedResources[{index}]")
        action = str(field(change, "action") or "").lower()
        if resource_type not in checked or action in _DELETE_ACTIONS:
            continue
        properties = _mark_known_after_apply(_after_properties(change, logical_id))
        line = field(change, "lineNumber")
        resource = TemplateResource(logical_id, resource_type, properties, None, line if isinstance(line, int) else None)
        resources.append(resolved(resource, resolver))
    return resources


def _after_properties(change: Mapping[str, Any], logical_id: str) -> Any:
    after = field(change, "afterContext")
    key = "afterContext"
    if after in (None, ""):
        after, key = field(change, "resourceProperties"), "resourceProperties"
    if after in (None, ""):
        raise _Unreadable(f"{logical_id}: the change carries no afterContext")
    if isinstance(after, str):
        try:
            after = json.loads(after)
        except RecursionError:
            raise _Unreadable(f"{logical_id}: {key} is nested too deeply to read") from None
        except ValueError as error:
            raise _Unreadable(f"{logical_id}: {key} is not JSON ({error})") from None
    if not isinstance(after, Mapping):
        raise _Unreadable(f"{logical_id}: {key} is not an object")
    # The guide's syntax block spells it "properties", its examples "Properties": either.
    try:
        wrapper = _key_in_any_case(after, "Properties")
    except _Unreadable as error:
        raise _Unreadable(f"{logical_id}: {key}: {error}") from None
    if key == "afterContext":
        if wrapper is None:
            if after:  # keys, none of them the properties: never read as "no properties"
                shown_keys = ", ".join(ascii(str(k))[:40] for k in list(after)[:5])
                raise _Unreadable(f"{logical_id}: {key} has no Properties (its keys: {shown_keys})")
            return {}
        properties = after[wrapper]
        if not isinstance(properties, Mapping):
            raise _Unreadable(f"{logical_id}: {key} {ascii(wrapper)} is not an object")
        return properties
    if wrapper is not None and len(after) == 1 and isinstance(after[wrapper], Mapping):
        return after[wrapper]
    return after


def _mark_known_after_apply(value: Any) -> Any:
    """A ``{{changeSet:KNOWN_AFTER_APPLY}}`` value becomes an intrinsic-shaped marker, which no
    checker trusts and every checker reports as unresolved. Containers are changed in place
    (iteratively: a deep document cannot exhaust the stack), so parsed templates keep the
    lines the loader recorded."""
    if isinstance(value, str):
        return {KNOWN_AFTER_APPLY: value} if _MARKER in value else value
    stack = [value]
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        marked = []
        for key, item in items:
            if isinstance(item, str):
                if _MARKER in item:
                    marked.append(key)
            elif isinstance(item, (dict, list)):
                stack.append(item)
        for key in marked:
            node[key] = {KNOWN_AFTER_APPLY: node[key]}
    return value


def _failed(message: str) -> Answer:
    return failed(INVALID_REQUEST, message)
