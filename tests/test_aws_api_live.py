"""aws_api.live: the live ECR configuration read with boto3 — moto for the registry, repositories,
their policies and replication; botocore Stubber for what moto lacks (pull-through cache rules,
creation templates, ECR Public) and for access denied, pagination and throttling."""

from __future__ import annotations

import json
import pathlib

import boto3
import botocore.awsrequest
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from dataperimeter_ecr_replicationguard.assess import Resource, assess
from dataperimeter_ecr_replicationguard.aws_api import live, shapes
from dataperimeter_ecr_replicationguard.aws_api.live import LiveClients, NotRead
from dataperimeter_ecr_replicationguard.invocation import Invocation
from dataperimeter_ecr_replicationguard.settings import parse_settings

ACCOUNT, TRUSTED, FOREIGN = "123456789012", "222222222222", "999999999999"  # moto's default account
REGION = "eu-west-1"
PLACE = {"account": ACCOUNT, "region": REGION, "partition": "aws"}
CLOUDTRAIL = pathlib.Path(__file__).resolve().parent / "data" / "cloudtrail"
SETTINGS = parse_settings({"TrustedAccountIds": TRUSTED, "TrustedOrganizationIds": "o-exampleorgid1"})


def policy(principal, action="ecr:BatchGetImage", condition=None, resource=None) -> str:
    statement = {"Sid": "S", "Effect": "Allow", "Principal": principal, "Action": [action]}
    if resource:
        statement["Resource"] = resource
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def failing(items, region=REGION) -> dict[str, set[str]]:
    resources = [i for i in items if isinstance(i, Resource)]
    assessment = assess(resources, SETTINGS, Invocation(ACCOUNT, region, "aws"))
    return {a.resource.logical_id: {j.finding.rule_id for j in a.judged if not j.exempted} for a in assessment.resources}


def not_read(items) -> list[NotRead]:
    return [i for i in items if isinstance(i, NotRead)]


