"""Faults (issue 8), through the real Lambda entrypoint: an unreachable STACK/CHANGE_SET payload URL
(a local http.server answering 500/404/not JSON/too slowly, and a closed port), type
configurations that do not validate, and AWS Organizations answering garbage, errors or
nothing. Each ends in a precise FAILED naming the target; never SUCCESS, never a stack trace,
never the presigned URL (its query string is a signature).

(Organizations throttling, access denied, timeouts and the cached fallback one by one:
tests/test_organizations.py. Here: hypothesis-generated answers and errors.)
"""

from __future__ import annotations

import http.server
import json
import socket
import time

import botocore.exceptions
import cloudformation_cli_python_lib.utils as library_utils
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import hook_request, replication
from local_http import serving
from dataperimeter_ecr_replicationguard.hook.handlers import hook
from dataperimeter_ecr_replicationguard.trust_sources import membership as cache
from dataperimeter_ecr_replicationguard.trust_sources.organizations import Deadline
from strategies import FOREIGN, json_values

SIGNATURE = "X-Amz-Signature=0123456789abcdef"
REPLICATION = "AWS::ECR::ReplicationConfiguration"


def answer(event: dict) -> dict:
    response = dict(hook(json.loads(json.dumps(event)), None))
    message = response.get("message") or ""
    assert response["hookStatus"] == "FAILED", message
    assert len(message) <= 1024 and "Traceback" not in message and 'File "' not in message
    assert SIGNATURE not in message and "127.0.0.1" not in message
    return response


# --- the STACK / CHANGE_SET payload URL ---------------------------------------------------------


class PayloadServer(http.server.BaseHTTPRequestHandler):
    """``/<status>`` answers that status; ``/garbage`` 200 with HTML; ``/slow`` sleeps past the timeout."""

    hits: list = []

    def do_GET(self):  # noqa: N802 - http.server's name
        path = self.path.split("?", 1)[0].strip("/")
        PayloadServer.hits.append(path)
        if path == "slow":
            time.sleep(1.0)
        status = int(path) if path.isdigit() else 200
        body = b"<html>busy</html>" if path in ("garbage", "slow") else b'{"message": "nope"}'
        try:
            self.send_response(status)
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    with serving(PayloadServer) as url:
        yield url


@pytest.fixture
def quick_retries(monkeypatch):
    """The library's retry policy, with shorter pauses and timeout (the real ones: test below)."""
    monkeypatch.setattr(library_utils, "HOOK_REMOTE_PAYLOAD_RETRY_BACKOFF_FACTOR", 0.01)
    monkeypatch.setattr(library_utils, "HOOK_REMOTE_PAYLOAD_CONNECT_AND_READ_TIMEOUT_SECONDS", 0.3)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def payload_event(target: str, url: str) -> dict:
    event = hook_request(target, {}, logical_id="payload-stack")
    event["requestData"]["targetType"] = target
    del event["requestData"]["targetModel"]  # CloudFormation sends the payload URL instead
    event["requestData"]["payload"] = url
    return event


@pytest.mark.parametrize("target", ["STACK", "CHANGE_SET"])
@pytest.mark.parametrize(
    "path, reason",
    [
        ("500", "too many 500 error responses"),
        ("503", "too many 503 error responses"),
        ("garbage", "the payload is not JSON"),
        ("slow", "timed out"),
        ("closed", "Connection refused"),
    ],
)
def test_an_unreachable_payload_url_fails_closed_saying_why(server, quick_retries, target, path, reason):
    url = f"http://127.0.0.1:{closed_port()}/x" if path == "closed" else f"{server}/{path}?{SIGNATURE}"
    response = answer(payload_event(target, url))
    assert response["errorCode"] == "InvalidRequest"
    message = response["message"]
    assert message.startswith(f"InvalidRequest: payload-stack ({target}): the {target} payload could not be fetched")
    assert reason in message and "fails closed" in message


