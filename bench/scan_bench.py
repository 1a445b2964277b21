"""(4) Scanning generated folders of templates: ``hook-handler scan --format json`` against
``cfn-guard validate`` with the equivalent replication rule and ``checkov -d``, and against the
scan as it was before issue 20 (``BASELINE``: cfn-lint's decoder), all in the same run.

Every command is timed from start to exit, wall and CPU (user + system of the command and every
process it starts), each round running every command once (so ratios pair measurements taken at
the same moment). The same 1,000 templates are written as JSON and as YAML."""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import time

import timing
import workloads as w

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SRC = os.path.join(ROOT, "src")
GUARD = os.path.join(HERE, "node_modules", "@cdklabs", "cdk-validator-cfnguard", "bin", "ubuntu",
                     "x86_64", "cfn-guard")
HOOK_HANDLER = os.path.join(HERE, ".venv", "bin", "hook-handler")
BENCH_PYTHON = os.path.join(HERE, ".venv", "bin", "python")
CHECKOV = os.path.join(HERE, ".venv-checkov", "bin", "checkov")
TRUSTED = 50
# The scan before issue 20 ("today's"): main when the issue was taken up. Its sources are taken
# from git into bench/work/baseline-src, so the same run measures both.
BASELINE = "9b699f1"
CURVE = (10, 100, 1000, 5000)


def baseline_src(work: str) -> str | None:
    target = os.path.join(work, "baseline-src")
    if not os.path.isdir(os.path.join(target, "src")):
        shutil.rmtree(target, ignore_errors=True)
        os.makedirs(target)
        try:
            archive = subprocess.run(["git", "-C", ROOT, "archive", BASELINE, "src"], capture_output=True, check=True)
            subprocess.run(["tar", "-x", "-C", target], input=archive.stdout, check=True)
        except (OSError, subprocess.CalledProcessError):
            return None
    return os.path.join(target, "src")


def prepare(work: str, count: int, fmt: str = "json") -> dict:
    folder = os.path.join(work, f"templates-{fmt}-{count}")
    accounts = w.trusted_accounts(TRUSTED)
    marker = os.path.join(folder, ".bad")
    if not os.path.exists(marker):
        shutil.rmtree(folder, ignore_errors=True)
        bad = w.scan_folder(folder, accounts, count)
        if fmt == "yaml":
            import yaml

            for name in sorted(os.listdir(folder)):
                path = os.path.join(folder, name)
                with open(path) as f:
                    document = json.load(f)
                os.unlink(path)
                with open(path[: -len(".json")] + ".yaml", "w") as f:
                    yaml.safe_dump(document, f, sort_keys=False)
        with open(marker, "w") as f:
            f.write(str(bad))
    with open(marker) as f:
        bad = int(f.read())
    rule = os.path.join(work, "ecr-replication.guard")
    with open(rule, "w") as f:
        f.write(w.guard_rule(accounts))
    return {"folder": folder, "rule": rule, "accounts": accounts, "bad": bad, "count": count, "format": fmt}


def commands(p: dict, baseline: str | None = None, checkov: bool = True) -> dict[str, tuple[list[str], str]]:
    """name -> (argv, PYTHONPATH)."""
    hook_handler = [HOOK_HANDLER, "scan", p["folder"], "--format", "json", "--trusted-account-ids",
                    ",".join(p["accounts"]), "--account", w.DEPLOYING, "--region", "eu-west-1"]
    out = {
        "ours_one_process": (hook_handler + ["--jobs", "1"], SRC),
        "ours_default": (hook_handler, SRC),
        "cfn_guard": ([GUARD, "validate", "--rules", p["rule"], "--data", p["folder"],
                       "--output-format", "json", "--show-summary", "none"], SRC),
    }
    if baseline:
        # The installed hook-handler script imports today's entry point (cli/main.py); the
        # baseline's is cli.py's ``entry``: called the way a console script calls it.
        old = [BENCH_PYTHON, "-c", "import sys; from dataperimeter_ecr_replicationguard.cli import entry; "
               "sys.argv[0] = 'hook-handler'; sys.exit(entry())"] + hook_handler[1:]
        out["baseline_one_process"] = (old + ["--jobs", "1"], baseline)
        out["baseline_default"] = (old, baseline)
    if checkov:
        out["checkov"] = ([CHECKOV, "-d", p["folder"], "--framework", "cloudformation", "--output", "json",
                           "--quiet", "--skip-download"], SRC)
    return out


