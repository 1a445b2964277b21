#!/usr/bin/env python3
"""`cfn generate --local-only`, without letting it wipe docs/.

`cfn generate` deletes the whole docs/ folder before writing docs/README.md (rpdk
`Project.generate_docs` calls shutil.rmtree), and docs/ holds the project's own guides. So the
generator runs in a scratch copy of the project's inputs and only its outputs are copied back:
models.py, target_models/, hook-role.yaml and docs/README.md.

    python tools/generate.py           # regenerate in place
    python tools/generate.py --check   # exit 1 if anything generated differs from the tree
"""

from __future__ import annotations

import filecmp
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGE = "src/dataperimeter_ecr_replicationguard"
SCHEMA = "dataperimeter-ecr-replicationguard.json"
INPUTS = (".rpdk-config", "target-schemas", "target-info.json")
OUTPUTS = (f"{PACKAGE}/models.py", f"{PACKAGE}/target_models", "hook-role.yaml", "docs/README.md")


def generate(into: pathlib.Path) -> None:
    """Run the cfn CLI in ``into`` (a scratch project) from the tree's inputs."""
    for name in INPUTS:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, into / name)
        elif source.exists():
            shutil.copy2(source, into / name)
    shutil.copy2(ROOT / "schema.json", into / SCHEMA)  # a real file: the symlink's target is not copied
    (into / PACKAGE).mkdir(parents=True)
    cfn = pathlib.Path(sys.executable).parent / "cfn"
    env = dict(os.environ, AWS_DEFAULT_REGION="us-east-1")
    subprocess.run([str(cfn), "generate", "--local-only"], cwd=into, env=env, check=True,
                   stdout=subprocess.DEVNULL)


def differences(scratch: pathlib.Path) -> list[str]:
    changed = []
    for name in OUTPUTS:
        new, old = scratch / name, ROOT / name
        if new.is_dir() or old.is_dir():
            new_files = {p.relative_to(new) for p in new.rglob("*.py")} if new.is_dir() else set()
            old_files = {p.relative_to(old) for p in old.rglob("*.py")} if old.is_dir() else set()
            changed += [f"{name}/{f}" for f in sorted(new_files ^ old_files)]
            changed += [f"{name}/{f}" for f in sorted(new_files & old_files)
                        if not filecmp.cmp(new / f, old / f, shallow=False)]
        elif not (new.exists() and old.exists() and filecmp.cmp(new, old, shallow=False)):
            changed.append(name)
    return changed


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        scratch = pathlib.Path(tmp)
        generate(scratch)
        changed = differences(scratch)
        if "--check" in argv:
            for name in changed:
                print(f"out of date: {name} (run `make generate`)", file=sys.stderr)
            return 1 if changed else 0
        for name in OUTPUTS:
            new, old = scratch / name, ROOT / name
            if new.is_dir():
                shutil.rmtree(old, ignore_errors=True)
                shutil.copytree(new, old, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                old.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(new, old)
        print("generated: " + (", ".join(changed) if changed else "nothing changed"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
