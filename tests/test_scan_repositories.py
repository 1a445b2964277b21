"""``hook-handler scan`` in a real repository (issue 13): files that are not templates are
skipped wherever they come from, an unreadable template is a result of its own in every format
while every other file is still reported, nothing to scan is exit 2, the configuration is
validated against schema.json, transforms are expanded or reported, and the CLI conventions
(--output-file, --quiet/--verbose, --list-rules, --version, columns, cdk.out stack names)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET

import pytest

from scan_helpers import REPLICATION, ROOT, run_cli

FOREIGN = REPLICATION
KUBERNETES = textwrap.dedent("""\
    apiVersion: v1
    kind: Namespace
    metadata: {name: shop}
    ---
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web}
    spec:
      template:
        spec:
          containers:
            - name: web
              image: 111111111111.dkr.ecr.eu-west-1.amazonaws.com/web:1
              resources: {limits: {cpu: "1"}}
    """)
PRE_COMMIT = "repos:\n  - repo: local\n    hooks: []\n"
BROKEN = "Resources:\n  Repo:\n    Type: AWS::ECR::Repository\n    Properties: [\n"


@pytest.fixture
def repo(tmp_path):
    """A repository as pre-commit sees it: one template with a finding, one broken template,
    and files that are not templates."""
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "replication.yaml").write_text(FOREIGN)
    (tmp_path / "infra" / "broken.yaml").write_text(BROKEN)
    (tmp_path / "k8s.yaml").write_text(KUBERNETES)
    (tmp_path / "configmap.yaml").write_text(  # mentions Resources, but holds two documents
        "apiVersion: v1\nkind: ConfigMap\ndata:\n  Resources: cpu\n---\napiVersion: v1\nkind: Secret\n")
    (tmp_path / "package.json").write_text('{"name": "shop", "version": "1.0.0"}')
    (tmp_path / ".pre-commit-config.yaml").write_text(PRE_COMMIT)
    (tmp_path / "settings.json").write_text('{"editor.tabSize": 2}')
    return tmp_path


def test_one_unreadable_file_never_hides_the_others_in_any_format(repo):
    code, out, err = run_cli("scan", str(repo), "--format", "json")
    assert code == 2
    document = json.loads(out)
    rules = {(f["file"].removeprefix(str(repo) + "/"), f["ruleId"]) for f in document["findings"]}
    assert rules == {("infra/replication.yaml", "ECR-REPLICATION-UNTRUSTED-DESTINATION"),
                     ("infra/broken.yaml", "ECR-TEMPLATE-UNREADABLE")}
    [unreadable] = document["unreadable"]
    assert unreadable["file"].endswith("broken.yaml") and unreadable["line"] == 5 and unreadable["column"] == 1
    assert document["summary"]["unreadableFiles"] == 1 and document["summary"]["files"] == 1
    assert err.count("\n") == 1 and "broken.yaml:5:1" in err and "ECR-TEMPLATE-UNREADABLE" in err
    # the same in every format
    code, text, _ = run_cli("scan", str(repo))
    assert code == 2 and "ECR-TEMPLATE-UNREADABLE" in text and "ECR-REPLICATION-UNTRUSTED-DESTINATION" in text
    code, sarif, _ = run_cli("scan", str(repo), "--format", "sarif")
    results = json.loads(sarif)["runs"][0]["results"]
    assert code == 2 and {r["ruleId"] for r in results} == {"ECR-TEMPLATE-UNREADABLE", "ECR-REPLICATION-UNTRUSTED-DESTINATION"}
    broken = next(r for r in results if r["ruleId"] == "ECR-TEMPLATE-UNREADABLE")
    assert broken["locations"][0]["physicalLocation"]["region"] == {"startLine": 5, "startColumn": 1}
    code, junit, _ = run_cli("scan", str(repo), "--format", "junit")
    root = ET.fromstring(junit)
    assert code == 2 and root.get("errors") == "1" and root.get("failures") == "1"
    assert [s.get("name").removeprefix(str(repo) + "/") for s in root.iter("testsuite")] == [
        "infra/broken.yaml", "infra/replication.yaml"]


def test_files_that_are_not_templates_are_skipped_and_counted_even_when_named(repo):
    code, out, err = run_cli("scan", str(repo), "--format", "json")
    skipped = {s["file"].removeprefix(str(repo) + "/"): s["reason"] for s in json.loads(out)["skipped"]}
    assert set(skipped) == {"k8s.yaml", "configmap.yaml", "package.json", "settings.json", ".pre-commit-config.yaml"}
    assert "several YAML documents" in skipped["configmap.yaml"] and "known non-template" in skipped["package.json"]
    assert "no Resources" in skipped["k8s.yaml"]
    named = [str(repo / n) for n in ("package.json", ".pre-commit-config.yaml", "k8s.yaml", "settings.json")]
    code, out, err = run_cli("scan", *named)  # what pre-commit passes when only these changed
    assert code == 0 and err == ""
    assert "0 file(s), 0 ECR resource(s)" in out and "4 file(s) skipped" in out
    code, out, _ = run_cli("scan", *named, str(repo / "infra" / "replication.yaml"))
    assert code == 1 and "ECR-REPLICATION-UNTRUSTED-DESTINATION" in out


def test_verbose_lists_skipped_files_and_quiet_only_failing_findings(repo):
    (repo / "infra" / "broken.yaml").unlink()
    (repo / "infra" / "trusted.yaml").write_text(FOREIGN.replace('"999999999999"', "!Ref AWS::AccountId")
                                                 .replace("!Ref Dest", "!Ref AWS::AccountId"))
    code, out, _ = run_cli("scan", str(repo), "--verbose")
    assert code == 1
    assert f"skipped: {repo / 'package.json'}: not a CloudFormation template" in out
    assert "Repl (AWS::ECR::ReplicationConfiguration) passes" in out
    code, out, _ = run_cli("scan", str(repo), "--quiet", "--exemptions",
                           json.dumps([{"LogicalIds": ["Repl"], "Reason": "SEC-1", "Expires": "2099-01-01"}]))
    assert code == 0 and "ECR-REPLICATION" not in out and out.startswith("passed:")
    assert out.count("\n") == 1


def test_nothing_to_scan_is_exit_2_with_one_line(tmp_path):
    for argv in (["scan", str(tmp_path)], ["scan", str(tmp_path / "missing")]):
        code, out, err = run_cli(*argv)
        assert code == 2 and out == "" and err.count("\n") == 1, (argv, err)
    (tmp_path / "package.json").write_text("{}")
    code, out, err = run_cli("scan", str(tmp_path))
    assert code == 2 and "no CloudFormation template found" in err and "1 file(s) skipped" in err


def test_a_latin_1_file_is_unreadable_with_its_position_and_no_stray_log_line(tmp_path):
    path = tmp_path / "latin.yaml"
    path.write_bytes(b"Resources:\n  Repo:\n    Type: AWS::ECR::Repository\n    Properties:\n      RepositoryName: caf\xe9\n")
    code, out, err = run_cli("scan", str(path), "--format", "json")
    assert code == 2
    [finding] = json.loads(out)["findings"]
    assert finding["ruleId"] == "ECR-TEMPLATE-UNREADABLE" and (finding["line"], finding["column"]) == (5, 26)
    assert "not UTF-8" in finding["message"] and "{filename}" not in out + err
    assert err.count("\n") == 1 and "Cannot read file contents" not in err


def test_the_stray_cfnlint_log_line_and_the_unfilled_filename_are_gone_from_the_console_script(tmp_path):
    path = tmp_path / "latin.yaml"
    path.write_bytes(b"Resources: {Repo: {Type: AWS::ECR::Repository, Properties: {RepositoryName: caf\xe9}}}\n")
    result = subprocess.run([sys.executable, "-m", "dataperimeter_ecr_replicationguard.cli", "scan", str(path)],
                            capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "{filename}" not in result.stdout + result.stderr


# -- configuration validated against schema.json -----------------------------------------------

@pytest.mark.parametrize("document, words", [
    ({"AllowedReplicationRegion": "eu-west-1"}, ["AllowedReplicationRegion", "did you mean AllowedReplicationRegions?"]),
    ({"TrustedAcountIds": "999999999999"}, ["TrustedAcountIds", "did you mean TrustedAccountIds?"]),
    ({"CloudFormationConfiguration": {"HookConfiguraton": {"Properties": {"TrustedAccountIds": "999999999999"}}}},
     ["HookConfiguraton", "did you mean HookConfiguration?"]),
    ({"CloudformationConfiguration": {"HookConfiguration": {"Properties": {}}}},
     ["CloudformationConfiguration", "did you mean CloudFormationConfiguration?"]),
    ({"CloudFormationConfiguration": {"HookConfiguration": {"FailureMode": "STOP", "Properties": {}}}}, ["FailureMode", "STOP"]),
    ({"TrustedAccountIds": ["999999999999"]}, ["TrustedAccountIds", "comma-separated"]),
    ({"CacheTtlSeconds": "five"}, ["CacheTtlSeconds", "does not match"]),  # schema.json's own pattern
    (["TrustedAccountIds"], ["must be a JSON object"]),
])
def test_a_misspelt_or_misshapen_configuration_is_an_error_naming_the_key(document, words, tmp_path):
    template = tmp_path / "repl.yaml"
    template.write_text(FOREIGN)
    config = tmp_path / "config.json"
    config.write_text(json.dumps(document))
    code, out, err = run_cli("scan", str(template), "--config", str(config))
    assert code == 2 and out == "" and err.count("\n") == 1, err
    assert "does not validate against schema.json" in err and all(w in err for w in words), err


def test_the_right_spelling_still_passes(tmp_path):
    template = tmp_path / "repl.yaml"
    template.write_text(FOREIGN)
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"CloudFormationConfiguration": {"HookConfiguration": {
        "HookInvocationStatus": "ENABLED", "FailureMode": "FAIL", "TargetOperations": ["RESOURCE"],
        "Properties": {"TrustedAccountIds": "999999999999", "AllowedReplicationRegions": "eu-west-1"}}}}))
    assert run_cli("scan", str(template), "--config", str(config))[0] == 0


def test_the_legacy_target_stacks_key_docs_readme_shows_is_read_and_its_values_checked(tmp_path):
    """docs/README.md (generated by the cfn CLI) shows the activation document with the legacy
    ``TargetStacks``: a document copied from it must validate; a value it cannot hold must not."""
    assert "TargetStacks" in (ROOT / "docs" / "README.md").read_text(encoding="utf-8")
    template = tmp_path / "repl.yaml"
    template.write_text(FOREIGN)
    config = tmp_path / "config.json"
    for value, code in (("ALL", 0), ("NONE", 0), ("SOME", 2)):
        config.write_text(json.dumps({"CloudFormationConfiguration": {"HookConfiguration": {
            "TargetStacks": value, "FailureMode": "FAIL",
            "Properties": {"TrustedAccountIds": "999999999999", "AllowedReplicationRegions": "eu-west-1"}}}}))
        assert run_cli("scan", str(template), "--config", str(config))[0] == code, value


def test_validation_reads_schema_json_so_new_constraints_apply_without_a_copy(monkeypatch):
    from dataperimeter_ecr_replicationguard import settings

    real = settings.type_configuration_schema()
    assert real["properties"].keys() == json.loads((ROOT / "schema.json").read_text())["typeConfiguration"]["properties"].keys()
    patched = json.loads(json.dumps(real))
    patched["properties"]["TrustedAccountIds"]["pattern"] = "^[0-9,]*$"
    monkeypatch.setattr(settings, "type_configuration_schema", lambda: patched)
    with pytest.raises(settings.ConfigurationError, match="TrustedAccountIds"):
        settings.configuration_properties({"TrustedAccountIds": "abc"})


def test_the_packaged_schema_is_the_root_schema_json():
    from importlib import resources

    packaged = resources.files("dataperimeter_ecr_replicationguard").joinpath("schema.json").read_bytes()
    assert packaged == (ROOT / "schema.json").read_bytes()


def test_invoke_type_configuration_is_validated_too(tmp_path):
    from conftest import hook_request, replication

    event = tmp_path / "event.json"
    event.write_text(json.dumps(hook_request("AWS::ECR::ReplicationConfiguration", replication(("eu-west-1", "999999999999")))))
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"TrustedAcountIds": "999999999999"}))
    code, out, err = run_cli("invoke", str(event), "--type-configuration", str(config))
    assert code == 2 and out == "" and "did you mean TrustedAccountIds?" in err and err.count("\n") == 1
    config.write_text(json.dumps({"TrustedAccountIds": "999999999999"}))
    assert run_cli("invoke", str(event), "--type-configuration", str(config))[0] == 0


# -- transforms ----------------------------------------------------------------------------------

FOR_EACH = textwrap.dedent("""\
    Transform: AWS::LanguageExtensions
    Parameters:
      Accounts: {Type: CommaDelimitedList, Default: "111111111111,999999999999"}
    Mappings:
      Regions:
        Prod: {Region: eu-west-1}
    Resources:
      Fn::ForEach::Replicas:
        - Account
        - !Ref Accounts
        - Replication${Account}:
            Type: AWS::ECR::ReplicationConfiguration
            Properties:
              ReplicationConfiguration:
                Rules:
                  - Destinations:
                      - Region: !FindInMap [Regions, Prod, Region]
                        RegistryId: !Ref Account
    """)


def test_language_extensions_for_each_is_expanded_before_evaluation(tmp_path):
    path = tmp_path / "foreach.yaml"
    path.write_text(FOR_EACH)
    code, out, _ = run_cli("scan", str(path), "--account", "111111111111", "--format", "json")
    document = json.loads(out)
    assert code == 1
    assert [r["logicalId"] for r in document["files"][0]["resources"]] == ["Replication111111111111",
                                                                          "Replication999999999999"]
    [finding] = document["findings"]
    assert finding["logicalId"] == "Replication999999999999" and finding["subject"] == "999999999999"
    assert finding["property"] == {"line": 18, "column": 21}
    assert any("parameter Accounts" in b and "Default" in b for b in finding["basis"])
    # the --parameter value decides the collection, not the Default
    assert run_cli("scan", str(path), "--account", "111111111111", "--parameter", "Accounts=111111111111")[0] == 0


def _registry_policy(account: str) -> dict:
    statement = {"Sid": "S", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                 "Action": ["ecr:ReplicateImage"], "Resource": "*"}
    return {"Type": "AWS::ECR::RegistryPolicy",
            "Properties": {"PolicyText": {"Version": "2012-10-17", "Statement": [statement]}}}


def test_a_json_template_with_for_each_keeps_every_resource_and_its_line(tmp_path):
    # The expansion deep-copies the template and cfn-lint rewrites the copy's Resources: asking
    # the resources' lines must not walk the text against that rewritten copy (it turned the
    # resource after the loop into a list of its keys: the resource vanished, a fail-open)
    template = {
        "Transform": "AWS::LanguageExtensions",
        "Parameters": {"Accounts": {"Type": "CommaDelimitedList", "Default": "111111111111,999999999999"}},
        "Resources": {
            "Before": _registry_policy("888888888888"),
            "Fn::ForEach::Replicas": ["Account", {"Ref": "Accounts"}, {"Replication${Account}": {
                "Type": "AWS::ECR::ReplicationConfiguration",
                "Properties": {"ReplicationConfiguration": {"Rules": [{"Destinations": [
                    {"Region": "eu-west-1", "RegistryId": {"Ref": "Account"}}]}]}}}}],
            "After": _registry_policy("777777777777"),
        },
    }
    text = json.dumps(template, indent=2)
    lines = text.splitlines()
    path = tmp_path / "foreach.json"
    path.write_text(text)
    code, out, _ = run_cli("scan", str(path), "--account", "111111111111", "--format", "json")
    document = json.loads(out)
    assert code == 1
    resources = document["files"][0]["resources"]
    body = [n for n, line in enumerate(lines, 1) if '"Replication${Account}": {' in line][0]
    assert [(r["logicalId"], r["line"]) for r in resources] == [
        ("Before", lines.index('    "Before": {') + 1), ("After", lines.index('    "After": {') + 1),
        ("Replication111111111111", body), ("Replication999999999999", body)]  # generated: the loop's body
    assert sorted((f["logicalId"], f["subject"]) for f in document["findings"]) == [
        ("After", "777777777777"), ("Before", "888888888888"), ("Replication999999999999", "999999999999")]


def test_a_finding_in_a_json_for_each_resource_is_placed_in_the_loop_body_without_a_traceback(tmp_path):
    # The loop first, and every generated resource has a finding: placing them walked the text
    # against cfn-lint's rewritten copy of the template (IndexError, a traceback, on main too)
    template = {"Transform": "AWS::LanguageExtensions", "Resources": {
        "Fn::ForEach::Repos": ["Name", ["a", "b"], {"Repo${Name}": {"Type": "AWS::ECR::Repository", "Properties": {
            "RepositoryPolicyText": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"}, "Action": "ecr:*"}]}}}}],
        "After": _registry_policy("777777777777")}}
    text = json.dumps(template, indent=2)
    lines = text.splitlines()
    path = tmp_path / "foreach.json"
    path.write_text(text)
    code, out, err = run_cli("scan", str(path), "--account", "111111111111", "--format", "json")
    assert code == 1 and "Traceback" not in err
    findings = {f["logicalId"]: f for f in json.loads(out)["findings"]}
    assert sorted(findings) == ["After", "Repoa", "Repob"]
    for name in ("Repoa", "Repob"):
        where = findings[name]["property"]
        assert lines[findings[name]["line"] - 1].strip() == '"Repo${Name}": {'
        assert lines[where["line"] - 1][where["column"] - 1:].startswith('"Principal"'), findings[name]["path"]


def test_a_finding_in_a_yaml_for_each_resource_is_placed_where_the_loop_body_writes_it(tmp_path):
    """The transform expands a copy of the template, and rewrites its Resources: a YAML
    mapping's marks are taken before it is copied (yaml_loader.take_all_marks), by key. They
    were taken after, in the order the keys had been read: "After" was reported at line 3 (the
    loop's) and "Repoa" at 15 (After's)."""
    text = textwrap.dedent("""\
        Transform: AWS::LanguageExtensions
        Resources:
          Fn::ForEach::Repos:
            - Name
            - [a, b]
            - Repo${Name}:
                Type: AWS::ECR::Repository
                Properties:
                  RepositoryPolicyText:
                    Version: '2012-10-17'
                    Statement:
                      - Effect: Allow
                        Principal: {AWS: 'arn:aws:iam::999999999999:root'}
                        Action: ecr:*
          After:
            Type: AWS::ECR::RegistryPolicy
            Properties:
              PolicyText: {Version: '2012-10-17', Statement: [{Effect: Allow, Principal: {AWS: '777777777777'}, Action: 'ecr:*'}]}
        """)
    lines = text.splitlines()
    path = tmp_path / "foreach.yaml"
    path.write_text(text)
    code, out, err = run_cli("scan", str(path), "--account", "111111111111", "--format", "json")
    assert code == 1 and "Traceback" not in err
    findings = {f["logicalId"]: f for f in json.loads(out)["findings"]}
    assert sorted(findings) == ["After", "Repoa", "Repob"]
    for name in ("Repoa", "Repob"):
        assert findings[name]["line"] == 7  # generated: the loop's body (its first key)
        where = findings[name]["property"]
        assert lines[where["line"] - 1][where["column"] - 1:].startswith("Principal"), findings[name]["path"]
    assert findings["After"]["line"] == 15 and findings["After"]["property"]["line"] == 18


def test_a_for_each_collection_the_template_does_not_decide_is_unresolved_not_zero_resources(tmp_path):
    path = tmp_path / "foreach.yaml"
    path.write_text(FOR_EACH.replace(', Default: "111111111111,999999999999"', ""))
    code, out, _ = run_cli("scan", str(path), "--account", "111111111111", "--format", "json")
    [finding] = json.loads(out)["findings"]
    assert code == 1 and finding["ruleId"] == "ECR-TEMPLATE-UNRESOLVED-TRANSFORM" and finding["failing"]
    assert "Accounts" in finding["message"]


LOOP = """AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::LanguageExtensions
Resources:
  Fn::ForEach::Regions:
    - Name
    - [a, b]
    - Repl${Name}:
        Type: AWS::ECR::ReplicationConfiguration
        Properties:
          ReplicationConfiguration:
            Rules: [{Destinations: [{Region: us-west-2, RegistryId: '999999999999'}]}]
