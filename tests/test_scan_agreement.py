"""The CLI and the hook agree: for every ECR resource of every template in tests/data/templates,
the resolved properties sent through ``handlers.hook`` as a RESOURCE HookInvocationRequest get
the same verdict and the same rule ids as ``hook-handler scan`` reports for that resource."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest

from conftest import hook_request
from scan_helpers import ACCOUNT, CONFIG, REGION, ROOT, SCAN_ARGS, relative, run_cli, template_files

STACK_ID = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/agreement/0f1e2d3c-4b5a-11ef-8a9b-0a1b2c3d4e5f"


def _resolved_resources(template_path):
    """What the scan evaluated: the template's ECR resources with resolved properties."""
    from dataperimeter_ecr_replicationguard.assess import assess
    from dataperimeter_ecr_replicationguard.invocation import invocation_of
    from dataperimeter_ecr_replicationguard.settings import parse_settings, properties_of
    from dataperimeter_ecr_replicationguard.template import Context, template_resources
    from dataperimeter_ecr_replicationguard.template.decode import decode_file

    settings = parse_settings(properties_of(json.loads(CONFIG.read_text())))
    invocation = invocation_of(ACCOUNT, "", REGION)
    context = Context(account_id=ACCOUNT, region=REGION, stack_name=template_path.stem,
                      partition=invocation.partition, parameters={})
    resources = template_resources(decode_file(str(template_path)), context)
    return [assessed for assessed in assess(resources, settings, invocation).resources]


@pytest.mark.parametrize("template", template_files(), ids=lambda p: p.name)
def test_cli_and_hook_entrypoint_agree(template, invoke, monkeypatch):
    monkeypatch.chdir(ROOT)
    code, out, err = run_cli("scan", relative(template), "--format", "json", *SCAN_ARGS)
    assert code in (0, 1), err
    scanned = defaultdict(set)
    failing = defaultdict(bool)
    for finding in json.loads(out)["findings"]:
        scanned[finding["logicalId"]].add(finding["ruleId"])
        failing[finding["logicalId"]] |= finding["failing"]

    config = json.loads(CONFIG.read_text())["CloudFormationConfiguration"]["HookConfiguration"]["Properties"]
    resources = _resolved_resources(template)
    assert {r.resource.logical_id for r in resources} >= set(scanned)
    for resource in (r.resource for r in resources):
        event = hook_request(resource.resource_type, resource.properties, config=config,
                             logical_id=resource.logical_id, account=ACCOUNT, stack_id=STACK_ID)
        response = invoke(event)
        hook_rules = {a["annotationName"] for a in response["annotations"] if a["status"] == "FAILED"}
        verdict = "FAILED" if failing[resource.logical_id] else "SUCCESS"
        assert response["hookStatus"] == verdict, (resource.logical_id, response["message"])
        assert hook_rules == scanned[resource.logical_id], resource.logical_id


def test_the_agreement_is_not_vacuous():
    """At least some resources fail and some pass, so agreement is a real comparison."""
    verdicts = {bool(r.findings) for t in template_files() for r in _resolved_resources(t)}
    assert verdicts == {True, False}
