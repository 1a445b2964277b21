"""AWS::ECR::PullThroughCacheRule (core/pull_through_cache.py): an ECR upstream must be a trusted
account's registry in the stack's partition; other upstreams pass unless AllowedUpstreamRegistryUrls
is set and does not list them. Real property shapes from the AWS::ECR::PullThroughCacheRule docs."""

from __future__ import annotations

import pytest

from dataperimeter_ecr_replicationguard.core import Category, Trust, evaluate
from dataperimeter_ecr_replicationguard.core.pull_through_cache import registry_host

TRUSTED, OTHER = "111111111111", "999999999999"
TRUST = Trust(accounts=frozenset({TRUSTED}), partition="aws")
ALLOW_LIST = Trust(accounts=frozenset({TRUSTED}), partition="aws",
                   allowed_upstream_registry_urls=frozenset({"public.ecr.aws", "registry-1.docker.io"}))
CN = Trust(accounts=frozenset({TRUSTED}), partition="aws-cn")


def check(properties, trust=TRUST):
    return evaluate("AWS::ECR::PullThroughCacheRule", "Cache", properties, trust)


def rules(properties, trust=TRUST):
    return sorted(f.rule_id for f in check(properties, trust))


def ecr_rule(url: str, registry: str | None = "ecr") -> dict:
    properties = {"EcrRepositoryPrefix": "mirror", "UpstreamRegistryUrl": url,
                  "UpstreamRepositoryPrefix": "team"}
    if registry is not None:
        properties["UpstreamRegistry"] = registry
    return properties


@pytest.mark.parametrize("url", [
    f"{TRUSTED}.dkr.ecr.eu-west-1.amazonaws.com",
    f"{TRUSTED}.DKR.ECR.EU-WEST-1.AMAZONAWS.COM",
    f"https://{TRUSTED}.dkr.ecr.eu-west-1.amazonaws.com/",
    f"HTTPS://{TRUSTED}.dkr.ecr.eu-west-1.amazonaws.com",
    f"{TRUSTED}.dkr.ecr-fips.us-east-1.amazonaws.com",
])
def test_trusted_ecr_upstream_passes(url):
    assert rules(ecr_rule(url)) == []
    assert rules(ecr_rule(url, registry=None)) == []  # recognised by its host alone


@pytest.mark.parametrize("url", [
    f"{OTHER}.dkr.ecr.eu-west-1.amazonaws.com",
    f"https://{OTHER}.DKR.ECR.us-east-1.AMAZONAWS.COM/v2/",
    f"{OTHER}.dkr.ecr.cn-north-1.amazonaws.com.cn",
])
def test_untrusted_ecr_upstream_fails(url):
    assert rules(ecr_rule(url)) == ["ECR-PTC-UNTRUSTED-UPSTREAM"]
    assert rules(ecr_rule(url, registry="ECR")) == ["ECR-PTC-UNTRUSTED-UPSTREAM"]


def test_trusted_account_in_another_partition_is_someone_else():
    (finding,) = check(ecr_rule(f"{TRUSTED}.dkr.ecr.cn-north-1.amazonaws.com.cn"))
    assert finding.rule_id == "ECR-PTC-UNTRUSTED-UPSTREAM"
    assert "partition" in finding.message
    assert rules(ecr_rule(f"{TRUSTED}.dkr.ecr.cn-north-1.amazonaws.com.cn"), CN) == []
    assert rules(ecr_rule(f"{TRUSTED}.dkr.ecr.eu-west-1.amazonaws.com"), CN) == ["ECR-PTC-UNTRUSTED-UPSTREAM"]


def test_untrusted_upstream_message_names_account_and_host():
    (finding,) = check(ecr_rule(f"{OTHER}.dkr.ecr.eu-west-1.amazonaws.com"))
    assert finding.category is Category.VIOLATION and finding.subject == OTHER
    assert f"{OTHER}.dkr.ecr.eu-west-1.amazonaws.com" in finding.message
    assert finding.path == "/UpstreamRegistryUrl"


@pytest.mark.parametrize("url", [
    "mirror.dkr.ecr.eu-west-1.amazonaws.com",  # no account
    "12345.dkr.ecr.eu-west-1.amazonaws.com",
    f"{TRUSTED}.dkr.ecr.amazonaws.com",  # no Region
    "",
    "   ",
])
def test_ecr_upstream_without_a_readable_account_fails_closed(url):
    assert rules(ecr_rule(url)) == ["ECR-PTC-MALFORMED"]


def test_declared_ecr_upstream_with_a_foreign_host_fails_closed():
    """UpstreamRegistry "ecr" (any case) with a host that is no ECR registry cannot be checked."""
    assert rules(ecr_rule("registry-1.docker.io", registry="ecr")) == ["ECR-PTC-MALFORMED"]
    assert rules(ecr_rule("registry-1.docker.io", registry="ECR")) == ["ECR-PTC-MALFORMED"]


@pytest.mark.parametrize("registry,url", [
    ("ecr-public", "public.ecr.aws"),
    ("docker-hub", "registry-1.docker.io"),
    ("quay", "quay.io"),
    ("github-container-registry", "ghcr.io"),
    ("k8s", "registry.k8s.io"),
])
def test_non_ecr_upstreams(registry, url):
    properties = {"EcrRepositoryPrefix": "cache", "UpstreamRegistry": registry, "UpstreamRegistryUrl": url}
    assert rules(properties) == []  # no allow-list: any upstream
    expected = [] if url in ALLOW_LIST.allowed_upstream_registry_urls else ["ECR-PTC-UPSTREAM-NOT-ALLOWED"]
    assert rules(properties, ALLOW_LIST) == expected
    assert rules({**properties, "UpstreamRegistryUrl": f"https://{url.upper()}/"}, ALLOW_LIST) == expected


