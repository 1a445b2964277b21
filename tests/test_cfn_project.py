"""The project is what the `cfn` CLI expects: the schema validates and generated files are current."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
BIN = pathlib.Path(sys.executable).parent


def test_cfn_validate_passes():
    result = subprocess.run([str(BIN / "cfn"), "validate"], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env=dict(os.environ, AWS_DEFAULT_REGION="us-east-1"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_cfn_generate_leaves_the_tree_unchanged():
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "generate.py"), "--check"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_file_name_the_cli_expects_is_the_schema():
    link = ROOT / "dataperimeter-ecr-replicationguard.json"
    assert link.is_symlink() and os.readlink(link) == "schema.json"


def test_rpdk_config_points_at_the_handlers():
    config = json.loads((ROOT / ".rpdk-config").read_text())
    assert config["artifact_type"] == "HOOK"
    assert config["typeName"] == json.loads((ROOT / "schema.json").read_text())["typeName"]
    assert config["entrypoint"] == "dataperimeter_ecr_replicationguard.hook.handlers.hook"
    assert config["testEntrypoint"] == "dataperimeter_ecr_replicationguard.hook.handlers.test_entrypoint"
    assert config["runtime"] == "python3.11"


def test_target_schemas_cover_every_resource_target():
    schema = json.loads((ROOT / "schema.json").read_text())
    targets = {t for h in schema["handlers"].values() for t in h["targetNames"]} - {"STACK", "CHANGE_SET"}
    shipped = {json.loads(p.read_text())["typeName"] for p in (ROOT / "target-schemas").glob("*.json")}
    assert targets == shipped
