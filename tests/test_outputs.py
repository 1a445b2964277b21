"""Output formats on the whole template folder: SARIF valid against the SARIF 2.1.0 schema,
JUnit XML that CI tools read, the documented JSON keys, and exempted findings kept visible."""

from __future__ import annotations

import json
import pathlib
import xml.etree.ElementTree as ET

import jsonschema
import pytest

from scan_helpers import ROOT, SCAN_ARGS, run_cli

SARIF_SCHEMA = json.loads((ROOT / "tests" / "schemas" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
FOLDER = "tests/data/templates"
EXEMPT_ONE = json.dumps([{"LogicalIds": ["MyReplicationConfig"], "Reason": "doc example, SEC-1", "Expires": "2099-01-01"}])


@pytest.fixture(autouse=True)
def _in_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def scan(fmt, *extra):
    code, out, err = run_cli("scan", FOLDER, "--format", fmt, *SCAN_ARGS, *extra)
    assert code == 1, err
    return out


def test_sarif_is_valid_sarif_2_1_0():
    validator = jsonschema.Draft4Validator(SARIF_SCHEMA)
    document = json.loads(scan("sarif", "--exemptions", EXEMPT_ONE))
    errors = sorted(validator.iter_errors(document), key=str)
    assert not errors, errors[0]
    [run] = document["runs"]
    assert document["version"] == "2.1.0"
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert rules == sorted(set(rules))
    results = run["results"]
    assert results and all(rules[r["ruleIndex"]] == r["ruleId"] for r in results)
    located = [r for r in results if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("01_kms-replication_primary-cross-account.yaml")]
    # the result points at the offending property; the resource (its logical ID, line 99) is a related location
    region = located[0]["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] > 99 and region["startColumn"] >= 1
    assert located[0]["relatedLocations"][0]["physicalLocation"]["region"]["startLine"] == 99
    suppressed = [r for r in results if r.get("suppressions")]
    assert suppressed and all("doc example, SEC-1" in r["suppressions"][0]["justification"] for r in suppressed)


def test_the_sarif_schema_check_catches_a_broken_document():
    document = json.loads(scan("sarif"))
    document["runs"][0]["results"][0]["level"] = "fatal"
    assert list(jsonschema.Draft4Validator(SARIF_SCHEMA).iter_errors(document))


def test_json_findings_carry_the_documented_keys():
    document = json.loads(scan("json"))
    keys = {"file", "line", "logicalId", "resourceType", "ruleId", "severity", "message", "path", "subject",
            "remediation", "category", "failing", "exempted", "exemption", "expiredExemption", "column", "property",
            "basis"}
    assert document["schemaVersion"] == 1
    assert document["findings"] and all(set(f) == keys for f in document["findings"])
    assert document["summary"]["failing"] == sum(f["failing"] for f in document["findings"])
    order = [(f["file"], f["line"], f["logicalId"], f["path"], f["ruleId"]) for f in document["findings"]]
    assert order == sorted(order)


def test_junit_has_a_case_per_resource_and_a_failure_per_failing_resource():
    root = ET.fromstring(scan("junit", "--exemptions", EXEMPT_ONE))
    document = json.loads(scan("json", "--exemptions", EXEMPT_ONE))
    assert root.tag == "testsuites"
    assert int(root.get("tests")) == document["summary"]["resources"]
    failing_resources = {(f["file"], f["logicalId"]) for f in document["findings"] if f["failing"]}
    assert int(root.get("failures")) == len(failing_resources)
    failures = [(suite.get("name"), case.get("name").split(" ")[0])
                for suite in root.iter("testsuite") for case in suite.iter("testcase") if case.find("failure") is not None]
    assert set(failures) == failing_resources
    exempted = [case for case in root.iter("testcase") if case.get("name").startswith("MyReplicationConfig")]
    assert exempted[0].find("failure") is None and "exempted: doc example, SEC-1" in exempted[0].find("system-out").text


def test_text_shows_exempted_findings_instead_of_dropping_them():
    out = scan("text", "--exemptions", EXEMPT_ONE)
    assert "ECR-REPLICATION-UNTRUSTED-DESTINATION [exempted]" in out
    assert "exempted by #0 until 2099-01-01: doc example, SEC-1" in out


def test_every_format_writes_only_to_stdout(tmp_path):
    for fmt in ("text", "json", "sarif", "junit"):
        code, out, err = run_cli("scan", FOLDER, "--format", fmt, *SCAN_ARGS)
        assert code == 1 and out and err == ""


def test_the_json_format_is_documented():
    doc = (ROOT / "docs" / "scan.md").read_text(encoding="utf-8")
    for key in ("file", "line", "logicalId", "resourceType", "ruleId", "severity", "message", "path", "subject",
                "remediation", "failing", "exempted", "expiredExemptions", "schemaVersion"):
        assert f"`{key}`" in doc, key
    assert pathlib.Path(ROOT / ".pre-commit-hooks.yaml").exists()
