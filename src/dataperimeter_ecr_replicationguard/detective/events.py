"""The EventBridge envelope of a CloudTrail management event, read into one :class:`Call`.

EventBridge delivers a CloudTrail record as ``detail`` of an event whose ``detail-type`` is
``AWS API Call via CloudTrail`` and whose ``source`` is the service (``aws.ecr``, or
``aws.ecr-public``, whose API is served, and whose events appear, in us-east-1 only). The record
says who called (``userIdentity``), what (``eventSource``, ``eventName``, ``requestParameters``),
where (``recipientAccountId``, ``awsRegion``) and whether the call failed (``errorCode``: a failed
call changed nothing). CloudTrail cuts a field larger than its limit and marks the record with
``"omitted": true``; the adapter then cannot read the call, and the Lambda reads the live state.

Text from the event is data: every message quotes it escaped and cut (``core.values.data``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..core.partitions import partition_of_region
from ..core.values import data, is_account_id, is_region

DETAIL_TYPE = "AWS API Call via CloudTrail"
# EventBridge source -> the CloudTrail eventSource its records carry
EVENT_SOURCES = {"aws.ecr": "ecr.amazonaws.com", "aws.ecr-public": "ecr-public.amazonaws.com"}
# The calls that change what the core checks, per eventSource (the deploy templates' rule matches these).
WATCHED = {
    "ecr.amazonaws.com": (
        "PutReplicationConfiguration",
        "SetRepositoryPolicy",
        "PutRegistryPolicy",
        "CreatePullThroughCacheRule",
        "UpdatePullThroughCacheRule",
        "CreateRepositoryCreationTemplate",
        "UpdateRepositoryCreationTemplate",
    ),
    "ecr-public.amazonaws.com": ("SetRepositoryPolicy",),
}
PUBLIC_REGION = "us-east-1"  # ECR Public's API, and so its CloudTrail events, exist only there


class EnvelopeError(ValueError):
    """The event is not a CloudTrail API-call event this control can read; the message says
    what and where (a JSON pointer into the event)."""


@dataclass(frozen=True)
class Call:
    """One ECR API call as CloudTrail recorded it. ``account`` is the account the call was made
    in (it plays the part of the deploying account), ``region`` and ``partition`` where."""

    event_id: str
    event_source: str
    event_name: str
    account: str
    region: str
    partition: str
    event_time: str
    caller: str | None
    request_parameters: Any
    error_code: str | None = None
    omitted: bool = False

    @property
    def watched(self) -> bool:
        return self.event_name in WATCHED.get(self.event_source, ())

    @property
    def changed_nothing(self) -> str | None:
        """Why the call changed nothing (it failed), else ``None``."""
        if self.error_code is not None:
            return f"the call failed ({data(self.error_code)}): it changed nothing"
        return None

    @property
    def registry_arn(self) -> str:
        """The registry the call was made in: what an undecided finding names when the call's
        own resource cannot be read."""
        service = "ecr-public" if self.event_source == EVENT_SOURCES["aws.ecr-public"] else "ecr"
        return f"arn:{self.partition}:{service}:{self.region}:{self.account}:registry"

    def describe(self) -> str:
        return f"{self.event_name} in {self.account} {self.region} (event {data(self.event_id)})"


def read_event(event: Any) -> Call:
    """The call an EventBridge event carries. Raises :class:`EnvelopeError`."""
    if not isinstance(event, Mapping):
        raise EnvelopeError(f"the event must be a JSON object, got {type(event).__name__}")
    detail_type = event.get("detail-type")
    if detail_type != DETAIL_TYPE:
        raise EnvelopeError(f"/detail-type is {_shown(detail_type)}, not {DETAIL_TYPE!r}")
    source = event.get("source")
    if source not in EVENT_SOURCES:
        raise EnvelopeError(f"/source is {_shown(source)}, not one of {', '.join(sorted(EVENT_SOURCES))}")
    detail = event.get("detail")
    if not isinstance(detail, Mapping):
        raise EnvelopeError("/detail must be the CloudTrail record (an object)")
    event_source = detail.get("eventSource")
    if event_source != EVENT_SOURCES[source]:
        raise EnvelopeError(f"/detail/eventSource is {_shown(event_source)}, but /source {source} "
                            f"carries {EVENT_SOURCES[source]} records")
    name = detail.get("eventName")
    if not isinstance(name, str) or not name:
        raise EnvelopeError(f"/detail/eventName is {_shown(name)}, not an API name")
    account = _account(event, detail)
    region = _region(event, detail)
    error_code = detail.get("errorCode")
    return Call(
        event_id=_text(detail.get("eventID")) or _text(event.get("id")),
        event_source=event_source,
        event_name=name,
        account=account,
        region=region,
        partition=partition_of_region(region),
        event_time=_text(detail.get("eventTime")) or _text(event.get("time")),
        caller=caller_of(detail.get("userIdentity")),
        request_parameters=detail.get("requestParameters"),
        error_code=None if error_code is None else _text(error_code) or _shown(error_code),
        omitted=detail.get("omitted") is True,
    )


def caller_of(identity: Any) -> str | None:
    """Who made the call, as CloudTrail's ``userIdentity`` says: the ARN when there is one
    (``arn:aws:sts::111122223333:assumed-role/Admin/alice``), else the service that acted
    (``invokedBy``) or ``type:principalId``. Cut data, never trusted for the verdict."""
    if not isinstance(identity, Mapping):
        return None
    for key in ("arn", "invokedBy"):
        value = identity.get(key)
        if isinstance(value, str) and value:
            return data(value, 256)
    kind, principal = identity.get("type"), identity.get("principalId")
    if isinstance(kind, str) and kind:
        return data(f"{kind}:{principal}" if isinstance(principal, str) and principal else kind, 256)
    return None


def _account(event: Mapping[str, Any], detail: Mapping[str, Any]) -> str:
    account = _placed(event, detail, "recipientAccountId", "account", is_account_id, "a 12-digit account ID")
    envelope = event.get("account")
    if envelope is not None and envelope != account:
        # EventBridge keeps the account of the event when a rule forwards it to another bus.
        raise EnvelopeError(f"/account {_shown(envelope)} is not /detail/recipientAccountId {account}: "
                            "the event does not say which account the call was made in")
    return account


def _region(event: Mapping[str, Any], detail: Mapping[str, Any]) -> str:
    return _placed(event, detail, "awsRegion", "region", is_region, "a Region code")


def _placed(event: Mapping[str, Any], detail: Mapping[str, Any], key: str, envelope_key: str,
            valid: Callable[[Any], bool], what: str) -> str:
    """The record's ``key``, else the envelope's ``envelope_key``; it must be ``valid``."""
    recorded = detail.get(key)
    value = recorded if recorded is not None else event.get(envelope_key)
    if not valid(value):
        where = f"/detail/{key}" if recorded is not None else f"/{envelope_key}"
        raise EnvelopeError(f"{where} is {_shown(value)}, not {what}")
    return str(value)


def _text(value: Any) -> str:
    return data(value, 128) if isinstance(value, str) else ""


def _shown(value: Any) -> str:
    return repr(data(value, 64)) if isinstance(value, str) else ("absent" if value is None else type(value).__name__)
