"""deploy/detective-central.yaml, detective-member.yaml and detective-stackset.yaml: the event
pattern matches the documented-shape CloudTrail events the detective Lambda judges (EventBridge
as moto runs it: a rule on a bus delivering to a queue), and only those; the bus admits only the
organization; the roles grant what the code calls and nothing else (IAM's matching,
tests/test_deploy_policies.py); the settings parameter and the variables tie to schema.json and to
the code that reads them. cfn-lint runs on them with every deploy template (tests/test_deploy.py)."""

from __future__ import annotations

import json
import pathlib

import boto3
import pytest
from moto import mock_aws

from dataperimeter_ecr_replicationguard.aws_api.configuration_source import PARAMETER_VARIABLE, load_configuration
from dataperimeter_ecr_replicationguard.detective import accounts, events, notify, remediation
from dataperimeter_ecr_replicationguard.settings import ConfigurationError
from dataperimeter_ecr_replicationguard.template.resolve import Context, Resolver
from test_deploy import ROOT, load
from test_deploy_policies import Request, evaluate

CENTRAL, MEMBER, STACKSET = "deploy/detective-central.yaml", "deploy/detective-member.yaml", "deploy/detective-stackset.yaml"
FIXTURES = ROOT / "tests" / "data" / "cloudtrail" / "detective"
ORG, OTHER_ORG = "o-a1b2c3d4e5", "o-zzzzzzzzzz"
CENTRAL_ACCOUNT, MEMBER_ACCOUNT = "123456789012", "111122223333"
BUS = f"arn:aws:events:eu-west-1:{CENTRAL_ACCOUNT}:event-bus/guard-ecr-events"
RULE = f"arn:aws:events:eu-west-1:{CENTRAL_ACCOUNT}:rule/guard-ecr-events/guard-EcrCalls-ABC"
QUEUE = f"arn:aws:sqs:eu-west-1:{CENTRAL_ACCOUNT}:guard-DeadLetterQueue-ABC"
TOPIC = f"arn:aws:sns:eu-west-1:{CENTRAL_ACCOUNT}:guard-Topic-ABC"
LOG_GROUP = f"arn:aws:logs:eu-west-1:{CENTRAL_ACCOUNT}:log-group:/aws/lambda/guard-detective/x:*"
FUNCTION_ROLE = f"arn:aws:iam::{CENTRAL_ACCOUNT}:role/ecr-perimeter-guard-detective/guard-FunctionRole-ABC"
FORWARD_ROLE = f"arn:aws:iam::{MEMBER_ACCOUNT}:role/member-ForwardRole-ABC"
SETTINGS_PARAMETER = "CFN-SettingsParameter-ABC"
ATTRIBUTES = {"EventBus.Arn": BUS, "EcrCalls.Arn": RULE, "DeadLetterQueue.Arn": QUEUE, "LogGroup.Arn": LOG_GROUP,
              "FunctionRole.Arn": FUNCTION_ROLE, "ForwardRole.Arn": FORWARD_ROLE,
              "Function.Arn": f"arn:aws:lambda:eu-west-1:{CENTRAL_ACCOUNT}:function:guard-detective"}
REFS = {"Topic": TOPIC, "SettingsParameter": SETTINGS_PARAMETER, "EventBus": "guard-ecr-events",
        "DeadLetterQueue": "https://sqs.eu-west-1.amazonaws.com/123456789012/guard-DeadLetterQueue-ABC",
        "LogGroup": "/aws/lambda/guard-detective/x", "Function": "guard-detective", "MemberRole": "EcrPerimeterGuardDetectiveMember"}
CENTRAL_PARAMETERS = {"OrganizationId": ORG, "CodeBucket": "code", "CodeKey": "detective.zip",
                      "Configuration": '{"TrustedAccountIds": "444455556666"}'}
MEMBER_PARAMETERS = {"CentralEventBusArn": BUS, "DetectiveRoleArn": FUNCTION_ROLE}


