"""The hook's Lambda entrypoints: ``hook`` (what CloudFormation calls) and ``test_entrypoint``
(what ``cfn test`` calls). They only adapt: request in, :mod:`.core` verdict, ProgressEvent out.

Nothing raises out of a handler: anything the hook cannot read or decide is FAILED with a
message naming what and where (fail closed).
"""

from __future__ import annotations

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
from .core.findings import Finding
from .invocation import invocation_of
from .models import TypeConfigurationModel
from .report import MESSAGE_LIMIT, error_code, summary
from .settings import ConfigurationError, parse_settings
from .trust_sources import resolve_trust

LOG = logging.getLogger(__name__)

hook = Hook(TYPE_NAME, TypeConfigurationModel)
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
    except Exception as error:  # noqa: BLE001 - fail closed, never an unhandled exception
        LOG.exception("hook failed on %s", target)
        return _failed(
            HandlerErrorCode.InternalFailure,
            f"InternalFailure: {target}: the hook could not evaluate this resource "
            f"({type(error).__name__}); it fails closed. See the hook's logs.",
        )


def _guard(session, request, type_configuration, target: str) -> ProgressEvent:
    context = request.hookContext
    if context.targetName not in supported_types():
        return _failed(
            HandlerErrorCode.UnsupportedTarget,
            f"UnsupportedTarget: {target}: this hook checks {', '.join(supported_types())}",
        )
    try:
        raw = type_configuration._serialize() if type_configuration is not None else None
        settings = parse_settings(raw)
    except ConfigurationError as error:
        return _failed(
            HandlerErrorCode.InvalidTypeConfiguration,
            _cut(f"InvalidTypeConfiguration: the hook's type configuration does not validate: {error}"),
        )

    model = context.targetModel
    if not isinstance(model, dict) or not isinstance(model.get("resourceProperties"), dict):
        return _failed(
            HandlerErrorCode.InvalidRequest,
            f"InvalidRequest: {target}: the request carries no resourceProperties object, "
            "so the resource cannot be checked",
        )

    invocation = invocation_of(context.awsAccountId, context.stackId)
    trust = resolve_trust(settings, invocation, session)
    findings = evaluate(context.targetName, _text(context.targetLogicalId), model["resourceProperties"], trust)
    if not findings:
        return ProgressEvent(
            status=OperationStatus.SUCCESS,
            message=f"{target} is inside the ECR data perimeter",
            annotations=[
                HookAnnotation(
                    annotationName="ECR-PERIMETER",
                    status=HookAnnotationStatus.PASSED,
                    statusMessage=f"{target}: every destination and grant is trusted ({trust.describe()})",
                )
            ],
        )
    return ProgressEvent(
        status=OperationStatus.FAILED,
        errorCode=HandlerErrorCode[error_code(findings)],
        message=summary(target, findings),
        annotations=[_annotation(f) for f in findings],
    )


def _annotation(finding: Finding) -> HookAnnotation:
    return HookAnnotation(
        annotationName=finding.rule_id,
        status=HookAnnotationStatus.FAILED,
        statusMessage=_cut(f"{finding.logical_id} {finding.path or '/'}: {finding.message}"),
        remediationMessage=_cut(finding.remediation),
        severityLevel=HookAnnotationSeverityLevel[finding.severity.value],
    )


def _failed(code: HandlerErrorCode, message: str) -> ProgressEvent:
    return ProgressEvent(status=OperationStatus.FAILED, errorCode=code, message=_cut(message))


def _cut(text: str) -> str:
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 3] + "..."


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
