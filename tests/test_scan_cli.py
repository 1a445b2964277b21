"""``hook-handler scan`` as users run it: exit codes, one-line errors, settings from --config and
flags, parameters, --allow-unresolved, directories, progress and colour."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from scan_helpers import REPLICATION, ROOT, TEMPLATES, run_cli


@pytest.fixture
def template(tmp_path):
    path = tmp_path / "repl.yaml"
    path.write_text(REPLICATION)
    return path


def findings(out):
    return json.loads(out)["findings"]


def test_exit_1_with_findings_and_0_when_trusted(template):
    code, out, err = run_cli("scan", str(template), "--account", "111111111111", "--format", "json")
    assert code == 1 and err == ""
    [finding] = findings(out)
    assert finding["ruleId"] == "ECR-REPLICATION-UNTRUSTED-DESTINATION" and finding["subject"] == "999999999999"
    assert finding["line"] == 4 and finding["file"] == str(template)
    code, out, _ = run_cli("scan", str(template), "--trusted-account-ids", "999999999999", "--format", "json")
    assert code == 0 and findings(out) == []


def test_parameter_overrides_the_default(template):
    code, _, _ = run_cli("scan", str(template), "--account", "111111111111", "--parameter", "Dest=111111111111")
    assert code == 0


def test_deploying_account_is_the_account_value_and_obeys_trust_deploying_account(template):
    args = ("scan", str(template), "--parameter", "Dest=123456789012", "--format", "json")
    assert run_cli(*args, "--account", "123456789012")[0] == 0
    code, out, _ = run_cli(*args, "--account", "123456789012", "--trust-deploying-account", "false")
    assert code == 1 and findings(out)[0]["subject"] == "123456789012"


def test_without_account_aws_account_id_is_a_stand_in_trusted_like_the_deploying_account(tmp_path):
    path = tmp_path / "own.yaml"
    path.write_text(REPLICATION.replace("!Ref Dest", "!Ref AWS::AccountId"))
    assert run_cli("scan", str(path))[0] == 0
    code, out, _ = run_cli("scan", str(path), "--trust-deploying-account", "false", "--format", "json")
    assert code == 1
    assert findings(out)[0]["subject"] == "<deploying account>"
    assert "<deploying account>" in findings(out)[0]["message"]


def test_config_file_in_both_shapes_and_flags_win(template, tmp_path):
    properties = {"TrustedAccountIds": "999999999999"}
    for document in (properties, {"CloudFormationConfiguration": {"HookConfiguration": {"Properties": properties}}}):
        config = tmp_path / "config.json"
        config.write_text(json.dumps(document))
        assert run_cli("scan", str(template), "--config", str(config))[0] == 0
        assert run_cli("scan", str(template), "--config", str(config), "--trusted-account-ids", "222222222222")[0] == 1


def test_region_flag_and_allowed_regions(template):
    assert run_cli("scan", str(template), "--trusted-account-ids", "999999999999",
                   "--allowed-replication-regions", "us-east-1")[0] == 1
    assert run_cli("scan", str(template), "--trusted-account-ids", "999999999999",
                   "--allowed-replication-regions", "eu-west-1")[0] == 0


def test_unresolved_fails_unless_allowed(tmp_path):
    path = tmp_path / "import.yaml"
    path.write_text(REPLICATION.replace("!Ref Dest", "!ImportValue dr-account"))
    code, out, _ = run_cli("scan", str(path), "--format", "json")
    assert code == 1
    [finding] = findings(out)
    assert finding["category"] == "unresolved" and "Fn::ImportValue" in finding["message"] and finding["failing"]
    code, out, _ = run_cli("scan", str(path), "--format", "json", "--allow-unresolved")
    assert code == 0 and findings(out)[0]["failing"] is False
    # --allow-unresolved never hides a concrete violation
    assert run_cli("scan", str(TEMPLATES / "realworld" / "01_kms-replication_primary-cross-account.yaml"),
                   "--allow-unresolved")[0] == 1


@pytest.mark.parametrize(
    "argv, reason",
    [
        (["scan", "missing.yaml"], "missing.yaml: no such file or directory"),
        (["scan", "{t}", "--parameter", "novalue"], "expected KEY=VALUE"),
        (["scan", "{t}", "--account", "12345"], "not a 12-digit account ID"),
        (["scan", "{t}", "--trusted-account-ids", "12345"], "TrustedAccountIds"),
        (["scan", "{t}", "--config", "{d}/nope.json"], "cannot read --config"),
        (["scan", "{t}", "--config", "{d}/bad.json"], "is not JSON"),
        (["scan", "{d}/empty"], "no CloudFormation template found in"),
        (["scan", "{t}", "--exemptions", "[{}]"], "Exemptions[0]"),
    ],
)
def test_usage_errors_exit_2_with_one_line(argv, reason, template, tmp_path):
    (tmp_path / "bad.json").write_text("{nope")
    (tmp_path / "broken.yaml").write_text("Resources:\n  A: [\n")
    (tmp_path / "empty").mkdir()
    argv = [a.replace("{t}", str(template)).replace("{d}", str(tmp_path)) for a in argv]
    code, out, err = run_cli(*argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("hook-handler scan: ") and reason in err, err


def test_bad_format_is_a_usage_error(template):
    with pytest.raises(SystemExit) as exit_info:
        run_cli("scan", str(template), "--format", "xml")
    assert exit_info.value.code == 2


def test_directories_recurse_and_skip_files_that_are_not_templates(tmp_path):
    (tmp_path / "nested" / "deeper").mkdir(parents=True)
    (tmp_path / "nested" / "deeper" / "a.template").write_text(REPLICATION)
    (tmp_path / "nested" / "b.yml").write_text(REPLICATION.replace("!Ref Dest", "!Ref AWS::AccountId"))
    (tmp_path / "package.json").write_text('{"name": "x"}')
    (tmp_path / "README.md").write_text("Resources: not scanned")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "c.yaml").write_text(REPLICATION)
    code, out, _ = run_cli("scan", str(tmp_path), "--format", "json")
    document = json.loads(out)
    assert code == 1
    assert [f["file"] for f in document["files"]] == [str(tmp_path / "nested" / "b.yml"), str(tmp_path / "nested" / "deeper" / "a.template")]
    assert document["skipped"] == [{"file": str(tmp_path / "package.json"),
                                    "reason": "not a CloudFormation template (package.json is a known non-template file)"}]


def test_text_output_has_file_line_resource_rule_and_no_colour_off_a_terminal(template):
    code, out, _ = run_cli("scan", str(template))
    assert code == 1
    # the location is the offending property (line 10, column 37: the RegistryId value's key), not the resource
    assert f"{template}:10:37: Repl (AWS::ECR::ReplicationConfiguration) ECR-REPLICATION-UNTRUSTED-DESTINATION [HIGH]" in out
    assert "fix: " in out and "\033[" not in out


def test_progress_only_on_a_terminal(tmp_path, monkeypatch):
    from dataperimeter_ecr_replicationguard.cli import scan

    for n in range(scan.PROGRESS_THRESHOLD):
        (tmp_path / f"t{n}.yaml").write_text(REPLICATION)
    code, _, err = run_cli("scan", str(tmp_path), "--trusted-account-ids", "999999999999")
    assert code == 0 and err == ""
    monkeypatch.setattr(scan, "_is_terminal", lambda stream: True)
    code, out, err = run_cli("scan", str(tmp_path), "--trusted-account-ids", "999999999999")
    assert code == 0 and f"scanning {scan.PROGRESS_THRESHOLD}/{scan.PROGRESS_THRESHOLD}" in err
    assert "scanning" not in out


def test_colour_on_a_terminal_unless_no_color(template, monkeypatch):
    from dataperimeter_ecr_replicationguard.cli import scan

    monkeypatch.setattr(scan, "_is_terminal", lambda stream: True)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert "\033[31m" in run_cli("scan", str(template))[1]
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\033[" not in run_cli("scan", str(template))[1]


def test_console_script_runs_as_a_process(template):
    """The installed entry point, as pre-commit and CI call it."""
    result = subprocess.run([sys.executable, "-m", "dataperimeter_ecr_replicationguard.cli", "scan", str(template),
                             "--format", "json"], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 1 and json.loads(result.stdout)["summary"]["failing"] == 1


def test_invoke_and_demo_still_work():
    assert run_cli("demo")[0] == 0


def test_pre_commit_hook_definition():
    import re

    import yaml

    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "ecr-perimeter-scan" and hook["entry"] == "hook-handler scan"
    assert hook["language"] == "python"
    pattern = re.compile(hook["files"])
    assert pattern.search("infra/ecr.yaml") and pattern.search("stack.template") and pattern.search("a/b.json")
    assert not pattern.search("README.md")


def test_organizations_account_source_uses_your_credentials(template, tmp_path, monkeypatch):
    """AccountSource Organizations means in the CLI what it means in the hook: the trusted set is
    read from AWS Organizations (here moto), with the caller's credentials."""
    import boto3
    from moto import mock_aws

    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        orgs = boto3.client("organizations", region_name="us-east-1")
        org_id = orgs.create_organization(FeatureSet="ALL")["Organization"]["Id"]
        member = orgs.create_account(Email="dr@example.com", AccountName="dr")["CreateAccountStatus"]["AccountId"]
        config = tmp_path / "org.json"
        config.write_text(json.dumps({"AccountSource": "Organizations", "TrustedOrganizationIds": org_id}))
        base = ("scan", str(template), "--config", str(config), "--format", "json")
        code, out, err = run_cli(*base, "--parameter", f"Dest={member}")
        assert code == 0, err
        code, out, err = run_cli(*base)  # 999999999999 is not in the organization
        assert code == 1 and findings(out)[0]["subject"] == "999999999999"