def given(value):
    """The template with its GetAtts and resource Refs given the values CloudFormation gives them."""
    if isinstance(value, dict):
        if set(value) == {"Fn::GetAtt"}:
            name = ".".join(value["Fn::GetAtt"]) if isinstance(value["Fn::GetAtt"], list) else value["Fn::GetAtt"]
            return ATTRIBUTES.get(name, value)
        if set(value) == {"Ref"} and value["Ref"] in REFS:
            return REFS[value["Ref"]]
        return {k: given(v) for k, v in value.items()}
    if isinstance(value, list):
        return [given(v) for v in value]
    if isinstance(value, str):
        for name, arn in ATTRIBUTES.items():
            value = value.replace("${" + name + "}", arn)
        for name, ref in REFS.items():
            value = value.replace("${" + name + "}", ref)
    return value


def value_of(path: str, select, parameters: dict, *, region: str = "eu-west-1", account: str = CENTRAL_ACCOUNT):
    template = given(load(path))
    context = Context(account_id=account, region=region, stack_name="guard", parameters=parameters,
                      use_parameter_defaults=True)
    resolution = Resolver(template, context).resolve(select(template))
    assert not resolution.unresolved, resolution.unresolved
    return resolution.value


def central(select, **parameters):
    return value_of(CENTRAL, select, {**CENTRAL_PARAMETERS, **parameters})


def member(select, region: str = "eu-west-1", **parameters):
    return value_of(MEMBER, select, {**MEMBER_PARAMETERS, **parameters}, region=region, account=MEMBER_ACCOUNT)


def fixtures() -> dict[str, dict]:
    return {p.name: json.loads(p.read_text(encoding="utf-8")) for p in sorted(FIXTURES.glob("*.json"))}


# -- the event pattern, as EventBridge matches it (moto) --------------------------------------------


def delivered(pattern: dict, sent: list[dict]) -> list[str]:
    """The ``eventID`` of every event a rule with ``pattern`` matches: the pattern is put on a bus of
    moto's EventBridge (which refuses a malformed pattern, as EventBridge does), and each event is
    matched by moto's implementation of EventBridge's matching (``TestEventPattern`` is not
    implemented by moto, and delivering to a target needs an extra moto does not install)."""
    from moto.events.models import EventPattern

    with mock_aws():
        bridge = boto3.client("events", region_name="eu-west-1")
        bridge.create_event_bus(Name="central")
        bridge.put_rule(Name="ecr", EventBusName="central", EventPattern=json.dumps(pattern), State="ENABLED")
        stored = bridge.describe_rule(Name="ecr", EventBusName="central")["EventPattern"]
    matcher = EventPattern.load(stored)
    return sorted(e["detail"]["eventID"] for e in sent if matcher.matches_event(e))


def _typed(pattern):
    """The resolver hands scalars over as a hook sees them (strings); CloudFormation keeps the JSON
    types of an EventPattern, so ``exists`` gets its boolean back (the templates write a boolean:
    tests below read the raw template for that)."""
    if isinstance(pattern, dict):
        return {k: ({"true": True, "false": False}[v] if k == "exists" else _typed(v)) for k, v in pattern.items()}
    if isinstance(pattern, list):
        return [_typed(v) for v in pattern]
    return pattern


def _pattern_central() -> dict:
    assert load(CENTRAL)["Resources"]["EcrCalls"]["Properties"]["EventPattern"]["detail"]["errorCode"] == [
        {"exists": False}]
    return _typed(central(lambda t: t["Resources"]["EcrCalls"]["Properties"]["EventPattern"]))


def _pattern_member(region: str) -> dict:
    assert load(MEMBER)["Resources"]["ForwardEcrCalls"]["Properties"]["EventPattern"]["detail"]["errorCode"] == [
        {"exists": False}]
    return _typed(member(lambda t: t["Resources"]["ForwardEcrCalls"]["Properties"]["EventPattern"], region=region))


def _with(event: dict, **detail) -> dict:
    changed = json.loads(json.dumps(event))
    changed["detail"].update(detail)
    changed["detail"]["eventID"] = f"{changed['detail']['eventID'][:-4]}{len(detail):04d}"
    return changed


