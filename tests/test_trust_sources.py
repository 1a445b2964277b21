"""The trust sources (trust_sources/__init__.py): one registered source per AccountSource, what
each decides (which accounts a resource names), and the light import path of the static source."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys

import pytest

from conftest import replication
from dataperimeter_ecr_replicationguard.invocation import Invocation
from dataperimeter_ecr_replicationguard.settings import ACCOUNT_SOURCES, parse_settings
from dataperimeter_ecr_replicationguard.trust_sources import (
    SOURCES,
    TrustUnavailable,
    named_accounts,
    resolve_trust,
    source_for,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INVOCATION = Invocation(account_id="111111111111", region="us-east-1", partition="aws")
ORG_ID = "o-a1b2c3d4e5"


# --- one registered source per AccountSource ---------------------------------------------------

def schema_account_sources() -> list[str]:
    with open(os.path.join(ROOT, "schema.json")) as schema:
        return json.load(schema)["typeConfiguration"]["properties"]["AccountSource"]["enum"]


def test_every_account_source_of_the_schema_has_exactly_one_registered_source():
    """CONTRIBUTING.md, "Adding a trust source": the schema's enum, the settings' reader and the
    registry name the same sources, and each registered module's SOURCE says which it is."""
    assert sorted(schema_account_sources()) == sorted(ACCOUNT_SOURCES) == sorted(SOURCES)
    for name, module_name in SOURCES.items():
        module = importlib.import_module(f"dataperimeter_ecr_replicationguard.trust_sources.{module_name}")
        source = module.SOURCE
        assert source.account_source == name
        assert callable(source.named_accounts) and callable(source.resolve)
        assert source_for(parse_settings({"AccountSource": name})) is source  # loaded once, then reused


def test_every_source_resolves_the_settings_alone_without_calling_aws():
    """Each source, configured with accounts only (no organization, no location to read): the
    configured accounts, and the session never touched."""
    class NoSession:
        def client(self, *_a, **_k):
            raise AssertionError("no call expected")

    for name in SOURCES:
        settings = parse_settings({"AccountSource": name, "TrustedAccountIds": "222222222222",
                                   "TrustDeployingAccount": "false"})
        trust = resolve_trust(settings, INVOCATION, NoSession(), replication(("eu-west-1", "333333333333")))
        assert trust.accounts == {"222222222222"}, name


def test_an_account_source_without_a_registered_source_fails_closed():
    settings = parse_settings({})._replace(account_source="Unregistered")
    with pytest.raises(TrustUnavailable) as error:
        resolve_trust(settings, INVOCATION)
    assert error.value.code == "UnknownAccountSource" and "'Unregistered'" in str(error.value)


# --- which accounts a resource names -----------------------------------------------------------

class Unwalkable(dict):
    """A resource that fails the moment anything reads into it."""

    def keys(self):
        raise AssertionError("the resource was walked")

    values = items = __iter__ = keys


def test_the_static_source_never_walks_the_resource():
    static = parse_settings({"TrustedAccountIds": "222222222222", "TrustedOrganizationIds": ORG_ID})
    assert named_accounts(static, replication(("eu-west-1", "333333333333"))) == frozenset()
    assert resolve_trust(static, INVOCATION, None, Unwalkable(a=1)).organization_ids == {ORG_ID}


def test_the_organizations_source_names_every_account_in_the_resource():
    settings = parse_settings({"AccountSource": "Organizations", "TrustedOrganizationIds": ORG_ID})
    properties = replication(("eu-west-1", "333333333333"), ("us-west-2", "444444444444"))
    policy = {"RepositoryPolicyText": json.dumps({"Statement": [{"Effect": "Allow", "Principal": {
        "AWS": "arn:aws:iam::555555555555:root"}, "Action": "ecr:BatchGetImage"}]})}
    assert named_accounts(settings, properties) == {"333333333333", "444444444444"}
    assert named_accounts(settings, policy) == {"555555555555"}  # inside JSON text too
    assert named_accounts(settings, [properties, {"Param": "666666666666"}]) == {
        "333333333333", "444444444444", "666666666666"}
    # a set or tuple of account IDs (what the doors passed before) names those accounts
    assert named_accounts(settings, {"333333333333", "777777777777"}) == {"333333333333", "777777777777"}
    assert named_accounts(settings, ("333333333333",)) == {"333333333333"}
    assert named_accounts(settings, {"RegistryId": "1234567890123"}) == frozenset()  # 13 digits: no account


def test_the_organizations_source_without_organizations_or_ou_paths_walks_nothing_and_reads_nothing():
    settings = parse_settings({"AccountSource": "Organizations", "TrustedAccountIds": "222222222222"})
    assert named_accounts(settings, replication(("eu-west-1", "333333333333"))) == frozenset()
    trust = resolve_trust(settings, INVOCATION, None, Unwalkable(a=1))  # no session needed either
    assert trust.accounts == {"222222222222", INVOCATION.account_id}


# --- the static source stays light -------------------------------------------------------------

def test_the_static_source_imports_no_organizations_code():
    """A Static invocation through the real entrypoint never imports the Organizations modules
    (cold start), while an Organizations one does."""
    program = """
import json, sys
sys.path.insert(0, "tests")
from conftest import hook_request, replication
from dataperimeter_ecr_replicationguard.hook.handlers import hook
mods = lambda: sorted(m for m in sys.modules if ".trust_sources." in m)
event = hook_request("AWS::ECR::ReplicationConfiguration", replication(("eu-west-1", "111111111111")),
                     config={"AccountSource": sys.argv[1], "TrustedOrganizationIds": "o-a1b2c3d4e5"})
if sys.argv[1] == "Organizations":
    del event["requestData"]["callerCredentials"]
status = hook(event, None)["hookStatus"]
print(json.dumps([status, mods()]))
"""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "PYTHONPATH": os.path.join(root, "src")}

    def run(source):
        out = subprocess.run([sys.executable, "-c", program, source], cwd=root, env=env,
                             capture_output=True, text=True, check=True).stdout
        return json.loads(out.strip().splitlines()[-1])

    static_status, static_modules = run("Static")
    orgs_status, orgs_modules = run("Organizations")
    assert static_status == "SUCCESS"
    assert not any(m.endswith((".membership", ".organizations")) for m in static_modules), static_modules
    assert orgs_status == "FAILED" and any(m.endswith(".membership") for m in orgs_modules)
