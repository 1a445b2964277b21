"""Hostile hook requests through both hook doors' real entrypoints (issues 8 and 16): the
registered hook's ``hook.handlers.hook`` and the Lambda hook's ``lambda_hook.handler.handler``
(its request without caller credentials or type configuration, STACK and CHANGE_SET payloads
served from their presigned URL; ``test_lambda_hook.documented`` checks the shape of its answers).

Property tests (hypothesis, bounded and derandomized by the ``ci`` profile in conftest.py), each run
through every door:
- every checked type, valid and mutated: the entrypoint always answers SUCCESS or FAILED, the
  message is at most 1,024 characters, has no stack trace, names the logical ID, and the same
  request always gives the same answer;
- every checked type, a known-bad core wrapped in mutations (foreign account in disguise,
  junk beside it, duplicated keys in policy JSON text): never SUCCESS, and the message names
  the logical ID and the JSON pointer of the offending property;
- the same for STACK and CHANGE_SET payloads, and for any field of the request replaced by any
  JSON value or removed.
"""

from __future__ import annotations

import copy
import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Callable

import pytest
from hypothesis import given, strategies as st

from conftest import hook_request, replication
from dataperimeter_ecr_replicationguard.core import supported_types
from dataperimeter_ecr_replicationguard.core.values import data
from dataperimeter_ecr_replicationguard.hook.handlers import hook
from strategies import BAD_CORES, GOOD_CORES, adversarial, json_values, mutated, pointer_parts
from test_lambda_hook import _fresh_execution_environment, invoke_lambda, lambda_event  # noqa: F401 - autouse

TYPES = supported_types()
POINTS = ["CREATE_PRE_PROVISION", "UPDATE_PRE_PROVISION"]
STACK_NAME = "ecr-perimeter-test"


def answer(event: dict) -> dict:
    """The registered hook's entrypoint, called as Lambda calls it. Any exception here is a test failure."""
    response = dict(hook(json.loads(json.dumps(event)), None))
    assert response["hookStatus"] in ("SUCCESS", "FAILED"), response
    message = response.get("message") or ""
    assert isinstance(message, str) and len(message) <= 1024, len(message)
    assert "Traceback" not in message and 'File "' not in message
    if response["hookStatus"] == "FAILED":
        assert response.get("errorCode"), response
    shown_as_data(response)
    return response


# What text from the input must never carry into an answer as itself (it is escaped): controls,
# format characters (bidirectional overrides, zero-width), line and paragraph separators, private
# use, unassigned code points, lone surrogates.
HIDDEN = frozenset({"Cc", "Cf", "Zl", "Zp", "Co", "Cn", "Cs"})


def hidden_characters(text: str) -> list[str]:
    return [char for char in text if unicodedata.category(char) in HIDDEN]


def shown_as_data(response: dict) -> None:
    """The message and every annotation's text carry no hidden character (any door's answer)."""
    texts = [response.get("message") or ""]
    for annotation in response.get("annotations") or []:
        texts += [annotation.get("statusMessage") or "", annotation.get("remediationMessage") or ""]
    for text in texts:
        assert not hidden_characters(text), (hidden_characters(text), text)


def stack_event(target: str, model: Any, logical_id: str = STACK_NAME) -> dict:
    event = hook_request(target, {}, logical_id=logical_id)
    event["requestData"]["targetType"] = target
    event["requestData"]["targetModel"] = model
    return event


@dataclass(frozen=True)
class Door:
    """One hook door, asked in the registered hook's request shape (conftest.hook_request)."""

    name: str
    shape: Callable[[dict], dict]  # a registered hook's request, as this door receives it
    enter: Callable[[dict, Any], dict]  # (the request as received, the type configuration) -> the answer
    ask_stack: Callable[..., dict]  # (target, the target model: the template and changes[, the stack's logical ID])
    refused: tuple[str, ...]  # the error codes that refuse a resource

    def ask(self, event: dict) -> dict:
        """A resource request; its ``hookModel`` is the type configuration."""
        return self.enter(self.shape(event), event.get("hookModel"))

    def names_the_target(self, response: dict) -> bool:
        """A refusal of the resource itself, which must name it (not an InternalFailure of the door)."""
        if self.name == "lambda":  # the Lambda hook's codes are fewer: the reason leads the message
            return response["message"].startswith(("NonCompliant", "InvalidRequest"))
        return response.get("errorCode") in ("NonCompliant", "InvalidRequest")


