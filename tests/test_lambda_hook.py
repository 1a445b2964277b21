"""The Lambda hook door (``lambda_hook.handler.handler``) on the requests and responses of the
CloudFormation Hooks User Guide ("Create Lambda functions to evaluate resources for Lambda Hooks"):
the fixtures of tests/data/lambda_hook/ (resource, Cloud Control, stack and change set inputs, the
payloads served on 127.0.0.1 in place of the S3 presigned URL), every response field the guide
documents, the guide's spellings, the payload fetch failing closed, and the answer being word for
word the registered hook's on the same properties.

The helpers here (:func:`invoke_lambda`, :func:`lambda_event`, :func:`served`) are what the other
``test_lambda_hook_*`` modules and tests/test_door_agreement.py run the door with (a real HTTP
server on 127.0.0.1 stands in for S3, as tests/local_http.py does for the registered hook)."""

from __future__ import annotations

import contextlib
import copy
import http.server
import json
import os
import pathlib
import threading
from typing import Any, Iterator
from unittest import mock

import pytest

from conftest import ACCOUNT, STACK_ID, hook_request, replication
from dataperimeter_ecr_replicationguard.aws_api.configuration_source import forget_cached_configuration
from dataperimeter_ecr_replicationguard.lambda_hook import payload as payload_module
from dataperimeter_ecr_replicationguard.lambda_hook.handler import handler

DATA = pathlib.Path(__file__).resolve().parent / "data" / "lambda_hook"
FIXTURES = sorted(DATA.glob("*.json"))
FUNCTION = "arn:aws:lambda:eu-west-1:111111111111:function:ecr-perimeter-guard"
# The response as the guide documents it ("Response input"): field -> allowed values (None: any string).
RESPONSE_FIELDS = {"hookStatus": {"SUCCESS", "FAILED", "IN_PROGRESS"}, "errorCode": {"NonCompliant", "InternalFailure"},
                   "message": None, "clientRequestToken": None, "callbackContext": None, "callbackDelaySeconds": None,
                   "annotations": None}
ANNOTATION_FIELDS = {"annotationName": None, "status": {"PASSED", "FAILED", "SKIPPED"}, "statusMessage": None,
                     "remediationMessage": None, "remediationLink": None,
                     "severityLevel": {"INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"}}


@pytest.fixture(autouse=True)
def _fresh_execution_environment():
    """Each test starts as a new execution environment: nothing remembered from another."""
    forget_cached_configuration()
    yield
    forget_cached_configuration()


class _PayloadServer:
    """One HTTP server on 127.0.0.1 for the whole session (starting and stopping one per request
    costs half a second: ``shutdown`` waits for its poll), answering from ``answers``."""

    def __init__(self):
        self.answers: list[bytes | int] = [404]
        self.seen: list[str] = []
        self.lock = threading.Lock()
        self.base = ""

    def start(self) -> str:
        if not self.base:
            server = self

            class Handler(http.server.BaseHTTPRequestHandler):
                def do_GET(self):  # noqa: N802 - the http.server API
                    with server.lock:
                        server.seen.append(self.path)
                        body = server.answers.pop(0) if len(server.answers) > 1 else server.answers[0]
                    if isinstance(body, int):
                        self.send_response(body)
                        self.end_headers()
                        return
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

                def log_message(self, *args):
                    pass

            httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
            threading.Thread(target=httpd.serve_forever, daemon=True).start()
            self.base = f"http://127.0.0.1:{httpd.server_address[1]}"
        return self.base


_SERVER = _PayloadServer()


@contextlib.contextmanager
def served(*bodies: bytes | int) -> Iterator[str]:
    """A URL answering each GET with the next of ``bodies`` (an int: that HTTP status, no body);
    the last one is repeated. As CloudFormation's, the URL carries a signature in its query."""
    with _SERVER.lock:
        _SERVER.answers = list(bodies)
    base = _SERVER.start()
    with mock.patch.object(payload_module, "SCHEMES", ("https", "http")), \
            mock.patch.object(payload_module, "BACKOFF_SECONDS", 0.01):
        yield f"{base}/stack-payload?X-Amz-Signature=0123456789abcdef"
    with _SERVER.lock:
        _SERVER.answers = [404]


