"""``hook-handler``: run the hook the way CloudFormation does, from a terminal or CI.

Commands:
  scan [PATH ...]     evaluate templates offline with the hook's own checks (exit 0 clean, 1 findings, 2 usage)
  audit               judge the live ECR configuration of accounts and Regions (exit 3: incomplete)
  invoke EVENT.json   replay a hook invocation request through the real entrypoint
  demo                evaluate the shipped example requests (no AWS account needed)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from typing import Any, Callable, Sequence

from .exit_codes import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE

PACKAGE = __package__.rpartition(".")[0]  # dataperimeter_ecr_replicationguard: its examples, its loggers
HELP = {  # each command's line in ``hook-handler --help``, in its order
    "invoke": "replay a hook invocation request through the real entrypoint",
    "demo": "evaluate the shipped example requests through the real entrypoint",
    "scan": "evaluate CloudFormation templates offline, with the hook's own checks",
    "audit": "judge the live ECR configuration of accounts and Regions with the hook's own checks",
}


def main(argv: Sequence[str] | None = None) -> int:
    from .. import __version__

    parser = argparse.ArgumentParser(prog="hook-handler", description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", action="version", version=f"hook-handler {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, action=_Commands)
    for name, help in HELP.items():
        commands.add_command(name, help, _ARGUMENTS.get(name))

    args = parser.parse_args(argv)
    if args.command == "scan":
        from . import scan

        return scan.run(args)
    if args.command == "audit":
        from . import audit

        return audit.run_command(args)
    if args.command == "invoke":
        return _invoke(args)
    return _demo()


class _Commands(argparse._SubParsersAction):
    """The commands, each parser given its arguments only once its command is the one run: a
    scan neither builds the audit's parser nor imports the audit's modules for it. The help of
    ``hook-handler`` lists the commands by their help lines alone; a command's own help and
    errors come from its parser, which then has all its arguments."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._arguments: dict[str, tuple[argparse.ArgumentParser, Callable[[argparse.ArgumentParser], None]]] = {}

    def add_command(self, name: str, help: str, add_arguments: Callable[[argparse.ArgumentParser], None] | None) -> None:
        command = self.add_parser(name, help=help)
        if add_arguments is not None:
            self._arguments[name] = (command, add_arguments)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        command, add_arguments = self._arguments.pop(values[0], (None, None))
        if command is not None and add_arguments is not None:
            add_arguments(command)
        super().__call__(parser, namespace, values, option_string)


def _invoke_arguments(invoke: argparse.ArgumentParser) -> None:
    invoke.add_argument("event", help="a HookInvocationRequest JSON file (what CloudFormation sends), a shipped "
                        "example ({title, expect, event}), or - for stdin")
    invoke.add_argument(
        "--type-configuration",
        metavar="FILE",
        help="a type configuration JSON (the set-type-configuration document, or its Properties) "
        "to send as hookModel, replacing the event's",
    )


def _scan_arguments(command: argparse.ArgumentParser) -> None:
    from . import scan

    scan.add_arguments(command)


def _audit_arguments(command: argparse.ArgumentParser) -> None:
    from . import audit_args

    audit_args.add_arguments(command)


_ARGUMENTS = {"invoke": _invoke_arguments, "scan": _scan_arguments, "audit": _audit_arguments}


def entry() -> None:
    """The ``hook-handler`` command: :func:`main`, then exit without tearing the interpreter
    down. Freeing every module (cfn-lint brings sympy and networkx) takes about 0.1 s, a tenth
    of scanning 1,000 templates, and nothing is left to do: output is flushed first, and no
    file, thread or process is still open (the scan's workers are joined). mypy exits the
    same way for the same reason."""
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # e.g. the reader went away (``| head``): Python's own exit status for it
        code = 120
    os._exit(code)


def _invoke(args: argparse.Namespace) -> int:
    try:
        event = request_of(_load_json(args.event), args.event)
        if args.type_configuration:
            event["hookModel"] = _type_configuration(args.type_configuration)
        check_request(event, args.event)
    except (OSError, ValueError) as error:
        print(f"hook-handler invoke: {_one_line(str(error))}", file=sys.stderr)
        return EXIT_USAGE
    response = run_event(event)
    print(json.dumps(response, indent=2))
    return EXIT_OK if response.get("hookStatus", response.get("status")) == "SUCCESS" else EXIT_FINDINGS


def request_of(document: Any, path: str) -> dict:
    """The request in ``document``: the document itself, or the ``event`` of a shipped example
    (``{"title", "expect", "event"}``, as ``hook-handler demo`` reads them)."""
    if isinstance(document, dict) and "event" in document and "expect" in document:
        document = document["event"]
    if not isinstance(document, dict):
        raise ValueError(f"{path}: a hook invocation request must be a JSON object, got {type(document).__name__}")
    return document


