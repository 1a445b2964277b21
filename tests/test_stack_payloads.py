"""STACK and CHANGE_SET targets with every documented payload shape, fetched the way CloudFormation
hands them over: the request (tests/data/payloads/request-*.json, the guide's envelope) carries a
presigned-style ``payload`` URL and no ``targetModel``; a real HTTP server on 127.0.0.1 serves the
payload (tests/data/payloads/*.json) and the library's own fetch fills ``targetModel`` before
``handlers.hook`` answers.

Also: a stack-level answer never says "inside the perimeter" about what the hook did not see
(transforms it cannot expand), and never counts a resource as checked that was not.
"""

from __future__ import annotations

import copy
import http.server
import json
import pathlib
import re

import pytest

from dataperimeter_ecr_replicationguard.hook.handlers import hook
from local_http import serving

PAYLOADS = pathlib.Path(__file__).resolve().parent / "data" / "payloads"
BUCKET = "cf-templates-hook-payloads-eu-west-1"
SIGNATURE = (
    "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAEXAMPLE%2F20261201%2Feu-west-1%2Fs3%2Faws4_request"
    "&X-Amz-Date=20261201T100000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=0123456789abcdef"
)
INSIDE = "is inside the ECR data perimeter"
NOT_EXPANDED = "ECR-PERIMETER-NOT-EXPANDED"


class _Bucket(http.server.BaseHTTPRequestHandler):
    """``GET /<bucket>/<file>?<signature>`` answers the payload file, as S3 answers a presigned GET."""

    hits: list = []

    def do_GET(self):  # noqa: N802 - http.server's name
        path, _, query = self.path.partition("?")
        _Bucket.hits.append((path, query))
        name = path.rsplit("/", 1)[-1]
        file = PAYLOADS / name
        if not path.startswith(f"/{BUCKET}/") or "X-Amz-Signature=" not in query or not file.is_file():
            self.send_response(403)
            self.end_headers()
            self.wfile.write(b"<Error><Code>AccessDenied</Code></Error>")
            return
        body = file.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def bucket():
    with serving(_Bucket) as url:
        yield f"{url}/{BUCKET}"


@pytest.fixture
def ask(bucket):
    """Send one payload file through ``handlers.hook`` as CloudFormation would."""

    def run(name: str, target: str | None = None, point: str = "CREATE_PRE_PROVISION",
            config: dict | None = None) -> dict:
        target = target or ("CHANGE_SET" if name.startswith("change-set") else "STACK")
        envelope = "request-change-set.json" if target == "CHANGE_SET" else "request-stack.json"
        event = json.loads((PAYLOADS / envelope).read_text())
        event["actionInvocationPoint"] = point
        event["requestData"]["payload"] = f"{bucket}/{name}?{SIGNATURE}"
        if config is not None:
            event["hookModel"] = config
        assert "targetModel" not in event["requestData"]  # the library must fetch it
        before = len(_Bucket.hits)
        response = dict(hook(copy.deepcopy(event), None))
        assert (f"/{BUCKET}/{name}", SIGNATURE) in _Bucket.hits[before:], "the payload URL was not fetched"
        message = response.get("message") or ""
        assert len(message) <= 1024 and "Traceback" not in message and "X-Amz-Signature" not in message
        return response

    return run


def names(response: dict, status: str | None = None) -> list[str]:
    return [a["annotationName"] for a in response.get("annotations") or [] if status is None or a["status"] == status]


def checked_count(response: dict) -> int | None:
    texts = [response.get("message") or ""] + [a.get("statusMessage") or "" for a in response.get("annotations") or []]
    for text in texts:
        match = re.search(r"(\d+) ECR resource\(s\) checked", text)
        if match:
            return int(match.group(1))
    return None


# --- every documented shape -------------------------------------------------------------------

