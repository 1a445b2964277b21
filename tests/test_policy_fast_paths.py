"""The fast paths of the policy reader (issue 20) give what the slow paths they skip would give.

- The size check writes the policy once with ``allow_nan=False``: that proves it holds no NaN or
  Infinity, so the walk that says where one is runs only when the write fails. The oracle below is
  the former order (walk first, then the compact size), run on hostile values.
- ECR's limit is counted on the compact JSON text, exactly, for an object and for text alike.
- An element-name test by one set test, a principal string read once (cached): the same answers.
"""

from __future__ import annotations

import json
import math

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dataperimeter_ecr_replicationguard.core import policy_document as pd
from dataperimeter_ecr_replicationguard.core import principals as pr
from dataperimeter_ecr_replicationguard.core.policy_document import MAX_POLICY_CHARACTERS, parse_policy
from strategies import json_values, scalars

GRANT = {"Effect": "Allow", "Principal": {"AWS": "111111111111"}, "Action": "ecr:BatchGetImage"}
NAN_MESSAGE = "the policy holds NaN or Infinity, which JSON does not allow and IAM rejects"
UNWRITABLE = "the policy cannot be written as JSON"


def former_size_step(value: dict) -> tuple[str, str, str] | None:
    """What the reader said before issue 20 about NaN and size (rule, path, message), or ``None``
    when it went on: the NaN walk first, then the length of json.dumps with separators."""
    where = pd._non_finite(value)
    if where is not None:
        return ("ECR-POLICY-MALFORMED", pd.pointer_join("/P", *pd._clean(where)), NAN_MESSAGE)
    try:
        size = len(json.dumps(value, separators=(",", ":")))
    except (TypeError, ValueError, RecursionError):
        return ("ECR-POLICY-MALFORMED", "/P", UNWRITABLE)
    if size > MAX_POLICY_CHARACTERS:
        return ("ECR-POLICY-TOO-LONG", "/P", f"the policy is {size} characters long; ECR accepts at most 10240")
    return None


def size_step(value: object) -> tuple[str, str, str] | None:
    """What the reader says now, restricted to the same step."""
    _, findings = parse_policy(value, "/P")
    said = [(f.rule_id, f.path, f.message) for f in findings
            if f.message in (NAN_MESSAGE, UNWRITABLE) or f.rule_id == "ECR-POLICY-TOO-LONG"]
    assert len(said) <= 1
    return said[0] if said else None


class Opaque:
    """A value no JSON encoder writes (as a custom loader could leave one)."""


non_finite = st.sampled_from([float("nan"), float("inf"), float("-inf")])
hostile_leaves = st.one_of(scalars, non_finite, st.just(Opaque()), st.tuples(non_finite), st.just(pd._NonFinite("NaN")))
hostile_values = st.recursive(
    hostile_leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.tuples(children),  # json.dumps writes a tuple, the NaN walk does not enter one
        st.dictionaries(st.one_of(st.text(max_size=8), st.integers(), st.floats(), st.booleans()), children, max_size=4),
    ),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(extra=hostile_values, where=st.sampled_from(["Id", "Sid", "Condition", "Statement"]))
def test_the_size_step_answers_as_the_walk_first_order_did(extra, where):
    value: dict = {"Version": "2012-10-17", "Statement": [dict(GRANT)]}
    if where == "Sid":
        value["Statement"][0]["Sid"] = extra
    elif where == "Condition":
        value["Statement"][0]["Condition"] = {"StringEquals": {"aws:PrincipalOrgID": extra}}
    else:
        value[where] = extra
    assert size_step(value) == former_size_step(value)


@settings(max_examples=200, deadline=None)
@given(extra=json_values, number=st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999", "1", "0.5"]))
def test_policy_text_with_nan_is_malformed_where_the_nan_is(extra, number):
    text = json.dumps({"Version": "2012-10-17", "Id": extra, "Statement": [GRANT]}, allow_nan=True)
    text = text.replace('"Version"', f'"Extra": {number}, "Version"', 1)
    assume("{{resolve:" not in text)  # text holding a dynamic reference is unresolved as a whole
    value = json.loads(text, object_pairs_hook=pd._no_duplicate_keys, parse_constant=pd._NonFinite)
    assert size_step(text) == former_size_step(value)
    if number in ("NaN", "Infinity", "-Infinity", "1e999") or any(
            isinstance(v, float) and not math.isfinite(v) for v in _leaves(extra)):
        assert size_step(text) is not None and size_step(text)[2] == NAN_MESSAGE


def _leaves(value: object) -> list[object]:
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]


