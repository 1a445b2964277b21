"""Benchmark inputs, generated deterministically: trusted sets, the maximal replication
configuration, a large repository policy, the equivalent Guard rule, hook requests and a
folder of templates. Shared by every measurement so that both sides see the same input."""

from __future__ import annotations

import json
import os
import uuid

TYPE_NAME = "DataPerimeter::ECR::ReplicationGuard"
DEPLOYING = "111111111111"
STACK_ID = f"arn:aws:cloudformation:eu-west-1:{DEPLOYING}:stack/bench/0f1e2d3c-4b5a-11ef-8a9b-0a1b2c3d4e5f"
REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2")
FOREIGN = "999999999999"


def trusted_accounts(n: int) -> list[str]:
    """``n`` distinct 12-digit account IDs (the deploying account is not among them)."""
    return [f"{200000000000 + i * 7919:012d}" for i in range(n)]


def replication_properties(accounts: list[str], rules: int = 10, destinations: int = 25) -> dict:
    """The maximal ReplicationConfiguration: 10 rules x 25 destinations, every destination
    trusted (a passing resource is the worst case: every destination must be checked).
    Destinations are spread over the trusted list, the last ones taken from its end."""
    step = max(1, len(accounts) // (rules * destinations))
    out = []
    for r in range(rules):
        dests = []
        for d in range(destinations):
            account = accounts[-1 - ((r * destinations + d) * step) % len(accounts)]
            dests.append({"Region": REGIONS[(r + d) % len(REGIONS)], "RegistryId": account})
        out.append({"Destinations": dests,
                    "RepositoryFilters": [{"Filter": f"team-{r}/", "FilterType": "PREFIX_MATCH"}]})
    return {"ReplicationConfiguration": {"Rules": out}}


def repository_policy_properties(accounts: list[str], statements: int = 50) -> dict:
    """An AWS::ECR::Repository with a 50-statement policy, every statement with conditions,
    every principal a trusted account (passing: every statement is analysed)."""
    body = []
    for i in range(statements):
        account = accounts[-1 - (i * max(1, len(accounts) // statements)) % len(accounts)]
        body.append({
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
            "Action": "ecr:BatchGetImage",
            "Condition": {"StringEquals": {"aws:PrincipalAccount": account}},
        })
    return {
        "RepositoryName": "bench/large-policy",
        "RepositoryPolicyText": {"Version": "2012-10-17", "Statement": body},  # < 10,240 chars
    }


def type_configuration(accounts: list[str], **extra: str) -> dict:
    return {"TrustedAccountIds": ",".join(accounts), "TrustDeployingAccount": "true", **extra}


def guard_rule(accounts: list[str]) -> str:
    """The Guard rule equivalent to the hook's replication check: every destination registry
    is in the trusted list (the Guard ``IN`` operator against the same list)."""
    listed = ", ".join(f'"{a}"' for a in [*accounts, DEPLOYING])
    return (
        f"let trusted_accounts = [{listed}]\n\n"
        "let replications = Resources.*[ Type == 'AWS::ECR::ReplicationConfiguration' ]\n\n"
        "rule ecr_replication_destinations_trusted when %replications !empty {\n"
        "    %replications.Properties.ReplicationConfiguration.Rules[*].Destinations[*].RegistryId IN %trusted_accounts\n"
        '    <<every replication destination registry is a trusted account>>\n'
        "}\n"
    )


def template(resources: dict) -> dict:
    return {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}


def hook_request(target: str, properties: dict, config: dict | None, logical_id: str = "Resource") -> dict:
    """A HookInvocationRequest as CloudFormation sends it to the Lambda entrypoint."""
    return {
        "clientRequestToken": str(uuid.uuid5(uuid.NAMESPACE_URL, target + logical_id)),
        "awsAccountId": DEPLOYING,
        "stackId": STACK_ID,
        "changeSetId": None,
        "hookTypeName": TYPE_NAME,
        "hookTypeVersion": "00000001",
        "hookModel": config,
        "actionInvocationPoint": "CREATE_PRE_PROVISION",
        "requestData": {
            "callerCredentials": json.dumps(
                {"accessKeyId": "AKIDEXAMPLE", "secretAccessKey": "secret", "sessionToken": "token"}),
            "targetName": target,
            "targetType": "RESOURCE",
            "targetLogicalId": logical_id,
            "targetModel": {"resourceProperties": properties},
        },
        "requestContext": {"invocation": 1, "callbackContext": None},
    }


def scan_folder(path: str, accounts: list[str], count: int = 1000) -> int:
    """``count`` templates with mixed ECR resources (replication, repositories with policies,
    registry policies, pull-through cache rules); every tenth names a foreign registry in its
    replication rule and is non-compliant. Returns how many are non-compliant."""
    os.makedirs(path, exist_ok=True)
    bad = 0
    for i in range(count):
        a, b = accounts[i % len(accounts)], accounts[(i * 31) % len(accounts)]
        foreign = i % 10 == 0
        bad += foreign
        resources = {
            "Replication": {"Type": "AWS::ECR::ReplicationConfiguration", "Properties": {
                "ReplicationConfiguration": {"Rules": [{"Destinations": [
                    {"Region": "us-west-2", "RegistryId": a},
                    {"Region": "eu-west-1", "RegistryId": FOREIGN if foreign else b},
                ]}]}}},
            "Repository": {"Type": "AWS::ECR::Repository", "Properties": {
                "RepositoryName": f"team-{i}/api",
                "ImageTagMutability": "IMMUTABLE",
                "ImageScanningConfiguration": {"ScanOnPush": True},
                "EncryptionConfiguration": {"EncryptionType": "KMS"},
                "RepositoryPolicyText": {"Version": "2012-10-17", "Statement": [{
                    "Sid": "Pull", "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{b}:root"},
                    "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]}]}}},
        }
        if i % 3 == 0:
            resources["Registry"] = {"Type": "AWS::ECR::RegistryPolicy", "Properties": {"PolicyText": {
                "Version": "2012-10-17", "Statement": [{
                    "Sid": "Replicate", "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{a}:root"},
                    "Action": ["ecr:CreateRepository", "ecr:ReplicateImage"],
                    "Resource": f"arn:aws:ecr:us-west-2:{DEPLOYING}:repository/*"}]}}}
        if i % 5 == 0:
            resources["Cache"] = {"Type": "AWS::ECR::PullThroughCacheRule", "Properties": {
                "EcrRepositoryPrefix": f"ecr-public-{i}", "UpstreamRegistryUrl": "public.ecr.aws"}}
        with open(os.path.join(path, f"stack-{i:04d}.json"), "w") as f:
            json.dump(template(resources), f, indent=1)
    return bad
