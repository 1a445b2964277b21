"""Snapshot tests: ``hook-handler scan --format json`` on every template of tests/data/templates
must equal the committed snapshot exactly. To accept a deliberate change, run
``UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/test_scan_snapshots.py`` and review the diff."""

from __future__ import annotations

import json
import os

import pytest

from scan_helpers import ROOT, SCAN_ARGS, relative, run_cli, template_files

SNAPSHOTS = ROOT / "tests" / "snapshots" / "templates"
UPDATE = os.environ.get("UPDATE_SNAPSHOTS") == "1"


def _snapshot_path(template):
    return SNAPSHOTS / (relative(template).removeprefix("tests/data/templates/").replace("/", "__") + ".json")


@pytest.mark.parametrize("template", template_files(), ids=lambda p: p.name)
def test_json_output_matches_snapshot(template, monkeypatch):
    monkeypatch.chdir(ROOT)
    code, out, err = run_cli("scan", relative(template), "--format", "json", *SCAN_ARGS)
    assert code in (0, 1), err
    document = json.loads(out)
    assert code == (1 if document["summary"]["failing"] else 0)
    snapshot = _snapshot_path(template)
    if UPDATE:
        snapshot.parent.mkdir(parents=True, exist_ok=True)
        snapshot.write_text(out, encoding="utf-8")
    assert snapshot.exists(), f"no snapshot {snapshot.name}: run with UPDATE_SNAPSHOTS=1 to create it"
    expected = snapshot.read_text(encoding="utf-8")
    assert out == expected, (
        f"scan output for {template.name} differs from {relative(snapshot)}; if the change is intended, "
        "run UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/test_scan_snapshots.py and review the diff"
    )


def test_every_snapshot_has_a_template():
    expected = {_snapshot_path(t).name for t in template_files()}
    stale = sorted(p.name for p in SNAPSHOTS.glob("*.json") if p.name not in expected)
    assert not stale, f"snapshots without a template: {stale}"


def test_the_folder_covers_every_checked_resource_type_and_intrinsic():
    from dataperimeter_ecr_replicationguard.core import supported_types

    text = "\n".join(t.read_text(encoding="utf-8") for t in template_files())
    for resource_type in supported_types() + (
        "AWS::ECR::Repository",
        "AWS::ECR::RegistryPolicy",
        "AWS::ECR::RepositoryCreationTemplate",
        "AWS::ECR::PublicRepository",
        "AWS::ECR::PullThroughCacheRule",
    ):
        assert resource_type in text, resource_type
    for intrinsic in ("!Sub", "Fn::Sub", "!Join", "Fn::Join", "!Select", "Fn::Select", "!Split", "!FindInMap",
                      "!If", "Fn::If", "!Equals", "!And", "!Or", "!Not", "!Condition", "!ImportValue", "Fn::ImportValue",
                      "!GetAtt", "AWS::NoValue", "AWS::AccountId", "AWS::Region", "AWS::Partition", "AWS::URLSuffix",
                      "{{resolve:", "Transform: AWS::Serverless"):
        assert intrinsic in text, intrinsic
