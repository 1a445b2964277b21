"""``hook-handler scan [PATH ...]``: the hook's verdict on templates, before they are deployed.

Templates (YAML with short-form tags, JSON, SAM) are parsed with cfn-lint's decoder, their
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

Exit status: 0 nothing fails, 1 findings fail, 2 usage error, unreadable input or a worker that
died (one line on stderr).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import sys
from typing import Any, Sequence

from .exemptions import expired_exemptions, today_utc
from .output import FORMATS, ScanReport
from .parallel import WorkerFailed, ordered_map, usable_cpus
from .scan_file import TEMPLATE_SUFFIXES, ScanOptions, scan_file
from .settings import SETTING_NAMES, ConfigurationError, Settings, parse_settings
from .template.decode import UnreadableTemplate, load_decoder

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
PROGRESS_THRESHOLD = 20
PARALLEL_THRESHOLD = 1000  # files; below it, starting workers costs about what they save (docs/performance.md)
MAX_AUTO_JOBS = 8
_ALIASES = {"TrustedOrganizationalUnitPaths": ["--trusted-ou-paths"]}


class UsageError(Exception):
    """Bad arguments or unreadable input: exit 2 with this one-line reason."""


def add_parser(commands: Any) -> None:
    scan = commands.add_parser(
        "scan",
        help="evaluate CloudFormation templates offline, with the hook's own checks",
        description=__doc__.split("\n\n")[0],
    )
    scan.add_argument("paths", nargs="*", metavar="PATH", default=["."],
                      help="templates or directories (searched for *.yaml, *.yml, *.json, *.template); default: .")
    scan.add_argument("--config", metavar="FILE",
                      help="type configuration JSON: the set-type-configuration document, or its Properties")
    settings = scan.add_argument_group("trust settings (same names and meaning as the type configuration)")
    for name in SETTING_NAMES:
        settings.add_argument(_flag(name), *_ALIASES.get(name, []), dest=name, metavar="VALUE",
                              help=f"the {name} setting (as in the type configuration)")
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
    scan.add_argument("--format", choices=sorted(FORMATS), default="text", help="output format (default: text)")
    scan.add_argument("--today", help=argparse.SUPPRESS)  # YYYY-MM-DD, for reproducible exemption expiry


def run(args: argparse.Namespace) -> int:
    try:
        report = scan(args)
    except UsageError as error:
        print(f"hook-handler scan: {error}", file=sys.stderr)
        return EXIT_USAGE
    render = FORMATS[args.format]
    if args.format == "text":
        sys.stdout.write(render(report, colour=_colour(sys.stdout)))
    else:
        sys.stdout.write(render(report))
    return EXIT_FINDINGS if report.failing else EXIT_OK


def scan(args: argparse.Namespace) -> ScanReport:
    settings = settings_of(args)
    parameters = _parameters(args.parameter)
    today = _today(args.today)
    if args.account is not None and not re.fullmatch(r"[0-9]{12}", args.account):
        raise UsageError(f"--account {args.account!r} is not a 12-digit account ID")
    if args.jobs is not None and args.jobs < 1:
        raise UsageError(f"--jobs {args.jobs}: expected 1 or more")
    files = list(_template_files(args.paths))
    try:
        load_decoder()  # before any worker starts: they share it, and a missing cfn-lint is one message
    except UnreadableTemplate as error:
        raise UsageError(str(error)) from None
    options = ScanOptions(
        settings=settings,
        parameters=parameters,
        today=today,
        account=args.account,
        region=args.region,
        stack_name=args.stack_name,
        allow_unresolved=args.allow_unresolved,
        session=_session(settings, args.region),
    )
    report = ScanReport(expired_exemptions=expired_exemptions(settings.exemptions, today))
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
        from .cli import properties_of

        try:
            with open(args.config, encoding="utf-8") as handle:
                document = json.load(handle)
        except OSError as error:
            raise UsageError(f"cannot read --config {args.config}: {error.strerror}") from None
        except ValueError as error:
            raise UsageError(f"--config {args.config} is not JSON: {error}") from None
        properties = properties_of(document)
        if not isinstance(properties, dict):
            raise UsageError(f"--config {args.config}: the configuration must be a JSON object")
        raw.update(properties)
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


def _flag(name: str) -> str:
    return "--" + re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "-", name).lower()


def _is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _colour(stream) -> bool:
    return _is_terminal(stream) and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"
