"""``--format sarif``: SARIF 2.1.0 for code scanning. Exempted findings carry an external
suppression with the exemption's reason; unresolved values allowed by
``--allow-unresolved`` are warnings; everything else is an error."""

from __future__ import annotations

import json
import urllib.parse

from .. import __version__
from ..core.findings import Category
from .report import Record, ScanReport

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def render(report: ScanReport) -> str:
    records = report.sorted_records()
    rule_ids = sorted({r.finding.rule_id for r in records})
    rules = [_rule(rule_id, next(r for r in records if r.finding.rule_id == rule_id)) for rule_id in rule_ids]
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "hook-handler",
                        "fullName": "DataPerimeter::ECR::ReplicationGuard hook-handler scan",
                        "version": __version__,
                        "rules": rules,
                    }
                },
                "results": [_result(r, rule_ids.index(r.finding.rule_id)) for r in records],
                "columnKind": "utf16CodeUnits",
            }
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _rule(rule_id: str, example: Record) -> dict:
    finding = example.finding
    return {
        "id": rule_id,
        "name": "".join(part.capitalize() for part in rule_id.lower().split("-")),
        "shortDescription": {"text": rule_id.replace("-", " ").capitalize()},
        "help": {"text": finding.remediation},
        "defaultConfiguration": {"level": "error"},
        "properties": {"category": finding.category.value, "tags": ["security", "ecr", "data-perimeter"]},
    }


def _level(record: Record) -> str:
    if record.failing or record.judged.exempted:
        return "error"
    return "warning" if record.finding.category is Category.UNRESOLVED else "note"


def _result(record: Record, rule_index: int) -> dict:
    finding = record.finding
    physical: dict = {"artifactLocation": {"uri": _uri(record.file)}}
    if record.line:
        physical["region"] = {"startLine": record.line}
    result: dict = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": _level(record),
        "message": {"text": f"{finding.logical_id} ({finding.resource_type}) {finding.path or '/'}: {finding.message}"},
        "locations": [
            {
                "physicalLocation": physical,
                "logicalLocations": [
                    {"name": finding.logical_id, "fullyQualifiedName": f"{finding.logical_id}{finding.path}", "kind": "resource"}
                ],
            }
        ],
        "partialFingerprints": {"ecrPerimeter/v1": f"{finding.rule_id}:{finding.logical_id}:{finding.path}:{finding.subject}"},
        "properties": {
            "severity": finding.severity.value,
            "category": finding.category.value,
            "subject": finding.subject,
            "remediation": finding.remediation,
        },
    }
    if record.judged.exemption is not None:
        exemption = record.judged.exemption
        result["suppressions"] = [
            {"kind": "external", "status": "accepted", "justification": f"{exemption.reason} (expires {exemption.expires.isoformat()})"}
        ]
    return result


def _uri(path: str) -> str:
    return urllib.parse.quote(path.replace("\\", "/"))