def _env(pythonpath: str) -> dict:
    return {**os.environ, "PYTHONPATH": pythonpath, "BC_SKIP_MAPPING": "TRUE",
            "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"}


def run_one(argv: list[str], pythonpath: str = SRC) -> tuple[float, float, subprocess.CompletedProcess]:
    """Wall seconds, CPU seconds (the command and its children) and the finished process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(argv, env=_env(pythonpath), capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc


def failing_files(name: str, proc: subprocess.CompletedProcess) -> int:
    """How many templates each tool reports as failing (to show they found the same ones)."""
    if name.startswith(("ours", "baseline")):
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


def measure(cmds: dict[str, tuple[list[str], str]], repeat: int, expect_failing: int | None = None) -> dict:
    wall: dict[str, list[float]] = {name: [] for name in cmds}
    cpu: dict[str, list[float]] = {name: [] for name in cmds}
    found: dict[str, int] = {}
    for _ in range(repeat):
        for name, (argv, pythonpath) in cmds.items():
            took, used, proc = run_one(argv, pythonpath)
            if proc.returncode not in (0, 1, 19) or not proc.stdout.strip():
                raise SystemExit(f"scan bench: {name} failed ({proc.returncode}): {proc.stderr[-800:]}")
            found[name] = failing_files(name, proc)
            wall[name].append(took)
            cpu[name].append(used)
    if expect_failing is not None:
        wrong = {n: f for n, f in found.items() if n != "checkov" and f != expect_failing}
        if wrong:
            raise SystemExit(f"scan bench: expected {expect_failing} failing templates, got {wrong}")
    return {"wall": {n: timing.summary(v) for n, v in wall.items()},
            "cpu": {n: timing.summary(v) for n, v in cpu.items()},
            "raw_wall": wall, "raw_cpu": cpu, "failing_files": found}


def _ratios(m: dict, a: str, b: str) -> dict:
    return {"wall": timing.ratios(m["raw_wall"][a], m["raw_wall"][b]),
            "cpu": timing.ratios(m["raw_cpu"][a], m["raw_cpu"][b])}


def run(work: str, repeat: int = 5) -> dict:
    baseline = baseline_src(work)
    out: dict = {"baseline": BASELINE if baseline else None}
    for fmt in ("json", "yaml"):
        p = prepare(work, 1000, fmt)
        cmds = commands(p, baseline, checkov=fmt == "json")
        m = measure(cmds, repeat, p["bad"])
        entry = {k: m[k] for k in ("wall", "cpu", "failing_files")}
        entry["ours_over_cfn_guard"] = _ratios(m, "ours_one_process", "cfn_guard")
        entry["ours_default_over_cfn_guard"] = _ratios(m, "ours_default", "cfn_guard")
        if baseline:
            entry["baseline_over_ours"] = _ratios(m, "baseline_one_process", "ours_one_process")
        if "checkov" in cmds:
            entry["checkov_over_ours"] = _ratios(m, "checkov", "ours_one_process")
        entry["templates"], entry["non_compliant"] = p["count"], p["bad"]
        memory_of = [n for n in cmds if n != "checkov" or fmt == "json"]
        entry["memory_mib"] = {n: tree_peak_mib(*cmds[n]) for n in memory_of}
        out[fmt] = entry
    out["curve"] = curve(work, repeat=max(1, repeat // 2 + 1))
    out["busy"] = busy(work, repeat=repeat + 2)
    return out


def curve(work: str, repeat: int = 3) -> dict:
    """Fixed cost and cost per file: each command at 10, 100, 1,000 and 5,000 JSON templates."""
    points: dict = {}
    for count in CURVE:
        p = prepare(work, count, "json")
        cmds = {k: v for k, v in commands(p, checkov=False).items()}
        m = measure(cmds, repeat)
        points[str(count)] = {"wall": m["wall"], "cpu": m["cpu"]}
    fits = {}
    for name in ("ours_one_process", "ours_default", "cfn_guard"):
        xs = list(CURVE)
        for measure_of in ("wall", "cpu"):
            ys = [points[str(n)][measure_of][name]["median"] for n in xs]
            fixed, per_file = _fit(xs, ys)
            fits.setdefault(name, {})[measure_of] = {"fixed_s": fixed, "per_file_ms": per_file * 1e3}
    return {"points": points, "fit": fits}


def _fit(xs: list[int], ys: list[float]) -> tuple[float, float]:
    """Least squares y = fixed + per_file * x."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    return my - slope * mx, slope


