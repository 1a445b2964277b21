"""One template file of ``hook-handler scan``: decode it, translate its ECR resources
(:func:`..template.template_resources`), :func:`..assess.assess` them, and turn the assessment
into records. Independent of every other file, so files can be scanned
in any process (see ``parallel.py``); the result is plain data, merged in file order by
``scan.py``. Imported only by the scan: it reaches cfn-lint through ``template.decode``."""

from __future__ import annotations

import datetime
import functools
import os
import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from ..assess import assess
from ..core import rules
from ..core.findings import Finding
from ..core.plain import Frozen
from ..core.values import is_object, shown
from ..exemptions import Judged
from ..invocation import Invocation, invocation_of
from ..settings import Settings
from ..template import Context, NotATemplate, placeholder_account, template_resources
from ..template.decode import UnreadableTemplate, decode_file
from ..template.marks import locate
from ..template.resolve import names_read
from ..template.resources import malformed, malformed_section, resource_map, resources_of
from ..template.transforms import expand
from ..trust_sources import TrustUnavailable
from .output import FileEntry, Record, ResourceEntry, Unreadable, is_failing

DEPLOYING_ACCOUNT_LABEL = "<deploying account>"
UNREADABLE_RULE = rules.TEMPLATE_UNREADABLE
UNRESOLVED_TRANSFORM_RULE = rules.TEMPLATE_UNRESOLVED_TRANSFORM
MALFORMED_RESOURCE_RULE = rules.TEMPLATE_MALFORMED_RESOURCE

# Files that are never CloudFormation templates, though their names end like one: pre-commit
# hands the scan every file its ``files:`` pattern matches.
KNOWN_NON_TEMPLATES = frozenset({
    "package.json", "package-lock.json", "npm-shrinkwrap.json", "composer.json", "tsconfig.json", "jsconfig.json",
    ".pre-commit-config.yaml", ".pre-commit-hooks.yaml", "cdk.json", "cdk.context.json", "tree.json",
    "manifest.json", "renovate.json", ".eslintrc.json", ".prettierrc.json", "docker-compose.yml",
    "docker-compose.yaml", "compose.yaml", "compose.yml", "mkdocs.yml", "mkdocs.yaml", ".travis.yml",
    ".gitlab-ci.yml", "codecov.yml", ".readthedocs.yaml", ".readthedocs.yml", "pnpm-lock.yaml", "action.yml",
    "action.yaml", "dependabot.yml", "buildspec.yml", "serverless.yml", "samconfig.yaml", "Chart.yaml", "values.yaml",
})
_TEMPLATE_KEY = re.compile(rb"""(?:^|[\s{,])["']?(?:Resources|AWSTemplateFormatVersion)["']?\s*:|AWS::ECR::""", re.M)
_DOCUMENT_START = re.compile(rb"^---(?:[ \t]|$)", re.M)
SNIFF_BYTES = 1 << 20  # the first MiB decides whether a file is a template at all


class ScanOptions(Frozen):
    """What every file is scanned with: the command line, read once. Not a NamedTuple: ``session``
    takes no part in ``==`` and ``hash``, and ``stack_names`` is a fresh dict by default."""

    __slots__ = _fields = ("settings", "parameters", "today", "account", "region", "stack_name", "allow_unresolved",
                           "session", "stack_names")
    _compared = ("settings", "parameters", "today", "account", "region", "stack_name", "allow_unresolved",
                 "stack_names")
    settings: Settings
    parameters: dict[str, str]
    today: datetime.date
    account: str | None
    region: str | None
    stack_name: str | None
    allow_unresolved: bool
    session: Any  # boto3, only for AccountSource Organizations
    stack_names: Mapping[str, str]  # file -> stack name (CDK cdk.out manifests)

    def __init__(self, settings: Settings, parameters: dict[str, str], today: datetime.date, account: str | None = None,
                 region: str | None = None, stack_name: str | None = None, allow_unresolved: bool = False,
                 session: Any = None, stack_names: Mapping[str, str] | None = None) -> None:
        put = object.__setattr__
        put(self, "settings", settings)
        put(self, "parameters", parameters)
        put(self, "today", today)
        put(self, "account", account)
        put(self, "region", region)
        put(self, "stack_name", stack_name)
        put(self, "allow_unresolved", allow_unresolved)
        put(self, "session", session)
        put(self, "stack_names", {} if stack_names is None else stack_names)


