"""The hook's STACK target: time per invocation (the real Lambda entrypoint, warm) for templates
of 10, 100 and 1,000 resources, the same template as YAML and as JSON (the payload's
``template`` text, as the library hands it over after fetching the presigned URL)."""

from __future__ import annotations

import json

import timing
import workloads as w

SIZES = (10, 100, 1000)


def template(n: int, accounts: list[str]) -> dict:
    """``n`` resources: ECR repositories with a policy and replication configurations (every
    value trusted, so every resource is evaluated in full), and other resources in between."""
    resources = {}
    for i in range(n):
        a = accounts[i % len(accounts)]
        kind = i % 4
        if kind == 0:
            resources[f"Repl{i}"] = {"Type": "AWS::ECR::ReplicationConfiguration", "Properties": {
                "ReplicationConfiguration": {"Rules": [{"Destinations": [
                    {"Region": "eu-west-1", "RegistryId": a}, {"Region": "us-west-2", "RegistryId": w.DEPLOYING}]}]}}}
        elif kind == 1:
            resources[f"Repo{i}"] = {"Type": "AWS::ECR::Repository", "Properties": {
                "RepositoryName": f"team-{i}/api", "ImageTagMutability": "IMMUTABLE",
                "RepositoryPolicyText": {"Version": "2012-10-17", "Statement": [{
                    "Sid": "Pull", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{a}:root"},
                    "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]}]}}}
        else:
            resources[f"Topic{i}"] = {"Type": "AWS::SNS::Topic", "Properties": {
                "TopicName": f"topic-{i}", "Tags": [{"Key": "team", "Value": f"t{i % 7}"}]}}
    return w.template(resources)


def event(text: str, config: dict) -> dict:
    e = w.hook_request("STACK", {}, config, logical_id="bench-stack")
    e["requestData"]["targetType"] = "STACK"
    e["requestData"]["targetModel"] = {"template": text}
    return e


def run(repeat: int = 5) -> dict:
    import yaml

    from dataperimeter_ecr_replicationguard.hook.handlers import hook

    accounts = w.trusted_accounts(50)
    config = w.type_configuration(accounts)
    out = {}
    for n in SIZES:
        document = template(n, accounts)
        texts = {"json": json.dumps(document, indent=1), "yaml": yaml.safe_dump(document, sort_keys=False)}
        for fmt, text in texts.items():
            answer = hook(event(text, config), None)
            if answer.get("hookStatus") != "SUCCESS":
                raise SystemExit(f"stack bench: {n} resources ({fmt}): {answer.get('message', '')[:300]}")
        number = 20 if n <= 10 else 5 if n <= 100 else 1
        events = {fmt: [event(t, config) for _ in range(number * repeat)] for fmt, t in texts.items()}
        measured = timing.rounds({
            fmt: (lambda fmt=fmt: timing.per_call(lambda: hook(events[fmt].pop(), None), number)) for fmt in texts
        }, repeat)
        out[str(n)] = {
            **{fmt: timing.summary(v) for fmt, v in measured.items()},
            "kib": {fmt: len(t.encode()) / 1024 for fmt, t in texts.items()},
            "yaml_over_json": timing.ratios(measured["yaml"], measured["json"]),
        }
    return out


if __name__ == "__main__":
    print(json.dumps(run(2), indent=1))
