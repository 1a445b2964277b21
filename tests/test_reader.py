"""The one template reader (template/yaml_loader.py): what both doors accept, what they refuse
(one line, with line and column), and the marks every mapping and list carries."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import hook_request
from dataperimeter_ecr_replicationguard.hook.handlers import hook
from dataperimeter_ecr_replicationguard.template import yaml_loader
from dataperimeter_ecr_replicationguard.template.decode import UnreadableTemplate, decode_file
from dataperimeter_ecr_replicationguard.template.marks import locate
from dataperimeter_ecr_replicationguard.template.yaml_loader import (
    LineDict,
    LineList,
    TemplateSyntaxError,
    load_template_text,
)
from scan_helpers import run_cli
from strategies import get, paths

CONFIG = {"TrustedAccountIds": "111111111111"}

# An AWS-style template with rule functions and no ECR resource: CloudFormation accepts it.
RULES = """\
Parameters:
  Env: {Type: String, AllowedValues: [prod, test]}
  Subnets: {Type: 'List<AWS::EC2::Subnet::Id>'}
Rules:
  SubnetsInVpc:
    Assertions:
      - Assert: !EachMemberEquals [!ValueOfAll ['AWS::EC2::Subnet::Id', VpcId], vpc-1]
      - Assert: !EachMemberIn [!ValueOfAll ['AWS::EC2::Subnet::Id', VpcId], !RefAll 'AWS::EC2::VPC::Id']
      - Assert: !Contains [[prod, test], !Ref Env]
      - Assert: !Equals [!ValueOf [Subnets, VpcId], vpc-1]
Resources:
  Topic: {Type: AWS::SNS::Topic}
"""


def stack(template: str) -> dict:
    event = hook_request("STACK", {}, logical_id="reader-stack", config=CONFIG)
    event["requestData"]["targetType"] = "STACK"
    event["requestData"]["targetModel"] = {"template": template}
    return dict(hook(event, None))


def test_rule_functions_are_read_by_both_doors(tmp_path):
    template = load_template_text(RULES)
    assertions = template["Rules"]["SubnetsInVpc"]["Assertions"]
    assert assertions[0] == {"Assert": {"Fn::EachMemberEquals": [
        {"Fn::ValueOfAll": ["AWS::EC2::Subnet::Id", "VpcId"]}, "vpc-1"]}}
    assert assertions[1]["Assert"]["Fn::EachMemberIn"][1] == {"Fn::RefAll": "AWS::EC2::VPC::Id"}
    assert assertions[2]["Assert"] == {"Fn::Contains": [["prod", "test"], {"Ref": "Env"}]}
    assert assertions[3]["Assert"]["Fn::Equals"][0] == {"Fn::ValueOf": ["Subnets", "VpcId"]}
    assert stack(RULES)["hookStatus"] == "SUCCESS"
    path = tmp_path / "rules.yaml"
    path.write_text(RULES)
    assert run_cli("scan", str(path), "--trusted-account-ids", "111111111111")[0] == 0


@pytest.mark.parametrize(
    "text, words, line, column",
    [
        ("Resources:\n  ? {a: 1}\n  : {Type: AWS::SNS::Topic}\n", "a mapping key must be a scalar, not a mapping", 2, 5),
        ("Resources:\n  ? [a, b]\n  : {Type: AWS::SNS::Topic}\n", "a mapping key must be a scalar, not a list", 2, 5),
        ("Resources: {}\n---\nResources: {}\n", "more than one YAML document", 2, 1),
        ("Resources:\n  R: !Foo x\n", "unsupported tag '!Foo'", 2, 6),
        ("Resources:\n  ~: {Type: AWS::SNS::Topic}\n", "null key", 2, 3),
        ("Resources:\n  A: {Type: AWS::SNS::Topic}\n  A: {Type: AWS::SNS::Topic}\n", "duplicate key 'A'", 3, 3),
        ("x: &a [1]\nResources: {R: *a}\n", "YAML aliases", 2, 16),
        ('{"Resources": {"A": {"Type": "X"},\n  "A": {"Type": "Y"}}}', "duplicate key 'A'", 2, 3),
        ('{"Resources": {"A": {"Type": "X"},\n  "B" {"Type": "Y"}}}', "not valid JSON", 2, 7),
    ],
    ids=["map-key", "list-key", "two-documents", "unknown-tag", "null-key", "duplicate", "alias",
         "json-duplicate", "json-syntax"],
)
def test_what_cloudformation_rejects_is_one_precise_line_at_both_doors(tmp_path, text, words, line, column):
    with pytest.raises(TemplateSyntaxError, match=words) as raised:
        load_template_text(text)
    assert (raised.value.line, raised.value.column) == (line, column)
    assert f"line {line}, column {column}" in str(raised.value)
    response = stack(text)  # the hook: InvalidRequest naming the problem, never InternalFailure
    assert response["hookStatus"] == "FAILED" and response["errorCode"] == "InvalidRequest", response
    assert words in response["message"] and "\n" not in response["message"]
    path = tmp_path / ("t.json" if text.startswith("{") else "t.yaml")
    path.write_text(text)
    with pytest.raises(UnreadableTemplate) as unreadable:
        decode_file(str(path))
    assert (unreadable.value.line, unreadable.value.column) == (line, column)
    assert str(unreadable.value).startswith(f"{path}: ") and words in str(unreadable.value)
    code, out, err = run_cli("scan", str(path))
    if "more than one YAML document" in words:
        # the scan door skips a multi-document YAML file as a non-template (a Kubernetes manifest,
        # issue 13), even when named: pre-commit hands it every changed *.yaml
        assert code == 0 and err == "" and "skipped" in out
        return
    assert code == 2 and words in err and len(err.strip().splitlines()) == 1


YAML = """\
Resources:
  Repo:
    Type: AWS::ECR::Repository
    Properties:
      Tags:
        - Key: a
          Value: !Sub '${AWS::Region}'
        - {Key: b, Value: c}
