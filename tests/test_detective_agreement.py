"""The detective door agrees with the registered hook: the same resource, set by an API call that
CloudTrail records (the camelCase request, through the envelope reader, the shared adapter and
assess), and proposed in a CloudFormation template (through ``hook.handlers.hook``'s RESOURCE
target), gets the same status and the same failing rule IDs under the same configuration.

Shared examples: the shipped hook examples (``examples/*.json``) and the generated resources of
tests/test_door_agreement.py (trusted, foreign, malformed accounts, several Regions and partitions).
The account making the call is the account deploying the stack (``TrustDeployingAccount``)."""

from __future__ import annotations

import json
import pathlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ACCOUNT, hook_request
from dataperimeter_ecr_replicationguard.detective.events import read_event
from dataperimeter_ecr_replicationguard.detective.verdict import judge_call
from dataperimeter_ecr_replicationguard.settings import configuration_properties, parse_settings
from test_door_agreement import EXAMPLES, OTHER, RESOURCES, _failing

CONFIGS = st.sampled_from([{"TrustedAccountIds": OTHER, "TrustDeployingAccount": "true"},
                           {"TrustedAccountIds": OTHER, "TrustDeployingAccount": "false"},
                           {"TrustedAccountIds": OTHER, "AllowedReplicationRegions": "eu-west-1,us-east-1"}])
TEMPLATE = pathlib.Path(__file__).resolve().parent / "data" / "cloudtrail" / "detective" / "put-replication-trusted.json"


def api_call(resource_type: str, properties: dict) -> tuple[str, dict]:
    """The API call that sets what these CloudFormation properties declare: (eventName, requestParameters)."""
    if resource_type == "AWS::ECR::ReplicationConfiguration":
        rules = [{"destinations": [{"region": d["Region"], "registryId": d["RegistryId"]} for d in r["Destinations"]],
                  **({"repositoryFilters": [{"filter": f["Filter"], "filterType": f["FilterType"]}
                                            for f in r["RepositoryFilters"]]} if "RepositoryFilters" in r else {})}
                 for r in properties["ReplicationConfiguration"]["Rules"]]
        return "PutReplicationConfiguration", {"replicationConfiguration": {"rules": rules}}
    if resource_type == "AWS::ECR::Repository":
        return "SetRepositoryPolicy", {"repositoryName": properties["RepositoryName"],
                                       "policyText": json.dumps(properties["RepositoryPolicyText"])}
    if resource_type == "AWS::ECR::RegistryPolicy":
        return "PutRegistryPolicy", {"policyText": json.dumps(properties["PolicyText"])}
    if resource_type == "AWS::ECR::PullThroughCacheRule":
        keys = {"EcrRepositoryPrefix": "ecrRepositoryPrefix", "UpstreamRegistryUrl": "upstreamRegistryUrl",
                "UpstreamRegistry": "upstreamRegistry", "CredentialArn": "credentialArn"}
        return "CreatePullThroughCacheRule", {api: properties[cfn] for cfn, api in keys.items() if cfn in properties}
    if resource_type == "AWS::ECR::RepositoryCreationTemplate":
        parameters = {"prefix": properties["Prefix"], "appliedFor": properties["AppliedFor"]}
        if "RepositoryPolicy" in properties:
            parameters["repositoryPolicy"] = properties["RepositoryPolicy"]
        return "CreateRepositoryCreationTemplate", parameters
    if resource_type == "AWS::ECR::PublicRepository":
        return "SetRepositoryPolicy", {"repositoryName": properties["RepositoryName"],
                                       "policyText": json.dumps(properties["RepositoryPolicyText"])}
    raise AssertionError(f"no API call for {resource_type}")


def detective_says(resource_type: str, properties: dict, config: dict, region: str = "eu-west-1") -> tuple[str, frozenset]:
    name, parameters = api_call(resource_type, properties)
    event = json.loads(TEMPLATE.read_text(encoding="utf-8"))
    event["account"] = event["detail"]["recipientAccountId"] = ACCOUNT
    event["detail"].update(eventName=name, requestParameters=parameters, responseElements=None)
    event["region"] = event["detail"]["awsRegion"] = region
    if resource_type == "AWS::ECR::PublicRepository":
        event["source"], event["detail"]["eventSource"] = "aws.ecr-public", "ecr-public.amazonaws.com"
    verdict = judge_call(read_event(event), parse_settings(configuration_properties(config)))
    assert not verdict.undecided, verdict.undecided
    return ("SUCCESS" if verdict.compliant else "FAILED"), frozenset(j.finding.rule_id for _, j in verdict.failing)


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.name)
def test_the_detective_door_agrees_with_the_hook_on_the_shipped_examples(example, invoke):
    case = json.loads(example.read_text(encoding="utf-8"))
    data = case["event"]["requestData"]
    properties, config = data["targetModel"]["resourceProperties"], case["event"]["hookModel"]
    hook = _failing(invoke(hook_request(data["targetName"], properties, config=config)))
    assert hook[0] == case["expect"]
    assert detective_says(data["targetName"], properties, config) == hook


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(resource=RESOURCES, config=CONFIGS)
def test_the_detective_door_agrees_with_the_hook_on_generated_resources(resource, config, invoke):
    resource_type, properties = resource
    hook = _failing(invoke(hook_request(resource_type, properties, config=config)))
    assert detective_says(resource_type, properties, config) == hook


