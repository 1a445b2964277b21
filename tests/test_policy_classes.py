"""Issue 12: the policy classes of tests/cases/policy_classes.yaml, each case through the real
Lambda entrypoint (handlers.hook) for the four policy-bearing ECR types, as CloudFormation sends
them. "NS:" in a case is the namespace the type's service evaluates, "OTHERNS:" the other one."""

from __future__ import annotations

import json
import pathlib

import pytest
import yaml

from conftest import hook_request

CASES = yaml.safe_load((pathlib.Path(__file__).parent / "cases" / "policy_classes.yaml").read_text())
CONFIG = {"TrustedAccountIds": "222222222222", "TrustedOrganizationIds": "o-a1b2c3d4e5",
          "TrustedOrganizationalUnitPaths": "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/"}
ORG_GUARD = {"StringNotEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}
VIOLATIONS = {"ECR-POLICY-PUBLIC-PRINCIPAL", "ECR-POLICY-UNTRUSTED-ACCOUNT", "ECR-POLICY-UNTRUSTED-PRINCIPAL",
              "ECR-POLICY-NOTPRINCIPAL-ALLOW", "ECR-POLICY-UNSCOPED-SERVICE"}

# type, namespace, the property holding the policy, other properties
TYPES = [
    ("AWS::ECR::Repository", "ecr", "RepositoryPolicyText", {"RepositoryName": "app"}),
    ("AWS::ECR::RegistryPolicy", "ecr", "PolicyText", {}),
    ("AWS::ECR::RepositoryCreationTemplate", "ecr", "RepositoryPolicy",
     {"Prefix": "prod", "AppliedFor": ["REPLICATION"]}),
    ("AWS::ECR::PublicRepository", "ecr-public", "RepositoryPolicyText", {"RepositoryName": "tools"}),
]


def localise(value, namespace: str):
    """NS: and OTHERNS: into the type's namespace and the other; G into the org guard condition."""
    other = "ecr-public" if namespace == "ecr" else "ecr"
    if isinstance(value, str):
        return value.replace("OTHERNS:", other + ":").replace("NS:", namespace + ":")
    if isinstance(value, list):
        return [localise(v, namespace) for v in value]
    if isinstance(value, dict):
        return {k: (ORG_GUARD if k == "Condition" and v == "G" else localise(v, namespace)) for k, v in value.items()}
    return value


def policy_of(case: dict, namespace: str):
    if "policy_text" in case:
        return localise(case["policy_text"], namespace)
    return {"Version": "2012-10-17", "Statement": localise(case["statements"], namespace)}


def test_every_class_has_pass_and_fail_cases():
    classes = {c["class"] for c in CASES}
    assert classes == {"namespace", "strict input", "guard spelling", "unresolved"}
    for name in classes:
        expects = [c["expect"] for c in CASES if c["class"] == name]
        assert "PASS" in expects and any(e != "PASS" for e in expects), name
    assert len({c["id"] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("target, namespace, prop, extra", TYPES, ids=[t[0] for t in TYPES])
@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_policy_class_through_the_entrypoint(invoke, case, target, namespace, prop, extra):
    policy = policy_of(case, namespace)
    if target == "AWS::ECR::RepositoryCreationTemplate" and isinstance(policy, dict) and "unresolved" != case["class"]:
        policy = json.dumps(policy)  # a string property in the schema
    response = invoke(hook_request(target, {**extra, prop: policy}, config=CONFIG, logical_id="Target"))
    if case["expect"] == "PASS":
        assert response["hookStatus"] == "SUCCESS", response
        return
    assert response["hookStatus"] == "FAILED", response
    found = [a["annotationName"] for a in response["annotations"] if a["status"] == "FAILED"]
    assert found == case["expect"], response
    code = "NonCompliant" if VIOLATIONS & set(case["expect"]) else "InvalidRequest"
    assert response["errorCode"] == code, response
    if "where" in case:
        assert f"/{prop}{case['where']}" in response["message"], response["message"]


# --- the scan door: --allow-unresolved never passes a decided violation --------------------------
TEMPLATE = """
Resources:
  Repo:
    Type: AWS::ECR::Repository
    Properties:
      RepositoryPolicyText:
        Version: "2012-10-17"
        Statement:
"""
DECIDED = TEMPLATE + """          - Sid: Partner
            Effect: Allow
            Principal: {AWS: "arn:aws:iam::999999999999:root"}
            Action: ["ecr:BatchGetImage"]
            Resource: !GetAtt Repo.Arn
"""
REGION_ONLY = TEMPLATE + """          - Effect: Allow
            Principal: "*"
            Action: ["ecr:BatchGetImage"]
            Resource: !Sub "arn:aws:ecr:${AWS::Region}:111111111111:repository/app"
          - Effect: Deny
            Principal: "*"
            Action: "ecr:*"
            Resource: "arn:aws:ecr:*:111111111111:repository/*"
            Condition: {StringNotEquals: {"aws:PrincipalOrgID": o-exampleorgid1}}
"""
UNDECIDED = DECIDED.replace("Resource: !GetAtt Repo.Arn",
                            "Condition: {StringEquals: {\"aws:PrincipalOrgID\": !Ref OrgId}}")


@pytest.mark.parametrize("template, allowed_exit, plain_exit, rule", [
    (DECIDED, 1, 1, "ECR-POLICY-UNTRUSTED-ACCOUNT"),  # was "unresolved", passed by --allow-unresolved
    (UNDECIDED, 0, 1, "ECR-POLICY-UNRESOLVED"),  # the unresolved org ID may hold it inside
    (REGION_ONLY, 0, 0, None),  # the Region cannot change the verdict: no finding at all
], ids=["decided violation", "undecided", "region only"])
def test_scan_allow_unresolved_never_passes_a_decided_violation(tmp_path, template, allowed_exit, plain_exit, rule):
    from scan_helpers import run_cli

    path = tmp_path / "template.yaml"
    path.write_text(template)
    config = str(pathlib.Path(__file__).parent / "data" / "scan-config.json")
    code, out, _ = run_cli("scan", str(path), "--config", config, "--account", "111111111111", "--allow-unresolved")
    assert code == allowed_exit, out
    code, out, _ = run_cli("scan", str(path), "--config", config, "--account", "111111111111")
    assert code == plain_exit, out
    assert (rule in out) if rule else "ECR-POLICY" not in out, out


def test_every_policy_bearing_type_of_the_core_runs_every_case():
    """A checker module with POLICY_PROPERTY is policy-bearing: each must be in TYPES (so every case of
    tests/cases/policy_classes.yaml runs on it) with its property and namespace (CONTRIBUTING.md,
    "Adding a policy-bearing resource type")."""
    from dataperimeter_ecr_replicationguard.core.evaluate import MODULES
    from dataperimeter_ecr_replicationguard.core.policy import PUBLIC

    bearing = {m.RESOURCE_TYPE: m.POLICY_PROPERTY for m in MODULES if hasattr(m, "POLICY_PROPERTY")}
    assert bearing == {t: prop for t, _, prop, _ in TYPES}
    assert {t for t, ns, _, _ in TYPES if ns == PUBLIC} == {"AWS::ECR::PublicRepository"}
