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
