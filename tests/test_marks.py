"""template/marks.py: line and column of the offending property, for both node flavours."""

from __future__ import annotations

from dataperimeter_ecr_replicationguard.template.marks import locate, parts_of

TEMPLATE = """\
Resources:
  Repo:
    Type: AWS::ECR::Repository
    Properties:
      RepositoryPolicyText:
        Statement:
          - Effect: Allow
            Principal: {AWS: "arn:aws:iam::999999999999:root"}
            Action: ecr:*
          - Effect: Allow
            Principal: "*"
"""


def test_cfnlint_nodes_give_the_deepest_key_or_item(tmp_path):
    from dataperimeter_ecr_replicationguard.template.decode import decode_file

    path = tmp_path / "t.yaml"
    path.write_text(TEMPLATE)
    properties = decode_file(str(path))["Resources"]["Repo"]["Properties"]
    assert locate(properties, "/RepositoryPolicyText/Statement/1/Principal") == (11, 13)
    assert locate(properties, "/RepositoryPolicyText/Statement/0/Principal/AWS") == (8, 25)
    assert locate(properties, "/RepositoryPolicyText/Statement/0") == (7, 13)  # the item itself
    # deeper than the template goes (a policy given as JSON text): the deepest key that exists
    assert locate(properties, "/RepositoryPolicyText/Statement/1/Principal/AWS/0") == (11, 13)
    assert locate(properties, "/Missing/Key") is None
    assert locate(properties, "") is None


class LineDict(dict):
    """The project's own loader's protocol: ``key_marks`` (1-based) on mappings."""

    def __init__(self, items, marks):
        super().__init__(items)
        self.key_marks = marks


class LineList(list):
    def __init__(self, items, marks):
        super().__init__(items)
        self.item_marks = marks


def test_the_loader_protocol_key_marks_and_item_marks():
    principal = LineDict({"AWS": "arn:aws:iam::999999999999:root"}, {"AWS": (8, 25)})
    statements = LineList([LineDict({"Effect": "Allow", "Principal": principal}, {"Effect": (7, 15), "Principal": (8, 13)}),
                           "not an object"], [(7, 13), (10, 13)])
    properties = LineDict({"RepositoryPolicyText": LineDict({"Statement": statements}, {"Statement": (6, 9)})},
                          {"RepositoryPolicyText": (5, 7)})
    assert locate(properties, "/RepositoryPolicyText/Statement/0/Principal/AWS") == (8, 25)
    assert locate(properties, "/RepositoryPolicyText/Statement/1") == (10, 13)
    assert locate(properties, "/RepositoryPolicyText/Statement/7") == (6, 9)  # no such item: its list's key
    assert locate(properties, "/RepositoryPolicyText/Statement/0/Principal/Service") == (8, 13)


def test_plain_data_has_no_position_and_pointers_are_unescaped():
    assert locate({"a": {"b": 1}}, "/a/b") is None
    assert parts_of("/a~1b/c~0d/0") == ["a/b", "c~d", "0"]
    assert locate(LineDict({"a/b": 1}, {"a/b": (3, 4)}), "/a~1b") == (3, 4)
