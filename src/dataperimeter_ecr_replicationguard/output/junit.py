"""``--format junit``: one test suite per file, one test case per ECR resource. A resource
with failing findings has one ``<failure>`` listing them; exempted and allowed findings are
listed in ``<system-out>``."""

from __future__ import annotations

from collections import defaultdict

from .report import Record, ScanReport


def render(report: ScanReport) -> str:
    import xml.etree.ElementTree as ET  # here: only a junit report pays its import

    by_resource: dict[tuple[str, str], list[Record]] = defaultdict(list)
    for record in report.sorted_records():
        by_resource[(record.file, record.finding.logical_id)].append(record)
    root = ET.Element("testsuites", name="hook-handler scan")
    total = failures = 0
    for file in report.files:
        suite = ET.SubElement(root, "testsuite", name=file.file)
        suite_failures = 0
        for resource in file.resources:
            case = ET.SubElement(
                suite, "testcase", classname=file.file, name=f"{resource.logical_id} ({resource.resource_type})"
            )
            records = by_resource.get((file.file, resource.logical_id), [])
            failing = [r for r in records if r.failing]
            if failing:
                suite_failures += 1
                failure = ET.SubElement(
                    case, "failure", type=failing[0].finding.rule_id, message=_line(failing[0])[:1024]
                )
                failure.text = "\n".join(_line(r) for r in failing)
            others = [r for r in records if not r.failing]
            if others:
                ET.SubElement(case, "system-out").text = "\n".join(_line(r) for r in others)
        suite.set("tests", str(len(file.resources)))
        suite.set("failures", str(suite_failures))
        suite.set("errors", "0")
        total += len(file.resources)
        failures += suite_failures
    root.set("tests", str(total))
    root.set("failures", str(failures))
    root.set("errors", "0")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _line(record: Record) -> str:
    f = record.finding
    where = f"{record.file}:{record.line}" if record.line else record.file
    note = ""
    if record.judged.exemption is not None:
        note = f" [exempted: {record.judged.exemption.reason}]"
    elif not record.failing:
        note = " [allowed: unresolved]"
    elif record.judged.expired is not None:
        note = f" [exemption expired {record.judged.expired.expires.isoformat()}]"
    return f"{where}: [{f.rule_id}] {f.severity.value} {f.path or '/'}: {f.message}{note}"
