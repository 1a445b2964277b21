"""`make lambda-package` (tools/lambda_package.py): the Lambda hook's deployment package is
reproducible (the same bytes twice), holds what the function imports and nothing of the registered
hook's toolchain, and answers the guide's requests on its own: unpacked, in an isolated
interpreter that sees only the zip's contents and the standard library."""

from __future__ import annotations

import hashlib
import json
import pathlib
import subprocess
import sys
import zipfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "lambda_hook"
sys.path.insert(0, str(ROOT / "tools"))

pytestmark = pytest.mark.slow  # pip installs the wheels (from its cache) twice: about 40 s


def build(out: pathlib.Path) -> pathlib.Path:
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "lambda_package.py"), "--out", str(out)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    path = pathlib.Path(result.stdout.split()[0])
    assert path.parent == out and path.name.endswith("-x86_64.zip")
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[pathlib.Path, pathlib.Path]:
    return build(tmp_path_factory.mktemp("first")), build(tmp_path_factory.mktemp("second"))


def test_two_builds_give_the_same_bytes(built):
    first, second = built
    assert first.read_bytes() == second.read_bytes()
    digest = hashlib.sha256(first.read_bytes()).hexdigest()
    assert (first.parent / (first.name + ".sha256")).read_text() == f"{digest}  {first.name}\n"


def test_the_package_holds_the_door_and_its_dependencies_only(built):
    with zipfile.ZipFile(built[0]) as archive:
        infos = archive.infolist()
    names = [i.filename for i in infos]
    assert names == sorted(names)
    assert all(i.date_time == (1980, 1, 1, 0, 0, 0) and (i.external_attr >> 16) == 0o644 for i in infos)
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", "/RECORD")) or n.startswith("bin/")]
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"dataperimeter_ecr_replicationguard", "yaml", "_yaml", "jsonschema", "jsonschema_specifications",
                    "referencing", "rpds", "attr", "attrs", "typing_extensions.py"}
    assert "dataperimeter_ecr_replicationguard/lambda_hook/handler.py" in names
    assert "dataperimeter_ecr_replicationguard/schema.json" in names
    assert any(n.startswith("rpds/") and n.endswith("-x86_64-linux-gnu.so") for n in names)  # the Lambda's platform
    assert built[0].stat().st_size < 5_000_000  # the registered hook's package is about 19 MB


ISOLATED = """
import json, sys
sys.path[:0] = [{tree!r}]
import os
os.environ["GUARD_CONFIGURATION"] = json.dumps({configuration!r})
os.environ["AWS_REGION"] = "us-west-2"
from dataperimeter_ecr_replicationguard.lambda_hook.handler import handler
print(json.dumps(handler(json.loads({event!r}), None)))
print(json.dumps(sorted({{m.split(".")[0] for m in sys.modules}})))
"""


@pytest.mark.parametrize("name", ["resource-replication-update-foreign.json", "stack-replication-foreign.json",
                                  "resource-repository-create-trusted.json"])
def test_the_unpacked_package_answers_on_its_own(built, tmp_path, name):
    case = json.loads((DATA / name).read_text(encoding="utf-8"))
    event = case["event"]
    if "payload" in case:  # the templates inline (no network here): the door reads targetModel as it reads the payload
        event["requestData"].pop("payload")
        event["requestData"]["targetModel"] = case["payload"]
    with zipfile.ZipFile(built[0]) as archive:
        archive.extractall(tmp_path / "tree")
    code = ISOLATED.format(tree=str(tmp_path / "tree"), configuration=case["configuration"], event=json.dumps(event))
    result = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    response_line, modules_line = result.stdout.strip().splitlines()[-2:]
    response = json.loads(response_line)
    assert response["hookStatus"] == case["expect"]["hookStatus"], response
    assert response.get("errorCode") == case["expect"].get("errorCode")
    assert not {"boto3", "botocore", "cloudformation_cli_python_lib", "cfnlint"} & set(json.loads(modules_line))


