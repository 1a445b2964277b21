"""Each policy-bearing ECR type through the real Lambda entrypoint, as CloudFormation sends it."""

from __future__ import annotations

import json

import pytest

from conftest import hook_request

CONFIG = {"TrustedAccountIds": "222222222222", "TrustedOrganizationIds": "o-a1b2c3d4e5"}
ORG_PULL = {"Version": "2012-10-17", "Statement": [
    {"Sid": "OrgPull", "Effect": "Allow", "Principal": "*", "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
     "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}]}
PUBLIC = {"Version": "2012-10-17", "Statement": [
    {"Sid": "Everyone", "Effect": "Allow", "Principal": "*", "Action": "ecr:*"}]}
PUBLIC_PUSH = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": ["ecr-public:PutImage"]}]}
PUBLIC_PULL = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": ["ecr-public:BatchGetImage"]}]}

CASES = [
    ("AWS::ECR::Repository", {"RepositoryName": "app", "RepositoryPolicyText": ORG_PULL},
     {"RepositoryName": "app", "RepositoryPolicyText": PUBLIC}, "/RepositoryPolicyText/Statement/0/Principal"),
    ("AWS::ECR::RegistryPolicy", {"PolicyText": ORG_PULL}, {"PolicyText": PUBLIC}, "/PolicyText/Statement/0/Principal"),
    ("AWS::ECR::RepositoryCreationTemplate",
     {"Prefix": "prod", "AppliedFor": ["REPLICATION"], "RepositoryPolicy": ORG_PULL},
     {"Prefix": "prod", "AppliedFor": ["REPLICATION"], "RepositoryPolicy": PUBLIC},
     "/RepositoryPolicy/Statement/0/Principal"),
    ("AWS::ECR::PublicRepository", {"RepositoryName": "tools", "RepositoryPolicyText": PUBLIC_PULL},
     {"RepositoryName": "tools", "RepositoryPolicyText": PUBLIC_PUSH}, "/RepositoryPolicyText/Statement/0/Principal"),
    ("AWS::ECR::PullThroughCacheRule",
     {"EcrRepositoryPrefix": "shared", "UpstreamRegistry": "ecr",
      "UpstreamRegistryUrl": "222222222222.dkr.ecr.eu-west-1.amazonaws.com"},
     {"EcrRepositoryPrefix": "shared", "UpstreamRegistry": "ecr",
      "UpstreamRegistryUrl": "https://999999999999.DKR.ECR.eu-west-1.amazonaws.com/"},
     "/UpstreamRegistryUrl"),
]

# The published page each type's annotation links to (issue 13: annotations carry remediationLink).
GUIDE = "https://docs.aws.amazon.com/AmazonECR/latest"
LINKS = {
    "AWS::ECR::Repository": f"{GUIDE}/userguide/repository-policy-examples.html",
    "AWS::ECR::RegistryPolicy": f"{GUIDE}/userguide/registry-permissions-create-replication.html",
    "AWS::ECR::RepositoryCreationTemplate": f"{GUIDE}/userguide/repository-creation-templates-create.html",
    "AWS::ECR::PublicRepository": f"{GUIDE}/public/public-repository-policy-examples.html",
    "AWS::ECR::PullThroughCacheRule": f"{GUIDE}/userguide/pull-through-cache-creating-rule.html",
}


def as_text(properties: dict) -> dict:
    """The same properties with every policy given as a JSON string, as templates often do."""
    return {k: json.dumps(v) if isinstance(v, dict) else v for k, v in properties.items()}


@pytest.mark.parametrize("target, good, bad, where", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("shape", [dict, as_text], ids=["object", "JSON string"])
def test_create_and_update_through_the_entrypoint(invoke, target, good, bad, where, shape):
    ok = invoke(hook_request(target, shape(good), config=CONFIG, logical_id="Target"))
    assert ok["hookStatus"] == "SUCCESS", ok
    failed = invoke(hook_request(target, shape(bad), config=CONFIG, logical_id="Target"))
    assert failed["hookStatus"] == "FAILED" and failed["errorCode"] == "NonCompliant", failed
    assert f"Target ({target})" in failed["message"] and where in failed["message"]
    assert failed["annotations"][0]["status"] == "FAILED" and failed["annotations"][0]["remediationMessage"]
    assert failed["annotations"][0]["remediationLink"] == LINKS[target]
    # Update: only the proposed properties decide, both ways.
    worse = invoke(hook_request(target, shape(bad), previous=shape(good), point="UPDATE_PRE_PROVISION", config=CONFIG))
    assert worse["errorCode"] == "NonCompliant"
    fixed = invoke(hook_request(target, shape(good), previous=shape(bad), point="UPDATE_PRE_PROVISION", config=CONFIG))
    assert fixed["hookStatus"] == "SUCCESS"


def test_trusted_service_principals_setting(invoke):
    policy = {"Statement": [{"Effect": "Allow", "Principal": {"Service": "omics.amazonaws.com"},
                             "Action": ["ecr:BatchGetImage"]}]}
    properties = {"RepositoryPolicyText": policy}
    assert invoke(hook_request("AWS::ECR::Repository", properties, config=CONFIG))["errorCode"] == "NonCompliant"
    trusted = dict(CONFIG, TrustedServicePrincipals="omics.amazonaws.com")
    assert invoke(hook_request("AWS::ECR::Repository", properties, config=trusted))["hookStatus"] == "SUCCESS"


@pytest.mark.parametrize(
    "url, allowed, status",
    [
        ("registry-1.docker.io", "", "SUCCESS"),
        ("registry-1.docker.io", "public.ecr.aws", "FAILED"),
        ("https://Public.ECR.aws/", "public.ecr.aws", "SUCCESS"),
        ("222222222222.dkr.ecr.cn-north-1.amazonaws.com.cn", "", "FAILED"),  # another partition
    ],
)
def test_pull_through_cache_upstreams(invoke, url, allowed, status):
    config = dict(CONFIG, AllowedUpstreamRegistryUrls=allowed) if allowed else CONFIG
    response = invoke(hook_request("AWS::ECR::PullThroughCacheRule", {"UpstreamRegistryUrl": url}, config=config))
    assert response["hookStatus"] == status, response


def test_invalid_upstream_allow_list_is_a_configuration_error(invoke):
    config = dict(CONFIG, AllowedUpstreamRegistryUrls="not a host!")
    response = invoke(hook_request("AWS::ECR::PullThroughCacheRule", {"UpstreamRegistryUrl": "quay.io"}, config=config))
    assert response["errorCode"] == "InvalidTypeConfiguration" and "AllowedUpstreamRegistryUrls" in response["message"]
