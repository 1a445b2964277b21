"""The hostile-input properties of tests/test_hostile.py, run through the Lambda hook's entrypoint
(``lambda_hook.handler.handler``): the same strategies (tests/strategies.py), the requests in the
Lambda hook's shape, STACK and CHANGE_SET payloads served from their presigned URL. Every answer is
SUCCESS or FAILED with a documented error code, at most 1,024 characters, no stack trace, the same
on a second call (``test_lambda_hook.documented`` checks the shape of each); a known-bad core never
passes; and a hostile envelope (any JSON value in any field of the request) fails closed."""

from __future__ import annotations

import copy
import json
import re

from hypothesis import given
from hypothesis import strategies as st

from conftest import hook_request
from dataperimeter_ecr_replicationguard.core.values import data
from strategies import BAD_CORES, GOOD_CORES, adversarial, json_values, pointer_parts
from test_hostile import POINTS, TYPES, _template, mutated_requests
from test_lambda_hook import _fresh_execution_environment, invoke_lambda, lambda_event  # noqa: F401 - autouse

STACK_NAME = "ecr-perimeter-test"


def verdict(response: dict) -> tuple:
    return response["hookStatus"], response.get("errorCode"), response.get("message")


def stack_request(target: str) -> dict:
    event = lambda_event(hook_request(target, {}, logical_id=STACK_NAME))
    event["requestData"].update(targetName=target, targetType=target)
    return event


@given(mutated_requests())
def test_any_mutated_request_gets_a_bounded_deterministic_answer(case):
    event, logical_id = case
    event = lambda_event(event)
    first = invoke_lambda(event)
    assert verdict(first) == verdict(invoke_lambda(event))
    if first["hookStatus"] == "FAILED" and first["message"].startswith(("NonCompliant", "InvalidRequest")):
        shown_id = data(logical_id, 10**6)[:150]
        assert (shown_id in first["message"] or logical_id in first["message"] or logical_id.strip() == ""
                or "\x00" in logical_id)


@given(st.sampled_from(TYPES).flatmap(lambda t: st.tuples(st.just(t), adversarial(t), st.sampled_from(POINTS))))
def test_a_known_bad_core_in_disguise_never_passes(case):
    resource_type, (properties, bad_pointer), point = case
    event = lambda_event(hook_request(resource_type, properties, logical_id="Bad", point=point,
                                      previous=GOOD_CORES[resource_type] if point.startswith("UPDATE") else None))
    response = invoke_lambda(event)
    assert response["hookStatus"] == "FAILED", (properties, response["message"])
    assert response["errorCode"] in ("NonCompliant", "InternalFailure")
    assert "Bad (" + resource_type + ")" in response["message"]
    top = "/" + str(pointer_parts(bad_pointer)[0])
    assert re.search(r"\[[A-Z0-9-]+\] " + re.escape(top), response["message"]), response["message"]
    assert verdict(response) == verdict(invoke_lambda(event))


@given(st.sampled_from(TYPES).flatmap(lambda t: st.tuples(st.just(t), adversarial(t, disguise=False))),
       st.sampled_from(["STACK", "CHANGE_SET"]), st.booleans())
def test_a_known_bad_core_in_a_stack_payload_never_passes(case, target, as_text):
    resource_type, (properties, _) = case
    template = _template(resource_type, properties)
    model = {"template": json.dumps(template) if as_text else template}
    if target == "CHANGE_SET":
        model["changedResources"] = [{"action": "CREATE", "logicalResourceId": "Bad", "resourceType": resource_type,
                                      "afterContext": json.dumps({"Properties": properties})}]
    response = invoke_lambda(stack_request(target), payload=model)
    assert f"{STACK_NAME} ({target})" in response["message"]
    if response["hookStatus"] == "SUCCESS":
        # Only by deferring an unresolved value to the resource-level hook, which must then fail it.
        assert response["annotations"] and all(a["status"] == "SKIPPED" for a in response["annotations"])
        assert "not resolved" in response["message"]
        resource = invoke_lambda(lambda_event(hook_request(resource_type, properties, logical_id="Bad")))
        assert resource["hookStatus"] == "FAILED"


@given(st.sampled_from(TYPES), st.sampled_from(["STACK", "CHANGE_SET"]), json_values, st.integers(0, 4))
def test_any_mutated_stack_payload_gets_a_bounded_deterministic_answer(resource_type, target, junk, where):
    template = _template(resource_type, GOOD_CORES[resource_type])
    payloads = [
        {"template": junk},
        {"template": {"Resources": junk}},
        {"template": json.dumps(template), "changedResources": junk},
        {"template": {"Resources": {"Bad": {"Type": resource_type, "Properties": junk}}}},
        junk,  # the whole object behind the URL
    ]
    event = stack_request(target)
    first = invoke_lambda(event, payload=payloads[where])
    assert verdict(first) == verdict(invoke_lambda(event, payload=payloads[where]))


ENVELOPE = [("clientRequestToken",), ("awsAccountId",), ("stackId",), ("actionInvocationPoint",), ("requestData",),
            ("requestData", "targetName"), ("requestData", "targetType"), ("requestData", "targetLogicalId"),
            ("requestData", "targetModel"), ("requestData", "payload"), ("requestContext",), ("hookModel",)]


@given(st.sampled_from(TYPES), st.sampled_from(ENVELOPE), json_values, st.booleans())
def test_a_hostile_envelope_around_a_bad_core_never_passes(resource_type, where, junk, delete):
    """Any field of the request replaced by any JSON value (or removed): a known-bad core is never
    SUCCESS, and the answer is bounded and the same twice."""
    event = lambda_event(hook_request(resource_type, BAD_CORES[resource_type][0], logical_id="Bad"))
    node = event
    for key in where[:-1]:
        node = node[key]
    if delete:
        node.pop(where[-1], None)
    else:
        node[where[-1]] = copy.deepcopy(junk)
    first = invoke_lambda(event)
    assert first["hookStatus"] == "FAILED", (where, junk, first["message"])
    assert verdict(first) == verdict(invoke_lambda(event))
