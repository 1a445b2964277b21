"""The strict scalar readers (core/values.py) the checkers rely on."""

from __future__ import annotations

import json

import pytest

from dataperimeter_ecr_replicationguard.core.values import (
    is_account_id,
    is_dynamic_reference,
    is_intrinsic,
    is_region,
    mentioned_account_ids,
    shown,
    type_name,
)


@pytest.mark.parametrize("value", ["111111111111", "000000000000"])
def test_an_account_id_is_twelve_ascii_digits(value):
    assert is_account_id(value)


@pytest.mark.parametrize("value", [
    "11111111111", "1111111111111", "111111111111\n", " 111111111111", "11111111111a",
    "١١١١١١١١١١١١",  # Arabic-Indic digits: str.isdigit() says yes, an account ID they are not
    "１１１１１１１１１１１１",  # fullwidth digits
    111111111111, None, ["111111111111"],
])
def test_anything_else_is_not_an_account_id(value):
    assert not is_account_id(value)


@pytest.mark.parametrize("value, expected", [
    ("us-east-1", True), ("eu-central-2", True), ("us-gov-west-1", True), ("cn-northwest-1", True),
    ("ap-southeast-12", True),
    ("US-EAST-1", False), ("us-east", False), ("us-east-1\n", False), ("useast1", False), ("", False),
    ("us-" + "a" * 30 + "-1", False), (1, False), (None, False),
])
def test_regions(value, expected):
    assert is_region(value) is expected


def test_dynamic_references_and_intrinsics_are_told_apart_from_values():
    assert is_dynamic_reference("{{resolve:ssm:/ecr/destination}}")
    assert is_dynamic_reference("arn:aws:iam::{{resolve:ssm:/account}}:root")
    assert not is_dynamic_reference("111111111111") and not is_dynamic_reference({"Ref": "X"})
    assert is_intrinsic({"Ref": "DestinationAccount"})
    assert is_intrinsic({"Fn::Sub": "${AWS::AccountId}"})
    assert not is_intrinsic({"Ref": "X", "Extra": 1})  # two keys: an object, not a function
    assert not is_intrinsic({"Condition": "IsProd"}) and not is_intrinsic({1: "x"}) and not is_intrinsic("Ref")


def test_shown_escapes_and_cuts_what_came_from_the_input():
    assert shown("111111111111") == "'111111111111'"
    assert shown("１１１\u200b") == r"'\uff11\uff11\uff11\u200b'"  # look-alikes and hidden characters show
    long = shown("a" * 100)
    assert len(long) == 60 and long.endswith("...")
    assert shown("a" * 100, limit=20) == "'" + "a" * 16 + "..."
    assert shown(None) == "null" and shown(True) == "a boolean (true)" and shown(12) == "a number (12)"
    assert shown({"a": 1}) == "an object" and shown([1]) == "a list"


def test_type_name_names_the_json_type():
    assert [type_name(v) for v in ("x", None, False, 1.5, {}, [])] == [
        "a string", "null", "a boolean (false)", "a number (1.5)", "an object", "a list"]


def test_mentioned_account_ids_finds_every_twelve_digit_run_anywhere_in_a_value():
    policy = json.dumps({"Statement": [{"Principal": {"AWS": ["arn:aws:iam::222222222222:root"]},
                                        "Condition": {"StringEquals": {"aws:SourceAccount": "333333333333"}}}]})
    value = {
        "444444444444": "a key names an account too",
        "RepositoryPolicyText": policy,
        "Destinations": [{"RegistryId": "555555555555"}, {"RegistryId": 666666666666}],
        "Flag": True,
        "NotAnAccount": ["1234567890123", "12345678901", "x777777777777y"],
    }
    assert mentioned_account_ids(value) == {"222222222222", "333333333333", "444444444444", "555555555555",
                                            "666666666666", "777777777777"}
    assert mentioned_account_ids("111111111111,888888888888") == {"111111111111", "888888888888"}
    assert mentioned_account_ids(None) == frozenset() and mentioned_account_ids(True) == frozenset()


def test_mentioned_account_ids_walks_deep_values_without_recursion():
    deep: list = ["999999999999"]
    for _ in range(50_000):
        deep = [deep]
    assert mentioned_account_ids(deep) == {"999999999999"}
