"""Soundness of the policy perimeter against a reference IAM evaluator.

A PASS must mean what it says: no request from outside the trusted set is allowed. These
properties generate Repository policies (Allow and Deny, every principal form, the condition
traps) and concrete requests from outsiders (anonymous callers, roles of another account whose
path may hold ":", AWS services acting for another account), and evaluate each request with a
small, independent reading of the IAM rules (``allowed`` below: explicit Deny wins, conditions
ANDed across keys and ORed across values, IfExists/negated/ForAllValues true when the key is
absent, StringLike over the whole string, ArnLike field by field). Whenever the checker passes a
policy, no outsider request may be allowed by it.

Issue 12 extends the reading and the generators: both namespaces (a request to a private repository
is an ``ecr:`` action, to a public one an ``ecr-public:`` action; pulls from a public repository are
public by design and not asked), ``NotAction`` and ``Action: "*"`` in Allow and Deny, ``NotPrincipal``
Deny guards, several Deny statements, and every guard spelling (StringNotLike, the IgnoreCase
operators, ArnNotLike, ForAllValues:StringNotLike on aws:PrincipalOrgPaths), with their near misses.
A second property checks that unresolved values never hide a decided violation: when the checker
fails a policy with unresolved values as a violation, every resolution of it fails too.
"""

from __future__ import annotations

import ipaddress
import re

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dataperimeter_ecr_replicationguard.core import Category, Trust, evaluate
from dataperimeter_ecr_replicationguard.core.policy import _overlap, _wildcard_covers
from strategies import paths, put

TRUSTED, OTHER, ORG, OTHER_ORG = "111111111111", "999999999999", "o-a1b2c3d4e5", "o-zzzzzzzzzz"
TRUST = Trust(accounts=frozenset({TRUSTED}), organization_ids=frozenset({ORG}), partition="aws")
REPO_ARN = f"arn:aws:ecr:eu-west-1:{TRUSTED}:repository/repo"
PUBLIC_REPO_ARN = f"arn:aws:ecr-public::{TRUSTED}:repository/repo"
ACTIONS = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:PutImage", "ecr:SetRepositoryPolicy"]
# the requests an outsider can make of each type (pulls from a public repository are public by design)
REQUESTS = {
    "AWS::ECR::Repository": ("RepositoryPolicyText", REPO_ARN, ACTIONS + ["ecr:DeleteRepository"]),
    "AWS::ECR::PublicRepository": ("RepositoryPolicyText", PUBLIC_REPO_ARN,
                                   ["ecr-public:PutImage", "ecr-public:InitiateLayerUpload",
                                    "ecr-public:SetRepositoryPolicy", "ecr-public:DeleteRepository"]),
}
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
    "NumericLessThan": lambda p, v: float(v) < float(p),
    "StringLike": glob,
    "ArnEquals": arn_like,
    "ArnLike": arn_like,
    "IpAddress": ip_in,
    "Bool": lambda p, v: p.lower() == v.lower(),
}
NEGATED = {"StringNotEquals": "StringEquals", "StringNotLike": "StringLike", "ArnNotLike": "ArnLike",
           "ArnNotEquals": "ArnEquals", "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
           "NotIpAddress": "IpAddress"}


def condition_true(operator: str, key: str, values: list, context: dict) -> bool:
    qualifier, _, name = operator.rpartition(":")
    if_exists = name.endswith("IfExists")
    name = name.removesuffix("IfExists")
    present = key.lower() in context
    if name == "Null":
        return all((v.lower() == "true") == (not present) for v in values)
    if not present:
        # a set qualifier decides for an absent (empty) key: ForAllValues is true, ForAnyValue false
        if qualifier == "ForAnyValue":
            return if_exists
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


def statement_applies(statement: dict, caller: dict, action: str, resource: str = REPO_ARN) -> bool:
    if "Principal" in statement and not principal_matches(statement["Principal"], caller):
        return False
    if "NotPrincipal" in statement and principal_matches(statement["NotPrincipal"], caller):
        return False
    actions = statement.get("Action", statement.get("NotAction"))
    hit = any(glob(a, action, fold=True) for a in (actions if isinstance(actions, list) else [actions]))
    if hit != ("Action" in statement):
        return False
    if "NotResource" in statement and any(glob(r, resource) for r in statement["NotResource"]):
        return False
    if "Resource" in statement and not any(glob(r, resource) for r in statement["Resource"]):
        return False
    return all(condition_true(op, key, values, caller["context"])
               for op, block in statement.get("Condition", {}).items() for key, values in block.items())


