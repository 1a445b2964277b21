"""``hook-handler scan [PATH ...]``: the hook's verdict on templates, before they are deployed.

Templates (YAML with short-form tags, JSON, SAM) are read by the one template reader the hook's
STACK target uses too (``template/decode.py``; cfn-lint only expands ``AWS::LanguageExtensions``), their
intrinsic functions resolved as far as the template decides them, and every ECR resource is
evaluated by the same core function the hook's RESOURCE handler calls, with the trusted set
built from the same settings (``--config`` takes the document ``aws cloudformation
set-type-configuration`` takes, or its ``Properties``; each setting also has a flag of the
same name, e.g. ``TrustedAccountIds`` is ``--trusted-account-ids``; a flag wins over the file).

``AWS::AccountId`` is the ``--account`` value, the deploying account, trusted exactly when
``TrustDeployingAccount`` is true (the default), as in the hook. Without ``--account`` it is a
stand-in ID that the template never mentions (shown as ``<deploying account>``), trusted the
same way. ``AWS::Region`` is ``--region``; without it, a value that depends on it is
unresolved. A parameter takes its ``--parameter`` value, else its ``Default``.

Files are independent: with many of them they are scanned in worker processes (``--jobs``,
``parallel.py``), each by ``scan_file.scan_file``, and merged here in file order, so the report
does not depend on how many processes read it.

Files that are plainly not templates (``package.json``, a Kubernetes manifest, a file with no
``Resources``) are skipped and counted, whether found in a directory or named on the command line
(pre-commit names every file its pattern matches). A file that looks like a template but cannot
be read is a result of its own (``ECR-TEMPLATE-UNREADABLE``) in every format; the other files are
still scanned and reported.

Exit status: 0 nothing fails, 1 findings fail, 2 a file cannot be read, nothing to scan was
found, a usage error, or a worker that died (one line on stderr).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import sys
from typing import Any, Sequence

from ..exemptions import expired_exemptions, today_utc
from ..settings import SETTING_NAMES, ConfigurationError, Settings, configuration_properties, parse_settings
from .exit_codes import EXIT_FINDINGS, EXIT_OK, EXIT_UNREADABLE, EXIT_USAGE
from .output import FORMATS, ScanReport
from .parallel import WorkerFailed, ordered_map, usable_cpus
from .scan_file import TEMPLATE_SUFFIXES, ScanOptions, scan_file

PROGRESS_THRESHOLD = 20
PARALLEL_THRESHOLD = 1000  # files; below it, starting workers costs about what they save (docs/performance.md)
MAX_AUTO_JOBS = 8
_ALIASES = {"TrustedOrganizationalUnitPaths": ["--trusted-ou-paths"]}


class UsageError(Exception):
    """Bad arguments or unreadable input: exit 2 with this one-line reason."""


def add_arguments(scan: argparse.ArgumentParser) -> None:
    """The arguments of ``hook-handler scan`` (its parser: ``main.py``)."""
    scan.description = __doc__.split("\n\n")[0]
    scan.add_argument("paths", nargs="*", metavar="PATH", default=["."],
                      help="templates or directories (searched for *.yaml, *.yml, *.json, *.template); default: .")
    add_trust_options(scan)
    scan.add_argument("--account", help="the deploying account ID: the value of AWS::AccountId")
    scan.add_argument("--region", help="the deploying Region: the value of AWS::Region (and AWS::Partition)")
    scan.add_argument("--stack-name", help="the stack name, for AWS::StackName and exemptions (default: the file name)")
    scan.add_argument("--parameter", action="append", default=[], metavar="KEY=VALUE",
                      help="a template parameter value (repeatable)")
    scan.add_argument("--allow-unresolved", action="store_true",
                      help="report values the template does not decide, but do not fail on them")
    scan.add_argument("--jobs", type=int, metavar="N",
                      help="processes that scan files (default: one per idle CPU for 1,000 files or more; 1 with "
                           "AccountSource Organizations)")
    scan.add_argument("--format", choices=sorted(FORMATS), default="text",
                      help="output format on stdout (default: text)")
    scan.add_argument("--output-file", action="append", default=[], metavar="[FORMAT=]FILE",
                      help="write the --format output to FILE instead of stdout; FORMAT=FILE writes that format to "
                           "FILE as well (repeatable, e.g. --output-file sarif=results.sarif)")
    verbosity = scan.add_mutually_exclusive_group()
    verbosity.add_argument("--quiet", "-q", action="store_true",
                           help="text: only failing findings and the summary line")
    verbosity.add_argument("--verbose", "-v", action="store_true",
                           help="text: also every skipped file with its reason and every resource checked")
    scan.add_argument("--list-rules", action="store_true", help="list the rules (id, severity, category, title) and exit")
    from .. import __version__

    scan.add_argument("--version", action="version", version=f"hook-handler {__version__}")
    scan.add_argument("--today", help=argparse.SUPPRESS)  # YYYY-MM-DD, for reproducible exemption expiry


def run(args: argparse.Namespace) -> int:
    if args.list_rules:
        sys.stdout.write(list_rules(args.format))
        return EXIT_OK
    try:
        outputs = _outputs(args.format, args.output_file)
        report = scan(args)
        for fmt, target in outputs:
            _write(report, fmt, target, args)
    except UsageError as error:
        print(f"hook-handler scan: {error}", file=sys.stderr)
        return EXIT_USAGE
    if report.unreadable:
        first = report.unreadable[0]
        where = first.file + (f":{first.line}" if first.line else "") + (f":{first.column}" if first.line and first.column else "")
        more = f" (and {len(report.unreadable) - 1} more)" if len(report.unreadable) > 1 else ""
        print(f"hook-handler scan: {len(report.unreadable)} file(s) cannot be read (ECR-TEMPLATE-UNREADABLE): "
              f"{where}: {first.reason}{more}", file=sys.stderr)
        return EXIT_UNREADABLE
    if not report.files and not report.explicit_files:
        print(f"hook-handler scan: no CloudFormation template found in {' '.join(args.paths)}"
              + (f" ({len(report.skipped)} file(s) skipped: not templates)" if report.skipped else ""), file=sys.stderr)
        return EXIT_USAGE
    return EXIT_FINDINGS if report.failing else EXIT_OK


def _outputs(fmt: str, files: Sequence[str]) -> list[tuple[str, str | None]]:
    """(format, file or None for stdout) for every output of the run."""
    outputs: list[tuple[str, str | None]] = []
    primary: str | None = None
    for entry in files:
        name, sep, target = entry.partition("=")
        if sep and name in FORMATS:
            if not target:
                raise UsageError(f"--output-file {entry!r}: expected FORMAT=FILE")
            outputs.append((name, target))
        elif primary is None:
            primary = entry
        else:
            raise UsageError(f"--output-file {entry!r}: the --format output already goes to {primary!r}; "
                             "name the format of each further file (e.g. sarif=results.sarif)")
    return [(fmt, primary)] + outputs


def _write(report: ScanReport, fmt: str, target: str | None, args: argparse.Namespace) -> None:
    render = FORMATS[fmt]
    if fmt == "text":
        stream = sys.stdout if target is None else None
        text = render(report, colour=stream is not None and _colour(stream), quiet=args.quiet, verbose=args.verbose)
    else:
        text = render(report)
    emit(text, target)


def emit(text: str, target: str | None) -> None:
    """``text`` to standard output (no target, or ``-``) or to the ``--output-file`` named."""
    if target is None or target == "-":
        sys.stdout.write(text)
        return
    try:
        with open(target, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as error:
        raise UsageError(f"cannot write --output-file {target}: {error.strerror}") from None


def list_rules(fmt: str) -> str:
    from ..core.rules import RULES

    if fmt == "json":
        return json.dumps([{"id": r.id, "severity": r.severity.value, "category": r.category, "title": r.title,
                            "description": r.description, "help": r.help_uri} for r in RULES], indent=2) + "\n"
    width = max(len(r.id) for r in RULES)
    lines = [f"{r.id:<{width}}  {r.severity.value:<13}  {r.category:<10}  {r.title}" for r in RULES]
    return "\n".join(lines) + f"\n{len(RULES)} rules; details: docs/rules.md\n"


def scan(args: argparse.Namespace) -> ScanReport:
    settings = settings_of(args)
    parameters = _parameters(args.parameter)
    today = _today(args.today)
    if args.account is not None and not re.fullmatch(r"[0-9]{12}", args.account):
        raise UsageError(f"--account {args.account!r} is not a 12-digit account ID")
    if args.jobs is not None and args.jobs < 1:
        raise UsageError(f"--jobs {args.jobs}: expected 1 or more")
    files = list(_template_files(args.paths))
    if not files:
        raise UsageError(f"no CloudFormation template found in {' '.join(args.paths)} "
                         f"(searched for {', '.join('*' + s for s in TEMPLATE_SUFFIXES)})")
    options = ScanOptions(
        settings=settings,
        parameters=parameters,
        today=today,
        account=args.account,
        region=args.region,
        stack_name=args.stack_name,
        allow_unresolved=args.allow_unresolved,
        session=_session(settings, args.region),
        stack_names=cdk_stack_names(path for path, _ in files),
    )
    report = ScanReport(expired_exemptions=expired_exemptions(settings.exemptions, today))
    explicit = {path for path, named in files if named}
    report.explicit_files = len(explicit)
    show_progress = len(files) >= PROGRESS_THRESHOLD and _is_terminal(sys.stderr)
    outcomes = ordered_map(scan_file, options, files, job_count(args.jobs, settings, len(files)))
    try:
        for number, outcome in enumerate(outcomes, 1):
            if show_progress:
                print(f"\rscanning {number}/{len(files)} {outcome.path[-60:]:<60}", end="", file=sys.stderr, flush=True)
            if outcome.error is not None:
                raise UsageError(outcome.error)
            if outcome.skipped is not None:
                report.skipped.append((outcome.path, outcome.skipped))
                continue
            if outcome.unreadable is not None:
                report.unreadable.append(outcome.unreadable)
            else:
                report.files.append(outcome.entry)
            report.records.extend(outcome.records)
    except WorkerFailed as error:
        raise UsageError(f"{error}; --jobs 1 scans in this process") from None
    finally:
        outcomes.close()
        if show_progress:
            print("\r" + " " * 80 + "\r", end="", file=sys.stderr, flush=True)
    return report


def job_count(requested: int | None, settings: Settings, files: int) -> int:
    """How many processes scan: ``--jobs``, else one per idle CPU when there are enough files
    to pay for starting them (on a busy machine a second process only competes with the first:
    measured slower than one). One with ``AccountSource`` ``Organizations``: the membership
    cache (and its API calls) stays in one process."""
    if settings.account_source == "Organizations":
        return 1
    if requested is not None:
        return requested
    if files < PARALLEL_THRESHOLD:
        return 1
    return max(1, min(usable_cpus(), MAX_AUTO_JOBS, idle_cpus()))


def idle_cpus() -> int:
    """Usable CPUs that nothing else uses: their count less the busier of the one-minute load
    average and the processes runnable at this moment (``/proc/loadavg``; this one excluded)."""
    try:
        with open("/proc/loadavg", encoding="ascii") as handle:
            fields = handle.read().split()
        busy = max(float(fields[0]), int(fields[3].split("/")[0]) - 1)
    except (OSError, ValueError, IndexError):
        try:
            busy = os.getloadavg()[0]
        except (AttributeError, OSError):  # pragma: no cover - no load figures: assume idle
            busy = 0.0
    return int(usable_cpus() - busy + 0.5)


def settings_of(args: argparse.Namespace) -> Settings:
    raw: dict[str, Any] = {}
    if args.config:
        try:
            with open(args.config, encoding="utf-8") as handle:
                document = json.load(handle)
        except OSError as error:
            raise UsageError(f"cannot read --config {args.config}: {error.strerror}") from None
        except ValueError as error:  # also UnicodeDecodeError
            raise UsageError(f"--config {args.config} is not JSON: {error}") from None
        try:
            raw.update(configuration_properties(document))
        except ConfigurationError as error:
            raise UsageError(f"--config {args.config} does not validate against schema.json: {error}") from None
    for name in SETTING_NAMES:
        if getattr(args, name, None) is not None:
            raw[name] = getattr(args, name)
    try:
        return parse_settings(raw)
    except ConfigurationError as error:
        raise UsageError(f"the configuration does not validate: {error}") from None


def _session(settings: Settings, region: str | None) -> Any:
    """Your AWS credentials (the default boto3 chain), only when the configuration reads the
    trusted set from AWS Organizations (``AccountSource`` ``Organizations``), as the hook does
    with its execution role; otherwise no AWS call is made."""
    if getattr(settings, "account_source", "Static") != "Organizations":
        return None
    import boto3

    return boto3.session.Session(region_name=region or "us-east-1")


def cdk_stack_names(paths) -> dict[str, str]:
    """file -> stack name for templates a CDK cloud assembly (``cdk.out/manifest.json``) names:
    exemptions by stack name then match what CloudFormation will call the stack."""
    names: dict[str, str] = {}
    directories: set[str] = set()
    for path in paths:
        directory = os.path.dirname(os.path.normpath(path))
        if directory in directories:
            continue
        directories.add(directory)
        manifest = os.path.join(directory, "manifest.json")
        if not os.path.isfile(manifest):
            continue
        try:
            with open(manifest, encoding="utf-8") as handle:
                artifacts = json.load(handle).get("artifacts", {})
        except (OSError, ValueError, AttributeError):
            continue
        if not isinstance(artifacts, dict):
            continue
        for artifact_id, artifact in artifacts.items():
            if not isinstance(artifact, dict) or artifact.get("type") != "aws:cloudformation:stack":
                continue
            properties = artifact.get("properties") if isinstance(artifact.get("properties"), dict) else {}
            template = properties.get("templateFile")
            if isinstance(template, str):
                stack = properties.get("stackName") if isinstance(properties.get("stackName"), str) else artifact_id
                names[os.path.normpath(os.path.join(directory, template))] = stack
    return names


def _template_files(paths: Sequence[str]):
    """(path, named explicitly) for every file to scan, in a stable order."""
    for path in paths:
        if os.path.isdir(path):
            found = []
            for root, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found.extend(os.path.join(root, n) for n in names if n.lower().endswith(TEMPLATE_SUFFIXES))
            yield from ((f, False) for f in sorted(found))
        elif os.path.isfile(path):
            yield path, True
        else:
            raise UsageError(f"{path}: no such file or directory")


def _parameters(pairs: Sequence[str]) -> dict[str, str]:
    parameters = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--parameter {pair!r}: expected KEY=VALUE")
        parameters[key.strip()] = value
    return parameters


def _today(text: str | None) -> datetime.date:
    if text is None:
        return today_utc()
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--today {text!r} is not a date YYYY-MM-DD") from None


def add_trust_options(command: Any) -> None:
    """``--config`` and one flag per setting of the type configuration (the doors that take the
    hook's settings on the command line: ``scan`` and ``audit``)."""
    command.add_argument("--config", metavar="FILE",
                         help="type configuration JSON: the set-type-configuration document, or its Properties")
    settings = command.add_argument_group("trust settings (same names and meaning as the type configuration)")
    for name in SETTING_NAMES:
        settings.add_argument(_flag(name), *_ALIASES.get(name, []), dest=name, metavar="VALUE",
                              help=f"the {name} setting (as in the type configuration)")


def _flag(name: str) -> str:
    return "--" + re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "-", name).lower()


def _is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _colour(stream) -> bool:
    return _is_terminal(stream) and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"
