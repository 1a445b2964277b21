"""Hypothesis strategies for hostile hook input (issue 8).

- :data:`BAD_CORES`: per checked type, properties that MUST fail (a foreign account), and the
  JSON pointer of the offending value. ``GOOD_CORES`` are the same with the trusted account.
- :func:`mutated`: any property tree with one node mutated (types swapped, fields missing or
  null, lists for objects, numbers for strings, huge and deeply nested values, Unicode digits
  and confusable characters, ``{{resolve:...}}`` and intrinsic-looking objects).
- :func:`adversarial`: a bad core wrapped in mutations that must keep it failing: junk beside
  the offending value, the foreign account in disguise, the policy as JSON text with duplicated
  keys, extra rules/statements.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import strategies as st

TRUSTED = "111111111111"  # conftest.ACCOUNT: the deploying account, trusted by default
FOREIGN = "999999999999"


def _policy(action: str, principal: Any = None) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Share",
                "Effect": "Allow",
                "Principal": principal if principal is not None else {"AWS": f"arn:aws:iam::{FOREIGN}:root"},
                "Action": [action],
                "Resource": "*",
            }
        ],
    }


# type -> (properties, JSON pointer of the offending value, pointer of the policy or None)
BAD_CORES: dict[str, tuple[dict, str, str | None]] = {
    "AWS::ECR::ReplicationConfiguration": (
        {"ReplicationConfiguration": {"Rules": [{"Destinations": [{"Region": "eu-west-1", "RegistryId": FOREIGN}]}]}},
        "/ReplicationConfiguration/Rules/0/Destinations/0/RegistryId",
        None,
    ),
    "AWS::ECR::Repository": (
        {"RepositoryName": "app", "RepositoryPolicyText": _policy("ecr:BatchGetImage")},
        "/RepositoryPolicyText/Statement/0/Principal",
        "RepositoryPolicyText",
    ),
    "AWS::ECR::RegistryPolicy": (
        {"PolicyText": _policy("ecr:ReplicateImage")},
        "/PolicyText/Statement/0/Principal",
        "PolicyText",
    ),
    "AWS::ECR::RepositoryCreationTemplate": (
        {"Prefix": "app", "AppliedFor": ["REPLICATION"], "RepositoryPolicy": _policy("ecr:BatchGetImage")},
        "/RepositoryPolicy/Statement/0/Principal",
        "RepositoryPolicy",
    ),
    "AWS::ECR::PublicRepository": (
        {"RepositoryName": "app", "RepositoryPolicyText": _policy("ecr-public:PutImage")},
        "/RepositoryPolicyText/Statement/0/Principal",
        "RepositoryPolicyText",
    ),
    "AWS::ECR::PullThroughCacheRule": (
        {"EcrRepositoryPrefix": "app", "UpstreamRegistry": "ecr",
         "UpstreamRegistryUrl": f"{FOREIGN}.dkr.ecr.eu-west-1.amazonaws.com"},
        "/UpstreamRegistryUrl",
        None,
    ),
}

GOOD_CORES: dict[str, dict] = {
    t: json.loads(json.dumps(props).replace(FOREIGN, TRUSTED)) for t, (props, _, _) in BAD_CORES.items()
}

# IAM / ECR keywords a junk key must never be: adding one could legitimately change the meaning.
_KEYWORDS = {
    k.lower()
    for k in (
        "Version Statement Sid Effect Principal NotPrincipal Action NotAction Resource NotResource Condition "
        "AWS Service Federated CanonicalUser ReplicationConfiguration Rules Destinations Region RegistryId "
        "RepositoryFilters Filter FilterType UpstreamRegistry UpstreamRegistryUrl EcrRepositoryPrefix "
        "RepositoryPolicyText PolicyText RepositoryPolicy Prefix AppliedFor RepositoryName Id"
    ).split()
}

UNICODE_DIGITS = {
    "fullwidth": 0xFF10,
    "arabic-indic": 0x0660,
    "devanagari": 0x0966,
    "mathematical bold": 0x1D7CE,
}
CONFUSABLES = {"a": "\u0430", "e": "\u0435", "o": "\u03bf", "i": "\u0456", "c": "\u0441", "r": "\u0433", "1": "\u0661"}


def with_digits(text: str, zero: int) -> str:
    return "".join(chr(zero + int(c)) if c.isascii() and c.isdigit() else c for c in text)


def confused(text: str) -> str:
    return "".join(CONFUSABLES.get(c, c) for c in text)


junk_keys = st.text(min_size=1, max_size=12).filter(lambda k: k.strip().lower() not in _KEYWORDS and "::" not in k)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["", " ", "*", FOREIGN, TRUSTED, "{{resolve:ssm:/acct}}", "arn:aws:iam::*:root", "eu-west-1"]),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(junk_keys, children, max_size=4)),
    max_leaves=12,
)


def intrinsic_like(inner: Any) -> st.SearchStrategy:
    return st.sampled_from(
        [
            {"Ref": "Destination"},
            {"Fn::If": ["IsProd", inner, TRUSTED]},
            {"Fn::If": ["IsProd", TRUSTED, inner]},
            {"Fn::Sub": "${AWS::AccountId}"},
            {"Fn::ImportValue": "shared-account"},
            {"Fn::Join": ["", ["9999", "99999999"]]},
            {"Ref": "AWS::AccountId", "Extra": 1},  # intrinsic-looking, but two keys
            {"Fn::Transform": {"Name": "AWS::Include"}},
            "{{resolve:ssm:/perimeter/account}}",
            "{{resolve:secretsmanager:acct:SecretString:id}}",
        ]
    )


def nested(depth: int, leaf: Any, as_dict: bool) -> Any:
    value = leaf
    for _ in range(depth):
        value = {"a": value} if as_dict else [value]
    return value


def replacement(old: Any) -> st.SearchStrategy:
    """What a node may become: every mutation class of the issue."""
    options = [
        st.none(),
        st.just([old]),  # a list for an object / a scalar
        st.just({"value": old}),
        st.integers(min_value=0, max_value=10**13),  # a number for a string
        st.booleans(),
        json_values,
        intrinsic_like(old),
        st.integers(min_value=10, max_value=800).map(lambda d: nested(d, old, d % 2 == 0)),
        st.integers(min_value=1_000, max_value=200_000).map(lambda n: "9" * n),  # huge string
    ]
    if isinstance(old, str):
        options.append(st.sampled_from(sorted(UNICODE_DIGITS.values())).map(lambda z: with_digits(old, z)))
        options.append(st.just(confused(old)))
        options.append(st.just(old + "\n"))
        options.append(st.just(" " + old))
    if isinstance(old, dict):
        options.append(st.just(json.dumps(old)))  # a JSON string for an object
        options.append(st.just(list(old.items())))
    return st.one_of(options)


def paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every node's path (keys and indexes) in a JSON-like tree, the root as ``()``."""
    out = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            out += paths(child, prefix + (key,))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            out += paths(child, prefix + (index,))
    return out


