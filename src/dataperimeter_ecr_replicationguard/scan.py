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

Exit status: 0 nothing fails, 1 findings fail, 2 usage error or unreadable input (one line on
stderr).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import re
import sys
from typing import Any, Sequence

from .core.findings import Finding
from .exemptions import expired_exemptions, judge, today_utc
from .invocation import invocation_of
from .output import FORMATS, FileEntry, Record, ResourceEntry, ScanReport, is_failing
from .settings import SETTING_NAMES, ConfigurationError, Settings, parse_settings

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json", ".template")
PROGRESS_THRESHOLD = 20
DEPLOYING_ACCOUNT_LABEL = "<deploying account>"
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
    files = list(_template_files(args.paths))
    report = ScanReport(expired_exemptions=expired_exemptions(settings.exemptions, today))
    show_progress = len(files) >= PROGRESS_THRESHOLD and _is_terminal(sys.stderr)
    for number, (path, explicit) in enumerate(files, 1):
        if show_progress:
            print(f"\rscanning {number}/{len(files)} {path[-60:]:<60}", end="", file=sys.stderr, flush=True)
        _scan_file(report, path, explicit, args, settings, parameters, today)
    if show_progress:
        print("\r" + " " * 80 + "\r", end="", file=sys.stderr, flush=True)
    return report


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


def _scan_file(report: ScanReport, path: str, explicit: bool, args, settings: Settings, parameters, today) -> None:
    from .template import Context, NotATemplate, evaluate_template, placeholder_account
    from .template.decode import UnreadableTemplate, decode_file
    from .core.values import mentioned_account_ids
    from .trust_sources import resolve_trust

    try:
        template = decode_file(path)
    except UnreadableTemplate as error:
        raise UsageError(str(error)) from None
    account = args.account or placeholder_account(template)
    region = args.region
    invocation = invocation_of(account, "", region or "us-east-1")
    try:
        trust = resolve_trust(settings, invocation, _session(settings, region), mentioned_account_ids([template, parameters]))
    except Exception as error:  # noqa: BLE001 - one line, exit 2
        raise UsageError(f"cannot build the trusted set: {error}") from None
    stack_name = args.stack_name or _stem(path)
    context = Context(
        account_id=account,
        region=region,
        stack_name=stack_name,
        partition=invocation.partition,
        parameters=parameters,
        use_parameter_defaults=True,
    )
    try:
        results = evaluate_template(template, trust, context)
    except NotATemplate as error:
        if explicit:
            raise UsageError(f"{path}: {error}") from None
        report.skipped.append((path, str(error)))
        return
    except RecursionError:
        raise UsageError(f"{path}: the template is nested too deeply to evaluate") from None
    entry = FileEntry(path)
    report.files.append(entry)
    for result in results:
        entry.resources.append(ResourceEntry(result.logical_id, result.resource_type, result.line))
        findings = [_shown(f, account) for f in result.findings] if not args.account else list(result.findings)
        for judged in judge(findings, settings.exemptions, stack_name=stack_name, account_id=args.account or "", today=today):
            report.records.append(Record(path, result.line, judged, is_failing(judged, args.allow_unresolved)))


def _session(settings: Settings, region: str | None) -> Any:
    """Your AWS credentials (the default boto3 chain), only when the configuration reads the
    trusted set from AWS Organizations (``AccountSource`` ``Organizations``), as the hook does
    with its execution role; otherwise no AWS call is made."""
    if getattr(settings, "account_source", "Static") != "Organizations":
        return None
    import boto3

    return boto3.session.Session(region_name=region or "us-east-1")


def _shown(finding: Finding, placeholder: str) -> Finding:
    """The stand-in account reads as what it is."""
    if placeholder not in finding.message and placeholder not in finding.subject:
        return finding
    return dataclasses.replace(
        finding,
        message=finding.message.replace(placeholder, DEPLOYING_ACCOUNT_LABEL),
        subject=finding.subject.replace(placeholder, DEPLOYING_ACCOUNT_LABEL),
        remediation=finding.remediation.replace(placeholder, DEPLOYING_ACCOUNT_LABEL),
    )


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


def _stem(path: str) -> str:
    name = os.path.basename(path)
    for suffix in TEMPLATE_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def _is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _colour(stream) -> bool:
    return _is_terminal(stream) and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"