"""


@pytest.mark.parametrize("change, why", [
    (("Fn::ForEach::Regions", "Fn::ForEach::my-regions"), "not a loop AWS::LanguageExtensions expands"),
    (("Fn::ForEach::Regions", "Fn::ForEach::Regions two"), "not a loop AWS::LanguageExtensions expands"),
    (("Transform: AWS::LanguageExtensions\n", ""), "does not declare it"),
])
def test_a_for_each_the_transform_does_not_expand_is_unresolved_not_zero_resources(change, why, tmp_path):
    """The loop makes a replication to an untrusted account when it expands (the first case
    below, as written); a spelling the transform does not take for a loop was skipped as "not a
    resource" and the file passed with 0 ECR resources."""
    path = tmp_path / "loop.yaml"
    path.write_text(LOOP)
    code, out, _ = run_cli("scan", str(path), "--trusted-account-ids", "111111111111", "--format", "json")
    assert code == 1 and {f["ruleId"] for f in json.loads(out)["findings"]} == {"ECR-REPLICATION-UNTRUSTED-DESTINATION"}
    path.write_text(LOOP.replace(*change))
    code, out, err = run_cli("scan", str(path), "--trusted-account-ids", "111111111111", "--format", "json")
    [finding] = json.loads(out)["findings"]
    assert code == 1 and finding["ruleId"] == "ECR-TEMPLATE-UNRESOLVED-TRANSFORM" and finding["failing"], err
    assert why in finding["message"] and "Resources/Fn::ForEach::" in finding["message"]


