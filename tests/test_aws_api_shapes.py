"""aws_api.shapes: ECR API request and describe shapes become the CloudFormation properties the
checkers read, with the same verdict through ``assess``; what cannot be read raises Unreadable.

Fixtures: tests/data/cloudtrail/ (EventBridge "AWS API Call via CloudTrail" events, their expected
outcomes in expected.json, README.md says what they are built from)."""

from __future__ import annotations

import json
import pathlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataperimeter_ecr_replicationguard.assess import Resource, assess
from dataperimeter_ecr_replicationguard.aws_api import shapes
from dataperimeter_ecr_replicationguard.aws_api.shapes import Unreadable
from dataperimeter_ecr_replicationguard.invocation import Invocation
from dataperimeter_ecr_replicationguard.settings import parse_settings

HERE = pathlib.Path(__file__).resolve().parent
CLOUDTRAIL = HERE / "data" / "cloudtrail"
REALWORLD = HERE / "data" / "realworld"
EXPECTED = json.loads((CLOUDTRAIL / "expected.json").read_text(encoding="utf-8"))
ACCOUNT, TRUSTED, FOREIGN = "111111111111", "222222222222", "999999999999"
REGION = "eu-west-1"
PLACE = {"account": ACCOUNT, "region": REGION}
SETTINGS = parse_settings(EXPECTED["settings"])
INVOCATION = Invocation(ACCOUNT, REGION, "aws")


def verdict(resources: list[Resource], settings_=SETTINGS, invocation=INVOCATION) -> list[tuple]:
    assessment = assess(resources, settings_, invocation)
    return [sorted((j.finding.rule_id, j.finding.category.value, j.finding.severity.value, j.finding.path,
                    j.finding.subject, not j.exempted) for j in assessed.judged) for assessed in assessment.resources]


def policy(*principals: str, action: str = "ecr:BatchGetImage", condition: dict | None = None) -> str:
    statement: dict = {"Sid": "S", "Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam::{p}:root" for p in principals]}
                       if principals else "*", "Action": [action]}
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


# -- the CloudTrail fixtures ---------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(EXPECTED["events"]), ids=str)
def test_every_cloudtrail_fixture_gives_its_expected_outcome(name):
    event = json.loads((CLOUDTRAIL / name).read_text(encoding="utf-8"))
    expected = EXPECTED["events"][name]
    record = event["detail"]
    assert event["detail-type"] == "AWS API Call via CloudTrail" and event["source"] == "aws." + record["eventSource"].split(".")[0]
    if expected["outcome"] == "failed-call":
        assert record["errorCode"] == expected["error_code"] and record["responseElements"] is None
        return
    assert "errorCode" not in record
    call = (record["eventSource"], record["eventName"], record["requestParameters"])
    place = {"account": record["recipientAccountId"], "region": record["awsRegion"]}
    if expected["outcome"] == "unreadable":
        with pytest.raises(Unreadable) as caught:
            shapes.resources_from_call(*call, **place)
        assert caught.value.where == expected["where"]
        return
    resources = shapes.resources_from_call(*call, **place)
    if expected["outcome"] == "not-a-perimeter-call":
        assert resources == []
        return
    assert [shapes.resource_arn(r) for r in resources] == [expected["arn"]]
    assert [sorted({f[0] for f in findings if f[5]}) for findings in verdict(resources)] == [expected["rule_ids"]]


def test_every_fixture_is_listed_and_every_call_this_module_reads_has_one():
    assert {p.name for p in CLOUDTRAIL.glob("*.json")} - {"expected.json"} == set(EXPECTED["events"])
    covered = set()
    for name in EXPECTED["events"]:
        record = json.loads((CLOUDTRAIL / name).read_text(encoding="utf-8"))["detail"]
        covered.add((record["eventSource"], record["eventName"]))
    assert set(shapes.CALLS) <= covered


def test_the_fixtures_carry_the_identities_the_detective_control_reports():
    kinds = {json.loads((CLOUDTRAIL / n).read_text())["detail"]["userIdentity"]["type"] for n in EXPECTED["events"]}
    assert {"AssumedRole", "IAMUser", "Root"} <= kinds


# -- requests, one operation at a time -----------------------------------------------------

