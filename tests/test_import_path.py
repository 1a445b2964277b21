"""The hook's import path (what a cold Lambda pays for): importing the handler module loads the
library and the hook's own modules, nothing else. Checked in a fresh interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys

SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")
PACKAGE = "dataperimeter_ecr_replicationguard"


def modules_after(statement: str) -> dict:
    code = (
        "import sys, json\n"
        "import cloudformation_cli_python_lib\n"
        "library = set(sys.modules)\n"
        f"{statement}\n"
        "print(json.dumps({'library': sorted(library), 'all': sorted(sys.modules)}))\n"
    )
    env = {**os.environ, "PYTHONPATH": SRC}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_the_handler_import_path_loads_no_cli_linter_yaml_or_organizations_code():
    loaded = set(modules_after(f"import {PACKAGE}.hook.handlers")["all"])
    assert f"{PACKAGE}.hook.handlers" in loaded
    forbidden_roots = {"cfnlint", "yaml", "moto", "jsonschema"}
    assert not {m for m in loaded if m.split(".")[0] in forbidden_roots}
    own_forbidden = {f"{PACKAGE}.{name}" for name in (
        "cli", "hook.stack_targets", "template", "trust_sources.organizations", "trust_sources.membership",
        "trust_sources.snapshot", "snapshot_producer")}
    assert not {m for m in loaded if any(m == f or m.startswith(f + ".") for f in own_forbidden)}


def test_the_hook_adds_only_its_own_modules_to_what_the_library_loads():
    """boto3 comes with cloudformation_cli_python_lib (its SessionProxy); the hook itself adds
    no third-party module, so no boto3 client, resource or service model is loaded at import."""
    found = modules_after(f"import {PACKAGE}.hook.handlers")
    added = set(found["all"]) - set(found["library"])
    foreign = {m for m in added if not m.startswith(PACKAGE) and not m.startswith("cloudformation_cli_python_lib.")}
    assert foreign == set()
    assert not {m for m in added if m.startswith(("boto3.", "botocore."))}


def test_the_scan_command_does_load_what_the_hook_must_not_so_the_checks_above_can_fail():
    loaded = set(modules_after(f"import {PACKAGE}.cli.scan")["all"])
    assert f"{PACKAGE}.cli.output" in loaded


def test_the_lambda_hooks_import_path_loads_only_its_own_modules():
    """The Lambda hook's entrypoint (its cold start): no CloudFormation library, boto3, template
    reader, jsonschema, urllib or other door until an invocation needs one."""
    code = ("import sys, json\nbase = set(sys.modules)\n"
            f"import {PACKAGE}.lambda_hook.handler\n"
            "print(json.dumps(sorted(set(sys.modules) - base)))\n")
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": SRC}, capture_output=True,
                         text=True, check=True)
    added = set(json.loads(out.stdout))
    assert f"{PACKAGE}.lambda_hook.handler" in added
    assert not {m.split(".")[0] for m in added if not m.startswith(PACKAGE)} - set(sys.stdlib_module_names)
    assert not {m for m in added if m.split(".")[0] in {"boto3", "botocore", "yaml", "jsonschema", "cfnlint",
                                                         "cloudformation_cli_python_lib", "requests", "urllib3"}}
    assert "urllib.request" not in added
    own_forbidden = {f"{PACKAGE}.{name}" for name in (
        "cli", "hook.handlers", "hook.stack_targets", "hook.request_errors", "models", "template", "aws_api",
        "lambda_hook.payload", "trust_sources.organizations", "trust_sources.membership", "trust_sources.snapshot")}
    assert not {m for m in added if any(m == f or m.startswith(f + ".") for f in own_forbidden)}


def test_the_scan_and_the_lambda_hook_never_import_dataclasses_or_inspect(tmp_path):
    """Records are NamedTuples and plain classes (core/plain.py): a dataclass costs ~1.2 ms to
    create and ``import dataclasses`` brings ``inspect``, ``ast`` and ``tokenize``. A whole scan
    (YAML and JSON templates with findings, one unreadable file, every output format) and the
    Lambda hook's import load neither."""
    templates = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "templates")
    for name in ("intrinsics-replication.yaml", "intrinsics-replication.json", "repository-conditions.yaml",
                 "pull-through-cache.yaml"):
        with open(os.path.join(templates, name), "rb") as source:
            (tmp_path / name).write_bytes(source.read())
    (tmp_path / "broken.yaml").write_text("AWSTemplateFormatVersion: '2010-09-09'\nResources: [\n", encoding="utf-8")
    code = (
        "import sys, json, contextlib, io\n"
        f"from {PACKAGE}.cli.main import main\n"
        "codes = []\n"
        "for output in ('text', 'json', 'sarif', 'junit'):\n"
        "    with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        f"        codes.append(main(['scan', '--format', output, {str(tmp_path)!r}]))\n"
        "    assert 'ECR-' in out.getvalue(), out.getvalue()\n"
        "scan = sorted(m for m in ('dataclasses', 'inspect') if m in sys.modules)\n"
        "print(json.dumps({'codes': codes, 'scan': scan}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": SRC}, capture_output=True,
                         text=True, check=True)
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert found == {"codes": [2, 2, 2, 2], "scan": []}  # exit 2: the unreadable file (the scan went through)
    hook = subprocess.run(
        [sys.executable, "-c", f"import sys\nimport {PACKAGE}.lambda_hook.handler\n"
                               "print(sorted(m for m in ('dataclasses', 'inspect') if m in sys.modules))"],
        env={**os.environ, "PYTHONPATH": SRC}, capture_output=True, text=True, check=True)
    assert hook.stdout.strip() == "[]"
