"""What the scan does per file, counted rather than timed (timings are ``make bench``'s): a JSON
template's marks (line and column of every key) are taken from its text only when a finding needs
a place, so a directory of passing templates is never walked twice."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from dataperimeter_ecr_replicationguard.cli.main import main
from dataperimeter_ecr_replicationguard.template import yaml_loader

TRUSTED = "111111111111"


def _template(registry_id: str) -> dict:
    return {"AWSTemplateFormatVersion": "2010-09-09", "Resources": {
        "Repl": {"Type": "AWS::ECR::ReplicationConfiguration", "Properties": {"ReplicationConfiguration": {
            "Rules": [{"Destinations": [{"Region": "eu-west-1", "RegistryId": registry_id}]}]}}},
        "Topic": {"Type": "AWS::SNS::Topic"}}}


def test_passing_json_templates_are_not_walked_for_marks_and_a_failing_one_is(tmp_path, monkeypatch, capsys):
    walked = []
    real = yaml_loader._mark_json

    def counting(text, root, start=0, end=None, newlines=None):
        walked.append(text[start:end])
        return real(text, root, start, end, newlines)

    monkeypatch.setattr(yaml_loader, "_mark_json", counting)
    for n in range(5):
        (tmp_path / f"ok-{n}.json").write_text(json.dumps(_template(TRUSTED), indent=1))
    (tmp_path / "bad.json").write_text(json.dumps(_template("999999999999"), indent=1))
    code = main(["scan", str(tmp_path), "--format", "json", "--trusted-account-ids", TRUSTED, "--jobs", "1"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    # one walk, of the failing resource's body only: not of the rest of its template
    assert len(walked) == 1 and "999999999999" in walked[0] and "AWS::SNS::Topic" not in walked[0]
    assert walked[0].startswith("{") and walked[0].endswith("}")
    [finding] = report["findings"]
    text = (tmp_path / "bad.json").read_text().splitlines()
    # the resource's line and column, and the offending property's, still come from the walk
    assert text[finding["line"] - 1][finding["column"] - 1:].startswith('"Repl"')
    where = finding["property"]
    assert text[where["line"] - 1][where["column"] - 1:].startswith('"RegistryId": "999999999999"')


def test_the_document_count_is_taken_only_when_a_line_starts_a_document(tmp_path, monkeypatch):
    """A one-document template is not read line by line for ``---`` separators; a manifest with
    two documents still is, whatever its line breaks."""
    from dataperimeter_ecr_replicationguard.cli import scan_file

    counted = []
    real = scan_file._documents
    monkeypatch.setattr(scan_file, "_documents", lambda text: counted.append(text) or real(text))
    single = tmp_path / "t.yaml"
    single.write_text("AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  T:\n    Type: AWS::SNS::Topic # ---\n")
    assert scan_file.not_a_template(str(single)) is None and counted == []
    for newline in ("\n", "\r\n", "\r"):
        manifest = tmp_path / "k.yaml"
        manifest.write_bytes(newline.join(["apiVersion: v1", "kind: ConfigMap", "---", "Resources: {}", ""]).encode())
        assert "several YAML documents" in scan_file.not_a_template(str(manifest)), repr(newline)
    assert len(counted) == 3


def test_each_template_file_is_opened_once_for_the_sniff_and_the_decoder(tmp_path, monkeypatch, capsys):
    from dataperimeter_ecr_replicationguard.cli import scan_file
    from dataperimeter_ecr_replicationguard.template import decode

    opened = []

    def counting(path, *args, **kwargs):
        opened.append(str(path))
        return open(path, *args, **kwargs)

    monkeypatch.setattr(scan_file, "open", counting, raising=False)
    monkeypatch.setattr(decode, "open", counting, raising=False)
    for n in range(3):
        (tmp_path / f"ok-{n}.json").write_text(json.dumps(_template(TRUSTED), indent=1))
    (tmp_path / "bad.yaml").write_text("Resources:\n  Repl:\n    Type: AWS::ECR::ReplicationConfiguration\n"
                                       "    Properties: {ReplicationConfiguration: {Rules: [{Destinations: "
                                       "[{Region: eu-west-1, RegistryId: '999999999999'}]}]}}\n")
    (tmp_path / "notes.json").write_text('{"name": "not a template"}')
    code = main(["scan", str(tmp_path), "--format", "json", "--trusted-account-ids", TRUSTED, "--jobs", "1"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and report["summary"]["files"] == 4 and report["summary"]["skippedFiles"] == 1
    assert sorted(opened) == sorted(str(p) for p in tmp_path.iterdir())  # once each, the skipped one too


def test_a_file_larger_than_the_sniff_is_read_whole_once_it_is_a_template(tmp_path, capsys):
    from dataperimeter_ecr_replicationguard.cli import scan_file

    padding = " " * (scan_file.SNIFF_BYTES + 10)  # the finding lies beyond the first MiB
    text = json.dumps(_template("999999999999"), indent=1).replace('"Topic"', padding + '"Topic"')
    (tmp_path / "big.json").write_text(text)
    assert scan_file.read_candidate(str(tmp_path / "big.json")) == (None, text.encode())
    code = main(["scan", str(tmp_path), "--format", "json", "--trusted-account-ids", TRUSTED, "--jobs", "1"])
    assert code == 1 and json.loads(capsys.readouterr().out)["summary"]["resources"] == 1


def _names_as_written(value, found):
    """The basis walk as the scan wrote it before its fast paths: what ``names_read`` and the
    resolver's own collection must both equal (a reference, kept deliberately apart from them)."""
    from collections.abc import Mapping

    from dataperimeter_ecr_replicationguard.template.resolve import _SUB_NAME

    if isinstance(value, Mapping):
        for key, item in value.items():
            if key == "Ref" and isinstance(item, str):
                found[item] = None
            elif key == "Fn::Sub":
                text = item[0] if isinstance(item, list) and item else item
                if isinstance(text, str):
                    local = item[1] if isinstance(item, list) and len(item) > 1 and isinstance(item[1], Mapping) else {}
                    for name in _SUB_NAME.findall(text):
                        if name not in local and "." not in name:
                            found[name.strip()] = None
                _names_as_written(item, found)
            elif key == "Fn::If" and isinstance(item, list) and item and isinstance(item[0], str):
                found[f"condition {item[0]}"] = None
                _names_as_written(item[1:], found)
            elif key == "Condition" and isinstance(item, str):
                found[f"condition {item}"] = None
            else:
                _names_as_written(item, found)
    elif isinstance(value, list):
        for item in value:
            _names_as_written(item, found)