def test_put_replication_configuration():
    [resource] = shapes.resources_from_call("ecr.amazonaws.com", "PutReplicationConfiguration", {
        "replicationConfiguration": {"rules": [
            {"destinations": [{"region": "us-east-2", "registryId": FOREIGN}],
             "repositoryFilters": [{"filter": "prod/", "filterType": "PREFIX_MATCH"}],
             "deleteReplication": {"enabled": False}}]}}, **PLACE)
    assert resource == Resource("AWS::ECR::ReplicationConfiguration", "arn:aws:ecr:eu-west-1:111111111111:registry", {
        "ReplicationConfiguration": {"Rules": [{
            "Destinations": [{"Region": "us-east-2", "RegistryId": FOREIGN}],
            "RepositoryFilters": [{"Filter": "prod/", "FilterType": "PREFIX_MATCH"}]}]}})


def test_twenty_five_rules_are_the_api_limit_not_cloudformations():
    rule = {"destinations": [{"region": "eu-central-1", "registryId": ACCOUNT}]}
    params = {"replicationConfiguration": {"rules": [rule] * 25}}
    [resource] = shapes.resources_from_call("ecr.amazonaws.com", "PutReplicationConfiguration", params, **PLACE)
    assert len(resource.properties["ReplicationConfiguration"]["Rules"]) == 25
    params["replicationConfiguration"]["rules"].append(rule)
    with pytest.raises(Unreadable, match="26 entries, more than the API's limit of 25"):
        shapes.resources_from_call("ecr.amazonaws.com", "PutReplicationConfiguration", params, **PLACE)


def test_an_empty_rule_list_removes_replication_and_is_compliant():
    [resource] = shapes.resources_from_call("ecr.amazonaws.com", "PutReplicationConfiguration",
                                            {"replicationConfiguration": {"rules": []}}, **PLACE)
    assert resource.properties == {"ReplicationConfiguration": {"Rules": []}}
    assert verdict([resource]) == [[]]


def test_set_repository_policy_names_the_repository_in_its_registry():
    text = policy(FOREIGN)
    [resource] = shapes.resources_from_call("ecr.amazonaws.com", "SetRepositoryPolicy",
                                            {"registryId": ACCOUNT, "repositoryName": "team/app", "policyText": text,
                                             "force": True}, **PLACE)
    assert resource == Resource("AWS::ECR::Repository", "arn:aws:ecr:eu-west-1:111111111111:repository/team/app",
                                {"RepositoryName": "team/app", "RepositoryPolicyText": text})


def test_put_registry_policy():
    text = policy(FOREIGN, action="ecr:ReplicateImage")
    [resource] = shapes.resources_from_call("ecr.amazonaws.com", "PutRegistryPolicy", {"policyText": text},
                                            account=ACCOUNT, region="cn-north-1")
    assert resource == Resource("AWS::ECR::RegistryPolicy", "arn:aws-cn:ecr:cn-north-1:111111111111:registry",
                                {"PolicyText": text})


def test_create_pull_through_cache_rule():
    params = {"ecrRepositoryPrefix": "upstream", "upstreamRegistryUrl": f"{FOREIGN}.dkr.ecr.us-east-1.amazonaws.com",
              "upstreamRegistry": "ecr", "customRoleArn": f"arn:aws:iam::{ACCOUNT}:role/ptc",
              "upstreamRepositoryPrefix": "base", "registryId": ACCOUNT}
    [resource] = shapes.resources_from_call("ecr.amazonaws.com", "CreatePullThroughCacheRule", params, **PLACE)
    assert resource == Resource(
        "AWS::ECR::PullThroughCacheRule", "arn:aws:ecr:eu-west-1:111111111111:pull-through-cache-rule/upstream",
        {"EcrRepositoryPrefix": "upstream", "UpstreamRegistryUrl": f"{FOREIGN}.dkr.ecr.us-east-1.amazonaws.com",
         "UpstreamRegistry": "ecr", "CustomRoleArn": f"arn:aws:iam::{ACCOUNT}:role/ptc", "UpstreamRepositoryPrefix": "base"})


def test_update_pull_through_cache_rule_carries_no_upstream_so_the_rule_must_be_read():
    with pytest.raises(Unreadable) as caught:
        shapes.resources_from_call("ecr.amazonaws.com", "UpdatePullThroughCacheRule",
                                   {"ecrRepositoryPrefix": "upstream", "credentialArn": "arn:aws:secretsmanager:x"},
                                   **PLACE)
    assert caught.value.where == "requestParameters.upstreamRegistryUrl"
    assert "DescribePullThroughCacheRules" in caught.value.what


