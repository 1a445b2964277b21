"""(1) Core analysis in process against trusted sets of growing size; peer: cfn-guard-rs
running the equivalent Guard rule (``IN`` against the same list) on the same resource."""

from __future__ import annotations

import json
import re

import cfn_guard_rs
from cfn_guard_rs.cfn_guard_rs import run_checks_rs

import timing
import workloads as w
from dataperimeter_ecr_replicationguard.core import evaluate
from dataperimeter_ecr_replicationguard.settings import parse_settings
from dataperimeter_ecr_replicationguard.trust_sources.static import static_trust

SIZES = (3, 500, 5000, 20000)
REPLICATION = "AWS::ECR::ReplicationConfiguration"


def trust_for(accounts: list[str]):
    return static_trust(parse_settings(w.type_configuration(accounts)), w.DEPLOYING, "aws")


def guard_passes(template: dict, rule: str) -> bool:
    """The Guard verdict. cfn-guard-rs 0.3.3 garbles the report of a failing check with a long
    list (``run_checks`` raises JSONDecodeError; the native call returns only the report's
    tail), so the verdict is read from the tail: the rule is listed as compliant, or not."""
    raw = run_checks_rs(json.dumps(template), rule, False)
    return re.search(r'"compliant": \[\s*"ecr_replication_destinations_trusted"\s*\]\s*\}\s*$', raw) is not None


def check_equivalence(accounts: list[str], trust, rule: str) -> None:
    """Both sides agree: the trusted resource passes, one foreign destination fails."""
    props = w.replication_properties(accounts)
    bad = w.replication_properties(accounts)
    bad["ReplicationConfiguration"]["Rules"][3]["Destinations"][7]["RegistryId"] = w.FOREIGN
    ours_ok = not evaluate(REPLICATION, "R", props, trust)
    ours_bad = bool(evaluate(REPLICATION, "R", bad, trust))
    peer_ok = guard_passes(w.template({"R": {"Type": REPLICATION, "Properties": props}}), rule)
    peer_bad = not guard_passes(w.template({"R": {"Type": REPLICATION, "Properties": bad}}), rule)
    if not (ours_ok and ours_bad and peer_ok and peer_bad):
        raise SystemExit(f"core bench: sides disagree (ours {ours_ok}/{ours_bad}, guard {peer_ok}/{peer_bad})")


def run(repeat: int = 15) -> dict:
    results = {}
    for n in SIZES:
        accounts = w.trusted_accounts(n)
        trust = trust_for(accounts)
        rule = w.guard_rule(accounts)
        check_equivalence(accounts, trust, rule)
        props = w.replication_properties(accounts)
        policy = w.repository_policy_properties(accounts)
        if evaluate("AWS::ECR::Repository", "P", policy, trust):
            raise SystemExit("core bench: the large policy must pass")
        template = w.template({"R": {"Type": REPLICATION, "Properties": props}})
        config = w.type_configuration(accounts)
        # cfn-guard-rs takes ~2.7 s a call at 20,000 accounts (no goal row reads that size): one call a round
        peer_number = 1 if n >= 20000 else 3 if n >= 5000 else 10
        measured = timing.rounds({
            "replication": lambda: timing.per_call(lambda: evaluate(REPLICATION, "R", props, trust), 200),
            "policy": lambda: timing.per_call(lambda: evaluate("AWS::ECR::Repository", "P", policy, trust), 50),
            "replication_with_settings": lambda: timing.per_call(
                lambda: evaluate(REPLICATION, "R", props, static_trust.__wrapped__(
                    parse_settings(config), w.DEPLOYING, "aws")), 5),
            "guard_rs": lambda: timing.per_call(lambda: cfn_guard_rs.run_checks(template, rule), peer_number),
        }, repeat)
        results[n] = {
            **{name: timing.summary(values) for name, values in measured.items()},
            "ratio_guard_rs_over_ours": timing.ratios(measured["guard_rs"], measured["replication"]),
            "ratio_guard_rs_over_ours_with_settings": timing.ratios(
                measured["guard_rs"], measured["replication_with_settings"]),
        }
    return results


