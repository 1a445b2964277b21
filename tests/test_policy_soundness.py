"""Soundness of the policy perimeter against a reference IAM evaluator.

A PASS must mean what it says: no request from outside the trusted set is allowed. These
properties generate Repository policies (Allow and Deny, every principal form, the condition
traps) and concrete requests from outsiders (anonymous callers, roles of another account whose
path may hold ":", AWS services acting for another account), and evaluate each request with a
small, independent reading of the IAM rules (``allowed`` below: explicit Deny wins, conditions
ANDed across keys and ORed across values, IfExists/negated/ForAllValues true when the key is
absent, StringLike over the whole string, ArnLike field by field). Whenever the checker passes a
policy, no outsider request may be allowed by it.
"""

from __future__ import annotations

import ipaddress
import re

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dataperimeter_ecr_replicationguard.core import Trust, evaluate
from dataperimeter_ecr_replicationguard.core.policy import _wildcard_covers

TRUSTED, OTHER, ORG, OTHER_ORG = "111111111111", "999999999999", "o-a1b2c3d4e5", "o-zzzzzzzzzz"
TRUST = Trust(accounts=frozenset({TRUSTED}), organization_ids=frozenset({ORG}), partition="aws")
REPO_ARN = f"arn:aws:ecr:eu-west-1:{TRUSTED}:repository/repo"
ACTIONS = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:PutImage", "ecr:SetRepositoryPolicy"]
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- a reference reading of the IAM rules, for concrete requests --------------------------------

def glob(pattern: str, value: str, *, fold: bool = False) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.DOTALL | (re.IGNORECASE if fold else 0)) is not None


def arn_like(pattern: str, value: str) -> bool:
    p, v = pattern.split(":", 5), value.split(":", 5)
    return len(p) == len(v) == 6 and all(glob(a, b) for a, b in zip(p, v))


def ip_in(pattern: str, value: str) -> bool:
    try:
        return ipaddress.ip_address(value) in ipaddress.ip_network(pattern, strict=False)
    except ValueError:
        return False


POSITIVE = {
    "StringEquals": lambda p, v: p == v,
    "StringEqualsIgnoreCase": lambda p, v: p.lower() == v.lower(),
    "StringLike": glob,
    "ArnEquals": arn_like,
    "ArnLike": arn_like,
    "IpAddress": ip_in,
    "Bool": lambda p, v: p.lower() == v.lower(),
}
NEGATED = {"StringNotEquals": "StringEquals", "StringNotLike": "StringLike", "ArnNotLike": "ArnLike",
           "NotIpAddress": "IpAddress"}


def condition_true(operator: str, key: str, values: list, context: dict) -> bool:
    qualifier, _, name = operator.rpartition(":")
    if_exists = name.endswith("IfExists")
    name = name.removesuffix("IfExists")
    present = key.lower() in context
    if name == "Null":
        return all((v.lower() == "true") == (not present) for v in values)
    if not present:
        return if_exists or qualifier == "ForAllValues" or name in NEGATED
    found = context[key.lower()]
    found = found if isinstance(found, list) else [found]
    base = NEGATED.get(name, name)
    match = (lambda v: any(POSITIVE[base](str(p), v) for p in values))
    one = (lambda v: not match(v)) if name in NEGATED else match
    if qualifier == "ForAllValues":
        return all(one(v) for v in found)
    return any(one(v) for v in found)  # ForAnyValue, or a single-valued key


def principal_matches(element, caller: dict) -> bool:
    if element == "*":
        return True
    for kind, values in element.items():
        for value in values if isinstance(values, list) else [values]:
            if kind == "AWS" and (value == "*" or value in (caller.get("account"), caller.get("arn"))
                                  or value == f"arn:aws:iam::{caller.get('account')}:root"):
                return True
            if kind == "Service" and value == caller.get("service"):
                return True
    return False


def statement_applies(statement: dict, caller: dict, action: str) -> bool:
    if "Principal" in statement and not principal_matches(statement["Principal"], caller):
        return False
    if "NotPrincipal" in statement and principal_matches(statement["NotPrincipal"], caller):
        return False
    actions = statement.get("Action", statement.get("NotAction"))
    hit = any(glob(a, action, fold=True) for a in (actions if isinstance(actions, list) else [actions]))
    if hit != ("Action" in statement):
        return False
    if "NotResource" in statement and any(glob(r, REPO_ARN) for r in statement["NotResource"]):
        return False
    if "Resource" in statement and not any(glob(r, REPO_ARN) for r in statement["Resource"]):
        return False
    return all(condition_true(op, key, values, caller["context"])
               for op, block in statement.get("Condition", {}).items() for key, values in block.items())


