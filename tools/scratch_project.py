"""A scratch copy of the cfn project, for the cfn CLI commands that write into the project
(`cfn generate` deletes docs/, `cfn submit --dry-run` writes build/ and a zip)."""

from __future__ import annotations

import pathlib
import shutil

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCHEMA_NAME = "dataperimeter-ecr-replicationguard.json"  # the file name the cfn CLI reads


def lay_out(into: pathlib.Path, names: tuple[str, ...]) -> None:
    """Copy ``names`` (files or folders; missing ones are skipped) from the tree into ``into``,
    and the schema as a real file under the CLI's name (a copied symlink would dangle)."""
    for name in names:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, into / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif source.exists():
            shutil.copy2(source, into / name)
    shutil.copy2(ROOT / "schema.json", into / SCHEMA_NAME)