class FileOutcome(NamedTuple):
    """What one file gave: its entry and judged findings; or why it was skipped (not a
    template); or why it cannot be read (a result of its own, exit 2); or the one-line error
    that stops the scan (exit 2)."""

    path: str
    entry: FileEntry | None = None
    records: tuple[Record, ...] = ()
    skipped: str | None = None
    unreadable: Unreadable | None = None
    error: str | None = None


def not_a_template(path: str) -> str | None:
    """Why ``path`` is plainly not a CloudFormation template, or ``None`` when it may be one:
    a known non-template name, no ``Resources``/``AWSTemplateFormatVersion`` key (and no ECR
    resource type: a resource-map fragment is read as a template), or several YAML documents
    (a Kubernetes manifest)."""
    return read_candidate(path)[0]


def read_candidate(path: str) -> tuple[str | None, bytes | None]:
    """Why ``path`` is plainly not a template (see :func:`not_a_template`), else ``None`` and
    the file's bytes, read once for both the sniff and the decoder; ``(None, None)`` when it
    cannot be read (the decoder says why). Only the first MiB of a larger file is read before
    it is known to be a template."""
    name = os.path.basename(path)
    if name in KNOWN_NON_TEMPLATES or name.endswith((".assets.json", ".schema.json")):
        return f"not a CloudFormation template ({name} is a known non-template file)", None
    try:
        with open(path, "rb", buffering=0) as handle:  # whole reads: no buffer in between
            # read(n) allocates n bytes first: a small file is read whole (its size is known)
            large = os.fstat(handle.fileno()).st_size > SNIFF_BYTES
            head = handle.read(SNIFF_BYTES) if large else handle.read()
            reason = _not_a_template_head(head)
            if reason is not None:
                return reason, None
            return None, head + handle.read() if large else head
    except OSError:
        return None, None


def _not_a_template_head(head: bytes) -> str | None:
    if not _TEMPLATE_KEY.search(head):
        return "not a CloudFormation template (no Resources or AWSTemplateFormatVersion)"
    several = head.startswith(b"---") or b"\n---" in head or b"\r---" in head  # a document start begins a line
    if several and not head.lstrip().startswith((b"{", b"[")) and _documents(head) > 1:
        return "not a CloudFormation template (several YAML documents in one file)"
    return None


def _documents(text: bytes) -> int:
    """How many YAML documents hold content (``---`` separators with something between)."""
    count, content = 0, False
    for line in text.splitlines():
        stripped = line.strip()
        if _DOCUMENT_START.match(line):
            count += content
            content = bool(stripped[3:].strip()) and not stripped[3:].strip().startswith(b"#")
            continue
        if stripped and not stripped.startswith(b"#") and stripped != b"...":
            content = True
    return count + content


