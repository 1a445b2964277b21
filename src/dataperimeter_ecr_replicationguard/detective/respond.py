"""Running the replication remediation (:mod:`.remediation` says what and when): read the registry's
live replication configuration in the account of the call, judge it again, plan, and put the plan
back unless dry-run. The outcome (what was planned, whether it was applied, or why nothing was
done) goes into the finding, the SNS message and the log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..aws_api import shapes
from ..core.values import data
from .accounts import aws_error
from .events import Call
from .remediation import Remediation, plan
from .verdict import Verdict

Judge = Callable[[Call, Any], Any]  # (call, resource) -> assess.Assessment of the live resource


def remediate(verdict: Verdict, wanted: Remediation, member: Any, *, judge: Judge) -> dict[str, Any] | None:
    """``None`` when there is nothing to remediate (no failing replication finding)."""
    if not any(resource.resource_type == shapes.REPLICATION for resource, _ in verdict.failing):
        return None
    call = verdict.call
    outcome: dict[str, Any] = {"mode": wanted.mode, "dryRun": wanted.dry_run, "registry": call.registry_arn,
                               "applied": False}
    if member is None:
        outcome["error"] = f"no credentials in {call.account}: nothing was changed"
        return outcome
    ecr = member.client("ecr", region_name=call.region)
    try:
        live = ecr.describe_registry()
    except Exception as error:  # noqa: BLE001 - reported, never raised: the finding still goes out
        outcome["error"] = f"DescribeRegistry failed ({aws_error(error)}): nothing was changed"
        return outcome
    configuration = live.get("replicationConfiguration") if isinstance(live, dict) else None
    try:
        resource = shapes.replication_resource(live, account=call.account, region=call.region, partition=call.partition)
        assessment = judge(call, resource)
        failing = [j for assessed in assessment.resources for j in assessed.judged]
    except shapes.Unreadable as error:
        outcome["note"] = f"the live configuration cannot be read ({data(str(error), 200)})"
        planned = plan(None, [_unreadable()], wanted.mode)
    except Exception as error:  # noqa: BLE001 - the trusted set or the settings cannot be read: change nothing
        outcome["error"] = f"the live configuration cannot be judged ({type(error).__name__}: {data(str(error), 200)}): " \
                           "nothing was changed"
        return outcome
    else:
        planned = plan(configuration, failing, wanted.mode)
    if planned is None:
        outcome["action"] = "none: the live configuration is compliant now (a later call changed it)"
        return outcome
    outcome["action"] = planned.describe()
    outcome["configuration"] = planned.configuration
    if wanted.dry_run:
        outcome["action"] = f"dry run, would {planned.describe()}"
        return outcome
    try:
        ecr.put_replication_configuration(replicationConfiguration=planned.configuration)
    except Exception as error:  # noqa: BLE001
        outcome["error"] = f"PutReplicationConfiguration failed ({aws_error(error)})"
        return outcome
    outcome["applied"] = True
    return outcome


def _unreadable() -> Any:
    """A failing judged finding at the configuration's root: the plan then keeps nothing."""
    from ..core.rules import REPLICATION_MALFORMED
    from ..exemptions import Judged

    return Judged(REPLICATION_MALFORMED.finding(path="", subject="DescribeRegistry",
                                                message="the live replication configuration cannot be read",
                                                remediation="Inspect the registry's replication configuration"))
