"""The hook through its real Lambda entrypoints, with complete HookInvocationRequest events."""

from __future__ import annotations

import json

import pytest

from conftest import ACCOUNT, cfn_test_event, hook_request, replication

TYPE = "AWS::ECR::ReplicationConfiguration"
CONFIG = {"TrustedAccountIds": "222222222222", "TrustDeployingAccount": "true"}


def test_create_trusted_destinations_succeed(invoke):
    response = invoke(hook_request(TYPE, replication(("eu-central-1", ACCOUNT), ("eu-west-1", "222222222222")), config=CONFIG))
    assert response["hookStatus"] == "SUCCESS"
    assert "errorCode" not in response
    assert [a["status"] for a in response["annotations"]] == ["PASSED"]


def test_create_foreign_destination_is_noncompliant_with_annotation(invoke):
    event = hook_request(TYPE, replication(("eu-west-1", "222222222222"), ("us-east-1", "999999999999")),
                         config=CONFIG, logical_id="OrgReplication")
    response = invoke(event)
    assert response["hookStatus"] == "FAILED"
    assert response["errorCode"] == "NonCompliant"
    message = response["message"]
    assert "OrgReplication" in message and "999999999999" in message and "us-east-1" in message
    assert "/ReplicationConfiguration/Rules/0/Destinations/1/RegistryId" in message
    [annotation] = response["annotations"]
    assert annotation["annotationName"] == "ECR-REPLICATION-UNTRUSTED-DESTINATION"
    assert annotation["status"] == "FAILED" and annotation["severityLevel"] == "HIGH"
    assert "999999999999" in annotation["remediationMessage"]
    assert response["clientRequestToken"] == event["clientRequestToken"]


def test_update_only_the_proposed_properties_decide(invoke):
    foreign_now = hook_request(TYPE, replication(("ap-south-1", "444455556666")),
                               previous=replication(("eu-west-1", "222222222222")),
                               point="UPDATE_PRE_PROVISION", config=CONFIG)
    assert invoke(foreign_now)["errorCode"] == "NonCompliant"
    fixed_now = hook_request(TYPE, replication(("eu-west-1", "222222222222")),
                             previous=replication(("ap-south-1", "444455556666")),
                             point="UPDATE_PRE_PROVISION", config=CONFIG)
    assert invoke(fixed_now)["hookStatus"] == "SUCCESS"


def test_configuration_strings_are_honoured(invoke):
    event = hook_request(TYPE, replication(("eu-central-1", ACCOUNT)), config={"TrustDeployingAccount": "false"})
    assert invoke(event)["errorCode"] == "NonCompliant"


def test_no_configuration_applies_defaults(invoke):
    # hookModel absent: the library passes None; the default trusts the deploying account only.
    assert invoke(hook_request(TYPE, replication(("eu-central-1", ACCOUNT)), config=None))["hookStatus"] == "SUCCESS"
    assert invoke(hook_request(TYPE, replication(("eu-central-1", "222222222222")), config={}))["hookStatus"] == "FAILED"


def test_allowed_regions(invoke):
    config = dict(CONFIG, AllowedReplicationRegions="eu-west-1,eu-central-1")
    response = invoke(hook_request(TYPE, replication(("ap-south-1", "222222222222")), config=config))
    assert response["errorCode"] == "NonCompliant"
    assert "ECR-REPLICATION-REGION-NOT-ALLOWED" in response["message"]


def test_invalid_type_configuration_fails_closed(invoke):
    response = invoke(hook_request(TYPE, replication(("eu-west-1", ACCOUNT)), config={"TrustedAccountIds": "12345678901"}))
    assert response["hookStatus"] == "FAILED"
    assert response["errorCode"] == "InvalidTypeConfiguration"
    assert "TrustedAccountIds" in response["message"] and "'12345678901'" in response["message"]


