"""``--format text`` (the default): one finding per block, ``file:line``, resource, rule,
message and fix. Colour only when writing to a terminal (and ``NO_COLOR`` is not set)."""

from __future__ import annotations

from .report import Record, ScanReport

_RED, _YELLOW, _DIM, _BOLD, _RESET = "\033[31m", "\033[33m", "\033[2m", "\033[1m", "\033[0m"


def render(report: ScanReport, colour: bool = False) -> str:
    def paint(code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if colour else text

    lines = []
    for record in report.sorted_records():
        lines.extend(_block(record, paint))
    for exemption in report.expired_exemptions:
        lines.append(paint(_YELLOW, f"expired: {exemption.describe()}"))
    s = report.summary()
    verdict = paint(_RED + _BOLD, "FAILED") if s["failing"] else "passed"
    lines.append(
        f"{verdict}: {s['files']} file(s), {s['resources']} ECR resource(s), {s['findings']} finding(s): "
        f"{s['failing']} failing, {s['exempted']} exempted"
        + (f", {s['skippedFiles']} file(s) skipped (not templates)" if s["skippedFiles"] else "")
    )
    return "\n".join(lines) + "\n"


def _block(record: Record, paint) -> list[str]:
    f = record.finding
    where = f"{record.file}:{record.line}" if record.line else record.file
    if record.judged.exemption is not None:
        state, code = "exempted", _YELLOW
    elif record.failing:
        state, code = f.severity.value, _RED
    else:
        state, code = "allowed", _YELLOW
    out = [
        f"{paint(_BOLD, where)}: {f.logical_id} ({f.resource_type}) {paint(code, f'{f.rule_id} [{state}]')}",
        f"    {f.path or '/'}: {f.message}",
        paint(_DIM, f"    fix: {f.remediation}"),
    ]
    if record.judged.exemption is not None:
        e = record.judged.exemption
        out.append(f"    exempted by #{e.index} until {e.expires.isoformat()}: {e.reason}")
    elif record.judged.expired is not None:
        e = record.judged.expired
        out.append(paint(_YELLOW, f"    exemption #{e.index} expired on {e.expires.isoformat()} and no longer applies: {e.reason}"))
    return out
