"""The hook's Lambda entrypoints: ``hook`` (what CloudFormation calls) and ``test_entrypoint``
(what ``cfn test`` calls). They only translate: request in (one :class:`..assess.Resource`, or
the STACK / CHANGE_SET payload for :mod:`.stack_targets`), :func:`..assess.assess`, and the
Assessment out through :mod:`.answer` as a ProgressEvent.

Nothing raises out of a handler: anything the hook cannot read or decide is FAILED with a
message naming what and where (fail closed).
"""

from __future__ import annotations

import logging
from typing import Any, MutableMapping, Optional

from cloudformation_cli_python_lib import (
    BaseHookHandlerRequest,
    HandlerErrorCode,
    HookInvocationPoint,
    ProgressEvent,
    SessionProxy,
)

from .. import TYPE_NAME
from ..assess import Resource, assess
from ..core import supported_types
from ..exemptions import stack_name_of
from ..invocation import invocation_of
from ..models import TypeConfigurationModel
from ..settings import ConfigurationError, settings_of
from ..trust_sources import TrustUnavailable
from .answer import Answer, failed, progress_event, verdict
from .request_errors import GuardedHook

STACK_TARGETS = ("STACK", "CHANGE_SET")

LOG = logging.getLogger(__name__)

_TRUST_ERRORS = {  # TrustUnavailable.code -> the HandlerErrorCode answered
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
    """One verdict. Never raises."""
    return progress_event(answer_of(session, request, type_configuration))


def answer_of(
    session: Optional[SessionProxy],
    request: BaseHookHandlerRequest,
    type_configuration: Optional[TypeConfigurationModel],
) -> Answer:
    """The neutral answer to one request. Never raises."""
    context = request.hookContext
    target = f"{_text(context.targetLogicalId) or '?'} ({_text(context.targetName) or '?'})"
    try:
        return _answer(session, request, type_configuration, target)
    except TrustUnavailable as error:
        code = _TRUST_ERRORS.get(error.code, HandlerErrorCode.Throttling if error.throttled else HandlerErrorCode.InternalFailure)
        return failed(code.name, f"{code.name}: {target}: {error}; the hook fails closed.")
    except Exception as error:  # noqa: BLE001 - fail closed, never an unhandled exception
        LOG.exception("hook failed on %s", target)
        return failed(
            HandlerErrorCode.InternalFailure.name,
            f"InternalFailure: {target}: the hook could not evaluate this resource "
            f"({type(error).__name__}); it fails closed. See the hook's logs.",
        )


def _answer(session, request, type_configuration, target: str) -> Answer:
    context = request.hookContext
    stack_target = _text(context.targetType) in STACK_TARGETS or _text(context.targetName) in STACK_TARGETS
    if context.targetName not in supported_types() and not stack_target:
        return failed(
            HandlerErrorCode.UnsupportedTarget.name,
            f"UnsupportedTarget: {target}: this hook checks {', '.join(supported_types())}",
        )
    try:
        raw = type_configuration._serialize() if type_configuration is not None else None
        settings = settings_of(raw)
    except ConfigurationError as error:
        return failed(
            HandlerErrorCode.InvalidTypeConfiguration.name,
            f"InvalidTypeConfiguration: the hook's type configuration does not validate: {error}",
        )

    invocation = invocation_of(context.awsAccountId, context.stackId)
    if stack_target:
        from .stack_targets import stack_target_answer  # imported only for STACK and CHANGE_SET

        target_type = _text(context.targetType) if _text(context.targetType) in STACK_TARGETS else _text(context.targetName)
        return stack_target_answer(target_type, _text(context.targetLogicalId), context.targetModel, settings,
                                   invocation, session)

    model = context.targetModel
    if not isinstance(model, dict) or not isinstance(model.get("resourceProperties"), dict):
        return failed(
            HandlerErrorCode.InvalidRequest.name,
            f"InvalidRequest: {target}: the request carries no resourceProperties object, "
            "so the resource cannot be checked",
        )

    resource = Resource(context.targetName, _text(context.targetLogicalId), model["resourceProperties"])
    assessment = assess([resource], settings, invocation, session, stack_name=stack_name_of(context.stackId),
                        named=model["resourceProperties"])
    trust = assessment.trust
    return verdict(target, assessment.judged, f"{target}: every destination and grant is trusted ({trust.describe()})",
                   notes=assessment.notes)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