# file, invocation point, status, error code, text the message must hold, ECR resources checked
SHAPES = [
    ("stack-create-json.json", "CREATE_PRE_PROVISION", "SUCCESS", None, INSIDE, 1),
    ("stack-create-yaml-previous-empty.json", "CREATE_PRE_PROVISION", "SUCCESS", None, INSIDE, 1),
    ("stack-create-previous-null.json", "CREATE_PRE_PROVISION", "SUCCESS", None, INSIDE, 1),
    # on update only the proposed template decides: the previous one is being replaced
    ("stack-update-yaml.json", "UPDATE_PRE_PROVISION", "SUCCESS", None, INSIDE, 1),
    ("stack-update-adds-foreign.json", "UPDATE_PRE_PROVISION", "FAILED", "NonCompliant", "999999999999", None),
    ("stack-pascal-case.json", "UPDATE_PRE_PROVISION", "FAILED", "NonCompliant", "999999999999", None),
    ("stack-pascal-resolved-template.json", "CREATE_PRE_PROVISION", "FAILED", "NonCompliant", "999999999999", None),
    ("stack-empty-fields.json", "CREATE_PRE_PROVISION", "FAILED", "InvalidRequest", "payload is empty", None),
    # what update-stack --use-previous-template sends is not known offline: no template fails closed
    ("stack-update-template-empty.json", "UPDATE_PRE_PROVISION", "FAILED", "InvalidRequest",
     "the payload carries no template", None),
    # CREATE (checked), UPDATE (checked on afterContext), DELETE (not created), an SNS topic (not ECR)
    ("change-set-create-update-delete.json", "CREATE_PRE_PROVISION", "SUCCESS", None, INSIDE, 2),
    ("change-set-update-adds-foreign.json", "CREATE_PRE_PROVISION", "FAILED", "NonCompliant", "999999999999", None),
    ("change-set-pascal-case.json", "CREATE_PRE_PROVISION", "FAILED", "NonCompliant", "999999999999", None),
    ("change-set-empty-fields.json", "CREATE_PRE_PROVISION", "SUCCESS", None, INSIDE, 1),
    ("change-set-no-changes.json", "CREATE_PRE_PROVISION", "FAILED", "NonCompliant", "999999999999", None),
]


@pytest.mark.parametrize("name, point, status, code, text, count", SHAPES, ids=[s[0] for s in SHAPES])
def test_documented_payload_shapes_through_the_library_fetch(ask, name, point, status, code, text, count):
    response = ask(name, point=point)
    assert response["hookStatus"] == status, response["message"]
    assert response.get("errorCode") == code
    assert text in response["message"]
    if count is not None:
        assert checked_count(response) == count, response
    if status == "SUCCESS":
        assert names(response) == ["ECR-PERIMETER"]


def test_every_payload_file_is_sent_by_a_test():
    sent = {s[0] for s in SHAPES} | set(TRANSFORMS) | {
        "stack-foreach-beside-foreign.json", "stack-foreach-beside-trusted.json", "stack-foreach-of-topics.json",
        "stack-resource-body-not-an-object.json", "stack-no-ecr-rule-short-forms.json", "stack-serverless.json",
        "stack-known-after-apply.json", "stack-resolved-known-after-apply.json", "change-set-known-after-apply.json",
        "change-set-lowercase-properties.json", "change-set-lowercase-properties-trusted.json",
        "change-set-after-context-without-properties.json", "change-set-after-context-properties-twice.json",
        "change-set-after-context-properties-null.json",
        "change-set-decided-by-its-template.json", "change-set-decided-by-its-template-trusted.json",
    }
    files = {p.name for p in PAYLOADS.glob("*.json")} - {"request-stack.json", "request-change-set.json"}
    assert files == sent


def test_a_payload_url_that_is_not_signed_for_the_file_is_an_empty_payload(bucket):
    """The 403 S3 answers a bad signature: the library leaves targetModel empty; the hook fails closed."""
    event = json.loads((PAYLOADS / "request-stack.json").read_text())
    event["requestData"]["payload"] = f"{bucket}/stack-create-json.json"  # no signature
    response = dict(hook(event, None))
    assert response["hookStatus"] == "FAILED" and response["errorCode"] == "InvalidRequest"
    assert "payload is empty" in response["message"]


# --- transforms the hook cannot expand: never "inside the perimeter" ----------------------------

