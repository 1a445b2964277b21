"""How ``hook-handler audit`` reads: a bounded pool of threads over the accounts (assume the
role, list the Regions) and then over (account, Region) pairs (read the live configuration,
judge it with :func:`..assess.assess`), results handed back as each pair finishes.

The work is I/O: each pair's calls wait on the network, so a few dozen threads keep many pairs in
flight with one process. At most ``concurrency`` tasks run at once, and a pair of an account
already prepared starts before the next account is prepared, so an account's Regions are read
together (its role credentials stay fresh) and results never pile up: each pair keeps only its
findings and the list of what it read, not the resources themselves.

A pair that cannot be read is never compliant: every read that failed (``NotRead``), every
Region skipped and every account whose role cannot be assumed becomes a result with a reason,
and an exception in a worker (a bug) is one too.
"""

from __future__ import annotations

import concurrent.futures
import datetime
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Sequence

from ..assess import Assessment, Resource, assess
from ..core.partitions import partition_of_region
from ..core.rules import AUDIT_NOT_AUDITED
from ..exemptions import Judged
from ..invocation import Invocation
from ..settings import Settings
from ..trust_sources import TrustUnavailable
from .audit_scope import AccountScope, ClientFactory, Clients, cut
from .output import FileEntry, Record, ResourceEntry, is_failing

NOT_AUDITED_REMEDIATION = ("Deploy the read role (deploy/audit-read-role.yaml) in the account, enable the Region or "
                           "leave it out of --regions, or allow the call named; then run the audit again")

# reader(clients, account=, region=, partition=) -> Resource or NotRead(what, reason) items (aws_api.live.read_registry)
Reader = Callable[..., Iterable[Any]]
# after(scope, region, partition, assessment, not_read) -> (a note, why it failed or None), run in the worker
# once the pair is judged (the Security Hub import)
After = Callable[[AccountScope, str, str, Assessment, list[tuple[str, str]]], tuple[str, str | None]]


@dataclass
class PairResult:
    """What one (account, Region) gave. ``region`` is ``""`` for an account not audited at all."""

    account: str
    region: str
    entry: FileEntry
    records: list[Record] = field(default_factory=list)
    not_read: list[tuple[str, str]] = field(default_factory=list)  # (what, why)
    notes: list[str] = field(default_factory=list)

    @property
    def audited(self) -> bool:
        return not self.not_read

    @property
    def resources(self) -> int:
        return len(self.entry.resources)


def location(account: str, region: str) -> str:
    """Where a result is, in every output format: ``account/Region`` (the "file" of a scan)."""
    return f"{account}/{region}" if region else account


def not_audited(account: str, region: str, what: str, why: str) -> PairResult:
    where = location(account, region)
    finding = AUDIT_NOT_AUDITED.finding(path="", subject=cut(what, 200),
                                        message=f"not audited: {cut(what, 200)}: {cut(why, 600)}",
                                        remediation=NOT_AUDITED_REMEDIATION)
    return PairResult(account, region, FileEntry(where), [Record(where, None, Judged(finding), True)], [(what, why)])


@dataclass
class Audit:
    """Everything a run needs besides the scope."""

    factory: ClientFactory
    settings: Settings
    reader: Reader
    trust_session: Any = None  # the caller's session, for AccountSource Organizations/Snapshot
    today: datetime.date | None = None
    after: After | None = None

    def read_pair(self, scope: AccountScope, region: str) -> PairResult:
        """One (account, Region): read, judge, record. Never raises."""
        try:
            return self._read_pair(scope, region)
        except Exception as error:  # noqa: BLE001 - a failing worker is "not audited", never a traceback
            return not_audited(scope.account, region, "the Region",
                               f"the audit failed: {type(error).__name__}: {cut(str(error))}")

    def _read_pair(self, scope: AccountScope, region: str) -> PairResult:
        partition = partition_of_region(region)
        where = location(scope.account, region)
        clients: Clients = self.factory.of(scope, region)
        resources: list[Resource] = []
        result = PairResult(scope.account, region, FileEntry(where))
        for item in self.reader(clients, account=scope.account, region=region, partition=partition):
            if isinstance(item, Resource):
                resources.append(item)
            else:  # NotRead(what, reason)
                what, why = str(getattr(item, "what", "a read")), str(getattr(item, "reason", repr(item)))
                failed = not_audited(scope.account, region, what, why)
                result.records += failed.records
                result.not_read += failed.not_read
        invocation = Invocation(account_id=scope.account, region=region, partition=partition)
        try:
            assessment = assess(resources, self.settings, invocation, self.trust_session, stack_name="",
                                today=self.today, exemption_account=scope.account)
        except TrustUnavailable as error:
            return not_audited(scope.account, region, "the trusted set", f"cannot build the trusted set: {error}")
        for assessed in assessment.resources:
            resource = assessed.resource
            result.entry.resources.append(ResourceEntry(resource.logical_id, resource.resource_type, None))
            result.records += [Record(where, None, judged, is_failing(judged, False)) for judged in assessed.judged]
        if self.after is not None:
            note, failed = self.after(scope, region, partition, assessment, list(result.not_read))
            if note:
                result.notes.append(note)
            if failed:
                undone = not_audited(scope.account, region, "the Security Hub import", failed)
                result.records += undone.records
                result.not_read += undone.not_read
        return result


