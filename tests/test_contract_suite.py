"""The stock `cfn test` hook contract suite, run offline through tools/offline_cfn_test.py."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
POINTS = {"preCreate": "CREATE_PRE_PROVISION", "preUpdate": "UPDATE_PRE_PROVISION", "preDelete": "DELETE_PRE_PROVISION"}


def declared_targets() -> dict[str, set[str]]:
    """Invocation point -> the target names schema.json declares for its handler."""
    handlers = json.loads((ROOT / "schema.json").read_text())["handlers"]
    return {POINTS[name]: set(handler["targetNames"]) for name, handler in handlers.items()}


def input_sets() -> int:
    """How many inputs_N_* sets inputs/ holds: `cfn test` runs the whole suite once per set."""
    return len({path.name.split("_")[1] for path in (ROOT / "inputs").glob("inputs_*_*.json")})


def run_suite(tmp_path: pathlib.Path, typeconfig: pathlib.Path) -> tuple[int, dict[str, str], str]:
    # `cfn test` rewrites the JUnit report per inputs set: it holds the last set run (a failing set
    # stops the run, so a failure is what it reports); --record keeps the calls of every set.
    report = tmp_path / "contract.xml"
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "offline_cfn_test.py"), "--typeconfig", str(typeconfig),
         "--record", str(tmp_path / "calls.json"),
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


def test_contract_suite_exercised_every_declared_target(tmp_path):
    """Each target schema.json declares (resources, STACK, CHANGE_SET, whatever is added later) was
    sent by the suite once per inputs set with its valid input (SUCCESS) and once with its invalid
    one (FAILED, error code and message); no handler raised and nothing else was sent."""
    code, _outcomes, output = run_suite(tmp_path, ROOT / "inputs" / "typeconfig.json")
    assert code == 0, output
    calls = json.loads((tmp_path / "calls.json").read_text())
    assert calls and all(call["function"] == "TypeFunction" for call in calls), calls
    assert not [call for call in calls if call["status"] not in ("SUCCESS", "FAILED")], calls
    declared, sets = declared_targets(), input_sets()
    assert sets >= 2
    assert {call["invocationPoint"] for call in calls} == set(declared)
    for point, targets in declared.items():
        sent = [call for call in calls if call["invocationPoint"] == point]
        succeeded = sorted(call["targetName"] for call in sent if call["status"] == "SUCCESS")
        failed = [call for call in sent if call["status"] == "FAILED"]
        assert succeeded == sorted(list(targets) * sets), point
        assert sorted(call["targetName"] for call in failed) == sorted(list(targets) * sets), point
        for call in failed:
            assert call["errorCode"] in ("NonCompliant", "InvalidRequest") and call["hasMessage"], call


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


def test_harness_serves_lambda_invoke_on_loopback_and_reports_handler_crashes(monkeypatch):
    """The Invoke API the suite talks to, driven with boto3's real Lambda client: answers through
    the entrypoint, refuses unknown functions, and turns a raising handler into a Lambda function
    error (so the suite fails on it instead of waiting for a dropped connection)."""
    import boto3

    sys.path.insert(0, str(ROOT / "tools"))
    import offline_cfn_test
    from dataperimeter_ecr_replicationguard.hook import handlers

    from conftest import hook_request, replication

    server = offline_cfn_test.serve()
    try:
        host, port = server.server_address[:2]
        assert host == "127.0.0.1"
        client = boto3.client("lambda", endpoint_url=f"http://{host}:{port}", region_name="us-east-1",
                              aws_access_key_id="offline", aws_secret_access_key="offline")
        event = hook_request("AWS::ECR::ReplicationConfiguration", replication(("us-east-1", "999999999999")),
                             config={"TrustedAccountIds": "222222222222"})
        answer = json.load(client.invoke(FunctionName="TypeFunction", Payload=json.dumps(event))["Payload"])
        assert (answer["hookStatus"], answer["errorCode"]) == ("FAILED", "NonCompliant")
        with pytest.raises(client.exceptions.ResourceNotFoundException):
            client.invoke(FunctionName="SomethingElse", Payload=b"{}")

        def crash(_event, _context):
            raise RuntimeError("boom")

        monkeypatch.setattr(handlers, "hook", crash)
        crashed = client.invoke(FunctionName="TypeFunction", Payload=json.dumps(event))
        assert crashed["FunctionError"] == "Unhandled"
        assert json.load(crashed["Payload"])["errorMessage"] == "boom"
        assert [call["status"] for call in server.calls] == ["FAILED", "UNHANDLED"]
    finally:
        server.shutdown()
        server.server_close()
