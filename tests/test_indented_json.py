"""The JSON and SARIF reports are written by ``cli/output/indented_json.py`` instead of
``json.dumps(indent=2, ensure_ascii=False)``: its text must be the stdlib's, byte for byte, on real
reports and on any value (hostile strings, huge numbers, empty and nested containers, types it
hands back to the stdlib). And a ``scan --format json`` run must not import what it does not
use (the other formats' writers, the audit, ``logging``): checked in a fresh interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections import OrderedDict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataperimeter_ecr_replicationguard.cli.output.indented_json import dumps
from scan_helpers import ROOT, SCAN_ARGS, TEMPLATES, run_cli


def stdlib(value) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


# A template whose text reaches the report: non-ASCII and control characters in logical IDs,
# parameter values and names, a huge number, empty lists and objects.
HOSTILE = textwrap.dedent("""\
    Parameters:
      Dest: {Type: String, Default: "99999999999\\u0661"}
      "Caf\\u00e9\\u2028": {Type: String, Default: "\\x01\\x1f\\"\\\\/\\t\\u00ff\\U0001F600"}
    Resources:
      "R\\u00e9pl\\u00efcation":
        Type: AWS::ECR::ReplicationConfiguration
        Properties:
          ReplicationConfiguration:
            Rules:
              - Destinations:
                  - {Region: eu-west-1, RegistryId: !Ref Dest}
                RepositoryFilters: []
      "Repo\\u0000\\x01\\x1f\\t\\"\\\\\\x7f\\u00e9":
        Type: AWS::ECR::Repository
        Properties:
          RepositoryName: !Sub "${AWS::StackName}-\\u00e9\\x02-${Caf\\u00e9\\u2028}"
          ImageScanningConfiguration: {}
          RepositoryPolicyText:
            Statement:
              - Effect: Allow
                Principal: {AWS: "arn:aws:iam::999999999999:root"}
                Action: ["ecr:BatchGetImage"]
                Condition: {NumericLessThan: {"aws:EpochTime": 123456789012345678901234567890}}
    """)


@pytest.mark.parametrize("fmt", ["json", "sarif"])
@pytest.mark.parametrize("where", ["corpus", "hostile"])
def test_a_real_report_is_the_text_the_stdlib_writes_for_it(fmt, where, tmp_path):
    if where == "hostile":
        (tmp_path / "hostile.yaml").write_text(HOSTILE, encoding="utf-8")
        paths = [str(tmp_path)]
    else:
        paths = [str(TEMPLATES)]
    code, out, err = run_cli("scan", *paths, *SCAN_ARGS, "--format", fmt, "--jobs", "1")
    assert code in (0, 1, 2), err
    document = json.loads(out)
    assert out == stdlib(document) + "\n"
    if where == "hostile":
        for logical_id in ("R\u00e9pl\u00efcation", "Repo\x00\x01\x1f\t\"\\\x7f\u00e9"):  # the report carries them
            assert json.dumps(logical_id, ensure_ascii=False) in out
        if fmt == "json":
            assert document["files"] and document["findings"] and document["expiredExemptions"] == []


HOSTILE_VALUES = [
    {}, [], "", 0, -1, 10**300, -(10**50), True, False, None, 1.5, -0.0, 1e300, float("nan"), float("inf"),
    "\u00e9\u0000\x1f\x7f\ud800\U0001f600\n\t\"\\/\u2028\u2029",
    {"a": {}, "b": [], "c": [[]], "d": [{}], "e": {"f": {"g": [None, True, 0]}}},
    {"\u00e9\n\"key\"\x00": ["\u2028", "\x00", ""]},
    {2: "int key", True: "bool key", False: "false key", None: "null key", 1.5: "float key"},  # the stdlib's key conversions
    {"nested": {2: 3}, "after": "x"},
    [(1, 2), (), {"tuple": ("x",)}],  # tuples: written as lists, by the stdlib
    OrderedDict([("b", 1), ("a", [OrderedDict()])]),  # a dict subclass
    {"deep": [[[[[[["x", 1, None, True, {"k": []}]]]]]]]},
]


@pytest.mark.parametrize("value", HOSTILE_VALUES, ids=range(len(HOSTILE_VALUES)))
def test_hostile_values_are_written_as_the_stdlib_writes_them(value):
    assert dumps(value) == stdlib(value)


class Label(str):
    pass


class Count(int):
    pass


def test_subclasses_of_str_and_int_are_written_as_the_stdlib_writes_them():
    import enum

    class Level(str, enum.Enum):
        HIGH = "HIGH"

    class Rank(enum.IntEnum):
        ONE = 1

    value = {"label": Label("x\u00e9"), "count": Count(7), "level": Level.HIGH, "rank": Rank.ONE,
             Label("key"): [Level.HIGH, Rank.ONE, Count(-3)]}
    assert dumps(value) == stdlib(value)


REFUSED = [{"x": object()}, [{1, 2}], {(1,): 2}, {"a": [1, b"x"]}, [10**5000]]  # the last: too many digits


@pytest.mark.parametrize("value", REFUSED, ids=range(len(REFUSED)))
def test_what_the_stdlib_refuses_is_refused_with_its_error(value):
    with pytest.raises((TypeError, ValueError)) as expected:
        stdlib(value)
    with pytest.raises(expected.type) as got:
        dumps(value)
    assert str(got.value) == str(expected.value)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES)
def test_any_json_value_is_written_as_the_stdlib_writes_it(value):
    assert dumps(value) == stdlib(value)


def test_a_json_scan_imports_neither_the_other_formats_nor_the_audit(tmp_path):
    """What a ``scan --format json`` run imports, in a fresh interpreter: the JSON writer, and
    not SARIF's, JUnit's or text's writer, the audit's modules (its parser included) or logging.
    ``--format sarif`` then does import its writer, so the check can fail."""
    (tmp_path / "t.yaml").write_text("Resources:\n  Repo: {Type: AWS::ECR::Repository}\n", encoding="utf-8")
    code = ("import sys, io, json, contextlib\n"
            "from dataperimeter_ecr_replicationguard.cli.main import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    main(sys.argv[1:])\n"
            "sys.stderr.write(json.dumps(sorted(sys.modules)))\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}

    def loaded(fmt: str) -> set[str]:
        result = subprocess.run([sys.executable, "-c", code, "scan", str(tmp_path), "--format", fmt],
                                env=env, capture_output=True, text=True, timeout=120, check=True)
        return set(json.loads(result.stderr))

    package = "dataperimeter_ecr_replicationguard.cli"
    json_run = loaded("json")
    assert f"{package}.output.json_format" in json_run
    unused = {f"{package}.output.sarif", f"{package}.output.junit", f"{package}.output.text", f"{package}.audit",
              f"{package}.audit_args", f"{package}.audit_run", f"{package}.audit_scope", "logging", "urllib.parse",
              "xml.etree.ElementTree", "cfnlint", "random"}
    assert json_run & unused == set()
    assert f"{package}.output.sarif" in loaded("sarif")