DETECTIVE = """
import json, sys
sys.path[:0] = [{tree!r}]
from dataperimeter_ecr_replicationguard.detective import handler as detective

class SecurityHub:  # what the member session's client would be; the Lambda runtime provides boto3 itself
    imported = []
    def get_paginator(self, name):
        return type("P", (), {{"paginate": lambda self, **kw: [{{"Findings": []}}]}})()
    def batch_import_findings(self, Findings):
        self.imported.extend(Findings)
        return {{"FailedCount": 0, "SuccessCount": len(Findings), "FailedFindings": []}}

class Session:
    def client(self, service, **kwargs):
        assert service == "securityhub", service
        return SecurityHub()

case = json.loads({case!r})
environ = {{"GUARD_CONFIGURATION": json.dumps(case["settings"])}}
summary = detective.Detective(environ, Session(), case["event"]["account"]).handle(case["event"])
print(json.dumps({{"status": summary["status"], "failing": [f["ruleId"] for f in summary["failing"]],
                  "imported": len(SecurityHub.imported)}}))
print(json.dumps(sorted({{m.split(".")[0] for m in sys.modules}})))
"""


def test_the_detective_control_runs_from_the_same_package(built, tmp_path):
    """docs/operations.md section 13: the detective's function (``detective.handler.handler``) runs
    from this zip too; built for its runtime's Python (``--python-version``, see the next test).
    Here, with the interpreter it was built for: the shipped CloudTrail event, judged and turned
    into a Security Hub finding with nothing but the zip's contents and the standard library (the
    Security Hub client stands in for the one the Lambda runtime's boto3 makes)."""
    case = (ROOT / "src" / "dataperimeter_ecr_replicationguard" / "detective" / "examples" /
            "foreign-replication-cli.json").read_text(encoding="utf-8")
    with zipfile.ZipFile(built[0]) as archive:
        archive.extractall(tmp_path / "tree")
    code = DETECTIVE.format(tree=str(tmp_path / "tree"), case=case)
    result = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    summary_line, modules_line = result.stdout.strip().splitlines()[-2:]
    summary = json.loads(summary_line)
    assert summary["status"] == "failing" and summary["imported"] >= 1, summary
    assert summary["failing"] == ["ECR-REPLICATION-UNTRUSTED-DESTINATION"], summary
    assert {"jsonschema", "dataperimeter_ecr_replicationguard"} <= set(json.loads(modules_line))
    assert not {"boto3", "botocore", "cloudformation_cli_python_lib", "cfnlint"} & set(json.loads(modules_line))


def compiled(path: pathlib.Path) -> set[str]:
    """The CPython tags of the zip's compiled modules (``cpython-311``)."""
    with zipfile.ZipFile(path) as archive:
        return {"-".join(n.rsplit("/", 1)[-1].split(".")[1].split("-")[:2]) for n in archive.namelist() if n.endswith(".so")}


def test_the_package_is_built_for_one_runtime_and_the_detectives_is_its_own(built, tmp_path):
    """PyYAML and rpds-py (jsonschema's) are compiled per Python version: the default zip is the
    Lambda hook's python3.11 (deploy/lambda-hook.yaml) only, and ``--python-version 3.12`` builds
    the same package for the detective's python3.12 (deploy/detective-central.yaml)."""
    import yaml

    runtimes = {p.name: yaml.load((ROOT / "deploy" / p.name).read_text(), Loader=_Loader)["Resources"]["Function"]
                ["Properties"]["Runtime"] for p in (ROOT / "deploy").glob("*.yaml")
                if p.name in ("lambda-hook.yaml", "detective-central.yaml")}
    assert runtimes == {"lambda-hook.yaml": "python3.11", "detective-central.yaml": "python3.12"}
    assert compiled(built[0]) == {"cpython-311"}
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "lambda_package.py"), "--out", str(tmp_path),
                             "--python-version", "3.12"], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    detective = pathlib.Path(result.stdout.split()[0])
    assert detective.name.endswith("-py3.12-x86_64.zip") and compiled(detective) == {"cpython-312"}
    with zipfile.ZipFile(detective) as archive, zipfile.ZipFile(built[0]) as hook:
        ours = {n for n in archive.namelist() if n.startswith("dataperimeter_ecr_replicationguard/")}
        assert ours == {n for n in hook.namelist() if n.startswith("dataperimeter_ecr_replicationguard/")}
        assert "dataperimeter_ecr_replicationguard/detective/handler.py" in ours


class _Loader(__import__("yaml").SafeLoader):
    """Reads CloudFormation's short-form tags (!Ref, !Sub, ...) as plain values."""


_Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
