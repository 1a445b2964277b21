"""The hook's Lambda entrypoints: ``hook`` (what CloudFormation calls) and ``test_entrypoint``
(what ``cfn test`` calls). They only translate: the request to the RESOURCE target
(:mod:`.resource_target`) or the STACK / CHANGE_SET payload (:mod:`.stack_targets`), both shared
with the Lambda hook and both calling :func:`..assess.assess`, and the answer out through
:mod:`.answer` as a ProgressEvent.

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
from ..core import supported_types
from ..invocation import invocation_of
from ..models import TypeConfigurationModel
from ..settings import ConfigurationError, settings_of
from ..trust_sources import TrustUnavailable
from .answer import (
    ERROR_CODES,
    Answer,
    configuration_failed,
    internal_failure,
    progress_event,
    target_name,
    trust_failed,
    unsupported_target,
)
from .request_errors import GuardedHook
from .resource_target import resource_answer

STACK_TARGETS = ("STACK", "CHANGE_SET")

LOG = logging.getLogger(__name__)

for _code in ERROR_CODES:  # every code the answer can carry is the library's: a misspelt one fails here, at import
    HandlerErrorCode[_code]

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
    target = target_name(context.targetLogicalId, context.targetName)
    try:
        return _answer(session, request, type_configuration, target)
    except TrustUnavailable as error:
        return trust_failed(target, error)
    except Exception as error:  # noqa: BLE001 - fail closed, never an unhandled exception
        LOG.exception("hook failed on %s", target)
        return internal_failure(target, error)


def _answer(session, request, type_configuration, target: str) -> Answer:
    context = request.hookContext
    stack_target = _text(context.targetType) in STACK_TARGETS or _text(context.targetName) in STACK_TARGETS
    if context.targetName not in supported_types() and not stack_target:
        return unsupported_target(target, supported_types())
    try:
        raw = type_configuration._serialize() if type_configuration is not None else None
        settings = settings_of(raw)
    except ConfigurationError as error:
        return configuration_failed(error)

    invocation = invocation_of(context.awsAccountId, context.stackId)
    if stack_target:
        from .stack_targets import stack_target_answer  # imported only for STACK and CHANGE_SET

        target_type = _text(context.targetType) if _text(context.targetType) in STACK_TARGETS else _text(context.targetName)
        return stack_target_answer(target_type, _text(context.targetLogicalId), context.targetModel, settings,
                                   invocation, session)
    return resource_answer(target, context.targetName, _text(context.targetLogicalId), context.targetModel, settings,
                           invocation, session)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
