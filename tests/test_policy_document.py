"""core/policy_document.py: the policy model is read strictly, once; what it cannot represent
exactly is a finding with the place it is at (the check fails closed)."""

from __future__ import annotations

import json

import pytest

from dataperimeter_ecr_replicationguard.core.policy_document import (
    MAX_POLICY_CHARACTERS,
    Condition,
    operator_problem,
    parse_policy,
)

MALFORMED, TOO_LONG, UNRESOLVED = "ECR-POLICY-MALFORMED", "ECR-POLICY-TOO-LONG", "ECR-POLICY-UNRESOLVED"
GRANT = {"Effect": "Allow", "Principal": {"AWS": "111111111111"}, "Action": "ecr:BatchGetImage"}


def policy(*statements: object) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def statement(**changes: object) -> dict:
    out = dict(GRANT)
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def problems(value: object) -> list[tuple[str, str]]:
    parsed, findings = parse_policy(value, "/P")
    assert (parsed is None) or all(f.rule_id == MALFORMED for f in findings)
    return [(f.rule_id, f.path) for f in findings]


def test_no_policy_is_no_finding_and_a_plain_one_reads():
    assert parse_policy(None, "/P") == (None, [])
    parsed, findings = parse_policy(policy(GRANT), "/P")
    assert findings == [] and parsed is not None
    (only,) = parsed.statements
    assert (only.effect, only.actions, only.resources, only.path) == ("Allow", ("ecr:BatchGetImage",), None,
                                                                     "/P/Statement/0")


def test_text_and_object_read_the_same():
    as_object, _ = parse_policy(policy(GRANT), "/P")
    as_text, _ = parse_policy(json.dumps(policy(GRANT)), "/P")
    assert as_object == as_text


@pytest.mark.parametrize("value, expected", [
    ("{", [(MALFORMED, "/P")]),
    ('{"Statement": [], "Statement": []}', [(MALFORMED, "/P")]),  # a duplicate key
    ("[" * 5_000 + "]" * 5_000, [(MALFORMED, "/P")]),  # nested too deeply
    ("[]", [(MALFORMED, "/P")]),
    (5, [(MALFORMED, "/P")]),
    ([GRANT], [(MALFORMED, "/P")]),
    ({"Version": "2012-10-17"}, [(MALFORMED, "/P/Statement")]),
    (policy(), [(MALFORMED, "/P/Statement")]),
    ({"Statement": "x"}, [(MALFORMED, "/P/Statement")]),
    ({"statement": [GRANT]}, [(MALFORMED, "/P/statement")]),  # an element name in another case
    ({"Statement": [GRANT], "STATEMENT": []}, [(MALFORMED, "/P/STATEMENT")]),
])
def test_a_policy_that_is_not_one_object_of_statements_is_malformed(value, expected):
    assert problems(value) == expected


@pytest.mark.parametrize("text, where", [
    ('{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:*", "Condition": '
     '{"NumericLessThan": {"aws:MultiFactorAuthAge": NaN}}}]}',
     "/P/Statement/0/Condition/NumericLessThan/aws:MultiFactorAuthAge"),
    ('{"Statement": [], "Id": Infinity}', "/P/Id"),
    ('{"Statement": [], "Id": -Infinity}', "/P/Id"),
])
def test_nan_and_infinity_are_malformed_where_they_are(text, where):
    assert problems(text) == [(MALFORMED, where)]


def test_a_non_finite_number_in_an_object_is_malformed_too():
    assert problems({"Statement": [statement(Sid=float("nan"))]}) == [(MALFORMED, "/P/Statement/0/Sid")]


def test_too_long_text_or_object_is_too_long():
    assert [f.rule_id for f in parse_policy(" " * (MAX_POLICY_CHARACTERS + 1), "/P")[1]] == [TOO_LONG]
    big = policy(*[statement(Sid=f"S{i}") for i in range(200)])
    assert len(json.dumps(big, separators=(",", ":"))) > MAX_POLICY_CHARACTERS
    assert [f.rule_id for f in parse_policy(big, "/P")[1]] == [TOO_LONG]