def allowed(statements: list, caller: dict, action: str) -> bool:
    applies = [s for s in statements if statement_applies(s, caller, action)]
    return any(s["Effect"] == "Allow" for s in applies) and not any(s["Effect"] == "Deny" for s in applies)


# --- outsiders ------------------------------------------------------------------------------------

PATHS = st.lists(st.sampled_from(["x", "/", ":", TRUSTED, ORG, "role", "iam", "aws", "*"]), max_size=6).map("".join)


def role_caller(path: str, org: str | None) -> dict:
    arn = f"arn:aws:iam::{OTHER}:role/{path or 'r'}"
    context = {"aws:principalarn": arn, "aws:principalaccount": OTHER, "aws:sourceip": "203.0.113.7"}
    if org:
        context["aws:principalorgid"] = org
        context["aws:principalorgpaths"] = [f"{org}/r-zz99/{path}"]
    return {"account": OTHER, "arn": arn, "context": context}


ANONYMOUS = {"context": {"aws:sourceip": "10.1.2.3"}}
SERVICE = {"service": "lambda.amazonaws.com",
           "context": {"aws:sourceaccount": OTHER, "aws:sourcearn": f"arn:aws:lambda:us-east-1:{OTHER}:function:{TRUSTED}",
                       "aws:principalisawsservice": "true"}}
OUTSIDERS = st.one_of(st.just(ANONYMOUS), st.just(SERVICE),
                      st.builds(role_caller, PATHS, st.sampled_from([None, OTHER_ORG])))

# --- policies ------------------------------------------------------------------------------------

PRINCIPALS = st.sampled_from([
    "*", {"AWS": "*"}, {"AWS": TRUSTED}, {"AWS": OTHER}, {"AWS": f"arn:aws:iam::{OTHER}:root"},
    {"AWS": [TRUSTED, f"arn:aws:iam::{TRUSTED}:role/ci"]}, {"Service": "lambda.amazonaws.com"},
])
OPERATORS = st.sampled_from([
    "StringEquals", "StringLike", "StringEqualsIfExists", "StringNotEquals", "StringNotEqualsIfExists",
    "ForAllValues:StringEquals", "ForAnyValue:StringEquals", "ForAnyValue:StringLike", "ForAllValues:StringLike",
    "ArnLike", "ArnEquals", "StringEqualsIgnoreCase", "Null", "IpAddress", "NotIpAddress", "Bool",
])
KEYS = st.sampled_from(["aws:PrincipalOrgID", "aws:PrincipalAccount", "aws:PrincipalArn", "aws:PrincipalOrgPaths",
                        "aws:SourceAccount", "aws:SourceArn", "aws:SourceIp", "aws:PrincipalIsAWSService",
                        "AWS:PRINCIPALORGID"])
VALUES = st.sampled_from([
    ORG, OTHER_ORG, "o-*", "o-a1b2c3d4e5*", TRUSTED, OTHER, "1111111111?1", "*", "true", "false",
    f"arn:aws:iam::{TRUSTED}:role/*", f"arn:aws:iam:*:{TRUSTED}:*", f"arn:*:iam::{TRUSTED}:*",
    f"arn:aws:iam::{TRUSTED}:*", "arn:aws:iam::*:role/*", f"arn:aws:lambda:*:{TRUSTED}:function:*",
    f"arn:aws:lambda:us-east-1:{TRUSTED}:*", f"{ORG}/*", f"*/{ORG}/*", f"{ORG}/r-ab12/*", "10.0.0.0/8",
])
CONDITIONS = st.dictionaries(OPERATORS, st.dictionaries(KEYS, st.lists(VALUES, min_size=1, max_size=2),
                                                        min_size=1, max_size=2), max_size=2)
ACTION = st.sampled_from(["ecr:*", "*", "ecr:BatchGetImage", "ecr:Get*", "ecr:Batch?etImage", "ecr:Batch[G]*",
                          ["ecr:PutImage", "ecr:BatchGetImage"], "ecr:G?t*"])
RESOURCE = st.sampled_from([{}, {"Resource": "*"}, {"Resource": [REPO_ARN]}, {"NotResource": [REPO_ARN]},
                            {"NotResource": [f"arn:aws:ecr:eu-west-1:{TRUSTED}:repository/other"]}])


def statement(effect, principal, action, condition, resource, not_action, not_principal):
    out = {"Effect": effect, "NotPrincipal" if not_principal else "Principal": principal,
           "NotAction" if not_action else "Action": action, **resource}
    if condition:
        out["Condition"] = condition
    return out


