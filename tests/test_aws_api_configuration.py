"""aws_api.configuration_source: the settings document of a door with no type configuration,
from GUARD_CONFIGURATION or the SSM parameter GUARD_CONFIGURATION_PARAMETER names (moto SSM)."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from dataperimeter_ecr_replicationguard.aws_api import configuration_source as source
from dataperimeter_ecr_replicationguard.settings import ConfigurationError

PROPERTIES = {"TrustedAccountIds": "222222222222,333333333333", "TrustedOrganizationIds": "o-exampleorgid1",
              "TrustDeployingAccount": "false", "AllowedReplicationRegions": "eu-west-1"}
WRAPPED = {"CloudFormationConfiguration": {"HookConfiguration": {
    "HookInvocationStatus": "ENABLED", "FailureMode": "FAIL", "TargetOperations": ["RESOURCE"],
    "Properties": PROPERTIES}}}
REGION = "eu-west-1"


def no_ssm():
    raise AssertionError("the SSM client must not be built when GUARD_CONFIGURATION is the source")


@pytest.fixture(autouse=True)
def fresh_memo():
    source.forget_cached_configuration()
    yield
    source.forget_cached_configuration()


@pytest.fixture
def ssm(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield boto3.client("ssm", region_name=REGION)


def expected_settings(settings):
    assert settings.trusted_account_ids == {"222222222222", "333333333333"}
    assert settings.trusted_organization_ids == {"o-exampleorgid1"}
    assert settings.trust_deploying_account is False
    assert settings.allowed_replication_regions == {"eu-west-1"}


@pytest.mark.parametrize("document", [PROPERTIES, WRAPPED], ids=["properties", "set-type-configuration"])
def test_the_document_in_the_environment_is_read_and_validated(document):
    expected_settings(source.load_configuration({"GUARD_CONFIGURATION": json.dumps(document)}, no_ssm))


@pytest.mark.parametrize("document", [PROPERTIES, WRAPPED], ids=["properties", "set-type-configuration"])
def test_the_ssm_parameter_is_read_with_decryption(ssm, document):
    ssm.put_parameter(Name="/guard/configuration", Value=json.dumps(document), Type="SecureString")
    settings = source.load_configuration({"GUARD_CONFIGURATION_PARAMETER": "/guard/configuration"}, lambda: ssm)
    expected_settings(settings)


def test_a_missing_parameter_names_the_parameter_and_the_error(ssm):
    with pytest.raises(ConfigurationError) as caught:
        source.load_configuration({"GUARD_CONFIGURATION_PARAMETER": "/guard/missing"}, lambda: ssm)
    assert "SSM parameter '/guard/missing'" in str(caught.value)
    assert "ParameterNotFound" in str(caught.value)


def test_access_denied_from_ssm_is_a_configuration_error():
    from botocore.stub import Stubber

    client = boto3.client("ssm", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        stub.add_client_error("get_parameter", service_error_code="AccessDeniedException",
                              service_message="User is not authorized to perform: ssm:GetParameter",
                              expected_params={"Name": "/guard/configuration", "WithDecryption": True})
        with pytest.raises(ConfigurationError) as caught:
            source.load_configuration({"GUARD_CONFIGURATION_PARAMETER": "/guard/configuration"}, lambda: client)
    assert str(caught.value) == ("SSM parameter '/guard/configuration' (GUARD_CONFIGURATION_PARAMETER): cannot be read: "
                                 "'AccessDeniedException': 'User is not authorized to perform: ssm:GetParameter'")


def test_a_client_that_cannot_even_be_built_is_a_configuration_error():
    def broken():
        raise RuntimeError("no Region configured")

    with pytest.raises(ConfigurationError, match="cannot be read: RuntimeError: 'no Region configured'"):
        source.load_configuration({"GUARD_CONFIGURATION_PARAMETER": "/guard/configuration"}, broken)


def test_non_json_text_says_where_and_what(ssm):
    ssm.put_parameter(Name="guard", Value="TrustedAccountIds=222222222222", Type="String")
    with pytest.raises(ConfigurationError) as caught:
        source.load_configuration({"GUARD_CONFIGURATION_PARAMETER": "guard"}, lambda: ssm)
    message = str(caught.value)
    assert message.startswith("SSM parameter 'guard' (GUARD_CONFIGURATION_PARAMETER): not a JSON document")
    assert "line 1 column 1" in message
    with pytest.raises(ConfigurationError, match=r"^GUARD_CONFIGURATION: not a JSON document"):
        source.load_configuration({"GUARD_CONFIGURATION": "{'TrustedAccountIds': 1}"}, no_ssm)


def test_schema_problems_are_prefixed_with_the_source():
    with pytest.raises(ConfigurationError) as caught:
        source.load_configuration({"GUARD_CONFIGURATION": json.dumps({"TrustedAcountIds": "222222222222"})}, no_ssm)
    assert caught.value.problems == [
        "GUARD_CONFIGURATION: unknown setting 'TrustedAcountIds' (did you mean TrustedAccountIds?)"]


def test_values_the_schema_admits_but_parse_settings_rejects_are_errors_too():
    with pytest.raises(ConfigurationError) as caught:
        source.load_configuration({"GUARD_CONFIGURATION": json.dumps({"Exemptions": "[1]"})}, no_ssm)
    assert caught.value.problems and all(p.startswith("GUARD_CONFIGURATION: ") for p in caught.value.problems)
    assert "Exemptions" in str(caught.value)


def test_a_schema_violation_names_the_setting():
    with pytest.raises(ConfigurationError) as caught:
        source.load_configuration({"GUARD_CONFIGURATION": json.dumps({"TrustedAccountIds": "2222"})}, no_ssm)
    assert str(caught.value).startswith("GUARD_CONFIGURATION: .TrustedAccountIds: '2222' does not match")


def test_a_json_array_is_not_a_configuration():
    with pytest.raises(ConfigurationError, match="must be a JSON object, got list"):
        source.load_configuration({"GUARD_CONFIGURATION": "[]"}, no_ssm)


def test_neither_variable_is_an_error_and_empty_counts_as_unset():
    for environ in ({}, {"GUARD_CONFIGURATION": "", "GUARD_CONFIGURATION_PARAMETER": "  "}):
        with pytest.raises(ConfigurationError, match="no configuration: set GUARD_CONFIGURATION"):
            source.load_configuration(environ, no_ssm)


def test_both_variables_is_an_error():
    with pytest.raises(ConfigurationError, match="both GUARD_CONFIGURATION and GUARD_CONFIGURATION_PARAMETER"):
        source.load_configuration({"GUARD_CONFIGURATION": "{}", "GUARD_CONFIGURATION_PARAMETER": "p"}, no_ssm)


def test_an_empty_document_gives_the_schema_defaults():
    settings = source.load_configuration({"GUARD_CONFIGURATION": "{}"}, no_ssm)
    assert settings.trust_deploying_account is True and settings.trusted_account_ids == frozenset()


def test_input_text_in_messages_is_escaped_and_cut():
    hostile = "\u001b[31m" + "x" * 5000
    with pytest.raises(ConfigurationError) as caught:
        source.load_configuration({"GUARD_CONFIGURATION": hostile}, no_ssm)
    message = str(caught.value)
    assert "\u001b" not in message and len(message) < 400
    with pytest.raises(ConfigurationError) as caught:
        source.load_configuration({"GUARD_CONFIGURATION_PARAMETER": "/p" + "y" * 3000},
                                  lambda: (_ for _ in ()).throw(RuntimeError("nope")))
    assert len(str(caught.value)) < 400


def test_the_ssm_parameter_is_read_once_per_execution_environment(ssm):
    ssm.put_parameter(Name="/guard/configuration", Value=json.dumps(PROPERTIES), Type="String")
    built = []

    def factory():
        built.append(1)
        return ssm

    environ = {"GUARD_CONFIGURATION_PARAMETER": "/guard/configuration"}
    first = source.cached_configuration(environ, factory)
    ssm.put_parameter(Name="/guard/configuration", Value="{}", Type="String", Overwrite=True)
    assert source.cached_configuration(environ, factory) is first
    assert len(built) == 1
    source.forget_cached_configuration()
    assert source.cached_configuration(environ, factory).trusted_account_ids == frozenset()


def test_a_failure_is_raised_again_on_every_invocation_with_the_same_message():
    environ = {"GUARD_CONFIGURATION": json.dumps({"TrustedAccountIds": "nope"})}
    messages = []
    for _ in range(3):
        with pytest.raises(ConfigurationError) as caught:
            source.cached_configuration(environ, no_ssm)
        messages.append(str(caught.value))
    assert len(set(messages)) == 1 and messages[0].startswith("GUARD_CONFIGURATION: .TrustedAccountIds: 'nope'")


def test_a_transient_ssm_failure_is_not_remembered(ssm):
    environ = {"GUARD_CONFIGURATION_PARAMETER": "/guard/later"}
    with pytest.raises(ConfigurationError, match="ParameterNotFound"):
        source.cached_configuration(environ, lambda: ssm)
    ssm.put_parameter(Name="/guard/later", Value=json.dumps(PROPERTIES), Type="String")
    expected_settings(source.cached_configuration(environ, lambda: ssm))


def test_the_memo_is_keyed_by_the_environment():
    one = source.cached_configuration({"GUARD_CONFIGURATION": json.dumps(PROPERTIES)}, no_ssm)
    other = source.cached_configuration({"GUARD_CONFIGURATION": "{}"}, no_ssm)
    assert one != other and other.trusted_account_ids == frozenset()
