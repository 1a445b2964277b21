"""``--format text`` (the default): one finding per block, ``file:line:column`` of the offending
property (else of the resource), resource, rule, message, fix and what the verdict rests on.
Colour only when writing to a terminal (and ``NO_COLOR`` is not set). ``quiet``: only failing
findings and the summary; ``verbose``: also every skipped file and every resource checked."""

from __future__ import annotations

from ...core.values import data
from .records import Record, ScanReport

_RED, _YELLOW, _DIM, _BOLD, _RESET = "\033[31m", "\033[33m", "\033[2m", "\033[1m", "\033[0m"


def render(report: ScanReport, colour: bool = False, quiet: bool = False, verbose: bool = False) -> str:
    def paint(code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if colour else text

    lines = []
    for record in report.sorted_records():
        if quiet and not record.failing:
            continue
        lines.extend(_block(record, paint))
    if not quiet:
        for exemption in report.expired_exemptions:
            lines.append(paint(_YELLOW, f"expired: {exemption.describe()}"))
    if verbose:
        with_findings = {(r.file, r.finding.logical_id) for r in report.records}
        for file in report.files:
            for resource in file.resources:
                if (file.file, resource.logical_id) in with_findings:
                    continue
                where = f"{file.file}:{resource.line}" if resource.line else file.file
                lines.append(_shown(f"{where}: {resource.logical_id} ({resource.resource_type}) passes"))
                lines.extend(_shown(f"    rests on: {b}") for b in resource.basis)
        for file, reason in report.skipped:
            lines.append(paint(_DIM, _shown(f"skipped: {file}: {reason}")))
    s = report.summary()
    verdict = paint(_RED + _BOLD, "FAILED") if s["failing"] else "passed"
    lines.append(
        f"{verdict}: {s['files']} file(s), {s['resources']} ECR resource(s), {s['findings']} finding(s): "
        f"{s['failing']} failing, {s['exempted']} exempted"
        + (f", {s['unreadableFiles']} file(s) unreadable" if s["unreadableFiles"] else "")
        + (f", {s['skippedFiles']} file(s) skipped (not templates{'' if verbose else '; --verbose lists them'})"
           if s["skippedFiles"] else "")
    )
    return "\n".join(lines) + "\n"


def _shown(text: str) -> str:
    """A line for a terminal: file names, logical IDs, types and keys come from the input, and a
    control or format character among them (an escape sequence, a bidirectional override) is
    shown escaped, not obeyed. Text already shown as data is printable and kept as it is."""
    return text if text.isprintable() else data(text, 10**6)


def location(record: Record) -> str:
    line, column = record.where
    if not line:
        return record.file
    return f"{record.file}:{line}:{column}" if column else f"{record.file}:{line}"


def _block(record: Record, paint) -> list[str]:
    f = record.finding
    if record.judged.exemption is not None:
        state, code = "exempted", _YELLOW
    elif record.failing:
        state, code = f.severity.value, _RED
    else:
        state, code = "allowed", _YELLOW
    resource = f" {f.logical_id}" + (f" ({f.resource_type})" if f.resource_type else "") if f.logical_id else ""
    out = [
        f"{paint(_BOLD, _shown(location(record)))}:{_shown(resource)} {paint(code, f'{f.rule_id} [{state}]')}",
        _shown(f"    {f.path or '/'}: {f.message}"),
        paint(_DIM, _shown(f"    fix: {f.remediation}")),
    ]
    out.extend(_shown(f"    rests on: {b}") for b in record.basis)
    if record.judged.exemption is not None:
        e = record.judged.exemption
        out.append(f"    exempted by #{e.index} until {e.expires.isoformat()}: {e.reason}")
    elif record.judged.expired is not None:
        e = record.judged.expired
        out.append(paint(_YELLOW, f"    exemption #{e.index} expired on {e.expires.isoformat()} and no longer applies: {e.reason}"))
    return out