def lambda_event(event: dict) -> dict:
    """A registered hook request (conftest.hook_request) as the Lambda hook receives it: no caller
    credentials, no type configuration in ``hookModel`` (only the function's ARN)."""
    event = copy.deepcopy(event)
    event["requestData"].pop("callerCredentials", None)
    event["hookModel"] = {"LambdaFunction": FUNCTION}
    if event["requestData"].get("targetType") == "RESOURCE" and event.get("stackId"):
        event["requestData"]["targetType"] = event["requestData"]["targetName"]  # CloudFormation's, per the guide
    return event


def invoke_lambda(event: dict, configuration: Any = None, *, payload: Any = None, region: str = "eu-west-1",
                  environ: dict | None = None) -> dict:
    """``event`` through the real entrypoint, in an environment whose GUARD_CONFIGURATION is
    ``configuration`` (``{}`` when None). ``payload``: served on 127.0.0.1, its URL in
    ``requestData.payload`` (``targetModel`` removed). The response is checked against the guide."""
    env = {"GUARD_CONFIGURATION": json.dumps({} if configuration is None else configuration), "AWS_REGION": region}
    if environ is not None:
        env = environ
    event = copy.deepcopy(event)
    with contextlib.ExitStack() as stack:
        stack.enter_context(mock.patch.dict(os.environ, env, clear=False))
        for name in {"GUARD_CONFIGURATION", "GUARD_CONFIGURATION_PARAMETER"} - set(env):
            os.environ.pop(name, None)
        if payload is not None:
            body = payload if isinstance(payload, bytes) else json.dumps(payload).encode("utf-8")
            url = stack.enter_context(served(body))
            event["requestData"].pop("targetModel", None)
            event["requestData"]["payload"] = url
        response = handler(json.loads(json.dumps(event)), None)
    documented(response)
    return response


def documented(response: dict) -> None:
    """The response has only the guide's fields, with the guide's values, and fails closed."""
    assert set(response) <= set(RESPONSE_FIELDS), set(response) - set(RESPONSE_FIELDS)
    for name, allowed in RESPONSE_FIELDS.items():
        if name in response and allowed is not None:
            assert response[name] in allowed, (name, response[name])
    assert response["hookStatus"] in ("SUCCESS", "FAILED")  # the guard never asks to be invoked again
    assert isinstance(response["message"], str) and 0 < len(response["message"]) <= 1024
    assert "Traceback" not in response["message"]
    assert ("errorCode" in response) == (response["hookStatus"] == "FAILED")
    for annotation in response.get("annotations", []):
        assert set(annotation) <= set(ANNOTATION_FIELDS)
        assert {"annotationName", "status", "statusMessage"} <= set(annotation)
        for name, allowed in ANNOTATION_FIELDS.items():
            if name in annotation:
                assert isinstance(annotation[name], str) and (allowed is None or annotation[name] in allowed)


def failing(response: dict) -> list[str]:
    return sorted(a["annotationName"] for a in response.get("annotations", []) if a["status"] == "FAILED")


