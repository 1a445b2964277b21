"""A verdict into Security Hub, in the account and Region of the call (the shared ASFF builder,
:mod:`..aws_api.security_hub`): one finding per judged finding (FAILED; WARNING when an exemption
covers it) and per undecided resource (FAILED, saying what could not be read and why), and the
lifecycle: the open findings of this control on each resource the call set are resolved
(``Compliance`` PASSED, ``RecordState`` ARCHIVED) when the verdict no longer holds them. Every
call judged here sets its resource whole (a replication configuration, a policy, a rule, a
template), so what the verdict does not hold is gone.

Events may arrive late or out of order: a call resolves only findings last observed before its own
``eventTime``, so a violation recorded after it stays open. A late violating event is reported,
because the violation happened (replication may have copied images meanwhile); it stays open until
a later compliant call or an analyst resolves it. The findings' ``ProductFields``
``dataperimeter/ResourceType`` keeps the replication configuration and the registry policy apart
(both are named by the registry's ARN).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from typing import Any

from ..assess import Resource
from ..aws_api import security_hub
from .verdict import Verdict

TYPE_FIELD = security_hub.FIELD + "ResourceType"
REMEDIATION_FIELD = security_hub.FIELD + "Remediation"
REPLICATION = "AWS::ECR::ReplicationConfiguration"
# What the builder accepts as a time (ISO 8601 with a zone); CloudTrail's eventTime is one.
_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?(?:Z|[+-][0-9]{2}:[0-9]{2})")


def deliver(client: Any, verdict: Verdict, *, generator_id: str, remediation: Mapping[str, Any] | None = None,
            now: datetime.datetime | None = None) -> dict[str, Any]:
    """Import the verdict's findings and the resolutions it implies, with ``client`` (Security Hub
    in the account and Region of the call). Raises ``RuntimeError`` naming the findings Security
    Hub refused."""
    call = verdict.call
    observed = call.event_time if _TIMESTAMP.fullmatch(call.event_time) else _stamp(now)
    product = security_hub.default_product_arn(account=call.account, region=call.region, partition=call.partition)
    place: dict[str, Any] = {"account": call.account, "region": call.region, "partition": call.partition, "product_arn": product,
             "generator_id": generator_id, "observed_at": observed, "caller": call.caller,
             "source": f"cloudtrail:{call.event_name} {call.event_id}"}
    current = []
    for assessed in verdict.assessed:
        for judged in assessed.judged:
            finding = security_hub.asff_finding(judged, assessed.resource, **place)
            if remediation is not None and assessed.resource.resource_type == REPLICATION:
                finding["ProductFields"][REMEDIATION_FIELD] = _remediation_text(remediation)
            current.append(finding)
    for undecided in verdict.undecided:
        current.append(security_hub.undecided_finding(
            Resource(undecided.resource_type, undecided.arn, {}), f"{call.event_name} in {call.account} {call.region}",
            undecided.reason, **place))
    previous = [finding for assessed in verdict.assessed
                for finding in security_hub.active_findings(client, resource_arn=assessed.resource.logical_id,
                                                            product_arn=product, generator_id=generator_id)
                if finding.get("ProductFields", {}).get(TYPE_FIELD) == assessed.resource.resource_type
                and _before(finding.get("LastObservedAt") or finding.get("UpdatedAt"), observed)]
    everything = security_hub.reconciled(current, previous, observed_at=observed)
    resolved = sorted(f["Id"] for f in everything if f.get("RecordState") == "ARCHIVED")
    refused = security_hub.import_findings(client, everything)
    if refused:
        shown = "; ".join(f"{r.get('Id', '?')}: {r.get('ErrorCode', '?')} {r.get('ErrorMessage', '')}"[:300]
                          for r in refused[:5])
        raise RuntimeError(f"Security Hub refused {len(refused)} of {len(everything)} finding(s): {shown}")
    return {"imported": sorted(f["Id"] for f in current), "resolved": resolved}


def _before(observed: Any, event_time: str) -> bool:
    """``observed`` strictly earlier than ``event_time``. A time that cannot be read resolves
    nothing: the finding stays open."""
    first, second = _instant(observed), _instant(event_time)
    return first is not None and second is not None and first < second


def _instant(text: Any) -> datetime.datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=datetime.timezone.utc)


def _stamp(now: datetime.datetime | None) -> str:
    moment = now or datetime.datetime.now(datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _remediation_text(remediation: Mapping[str, Any]) -> str:
    said = str(remediation.get("error") or remediation.get("action") or "none")
    return f"{said} ({'applied' if remediation.get('applied') else 'not applied'})"[:2000]
