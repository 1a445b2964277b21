#!/usr/bin/env python3
"""`make lambda-package`: the Lambda hook's deployment package, reproducibly; no CloudFormation
registry artifacts (no `cfn submit`, no schema handler package).

    python tools/lambda_package.py [--out dist/] [--architecture x86_64|arm64] [--python-version 3.11|3.12]

The zip holds the package (src/dataperimeter_ecr_replicationguard, schema.json included) and the
wheels of deploy/lambda-hook-requirements.txt, installed by this environment's pip for the Lambda
runtime (CPython 3.11, manylinux2014, the chosen architecture) whatever machine builds it, with
--no-deps (the file pins every dependency). The same zip runs the detective control's function
(``detective.handler.handler``, deploy/detective-central.yaml), whose runtime is python3.12:
``--python-version 3.12`` builds it for that runtime (PyYAML and rpds-py are compiled per Python
version, so a zip runs only on the runtime it was built for; the name says which when not 3.11).
Entries are sorted, dated 1980-01-01, mode 0644, without byte-code caches, console scripts or RECORD files (tools/package.py's rules), so the same inputs
give the same bytes. Prints the zip's path and size; its SHA-256 goes to stderr and to
<zip>.sha256 (`sha256sum -c`).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import pathlib
import shutil
import subprocess
import sys
import tempfile
import zipfile

from package import CACHES, EPOCH, NAME, PACKAGE, ROOT, version

REQUIREMENTS = ROOT / "deploy" / "lambda-hook-requirements.txt"
HANDLER = "dataperimeter_ecr_replicationguard.lambda_hook.handler.handler"
PLATFORMS = {"x86_64": "manylinux2014_x86_64", "arm64": "manylinux2014_aarch64"}
PYTHONS = ("3.11", "3.12")  # the Lambda hook's runtime (deploy/lambda-hook.yaml), the detective's
DEFAULT_PYTHON = PYTHONS[0]


def install(target: pathlib.Path, architecture: str, python_version: str = DEFAULT_PYTHON) -> None:
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
                    "--no-deps", "--only-binary=:all:", "--platform", PLATFORMS[architecture], "--implementation", "cp",
                    "--python-version", python_version, "--target", str(target), "-r", str(REQUIREMENTS)], check=True)
    # The package's schema.json is a symlink to the root one: copied as the file it names (settings reads it).
    shutil.copytree(ROOT / PACKAGE, target / pathlib.Path(PACKAGE).name,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo"))


def zipped(tree: pathlib.Path) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(tree.rglob("*"), key=lambda p: p.relative_to(tree).as_posix()):
            name = path.relative_to(tree).as_posix()
            if path.is_dir() or CACHES.search(name):
                continue
            info = zipfile.ZipInfo(name, date_time=EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return out.getvalue()


def lambda_package(out_dir: pathlib.Path, architecture: str = "x86_64",
                   python_version: str = DEFAULT_PYTHON) -> pathlib.Path:
    with tempfile.TemporaryDirectory() as tmp:
        tree = pathlib.Path(tmp) / "package"
        install(tree, architecture, python_version)
        data = zipped(tree)
    out_dir.mkdir(parents=True, exist_ok=True)
    python = "" if python_version == DEFAULT_PYTHON else f"-py{python_version}"
    target = out_dir / f"{NAME}-lambda-hook-{version()}{python}-{architecture}.zip"
    target.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    target.with_name(target.name + ".sha256").write_text(f"{digest}  {target.name}\n", encoding="ascii")
    return target


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / "dist")
    parser.add_argument("--architecture", choices=sorted(PLATFORMS), default="x86_64")
    parser.add_argument("--python-version", choices=PYTHONS, default=DEFAULT_PYTHON,
                        help="the Lambda runtime's Python: 3.11 for the Lambda hook, 3.12 for the detective control")
    args = parser.parse_args(argv)
    target = lambda_package(args.out, args.architecture, args.python_version)
    print(f"{target} {target.stat().st_size / 1e6:.1f} MB")
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    print(f"sha256 {digest}, written to {target.name}.sha256; handler {HANDLER}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