def growth(repeat: int = 15, sizes=(3, 20000)) -> dict:
    """Analysis time against the trusted set's size, the sizes interleaved round by round (as
    flat_bench does): ``run`` measures each size in its own block, minutes apart and after
    cfn-guard-rs's gigabyte at 20,000 accounts, so its ratio between sizes also measures how
    the machine drifted meanwhile. Same calls, same inputs; per-round ratios and fastest runs."""
    sides = {}
    for n in sizes:
        accounts = w.trusted_accounts(n)
        trust = trust_for(accounts)
        props = w.replication_properties(accounts)
        policy = w.repository_policy_properties(accounts)
        sides[f"replication {n}"] = (lambda p=props, t=trust: timing.per_call(
            lambda: evaluate(REPLICATION, "R", p, t), 200))
        sides[f"policy {n}"] = (lambda p=policy, t=trust: timing.per_call(
            lambda: evaluate("AWS::ECR::Repository", "P", p, t), 50))
    measured = timing.rounds(sides, repeat, alternate=True)
    small, large = sizes
    out: dict = {"sizes": list(sizes)}
    for what in ("replication", "policy"):
        a, b = measured[f"{what} {large}"], measured[f"{what} {small}"]
        out[what] = {"ratio": timing.ratios(a, b), "fastest_ratio": min(a) / min(b),
                     "ms": {str(n): timing.summary([v * 1e3 for v in measured[f"{what} {n}"]]) for n in sizes}}
    return out


# Cold against cold: a fresh interpreter imports, reads the configuration (ours) or the rule
# (cfn-guard-rs parses it on every call anyway), checks the one resource and exits.
COLD = """
import json, sys, time
started = time.perf_counter()
sys.path[:0] = [{src!r}, {here!r}]
import workloads as w
accounts = w.trusted_accounts({n})
props = w.replication_properties(accounts)
made = time.perf_counter()
if {peer}:
    import cfn_guard_rs
    template = w.template({{"R": {{"Type": "AWS::ECR::ReplicationConfiguration", "Properties": props}}}})
    rule = w.guard_rule(accounts)
    t0 = time.perf_counter()
    cfn_guard_rs.run_checks(template, rule)
else:
    from dataperimeter_ecr_replicationguard.core import evaluate
    from dataperimeter_ecr_replicationguard.settings import parse_settings
    from dataperimeter_ecr_replicationguard.trust_sources.static import static_trust
    config = w.type_configuration(accounts)
    t0 = time.perf_counter()
    evaluate("AWS::ECR::ReplicationConfiguration", "R", props, static_trust(parse_settings(config), w.DEPLOYING, "aws"))
done = time.perf_counter()
print(json.dumps({{"import_and_first": done - made, "first": done - t0}}))
"""


def cold(sizes=(3, 5000), repeat: int = 7) -> dict:
    import os
    import subprocess
    import sys

    here = os.path.dirname(os.path.abspath(__file__))
    src = os.path.join(os.path.dirname(here), "src")
    out = {}
    for n in sizes:
        runs: dict = {"ours": [], "guard_rs": []}
        for _ in range(repeat):
            for side, peer in (("ours", False), ("guard_rs", True)):
                t0 = timing.time.perf_counter()
                proc = subprocess.run([sys.executable, "-c", COLD.format(src=src, here=here, n=n, peer=peer)],
                                      capture_output=True, text=True, check=True)
                wall = timing.time.perf_counter() - t0
                runs[side].append({**json.loads(proc.stdout.strip().splitlines()[-1]), "wall": wall})
        out[n] = {}
        for key in ("wall", "import_and_first"):
            ours = [r[key] for r in runs["ours"]]
            peer = [r[key] for r in runs["guard_rs"]]
            out[n][key] = {"ours": timing.summary(ours), "guard_rs": timing.summary(peer),
                           "ratio_guard_rs_over_ours": timing.ratios(peer, ours)}
    return out
