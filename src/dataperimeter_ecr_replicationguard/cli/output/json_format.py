"""``--format json``: stable, documented in docs/scan.md. Keys are never renamed; new keys
may be added. ``findings`` is sorted by file, line, logical ID, path and rule."""

from __future__ import annotations

from ... import __version__
from . import indented_json
from .records import Record, ScanReport

SCHEMA_VERSION = 1


def render(report: ScanReport) -> str:
    document = {
        "schemaVersion": SCHEMA_VERSION,
        "tool": {"name": "hook-handler", "version": __version__},
        "summary": report.summary(),
        "findings": [finding_dict(r) for r in report.sorted_records()],
        "files": [
            {
                "file": f.file,
                "resources": [
                    {"logicalId": r.logical_id, "resourceType": r.resource_type, "line": r.line, "basis": list(r.basis)}
                    for r in f.resources
                ],
            }
            for f in report.files
        ],
        "expiredExemptions": [e.as_dict() for e in report.expired_exemptions],
        "skipped": [{"file": file, "reason": reason} for file, reason in report.skipped],
        "unreadable": [{"file": u.file, "reason": u.reason, "line": u.line, "column": u.column} for u in report.unreadable],
    }
    return indented_json.dumps(document) + "\n"


def finding_dict(record: Record) -> dict:
    f = record.finding
    return {
        "file": record.file,
        "line": record.line,
        "column": record.column,
        "property": {"line": record.position[0], "column": record.position[1]} if record.position else None,
        "logicalId": f.logical_id,
        "resourceType": f.resource_type,
        "ruleId": f.rule_id,
        "severity": f.severity.value,
        "category": f.category.value,
        "message": f.message,
        "path": f.path,
        "subject": f.subject,
        "remediation": f.remediation,
        "failing": record.failing,
        "exempted": record.judged.exempted,
        "exemption": record.judged.exemption.as_dict() if record.judged.exemption else None,
        "expiredExemption": record.judged.expired.as_dict() if record.judged.expired else None,
        "basis": list(record.basis),
    }
