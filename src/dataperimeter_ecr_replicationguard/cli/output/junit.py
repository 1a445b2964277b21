"""``--format junit``: one test suite per file that has ECR resources or a file-level result
(an unreadable file, a transform the scan cannot expand), one test case per ECR resource. A
resource with failing findings has one ``<failure>`` that lists every one of them (the most
severe first, so a HIGH is never hidden behind a MEDIUM); exempted and allowed findings are
listed in ``<system-out>``. An unreadable file is a test case with an ``<error>``. Files without
ECR resources add no empty suite."""

from __future__ import annotations

from collections import defaultdict

from ...core import rules
from ...core.findings import Severity
from .records import Record, ScanReport

_RANK = {s: n for n, s in enumerate((Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW,
                                     Severity.INFORMATIONAL))}


def render(report: ScanReport) -> str:
    import xml.etree.ElementTree as ET  # here: only a junit report pays its import

    by_resource: dict[tuple[str, str], list[Record]] = defaultdict(list)
    for record in report.sorted_records():
        by_resource[(record.file, record.finding.logical_id)].append(record)
    root = ET.Element("testsuites", name="hook-handler scan")
    total = failures = errors = 0
    entries = [(f.file, f.resources) for f in report.files] + [(u.file, []) for u in report.unreadable]
    for file, resources in sorted(entries, key=lambda e: e[0]):
        file_level = by_resource.get((file, ""), [])
        if not resources and not file_level:
            continue
        suite = ET.SubElement(root, "testsuite", name=file)
        suite_failures = suite_errors = 0
        cases = [(f"{file} (file)", file_level)] if file_level else []
        cases += [(f"{r.logical_id} ({r.resource_type})", by_resource.get((file, r.logical_id), [])) for r in resources]
        for name, records in cases:
            case = ET.SubElement(suite, "testcase", classname=file, name=name)
            failing = sorted((r for r in records if r.failing), key=lambda r: _RANK.get(r.finding.severity, 9))
            if failing:
                unreadable = failing[0].finding.rule_id == rules.TEMPLATE_UNREADABLE.id
                suite_errors += unreadable
                suite_failures += not unreadable
                element = ET.SubElement(case, "error" if unreadable else "failure", type=failing[0].finding.rule_id,
                                        message=_summary(failing)[:1024])
                element.text = "\n".join(_line(r) for r in failing)
            others = [r for r in records if not r.failing]
            if others:
                ET.SubElement(case, "system-out").text = "\n".join(_line(r) for r in others)
        suite.set("tests", str(len(cases)))
        suite.set("failures", str(suite_failures))
        suite.set("errors", str(suite_errors))
        total += len(cases)
        failures += suite_failures
        errors += suite_errors
    root.set("tests", str(total))
    root.set("failures", str(failures))
    root.set("errors", str(errors))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _summary(failing: list[Record]) -> str:
    first = _line(failing[0])
    return first if len(failing) == 1 else f"{len(failing)} failing findings; first: {first}"


def _line(record: Record) -> str:
    from .text import location

    f = record.finding
    note = ""
    if record.judged.exemption is not None:
        note = f" [exempted: {record.judged.exemption.reason}]"
    elif not record.failing:
        note = " [allowed: unresolved]"
    elif record.judged.expired is not None:
        note = f" [exemption expired {record.judged.expired.expires.isoformat()}]"
    basis = f" (rests on: {'; '.join(record.basis)})" if record.basis else ""
    return f"{location(record)}: [{f.rule_id}] {f.severity.value} {f.path or '/'}: {f.message}{note}{basis}"
