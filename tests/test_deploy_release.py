"""A release's SHA-256 is published next to the package, in the form `sha256sum -c` checks and
in the base64 form S3 stores (`put-object --checksum-sha256`, `head-object --checksum-mode ENABLED`)."""

from __future__ import annotations

import base64
import pathlib
import subprocess
import sys
import zipfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import package  # noqa: E402


def test_the_published_checksum_is_what_sha256sum_and_s3_compute(tmp_path):
    target = tmp_path / "dataperimeter-ecr-replicationguard-9.9.9.zip"
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr("ResourceProvider.zip", b"handler code")
    hex_digest, b64_digest = package.publish_checksum(target)
    checked = subprocess.run(["sha256sum", "-c", target.name + ".sha256"], cwd=tmp_path, capture_output=True, text=True)
    assert checked.returncode == 0 and checked.stdout.strip() == f"{target.name}: OK", checked
    assert base64.b64decode(b64_digest).hex() == hex_digest
    # A package changed after its checksum was published no longer checks.
    target.write_bytes(target.read_bytes() + b"\0")
    assert subprocess.run(["sha256sum", "-c", target.name + ".sha256"], cwd=tmp_path,
                          capture_output=True).returncode != 0
