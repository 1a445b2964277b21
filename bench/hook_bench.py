"""(2) Warm invocation through the real Lambda entrypoint vs the library's floor (noop_hook),
(3) cold start in fresh interpreters, and which modules the hook's import path loads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

import timing
import workloads as w

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(os.path.dirname(HERE), "src")
HOOK_MODULE = "dataperimeter_ecr_replicationguard.hook.handlers"
FLOOR_MODULE = "noop_hook"

# Runs in a fresh interpreter: import the entrypoint module, answer the first invocation,
# print the in-process time and the interpreter's peak RSS (KiB).
COLD = """
import time, json, resource, sys
def hwm():
    # VmHWM: this process's peak RSS (ru_maxrss would carry the parent's across exec)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
started = time.perf_counter()
import {module} as m
imported = time.perf_counter()
event = json.load(open({event!r}))
answer = m.hook(event, None)
done = time.perf_counter()
for _ in range({extra}):
    m.hook(json.load(open({event!r})), None)
print(json.dumps({{"import": imported - started, "first": done - started, "status": answer.get("hookStatus"),
                  "maxrss_kib": hwm(),
                  "modules": len(sys.modules)}}))
"""


def env() -> dict:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([SRC, HERE])}


def fresh(module: str, event_path: str, extra: int = 0) -> dict:
    """One fresh interpreter: wall time of the whole process plus what it reports."""
    code = COLD.format(module=module, event=event_path, extra=extra)
    t0 = timing.time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], env=env(), capture_output=True, text=True, check=True)
    wall = timing.time.perf_counter() - t0
    return {**json.loads(out.stdout.strip().splitlines()[-1]), "wall": wall}


def requests(n_accounts: int) -> tuple[dict, dict]:
    accounts = w.trusted_accounts(n_accounts)
    config = w.type_configuration(accounts)
    props = w.replication_properties(accounts)
    event = w.hook_request("AWS::ECR::ReplicationConfiguration", props, config)
    return event, config


def warm(sizes=(3, 5000), repeat: int = 15, number: int = 30) -> dict:
    import copy

    import noop_hook
    from dataperimeter_ecr_replicationguard.hook.handlers import hook

    results = {}
    for n in sizes:
        event, _ = requests(n)
        if hook(copy.deepcopy(event), None).get("hookStatus") != "SUCCESS":
            raise SystemExit("warm bench: the hook must pass the benchmark request")
        events = [copy.deepcopy(event) for _ in range(number * repeat * 2 + 2)]
        measured = timing.rounds({
            "hook": lambda: timing.per_call(lambda: hook(events.pop(), None), number),
            "floor": lambda: timing.per_call(lambda: noop_hook.hook(events.pop(), None), number),
        }, repeat)
        results[n] = {name: timing.summary(v) for name, v in measured.items()}
        results[n]["ratio_hook_over_floor"] = timing.ratios(measured["hook"], measured["floor"])
    return results


def session_share(repeat: int = 15, number: int = 30) -> dict:
    """How much of the floor (the library's entrypoint with a no-op handler) is the boto3
    session the library builds from the caller credentials on every call
    (``boto3_proxy._get_boto_session``, called as ``Hook._parse_request`` calls it)."""
    import copy

    from cloudformation_cli_python_lib.boto3_proxy import _get_boto_session
    from cloudformation_cli_python_lib.utils import Credentials

    import noop_hook

    event, _ = requests(3)
    events = [copy.deepcopy(event) for _ in range(number * repeat + 2)]
    credentials = Credentials(**json.loads(event["requestData"]["callerCredentials"]))
    measured = timing.rounds({
        "floor": lambda: timing.per_call(lambda: noop_hook.hook(events.pop(), None), number),
        "session": lambda: timing.per_call(lambda: _get_boto_session(credentials), number),
    }, repeat)
    return {name: timing.summary(v) for name, v in measured.items()} | {
        "share": timing.ratios(measured["session"], measured["floor"])}


def cold(repeat: int = 10, n_accounts: int = 3) -> dict:
    event, _ = requests(n_accounts)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(event, f)
    hook_runs, floor_runs = [], []
    for _ in range(repeat):
        hook_runs.append(fresh(HOOK_MODULE, f.name))
        floor_runs.append(fresh(FLOOR_MODULE, f.name))
    os.unlink(f.name)
    if {r["status"] for r in hook_runs + floor_runs} != {"SUCCESS"}:
        raise SystemExit("cold bench: every fresh interpreter must answer SUCCESS")
    out = {}
    for key in ("wall", "first", "import"):
        out[key] = {"hook": timing.summary([r[key] for r in hook_runs]),
                    "floor": timing.summary([r[key] for r in floor_runs]),
                    "ratio": timing.ratios([r[key] for r in hook_runs], [r[key] for r in floor_runs])}
    out["modules"] = {"hook": hook_runs[0]["modules"], "floor": floor_runs[0]["modules"]}
    return out


def import_path() -> dict:
    """Top-level modules the hook's import adds beyond the library's, and forbidden ones present."""
    code = (
        "import sys, json\nimport cloudformation_cli_python_lib\nbase = set(sys.modules)\n"
        f"import {HOOK_MODULE}\n"
        "added = sorted(set(sys.modules) - base)\n"
        "print(json.dumps({'added': added, 'all': sorted(sys.modules)}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env(), capture_output=True, text=True, check=True)
    data = json.loads(out.stdout)
    forbidden = [m for m in data["all"] if m.split(".")[0] in ("cfnlint", "yaml", "moto", "checkov")
                 or m.startswith(("dataperimeter_ecr_replicationguard.cli",
                                  "dataperimeter_ecr_replicationguard.hook.stack_targets"))]
    top = sorted({m.split(".")[0] for m in data["all"]})
    return {"added": data["added"], "forbidden_present": forbidden, "top_level": top,
            "boto3_from_library": "boto3" in top}


def memory(n_accounts: int = 3, calls: int = 50) -> dict:
    """(5) Peak RSS of a fresh interpreter answering ``calls`` invocations: hook vs floor."""
    event, _ = requests(n_accounts)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(event, f)
    hook_run = fresh(HOOK_MODULE, f.name, extra=calls)
    floor_run = fresh(FLOOR_MODULE, f.name, extra=calls)
    os.unlink(f.name)
    return {"hook_kib": hook_run["maxrss_kib"], "floor_kib": floor_run["maxrss_kib"],
            "ratio": hook_run["maxrss_kib"] / floor_run["maxrss_kib"]}


CORE_MEMORY = """
import json, resource, sys, tracemalloc
def hwm():
    # VmHWM: this process's peak RSS (ru_maxrss would carry the parent's across exec)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
sys.path[:0] = [{src!r}, {here!r}]
import workloads as w
accounts = w.trusted_accounts({n})
props = w.replication_properties(accounts)
if {peer}:
    import cfn_guard_rs
    template = w.template({{"R": {{"Type": "AWS::ECR::ReplicationConfiguration", "Properties": props}}}})
    rule = w.guard_rule(accounts)
    run = lambda: cfn_guard_rs.run_checks(template, rule)
else:
    from dataperimeter_ecr_replicationguard.core import evaluate
    from dataperimeter_ecr_replicationguard.settings import parse_settings
    from dataperimeter_ecr_replicationguard.trust_sources.static import static_trust
    config = w.type_configuration(accounts)
    run = lambda: evaluate("AWS::ECR::ReplicationConfiguration", "R", props,
                           static_trust(parse_settings(config), w.DEPLOYING, "aws"))
base = hwm()
tracemalloc.start()
run()
_, peak = tracemalloc.get_traced_memory()
print(json.dumps({{"maxrss_kib": hwm(), "before_kib": base,
                  "python_peak_bytes": peak}}))
"""


def core_memory(n_accounts: int = 20000) -> dict:
    out = {}
    for side, peer in (("ours", False), ("guard_rs", True)):
        code = CORE_MEMORY.format(src=SRC, here=HERE, n=n_accounts, peer=peer)
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        out[side] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out
