"""What the Organizations tests share: an organization in moto (root -> Workloads -> Prod,
root -> Quarantine), every request botocore sends (``sent``), Stubber clients, a fake clock,
and errors answered before a request is sent (``before_call``, ``throttled``).

Fixtures are imported by name into the test modules that use them (``empty_cache`` is
autouse there: every test starts from a cold execution environment)."""

from __future__ import annotations

import contextlib
from typing import Any, Iterator

import boto3
import botocore.handlers
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from dataperimeter_ecr_replicationguard.invocation import Invocation
from dataperimeter_ecr_replicationguard.trust_sources import membership as cache

TYPE = "AWS::ECR::ReplicationConfiguration"
CALLER_KEY = "AKIDEXAMPLE"  # the access key conftest.hook_request puts in requestData.callerCredentials
ORG_ID = "o-a1b2c3d4e5"
INVOCATION = Invocation(account_id="111111111111", region="us-east-1", partition="aws")


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear_cache()
    yield
    cache.clear_cache()


@pytest.fixture
def sent(monkeypatch) -> list[tuple[str, str]]:
    """(service:operation, access key) of every request botocore sends from clients created from
    now on: a handler in botocore's built-in list, so every session has it, the SessionProxy the
    hook builds from callerCredentials and the one built from AssumeRole's answer alike. It runs
    before moto's own before-send handler answers the request."""
    calls: list[tuple[str, str]] = []

    def record(request, **_):
        authorization = request.headers.get("Authorization", b"")
        authorization = authorization.decode() if isinstance(authorization, bytes) else authorization
        key = authorization.split("Credential=", 1)[-1].split("/", 1)[0] if "Credential=" in authorization else ""
        target = request.headers.get("X-Amz-Target", b"")
        target = target.decode() if isinstance(target, bytes) else target
        if target:  # JSON protocol (Organizations): AWSOrganizationsV20161128.ListAccounts
            name = "organizations:" + target.split(".", 1)[1]
        else:  # query protocol (STS): Action=AssumeRole in the body
            body = request.body.decode() if isinstance(request.body, bytes) else str(request.body or "")
            name = "sts:" + body.split("Action=", 1)[1].split("&", 1)[0]
        calls.append((name, key))

    monkeypatch.setattr(botocore.handlers, "BUILTIN_HANDLERS",
                        [("before-send", record), *botocore.handlers.BUILTIN_HANDLERS])
    return calls


@contextlib.contextmanager
def moto_organization(monkeypatch) -> Iterator[tuple[Any, str, str]]:
    """An organization (all features) in moto, read as its management account: an Organizations
    client, the organization's ID and its root's ID."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        client = boto3.client("organizations", region_name="us-east-1")
        org_id = client.create_organization(FeatureSet="ALL")["Organization"]["Id"]
        yield client, org_id, client.list_roots()["Roots"][0]["Id"]


@pytest.fixture
def org(monkeypatch):
    """root -> Workloads -> Prod, root -> Quarantine; accounts in Prod (one suspended)."""
    with moto_organization(monkeypatch) as (client, org_id, root):

        def ou(name, parent):
            return client.create_organizational_unit(ParentId=parent, Name=name)["OrganizationalUnit"]["Id"]

        def account(name, parent):
            status = client.create_account(Email=f"{name}@example.com", AccountName=name)["CreateAccountStatus"]
            account_id = status["AccountId"]
            client.move_account(AccountId=account_id, SourceParentId=root, DestinationParentId=parent)
            return account_id

        workloads = ou("Workloads", root)
        prod = ou("Prod", workloads)
        quarantine = ou("Quarantine", root)
        ids = {"prod_account": account("prod", prod), "suspended": account("suspended", prod)}
        client.close_account(AccountId=ids["suspended"])
        yield {"client": client, "id": org_id, "root": root, "workloads": workloads, "prod": prod,
               "quarantine": quarantine, **ids, "prod_path": f"{org_id}/{root}/{workloads}/{prod}/"}


def organizations_calls(calls):
    return [name for name, _ in calls]


def stubbed():
    client = boto3.client("organizations", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    return client, Stubber(client)


class FakeClock:
    def __init__(self):
        self.t = 0.0
        self.slept: list[float] = []

    def __call__(self):
        return self.t

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.t += seconds


def before_call(monkeypatch, operation: str, handler) -> None:
    """``handler`` runs before every request to ``operation`` (e.g. "sts.AssumeRole") from the
    clients created from now on, the hook's own included; what it returns (see
    :func:`error_answer`) answers the request unsent, None lets it through."""
    monkeypatch.setattr(botocore.handlers, "BUILTIN_HANDLERS",
                        [(f"before-call.{operation}", handler), *botocore.handlers.BUILTIN_HANDLERS])


def error_answer(code: str, message: str):
    """An AWS error response, as a before-call handler returns it."""
    from botocore.awsrequest import AWSResponse

    return AWSResponse("https://aws.amazon.com", 400, {}, None), {
        "Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": 400}}


def short_circuit(monkeypatch, operation: str, answers: list[dict]):
    """The next requests to ``operation`` get ``answers`` (parsed error bodies), as Stubber
    does, but for the clients the hook itself creates."""
    def answer(**_):
        if not answers:
            return None
        error = answers.pop(0)
        return error_answer(error["Code"], error["Message"])

    before_call(monkeypatch, operation, answer)


def throttled(monkeypatch, *operations: str) -> dict[str, int]:
    """Every request to ``operations`` (e.g. "organizations.ListAccounts") answered with
    TooManyRequestsException before it is sent, while ``counts["on"]``; the throttled attempts
    are counted per operation."""
    counts = {"on": 1, **{operation: 0 for operation in operations}}

    def handler(operation):
        def answer(**_):
            if not counts["on"]:
                return None
            counts[operation] += 1
            return error_answer("TooManyRequestsException", "Rate exceeded")
        return answer

    for operation in operations:
        before_call(monkeypatch, operation, handler(operation))
    return counts


def fake_time(monkeypatch) -> FakeClock:
    """Every Deadline the hook makes runs on one fake clock: backoff pauses cost no real time."""
    fake = FakeClock()
    real = cache.Deadline
    monkeypatch.setattr(cache, "Deadline", lambda seconds=20.0, clock=None, sleep=None:
                        real(seconds, clock or fake, sleep or fake.sleep))
    return fake
