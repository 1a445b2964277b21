"""A verdict into Security Hub, in the account of the call: one ASFF finding per failing judged
finding and per undecided resource (the shared builder, :mod:`..aws_api.security_hub`), and the
finding lifecycle: the open findings of this product on each resource the call set completely
(a replication configuration, a policy, a rule, a template: every call judged here replaces the
whole resource) that the verdict no longer holds are resolved (``Compliance`` ``PASSED``,
``RecordState`` ``ARCHIVED``).

Events may arrive late or out of order: a call resolves only findings last observed before it
(``LastObservedAt`` earlier than the call's ``eventTime``), so a violation recorded after a
compliant call stays open. A late violating event is reported, because the violation happened
(replication may have copied images meanwhile); it stays open until a later compliant call or an
analyst resolves it.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from ..aws_api import security_hub
from .verdict import Undecided, Verdict

PRODUCT_FIELD_TYPE = "ecr-perimeter-guard/ResourceType"
PRODUCT_FIELD_REMEDIATION = "ecr-perimeter-guard/Remediation"


def product_arn(partition: str, region: str, account: str) -> str:
    """The default product ARN: findings an account imports about itself."""
    return f"arn:{partition}:securityhub:{region}:{account}:product/{account}/default"


def deliver(client: Any, verdict: Verdict, *, generator_id: str, source: str,
            remediation: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Import the verdict's findings and the resolutions it implies. Raises when Security Hub
    refuses a finding (the message lists which and why)."""
    call = verdict.call
    product = product_arn(call.partition, call.region, call.account)
    place = {"account": call.account, "region": call.region, "partition": call.partition,
             "product_arn": product, "generator_id": generator_id, "observed_at": call.event_time,
             "caller": call.caller, "source": source}
    failing = []
    for resource, judged in verdict.failing:
        finding = security_hub.asff_finding(judged, resource, **place)
        _typed(finding, resource.resource_type)
        if remediation is not None and resource.resource_type == "AWS::ECR::ReplicationConfiguration":
            finding.setdefault("ProductFields", {})[PRODUCT_FIELD_REMEDIATION] = _remediation_text(remediation)
        failing.append(finding)
    undecided = [_undecided(u, place) for u in verdict.undecided]
    current = {f["Id"] for f in failing + undecided}
    whole = {(a.resource.logical_id, a.resource.resource_type) for a in verdict.assessed}
    resolved = [security_hub.resolved_finding(f["Id"], **_resolution(f, place))
                for f in open_findings(client, product, sorted({arn for arn, _ in whole}))
                if f["Id"] not in current and (_resource_id(f), _type_of(f)) in whole
                and _before(_observed(f), call.event_time)]
    refused = security_hub.import_findings(client, failing + undecided + resolved)
    if refused:
        shown = "; ".join(f"{r.get('Id', '?')}: {r.get('ErrorCode', '?')} {r.get('ErrorMessage', '')}"[:300]
                          for r in refused[:5])
        raise RuntimeError(f"Security Hub refused {len(refused)} finding(s): {shown}")
    return {"imported": len(failing) + len(undecided), "resolved": sorted(f["Id"] for f in resolved)}


def open_findings(client: Any, product: str, arns: Iterable[str]) -> list[dict[str, Any]]:
    """This product's ACTIVE, FAILED findings on these resources (filtered again here: the
    filters are also what an emulator may ignore)."""
    found: list[dict[str, Any]] = []
    for arn in arns:
        filters = {"ProductArn": [{"Value": product, "Comparison": "EQUALS"}],
                   "ResourceId": [{"Value": arn, "Comparison": "EQUALS"}],
                   "RecordState": [{"Value": "ACTIVE", "Comparison": "EQUALS"}],
                   "ComplianceStatus": [{"Value": "FAILED", "Comparison": "EQUALS"}]}
        for page in client.get_paginator("get_findings").paginate(Filters=filters):
            for finding in page.get("Findings", []):
                if (finding.get("ProductArn") == product and _resource_id(finding) == arn
                        and finding.get("RecordState") == "ACTIVE"
                        and (finding.get("Compliance") or {}).get("Status") == "FAILED"):
                    found.append(finding)
    return found


def _undecided(undecided: Undecided, place: Mapping[str, Any]) -> dict[str, Any]:
    finding = security_hub.undecided_finding(undecided.arn, undecided.resource_type, undecided.reason, **place)
    _typed(finding, undecided.resource_type)
    return finding


def _resolution(finding: Mapping[str, Any], place: Mapping[str, Any]) -> dict[str, Any]:
    return dict(place)


def _typed(finding: dict[str, Any], resource_type: str) -> None:
    """The CloudFormation type of the resource: the registry ARN names both the replication
    configuration and the registry policy, and a call on one must not resolve the other's findings."""
    finding.setdefault("ProductFields", {})[PRODUCT_FIELD_TYPE] = resource_type


def _type_of(finding: Mapping[str, Any]) -> str:
    return str((finding.get("ProductFields") or {}).get(PRODUCT_FIELD_TYPE, ""))


def _resource_id(finding: Mapping[str, Any]) -> str:
    resources = finding.get("Resources") or [{}]
    return str(resources[0].get("Id", ""))


def _observed(finding: Mapping[str, Any]) -> str:
    return str(finding.get("LastObservedAt") or finding.get("UpdatedAt") or "")


def _before(observed: str, event_time: str) -> bool:
    """``observed`` strictly earlier than ``event_time`` (ISO 8601). A time that cannot be read
    resolves nothing: the finding stays open."""
    first, second = _instant(observed), _instant(event_time)
    return first is not None and second is not None and first < second


def _instant(text: str) -> datetime.datetime | None:
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=datetime.timezone.utc)


def _remediation_text(remediation: Mapping[str, Any]) -> str:
    parts = [str(remediation.get("action") or remediation.get("error") or "none")]
    parts.append("applied" if remediation.get("applied") else "not applied")
    return "; ".join(parts)[:2000]
