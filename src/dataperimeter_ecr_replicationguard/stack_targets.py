"""The hook's STACK and CHANGE_SET targets: the whole template, before anything is provisioned.

The library fetches the payload (an S3 presigned URL) into ``targetModel``. Its keys are
documented as ``template``/``previousTemplate``/``changedResources``; the Java plugin reads
``Template``/``PreviousTemplate``/``ResolvedTemplate``/``ChangedResources``. Both are accepted.

- CHANGE_SET with ``changedResources``: each created or updated ECR resource is evaluated on
  its ``afterContext`` properties (a JSON string whose booleans and numbers are strings; a
  ``{{changeSet:KNOWN_AFTER_APPLY}}`` value is not known yet).
- Otherwise (STACK, or a change set without changed resources): the template is evaluated
  (``ResolvedTemplate`` when the payload has one, else ``Template``) by the same template
  evaluator as ``hook-handler scan``. Parameter values are not in the payload, so a value
  that depends on a parameter is unresolved (its default is not assumed).

A concrete violation fails here, early. An unresolved value is annotated (SKIPPED) and left
to the RESOURCE target, which sees resolved values. An empty target model (the payload could
not be fetched) or an unreadable template fails closed.

YAML templates are read by :mod:`.template.yaml_loader` (PyYAML), not cfn-lint: cfn-lint's
dependencies would add about 140 MB to the Lambda package. Neither is imported for RESOURCE
targets: this module is imported only when a STACK or CHANGE_SET request arrives.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from typing import Any

from cloudformation_cli_python_lib import HandlerErrorCode, OperationStatus, ProgressEvent

from .core import supported_types
from .core.trust import Trust
from .exemptions import judge, stack_name_of
from .invocation import Invocation
from .settings import Settings
from .template import Context, NotATemplate, Resolver, TemplateResource, evaluate_template
from .template.evaluate import evaluate_resource
from .template.yaml_loader import TemplateSyntaxError, load_template_text
from .verdict import cut, progress_event

KNOWN_AFTER_APPLY = "Fn::KnownAfterApply"  # marks a {{changeSet:...}} value: never trusted
_DELETE_ACTIONS = {"delete", "remove"}


def evaluate_stack_target(
    target_type: str,
    logical_id: str,
    model: Any,
    settings: Settings,
    invocation: Invocation,
    trust: Trust,
    today: datetime.date,
) -> ProgressEvent:
    name = f"{logical_id or '?'} ({target_type})"
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
    changed = field(model, "changedResources")
    try:
        if target_type == "CHANGE_SET" and isinstance(changed, list) and changed:
            evaluated = _changed_resources(changed, trust, context)
        else:
            evaluated = _template(model, trust, context)
    except _Unreadable as error:
        return _failed(f"InvalidRequest: {name}: {error}; the hook fails closed")
    findings = [f for _, findings in evaluated for f in findings]
    judged = judge(findings, settings.exemptions, stack_name=stack_name, account_id=invocation.account_id, today=today)
    return progress_event(
        name,
        judged,
        f"{name}: {len(evaluated)} ECR resource(s) checked; every destination and grant is trusted ({trust.describe()})",
        defer_unresolved=True,
    )


class _Unreadable(ValueError):
    pass


def field(model: Mapping[str, Any], camel: str) -> Any:
    """``template`` or ``Template`` (the documented and the Java plugin's spelling)."""
    pascal = camel[0].upper() + camel[1:]
    value = model.get(camel)
    return value if value not in (None, "") else model.get(pascal)


def _template(model: Mapping[str, Any], trust: Trust, context: Context) -> list[tuple[str, list]]:
    raw = field(model, "resolvedTemplate")
    which = "resolvedTemplate"
    if raw in (None, "", {}):
        raw, which = field(model, "template"), "template"
    if raw in (None, "", {}):
        raise _Unreadable("the payload carries no template")
    try:
        template = load_template_text(raw) if isinstance(raw, str) else raw
        results = evaluate_template(template, trust, context)
    except (TemplateSyntaxError, NotATemplate) as error:
        raise _Unreadable(f"the payload's {which} cannot be read: {error}") from None
    except RecursionError:
        raise _Unreadable(f"the payload's {which} is nested too deeply to evaluate") from None
    return [(r.logical_id, list(r.findings)) for r in results]


def _changed_resources(changed: list, trust: Trust, context: Context) -> list[tuple[str, list]]:
    resolver = Resolver({}, context)
    checked = set(supported_types())
    evaluated = []
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
        evaluated.append((logical_id, list(evaluate_resource(resource, resolver, trust).findings)))
    return evaluated


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
    if key == "afterContext" or (set(after) == {"Properties"} and isinstance(after["Properties"], Mapping)):
        return after.get("Properties", {})
    return after


def _mark_known_after_apply(value: Any) -> Any:
    """A ``{{changeSet:KNOWN_AFTER_APPLY}}`` value becomes an intrinsic-shaped marker, which no
    checker trusts and every checker reports as unresolved."""
    if isinstance(value, Mapping):
        return {k: _mark_known_after_apply(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mark_known_after_apply(v) for v in value]
    if isinstance(value, str) and "{{changeSet:" in value:
        return {KNOWN_AFTER_APPLY: value}
    return value


def _failed(message: str) -> ProgressEvent:
    return ProgressEvent(status=OperationStatus.FAILED, errorCode=HandlerErrorCode.InvalidRequest, message=cut(message))
