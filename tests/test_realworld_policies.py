"""The policy-bearing files of the real-world corpus reach the verdicts its INDEX.md gives.

INDEX convention: the trusted set is the template's own account (``AWS::AccountId``) plus the
organizations the template itself names in its conditions; every other account, including the
documentation's "your account" IDs, is outside. Templates are read with the hook's own template
loader and evaluated as the STACK target and ``hook-handler scan`` do; standalone policies and
property fragments go straight to the core checker of their resource type.

Labels: FLAG -> a violation naming the outside value; FLAG (param) -> never a PASS (a violation,
or invalid/unresolved when the placeholder cannot be read); AMBIGUOUS -> the strict verdict,
and PASS once the "literal own" account is trusted; PASS -> no finding; PASS* (unscoped service
principal) -> ECR-POLICY-UNSCOPED-SERVICE, and PASS once the service is in TrustedServicePrincipals;
UPSTREAM -> allowed with no allow-list, a violation with one that does not list it.
"""

from __future__ import annotations

import json
import pathlib

import pytest

from dataperimeter_ecr_replicationguard.assess import findings_of
from dataperimeter_ecr_replicationguard.core import evaluate
from dataperimeter_ecr_replicationguard.core.findings import Category
from dataperimeter_ecr_replicationguard.core.trust import Trust
from dataperimeter_ecr_replicationguard.template.resolve import Context
from dataperimeter_ecr_replicationguard.template.translate import template_resources
from dataperimeter_ecr_replicationguard.template.yaml_loader import load_template_text

ROOT = pathlib.Path(__file__).resolve().parent
TEMPLATES = ROOT / "data" / "templates" / "realworld"
POLICIES = ROOT / "data" / "realworld"
OWN = "000000000001"  # AWS::AccountId: appears in no corpus file
TRUST = Trust(accounts=frozenset({OWN}), partition="aws")


def _template_findings(name: str, trust: Trust = TRUST) -> dict[str, list]:
    document = load_template_text((TEMPLATES / name).read_text(encoding="utf-8"))
    if "Resources" not in document:  # documentation fragments: the resources at top level
        document = {"Resources": document}
    resources = template_resources(document, Context(account_id=OWN, region="eu-west-1"))
    assert resources, f"{name}: no ECR resource was evaluated"
    return {r.logical_id: findings_of(r, trust) for r in resources}


def _policy_findings(name: str, resource_type: str, key: str, trust: Trust = TRUST) -> list:
    document = json.loads((POLICIES / name).read_text(encoding="utf-8"))
    properties = {key: document}
    return evaluate(resource_type, "Policy", properties, trust)


def _rules(findings) -> set[str]:
    return {f.rule_id for f in findings}


def _all(by_resource: dict[str, list]) -> list:
    return [f for findings in by_resource.values() for f in findings]


def _trusting(*, accounts=(), orgs=(), services=(), upstreams=()) -> Trust:
    return TRUST._replace(
        accounts=TRUST.accounts | frozenset(accounts),
        organization_ids=frozenset(orgs),
        service_principals=frozenset(services),
        allowed_upstream_registry_urls=frozenset(upstreams),
    )


def test_02_registry_policy_granting_a_parameter_account_is_never_a_pass():
    findings = _all(_template_findings("02_kms-replication_secondary-registry-policy.yaml"))
    # FLAG (param): the CLI context takes parameter defaults; the default is 111122223333.
    assert _rules(findings) == {"ECR-POLICY-UNTRUSTED-ACCOUNT"}
    assert [f.subject for f in findings] == ["111122223333"]
    # Distractor: the KMS key policy principals are not ECR and are never reported.
    assert not any("444455556666" in f.message for f in findings)


def test_04_star_inside_a_principal_list_is_public():
    findings = _all(_template_findings("04_checkov_ECRPolicy-FAILED.yaml"))
    assert "ECR-POLICY-PUBLIC-PRINCIPAL" in _rules(findings)
    assert "ECR-POLICY-UNTRUSTED-ACCOUNT" in _rules(findings)  # Bob and Alice in 123456789012


