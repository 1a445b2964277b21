"""aws_api.security_hub: ASFF findings (required attributes, limits, stable Ids), imported with
BatchImportFindings into moto's Security Hub and read back with GetFindings; a compliant state
resolves the earlier finding; batches of 100; failures returned, never raised."""

from __future__ import annotations

import datetime
import json

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from dataperimeter_ecr_replicationguard.assess import Resource, assess
from dataperimeter_ecr_replicationguard.aws_api import security_hub as sh
from dataperimeter_ecr_replicationguard.aws_api import shapes
from dataperimeter_ecr_replicationguard.core.rules import BY_ID
from dataperimeter_ecr_replicationguard.exemptions import Exemption, Judged
from dataperimeter_ecr_replicationguard.invocation import Invocation
from dataperimeter_ecr_replicationguard.settings import parse_settings

ACCOUNT, TRUSTED, FOREIGN = "123456789012", "222222222222", "999999999999"
REGION = "eu-west-1"
PRODUCT = sh.default_product_arn(account=ACCOUNT, region=REGION)
GENERATOR = "dataperimeter-ecr-replicationguard/detective"
NOW, LATER = "2026-12-01T12:01:17Z", "2026-12-01T12:09:03.512Z"
CALLER = f"arn:aws:sts::{ACCOUNT}:assumed-role/PlatformAdmin/alice@example.com"
SETTINGS = parse_settings({"TrustedAccountIds": TRUSTED})
# The required top-level ASFF attributes (Security Hub User Guide, "Required top-level ASFF attributes").
REQUIRED = {"AwsAccountId", "CreatedAt", "Description", "GeneratorId", "Id", "ProductArn", "Resources",
            "SchemaVersion", "Severity", "Title", "Types", "UpdatedAt"}
COMMON = {"account": ACCOUNT, "region": REGION, "partition": "aws", "product_arn": PRODUCT, "generator_id": GENERATOR}


def replication(*destinations: tuple[str, str], region: str = REGION) -> Resource:
    [resource] = shapes.resources_from_call("ecr.amazonaws.com", "PutReplicationConfiguration", {
        "replicationConfiguration": {"rules": [{"destinations": [{"region": r, "registryId": a} for r, a in destinations]}]}},
        account=ACCOUNT, region=region)
    return resource


def judged(resource: Resource) -> list[Judged]:
    return assess([resource], SETTINGS, Invocation(ACCOUNT, REGION, "aws")).judged


def findings_for(resource: Resource, observed_at: str = NOW, **extra) -> list[dict]:
    return [sh.asff_finding(j, resource, observed_at=observed_at, caller=CALLER,
                            source="cloudtrail:PutReplicationConfiguration", **COMMON, **extra) for j in judged(resource)]


@pytest.fixture
def hub(monkeypatch):
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    with mock_aws():
        client = boto3.client("securityhub", region_name=REGION)
        client.enable_security_hub()
        yield client


def test_a_foreign_destination_becomes_a_complete_asff_finding():
    resource = replication(("us-east-2", FOREIGN))
    [finding] = findings_for(resource, docs_url="https://example.com/guard/blob/main/")
    assert REQUIRED <= set(finding)
    rule = BY_ID["ECR-REPLICATION-UNTRUSTED-DESTINATION"]
    assert finding["SchemaVersion"] == "2018-10-08" and finding["ProductArn"] == PRODUCT
    assert finding["AwsAccountId"] == ACCOUNT and finding["Region"] == REGION
    assert finding["Severity"] == {"Label": rule.severity.value, "Original": rule.severity.value} == {
        "Label": "HIGH", "Original": "HIGH"}
    assert finding["Title"] == f"{rule.title}: arn:aws:ecr:{REGION}:{ACCOUNT}:registry"
    assert FOREIGN in finding["Description"] and "/ReplicationConfiguration/Rules/0/Destinations/0/RegistryId" in finding["Description"]
    assert finding["Remediation"]["Recommendation"]["Url"] == (
        "https://docs.aws.amazon.com/AmazonECR/latest/userguide/registry-settings-configure.html")
    assert FOREIGN in finding["Remediation"]["Recommendation"]["Text"]
    assert finding["Remediation"]["Recommendation"]["Text"].endswith(
        "(see https://example.com/guard/blob/main/docs/rules.md#ecr-replication-untrusted-destination)")
    assert finding["Resources"] == [{"Type": "Other", "Id": f"arn:aws:ecr:{REGION}:{ACCOUNT}:registry",
                                     "Region": REGION, "Partition": "aws"}]
    fields = finding["ProductFields"]
    assert fields["dataperimeter/RuleId"] == rule.id and fields["dataperimeter/Caller"] == CALLER
    assert fields["dataperimeter/ResourceType"] == "AWS::ECR::ReplicationConfiguration"
    assert fields["dataperimeter/Subject"] == FOREIGN
    assert finding["Compliance"] == {"Status": "FAILED"} and finding["Workflow"] == {"Status": "NEW"}
    assert finding["RecordState"] == "ACTIVE" and finding["CreatedAt"] == finding["UpdatedAt"] == NOW
    assert finding["Types"][0].startswith("Software and Configuration Checks/")


