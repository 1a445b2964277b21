"""AWS Security Hub findings (ASFF) for the detective control and ``hook-handler audit``.

One ASFF finding per judged finding: the required top-level attributes (``SchemaVersion``, ``Id``,
``ProductArn``, ``GeneratorId``, ``AwsAccountId``, ``Types``, ``CreatedAt``, ``UpdatedAt``,
``Severity``, ``Title``, ``Description``, ``Resources``), with ``Compliance.Status`` FAILED,
``Workflow.Status`` NEW and ``RecordState`` ACTIVE. The ``Id`` is stable per (resource ARN, resource
type, rule id, path, subject), so a later import of the same problem updates the finding instead of adding
one, and :func:`resolved_finding` turns it PASSED / RESOLVED / ARCHIVED once a compliant call or a
clean audit shows it is gone (:func:`reconciled` works out which).

Text from the input (messages quote values, the caller's ARN) is escaped and cut to the ASFF limits
(Title 256, Description 1,024, Recommendation text 512 characters). ``BatchImportFindings`` must be
called by the account the finding names (``AwsAccountId``) unless the caller is a partner
integration (Security Hub User Guide, "BatchImportFindings for finding providers").
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..assess import Resource
from ..core.findings import Category, Finding
from ..core.rules import PERIMETER_UNDECIDED, remediation_link
from ..core.rules import rule as rule_of
from ..core.values import cut, data  # the core's messages are already escaped: cut them only

SCHEMA_VERSION = "2018-10-08"
BATCH = 100  # BatchImportFindings accepts at most 100 findings per call
TITLE_LIMIT, DESCRIPTION_LIMIT, TEXT_LIMIT, FIELD_LIMIT = 256, 1024, 512, 2048
UNDECIDED = PERIMETER_UNDECIDED.id  # the rule of a resource that could be neither read nor judged
ASFF_PARTITIONS = frozenset({"aws", "aws-cn", "aws-us-gov"})  # Resources[].Partition accepts only these
_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?(?:Z|[+-][0-9]{2}:[0-9]{2})")
_RESOURCE_TYPES = {"AWS::ECR::Repository": "AwsEcrRepository"}  # ASFF resource types; the rest are "Other"
_VIOLATION_TYPES = ["Software and Configuration Checks/AWS Security Best Practices/ECR Data Perimeter",
                    "Effects/Data Exposure"]
_UNREADABLE_TYPES = ["Software and Configuration Checks/AWS Security Best Practices/ECR Data Perimeter"]
FIELD = "dataperimeter/"  # the prefix of this product's ProductFields keys


def default_product_arn(*, account: str, region: str, partition: str = "aws") -> str:
    """The product ARN of an account's own findings: ``arn:<p>:securityhub:<region>:<account>:product/<account>/default``."""
    return f"arn:{partition}:securityhub:{region}:{account}:product/{account}/default"


def finding_id(resource_arn: str, resource_type: str, rule_id: str, path: str, subject: str = "") -> str:
    """Stable per (resource, rule, path, subject): ``ecr-perimeter/<rule id>/<sha256 of them, 40 hex>``.
    The subject (the account, the upstream, ...) keeps apart two findings the core makes at one path
    (two foreign accounts in one ``Principal``): Security Hub keys a finding by its Id, so one Id
    for both would keep only the last one imported."""
    parts = (resource_arn, resource_type, rule_id, path) + ((subject,) if subject else ())
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return f"ecr-perimeter/{rule_id}/{digest[:40]}"


def asff_finding(judged_finding: Any, resource: Resource, *, account: str, region: str, partition: str,
                 product_arn: str, generator_id: str, observed_at: str, caller: str | None = None, source: str,
                 created_at: str | None = None, docs_url: str | None = None) -> dict[str, Any]:
    """The ASFF finding of one judged finding (``exemptions.Judged``, or a bare ``core.Finding``) on
    ``resource`` (its ``logical_id`` is the ARN, as :mod:`.shapes` makes it). ``source``: what saw it
    (``"cloudtrail:PutReplicationConfiguration"``, ``"audit"``); ``caller``: who made the call;
    ``created_at``: when the finding was first created (default ``observed_at``);
    ``Remediation.Recommendation.Url`` is the published AWS page on the fix (``core.rules.remediation_link``);
    ``docs_url``: where this project's docs/ are published (e.g. ``https://github.com/<owner>/<repo>/blob/main``),
    then the recommendation text also names the rule's section of docs/rules.md."""
    finding: Finding = getattr(judged_finding, "finding", judged_finding)
    exemption = getattr(judged_finding, "exemption", None)
    expired = getattr(judged_finding, "expired", None)
    known = rule_of(finding.rule_id)
    title = known.title if known is not None else finding.rule_id
    arn = resource.logical_id
    description = f"{finding.message} (at {finding.path or '/'} of {resource.resource_type} {arn})"
    fields = {
        "RuleId": finding.rule_id, "Category": finding.category.value, "Path": finding.path or "/",
        "Subject": finding.subject, "ResourceType": resource.resource_type, "Source": data(source, 200),
    }
    if caller:
        fields["Caller"] = data(caller, FIELD_LIMIT)
    status = "FAILED"
    if exemption is not None:
        status = "WARNING"
        reason = data(exemption.reason, 300)
        fields["Exemption"] = f"#{exemption.index} until {exemption.expires.isoformat()}: {reason}"
        description = f"Exempted until {exemption.expires.isoformat()} ({reason}): {description}"
    elif expired is not None:
        fields["ExpiredExemption"] = f"#{expired.index} expired {expired.expires.isoformat()}: {data(expired.reason, 300)}"
    recommendation = _recommendation(finding.remediation or title, finding.rule_id, resource.resource_type, docs_url)
    return _finding(
        fid=finding_id(arn, resource.resource_type, finding.rule_id, finding.path, finding.subject),
        resource=resource, account=account, region=region, partition=partition, product_arn=product_arn,
        generator_id=generator_id, observed_at=observed_at, created_at=created_at,
        types=_VIOLATION_TYPES if finding.category is Category.VIOLATION else _UNREADABLE_TYPES,
        severity=finding.severity.value, title=f"{title}: {arn}", description=description,
        recommendation=recommendation, fields=fields, status=status)


