"""``hook-handler audit``: the hook's verdict on the ECR configuration that already exists, in
every account and Region named, read live with boto3.

It reads what the hook would have judged had it been there when each thing was made: the
registry's replication rules (``DescribeRegistry``), the registry policy, every repository and
its policy, pull-through cache rules, repository creation templates and, in ``us-east-1``, public
repositories and their policies (``aws_api/live.py``, shared with the detective control). Each
is judged by :func:`..assess.assess` with the same settings (``--config``, validated against
``schema.json``, and the setting flags of ``scan``) and trust sources as the hook, the audited
account being the "deploying" account (``TrustDeployingAccount``).

Scope (``audit_scope.py``): the caller's account and Region by default; ``--regions`` (or
``all`` enabled Regions); ``--accounts`` or ``--organization`` (optionally
``--organizational-unit-ids``) with ``--role-name`` assumed in each account. Reads run in a
bounded thread pool (``audit_run.py``, ``--concurrency``) with adaptive retries.

Whatever cannot be read (a role that cannot be assumed, a Region not enabled, an access-denied
call) is reported as not audited (``ECR-AUDIT-NOT-AUDITED``), with the reason, and never as
compliant. ``--security-hub`` imports the findings in ASFF into each account's Security Hub
(``audit_hub.py``). Output: the formats of ``scan`` (text with a table per account, json, sarif, junit);
each (account, Region) is a "file" named ``account/Region``, each resource named by its ARN.

Exit status: 0 everything was read and nothing fails, 1 findings fail, 3 the audit is incomplete
(something was not audited; findings may fail too), 2 a usage error or a scope that cannot be
worked out (one line on stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

from ..core.rules import AUDIT_NOT_AUDITED
from ..exemptions import expired_exemptions
from . import audit_scope
from .audit_args import MAX_AUTO_PROCESSES, add_arguments
from .audit_run import Audit, PairResult, Progress, Reader, location, run
from .audit_scope import ACCOUNT_ID, OU_ID, REGION_NAME, ROLE_NAME, AccountScope, ClientFactory, ScopeError
from .exit_codes import EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE
from .output import FORMATS, ScanReport
from .parallel import WorkerFailed, ordered_map, usable_cpus
from .scan import UsageError, _colour, _is_terminal, _outputs, _today, emit, settings_of

MAX_CONCURRENCY = 128


@dataclass
class AuditReport:
    """The scan-shaped report every format renders, and what the audit adds: the accounts and
    the results of each (account, Region)."""

    report: ScanReport
    accounts: list[AccountScope]
    results: list[PairResult] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return all(r.audited for r in self.results)

    def not_audited(self) -> list[PairResult]:
        return [r for r in self.results if not r.audited]

    def rows(self) -> list[dict]:
        """One row per account: Regions read, resources, findings, and what was not audited."""
        by_account: dict[str, list[PairResult]] = {}
        for result in self.results:
            by_account.setdefault(result.account, []).append(result)
        rows = []
        for scope in self.accounts:
            results = by_account.get(scope.account, [])
            regions = [r for r in results if r.region]
            planned = len(set(scope.planned) | {r.region for r in regions}) if scope.planned or regions else 0
            missing = [(location(r.account, r.region), what, why) for r in results for what, why in r.not_read]
            records = [rec for r in results for rec in r.records if rec.finding.rule_id != AUDIT_NOT_AUDITED.id]
            rows.append({
                "account": scope.account,
                "name": scope.name,
                "regions": sorted({r.region for r in regions}),
                "regionsRead": sum(1 for r in regions if r.audited),
                "regionsPlanned": planned,
                "resources": sum(r.resources for r in results),
                "findings": len(records),
                "failing": sum(1 for rec in records if rec.failing),
                "exempted": sum(1 for rec in records if rec.judged.exempted),
                "complete": not missing,
                "notAudited": [{"where": where, "what": what, "reason": why} for where, what, why in missing],
                "notes": [note for r in results for note in r.notes],
            })
        return rows


def run_command(args: argparse.Namespace, reader: Reader | None = None, session: Any = None) -> int:
    """``hook-handler audit``. ``reader`` and ``session`` are for tests (default: the live reader
    and a boto3 session from the SDK's chain)."""
    try:
        outputs = _outputs(args.format, args.output_file)
        audit = audit_report(args, reader, session)
        for fmt, target in outputs:
            _write(audit, fmt, target, args)
    except (UsageError, ScopeError) as error:
        print(f"hook-handler audit: {error}", file=sys.stderr)
        return EXIT_USAGE
    if not audit.complete:
        missing = audit.not_audited()
        first = missing[0]
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        what, why = first.not_read[0]
        print(f"hook-handler audit: incomplete: {location(first.account, first.region)}: not audited: {what}: "
              f"{why}{more}", file=sys.stderr)
        return EXIT_INCOMPLETE
    return EXIT_FINDINGS if audit.report.failing else EXIT_OK


def audit_report(args: argparse.Namespace, reader: Reader | None = None, session: Any = None) -> AuditReport:
    settings = settings_of(args)
    today = _today(args.today)
    if not 1 <= args.concurrency <= MAX_CONCURRENCY:
        raise UsageError(f"--concurrency {args.concurrency}: expected 1 to {MAX_CONCURRENCY}")
    if args.processes is not None and not 1 <= args.processes <= 64:
        raise UsageError(f"--processes {args.processes}: expected 1 to 64")
    if args.organizational_unit_ids is not None and not args.organization:
        raise UsageError("--organizational-unit-ids needs --organization")
    if args.organization and args.accounts is not None:
        raise UsageError("--accounts and --organization are exclusive: name the accounts, or list the organization")
    if args.role_name is not None and not ROLE_NAME.fullmatch(args.role_name):
        raise UsageError(f"--role-name {audit_scope.cut(args.role_name, 80)!r} is not an IAM role name (path/name)")
    wanted: list[str] | None
    if args.regions is not None and args.regions.strip().lower() == "all":
        wanted = None
    else:
        wanted = audit_scope.parse_list(args.regions, REGION_NAME, "--regions", "a Region name") or []
    given_session = session is not None
    if session is None:
        session = _session(args.profile)
    factory = ClientFactory(session)
    home = session.region_name or (wanted[0] if wanted else "")
    if not home:
        raise UsageError("no Region: give --regions, or set one (AWS_REGION, AWS_DEFAULT_REGION or the profile's region)")
    caller, partition = audit_scope.caller_identity(factory, home)
    if args.organization:
        parents = audit_scope.parse_list(args.organizational_unit_ids, OU_ID, "--organizational-unit-ids",
                                         "an OU ID (ou-...) or root ID (r-...)")
        accounts = [AccountScope(a, name) for a, name in audit_scope.organization_accounts(factory, home, parents)]
        if not accounts:
            raise ScopeError("the organization lists no ACTIVE account" + (" beneath those OUs" if parents else ""))
    elif args.accounts is not None:
        accounts = [AccountScope(a) for a in audit_scope.parse_list(args.accounts, ACCOUNT_ID, "--accounts",
                                                                   "a 12-digit account ID")]
    else:
        accounts = [AccountScope(caller)]
    for scope in accounts:
        scope.planned = (home,) if args.regions is None else tuple(wanted or ())
    others = [s.account for s in accounts if s.account != caller]
    if others and args.role_name is None:
        raise UsageError(f"reading account {others[0]}" + (f" and {len(others) - 1} more" if len(others) > 1 else "")
                         + f" needs --role-name (the caller's credentials read only {caller})")
    plan = Plan(settings=settings, today=today, home=home, partition=partition, wanted=wanted,
                regions_given=args.regions is not None, role_name=args.role_name, external_id=args.external_id,
                concurrency=args.concurrency, security_hub=args.security_hub, profile=args.profile,
                reader=reader or live_reader)
    processes = process_count(args.processes, settings, len(accounts), injected=given_session)
    progress = None
    if len(accounts) > 1 and (args.progress or _is_terminal(sys.stderr)):
        progress = Progress(sys.stderr, terminal=_is_terminal(sys.stderr))
    if processes > 1:
        results = _in_processes(plan, accounts, processes, progress)
    else:
        results = list(audit_accounts(plan, accounts, factory, progress))
    results.sort(key=lambda r: (r.account, r.region))
    report = ScanReport(expired_exemptions=expired_exemptions(settings.exemptions, today))
    for result in results:  # an account not audited at all is a "file" named by the account alone
        report.files.append(result.entry)
        report.records.extend(result.records)
    return AuditReport(report, sorted(accounts, key=lambda s: s.account), results)


@dataclass(frozen=True)
class Plan:
    """What every account is audited with: the command line, read once (it reaches worker
    processes by the fork)."""

    settings: Any
    today: Any
    home: str
    partition: str
    wanted: list[str] | None
    regions_given: bool
    role_name: str | None
    external_id: str | None
    concurrency: int
    security_hub: bool
    profile: str | None
    reader: Reader


def audit_accounts(plan: Plan, accounts: Sequence[AccountScope], factory: ClientFactory,
                   progress: Progress | None = None) -> Iterator[PairResult]:
    """Every (account, Region) result of ``accounts``, read with ``factory``'s clients."""
    def prepare(scope: AccountScope) -> None:
        if plan.role_name is not None:
            credentials = audit_scope.assume(factory, plan.home, plan.partition, scope.account, plan.role_name,
                                             plan.external_id)
            if isinstance(credentials, str):
                scope.not_audited = credentials
                return
            scope.credentials = credentials
        if not plan.regions_given:
            scope.regions = (plan.home,)
            return
        audit_scope.regions_of(scope, plan.wanted, audit_scope.enabled_regions(factory, scope, plan.home))

    trust_session = factory.caller(plan.home) if plan.settings.account_source != "Static" else None
    after = None
    if plan.security_hub:
        from .audit_hub import Importer

        after = Importer(factory)
    audit = Audit(factory, plan.settings, plan.reader, trust_session=trust_session, today=plan.today, after=after)
    return run(audit, accounts, prepare, plan.concurrency, progress)


def process_count(requested: int | None, settings: Any, accounts: int, injected: bool = False) -> int:
    """Worker processes: ``--processes``, else one per usable CPU (at most 4) when there are at
    least 8 accounts. The audit's CPU is botocore's (signing, serialising, parsing each call under
    one interpreter lock), so one process tops out at latency / CPU per call in flight. One with
    AccountSource Organizations or Snapshot (the membership cache stays in one process) and for a
    session given by a test."""
    if injected or settings.account_source != "Static" or accounts < 2:
        return 1
    if requested is not None:
        return min(requested, accounts)
    return min(usable_cpus(), MAX_AUTO_PROCESSES) if accounts >= 8 else 1


def _in_processes(plan: Plan, accounts: list[AccountScope], processes: int,
                  progress: Progress | None) -> list[PairResult]:
    """The accounts in chunks, each audited by a worker process with its own session and thread
    pool (``plan.concurrency`` threads in each); results in chunk order."""
    size = max(1, min(16, len(accounts) // (processes * 4)))
    chunks = [accounts[i:i + size] for i in range(0, len(accounts), size)]
    if progress is not None:
        progress.start(len(accounts))
    results: list[PairResult] = []
    try:
        for chunk, found in zip(chunks, ordered_map(_audit_chunk, plan, chunks, processes)):
            results += found
            if progress is not None:
                progress.planned(sum(1 for r in found if r.region))
                for result in found:
                    if result.region:
                        progress.pair_done(result.audited)
                for scope in chunk:
                    progress.account_done(any(not r.audited for r in found if r.account == scope.account))
    except WorkerFailed as error:
        raise UsageError(f"{error}; --processes 1 audits in this process") from None
    finally:
        if progress is not None:
            progress.close()
    return results


def _audit_chunk(plan: Plan, chunk: list[AccountScope]) -> list[PairResult]:
    """In a worker process: a session of its own (connections are never shared across a fork)."""
    return list(audit_accounts(plan, chunk, ClientFactory(_session(plan.profile))))


def live_reader(clients: Any, *, account: str, region: str, partition: str) -> Any:
    """The live configuration of one account and Region (``aws_api/live.py``)."""
    from ..aws_api import live

    return live.read_registry(live.LiveClients.of(clients, region), account=account, region=region,
                              partition=partition)


def _session(profile: str | None) -> Any:
    import boto3
    from botocore.exceptions import BotoCoreError

    try:
        return boto3.session.Session(profile_name=profile)
    except BotoCoreError as error:
        raise UsageError(f"--profile {profile}: {error}") from None


# -- output -------------------------------------------------------------------------------------


def _write(audit: AuditReport, fmt: str, target: str | None, args: argparse.Namespace) -> None:
    if fmt == "text":
        text = render_text(audit, colour=target is None and _colour(sys.stdout), quiet=args.quiet, verbose=args.verbose)
    elif fmt == "json":
        text = render_json(audit)
    elif fmt == "sarif":
        text = render_sarif(audit)
    else:
        text = render_junit(audit)
    emit(text, target)


def render_text(audit: AuditReport, colour: bool = False, quiet: bool = False, verbose: bool = False) -> str:
    """The scan's text (findings, with ``account/Region`` for the file), its file-count summary
    line replaced by the audit's, then one row per account and every part not audited."""
    lines = FORMATS["text"](audit.report, colour=colour, quiet=quiet, verbose=verbose).splitlines()[:-1]
    rows = audit.rows()
    if lines:
        lines.append("")
    header = ("account", "name", "Regions", "resources", "failing", "exempted", "status")
    table = [header] + [(r["account"], r["name"][:24], f"{r['regionsRead']}/{r['regionsPlanned'] or '?'}", str(r["resources"]),
                         str(r["failing"]), str(r["exempted"]), _status(r)) for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header) - 1)]
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(row[:-1], widths)) + "  " + row[-1] for row in table]
    missing = [m for r in rows for m in r["notAudited"]]
    if missing:
        lines.append("")
        lines += [f"not audited: {m['where']}: {m['what']}: {m['reason']}" for m in missing]
    notes = [note for r in rows for note in r["notes"]]
    lines += notes
    s = audit.report.summary()
    verdict = "FAILED" if s["failing"] else "passed"
    if colour and s["failing"]:
        verdict = f"\033[31m\033[1m{verdict}\033[0m"
    read = sum(r["regionsRead"] for r in rows)
    lines.append(
        f"{verdict}: {len(rows)} account(s), {read} account-Region(s) read, {s['resources']} ECR resource(s), "
        f"{s['findings'] - len(missing)} finding(s): {s['failing'] - len(missing)} failing, {s['exempted']} exempted"
        + (f"; INCOMPLETE: {len(missing)} part(s) not audited" if missing else "")
    )
    return "\n".join(lines) + "\n"


