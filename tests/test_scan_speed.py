"""What the scan does per file, counted rather than timed (timings are ``make bench``'s): a JSON
template's marks (line and column of every key) are taken from its text only when a finding needs
a place, so a directory of passing templates is never walked twice."""

from __future__ import annotations

import json

from dataperimeter_ecr_replicationguard.cli.main import main
from dataperimeter_ecr_replicationguard.template import yaml_loader

TRUSTED = "111111111111"


def _template(registry_id: str) -> dict:
    return {"AWSTemplateFormatVersion": "2010-09-09", "Resources": {
        "Repl": {"Type": "AWS::ECR::ReplicationConfiguration", "Properties": {"ReplicationConfiguration": {
            "Rules": [{"Destinations": [{"Region": "eu-west-1", "RegistryId": registry_id}]}]}}},
        "Topic": {"Type": "AWS::SNS::Topic"}}}


def test_passing_json_templates_are_not_walked_for_marks_and_a_failing_one_is(tmp_path, monkeypatch, capsys):
    walked = []
    real = yaml_loader._mark_json

    def counting(text, root):
        walked.append(text)
        return real(text, root)

    monkeypatch.setattr(yaml_loader, "_mark_json", counting)
    for n in range(5):
        (tmp_path / f"ok-{n}.json").write_text(json.dumps(_template(TRUSTED), indent=1))
    (tmp_path / "bad.json").write_text(json.dumps(_template("999999999999"), indent=1))
    code = main(["scan", str(tmp_path), "--format", "json", "--trusted-account-ids", TRUSTED, "--jobs", "1"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    assert len(walked) == 1 and "999999999999" in walked[0]
    [finding] = report["findings"]
    text = walked[0].splitlines()
    # the resource's line and column, and the offending property's, still come from the walk
    assert text[finding["line"] - 1][finding["column"] - 1:].startswith('"Repl"')
    where = finding["property"]
    assert text[where["line"] - 1][where["column"] - 1:].startswith('"RegistryId": "999999999999"')


def test_the_document_count_is_taken_only_when_a_line_starts_a_document(tmp_path, monkeypatch):
    """A one-document template is not read line by line for ``---`` separators; a manifest with
    two documents still is, whatever its line breaks."""
    from dataperimeter_ecr_replicationguard.cli import scan_file

    counted = []
    real = scan_file._documents
    monkeypatch.setattr(scan_file, "_documents", lambda text: counted.append(text) or real(text))
    single = tmp_path / "t.yaml"
    single.write_text("AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  T:\n    Type: AWS::SNS::Topic # ---\n")
    assert scan_file.not_a_template(str(single)) is None and counted == []
    for newline in ("\n", "\r\n", "\r"):
        manifest = tmp_path / "k.yaml"
        manifest.write_bytes(newline.join(["apiVersion: v1", "kind: ConfigMap", "---", "Resources: {}", ""]).encode())
        assert "several YAML documents" in scan_file.not_a_template(str(manifest)), repr(newline)
    assert len(counted) == 3