@pytest.mark.parametrize("target", ["STACK", "CHANGE_SET"])
@pytest.mark.parametrize("status", ["404", "403"])
def test_a_payload_url_that_answers_not_found_is_an_empty_payload(server, quick_retries, target, status):
    response = answer(payload_event(target, f"{server}/{status}?{SIGNATURE}"))
    assert response["errorCode"] == "InvalidRequest"
    assert f"payload-stack ({target}): the {target} payload is empty" in response["message"]


@pytest.mark.slow
def test_the_library_retry_policy_answers_a_failing_payload_url_within_the_hook_timeout(server):
    """With the library's real pauses (3 retries, backoff factor 1): about 6 s, under the 30 s."""
    before = len(PayloadServer.hits)
    start = time.monotonic()
    response = answer(payload_event("STACK", f"{server}/500?{SIGNATURE}"))
    elapsed = time.monotonic() - start
    assert "too many 500 error responses" in response["message"]
    assert PayloadServer.hits[before:] == ["500"] * 4  # one try and three retries
    assert elapsed < 15, elapsed


# --- the type configuration ---------------------------------------------------------------------


@pytest.mark.parametrize("config", [[1, 2], "TrustedAccountIds=111111111111", 5, True])
def test_a_type_configuration_that_is_not_an_object(config):
    response = answer(hook_request(REPLICATION, replication(("eu-west-1", "111111111111")), config=config))
    assert response["errorCode"] == "InvalidTypeConfiguration"
    assert "the type configuration must be a JSON object of settings, got " in response["message"]


@pytest.mark.parametrize(
    "config, named",
    [
        ({"TrustedAccountIds": "1111111111１1"}, "TrustedAccountIds"),
        ({"TrustedAccountIds": 222222222222}, "TrustedAccountIds"),
        ({"TrustedAccountIds": ["222222222222", None]}, "TrustedAccountIds"),
        ({"TrustedOrganizationIds": "o-ａbcdefghij"}, "TrustedOrganizationIds"),
        ({"TrustedOrganizationalUnitPaths": "o-abcdefghij/r-ab12/ou-*"}, "TrustedOrganizationalUnitPaths"),
        ({"TrustDeployingAccount": "yes"}, "TrustDeployingAccount"),
        ({"AllowedReplicationRegions": "eu-west-1,EU-WEST-2"}, "AllowedReplicationRegions"),
        ({"AccountSource": "organizations"}, "AccountSource"),
        ({"OrganizationsRoleArn": "arn:aws:iam::123:role/x"}, "OrganizationsRoleArn"),
        ({"CacheTtlSeconds": "-1"}, "CacheTtlSeconds"),
        ({"OrganizationsLookup": "namedaccounts"}, "OrganizationsLookup"),
        ({"Exemptions": "[{"}, "Exemptions"),
        ({"TrustedServicePrincipals": "*"}, "TrustedServicePrincipals"),
        ({"AllowedUpstreamRegistryUrls": "http://"}, "AllowedUpstreamRegistryUrls"),
    ],
)
def test_a_setting_that_does_not_validate_is_named(config, named):
    response = answer(hook_request(REPLICATION, replication(("eu-west-1", "111111111111")), config=config))
    assert response["errorCode"] == "InvalidTypeConfiguration"
    assert response["message"].startswith("InvalidTypeConfiguration: the hook's type configuration does not validate")
    assert named in response["message"]


SETTING_NAMES = ["TrustedAccountIds", "TrustedOrganizationIds", "TrustedOrganizationalUnitPaths", "TrustDeployingAccount",
                 "AllowedReplicationRegions", "AccountSource", "OrganizationsRoleArn", "CacheTtlSeconds", "Exemptions",
                 "TrustedServicePrincipals", "AllowedUpstreamRegistryUrls", "OrganizationsLookup"]