def test_05_forallvalues_on_the_org_id_fails_only_that_repository():
    """checkov labels the whole file PASSED. ForAllValues on a single-valued key is true when the
    caller has no organization at all, so only CondAllPass lets outsiders in."""
    by_resource = _template_findings("05_checkov_ECRPolicy-PASSED-2_orgid-conditions.yaml",
                                      _trusting(orgs={"o-12345678"}))
    failing = {logical_id for logical_id, findings in by_resource.items() if findings}
    assert failing == {"CondAllPass"}, by_resource
    assert _rules(by_resource["CondAllPass"]) == {"ECR-POLICY-PUBLIC-PRINCIPAL"}
    assert "ForAllValues" in by_resource["CondAllPass"][0].message


def test_05_an_org_condition_naming_an_untrusted_org_pins_nobody():
    """The org in the condition must be trusted: any org ID is not enough (checkov's failure)."""
    by_resource = _template_findings("05_checkov_ECRPolicy-PASSED-2_orgid-conditions.yaml")
    assert all(by_resource.values()), by_resource


@pytest.mark.parametrize("name", ["06_checkov_ECRPolicy-PASSED.yaml", "22_awsdoc-cfn_repository_bob_alice.yaml"])
def test_06_22_literal_your_account_is_strictly_outside_and_passes_once_trusted(name):
    findings = _all(_template_findings(name))
    assert _rules(findings) == {"ECR-POLICY-UNTRUSTED-ACCOUNT"}
    assert {f.subject for f in findings} <= {"123456789012", "arn:aws:iam::123456789012:user/Bob",
                                             "arn:aws:iam::123456789012:user/Alice"}
    assert not _all(_template_findings(name, _trusting(accounts={"123456789012"})))


@pytest.mark.parametrize("name", ["07_checkov_ECRPolicy_passed_string-policy.json",
                                  "08_cfnlint_good_resource_policy_string.yaml"])
def test_07_08_string_policies_with_an_unscoped_codebuild_principal(name):
    findings = _all(_template_findings(name))
    assert _rules(findings) == {"ECR-POLICY-UNSCOPED-SERVICE"}, findings
    assert all(f.subject == "codebuild.amazonaws.com" for f in findings)
    assert not _all(_template_findings(name, _trusting(services={"codebuild.amazonaws.com"})))


def test_09_malformed_statements_fail_closed_without_crashing():
    by_resource = _template_findings("09_cfnlint_bad_resource_policy.yaml")
    assert set(by_resource) == {"ecr1", "ecr2"}
    for logical_id, findings in by_resource.items():
        assert findings, f"{logical_id} must not PASS"
        assert all(f.category is Category.INVALID for f in findings), findings
    assert "ECR-POLICY-MALFORMED" in _rules(by_resource["ecr1"])  # Effect NotAllow
    assert _rules(by_resource["ecr2"]) == {"ECR-POLICY-INVALID-PRINCIPAL"}  # account-id placeholder


def test_10_lambda_cross_account_pull_is_flagged_twice_for_222222222222():
    findings = _all(_template_findings("10_lambda-cross-account-ecr_sam-ecr-repo.yaml"))
    rules = _rules(findings)
    assert {"ECR-POLICY-UNSCOPED-SERVICE", "ECR-POLICY-UNTRUSTED-ACCOUNT"} <= rules
    assert all("222222222222" in f.message for f in findings)
    # Trusting 222222222222 makes both statements pass: the lower-case aws:sourceArn key counts.
    assert not _all(_template_findings("10_lambda-cross-account-ecr_sam-ecr-repo.yaml",
                                       _trusting(accounts={"222222222222"})))


def test_11_customer_account_built_with_fn_join_is_never_a_pass():
    findings = _all(_template_findings("11_garystafford_ecr-repo-shared.yaml"))
    unresolved = [f for f in findings if f.category is Category.UNRESOLVED]
    assert any("CustomerAccount" in f.message for f in unresolved), findings
    assert "ECR-POLICY-UNSCOPED-SERVICE" in _rules(findings)  # codebuild, statement 0


def test_12_import_value_principal_is_unresolved_not_a_violation_of_an_account():
    findings = _all(_template_findings("12_garystafford_ecr-repo-not-shared.yaml"))
    assert any(f.category is Category.UNRESOLVED for f in findings), findings
    assert "ECR-POLICY-UNTRUSTED-ACCOUNT" not in _rules(findings)