def test_creation_templates_create_and_update():
    text = policy(FOREIGN, action="ecr:PutImage")
    params = {"prefix": "replicated", "repositoryPolicy": text, "appliedFor": ["REPLICATION"],
              "encryptionConfiguration": {"encryptionType": "KMS", "kmsKey": "alias/x"}}
    for name in ("CreateRepositoryCreationTemplate", "UpdateRepositoryCreationTemplate"):
        [resource] = shapes.resources_from_call("ecr.amazonaws.com", name, params, **PLACE)
        assert resource == Resource(
            "AWS::ECR::RepositoryCreationTemplate",
            "arn:aws:ecr:eu-west-1:111111111111:repository-creation-template/replicated",
            {"Prefix": "replicated", "RepositoryPolicy": text, "AppliedFor": ["REPLICATION"]})
    [no_policy] = shapes.resources_from_call("ecr.amazonaws.com", "CreateRepositoryCreationTemplate",
                                             {"prefix": "ROOT", "appliedFor": ["CREATE_ON_PUSH"]}, **PLACE)
    assert "RepositoryPolicy" not in no_policy.properties
    with pytest.raises(Unreadable, match="does not say which repository policy"):
        shapes.resources_from_call("ecr.amazonaws.com", "UpdateRepositoryCreationTemplate",
                                   {"prefix": "ROOT", "description": "x"}, **PLACE)


def test_ecr_public_set_repository_policy():
    text = policy(FOREIGN, action="ecr-public:PutImage")
    [resource] = shapes.resources_from_call("ecr-public.amazonaws.com", "SetRepositoryPolicy",
                                            {"repositoryName": "tools", "policyText": text},
                                            account=ACCOUNT, region="us-east-1")
    assert resource == Resource("AWS::ECR::PublicRepository", "arn:aws:ecr-public::111111111111:repository/tools",
                                {"RepositoryName": "tools", "RepositoryPolicyText": text})


@pytest.mark.parametrize("source, name", [
    ("ecr.amazonaws.com", "DescribeRegistry"), ("ecr.amazonaws.com", "DeleteRepositoryPolicy"),
    ("ecr.amazonaws.com", "PutImage"), ("s3.amazonaws.com", "PutReplicationConfiguration"),
    ("ecr-public.amazonaws.com", "PutRegistryPolicy"), ("ecr.amazonaws.com", "putreplicationconfiguration"),
])
def test_calls_this_module_does_not_read_give_nothing(source, name):
    assert shapes.resources_from_call(source, name, {"anything": 1}, **PLACE) == []


# -- what cannot be read -------------------------------------------------------------------