def test_every_judged_fixture_event_is_delivered_and_failed_or_other_calls_are_not():
    events_ = fixtures()
    judged = {name: e for name, e in events_.items() if "errorCode" not in e["detail"]}
    failed = {name: e for name, e in events_.items() if "errorCode" in e["detail"]}
    assert len(judged) >= 9 and failed  # the fixtures hold both kinds
    some = judged["put-replication-foreign-destination.json"]
    others = [_with(some, eventName="DeleteRepository"), _with(some, eventName="DescribeRegistry"),
              _with(some, eventSource="ecs.amazonaws.com")]
    for pattern in (_pattern_central(), _pattern_member("us-east-1")):
        seen = delivered(pattern, list(events_.values()) + others)
        assert seen == sorted(e["detail"]["eventID"] for e in judged.values())


def test_ecr_public_events_are_forwarded_from_us_east_1_only():
    public = fixtures()["ecr-public-set-repository-policy-foreign.json"]
    private = fixtures()["put-replication-foreign-destination.json"]
    assert delivered(_pattern_member("us-east-1"), [public, private]) == sorted(
        [public["detail"]["eventID"], private["detail"]["eventID"]])
    eu = _pattern_member("eu-west-1")
    assert eu["source"] == ["aws.ecr"] and eu["detail"]["eventSource"] == ["ecr.amazonaws.com"]
    assert delivered(eu, [public, private]) == [private["detail"]["eventID"]]


def test_the_patterns_name_exactly_the_calls_the_lambda_judges():
    watched = sorted({name for names in events.WATCHED.values() for name in names})
    for pattern in (_pattern_central(), _pattern_member("us-east-1")):
        assert sorted(pattern["detail"]["eventName"]) == watched
        assert pattern["detail-type"] == [events.DETAIL_TYPE]
        assert sorted(pattern["source"]) == sorted(events.EVENT_SOURCES)
        assert sorted(pattern["detail"]["eventSource"]) == sorted(events.EVENT_SOURCES.values())


def test_the_member_rule_forwards_to_the_central_bus_with_its_own_role():
    [target] = member(lambda t: t["Resources"]["ForwardEcrCalls"]["Properties"]["Targets"])
    assert target["Arn"] == BUS and target["RoleArn"] == FORWARD_ROLE
    policies = member(lambda t: t["Resources"]["ForwardRole"]["Properties"]["Policies"])
    assert [s for p in policies for s in p["PolicyDocument"]["Statement"]] == [
        {"Effect": "Allow", "Action": "events:PutEvents", "Resource": BUS}]
    [trust] = member(lambda t: t["Resources"]["ForwardRole"]["Properties"]["AssumeRolePolicyDocument"])["Statement"]
    assert trust["Principal"] == {"Service": "events.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": MEMBER_ACCOUNT}}


# -- the bus admits the organization only ---------------------------------------------------------


def test_the_central_bus_admits_only_accounts_of_the_organization():
    statement = central(lambda t: t["Resources"]["EventBusPolicy"]["Properties"]["Statement"])
    policy = {"Version": "2012-10-17", "Statement": [statement]}

    def put(org: str | None) -> str:
        context = {"aws:PrincipalOrgID": org} if org else {}
        return evaluate(policy, Request("events:PutEvents", FORWARD_ROLE, BUS, context))

    assert put(ORG) == "Allow"
    assert put(OTHER_ORG) == "ImplicitDeny" and put(None) == "ImplicitDeny"
    assert evaluate(policy, Request("events:PutRule", FORWARD_ROLE, BUS, {"aws:PrincipalOrgID": ORG})) == "ImplicitDeny"


def test_only_the_rule_dead_letters_to_the_queue_and_only_over_tls():
    policy = central(lambda t: t["Resources"]["DeadLetterQueuePolicy"]["Properties"]["PolicyDocument"])
    service = "events.amazonaws.com"

    def send(source_arn: str, tls: str = "true") -> str:
        return evaluate(policy, Request("sqs:SendMessage", service, QUEUE,
                                        {"aws:SourceArn": source_arn, "aws:SecureTransport": tls}))

    assert policy["Statement"][0]["Principal"] == {"Service": "events.amazonaws.com"}
    assert send(RULE) == "Allow"
    assert send(RULE.replace("EcrCalls", "Other")) == "ImplicitDeny"
    assert send(RULE, tls="false") == "Deny"
    assert evaluate(policy, Request("sqs:SendMessage", "sns.amazonaws.com", QUEUE,
                                    {"aws:SourceArn": RULE, "aws:SecureTransport": "true"})) == "ImplicitDeny"


