"""The audit agrees with the hook: for every example in the repository (the shipped example
requests, the contract-suite inputs in inputs/, and the policy tables in tests/cases/), the same
configuration, made live and read by ``hook-handler audit`` through the API-shape adapter, gets the
verdict and the failing rule ids the registered hook's RESOURCE target gives the resource.

The live configuration is served by the local stand-in (tests/audit_stub.py) in the shapes the ECR
API returns: a replication configuration or registry policy in a Region of its own, each
repository, public repository, pull-through cache rule and creation template under a name of its
own. The audited account is the hook's deploying account. What the API cannot hold (an intrinsic
function; a value of another type than the API's, such as a number for a registry ID) exists only
in templates: such examples are skipped, and the test says which and why."""

from __future__ import annotations

import copy
import json
import pathlib
from collections import defaultdict

import audit_stub as stub
from conftest import hook_request
from dataperimeter_ecr_replicationguard.cli.main import main

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "src" / "dataperimeter_ecr_replicationguard" / "examples"
INPUTS = ROOT / "inputs"
ACCOUNT = "111111111111"
REGISTRY_LEVEL = {"AWS::ECR::ReplicationConfiguration", "AWS::ECR::RegistryPolicy"}
TYPES = REGISTRY_LEVEL | {"AWS::ECR::Repository", "AWS::ECR::PublicRepository", "AWS::ECR::PullThroughCacheRule",
                          "AWS::ECR::RepositoryCreationTemplate"}


class NotLive(Exception):
    """The example cannot be a live configuration (the reason says why)."""


# -- every example: (source, type, properties, configuration) ------------------------------------


def examples() -> list[tuple[str, str, object, dict]]:
    found = []
    for path in sorted(EXAMPLES.glob("*.json")):
        event = json.loads(path.read_text(encoding="utf-8"))["event"]
        assert event["awsAccountId"] == ACCOUNT
        data = event["requestData"]
        found.append((f"examples/{path.name}", data["targetName"], data["targetModel"]["resourceProperties"],
                      event["hookModel"]))
    config = json.loads((INPUTS / "typeconfig.json").read_text())["CloudFormationConfiguration"][
        "HookConfiguration"]["Properties"]
    for path in sorted(INPUTS.glob("inputs_*.json")):
        for target, model in json.loads(path.read_text()).items():
            if target in TYPES:
                found.append((f"inputs/{path.name} {target}", target, model["resourceProperties"], config))
    from test_policy import CASES as POLICY_CASES
    from test_policy import document

    names = {"accounts": "TrustedAccountIds", "organization_ids": "TrustedOrganizationIds",
             "ou_paths": "TrustedOrganizationalUnitPaths", "service_principals": "TrustedServicePrincipals"}
    base = {"TrustedAccountIds": "222222222222", "TrustedOrganizationIds": "o-a1b2c3d4e5",
            "TrustedOrganizationalUnitPaths": "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/"}
    for case in POLICY_CASES:
        config = dict(base, **{names[k]: ",".join(v) for k, v in (case.get("trust") or {}).items()})
        found.append((f"policy_cases {case['id']}", "AWS::ECR::Repository",
                      {"RepositoryName": "app", "RepositoryPolicyText": document(case)}, config))
    from test_policy_classes import CASES as CLASS_CASES
    from test_policy_classes import CONFIG, policy_of
    from test_policy_classes import TYPES as CLASS_TYPES

    for case in CLASS_CASES:
        for target, namespace, prop, extra in CLASS_TYPES:
            policy = policy_of(case, namespace)
            if target == "AWS::ECR::RepositoryCreationTemplate" and isinstance(policy, dict) \
                    and case["class"] != "unresolved":
                policy = json.dumps(policy)  # a string property in the schema, as test_policy_classes sends it
            found.append((f"policy_classes {case['id']} {target}", target, {**extra, prop: policy}, CONFIG))
    return found


# -- a CloudFormation resource as the API holds it --------------------------------------------------


