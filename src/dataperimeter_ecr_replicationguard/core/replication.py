"""AWS::ECR::ReplicationConfiguration: every destination registry must be trusted.

The ECR service-linked role performs the replication, so an SCP on ``aws:ResourceOrgID``
cannot stop it; this check is the proactive control. Repository filters never narrow it:
a filter only picks which repositories replicate, and a rule without one replicates all.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping  # not typing.Mapping: its isinstance check is several times slower
from typing import Any

from .findings import Finding, pointer
from .partitions import partition_of_region
from .rules import (
    REPLICATION_INVALID_REGION,
    REPLICATION_INVALID_REGISTRY_ID,
    REPLICATION_MALFORMED,
    REPLICATION_REGION_NOT_ALLOWED,
    REPLICATION_UNRESOLVED_VALUE,
    REPLICATION_UNTRUSTED_DESTINATION,
)
from .trust import Trust
from .values import is_account_id, is_dynamic_reference, is_intrinsic, is_object, is_region, shown, type_name

RESOURCE_TYPE = "AWS::ECR::ReplicationConfiguration"
MALFORMED = REPLICATION_MALFORMED  # the rule of a resource whose properties are not an object


def check(properties: Mapping[str, Any], trust: Trust) -> Iterator[Finding]:
    """Yield a finding for every destination outside the trusted set, and for every shape
    the hook cannot read (it fails closed)."""
    config = properties.get("ReplicationConfiguration")
    if not is_object(config):
        yield _malformed(
            pointer("ReplicationConfiguration"), config, "ReplicationConfiguration must be an object"
        )
        return
    rules = config.get("Rules")
    if not isinstance(rules, list):
        yield _malformed(pointer("ReplicationConfiguration", "Rules"), rules, "Rules must be a list")
        return
    for rule_index, rule in enumerate(rules):
        yield from _check_rule(rule_index, rule, trust)


def _check_rule(rule_index: int, rule: Any, trust: Trust) -> Iterator[Finding]:
    where = ("ReplicationConfiguration", "Rules", rule_index)
    if not is_object(rule):
        yield _malformed(pointer(*where), rule, f"rule {rule_index} must be an object")
        return
    destinations = rule.get("Destinations")
    if not isinstance(destinations, list) or not destinations:
        yield _malformed(
            pointer(*where, "Destinations"),
            destinations,
            f"rule {rule_index}: Destinations must be a non-empty list",
        )
        return
    for dest_index, destination in enumerate(destinations):
        yield from _check_destination(where + ("Destinations", dest_index), destination, trust)


def _check_destination(where: tuple[str, str, int, str, int], destination: Any, trust: Trust) -> Iterator[Finding]:
    label = f"rule {where[2]} destination {where[4]}"
    if not is_object(destination):
        yield _malformed(pointer(*where), destination, f"{label} must be an object")
        return
    registry_id = destination.get("RegistryId")
    region = destination.get("Region")
    region_text = region if isinstance(region, str) else "?"

    # The same 12 digits in another partition (cn-, us-gov-, ...) are another account.
    region_code = region if is_region(region) else None  # tested once, used twice
    partition = partition_of_region(region_code) if region_code is not None else None
    cross_partition = partition is not None and partition != trust.partition
    if is_account_id(registry_id):
        if not trust.trusts_account(registry_id, partition):
            yield REPLICATION_UNTRUSTED_DESTINATION.finding(
                path=pointer(*where, "RegistryId"),
                subject=registry_id,
                message=(
                    f"{label} replicates every matching image to registry {registry_id} in "
                    f"{region_text}, which is outside "
                    + (f"the stack's partition ({trust.partition})" if cross_partition
                       else f"the trusted set ({trust.describe()})")
                ),
                remediation=(
                    f"Replicate only to trusted accounts, or add {registry_id} to TrustedAccountIds "
                    "(or its organization to the trusted organizations) if it belongs to you"
                ),
            )
    elif is_dynamic_reference(registry_id) or is_intrinsic(registry_id):
        yield _unresolved(where, "RegistryId", registry_id, label)
    else:
        yield REPLICATION_INVALID_REGISTRY_ID.finding(
            path=pointer(*where, "RegistryId"),
            subject=shown(registry_id),
            message=(
                f"{label}: RegistryId {shown(registry_id)} is not a 12-digit account ID, "
                "so the destination cannot be checked"
            ),
            remediation="Set RegistryId to the destination's 12-digit AWS account ID (ASCII digits only)",
        )

    if region_code is not None:
        if not trust.region_allowed(region_code):
            yield REPLICATION_REGION_NOT_ALLOWED.finding(
                path=pointer(*where, "Region"),
                subject=region_code,
                message=(
                    f"{label} replicates to Region {region_code}, which is not in "
                    f"AllowedReplicationRegions ({', '.join(sorted(trust.allowed_replication_regions))})"
                ),
                remediation="Replicate only to an allowed Region, or add it to AllowedReplicationRegions",
            )
    elif is_dynamic_reference(region) or is_intrinsic(region):
        yield _unresolved(where, "Region", region, label)
    else:
        yield REPLICATION_INVALID_REGION.finding(
            path=pointer(*where, "Region"),
            subject=shown(region),
            message=f"{label}: Region {shown(region)} is not a Region name",
            remediation="Set Region to a Region code such as eu-west-1",
        )


def _unresolved(where: tuple[str, str, int, str, int], key: str, value: Any, label: str) -> Finding:
    return REPLICATION_UNRESOLVED_VALUE.finding(
        path=pointer(*where, key),
        subject=shown(value),
        message=f"{label}: {key} {shown(value)} is not resolved, so the destination cannot be checked",
        remediation=f"Give {key} a literal value (dynamic references are not resolved for hooks)",
    )


def _malformed(path: str, value: Any, what: str) -> Finding:
    return REPLICATION_MALFORMED.finding(
        path=path,
        subject=type_name(value),
        message=f"{what}, got {type_name(value)}",
        remediation="Fix the ReplicationConfiguration to match the AWS::ECR::ReplicationConfiguration schema",
    )
