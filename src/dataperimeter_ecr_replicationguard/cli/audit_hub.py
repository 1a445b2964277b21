"""``hook-handler audit --security-hub``: each (account, Region)'s findings imported into that
account's Security Hub in that Region, in ASFF (``aws_api/security_hub.py``, the builder the
detective control uses too), right after the pair is judged, with the pair's own credentials:
``BatchImportFindings`` with the account's default product ARN must be called by the account the
findings name.

What is imported for a pair: one FAILED finding per failing finding, WARNING for an exempted one;
one undecided (FAILED) finding when part of the pair could not be read; and every ACTIVE finding
the audit imported earlier (``GetFindings``, this generator) that no longer holds, resolved
(PASSED, RESOLVED, ARCHIVED): when the whole pair was read, every earlier one not found again (the
resource was fixed or deleted); when part of it was not, only those on resources read now. A
finding on a resource the audit could not read this time is left as it is. An import that fails is part of the pair not done: the audit is
incomplete.
"""

from __future__ import annotations

import datetime
from typing import Any

from ..assess import Assessment, Resource
from ..aws_api import security_hub
from ..aws_api.shapes import registry_arn
from .audit_scope import AccountScope, ClientFactory, cut

GENERATOR_ID = "dataperimeter-ecr-replicationguard/audit"
SOURCE = "audit"


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Importer:
    """The ``after`` step of :class:`.audit_run.Audit` that imports a pair's findings."""

    def __init__(self, factory: ClientFactory, observed_at: str | None = None):
        self.factory = factory
        self.observed_at = observed_at or now()

    def __call__(self, scope: AccountScope, region: str, partition: str, assessment: Assessment,
                 not_read: list[tuple[str, str]]) -> tuple[str, str | None]:
        """(a note for the report, why the import failed or ``None``)."""
        account = scope.account
        product = security_hub.default_product_arn(account=account, region=region, partition=partition)
        common = {"account": account, "region": region, "partition": partition, "product_arn": product,
                  "generator_id": GENERATOR_ID, "observed_at": self.observed_at, "source": SOURCE}
        current = [security_hub.asff_finding(judged, assessed.resource, **common)  # exempted: WARNING
                   for assessed in assessment.resources for judged in assessed.judged]
        if not_read:
            registry = Resource("AWS::ECR::Registry", registry_arn(account=account, region=region,
                                                                   partition=partition), {})
            what = not_read[0][0] if len(not_read) == 1 else f"{len(not_read)} parts of the registry"
            current.append(security_hub.undecided_finding(registry, what, "; ".join(r for _, r in not_read),
                                                          **common))
        client = self.factory.of(scope, region).client("securityhub")
        read = {assessed.resource.logical_id for assessed in assessment.resources}
        try:
            # All read: whatever is not found now is fixed or gone. Part not read: only what was read.
            previous = [f for f in _active(client, account, region, product)
                        if not not_read or any(r.get("Id") in read for r in f.get("Resources", []))]
        except Exception as error:  # noqa: BLE001 - botocore's errors: the import is not done
            return "", f"Security Hub GetFindings failed: {type(error).__name__}: {cut(str(error))}"
        findings = security_hub.reconciled(current, previous, observed_at=self.observed_at)
        failed = security_hub.import_findings(client, findings)
        resolved = len(findings) - len(current)
        note = (f"Security Hub {account}/{region}: {len(findings) - len(failed)} of {len(findings)} finding(s) "
                f"imported ({resolved} resolved)")
        if failed:
            first = failed[0]
            return note, (f"Security Hub BatchImportFindings: {len(failed)} finding(s) not imported, first "
                          f"{cut(str(first.get('ErrorCode')), 80)}: {cut(str(first.get('ErrorMessage')))}")
        return note, None


def _active(client: Any, account: str, region: str, product: str) -> list[dict[str, Any]]:
    """The ACTIVE findings the audit imported earlier in this account and Region (every page)."""
    filters = {"ProductArn": [{"Value": product, "Comparison": "EQUALS"}],
               "GeneratorId": [{"Value": GENERATOR_ID, "Comparison": "EQUALS"}],
               "AwsAccountId": [{"Value": account, "Comparison": "EQUALS"}],
               "RecordState": [{"Value": "ACTIVE", "Comparison": "EQUALS"}]}
    found = []
    for page in client.get_paginator("get_findings").paginate(Filters=filters):
        found += [f for f in page.get("Findings", []) if f.get("GeneratorId") == GENERATOR_ID
                  and f.get("ProductArn") == product and f.get("RecordState", "ACTIVE") == "ACTIVE"]
    return found