def run(audit: Audit, accounts: Sequence[AccountScope], prepare: Callable[[AccountScope], None],
        concurrency: int, progress: Progress | None = None) -> Iterator[PairResult]:
    """Every result, in the order the pairs finish. ``prepare(scope)`` sets the account's
    credentials and Regions (or ``not_audited``); it runs in the pool too."""
    waiting = deque(accounts)
    ready: deque[tuple[AccountScope, str]] = deque()
    left: dict[str, int] = {}
    running: dict[concurrent.futures.Future[Any], tuple[str, AccountScope, str]] = {}
    if progress is not None:
        progress.start(len(accounts))
    with concurrent.futures.ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="audit") as pool:
        try:
            while waiting or ready or running:
                while len(running) < concurrency and (ready or waiting):
                    if ready:
                        scope, region = ready.popleft()
                        running[pool.submit(audit.read_pair, scope, region)] = ("pair", scope, region)
                    else:
                        scope = waiting.popleft()
                        running[pool.submit(_prepared, prepare, scope)] = ("account", scope, "")
                done, _ = concurrent.futures.wait(running, return_when=concurrent.futures.FIRST_COMPLETED)
                for future in done:
                    kind, scope, region = running.pop(future)
                    if kind == "account":
                        if scope.not_audited is not None:
                            yield not_audited(scope.account, "", "the account", scope.not_audited)
                        for skipped, why in sorted(scope.skipped.items()):
                            yield not_audited(scope.account, skipped, "the Region", why)
                        left[scope.account] = len(scope.regions) if scope.not_audited is None else 0
                        ready.extend((scope, r) for r in (scope.regions if scope.not_audited is None else ()))
                        if progress is not None:
                            progress.planned(len(scope.regions) if scope.not_audited is None else 0)
                            if not left[scope.account]:
                                progress.account_done(scope.not_audited is not None or bool(scope.skipped))
                        continue
                    result = future.result()
                    left[scope.account] -= 1
                    if progress is not None:
                        progress.pair_done(result.audited)
                        if not left[scope.account]:
                            progress.account_done(bool(scope.skipped))
                    yield result
        finally:
            for future in running:
                future.cancel()
            if progress is not None:
                progress.close()


def _prepared(prepare: Callable[[AccountScope], None], scope: AccountScope) -> None:
    try:
        prepare(scope)
    except Exception as error:  # noqa: BLE001 - an account that cannot be prepared is not audited
        scope.not_audited = f"the audit failed: {type(error).__name__}: {cut(str(error))}"


class Progress:
    """A progress line on ``stream`` (stderr): on a terminal one line redrawn at most
    ``per_second`` times a second; elsewhere (``--progress`` in CI logs) a line each time
    another tenth of the accounts is done, so its output stays bounded however many accounts."""

    def __init__(self, stream: Any = None, terminal: bool = True, per_second: float = 10.0,
                 clock: Callable[[], float] = time.monotonic):
        self.stream = stream if stream is not None else sys.stderr
        self.terminal = terminal
        self.interval = 1.0 / per_second
        self.clock = clock
        self.accounts = self.accounts_done = self.pairs = self.pairs_done = self.incomplete = 0
        self._shown = -1.0
        self._tenth = 0
        self.lines = 0

    def start(self, accounts: int) -> None:
        self.accounts = accounts
        self._draw(force=True)

    def planned(self, pairs: int) -> None:
        self.pairs += pairs

    def pair_done(self, audited: bool) -> None:
        self.pairs_done += 1
        self._draw()

    def account_done(self, incomplete: bool) -> None:
        self.accounts_done += 1
        self.incomplete += incomplete
        self._draw(force=self.accounts_done == self.accounts)

    def text(self) -> str:
        width = 24
        filled = int(width * self.accounts_done / self.accounts) if self.accounts else width
        bar = "#" * filled + "." * (width - filled)
        more = f", {self.incomplete} not fully audited" if self.incomplete else ""
        return (f"audit [{bar}] {self.accounts_done}/{self.accounts} accounts, "
                f"{self.pairs_done}/{self.pairs} Regions read{more}")

    def _draw(self, force: bool = False) -> None:
        if self.terminal:
            now = self.clock()
            if not force and now - self._shown < self.interval:
                return
            self._shown = now
            self.stream.write("\r" + self.text().ljust(79))
        else:
            tenth = int(10 * self.accounts_done / self.accounts) if self.accounts else 10
            if not force and tenth <= self._tenth:
                return
            self._tenth = tenth
            self.stream.write(self.text() + "\n")
        self.lines += 1
        self.stream.flush()

    def close(self) -> None:
        if self.terminal:
            self.stream.write("\r" + " " * 79 + "\r")
            self.stream.flush()