def test_the_url_is_the_published_page_of_the_rule_and_the_resource_type():
    [finding] = findings_for(replication(("us-east-2", FOREIGN)))
    assert "(see" not in finding["Remediation"]["Recommendation"]["Text"]
    repository = shapes.repository_resource({"repositoryName": "app"}, json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:*"}]}),
        account=ACCOUNT, region=REGION)
    [public] = [sh.asff_finding(j, repository, observed_at=NOW, source="audit", **COMMON) for j in judged(repository)]
    assert public["Remediation"]["Recommendation"]["Url"] == (
        "https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policy-examples.html")
    undecided = sh.undecided_finding(repository, "x", "y", observed_at=NOW, source="audit", **COMMON)
    assert undecided["Remediation"]["Recommendation"]["Url"].startswith("https://docs.aws.amazon.com/")


def test_the_id_is_stable_per_resource_rule_and_path():
    one = findings_for(replication(("us-east-2", FOREIGN)))
    again = findings_for(replication(("us-east-2", FOREIGN)), observed_at=LATER)
    assert [f["Id"] for f in one] == [f["Id"] for f in again]
    two = findings_for(replication(("eu-central-1", ACCOUNT), ("us-east-2", FOREIGN)))
    assert two[0]["Id"] != one[0]["Id"]  # another path (destination 1)
    elsewhere = findings_for(replication(("us-east-2", FOREIGN), region="eu-central-1"))
    assert elsewhere[0]["Id"] != one[0]["Id"]  # another registry
    assert len(one[0]["Id"]) <= 512 and one[0]["Id"].startswith("ecr-perimeter/ECR-REPLICATION-UNTRUSTED-DESTINATION/")


def test_import_then_a_compliant_call_resolves_the_same_finding(hub):
    resource = replication(("us-east-2", FOREIGN))
    current = findings_for(resource)
    assert sh.import_findings(hub, current) == []
    [stored] = hub.get_findings()["Findings"]
    assert stored["Id"] == current[0]["Id"] and stored["Compliance"]["Status"] == "FAILED"

    fixed = replication(("eu-central-1", ACCOUNT))
    assert findings_for(fixed) == []
    previous = sh.active_findings(hub, resource_arn=fixed.logical_id, product_arn=PRODUCT, generator_id=GENERATOR)
    assert [p["Id"] for p in previous] == [current[0]["Id"]]
    update = sh.reconciled([], previous, observed_at=LATER)
    assert sh.import_findings(hub, update) == []
    [after] = hub.get_findings()["Findings"]
    assert after["Id"] == current[0]["Id"]
    assert after["Compliance"] == {"Status": "PASSED"} and after["Workflow"] == {"Status": "RESOLVED"}
    assert after["RecordState"] == "ARCHIVED" and after["UpdatedAt"] == LATER and after["CreatedAt"] == NOW
    assert sh.active_findings(hub, resource_arn=fixed.logical_id, product_arn=PRODUCT, generator_id=GENERATOR) == []