def client(service: str, region: str = REGION):
    return boto3.client(service, region_name=region, aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture
def aws(monkeypatch):
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.setenv(key, "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield boto3.Session(region_name=REGION)


# -- moto: registry, repositories, policies, replication -----------------------------------

def test_read_registry_against_moto(aws):
    ecr = aws.client("ecr")
    ecr.put_replication_configuration(replicationConfiguration={"rules": [
        {"destinations": [{"region": "us-east-2", "registryId": FOREIGN}]}]})
    ecr.put_registry_policy(policyText=policy({"AWS": f"arn:aws:iam::{FOREIGN}:root"}, "ecr:ReplicateImage",
                                          resource=f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/*"))
    for name in ("team/public", "team/org", "team/none"):
        ecr.create_repository(repositoryName=name)
    ecr.set_repository_policy(repositoryName="team/public", policyText=policy("*"))
    ecr.set_repository_policy(repositoryName="team/org", policyText=policy(
        "*", condition={"StringEquals": {"aws:PrincipalOrgID": "o-exampleorgid1"}}))

    items = list(live.read_registry(LiveClients.of(aws, REGION), **PLACE))
    registry = f"arn:aws:ecr:{REGION}:{ACCOUNT}:registry"
    repo = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/"
    resources = [i for i in items if isinstance(i, Resource)]
    assert [(r.resource_type, r.logical_id) for r in resources] == [
        ("AWS::ECR::ReplicationConfiguration", registry), ("AWS::ECR::RegistryPolicy", registry),
        ("AWS::ECR::Repository", repo + "team/public"), ("AWS::ECR::Repository", repo + "team/org"),
        ("AWS::ECR::Repository", repo + "team/none")]
    verdicts = failing(items)
    assert verdicts[repo + "team/public"] == {"ECR-POLICY-PUBLIC-PRINCIPAL"}
    assert verdicts[repo + "team/org"] == verdicts[repo + "team/none"] == set()
    assert resources[0].properties["ReplicationConfiguration"]["Rules"][0]["Destinations"] == [
        {"Region": "us-east-2", "RegistryId": FOREIGN}]
    judged = assess(resources[:2], SETTINGS, Invocation(ACCOUNT, REGION, "aws"))
    assert [{j.finding.rule_id for j in a.judged} for a in judged.resources] == [
        {"ECR-REPLICATION-UNTRUSTED-DESTINATION"}, {"ECR-POLICY-UNTRUSTED-ACCOUNT"}]
    # moto 5.2 implements neither pull-through cache rules nor creation templates: not read, said so.
    assert [n.what for n in not_read(items)] == ["pull-through cache rules (DescribePullThroughCacheRules)",
                                                 "repository creation templates (DescribeRepositoryCreationTemplates)"]


def test_an_empty_registry_is_read_as_no_replication_and_no_policy(aws):
    items = [i for i in live.read_registry(LiveClients.of(aws, REGION), **PLACE) if isinstance(i, Resource)]
    assert [(r.resource_type, r.properties) for r in items] == [
        ("AWS::ECR::ReplicationConfiguration", {"ReplicationConfiguration": {"Rules": []}})]


def test_more_than_a_hundred_repositories_are_all_read(aws):
    ecr = aws.client("ecr")
    for i in range(120):
        ecr.create_repository(repositoryName=f"svc-{i:03d}")
    ecr.set_repository_policy(repositoryName="svc-119", policyText=policy({"AWS": FOREIGN}))
    items = list(live.read_registry(LiveClients.of(aws, REGION), **PLACE))
    repositories = [i for i in items if isinstance(i, Resource) and i.resource_type == "AWS::ECR::Repository"]
    assert len(repositories) == 120
    assert failing(repositories)[f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/svc-119"] == {"ECR-POLICY-UNTRUSTED-ACCOUNT"}


def test_read_one_reads_what_the_call_touched(aws):
    ecr = aws.client("ecr")
    ecr.create_repository(repositoryName="payments/api")
    ecr.create_repository(repositoryName="other")
    ecr.set_repository_policy(repositoryName="payments/api", policyText=policy("*"))
    clients = LiveClients.of(aws, REGION)
    cut = json.loads((CLOUDTRAIL / "set-repository-policy-truncated-policy.json").read_text())["detail"]
    items = live.read_one(clients, cut["eventSource"], cut["eventName"], cut["requestParameters"], **PLACE)
    assert [r.logical_id for r in items] == [f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/payments/api"]
    assert failing(items) == {items[0].logical_id: {"ECR-POLICY-PUBLIC-PRINCIPAL"}}
    # a record that does not name the repository: every repository is read
    every = live.read_one(clients, "ecr.amazonaws.com", "SetRepositoryPolicy", {"omitted": True}, **PLACE)
    assert sorted(r.logical_id.rsplit("/", 1)[-1] for r in every) == ["api", "other"]
    # the repository is gone since: nothing is left to judge
    assert live.read_one(clients, "ecr.amazonaws.com", "SetRepositoryPolicy", {"repositoryName": "deleted"},
                         **PLACE) == []
    omitted = json.loads((CLOUDTRAIL / "put-replication-configuration-omitted.json").read_text())["detail"]
    [replication] = live.read_one(clients, omitted["eventSource"], omitted["eventName"],
                                  omitted["requestParameters"], **PLACE)
    assert replication.resource_type == "AWS::ECR::ReplicationConfiguration"
    assert live.read_one(clients, "ecr.amazonaws.com", "PutRegistryPolicy", None, **PLACE) == []  # no policy now
    assert live.read_one(clients, "ecr.amazonaws.com", "DescribeRegistry", None, **PLACE) == []


def test_live_clients_use_adaptive_retries_and_ecr_public_only_in_us_east_1(aws):
    clients = LiveClients.of(aws, REGION)
    assert clients.ecr.meta.region_name == REGION and clients.ecr_public is None
    assert clients.ecr.meta.config.retries["mode"] == "adaptive"
    east = LiveClients.of(aws, "us-east-1")
    assert east.ecr_public.meta.service_model.service_name == "ecr-public"
    assert east.ecr_public.meta.config.retries == {"mode": "adaptive", "total_max_attempts": 11}


class _Raw:
    def __init__(self, body: bytes):
        self.body = body

    def stream(self, **_):
        yield self.body


def test_throttling_is_retried_by_the_client_and_the_read_succeeds(aws, monkeypatch):
    """Two ThrottlingException answers before moto's: the adaptive retries absorb them."""
    slept = []
    monkeypatch.setattr("time.sleep", slept.append)
    clients = LiveClients.of(aws, REGION)
    throttled = []

    def throttle(request, **_):
        if len(throttled) < 2:
            throttled.append(request.url)
            body = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
            return botocore.awsrequest.AWSResponse(request.url, 400, {"x-amzn-requestid": "r",
                                                                      "content-type": "application/x-amz-json-1.1"},
                                                   _Raw(body))
        return None

    clients.ecr.meta.events.register_first("before-send.ecr.DescribeRegistry", throttle)
    [replication] = [i for i in live.read_one(clients, "ecr.amazonaws.com", "PutReplicationConfiguration", None,
                                              **PLACE)]
    assert isinstance(replication, Resource) and len(throttled) == 2 and len(slept) >= 2


# -- Stubber: what moto lacks, and the failure modes ---------------------------------------

def stubbed(region: str = REGION) -> tuple[LiveClients, Stubber, Stubber | None]:
    ecr = client("ecr", region)
    public = client("ecr-public", "us-east-1") if region == "us-east-1" else None
    return LiveClients(ecr, public), Stubber(ecr), Stubber(public) if public is not None else None


def stub_empty_registry(stub: Stubber, *, ptc=(), templates=(), repositories=()):
    stub.add_response("describe_registry", {"registryId": ACCOUNT, "replicationConfiguration": {"rules": []}}, {})
    stub.add_client_error("get_registry_policy", "RegistryPolicyNotFoundException", "Registry policy does not exist")
    stub.add_response("describe_repositories", {"repositories": list(repositories)}, {})
    stub.add_response("describe_pull_through_cache_rules", {"pullThroughCacheRules": list(ptc)}, {})
    stub.add_response("describe_repository_creation_templates",
                      {"registryId": ACCOUNT, "repositoryCreationTemplates": list(templates)}, {})


def test_pull_through_cache_rules_and_creation_templates_over_pages():
    clients, stub, _ = stubbed()
    stub.add_response("describe_registry", {"registryId": ACCOUNT}, {})
    stub.add_client_error("get_registry_policy", "RegistryPolicyNotFoundException", "none")
    stub.add_response("describe_repositories", {"repositories": []}, {})
    stub.add_response("describe_pull_through_cache_rules", {"pullThroughCacheRules": [
        {"ecrRepositoryPrefix": "hub", "upstreamRegistryUrl": "registry-1.docker.io", "upstreamRegistry": "docker-hub",
         "registryId": ACCOUNT}], "nextToken": "page-2"}, {})
    stub.add_response("describe_pull_through_cache_rules", {"pullThroughCacheRules": [
        {"ecrRepositoryPrefix": "foreign", "upstreamRegistryUrl": f"{FOREIGN}.dkr.ecr.us-east-1.amazonaws.com",
         "upstreamRegistry": "ecr", "registryId": ACCOUNT}]}, {"nextToken": "page-2"})
    stub.add_response("describe_repository_creation_templates", {"registryId": ACCOUNT, "repositoryCreationTemplates": [
        {"prefix": "ROOT", "appliedFor": ["CREATE_ON_PUSH"]}], "nextToken": "t2"}, {})
    stub.add_response("describe_repository_creation_templates", {"registryId": ACCOUNT, "repositoryCreationTemplates": [
        {"prefix": "replicated", "appliedFor": ["REPLICATION"],
         "repositoryPolicy": policy({"AWS": f"arn:aws:iam::{FOREIGN}:role/ci"}, "ecr:PutImage")}]}, {"nextToken": "t2"})
    with stub:
        items = list(live.read_registry(clients, **PLACE))
    stub.assert_no_pending_responses()
    assert not_read(items) == []
    base = f"arn:aws:ecr:{REGION}:{ACCOUNT}:"
    assert {k: v for k, v in failing(items).items() if not k.endswith(":registry")} == {
        base + "pull-through-cache-rule/hub": set(),
        base + "pull-through-cache-rule/foreign": {"ECR-PTC-UNTRUSTED-UPSTREAM"},
        base + "repository-creation-template/ROOT": set(),
        base + "repository-creation-template/replicated": {"ECR-POLICY-UNTRUSTED-ACCOUNT"}}


def test_repositories_over_three_pages_each_with_its_policy():
    clients, stub, _ = stubbed()
    names = [f"svc-{i:03d}" for i in range(205)]
    pages = [names[:100], names[100:200], names[200:]]
    stub.add_response("describe_registry", {"registryId": ACCOUNT}, {})
    stub.add_client_error("get_registry_policy", "RegistryPolicyNotFoundException", "none")
    for index, page in enumerate(pages):
        response = {"repositories": [{"repositoryName": n, "registryId": ACCOUNT,
                                      "repositoryArn": f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{n}"} for n in page]}
        if index < 2:
            response["nextToken"] = f"token-{index + 1}"
        stub.add_response("describe_repositories", response, {"nextToken": f"token-{index}"} if index else {})
        for n in page:
            if n == "svc-204":
                stub.add_response("get_repository_policy", {"registryId": ACCOUNT, "repositoryName": n,
                                                            "policyText": policy({"AWS": FOREIGN})},
                                  {"repositoryName": n, "registryId": ACCOUNT})
            else:
                stub.add_client_error("get_repository_policy", "RepositoryPolicyNotFoundException", "none",
                                      expected_params={"repositoryName": n, "registryId": ACCOUNT})
    stub.add_response("describe_pull_through_cache_rules", {"pullThroughCacheRules": []}, {})
    stub.add_response("describe_repository_creation_templates", {"repositoryCreationTemplates": []}, {})
    with stub:
        items = list(live.read_registry(clients, **PLACE))
    stub.assert_no_pending_responses()
    repositories = [i for i in items if isinstance(i, Resource) and i.resource_type == "AWS::ECR::Repository"]
    assert [r.properties["RepositoryName"] for r in repositories] == names
    assert not_read(items) == []
    assert {k for k, v in failing(repositories).items() if v} == {f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/svc-204"}


def test_access_denied_is_not_read_and_the_rest_is_still_read():
    clients, stub, _ = stubbed()
    denied = f"User: arn:aws:sts::{ACCOUNT}:assumed-role/Audit/x is not authorized to perform: ecr:GetRegistryPolicy"
    stub.add_response("describe_registry", {"registryId": ACCOUNT}, {})
    stub.add_client_error("get_registry_policy", "AccessDeniedException", denied)
    stub.add_response("describe_repositories", {"repositories": [{"repositoryName": "app-a"}, {"repositoryName": "app-b"}],
                                                "nextToken": "n"}, {})
    stub.add_client_error("get_repository_policy", "AccessDeniedException", "denied", expected_params={"repositoryName": "app-a"})
    stub.add_client_error("get_repository_policy", "RepositoryPolicyNotFoundException", "none",
                          expected_params={"repositoryName": "app-b"})
    stub.add_client_error("describe_repositories", "AccessDeniedException", "page two denied",
                          expected_params={"nextToken": "n"})
    stub.add_client_error("describe_pull_through_cache_rules", "ThrottlingException", "Rate exceeded")
    stub.add_response("describe_repository_creation_templates", {"repositoryCreationTemplates": []}, {})
    with stub:
        items = list(live.read_registry(clients, **PLACE))
    assert not_read(items) == [
        NotRead("the registry policy (GetRegistryPolicy)", f"AccessDeniedException: {denied}"),
        NotRead("the policy of repository 'app-a' (GetRepositoryPolicy)", "AccessDeniedException: denied"),
        NotRead("repositories (DescribeRepositories)", "AccessDeniedException: page two denied"),
        NotRead("pull-through cache rules (DescribePullThroughCacheRules)", "ThrottlingException: Rate exceeded"),
    ]
    assert [i.logical_id.rsplit(":", 1)[-1] for i in items if isinstance(i, Resource)] == ["registry", "repository/app-b"]


def test_a_response_not_as_documented_is_not_read():
    clients, stub, _ = stubbed()
    stub.add_response("describe_registry", {"registryId": ACCOUNT, "replicationConfiguration": {"rules": [
        {"destinations": [{"region": "eu-west-2", "registryId": FOREIGN}]}] * 26}}, {})
    with stub:
        [item] = live.read_one(clients, "ecr.amazonaws.com", "PutReplicationConfiguration", {}, **PLACE)
    assert item == NotRead("the replication configuration (DescribeRegistry)",
                           "the response is not as documented: DescribeRegistry.replicationConfiguration.rules: "
                           "26 entries, more than the API's limit of 25")


def test_an_error_that_is_no_client_error_is_not_read_either():
    class Broken:
        def describe_registry(self):
            raise ConnectionError("endpoint unreachable")

    assert live.read_one(LiveClients(Broken()), "ecr.amazonaws.com", "PutReplicationConfiguration", {}, **PLACE) == [
        NotRead("the replication configuration (DescribeRegistry)", "ConnectionError: endpoint unreachable")]


def test_ecr_public_in_us_east_1():
    clients, stub, public = stubbed("us-east-1")
    assert public is not None
    stub_empty_registry(stub)
    public.add_response("describe_repositories", {"repositories": [
        {"repositoryName": "tools", "registryId": ACCOUNT, "repositoryArn": f"arn:aws:ecr-public::{ACCOUNT}:repository/tools"},
        {"repositoryName": "docs", "registryId": ACCOUNT}], "nextToken": "p2"}, {})
    public.add_response("get_repository_policy", {"policyText": policy({"AWS": FOREIGN}, "ecr-public:PutImage")},
                        {"repositoryName": "tools", "registryId": ACCOUNT})
    public.add_client_error("get_repository_policy", "RepositoryPolicyNotFoundException", "none",
                            expected_params={"repositoryName": "docs", "registryId": ACCOUNT})
    public.add_response("describe_repositories", {"repositories": [{"repositoryName": "pull-only"}]}, {"nextToken": "p2"})
    public.add_response("get_repository_policy", {"policyText": policy("*", "ecr-public:BatchGetImage")},
                        {"repositoryName": "pull-only"})
    with stub, public:
        items = list(live.read_registry(clients, account=ACCOUNT, region="us-east-1", partition="aws"))
    public.assert_no_pending_responses()
    arn = f"arn:aws:ecr-public::{ACCOUNT}:repository/"
    assert {k: v for k, v in failing(items, "us-east-1").items() if "ecr-public" in k} == {
        arn + "tools": {"ECR-POLICY-UNTRUSTED-ACCOUNT"}, arn + "docs": set(), arn + "pull-only": set()}


def test_ecr_public_is_never_read_outside_us_east_1():
    ecr, public = client("ecr"), client("ecr-public", "us-east-1")
    clients, stub, untouched = LiveClients(ecr, public), Stubber(ecr), Stubber(public)  # a call to it would fail
    stub_empty_registry(stub)
    with stub, untouched:
        items = list(live.read_registry(clients, **PLACE))
    assert not_read(items) == []
    assert all("ecr-public" not in i.logical_id for i in items if isinstance(i, Resource))
    assert live.read_one(clients, "ecr-public.amazonaws.com", "SetRepositoryPolicy", {"repositoryName": "tools"},
                         **PLACE) == [NotRead("ECR Public repositories", "ECR Public is served in us-east-1 (partition "
                                                                         "aws) only, not in 'eu-west-1'")]


def test_read_one_names_the_rule_or_template_it_reads():
    clients, stub, _ = stubbed()
    stub.add_response("describe_pull_through_cache_rules", {"pullThroughCacheRules": [
        {"ecrRepositoryPrefix": "upstream-team", "upstreamRegistryUrl": f"{FOREIGN}.dkr.ecr.us-east-1.amazonaws.com"}]},
        {"ecrRepositoryPrefixes": ["upstream-team"]})
    stub.add_client_error("describe_repository_creation_templates", "TemplateNotFoundException", "gone",
                          expected_params={"prefixes": ["replicated"]})
    update = json.loads((CLOUDTRAIL / "update-pull-through-cache-rule.json").read_text())["detail"]
    with pytest.raises(shapes.Unreadable):  # the reason the live read is needed at all
        shapes.resources_from_call(update["eventSource"], update["eventName"], update["requestParameters"],
                                   account=ACCOUNT, region=REGION)
    with stub:
        [rule] = live.read_one(clients, update["eventSource"], update["eventName"], update["requestParameters"],
                               **PLACE)
        assert live.read_one(clients, "ecr.amazonaws.com", "UpdateRepositoryCreationTemplate",
                             {"prefix": "replicated"}, **PLACE) == []
    stub.assert_no_pending_responses()
    assert failing([rule]) == {rule.logical_id: {"ECR-PTC-UNTRUSTED-UPSTREAM"}}


def test_read_one_reads_the_registry_the_call_named_not_the_callers_own():
    # SetRepositoryPolicy / UpdatePullThroughCacheRule may name another account's registry
    # (registryId): a cut record of such a call must be judged on that registry's resource, never
    # on a same-named one of the caller's own registry (which may be compliant).
    other = "333333333333"
    clients, stub, _ = stubbed()
    stub.add_response("describe_repositories", {"repositories": [
        {"repositoryName": "shared", "registryId": other,
         "repositoryArn": f"arn:aws:ecr:{REGION}:{other}:repository/shared"}]},
        {"repositoryNames": ["shared"], "registryId": other})
    stub.add_response("get_repository_policy", {"registryId": other, "repositoryName": "shared",
                                                "policyText": policy({"AWS": FOREIGN})},
                      {"repositoryName": "shared", "registryId": other})
    stub.add_response("describe_pull_through_cache_rules", {"pullThroughCacheRules": [
        {"ecrRepositoryPrefix": "upstream", "registryId": other,
         "upstreamRegistryUrl": f"{FOREIGN}.dkr.ecr.us-east-1.amazonaws.com"}]},
        {"ecrRepositoryPrefixes": ["upstream"], "registryId": other})
    cut = {"repositoryName": "shared", "registryId": other, "policyText": "{\"Version\": \"2012-10-17\", \"Sta"}
    with stub:
        [repository] = live.read_one(clients, "ecr.amazonaws.com", "SetRepositoryPolicy", cut, **PLACE)
        [rule] = live.read_one(clients, "ecr.amazonaws.com", "UpdatePullThroughCacheRule",
                               {"ecrRepositoryPrefix": "upstream", "registryId": other}, **PLACE)
    stub.assert_no_pending_responses()
    assert failing([repository]) == {f"arn:aws:ecr:{REGION}:{other}:repository/shared": {"ECR-POLICY-UNTRUSTED-ACCOUNT"}}
    assert failing([rule]) == {f"arn:aws:ecr:{REGION}:{other}:pull-through-cache-rule/upstream":
                               {"ECR-PTC-UNTRUSTED-UPSTREAM"}}
    # a registryId that is no account ID names no registry to read: not read, never the caller's own
    [item] = live.read_one(clients, "ecr.amazonaws.com", "SetRepositoryPolicy",
                           {"repositoryName": "shared", "registryId": "12345"}, **PLACE)
    assert isinstance(item, NotRead) and "registryId" in item.reason