TRANSFORMS = {
    "stack-foreach.json": "Resources/Fn::ForEach::Replicas: Fn::ForEach (transform AWS::LanguageExtensions)",
    "stack-macro.json": "Transform: transform 'AcmeExpandRepos'",
    "stack-include.json": "Transform: transform 'AWS::Include'",
    "stack-include-in-resources.json": "Resources/Fn::Transform: Fn::Transform 'AWS::Include'",
    "stack-include-in-properties.json": "Resources/Repo/Properties/Fn::Transform: Fn::Transform 'AWS::Include'",
    "stack-include-as-properties.json": "Resources/Repo/Properties/Fn::Transform: Fn::Transform 'AWS::Include'",
}


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_a_template_the_hook_cannot_expand_is_left_to_the_resource_target(ask, name):
    response = ask(name)
    assert response["hookStatus"] == "SUCCESS", response["message"]
    assert INSIDE not in response["message"] and "ECR-PERIMETER" not in names(response, "PASSED")
    [skipped] = [a for a in response["annotations"] if a["annotationName"] == NOT_EXPANDED]
    assert skipped["status"] == "SKIPPED"
    assert TRANSFORMS[name] in skipped["statusMessage"]
    assert "judged by the RESOURCE target" in skipped["statusMessage"]
    assert "RESOURCE" in skipped["remediationMessage"]
    assert TRANSFORMS[name] in response["message"] and "left to the RESOURCE target" in response["message"]
    # only what it read whole is counted: the macro's template has one literal repository; a
    # repository with an include in its body was not checked whole, a loop's were not seen
    assert checked_count(response) == (1 if name == "stack-macro.json" else 0)


def test_a_foreign_resource_beside_a_for_each_still_fails(ask):
    response = ask("stack-foreach-beside-foreign.json")
    assert response["hookStatus"] == "FAILED" and response["errorCode"] == "NonCompliant"
    assert "999999999999" in response["message"]
    assert names(response, "FAILED") == ["ECR-POLICY-UNTRUSTED-ACCOUNT"]
    assert names(response, "SKIPPED") == [NOT_EXPANDED]


def test_a_trusted_resource_beside_a_for_each_is_counted_alone(ask):
    response = ask("stack-foreach-beside-trusted.json")
    assert response["hookStatus"] == "SUCCESS" and INSIDE not in response["message"]
    assert checked_count(response) == 1  # Repl; the loop's resources are not seen here
    assert response["message"].startswith("ecr-perimeter-test (STACK): 1 ECR resource(s) checked; every destination")
    assert names(response) == [NOT_EXPANDED]


def test_a_for_each_that_makes_only_other_types_does_not_hide_anything(ask):
    response = ask("stack-foreach-of-topics.json")
    assert response["hookStatus"] == "SUCCESS" and INSIDE in response["message"]
    assert names(response) == ["ECR-PERIMETER"] and checked_count(response) == 0


def test_sam_makes_no_ecr_resource_so_its_template_is_read_whole(ask):
    """SAM's resource types make no ECR resource and leave ECR resources as written (as hook-handler
    scan reads it): the replication is checked, nothing is left aside."""
    response = ask("stack-serverless.json")
    assert response["hookStatus"] == "FAILED" and response["errorCode"] == "NonCompliant"
    assert names(response) == ["ECR-REPLICATION-UNTRUSTED-DESTINATION"]


def test_a_resource_body_that_is_not_an_object_fails_closed_without_a_transform(ask):
    response = ask("stack-resource-body-not-an-object.json")
    assert response["hookStatus"] == "FAILED" and response["errorCode"] == "InvalidRequest"
    assert "Resources/Repl: its body is not an object" in response["message"] and "fails closed" in response["message"]


# --- CHANGE_SET afterContext: properties in any case; keys without properties fail closed ---------


def test_change_set_after_context_properties_in_lower_case_are_read(ask):
    response = ask("change-set-lowercase-properties.json")
    assert response["hookStatus"] == "FAILED" and response["errorCode"] == "NonCompliant"
    assert "999999999999" in response["message"]
    trusted = ask("change-set-lowercase-properties-trusted.json")
    assert trusted["hookStatus"] == "SUCCESS" and INSIDE in trusted["message"] and checked_count(trusted) == 1


