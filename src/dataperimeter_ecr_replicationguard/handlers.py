"""The hook's Lambda entrypoints: ``hook`` (what CloudFormation calls) and ``test_entrypoint``
(what ``cfn test`` calls). They only adapt: request in, :mod:`.core` verdict, ProgressEvent out.

Nothing raises out of a handler: anything the hook cannot read or decide is FAILED with a
message naming what and where (fail closed).
"""

from __future__ import annotations

import functools
import logging
from typing import Any, MutableMapping, Optional

from cloudformation_cli_python_lib import (
    BaseHookHandlerRequest,
    HandlerErrorCode,
    Hook,
    HookAnnotation,
    HookAnnotationSeverityLevel,
    HookAnnotationStatus,
    HookInvocationPoint,
    OperationStatus,
    ProgressEvent,
    SessionProxy,
)

from . import TYPE_NAME
from .core import evaluate, supported_types
from .exemptions import judge, stack_name_of, today_utc
from .invocation import invocation_of
from .models import TypeConfigurationModel
from .report import MESSAGE_LIMIT
from .request_errors import GuardedHook
from .settings import ConfigurationError, parse_settings
from .trust_sources import TrustUnavailable, resolve_trust
from .verdict import progress_event

STACK_TARGETS = ("STACK", "CHANGE_SET")

LOG = logging.getLogger(__name__)

_TRUST_ERRORS = {
    "AccessDeniedException": HandlerErrorCode.AccessDenied,
    "AccessDenied": HandlerErrorCode.AccessDenied,
    "NoCredentials": HandlerErrorCode.InvalidCredentials,
    "OrganizationMismatch": HandlerErrorCode.InvalidTypeConfiguration,
    "AWSOrganizationsNotInUseException": HandlerErrorCode.InvalidTypeConfiguration,
    **dict.fromkeys(("SnapshotNotConfigured", "SnapshotOrganizationMismatch"), HandlerErrorCode.InvalidTypeConfiguration),
}

hook = GuardedHook(TYPE_NAME, TypeConfigurationModel)  # library parse errors in actionable words
test_entrypoint = hook.test_entrypoint


@hook.handler(HookInvocationPoint.CREATE_PRE_PROVISION)
def pre_create_handler(
    session: Optional[SessionProxy],
    request: BaseHookHandlerRequest,
    callback_context: MutableMapping[str, Any],
    type_configuration: Optional[TypeConfigurationModel],
) -> ProgressEvent:
    return guard(session, request, type_configuration)


@hook.handler(HookInvocationPoint.UPDATE_PRE_PROVISION)
def pre_update_handler(
    session: Optional[SessionProxy],
    request: BaseHookHandlerRequest,
    callback_context: MutableMapping[str, Any],
    type_configuration: Optional[TypeConfigurationModel],
) -> ProgressEvent:
    # Only the proposed properties decide: the previous ones are what is being replaced.
    return guard(session, request, type_configuration)


def guard(
    session: Optional[SessionProxy],
    request: BaseHookHandlerRequest,
    type_configuration: Optional[TypeConfigurationModel],
) -> ProgressEvent:
    """One resource-target verdict. Never raises."""
    context = request.hookContext
    target = f"{_text(context.targetLogicalId) or '?'} ({_text(context.targetName) or '?'})"
    try:
        return _guard(session, request, type_configuration, target)
    except TrustUnavailable as error:
        code = _TRUST_ERRORS.get(error.code, HandlerErrorCode.Throttling if error.throttled else HandlerErrorCode.InternalFailure)
        return _failed(code, f"{code.value}: {target}: {error}; the hook fails closed.")
    except Exception as error:  # noqa: BLE001 - fail closed, never an unhandled exception
        LOG.exception("hook failed on %s", target)
        return _failed(
            HandlerErrorCode.InternalFailure,
            f"InternalFailure: {target}: the hook could not evaluate this resource "
            f"({type(error).__name__}); it fails closed. See the hook's logs.",
        )


def _guard(session, request, type_configuration, target: str) -> ProgressEvent:
    context = request.hookContext
    stack_target = _text(context.targetType) in STACK_TARGETS or _text(context.targetName) in STACK_TARGETS
    if context.targetName not in supported_types() and not stack_target:
        return _failed(
            HandlerErrorCode.UnsupportedTarget,
            f"UnsupportedTarget: {target}: this hook checks {', '.join(supported_types())}",
        )
    try:
        raw = type_configuration._serialize() if type_configuration is not None else None
        settings = settings_of(raw)
    except ConfigurationError as error:
        return _failed(
            HandlerErrorCode.InvalidTypeConfiguration,
            _cut(f"InvalidTypeConfiguration: the hook's type configuration does not validate: {error}"),
        )

    invocation = invocation_of(context.awsAccountId, context.stackId)
    if stack_target:
        return _stack_target(session, context, settings, invocation)

    model = context.targetModel
    if not isinstance(model, dict) or not isinstance(model.get("resourceProperties"), dict):
        return _failed(
            HandlerErrorCode.InvalidRequest,
            f"InvalidRequest: {target}: the request carries no resourceProperties object, "
            "so the resource cannot be checked",
        )

    trust = resolve_trust(settings, invocation, session, model["resourceProperties"])
    findings = evaluate(context.targetName, _text(context.targetLogicalId), model["resourceProperties"], trust)
    judged = judge(
        findings,
        settings.exemptions,
        stack_name=stack_name_of(context.stackId),
        account_id=_text(context.awsAccountId),
        today=today_utc(),
    )
    event = progress_event(target, judged, f"{target}: every destination and grant is trusted ({trust.describe()})")
    return with_trust_notes(event, trust)


def _stack_target(session, context, settings, invocation) -> ProgressEvent:
    """STACK and CHANGE_SET targets: the whole template (imported only for them)."""
    from .stack_targets import evaluate_stack_target

    target_type = _text(context.targetType) if _text(context.targetType) in STACK_TARGETS else _text(context.targetName)
    trust = resolve_trust(settings, invocation, session, context.targetModel)
    event = evaluate_stack_target(
        target_type, _text(context.targetLogicalId), context.targetModel, settings, invocation, trust, today_utc()
    )
    return with_trust_notes(event, trust)


def settings_of(raw: Any):
    """``parse_settings``, remembered per configuration: CloudFormation sends the same type
    configuration on every invocation, and re-reading thousands of account IDs each time would
    cost more than the analysis. A configuration that does not validate is never remembered."""
    if isinstance(raw, dict) and all(isinstance(v, (str, bool, int, float, type(None))) for v in raw.values()):
        return _parsed(tuple(sorted(raw.items())))
    return parse_settings(raw)


@functools.lru_cache(maxsize=8)
def _parsed(items: tuple):
    return parse_settings(dict(items))


def with_trust_notes(event: ProgressEvent, trust) -> ProgressEvent:
    """Say in the annotations when the verdict rests on a stale organization membership."""
    if trust.notes:
        event.annotations = list(event.annotations or []) + [
            HookAnnotation(
                annotationName="ECR-PERIMETER-STALE-TRUST",
                status=HookAnnotationStatus.SKIPPED,
                statusMessage=_cut(note),
                remediationMessage="Check that the hook can call AWS Organizations (docs/organizations.md)",
                severityLevel=HookAnnotationSeverityLevel.MEDIUM,
            )
            for note in trust.notes
        ]
    return event


def _failed(code: HandlerErrorCode, message: str) -> ProgressEvent:
    return ProgressEvent(status=OperationStatus.FAILED, errorCode=code, message=_cut(message))


def _cut(text: str) -> str:
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 3] + "..."


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
