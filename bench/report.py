"""docs/performance.md and docs/analysis-vs-trusted-set.png from the results of run.py."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from importlib import metadata

HERE = os.path.dirname(os.path.abspath(__file__))
PLOT = "analysis-vs-trusted-set.png"


def machine() -> dict:
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    versions = {}
    for dist in ("cloudformation-cli-python-lib", "boto3", "botocore", "cfn-lint", "cfn-guard-rs", "moto", "matplotlib"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "not installed"
    checkov = os.path.join(HERE, ".venv-checkov", "bin", "checkov")
    versions["checkov"] = _out([checkov, "--version"])
    import scan_bench
    versions["cfn-guard (CLI)"] = _out([scan_bench.GUARD, "--version"]).replace("cfn-guard ", "")
    with open(os.path.join(HERE, "package.json")) as f:
        import json
        versions["cfn-guard npm package"] = ", ".join(f"{k}@{v}" for k, v in json.load(f)["dependencies"].items())
    with open("/proc/meminfo") as f:
        mem_kib = int(f.readline().split()[1])
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(mem_kib / 2**20, 1),
            "python": sys.version.split()[0], "platform": platform.platform(), "versions": versions}


def _out(argv: list[str]) -> str:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=120).stdout.strip().splitlines()[-1]
    except (OSError, IndexError, subprocess.SubprocessError):
        return "unknown"


def ms_of(s: dict) -> str:
    """A summary already in milliseconds."""
    return f"{s['median']:.2f} ({s['min']:.2f}–{s['max']:.2f})"


def ms(s: dict) -> str:
    return f"{s['median'] * 1e3:.2f} ({s['min'] * 1e3:.2f}–{s['max'] * 1e3:.2f})"


def x(s: dict) -> str:
    return f"{s['median']:.2f}x ({s['min']:.2f}–{s['max']:.2f})"


def verdict(ok: bool) -> str:
    return "**PASS**" if ok else "**MISS**"


def goals(r: dict) -> list[tuple[str, str, str]]:
    core = r["core"]
    k = lambda n: core[str(n)] if str(n) in core else core[n]  # noqa: E731 - JSON keys are strings
    # Growth and flatness are judged, like every other ratio here, on the median of the per-round
    # ratios: both sizes are timed back to back in each round, so a round's ratio pairs two
    # measurements taken at the same moment. (The fastest run of each size, judged until the third
    # pass, is one lucky round: on this shared machine it swung 1.1-1.3x where the medians were flat.)
    growth = k(20000)["replication"]["min"] / k(3)["replication"]["min"]
    growth_policy = k(20000)["policy"]["min"] / k(3)["policy"]["min"]
    if "growth" in r:  # the sizes interleaved round by round (core_bench.growth): no drift between them
        growth, growth_policy = r["growth"]["replication"]["ratio"]["median"], r["growth"]["policy"]["ratio"]["median"]
    warm = r["warm"]
    warm_worst = max(v["ratio_hook_over_floor"]["median"] for v in warm.values())
    cold = r["cold"]["wall"]["ratio"]["median"]
    scan = r["scan"]
    sj, sy = scan["json"], scan["yaml"]
    flat = r["flat"]
    flat_worst_family = max(flat, key=lambda f: flat[f]["ratio"]["median"])
    flat_worst = flat[flat_worst_family]["ratio"]["median"]
    stack = r["stack"]
    stack_worst = max(v["yaml_over_json"]["median"] for v in stack.values())
    stack_1000 = max(stack["1000"]["yaml"]["max"], stack["1000"]["json"]["max"])
    busy = scan["busy"]
    # Where the default chose one worker in every round it ran --jobs 1's code: the ratio of the two
    # is the spread of one command run twice, and the row rests on the choice. Wherever it chose
    # more workers, the ratio decides.
    busy_counts = ("1000", "5000")
    busy_chose_one = {c: set(busy[c].get("default_jobs", [0])) == {1} for c in busy_counts}
    busy_judged = [busy[c]["default_over_one_process"]["median"] for c in busy_counts if not busy_chose_one[c]]
    busy_result = ", ".join(
        f"{int(c):,} files: " + ("chose 1 worker every round" if busy_chose_one[c] else "chose "
                                 + "/".join(map(str, sorted(set(busy[c].get("default_jobs", []))))) + " workers")
        + f", {busy[c]['default_over_one_process']['median']:.2f}x" for c in busy_counts)
    cold_core = r["core_cold"]
    cold_worst = min(v["wall"]["ratio_guard_rs_over_ours"]["median"] for v in cold_core.values())
    rows = [
        ("Scan 1,000 JSON templates, one process <= 0.8x the cfn-guard binary (wall; CPU in section 4)",
         f"{x(sj['ours_over_cfn_guard']['wall'])} (CPU {x(sj['ours_over_cfn_guard']['cpu'])})",
         verdict(sj["ours_over_cfn_guard"]["wall"]["median"] <= 0.8)),
        ("Scan 1,000 YAML templates, one process <= 1.0x the cfn-guard binary",
         f"{x(sy['ours_over_cfn_guard']['wall'])} (CPU {x(sy['ours_over_cfn_guard']['cpu'])})",
         verdict(sy["ours_over_cfn_guard"]["wall"]["median"] <= 1.0)),
        ("Scan >= 15x faster than checkov (1,000 JSON templates, checkov / ours)",
         f"{x(sj['checkov_over_ours']['wall'])} (CPU {x(sj['checkov_over_ours']['cpu'])})",
         verdict(sj["checkov_over_ours"]["wall"]["median"] >= 15)),
    ]
    if "baseline_one_process" in sj["memory_mib"]:
        mem = sj["memory_mib"]["ours_one_process"] / sj["memory_mib"]["baseline_one_process"]
        rows.append(("Scan peak memory <= 0.5x today's (1,000 JSON templates, one process, before issue 20 "
                     f"= {scan['baseline']})", f"{mem:.2f}x ({sj['memory_mib']['ours_one_process']:.1f} vs "
                     f"{sj['memory_mib']['baseline_one_process']:.1f} MiB)", verdict(mem <= 0.5)))
    rows += [
        ("Default worker count never slower than --jobs 1 with every CPU busy (1,000 and 5,000 files; where "
         "the default chose more than 1 worker, <= 1.05x; where it chose 1, it ran --jobs 1's code)",
         busy_result, verdict(all(v <= 1.05 for v in busy_judged))),
        ("STACK target: YAML <= 2x JSON (10, 100, 1,000 resources; worst size)", f"{stack_worst:.2f}x",
         verdict(stack_worst <= 2.0)),
        ("STACK target: 1,000 resources well inside the 30 s limit (<= 3 s, slowest run)", f"{stack_1000:.2f} s",
         verdict(stack_1000 <= 3.0)),
        (f"Policy analysis flat from 3 to 100,000 trusted accounts for every operator family ({len(flat)} "
         "families, untrusted principals; median of per-round ratios; <= 1.25x)",
         f"worst {flat_worst:.2f}x ({flat_worst_family})", verdict(flat_worst <= 1.25)),
        ("Core analysis at 5,000 accounts, warm vs warm: >= 50x faster than cfn-guard-rs",
         x(k(5000)["ratio_guard_rs_over_ours"]), verdict(k(5000)["ratio_guard_rs_over_ours"]["median"] >= 50)),
        ("Core analysis, cold vs cold (fresh interpreters, wall): faster than cfn-guard-rs (cfn-guard-rs / ours)",
         ", ".join(f"{int(n):,} accounts {v['wall']['ratio_guard_rs_over_ours']['median']:.2f}x"
                   for n, v in cold_core.items()), verdict(cold_worst >= 1.0)),
        ("No growth with the trusted set (20,000 vs 3 accounts, sizes interleaved, median of per-round ratios; "
         "<= 1.25x counts as none)",
         f"replication {growth:.2f}x, policy {growth_policy:.2f}x", verdict(max(growth, growth_policy) <= 1.25)),
        ("Warm invocation <= 1.2x the library's floor (worst trusted-set size)",
         f"{warm_worst:.2f}x", verdict(warm_worst <= 1.2)),
        ("Cold start <= 1.15x the floor (fresh interpreter, wall time)", f"{cold:.2f}x", verdict(cold <= 1.15)),
        ("Warm invocations with Organizations trust make zero API calls",
         f"{r['orgs']['warm_calls']} calls in {r['orgs']['warm_invocations']} invocations",
         verdict(r["orgs"]["warm_calls"] == 0)),
        ("The hook's import path loads no cfn-lint, CLI, YAML or extra third-party module",
         "none" if not r["import_path"]["forbidden_present"] else ", ".join(r["import_path"]["forbidden_present"]),
         verdict(not r["import_path"]["forbidden_present"])),
    ]
    return rows


def write(r: dict, docs: str) -> None:
    plot(r, os.path.join(docs, PLOT))
    with open(os.path.join(docs, "performance.md"), "w") as f:
        f.write(markdown(r))


def plot(r: dict, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = sorted(int(n) for n in r["core"])
    fig, ax = plt.subplots(figsize=(7.5, 4.8), dpi=120)
    series = [("guard_rs", "cfn-guard-rs 0.3.3, equivalent Guard rule (IN list)", "tab:red", "s"),
              ("replication_with_settings", "this hook: settings read + trusted set built + analysis", "tab:orange", "^"),
              ("replication", "this hook: replication analysis, 10 rules x 25 destinations", "tab:blue", "o"),
              ("policy", "this hook: repository policy, 50 statements with conditions", "tab:green", "D")]
    for key, label, colour, marker in series:
        med = [r["core"][str(n)][key]["median"] * 1e3 for n in sizes]
        lo = [m - r["core"][str(n)][key]["min"] * 1e3 for m, n in zip(med, sizes)]
        hi = [r["core"][str(n)][key]["max"] * 1e3 - m for m, n in zip(med, sizes)]
        ax.errorbar(sizes, med, yerr=[lo, hi], label=label, color=colour, marker=marker, capsize=3)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(sizes, [f"{n:,}" for n in sizes])
    ax.set_xlabel("trusted accounts")
    ax.set_ylabel("time per resource, ms (median, min–max)")
    ax.set_title("ECR analysis time against trusted-set size (in process)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7.5, loc="upper left")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def markdown(r: dict) -> str:
    m = r["machine"]
    core = r["core"]
    sizes = sorted(int(n) for n in core)
    lines = [
        "# Performance",
        "",
        "Measured by `make bench` (bench/run.py) in one run on one machine; every figure is the median of",
        "repeated runs with (min–max). Ratios are computed pair by pair: each round runs both sides back to",
        "back, the ratio is taken per round, and its median (min–max) is shown. Generated file: re-run",
        "`make bench` rather than editing it.",
        "",
        "## Goals",
        "",
        "| goal | measured | verdict |",
        "| --- | --- | --- |",
    ]
    lines += [f"| {g} | {v} | {ok} |" for g, v, ok in goals(r)]
    lines += ["", "`hook-handler audit` of an organization (wall time vs serial floor, memory): "
              "[performance-audit.md](performance-audit.md) (bench/audit_bench.py)."]
    lines += [
        "",
        "## 1. Core analysis in process vs cfn-guard-rs",
        "",
        "One resource, trusted set prebuilt (as on a warm invocation: the hook keeps it per configuration).",
        "Peer: `cfn_guard_rs.run_checks(template, rule)` with a Guard rule checking every",
        "`Destinations[*].RegistryId IN %trusted_accounts` (the same list). Both sides agree before timing:",
        "the resource passes, and a copy with one foreign destination fails on both.",
        "The \"with settings\" column also reads the type configuration and builds the trusted set",
        "each time (what a first invocation with that configuration pays); the peer has no cache of a",
        "parsed rule, so that column is the like-for-like cold comparison.",
        "",
        "| trusted accounts | replication 10x25, ms | policy 50 statements, ms | replication with settings, ms "
        "| cfn-guard-rs, ms | cfn-guard-rs / ours | cfn-guard-rs / ours with settings |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for n in sizes:
        c = core[str(n)]
        lines.append(f"| {n:,} | {ms(c['replication'])} | {ms(c['policy'])} | {ms(c['replication_with_settings'])} "
                     f"| {ms(c['guard_rs'])} | {x(c['ratio_guard_rs_over_ours'])} "
                     f"| {x(c['ratio_guard_rs_over_ours_with_settings'])} |")
    cc = r["core_cold"]
    lines += [
        "",
        "Both ways: the table's \"cfn-guard-rs / ours\" column is warm against warm (our trusted set built,",
        "cfn-guard-rs called again in a process that has called it before; it keeps nothing between calls).",
        "Cold against cold: a fresh interpreter per run that imports, reads the configuration (ours) or",
        "the rule (cfn-guard-rs), checks the one resource and exits.",
        "",
        "| trusted accounts | ours, whole process, ms | cfn-guard-rs, whole process, ms | cfn-guard-rs / ours "
        "| ours, import + first check, ms | cfn-guard-rs, import + first check, ms | cfn-guard-rs / ours |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        *(f"| {int(n):,} | {ms(v['wall']['ours'])} | {ms(v['wall']['guard_rs'])} "
          f"| {x(v['wall']['ratio_guard_rs_over_ours'])} | {ms(v['import_and_first']['ours'])} "
          f"| {ms(v['import_and_first']['guard_rs'])} | {x(v['import_and_first']['ratio_guard_rs_over_ours'])} |"
          for n, v in cc.items()),
    ]
    lines += ["", f"![analysis time against trusted-set size]({PLOT})", ""]
    if "growth" in r:
        g = r["growth"]
        lines += [
            "Growth with the trusted set, the sizes interleaved round by round (the table above measures each",
            "size in its own block, minutes apart, after cfn-guard-rs's gigabyte at the larger sizes: its",
            "ratios between sizes also measure how the machine drifted; the goal row is judged on this one,",
            "on the median of its per-round ratios; the rounds alternate which size goes first).",
            "",
            f"| analysis | {g['sizes'][0]:,} accounts, ms | {g['sizes'][1]:,} accounts, ms | fastest / fastest "
            "| per-round median |",
            "| --- | ---: | ---: | ---: | ---: |",
            *(f"| {what} | {ms_of(g[what]['ms'][str(g['sizes'][0])])} | {ms_of(g[what]['ms'][str(g['sizes'][1])])} "
              f"| {g[what]['fastest_ratio']:.2f}x | {x(g[what]['ratio'])} |" for what in ("replication", "policy")),
            "",
        ]
    warm = r["warm"]
    lines += [
        "## 2. Warm invocation through the Lambda entrypoint",
        "",
        "`hook.handlers.hook(event, None)` with a HookInvocationRequest (caller credentials, type configuration,",
        "the 10x25 replication configuration) vs the floor: the same `cloudformation_cli_python_lib.Hook`",
        "entrypoint with a handler that returns SUCCESS at once (bench/noop_hook.py).",
        "",
        f"About {r['session']['share']['median'] * 100:.0f} % of the floor is the boto3 session the library builds "
        "from the caller credentials on every call "
        f"(`boto3_proxy._get_boto_session`, measured alone in the same rounds): {ms(r['session']['session'])} ms of "
        f"the floor's {ms(r['session']['floor'])} ms, {x(r['session']['share'])} of it (per-round ratio; above 1x "
        "in a round means the round's floor ran faster than its session alone: noise on a busy machine).",
        "",
        "| trusted accounts | hook, ms | floor, ms | hook / floor |",
        "| ---: | ---: | ---: | ---: |",
    ]
    for n, v in warm.items():
        lines.append(f"| {int(n):,} | {ms(v['hook'])} | {ms(v['floor'])} | {x(v['ratio_hook_over_floor'])} |")
    cold = r["cold"]
    ip = r["import_path"]
    lines += [
        "",
        "## 3. Cold start",
        "",
        "A fresh interpreter imports the module and answers the first invocation (3 trusted accounts).",
        "Floor: a fresh interpreter importing `cloudformation_cli_python_lib` and the no-op hook.",
        "",
        "| measure | hook, ms | floor, ms | hook / floor |",
        "| --- | ---: | ---: | ---: |",
        f"| whole process (interpreter start to exit) | {ms(cold['wall']['hook'])} | {ms(cold['wall']['floor'])} "
        f"| {x(cold['wall']['ratio'])} |",
        f"| in process: import + first answer | {ms(cold['first']['hook'])} | {ms(cold['first']['floor'])} "
        f"| {x(cold['first']['ratio'])} |",
        f"| in process: import only | {ms(cold['import']['hook'])} | {ms(cold['import']['floor'])} "
        f"| {x(cold['import']['ratio'])} |",
        "",
        f"Modules loaded: hook {cold['modules']['hook']}, floor {cold['modules']['floor']}. Beyond what",
        f"`cloudformation_cli_python_lib` itself loads, `import dataperimeter_ecr_replicationguard.hook.handlers` adds "
        f"{len(ip['added'])} modules, all the hook's own except `cloudformation_cli_python_lib.recast`. "
        "boto3/botocore come with the library (its SessionProxy); no cfn-lint, yaml, CLI, scan, output, "
        "template or Organizations module is imported (asserted by tests/test_import_path.py).",
        "",
    ]
    s = r["scan"]
    sj, sy = s["json"], s["yaml"]
    wall = lambda e, n: f"{e['wall'][n]['median']:.2f} ({e['wall'][n]['min']:.2f}–{e['wall'][n]['max']:.2f})"  # noqa: E731
    cpu = lambda e, n: f"{e['cpu'][n]['median']:.2f} ({e['cpu'][n]['min']:.2f}–{e['cpu'][n]['max']:.2f})"  # noqa: E731
    labels = {
        "ours_one_process": "`hook-handler scan --format json --jobs 1` (one process)",
        "ours_default": "`hook-handler scan --format json` (default workers)",
        "baseline_one_process": f"the same scan before issue 20 (`{s['baseline']}`: cfn-lint's decoder), `--jobs 1`",
        "baseline_default": f"the same scan before issue 20 (`{s['baseline']}`), default workers",
        "cfn_guard": "`cfn-guard validate` (equivalent replication rule)",
        "checkov": "`checkov -d --framework cloudformation` (its own checks)",
    }
    lines += [
        "## 4. Scanning templates",
        "",
        f"{sj['templates']:,} generated templates (replication configurations, repositories with policies, "
        "registry policies, pull-through cache rules), written once as JSON and once as YAML; every tenth "
        f"replicates to a foreign registry ({sj['non_compliant']} non-compliant). Whole commands, timed from start "
        "to exit, each round running every command once; CPU is user + system of the command and every "
        "process it starts.",
        "",
    ]
    for fmt, e in (("JSON", sj), ("YAML", sy)):
        lines += [f"### 1,000 {fmt} templates", "",
                  "| command | wall, s | CPU, s | failing templates found |", "| --- | ---: | ---: | ---: |"]
        lines += [f"| {labels[n]} | {wall(e, n)} | {cpu(e, n)} | {e['failing_files'][n]} |" for n in e["wall"]]
        lines += ["", f"ours / cfn-guard (one process): wall {x(e['ours_over_cfn_guard']['wall'])}, CPU "
                      f"{x(e['ours_over_cfn_guard']['cpu'])}; default workers: wall "
                      f"{x(e['ours_default_over_cfn_guard']['wall'])}."
                  + (f" Before issue 20 / now (one process): wall {x(e['baseline_over_ours']['wall'])}, CPU "
                     f"{x(e['baseline_over_ours']['cpu'])}." if "baseline_over_ours" in e else "")
                  + (f" checkov / ours: wall {x(e['checkov_over_ours']['wall'])}, CPU "
                     f"{x(e['checkov_over_ours']['cpu'])} (checkov has no trusted-account check for ECR "
                     "replication, so it reports none of the foreign destinations; its figure is the time of "
                     "the scan a user would run instead)." if "checkov_over_ours" in e else ""), ""]
    c = s["curve"]
    counts = list(c["points"])
    lines += [
        "### File-count curve (JSON): fixed cost and cost per file",
        "",
        "| command | " + " | ".join(f"{int(n):,} files, s" for n in counts) + " | fixed, s | per file, ms |",
        "| --- | " + " | ".join("---:" for _ in counts) + " | ---: | ---: |",
    ]
    for n in ("ours_one_process", "ours_default", "cfn_guard"):
        fit = c["fit"][n]
        lines.append(f"| {labels[n]}, wall | " + " | ".join(f"{c['points'][k]['wall'][n]['median']:.3f}" for k in counts)
                     + f" | {fit['wall']['fixed_s']:.3f} | {fit['wall']['per_file_ms']:.3f} |")
        lines.append(f"| {labels[n]}, CPU | " + " | ".join(f"{c['points'][k]['cpu'][n]['median']:.3f}" for k in counts)
                     + f" | {fit['cpu']['fixed_s']:.3f} | {fit['cpu']['per_file_ms']:.3f} |")
    b = s["busy"]
    lines += [
        "",
        "Fixed and per-file costs are the least-squares line through the four medians.",
        "",
        f"### Default workers with the machine busy ({b['burners']} CPU-bound processes, one per CPU, running "
        f"throughout; /proc/loadavg at the start: `{b['loadavg_at_start']}`)",
        "",
        "| files | `--jobs 1`, wall s | default, wall s | default / `--jobs 1` | `--jobs 2`, wall s "
        "| `--jobs 2` / `--jobs 1` |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
        *(f"| {int(n):,} | {wall(b[n], 'ours_one_process')} | {wall(b[n], 'ours_default')} "
          f"| {x(b[n]['default_over_one_process'])} | {wall(b[n], 'ours_two_workers')} "
          f"| {x(b[n]['two_workers_over_one_process'])} |" if "two_workers_over_one_process" in b[n] else
          f"| {int(n):,} | {wall(b[n], 'ours_one_process')} | {wall(b[n], 'ours_default')} "
          f"| {x(b[n]['default_over_one_process'])} | | |" for n in ("1000", "5000")),
        "",
        "The default takes idle CPUs only (usable CPUs less the load average and the processes running at",
        "the start), from 1,000 files: on busy CPUs a second process only competes with the first.",
        *(["Workers the default chose in each round (`scan.job_count`, read just before the run): "
           + ", ".join(f"{int(n):,} files {sorted(set(b[n]['default_jobs']))}" for n in ("1000", "5000"))
           + "; where it chose 1, both commands run the same code in one process and their ratio is the spread "
           "of two runs of one command (the goal row then rests on the choice; where it chose more, on the "
           "ratio). `--jobs 2` is what the default declines on busy CPUs, measured in the same rounds. The "
           "commands alternate which runs first in each round."]
          if "default_jobs" in b["1000"] else []),
        "",
    ]
    mem = r["memory"]
    c20 = mem["core_20000"]
    lines += [
        "## 5. Peak memory",
        "",
        "Peak resident set (VmHWM) of a fresh interpreter.",
        "",
        "| what | this hook | peer / floor | ratio |",
        "| --- | ---: | ---: | ---: |",
        f"| warm invocations (51 calls), 3 accounts: hook vs floor | {mem['warm_3']['hook_kib'] / 1024:.1f} MiB "
        f"| {mem['warm_3']['floor_kib'] / 1024:.1f} MiB | {mem['warm_3']['ratio']:.2f}x |",
        f"| warm invocations (51 calls), 5,000 accounts: hook vs floor | {mem['warm_5000']['hook_kib'] / 1024:.1f} MiB "
        f"| {mem['warm_5000']['floor_kib'] / 1024:.1f} MiB | {mem['warm_5000']['ratio']:.2f}x |",
        f"| core analysis, 20,000 accounts: hook core vs cfn-guard-rs | {c20['ours']['maxrss_kib'] / 1024:.1f} MiB "
        f"| {c20['guard_rs']['maxrss_kib'] / 1024:.1f} MiB | {c20['guard_rs']['maxrss_kib'] / c20['ours']['maxrss_kib']:.2f}x (peer / ours) |",
        "",
        f"Python allocations during the core analysis at 20,000 accounts (tracemalloc peak, settings read and "
        f"trusted set built included): {c20['ours']['python_peak_bytes'] / 2**20:.1f} MiB.",
        "",
        "Scanning the 1,000 templates of section 4: peak memory of the command and every process it starts "
        "(the sum of their proportional set sizes, so pages the forked workers share with their parent count "
        "once), sampled every 5 ms in a separate run.",
        "",
        "| command | JSON, peak MiB | YAML, peak MiB |",
        "| --- | ---: | ---: |",
        *(f"| {labels[n]} | {sj['memory_mib'][n]:.1f} | "
          + (f"{sy['memory_mib'][n]:.1f}" if n in sy["memory_mib"] else "") + " |" for n in sj["memory_mib"]),
        "",
    ]
    o = r["orgs"]
    lines += [
        "## 6. Organizations trust, 10,000 accounts (moto)",
        "",
        "The real hook entrypoint with `AccountSource: Organizations` and the organization trusted; API calls",
        "counted with botocore's `before-call` event on every client the hook creates.",
        "",
        "| invocation | time | API calls |",
        "| --- | ---: | ---: |",
        f"| cold (empty cache) | {o['cold']['median']:.2f} s ({o['cold']['min']:.2f}–{o['cold']['max']:.2f}) | "
        f"{o['cold_calls']['total']} ({', '.join(f'{k} {v}' for k, v in o['cold_calls']['by_api'].items())}) |",
        f"| warm ({o['warm_invocations']} invocations) | {ms(o['warm'])} ms each | {o['warm_calls']} |",
        *([f"| cold, `OrganizationsLookup` `NamedAccounts` | {o['cold_named_accounts']['median']:.2f} s "
           f"({o['cold_named_accounts']['min']:.2f}–{o['cold_named_accounts']['max']:.2f}) | "
           f"{o['cold_named_accounts_calls']['total']} "
           f"({', '.join(f'{k} {v}' for k, v in o['cold_named_accounts_calls']['by_api'].items())}) |"]
          if "cold_named_accounts" in o else []),
        "",
        f"The cold invocation lists accounts for at most LISTING_SECONDS ({o['listing_seconds']:.0f} s; moto answers"
        " a 20-account page in about 0.1 s here), then looks up only the accounts the resource names. A foreign"
        f" destination under the same cache: {o['foreign_destination_status']}. With `OrganizationsLookup`"
        " `NamedAccounts` (for organizations this large) the listing is skipped from the first invocation.",
        "",
    ]
    st = r["stack"]
    lines += [
        "## 7. STACK target: whole templates through the hook",
        "",
        "The real Lambda entrypoint (`hook.handlers.hook`, warm) with a STACK request whose `template` is the text",
        "the library fetched: a quarter replication configurations, a quarter repositories with a policy,",
        "the rest SNS topics; every value trusted, so every ECR resource is evaluated in full. The same",
        "template as YAML and as JSON, read by the one reader (libyaml / json).",
        "",
        "| resources | JSON KiB | YAML KiB | JSON, ms per invocation | YAML, ms per invocation | YAML / JSON |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
        *(f"| {int(n):,} | {v['kib']['json']:.0f} | {v['kib']['yaml']:.0f} | {ms(v['json'])} | {ms(v['yaml'])} "
          f"| {x(v['yaml_over_json'])} |" for n, v in st.items()),
        "",
        "YAML costs more than JSON by what libyaml costs: json's C scanner reads a template about ten",
        "times as fast as libyaml composes its nodes, and the nodes must then be turned into values in Python.",
        "Where the YAML time went (instruction counts under valgrind's callgrind, 1,000 resources, one",
        "invocation: deterministic where wall time on this machine is not): libyaml's own C parser is about a",
        "sixth of composing; the rest is Python called back for every node: the node's `__init__`, the",
        "resolver's `resolve`, `descend_resolver` and `ascend_resolver`. The reader now resolves a tag by",
        "the value's first character only and gives libyaml C no-ops for the two path-resolver hooks",
        "(CloudFormation's reader registers no path resolvers): composing 265 -> 231 M instructions; turning",
        "nodes into values 74 -> 68 M; the whole YAML invocation 586 -> 529 M against JSON's 291 M",
        "(2.01x -> 1.82x). Building values from libyaml's events instead of its nodes was measured and",
        "rejected: iterating the events alone costs 205 M (an event object per node instead of a node).",
        "",
    ]
    fl = r["flat"]
    lines += [
        "## 8. Policy analysis against the trusted set, every operator family",
        "",
        "A repository policy of 50 statements whose principals are not trusted (`\"*\"`, or a service",
        "principal for the source keys), so the conditions decide; each condition names a trusted value, so",
        "each is looked up. Trusted set: 3, then 100,000 accounts, as many organizations and OU paths",
        "(bench/flat_bench.py). Each round times both sizes back to back, 50 calls each, alternating which",
        "goes first; growth is judged on the median of the per-round ratios. The fastest run of each size,",
        "shown beside it, was the statistic until the third pass: it is one lucky round, and on this shared",
        "machine it swung from 1.1x to 1.3x between runs whose medians were flat.",
        "",
        "| operator family | 3 accounts, ms | 100,000 accounts, ms | 100,000 / 3, per-round median | fastest / fastest "
        "| findings |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
        *(f"| `{f}` | {v['ms']['3']['median']:.2f} | {v['ms']['100000']['median']:.2f} | {x(v['ratio'])} "
          f"| {v['fastest_ratio']:.2f}x | {', '.join(v['findings']) or 'none'} |" for f, v in fl.items()),
        "",
        "Before issue 20, `StringEqualsIgnoreCase` lower-cased the whole trusted set for every value and",
        "org-path matching compared every value with every trusted path: 50 such statements took 4.0 s",
        "(IgnoreCase) and 8.1 s (org paths) at 100,000 accounts. The trusted set (`core/trust.py`) now keeps",
        "its lower-cased sets and its path prefixes, built once.",
        "",
        "## Where the scan's time goes",
        "",
        "- **One reader, no cfn-lint.** The scan reads templates with the reader the hook's STACK target",
        "  uses (`template/yaml_loader.py`: json's C scanner for JSON, libyaml for YAML), so it no longer",
        "  imports cfn-lint (with sympy and networkx, about 0.8 s of CPU before the first file). PyYAML is",
        "  imported on the first YAML file only; the worker pool, `importlib.resources` and the junit",
        "  writer's XML library only when used.",
        "- **Per file**: the cost per file of the curve above; JSON marks (line and column of every key) are",
        "  taken from the text only when a finding needs them, the resources' lines at once; YAML marks are",
        "  kept as one array per mapping. The garbage collector pauses while a template is read (the values",
        "  are trees: it found nothing, yet walked them again and again).",
        "- **Workers** pay for themselves only on idle CPUs and many files; the default takes idle CPUs only.",
        "- **Medians on this machine.** The run shares 2 cores with other work (see the min–max spread).",
        "",
        "Changes made for these goals (behaviour kept, suite green): the one reader (issue 20), lazy",
        "imports, the trusted set's derived lookups, the idle-CPU worker default; earlier, the hook parses",
        "its type configuration once per execution environment (`settings.settings_of`), walks the resource",
        "for named accounts only for the Organizations source, and the checkers and the template resolver",
        "test `collections.abc.Mapping` instead of `typing.Mapping`.",
        "",
        "Second pass on the rows that missed (issue 20): the YAML reader's per-node callbacks from libyaml",
        "(section 7; the scan of YAML files gains the same); the growth row read from interleaved sizes",
        "(section 1: the trusted-set lookups are one frozenset membership test per value, the same at 3 or",
        "100,000 accounts, and the block-by-block table drifted with the machine); the busy-workers rows",
        "alternate which command runs first and show the worker count the default chose (section 4: with",
        "every CPU busy it chooses 1, so both commands are one process and the ratio is noise).",
        "",
        "Third pass on the two scan rows (issue 20). Instructions executed by one cold",
        "`scan --format json --jobs 1` (valgrind, deterministic where wall time on this machine is not;",
        "src byte-compiled as here): 1,000 JSON templates 2,126 -> 1,454 M (0.68x), 1,000 YAML templates",
        "2,951 -> 2,254 M (0.76x), no template at all (the fixed cost) 345 -> 309 M. What changed, each",
        "with its outputs byte-identical on the bench folders, cfn-lint's and cfripper's corpora and",
        "../shared/realworld in every format:",
        "",
        "- each file is read once, unbuffered, for the sniff and the decoder (a small file whole, not into",
        "  a 1 MiB buffer);",
        "- the resolver dispatches on exact types before the `Mapping` ABC, keeps plain text without a",
        "  call per value, and collects the names a verdict rests on (its basis) in the same walk instead",
        "  of a second walk of every property; the resources are listed once per file;",
        "- the JSON reader marks the top two levels as it reads them and a resource's body from its own",
        "  stretch of the text when a finding needs a place (one resource walked, not the template);",
        "- the YAML reader resolves the tag of each distinct short plain scalar once;",
        "- the core reads a policy's size and its NaN check in one C pass, tests element names with one",
        "  set test, reads each principal string once, tests `dict` before the `Mapping` ABC, and does",
        "  not judge a resource without findings;",
        "- the JSON and SARIF reports are written by an indenting writer on the stdlib's C string encoder",
        "  (the stdlib's `indent=` encoder is pure Python): the report of 1,000 templates in 19 ms, not 43;",
        "- a scan builds only its own command's parser and imports only the output format it writes.",
        "",
        "Where YAML's remaining gap is: reading the 1,000 YAML templates costs 971 M instructions against",
        "279 M for the same templates in JSON. libyaml's own parse is 198 M of it; composing its nodes",
        "into Python objects (PyYAML's C composer calls a Python `__init__` and the tag callback for",
        "every node) is 529 M, and turning the nodes into values 245 M. cfn-guard parses YAML in native",
        "code. Closing that gap needs a YAML parser other than PyYAML's (or patching PyYAML's C module at",
        "run time), which this round did not do. Of the fixed cost, creating the 31 dataclasses a scan",
        "imports is about 125 M instructions (Python 3.11 compiles each generated method).",
        "",
        "Fourth pass: two rows made robust to this shared machine's noise, decided from calibration runs",
        "before the run that wrote this page. In the third pass each of three runs missed one row, a",
        "different one each time, and neither miss was a cost:",
        "",
        "- the flatness row judged the fastest of 7 rounds of 20 calls: 1.30x, 1.11x and 1.29x in three",
        "  runs whose per-round medians were at most 1.13x. With 15 rounds of 50 calls the fastest still",
        "  swung from 1.20x to 1.32x between two calibration runs whose worst medians were 1.09x and 1.06x.",
        "  The row (and the growth row) is now judged on the median of the per-round ratios, the statistic",
        "  of every other ratio here, over 15 rounds of 50 calls that alternate which size goes first;",
        "- the busy-workers row: on busy CPUs the default chose 1 worker in every round of every run, so it",
        "  compared `--jobs 1` with itself, and one command run twice differs by 0.6-1.4x round to round",
        "  under CPU-bound neighbours (calibration: 9 rounds, medians 0.90-1.02x). The row now rests on the",
        "  choice where the default chose 1 worker, and on the ratio (<= 1.05x) wherever it chose more; 7",
        "  rounds instead of 3, and `--jobs 2` measured in the same rounds shows what the choice avoids.",
        "",
        "Fifth pass, on the YAML scan row (issue 20). Instructions executed by one cold",
        "`scan --format json --jobs 1` (valgrind, as in the third pass): 1,000 YAML templates 2,255 -> 2,055 M",
        "(0.91x), 1,000 JSON templates 1,458 -> 1,263 M (0.87x), and a scan of one YAML file (the fixed cost a",
        "pre-commit run pays) 406 -> 278 M (the checks this pass added, ECR-TEMPLATE-MALFORMED-RESOURCE and",
        "loops nothing expands, are in these counts). What changed, outputs byte-identical on the bench folders",
        "and ../shared/realworld in every format:",
        "",
        "- the records on the scan's and the Lambda hook's import path are `typing.NamedTuple`s, or `__slots__`",
        "  classes on core/plain.py, not dataclasses: creating the 34 dataclasses cost about 125 M at start-up",
        "  (Python 3.11 compiles each generated method), `import dataclasses` brought `inspect`, `ast` and",
        "  `tokenize`, and a frozen dataclass's `__init__` costs about 3x a plain one, for about 22,000 records",
        "  in a 1,000-file scan;",
        "- the scan's per-file `Mapping` tests take the `dict` path first: abc's Python-level",
        "  `__instancecheck__` ran 23,405 times in a 1,000-file YAML scan, now 201;",
        "- the YAML reader turns nested mappings and lists into values without a call per value.",
        "",
        "Tried and reverted: taking a YAML mapping's marks from libyaml's nodes only when a finding needs one",
        "(110 M fewer instructions on the 1,000 small templates) kept every node alive: five times the objects",
        "for the garbage collector to walk, and a 1 MB YAML template scanned 1.4x slower, which instruction",
        "counts do not show. The marks stay one array per mapping, read as the values are made. The YAML row's",
        "CPU ratio to cfn-guard was 1.02x, 1.06x, 0.85x and 1.06x in the four runs before this pass, and",
        f"{r['scan']['yaml']['ours_over_cfn_guard']['cpu']['median']:.2f}x (wall "
        f"{r['scan']['yaml']['ours_over_cfn_guard']['wall']['median']:.2f}x) in this one.",
        "",
        "## Machine",
        "",
        f"- CPU: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB memory",
        f"- {m['platform']}, Python {m['python']}",
        "- Packages: " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()),
        f"- Whole run: {r['seconds']:.0f} s",
        "",
        "## Reproduce",
        "",
        "```",
        "make bench",
        "```",
        "",
        "`bench/setup.sh` creates the benchmark environment from the repo's files only: `bench/.venv` (the",
        "project with its `cli` extra, cfn-guard-rs, moto, matplotlib: bench/requirements.txt),",
        "`bench/.venv-checkov` (checkov: bench/requirements-checkov.txt) and `bench/node_modules` (the",
        "cfn-guard binary shipped in the npm package of bench/package.json). None of them is a runtime or",
        "test dependency. `bench/run.py` then runs every measurement and writes this file and the plot;",
        "the raw figures are in `bench/work/results.json`. `bench/run.py --quick` is a smoke run.",
        "",
    ]
    if "lambda_hook" in r:  # issue 16: its own section, written by bench/lambda_hook_bench.py
        import lambda_hook_bench

        lines += lambda_hook_bench.markdown(r["lambda_hook"])
    return "\n".join(lines)
