"""(4) Scanning a generated folder of 1,000 templates: ``hook-handler scan --format json`` vs
``cfn-guard validate`` with the equivalent replication rule vs ``checkov -d``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time

import timing
import workloads as w

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(os.path.dirname(HERE), "src")
GUARD = os.path.join(HERE, "node_modules", "@cdklabs", "cdk-validator-cfnguard", "bin", "ubuntu",
                     "x86_64", "cfn-guard")
HOOK_HANDLER = os.path.join(HERE, ".venv", "bin", "hook-handler")
BENCH_PYTHON = os.path.join(HERE, ".venv", "bin", "python")
CHECKOV = os.path.join(HERE, ".venv-checkov", "bin", "checkov")
TRUSTED = 50


def prepare(work: str, count: int = 1000) -> dict:
    folder = os.path.join(work, "templates")
    shutil.rmtree(folder, ignore_errors=True)
    accounts = w.trusted_accounts(TRUSTED)
    bad = w.scan_folder(folder, accounts, count)
    rule = os.path.join(work, "ecr-replication.guard")
    with open(rule, "w") as f:
        f.write(w.guard_rule(accounts))
    return {"folder": folder, "rule": rule, "accounts": accounts, "bad": bad, "count": count}


def commands(p: dict) -> dict[str, list[str]]:
    hook_handler = [HOOK_HANDLER, "scan", p["folder"], "--format", "json", "--trusted-account-ids",
                    ",".join(p["accounts"]), "--account", w.DEPLOYING, "--region", "eu-west-1"]
    return {
        "hook_handler": hook_handler,
        # The same scan in one process: what the workers (one per CPU) contribute.
        "hook_handler_one_process": hook_handler + ["--jobs", "1"],
        # An interpreter that imports cfn-lint's decoder and exits: what any scan built on
        # cfn-lint pays before its first file.
        "cfn_lint_import": [BENCH_PYTHON, "-c", "import cfnlint.decode"],
        "cfn_guard": [GUARD, "validate", "--rules", p["rule"], "--data", p["folder"],
                      "--output-format", "json", "--show-summary", "none"],
        "checkov": [CHECKOV, "-d", p["folder"], "--framework", "cloudformation", "--output", "json",
                    "--quiet", "--skip-download"],
    }


def run_one(argv: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    env = {**os.environ, "PYTHONPATH": SRC, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"}
    t0 = time.perf_counter()
    proc = subprocess.run(argv, env=env, capture_output=True, text=True)
    return time.perf_counter() - t0, proc


def failing_files(name: str, proc: subprocess.CompletedProcess) -> int:
    """How many templates each tool reports as failing (to show they found the same ones)."""
    if name.startswith("hook_handler"):
        return len({f["file"] for f in json.loads(proc.stdout)["findings"] if f["failing"]})
    if name == "cfn_guard":
        # cfn-guard prints one JSON report per data file, concatenated.
        decoder, text, i, failing = json.JSONDecoder(), proc.stdout, 0, 0
        while True:
            while i < len(text) and text[i].isspace():
                i += 1
            if i >= len(text):
                return failing
            report, i = decoder.raw_decode(text, i)
            failing += report.get("status") == "FAIL"
    data = json.loads(proc.stdout)
    reports = data if isinstance(data, list) else [data]
    return len({c["file_path"] for r in reports for c in r.get("results", {}).get("failed_checks", [])})


def run(work: str, repeat: int = 5) -> dict:
    p = prepare(work)
    cmds = commands(p)
    times: dict[str, list[float]] = {name: [] for name in cmds}
    found: dict[str, int] = {}
    for _ in range(repeat):
        for name, argv in cmds.items():
            took, proc = run_one(argv)
            if name == "cfn_lint_import":
                if proc.returncode != 0:
                    raise SystemExit(f"scan bench: {name} failed: {proc.stderr[-800:]}")
            elif proc.returncode not in (0, 1, 19) or not proc.stdout.strip():
                raise SystemExit(f"scan bench: {name} failed ({proc.returncode}): {proc.stderr[-800:]}")
            else:
                found[name] = failing_files(name, proc)
            times[name].append(took)
    out = {name: timing.summary(v) for name, v in times.items()}
    out["memory_mib"] = {name: tree_peak_mib(cmds[name]) for name in ("hook_handler", "hook_handler_one_process",
                                                                      "cfn_guard", "checkov")}
    out["ratio_checkov_over_ours"] = timing.ratios(times["checkov"], times["hook_handler"])
    out["ratio_ours_over_cfn_guard"] = timing.ratios(times["hook_handler"], times["cfn_guard"])
    out["failing_files"] = found
    out["templates"], out["non_compliant"] = p["count"], p["bad"]
    return out


def tree_peak_mib(argv: list[str], interval: float = 0.005) -> float:
    """Peak memory of a command and every process it starts (the scan's workers), in MiB: the
    sum of each live process's proportional set size (PSS: a page shared by n processes counts
    1/n in each, so forked workers are not counted twice), sampled every ``interval`` seconds
    until the command exits. A separate run from the timed ones (sampling takes CPU)."""
    env = {**os.environ, "PYTHONPATH": SRC, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"}
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, sum(_pss_kib(pid) for pid in _tree(proc.pid)))
        time.sleep(interval)
    return peak / 1024


def _tree(root: int) -> list[int]:
    pids, queue = [], [root]
    while queue:
        pid = queue.pop()
        pids.append(pid)
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    queue.extend(int(child) for child in f.read().split())
        except OSError:  # exited meanwhile
            continue
    return pids


def _pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:  # exited meanwhile
        pass
    return 0