def get(tree: Any, path: tuple) -> Any:
    for part in path:
        tree = tree[part]
    return tree


def put(tree: Any, path: tuple, value: Any, delete: bool = False) -> Any:
    """A copy of ``tree`` with the node at ``path`` replaced (or deleted)."""
    if not path:
        return value
    tree = copy.deepcopy(tree)
    parent = get(tree, path[:-1])
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return tree


@st.composite
def mutated(draw, base: Any) -> Any:
    """``base`` with one to three nodes mutated anywhere."""
    tree = base
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        path = draw(st.sampled_from(paths(tree)))
        if path and isinstance(get(tree, path[:-1]), (dict, list)) and draw(st.booleans()) and draw(st.booleans()):
            tree = put(tree, path, None, delete=True)
        else:
            tree = put(tree, path, draw(replacement(get(tree, path))))
    return tree


def pointer_parts(text: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in text.strip("/").split("/"))


def _disguises(path_key: str) -> list[Any]:
    """The foreign value in forms that must still fail."""
    trusted_lookalikes = [with_digits(TRUSTED, z) for z in UNICODE_DIGITS.values()] + [confused(TRUSTED)]
    if path_key == "RegistryId":
        return [FOREIGN, int(FOREIGN), f" {FOREIGN}", f"{TRUSTED}\n", f"{TRUSTED} ", "1" * 13,
                {"Ref": "Destination"}, {"Fn::If": ["C", FOREIGN, TRUSTED]}, "{{resolve:ssm:/acct}}",
                {"Fn::Sub": "{{resolve:ssm:/acct}}"}, *trusted_lookalikes]
    if path_key == "UpstreamRegistryUrl":
        host = f"{FOREIGN}.dkr.ecr.eu-west-1.amazonaws.com"
        return [host, host.upper(), f"https://{host}/", f"{host}.", f"HTTPS://{host}/v2/",
                f"{FOREIGN}.dkr.ecr-fips.us-east-1.amazonaws.com", f"{host}?x", f"{host}#x", f"{host}\\x",
                f"{host}:443", f"u@{host}", host.replace(".com", "\uff0ecom"), f"{host}\u3002", f"{TRUSTED}.dkr.ecr.cn-north-1.amazonaws.com.cn",
                {"Fn::Sub": f"{FOREIGN}.dkr.ecr.${{AWS::Region}}.amazonaws.com"}, "{{resolve:ssm:/upstream}}",
                *[f"{t}.dkr.ecr.eu-west-1.amazonaws.com" for t in trusted_lookalikes]]
    # a policy Principal
    return [
        {"AWS": f"arn:aws:iam::{FOREIGN}:root"}, {"AWS": FOREIGN}, {"AWS": [f"arn:aws:iam::{TRUSTED}:root", FOREIGN]},
        "*", {"AWS": "*"}, {"AWS": f"arn:aws:iam::{FOREIGN}:role/ci"}, {"AWS": f"arn:aws:sts::{FOREIGN}:assumed-role/r/s"},
        {"AWS": {"Ref": "Reader"}}, {"AWS": "{{resolve:ssm:/reader}}"}, {"AWS": f"arn:aws:iam::*:root"},
        {"AWS": f"arn:aws:iam::{TRUSTED}*:root"}, {"Service": "ecs-tasks.amazonaws.com"},
        *[{"AWS": f"arn:aws:iam::{t}:root"} for t in trusted_lookalikes],
        {"AWS": f"{confused('arn')}:aws:iam::{TRUSTED}:root"},
    ]


