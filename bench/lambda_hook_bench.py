"""The Lambda hook door (issue 16): cold start and warm invocations of
``lambda_hook.handler.handler`` against a bare Lambda handler floor (a function that returns SUCCESS
at once, the least any Lambda hook costs), with the registered hook's cold start beside it.

Cold: a fresh interpreter per run imports the entrypoint and answers one invocation (RESOURCE with
a Static configuration in GUARD_CONFIGURATION; and the first STACK invocation, which also loads the
template reader); the rounds interleave the sides, ratios are per round. Warm: in-process calls.

    python bench/lambda_hook_bench.py [--quick]     # prints the results as JSON (run.py keeps them)
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import tempfile

import timing
import workloads as w

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(os.path.dirname(HERE), "src")
LAMBDA_MODULE = "dataperimeter_ecr_replicationguard.lambda_hook.handler"
REGISTERED_MODULE = "dataperimeter_ecr_replicationguard.hook.handlers"
FLOOR = '''def handler(event, context):
    return {"hookStatus": "SUCCESS", "message": "ok", "clientRequestToken": event.get("clientRequestToken")}
'''

COLD = """
import time, json, sys, os
started = time.perf_counter()
import {module} as m
imported = time.perf_counter()
event = json.load(open({event!r}))
answer = m.{entry}(event, None)
done = time.perf_counter()
print(json.dumps({{"import": imported - started, "first": done - started, "status": answer.get("hookStatus"),
                  "modules": len(sys.modules)}}))
