"""Cloud Control API operations (a hook's CLOUD_CONTROL target): the request is the resource shape
with ``targetType`` RESOURCE, no stack and a constructed logical ID, and the Region is the
function's own. Over the shared examples of tests/test_door_agreement.py the Lambda hook gives the
registered hook's verdict, failing rule IDs and words on the same stackless request."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from conftest import hook_request
from test_door_agreement import CONFIGS, RESOURCES
from test_lambda_hook import _fresh_execution_environment, failing, invoke_lambda, lambda_event  # noqa: F401 - autouse


def cloud_control(resource_type: str, properties: dict, config: dict | None = None) -> dict:
    event = hook_request(resource_type, properties, config=config, logical_id="CloudControl-1a2b3c", stack_id="")
    event["changeSetId"] = ""
    return event


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(resource=RESOURCES, config=CONFIGS)
def test_cloud_control_requests_get_the_registered_hooks_answer(resource, config, invoke, monkeypatch):
    monkeypatch.setenv("AWS_REGION", "eu-west-1")  # the registered hook's Region without a stack, too
    resource_type, properties = resource
    registered = invoke(cloud_control(resource_type, properties, config))
    event = lambda_event(cloud_control(resource_type, properties))
    assert event["requestData"]["targetType"] == "RESOURCE"
    answered = invoke_lambda(event, config, region="eu-west-1")
    assert (answered["hookStatus"], failing(answered)) == (registered["hookStatus"], failing(registered))
    assert answered["message"] == registered["message"]


def test_the_cloud_control_agreement_is_not_vacuous(invoke, monkeypatch):
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    foreign = {"ReplicationConfiguration": {"Rules": [{"Destinations": [{"Region": "eu-west-1",
                                                                          "RegistryId": "999999999999"}]}]}}
    answered = invoke_lambda(lambda_event(cloud_control("AWS::ECR::ReplicationConfiguration", foreign)), {})
    assert answered["hookStatus"] == "FAILED" and failing(answered) == ["ECR-REPLICATION-UNTRUSTED-DESTINATION"]
    trusted = invoke_lambda(lambda_event(cloud_control("AWS::ECR::ReplicationConfiguration", foreign)),
                            {"TrustedAccountIds": "999999999999"})
    assert trusted["hookStatus"] == "SUCCESS"