def duplicated_policy_text(policy: dict, good: dict, key: str, bad_first: bool) -> str:
    """JSON text repeating ``key`` at the top level: one copy bad, one copy good."""
    body = {k: v for k, v in policy.items() if k != key}
    first, second = (policy[key], good[key]) if bad_first else (good[key], policy[key])
    head = json.dumps(body)[:-1]
    sep = ", " if body else ""
    return f'{head}{sep}"{key}": {json.dumps(first)}, "{key}": {json.dumps(second)}}}'


@st.composite
def adversarial(draw, resource_type: str, disguise: bool = True) -> tuple[dict, str]:
    """(properties that must not pass, pointer of the offending value in the base core).
    ``disguise=False`` keeps the foreign value literal (for STACK/CHANGE_SET targets, which
    leave unresolved values to the resource-level hook)."""
    core, bad_pointer, policy_key = BAD_CORES[resource_type]
    tree = copy.deepcopy(core)
    bad_path = pointer_parts(bad_pointer)
    # 1. the offending value in a disguise that must still fail
    if disguise and draw(st.booleans()):
        tree = put(tree, bad_path, draw(st.sampled_from(_disguises(str(bad_path[-1])))))
    if "UpstreamRegistry" in tree and draw(st.booleans()):
        del tree["UpstreamRegistry"]  # optional in CloudFormation: the URL alone must decide
    # 2. junk beside anything on the way to it (never an IAM/ECR keyword)
    for depth in range(draw(st.integers(min_value=0, max_value=len(bad_path)))):
        node = get(tree, bad_path[:depth])
        if isinstance(node, dict):
            key = draw(junk_keys)
            if key not in node:
                node[key] = draw(json_values)
    # 3. more list items beside it: junk, the good core's item, or mutated copies
    for depth, part in enumerate(bad_path):
        node = get(tree, bad_path[:depth])
        if isinstance(part, int) and isinstance(node, list) and draw(st.booleans()):
            sibling = draw(st.one_of(json_values, st.just(copy.deepcopy(get(GOOD_CORES[resource_type], bad_path[:depth + 1])))))
            node.append(sibling)  # after it, so its pointer stays the same
    # 4. the policy as JSON text, maybe with a duplicated key (bad copy first or last)
    if policy_key is not None:
        how = draw(st.sampled_from(["object", "text", "dup-statement", "dup-principal"]))
        policy = tree[policy_key]
        good = GOOD_CORES[resource_type][policy_key]
        if how == "text":
            tree[policy_key] = json.dumps(policy, indent=draw(st.sampled_from([None, 0, 2])))
        elif how == "dup-statement":
            tree[policy_key] = duplicated_policy_text(policy, good, "Statement", draw(st.booleans()))
        elif how == "dup-principal" and isinstance(policy.get("Statement"), list) and isinstance(policy["Statement"][0], dict):
            statement = policy["Statement"][0]
            good_statement = dict(statement, Principal={"AWS": f"arn:aws:iam::{TRUSTED}:root"})
            text = duplicated_policy_text(statement, good_statement, "Principal", draw(st.booleans()))
            rest = [json.dumps(s) for s in policy["Statement"][1:]]
            body = {k: v for k, v in policy.items() if k != "Statement"}
            tree[policy_key] = json.dumps(body)[:-1] + ', "Statement": [' + ", ".join([text, *rest]) + "]}"
    return tree, bad_pointer