def test_lookalike_ecr_host_outside_aws_is_an_ordinary_upstream():
    """<trusted account>.dkr.ecr.<region>.example.com is not ECR: it must pass the allow-list."""
    properties = {"EcrRepositoryPrefix": "cache", "UpstreamRegistry": "docker-hub",
                  "UpstreamRegistryUrl": f"{TRUSTED}.dkr.ecr.eu-west-1.amazonaws.com.evil.example"}
    assert rules(properties, ALLOW_LIST) == ["ECR-PTC-UPSTREAM-NOT-ALLOWED"]
    properties["UpstreamRegistryUrl"] = f"{TRUSTED}.dkr.ecr.eu-west-1.evil.example"
    assert rules(properties, ALLOW_LIST) == ["ECR-PTC-UPSTREAM-NOT-ALLOWED"]


@pytest.mark.parametrize("url", [
    "{{resolve:ssm:/registry/upstream}}",
    {"Fn::Sub": "${AWS::AccountId}.dkr.ecr.${AWS::Region}.amazonaws.com"},
    {"Ref": "UpstreamUrl"},
])
def test_unresolved_upstream(url):
    (finding,) = check(ecr_rule(url))
    assert finding.rule_id == "ECR-PTC-UNRESOLVED" and finding.category is Category.UNRESOLVED


@pytest.mark.parametrize("properties", [None, [], "text", {"UpstreamRegistryUrl": 123}, {}])
def test_unreadable_properties_fail_closed(properties):
    assert [f.category for f in check(properties)] == [Category.INVALID]


@pytest.mark.parametrize("url,host", [
    ("https://Public.ECR.aws/", "public.ecr.aws"),
    ("registry-1.docker.io", "registry-1.docker.io"),
    ("oci://quay.io/org/repo", "quay.io"),
    (" ghcr.io. ", "ghcr.io"),
])
def test_registry_host(url, host):
    assert registry_host(url) == host


def test_aws_domains_are_the_partition_dns_suffixes_botocore_knows():
    import json
    import os

    import botocore

    from dataperimeter_ecr_replicationguard.core.pull_through_cache import AWS_DOMAINS

    with open(os.path.join(os.path.dirname(botocore.__file__), "data", "partitions.json")) as handle:
        suffixes = {p["outputs"]["dnsSuffix"] for p in json.load(handle)["partitions"]}
    assert suffixes <= set(AWS_DOMAINS)


# --- issue 12: every registry host form botocore's endpoint data knows is ECR ---------------------
FOREIGN_ECR_FORMS = [
    f"{OTHER}.dkr-ecr.eu-west-1.on.aws",  # dual-stack
    f"https://{OTHER}.DKR-ECR.EU-WEST-1.ON.AWS/v2/",
    f"{OTHER}.dkr-ecr-fips.us-east-1.on.aws",  # dual-stack FIPS
    f"{OTHER}.dkr.ecr-fips.us-gov-west-1.amazonaws.com",  # FIPS, GovCloud
    f"{OTHER}.dkr-ecr.cn-north-1.on.amazonwebservices.com.cn",  # dual-stack, China
    f"{OTHER}.dkr.ecr.eusc-de-east-1.amazonaws.eu",  # European Sovereign Cloud
    f"{OTHER}.dkr.ecr.us-isob-east-1.sc2s.sgov.gov",
]
ECR_HOSTS_WITHOUT_ACCOUNT = [
    "api.ecr.eu-west-1.amazonaws.com", "ecr-fips.us-east-1.amazonaws.com", "ecr.eu-west-1.api.aws",
    f"{OTHER}.dkr.ecr.eu-west-1.on.aws",  # the IPv4 name in the dual-stack domain: no such endpoint
]


@pytest.mark.parametrize("url", FOREIGN_ECR_FORMS)
def test_every_ecr_host_form_names_an_account_that_must_be_trusted(url):
    for registry in ("ecr", None):
        findings = check(ecr_rule(url, registry=registry))
        assert [(f.rule_id, f.subject) for f in findings] == [("ECR-PTC-UNTRUSTED-UPSTREAM", OTHER)], url


@pytest.mark.parametrize("url", [f"{TRUSTED}.dkr-ecr.eu-west-1.on.aws", f"{TRUSTED}.DKR-ECR-FIPS.us-east-1.on.aws"])
def test_trusted_dual_stack_upstream_passes(url):
    assert rules(ecr_rule(url, registry=None)) == []


@pytest.mark.parametrize("url", ECR_HOSTS_WITHOUT_ACCOUNT)
def test_an_ecr_host_without_an_account_is_malformed(url):
    assert rules(ecr_rule(url, registry=None)) == ["ECR-PTC-MALFORMED"]


@pytest.mark.parametrize("url, status", [(u, "FAILED") for u in FOREIGN_ECR_FORMS[:3]]
                         + [(f"{TRUSTED}.dkr-ecr.eu-west-1.on.aws", "SUCCESS"), ("public.ecr.aws", "SUCCESS")])
def test_ecr_host_forms_through_the_entrypoint(invoke, url, status):
    from conftest import hook_request

    response = invoke(hook_request("AWS::ECR::PullThroughCacheRule", {"EcrRepositoryPrefix": "mirror",
                                                                       "UpstreamRegistryUrl": url}))
    assert response["hookStatus"] == status, response
    if status == "FAILED":
        assert response["errorCode"] == "NonCompliant" and OTHER in response["message"]