def test_13_wildcard_principal_gated_only_by_source_arn_is_public():
    findings = _all(_template_findings("13_stelligent-mu_repo.yaml"))
    assert "ECR-POLICY-PUBLIC-PRINCIPAL" in _rules(findings)


@pytest.mark.parametrize("name", ["20_awsdoc-cfn_registrypolicy_example.yaml",
                                  "21_awsdoc-cfn_registrypolicy_example_json.json"])
def test_20_21_registry_policy_granting_210987654321(name):
    findings = _all(_template_findings(name))
    assert _rules(findings) == {"ECR-POLICY-UNTRUSTED-ACCOUNT"}
    assert {f.subject for f in findings} & {"210987654321", "arn:aws:iam::210987654321:root"}
    assert not _all(_template_findings(name, _trusting(accounts={"210987654321"})))


@pytest.mark.parametrize("name", ["23_awsdoc-cfn_ptc_dockerhub_credential.json", "24_awsdoc-cfn_ptc_ecr-public.yaml"])
def test_23_24_third_party_upstreams_follow_the_allow_list(name):
    assert not _all(_template_findings(name))
    findings = _all(_template_findings(name, _trusting(upstreams={"ghcr.io"})))
    assert _rules(findings) == {"ECR-PTC-UPSTREAM-NOT-ALLOWED"}


def test_34_cdk_public_single_action_is_public():
    findings = _all(_template_findings("34_aws-cdk_integ-basic_public-getdownloadurl.json"))
    assert _rules(findings) == {"ECR-POLICY-PUBLIC-PRINCIPAL"}


def test_37_deny_only_policy_passes():
    assert not _all(_template_findings("37_cfn-templates_ExpandStack_ecr-repo_deny-only.yaml"))


# Standalone policies and property fragments ------------------------------------------------

REGISTRY = ("AWS::ECR::RegistryPolicy", "PolicyText")
REPOSITORY = ("AWS::ECR::Repository", "RepositoryPolicyText")


@pytest.mark.parametrize("name, target", [
    ("25_awsdoc-ecr_registry-policy_source-account-placeholder.json", REGISTRY),
    ("26_awsdoc-ecr_registry-policy_prod-prefix.json", REGISTRY),
    ("27_awsdoc-ecr_repo-policy_cross-account-push.json", REPOSITORY),
])
def test_25_26_27_placeholder_accounts_are_never_a_pass(name, target):
    findings = _policy_findings(name, *target)
    assert _rules(findings) == {"ECR-POLICY-INVALID-PRINCIPAL"}
    assert all(f.category is Category.INVALID for f in findings)
    assert any(p in findings[0].subject for p in ("source_account_id", "account-id"))


def test_17_registry_policy_fragment_with_a_placeholder_account():
    properties = json.loads((POLICIES / "17_rpdk-ecr_registrypolicy_inputs_1_create.json").read_text())
    findings = evaluate("AWS::ECR::RegistryPolicy", "Policy", properties, TRUST)
    assert findings and all(f.category is not Category.UNRESOLVED for f in findings)
    assert any("{account id}" in f.subject or "{account id}" in f.message for f in findings)


def test_18_contract_inputs_public_pull():
    wrapper = json.loads((POLICIES / "18_rpdk-ecr_repository_contract_inputs_1_public.json").read_text())
    findings = evaluate("AWS::ECR::Repository", "Repo", wrapper["CreateInputs"], TRUST)
    assert _rules(findings) == {"ECR-POLICY-PUBLIC-PRINCIPAL"}


@pytest.mark.parametrize("name", ["28_awsdoc-ecr_repo-policy_deny-all-pull.json",
                                  "29_awsdoc-ecr_repo-policy_deny-notipaddress.json"])
def test_28_29_deny_only_policies_pass(name):
    assert _policy_findings(name, *REPOSITORY) == []


def test_30_codebuild_scoped_to_123456789012_passes_only_if_that_account_is_trusted():
    name = "30_awsdoc-ecr_repo-policy_codebuild-service-sourceaccount.json"
    findings = _policy_findings(name, *REPOSITORY)
    assert _rules(findings) == {"ECR-POLICY-UNSCOPED-SERVICE"}
    assert _policy_findings(name, *REPOSITORY, trust=_trusting(accounts={"123456789012"})) == []


