"""Type configuration documents (deploy/type-configuration-*.json and the one
deploy/hook-registration.yaml builds) in the `set-type-configuration` shape, validated against
a JSON schema derived at test time: `Properties` from schema.json's `typeConfiguration`, the
hook-level keys (`TargetFilters`, `StackFilters`, ...) from the published
AWS::CloudFormation::LambdaHook resource schema that cfn-lint bundles (same shapes). A schema
change the examples do not follow fails here."""

from __future__ import annotations

import copy
import json
import pathlib
import re

import cfnlint
import jsonschema
import pytest

from dataperimeter_ecr_replicationguard.settings import parse_settings

from test_deploy import registration_configuration

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "schema.json").read_text())
EXAMPLES = sorted((ROOT / "deploy").glob("type-configuration-*.json"))
CONFIGURATION_LIMIT = 204_800  # SetTypeConfiguration.Configuration, characters


def lambda_hook_schema() -> dict:
    schemas = pathlib.Path(cfnlint.__file__).parent / "data" / "schemas"
    providers = json.loads((schemas / "providers" / "us-east-1.json").read_text())
    return json.loads((schemas / "resources" / f"{providers['AWS::CloudFormation::LambdaHook']}.json").read_text())


def configuration_schema() -> dict:
    hook = lambda_hook_schema()
    props = hook["properties"]
    type_configuration = copy.deepcopy(SCHEMA["typeConfiguration"])
    type_configuration.setdefault("additionalProperties", False)
    hook_configuration = {
        "type": "object",
        "additionalProperties": False,
        "required": ["HookInvocationStatus", "FailureMode", "TargetOperations", "Properties"],
        "properties": {
            "HookInvocationStatus": props["HookStatus"],
            "FailureMode": props["FailureMode"],
            "TargetOperations": {**props["TargetOperations"], "minItems": 1},
            "TargetFilters": props["TargetFilters"],
            "StackFilters": props["StackFilters"],
            "Properties": type_configuration,
        },
    }
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["CloudFormationConfiguration"],
        "properties": {"CloudFormationConfiguration": {
            "type": "object", "additionalProperties": False, "required": ["HookConfiguration"],
            "properties": {"HookConfiguration": hook_configuration}}},
        "definitions": {**hook["definitions"], **SCHEMA.get("definitions", {})},
    }


def validate(document: dict) -> None:
    jsonschema.validate(document, configuration_schema())
    assert len(json.dumps(document)) <= CONFIGURATION_LIMIT
    parse_settings(document["CloudFormationConfiguration"]["HookConfiguration"]["Properties"])  # the hook reads it


def rule_ids_in_code() -> set[str]:
    source = ROOT / "src" / "dataperimeter_ecr_replicationguard"
    return {rule for path in source.rglob("*.py") if path.name != "exemptions.py"
            for rule in re.findall(r'"(ECR-[A-Z0-9-]+)"', path.read_text(encoding="utf-8"))}


def test_there_is_a_static_and_an_organizations_example():
    names = {p.name for p in EXAMPLES}
    assert {"type-configuration-static.json", "type-configuration-organizations.json"} <= names


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_validates_against_the_schema_and_the_hook_reads_it(path):
    document = json.loads(path.read_text())
    validate(document)
    hook = document["CloudFormationConfiguration"]["HookConfiguration"]
    # The examples exclude the registration stack and the StackSet's instances, as the templates do.
    assert "StackSet-ecr-perimeter-guard-*" in hook["StackFilters"]["StackNames"]["Exclude"]
    settings = parse_settings(hook["Properties"])
    for exemption in settings.exemptions:
        assert set(exemption.rule_ids) <= rule_ids_in_code(), exemption


def test_the_examples_show_both_account_sources():
    sources = {path.name: parse_settings(json.loads(path.read_text())["CloudFormationConfiguration"][
        "HookConfiguration"]["Properties"]).account_source for path in EXAMPLES}
    assert sources["type-configuration-static.json"] == "Static"
    assert sources["type-configuration-organizations.json"] == "Organizations"
    organizations = json.loads((ROOT / "deploy" / "type-configuration-organizations.json").read_text())
    properties = organizations["CloudFormationConfiguration"]["HookConfiguration"]["Properties"]
    assert properties["OrganizationsRoleArn"] and "TrustedAccountIds" not in properties


@pytest.mark.parametrize("parameters", [
    {},
    {"FailureMode": "WARN", "TargetOperations": ["RESOURCE"], "TargetActions": ["CREATE"],
     "ExcludedStackNames": ["StackSet-ecr-perimeter-guard-*"], "AccountSource": "Organizations",
     "TrustedOrganizationIds": "o-a1b2c3d4e5", "OrganizationsRoleArn": "arn:aws:iam::123456789012:role/Read"},
], ids=["defaults", "organizations"])
def test_the_registration_template_builds_a_valid_document(parameters):
    validate(registration_configuration(parameters))


@pytest.mark.parametrize("broken", [
    lambda d: d["Properties"].update(NoSuchSetting="x"),
    lambda d: d["Properties"].update(TrustedAccountIds=["111122223333"]),
    lambda d: d.update(FailureMode="BLOCK"),
    lambda d: d.update(TargetFilters={"Actions": ["CREATE"], "Targets": []}),
    lambda d: d["StackFilters"]["StackNames"].update(Exclude=["bad name!"]),
], ids=["unknown setting", "setting type", "failure mode", "mixed filter forms", "stack name"])
def test_the_derived_schema_rejects_what_set_type_configuration_would(broken):
    document = json.loads((ROOT / "deploy" / "type-configuration-static.json").read_text())
    broken(document["CloudFormationConfiguration"]["HookConfiguration"])
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, configuration_schema())


def test_the_recovery_configuration_in_the_operations_guide_is_valid():
    """docs/operations.md's "switch it off now" document is one set-type-configuration accepts."""
    doc = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    [document] = [d for d in re.findall(r"--configuration '(\{.*\})'", doc) if '"DISABLED"' in d]
    parsed = json.loads(document)
    validate(parsed)
    assert parsed["CloudFormationConfiguration"]["HookConfiguration"]["HookInvocationStatus"] == "DISABLED"