# -- least privilege -------------------------------------------------------------------------------


def grants(policies: list) -> dict[str, set]:
    found: dict[str, set] = {}
    for policy in policies:
        for statement in policy["PolicyDocument"]["Statement"]:
            assert statement["Effect"] == "Allow" and "NotAction" not in statement and "NotResource" not in statement
            actions = [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
            resources = [statement["Resource"]] if isinstance(statement["Resource"], str) else statement["Resource"]
            for action in actions:
                found.setdefault(action, set()).update(resources)
    return found


MEMBER_ROLE_PATTERN = "arn:aws:iam::*:role/ecr-perimeter-guard/EcrPerimeterGuardDetectiveMember"


def test_the_function_role_grants_what_the_function_does_and_nothing_else():
    found = grants(central(lambda t: t["Resources"]["FunctionRole"]["Properties"]["Policies"]))
    assert found == {
        "sts:AssumeRole": {MEMBER_ROLE_PATTERN},
        "ssm:GetParameter": {f"arn:aws:ssm:eu-west-1:{CENTRAL_ACCOUNT}:parameter/{SETTINGS_PARAMETER}"},
        "sqs:SendMessage": {QUEUE},
        "logs:CreateLogStream": {LOG_GROUP}, "logs:PutLogEvents": {LOG_GROUP},
        "sns:Publish": {TOPIC},
    }
    without_topic = grants(central(lambda t: t["Resources"]["FunctionRole"]["Properties"]["Policies"], CreateTopic="false"))
    assert "sns:Publish" not in without_topic
    with_sources = grants(central(lambda t: t["Resources"]["FunctionRole"]["Properties"]["Policies"],
                                  OrganizationsRoleArn="arn:aws:iam::999999999999:role/OrgRead",
                                  SnapshotLocation="s3://snapshots/ecr/membership.json"))
    assert with_sources["sts:AssumeRole"] == {MEMBER_ROLE_PATTERN, "arn:aws:iam::999999999999:role/OrgRead"}
    assert with_sources["s3:GetObject"] == {"arn:aws:s3:::snapshots/ecr/membership.json"}
    [trust] = central(lambda t: t["Resources"]["FunctionRole"]["Properties"]["AssumeRolePolicyDocument"])["Statement"]
    assert trust["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": CENTRAL_ACCOUNT}}


def test_the_member_role_the_function_assumes_is_the_one_the_member_stack_creates():
    environment = central(lambda t: t["Resources"]["Function"]["Properties"]["Environment"]["Variables"])
    role = accounts.Accounts(None, CENTRAL_ACCOUNT, environment[accounts.ROLE_VARIABLE])
    properties = member(lambda t: t["Resources"]["MemberRole"]["Properties"], region="us-east-1")
    created = f"arn:aws:iam::{MEMBER_ACCOUNT}:role{properties['Path']}{properties['RoleName']}"
    assert role.role_arn(MEMBER_ACCOUNT, "aws") == created
    assert evaluate({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                             "Resource": MEMBER_ROLE_PATTERN}]},
                    Request("sts:AssumeRole", FUNCTION_ROLE, created)) == "Allow"
    [trust] = properties["AssumeRolePolicyDocument"]["Statement"]
    assert trust == {"Effect": "Allow", "Principal": {"AWS": FUNCTION_ROLE}, "Action": "sts:AssumeRole"}


def test_the_member_role_exists_in_one_region_and_remediates_only_when_asked():
    def resources(region: str, **parameters) -> set[str]:
        template = given(load(MEMBER))
        context = Context(account_id=MEMBER_ACCOUNT, region=region, stack_name="member",
                          parameters={**MEMBER_PARAMETERS, **parameters}, use_parameter_defaults=True)
        resolver = Resolver(template, context)
        kept = set()
        for name, resource in template["Resources"].items():
            condition = resource.get("Condition")
            if condition is None or resolver.condition(condition) is True:
                kept.add(name)
        return kept

    assert resources("eu-west-1") == {"ForwardRole", "ForwardEcrCalls"}
    assert resources("us-east-1") == {"ForwardRole", "ForwardEcrCalls", "MemberRole"}
    assert resources("us-east-1", Remediation="KeepTrusted") == {"ForwardRole", "ForwardEcrCalls", "MemberRole",
                                                                 "RemediationPolicy"}
    assert resources("eu-west-1", Remediation="Remove", RoleRegion="eu-west-1") >= {"MemberRole", "RemediationPolicy"}
    policy = member(lambda t: t["Resources"]["RemediationPolicy"]["Properties"]["PolicyDocument"], region="us-east-1",
                    Remediation="Remove")
    assert grants([{"PolicyDocument": policy}]) == {"ecr:PutReplicationConfiguration": {"*"}}