def test_the_agreement_reaches_both_verdicts():
    foreign = {"ReplicationConfiguration": {"Rules": [{"Destinations": [{"Region": "eu-west-1",
                                                                         "RegistryId": "999999999999"}]}]}}
    trusted = {"ReplicationConfiguration": {"Rules": [{"Destinations": [{"Region": "eu-west-1", "RegistryId": OTHER}]}]}}
    config = {"TrustedAccountIds": OTHER}
    assert detective_says("AWS::ECR::ReplicationConfiguration", foreign, config) == (
        "FAILED", frozenset({"ECR-REPLICATION-UNTRUSTED-DESTINATION"}))
    assert detective_says("AWS::ECR::ReplicationConfiguration", trusted, config) == ("SUCCESS", frozenset())


def _policy(principal: object, action: str = "ecr:BatchGetImage") -> dict:
    return {"Version": "2012-10-17", "Statement": [{"Sid": "S", "Effect": "Allow", "Principal": principal,
                                                    "Action": [action]}]}


_ECR = "999999999999.dkr.ecr.us-east-1.amazonaws.com"
OTHER_RESOURCES = [
    ("AWS::ECR::PullThroughCacheRule", {"EcrRepositoryPrefix": "hub", "UpstreamRegistryUrl": "registry-1.docker.io",
                                        "UpstreamRegistry": "docker-hub"}),
    ("AWS::ECR::PullThroughCacheRule", {"EcrRepositoryPrefix": "ecr", "UpstreamRegistryUrl": _ECR, "UpstreamRegistry": "ecr"}),
    ("AWS::ECR::PullThroughCacheRule", {"EcrRepositoryPrefix": "ecr", "UpstreamRegistryUrl": "https://" + _ECR.upper(),
                                        "UpstreamRegistry": "ecr"}),
    ("AWS::ECR::PullThroughCacheRule", {"EcrRepositoryPrefix": "ecr", "UpstreamRegistryUrl": _ECR.replace("999999999999", OTHER)}),
    ("AWS::ECR::PullThroughCacheRule", {"EcrRepositoryPrefix": "ROOT", "UpstreamRegistryUrl": _ECR + ":443/x"}),
    ("AWS::ECR::RepositoryCreationTemplate", {"Prefix": "ROOT", "AppliedFor": ["REPLICATION"],
                                              "RepositoryPolicy": json.dumps(_policy({"AWS": "999999999999"}))}),
    ("AWS::ECR::RepositoryCreationTemplate", {"Prefix": "team/a", "AppliedFor": ["PULL_THROUGH_CACHE"],
                                              "RepositoryPolicy": json.dumps(_policy({"AWS": OTHER}))}),
    ("AWS::ECR::RepositoryCreationTemplate", {"Prefix": "team/a", "AppliedFor": ["CREATE_ON_PUSH"]}),
    ("AWS::ECR::PublicRepository", {"RepositoryName": "tools", "RepositoryPolicyText": _policy("*", "ecr-public:PutImage")}),
    ("AWS::ECR::PublicRepository", {"RepositoryName": "tools", "RepositoryPolicyText": _policy("*", "ecr-public:BatchGetImage")}),
    ("AWS::ECR::PublicRepository", {"RepositoryName": "tools",
                                    "RepositoryPolicyText": _policy({"AWS": "999999999999"}, "ecr-public:*")}),
]


@pytest.mark.parametrize("resource_type, properties", OTHER_RESOURCES, ids=lambda v: v if isinstance(v, str) else "")
@pytest.mark.parametrize("config", [{"TrustedAccountIds": OTHER},
                                    {"TrustedAccountIds": OTHER, "AllowedUpstreamRegistryUrls": "public.ecr.aws"}])
def test_the_detective_door_agrees_with_the_hook_on_cache_rules_templates_and_public_repositories(
        resource_type, properties, config, invoke):
    region = "us-east-1" if resource_type == "AWS::ECR::PublicRepository" else "eu-west-1"
    stack = f"arn:aws:cloudformation:{region}:{ACCOUNT}:stack/ecr-perimeter-test/0f1e2d3c-4b5a-11ef-8a9b-0a1b2c3d4e5f"
    hook = _failing(invoke(hook_request(resource_type, properties, config=config, stack_id=stack)))
    assert detective_says(resource_type, properties, config, region) == hook