@pytest.mark.parametrize("value", [{"Ref": "Policy"}, {"Fn::Sub": "x"}, "{{resolve:ssm:policy}}"])
def test_an_unresolved_policy_is_unresolved(value):
    parsed, findings = parse_policy(value, "/P")
    assert parsed is None and [(f.rule_id, f.category.value) for f in findings] == [(UNRESOLVED, "unresolved")]


@pytest.mark.parametrize("raw, where", [
    ("x", "/P/Statement/0"),
    (statement(Effect="allow"), "/P/Statement/0/Effect"),
    (statement(Effect=None), "/P/Statement/0/Effect"),
    (statement(effect="Allow"), "/P/Statement/0/effect"),
    (statement(NotPrincipal={"AWS": "111111111111"}), "/P/Statement/0"),  # both
    (statement(Principal=None), "/P/Statement/0"),  # neither
    (statement(NotAction="ecr:*"), "/P/Statement/0"),
    (statement(Action=None), "/P/Statement/0"),
    (statement(Action=[]), "/P/Statement/0/Action"),
    (statement(Action=5), "/P/Statement/0/Action"),
    (statement(Action=["ecr:*", 5]), "/P/Statement/0/Action"),
    (statement(Resource=5), "/P/Statement/0/Resource"),
    (statement(Resource=[]), "/P/Statement/0/Resource"),
    (statement(NotResource=[]), "/P/Statement/0/NotResource"),
    (statement(Condition="x"), "/P/Statement/0/Condition"),
    (statement(Condition={"StringEquals": "x"}), "/P/Statement/0/Condition/StringEquals"),
    (statement(Condition={"StringEquals": {}}), "/P/Statement/0/Condition/StringEquals"),
    (statement(Condition={"StringEquals": {"aws:PrincipalOrgID": {"a": 1}}}), "/P/Statement/0/Condition/StringEquals"),
    (statement(Condition={"StringEquals": {"aws:PrincipalOrgID": []}}), "/P/Statement/0/Condition/StringEquals"),
    (statement(Condition={"StringEquals": {"aws:PrincipalOrgID": "o-1", "AWS:PRINCIPALORGID": "o-2"}}),
     "/P/Statement/0/Condition/StringEquals"),
    (statement(Condition={"stringequals": {"aws:PrincipalOrgID": "o-1"}}), "/P/Statement/0/Condition/stringequals"),
])
def test_every_malformed_statement_shape_is_malformed_at_its_place(raw, where):
    assert problems(policy(raw)) == [(MALFORMED, where)]


def test_a_malformed_statement_does_not_hide_the_others():
    parsed, findings = parse_policy(policy("x", GRANT), "/P")
    assert [f.path for f in findings] == ["/P/Statement/0"]
    assert parsed is not None and [s.index for s in parsed.statements] == [1]


@pytest.mark.parametrize("operator", [
    "StringEquals", "StringNotEqualsIgnoreCase", "ForAnyValue:StringLike", "ForAllValues:StringNotLike",
    "StringEqualsIfExists", "ForAnyValue:ArnLikeIfExists", "NumericLessThan", "DateGreaterThan", "Bool",
    "BinaryEquals", "IpAddress", "NotIpAddress", "ArnNotEquals", "Null",
])
def test_operators_iam_knows(operator):
    assert operator_problem(operator) == ""


@pytest.mark.parametrize("operator, problem", [
    ("stringequals", "is not a condition operator"),
    ("StringEqual", "is not a condition operator"),
    ("forallvalues:StringEquals", "set qualifier"),
    ("ForEach:StringEquals", "set qualifier"),
    (":StringEquals", "set qualifier"),
    ("NullIfExists", "Null takes neither"),
    ("ForAnyValue:Null", "Null takes neither"),
    ("StringEqualsIfexists", "is not a condition operator"),
])
def test_operators_iam_does_not_know(operator, problem):
    assert problem in operator_problem(operator)