def _lambda(event: dict, configuration: Any) -> dict:
    response = invoke_lambda(event, configuration)  # its shape checked against the guide
    shown_as_data(response)
    return response


def _lambda_stack(target: str, model: Any, logical_id: str = STACK_NAME) -> dict:
    event = lambda_event(hook_request(target, {}, logical_id=logical_id))
    event["requestData"].update(targetName=target, targetType=target)
    response = invoke_lambda(event, payload=model)
    shown_as_data(response)
    return response


DOORS = [
    pytest.param(Door("registered", copy.deepcopy, lambda event, _: answer(event),
                      lambda target, model, logical_id=STACK_NAME: answer(stack_event(target, model, logical_id)),
                      ("NonCompliant", "InvalidRequest")),
                 id="registered"),
    pytest.param(Door("lambda", lambda_event, _lambda, _lambda_stack, ("NonCompliant", "InternalFailure")),
                 id="lambda"),
]


def verdict(response: dict) -> tuple:
    return response["hookStatus"], response.get("errorCode"), response.get("message")


def test_every_checked_type_has_a_known_bad_core():
    """A new checker must come with a bad core here, or its adversarial properties are not run."""
    assert set(BAD_CORES) == set(TYPES)


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("resource_type", TYPES)
def test_cores_are_what_they_claim(door, resource_type):
    bad = door.ask(hook_request(resource_type, BAD_CORES[resource_type][0], logical_id="Bad"))
    assert bad["hookStatus"] == "FAILED" and bad["errorCode"] == "NonCompliant"
    assert BAD_CORES[resource_type][1] in bad["message"]
    assert door.ask(hook_request(resource_type, GOOD_CORES[resource_type]))["hookStatus"] == "SUCCESS"


logical_ids = st.one_of(
    st.just("Resource"),
    st.text(min_size=1, max_size=255),
    st.from_regex(r"[A-Za-z0-9]{1,255}", fullmatch=True),
)


@st.composite
def mutated_requests(draw):
    resource_type = draw(st.sampled_from(TYPES))
    base = GOOD_CORES.get(resource_type, {})
    properties = draw(st.one_of(mutated(base), mutated(BAD_CORES[resource_type][0]), json_values))
    logical_id = draw(logical_ids)
    event = hook_request(resource_type, {}, logical_id=logical_id, point=draw(st.sampled_from(POINTS)))
    event["requestData"]["targetModel"] = draw(st.sampled_from([
        {"resourceProperties": properties},
        {"resourceProperties": properties, "previousResourceProperties": draw(json_values)},
        {"resourceProperties": None}, {}, None, [properties], properties,
    ]))
    return event, logical_id


@pytest.mark.parametrize("door", DOORS)
@given(case=mutated_requests())
def test_any_mutated_request_gets_a_bounded_deterministic_answer(door, case):
    event, logical_id = case
    first = door.ask(event)
    assert verdict(first) == verdict(door.ask(event))
    if first["hookStatus"] == "FAILED" and door.names_the_target(first):
        # named as data (issue 12: hidden characters escaped, lone surrogates replaced)
        shown_id = data(logical_id, 10**6)[:150]
        assert (shown_id in first["message"] or logical_id in first["message"] or logical_id.strip() == ""
                or "\x00" in logical_id)