def test_reconciled_keeps_what_still_fails_and_resolves_only_what_is_gone():
    both = findings_for(replication(("us-east-2", FOREIGN), ("us-west-2", FOREIGN)))
    still = findings_for(replication(("us-east-2", FOREIGN), ("eu-central-1", ACCOUNT)), observed_at=LATER)
    update = sh.reconciled(still, both, observed_at=LATER)
    assert [(f["Id"], f["Compliance"]["Status"]) for f in update] == [
        (both[0]["Id"], "FAILED"), (both[1]["Id"], "PASSED")]


def test_active_findings_never_returns_another_products_or_resources_findings(hub):
    mine = findings_for(replication(("us-east-2", FOREIGN)))
    other_product = dict(mine[0], Id="other-1", ProductArn=sh.default_product_arn(account=ACCOUNT, region="us-east-1"))
    other_resource = findings_for(replication(("us-east-2", FOREIGN), region="eu-central-1"))
    assert sh.import_findings(hub, mine + [other_product] + other_resource) == []
    found = sh.active_findings(hub, resource_arn=f"arn:aws:ecr:{REGION}:{ACCOUNT}:registry", product_arn=PRODUCT,
                               generator_id=GENERATOR)
    assert [f["Id"] for f in found] == [mine[0]["Id"]]


def test_findings_are_imported_in_batches_of_one_hundred(hub):
    resource = replication(("us-east-2", FOREIGN))
    [template] = findings_for(resource)
    many = [dict(template, Id=f"{template['Id']}-{i}") for i in range(250)]
    calls = []
    hub.meta.events.register("provide-client-params.securityhub.BatchImportFindings",
                             lambda params, **_: calls.append(len(params["Findings"])))
    assert sh.import_findings(hub, many) == []
    assert calls == [100, 100, 50]
    assert len(list(hub.get_paginator("get_findings").paginate().build_full_result()["Findings"])) == 250