def allowed(statements: list, caller: dict, action: str, resource: str = REPO_ARN) -> bool:
    """Explicit Deny wins; otherwise some Allow must apply. (The namespace is in ``action``: a
    request to a private repository is an ecr: action, so an ecr-public: pattern never matches it.)"""
    applies = [s for s in statements if statement_applies(s, caller, action, resource)]
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
    "*", {"AWS": "*"}, {"AWS": ["*"]}, {"AWS": TRUSTED}, {"AWS": OTHER}, {"AWS": f"arn:aws:iam::{OTHER}:root"},
    {"AWS": f"arn:aws:iam::{OTHER}:role/r"}, {"AWS": [TRUSTED, f"arn:aws:iam::{TRUSTED}:role/ci"]},
    {"Service": "lambda.amazonaws.com"},
])
OPERATORS = st.sampled_from([
    "StringEquals", "StringLike", "StringEqualsIfExists", "StringNotEquals", "StringNotEqualsIfExists",
    "ForAllValues:StringEquals", "ForAnyValue:StringEquals", "ForAnyValue:StringLike", "ForAllValues:StringLike",
    "ArnLike", "ArnEquals", "StringEqualsIgnoreCase", "Null", "IpAddress", "NotIpAddress", "Bool",
    "StringNotLike", "StringNotEqualsIgnoreCase", "ArnNotLike", "ForAllValues:StringNotLike",
    "ForAnyValue:StringNotLike", "forallvalues:StringEquals", "stringequals",  # the last two: IAM rejects them
])
KEYS = st.sampled_from(["aws:PrincipalOrgID", "aws:PrincipalAccount", "aws:PrincipalArn", "aws:PrincipalOrgPaths",
                        "aws:SourceAccount", "aws:SourceArn", "aws:SourceIp", "aws:PrincipalIsAWSService",
                        "AWS:PRINCIPALORGID"])
VALUES = st.sampled_from([
    ORG, OTHER_ORG, "o-*", "o-a1b2c3d4e5*", TRUSTED, OTHER, "1111111111?1", "*", "true", "false", ORG.upper(),
    f"arn:aws:iam::{TRUSTED}:role/*", f"arn:aws:iam:*:{TRUSTED}:*", f"arn:*:iam::{TRUSTED}:*",
    f"arn:aws:iam::{TRUSTED}:*", "arn:aws:iam::*:role/*", f"arn:aws:lambda:*:{TRUSTED}:function:*",
    f"arn:aws:lambda:*:{TRUSTED}:*", f"arn:aws:lambda:us-east-?:{TRUSTED}:*",
    f"arn:aws:lambda:us-east-1:{TRUSTED}:*", f"{ORG}/*", f"*/{ORG}/*", f"{ORG}/r-ab12/*", "o-*/*", "10.0.0.0/8",
])
CONDITIONS = st.dictionaries(OPERATORS, st.dictionaries(KEYS, st.lists(VALUES, min_size=1, max_size=2),
                                                        min_size=1, max_size=2), max_size=2)
# both namespaces, NotAction lists, Action "*", and the IAM wildcards
ACTION = st.sampled_from(["ecr:*", "*", "ecr:BatchGetImage", "ecr:Get*", "ecr:Batch?etImage", "ecr:Batch[G]*",
                          ["ecr:PutImage", "ecr:BatchGetImage"], "ecr:G?t*", "ecr:Put*", "ecr-public:*",
                          "ecr-public:PutImage", ["ecr-public:*", "ecr:PutImage"], ["ecr:*", "ecr-public:*"],
                          "ecr*", ["ecr-public:PutImage", "ecr-public:InitiateLayerUpload"], "ecr:DeleteRepository"])
RESOURCE = st.sampled_from([{}, {"Resource": "*"}, {"Resource": [REPO_ARN]}, {"NotResource": [REPO_ARN]},
                            {"NotResource": [f"arn:aws:ecr:eu-west-1:{TRUSTED}:repository/other"]},
                            {"Resource": [PUBLIC_REPO_ARN]}])


def statement(effect, principal, action, condition, resource, not_action, not_principal):
    out = {"Effect": effect, "NotPrincipal" if not_principal else "Principal": principal,
           "NotAction" if not_action else "Action": action, **resource}
    if condition:
        out["Condition"] = condition
    return out


ALLOWS = st.builds(statement, st.just("Allow"), PRINCIPALS, ACTION, CONDITIONS, RESOURCE,
                   st.booleans(), st.sampled_from([False] * 9 + [True]))