def test_the_member_role_reports_its_own_findings_only():
    found = grants(member(lambda t: t["Resources"]["MemberRole"]["Properties"]["Policies"], region="us-east-1"))
    assert found["securityhub:BatchImportFindings"] == {
        f"arn:aws:securityhub:*:{MEMBER_ACCOUNT}:product/{MEMBER_ACCOUNT}/default"}
    assert found["securityhub:GetFindings"] == {"*"}
    writes = {a for a in found if not a.split(":")[1].startswith(("Describe", "Get", "List", "BatchImport"))}
    assert writes == set()  # no write but the findings; remediation comes only with RemediationPolicy


# -- settings and variables tie to schema.json and the code ---------------------------------------


@pytest.mark.parametrize("example", sorted((ROOT / "deploy").glob("type-configuration-*.json")), ids=lambda p: p.name)
def test_the_settings_parameter_holds_a_document_the_function_accepts(example):
    document = example.read_text(encoding="utf-8")
    value = central(lambda t: t["Resources"]["SettingsParameter"]["Properties"]["Value"], Configuration=document)
    assert value == document
    environment = central(lambda t: t["Resources"]["Function"]["Properties"]["Environment"]["Variables"])
    assert environment[PARAMETER_VARIABLE] == SETTINGS_PARAMETER

    class SSM:
        def get_parameter(self, Name, WithDecryption):  # noqa: N803 - boto3's argument names
            assert (Name, WithDecryption) == (SETTINGS_PARAMETER, True)
            return {"Parameter": {"Value": value}}

    load_configuration(environment, SSM)  # validates against schema.json; raises if it does not


def test_a_misspelt_setting_in_the_parameter_is_refused_by_the_function():
    environment = central(lambda t: t["Resources"]["Function"]["Properties"]["Environment"]["Variables"])

    class SSM:
        def get_parameter(self, Name, WithDecryption):  # noqa: N803
            return {"Parameter": {"Value": '{"TrustedAcountIds": "444455556666"}'}}

    with pytest.raises(ConfigurationError, match="TrustedAccountIds"):
        load_configuration(environment, SSM)


def test_the_function_variables_are_the_ones_the_code_reads():
    properties = central(lambda t: t["Resources"]["Function"]["Properties"])
    environment = properties["Environment"]["Variables"]
    assert set(environment) == {PARAMETER_VARIABLE, accounts.ROLE_VARIABLE, notify.TOPIC_VARIABLE,
                                remediation.MODE_VARIABLE, remediation.DRY_RUN_VARIABLE}
    assert environment[notify.TOPIC_VARIABLE] == TOPIC
    assert central(lambda t: t["Resources"]["Function"]["Properties"]["Environment"]["Variables"],
                   CreateTopic="false")[notify.TOPIC_VARIABLE] == ""
    assert remediation.remediation_of(environment) == remediation.Remediation("Off", True)
    template = load(CENTRAL)
    assert tuple(template["Parameters"]["Remediation"]["AllowedValues"]) == remediation.MODES
    assert tuple(load(MEMBER)["Parameters"]["Remediation"]["AllowedValues"]) == remediation.MODES
    for mode in remediation.MODES:
        for dry in ("true", "false"):
            variables = central(lambda t: t["Resources"]["Function"]["Properties"]["Environment"]["Variables"],
                                Remediation=mode, RemediationDryRun=dry)
            assert remediation.remediation_of(variables) == remediation.Remediation(mode, dry == "true")
    module, _, function = properties["Handler"].rpartition(".")
    import importlib

    assert callable(getattr(importlib.import_module(module), function))