@pytest.mark.parametrize(
    "properties, code",
    [
        ({"ReplicationConfiguration": "not an object"}, "InvalidRequest"),
        (replication(("eu-west-1", "{{resolve:ssm:/replica}}")), "InvalidRequest"),
        (replication(("eu-west-1", None)), "InvalidRequest"),
        (replication(("eu-west-1", None), ("eu-west-1", "999999999999")), "NonCompliant"),
    ],
    ids=["malformed", "dynamic reference", "null id", "violation wins"],
)
def test_unreadable_input_fails_closed(invoke, properties, code):
    response = invoke(hook_request(TYPE, properties, config=CONFIG))
    assert response["hookStatus"] == "FAILED"
    assert response["errorCode"] == code
    assert response["message"].startswith(code + ": Resource (AWS::ECR::ReplicationConfiguration)")


@pytest.mark.parametrize("model", [None, {}, {"resourceProperties": None}, {"resourceProperties": "text"}],
                         ids=["no model", "empty model", "null properties", "string properties"])
def test_missing_target_model_fails_closed(invoke, model):
    event = hook_request(TYPE, {}, config=CONFIG)
    event["requestData"]["targetModel"] = model
    response = invoke(event)
    assert response["hookStatus"] == "FAILED"
    assert response["errorCode"] == "InvalidRequest"
    assert "resourceProperties" in response["message"]


def test_unsupported_target(invoke):
    response = invoke(hook_request("AWS::S3::Bucket", {"BucketName": "x"}, config=CONFIG))
    assert response["hookStatus"] == "FAILED"
    assert response["errorCode"] == "UnsupportedTarget"


def test_an_internal_error_fails_closed_with_a_message(invoke, monkeypatch):
    from dataperimeter_ecr_replicationguard import assess

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom: secret detail")

    monkeypatch.setattr(assess, "evaluate", broken)  # the core, as the flow calls it
    response = invoke(hook_request(TYPE, replication(("eu-west-1", ACCOUNT)), config=CONFIG))
    assert response["hookStatus"] == "FAILED"
    assert response["errorCode"] == "InternalFailure"
    assert "RuntimeError" in response["message"] and "secret detail" not in response["message"]


def test_message_fits_the_status_reason_with_many_findings(invoke):
    properties = {"ReplicationConfiguration": {"Rules": [
        {"Destinations": [{"Region": "us-east-1", "RegistryId": f"9{r:02d}{d:09d}"} for d in range(100)]}
        for r in range(25)]}}
    response = invoke(hook_request(TYPE, properties, config=CONFIG))
    assert response["errorCode"] == "NonCompliant"
    assert len(response["message"]) <= 1024
    assert "2500 findings" in response["message"]
    assert len(response["annotations"]) == 2500


def test_partition_and_region_come_from_the_stack_arn(invoke):
    from dataperimeter_ecr_replicationguard.invocation import invocation_of

    china = invocation_of(ACCOUNT, f"arn:aws-cn:cloudformation:cn-north-1:{ACCOUNT}:stack/s/1")
    assert (china.region, china.partition) == ("cn-north-1", "aws-cn")
    local = invocation_of(ACCOUNT, "not-an-arn", region="us-gov-west-1")
    assert (local.region, local.partition) == ("us-gov-west-1", "aws-us-gov")


def test_test_entrypoint_answers_with_status():
    from dataperimeter_ecr_replicationguard.hook.handlers import test_entrypoint

    good = test_entrypoint(cfn_test_event(TYPE, replication(("eu-west-1", "222222222222")), config=CONFIG), None)
    assert good["status"] == "SUCCESS"
    bad = test_entrypoint(cfn_test_event(TYPE, replication(("eu-west-1", "999999999999")), config=CONFIG), None)
    assert bad["status"] == "FAILED" and bad["errorCode"] == "NonCompliant" and bad["message"]
    invalid = test_entrypoint(cfn_test_event(TYPE, {"ReplicationConfiguration": []}, config=CONFIG), None)
    assert invalid["status"] == "FAILED" and invalid["errorCode"] == "InvalidRequest"


def test_response_is_json_serialisable(invoke):
    response = invoke(hook_request(TYPE, replication(("eu-west-1", "999999999999")), config=CONFIG))
    assert json.loads(json.dumps(response)) == response
