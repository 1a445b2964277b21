"""``hook-handler``'s parser gives each command its arguments only when that command runs
(cli/main.py ``_Commands``): the help and the usage errors of every command must be what a parser
built with every command's arguments up front prints."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout

import pytest

from dataperimeter_ecr_replicationguard.cli import main as cli

ARGVS = [["--help"], [], ["bogus"], ["--version"], ["scan", "--help"], ["audit", "--help"], ["invoke", "--help"],
         ["demo", "--help"], ["scan", "--format", "xml"], ["scan", "--jobs", "two"], ["audit", "--bogus"],
         ["invoke"], ["demo", "extra"], ["-h", "scan"], ["scan", "-h", "--bogus"], ["scan", "--version"]]


def printed(argv: list[str]) -> tuple[object, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err), pytest.raises(SystemExit) as exited:
        cli.main(argv)
    return exited.value.code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("argv", ARGVS, ids=" ".join)
def test_help_and_errors_are_those_of_a_parser_built_up_front(argv, monkeypatch):
    lazy = printed(argv)
    add_command = cli._Commands.add_command

    def eager(self, name, help, add_arguments):
        add_command(self, name, help, None)
        if add_arguments is not None:
            add_arguments(self.choices[name])

    monkeypatch.setattr(cli._Commands, "add_command", eager)
    assert printed(argv) == lazy


def test_each_help_lists_what_its_command_takes(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    _, top, _ = printed(["--help"])
    assert all(f"    {name}" in top and help in top for name, help in cli.HELP.items())
    _, scan, _ = printed(["scan", "--help"])
    assert scan.startswith("usage: hook-handler scan") and "--trusted-account-ids VALUE" in scan
    assert "--format {json,junit,sarif,text}" in scan
    _, audit, _ = printed(["audit", "--help"])
    assert audit.startswith("usage: hook-handler audit") and "--regions REGIONS" in audit and "--security-hub" in audit
    code, _, error = printed(["audit", "--format", "xml"])
    assert code == 2 and "invalid choice: 'xml'" in error