def _type_configuration(path: str) -> dict:
    from ..settings import ConfigurationError, configuration_properties

    try:
        return configuration_properties(_load_json(path))
    except ConfigurationError as error:
        raise ValueError(f"--type-configuration {path} does not validate against schema.json: {error}") from None


def check_request(event: dict, path: str) -> None:
    """Raise ``ValueError`` (one line) unless the library can read ``event`` as the request it
    claims to be; a misspelt invocation point names the nearest one."""
    import difflib

    from cloudformation_cli_python_lib import HookInvocationPoint

    test_shape = "request" in event and "credentials" in event
    point = event.get("actionInvocationPoint")
    points = [p.name for p in HookInvocationPoint]
    if point not in points:
        close = difflib.get_close_matches(str(point), points, n=1, cutoff=0.6) if isinstance(point, str) else []
        hint = f" (did you mean {close[0]}?)" if close else f" (expected one of {', '.join(points)})"
        shown = json.dumps(point)[:60] if point is not None else "missing"
        raise ValueError(f"{path}: actionInvocationPoint {shown} is not an invocation point{hint}")
    from ..hook.handlers import hook

    _quiet_library_logging()
    try:
        if test_shape:
            hook._parse_test_request(event)
        else:
            hook._cast_hook_request(hook._parse_request(event)[3])
    except Exception as error:  # noqa: BLE001 - whatever the library cannot read is one line, exit 2
        cause = error.__cause__ or error
        raise ValueError(f"{path}: not a {'cfn test event' if test_shape else 'hook invocation request'}: "
                         f"{_reason(cause)}") from None


def _reason(error: BaseException) -> str:
    if isinstance(error, KeyError):
        return f"missing key {error.args[0]!r}" if error.args else "a key is missing"
    missing = re.search(r"object has no attribute '([^']+)'", str(error))
    if isinstance(error, AttributeError) and missing:
        return f"missing key {missing.group(1)!r}"
    return f"{type(error).__name__}: {error}"


def _quiet_library_logging() -> None:
    """The library logs (with a traceback) what it also answers; the CLI prints the answer."""
    import logging

    for name in ("cloudformation_cli_python_lib", PACKAGE):
        logger = logging.getLogger(name)
        if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
            logger.addHandler(logging.NullHandler())
        logger.propagate = False


def _one_line(text: str, limit: int = 1000) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def run_event(event: dict) -> dict:
    """The entrypoint CloudFormation would call: ``hook`` for a HookInvocationRequest,
    ``test_entrypoint`` for the ``cfn test`` shape (it has ``request`` and ``credentials``).
    What the library prints on the way (it prints, not logs, before its logging is set up) is
    not the answer: it is dropped, so stdout carries only the response."""
    import contextlib
    import io

    from ..hook.handlers import hook, test_entrypoint

    _quiet_library_logging()
    entry = test_entrypoint if "request" in event and "credentials" in event else hook
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return dict(entry(event, None))


def _load_json(path: str) -> Any:
    try:
        if path == "-":
            text = sys.stdin.read()
        else:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
    except OSError as error:
        raise OSError(f"cannot read {path}: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise ValueError(f"{path} is not UTF-8 text (byte {error.object[error.start]:#04x} at offset {error.start})") from None
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError(f"{path} is nested too deeply") from None
    except ValueError as error:
        raise ValueError(f"{path} is not JSON: {error}") from None


def _demo() -> int:
    """Each shipped example is a real HookInvocationRequest; show its verdict and the expected one."""
    from importlib import resources  # here: importing it costs every scan about 20 ms

    examples = sorted(
        (p for p in resources.files(PACKAGE).joinpath("examples").iterdir() if p.name.endswith(".json")),
        key=lambda p: p.name,
    )
    surprises = 0
    for path in examples:
        case = json.loads(path.read_text(encoding="utf-8"))
        response = run_event(case["event"])
        status = response.get("hookStatus")
        expected = case["expect"]
        surprises += status != expected
        mark = "ok" if status == expected else "UNEXPECTED"
        print(f"== {case['title']}")
        print(f"   verdict: {status} {response.get('errorCode', '')}".rstrip() + f"  (expected {expected}: {mark})")
        print(f"   message: {response.get('message', '')}")
        for note in response.get("annotations", []):
            if note.get("remediationMessage"):
                print(f"   fix:     {note['remediationMessage']}")
        print()
    from ..detective.demo import run_demo  # the detective door on the same configuration, offline

    events, detective_surprises = run_demo(print)
    surprises += detective_surprises
    print(f"{len(examples)} example requests evaluated through hook.handlers.hook and {events} CloudTrail event "
          f"through the detective control; {surprises} unexpected verdicts")
    return EXIT_OK if not surprises else EXIT_FINDINGS


if __name__ == "__main__":
    entry()