# every guard spelling, and the near misses beside them
GUARD_SPELLINGS = st.sampled_from([
    {"StringNotEquals": {"aws:PrincipalOrgID": ORG}}, {"StringNotEquals": {"aws:PrincipalAccount": [TRUSTED]}},
    {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": [ORG]}},
    {"StringNotEquals": {"aws:PrincipalOrgID": ORG, "aws:PrincipalAccount": TRUSTED}},
    {"StringNotLike": {"aws:PrincipalOrgID": ORG}}, {"StringNotLike": {"aws:PrincipalOrgID": "o-*"}},
    {"StringNotLike": {"aws:PrincipalAccount": "1111111111?1"}},
    {"StringNotEqualsIgnoreCase": {"aws:PrincipalOrgID": ORG.upper()}},
    {"StringNotEqualsIgnoreCase": {"aws:PrincipalOrgID": OTHER_ORG}},
    {"ForAllValues:StringNotLike": {"aws:PrincipalOrgPaths": [f"{ORG}/*"]}},
    {"ForAllValues:StringNotLike": {"aws:PrincipalOrgPaths": ["o-*/*"]}},
    {"ForAnyValue:StringNotLike": {"aws:PrincipalOrgPaths": [f"{ORG}/*"]}},
    {"StringNotLike": {"aws:PrincipalOrgPaths": [f"{ORG}/*"]}},
    {"ArnNotLike": {"aws:PrincipalArn": f"arn:aws:iam::{TRUSTED}:*"}},
    {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/admin"}},
    {"StringNotLike": {"aws:PrincipalArn": f"arn:aws:iam:*:{TRUSTED}:*"}},
    {"StringNotEquals": {"aws:SourceAccount": TRUSTED}},
])
GUARD_CONDITIONS = st.one_of(CONDITIONS, GUARD_SPELLINGS)
GUARD_PRINCIPALS = st.sampled_from(["*", {"AWS": "*"}, {"AWS": ["*"]}, {"AWS": OTHER}])
NOT_PRINCIPALS = st.sampled_from([{"AWS": [TRUSTED]}, {"AWS": [TRUSTED, f"arn:aws:iam::{TRUSTED}:root"]},
                                  {"AWS": [TRUSTED, OTHER]}, {"AWS": TRUSTED, "Service": "lambda.amazonaws.com"},
                                  {"AWS": f"arn:aws:iam::{TRUSTED}:role/ci"}])
DENIES = st.one_of(
    st.builds(statement, st.just("Deny"), GUARD_PRINCIPALS, ACTION, GUARD_CONDITIONS, RESOURCE,
              st.sampled_from([False] * 3 + [True]), st.just(False)),
    st.builds(statement, st.just("Deny"), NOT_PRINCIPALS, ACTION, st.sampled_from([{}, {}, {"Bool": {"aws:x": "true"}}]),
              RESOURCE, st.sampled_from([False] * 3 + [True]), st.just(True)),
)
# the data-perimeter pattern, often: grants with no pin, and one or more Deny guards spelt right,
# on actions of either namespace (what a guard covers depends on the namespace of the resource)
GUARD_ACTION = st.sampled_from(["ecr:*", "*", "ecr-public:*", ["ecr-public:*", "ecr:PutImage"],
                                ["ecr:*", "ecr-public:*"], "ecr:Put*", "ecr-public:PutImage", "ecr:DeleteRepository"])
GUARDED = st.builds(lambda allow, denies: [allow] + denies,
                    st.builds(statement, st.just("Allow"), PRINCIPALS, ACTION, st.just({}), RESOURCE,
                              st.booleans(), st.just(False)),
                    st.lists(st.builds(statement, st.just("Deny"), GUARD_PRINCIPALS, GUARD_ACTION, GUARD_SPELLINGS,
                                       st.sampled_from([{}, {}, {"Resource": "*"}]),
                                       st.sampled_from([False, False, True]), st.just(False)),
                             min_size=1, max_size=3))
POLICIES = st.one_of(st.lists(st.one_of(ALLOWS, DENIES), min_size=1, max_size=4), GUARDED)
TYPES = st.sampled_from(sorted(REQUESTS))


def passes(statements: list, resource_type: str = "AWS::ECR::Repository") -> bool:
    return not findings_of(statements, resource_type)


def findings_of(statements: list, resource_type: str = "AWS::ECR::Repository") -> list:
    policy = {"Version": "2012-10-17", "Statement": statements}
    return evaluate(resource_type, "Repo", {REQUESTS[resource_type][0]: policy}, TRUST)


@SETTINGS
@given(POLICIES, OUTSIDERS, TYPES, st.integers(min_value=0, max_value=4))
@example([{"Effect": "Allow", "Principal": "*", "NotAction": "ecr:DeleteRepository"},
          {"Effect": "Deny", "Principal": "*", "Action": "ecr-public:*",
           "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": ORG}}}],
         ANONYMOUS, "AWS::ECR::Repository", 2)