def test_a_loop_left_unexpanded_that_makes_no_ecr_resource_is_not_the_scans_concern(tmp_path):
    path = tmp_path / "loop.yaml"
    path.write_text(LOOP.replace("Fn::ForEach::Regions", "Fn::ForEach::my-topics")
                    .replace("AWS::ECR::ReplicationConfiguration", "AWS::SNS::Topic"))
    code, out, _ = run_cli("scan", str(path), "--trusted-account-ids", "111111111111", "--format", "json")
    assert code == 0 and json.loads(out)["findings"] == []


@pytest.mark.parametrize("body, why", [
    ("    - Type: AWS::ECR::ReplicationConfiguration\n", "its body is not an object"),
    ("    Type: !Ref Kind\n", "its Type is not literal text"),
    ("    Type: [AWS::ECR::ReplicationConfiguration]\n", "its Type is not literal text"),
    ("    Properties: {}\n", "it has no Type"),
])
def test_a_resource_cloudformation_cannot_take_apart_is_a_failing_finding_not_skipped(body, why, tmp_path):
    """Skipped as "not a resource", such an entry left the file passing with 0 ECR resources;
    the STACK target fails the same template (tests/test_stack_payloads.py)."""
    path = tmp_path / "malformed.yaml"
    path.write_text("Parameters:\n  Kind: {Type: String, Default: AWS::ECR::ReplicationConfiguration}\n"
                    "Resources:\n  Topic: {Type: AWS::SNS::Topic}\n  Repl:\n" + body +
                    "  Registry: {Type: AWS::ECR::RegistryPolicy, Properties: {PolicyText: {Version: '2012-10-17', "
                    "Statement: [{Effect: Allow, Principal: {AWS: '999999999999'}, Action: 'ecr:*'}]}}}\n")
    code, out, err = run_cli("scan", str(path), "--trusted-account-ids", "111111111111", "--format", "json",
                             "--allow-unresolved")
    document = json.loads(out)
    by_rule = {f["ruleId"]: f for f in document["findings"]}
    assert code == 1 and not document["unreadable"], err
    assert set(by_rule) == {"ECR-TEMPLATE-MALFORMED-RESOURCE", "ECR-POLICY-UNTRUSTED-ACCOUNT"}  # the others still checked
    malformed = by_rule["ECR-TEMPLATE-MALFORMED-RESOURCE"]
    assert malformed["failing"] and malformed["line"] == 5 and malformed["message"] == f"Resources/Repl: {why}"


