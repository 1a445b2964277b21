"""The doors agree: the same resource gets the same verdict and the same failing rule ids
from the registered hook's RESOURCE target (``hook.handlers.hook``), from its STACK target with
the resource in a template, from ``hook-handler scan`` on that template, and from the Lambda hook
(``lambda_hook.handler.handler``) as a RESOURCE, a STACK payload and a CHANGE_SET payload.

Shared examples: the shipped example requests (``examples/*.json``) and generated resources of
every checked type, trusted, foreign or malformed, exempted or not. Every door calls
:func:`assess`; if they disagree, the bug is in a door's translation (CONTRIBUTING.md, "Adding a
door")."""

from __future__ import annotations

import json
import pathlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ACCOUNT, STACK_ID, hook_request
from scan_helpers import run_cli
from strategies import FOREIGN, TRUSTED
from test_lambda_hook import invoke_lambda, lambda_event

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "src" / "dataperimeter_ecr_replicationguard" / "examples"
STACK_NAME = STACK_ID.split("/")[1]
OTHER = "222222222222"  # trusted by the configurations below
ACCOUNTS = st.sampled_from([TRUSTED, FOREIGN, OTHER, "12345678901", "22222222222\u0662"])
REGIONS = st.sampled_from(["eu-west-1", "us-east-1", "cn-north-1"])


def _policy(principals: list, action: str) -> dict:
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "Share", "Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam::{p}:root" for p in principals]},
         "Action": [action], "Resource": "*"}]}


RESOURCES = st.one_of(
    st.builds(
        lambda rules: ("AWS::ECR::ReplicationConfiguration", {"ReplicationConfiguration": {"Rules": [
            {"Destinations": [{"Region": r, "RegistryId": a} for r, a in rule]} for rule in rules]}}),
        st.lists(st.lists(st.tuples(REGIONS, ACCOUNTS), min_size=1, max_size=3), min_size=1, max_size=2),
    ),
    st.builds(
        lambda principals: ("AWS::ECR::Repository", {"RepositoryName": "app",
                                                     "RepositoryPolicyText": _policy(principals, "ecr:BatchGetImage")}),
        st.lists(ACCOUNTS, min_size=1, max_size=3),
    ),
    st.builds(
        lambda principals: ("AWS::ECR::RegistryPolicy", {"PolicyText": _policy(principals, "ecr:ReplicateImage")}),
        st.lists(ACCOUNTS, min_size=1, max_size=2),
    ),
)
EXEMPTED = {"TrustedAccountIds": OTHER, "Exemptions": json.dumps(
    [{"StackNames": [STACK_NAME], "LogicalIds": ["Guarded"], "Reason": "SEC-1", "Expires": "2999-01-01"}])}
CONFIGS = st.sampled_from([
    {"TrustedAccountIds": OTHER, "TrustDeployingAccount": "true"},
    {"TrustedAccountIds": OTHER, "TrustDeployingAccount": "false"},
    EXEMPTED,
])


def _failing(response: dict) -> tuple[str, frozenset]:
    return response["hookStatus"], frozenset(a["annotationName"] for a in response.get("annotations") or []
                                             if a["status"] == "FAILED")


