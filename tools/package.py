#!/usr/bin/env python3
"""`make package`: the schema handler package `cfn submit --dry-run` builds, reproducibly.

The build runs in a scratch copy of the project (so build/ and the zip never land in the tree),
with this environment's `pip` first on PATH (the cfn python plugin runs whichever `pip` it finds,
and the wheels it installs must match the Lambda runtime: build with Python 3.11 on Linux x86_64).
The zip and the ResourceProvider.zip inside it are then rewritten with sorted entries, fixed
timestamps and no byte-code caches, so the same inputs give the same bytes. Also dropped: the
console scripts pip writes to bin/ (their #! line names the builder's venv, and Lambda never runs
them) and the dist-info RECORD files (they list those scripts and caches; nothing reads them at run
time), so the bytes do not depend on where the project was checked out.

Next to the zip it writes ``<zip>.sha256`` (``sha256sum`` format: check it with ``sha256sum -c``)
and prints the digest in hex and in base64, the form S3 stores (``put-object --checksum-sha256``,
``head-object --checksum-mode ENABLED``): publish it with the release, and compare it with what
the bucket holds before any StackSet update (docs/operations.md, section 6).

    python tools/package.py [--out dist/]     # prints the package's path and size (the SHA-256 on stderr)
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import zipfile

from scratch_project import lay_out

ROOT = pathlib.Path(__file__).resolve().parent.parent
NAME = "dataperimeter-ecr-replicationguard"
PACKAGE = "src/dataperimeter_ecr_replicationguard"
COPIED = (".rpdk-config", "requirements.txt", "template.yml", "target-schemas", "target-info.json", "inputs")
EPOCH = (1980, 1, 1, 0, 0, 0)
CACHES = re.compile(r"(^|/)__pycache__(/|$)|\.py[co]$|^bin/|\.dist-info/RECORD$")


def version() -> str:
    text = (ROOT / PACKAGE / "__init__.py").read_text(encoding="utf-8")
    return re.search(r'^__version__ = "([^"]+)"', text, re.M).group(1)


def build(scratch: pathlib.Path) -> pathlib.Path:
    """Run `cfn submit --dry-run` in ``scratch``; return the zip it wrote."""
    lay_out(scratch, COPIED + (PACKAGE,))
    bin_dir = pathlib.Path(sys.executable).parent
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", AWS_DEFAULT_REGION="us-east-1",
               PIP_DISABLE_PIP_VERSION_CHECK="1")
    subprocess.run([str(bin_dir / "cfn"), "submit", "--dry-run", "--no-docker"], cwd=scratch, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return scratch / f"{NAME}.zip"


def normalised(data: bytes) -> bytes:
    """The zip's entries, sorted, dated 1980-01-01, without caches, bin/ or RECORD; nested zips too."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in sorted(source.namelist()):
            if name.endswith("/") or CACHES.search(name):
                continue
            content = source.read(name)
            if name.endswith(".zip"):
                content = normalised(content)
            info = zipfile.ZipInfo(name, date_time=EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, content)
    return out.getvalue()


def package(out_dir: pathlib.Path) -> pathlib.Path:
    with tempfile.TemporaryDirectory() as tmp:
        built = build(pathlib.Path(tmp))
        out_dir.mkdir(parents=True, exist_ok=True)
        target = out_dir / f"{NAME}-{version()}.zip"
        target.write_bytes(normalised(built.read_bytes()))
    return target


def publish_checksum(target: pathlib.Path) -> tuple[str, str]:
    """Write ``<target>.sha256`` in ``sha256sum`` format; return the digest in hex and in base64."""
    digest = hashlib.sha256(target.read_bytes()).digest()
    target.with_name(target.name + ".sha256").write_text(f"{digest.hex()}  {target.name}\n", encoding="ascii")
    return digest.hex(), base64.b64encode(digest).decode("ascii")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / "dist")
    target = package(parser.parse_args(argv).out)
    hex_digest, b64_digest = publish_checksum(target)
    print(f"{target} {target.stat().st_size / 1e6:.1f} MB")
    # On stderr: stdout stays the one line "<path> <size> MB" that scripts read.
    print(f"sha256 {hex_digest} (base64 {b64_digest}), written to {target.name}.sha256", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
