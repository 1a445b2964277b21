"""The stock `cfn test` hook contract suite, run offline through tools/offline_cfn_test.py."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys
import xml.etree.ElementTree as ET

ROOT = pathlib.Path(__file__).resolve().parent.parent


def run_suite(tmp_path: pathlib.Path, typeconfig: pathlib.Path) -> tuple[int, dict[str, str], str]:
    report = tmp_path / "contract.xml"
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "offline_cfn_test.py"), "--typeconfig", str(typeconfig),
         "--", "-q", "-p", "no:cacheprovider", f"--junitxml={report}"],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    outcomes = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        kinds = {child.tag for child in case}
        outcomes[case.get("name")] = (
            "failed" if kinds & {"failure", "error"} else "skipped" if "skipped" in kinds else "passed"
        )
    return result.returncode, outcomes, result.stdout + result.stderr


def test_contract_suite_passes_offline(tmp_path):
    code, outcomes, output = run_suite(tmp_path, ROOT / "inputs" / "typeconfig.json")
    assert code == 0, output
    assert {name: outcome for name, outcome in outcomes.items() if name.startswith("contract_pre")} == {
        "contract_pre_create_success": "passed",
        "contract_pre_create_failed": "passed",
        "contract_pre_update_success": "passed",
        "contract_pre_update_failed": "passed",
        # Runs only for wildcard targetNames; the schema names its targets exactly.
        "contract_pre_create_failed_unsupported_target": "skipped",
        "contract_pre_update_failed_unsupported_target": "skipped",
    }, output


def test_suite_fails_when_the_invalid_inputs_are_accepted(tmp_path):
    """The harness can fail: trusting the invalid inputs' foreign account makes them SUCCESS."""
    config = json.loads((ROOT / "inputs" / "typeconfig.json").read_text())
    config["CloudFormationConfiguration"]["HookConfiguration"]["Properties"]["TrustedAccountIds"] += ",999999999999"
    permissive = tmp_path / "permissive.json"
    permissive.write_text(json.dumps(config))
    code, outcomes, output = run_suite(tmp_path, permissive)
    assert code != 0
    assert outcomes["contract_pre_create_failed"] == "failed", output
    assert outcomes["contract_pre_create_success"] == "passed", output