def undecided_finding(resource: Resource, what: str, reason: str, *, account: str, region: str, partition: str,
                      product_arn: str, generator_id: str, observed_at: str, caller: str | None = None, source: str,
                      created_at: str | None = None, docs_url: str | None = None) -> dict[str, Any]:
    """A resource that could be neither read nor judged (a cut CloudTrail record whose live state
    could not be read either; an audit call denied): FAILED, never compliant, saying what and why.
    ``resource`` names it (its properties are not read: an empty ``{}`` will do)."""
    fields = {"RuleId": UNDECIDED, "Category": PERIMETER_UNDECIDED.category, "Path": "/", "Subject": data(what, 300),
              "ResourceType": resource.resource_type, "Source": data(source, 200)}
    if caller:
        fields["Caller"] = data(caller, FIELD_LIMIT)
    return _finding(
        fid=finding_id(resource.logical_id, resource.resource_type, UNDECIDED, ""),
        resource=resource, account=account, region=region, partition=partition, product_arn=product_arn,
        generator_id=generator_id, observed_at=observed_at, created_at=created_at, types=_UNREADABLE_TYPES,
        severity=PERIMETER_UNDECIDED.severity.value, title=f"{PERIMETER_UNDECIDED.title}: {resource.logical_id}",
        description=f"{data(what, 300)} could not be read, so it is not known to be inside the perimeter: "
                    f"{data(reason, 600)}",
        recommendation=_recommendation("Give the detective control's or the audit's role read access to this ECR "
                                       "configuration (ecr:Describe*, ecr:Get*Policy), then check again",
                                       UNDECIDED, resource.resource_type, docs_url),
        fields=fields, status="FAILED")


def resolved_finding(previous: Mapping[str, Any], *, observed_at: str) -> dict[str, Any]:
    """``previous`` (an ASFF finding this module made, or as GetFindings returns it) with the same
    ``Id``: Compliance PASSED, Workflow RESOLVED, RecordState ARCHIVED, ``UpdatedAt`` now."""
    _check_time(observed_at, "observed_at")
    keep = ("SchemaVersion", "Id", "ProductArn", "GeneratorId", "AwsAccountId", "Region", "Types", "CreatedAt",
            "Severity", "Title", "Description", "Remediation", "ProductFields", "Resources")
    resolved = {key: previous[key] for key in keep if key in previous}
    resolved.update({"UpdatedAt": observed_at, "LastObservedAt": observed_at, "Compliance": {"Status": "PASSED"},
                     "Workflow": {"Status": "RESOLVED"}, "RecordState": "ARCHIVED"})
    if isinstance(resolved.get("ProductFields"), Mapping):
        # GetFindings adds aws/securityhub/* fields of its own; a provider may not send them back.
        resolved["ProductFields"] = {k: v for k, v in resolved["ProductFields"].items()
                                     if not str(k).startswith("aws/")}
    return resolved


def reconciled(current: Sequence[Mapping[str, Any]], previous: Iterable[Mapping[str, Any]], *,
               observed_at: str) -> list[dict[str, Any]]:
    """What to import after judging a resource again: every ``current`` finding, and every
    ``previous`` ACTIVE finding that is no longer among them, resolved."""
    now = {f["Id"] for f in current}
    gone = [resolved_finding(p, observed_at=observed_at) for p in previous
            if p.get("Id") not in now and p.get("RecordState", "ACTIVE") == "ACTIVE"]
    return [dict(f) for f in current] + gone