def _status(row: dict) -> str:
    if row["complete"]:
        return "audited"
    if not row["regions"]:
        return "not audited: " + row["notAudited"][0]["reason"]
    return f"incomplete: {len(row['notAudited'])} part(s) not audited"


def render_json(audit: AuditReport) -> str:
    """The scan's document (``files`` are the (account, Region) pairs read), plus ``audit``."""
    document = json.loads(FORMATS["json"](audit.report))
    rows = audit.rows()
    document["audit"] = {
        "complete": audit.complete,
        "summary": {
            "accounts": len(rows),
            "accountsComplete": sum(1 for r in rows if r["complete"]),
            "regionsRead": sum(r["regionsRead"] for r in rows),
            "notAudited": sum(len(r["notAudited"]) for r in rows),
        },
        "accounts": rows,
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def render_sarif(audit: AuditReport) -> str:
    """The scan's SARIF; the run's invocation says whether everything was read, and names
    every part not audited as a tool execution notification (results carry them too)."""
    document = json.loads(FORMATS["sarif"](audit.report))
    run_ = document["runs"][0]
    run_["tool"]["driver"]["fullName"] = "DataPerimeter::ECR::ReplicationGuard hook-handler audit"
    run_["invocations"] = [{
        "executionSuccessful": audit.complete,
        "toolExecutionNotifications": [
            {"level": "error", "message": {"text": f"not audited: {m['where']}: {m['what']}: {m['reason']}"}}
            for r in audit.rows() for m in r["notAudited"]
        ],
    }]
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def render_junit(audit: AuditReport) -> str:
    """The scan's JUnit: a suite per (account, Region) with ECR resources or a part not audited."""
    import xml.etree.ElementTree as ET

    root = ET.fromstring(FORMATS["junit"](audit.report))
    root.set("name", "hook-handler audit")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


__all__ = ["AuditReport", "add_arguments", "audit_report", "run_command"]

