"""The YAML half of the one reader keeps libyaml's callbacks into Python to what it needs
(issue 20, second pass): the tag of every node is resolved as PyYAML's own resolver resolves
it, and composing a template runs at most two Python functions per node (the node's
``__init__`` and ``resolve``), not four (``descend_resolver`` and ``ascend_resolver`` too)."""

from __future__ import annotations

import sys
from collections import Counter

import pytest
import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from dataperimeter_ecr_replicationguard.template import yaml_nodes
from dataperimeter_ecr_replicationguard.template.yaml_loader import load_template_text

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Repl:
    Type: AWS::ECR::ReplicationConfiguration
    Properties:
      ReplicationConfiguration:
        Rules:
          - Destinations:
              - {Region: eu-west-1, RegistryId: "123456789012"}
              - Region: !Ref AWS::Region
                RegistryId: 210987654321
  Repo:
    Type: AWS::ECR::Repository
    Properties:
      RepositoryName: !Sub "${AWS::StackName}-api"
      EmptyOnDelete: yes
      Tags: [{Key: n, Value: ~}, {Key: f, Value: 1.5}, {Key: d, Value: 2012-10-17}, {Key: e, Value: ''}]
"""

SCALARS = ["", "~", "null", "Null", "yes", "No", "on", "OFF", "true", "False", "0", "-1", "+7", "0x1f",
           "0o17", "017", "1_000", "190:20:30", "1.5", "-.inf", ".NaN", "1e5", "6.8523015e+5", "<<", "=",
           "2012-10-17", "2001-12-14t21:59:43.10-05:00", "AWS::Region", "!Ref", "ecr:*", "*", "arn:aws:iam::1:root"]


@pytest.mark.parametrize("value", SCALARS)
@pytest.mark.parametrize("implicit", [(True, False), (False, True), (False, False)])
def test_scalar_tags_are_resolved_as_pyyaml_resolves_them(value, implicit):
    reference = yaml_nodes._Resolver()  # PyYAML's resolver (timestamps dropped, as the reader does)
    parser = yaml_nodes._Parser("a: b")
    try:
        expected = reference.resolve(ScalarNode, value, implicit)
        assert parser.resolve(ScalarNode, value, implicit) == expected
        assert parser.resolve(ScalarNode, value, implicit) == expected  # again: from the reader's memo of plain scalars
    finally:
        parser.dispose()


def test_collection_tags_are_the_default_ones():
    parser = yaml_nodes._Parser("a: b")
    try:
        assert parser.resolve(MappingNode, None, (True, False)) == "tag:yaml.org,2002:map"
        assert parser.resolve(SequenceNode, None, (True, False)) == "tag:yaml.org,2002:seq"
    finally:
        parser.dispose()


def test_composing_runs_at_most_two_python_functions_per_node():
    nodes = sum(1 for event in yaml.parse(TEMPLATE) if isinstance(
        event, (yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent)))
    calls: Counter = Counter()

    def count(frame, event, arg):
        if event == "call":
            calls[f"{frame.f_code.co_filename}:{frame.f_code.co_name}"] += 1

    parser = yaml_nodes._Parser(TEMPLATE)
    previous = sys.getprofile()
    sys.setprofile(count)
    try:
        node = parser.get_single_node()
    finally:
        sys.setprofile(previous)
        parser.dispose()
    assert node is not None
    ours = {where: n for where, n in calls.items() if "yaml" in where}  # not a tracer's own frames
    assert sum(ours.values()) <= 2 * nodes, f"{ours} for {nodes} nodes"


def test_the_values_and_marks_are_unchanged():
    template = load_template_text(TEMPLATE)
    destinations = template["Resources"]["Repl"]["Properties"]["ReplicationConfiguration"]["Rules"][0]["Destinations"]
    assert destinations == [{"Region": "eu-west-1", "RegistryId": "123456789012"},
                            {"Region": {"Ref": "AWS::Region"}, "RegistryId": 210987654321}]
    assert destinations.item_marks == [(9, 17), (10, 17)]
    assert destinations[1].key_marks == {"Region": (10, 17), "RegistryId": (11, 17)}
    assert template["Resources"].key_lines == {"Repl": 3, "Repo": 12}
    assert template["Resources"].line == 3 and template["Resources"].column == 3
    repo = template["Resources"]["Repo"]["Properties"]
    assert repo["RepositoryName"] == {"Fn::Sub": "${AWS::StackName}-api"}
    assert repo["RepositoryName"].key_marks == {"Fn::Sub": (15, 23)}
    assert repo["EmptyOnDelete"] is True
    assert [t["Value"] for t in repo["Tags"]] == [None, 1.5, "2012-10-17", ""]