def load_fixture(path: pathlib.Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


# -- the guide's requests ----------------------------------------------------------------------


def test_there_is_a_fixture_for_every_target_operation():
    kinds = set()
    for path in FIXTURES:
        case = load_fixture(path)
        assert case["source"].startswith("https://docs.aws.amazon.com/cloudformation-cli/latest/hooks-userguide/"
                                          "lambda-hooks-create-lambda-function.html#"), path.name
        data = case["event"]["requestData"]
        kinds.add("CLOUD_CONTROL" if data["targetType"] == "RESOURCE" else
                  data["targetType"] if data["targetType"] in ("STACK", "CHANGE_SET") else "RESOURCE")
    assert kinds == {"RESOURCE", "CLOUD_CONTROL", "STACK", "CHANGE_SET"}
    assert {p.name for p in FIXTURES} >= {"resource-guide-example.json", "stack-guide-example.json",
                                          "change-set-guide-example.json"}


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_every_fixture_gets_its_expected_answer(path):
    case = load_fixture(path)
    response = invoke_lambda(case["event"], case["configuration"], payload=case.get("payload"),
                             region=case.get("aws_region", "eu-west-1"))
    expect = case["expect"]
    assert response["hookStatus"] == expect["hookStatus"], response["message"]
    assert response.get("errorCode") == expect.get("errorCode")
    assert response["message"].startswith(expect["message_starts"]), response["message"]
    assert failing(response) == sorted(expect["failing"])
    token = case["event"].get("clientRequestToken")
    assert response.get("clientRequestToken") == token  # echoed when the request has one
    if response["hookStatus"] == "SUCCESS":
        assert all(a["status"] in ("PASSED", "SKIPPED") for a in response.get("annotations", []))


def test_a_failure_carries_the_findings_in_annotations_with_remediation_and_severity():
    case = load_fixture(DATA / "resource-replication-update-foreign.json")
    response = invoke_lambda(case["event"], case["configuration"])
    [annotation] = response["annotations"]
    assert annotation["annotationName"] == "ECR-REPLICATION-UNTRUSTED-DESTINATION"
    assert annotation["status"] == "FAILED" and annotation["severityLevel"] == "HIGH"
    assert "999999999999" in annotation["statusMessage"] and "TrustedAccountIds" in annotation["remediationMessage"]
    assert annotation["remediationLink"].startswith("https://docs.aws.amazon.com/")


def test_the_guides_other_spellings_are_read():
    """The guide's stack and change set syntax blocks spell clientRequesttoken and stackID."""
    case = load_fixture(DATA / "stack-replication-foreign.json")
    event = copy.deepcopy(case["event"])
    event["clientRequesttoken"] = event.pop("clientRequestToken")
    event["stackID"] = event.pop("stackId").replace("us-west-2", "eu-west-1")
    response = invoke_lambda(event, case["configuration"], payload=case["payload"])
    assert response["clientRequestToken"] == case["event"]["clientRequestToken"]
    assert response["hookStatus"] == "FAILED" and failing(response) == ["ECR-REPLICATION-UNTRUSTED-DESTINATION"]
    both = dict(event, clientRequestToken="other")
    response = invoke_lambda(both, case["configuration"], payload=case["payload"])
    assert response["clientRequestToken"] == "other"  # the exact spelling first


def test_two_keys_that_differ_only_in_case_are_unreadable():
    case = load_fixture(DATA / "resource-repository-create-trusted.json")
    event = copy.deepcopy(case["event"])
    event["requestdata"] = event["requestData"]
    event["REQUESTDATA"] = event.pop("requestData")
    response = invoke_lambda(event, case["configuration"])
    assert (response["hookStatus"], response["errorCode"]) == ("FAILED", "InternalFailure")
    assert response["message"].startswith("InvalidRequest: the keys ") and "differ only in case" in response["message"]


def test_the_change_set_input_without_an_invocation_point_is_judged():
    """The guide's change set syntax block has no actionInvocationPoint."""
    case = load_fixture(DATA / "change-set-repository-foreign.json")
    event = copy.deepcopy(case["event"])
    del event["actionInvocationPoint"]
    response = invoke_lambda(event, case["configuration"], payload=case["payload"])
    assert response["hookStatus"] == "FAILED" and failing(response) == ["ECR-POLICY-UNTRUSTED-ACCOUNT"]


@pytest.mark.parametrize("point", ["DELETE_PRE_PROVISION", "CREATE", "create_pre_provision"])
def test_an_invocation_point_the_guard_does_not_judge_fails_closed(point):
    case = load_fixture(DATA / "resource-repository-create-trusted.json")
    event = dict(case["event"], actionInvocationPoint=point)
    response = invoke_lambda(event, case["configuration"])
    assert (response["hookStatus"], response["errorCode"]) == ("FAILED", "InternalFailure")
    assert "the guard judges CREATE_PRE_PROVISION and UPDATE_PRE_PROVISION" in response["message"]
    assert "TargetFilters" in response["message"]


@pytest.mark.parametrize("event", [None, [], "text", {}, {"requestData": []}, {"requestData": {"payload": 5,
                                                                                            "targetName": "STACK"}}])
def test_a_request_that_cannot_be_read_fails_closed(event):
    response = invoke_lambda({"requestData": {}} if event is None else event, {}) if isinstance(event, dict) or \
        event is None else None
    if response is None:
        with mock.patch.dict(os.environ, {"GUARD_CONFIGURATION": "{}"}):
            response = handler(event, None)
        documented(response)
    assert (response["hookStatus"], response["errorCode"]) == ("FAILED", "InternalFailure")
    assert response["message"].startswith(("InvalidRequest:", "UnsupportedTarget:")), response["message"]


def test_a_resource_request_without_properties_fails_closed():
    case = load_fixture(DATA / "resource-repository-create-trusted.json")
    for model in (None, {}, {"resourceProperties": None}, {"resourceProperties": []}, []):
        event = copy.deepcopy(case["event"])
        event["requestData"]["targetModel"] = model
        response = invoke_lambda(event, case["configuration"])
        assert (response["hookStatus"], response["errorCode"]) == ("FAILED", "InternalFailure"), model
        assert "carries no resourceProperties object" in response["message"]


def test_a_large_resource_model_may_come_as_a_payload_url():
    case = load_fixture(DATA / "resource-replication-update-foreign.json")
    model = case["event"]["requestData"]["targetModel"]
    response = invoke_lambda(case["event"], case["configuration"], payload=model)
    assert response["hookStatus"] == "FAILED" and failing(response) == ["ECR-REPLICATION-UNTRUSTED-DESTINATION"]


# -- the payload URL ---------------------------------------------------------------------------


def stack_case() -> dict:
    return load_fixture(DATA / "stack-replication-foreign.json")


def test_the_payload_is_fetched_again_after_a_server_error():
    case = stack_case()
    body = json.dumps(case["payload"]).encode()
    with served(503, 500, body) as url:
        event = copy.deepcopy(case["event"])
        event["requestData"]["payload"] = url
        response = invoke_lambda(event, case["configuration"])
    assert response["hookStatus"] == "FAILED" and failing(response) == ["ECR-REPLICATION-UNTRUSTED-DESTINATION"]


@pytest.mark.parametrize("answers, reason", [
    ((500,), "HTTP 500 after 3 attempt(s)"),
    ((403,), "HTTP 403 after 1 attempt(s)"),
    ((b"<Error>AccessDenied</Error>",), "the payload is not JSON"),
    ((b"\xff\xfe{}",), "the payload is not UTF-8 text"),
    ((b"[" * 100_000 + b"]" * 100_000,), "nested too deeply"),
])
def test_a_payload_that_cannot_be_fetched_or_read_fails_closed_without_the_url(answers, reason):
    case = stack_case()
    with served(*answers) as url:
        event = copy.deepcopy(case["event"])
        event["requestData"]["payload"] = url
        response = invoke_lambda(event, case["configuration"])
    assert (response["hookStatus"], response["errorCode"]) == ("FAILED", "InternalFailure")
    assert response["message"].startswith("InvalidRequest: my-cloudformation-stack (STACK): the STACK payload could "
                                          "not be fetched from its presigned URL"), response["message"]
    assert reason in response["message"]
    assert "Signature" not in response["message"] and "127.0.0.1" not in response["message"]


def test_a_payload_that_is_not_an_object_fails_closed():
    case = stack_case()
    response = invoke_lambda(case["event"], case["configuration"], payload=[case["payload"]])
    assert response["hookStatus"] == "FAILED" and "payload is not a JSON object (got list)" in response["message"]


def test_an_oversized_payload_is_refused():
    case = stack_case()
    with mock.patch.object(payload_module, "MAX_BYTES", 64):
        response = invoke_lambda(case["event"], case["configuration"], payload=case["payload"])
    assert response["hookStatus"] == "FAILED" and "the payload is larger than" in response["message"]


def test_only_https_payload_urls_are_fetched():
    case = stack_case()
    for url in ("http://127.0.0.1:9/payload", "file:///etc/passwd", "ftp://example.com/x"):
        event = copy.deepcopy(case["event"])
        event["requestData"]["payload"] = url
        with mock.patch.dict(os.environ, {"GUARD_CONFIGURATION": json.dumps(case["configuration"])}):
            response = handler(event, None)
        documented(response)
        assert response["hookStatus"] == "FAILED" and "not https" in response["message"], response["message"]


def test_a_stack_request_without_payload_or_model_fails_closed():
    case = stack_case()
    event = copy.deepcopy(case["event"])
    del event["requestData"]["payload"]
    response = invoke_lambda(event, case["configuration"])
    assert response["hookStatus"] == "FAILED" and "neither a payload URL nor a targetModel" in response["message"]


# -- the same words as the registered hook -----------------------------------------------------


@pytest.mark.parametrize("properties, config", [
    (replication(("eu-west-1", "999999999999")), {}),
    (replication(("eu-west-1", "222222222222")), {"TrustedAccountIds": "222222222222"}),
    (replication(("eu-west-1", "22222222222\u0662")), {}),
    ({"ReplicationConfiguration": []}, {}),
])
def test_the_resource_answer_is_the_registered_hooks_word_for_word(invoke, properties, config):
    registered = invoke(hook_request("AWS::ECR::ReplicationConfiguration", properties, config=config, logical_id="Repl"))
    answered = invoke_lambda(lambda_event(hook_request("AWS::ECR::ReplicationConfiguration", properties,
                                                       logical_id="Repl")), config)
    assert answered["hookStatus"] == registered["hookStatus"]
    assert answered["message"] == registered["message"]
    assert answered["annotations"] == registered["annotations"]
    if registered["hookStatus"] == "FAILED":
        assert answered["errorCode"] == ("NonCompliant" if registered["errorCode"] == "NonCompliant" else
                                         "InternalFailure")


def test_an_unsupported_target_is_answered_as_the_registered_hook_answers_it(invoke):
    registered = invoke(hook_request("AWS::S3::Bucket", {}, logical_id="Bucket"))
    answered = invoke_lambda(lambda_event(hook_request("AWS::S3::Bucket", {}, logical_id="Bucket")))
    assert answered["message"] == registered["message"] and answered["errorCode"] == "InternalFailure"


def test_the_stack_name_of_the_request_matches_exemptions():
    exempted = {"Exemptions": json.dumps([{"StackNames": [STACK_ID.split("/")[1]], "LogicalIds": ["Repl"],
                                            "Reason": "SEC-1", "Expires": "2999-01-01"}])}
    event = lambda_event(hook_request("AWS::ECR::ReplicationConfiguration", replication(("eu-west-1", "999999999999")),
                                      logical_id="Repl", account=ACCOUNT))
    assert invoke_lambda(event, {})["hookStatus"] == "FAILED"
    response = invoke_lambda(event, exempted)
    assert response["hookStatus"] == "SUCCESS"
    assert [a["status"] for a in response["annotations"]] == ["SKIPPED"]


def _without(event: dict, where: str, value: Any) -> dict:
    event = copy.deepcopy(event)
    holder = event["requestData"] if where.startswith("requestData.") else event
    key = where.split(".")[-1]
    if value is KeyError:
        holder.pop(key, None)
    else:
        holder[key] = value
    return event


@pytest.mark.parametrize("where, value", [
    (name, value) for name in ("clientRequestToken", "stackId", "changeSetId", "hookTypeName",
                               "hookTypeVersion", "hookModel", "actionInvocationPoint", "requestContext",
                               "requestData.payload")
    for value in (KeyError, None)
] + [
    ("requestContext", {"invocation": 2, "callbackContext": {"checked": ["Repl"]}}),  # a re-invocation after IN_PROGRESS
    ("requestContext", {"invocation": 3, "callbackContext": "opaque"}),
    ("requestData.targetType", None),
    ("requestData.targetType", "RESOURCE"),  # the registered hook's spelling, with a stack
])
def test_an_optional_field_missing_or_null_changes_no_verdict(invoke, where, value):
    """The guide's resource input with one optional field left out or null, or a re-invocation
    with a callbackContext (the guard never asks for one, so it has nothing to resume): the same
    verdict and message as the whole request, and the registered hook's. (Without ``awsAccountId``
    the deploying account is unknown, so it is not trusted: fail closed, and a different message.)"""
    properties = replication(("eu-west-1", "999999999999"))
    whole = lambda_event(hook_request("AWS::ECR::ReplicationConfiguration", properties, logical_id="Repl"))
    expected = invoke_lambda(whole, {})
    registered = invoke(hook_request("AWS::ECR::ReplicationConfiguration", properties, logical_id="Repl"))
    answered = invoke_lambda(_without(whole, where, value), {})
    assert (answered["hookStatus"], answered["errorCode"]) == ("FAILED", "NonCompliant")
    assert answered["message"] == expected["message"] == registered["message"]
    assert answered["annotations"] == expected["annotations"] == registered["annotations"]
    if where == "clientRequestToken":
        assert "clientRequestToken" not in answered
