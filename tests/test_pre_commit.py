"""The shipped pre-commit hook in a fresh repository, as a new user runs it: ``pre-commit
try-repo`` against a temporary git repository holding templates, a .pre-commit-config.yaml, a
package.json and a Kubernetes manifest. Offline: pre-commit clones this checkout (with its
uncommitted changes) and pip installs from the wheelhouse ``make test`` fetches
(tools/fetch_corpus.py), never from an index."""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys
import textwrap

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
WHEELHOUSE = ROOT / ".venv" / "corpora" / "wheelhouse"
TEMPLATE = textwrap.dedent("""\
    Resources:
      Repl:
        Type: AWS::ECR::ReplicationConfiguration
        Properties:
          ReplicationConfiguration:
            Rules:
              - Destinations:
                  - {Region: eu-west-1, RegistryId: %s}
    """)


def _git(repo: pathlib.Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, timeout=60)


@pytest.mark.slow
def test_the_shipped_hook_works_in_a_fresh_repository(tmp_path):
    if shutil.which("git") is None:
        pytest.fail("git is needed to run pre-commit")
    if not (WHEELHOUSE / ".complete").exists():
        pytest.fail(f"the wheelhouse is missing at {WHEELHOUSE}: run `make corpus` (or `make test`)")
    repo = tmp_path / "repo"
    (repo / "infra").mkdir(parents=True)
    (repo / "infra" / "trusted.yaml").write_text(TEMPLATE % "!Ref AWS::AccountId")
    (repo / "infra" / "foreign.yaml").write_text(TEMPLATE % '"999999999999"')
    (repo / "package.json").write_text('{"name": "shop", "version": "1.0.0"}\n')
    (repo / "deploy.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\n"
                                      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n")
    (repo / ".pre-commit-config.yaml").write_text(
        "repos:\n  - repo: local\n    hooks:\n      - {id: noop, name: noop, entry: 'true', language: system}\n")
    _git(repo, "init", "-q")
    _git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "add", "-A")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "PIP_NO_INDEX": "1",
           "PIP_FIND_LINKS": str(WHEELHOUSE), "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    env.pop("VIRTUAL_ENV", None)
    pre_commit = [sys.executable, "-m", "pre_commit"]
    result = subprocess.run([*pre_commit, "try-repo", str(ROOT), "ecr-perimeter-scan", "--all-files", "--verbose"],
                            cwd=repo, env=env, capture_output=True, text=True, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output  # the foreign destination fails the hook ...
    assert "infra/foreign.yaml" in output and "ECR-REPLICATION-UNTRUSTED-DESTINATION" in output, output
    assert "infra/trusted.yaml" not in output.split("FAILED:")[0].replace("infra/foreign.yaml", ""), output
    # ... and nothing else does: the other files were skipped, not errors
    assert "ECR-TEMPLATE-UNREADABLE" not in output and "Traceback" not in output, output
    assert "2 file(s), 2 ECR resource(s)" in output and "3 file(s) skipped" in output, output


def test_the_documented_snippet_names_the_shipped_hook():
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    doc = (ROOT / "docs" / "scan.md").read_text()
    assert f"id: {hook['id']}" in doc and "rev: v0.1.0" not in doc
    assert hook["entry"].split()[:2] == ["hook-handler", "scan"]
