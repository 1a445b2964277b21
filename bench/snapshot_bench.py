"""(snapshot) The trusted set at organization scale: Organizations calls and S3 GETs per hour
for a 10,000-account organization with the hook active in every account, for AccountSource
Organizations (OrganizationsLookup Auto and NamedAccounts) and Snapshot; the producer's cost per
refresh; a 100,000-account snapshot's parse time and memory; warm-invocation cost.

The sources are the real ones (``OrganizationsSource``, ``SnapshotSource``, the producer's
``publish``), each execution environment its own cache on one simulated clock; AWS is an
in-memory organization and bucket that count the calls (moto is far too slow for 10,000
environments), with a simulated latency per Organizations call charged to the hook's deadline.

Assumptions (the model, stated in the report):
- 10,000 accounts, one Region; ``SAMPLE`` accounts' hooks simulated and the totals scaled (the
  accounts' environments are independent; Organizations' shared throttling is not modelled); every account's hook answers ``INVOCATIONS_PER_HOUR`` invocations
  on average (Poisson arrivals over one hour: stack operations x resources), one at a time;
- an execution environment is reused while invocations come less than ``IDLE_SECONDS`` apart,
  else the next invocation is a cold start with an empty cache (Lambda recycles idle
  environments after minutes; the rate is measured, not assumed);
- each invocation names 3 random member accounts; ``CacheTtlSeconds`` 300;
- an Organizations call takes ``CALL_SECONDS`` (what the listing budget of 8 s buys);
- the organization has 500 OUs of 20 accounts, three levels deep.

    bench/.venv/bin/python bench/snapshot_bench.py [--write docs/performance-snapshot.md]
"""

from __future__ import annotations

import gc
import json
import os
import random
import sys
import time
import tracemalloc
from collections import Counter
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "src"))

from botocore.exceptions import ClientError  # noqa: E402

from dataperimeter_ecr_replicationguard import snapshot_producer  # noqa: E402
from dataperimeter_ecr_replicationguard.invocation import Invocation  # noqa: E402
from dataperimeter_ecr_replicationguard.settings import parse_settings  # noqa: E402
from dataperimeter_ecr_replicationguard.trust_sources import TrustUnavailable, membership, snapshot  # noqa: E402
from dataperimeter_ecr_replicationguard.trust_sources import organizations as org_calls  # noqa: E402

ACCOUNTS = 10_000
SAMPLE = 500  # accounts whose hooks are simulated; totals are scaled by ACCOUNTS / SAMPLE (accounts are independent)
INVOCATIONS_PER_HOUR = 12
IDLE_SECONDS = 600
CALL_SECONDS = 0.15
TTL = 300
ORG_ID = "o-a1b2c3d4e5"
ROOT = "r-ab12"
LOCATION = "s3://org-snapshots/ecr/membership.json"


# -- an in-memory organization and bucket that count calls ---------------------------------------