def test_logical_ids_that_are_the_same_text_take_basis_and_place_from_the_last_one(tmp_path):
    # YAML keys 1 and "1" are two resources the scan names "1": what it says about "1" (the
    # property's place, the parameters the verdict rests on) comes from the last one written,
    # for both findings, not from a mix of the two
    statement = "- {{Effect: Allow, Principal: {{AWS: {principal}}}, Action: ecr:ReplicateImage, Resource: '*'}}"
    body = ("    Type: AWS::ECR::RegistryPolicy\n    Properties:\n      PolicyText:\n        Version: '2012-10-17'\n"
            "        Statement:\n          {statement}\n")
    path = tmp_path / "same-text.yaml"
    path.write_text(
        "Parameters:\n  P1: {Type: String, Default: '444444444444'}\n  P2: {Type: String, Default: '555555555555'}\n"
        "Resources:\n  1:\n" + body.format(statement=statement.format(principal='!Sub "arn:aws:iam::${P1}:root"'))
        + '  "1":\n' + body.format(statement=statement.format(principal="!Ref P2")))
    code, out, _ = run_cli("scan", str(path), "--format", "json", "--trusted-account-ids", "111111111111")
    findings = json.loads(out)["findings"]
    assert code == 1 and sorted(f["subject"] for f in findings) == ["444444444444", "555555555555"]
    for finding in findings:
        assert finding["basis"] == ["parameter P2 = '555555555555' (its Default; another value at deploy time may "
                                    "change the verdict)"]
        assert finding["property"]["line"] == 18


