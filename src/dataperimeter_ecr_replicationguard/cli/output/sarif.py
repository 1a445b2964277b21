"""``--format sarif``: SARIF 2.1.0 for code scanning. Rules come from the rule catalogue
(``core/rules.py``: short and full description, help, ``helpUri`` into docs/rules.md and
``security-severity``, which GitHub code scanning ranks by). Each result points at the offending
property (line and column) and carries its own message and fix. Exempted findings carry an
external suppression with the exemption's reason; unresolved values allowed by
``--allow-unresolved`` are warnings; everything else is an error."""

from __future__ import annotations

import urllib.parse

from ... import __version__
from ...core.findings import Category
from ...core.rules import BY_ID
from . import indented_json
from .records import Record, ScanReport

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
    return indented_json.dumps(document) + "\n"


def _rule(rule_id: str, example: Record) -> dict:
    known = BY_ID.get(rule_id)
    name = "".join(part.capitalize() for part in rule_id.lower().split("-"))
    if known is None:  # pragma: no cover - tests/test_rules_doc.py keeps the catalogue complete
        return {"id": rule_id, "name": name, "shortDescription": {"text": rule_id},
                "defaultConfiguration": {"level": "error"}}
    return {
        "id": rule_id,
        "name": name,
        "shortDescription": {"text": known.title},
        "fullDescription": {"text": known.description},
        "help": {"text": known.description, "markdown": f"**{known.title}**\n\n{known.description}\n\n"
                 f"See [{known.id}]({known.help_uri})."},
        "helpUri": known.help_uri,
        "defaultConfiguration": {"level": "error"},
        "properties": {
            "category": known.category,
            "severity": known.severity.value,
            "security-severity": known.security_severity,
            "precision": "very-high",
            "problem.severity": "error",
            "tags": ["security", "ecr", "data-perimeter", "cloudformation"],
        },
    }


def _level(record: Record) -> str:
    if record.failing or record.judged.exempted:
        return "error"
    return "warning" if record.finding.category is Category.UNRESOLVED else "note"


def _result(record: Record, rule_index: int) -> dict:
    finding = record.finding
    physical: dict = {"artifactLocation": {"uri": _uri(record.file)}}
    line, column = record.where
    if line:
        physical["region"] = {"startLine": line, **({"startColumn": column} if column else {})}
    kind = f" ({finding.resource_type})" if finding.resource_type else ""
    text = f"{finding.logical_id}{kind} {finding.path or '/'}: {finding.message}" if finding.logical_id else finding.message
    text += f" Fix: {finding.remediation}"
    if record.basis:
        text += " Rests on: " + "; ".join(record.basis) + "."
    result: dict = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": _level(record),
        "message": {"text": text},
        "locations": [
            {
                "physicalLocation": physical,
                "logicalLocations": [
                    {"name": finding.logical_id, "fullyQualifiedName": f"{finding.logical_id}{finding.path}", "kind": "resource"}
                ] if finding.logical_id else [],
            }
        ],
        "partialFingerprints": {"ecrPerimeter/v1": f"{finding.rule_id}:{finding.logical_id}:{finding.path}:{finding.subject}"},
        "properties": {
            "severity": finding.severity.value,
            "category": finding.category.value,
            "subject": finding.subject,
            "remediation": finding.remediation,
            "basis": list(record.basis),
        },
    }
    if record.position and record.line and record.position[0] != record.line:
        result["relatedLocations"] = [{"id": 0, "message": {"text": f"resource {finding.logical_id}"},
                                       "physicalLocation": {"artifactLocation": {"uri": _uri(record.file)},
                                                            "region": {"startLine": record.line}}}]
    if record.judged.exemption is not None:
        exemption = record.judged.exemption
        result["suppressions"] = [
            {"kind": "external", "status": "accepted", "justification": f"{exemption.reason} (expires {exemption.expires.isoformat()})"}
        ]
    return result


def _uri(path: str) -> str:
    return urllib.parse.quote(path.replace("\\", "/"))
