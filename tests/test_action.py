"""action.yml: a composite GitHub Action whose scan step is a command line the CLI accepts, run
here as the runner runs it (bash, the inputs in the environment)."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())


def _step(name: str) -> dict:
    return next(s for s in ACTION["runs"]["steps"] if s.get("name") == name)


def test_the_action_has_the_shape_github_reads():
    assert ACTION["name"] and ACTION["description"]
    assert ACTION["runs"]["using"] == "composite"
    for step in ACTION["runs"]["steps"]:
        assert "uses" in step or ("run" in step and step["shell"] == "bash"), step
    assert set(ACTION["inputs"]) == {"paths", "config", "args", "sarif-file", "python-version"}
    assert all("description" in i and "default" in i for i in ACTION["inputs"].values())
    install = _step("Install hook-handler")
    assert "[cli]" in install["run"] and install["env"]["ACTION_PATH"] == "${{ github.action_path }}"
    # inputs reach the scripts through the environment, never pasted into the script text
    for step in ACTION["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), step


def test_the_scan_step_is_a_command_line_the_cli_accepts(tmp_path):
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "repl.yaml").write_text(
        "Resources:\n  Repl:\n    Type: AWS::ECR::ReplicationConfiguration\n    Properties:\n"
        "      ReplicationConfiguration:\n        Rules:\n          - Destinations:\n"
        "              - {Region: eu-west-1, RegistryId: '999999999999'}\n")
    (tmp_path / "config.json").write_text(json.dumps({"TrustedAccountIds": "222222222222"}))
    step = _step("hook-handler scan")
    env = {**os.environ, "PATH": f"{pathlib.Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "INPUT_PATHS": "infra", "INPUT_CONFIG": "config.json", "INPUT_ARGS": "--account 111111111111 --region eu-west-1",
           "INPUT_SARIF_FILE": "out.sarif"}
    result = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 1, result.stderr  # a finding: the job fails, the SARIF is written for upload
    assert "ECR-REPLICATION-UNTRUSTED-DESTINATION [HIGH]" in result.stdout
    sarif = json.loads((tmp_path / "out.sarif").read_text())
    [run] = sarif["runs"]
    assert run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "infra/repl.yaml"
    # an empty config input leaves --config out
    env["INPUT_CONFIG"] = ""
    result = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 1 and "--config" not in result.stderr