RULE = {"destinations": [{"region": "eu-central-1", "registryId": ACCOUNT}]}
UNREADABLE = [
    ("PutReplicationConfiguration", None, "requestParameters"),
    ("PutReplicationConfiguration", [], "requestParameters"),
    ("PutReplicationConfiguration", "{}", "requestParameters"),
    ("PutReplicationConfiguration", {"omitted": True}, "requestParameters"),
    ("PutReplicationConfiguration", {}, "requestParameters.replicationConfiguration"),
    ("PutReplicationConfiguration", {"replicationConfiguration": {"omitted": True}}, "requestParameters.replicationConfiguration"),
    ("PutReplicationConfiguration", {"replicationConfiguration": {}}, "requestParameters.replicationConfiguration.rules"),
    ("PutReplicationConfiguration", {"replicationConfiguration": {"rules": {"0": RULE}}},
     "requestParameters.replicationConfiguration.rules"),
    ("PutReplicationConfiguration", {"replicationConfiguration": {"rules": [RULE, "rule"]}},
     "requestParameters.replicationConfiguration.rules[1]"),
    ("PutReplicationConfiguration", {"replicationConfiguration": {"rules": [{"destinations": [{"region": "eu-west-2"}]}]}},
     "requestParameters.replicationConfiguration.rules[0].destinations[0].registryId"),
    ("PutReplicationConfiguration", {"replicationConfiguration": {"rules": [
        {"destinations": [{"region": "eu-west-2", "registryId": 999999999999}]}]}},
     "requestParameters.replicationConfiguration.rules[0].destinations[0].registryId"),
    ("PutReplicationConfiguration", {"replicationConfiguration": {"rules": [
        {"destinations": [{"region": "eu-west-2", "registryId": ACCOUNT}] * 101}]}},
     "requestParameters.replicationConfiguration.rules[0].destinations"),
    ("PutReplicationConfiguration", {"replicationConfiguration": {"rules": [
        {**RULE, "repositoryFilters": [{"filter": "a"}]}]}},
     "requestParameters.replicationConfiguration.rules[0].repositoryFilters[0].filterType"),
    ("SetRepositoryPolicy", {"policyText": "{}"}, "requestParameters.repositoryName"),
    ("SetRepositoryPolicy", {"repositoryName": "app"}, "requestParameters.policyText"),
    ("SetRepositoryPolicy", {"repositoryName": "app", "policyText": {"Statement": []}}, "requestParameters.policyText"),
    ("SetRepositoryPolicy", {"repositoryName": "app", "policyText": '{"Version": "2012-10-17", "Statem'},
     "requestParameters.policyText"),
    ("SetRepositoryPolicy", {"repositoryName": "app:x/../*", "policyText": "{}"}, "requestParameters.repositoryName"),
    ("SetRepositoryPolicy", {"repositoryName": "App", "policyText": "{}"}, "requestParameters.repositoryName"),
    ("SetRepositoryPolicy", {"repositoryName": "app", "policyText": "{}", "registryId": "1111"},
     "requestParameters.registryId"),
    ("PutRegistryPolicy", {"policyText": None}, "requestParameters.policyText"),
    ("CreatePullThroughCacheRule", {"ecrRepositoryPrefix": "p"}, "requestParameters.upstreamRegistryUrl"),
    ("CreatePullThroughCacheRule", {"ecrRepositoryPrefix": "p", "upstreamRegistryUrl": ["a"]},
     "requestParameters.upstreamRegistryUrl"),
    ("CreateRepositoryCreationTemplate", {"prefix": "p", "appliedFor": "REPLICATION"}, "requestParameters.appliedFor"),
    ("CreateRepositoryCreationTemplate", {"prefix": "p", "repositoryPolicy": "not json"},
     "requestParameters.repositoryPolicy"),
]


@pytest.mark.parametrize("name, params, where", UNREADABLE, ids=lambda v: v if isinstance(v, str) else None)
def test_what_cannot_be_read_raises_unreadable_saying_where(name, params, where):
    with pytest.raises(Unreadable) as caught:
        shapes.resources_from_call("ecr.amazonaws.com", name, params, **PLACE)
    assert caught.value.where == where
    assert str(caught.value) == f"{where}: {caught.value.what}"


def test_the_place_of_the_call_is_checked():
    for place, where in [({"account": "1111", "region": REGION}, "account"),
                         ({"account": ACCOUNT, "region": "mars-1"}, "region"),
                         ({"account": ACCOUNT, "region": REGION, "partition": "aws-cn"}, "partition")]:
        with pytest.raises(Unreadable) as caught:
            shapes.resources_from_call("ecr.amazonaws.com", "PutRegistryPolicy", {"policyText": "{}"}, **place)
        assert caught.value.where == where


def test_input_text_in_unreadable_messages_is_escaped_and_cut():
    with pytest.raises(Unreadable) as caught:
        shapes.resources_from_call("ecr.amazonaws.com", "SetRepositoryPolicy",
                                   {"repositoryName": "\u202e\x1b[31m" + "a" * 5000, "policyText": "{}"}, **PLACE)
    assert "\u202e" not in str(caught.value) and "\x1b" not in str(caught.value) and len(str(caught.value)) < 200


# -- describe shapes -----------------------------------------------------------------------

def test_describe_registry():
    response = {"registryId": ACCOUNT, "replicationConfiguration": {"rules": [
        {"destinations": [{"region": "us-west-2", "registryId": FOREIGN}]}]}}
    resource = shapes.replication_resource(response, **PLACE)
    assert resource == Resource("AWS::ECR::ReplicationConfiguration", "arn:aws:ecr:eu-west-1:111111111111:registry",
                                {"ReplicationConfiguration": {"Rules": [
                                    {"Destinations": [{"Region": "us-west-2", "RegistryId": FOREIGN}]}]}})
    none = shapes.replication_resource({"registryId": ACCOUNT}, **PLACE)
    assert none.properties == {"ReplicationConfiguration": {"Rules": []}} and verdict([none]) == [[]]
    with pytest.raises(Unreadable, match=r"DescribeRegistry\.replicationConfiguration\.rules"):
        shapes.replication_resource({"replicationConfiguration": {"rules": "all"}}, **PLACE)