"""


def _marks(template):
    repo = template["Resources"]["Repo"]
    tags = repo["Properties"]["Tags"]
    return (template["Resources"].key_lines["Repo"], template["Resources"].key_marks["Repo"],
            repo.key_marks["Properties"], type(tags).__name__, tags.item_marks, tags[1].key_marks["Value"])


def test_yaml_and_json_give_the_same_marks_for_the_same_layout():
    yaml_marks = _marks(load_template_text(YAML))
    assert yaml_marks == (2, (2, 3), (4, 5), "LineList", [(6, 11), (8, 11)], (8, 20))
    document = load_template_text(YAML)
    as_json = json.dumps(document, indent=1)  # one key per line
    template = load_template_text(as_json)
    lines = as_json.splitlines()
    line, column = template["Resources"].key_marks["Repo"]
    assert lines[line - 1][column - 1:].startswith('"Repo":')
    properties = template["Resources"]["Repo"]["Properties"]
    assert properties.key_marks["Tags"] == template["Resources"]["Repo"]["Properties"].key_marks["Tags"]
    tags = properties["Tags"]  # a JSON list is marked (a LineList) with the mapping it is in, asked first
    assert isinstance(tags, LineList) and isinstance(tags[0], LineDict)
    for (line, column) in tags.item_marks:
        assert lines[line - 1][column - 1] == "{"
    line, column = tags[0].key_marks["Value"]
    assert lines[line - 1][column - 1:].startswith('"Value":')
    assert template["Resources"].key_lines["Repo"] == template["Resources"].key_marks["Repo"][0]


def test_json_marks_are_right_whichever_mapping_is_asked_first():
    text = '{"A": {"B": {"C": [1, {"D": 2}]}},\n "E": [\n  {"F": 3}]}'
    first = load_template_text(text)
    deep = first["A"]["B"]
    assert deep.key_marks == {"C": (1, 14)} and deep["C"][1].key_marks == {"D": (1, 24)}
    second = load_template_text(text)
    assert second.key_marks == {"A": (1, 2), "E": (2, 2)}
    assert second["E"].item_marks == [(3, 3)] and second["E"][0].key_marks == {"F": (3, 4)}
    assert second == json.loads(text)



_trees = st.recursive(
    st.one_of(st.integers(), st.text(max_size=5)),
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(st.text(max_size=4), children, max_size=3)),
    max_leaves=20,
)


@given(st.dictionaries(st.text(max_size=4), st.dictionaries(st.text(max_size=4), _trees, max_size=3), max_size=3),
       st.sampled_from([None, 0, 1, 2]), st.randoms(use_true_random=False))
@settings(max_examples=300, deadline=None)
def test_json_marks_asked_in_any_order_are_those_of_one_walk_of_the_whole_text(document, indent, random):
    """The top two levels are marked as they are read and each second-level value from its own
    stretch of the text when first asked: every place must be what one walk of the whole text
    gives, whichever place is asked first."""
    text = json.dumps(document, indent=indent)
    whole = yaml_loader._mark_json(text, load_template_text(text))
    lazy = load_template_text(text)
    pointers = ["/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in path)
                for path in paths(document) if path]
    random.shuffle(pointers)
    for pointer in pointers:
        assert locate(lazy, pointer) == locate(whole, pointer), (text, pointer)
    for path in paths(document):  # and where each mapping and list starts
        node, twin = get(lazy, path), get(whole, path)
        if isinstance(node, (dict, list)):
            assert (node.line, node.column) == (twin.line, twin.column), (text, path)
    assert lazy == document
