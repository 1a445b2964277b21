"""Requests the library cannot read, answered in words the stack's author can act on.

The library parses the request (and fetches a STACK/CHANGE_SET payload from its presigned
URL) before any handler runs; a failure there becomes ``InvalidRequest`` with the raw
exception text: the presigned URL with its signature, or "'list' object has no attribute
'get'" for a type configuration that is not an object. :class:`GuardedHook` keeps the same
verdict (FAILED, never a stack trace) and says what failed and what to do instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cloudformation_cli_python_lib import Hook
from cloudformation_cli_python_lib.exceptions import InvalidRequest, InvalidTypeConfiguration

from ..core.values import data


class GuardedHook(Hook):
    @staticmethod
    def _parse_request(event_data):  # type: ignore[override]
        try:
            return Hook._parse_request(event_data)
        except InvalidRequest as error:
            cause = error.__cause__
            request_data = event_data.get("requestData") if isinstance(event_data, Mapping) else None
            payload = request_data.get("payload") if isinstance(request_data, Mapping) else None
            if payload and cause is not None:
                target = _target(request_data)
                raise InvalidRequest(
                    f"InvalidRequest: {target}: the {_kind(request_data)} payload could not be fetched from its "
                    f"presigned URL ({_reason(cause)}); the hook fails closed. Retry the operation; if it keeps "
                    "failing, check the hook's logs"
                ) from None
            # the library's words quote the request (a key, a value): shown as data
            raise InvalidRequest(data(str(error), 900)) from None

    def _cast_hook_request(self, request: Any):  # type: ignore[override]
        model = getattr(request, "hookModel", None)
        if model is not None and not isinstance(model, Mapping):
            raise InvalidTypeConfiguration(
                self.type_name,
                f"the type configuration must be a JSON object of settings, got {type(model).__name__}; "
                "set it with `aws cloudformation set-type-configuration` (docs/operations.md)",
            )
        return super()._cast_hook_request(request)


def _target(request_data: Mapping[str, Any]) -> str:
    logical_id = request_data.get("targetLogicalId")
    return f"{data(logical_id, 255) if isinstance(logical_id, str) and logical_id else '?'} ({_kind(request_data)})"


def _kind(request_data: Mapping[str, Any]) -> str:
    for key in ("targetType", "targetName"):
        value = request_data.get(key)
        if value in ("STACK", "CHANGE_SET", "RESOURCE"):
            return value
    return "target"


def _reason(cause: BaseException) -> str:
    """Why, without the URL (its query string is a signature)."""
    name = type(cause).__name__
    text = str(cause)
    for marker in ("too many 500 error responses", "too many 502 error responses", "too many 503 error responses",
                   "too many 504 error responses", "Connection refused", "timed out", "Name or service not known"):
        if marker in text:
            return f"{name}: {marker}"
    if "JSONDecodeError" in name:
        return f"{name}: the payload is not JSON"
    return name