class Organization:
    """``accounts`` ACTIVE accounts in OUs of ``per_ou`` accounts, ``depth`` levels deep; the
    Organizations API as boto3 answers it (pages of 20), counting every call on ``calls``."""

    def __init__(self, accounts: int, per_ou: int = 20, depth: int = 3, clock: Any = None):
        self.calls: Counter[str] = Counter()
        self.clock = clock
        self.children: dict[str, list[str]] = {ROOT: []}
        self.parent: dict[str, str] = {}
        self.accounts_of: dict[str, list[str]] = {ROOT: []}
        ous = max(1, accounts // per_ou)
        level = [ROOT]
        made = 0
        while made < ous:
            nxt = []
            for parent in level:
                for _ in range(max(1, round(ous ** (1 / depth)))):
                    if made == ous:
                        break
                    ou = f"ou-ab12-{made:08d}"
                    self.children[parent].append(ou)
                    self.children[ou], self.accounts_of[ou], self.parent[ou] = [], [], parent
                    nxt.append(ou)
                    made += 1
            level = nxt or level
        leaves = [ou for ou in self.children if ou != ROOT]
        self.ids = [f"{100000000000 + i:012d}" for i in range(accounts)]
        for i, account in enumerate(self.ids):
            ou = leaves[i % len(leaves)]
            self.accounts_of[ou].append(account)
            self.parent[account] = ou
        self.items = [{"Id": a, "State": "ACTIVE"} for a in self.ids]

    def _call(self, name: str) -> None:
        self.calls[name] += 1
        if self.clock is not None:
            self.clock.t += CALL_SECONDS

    @staticmethod
    def _page(items: list, key: str, token: str | None, size: int = 20) -> dict:
        start = int(token or 0)
        page = {key: items[start:start + size]}
        if start + size < len(items):
            page["NextToken"] = str(start + size)
        return page

    def describe_organization(self, **_):
        self._call("DescribeOrganization")
        return {"Organization": {"Id": ORG_ID}}

    def list_roots(self, NextToken=None, **_):
        self._call("ListRoots")
        return {"Roots": [{"Id": ROOT}]}

    def list_accounts(self, NextToken=None, **_):
        self._call("ListAccounts")
        return self._page(self.items, "Accounts", NextToken)

    def list_accounts_for_parent(self, ParentId, NextToken=None, **_):
        self._call("ListAccountsForParent")
        return self._page([{"Id": a, "State": "ACTIVE"} for a in self.accounts_of[ParentId]], "Accounts", NextToken)

    def list_organizational_units_for_parent(self, ParentId, NextToken=None, **_):
        self._call("ListOrganizationalUnitsForParent")
        return self._page([{"Id": o} for o in self.children[ParentId]], "OrganizationalUnits", NextToken)

    def list_parents(self, ChildId, **_):
        self._call("ListParents")
        parent = self.parent[ChildId]
        return {"Parents": [{"Id": parent, "Type": "ROOT" if parent == ROOT else "ORGANIZATIONAL_UNIT"}]}

    def describe_account(self, AccountId, **_):
        self._call("DescribeAccount")
        if AccountId not in self.parent:
            raise ClientError({"Error": {"Code": "AccountNotFoundException", "Message": "no"}}, "DescribeAccount")
        return {"Account": {"Id": AccountId, "State": "ACTIVE"}}


class Bucket:
    """One object, GetObject with IfNoneMatch answered 304 as S3 does; counts GETs."""

    def __init__(self):
        self.data, self.etag, self.gets, self.not_modified = b"", "", 0, 0

    def put_object(self, Body, **_):
        import hashlib

        self.data, self.etag = Body, '"' + hashlib.md5(Body).hexdigest() + '"'

    def get_object(self, IfNoneMatch=None, **_):
        if not self.data:
            raise ClientError({"Error": {"Code": "NoSuchKey", "Message": "no"}}, "GetObject")
        self.gets += 1
        if IfNoneMatch == self.etag:
            self.not_modified += 1
            raise ClientError({"Error": {"Code": "304", "Message": "Not Modified"},
                               "ResponseMetadata": {"HTTPStatusCode": 304}}, "GetObject")
        import io

        return {"Body": io.BytesIO(self.data), "ETag": self.etag}


class Session:
    def __init__(self, organization: Organization, bucket: Bucket):
        self.organization, self.bucket = organization, bucket

    def client(self, service, **_):
        return {"organizations": self.organization, "s3": self.bucket}[service]


class Clock:
    def __init__(self, t: float = 0.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


# -- the hour of 10,000 accounts -----------------------------------------------------------------


def schedule(rng: random.Random) -> list[tuple[float, int]]:
    """(time, account index) of every invocation in the hour, in time order."""
    events = []
    for account in range(SAMPLE):
        t = 0.0
        while True:
            t += rng.expovariate(INVOCATIONS_PER_HOUR / 3600)
            if t >= 3600:
                break
            events.append((t, account))
    events.sort()
    return events


def simulate(source_name: str, lookup: str = "Auto", seed: int = 17) -> dict:
    rng = random.Random(seed)
    clock = Clock(1_000_000.0)
    organization = Organization(ACCOUNTS, clock=clock)
    bucket = Bucket()
    publish_clock = Clock(clock.t)
    snapshot_producer.publish(organization, bucket, "org-snapshots", "ecr/membership.json", clock=publish_clock)
    organization.calls.clear()
    session = Session(organization, bucket)
    settings = parse_settings({"AccountSource": source_name, "TrustedOrganizationIds": ORG_ID,
                               "OrganizationsLookup": lookup, "SnapshotLocation": LOCATION,
                               "CacheTtlSeconds": str(TTL), "TrustDeployingAccount": "false"})
    real_deadline = org_calls.Deadline
    membership.Deadline = lambda seconds=org_calls.BUDGET_SECONDS, clock=clock, sleep=None: real_deadline(  # type: ignore
        seconds, clock, sleep or (lambda _: None))
    environments: dict[int, tuple[Any, float]] = {}  # account -> (source, last invocation)
    cold = invocations = failed = 0
    gets_per_window: Counter[tuple[int, int]] = Counter()
    start = clock.t
    try:
        for offset, account in schedule(rng):
            clock.t = start + offset
            env = environments.get(account)
            if env is None or clock.t - env[1] > IDLE_SECONDS:
                cold += 1
                if source_name == "Snapshot":
                    src: Any = snapshot.SnapshotSource(snapshot.SnapshotCache(clock))
                else:
                    src = membership.OrganizationsSource(membership.MembershipCache(clock))
                env = (src, clock.t)
            src = env[0]
            environments[account] = (src, clock.t)
            named = rng.sample(organization.ids, 3)
            resource = {"ReplicationConfiguration": {"Rules": [{"Destinations": [
                {"Region": "eu-west-1", "RegistryId": a} for a in named]}]}}
            invocation = Invocation(account_id=organization.ids[account], region="eu-west-1", partition="aws")
            before = bucket.gets
            try:
                trust = src.resolve(settings, invocation, session, resource)
                assert set(named) <= trust.accounts
            except TrustUnavailable:
                failed += 1
            if bucket.gets > before:
                gets_per_window[(account, int((clock.t - start) // TTL))] += bucket.gets - before
            invocations += 1
    finally:
        membership.Deadline = real_deadline  # type: ignore
    scale = ACCOUNTS // SAMPLE
    return {
        "source": source_name if source_name == "Snapshot" else f"Organizations ({lookup})",
        "invocations": invocations * scale, "cold_starts": cold * scale, "failed": failed * scale,
        "organizations_calls": sum(organization.calls.values()) * scale,
        "by_api": {k: v * scale for k, v in organization.calls.items()},
        "s3_gets": bucket.gets * scale, "s3_not_modified": bucket.not_modified * scale,
        "max_gets_per_environment_per_ttl": max(gets_per_window.values(), default=0),
    }


# -- the producer, the 100,000-account snapshot, the warm path ------------------------------------


def producer_cost(accounts: int) -> dict:
    organization = Organization(accounts)
    bucket = Bucket()
    started = time.perf_counter()
    result = snapshot_producer.publish(organization, bucket, "b", "k")
    seconds = time.perf_counter() - started
    ous = len(organization.children) - 1
    walk = sum(organization.calls.values())
    # The alternative: ListAccounts (accounts / 20 pages) plus ListParents up every account's path.
    depth = sum(_depth(organization, a) for a in organization.ids)
    return {"accounts": accounts, "ous": ous, "walk_calls": walk, "by_api": dict(organization.calls),
            "list_accounts_and_parents_calls": 1 + -(-accounts // 20) + depth, "bytes": result["bytes"],
            "seconds_in_memory": round(seconds, 2)}


def _depth(organization: Organization, account: str) -> int:
    n, node = 0, account
    while node != ROOT:
        node, n = organization.parent[node], n + 1
    return n


def large_snapshot(accounts: int = 100_000, repeat: int = 3) -> dict:
    organization, bucket = Organization(accounts), Bucket()
    snapshot_producer.publish(organization, bucket, "b", "k")
    data = bucket.data
    times = []
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        snapshot.parse_snapshot(data, LOCATION)
        times.append(time.perf_counter() - started)
    gc.collect()
    tracemalloc.start()
    held = snapshot.parse_snapshot(data, LOCATION)
    trusted = frozenset(held.accounts)
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(trusted) == accounts
    return {"accounts": accounts, "bytes": len(data), "parse_seconds_min": round(min(times), 3),
            "held_mib": round(current / 2**20, 1), "peak_mib": round(peak / 2**20, 1)}


def warm_cost(number: int = 20_000) -> dict:
    """Microseconds per resolve within the TTL: Static (the floor) vs Snapshot (10,000 accounts)."""
    clock = Clock(1_000_000.0)
    organization, bucket = Organization(ACCOUNTS), Bucket()
    snapshot_producer.publish(organization, bucket, "org-snapshots", "ecr/membership.json", clock=clock)
    session = Session(organization, bucket)
    invocation = Invocation(account_id="111111111111", region="eu-west-1", partition="aws")
    static = parse_settings({"TrustedAccountIds": "222222222222"})
    snap = parse_settings({"AccountSource": "Snapshot", "TrustedOrganizationIds": ORG_ID,
                           "SnapshotLocation": LOCATION})
    orgs = parse_settings({"AccountSource": "Organizations", "TrustedOrganizationIds": ORG_ID})
    results = {}
    for name, settings, src in (("Static", static, None),
                                ("Organizations", orgs, membership.OrganizationsSource(membership.MembershipCache(clock))),
                                ("Snapshot", snap, snapshot.SnapshotSource(snapshot.SnapshotCache(clock)))):
        from dataperimeter_ecr_replicationguard.trust_sources import resolve_trust

        def one(settings=settings, src=src):
            return src.resolve(settings, invocation, session, None) if src else resolve_trust(settings, invocation)

        one()
        best = float("inf")
        for _ in range(5):
            started = time.perf_counter()
            for _ in range(number):
                one()
            best = min(best, (time.perf_counter() - started) / number)
        results[name] = round(best * 1e6, 2)
    return {"us_per_resolve": results, "gets": bucket.gets}


def main() -> dict:
    sources = [simulate("Organizations", "Auto"), simulate("Organizations", "NamedAccounts"), simulate("Snapshot")]
    return {"hour": sources, "producer": [producer_cost(10_000), producer_cost(100_000)],
            "large": large_snapshot(), "warm": warm_cost(),
            "assumptions": {"accounts": ACCOUNTS, "sample": SAMPLE, "invocations_per_account_hour": INVOCATIONS_PER_HOUR,
                            "idle_seconds": IDLE_SECONDS, "call_seconds": CALL_SECONDS, "ttl": TTL}}


GOALS_MIB, GOALS_PARSE_SECONDS = 64.0, 1.0


def markdown(result: dict) -> str:
    a = result["assumptions"]
    lines = ["# Performance: the trusted set at organization scale (AccountSource Snapshot)", "",
             "Written by `bench/snapshot_bench.py` (`make bench`, or standalone). The real sources and producer; AWS "
             "simulated in memory (see the module's docstring for the model).", "",
             f"Model: {a['accounts']:,} accounts with the hook active, one Region ({a['sample']} accounts' hooks "
             f"simulated, totals scaled); {a['invocations_per_account_hour']} "
             f"invocations per account per hour (Poisson), each naming 3 random member accounts; an environment is "
             f"reused while invocations come less than {a['idle_seconds']} s apart, else a cold start; "
             f"CacheTtlSeconds {a['ttl']}; {a['call_seconds'] * 1000:.0f} ms per Organizations call.", "",
             "## One hour of the organization", "",
             "| source | invocations | cold starts | Organizations calls | S3 GETs (304) | max GETs per environment per TTL "
             "| failed closed |", "|---|---|---|---|---|---|---|"]
    for row in result["hour"]:
        lines.append(f"| {row['source']} | {row['invocations']:,} | {row['cold_starts']:,} | "
                     f"{row['organizations_calls']:,} | {row['s3_gets']:,} ({row['s3_not_modified']:,}) | "
                     f"{row['max_gets_per_environment_per_ttl']} | {row['failed']:,} |")
    snap = result["hour"][-1]
    lines += ["", "Organizations calls by API: " + "; ".join(
        f"{row['source']}: " + (", ".join(f"{k} {v:,}" for k, v in sorted(row["by_api"].items())) or "none")
        for row in result["hour"]), "",
        f"Cold starts: {snap['cold_starts'] / snap['invocations']:.0%} of the invocations (the model's idle window).", "",
        "## The producer, per refresh", "",
        "| accounts | OUs | OU walk calls (ListAccountsForParent + ListOrganizationalUnitsForParent + 2) "
        "| ListAccounts + ListParents calls | snapshot bytes |", "|---|---|---|---|---|"]
    for row in result["producer"]:
        lines.append(f"| {row['accounts']:,} | {row['ous']:,} | {row['walk_calls']:,} | "
                     f"{row['list_accounts_and_parents_calls']:,} | {row['bytes']:,} |")
    large, warm = result["large"], result["warm"]
    lines += ["", "## A 100,000-account snapshot in the hook", "",
              f"{large['bytes']:,} bytes; parsed and verified (JSON, SHA-256, every entry) in "
              f"{large['parse_seconds_min']:.3f} s (best of 3); held {large['held_mib']} MiB, peak "
              f"{large['peak_mib']} MiB while parsing (tracemalloc).", "",
              "## Warm invocations", "",
              f"Resolving the trusted set within the TTL, per invocation: Static {warm['us_per_resolve']['Static']} us, "
              f"Organizations (a cached listing of 10,000 accounts) {warm['us_per_resolve']['Organizations']} us, "
              f"Snapshot (10,000 accounts) {warm['us_per_resolve']['Snapshot']} us; {warm['gets']} GET for all of "
              "them. A warm invocation through the entrypoint costs hundreds of microseconds (docs/performance.md).", "",
              "## Goals", "", "| goal | measured | verdict |", "|---|---|---|"]
    producer = result["producer"][0]
    goals = [
        ("Snapshot: 0 Organizations calls from member accounts", f"{snap['organizations_calls']}",
         snap["organizations_calls"] == 0),
        ("Snapshot: at most one S3 GET per environment per TTL", f"{snap['max_gets_per_environment_per_ttl']}",
         snap["max_gets_per_environment_per_ttl"] <= 1),
        ("Producer: O(accounts / 20) list calls per refresh", f"{producer['walk_calls']:,} for {producer['accounts']:,} "
         f"accounts ({producer['walk_calls'] / (producer['accounts'] / 20):.2f}x accounts / 20)",
         producer["walk_calls"] <= 3 * producer["accounts"] / 20),
        ("Warm invocation cost unchanged (Snapshot resolve <= 1.2x the Organizations source's cached one)",
         f"{warm['us_per_resolve']['Snapshot'] / warm['us_per_resolve']['Organizations']:.2f}x",
         warm["us_per_resolve"]["Snapshot"] <= 1.2 * warm["us_per_resolve"]["Organizations"]),
        (f"100,000 accounts parsed in <= {GOALS_PARSE_SECONDS} s", f"{large['parse_seconds_min']:.3f} s",
         large["parse_seconds_min"] <= GOALS_PARSE_SECONDS),
        (f"100,000 accounts held in <= {GOALS_MIB:.0f} MiB (a quarter of template.yml's 256 MB)",
         f"{large['held_mib']} MiB (peak {large['peak_mib']})", large["peak_mib"] <= GOALS_MIB),
    ]
    lines += [f"| {goal} | {value} | **{'PASS' if ok else 'FAIL'}** |" for goal, value, ok in goals]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    outcome = main()
    if sys.argv[1:2] == ["--write"]:
        with open(sys.argv[2], "w", encoding="utf-8") as handle:
            handle.write(markdown(outcome))
    print(json.dumps(outcome, indent=1))