@pytest.mark.parametrize("door", DOORS)
@given(case=st.sampled_from(TYPES).flatmap(lambda t: st.tuples(st.just(t), adversarial(t), st.sampled_from(POINTS))))
def test_a_known_bad_core_in_disguise_never_passes(door, case):
    resource_type, (properties, bad_pointer), point = case
    event = hook_request(resource_type, properties, logical_id="Bad", point=point,
                         previous=GOOD_CORES[resource_type] if point.startswith("UPDATE") else None)
    response = door.ask(event)
    assert response["hookStatus"] == "FAILED", (properties, response["message"])
    assert response["errorCode"] in door.refused
    assert "Bad (" + resource_type + ")" in response["message"]
    top = "/" + str(pointer_parts(bad_pointer)[0])
    assert re.search(r"\[[A-Z0-9-]+\] " + re.escape(top), response["message"]), response["message"]
    assert verdict(response) == verdict(door.ask(event))


def _template(resource_type: str, properties: dict) -> dict:
    return {"AWSTemplateFormatVersion": "2010-09-09",
            "Resources": {"Topic": {"Type": "AWS::SNS::Topic"},
                          "Bad": {"Type": resource_type, "Properties": properties}}}


@pytest.mark.parametrize("door", DOORS)
@given(case=st.sampled_from(TYPES).flatmap(lambda t: st.tuples(st.just(t), adversarial(t, disguise=False))),
       target=st.sampled_from(["STACK", "CHANGE_SET"]), as_text=st.booleans())
def test_a_known_bad_core_in_a_stack_payload_never_passes(door, case, target, as_text):
    resource_type, (properties, _) = case
    template = _template(resource_type, properties)
    model = {"template": json.dumps(template) if as_text else template}
    if target == "CHANGE_SET":
        model["changedResources"] = [{"action": "CREATE", "logicalResourceId": "Bad", "resourceType": resource_type,
                                      "afterContext": json.dumps({"Properties": properties})}]
    response = door.ask_stack(target, model)
    assert f"{STACK_NAME} ({target})" in response["message"]
    if response["hookStatus"] == "SUCCESS":
        # Only by deferring an unresolved value (e.g. a {{resolve:...}} anywhere in policy text) to
        # the resource-level hook, which must then fail the same properties.
        assert response["annotations"] and all(a["status"] == "SKIPPED" for a in response["annotations"])
        assert "not resolved" in response["message"]
        assert door.ask(hook_request(resource_type, properties, logical_id="Bad"))["hookStatus"] == "FAILED"


@pytest.mark.parametrize("door", DOORS)
@given(resource_type=st.sampled_from(TYPES), target=st.sampled_from(["STACK", "CHANGE_SET"]), junk=json_values,
       where=st.integers(0, 4))
def test_any_mutated_stack_payload_gets_a_bounded_deterministic_answer(door, resource_type, target, junk, where):
    template = _template(resource_type, GOOD_CORES[resource_type])
    models = [
        {"template": junk},
        {"template": {"Resources": junk}},
        {"template": json.dumps(template), "changedResources": junk},
        {"template": {"Resources": {"Bad": {"Type": resource_type, "Properties": junk}}}},
        junk,  # the whole target model (the Lambda hook: the whole object behind the URL)
    ]
    assert verdict(door.ask_stack(target, models[where])) == verdict(door.ask_stack(target, models[where]))