def test_a_malformed_resource_name_reaches_the_report_escaped(tmp_path):
    path = tmp_path / "malformed.yaml"
    path.write_text('Resources:\n  "Repl\\e[2J\\u202e": [1]\n')
    code, out, _ = run_cli("scan", str(path), "--format", "json")
    [finding] = json.loads(out)["findings"]
    assert code == 1 and "\x1b" not in finding["message"] and "\u202e" not in finding["message"]
    assert finding["message"].startswith("Resources/Repl\\x1b[2J\\u202e: ")


@pytest.mark.parametrize("transform", ["MyCompanyMacro", "[AWS::Serverless-2016-10-31, MyCompanyMacro]",
                                       "{Name: AWS::Include, Parameters: {Location: s3://bucket/ecr.yaml}}"])
def test_a_transform_the_scan_cannot_expand_is_unresolved(transform, tmp_path):
    path = tmp_path / "macro.yaml"
    path.write_text(f"Transform: {transform}\nResources:\n  Topic: {{Type: AWS::SNS::Topic}}\n")
    code, out, _ = run_cli("scan", str(path), "--format", "json")
    [finding] = json.loads(out)["findings"]
    assert code == 1 and finding["ruleId"] == "ECR-TEMPLATE-UNRESOLVED-TRANSFORM" and finding["line"] == 1
    code, out, _ = run_cli("scan", str(path), "--format", "json", "--allow-unresolved")
    assert code == 0 and json.loads(out)["findings"][0]["failing"] is False


