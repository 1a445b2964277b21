"""Organizations faults, through the real entrypoint: AssumeRole denied or throttled, a real read
timeout against a silent socket, connection failures, and a failure typed for the doors. Each
fails closed with a message naming the call and what to configure."""

from __future__ import annotations

import socket
import threading
import time

import boto3
import botocore.handlers
import pytest
from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError

import organizations_helpers as helpers
from conftest import hook_request, replication
from dataperimeter_ecr_replicationguard.settings import parse_settings
from dataperimeter_ecr_replicationguard.trust_sources import TrustUnavailable, resolve_trust
from dataperimeter_ecr_replicationguard.trust_sources import membership as cache
from organizations_helpers import (
    INVOCATION,
    ORG_ID,
    TYPE,
    organizations_calls,
    short_circuit,
)

# The shared fixtures (organizations_helpers.py), bound here so that pytest finds them.
empty_cache, org, sent = helpers.empty_cache, helpers.org, helpers.sent


# --- AssumeRole faults -----------------------------------------------------------------------

def test_assume_role_denied_fails_closed_naming_the_trust_policy(org, monkeypatch, invoke):
    short_circuit(monkeypatch, "sts.AssumeRole", [{"Code": "AccessDenied", "Message": "User: arn:aws:sts::111111111111:"
                                                   "assumed-role/x/y is not authorized to perform: sts:AssumeRole"}])
    config = {"AccountSource": "Organizations", "TrustedOrganizationIds": org["id"],
              "OrganizationsRoleArn": "arn:aws:iam::123456789012:role/EcrPerimeterOrganizationsRead"}
    response = invoke(hook_request(TYPE, replication(("eu-west-1", org["prod_account"])), config=config))
    assert response["hookStatus"] == "FAILED" and response["errorCode"] == "AccessDenied"
    assert "AssumeRole failed with AccessDenied" in response["message"]
    assert "trust policy" in response["message"] and "organizations-read-role.yaml" in response["message"]


def test_assume_role_throttling_is_retried(org, monkeypatch, sent, invoke):
    short_circuit(monkeypatch, "sts.AssumeRole", [{"Code": "Throttling", "Message": "Rate exceeded"}] * 2)
    iam = boto3.client("iam", region_name="us-east-1")
    role = iam.create_role(RoleName="EcrPerimeterOrganizationsRead", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    config = {"AccountSource": "Organizations", "TrustedOrganizationIds": org["id"], "OrganizationsRoleArn": role}
    response = invoke(hook_request(TYPE, replication(("eu-west-1", org["prod_account"])), config=config))
    assert response["hookStatus"] == "SUCCESS"
    assert organizations_calls(sent)[0] == "sts:AssumeRole"  # the third attempt reached moto


# --- timeouts --------------------------------------------------------------------------------

@pytest.fixture
def silent_endpoint(monkeypatch):
    """A TCP server that accepts connections and never answers; Organizations is pointed at it
    with botocore's service-specific endpoint variable."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def serve():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    monkeypatch.setenv("AWS_ENDPOINT_URL_ORGANIZATIONS", f"http://127.0.0.1:{server.getsockname()[1]}")
    yield accepted
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    server.close()


def test_a_real_read_timeout_fails_closed_after_one_attempt(silent_endpoint, invoke):
    """The client waits 5 s for an answer and does not retry on its own: one connection, one
    InternalFailure naming the call, well inside the hook's 30 s."""
    started = time.monotonic()
    response = invoke(hook_request(TYPE, replication(("eu-west-1", "222222222222")),
                                   config={"AccountSource": "Organizations", "TrustedOrganizationIds": ORG_ID}))
    took = time.monotonic() - started
    assert response["hookStatus"] == "FAILED" and response["errorCode"] == "InternalFailure"
    assert "DescribeOrganization failed with ReadTimeoutError" in response["message"]
    assert 4.5 <= took < 10 and len(silent_endpoint) == 1


@pytest.mark.parametrize("error", [
    ConnectTimeoutError(endpoint_url="https://organizations.us-east-1.amazonaws.com/"),
    EndpointConnectionError(endpoint_url="https://organizations.us-east-1.amazonaws.com/"),
], ids=lambda e: type(e).__name__)
def test_connection_failures_fail_closed(monkeypatch, invoke, error):
    def fail(**_):
        raise error

    monkeypatch.setattr(botocore.handlers, "BUILTIN_HANDLERS",
                        [("before-send.organizations", fail), *botocore.handlers.BUILTIN_HANDLERS])
    response = invoke(hook_request(TYPE, replication(("eu-west-1", "222222222222")),
                                   config={"AccountSource": "Organizations", "TrustedOrganizationIds": ORG_ID}))
    assert response["hookStatus"] == "FAILED" and response["errorCode"] == "InternalFailure"
    assert f"DescribeOrganization failed with {type(error).__name__}" in response["message"]
    assert "fails closed" in response["message"] and len(response["message"]) <= 1024


def test_a_trust_failure_is_typed(monkeypatch):
    def denied(*_a, **_k):
        from dataperimeter_ecr_replicationguard.trust_sources.organizations import OrganizationsError

        raise OrganizationsError("ListAccounts", "AccessDeniedException", "not the management account")

    monkeypatch.setattr(cache, "organizations_client", denied)
    with pytest.raises(TrustUnavailable) as error:
        resolve_trust(parse_settings({"AccountSource": "Organizations", "TrustedOrganizationIds": ORG_ID}),
                      INVOCATION, object())
    assert error.value.code == "AccessDeniedException" and not error.value.throttled
    assert "OrganizationsRoleArn" in str(error.value)