BURN = "import time\nend = time.time() + {seconds}\nwhile time.time() < end:\n    pass\n"


def busy(work: str, repeat: int = 3) -> dict:
    """The default worker count against --jobs 1 with every CPU kept busy by other processes
    (one CPU-bound process per CPU, started before and running throughout)."""
    cpus = len(os.sched_getaffinity(0))
    out: dict = {"burners": cpus}
    burners = [subprocess.Popen([sys.executable, "-c", BURN.format(seconds=600)]) for _ in range(cpus)]
    try:
        time.sleep(3)
        with open("/proc/loadavg") as f:
            out["loadavg_at_start"] = f.read().strip()
        for count in (1000, 5000):
            p = prepare(work, count, "json")
            cmds = {k: v for k, v in commands(p, checkov=False).items() if k.startswith("ours")}
            # What the default declines on busy CPUs: two workers, measured in the same rounds.
            cmds["ours_two_workers"] = (cmds["ours_one_process"][0][:-1] + ["2"], cmds["ours_one_process"][1])
            # Alternate which command runs first (one round A B, the next B A): in a round the
            # second run meets what the first left (page cache, the other engineers' load).
            runs, chosen = [], []
            for i in range(repeat):
                chosen.append(_default_jobs(count))
                order = list(cmds.items()) if i % 2 == 0 else list(cmds.items())[::-1]
                runs.append(measure(dict(order), 1))
            raw = {name: [r["raw_wall"][name][0] for r in runs] for name in cmds}
            raw_cpu = {name: [r["raw_cpu"][name][0] for r in runs] for name in cmds}
            out[str(count)] = {"wall": {n: timing.summary(v) for n, v in raw.items()},
                               "cpu": {n: timing.summary(v) for n, v in raw_cpu.items()},
                               "default_jobs": chosen,
                               "default_over_one_process": timing.ratios(raw["ours_default"],
                                                                         raw["ours_one_process"]),
                               "two_workers_over_one_process": timing.ratios(raw["ours_two_workers"],
                                                                             raw["ours_one_process"])}
    finally:
        for b in burners:
            b.kill()
            b.wait()
    return out


def _default_jobs(files: int) -> int:
    """The worker count the scan's default picks at this moment (the product's own function)."""
    sys.path.insert(0, SRC)
    from dataperimeter_ecr_replicationguard.cli.scan import job_count
    from dataperimeter_ecr_replicationguard.settings import parse_settings

    return job_count(None, parse_settings({}), files)


def tree_peak_mib(argv: list[str], pythonpath: str = SRC, interval: float = 0.005) -> float:
    """Peak memory of a command and every process it starts (the scan's workers), in MiB: the
    sum of each live process's proportional set size (PSS: a page shared by n processes counts
    1/n in each, so forked workers are not counted twice), sampled every ``interval`` seconds
    until the command exits. A separate run from the timed ones (sampling takes CPU)."""
    proc = subprocess.Popen(argv, env=_env(pythonpath), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