def test_sam_keeps_working(tmp_path):
    path = ROOT / "tests" / "data" / "templates" / "sam-function-and-repository.yaml"
    code, out, _ = run_cli("scan", str(path), "--format", "json", "--account", "111111111111")
    assert code in (0, 1)
    assert not [f for f in json.loads(out)["findings"] if f["ruleId"].startswith("ECR-TEMPLATE-")]
    assert json.loads(out)["summary"]["resources"] >= 1


# -- CLI conventions -----------------------------------------------------------------------------

def test_text_on_the_terminal_and_sarif_and_junit_to_files_in_one_run(tmp_path):
    template = tmp_path / "repl.yaml"
    template.write_text(FOREIGN)
    sarif, junit = tmp_path / "out.sarif", tmp_path / "out.xml"
    code, out, err = run_cli("scan", str(template), "--output-file", f"sarif={sarif}", "--output-file", f"junit={junit}")
    assert code == 1 and err == "" and "ECR-REPLICATION-UNTRUSTED-DESTINATION [HIGH]" in out
    assert json.loads(sarif.read_text())["runs"][0]["results"][0]["ruleId"] == "ECR-REPLICATION-UNTRUSTED-DESTINATION"
    assert ET.fromstring(junit.read_text()).get("failures") == "1"
    plain = tmp_path / "report.json"
    code, out, _ = run_cli("scan", str(template), "--format", "json", "--output-file", str(plain))
    assert code == 1 and out == "" and json.loads(plain.read_text())["summary"]["failing"] == 1
    code, _, err = run_cli("scan", str(template), "--output-file", str(tmp_path / "missing" / "x.txt"))
    assert code == 2 and "cannot write --output-file" in err