EVIL = "Evil\u202e\x1b[31mRED"


def test_names_from_a_template_reach_the_terminal_escaped(tmp_path):
    """Found by review: a logical ID, a Ref target or a Fn::ForEach loop name with a terminal escape
    sequence or a bidirectional override was written to the terminal as itself; the text report
    now shows each escaped, and only the report's own colours are escape sequences."""
    template = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": {
        EVIL: {"Type": "AWS::ECR::ReplicationConfiguration", "Properties": {"ReplicationConfiguration": {"Rules": [
            {"Destinations": [{"Region": "eu-west-1", "RegistryId": {"Ref": EVIL + "Gone"}}]}]}}}}}
    (tmp_path / "evil.json").write_text(json.dumps(template))
    loop = {"AWSTemplateFormatVersion": "2010-09-09", "Transform": "AWS::LanguageExtensions", "Resources": {
        "Fn::ForEach::Loop": ["Name", {"Ref": EVIL}, {"Repo${Name}": {"Type": "AWS::ECR::Repository"}}]}}
    (tmp_path / "loop.json").write_text(json.dumps(loop))
    for extra in ([], ["--verbose"]):
        code, out, _ = run_cli("scan", str(tmp_path), "--trusted-account-ids", "111111111111",
                               "--account", "111111111111", "--region", "eu-west-1", *extra)
        assert code == 1
        assert "\x1b" not in out and "\u202e" not in out, out
        assert "Evil\\u202e\\x1b[31mRED (AWS::ECR::ReplicationConfiguration)" in out
        assert "Ref Evil\\u202e\\x1b[31mREDGone names no parameter or resource" in out
        assert "(Ref Evil\\u202e\\x1b[31mRED names no parameter or resource of this template)" in out
