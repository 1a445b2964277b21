"""Policy analysis against the trusted set's size, for every condition operator family and key
the checker reads. The principals are not trusted (``"*"``, or a service), so the conditions
decide; each condition lists a trusted value, so every statement's value is looked up (the worst
case: a statement pinned to the trusted set passes only after its lookup).
Goal: <= 1.25x from 3 to 100,000 trusted accounts (and as many organizations and OU paths:
the org-path families look those up), judged on the median of the per-round ratios: each round
times both sizes back to back (alternating which goes first), 50 calls each."""

from __future__ import annotations

import timing
import workloads as w
from dataperimeter_ecr_replicationguard.core import evaluate
from dataperimeter_ecr_replicationguard.core.trust import Trust

SIZES = (3, 100_000)
STATEMENTS = 50
CALLS = 50  # per measurement: about 0.1 s of analysis, long against the scheduler's time slice


def trust_of(n: int) -> Trust:
    accounts = w.trusted_accounts(n)
    orgs = [f"o-{i:010d}" for i in range(n)]
    paths = [f"{orgs[i]}/r-ab12/ou-ab12-{i:08d}/" for i in range(n)]
    return Trust(accounts=frozenset(accounts + [w.DEPLOYING]), organization_ids=frozenset(orgs),
                 ou_paths=frozenset(paths), partition="aws")


def _values(n: int, i: int) -> tuple[str, str, str]:
    """A trusted account, organization and OU path of the size-n set (from its end)."""
    k = n - 1 - (i % n)
    return f"{200000000000 + k * 7919:012d}", f"o-{k:010d}", \
        f"o-{k:010d}/r-ab12/ou-ab12-{k:08d}/"


# family -> (principal, operator, key, value(account, org, path))
FAMILIES = {
    "StringEquals aws:PrincipalAccount": ("*", "StringEquals", "aws:PrincipalAccount", lambda a, o, p: a),
    "StringEqualsIgnoreCase aws:PrincipalAccount": ("*", "StringEqualsIgnoreCase", "aws:PrincipalAccount",
                                                    lambda a, o, p: a),
    "StringEquals aws:PrincipalOrgID": ("*", "StringEquals", "aws:PrincipalOrgID", lambda a, o, p: o),
    "StringEqualsIgnoreCase aws:PrincipalOrgID": ("*", "StringEqualsIgnoreCase", "aws:PrincipalOrgID",
                                                  lambda a, o, p: o.upper()),
    "StringLike aws:PrincipalArn": ("*", "StringLike", "aws:PrincipalArn",
                                    lambda a, o, p: f"arn:aws:iam::{a}:role/*"),
    "ArnLike aws:PrincipalArn": ("*", "ArnLike", "aws:PrincipalArn", lambda a, o, p: f"arn:aws:iam::{a}:role/*"),
    "ArnEquals aws:PrincipalArn": ("*", "ArnEquals", "aws:PrincipalArn", lambda a, o, p: f"arn:aws:iam::{a}:root"),
    "ForAnyValue:StringLike aws:PrincipalOrgPaths": ("*", "ForAnyValue:StringLike", "aws:PrincipalOrgPaths",
                                                     lambda a, o, p: p + "*"),
    "ForAnyValue:StringEquals aws:PrincipalOrgPaths": ("*", "ForAnyValue:StringEquals", "aws:PrincipalOrgPaths",
                                                       lambda a, o, p: p),
    "ForAllValues:StringLike aws:PrincipalOrgPaths": ("*", "ForAllValues:StringLike", "aws:PrincipalOrgPaths",
                                                      lambda a, o, p: p + "*"),
    "StringEquals aws:SourceAccount (service)": ({"Service": "codebuild.amazonaws.com"}, "StringEquals",
                                                 "aws:SourceAccount", lambda a, o, p: a),
    "StringEqualsIgnoreCase aws:SourceOrgID (service)": ({"Service": "codebuild.amazonaws.com"},
                                                         "StringEqualsIgnoreCase", "aws:SourceOrgID",
                                                         lambda a, o, p: o.upper()),
    "ArnLike aws:SourceArn (service)": ({"Service": "codebuild.amazonaws.com"}, "ArnLike", "aws:SourceArn",
                                        lambda a, o, p: f"arn:aws:codebuild:eu-west-1:{a}:project/*"),
    "ForAnyValue:StringLike aws:SourceOrgPaths (service)": ({"Service": "codebuild.amazonaws.com"},
                                                            "ForAnyValue:StringLike", "aws:SourceOrgPaths",
                                                            lambda a, o, p: p + "*"),
}


def policy(family: str, n: int) -> dict:
    principal, operator, key, value = FAMILIES[family]
    body = []
    for i in range(STATEMENTS):
        account, org, path = _values(n, i * 7)
        body.append({"Effect": "Allow", "Principal": principal, "Action": "ecr:BatchGetImage",
                     "Condition": {operator: {key: value(account, org, path)}}})
    return {"RepositoryName": "bench/flat", "RepositoryPolicyText": {"Version": "2012-10-17", "Statement": body}}


def run(repeat: int = 15) -> dict:
    trusts = {n: trust_of(n) for n in SIZES}
    out = {}
    for family in FAMILIES:
        policies = {n: policy(family, n) for n in SIZES}
        findings = {n: evaluate("AWS::ECR::Repository", "P", policies[n], trusts[n]) for n in SIZES}
        rules = {n: sorted({f.rule_id for f in found}) for n, found in findings.items()}
        if len(set(map(tuple, rules.values()))) != 1:
            raise SystemExit(f"flat bench: {family}: the verdict depends on the trusted set's size: {rules}")
        for n in SIZES:  # warm the trusted set's derived lookups (built once per configuration)
            evaluate("AWS::ECR::Repository", "P", policies[n], trusts[n])
        measured = timing.rounds({
            n: (lambda n=n: timing.per_call(lambda: evaluate("AWS::ECR::Repository", "P", policies[n], trusts[n]),
                                            CALLS))
            for n in SIZES
        }, repeat, alternate=True)
        small, large = SIZES[0], SIZES[-1]
        out[family] = {
            "ms": {str(n): timing.summary([v * 1000 for v in measured[n]]) for n in SIZES},
            "ratio": timing.ratios(measured[large], measured[small]),
            "fastest_ratio": min(measured[large]) / min(measured[small]),
            "findings": rules[small],
        }
    return out


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else 3), indent=1))
