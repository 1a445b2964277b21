"""(audit) ``hook-handler audit`` of an organization: 200 accounts x 4 Regions x 50 repositories
(every repository with a policy) against a local stand-in for the AWS APIs with a realistic
latency per call (20-50 ms, uniform), reporting the wall time against the serial floor (calls x
mean latency), the speed-up that concurrency buys, the throttling answers met, and the audit's
peak memory at a quarter of the accounts and at all of them (memory stays bounded as accounts grow).

The stand-in (``tests/audit_stub.py``) runs in a process of its own, so its work does not share
the audit's interpreter; the audit is the real command (``python -m
dataperimeter_ecr_replicationguard.cli audit --organization --role-name ...``) pointed at it with
``AWS_ENDPOINT_URL``, as a user would point it at a local endpoint. It throttles a registry (an
account and Region) beyond ``RATE`` calls a second, as ECR does; the audit's clients use
adaptive retries.

    bench/.venv/bin/python bench/audit_bench.py [--quick] [--write docs/performance-audit.md]
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
STUB = os.path.join(ROOT, "tests", "audit_stub.py")
sys.path[:0] = [os.path.join(ROOT, "tests")]

import audit_stub  # noqa: E402

ACCOUNTS, REGIONS, REPOSITORIES = 200, ["us-east-1", "eu-west-1", "eu-central-1", "us-west-2"], 50
LATENCY_MS = (20.0, 50.0)
RATE = 50.0  # calls a second per account and Region before ThrottlingException
CONCURRENCY = 32
CALLER = "100000000000"
GOAL = 10.0


def measure(accounts: int, repositories: int, concurrency: int, processes: int, rate: float = RATE) -> dict:
    """One audit of a synthetic organization of ``accounts`` members (plus the management
    account) against a fresh stand-in: wall seconds, calls answered, peak RSS, exit status."""
    server = subprocess.Popen([sys.executable, STUB, str(accounts), ",".join(REGIONS), str(repositories),
                               str(LATENCY_MS[0]), str(LATENCY_MS[1]), str(rate)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        url = server.stdout.readline().strip()
        env = {**os.environ, **audit_stub.environment(url, CALLER, REGIONS[0]),
               "PYTHONPATH": os.path.join(ROOT, "src")}
        with tempfile.TemporaryDirectory() as work:
            out = os.path.join(work, "audit.json")
            command = [sys.executable, "-m", "dataperimeter_ecr_replicationguard.cli", "audit", "--organization",
                       "--role-name", "EcrPerimeterGuardAuditRead", "--regions", ",".join(REGIONS),
                       "--concurrency", str(concurrency), "--processes", str(processes),
                       "--trusted-account-ids", CALLER,
                       "--format", "json", "--output-file", out]
            started = time.perf_counter()
            audit = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            _, status, usage = os.wait4(audit.pid, 0)
            wall = time.perf_counter() - started
            audit.returncode = os.waitstatus_to_exitcode(status)
            stderr = audit.stderr.read()
            with open(out, encoding="utf-8") as handle:
                document = json.load(handle)
        with urllib.request.urlopen(url + "/stats") as answer:  # noqa: S310 - the local stand-in
            stats = json.load(answer)
    finally:
        server.stdin.close()
        server.wait(timeout=30)
    calls = sum(stats["calls"].values())
    mean = sum(LATENCY_MS) / 2 / 1000
    return {
        "accounts": accounts + 1, "regions": len(REGIONS), "repositories": repositories, "concurrency": concurrency,
        "processes": processes,
        "wall_seconds": wall, "calls": calls, "calls_by_api": stats["calls"], "throttled": stats["throttled"],
        "serial_floor_seconds": calls * mean, "speedup": calls * mean / wall,
        # ru_maxrss of the audit and its workers (the largest one; a forked worker starts as a copy)
        "peak_rss_mib": usage.ru_maxrss / 1024, "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "exit": audit.returncode, "stderr": stderr.strip()[-300:],
        "resources": document["summary"]["resources"], "failing": document["summary"]["failing"],
        "complete": document["audit"]["complete"], "regions_read": document["audit"]["summary"]["regionsRead"],
    }


def run(quick: bool = False) -> dict:
    accounts = 20 if quick else ACCOUNTS
    processes = min(len(os.sched_getaffinity(0)), 4)  # the audit's own default
    full = measure(accounts, REPOSITORIES, CONCURRENCY, processes)
    quarter = measure(max(1, accounts // 4), REPOSITORIES, CONCURRENCY, processes)
    single = measure(max(1, accounts // 4), REPOSITORIES, CONCURRENCY, 1)
    return {"full": full, "quarter": quarter, "single": single, "latency_ms": LATENCY_MS, "rate": RATE, "goal": GOAL,
            "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                        "load": os.getloadavg()[0] if hasattr(os, "getloadavg") else None}}


def markdown(r: dict) -> str:
    f, q = r["full"], r["quarter"]
    grew = f["peak_rss_mib"] / q["peak_rss_mib"]
    lines = [
        "# Performance: `hook-handler audit` of an organization",
        "",
        "Measured by `bench/audit_bench.py` (`make bench` runs it): the real `hook-handler audit --organization",
        "--role-name ... --regions ...` against a local stand-in for ECR, ECR Public, STS, EC2 and Organizations",
        "(`tests/audit_stub.py`, its own process) that answers each call after a uniform "
        f"{r['latency_ms'][0]:.0f}-{r['latency_ms'][1]:.0f} ms",
        f"and throttles a registry beyond {r['rate']:.0f} calls a second. Every repository has a policy, so each is "
        "one more call. Generated file: re-run the benchmark rather than editing it.",
        "",
        "| organization | processes x threads | calls | wall, s | serial floor (calls x mean latency), s | speed-up "
        "| goal | throttled answers | peak RSS, MiB | CPU, s |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for m in (r["single"], q, f):
        lines.append(f"| {m['accounts']} accounts x {m['regions']} Regions x {m['repositories']} repositories | "
                     f"{m['processes']} x {m['concurrency']} | {m['calls']:,} | {m['wall_seconds']:.1f} | "
                     f"{m['serial_floor_seconds']:.0f} | {m['speedup']:.1f}x | >= {r['goal']:.0f}x "
                     f"{'met' if m['speedup'] >= r['goal'] else 'NOT met'} | {m['throttled']} | "
                     f"{m['peak_rss_mib']:.0f} | {m['cpu_seconds']:.1f} |")
    lines += [
        "",
        f"- Every account-Region was read: {f['regions_read']} of {f['accounts'] * f['regions']}, "
        f"{f['resources']:,} resources judged, {f['failing']} failing (one account in ten replicates to a "
        f"foreign registry); exit {f['exit']}.",
        f"- Memory: {grew:.2f}x the peak RSS for {f['accounts'] / q['accounts']:.1f}x the accounts; a pair keeps its "
        "findings and the names of what it read, never the resources.",
        f"- CPU per call: {1000 * f['cpu_seconds'] / f['calls']:.1f} ms (botocore signs, serialises and parses "
        "every call; one interpreter runs one at a time), so one process tops out at latency / CPU per call "
        f"= {sum(r['latency_ms']) / 2 / (1000 * f['cpu_seconds'] / f['calls']):.0f}x over serial whatever its "
        f"threads; worker processes (--processes) add CPUs. In one process here: {r['single']['speedup']:.1f}x.",
        f"- Machine: Python {r['machine']['python']}, {r['machine']['cpus']} CPUs shared with other work, "
        f"one-minute load {r['machine']['load']:.1f} at the end (the speed-up is that of a busy machine).",
        "",
        "Calls by API (largest run): " + ", ".join(f"{k} {v:,}" for k, v in sorted(f["calls_by_api"].items())) + ".",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    result = run(quick="--quick" in argv)
    if "--write" in argv:
        with open(argv[argv.index("--write") + 1], "w", encoding="utf-8") as handle:
            handle.write(markdown(result))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
