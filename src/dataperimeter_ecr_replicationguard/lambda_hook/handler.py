"""The Lambda hook's entrypoint: ``handler(event, context)`` (the function's handler setting is
``dataperimeter_ecr_replicationguard.lambda_hook.handler.handler``).

It only translates: the Lambda hook input (:mod:`.request`; a STACK / CHANGE_SET payload fetched by
:mod:`.payload`) into the targets the registered hook reads, the same RESOURCE and STACK /
CHANGE_SET translations (``hook/resource_target.py``, ``hook/stack_targets.py``) and so the same
:func:`..assess.assess`, and the neutral answer out in the Lambda hook shape (:mod:`.response`).

The settings document (the registered hook's ``Properties``) comes from ``GUARD_CONFIGURATION`` or
the SSM parameter ``GUARD_CONFIGURATION_PARAMETER`` names, validated against schema.json and read
once per execution environment (``aws_api.configuration_source``); a document that does not
validate fails every invocation with the registered hook's ``InvalidTypeConfiguration`` message.
AWS calls (the SSM parameter, the Organizations and Snapshot trust sources) use the function's own
role through one boto3 session per execution environment, made the first time one is needed.

Nothing raises out of :func:`handler`: whatever cannot be read or decided is FAILED with a message
naming what and where (fail closed). The import path is light: no CloudFormation library, boto3,
template reader or jsonschema until an invocation needs them.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from typing import Any

from ..core import supported_types
from ..hook.answer import (
    INVALID_REQUEST,
    Answer,
    configuration_failed,
    failed,
    internal_failure,
    target_name,
    trust_failed,
    unsupported_target,
)
from ..hook.resource_target import resource_answer
from ..invocation import invocation_of
from ..settings import ConfigurationError, Settings
from ..trust_sources import TrustUnavailable
from .request import DELETE_POINT, POINTS, Request, Unreadable, read_request, token_of
from .response import lambda_response

LOG = logging.getLogger(__name__)


def handler(event: Any, context: Any = None) -> dict[str, Any]:
    """What the Lambda runtime calls. Never raises."""
    return respond(event, os.environ)


def respond(event: Any, environ: Mapping[str, str]) -> dict[str, Any]:
    """The response to ``event`` with the settings ``environ`` names."""
    try:
        answer = answer_of(event, environ)
        token = token_of(event)
    except Exception as error:  # noqa: BLE001 - belt and braces: answer_of never raises
        LOG.exception("lambda hook failed")
        answer, token = internal_failure("?", error), None
    return lambda_response(answer, token)


def answer_of(event: Any, environ: Mapping[str, str]) -> Answer:
    """The neutral answer to one Lambda hook request. Never raises."""
    try:
        request = read_request(event)
    except Unreadable as error:
        return failed(INVALID_REQUEST, f"InvalidRequest: {error}; the hook fails closed")
    target = request.target
    try:
        return _answer(request, environ, target)
    except TrustUnavailable as error:
        return trust_failed(target, error)
    except Exception as error:  # noqa: BLE001 - fail closed, never an unhandled exception
        LOG.exception("lambda hook failed on %s", target)
        return internal_failure(target, error)


def _answer(request: Request, environ: Mapping[str, str], target: str) -> Answer:
    stack_target = request.stack_target
    if not stack_target and request.target_name not in supported_types():
        return unsupported_target(target, supported_types())
    if request.point and request.point not in POINTS:
        return _not_judged(request, target)
    try:
        settings = configuration(environ)
    except ConfigurationError as error:
        return configuration_failed(error)
    invocation = invocation_of(request.account_id, request.stack_id, environ.get("AWS_REGION") or None)
    if stack_target:
        return _stack_answer(request, stack_target, settings, invocation)
    model = request.target_model
    if model in (None, {}) and request.payload_url:
        model = _fetched(request, "RESOURCE")
        if isinstance(model, Answer):
            return model
    return resource_answer(target, request.target_name, request.logical_id, model, settings, invocation, SESSION)


def _stack_answer(request: Request, stack_target: str, settings: Settings, invocation: Any) -> Answer:
    name = target_name(request.logical_id, stack_target)
    model = request.target_model
    if model in (None, {}, ""):
        if not request.payload_url:
            return failed(INVALID_REQUEST, f"InvalidRequest: {name}: the request carries neither a payload URL nor "
                                           "a targetModel, so the templates cannot be checked; the hook fails closed")
        model = _fetched(request, stack_target)
        if isinstance(model, Answer):
            return model
    if not isinstance(model, Mapping):
        return failed(INVALID_REQUEST, f"InvalidRequest: {name}: the {stack_target} payload is not a JSON object "
                                       f"(got {type(model).__name__}); the hook fails closed")
    from ..hook.stack_targets import stack_target_answer  # the template reader: only for STACK and CHANGE_SET

    return stack_target_answer(stack_target, request.logical_id, model, settings, invocation, SESSION)


def _fetched(request: Request, kind: str) -> Any:
    """The payload behind ``request.payload_url``, or the FAILED answer saying why it is not."""
    from .payload import PayloadError, fetch_payload

    try:
        return fetch_payload(request.payload_url or "")
    except PayloadError as error:
        name = f"{request.logical_id or '?'} ({kind})"
        return failed(INVALID_REQUEST, f"InvalidRequest: {name}: the {kind} payload could not be fetched from its "
                                       f"presigned URL ({error}); the hook fails closed. Retry the operation; if it "
                                       "keeps failing, check the function's logs")


def _not_judged(request: Request, target: str) -> Answer:
    """An invocation point the guard does not judge (the registered hook declares no delete handler)."""
    shown = repr(request.point[:40])
    why = ("deleting a resource grants nothing" if request.point == DELETE_POINT
           else "it is not an invocation point CloudFormation documents")
    return failed(INVALID_REQUEST, f"InvalidRequest: {target}: the guard judges {' and '.join(POINTS)}, not {shown} "
                                   f"({why}); list only the CREATE and UPDATE actions in the LambdaHook's "
                                   "TargetFilters (deploy/lambda-hook.yaml); the hook fails closed")


# -- what one execution environment keeps ------------------------------------------------------

def configuration(environ: Mapping[str, str]) -> Settings:
    """The settings ``environ`` names, parsed once per execution environment."""
    from ..aws_api.configuration_source import cached_configuration

    return cached_configuration(environ, _ssm_client)


def _ssm_client() -> Any:
    from botocore.config import Config

    return SESSION.client("ssm", config=Config(connect_timeout=3, read_timeout=5, retries={"total_max_attempts": 2}))


class LazySession:
    """The function's own credentials: one boto3 session, made on the first AWS call (a Static
    configuration in ``GUARD_CONFIGURATION`` never loads boto3)."""

    def __init__(self) -> None:
        self._session: Any = None
        self._lock = threading.Lock()

    def client(self, service: str, **kwargs: Any) -> Any:
        with self._lock:
            if self._session is None:
                import boto3

                self._session = boto3.session.Session()
        return self._session.client(service, **kwargs)


SESSION = LazySession()
