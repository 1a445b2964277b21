"""The Lambda hook input, as the CloudFormation Hooks User Guide documents it ("Create Lambda
functions to evaluate resources for Lambda Hooks"): read into a :class:`Request`, or
:class:`Unreadable` naming what and where.

- RESOURCE (a CloudFormation resource: ``targetType`` is the type name) and CLOUD_CONTROL (a Cloud
  Control API call: ``targetType`` is ``RESOURCE``, ``stackId`` empty, ``targetLogicalId``
  constructed): ``requestData.targetModel`` holds ``resourceProperties`` (and
  ``previousResourceProperties`` on update). A large model may come as a ``payload`` URL instead,
  as the registered hook's library accepts.
- STACK and CHANGE_SET: ``requestData.payload`` is an S3 presigned URL to the templates (and the
  changed resources); an inline ``targetModel`` is accepted too (a replayed request).
- The guide's syntax blocks spell ``clientRequesttoken`` and ``stackID`` where its examples spell
  ``clientRequestToken`` and ``stackId``: a key is read exactly, else in any case when one key
  matches (two keys that differ only in case are unreadable, never a guess).
- ``hookModel`` (``LambdaFunction``, the function's ARN) carries no settings: they come from the
  function's environment (``aws_api.configuration_source``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from ..hook.answer import target_name

STACK_TARGETS = ("STACK", "CHANGE_SET")
POINTS = ("CREATE_PRE_PROVISION", "UPDATE_PRE_PROVISION")  # what the guard judges (the registered hook's handlers)
DELETE_POINT = "DELETE_PRE_PROVISION"
CLOUD_CONTROL_TARGET_TYPE = "RESOURCE"


class Unreadable(ValueError):
    """The request cannot be read; the message names what and where."""


class Request(NamedTuple):
    token: str | None  # clientRequestToken, echoed in the response
    account_id: str
    stack_id: str
    point: str  # actionInvocationPoint ("" when the request has none: the guide's change-set syntax omits it)
    target_name: str
    target_type: str
    logical_id: str
    target_model: Any  # requestData.targetModel, None when absent
    payload_url: str | None  # requestData.payload

    @property
    def stack_target(self) -> str:
        """``STACK`` or ``CHANGE_SET`` for a stack-level target, else ``""``."""
        for value in (self.target_type, self.target_name):
            if value in STACK_TARGETS:
                return value
        return ""

    @property
    def cloud_control(self) -> bool:
        return not self.stack_target and self.target_type == CLOUD_CONTROL_TARGET_TYPE and not self.stack_id

    @property
    def target(self) -> str:
        """How answers name the target: ``Repl (AWS::ECR::ReplicationConfiguration)``."""
        return target_name(self.logical_id, self.target_name)  # as the registered hook names it


def token_of(event: Any) -> str | None:
    """``clientRequestToken`` when the event has one that is a string (read even when the rest is not)."""
    if not isinstance(event, Mapping):
        return None
    try:
        token = field(event, "clientRequestToken")
    except Unreadable:
        return None
    return token if isinstance(token, str) else None


def read_request(event: Any) -> Request:
    if not isinstance(event, Mapping):
        raise Unreadable(f"the Lambda hook request is not a JSON object (got {type(event).__name__})")
    request_data = field(event, "requestData")
    if not isinstance(request_data, Mapping):
        raise Unreadable("the request carries no requestData object")
    payload = field(request_data, "payload")
    if payload is not None and not isinstance(payload, str):
        raise Unreadable(f"requestData.payload is not a URL (got {type(payload).__name__})")
    point = field(event, "actionInvocationPoint")
    if point is not None and not isinstance(point, str):
        raise Unreadable(f"actionInvocationPoint is not a string (got {type(point).__name__})")
    return Request(
        token=token_of(event),
        account_id=_text(field(event, "awsAccountId")),
        stack_id=_text(field(event, "stackId")),
        point=point or "",
        target_name=_text(field(request_data, "targetName")),
        target_type=_text(field(request_data, "targetType")),
        logical_id=_text(field(request_data, "targetLogicalId")),
        target_model=field(request_data, "targetModel"),
        payload_url=payload or None,
    )


def field(mapping: Mapping[str, Any], name: str) -> Any:
    """``mapping[name]``, else the value of the one key that is ``name`` in another case, else ``None``."""
    if name in mapping:
        return mapping[name]
    keys = [k for k in mapping if isinstance(k, str) and k.casefold() == name.casefold()]
    if len(keys) > 1:
        raise Unreadable(f"the keys {', '.join(sorted(ascii(k)[:40] for k in keys[:5]))} differ only in case")
    return mapping[keys[0]] if keys else None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""