def active_findings(securityhub_client: Any, *, resource_arn: str, product_arn: str,
                    generator_id: str) -> list[dict[str, Any]]:
    """The ACTIVE findings this product holds on one resource (``GetFindings``, every page)."""
    filters = {"ResourceId": [{"Value": resource_arn, "Comparison": "EQUALS"}],
               "ProductArn": [{"Value": product_arn, "Comparison": "EQUALS"}],
               "GeneratorId": [{"Value": generator_id, "Comparison": "EQUALS"}],
               "RecordState": [{"Value": "ACTIVE", "Comparison": "EQUALS"}]}
    found = []
    for page in securityhub_client.get_paginator("get_findings").paginate(Filters=filters):
        for finding in page.get("Findings", []):
            # checked here too: a filter the service (or an emulator) does not apply must not resolve others' findings
            if (finding.get("ProductArn") == product_arn and finding.get("GeneratorId") == generator_id
                    and finding.get("RecordState", "ACTIVE") == "ACTIVE"
                    and any(r.get("Id") == resource_arn for r in finding.get("Resources", []))):
                found.append(finding)
    return found


def import_findings(securityhub_client: Any, findings: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``BatchImportFindings`` in batches of 100. Returns the findings that were not imported, as
    ``FailedFindings`` entries (``Id``, ``ErrorCode``, ``ErrorMessage``); a batch whose call fails
    (access denied, throttled beyond the retries) gives one entry per finding in it. Never raises."""
    failed: list[dict[str, Any]] = []
    for start in range(0, len(findings), BATCH):
        batch = [dict(f) for f in findings[start:start + BATCH]]
        try:
            response = securityhub_client.batch_import_findings(Findings=batch)
        except Exception as error:  # botocore's ClientError / BotoCoreError / ParamValidationError
            code, message = _error(error)
            failed.extend({"Id": f.get("Id", ""), "ErrorCode": code, "ErrorMessage": message} for f in batch)
            continue
        failed.extend(dict(f) for f in response.get("FailedFindings", []))
    return failed


def _finding(*, fid: str, resource: Resource, account: str, region: str, partition: str, product_arn: str,
             generator_id: str, observed_at: str, created_at: str | None, types: list[str], severity: str,
             title: str, description: str, recommendation: dict[str, str], fields: Mapping[str, str],
             status: str) -> dict[str, Any]:
    _check_time(observed_at, "observed_at")
    if created_at is not None:
        _check_time(created_at, "created_at")
    target: dict[str, Any] = {"Type": _RESOURCE_TYPES.get(resource.resource_type, "Other"), "Id": resource.logical_id,
                              "Region": region}
    if partition in ASFF_PARTITIONS:
        target["Partition"] = partition
    return {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": fid,
        "ProductArn": product_arn,
        "GeneratorId": generator_id,
        "AwsAccountId": account,
        "Region": region,
        "Types": list(types),
        "CreatedAt": created_at or observed_at,
        "UpdatedAt": observed_at,
        "FirstObservedAt": created_at or observed_at,
        "LastObservedAt": observed_at,
        "Severity": {"Label": severity, "Original": severity},
        "Title": cut(title, TITLE_LIMIT),
        "Description": cut(description, DESCRIPTION_LIMIT),
        "Remediation": {"Recommendation": recommendation},
        "ProductFields": {FIELD + key: cut(value, FIELD_LIMIT) for key, value in fields.items()},
        "Resources": [target],
        "Compliance": {"Status": status},
        "Workflow": {"Status": "NEW"},
        "RecordState": "ACTIVE",
    }


def _recommendation(text: str, rule_id: str, resource_type: str, docs_url: str | None) -> dict[str, str]:
    """``Text``, and ``Url``: the published AWS page on fixing what the rule reports
    (``core.rules.remediation_link``, as a hook annotation's ``remediationLink``). ``docs_url`` (where
    this project's docs/ are published) adds the rule's section of docs/rules.md to the text."""
    known = rule_of(rule_id)
    suffix = f" (see {docs_url.rstrip('/')}/{known.help_uri})" if docs_url and known is not None else ""
    recommendation = {"Text": cut(text, TEXT_LIMIT - len(suffix)) + suffix}
    link = remediation_link(rule_id, resource_type)
    if link:
        recommendation["Url"] = link
    return recommendation



def _check_time(value: str, name: str) -> None:
    if not isinstance(value, str) or _TIMESTAMP.fullmatch(value) is None:
        raise ValueError(f"{name} must be an ISO 8601 timestamp such as 2026-12-01T12:00:00Z, got {value!r:.60}")


def _error(error: Exception) -> tuple[str, str]:
    response = getattr(error, "response", None)
    details = response.get("Error", {}) if isinstance(response, Mapping) else {}
    code = details.get("Code") if isinstance(details, Mapping) else None
    if code:
        return data(str(code), 60), data(str(details.get("Message", "")), 500)
    return type(error).__name__, data(str(error), 500)