def test_33_unscoped_omics_service_principal():
    name = "33_healthomics-tutorials_omics-ecr-repo-policy.json"
    assert _rules(_policy_findings(name, *REPOSITORY)) == {"ECR-POLICY-UNSCOPED-SERVICE"}
    assert _policy_findings(name, *REPOSITORY, trust=_trusting(services={"omics.amazonaws.com"})) == []


def test_every_copied_policy_keeps_its_provenance_sidecar():
    for path in POLICIES.glob("*.json"):
        sidecar = path.with_name(path.name + ".source.txt")
        assert sidecar.exists(), path.name
        assert "LICENSE" in sidecar.read_text(encoding="utf-8").upper(), sidecar.name


# The same standalone policies through the real Lambda entrypoint -----------------------------
# (conftest.ACCOUNT deploys; the type configuration is what an operator would set.)

HOOK_CASES = [
    # file, target, type configuration, expected (hookStatus, errorCode), text the message must name
    ("18_rpdk-ecr_repository_contract_inputs_1_public.json", REPOSITORY, {}, ("FAILED", "NonCompliant"),
     ["ECR-POLICY-PUBLIC-PRINCIPAL", "AllowPushPull"]),
    ("25_awsdoc-ecr_registry-policy_source-account-placeholder.json", REGISTRY, {}, ("FAILED", "InvalidRequest"),
     ["ECR-POLICY-INVALID-PRINCIPAL", "source_account_id"]),
    ("26_awsdoc-ecr_registry-policy_prod-prefix.json", REGISTRY, {}, ("FAILED", "InvalidRequest"),
     ["ECR-POLICY-INVALID-PRINCIPAL"]),
    ("27_awsdoc-ecr_repo-policy_cross-account-push.json", REPOSITORY, {}, ("FAILED", "InvalidRequest"),
     ["AllowCrossAccountPush", "account-id"]),
    ("28_awsdoc-ecr_repo-policy_deny-all-pull.json", REPOSITORY, {}, ("SUCCESS", None), []),
    ("29_awsdoc-ecr_repo-policy_deny-notipaddress.json", REPOSITORY, {}, ("SUCCESS", None), []),
    ("30_awsdoc-ecr_repo-policy_codebuild-service-sourceaccount.json", REPOSITORY, {}, ("FAILED", "NonCompliant"),
     ["ECR-POLICY-UNSCOPED-SERVICE", "codebuild.amazonaws.com", "CodeBuildAccess"]),
    ("30_awsdoc-ecr_repo-policy_codebuild-service-sourceaccount.json", REPOSITORY,
     {"TrustedAccountIds": "123456789012"}, ("SUCCESS", None), []),
    ("33_healthomics-tutorials_omics-ecr-repo-policy.json", REPOSITORY, {}, ("FAILED", "NonCompliant"),
     ["ECR-POLICY-UNSCOPED-SERVICE", "omics.amazonaws.com"]),
    ("33_healthomics-tutorials_omics-ecr-repo-policy.json", REPOSITORY,
     {"TrustedServicePrincipals": "omics.amazonaws.com"}, ("SUCCESS", None), []),
]


@pytest.mark.parametrize("as_text", [False, True], ids=["object", "json-text"])
@pytest.mark.parametrize("point", ["CREATE_PRE_PROVISION", "UPDATE_PRE_PROVISION"])
@pytest.mark.parametrize("name, target, config, expected, named", HOOK_CASES,
                         ids=[f"{c[0][:2]}-{i}" for i, c in enumerate(HOOK_CASES)])
def test_corpus_policies_through_the_hook_entrypoint(invoke, name, target, config, expected, named, point, as_text):
    from conftest import hook_request

    document = json.loads((POLICIES / name).read_text(encoding="utf-8"))
    if name.startswith("18_"):
        document = document["CreateInputs"]["RepositoryPolicyText"]
    resource_type, key = target
    policy = json.dumps(document) if as_text else document
    response = invoke(hook_request(resource_type, {key: policy}, point=point, config=config,
                                   logical_id="CorpusPolicy"))
    assert (response["hookStatus"], response.get("errorCode")) == expected, response.get("message")
    message = response.get("message", "")
    assert len(message) <= 1024
    for text in named:
        assert text in message, (text, message)
    if expected[0] == "FAILED":
        assert "CorpusPolicy" in message