def scan_file(options: ScanOptions, item: tuple[str, bool]) -> FileOutcome:
    """``item`` is (path, named explicitly on the command line)."""
    path, _explicit = item
    skip, raw = read_candidate(path)
    if skip is not None:
        return FileOutcome(path, skipped=skip)
    try:
        template = decode_file(path, raw)
    except UnreadableTemplate as error:
        encoding = _not_utf8(path)
        if encoding is not None:
            return unreadable_outcome(path, *encoding)
        return unreadable_outcome(path, _without_prefix(str(error), path), getattr(error, "line", None),
                                  getattr(error, "column", None))
    try:
        resource_map(template)
    except NotATemplate as error:
        why = malformed_section(template)
        if why is None:
            return FileOutcome(path, skipped=str(error))
        finding = _file_finding(MALFORMED_RESOURCE_RULE, why, MALFORMED_REMEDIATION)
        return FileOutcome(path, entry=FileEntry(path), records=(
            Record(path, _key_line(template, "Resources"), Judged(finding), True),))
    settings = options.settings
    account = options.account or placeholder_account(template)
    invocation = _invocation(account, options.region or "us-east-1")
    stack_name = options.stack_name or options.stack_names.get(os.path.normpath(path)) or stem(path)
    context = Context(
        account_id=account,
        region=options.region,
        stack_name=stack_name,
        partition=invocation.partition,
        parameters=options.parameters,
        use_parameter_defaults=True,
    )
    named = [template, options.parameters]  # what an Organizations lookup may read: the template as written
    expansion = expand(template, context)
    template = expansion.template
    try:
        listed = resources_of(template)
        section = resource_map(template)  # the expanded template's Resources: its keys place what is found
        reads: dict[str, dict[str, None]] = {}
        resources = template_resources(template, context, listed, reads)
    except NotATemplate as error:
        return FileOutcome(path, skipped=str(error))
    except RecursionError:
        return unreadable_outcome(path, f"{path}: the template is nested too deeply to evaluate")
    try:
        assessment = assess(resources, settings, invocation, options.session, stack_name=stack_name,
                            today=options.today, named=named, exemption_account=options.account or "")
    except RecursionError:
        return unreadable_outcome(path, f"{path}: the template is nested too deeply to evaluate")
    except TrustUnavailable as error:  # one line, exit 2
        return FileOutcome(path, error=f"cannot build the trusted set: {error}")
    except Exception as error:  # noqa: BLE001 - one line, exit 2
        return FileOutcome(path, error=f"cannot assess {path}: {type(error).__name__}: {error}")
    raw = {r.logical_id: r for r in listed}
    if len(raw) != len(listed):  # logical IDs that are the same text (YAML 1 and "1"): each reads as the last one
        reads = {logical_id: _names_of(resource) for logical_id, resource in raw.items()}
    entry = FileEntry(path)
    records = []
    # As the STACK target: what CloudFormation cannot take apart, the scan cannot judge (when a
    # transform it cannot expand is declared, the file is unresolved already: a macro may make sense of it)
    for logical_id, what in [] if expansion.opaque else malformed(template):
        finding = _file_finding(MALFORMED_RESOURCE_RULE, what, MALFORMED_REMEDIATION)._replace(logical_id=str(logical_id))
        records.append(Record(path, _key_line(section, logical_id), Judged(finding), True))
    for key, reason in expansion.loops:  # a Fn::ForEach:: key nothing expands: unresolved, at the loop
        finding = _file_finding(UNRESOLVED_TRANSFORM_RULE, reason, TRANSFORM_REMEDIATION)._replace(logical_id=key)
        judged = Judged(finding)
        records.append(Record(path, _key_line(section, key), judged,
                              is_failing(judged, options.allow_unresolved)))
    for reason in expansion.unresolved:
        line, column = _transform_position(template)
        finding = _file_finding(UNRESOLVED_TRANSFORM_RULE, reason, TRANSFORM_REMEDIATION)
        judged = Judged(finding)
        records.append(Record(path, line, judged, is_failing(judged, options.allow_unresolved), column=column))
    for assessed in assessment.resources:
        result = assessed.resource
        resource = raw.get(result.logical_id)
        basis = _basis(template, resource, reads.get(result.logical_id, {}), options, expansion.parameters)
        entry.resources.append(ResourceEntry(result.logical_id, result.resource_type, result.line, basis))
        if not assessed.judged:  # a column only places a finding: a JSON text is walked for marks only then
            continue
        id_position = locate(section, "/" + _escape(result.logical_id))
        column = id_position[1] if id_position and id_position[0] == result.line else None
        for judged in assessed.judged:
            if not options.account:
                judged = judged._replace(finding=_shown(judged.finding, account))
            position = locate(resource.properties, judged.finding.path) if resource is not None else None
            records.append(Record(path, result.line, judged, is_failing(judged, options.allow_unresolved),
                                  column=column, position=position, basis=basis))
    return FileOutcome(path, entry=entry, records=tuple(records))


UNREADABLE_REMEDIATION = ("Make the file valid YAML or JSON (cfn-lint reports the same error), or move it out of "
                          "the scanned paths if it is not a CloudFormation template")
MALFORMED_REMEDIATION = "Give the resource an object body with a literal Type, as CloudFormation requires"
TRANSFORM_REMEDIATION = ("Scan the processed template (aws cloudformation get-template --template-stage Processed), "
                         "or give the values with --parameter")


@functools.lru_cache(maxsize=64)
def _invocation(account: str, region: str) -> Invocation:
    """The same for every file of a scan (the account is the placeholder or --account): made once."""
    return invocation_of(account, "", region)


def unreadable_outcome(path: str, reason: str, line: int | None = None, column: int | None = None) -> FileOutcome:
    """A file that looks like a template but cannot be read: reported as a finding of its own
    (``ECR-TEMPLATE-UNREADABLE``, never exempted), the scan goes on, and it exits 2."""
    reason = _one_line(reason)
    finding = _file_finding(UNREADABLE_RULE, reason, UNREADABLE_REMEDIATION)
    record = Record(path, line, Judged(finding), True, column=column)
    return FileOutcome(path, records=(record,), unreadable=Unreadable(path, reason, line, column))


