"""`make bench`: every measurement of issues 7 and 20 in one run, then docs/performance.md and the plot.

Usage: bench/.venv/bin/python bench/run.py [--quick]   (--quick: fewer repeats, for a smoke run)
Results are also kept in bench/work/results.json."""

from __future__ import annotations

import compileall
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:0] = [os.path.join(ROOT, "src"), HERE]

import core_bench  # noqa: E402
import flat_bench  # noqa: E402
import hook_bench  # noqa: E402
import lambda_hook_bench  # noqa: E402
import report  # noqa: E402
import scan_bench  # noqa: E402
import stack_bench  # noqa: E402


def step(name: str, fn, *args, **kwargs):
    t0 = time.perf_counter()
    print(f"bench: {name} ...", flush=True)
    out = fn(*args, **kwargs)
    print(f"bench: {name} done in {time.perf_counter() - t0:.1f} s", flush=True)
    return out


def orgs(cold_repeat: int, warm_repeat: int) -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([os.path.join(ROOT, "src"), HERE])}
    proc = subprocess.run([sys.executable, os.path.join(HERE, "orgs_bench.py"), str(cold_repeat), str(warm_repeat)],
                          env=env, capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    work = os.path.join(HERE, "work")
    os.makedirs(work, exist_ok=True)
    if "--report-only" in argv:  # re-render docs from the last bench/work/results.json
        with open(os.path.join(work, "results.json")) as f:
            report.write(json.load(f), os.path.join(ROOT, "docs"))
        return 0
    # Byte-compile the sources every fresh interpreter below imports, as pip does when it installs
    # the package: otherwise each run compiles them again (PYTHONDONTWRITEBYTECODE, or a stale cache).
    compileall.compile_dir(os.path.join(ROOT, "src"), quiet=1)
    started = time.perf_counter()
    results = {
        "core": step("core analysis vs cfn-guard-rs", core_bench.run, repeat=3 if quick else 9),
        "growth": step("no growth with the trusted set, sizes interleaved", core_bench.growth,
                       repeat=5 if quick else 15),
        "core_cold": step("core analysis, cold vs cold", core_bench.cold, repeat=2 if quick else 7),
        "flat": step("policy analysis flat, every operator family", flat_bench.run, repeat=2 if quick else 15),
        "warm": step("warm invocation vs floor", hook_bench.warm, repeat=5 if quick else 21),
        "session": step("boto3 session share of the floor", hook_bench.session_share, repeat=5 if quick else 21),
        "cold": step("cold start vs floor", hook_bench.cold, repeat=3 if quick else 15),
        "import_path": step("import path", hook_bench.import_path),
        "memory": {
            "warm_3": step("memory: warm invocations", hook_bench.memory, 3),
            "warm_5000": step("memory: warm invocations, 5,000 accounts", hook_bench.memory, 5000),
            "core_20000": step("memory: core at 20,000 accounts", hook_bench.core_memory, 20000),
        },
        "scan": step("scan templates", scan_bench.run, work, repeat=1 if quick else 5),
        "stack": step("STACK target", stack_bench.run, repeat=2 if quick else 7),
        "orgs": step("Organizations, 10,000 accounts", orgs, 1 if quick else 3, 3 if quick else 10),
        "lambda_hook": step("Lambda hook cold start vs a bare handler", lambda_hook_bench.run, repeat=3 if quick else 15),
    }
    results["machine"] = report.machine()
    results["seconds"] = time.perf_counter() - started
    results = json.loads(json.dumps(results))  # the same (string) keys as a re-read results.json
    with open(os.path.join(work, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    report.write(results, os.path.join(ROOT, "docs"))
    # Organization-scale trust sources (issue 17): a module of its own writing a page of its own.
    step("trust sources at 10,000 accounts", subprocess.run, [sys.executable, os.path.join(HERE, "snapshot_bench.py"),
         "--write", os.path.join(ROOT, "docs", "performance-snapshot.md")], check=True, stdout=subprocess.DEVNULL)
    step("audit of 201 accounts x 4 Regions x 50 repositories", subprocess.run, [sys.executable, os.path.join(
        HERE, "audit_bench.py"), "--write", os.path.join(ROOT, "docs", "performance-audit.md")], check=True,
        stdout=subprocess.DEVNULL)
    print(f"bench: all done in {results['seconds']:.0f} s; wrote docs/performance.md")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