def test_get_registry_policy():
    text = policy(FOREIGN, action="ecr:ReplicateImage")
    assert shapes.registry_policy_resource({"registryId": ACCOUNT, "policyText": text}, **PLACE) == Resource(
        "AWS::ECR::RegistryPolicy", "arn:aws:ecr:eu-west-1:111111111111:registry", {"PolicyText": text})
    with pytest.raises(Unreadable, match="GetRegistryPolicy.policyText: policyText is required"):
        shapes.registry_policy_resource({"registryId": ACCOUNT}, **PLACE)


def test_a_repository_and_its_policy():
    repository = {"repositoryArn": f"arn:aws:ecr:eu-west-1:{ACCOUNT}:repository/team/app", "registryId": ACCOUNT,
                  "repositoryName": "team/app", "repositoryUri": f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/team/app",
                  "imageTagMutability": "MUTABLE", "imageScanningConfiguration": {"scanOnPush": False},
                  "encryptionConfiguration": {"encryptionType": "AES256"}}
    text = policy()
    resource = shapes.repository_resource(repository, text, **PLACE)
    assert resource == Resource("AWS::ECR::Repository", repository["repositoryArn"],
                                {"RepositoryName": "team/app", "RepositoryPolicyText": text})
    assert shapes.repository_resource(repository, None, **PLACE).properties == {"RepositoryName": "team/app"}


def test_a_live_policy_that_is_not_json_is_judged_malformed_not_skipped():
    """What the service returns is the state: the core fails it closed (a request policy that is not
    JSON is a cut record instead, and raises Unreadable)."""
    resource = shapes.repository_resource({"repositoryName": "app"}, "{not json", **PLACE)
    [findings] = verdict([resource])
    assert {f[0] for f in findings if f[5]} == {"ECR-POLICY-MALFORMED"}