def verdicts(invoke, tmp_path, resource_type: str, properties: dict, config: dict, logical_id: str = "Guarded") -> dict:
    """What each door says: (status, failing rule ids)."""
    resource = invoke(hook_request(resource_type, properties, config=config, logical_id=logical_id))
    template = json.dumps({"Resources": {logical_id: {"Type": resource_type, "Properties": properties}}})
    event = hook_request("STACK", {}, logical_id=STACK_NAME, config=config)
    event["requestData"]["targetType"] = "STACK"
    event["requestData"]["targetModel"] = {"template": template}
    stack = invoke(event)
    path = tmp_path / "template.json"
    path.write_text(template, encoding="utf-8")
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(config), encoding="utf-8")
    code, out, err = run_cli("scan", str(path), "--format", "json", "--config", str(config_path), "--account", ACCOUNT,
                             "--region", "eu-west-1", "--stack-name", STACK_NAME)
    assert code in (0, 1), err
    findings = json.loads(out)["findings"]
    scanned = frozenset(f["ruleId"] for f in findings if f["failing"])
    lambda_resource = invoke_lambda(lambda_event(hook_request(resource_type, properties, logical_id=logical_id)), config)
    lambda_stack = invoke_lambda(lambda_event(event), config, payload={"template": template, "previousTemplate": ""})
    change = {"action": "CREATE", "logicalResourceId": logical_id, "resourceType": resource_type, "lineNumber": 1,
              "beforeContext": None, "afterContext": json.dumps({"Properties": properties})}
    change_set = lambda_event(event)
    change_set["requestData"].update(targetName="CHANGE_SET", targetType="CHANGE_SET")
    lambda_change_set = invoke_lambda(change_set, config, payload={"template": template, "changedResources": [change]})
    return {
        "RESOURCE": _failing(resource),
        "STACK": _failing(stack),
        "scan": ("FAILED" if code == 1 else "SUCCESS", scanned),
        "LAMBDA RESOURCE": _failing(lambda_resource),
        "LAMBDA STACK": _failing(lambda_stack),
        "LAMBDA CHANGE_SET": _failing(lambda_change_set),
    }


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.name)
def test_the_doors_agree_on_the_shipped_examples(example, invoke, tmp_path):
    case = json.loads(example.read_text(encoding="utf-8"))
    data = case["event"]["requestData"]
    said = verdicts(invoke, tmp_path, data["targetName"], data["targetModel"]["resourceProperties"],
                    case["event"]["hookModel"], data["targetLogicalId"])
    assert said["RESOURCE"][0] == case["expect"]
    assert len(set(said.values())) == 1, said


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(resource=RESOURCES, config=CONFIGS)
def test_the_doors_agree_on_generated_resources(resource, config, invoke, tmp_path):
    resource_type, properties = resource
    said = verdicts(invoke, tmp_path, resource_type, properties, config)
    assert len(set(said.values())) == 1, said


def test_the_agreement_is_not_vacuous(invoke, tmp_path):
    """The doors reach both verdicts, and an exemption that only the stack name and logical ID
    match turns a failure into a pass at every door alike."""
    foreign = {"ReplicationConfiguration": {"Rules": [{"Destinations": [{"Region": "eu-west-1", "RegistryId": FOREIGN}]}]}}
    plain = verdicts(invoke, tmp_path, "AWS::ECR::ReplicationConfiguration", foreign, {"TrustedAccountIds": OTHER})
    exempted = verdicts(invoke, tmp_path, "AWS::ECR::ReplicationConfiguration", foreign, EXEMPTED)
    trusted = verdicts(invoke, tmp_path, "AWS::ECR::ReplicationConfiguration",
                       {"ReplicationConfiguration": {"Rules": [{"Destinations": [{"Region": "eu-west-1",
                                                                                  "RegistryId": OTHER}]}]}},
                       {"TrustedAccountIds": OTHER})
    assert set(plain.values()) == {("FAILED", frozenset({"ECR-REPLICATION-UNTRUSTED-DESTINATION"}))}
    assert set(exempted.values()) == set(trusted.values()) == {("SUCCESS", frozenset())}


PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "src" / "dataperimeter_ecr_replicationguard"
DOORS = ("hook", "cli", "lambda_hook", "detective")
FLOW = {"resolve_trust", "evaluate", "judge", "findings_of", "named_accounts"}  # what assess wires


def _imported_names(path: pathlib.Path) -> set[str]:
    import ast

    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            names |= {alias.name for alias in node.names}
    return names


def test_no_door_wires_the_flow_itself():
    """A door calls assess and nothing else of the flow: no trust source, checker or exemption
    judgement is imported by a module of hook/, cli/ or lambda_hook/."""
    modules = [p for door in DOORS for p in (PACKAGE / door).rglob("*.py")]
    assert len(modules) > 10
    wired = {str(p.relative_to(PACKAGE)): sorted(_imported_names(p) & FLOW) for p in modules}
    assert {m: names for m, names in wired.items() if names} == {}
    callers = sorted(str(p.relative_to(PACKAGE)) for p in modules if "assess" in _imported_names(p))
    assert callers == ["cli/audit_run.py", "cli/scan_file.py", "detective/verdict.py", "hook/resource_target.py",
                       "hook/stack_targets.py"]