@pytest.mark.parametrize("name, reason", [
    ("change-set-after-context-without-properties.json",
     "Repo: afterContext has no Properties (its keys: 'Propertys')"),
    # a trusted "Properties" beside a foreign "properties": which one CloudFormation means is unknown
    ("change-set-after-context-properties-twice.json",
     "Repo: afterContext: the keys 'Properties', 'properties' differ only in case"),
    ("change-set-after-context-properties-null.json", "Repo: afterContext 'Properties' is not an object"),
])
def test_change_set_after_context_with_keys_but_no_properties_fails_closed(ask, name, reason):
    response = ask(name)
    assert response["hookStatus"] == "FAILED" and response["errorCode"] == "InvalidRequest"
    assert reason in response["message"] and "fails closed" in response["message"]


# --- {{changeSet:KNOWN_AFTER_APPLY}} is deferred in every field ---------------------------------


@pytest.mark.parametrize("name, rule", [
    ("stack-known-after-apply.json", "ECR-REPLICATION-UNRESOLVED-VALUE"),
    ("stack-resolved-known-after-apply.json", "ECR-POLICY-UNRESOLVED"),
    ("change-set-known-after-apply.json", "ECR-POLICY-UNRESOLVED"),
])
def test_known_after_apply_is_left_to_the_resource_target_in_every_field(ask, name, rule):
    response = ask(name)
    assert response["hookStatus"] == "SUCCESS", response["message"]
    assert "left to the resource-level hook" in response["message"]
    [annotation] = response["annotations"]
    assert annotation["annotationName"] == rule and annotation["status"] == "SKIPPED"
    assert "known only after it executes" in annotation["statusMessage"]


# --- a change set is resolved against its own template ------------------------------------------


def test_change_set_values_are_decided_by_the_payload_template(ask):
    """Fn::FindInMap on AWS::Region and Fn::If on a condition of AWS::Region: the template decides
    both (eu-west-1: 999999999999 from the map, 222222222222 from the condition)."""
    response = ask("change-set-decided-by-its-template.json")
    assert response["hookStatus"] == "FAILED" and response["errorCode"] == "NonCompliant"
    assert names(response, "FAILED") == ["ECR-REPLICATION-UNTRUSTED-DESTINATION"]
    assert "999999999999" in response["message"] and "888888888888" not in response["message"]
    trusted = ask("change-set-decided-by-its-template-trusted.json")
    assert trusted["hookStatus"] == "SUCCESS" and INSIDE in trusted["message"], trusted["message"]


# --- the rule functions' YAML short forms --------------------------------------------------------


def test_a_template_with_rule_short_forms_and_no_ecr_resource_passes(ask):
    response = ask("stack-no-ecr-rule-short-forms.json")
    assert response["hookStatus"] == "SUCCESS", response["message"]
    assert INSIDE in response["message"] and checked_count(response) == 0


def test_the_hook_loader_reads_the_rule_short_forms_as_cfn_lint_does(tmp_path):
    from cfnlint.decode import decode

    from dataperimeter_ecr_replicationguard.template.resolve import _plain
    from dataperimeter_ecr_replicationguard.template.yaml_loader import load_template_text

    text = json.loads((PAYLOADS / "stack-no-ecr-rule-short-forms.json").read_text())["template"]
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    decoded, problems = decode(str(path))
    assert not problems
    ours = load_template_text(text)
    assert _plain(ours) == _plain(decoded)
    assertions = ours["Rules"]["SubnetsInVpc"]["Assertions"]
    assert set(assertions[0]["Assert"]) == {"Fn::EachMemberEquals"}
    assert assertions[1]["Assert"]["Fn::EachMemberIn"][1] == {"Fn::RefAll": "AWS::EC2::VPC::Id"}
    assert ours["Rules"]["ProdOnlyInEuWest1"]["Assertions"][0]["Assert"] == {
        "Fn::Contains": [["eu-west-1"], {"Ref": "AWS::Region"}]}
