"""``hook-handler scan`` fails closed on what CloudFormation cannot take apart, and agrees with the
STACK target on it: a resource that is not an object or has no literal Type, a Resources section
that is not an object, a Fn::ForEach:: key nothing expands. Each test feeds a real template
through the real ``hook-handler scan`` entrypoint and, where the doors must agree, through the
real STACK target. Found in review of the first version of these checks; each failed on it."""

from __future__ import annotations

import json
import textwrap

import pytest

from dataperimeter_ecr_replicationguard.hook.stack_targets import stack_target_answer
from dataperimeter_ecr_replicationguard.invocation import invocation_of
from dataperimeter_ecr_replicationguard.settings import parse_settings
from scan_helpers import run_cli

UNTRUSTED_POLICY = ("{Version: '2012-10-17', Statement: [{Effect: Allow, Principal: {AWS: '999999999999'}, "
                    "Action: 'ecr:*'}]}")

# A loop the scan cannot expand (no AWS::LanguageExtensions), beside a resource CloudFormation
# cannot take apart (its Type is not literal text; the parameter's default makes it an ECR
# registry policy granting an untrusted account).
LOOP_BESIDE_MALFORMED = textwrap.dedent(f"""\
    Parameters:
      Kind: {{Type: String, Default: AWS::ECR::RegistryPolicy}}
    Resources:
      Fn::ForEach::Repos:
        - Name
        - [a, b]
        - Repo${{Name}}:
            Type: AWS::ECR::Repository
      Registry:
        Type: !Ref Kind
        Properties:
          PolicyText: {UNTRUSTED_POLICY}
    """)

# The same, with the transform declared and a collection the template does not decide.
UNDECIDED_LOOP_BESIDE_MALFORMED = textwrap.dedent(f"""\
    Transform: AWS::LanguageExtensions
    Parameters:
      Kind: {{Type: String, Default: AWS::ECR::RegistryPolicy}}
      Names: {{Type: CommaDelimitedList}}
    Resources:
      Fn::ForEach::Repos:
        - Name
        - !Ref Names
        - Repo${{Name}}:
            Type: AWS::ECR::Repository
      Registry:
        Type: !Ref Kind
        Properties:
          PolicyText: {UNTRUSTED_POLICY}
    """)


def _stack_status(text: str) -> str:
    settings = parse_settings({"TrustedAccountIds": "111111111111"})
    invocation = invocation_of("111111111111", "arn:aws:cloudformation:us-east-1:111111111111:stack/s/x")
    return stack_target_answer("STACK", "s", {"template": text}, settings, invocation).status


@pytest.mark.parametrize("text", [LOOP_BESIDE_MALFORMED, UNDECIDED_LOOP_BESIDE_MALFORMED],
                         ids=["loop-without-transform", "undecided-collection"])
def test_a_malformed_resource_is_not_hidden_by_an_unresolved_loop(text, tmp_path):
    """The malformed finding is left out only where a transform the scan cannot expand is
    declared (a macro may make sense of it). Neither template declares one (the first declares
    none; the second only AWS::LanguageExtensions): an unresolved loop beside the malformed
    resource must not let the file pass with --allow-unresolved while the STACK target fails it."""
    assert _stack_status(text) == "FAILED"
    path = tmp_path / "t.yaml"
    path.write_text(text)
    code, out, err = run_cli("scan", str(path), "--trusted-account-ids", "111111111111", "--format", "json",
                             "--allow-unresolved")
    rules = {f["ruleId"]: f for f in json.loads(out)["findings"]}
    assert "ECR-TEMPLATE-MALFORMED-RESOURCE" in rules, rules
    assert rules["ECR-TEMPLATE-MALFORMED-RESOURCE"]["message"] == "Resources/Registry: its Type is not literal text"
    assert code == 1, err


@pytest.mark.parametrize("key", ["1", "true", "2.5"])
def test_a_malformed_resource_whose_logical_id_is_not_yaml_text_is_reported_at_its_line(key, tmp_path):
    """key_lines is keyed by the key as read (1, True, 2.5), not by its text."""
    path = tmp_path / "t.yaml"
    path.write_text(f"Resources:\n  Topic: {{Type: AWS::SNS::Topic}}\n  {key}: [x]\n")
    code, out, _ = run_cli("scan", str(path), "--format", "json")
    [finding] = json.loads(out)["findings"]
    assert code == 1 and finding["ruleId"] == "ECR-TEMPLATE-MALFORMED-RESOURCE"
    assert finding["line"] == 3