def _not_utf8(path: str) -> tuple[str, int, int] | None:
    """Where a file stops being UTF-8 (CloudFormation reads templates as UTF-8), or ``None``."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        before = data[: error.start]
        line = before.count(b"\n") + 1
        column = len(before) - (before.rfind(b"\n") + 1) + 1
        return (f"the file is not UTF-8 text (byte 0x{data[error.start]:02x} at line {line}, column {column}); "
                "CloudFormation reads templates as UTF-8", line, column)
    except OSError:
        return None
    return None


def _without_prefix(message: str, path: str) -> str:
    """The decoder's reason without the ``path:line:`` it starts with (the record has both)."""
    if message.startswith(path + ":"):
        message = re.sub(r"^[0-9]+:\s*", "", message[len(path) + 1:].lstrip())
    return message.strip() or "the file cannot be parsed"


def _file_finding(rule: rules.Rule, message: str, remediation: str) -> Finding:
    """A finding about the whole file (no resource, no property): severity and category are the row's."""
    return rule.finding(path="", subject="", message=message, remediation=remediation)


def _key_line(mapping: Any, key: Any) -> int | None:
    """The line a key of a mapping read by the template reader is written on, when known."""
    lines = getattr(mapping, "key_lines", None)
    return lines.get(key) if isinstance(lines, dict) else None


def _transform_position(template: Any) -> tuple[int | None, int | None]:
    position = locate(template, "/Transform") if isinstance(template, Mapping) else None
    return position if position is not None else (None, None)


def _names_of(resource: Any) -> dict[str, None]:
    found: dict[str, None] = {}
    names_read(resource.properties, found)
    return found


def _basis(template: Any, resource: Any, reads: dict[str, None], options: ScanOptions,
           collection_parameters: tuple[str, ...]) -> tuple[str, ...]:
    """What the resource's verdict rests on beyond the template: every parameter its properties
    (``reads``: what the resolver found them reading, :func:`..template.resolve.names_read`), its
    condition or a Fn::ForEach collection read, with the value used and where it came from, and
    the pseudo parameters the scan assumed."""
    if resource is None:
        return ()
    declared = template.get("Parameters") if is_object(template) else None
    declared = declared if is_object(declared) else {}
    conditions = template.get("Conditions") if is_object(template) else None
    conditions = conditions if is_object(conditions) else {}
    names = dict(reads)
    pending = [resource.condition] if resource.condition else []
    pending += [n[len("condition "):] for n in list(names) if n.startswith("condition ")]
    seen: set[str] = set()
    while pending:
        condition = pending.pop()
        if condition in seen or condition not in conditions:
            continue
        seen.add(condition)
        found: dict[str, None] = {}
        names_read(conditions[condition], found)
        names.update(found)
        pending += [n[len("condition "):] for n in found if n.startswith("condition ")]
    for name in collection_parameters:
        names[name] = None
    basis = []
    for name in names:
        if name in declared:
            declaration = declared[name] if isinstance(declared[name], Mapping) else {}
            if str(declaration.get("Type", "")).startswith("AWS::SSM::Parameter::"):
                continue  # unresolved, and reported as such
            if name in options.parameters:
                basis.append(f"parameter {name} = {shown(str(options.parameters[name]))} (--parameter)")
            elif "Default" in declaration:
                basis.append(f"parameter {name} = {shown(str(declaration['Default']))} (its Default; "
                             "another value at deploy time may change the verdict)")
        elif name == "AWS::AccountId" and not options.account:
            basis.append("AWS::AccountId = the deploying account (assumed: no --account)")
        elif name == "AWS::AccountId":
            basis.append(f"AWS::AccountId = {options.account} (--account)")
        elif name == "AWS::Region" and options.region:
            basis.append(f"AWS::Region = {options.region} (--region)")
        elif name in ("AWS::Partition", "AWS::URLSuffix") and not options.region:
            basis.append(f"{name}: partition aws assumed (no --region)")
    return tuple(basis)


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def _one_line(text: str, limit: int = 500) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


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
    return finding._replace(
        message=finding.message.replace(placeholder, DEPLOYING_ACCOUNT_LABEL),
        subject=finding.subject.replace(placeholder, DEPLOYING_ACCOUNT_LABEL),
        remediation=finding.remediation.replace(placeholder, DEPLOYING_ACCOUNT_LABEL),
    )
