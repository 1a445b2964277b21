"""``hook-handler demo``'s detective part: the shipped CloudTrail event (``examples/*.json`` here:
``{title, expect, hookExample, settings, event}``) judged by the detective door offline (the
event is readable and the trust static, so no AWS call), shown beside the hook's verdict on the
same configuration (``hookExample``, one of the hook's shipped examples)."""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib import resources

from ..settings import configuration_properties, parse_settings
from .events import read_event
from .verdict import judge_call


def run_demo(show: Callable[[str], None]) -> tuple[int, int]:
    """Print each example's verdict; (examples, unexpected verdicts)."""
    examples = sorted((p for p in resources.files(__package__).joinpath("examples").iterdir()
                       if p.name.endswith(".json")), key=lambda p: p.name)
    surprises = 0
    for path in examples:
        case = json.loads(path.read_text(encoding="utf-8"))
        call = read_event(case["event"])
        verdict = judge_call(call, parse_settings(configuration_properties(case["settings"])))
        status = "FAILED" if not verdict.compliant else "SUCCESS"
        surprises += status != case["expect"]
        mark = "ok" if status == case["expect"] else "UNEXPECTED"
        show(f"== {case['title']}")
        show(f"   call:    {call.event_name} by {call.caller} in {call.account} {call.region} "
             f"(beside the hook's example {case.get('hookExample', '-')})")
        show(f"   verdict: {status}  (expected {case['expect']}: {mark}); Security Hub would get:")
        for resource, judged in verdict.failing:
            finding = judged.finding
            show(f"   finding: {finding.rule_id} {finding.severity.value} on {resource.logical_id} at {finding.path}")
            show(f"            {finding.message}")
        for undecided in verdict.undecided:
            show(f"   finding: UNDECIDED on {undecided.arn}: {undecided.reason}")
        show("")
    return len(examples), surprises