def test_two_malformed_resources_in_one_file_have_distinct_sarif_fingerprints(tmp_path):
    """Each finding names its logical ID: without it every malformed resource of a file had the
    fingerprint 'ECR-TEMPLATE-MALFORMED-RESOURCE:::', and code scanning matched them to one another."""
    path = tmp_path / "t.yaml"
    path.write_text("Resources:\n  A: [x]\n  B: {Type: !Ref K}\n")
    code, out, _ = run_cli("scan", str(path), "--format", "sarif")
    results = [r for r in json.loads(out)["runs"][0]["results"] if r["ruleId"] == "ECR-TEMPLATE-MALFORMED-RESOURCE"]
    assert code == 1 and len(results) == 2
    fingerprints = {r["partialFingerprints"]["ecrPerimeter/v1"] for r in results}
    assert len(fingerprints) == 2, fingerprints


def test_a_resources_section_that_is_a_list_fails_closed_not_skipped(tmp_path):
    """It was 'skipped (not a CloudFormation template)', exit 0; the STACK target fails it closed."""
    text = ("AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  - Registry:\n"
            f"      Type: AWS::ECR::RegistryPolicy\n      Properties: {{PolicyText: {UNTRUSTED_POLICY}}}\n")
    assert _stack_status(text) == "FAILED"
    path = tmp_path / "t.yaml"
    path.write_text(text)
    code, out, _ = run_cli("scan", str(path), "--format", "json")
    document = json.loads(out)
    assert document["skipped"] == [] and code != 0


@pytest.mark.parametrize("head, key", [
    ("Transform: AWS::LanguageExtensions\nResources:\n", "Fn::ForEach::my-repos"),  # a name the transform refuses
    ("Resources:\n  Topic: {Type: AWS::SNS::Topic}\n", "Fn::ForEach::Repos"),  # no transform declared
], ids=["after-the-transform", "without-a-transform"])
def test_a_loop_left_unexpanded_is_reported_at_the_loop_not_at_the_transform(head, key, tmp_path):
    """Not at the Transform key (line 1), nor without a line when there is none; named by its key."""
    path = tmp_path / "t.yaml"
    path.write_text(f"{head}  {key}:\n    - N\n    - [a]\n    - Repo${{N}}: {{Type: AWS::ECR::Repository}}\n")
    code, out, _ = run_cli("scan", str(path), "--format", "json")
    [finding] = json.loads(out)["findings"]
    assert code == 1 and finding["ruleId"] == "ECR-TEMPLATE-UNRESOLVED-TRANSFORM" and finding["line"] == 3
    assert finding["logicalId"] == key


@pytest.mark.parametrize("section", ["Resources:\n", "Resources: text\n", "Resources: [1, 2]\n"])
def test_a_resources_section_that_is_empty_or_not_an_object_is_a_finding_at_its_line(section, tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("AWSTemplateFormatVersion: '2010-09-09'\n" + section)
    code, out, _ = run_cli("scan", str(path), "--format", "json")
    document = json.loads(out)
    [finding] = document["findings"]
    assert code == 1 and finding["ruleId"] == "ECR-TEMPLATE-MALFORMED-RESOURCE" and finding["line"] == 2
    assert finding["message"].startswith("Resources: the section is ")
    assert [f["file"] for f in document["files"]] == [str(path)]


def test_the_text_and_sarif_reports_name_a_malformed_resource_without_an_empty_type(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("Resources:\n  Repl: [1]\n")
    code, out, _ = run_cli("scan", str(path))
    assert code == 1 and f"{path}:2: Repl ECR-TEMPLATE-MALFORMED-RESOURCE [HIGH]" in out.splitlines()
    code, out, _ = run_cli("scan", str(path), "--format", "sarif")
    [result] = json.loads(out)["runs"][0]["results"]
    assert result["message"]["text"].startswith("Repl /: Resources/Repl: its body is not an object")
