"""Shared test helpers: real hook requests in the shapes CloudFormation and `cfn test` send."""

from __future__ import annotations

import copy
import json
import os
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, settings as hypothesis_settings

# Property tests are bounded and derandomized (same examples on every run, in CI and locally);
# HYPOTHESIS_PROFILE=explore runs more, random examples.
hypothesis_settings.register_profile(
    "ci", max_examples=60, derandomize=True, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
hypothesis_settings.register_profile("explore", max_examples=1000, deadline=None,
                                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

TYPE_NAME = "DataPerimeter::ECR::ReplicationGuard"
ACCOUNT = "111111111111"
STACK_ID = f"arn:aws:cloudformation:eu-west-1:{ACCOUNT}:stack/ecr-perimeter-test/0f1e2d3c-4b5a-11ef-8a9b-0a1b2c3d4e5f"


def hook_request(
    target: str,
    properties: Any,
    *,
    previous: Any = None,
    point: str = "CREATE_PRE_PROVISION",
    config: dict | None = None,
    logical_id: str = "Resource",
    account: str = ACCOUNT,
    stack_id: str = STACK_ID,
) -> dict:
    """A HookInvocationRequest as CloudFormation sends it to the Lambda entrypoint ``hook``."""
    model: dict = {"resourceProperties": copy.deepcopy(properties)}
    if previous is not None:
        model["previousResourceProperties"] = copy.deepcopy(previous)
    return {
        "clientRequestToken": str(uuid.uuid5(uuid.NAMESPACE_URL, json.dumps([target, logical_id, point]))),
        "awsAccountId": account,
        "stackId": stack_id,
        "changeSetId": None,
        "hookTypeName": TYPE_NAME,
        "hookTypeVersion": "00000001",
        "hookModel": config,
        "actionInvocationPoint": point,
        "requestData": {
            "callerCredentials": json.dumps(
                {"accessKeyId": "AKIDEXAMPLE", "secretAccessKey": "secret", "sessionToken": "token"}
            ),
            "targetName": target,
            "targetType": "RESOURCE",
            "targetLogicalId": logical_id,
            "targetModel": model,
        },
        "requestContext": {"invocation": 1, "callbackContext": None},
    }


def cfn_test_event(
    target: str,
    properties: Any,
    *,
    point: str = "CREATE_PRE_PROVISION",
    config: dict | None = None,
    logical_id: str = "Resource",
) -> dict:
    """The HookTestEvent shape ``cfn test`` sends to ``test_entrypoint``."""
    return {
        "credentials": {"accessKeyId": "AKIDEXAMPLE", "secretAccessKey": "secret", "sessionToken": "token"},
        "actionInvocationPoint": point,
        "request": {
            "clientRequestToken": "4b90a7e4-b790-456b-a937-0cfdfa211dfe",
            "hookContext": {
                "awsAccountId": ACCOUNT,
                "stackId": STACK_ID,
                "hookTypeName": TYPE_NAME,
                "hookTypeVersion": "00000001",
                "invocationPoint": point,
                "targetName": target,
                "targetType": target,
                "targetLogicalId": logical_id,
                "targetModel": {"resourceProperties": copy.deepcopy(properties)},
            },
        },
        "callbackContext": {},
        "typeConfiguration": config,
        "region": "eu-west-1",
    }


def replication(*destinations: tuple[str, Any], filters: list[str] | None = None, rules: int = 1) -> dict:
    """ReplicationConfiguration properties with ``rules`` copies of one rule."""
    rule: dict = {"Destinations": [{"Region": region, "RegistryId": registry} for region, registry in destinations]}
    if filters:
        rule["RepositoryFilters"] = [{"Filter": f, "FilterType": "PREFIX_MATCH"} for f in filters]
    return {"ReplicationConfiguration": {"Rules": [copy.deepcopy(rule) for _ in range(rules)]}}


@pytest.fixture
def invoke():
    """Run a request through the real Lambda entrypoint, as CloudFormation would."""
    from dataperimeter_ecr_replicationguard.hook.handlers import hook

    def run(event: dict) -> dict:
        return dict(hook(copy.deepcopy(event), None))

    return run


@pytest.fixture(scope="session")
def cfnlint_corpus():
    """cfn-lint's own template fixtures (``test/fixtures/templates/`` of the pinned cfn-lint sdist),
    fetched from PyPI by ``make test`` (``tools/fetch_corpus.py``), never committed. A test that
    needs it fails, rather than skips, when it is missing: a corpus nobody here wrote must be read."""
    import importlib.util
    import pathlib
    import sys

    root = pathlib.Path(__file__).resolve().parent.parent
    spec = importlib.util.spec_from_file_location("fetch_corpus", root / "tools" / "fetch_corpus.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("fetch_corpus", module)  # dataclasses look their module up there
    spec.loader.exec_module(module)
    path = module.corpus_path("cfn-lint")
    if not (path / ".complete").exists():
        pytest.fail(f"the cfn-lint template corpus is missing at {path}: run `make corpus` (or `make test`)")
    return path
