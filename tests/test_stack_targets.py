"""STACK and CHANGE_SET targets through the real Lambda entrypoint ``handlers.hook``, with the
payload shapes CloudFormation documents (camelCase) and the Java plugin reads (PascalCase)."""

from __future__ import annotations

import copy
import json
import subprocess
import sys

import pytest

from conftest import ACCOUNT, hook_request
from scan_helpers import ROOT, TEMPLATES

CONFIG = {"TrustedAccountIds": "222222222222"}

YAML_FOREIGN = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Repl:
    Type: AWS::ECR::ReplicationConfiguration
    Properties:
      ReplicationConfiguration:
        Rules:
          - Destinations:
              - Region: !Ref AWS::Region
                RegistryId: !Sub "${AWS::AccountId}"
              - Region: eu-west-1
                RegistryId: "999999999999"
"""
YAML_OWN = YAML_FOREIGN.replace('"999999999999"', '"222222222222"')
YAML_PARAMETER = """\
Parameters:
  Dest: {Type: String, Default: "222222222222"}
Resources:
  Repl:
    Type: AWS::ECR::ReplicationConfiguration
    Properties:
      ReplicationConfiguration:
        Rules:
          - Destinations:
              - {Region: eu-west-1, RegistryId: !Ref Dest}
"""


def stack_event(model, target="STACK", logical_id="ecr-perimeter-test", config=CONFIG, point="CREATE_PRE_PROVISION"):
    event = hook_request(target, {}, logical_id=logical_id, config=config, point=point)
    event["requestData"]["targetType"] = target
    event["requestData"]["targetModel"] = copy.deepcopy(model)
    return event


def as_json(yaml_text):
    from dataperimeter_ecr_replicationguard.template.yaml_loader import load_template_text

    return json.dumps(load_template_text(yaml_text))


@pytest.mark.parametrize("key", ["template", "Template"])
@pytest.mark.parametrize("encode", [lambda t: t, as_json], ids=["yaml", "json"])
def test_stack_violation_fails_early(invoke, key, encode):
    response = invoke(stack_event({key: encode(YAML_FOREIGN)}))
    assert response["hookStatus"] == "FAILED" and response["errorCode"] == "NonCompliant"
    assert "999999999999" in response["message"] and "ecr-perimeter-test (STACK)" in response["message"]
    [annotation] = response["annotations"]
    assert annotation["annotationName"] == "ECR-REPLICATION-UNTRUSTED-DESTINATION" and annotation["status"] == "FAILED"


@pytest.mark.parametrize("point", ["CREATE_PRE_PROVISION", "UPDATE_PRE_PROVISION"])
def test_stack_trusted_template_passes(invoke, point):
    response = invoke(stack_event({"template": YAML_OWN, "previousTemplate": YAML_FOREIGN}, point=point))
    assert response["hookStatus"] == "SUCCESS", response["message"]
    assert [a["status"] for a in response["annotations"]] == ["PASSED"]


def test_stack_resolved_template_is_preferred(invoke):
    response = invoke(stack_event({"Template": YAML_OWN, "ResolvedTemplate": as_json(YAML_FOREIGN)}))
    assert response["errorCode"] == "NonCompliant"


def test_stack_parameters_are_not_assumed_so_the_value_is_left_to_the_resource_hook(invoke):
    response = invoke(stack_event({"template": YAML_PARAMETER}))
    assert response["hookStatus"] == "SUCCESS"
    assert "left to the resource-level hook" in response["message"]
    [annotation] = response["annotations"]
    assert annotation["status"] == "SKIPPED" and annotation["annotationName"] == "ECR-REPLICATION-UNRESOLVED-VALUE"
    assert "parameter Dest" in annotation["statusMessage"]


def test_stack_without_ecr_resources_passes(invoke):
    response = invoke(stack_event({"template": "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n"}))
    assert response["hookStatus"] == "SUCCESS"


@pytest.mark.parametrize("target", ["STACK", "CHANGE_SET"])
@pytest.mark.parametrize("model", [{}, None, {"template": "", "previousTemplate": ""}], ids=["empty", "none", "blank"])
def test_empty_target_model_fails_closed(invoke, target, model):
    response = invoke(stack_event(model, target=target))
    assert response["hookStatus"] == "FAILED" and response["errorCode"] == "InvalidRequest"
    assert "fails closed" in response["message"]


@pytest.mark.parametrize(
    "template, reason",
    [
        ("Resources:\n  A: [\n", "not valid YAML"),
        ('{"Resources": ', "not valid JSON"),
        ("- just\n- a list\n", "not a CloudFormation template"),
        ("Resources:\n  A: {Type: AWS::SNS::Topic}\n  A: {Type: AWS::SNS::Topic}\n", "duplicate key"),
        ("x: &a [1, 1]\ny: &b [*a, *a]\nResources: {}\n", "YAML aliases"),
    ],
)
def test_unreadable_templates_fail_closed(invoke, template, reason):
    response = invoke(stack_event({"template": template}))
    assert response["hookStatus"] == "FAILED" and response["errorCode"] == "InvalidRequest"
    assert reason in response["message"]


def change(after, action="CREATE", camel=True, resource_type="AWS::ECR::ReplicationConfiguration"):
    entry = {"action": action, "logicalResourceId": "Repl", "resourceType": resource_type, "lineNumber": 3,
             "beforeContext": None, "afterContext": json.dumps({"Properties": after})}
    if not camel:
        entry = {k[0].upper() + k[1:]: v for k, v in entry.items()}
    return entry


def properties(registry_id, region="eu-west-1"):
    return {"ReplicationConfiguration": {"Rules": [{"Destinations": [{"Region": region, "RegistryId": registry_id}]}]}}


@pytest.mark.parametrize("camel", [True, False], ids=["camelCase", "PascalCase"])
def test_change_set_after_context_violation(invoke, camel):
    key = "changedResources" if camel else "ChangedResources"
    model = {"template": YAML_OWN, key: [change(properties("999999999999"), camel=camel)]}
    response = invoke(stack_event(model, target="CHANGE_SET", logical_id="arn:aws:cloudformation:eu-west-1:111111111111:changeSet/cs/1"))
    assert response["errorCode"] == "NonCompliant" and "999999999999" in response["message"]


@pytest.mark.parametrize("wrapped", [True, False])
def test_change_set_java_resource_properties(invoke, wrapped):
    after = properties("999999999999")
    entry = change(after, camel=False)
    del entry["AfterContext"]
    entry["ResourceProperties"] = json.dumps({"Properties": after} if wrapped else after)
    response = invoke(stack_event({"Template": YAML_OWN, "ChangedResources": [entry]}, target="CHANGE_SET"))
    assert response["errorCode"] == "NonCompliant" and "999999999999" in response["message"]


def test_change_set_after_context_with_string_typed_values(invoke):
    after = properties("222222222222")
    after["ReplicationConfiguration"]["Rules"][0]["RepositoryFilters"] = [{"Filter": "prod", "FilterType": "PREFIX_MATCH"}]
    after["Extra"] = {"Enabled": "false", "Count": "3"}
    response = invoke(stack_event({"changedResources": [change(after)]}, target="CHANGE_SET"))
    assert response["hookStatus"] == "SUCCESS", response["message"]


def test_change_set_known_after_apply_is_left_to_the_resource_hook(invoke):
    model = {"changedResources": [change(properties("{{changeSet:KNOWN_AFTER_APPLY}}"))]}
    response = invoke(stack_event(model, target="CHANGE_SET"))
    assert response["hookStatus"] == "SUCCESS"
    [annotation] = response["annotations"]
    assert annotation["status"] == "SKIPPED" and "known only after it executes" in annotation["statusMessage"]


def test_change_set_deletions_and_other_types_are_not_evaluated(invoke):
    model = {"changedResources": [change(properties("999999999999"), action="DELETE"),
                                  change(properties("999999999999"), action="Remove"),
                                  change({"TopicName": "x"}, resource_type="AWS::SNS::Topic")]}
    assert invoke(stack_event(model, target="CHANGE_SET"))["hookStatus"] == "SUCCESS"


def test_change_set_unreadable_after_context_fails_closed(invoke):
    entry = change(properties("222222222222"))
    entry["afterContext"] = "{not json"
    response = invoke(stack_event({"changedResources": [entry]}, target="CHANGE_SET"))
    assert response["errorCode"] == "InvalidRequest" and "afterContext is not JSON" in response["message"]


def test_change_set_without_changed_resources_evaluates_the_template(invoke):
    response = invoke(stack_event({"template": YAML_FOREIGN, "changedResources": []}, target="CHANGE_SET"))
    assert response["errorCode"] == "NonCompliant"


def test_stack_exemption_applies_by_stack_name(invoke):
    exemptions = json.dumps([{"StackNames": ["ecr-perimeter-*"], "Reason": "SEC-3", "Expires": "2999-01-01"}])
    response = invoke(stack_event({"template": YAML_FOREIGN}, config=dict(CONFIG, Exemptions=exemptions)))
    assert response["hookStatus"] == "SUCCESS" and response["annotations"][0]["status"] == "SKIPPED"


def test_stack_and_cli_agree_on_the_template_folder(invoke):
    """Every template of the folder sent as a STACK payload fails exactly when the CLI finds a
    concrete (not unresolved) failing finding with the same settings and no parameter values."""
    from scan_helpers import run_cli

    config = json.loads((ROOT / "tests" / "data" / "scan-config.json").read_text())
    properties_config = config["CloudFormationConfiguration"]["HookConfiguration"]["Properties"]
    for template in sorted(p for p in TEMPLATES.rglob("*") if p.suffix in (".yaml", ".json")):
        code, out, err = run_cli("scan", str(template), "--format", "json", "--config", str(ROOT / "tests/data/scan-config.json"),
                                 "--account", ACCOUNT, "--region", "eu-west-1", "--stack-name", "ecr-perimeter-test")
        findings = json.loads(out)["findings"]
        concrete = {f["ruleId"] for f in findings if f["failing"] and f["category"] != "unresolved"}
        uses_parameters = "Parameters" in template.read_text()
        response = invoke(stack_event({"template": template.read_text()}, config=properties_config))
        stack_failed = {a["annotationName"] for a in response["annotations"] or [] if a["status"] == "FAILED"}
        if not uses_parameters:
            assert stack_failed == concrete, template.name
        else:
            # without parameter values the stack target can only know less, never more
            assert stack_failed <= concrete, template.name


def test_resource_targets_never_import_the_template_parsers():
    code = (
        "import sys, json; sys.path.insert(0, 'tests'); from conftest import hook_request, replication;"
        "from dataperimeter_ecr_replicationguard.hook.handlers import hook;"
        "r = hook(hook_request('AWS::ECR::ReplicationConfiguration', replication(('eu-west-1', '111111111111'))), None);"
        "print(json.dumps([r['hookStatus'], 'cfnlint' in sys.modules, 'yaml' in sys.modules,"
        " 'dataperimeter_ecr_replicationguard.hook.stack_targets' in sys.modules]))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60,
                            env={"PYTHONPATH": "src", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == ["SUCCESS", False, False, False]


def test_hook_loader_reads_every_template_as_cfn_lint_does():
    """The hook's small YAML loader and cfn-lint's decoder give the same document."""
    from cfnlint.decode import decode

    from dataperimeter_ecr_replicationguard.template.resolve import _plain
    from dataperimeter_ecr_replicationguard.template.yaml_loader import load_template_text

    compared = 0
    for template in sorted(TEMPLATES.rglob("*")):
        if template.suffix not in (".yaml", ".yml", ".json", ".template"):
            continue
        decoded, problems = decode(str(template))
        assert not problems, template.name
        assert _plain(load_template_text(template.read_text())) == _plain(decoded), template.name
        compared += 1
    assert compared >= 25


@pytest.mark.parametrize("name, point, expected", [
    ("inputs_1_pre_create.json", "CREATE_PRE_PROVISION", "SUCCESS"),
    ("inputs_1_pre_update.json", "UPDATE_PRE_PROVISION", "SUCCESS"),
    ("inputs_1_invalid.json", "CREATE_PRE_PROVISION", "FAILED"),
])
def test_contract_inputs_for_stack_targets(name, point, expected):
    """The contract suite's inputs for STACK and CHANGE_SET give the verdicts it asserts, sent
    as `cfn test` sends them (test_entrypoint, targetType RESOURCE, stackId a token)."""
    from conftest import cfn_test_event
    from dataperimeter_ecr_replicationguard.hook.handlers import test_entrypoint

    inputs = json.loads((ROOT / "inputs" / name).read_text())
    targets = [t for t in ("STACK", "CHANGE_SET") if t in inputs]
    assert "STACK" in targets
    for target in targets:
        event = cfn_test_event(target, {}, point=point)
        event["request"]["hookContext"]["targetType"] = "RESOURCE"
        event["request"]["hookContext"]["stackId"] = "4b90a7e4-b790-456b-a937-0cfdfa211dfe"
        event["request"]["hookContext"]["targetModel"] = inputs[target]
        response = test_entrypoint(event, None)
        assert response["status"] == expected, (name, target, response.get("message"))
        if expected == "FAILED":
            assert response["message"] and response["errorCode"] == "NonCompliant"


def test_a_resource_behind_an_undecided_condition_is_left_to_the_resource_hook(invoke, tmp_path):
    template = (
        "Parameters:\n  Dr: {Type: String, Default: 'no'}\nConditions:\n  WantDr: !Equals [!Ref Dr, 'yes']\n"
        + YAML_FOREIGN.split("AWSTemplateFormatVersion: \"2010-09-09\"\n")[1].replace(
            "    Type: AWS::ECR::ReplicationConfiguration\n",
            "    Type: AWS::ECR::ReplicationConfiguration\n    Condition: WantDr\n")
    )
    response = invoke(stack_event({"template": template}))
    assert response["hookStatus"] == "SUCCESS"
    assert "condition WantDr" in response["annotations"][0]["statusMessage"]
    # the CLI decides the condition from the parameter's default, or is told the value
    from scan_helpers import run_cli

    path = tmp_path / "conditional.yaml"
    path.write_text(template)
    assert run_cli("scan", str(path), "--account", ACCOUNT, "--trusted-account-ids", "222222222222")[0] == 0
    assert run_cli("scan", str(path), "--account", ACCOUNT, "--trusted-account-ids", "222222222222",
                   "--parameter", "Dr=yes")[0] == 1