def test_list_rules_and_version():
    from dataperimeter_ecr_replicationguard import __version__
    from dataperimeter_ecr_replicationguard.core.rules import RULES

    code, out, _ = run_cli("scan", "--list-rules")
    assert code == 0 and all(r.id in out for r in RULES)
    code, out, _ = run_cli("scan", "--list-rules", "--format", "json")
    assert {r["id"] for r in json.loads(out)} == {r.id for r in RULES}
    for argv in (["--version"], ["scan", "--version"]):
        result = subprocess.run([sys.executable, "-m", "dataperimeter_ecr_replicationguard.cli", *argv],
                                capture_output=True, text=True, timeout=60, cwd=ROOT)
        assert result.returncode == 0 and result.stdout.strip() == f"hook-handler {__version__}"


def test_cdk_out_stacks_are_named_by_their_stack_name(tmp_path):
    """Exemptions by stack name match what CloudFormation will call the stack, not the file."""
    out_dir = tmp_path / "cdk.out"
    out_dir.mkdir()
    (out_dir / "ReplicationStack.template.json").write_text(json.dumps({"Resources": {"Repl": {
        "Type": "AWS::ECR::ReplicationConfiguration", "Properties": {"ReplicationConfiguration": {"Rules": [
            {"Destinations": [{"Region": "eu-west-1", "RegistryId": "999999999999"}]}]}}}}}))
    (out_dir / "manifest.json").write_text(json.dumps({"version": "36.0.0", "artifacts": {
        "ReplicationStack": {"type": "aws:cloudformation:stack", "environment": "aws://unknown-account/eu-west-1",
                             "properties": {"templateFile": "ReplicationStack.template.json",
                                            "stackName": "prod-replication"}},
        "Tree": {"type": "cdk:tree", "properties": {"file": "tree.json"}}}}))
    (out_dir / "tree.json").write_text('{"version": "tree-0.1", "tree": {"id": "App"}}')
    exemption = json.dumps([{"StackNames": ["prod-replication"], "Reason": "SEC-7 DR", "Expires": "2099-01-01"}])
    code, out, _ = run_cli("scan", str(out_dir), "--exemptions", exemption, "--format", "json")
    document = json.loads(out)
    assert code == 0 and document["findings"][0]["exempted"] is True
    assert {s["file"].rsplit("/", 1)[1] for s in document["skipped"]} == {"manifest.json", "tree.json"}