def _intrinsic(value) -> bool:
    if isinstance(value, dict):
        return any(k == "Ref" or k.startswith("Fn::") or _intrinsic(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_intrinsic(v) for v in value)
    return False


def _string(value, what: str) -> str:
    if not isinstance(value, str):
        raise NotLive(f"{what} is {type(value).__name__}, the API holds a string")
    return value


def _list(value, what: str) -> list:
    if not isinstance(value, list):
        raise NotLive(f"{what} is {type(value).__name__}, the API holds a list")
    return value


def _object(value, what: str) -> dict:
    if not isinstance(value, dict):
        raise NotLive(f"{what} is {type(value).__name__}, the API holds an object")
    return value


def policy_text(value, what: str) -> str:
    """A policy as ECR returns it: JSON text (an object property is what CloudFormation sends as text)."""
    if isinstance(value, dict):
        return json.dumps(value)
    return _string(value, what)


def replication(properties) -> dict:
    config = _object(_object(properties, "Properties").get("ReplicationConfiguration"), "ReplicationConfiguration")
    rules = []
    for rule in _list(config.get("Rules"), "Rules"):
        rule = _object(rule, "a rule")
        out = {"destinations": [{"region": _string(d.get("Region"), "Region"),
                                 "registryId": _string(d.get("RegistryId"), "RegistryId")}
                                for d in (_object(d, "a destination") for d in _list(rule.get("Destinations"),
                                                                                      "Destinations"))]}
        if "RepositoryFilters" in rule:
            out["repositoryFilters"] = [{"filter": _string(f.get("Filter"), "Filter"),
                                         "filterType": _string(f.get("FilterType"), "FilterType")}
                                        for f in (_object(f, "a filter") for f in _list(rule["RepositoryFilters"],
                                                                                         "RepositoryFilters"))]
        rules.append(out)
    return {"rules": rules}


PTC_KEYS = {"UpstreamRegistryUrl": "upstreamRegistryUrl", "UpstreamRegistry": "upstreamRegistry",
            "CredentialArn": "credentialArn", "CustomRoleArn": "customRoleArn",
            "UpstreamRepositoryPrefix": "upstreamRepositoryPrefix"}
TEMPLATE_KEYS = {"Description": "description", "AppliedFor": "appliedFor", "CustomRoleArn": "customRoleArn",
                 "ImageTagMutability": "imageTagMutability"}


def place(world: stub.World, n: int, resource_type: str, properties) -> tuple[str, str]:
    """Make the example live in ``world`` (example number ``n``): its Region and ARN."""
    if _intrinsic(properties):
        raise NotLive("an intrinsic function: a value only a template holds")
    account = world.accounts[ACCOUNT]
    properties = _object(properties, "Properties")
    name = f"case-{n}"
    if resource_type in REGISTRY_LEVEL:
        region = f"zz-case{n}-1"  # a Region of its own: one registry-level setting per registry
        account.regions[region] = "opt-in-not-required"
        registry = account.registry(region)
        if resource_type == "AWS::ECR::ReplicationConfiguration":
            registry.replication = replication(properties)
        else:
            if "PolicyText" not in properties:
                raise NotLive("no PolicyText: a registry without a policy has no RegistryPolicy to judge")
            registry.registry_policy = policy_text(properties["PolicyText"], "PolicyText")
        return region, f"arn:aws:ecr:{region}:{ACCOUNT}:registry"
    if resource_type == "AWS::ECR::PublicRepository":
        text = properties.get("RepositoryPolicyText")
        account.registry("us-east-1").public_repositories[name] = None if text is None else policy_text(
            text, "RepositoryPolicyText")
        return "us-east-1", f"arn:aws:ecr-public::{ACCOUNT}:repository/{name}"
    registry = account.registry("eu-west-1")
    if resource_type == "AWS::ECR::Repository":
        text = properties.get("RepositoryPolicyText")
        registry.repositories[name] = None if text is None else policy_text(text, "RepositoryPolicyText")
        return "eu-west-1", f"arn:aws:ecr:eu-west-1:{ACCOUNT}:repository/{name}"
    if resource_type == "AWS::ECR::PullThroughCacheRule":
        rule = {"ecrRepositoryPrefix": name}
        rule.update({api: _string(properties[cfn], cfn) for cfn, api in PTC_KEYS.items() if cfn in properties})
        if "upstreamRegistryUrl" not in rule:
            raise NotLive("no UpstreamRegistryUrl: ECR requires one")
        registry.pull_through_cache_rules.append(rule)
        return "eu-west-1", f"arn:aws:ecr:eu-west-1:{ACCOUNT}:pull-through-cache-rule/{name}"
    template = {"prefix": name}
    for cfn, api in TEMPLATE_KEYS.items():
        if cfn in properties:
            template[api] = properties[cfn] if cfn == "AppliedFor" else _string(properties[cfn], cfn)
    if "RepositoryPolicy" in properties:
        template["repositoryPolicy"] = policy_text(properties["RepositoryPolicy"], "RepositoryPolicy")
    registry.creation_templates.append(template)
    return "eu-west-1", f"arn:aws:ecr:eu-west-1:{ACCOUNT}:repository-creation-template/{name}"


def hook_verdict(invoke, resource_type: str, properties, config: dict) -> tuple[str, frozenset]:
    response = invoke(hook_request(resource_type, copy.deepcopy(properties), config=config, logical_id="Target"))
    return response["hookStatus"], frozenset(a["annotationName"] for a in response.get("annotations") or []
                                             if a["status"] == "FAILED")


def audit_verdicts(monkeypatch, capsys, world: stub.World, regions: set[str], config: dict,
                   config_path: pathlib.Path) -> dict[str, frozenset]:
    """ARN -> failing rule ids, from one ``hook-handler audit --format json`` of the world."""
    with stub.serving(world) as url:
        for name, value in stub.environment(url, ACCOUNT).items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("AWS_PROFILE", raising=False)
        config_path.write_text(json.dumps(config), encoding="utf-8")
        capsys.readouterr()
        code = main(["audit", "--regions", ",".join(sorted(regions)), "--config", str(config_path),
                     "--format", "json", "--concurrency", "8"])
        out, err = capsys.readouterr()
    assert code in (0, 1), err  # everything was read
    document = json.loads(out)
    assert document["audit"]["complete"]
    failing: dict[str, set] = defaultdict(set)
    for finding in document["findings"]:
        failing.setdefault(finding["logicalId"], set())
        if finding["failing"]:
            failing[finding["logicalId"]].add(finding["ruleId"])
    read = {r["logicalId"] for f in document["files"] for r in f["resources"]}
    return {arn: frozenset(failing.get(arn, ())) for arn in read}


def test_the_audit_agrees_with_the_hook_on_every_example(invoke, monkeypatch, capsys, tmp_path):
    groups: dict[str, list] = defaultdict(list)
    for example in examples():
        groups[json.dumps(example[3], sort_keys=True)].append(example)
    compared, skipped, disagree = 0, {}, []
    for index, (key, members) in enumerate(groups.items()):
        world = stub.World(accounts={ACCOUNT: stub.Account()})
        placed = []
        for n, (source, resource_type, properties, _config) in enumerate(members):
            try:
                region, arn = place(world, n, resource_type, properties)
            except NotLive as why:
                skipped[source] = str(why)
                continue
            placed.append((source, resource_type, properties, region, arn))
        if not placed:
            continue
        read = audit_verdicts(monkeypatch, capsys, world, {p[3] for p in placed}, json.loads(key),
                              tmp_path / f"config-{index}.json")
        for source, resource_type, properties, _region, arn in placed:
            assert arn in read, f"{source}: the audit did not read {arn}"
            hook = hook_verdict(invoke, resource_type, properties, json.loads(key))
            audit = ("FAILED" if read[arn] else "SUCCESS", read[arn])
            compared += 1
            if hook != audit:
                disagree.append((source, hook, audit))
    assert not disagree, "\n".join(f"{s}: hook {h}, audit {a}" for s, h, a in disagree)
    assert compared >= 200, compared
    reasons = set(skipped.values())
    assert all(r.startswith(("an intrinsic function", "no PolicyText", "no UpstreamRegistryUrl")) or
               "the API holds" in r for r in reasons), reasons
    assert len(skipped) < compared / 4, skipped


def test_the_agreement_is_not_vacuous(invoke, monkeypatch, capsys, tmp_path):
    """Both verdicts are reached, and a foreign destination made live fails with the hook's rule."""
    found = [e for e in examples() if not e[0].startswith("policy")]
    statuses = {hook_verdict(invoke, t, p, c)[0] for _, t, p, c in found}
    assert statuses == {"SUCCESS", "FAILED"}
    world = stub.World(accounts={ACCOUNT: stub.Account()})
    foreign = {"ReplicationConfiguration": {"Rules": [{"Destinations": [{"Region": "eu-west-1",
                                                                         "RegistryId": "999988887777"}]}]}}
    region, arn = place(world, 0, "AWS::ECR::ReplicationConfiguration", foreign)
    read = audit_verdicts(monkeypatch, capsys, world, {region}, {"TrustedAccountIds": "222222222222"},
                          tmp_path / "config.json")
    assert read[arn] == {"ECR-REPLICATION-UNTRUSTED-DESTINATION"}
