"""One call judged: the resources it set (read from the event by the shared API-shape adapter, or,
when the event cannot be read, from the live configuration), assessed by :func:`assess.assess`
with the account the call was made in as the deploying account. Nothing here talks to AWS itself:
the live read is handed in.

A call is never dropped and never compliant by default: what cannot be read from the event is
read live; what cannot be read live either, a trusted set that cannot be read, or settings that do
not validate make an :class:`Undecided` entry, which the Lambda reports as a finding that says so.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..assess import Assessed, Assessment, Resource, assess
from ..aws_api import shapes
from ..core.values import data, is_account_id
from ..exemptions import Judged
from ..invocation import Invocation
from ..settings import Settings
from ..trust_sources import TrustUnavailable
from .events import Call

# The resource type each judged call sets (what an undecided finding names when the resource is unknown).
TYPE_OF_CALL = {
    (shapes.ECR, "PutReplicationConfiguration"): shapes.REPLICATION,
    (shapes.ECR, "SetRepositoryPolicy"): shapes.REPOSITORY,
    (shapes.ECR, "PutRegistryPolicy"): shapes.REGISTRY_POLICY,
    (shapes.ECR, "CreatePullThroughCacheRule"): shapes.PULL_THROUGH_CACHE,
    (shapes.ECR, "UpdatePullThroughCacheRule"): shapes.PULL_THROUGH_CACHE,
    (shapes.ECR, "CreateRepositoryCreationTemplate"): shapes.CREATION_TEMPLATE,
    (shapes.ECR, "UpdateRepositoryCreationTemplate"): shapes.CREATION_TEMPLATE,
    (shapes.ECR_PUBLIC, "SetRepositoryPolicy"): shapes.PUBLIC_REPOSITORY,
}
EVENT, LIVE = "event", "live"


@dataclass(frozen=True)
class Undecided:
    """A resource (or, when even that is unknown, the registry of the call) this control cannot
    judge, and why. It fails: reported as a finding, never as compliant."""

    resource_type: str
    arn: str
    reason: str


@dataclass(frozen=True)
class Verdict:
    """What the detective control says about one call: ``assessed`` resources with their judged
    findings (exemptions applied), and ``undecided`` ones. ``read_from``: ``event`` or ``live``."""

    call: Call
    read_from: str
    assessed: tuple[Assessed, ...] = ()
    undecided: tuple[Undecided, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def failing(self) -> list[tuple[Resource, Judged]]:
        return [(a.resource, j) for a in self.assessed for j in a.judged if not j.exempted]

    @property
    def compliant(self) -> bool:
        return not self.failing and not self.undecided


LiveRead = Callable[[Call], Sequence[Any]]  # the call's resources now: Resource or aws_api.live.NotRead values


def judge_call(call: Call, settings: Settings, *, session: Any = None, live: LiveRead | None = None,
               today: datetime.date | None = None) -> Verdict:
    """The verdict on one call that changed something (``call.watched``, no ``errorCode``)."""
    resource_type = TYPE_OF_CALL.get((call.event_source, call.event_name), "")
    read_from, undecided = EVENT, list[Undecided]()
    try:
        if call.omitted:
            raise shapes.Unreadable("CloudTrail cut the record (\"omitted\": true)", "detail.omitted")
        resources = shapes.resources_from_call(call.event_source, call.event_name, call.request_parameters,
                                               account=call.account, region=call.region, partition=call.partition)
        if not resources:
            raise shapes.Unreadable(f"the adapter reads no resource from {call.event_name}", "detail.eventName")
    except shapes.Unreadable as error:
        read_from = LIVE
        resources, undecided = _read_live(call, resource_type, f"the event cannot be read ({error})", live)
        if not resources:
            return Verdict(call, read_from, undecided=tuple(undecided))
    try:
        assessment = assessed(call, resources, settings, session, today=today)
    except TrustUnavailable as error:
        reason = f"the trusted set cannot be read ({data(str(error), 300)})"
        return Verdict(call, read_from, undecided=tuple(undecided) + tuple(
            Undecided(r.resource_type, r.logical_id, reason) for r in resources))
    return Verdict(call, read_from, assessed=assessment.resources, undecided=tuple(undecided), notes=assessment.notes)


def assessed(call: Call, resources: Sequence[Resource], settings: Settings, session: Any = None, *,
             today: datetime.date | None = None) -> Assessment:
    """The one flow on resources of this call: the call's account is the deploying account, its
    Region and partition the stack's; no stack name (an exemption matches on the resource ARN,
    the logical ID here, and the account). Raises ``TrustUnavailable``."""
    invocation = Invocation(account_id=call.account, region=call.region, partition=call.partition)
    return assess(resources, settings, invocation, session, stack_name="", today=today)


def undecided_call(call: Call, reason: str) -> Verdict:
    """A call nothing of which can be judged (the settings do not validate, no credentials in its
    account): one undecided entry naming the resource the record names, else the call's registry."""
    resource_type = TYPE_OF_CALL.get((call.event_source, call.event_name), "")
    return Verdict(call, EVENT, undecided=(Undecided(resource_type, named_arn(call), reason),))