def test_a_verdict_resting_on_a_parameter_default_says_so_in_every_format(tmp_path):
    template = tmp_path / "repl.yaml"
    template.write_text(FOREIGN)
    note = "parameter Dest = '999999999999' (its Default"
    outputs = {fmt: run_cli("scan", str(template), "--format", fmt, "--account", "111111111111")[1]
               for fmt in ("text", "json", "sarif", "junit")}
    assert all(note in text for text in outputs.values()), {k: note in v for k, v in outputs.items()}
    code, out, _ = run_cli("scan", str(template), "--format", "json", "--parameter", "Dest=111111111111",
                           "--account", "111111111111")
    assert code == 0 and json.loads(out)["files"][0]["resources"][0]["basis"] == [
        "parameter Dest = '111111111111' (--parameter)"]


def test_junit_reports_every_failing_finding_of_a_resource_most_severe_first(tmp_path):
    template = tmp_path / "repo.yaml"
    template.write_text(textwrap.dedent("""\
        Resources:
          Repl:
            Type: AWS::ECR::ReplicationConfiguration
            Properties:
              ReplicationConfiguration:
                Rules:
                  - Destinations:
                      - {Region: ap-south-1, RegistryId: "111111111111"}
                      - {Region: eu-west-1, RegistryId: "999999999999"}
          Topic: {Type: AWS::SNS::Topic}
        """))
    (tmp_path / "other.yaml").write_text("Resources:\n  Topic: {Type: AWS::SNS::Topic}\n")
    code, out, _ = run_cli("scan", str(tmp_path), "--format", "junit", "--account", "111111111111",
                           "--allowed-replication-regions", "eu-west-1")
    root = ET.fromstring(out)
    [suite] = root.iter("testsuite")  # other.yaml has no ECR resource: no empty suite
    failure = suite.find("testcase/failure")
    assert code == 1 and suite.get("name").endswith("repo.yaml")
    assert failure.get("type") == "ECR-REPLICATION-UNTRUSTED-DESTINATION"  # HIGH before MEDIUM
    assert "ECR-REPLICATION-REGION-NOT-ALLOWED" in failure.text and "ECR-REPLICATION-UNTRUSTED-DESTINATION" in failure.text


