"""The Lambda hook's settings: one document (the registered hook's ``Properties``, or the whole
set-type-configuration document) from ``GUARD_CONFIGURATION`` or the SSM parameter
``GUARD_CONFIGURATION_PARAMETER`` names, validated against schema.json, parsed once per execution
environment; a document that does not validate fails every invocation with the same
``InvalidTypeConfiguration`` message. AWS calls use the function's own role (one boto3 session)."""

from __future__ import annotations

import json
import pathlib

import boto3
import pytest
from botocore.stub import Stubber

from conftest import hook_request, replication
from dataperimeter_ecr_replicationguard.aws_api import configuration_source
from dataperimeter_ecr_replicationguard.lambda_hook import handler as handler_module
from organizations_helpers import empty_cache, org  # noqa: F401 - fixtures
from test_lambda_hook import DATA, _fresh_execution_environment, invoke_lambda, lambda_event  # noqa: F401 - autouse

ROOT = pathlib.Path(__file__).resolve().parent.parent
FOREIGN = "999999999999"
TRUSTED = "222222222222"
TYPE = "AWS::ECR::ReplicationConfiguration"


def events() -> list[tuple[dict, object]]:
    """One request of each target kind: (event, payload)."""
    out = []
    for name in ("resource-replication-update-foreign.json", "cloud-control-registry-policy-foreign.json",
                 "stack-replication-foreign.json", "change-set-repository-foreign.json"):
        case = json.loads((DATA / name).read_text(encoding="utf-8"))
        out.append((case["event"], case.get("payload")))
    return out


@pytest.mark.parametrize("document, problem", [
    ({"TrustedAccountIds": "12345"}, "TrustedAccountIds"),
    ({"TrustedAcountIds": TRUSTED}, "unknown setting 'TrustedAcountIds' (did you mean TrustedAccountIds?)"),
    ({"CloudFormationConfiguration": {"HookConfiguration": {"Properties": {"AccountSource": "Org"}}}}, "AccountSource"),
    ([TRUSTED], "must be a JSON object"),
])
def test_a_bad_document_fails_every_invocation_with_the_same_message(document, problem):
    messages = set()
    for event, payload in events() * 2:
        response = invoke_lambda(event, document, payload=payload, region="us-west-2")
        assert (response["hookStatus"], response["errorCode"]) == ("FAILED", "InternalFailure")
        messages.add(response["message"])
    [message] = messages
    assert message.startswith("InvalidTypeConfiguration: the hook's type configuration does not validate: "
                              "GUARD_CONFIGURATION: "), message
    assert problem in message


def test_text_that_is_not_json_names_the_variable_and_fails_closed():
    event, _ = events()[0]
    response = invoke_lambda(event, environ={"GUARD_CONFIGURATION": "TrustedAccountIds=222222222222"})
    assert response["hookStatus"] == "FAILED" and "GUARD_CONFIGURATION: not a JSON document" in response["message"]


@pytest.mark.parametrize("environ, words", [
    ({}, "no configuration: set GUARD_CONFIGURATION"),
    ({"GUARD_CONFIGURATION": "{}", "GUARD_CONFIGURATION_PARAMETER": "/ecr-perimeter-guard/settings"},
     "both GUARD_CONFIGURATION and GUARD_CONFIGURATION_PARAMETER are set"),
])
def test_exactly_one_source_of_settings(environ, words):
    event, _ = events()[0]
    response = invoke_lambda(event, environ=environ)
    assert response["hookStatus"] == "FAILED" and words in response["message"]


@pytest.mark.parametrize("path", sorted((ROOT / "deploy").glob("type-configuration-*.json")), ids=lambda p: p.name)
def test_the_registered_hooks_example_documents_configure_the_lambda_hook(path, monkeypatch):
    """The set-type-configuration documents work as they are: the same settings, both doors."""
    from dataperimeter_ecr_replicationguard.settings import parse_settings, properties_of

    document = json.loads(path.read_text(encoding="utf-8"))
    expected = parse_settings(properties_of(document))
    got = configuration_source.load_configuration({"GUARD_CONFIGURATION": json.dumps(document)}, lambda: None)
    assert got == expected


def test_the_document_is_parsed_once_per_execution_environment(monkeypatch):
    calls = []
    real = configuration_source.parse_settings
    monkeypatch.setattr(configuration_source, "parse_settings", lambda raw: calls.append(raw) or real(raw))
    for event, payload in events() * 3:
        invoke_lambda(event, {"TrustedAccountIds": TRUSTED}, payload=payload, region="us-west-2")
    assert len(calls) == 1


class _StubbedSession:
    """The function's session, answering with a Stubber-backed client for each service."""

    def __init__(self, clients: dict):
        self.clients = clients

    def client(self, service, **kwargs):
        return self.clients[service]