def test_a_passing_policy_allows_no_outsider_in_either_namespace(statements, caller, resource_type, pick):
    _, resource, actions = REQUESTS[resource_type]
    action = actions[pick % len(actions)]
    if passes(statements, resource_type):
        assert not allowed(statements, caller, action, resource), (statements, caller, action)


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


# --- unresolved values never hide a decided violation -------------------------------------------

def _unresolvable(tree) -> list[tuple]:
    """Places a template could leave unresolved: a statement, its Effect, Principal values, Action,
    Resource items, a Condition block, an operator's block, condition values."""
    out = []
    for path in paths(tree):
        if len(path) < 2:
            continue
        top = path[1] if len(path) > 1 else None
        if len(path) == 1 or (len(path) == 2) or top in ("Effect", "Action", "NotAction", "Resource", "Condition",
                                                         "NotPrincipal", "Principal"):
            out.append(path)
    return out + [(i,) for i in range(len(tree))]


PINS = st.sampled_from([
    {"StringEquals": {"aws:PrincipalOrgID": ORG}}, {"StringEquals": {"aws:PrincipalAccount": [TRUSTED]}},
    {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{TRUSTED}:role/*"}},
    {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": [f"{ORG}/*"]}},
    {"StringEquals": {"aws:SourceAccount": TRUSTED}},
])
# grants held inside by a pin: resolving their unresolved parts may well make them pass
PINNED = st.lists(st.builds(statement, st.just("Allow"), PRINCIPALS, ACTION, PINS, RESOURCE, st.booleans(),
                            st.just(False)), min_size=1, max_size=2)


@st.composite
def unresolved_policies(draw):
    """A concrete policy, and the same policy with one to three places replaced by intrinsics."""
    statements = draw(st.one_of(POLICIES, PINNED))
    masked = statements
    for n in range(draw(st.integers(min_value=1, max_value=3))):
        places = [p for p in _unresolvable(masked) if not _inside_intrinsic(masked, p)]
        if not places:
            break
        path = draw(st.sampled_from(places))
        masked = put(masked, path, {"Ref": f"P{n}"} if draw(st.booleans()) else {"Fn::GetAtt": [f"R{n}", "Arn"]})
    return statements, masked


def _inside_intrinsic(tree, path) -> bool:
    node = tree
    for part in path:
        if isinstance(node, dict) and len(node) == 1 and (("Ref" in node) or any(k.startswith("Fn::") for k in node)):
            return True
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return True
    return False


def resolutions(masked, concrete, draw_values):
    """The concrete policy is one resolution of the masked one; others put pool values in."""
    yield concrete
    for value in draw_values:
        yield _resolve(masked, value)


def _resolve(tree, value):
    if isinstance(tree, dict):
        if len(tree) == 1 and ("Ref" in tree or "Fn::GetAtt" in tree):
            return value
        return {k: _resolve(v, value) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_resolve(v, value) for v in tree]
    return tree


RESOLVED_VALUES = [OTHER, TRUSTED, ORG, "*", "ecr:*", "Allow", "Deny", REPO_ARN, f"arn:aws:iam::{OTHER}:root"]


@SETTINGS
@given(unresolved_policies(), TYPES)
@example(([{"Effect": "Allow", "Principal": {"AWS": OTHER}, "Action": "ecr:PutImage", "Resource": REPO_ARN}],
          [{"Effect": "Allow", "Principal": {"AWS": OTHER}, "Action": "ecr:PutImage",
            "Resource": {"Fn::GetAtt": ["Repo", "Arn"]}}]), "AWS::ECR::Repository")
def test_resolving_an_unresolved_value_never_turns_a_violation_into_a_pass(case, resource_type):
    concrete, masked = case
    found = findings_of(masked, resource_type)
    if not any(f.category is Category.VIOLATION for f in found):
        return
    for resolved in resolutions(masked, concrete, RESOLVED_VALUES):
        assert not passes(resolved, resource_type), (masked, resolved, [f.message for f in found])


def test_the_unresolved_property_is_not_vacuous():
    """A literal foreign account fails as a violation beside an unresolved Resource; an unresolved
    org pin leaves it undecided (not a violation)."""
    base = {"Effect": "Allow", "Principal": {"AWS": OTHER}, "Action": "ecr:PutImage"}
    decided = findings_of([{**base, "Resource": {"Fn::GetAtt": ["Repo", "Arn"]}}])
    assert [f.category for f in decided] == [Category.VIOLATION]
    undecided = findings_of([{**base, "Condition": {"StringEquals": {"aws:PrincipalOrgID": {"Ref": "Org"}}}}])
    assert [f.category for f in undecided] == [Category.UNRESOLVED]


def test_the_reference_sees_both_namespaces_and_every_guard_spelling():
    """Not vacuous: a guard on the other namespace lets an outsider in, the right spellings do not."""
    allow = {"Effect": "Allow", "Principal": "*", "NotAction": "ecr:DeleteRepository"}
    other_ns = {"Effect": "Deny", "Principal": "*", "Action": "ecr-public:*",
                "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": ORG}}}
    assert allowed([allow, other_ns], ANONYMOUS, "ecr:PutImage")
    for condition in [{"ForAllValues:StringNotLike": {"aws:PrincipalOrgPaths": [f"{ORG}/*"]}},
                      {"StringNotEqualsIgnoreCase": {"aws:PrincipalOrgID": ORG.upper()}},
                      {"ArnNotLike": {"aws:PrincipalArn": f"arn:aws:iam::{TRUSTED}:*"}}]:
        guard = {"Effect": "Deny", "Principal": "*", "Action": "ecr:*", "Condition": condition}
        for caller in (ANONYMOUS, SERVICE, role_caller("r", OTHER_ORG), role_caller("r", None)):
            assert not allowed([allow, guard], caller, "ecr:PutImage"), condition
    not_principal = {"Effect": "Deny", "NotPrincipal": {"AWS": [TRUSTED]}, "Action": "*"}
    assert not allowed([allow, not_principal], role_caller("r", ORG), "ecr:PutImage")
    near_miss = {"Effect": "Deny", "Principal": "*", "Action": "ecr:*",
                 "Condition": {"ForAnyValue:StringNotLike": {"aws:PrincipalOrgPaths": [f"{ORG}/*"]}}}
    assert allowed([allow, near_miss], ANONYMOUS, "ecr:PutImage")


@settings(max_examples=400, deadline=None)
@given(PATTERN_A := st.lists(st.sampled_from(["a", "b", ":", "*", "?"]), max_size=6).map("".join),
       PATTERN_A, st.lists(st.sampled_from(["", "a", "b", ":", "ab"]), min_size=7, max_size=7))
def test_overlap_is_sound(first, second, fillers):
    """If two patterns share no action, no string built from the first matches the second."""
    if _overlap(first, second):
        return
    it = iter(fillers)
    concrete = "".join(next(it, "") if c == "*" else (next(it, "a")[:1] or "a") if c == "?" else c for c in first)
    assert not glob(second, concrete), (first, second, concrete)


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


def _overlap_by_table(a: str, b: str) -> bool:
    """The textbook answer: a table over both patterns' suffixes (is there a string both match?)."""
    n, m = len(a), len(b)
    below = [False] * (m + 1)
    for i in range(n, -1, -1):
        row = [False] * (m + 1)
        for j in range(m, -1, -1):
            if i < n and a[i] == "*":
                row[j] = below[j] or (j < m and row[j + 1])
            elif j < m and b[j] == "*":
                row[j] = row[j + 1] or (i < n and below[j])
            elif i == n or j == m:
                row[j] = i == n and j == m
            else:
                row[j] = (a[i] == "?" or b[j] == "?" or a[i] == b[j]) and below[j + 1]
        below = row
    return below[0]


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "*", "?"]), max_size=7).map("".join),
       st.lists(st.sampled_from(["a", "b", "*", "?"]), max_size=7).map("".join))
def test_the_linear_overlap_agrees_with_the_table(first, second):
    assert _overlap(first, second) == _overlap_by_table(first, second), (first, second)


def test_wildcards_are_matched_in_linear_time():
    """A guard pattern with many stars against a long action is no backtracking bomb (a regex took 41 s)."""
    import time

    start = time.perf_counter()
    assert not _wildcard_covers("ecr:" + "*a" * 200 + "*b", "ecr:" + "a" * 4000)
    assert _overlap("ecr:" + "*a" * 200 + "*b", "ecr:x" + "a" * 4000 + "*b")
    assert time.perf_counter() - start < 1
