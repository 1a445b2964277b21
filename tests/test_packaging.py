"""The schema handler package `make package` builds is complete, clean and reproducible.

SLOW (network-bound): the package is built once per session, and once more to prove the build
reproducible; each build is a `cfn submit --dry-run` whose pip install downloads the dependencies
from PyPI without a cache (6-22 s measured per build, ~25-55 s for this file)."""

from __future__ import annotations

import hashlib
import json
import pathlib
import subprocess
import sys
import zipfile

import pytest

from conftest import hook_request, replication

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import package as packaging  # noqa: E402

TYPE = "AWS::ECR::ReplicationConfiguration"


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> pathlib.Path:
    return packaging.package(tmp_path_factory.mktemp("package-a"))


@pytest.fixture(scope="session")
def provider_dir(built, tmp_path_factory) -> pathlib.Path:
    target = tmp_path_factory.mktemp("resource-provider")
    with zipfile.ZipFile(built) as outer:
        (target / "ResourceProvider.zip").write_bytes(outer.read("ResourceProvider.zip"))
    with zipfile.ZipFile(target / "ResourceProvider.zip") as inner:
        inner.extractall(target / "code")
    return target / "code"


def test_named_with_the_version(built):
    assert built.name == f"dataperimeter-ecr-replicationguard-{packaging.version()}.zip"


def test_outer_package_holds_what_register_type_reads(built):
    names = set(zipfile.ZipFile(built).namelist())
    assert {"schema.json", "configuration-schema.json", ".rpdk-config", "ResourceProvider.zip"} <= names
    schema = json.loads(zipfile.ZipFile(built).read("schema.json"))
    assert schema == json.loads((ROOT / "schema.json").read_text())


def test_handler_package_has_code_and_dependencies_and_nothing_else(built):
    inner = zipfile.ZipFile(zipfile.ZipFile(built).open("ResourceProvider.zip"))
    names = inner.namelist()
    assert "dataperimeter_ecr_replicationguard/hook/handlers.py" in names  # the entrypoint (.rpdk-config)
    assert "dataperimeter_ecr_replicationguard/hook/answer.py" in names
    assert "dataperimeter_ecr_replicationguard/core/replication.py" in names
    assert "dataperimeter_ecr_replicationguard/models.py" in names
    assert any(n.startswith("cloudformation_cli_python_lib/") for n in names)
    assert any(n.startswith("yaml/") for n in names)
    assert any(n.startswith("boto3/") for n in names)  # Organizations look-ups
    for name in names:
        assert "__pycache__" not in name and not name.endswith((".pyc", ".pyo")), name
        assert not name.startswith("bin/") and not name.endswith(".dist-info/RECORD"), name
        assert not name.startswith(("tests/", ".venv/", "bench/", "docs/")), name
        if name.startswith("dataperimeter_ecr_replicationguard/"):
            assert not name.rsplit("/", 1)[-1].startswith("test_"), name


def test_no_file_names_the_machine_that_built_it(built):
    """Nothing in the package mentions the checkout or the build venv (pip's console scripts did)."""
    markers = {str(ROOT).encode(), sys.prefix.encode()}
    outer = zipfile.ZipFile(built)
    inner = zipfile.ZipFile(outer.open("ResourceProvider.zip"))
    for archive in (outer, inner):
        for name in archive.namelist():
            if name != "ResourceProvider.zip":
                data = archive.read(name)
                assert not [marker for marker in markers if marker in data], name


def test_build_is_reproducible(built, tmp_path):
    """The script behind `make package`, run again: same bytes, and it prints the path and size."""
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "package.py"), "--out", str(tmp_path)],
                            capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    again = tmp_path / built.name
    assert result.stdout.split() == [str(again), f"{again.stat().st_size / 1e6:.1f}", "MB"]
    assert hashlib.sha256(again.read_bytes()).hexdigest() == hashlib.sha256(built.read_bytes()).hexdigest(), (
        "entries that differ (a source file edited between the two builds also shows here): "
        f"{differing_entries(built, again)}")


def differing_entries(first: pathlib.Path, second: pathlib.Path) -> list[str]:
    def entries(path: pathlib.Path) -> dict[str, bytes]:
        outer = zipfile.ZipFile(path)
        inner = zipfile.ZipFile(outer.open("ResourceProvider.zip"))
        return {**{n: outer.read(n) for n in outer.namelist()}, **{f"ResourceProvider.zip/{n}": inner.read(n)
                                                                  for n in inner.namelist()}}
    a, b = entries(first), entries(second)
    return sorted(name for name in a.keys() | b.keys() if a.get(name) != b.get(name))[:20]


def test_the_unzipped_handler_package_runs_the_hook_alone(provider_dir, tmp_path):
    """A fresh, isolated interpreter (no site-packages, no project src) with only the unzipped
    ResourceProvider.zip on sys.path answers real requests through handlers.hook."""
    config = {"TrustedAccountIds": "222222222222"}
    events = tmp_path / "events.json"
    events.write_text(json.dumps([
        hook_request(TYPE, replication(("us-east-1", "999999999999")), config=config),
        hook_request(TYPE, replication(("eu-west-1", "222222222222")), config=config),
    ]))
    script = (
        "import json, sys\n"
        f"sys.path.insert(0, {str(provider_dir)!r})\n"
        "from dataperimeter_ecr_replicationguard.hook.handlers import hook\n"
        "import dataperimeter_ecr_replicationguard as package\n"
        f"assert package.__file__.startswith({str(provider_dir)!r}), package.__file__\n"
        f"events = json.load(open({str(events)!r}))\n"
        "print(json.dumps([hook(e, None) for e in events]))\n"
    )
    result = subprocess.run([sys.executable, "-I", "-S", "-c", script], capture_output=True, text=True, timeout=120,
                            cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    foreign, trusted = json.loads(result.stdout.strip().splitlines()[-1])
    assert (foreign["hookStatus"], foreign["errorCode"]) == ("FAILED", "NonCompliant")
    assert "999999999999" in foreign["message"]
    assert trusted["hookStatus"] == "SUCCESS"
