"""hook-handler invoke and demo, run as a user runs them: the executable at the repository root."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import pytest

from conftest import hook_request, replication

ROOT = pathlib.Path(__file__).resolve().parent.parent
TYPE = "AWS::ECR::ReplicationConfiguration"


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "hook-handler"), *args], input=stdin, capture_output=True, text=True, timeout=120
    )


def test_invoke_replays_a_request_through_the_real_entrypoint(tmp_path):
    event = tmp_path / "event.json"
    event.write_text(json.dumps(hook_request(TYPE, replication(("eu-west-1", "999999999999")))))
    result = run("invoke", str(event))
    assert result.returncode == 1, result.stderr
    response = json.loads(result.stdout)
    assert response["hookStatus"] == "FAILED" and response["errorCode"] == "NonCompliant"
    assert response["annotations"][0]["annotationName"] == "ECR-REPLICATION-UNTRUSTED-DESTINATION"


def test_invoke_with_a_type_configuration_document(tmp_path):
    event = tmp_path / "event.json"
    event.write_text(json.dumps(hook_request(TYPE, replication(("eu-west-1", "999999999999")))))
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"CloudFormationConfiguration": {"HookConfiguration": {
        "FailureMode": "FAIL", "Properties": {"TrustedAccountIds": "999999999999"}}}}))
    result = run("invoke", str(event), "--type-configuration", str(config))
    assert result.returncode == 0, result.stdout
    assert json.loads(result.stdout)["hookStatus"] == "SUCCESS"


def test_invoke_reads_stdin():
    result = run("invoke", "-", stdin=json.dumps(hook_request(TYPE, replication(("eu-west-1", "111111111111")))))
    assert result.returncode == 0
    assert json.loads(result.stdout)["hookStatus"] == "SUCCESS"


def test_invoke_unreadable_input_is_a_usage_error(tmp_path):
    missing = run("invoke", str(tmp_path / "nope.json"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    result = run("invoke", str(broken))
    assert result.returncode == 2 and "is not JSON" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_demo_refuses_the_foreign_destination_and_accepts_the_trusted_one():
    result = run("demo")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 unexpected verdicts" in result.stdout
    assert "verdict: SUCCESS" in result.stdout
    assert "verdict: FAILED NonCompliant" in result.stdout
    assert "999988887777" in result.stdout


EXAMPLES = sorted((ROOT / "src" / "dataperimeter_ecr_replicationguard" / "examples").glob("*.json"))


def test_invoke_accepts_the_shipped_example_files():
    for example in EXAMPLES:
        result = run("invoke", str(example))
        expected = json.loads(example.read_text())["expect"]
        assert result.stderr == "", (example.name, result.stderr)
        response = json.loads(result.stdout)
        assert response["hookStatus"] == expected, example.name
        assert result.returncode == (0 if expected == "SUCCESS" else 1)


def test_a_misspelt_invocation_point_is_one_line_and_exit_2(tmp_path):
    event = hook_request(TYPE, replication(("eu-west-1", "111111111111")), point="CREATE_PRE_PROVISON")
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))
    result = run("invoke", str(path))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "did you mean CREATE_PRE_PROVISION?" in result.stderr
    assert "KeyError" not in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("document, words", [
    ({"actionInvocationPoint": "CREATE_PRE_PROVISION"}, "missing key"),
    ({"actionInvocationPoint": "CREATE_PRE_PROVISION", "requestData": "nope"}, "not a hook invocation request"),
    ([1, 2], "must be a JSON object"),
    ("just text", "must be a JSON object"),
    ({"title": "x", "expect": "FAILED", "event": []}, "must be a JSON object"),
])
def test_a_malformed_request_is_one_clear_line_and_exit_2(document, words, tmp_path):
    path = tmp_path / "event.json"
    path.write_text(json.dumps(document))
    result = run("invoke", str(path))
    assert result.returncode == 2 and result.stdout == "", result.stdout
    assert result.stderr.count("\n") == 1 and words in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_a_latin_1_event_is_one_line_without_a_stray_log_line(tmp_path):
    path = tmp_path / "event.json"
    path.write_bytes(b'{"clientRequestToken": "caf\xe9"}')
    result = run("invoke", str(path))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "not UTF-8" in result.stderr and "{filename}" not in result.stderr
