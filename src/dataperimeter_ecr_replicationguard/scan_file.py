"""One template file of ``hook-handler scan``: decode it, evaluate its ECR resources and judge
the findings against the exemptions. Independent of every other file, so files can be scanned
in any process (see ``parallel.py``); the result is plain data, merged in file order by
``scan.py``. Imported only by the scan: it reaches cfn-lint through ``template.decode``."""

from __future__ import annotations

import dataclasses
import datetime
import os
from dataclasses import dataclass, field
from typing import Any

from .core.findings import Finding
from .exemptions import judge
from .invocation import invocation_of
from .output import FileEntry, Record, ResourceEntry, is_failing
from .settings import Settings
from .template import Context, NotATemplate, evaluate_template, placeholder_account
from .template.decode import UnreadableTemplate, decode_file
from .trust_sources import resolve_trust

DEPLOYING_ACCOUNT_LABEL = "<deploying account>"


@dataclass(frozen=True)
class ScanOptions:
    """What every file is scanned with: the command line, read once."""

    settings: Settings
    parameters: dict[str, str]
    today: datetime.date
    account: str | None = None
    region: str | None = None
    stack_name: str | None = None
    allow_unresolved: bool = False
    session: Any = field(default=None, compare=False)  # boto3, only for AccountSource Organizations


@dataclass(frozen=True)
class FileOutcome:
    """What one file gave: its entry and judged findings, or why it was skipped (a file found in
    a directory that is not a template), or the one-line error that stops the scan (exit 2)."""

    path: str
    entry: FileEntry | None = None
    records: tuple[Record, ...] = ()
    skipped: str | None = None
    error: str | None = None


def scan_file(options: ScanOptions, item: tuple[str, bool]) -> FileOutcome:
    """``item`` is (path, named explicitly on the command line)."""
    path, explicit = item
    try:
        template = decode_file(path)
    except UnreadableTemplate as error:
        return FileOutcome(path, error=str(error))
    settings = options.settings
    account = options.account or placeholder_account(template)
    invocation = invocation_of(account, "", options.region or "us-east-1")
    try:
        trust = resolve_trust(settings, invocation, options.session, [template, options.parameters])
    except Exception as error:  # noqa: BLE001 - one line, exit 2
        return FileOutcome(path, error=f"cannot build the trusted set: {error}")
    stack_name = options.stack_name or stem(path)
    context = Context(
        account_id=account,
        region=options.region,
        stack_name=stack_name,
        partition=invocation.partition,
        parameters=options.parameters,
        use_parameter_defaults=True,
    )
    try:
        results = evaluate_template(template, trust, context)
    except NotATemplate as error:
        if explicit:
            return FileOutcome(path, error=f"{path}: {error}")
        return FileOutcome(path, skipped=str(error))
    except RecursionError:
        return FileOutcome(path, error=f"{path}: the template is nested too deeply to evaluate")
    entry = FileEntry(path)
    records = []
    for result in results:
        entry.resources.append(ResourceEntry(result.logical_id, result.resource_type, result.line))
        findings = list(result.findings) if options.account else [_shown(f, account) for f in result.findings]
        for judged in judge(findings, settings.exemptions, stack_name=stack_name, account_id=options.account or "",
                            today=options.today):
            records.append(Record(path, result.line, judged, is_failing(judged, options.allow_unresolved)))
    return FileOutcome(path, entry=entry, records=tuple(records))


TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json", ".template")


def stem(path: str) -> str:
    """The default stack name: the file name without its template extension."""
    name = os.path.basename(path)
    for suffix in TEMPLATE_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


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