_reading = st.recursive(
    st.one_of(st.sampled_from(["P", "AWS::AccountId", "${P}", "x${A}-${B.C}${!D}", "Cond", ""]), st.integers()),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(["Ref", "Fn::Sub", "Fn::If", "Condition", "Other", "Fn::Join"]),
                        children, max_size=3)),
    max_leaves=15,
)


_TEMPLATE = {"Parameters": {"P": {"Type": "String", "Default": "p"}, "Cond": {"Type": "String"}},
             "Conditions": {"Cond": {"Fn::Equals": ["a", "a"]}, "P": {"Fn::Equals": [{"Ref": "Cond"}, "x"]}},
             "Resources": {}}


@given(_reading, st.booleans())
@settings(max_examples=500, deadline=None)
def test_the_names_the_resolver_reads_are_those_the_plain_walk_finds_in_order(value, defaults):
    """The basis is collected by the walk that resolves the properties (chosen Fn::If branches,
    unresolvable functions, two-key look-alikes): it must equal the plain walk of the value as written."""
    from dataperimeter_ecr_replicationguard.template.resolve import Context, Resolver, names_read

    plain, walked, reads = {}, {}, {}
    _names_as_written(value, plain)
    names_read(value, walked)
    Resolver(_TEMPLATE, Context(account_id="123456789012", region="eu-west-1",
                                use_parameter_defaults=defaults)).resolve(value, reads)
    assert list(walked) == list(plain)
    assert list(reads) == list(plain)