"""


def events(n_accounts: int = 3) -> dict:
    accounts = w.trusted_accounts(n_accounts)
    config = w.type_configuration(accounts)
    registered = w.hook_request("AWS::ECR::ReplicationConfiguration", w.replication_properties(accounts), config)
    resource = copy.deepcopy(registered)
    resource["requestData"].pop("callerCredentials", None)
    resource["hookModel"] = {"LambdaFunction": "arn:aws:lambda:eu-west-1:111111111111:function:bench"}
    resource["requestData"]["targetType"] = resource["requestData"]["targetName"]
    stack = copy.deepcopy(resource)
    template = ("Resources:\n  Replication:\n    Type: AWS::ECR::ReplicationConfiguration\n    Properties:\n"
                "      ReplicationConfiguration:\n        Rules:\n          - Destinations:\n"
                f"              - {{Region: eu-west-1, RegistryId: '{accounts[0]}'}}\n")
    stack["requestData"].update(targetName="STACK", targetType="STACK", targetLogicalId="bench",
                                targetModel={"template": template, "previousTemplate": ""})
    return {"registered": registered, "resource": resource, "stack": stack, "config": config}


def _environ(config: dict) -> dict:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([SRC, HERE]), "GUARD_CONFIGURATION": json.dumps(config),
            "AWS_REGION": "eu-west-1"}


def fresh(module: str, entry: str, event_path: str, env: dict, cwd: str | None = None) -> dict:
    code = COLD.format(module=module, entry=entry, event=event_path)
    t0 = timing.time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=cwd, capture_output=True, text=True, check=True)
    return {**json.loads(out.stdout.strip().splitlines()[-1]), "wall": timing.time.perf_counter() - t0}


def cold(repeat: int = 15) -> dict:
    made = events()
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for name in ("registered", "resource", "stack"):
            paths[name] = os.path.join(tmp, f"{name}.json")
            with open(paths[name], "w") as f:
                json.dump(made[name], f)
        with open(os.path.join(tmp, "bare_lambda_floor.py"), "w") as f:
            f.write(FLOOR)
        env = _environ(made["config"])
        floor_env = {**env, "PYTHONPATH": tmp}
        sides = {
            "lambda_hook": lambda: fresh(LAMBDA_MODULE, "handler", paths["resource"], env),
            "lambda_hook_stack": lambda: fresh(LAMBDA_MODULE, "handler", paths["stack"], env),
            "registered_hook": lambda: fresh(REGISTERED_MODULE, "hook", paths["registered"], env),
            "floor": lambda: fresh("bare_lambda_floor", "handler", paths["resource"], floor_env),
        }
        runs: dict[str, list[dict]] = {name: [] for name in sides}
        for _ in range(repeat):
            for name, run in sides.items():
                runs[name].append(run())
    if {r["status"] for rs in runs.values() for r in rs} != {"SUCCESS"}:
        raise SystemExit("lambda hook bench: every fresh interpreter must answer SUCCESS")
    out: dict = {}
    for key in ("wall", "first", "import"):
        out[key] = {name: timing.summary([r[key] for r in rs]) for name, rs in runs.items()}
        for name in ("lambda_hook", "lambda_hook_stack", "registered_hook"):
            out[key][f"ratio_{name}_over_floor"] = timing.ratios([r[key] for r in runs[name]],
                                                                 [r[key] for r in runs["floor"]])
        out[key]["ratio_lambda_hook_over_registered_hook"] = timing.ratios(
            [r[key] for r in runs["lambda_hook"]], [r[key] for r in runs["registered_hook"]])
    out["modules"] = {name: rs[0]["modules"] for name, rs in runs.items()}
    return out


def warm(repeat: int = 15, number: int = 30) -> dict:
    made = events()
    os.environ.update(GUARD_CONFIGURATION=json.dumps(made["config"]), AWS_REGION="eu-west-1")
    sys.path[:0] = [SRC]
    from dataperimeter_ecr_replicationguard.lambda_hook.handler import handler

    namespace: dict = {}
    exec(FLOOR, namespace)  # noqa: S102 - the floor, defined above
    floor = namespace["handler"]
    if handler(copy.deepcopy(made["resource"]), None)["hookStatus"] != "SUCCESS":
        raise SystemExit("lambda hook bench: the warm request must pass")
    pool = [copy.deepcopy(made["resource"]) for _ in range(number * repeat * 2 + 2)]
    measured = timing.rounds({
        "lambda_hook": lambda: timing.per_call(lambda: handler(pool.pop(), None), number),
        "floor": lambda: timing.per_call(lambda: floor(pool.pop(), None), number),
    }, repeat)
    return {**{name: timing.summary(v) for name, v in measured.items()},
            "ratio_lambda_hook_over_floor": timing.ratios(measured["lambda_hook"], measured["floor"])}


def run(repeat: int = 15) -> dict:
    return {"cold": cold(repeat), "warm": warm(repeat)}


def _ms(s: dict) -> str:
    if s["median"] < 1e-3:
        return f"{s['median'] * 1e6:.0f} µs ({s['min'] * 1e6:.0f}–{s['max'] * 1e6:.0f})"
    return f"{s['median'] * 1e3:.1f} ms ({s['min'] * 1e3:.1f}–{s['max'] * 1e3:.1f})"


def _x(s: dict) -> str:
    return f"{s['median']:.2f}x ({s['min']:.2f}–{s['max']:.2f})"


def markdown(r: dict) -> list[str]:
    """The section docs/performance.md carries for the Lambda hook (bench/report.py appends it)."""
    c, wm = r["cold"], r["warm"]
    lines = [
        "",
        "## Lambda hook: cold start and warm invocation vs a bare Lambda handler",
        "",
        "bench/lambda_hook_bench.py. Floor: a Lambda handler that returns SUCCESS at once (the least any Lambda",
        "hook costs). Cold: a fresh interpreter imports the entrypoint and answers one RESOURCE invocation",
        "(Static settings in GUARD_CONFIGURATION, parsed and validated against schema.json on that first call);",
        "\"first STACK\" also loads the template reader. The registered hook's cold start is measured beside it.",
        "",
        "| cold start | Lambda hook | Lambda hook, first STACK | registered hook | bare handler |",
        "| --- | --- | --- | --- | --- |",
    ]
    for key, label in (("wall", "whole process"), ("first", "import + first answer"), ("import", "import only")):
        row = c[key]
        lines.append(f"| {label} | {_ms(row['lambda_hook'])} | {_ms(row['lambda_hook_stack'])} | "
                     f"{_ms(row['registered_hook'])} | {_ms(row['floor'])} |")
    lines += [
        "",
        f"Over the floor, import + first answer: Lambda hook {_x(c['first']['ratio_lambda_hook_over_floor'])}, "
        f"registered hook {_x(c['first']['ratio_registered_hook_over_floor'])}; whole process: Lambda hook "
        f"{_x(c['wall']['ratio_lambda_hook_over_floor'])}, {_x(c['wall']['ratio_lambda_hook_over_registered_hook'])} "
        f"the registered hook's. Modules loaded: {', '.join(f'{k} {v}' for k, v in c['modules'].items())}.",
        f"Warm (in process): Lambda hook {_ms(wm['lambda_hook'])} per invocation, floor {_ms(wm['floor'])}.",
        "",
    ]
    return lines


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    results = run(repeat=3 if quick else 15)
    print(json.dumps(results))