ALLOWS = st.builds(statement, st.just("Allow"), PRINCIPALS, ACTION, CONDITIONS, RESOURCE,
                   st.booleans(), st.sampled_from([False] * 9 + [True]))
GUARD_CONDITIONS = st.one_of(CONDITIONS, st.sampled_from([
    {"StringNotEquals": {"aws:PrincipalOrgID": ORG}}, {"StringNotEquals": {"aws:PrincipalAccount": [TRUSTED]}},
    {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": [ORG]}},
    {"StringNotEquals": {"aws:PrincipalOrgID": ORG, "aws:PrincipalAccount": TRUSTED}},
]))
DENIES = st.builds(statement, st.just("Deny"), st.sampled_from(["*", {"AWS": "*"}, {"AWS": OTHER}]), ACTION,
                   GUARD_CONDITIONS, RESOURCE, st.sampled_from([False] * 4 + [True]), st.just(False))
POLICIES = st.lists(st.one_of(ALLOWS, DENIES), min_size=1, max_size=3)


def passes(statements: list) -> bool:
    policy = {"Version": "2012-10-17", "Statement": statements}
    return not evaluate("AWS::ECR::Repository", "Repo", {"RepositoryPolicyText": policy}, TRUST)


@SETTINGS
@given(POLICIES, OUTSIDERS, st.sampled_from(ACTIONS))
@example([{"Effect": "Allow", "Principal": "*", "Action": "ecr:*",
           "Condition": {"StringLike": {"aws:PrincipalArn": f"arn:aws:iam:*:{TRUSTED}:*"}}}],
         role_caller(f"x:{TRUSTED}:", None), "ecr:PutImage")
@example([{"Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage"},
          {"Effect": "Deny", "Principal": "*", "Action": "ecr:*", "NotResource": [REPO_ARN],
           "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": ORG}}}], ANONYMOUS, "ecr:BatchGetImage")
@example([{"Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage"},
          {"Effect": "Deny", "Principal": "*", "Action": "ecr:Batch[G]*",
           "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": ORG}}}], ANONYMOUS, "ecr:BatchGetImage")
def test_a_passing_policy_allows_no_outsider(statements, caller, action):
    if passes(statements):
        assert not allowed(statements, caller, action), (statements, caller, action)


def test_the_reference_evaluator_sees_the_traps():
    """The reference is not vacuous: it allows outsiders where the traps are, and not where pinned."""
    trap = [{"Effect": "Allow", "Principal": "*", "Action": "ecr:*",
             "Condition": {"StringLike": {"aws:PrincipalArn": f"arn:aws:iam:*:{TRUSTED}:*"}}}]
    assert allowed(trap, role_caller(f"x:{TRUSTED}:", None), "ecr:PutImage")
    if_exists = [{"Effect": "Allow", "Principal": "*", "Action": "ecr:*",
                  "Condition": {"StringEqualsIfExists": {"aws:PrincipalOrgID": ORG}}}]
    assert allowed(if_exists, ANONYMOUS, "ecr:BatchGetImage")
    pinned = [{"Effect": "Allow", "Principal": "*", "Action": "ecr:*",
               "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG}}}]
    assert not allowed(pinned, role_caller("r", OTHER_ORG), "ecr:BatchGetImage")
    assert not allowed(pinned, ANONYMOUS, "ecr:BatchGetImage")
    guarded = pinned[:0] + [{"Effect": "Allow", "Principal": "*", "Action": "ecr:*"},
                            {"Effect": "Deny", "Principal": "*", "Action": "ecr:*",
                             "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": ORG}}}]
    assert not allowed(guarded, SERVICE, "ecr:PutImage")


PATTERN = st.lists(st.sampled_from(["a", "b", ":", "*", "?"]), max_size=6).map("".join)


@settings(max_examples=400, deadline=None)
@given(PATTERN, PATTERN, st.lists(st.sampled_from(["", "a", "b", ":", "ab", "*"]), min_size=7, max_size=7))
def test_wildcard_cover_is_sound(guard, value, fillers):
    """If the guard pattern covers the value pattern, every string the value pattern matches,
    the guard pattern matches too (fill each * of the value with any text, each ? with one char)."""
    if not _wildcard_covers(guard, value):
        return
    it = iter(fillers)
    concrete = "".join(next(it, "") if c == "*" else (next(it, "a")[:1] or "a") if c == "?" else c for c in value)
    assert glob(guard, concrete), (guard, value, concrete)
