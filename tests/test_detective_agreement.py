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
    raise AssertionError(f"no API call for {resource_type}")


def detective_says(resource_type: str, properties: dict, config: dict) -> tuple[str, frozenset]:
    name, parameters = api_call(resource_type, properties)
    event = json.loads(TEMPLATE.read_text(encoding="utf-8"))
    event["account"] = event["detail"]["recipientAccountId"] = ACCOUNT
    event["detail"].update(eventName=name, requestParameters=parameters, responseElements=None)
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
