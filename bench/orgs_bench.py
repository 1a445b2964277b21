"""(6) Organizations trust for a 10,000-account organization under moto: the real hook
entrypoint with AccountSource Organizations; API calls counted with botocore's before-call
event on every client the hook creates; cold (empty cache) and warm invocations.
Run as a script in its own interpreter (moto patches botocore process-wide); prints JSON."""

from __future__ import annotations

import copy
import json
import os
import sys
import time

os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402

import timing  # noqa: E402
import workloads as w  # noqa: E402

ACCOUNTS = 10_000


def organization() -> tuple[str, list[str]]:
    """moto's create_account is quadratic, so the bulk of the accounts is added to moto's
    backend directly (as tests/test_organizations.py does); every read goes through boto3."""
    from moto.organizations.models import FakeAccount, organizations_backends

    client = boto3.client("organizations", region_name="us-east-1")
    org_id = client.create_organization(FeatureSet="ALL")["Organization"]["Id"]
    backend = organizations_backends[client.describe_organization()["Organization"]["MasterAccountId"]]["aws"]
    for i in range(ACCOUNTS - len(backend.accounts)):
        backend.accounts.append(FakeAccount(backend.org, AccountName=f"bulk{i}", Email=f"bulk{i}@example.com"))
    return org_id, [a.id for a in backend.accounts]


def main(cold_repeat: int = 3, warm_repeat: int = 10, warm_number: int = 20) -> dict:
    from dataperimeter_ecr_replicationguard.hook.handlers import hook
    from dataperimeter_ecr_replicationguard.trust_sources import membership as cache

    calls: list[str] = []
    real = cache.organizations_client

    def counted(*args, **kwargs):
        client = real(*args, **kwargs)
        client.meta.events.register("before-call", lambda model, **_: calls.append(model.name))
        return client

    cache.organizations_client = counted
    with mock_aws():
        org_id, members = organization()
        config = {"AccountSource": "Organizations", "TrustedOrganizationIds": org_id,
                  "TrustDeployingAccount": "false"}
        chosen = [members[-1], members[len(members) // 2], members[1]]
        props = {"ReplicationConfiguration": {"Rules": [{"Destinations": [
            {"Region": "us-west-2", "RegistryId": a} for a in chosen]}]}}
        event = w.hook_request("AWS::ECR::ReplicationConfiguration", props, config)
        foreign = copy.deepcopy(event)
        foreign["requestData"]["targetModel"]["resourceProperties"]["ReplicationConfiguration"]["Rules"][0][
            "Destinations"][0]["RegistryId"] = w.FOREIGN

        def cold(request: dict) -> tuple[list[float], list[str]]:
            times, made = [], []
            for _ in range(cold_repeat):
                cache.clear_cache()
                calls.clear()
                t0 = time.perf_counter()
                answer = hook(copy.deepcopy(request), None)
                times.append(time.perf_counter() - t0)
                made = list(calls)
                if answer.get("hookStatus") != "SUCCESS":
                    raise SystemExit(f"orgs bench: cold invocation did not pass: {answer.get('message')}")
            return times, made

        named = w.hook_request("AWS::ECR::ReplicationConfiguration", props,
                               {**config, "OrganizationsLookup": "NamedAccounts"})
        named_times, named_calls = cold(named)
        cold_times, cold_calls = cold(event)
        calls.clear()
        events = [copy.deepcopy(event) for _ in range(warm_repeat * warm_number)]
        warm = [timing.per_call(lambda: hook(events.pop(), None), warm_number) for _ in range(warm_repeat)]
        warm_calls = len(calls)
        verdict_foreign = hook(copy.deepcopy(foreign), None).get("hookStatus")
    return {
        "accounts": len(members),
        "cold": timing.summary(cold_times),
        "cold_calls": _counted(cold_calls),
        "cold_named_accounts": timing.summary(named_times),
        "cold_named_accounts_calls": _counted(named_calls),
        "warm": timing.summary(warm),
        "warm_invocations": warm_repeat * warm_number,
        "warm_calls": warm_calls,
        "foreign_destination_status": verdict_foreign,
        "listing_seconds": cache.LISTING_SECONDS,
    }


def _counted(made: list[str]) -> dict:
    by_api: dict[str, int] = {}
    for name in made:
        by_api[name] = by_api.get(name, 0) + 1
    return {"total": len(made), "by_api": by_api}


if __name__ == "__main__":
    sys.path[:0] = [os.path.dirname(os.path.abspath(__file__))]
    print(json.dumps(main(*(int(a) for a in sys.argv[1:]))))