def _object_of_size(size: int, sid_char: str = "x") -> dict:
    """A policy whose compact JSON text is exactly ``size`` characters (its Sid made of ``sid_char``,
    and of "x" for what a whole ``sid_char`` does not fill)."""
    value = {"Version": "2012-10-17", "Statement": [dict(GRANT, Sid="")]}
    base = len(json.dumps(value, separators=(",", ":")))
    width = len(json.dumps(sid_char)) - 2  # "é" is written \u00e9: six characters
    value["Statement"][0]["Sid"] = sid_char * ((size - base) // width) + "x" * ((size - base) % width)
    assert len(json.dumps(value, separators=(",", ":"))) == size
    return value


def test_the_limit_on_an_object_is_exact_on_its_compact_text():
    policy, findings = parse_policy(_object_of_size(MAX_POLICY_CHARACTERS), "/P")
    assert policy is not None and findings == []
    _, findings = parse_policy(_object_of_size(MAX_POLICY_CHARACTERS + 1), "/P")
    assert [(f.rule_id, f.subject) for f in findings] == [("ECR-POLICY-TOO-LONG", "10241 characters")]


def test_text_under_the_limit_whose_compact_form_is_over_it_is_too_long():
    """ECR counts the text as JSON writes it (non-ASCII as \\uXXXX): a Sid of 1,685 "é" is
    written in 10,110 characters."""
    text = json.dumps(_object_of_size(MAX_POLICY_CHARACTERS + 1, sid_char="\u00e9"), ensure_ascii=False)
    assert len(text) < MAX_POLICY_CHARACTERS
    _, findings = parse_policy(text, "/P")
    assert [(f.rule_id, f.subject) for f in findings] == [("ECR-POLICY-TOO-LONG", "10241 characters")]
    at_limit = json.dumps(_object_of_size(MAX_POLICY_CHARACTERS, sid_char="\u00e9"), ensure_ascii=False)
    assert len(at_limit) < MAX_POLICY_CHARACTERS
    policy, findings = parse_policy(at_limit, "/P")
    assert policy is not None and findings == []


def former_misspelt(raw: dict, elements: dict[str, str]) -> str:
    for key in raw:
        if isinstance(key, str) and key.lower() in elements and key != elements[key.lower()]:
            return key
    return ""


element_keys = st.one_of(
    st.sampled_from(sorted(pd._STATEMENT_ELEMENTS.values()) + sorted(pd._POLICY_ELEMENTS.values())),
    st.sampled_from(["principal", "EFFECT", "Notaction", "sid", "statement", "ID", "version", "Action "]),
    st.text(max_size=6), st.integers(), st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(keys=st.lists(element_keys, max_size=8))
def test_a_misspelt_element_is_found_as_the_walk_found_it(keys):
    raw = dict.fromkeys(keys, 1)
    for elements, spelt in ((pd._STATEMENT_ELEMENTS, pd._STATEMENT_SPELT), (pd._POLICY_ELEMENTS, pd._POLICY_SPELT)):
        assert pd._misspelt(raw, elements, spelt) == former_misspelt(raw, elements)


principal_strings = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["*", "111111111111", "arn:aws:iam::111111111111:root", "arn:aws-cn:iam::111111111111:role/r",
                     "arn:aws:iam::111111111111:role/*", "AROAABCDEFGHIJKLMNOP", "{{resolve:ssm:/p}}",
                     "ecr.amazonaws.com", "Ecr.amazonaws.com", "arn:aws:iam::１１１１１１１１１１１１:root"]),
)


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(pr.KINDS), value=principal_strings)
def test_a_cached_principal_is_the_principal_read_afresh(kind, value):
    read_twice = (pr._one(kind, value), pr._one(kind, value))
    assert read_twice[0] == read_twice[1] == pr._named.__wrapped__(kind, value)
    assert pr.principals({kind: [value, value]}) == (read_twice[0], read_twice[0])