EVIL = "Evil\u202e\x1b[31mRED\u200b"


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("target", ["STACK", "CHANGE_SET"])
def test_names_from_the_template_are_shown_as_data(door, target):
    """Found by this suite: a logical ID, a Ref target, a parameter or a condition name with a
    terminal escape or a bidirectional override reached the annotations as itself, through the
    template resolver's reasons and the annotation's own head."""
    template = {"AWSTemplateFormatVersion": "2010-09-09",
                "Parameters": {EVIL + "P": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/x"}},
                "Conditions": {EVIL + "C": {"Fn::Equals": [{"Ref": "AWS::Region"}, "eu-west-1"]}},
                "Resources": {
                    EVIL: {"Type": "AWS::ECR::ReplicationConfiguration", "Properties": {"ReplicationConfiguration": {
                        "Rules": [{"Destinations": [{"Region": "eu-west-1", "RegistryId": {"Ref": EVIL + "Gone"}}]},
                                  {"Destinations": [{"Region": "eu-west-1", "RegistryId": {"Ref": EVIL + "P"}}]},
                                  {"Destinations": [{"Region": "eu-west-1", "RegistryId": {
                                      "Fn::If": [EVIL + "C", "999999999999", "111111111111"]}}]},
                                  {"Destinations": [{"Region": "eu-west-1", "RegistryId": {
                                      "Fn::Sub": "${" + EVIL + "V}"}}]}]}}},
                    EVIL + "Repo": {"Type": "AWS::ECR::Repository", "Properties": {"RepositoryName": "r"}}}}
    model: dict = {"template": template}
    if target == "CHANGE_SET":
        model["changedResources"] = [{"action": "CREATE", "logicalResourceId": EVIL, "resourceType":
                                      "AWS::ECR::ReplicationConfiguration", "afterContext": json.dumps(
                                          {"Properties": template["Resources"][EVIL]["Properties"]})}]
    response = door.ask_stack(target, model)
    shown_as_data(response)
    texts = " ".join([response["message"]] + [a["statusMessage"] for a in response.get("annotations", [])])
    assert "Evil\\u202e\\x1b[31mRED" in texts, texts  # escaped, not dropped


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("target", ["STACK", "CHANGE_SET"])
@pytest.mark.parametrize("template", [None, {"Resources": {"Bad": {"Type": "AWS::ECR::Repository", "Properties": {
    "RepositoryPolicyText": {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:*"}]}}}}}],
    ids=["empty", "failing"])
def test_the_stack_is_named_as_data(door, target, template):
    """Found in review: the STACK and CHANGE_SET targets named the stack by its raw logical ID,
    in the failure summary and in the answer to an empty payload, in both doors."""
    response = door.ask_stack(target, {"template": template}, EVIL)
    assert response["hookStatus"] == "FAILED"
    shown_as_data(response)
    assert "Evil\\u202e\\x1b[31mRED" in response["message"], response["message"]


ENVELOPE = [("clientRequestToken",), ("awsAccountId",), ("stackId",), ("changeSetId",), ("hookTypeName",),
            ("hookTypeVersion",), ("actionInvocationPoint",), ("requestData",), ("requestData", "targetName"),
            ("requestData", "targetType"), ("requestData", "targetLogicalId"), ("requestData", "targetModel"),
            ("requestData", "payload"), ("requestData", "callerCredentials"), ("requestContext",), ("hookModel",)]


@pytest.mark.parametrize("door", DOORS)
@given(resource_type=st.sampled_from(TYPES), where=st.sampled_from(ENVELOPE), junk=json_values, delete=st.booleans())
def test_a_hostile_envelope_around_a_bad_core_never_passes(door, resource_type, where, junk, delete):
    """Any field of the request as the door receives it replaced by any JSON value (or removed): a
    known-bad core is never SUCCESS, and the answer is bounded and the same twice."""
    event = door.shape(hook_request(resource_type, BAD_CORES[resource_type][0], logical_id="Bad"))
    node = event
    for key in where[:-1]:
        node = node[key]
    if delete:
        node.pop(where[-1], None)
    else:
        node[where[-1]] = copy.deepcopy(junk)
    first = door.enter(event, None)
    assert first["hookStatus"] == "FAILED", (where, junk, first["message"])
    assert verdict(first) == verdict(door.enter(event, None))


HOST = "999999999999.dkr.ecr.eu-west-1.amazonaws.com"
FOREIGN_ID = "999999999999"


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("url", [f"{HOST}?x", f"{HOST}#x", f"{HOST}\\x", f"{HOST}\u3002",
                                 HOST.replace(".com", "\uff0ecom"), f"https://{HOST}:443/", f"u@{HOST}"])
@pytest.mark.parametrize("registry", [None, "ecr"])
def test_a_foreign_ecr_upstream_in_url_disguise_never_passes(door, url, registry):
    """Found by this suite: with UpstreamRegistry omitted, '?x', '#x', '\\x' or a Unicode dot after
    the host made a foreign ECR upstream an ordinary (allowed) registry."""
    properties = {"EcrRepositoryPrefix": "app", "UpstreamRegistryUrl": url}
    if registry:
        properties["UpstreamRegistry"] = registry
    response = door.ask(hook_request("AWS::ECR::PullThroughCacheRule", properties, logical_id="Bad"))
    assert response["hookStatus"] == "FAILED", response["message"]
    assert "[ECR-PTC-" in response["message"] and "/UpstreamRegistryUrl" in response["message"]


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("region", ["cn-north-1", "cn-northwest-1", "us-gov-west-1", "us-iso-east-1"])
def test_replicating_to_the_same_digits_in_another_partition_never_passes(door, region):
    """Found by this suite: the deploying account's 12 digits in a cn-/us-gov-/iso Region passed;
    in another partition they are another account."""
    from conftest import ACCOUNT

    response = door.ask(hook_request("AWS::ECR::ReplicationConfiguration", replication((region, ACCOUNT)), logical_id="Bad"))
    assert response["hookStatus"] == "FAILED" and response["errorCode"] == "NonCompliant"
    assert "outside the stack's partition (aws)" in response["message"]
    assert "/ReplicationConfiguration/Rules/0/Destinations/0/RegistryId" in response["message"]


@pytest.mark.parametrize("door", DOORS)
def test_replicating_inside_the_stacks_own_partition_passes(door):
    from conftest import ACCOUNT

    china = f"arn:aws-cn:cloudformation:cn-north-1:{ACCOUNT}:stack/s/0f1e2d3c-4b5a-11ef-8a9b-0a1b2c3d4e5f"
    response = door.ask(hook_request("AWS::ECR::ReplicationConfiguration", replication(("cn-northwest-1", ACCOUNT)),
                                     stack_id=china))
    assert response["hookStatus"] == "SUCCESS", response["message"]


@pytest.mark.parametrize("door", DOORS)
def test_a_condition_key_repeated_in_another_case_never_passes(door):
    """Found by this suite: {"aws:PrincipalOrgID": trusted, "AWS:PrincipalOrgID": other} in one
    operator passed on the trusted copy; keys are case-insensitive, and which copy IAM keeps is
    not for the hook to guess."""
    policy = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage", "Condition": {
        "StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5", "AWS:PrincipalOrgID": "o-zzzzzzzzzz"}}}]}
    config = {"TrustedOrganizationIds": "o-a1b2c3d4e5"}
    for form in (policy, json.dumps(policy)):
        response = door.ask(hook_request("AWS::ECR::Repository", {"RepositoryPolicyText": form}, logical_id="Bad",
                                         config=config))
        assert response["hookStatus"] == "FAILED", response["message"]
        assert "repeats the key 'AWS:PrincipalOrgID'" in response["message"]
        assert "/RepositoryPolicyText/Statement/0/Condition" in response["message"]
    single = {"Statement": [dict(policy["Statement"][0], Condition={"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}})]}
    assert door.ask(hook_request("AWS::ECR::Repository", {"RepositoryPolicyText": single}, config=config))["hookStatus"] == "SUCCESS"


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize(
    "policy, misspelt",
    [
        ({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "111111111111"}, "principal": {"AWS": FOREIGN_ID},
                         "Action": "ecr:*"}]}, "/Statement/0/principal"),
        ({"Statement": [{"Effect": "Deny", "effect": "Allow", "Principal": {"AWS": FOREIGN_ID}, "Action": "ecr:*"}]},
         "/Statement/0/effect"),
        ({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "111111111111"}, "Action": "ecr:*"}],
          "STATEMENT": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:*"}]}, "/STATEMENT"),
    ],
)
def test_an_iam_element_spelt_in_another_case_never_passes(door, policy, misspelt):
    """Found by this suite: a second copy of Principal/Effect/Statement in another case was ignored,
    so the policy passed on the trusted copy; IAM either rejects it or folds it onto the element."""
    for form in (policy, json.dumps(policy)):
        response = door.ask(hook_request("AWS::ECR::Repository", {"RepositoryPolicyText": form}, logical_id="Bad"))
        assert response["hookStatus"] == "FAILED", response["message"]
        assert f"[ECR-POLICY-MALFORMED] /RepositoryPolicyText{misspelt}:" in response["message"]