def _ssm(monkeypatch):
    client = boto3.client("ssm", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    monkeypatch.setattr(handler_module, "SESSION", _StubbedSession({"ssm": client}))
    return client, Stubber(client)


PARAMETER = {"GUARD_CONFIGURATION_PARAMETER": "/ecr-perimeter-guard/settings", "AWS_REGION": "eu-west-1"}


def test_the_ssm_parameter_is_read_once_with_decryption(monkeypatch):
    client, stub = _ssm(monkeypatch)
    stub.add_response("get_parameter", {"Parameter": {"Name": "/ecr-perimeter-guard/settings", "Type": "SecureString",
                                                      "Value": json.dumps({"TrustedAccountIds": TRUSTED})}},
                      {"Name": "/ecr-perimeter-guard/settings", "WithDecryption": True})
    event = lambda_event(hook_request(TYPE, replication(("eu-west-1", TRUSTED))))
    with stub:
        answers = [invoke_lambda(event, environ=PARAMETER)["hookStatus"] for _ in range(4)]
        stub.assert_no_pending_responses()
    assert answers == ["SUCCESS"] * 4  # a second GetParameter would have found no stubbed answer


def test_an_unreadable_parameter_fails_every_invocation_and_is_not_remembered(monkeypatch):
    client, stub = _ssm(monkeypatch)
    for _ in range(2):
        stub.add_client_error("get_parameter", "ParameterNotFound", "", 400)
    stub.add_response("get_parameter", {"Parameter": {"Value": json.dumps({"TrustedAccountIds": TRUSTED})}})
    event = lambda_event(hook_request(TYPE, replication(("eu-west-1", TRUSTED))))
    with stub:
        first, second, fixed = (invoke_lambda(event, environ=PARAMETER) for _ in range(3))
    assert first["message"] == second["message"]
    assert first["message"].startswith("InvalidTypeConfiguration: the hook's type configuration does not validate: "
                                       "SSM parameter '/ecr-perimeter-guard/settings' (GUARD_CONFIGURATION_PARAMETER): "
                                       "cannot be read: 'ParameterNotFound'")
    assert fixed["hookStatus"] == "SUCCESS"


def test_a_static_configuration_never_makes_an_aws_session(monkeypatch):
    class Refusing:
        def client(self, *args, **kwargs):
            raise AssertionError("no AWS call for a Static configuration")

    monkeypatch.setattr(handler_module, "SESSION", Refusing())
    for event, payload in events():
        assert invoke_lambda(event, {"TrustedAccountIds": TRUSTED}, payload=payload,
                             region="us-west-2")["hookStatus"] == "FAILED"  # foreign, judged without AWS


def test_organizations_trust_with_the_functions_own_role(org, monkeypatch):  # noqa: F811 - the fixture
    """AccountSource Organizations through the door: the function's session reads the organization
    (moto), warm invocations reuse the membership."""
    monkeypatch.setattr(handler_module, "SESSION", handler_module.LazySession())
    config = {"AccountSource": "Organizations", "TrustedOrganizationIds": org["id"]}

    def verdict(registry):
        event = lambda_event(hook_request(TYPE, replication(("eu-west-1", registry))))
        return invoke_lambda(event, config)

    assert verdict(org["prod_account"])["hookStatus"] == "SUCCESS"
    outside = verdict(FOREIGN)
    assert outside["errorCode"] == "NonCompliant" and FOREIGN in outside["message"]


def test_the_trusted_set_unavailable_fails_closed_as_the_registered_hook_says(monkeypatch, invoke):
    client = boto3.client("organizations", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(client)
    for _ in range(2):
        stub.add_client_error("describe_organization", "AccessDeniedException", "not allowed", 400)
    from dataperimeter_ecr_replicationguard.trust_sources import membership

    membership.clear_cache()
    monkeypatch.setattr(membership, "organizations_client", lambda *a, **k: client)
    monkeypatch.setattr(handler_module, "SESSION", _StubbedSession({}))
    config = {"AccountSource": "Organizations", "TrustedOrganizationIds": "o-a1b2c3d4e5"}
    properties = replication(("eu-west-1", TRUSTED))
    with stub:
        answered = invoke_lambda(lambda_event(hook_request(TYPE, properties, logical_id="Repl")), config)
        membership.clear_cache()
        registered = invoke(hook_request(TYPE, properties, config=config, logical_id="Repl"))
    assert registered["errorCode"] == "AccessDenied"
    assert (answered["hookStatus"], answered["errorCode"]) == ("FAILED", "InternalFailure")
    assert answered["message"] == registered["message"] and answered["message"].startswith("AccessDenied: Repl (")


@pytest.mark.parametrize("text", [
    "[" * 2000 + "]" * 2000,  # 4,000 characters: within Lambda's 4 KB of environment variables
    '{"TrustedAccountIds": ' + "[" * 1500 + "]" * 1500 + "}",
])
def test_a_document_nested_too_deeply_is_an_invalid_configuration_naming_the_variable(text):
    """json.loads raises RecursionError (not ValueError) past about 1,000 levels; a 4 KB variable
    reaches that. It is the settings document that is wrong, so the answer says so, as for any
    other document that does not read, not "could not evaluate this resource"."""
    messages = set()
    for event, payload in events():
        response = invoke_lambda(event, environ={"GUARD_CONFIGURATION": text, "AWS_REGION": "us-west-2"},
                                 payload=payload)
        assert (response["hookStatus"], response["errorCode"]) == ("FAILED", "InternalFailure")
        messages.add(response["message"])
    [message] = messages
    assert message.startswith("InvalidTypeConfiguration: the hook's type configuration does not validate: "
                              "GUARD_CONFIGURATION: not a JSON document (nested too deeply"), message