def test_sarif_rules_come_from_the_catalogue(tmp_path):
    from dataperimeter_ecr_replicationguard.core.rules import BY_ID

    template = tmp_path / "repl.yaml"
    template.write_text(FOREIGN)
    document = json.loads(run_cli("scan", str(template), "--format", "sarif")[1])
    [rule] = document["runs"][0]["tool"]["driver"]["rules"]
    known = BY_ID["ECR-REPLICATION-UNTRUSTED-DESTINATION"]
    assert rule["shortDescription"]["text"] == known.title and rule["fullDescription"]["text"] == known.description
    assert rule["helpUri"] == "docs/rules.md#ecr-replication-untrusted-destination"
    assert rule["properties"]["security-severity"] == "8.0"
    assert "999999999999" not in json.dumps(rule)  # rule-level help names no particular account
    [result] = document["runs"][0]["results"]
    assert "999999999999" in result["message"]["text"]
    assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": 10, "startColumn": 37}


def test_a_loop_that_makes_no_ecr_resource_does_not_need_its_collection(tmp_path):
    path = tmp_path / "buckets.yaml"
    path.write_text(textwrap.dedent("""\
        Transform: AWS::LanguageExtensions
        Parameters:
          Names: {Type: CommaDelimitedList}
        Resources:
          Fn::ForEach::Buckets:
            - Name
            - !Ref Names
            - Bucket${Name}: {Type: AWS::S3::Bucket}
          Repo: {Type: AWS::ECR::Repository}
        """))
    code, out, _ = run_cli("scan", str(path), "--format", "json")
    document = json.loads(out)
    assert code == 0 and document["findings"] == [] and document["summary"]["resources"] == 1
    # ... but one whose type is built from the loop variable may make one
    path.write_text(path.read_text().replace("{Type: AWS::S3::Bucket}", '{Type: "AWS::${Name}::Repository"}'))
    code, out, _ = run_cli("scan", str(path), "--format", "json")
    assert code == 1 and json.loads(out)["findings"][0]["ruleId"] == "ECR-TEMPLATE-UNRESOLVED-TRANSFORM"


def test_a_mapping_row_keyed_by_the_account_is_read_with_the_real_account_not_made_up(tmp_path):
    """cfn-lint's transform, left alone, answers FindInMap [Map, !Ref AWS::AccountId, Key] with
    some row of the mapping (the last); the verdict must rest on the deploying account's row."""
    path = tmp_path / "accounts.yaml"
    path.write_text(textwrap.dedent("""\
        Transform: AWS::LanguageExtensions
        Mappings:
          Dr:
            "222222222222": {Dest: "999999999999"}
            "333333333333": {Dest: "222222222222"}
        Resources:
          Repl:
            Type: AWS::ECR::ReplicationConfiguration
            Properties:
              ReplicationConfiguration:
                Rules:
                  - Destinations:
                      - {Region: eu-west-1, RegistryId: !FindInMap [Dr, !Ref AWS::AccountId, Dest]}
        """))
    code, out, _ = run_cli("scan", str(path), "--format", "json", "--account", "222222222222")
    assert code == 1 and json.loads(out)["findings"][0]["subject"] == "999999999999"
    assert run_cli("scan", str(path), "--account", "333333333333")[0] == 1  # 222222222222 is not trusted there


def test_a_json_template_whose_loop_comes_first_and_makes_only_trusted_resources_passes(tmp_path):
    template = {"Transform": "AWS::LanguageExtensions", "Resources": {
        "Fn::ForEach::Policies": ["Account", ["111111111111"], {"Policy${Account}": _registry_policy("111111111111")}],
        "After": _registry_policy("111111111111")}}
    path = tmp_path / "foreach.json"
    path.write_text(json.dumps(template, indent=2))
    code, out, err = run_cli("scan", str(path), "--account", "111111111111", "--format", "json")
    assert (code, err) == (0, "")
    assert [r["logicalId"] for r in json.loads(out)["files"][0]["resources"]] == ["After", "Policy111111111111"]