@given(st.dictionaries(st.sampled_from(SETTING_NAMES), json_values, min_size=1, max_size=4))
def test_no_type_configuration_lets_a_foreign_destination_through(config):
    config = {k: v for k, v in config.items() if FOREIGN not in json.dumps(v)}  # that would trust it
    response = dict(hook(hook_request(REPLICATION, replication(("eu-west-1", FOREIGN)), config=config), None))
    assert response["hookStatus"] == "FAILED", (config, response["message"])
    assert len(response["message"]) <= 1024 and "Traceback" not in response["message"]


# --- AWS Organizations answering garbage, errors, or nothing ------------------------------------

ORG_ID = "o-a1b2c3d4e5"
MEMBER = "222222222222"  # trusted only if Organizations says it is an ACTIVE member
APIS = ["describe_organization", "list_accounts", "describe_account", "list_parents",
        "list_accounts_for_parent", "list_organizational_units_for_parent"]


def client_error(code: str) -> Exception:
    return botocore.exceptions.ClientError({"Error": {"Code": code, "Message": "injected"}}, "Injected")


faults = st.one_of(
    st.sampled_from(["TooManyRequestsException", "ThrottlingException", "AccessDeniedException", "ServiceException",
                     "AWSOrganizationsNotInUseException", "AccountNotFoundException", "Weird\u202eCode"]).map(client_error),
    st.sampled_from([
        botocore.exceptions.ReadTimeoutError(endpoint_url="https://organizations.us-east-1.amazonaws.com/"),
        botocore.exceptions.ConnectTimeoutError(endpoint_url="https://organizations.us-east-1.amazonaws.com/"),
        botocore.exceptions.EndpointConnectionError(endpoint_url="https://organizations.us-east-1.amazonaws.com/"),
        botocore.exceptions.NoCredentialsError(),
    ]),
)
garbage = st.one_of(
    json_values,
    st.fixed_dictionaries({"Organization": st.one_of(json_values, st.fixed_dictionaries({"Id": json_values}))}),
    st.fixed_dictionaries({"Accounts": st.one_of(json_values, st.lists(st.fixed_dictionaries(
        {"Id": json_values, "State": st.one_of(st.just("ACTIVE"), json_values)}), max_size=3))}),
    st.fixed_dictionaries({"Account": st.one_of(json_values, st.fixed_dictionaries({"State": json_values}))}),
    st.fixed_dictionaries({"Parents": json_values}),
)


class GarbageClient:
    """Every API answers what hypothesis drew (an answer or an error), then an empty last page."""

    def __init__(self, answers: list):
        self.answers = list(answers)

    def __getattr__(self, api: str):
        if api not in APIS:
            raise AttributeError(api)

        def call(**_params):
            if not self.answers:
                return {"Organization": {"Id": ORG_ID}, "Accounts": []}
            item = self.answers.pop(0)
            if isinstance(item, Exception):
                raise item
            return item

        return call


class FakeClock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t

    def sleep(self, seconds):
        self.t += seconds


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(st.one_of(garbage, faults), min_size=1, max_size=6))
def test_organizations_garbage_or_errors_never_trust_an_account(monkeypatch, answers):
    cache.clear_cache()
    clock = FakeClock()
    monkeypatch.setattr(cache, "organizations_client", lambda *a, **k: GarbageClient(answers))
    monkeypatch.setattr(cache, "Deadline", lambda seconds=10.0, clock=clock, sleep=clock.sleep: Deadline(seconds, clock, sleep))
    event = hook_request(REPLICATION, replication(("eu-west-1", MEMBER)),
                         config={"AccountSource": "Organizations", "TrustedOrganizationIds": ORG_ID})
    try:
        response = answer(event)
    finally:
        cache.clear_cache()
    assert response["errorCode"] in ("NonCompliant", "AccessDenied", "Throttling", "InvalidCredentials",
                                     "InvalidTypeConfiguration", "InternalFailure")
    assert "Resource (AWS::ECR::ReplicationConfiguration)" in response["message"]
