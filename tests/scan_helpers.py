"""Shared by the scan tests: the template folder, the fixed scan arguments, and a runner
for the real ``hook-handler`` entrypoint that captures stdout, stderr and the exit status."""

from __future__ import annotations

import io
import pathlib
import textwrap
from contextlib import redirect_stderr, redirect_stdout

ROOT = pathlib.Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "tests" / "data" / "templates"
CONFIG = ROOT / "tests" / "data" / "scan-config.json"
ACCOUNT = "111111111111"
REGION = "eu-west-1"
SCAN_ARGS = ["--config", "tests/data/scan-config.json", "--account", ACCOUNT, "--region", REGION]
SUFFIXES = (".yaml", ".yml", ".json", ".template")
# A replication to 999999999999 (a parameter Default): fails unless that account is trusted.
REPLICATION = textwrap.dedent("""\
    Parameters:
      Dest: {Type: String, Default: "999999999999"}
    Resources:
      Repl:
        Type: AWS::ECR::ReplicationConfiguration
        Properties:
          ReplicationConfiguration:
            Rules:
              - Destinations:
                  - {Region: eu-west-1, RegistryId: !Ref Dest}
    """)


def template_files() -> list[pathlib.Path]:
    return sorted(p for p in TEMPLATES.rglob("*") if p.is_file() and p.name.lower().endswith(SUFFIXES))


def relative(path: pathlib.Path) -> str:
    return path.relative_to(ROOT).as_posix()


def run_cli(*argv: str) -> tuple[int, str, str]:
    """``hook-handler ARGV`` in-process, as the console script runs it."""
    from dataperimeter_ecr_replicationguard.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()