def test_a_pull_through_cache_rule_and_a_creation_template():
    rule = {"ecrRepositoryPrefix": "ghcr", "upstreamRegistryUrl": "ghcr.io", "createdAt": "2026-01-01T00:00:00Z",
            "registryId": ACCOUNT, "upstreamRegistry": "github-container-registry",
            "credentialArn": f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:ecr-pullthroughcache/ghcr-AbCdEf"}
    assert shapes.pull_through_cache_resource(rule, **PLACE) == Resource(
        "AWS::ECR::PullThroughCacheRule", "arn:aws:ecr:eu-west-1:111111111111:pull-through-cache-rule/ghcr",
        {"EcrRepositoryPrefix": "ghcr", "UpstreamRegistryUrl": "ghcr.io", "UpstreamRegistry": "github-container-registry",
         "CredentialArn": rule["credentialArn"]})
    template = {"prefix": "ROOT", "appliedFor": ["PULL_THROUGH_CACHE"], "repositoryPolicy": policy(FOREIGN),
                "createdAt": "2026-01-01T00:00:00Z", "imageTagMutability": "IMMUTABLE"}
    assert shapes.creation_template_resource(template, **PLACE) == Resource(
        "AWS::ECR::RepositoryCreationTemplate", "arn:aws:ecr:eu-west-1:111111111111:repository-creation-template/ROOT",
        {"Prefix": "ROOT", "AppliedFor": ["PULL_THROUGH_CACHE"], "RepositoryPolicy": policy(FOREIGN),
         "ImageTagMutability": "IMMUTABLE"})


def test_a_public_repository():
    repository = {"repositoryArn": f"arn:aws:ecr-public::{ACCOUNT}:repository/tools", "registryId": ACCOUNT,
                  "repositoryName": "tools", "repositoryUri": "public.ecr.aws/x1y2z3/tools"}
    assert shapes.public_repository_resource(repository, None, account=ACCOUNT, region="us-east-1") == Resource(
        "AWS::ECR::PublicRepository", repository["repositoryArn"], {"RepositoryName": "tools"})


@pytest.mark.parametrize("reader, value", [
    (shapes.repository_resource, {"repositoryArn": "arn"}), (shapes.public_repository_resource, "tools"),
    (shapes.pull_through_cache_resource, {"ecrRepositoryPrefix": "p"}),
    (shapes.creation_template_resource, {"appliedFor": ["REPLICATION"]}),
    (shapes.replication_resource, None), (shapes.registry_policy_resource, []),
])
def test_describe_shapes_not_as_documented_are_unreadable(reader, value):
    with pytest.raises(Unreadable):
        if reader in (shapes.repository_resource, shapes.public_repository_resource):
            reader(value, None, **PLACE)
        else:
            reader(value, **PLACE)


# -- the same verdict as the CloudFormation properties -------------------------------------
# The API shapes below are written from the CloudFormation properties by this test's own
# mapping (camelCase, policies as JSON strings), independently of shapes.py.

def _policies() -> list[str]:
    found = []
    for path in sorted(REALWORLD.glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(document, dict) and "Statement" in document:
            found.append(json.dumps(document))
    return found


REALWORLD_POLICIES = _policies()
ACCOUNTS = st.sampled_from([ACCOUNT, TRUSTED, FOREIGN])
REGIONS = st.sampled_from(["eu-west-1", "us-east-1", "eu-central-1", "cn-north-1"])
CONDITIONS = st.sampled_from([None, {"StringEquals": {"aws:PrincipalOrgID": "o-exampleorgid1"}},
                              {"StringEquals": {"aws:PrincipalOrgID": "o-otherorgid99"}},
                              {"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-exampleorgid1"}}])
POLICIES = st.one_of(
    st.sampled_from(REALWORLD_POLICIES),
    st.builds(lambda ps, action, condition: policy(*ps, action=action, condition=condition),
              st.lists(ACCOUNTS, max_size=2), st.sampled_from(["ecr:BatchGetImage", "ecr:PutImage", "ecr:*"]), CONDITIONS),
)
PUBLIC_POLICIES = st.builds(lambda ps, action: policy(*ps, action=action), st.lists(ACCOUNTS, max_size=2),
                            st.sampled_from(["ecr-public:BatchGetImage", "ecr-public:PutImage", "ecr-public:*"]))
UPSTREAMS = st.one_of(st.sampled_from(["public.ecr.aws", "registry-1.docker.io", "ghcr.io", "quay.io"]),
                      st.builds(lambda a, r: f"{a}.dkr.ecr.{r}.amazonaws.com", ACCOUNTS, REGIONS))
DESTINATIONS = st.lists(st.builds(lambda r, a: {"Region": r, "RegistryId": a}, REGIONS, ACCOUNTS), min_size=1, max_size=3)
RULES = st.lists(st.builds(lambda d, f: {"Destinations": d, **({"RepositoryFilters": [
    {"Filter": f, "FilterType": "PREFIX_MATCH"}]} if f else {})}, DESTINATIONS, st.sampled_from([None, "prod/"])),
    max_size=25)
CASES = st.one_of(
    st.builds(lambda rules: ("AWS::ECR::ReplicationConfiguration", {"ReplicationConfiguration": {"Rules": rules}}), RULES),
    st.builds(lambda p: ("AWS::ECR::Repository", {"RepositoryName": "team/app", "RepositoryPolicyText": p}), POLICIES),
    st.builds(lambda p: ("AWS::ECR::RegistryPolicy", {"PolicyText": p}), POLICIES),
    st.builds(lambda u, kind: ("AWS::ECR::PullThroughCacheRule", {"EcrRepositoryPrefix": "cache", "UpstreamRegistryUrl": u,
                                                                   **({"UpstreamRegistry": kind} if kind else {})}),
              UPSTREAMS, st.sampled_from([None, "ecr", "docker-hub"])),
    st.builds(lambda p, a: ("AWS::ECR::RepositoryCreationTemplate", {"Prefix": "replicated", "AppliedFor": a,
                                                                     "RepositoryPolicy": p}),
              POLICIES, st.sampled_from([["REPLICATION"], ["PULL_THROUGH_CACHE", "CREATE_ON_PUSH"]])),
    st.builds(lambda p: ("AWS::ECR::PublicRepository", {"RepositoryName": "tools", "RepositoryPolicyText": p}),
              PUBLIC_POLICIES),
)
CONFIGS = st.sampled_from([
    EXPECTED["settings"],
    {"TrustedAccountIds": TRUSTED, "TrustDeployingAccount": "false", "AllowedReplicationRegions": "eu-central-1"},
    {"AllowedUpstreamRegistryUrls": "public.ecr.aws", "TrustedOrganizationIds": "o-exampleorgid1"},
])


def _camel(properties: dict) -> dict:
    out = {}
    for key, value in properties.items():
        if isinstance(value, dict):
            value = _camel(value)
        elif isinstance(value, list):
            value = [_camel(v) if isinstance(v, dict) else v for v in value]
        out[key[0].lower() + key[1:]] = value
    return out


def api_shapes(resource_type: str, properties: dict, region: str) -> list[Resource]:
    """The request (CloudTrail) and the describe shape of the same configuration, adapted."""
    place = {"account": ACCOUNT, "region": region}
    api = _camel(properties)
    if resource_type == "AWS::ECR::ReplicationConfiguration":
        return [*shapes.resources_from_call("ecr.amazonaws.com", "PutReplicationConfiguration", api, **place),
                shapes.replication_resource({"registryId": ACCOUNT, **api}, **place)]
    if resource_type == "AWS::ECR::Repository":
        request = {"repositoryName": api["repositoryName"], "policyText": api["repositoryPolicyText"]}
        return [*shapes.resources_from_call("ecr.amazonaws.com", "SetRepositoryPolicy", request, **place),
                shapes.repository_resource({"repositoryName": api["repositoryName"], "registryId": ACCOUNT},
                                           api["repositoryPolicyText"], **place)]
    if resource_type == "AWS::ECR::RegistryPolicy":
        return [*shapes.resources_from_call("ecr.amazonaws.com", "PutRegistryPolicy", api, **place),
                shapes.registry_policy_resource({"registryId": ACCOUNT, **api}, **place)]
    if resource_type == "AWS::ECR::PullThroughCacheRule":
        return [*shapes.resources_from_call("ecr.amazonaws.com", "CreatePullThroughCacheRule", api, **place),
                shapes.pull_through_cache_resource({"registryId": ACCOUNT, **api}, **place)]
    if resource_type == "AWS::ECR::RepositoryCreationTemplate":
        return [*shapes.resources_from_call("ecr.amazonaws.com", "CreateRepositoryCreationTemplate", api, **place),
                *shapes.resources_from_call("ecr.amazonaws.com", "UpdateRepositoryCreationTemplate", api, **place),
                shapes.creation_template_resource(api, **place)]
    request = {"repositoryName": api["repositoryName"], "policyText": api["repositoryPolicyText"]}
    return [*shapes.resources_from_call("ecr-public.amazonaws.com", "SetRepositoryPolicy", request, **place),
            shapes.public_repository_resource({"repositoryName": api["repositoryName"]},
                                              api["repositoryPolicyText"], **place)]


@settings(max_examples=150, deadline=None)
@given(case=CASES, config=CONFIGS, region=st.sampled_from(["eu-west-1", "us-east-1", "cn-north-1"]))
def test_every_adapted_shape_gives_the_verdict_of_the_same_cloudformation_properties(case, config, region):
    resource_type, properties = case
    invocation = Invocation(ACCOUNT, region, "aws-cn" if region.startswith("cn-") else "aws")
    settings_ = parse_settings(config)
    template = verdict([Resource(resource_type, "Template", properties)], settings_, invocation)
    adapted = api_shapes(resource_type, properties, region)
    assert len(adapted) >= 2 and all(r.resource_type == resource_type for r in adapted)
    assert verdict(adapted, settings_, invocation) == template * len(adapted)


def test_the_agreement_is_not_vacuous_both_verdicts_are_reached():
    foreign = {"ReplicationConfiguration": {"Rules": [{"Destinations": [{"Region": "eu-west-1", "RegistryId": FOREIGN}]}]}}
    trusted = {"ReplicationConfiguration": {"Rules": [{"Destinations": [{"Region": "eu-west-1", "RegistryId": TRUSTED}]}]}}
    failing = verdict(api_shapes("AWS::ECR::ReplicationConfiguration", foreign, REGION))
    assert {f[0] for findings in failing for f in findings if f[5]} == {"ECR-REPLICATION-UNTRUSTED-DESTINATION"}
    assert verdict(api_shapes("AWS::ECR::ReplicationConfiguration", trusted, REGION)) == [[], []]
    assert len(REALWORLD_POLICIES) >= 5