def test_the_function_retries_then_dead_letters():
    resources = central(lambda t: {k: v for k, v in t["Resources"].items() if k != "LogGroup"})
    assert resources["Function"]["Properties"]["DeadLetterConfig"] == {"TargetArn": QUEUE}
    assert resources["FunctionRetries"]["Properties"]["MaximumRetryAttempts"] == "2"
    [target] = resources["EcrCalls"]["Properties"]["Targets"]
    assert target["DeadLetterConfig"] == {"Arn": QUEUE} and target["Arn"] == ATTRIBUTES["Function.Arn"]
    assert resources["EcrCallsInvoke"]["Properties"]["SourceArn"] == RULE


def test_the_stackset_passes_every_member_parameter_it_does_not_leave_to_its_default():
    stackset = load(STACKSET)["Resources"]["MemberStackSet"]["Properties"]
    passed = {p["ParameterKey"]: p["ParameterValue"] for p in stackset["Parameters"]}
    required = {name for name, p in load(MEMBER)["Parameters"].items() if "Default" not in p}
    assert required <= set(passed) <= set(load(MEMBER)["Parameters"])
    assert all(value == {"Ref": key} for key, value in passed.items())
    assert stackset["PermissionModel"] == "SERVICE_MANAGED" and stackset["AutoDeployment"]["Enabled"] is True
    assert "CAPABILITY_NAMED_IAM" in stackset["Capabilities"]  # the member role has a fixed name
    for name in passed:  # the same type, grammar and default on both sides
        declared, forwarded = load(MEMBER)["Parameters"][name], load(STACKSET)["Parameters"][name]
        for key in ("Type", "AllowedPattern", "AllowedValues", "Default"):
            assert declared.get(key) == forwarded.get(key), (name, key)


def test_the_templates_and_the_fixtures_are_where_the_docs_say():
    for path in (CENTRAL, MEMBER, STACKSET):
        assert (ROOT / path).is_file()
    assert pathlib.Path(FIXTURES).is_dir() and len(fixtures()) >= 10


def _api_names(source: str) -> set[str]:
    """The ECR operations a module calls: ``client.describe_x`` / ``client.get_x`` attributes and the
    operations it paginates (``_paginated(client, "describe_x", ...)``), as IAM action names."""
    import re

    calls = set(re.findall(r"\.((?:describe|get|put)_[a-z_]+)\b", source))
    calls |= set(re.findall(r'_paginated\(\w+, "([a-z_]+)"', source))
    calls -= {"get_paginator"}
    return {"".join(part.capitalize() for part in name.split("_")) for name in calls}


def test_the_member_role_reads_what_the_live_reader_and_the_remediation_call_and_nothing_else():
    from dataperimeter_ecr_replicationguard.aws_api import live
    from dataperimeter_ecr_replicationguard.detective import respond

    found = grants(member(lambda t: t["Resources"]["MemberRole"]["Properties"]["Policies"], region="us-east-1"))
    ecr = {a.split(":")[1] for a in found if a.startswith(("ecr:", "ecr-public:"))}
    reader = _api_names(pathlib.Path(live.__file__).read_text(encoding="utf-8"))
    assert reader == {"DescribeRegistry", "GetRegistryPolicy", "DescribeRepositories", "GetRepositoryPolicy",
                      "DescribePullThroughCacheRules", "DescribeRepositoryCreationTemplates"}
    assert ecr == reader  # ecr-public: DescribeRepositories and GetRepositoryPolicy, the same names
    assert {a for a in found if a.startswith("ecr-public:")} == {"ecr-public:DescribeRepositories",
                                                                 "ecr-public:GetRepositoryPolicy"}
    remediation_calls = _api_names(pathlib.Path(respond.__file__).read_text(encoding="utf-8"))
    assert remediation_calls == {"DescribeRegistry", "PutReplicationConfiguration"}
    policy = member(lambda t: t["Resources"]["RemediationPolicy"]["Properties"]["PolicyDocument"], region="us-east-1",
                    Remediation="KeepTrusted")
    assert set(grants([{"PolicyDocument": policy}])) | {"ecr:DescribeRegistry"} == {
        f"ecr:{name}" for name in remediation_calls}