def test_a_condition_entry_knows_its_grammar():
    entry = Condition("ForAnyValue:StringNotLikeIfExists", "aws:principalorgpaths", ("o-1/*",))
    assert (entry.qualifier, entry.base, entry.if_exists, entry.negated) == (
        "ForAnyValue", "StringNotLike", True, True)
    plain = Condition("StringEquals", "aws:principalorgid", ("o-1",))
    assert (plain.qualifier, plain.base, plain.if_exists, plain.negated) == ("", "StringEquals", False, False)


def test_condition_keys_are_lower_cased_and_values_kept_as_strings():
    parsed, _ = parse_policy(policy(statement(Condition={
        "StringEquals": {"AWS:PrincipalOrgID": ["o-AbC", {"Ref": "Org"}]}, "Bool": {"aws:SecureTransport": True},
        "NumericLessThan": {"aws:MultiFactorAuthAge": 300}})), "/P")
    assert parsed is not None
    entries = {c.key: c for c in parsed.statements[0].conditions}
    assert entries["aws:principalorgid"].values == ("o-AbC",) and entries["aws:principalorgid"].unresolved
    assert entries["aws:securetransport"].values == ("true",)
    assert entries["aws:multifactorauthage"].values == ("300",)
    assert "Condition" in parsed.statements[0].unresolved


def test_principals_are_parsed_with_the_document():
    parsed, _ = parse_policy(policy(
        statement(Principal={"AWS": ["111111111111", "arn:aws-cn:iam::222222222222:role/r", {"Ref": "A"}],
                             "Service": "lambda.amazonaws.com"}),
        statement(Principal=None, NotPrincipal={"AWS": "111111111111"}, Effect="Deny"),
        statement(Principal="*"),
    ), "/P")
    assert parsed is not None
    first, second, third = parsed.statements
    assert first.principal is not None and first.not_principal is None
    assert [(p.kind, p.account, p.partition) for p in first.principal] == [
        ("account", "111111111111", ""), ("account", "222222222222", "aws-cn"), ("unresolved", "", ""),
        ("service", "", "")]
    assert second.principal is None and second.not_principal is not None
    assert [p.text for p in second.not_principal] == ["111111111111"]
    assert third.principal is not None and [p.kind for p in third.principal] == ["*"]


def test_a_null_not_principal_is_an_invalid_principal_never_everyone_but_none():
    parsed, _ = parse_policy(policy(statement(Principal=None, NotPrincipal="x") | {"NotPrincipal": None}), "/P")
    assert parsed is not None
    (only,) = parsed.statements
    assert only.not_principal is None and only.principal is not None
    assert [p.kind for p in only.principal] == ["invalid"]


def test_an_unresolved_statement_is_kept_and_marked():
    parsed, findings = parse_policy(policy({"Fn::If": ["C", GRANT, {"Ref": "AWS::NoValue"}]}, GRANT), "/P")
    assert findings == [] and parsed is not None
    assert parsed.statements[0].unresolved == frozenset({"Statement"})
    assert parsed.statements[1].unresolved == frozenset()


def test_an_allows_fn_sub_resource_is_kept_as_the_wildcard_of_every_value_it_can_take():
    parsed, _ = parse_policy(policy(statement(
        Resource={"Fn::Sub": "arn:aws:ecr:${AWS::Region}:111111111111:repository/${Name}-x"})), "/P")
    assert parsed is not None
    (only,) = parsed.statements
    assert only.resources == ("arn:aws:ecr:*:111111111111:repository/*-x",) and only.approximate_resources


def test_not_resource_reads_as_every_resource_with_its_exceptions():
    parsed, _ = parse_policy(policy(statement(NotResource="arn:aws:ecr:*:111111111111:repository/x")), "/P")
    assert parsed is not None
    (only,) = parsed.statements
    assert only.resources == ("*",) and only.not_resources == ("arn:aws:ecr:*:111111111111:repository/x",)