def test_a_failed_import_is_returned_never_raised():
    client = boto3.client("securityhub", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    findings = findings_for(replication(("us-east-2", FOREIGN), ("us-west-2", FOREIGN)))
    with Stubber(client) as stub:
        stub.add_client_error("batch_import_findings", "AccessDeniedException",
                              "not authorized to perform: securityhub:BatchImportFindings")
        assert sh.import_findings(client, findings) == [
            {"Id": f["Id"], "ErrorCode": "AccessDeniedException",
             "ErrorMessage": "not authorized to perform: securityhub:BatchImportFindings"} for f in findings]
        stub.add_response("batch_import_findings", {"FailedCount": 1, "SuccessCount": 1, "FailedFindings": [
            {"Id": findings[1]["Id"], "ErrorCode": "InvalidInput", "ErrorMessage": "Finding is too large"}]})
        assert sh.import_findings(client, findings) == [
            {"Id": findings[1]["Id"], "ErrorCode": "InvalidInput", "ErrorMessage": "Finding is too large"}]


def test_every_finding_this_module_makes_passes_botocores_asff_validation():
    """botocore validates BatchImportFindings' parameters against the AwsSecurityFinding shape
    (required members, types, enums are the service's) before any request is sent."""
    from botocore.validate import ParamValidator

    model = boto3.client("securityhub", region_name=REGION, aws_access_key_id="x",
                         aws_secret_access_key="x").meta.service_model.operation_model("BatchImportFindings")
    repository = shapes.repository_resource({"repositoryName": "app"}, json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:*"}]}),
        account=ACCOUNT, region="cn-north-1")
    made = findings_for(replication(("us-east-2", FOREIGN)))
    made += [sh.asff_finding(j, repository, observed_at=NOW, source="audit", account=ACCOUNT, region="cn-north-1",
                             partition="aws-cn", product_arn=PRODUCT, generator_id=GENERATOR) for j in judged(repository)]
    made.append(sh.undecided_finding(Resource("AWS::ECR::RegistryPolicy", f"arn:aws:ecr:{REGION}:{ACCOUNT}:registry", {}),
                                     "the registry policy (GetRegistryPolicy)", "AccessDeniedException: denied",
                                     observed_at=NOW, source="audit", **COMMON))
    made.append(sh.resolved_finding(made[0], observed_at=LATER))
    report = ParamValidator().validate({"Findings": made}, model.input_shape)
    assert not report.has_errors(), report.generate_report()
    assert all(REQUIRED <= set(f) for f in made)
    assert made[1]["Resources"][0] == {"Type": "AwsEcrRepository", "Id": "arn:aws-cn:ecr:cn-north-1:123456789012:repository/app",
                                       "Region": "cn-north-1", "Partition": "aws-cn"}


def test_an_undecided_resource_is_failed_saying_what_and_why():
    resource = Resource("AWS::ECR::ReplicationConfiguration", f"arn:aws:ecr:{REGION}:{ACCOUNT}:registry", {})
    finding = sh.undecided_finding(resource, "the replication configuration (DescribeRegistry)",
                                   "AccessDeniedException: not authorized", observed_at=NOW, caller=CALLER,
                                   source="cloudtrail:PutReplicationConfiguration", **COMMON)
    assert finding["Compliance"] == {"Status": "FAILED"} and finding["Severity"]["Label"] == "HIGH"
    assert finding["ProductFields"]["dataperimeter/RuleId"] == sh.UNDECIDED
    assert "DescribeRegistry" in finding["Description"] and "AccessDeniedException" in finding["Description"]
    assert finding["Id"] == sh.undecided_finding(resource, "x", "y", observed_at=LATER, source="audit", **COMMON)["Id"]


def test_exempted_and_expired_exemptions_are_said():
    [plain] = judged(replication(("us-east-2", FOREIGN)))
    exemption = Exemption(index=2, reason="SEC-1234 migration", expires=datetime.date(2999, 1, 1))
    exempted = sh.asff_finding(Judged(plain.finding, exemption=exemption), replication(("us-east-2", FOREIGN)),
                               observed_at=NOW, source="audit", **COMMON)
    assert exempted["Compliance"] == {"Status": "WARNING"}
    assert exempted["ProductFields"]["dataperimeter/Exemption"] == "#2 until 2999-01-01: SEC-1234 migration"
    expired = sh.asff_finding(Judged(plain.finding, expired=exemption), replication(("us-east-2", FOREIGN)),
                              observed_at=NOW, source="audit", **COMMON)
    assert expired["Compliance"] == {"Status": "FAILED"} and "dataperimeter/ExpiredExemption" in expired["ProductFields"]
    bare = sh.asff_finding(plain.finding, replication(("us-east-2", FOREIGN)), observed_at=NOW, source="audit", **COMMON)
    assert bare["Compliance"] == {"Status": "FAILED"} and bare["Id"] == exempted["Id"]


def test_text_from_the_input_is_escaped_and_cut_to_the_asff_limits():
    hostile = "arn:aws:sts::123456789012:assumed-role/x/\u202e\n" + "y" * 5000
    text = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "s" * 3000, "Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam::{FOREIGN}:root"] * 3},
         "Action": "ecr:BatchGetImage"}]})
    repository = shapes.repository_resource({"repositoryName": "app"}, text, account=ACCOUNT, region=REGION)
    for j in judged(repository):
        finding = sh.asff_finding(j, repository, observed_at=NOW, caller=hostile, source="audit\u202e", **COMMON)
        assert len(finding["Title"]) <= 256 and len(finding["Description"]) <= 1024
        assert len(finding["Remediation"]["Recommendation"]["Text"]) <= 512
        caller = finding["ProductFields"]["dataperimeter/Caller"]
        assert "\u202e" not in caller and "\n" not in caller and "\\u202e" in caller and len(caller) <= 2048
        assert all(len(v) <= 2048 and "\u202e" not in v for v in finding["ProductFields"].values())


@pytest.mark.parametrize("when", ["2026-12-01 12:00:00", "yesterday", "", "2026-12-01T12:00:00"])
def test_a_timestamp_that_is_not_iso_8601_is_refused(when):
    with pytest.raises(ValueError, match="ISO 8601"):
        findings_for(replication(("us-east-2", FOREIGN)), observed_at=when)