def named_arn(call: Call) -> str:
    """The ARN of the resource the call set, when the record names it (a repository, rule or
    template name ECR accepts, even if the rest was cut), else the call's registry: what an
    undecided finding names, so a later compliant call on that resource resolves it and a cut call
    on another resource does not overwrite it."""
    params = call.request_parameters if isinstance(call.request_parameters, Mapping) else {}
    registry = params.get("registryId")
    account = registry if is_account_id(registry) else call.account
    place = {"region": call.region, "partition": call.partition}
    key = (call.event_source, call.event_name)
    if key == (shapes.ECR, "SetRepositoryPolicy") and shapes.valid_name(params.get("repositoryName")):
        return shapes.repository_arn(params["repositoryName"], account=account, **place)
    if key in ((shapes.ECR, "CreatePullThroughCacheRule"), (shapes.ECR, "UpdatePullThroughCacheRule")) \
            and shapes.valid_name(params.get("ecrRepositoryPrefix")):
        return shapes.pull_through_cache_arn(params["ecrRepositoryPrefix"], account=account, **place)
    if key in ((shapes.ECR, "CreateRepositoryCreationTemplate"), (shapes.ECR, "UpdateRepositoryCreationTemplate")) \
            and shapes.valid_name(params.get("prefix")):
        return shapes.creation_template_arn(params["prefix"], account=call.account, **place)
    if key == (shapes.ECR_PUBLIC, "SetRepositoryPolicy") and shapes.valid_name(params.get("repositoryName")):
        return shapes.public_repository_arn(params["repositoryName"], account=account, partition=call.partition)
    return call.registry_arn


def _read_live(call: Call, resource_type: str, why: str, live: LiveRead | None) -> tuple[list[Resource], list[Undecided]]:
    arn = named_arn(call)
    if live is None:
        return [], [Undecided(resource_type, arn, f"{why}, and the live configuration was not read")]
    try:
        read = list(live(call))
    except Exception as error:  # noqa: BLE001 - the reader yields NotRead; anything else still fails closed
        return [], [Undecided(resource_type, arn,
                              f"{why}, and the live read failed ({type(error).__name__}: {data(str(error), 200)})")]
    resources = [r for r in read if isinstance(r, Resource)]
    missing = [r for r in read if not isinstance(r, Resource)]
    undecided = [Undecided(resource_type, arn, f"{why}, and the live read failed: "
                           f"{data(getattr(m, 'what', '?'), 120)}: {data(getattr(m, 'reason', '?'), 200)}")
                 for m in missing]
    if not resources and not undecided:
        return [], [Undecided(resource_type, arn,
                              f"{why}, and the live configuration holds no such resource now")]
    return resources, undecided
