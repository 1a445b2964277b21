"""Fetch the public template corpora the tests read, from PyPI, into ``.venv/corpora/`` (never committed).

Each corpus is the template directory of a source distribution on PyPI, pinned to the version
this project pins, so every machine reads the same files:

- ``cfn-lint``: cfn-lint's own template fixtures (``test/fixtures/templates/``), about 250
  templates, good and bad, written by cfn-lint's authors (MIT-0 licence). The version is the one
  ``pyproject.toml`` pins for the ``cli`` extra.
- ``cfripper``: cfripper's rule-test templates (``tests/test_templates/``), about 190 templates
  written to pass or fail security checks (Apache-2.0 licence), pinned here.

``python tools/fetch_corpus.py [--dest DIR]`` is idempotent: a corpus already extracted (its
``.complete`` marker present) is not fetched again. It uses this interpreter's ``pip download``
(the registries pip is configured for), keeps only the template directory and prints one line
per corpus. Tests find a corpus with ``corpus_path(name)``.

It also fills ``wheelhouse/`` with the wheels pre-commit installs for the shipped hook, so
tests/test_pre_commit.py runs ``pre-commit try-repo`` offline (``PIP_NO_INDEX``).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DEST = ROOT / ".venv" / "corpora"


@dataclass(frozen=True)
class Corpus:
    name: str
    package: str
    version: str
    member: str  # the directory inside the sdist (after its top-level folder) to keep
    licence: str


def _pinned(package: str) -> str:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    match = re.search(rf'"{re.escape(package)}==([^"]+)"', text)
    if not match:
        raise SystemExit(f"fetch_corpus: pyproject.toml pins no {package}")
    return match.group(1)


def corpora() -> tuple[Corpus, ...]:
    return (
        Corpus("cfn-lint", "cfn-lint", _pinned("cfn-lint"), "test/fixtures/templates", "MIT-0"),
        # cfripper (Skyscanner's CloudFormation security linter): its rule tests' templates, many of
        # them IAM and resource policies written to pass or fail a security check. Not a dependency.
        Corpus("cfripper", "cfripper", "1.22.1", "tests/test_templates", "Apache-2.0"),
    )


def corpus_path(name: str, dest: Path = DEFAULT_DEST) -> Path:
    """Where a corpus's templates are once fetched (``dest/<name>-<version>/``)."""
    for corpus in corpora():
        if corpus.name == name:
            return dest / f"{corpus.name}-{corpus.version}"
    raise KeyError(name)


def fetch(corpus: Corpus, dest: Path) -> Path:
    target = dest / f"{corpus.name}-{corpus.version}"
    if (target / ".complete").exists():
        return target
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
             "--dest", scratch, f"{corpus.package}=={corpus.version}"],
            check=True,
        )
        [archive] = [p for p in Path(scratch).iterdir() if p.name.endswith((".tar.gz", ".zip"))]
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        with tarfile.open(archive) as sdist:
            for member in sdist.getmembers():
                parts = member.name.split("/", 1)
                if len(parts) < 2 or not parts[1].startswith(corpus.member + "/") or not member.isfile():
                    continue
                relative = parts[1][len(corpus.member) + 1:]
                if ".." in Path(relative).parts:
                    continue
                out = target / relative
                out.parent.mkdir(parents=True, exist_ok=True)
                with sdist.extractfile(member) as source, open(out, "wb") as sink:  # type: ignore[union-attr]
                    shutil.copyfileobj(source, sink)
    (target / ".complete").write_text(f"{corpus.package}=={corpus.version} {corpus.member} ({corpus.licence})\n")
    return target


WHEELHOUSE = "wheelhouse"


def wheelhouse_requirements() -> list[str]:
    """What pre-commit installs for the shipped hook (``language: python``): this package's
    runtime dependencies, the hook's ``additional_dependencies`` and the build backend."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    runtime = re.search(r"^dependencies = \[(.*?)\]", text, flags=re.M | re.S)
    backend = re.search(r'^requires = \[(.*?)\]', text, flags=re.M | re.S)
    requirements = [r for block in (runtime, backend) if block for r in re.findall(r'"([^"]+)"', block.group(1))]
    hooks = (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    extra = re.search(r"additional_dependencies: \[(.*?)\]", hooks)
    requirements += re.findall(r'"([^"]+)"', extra.group(1)) if extra else []
    return requirements + ["wheel"]


def fetch_wheelhouse(dest: Path) -> Path:
    """Wheels for an offline ``pre-commit try-repo`` (tests/test_pre_commit.py), in ``dest/wheelhouse``."""
    target = dest / WHEELHOUSE
    marker = target / ".complete"
    requirements = wheelhouse_requirements()
    if marker.exists() and marker.read_text() == "\n".join(requirements):
        return target
    target.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--only-binary", ":all:", "--dest", str(target),
                    *requirements], check=True)
    marker.write_text("\n".join(requirements))
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dest", type=Path, default=DEFAULT_DEST)
    args = parser.parse_args(argv)
    for corpus in corpora():
        path = fetch(corpus, args.dest)
        count = sum(1 for p in path.rglob("*") if p.is_file() and p.name != ".complete")
        print(f"corpus {corpus.name} {corpus.version}: {count} files in {os.path.relpath(path, ROOT)}")
    wheels = fetch_wheelhouse(args.dest)
    print(f"wheelhouse: {sum(1 for p in wheels.glob('*.whl'))} wheels in {os.path.relpath(wheels, ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
