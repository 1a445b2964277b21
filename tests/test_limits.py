"""Resource limits (issue 8): oversized and deeply nested input is answered within a bounded time
and memory, and fails closed where it is beyond what ECR or CloudFormation accepts.

Each case runs in a fresh interpreter (so one case's memory does not hide another's): the
hook is warmed once (imports), then one invocation is timed and one is traced (tracemalloc
peak of what the invocation allocates on top of its input). Bounds are generous but real:
< 2 s and < 200 MB traced, < 400 MB resident for the whole process. The time is the child's CPU
time (``time.process_time``), not the wall clock: on a shared machine other processes stretch the
wall clock but not the work done, and the bound is there to catch work that grows faster than the
input (quadratic, exponential), which overshoots it by orders of magnitude. Speed goals are
measured by ``make bench`` against peers, not here.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
SRC = TESTS.parent / "src"
SECONDS = 2.0
TRACED_BYTES = 200 * 2**20
RESIDENT_KB = 400 * 2**10

CHILD = textwrap.dedent(
    """
    import json, resource, sys, time, tracemalloc
    def own_peak_kb():
        # ru_maxrss keeps the parent's high-water mark across fork and exec (Linux): a large pytest
        # process would be counted as this child's. VmHWM is this process's own peak.
        try:
            with open("/proc/self/status") as status:
                return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
        except (OSError, StopIteration):
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sys.path[:0] = [{tests!r}, {src!r}]
    sys.setrecursionlimit(1000)  # Lambda's default
    from conftest import hook_request, replication
    from dataperimeter_ecr_replicationguard.hook.handlers import hook
    hook(hook_request("AWS::ECR::Repository", {{}}), None)  # warm: imports
    {build}
    start = time.process_time()
    response = dict(hook(event, None))
    seconds = time.process_time() - start
    tracemalloc.start()
    hook(event, None)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(json.dumps({{
        "seconds": seconds, "peak": peak, "rss_kb": own_peak_kb(),
        "status": response["hookStatus"], "code": response.get("errorCode"), "message": response.get("message"),
        "annotations": [a["annotationName"] for a in response.get("annotations") or []],
    }}))
    """
)


def measure(build: str) -> dict:
    """Run ``build`` (Python that defines ``event``) and one hook invocation in a fresh interpreter."""
    code = CHILD.format(tests=str(TESTS), src=str(SRC), build=textwrap.indent(textwrap.dedent(build), "").strip())
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"measured: {result['seconds']:.3f} s, traced peak {result['peak'] / 2**20:.1f} MB, "
          f"resident {result['rss_kb'] / 1024:.0f} MB: {result['status']} {result['code']}")
    assert result["seconds"] < SECONDS, result["seconds"]
    assert result["peak"] < TRACED_BYTES, result["peak"]
    assert result["rss_kb"] < RESIDENT_KB, result["rss_kb"]
    assert len(result["message"] or "") <= 1024
    assert "Traceback" not in (result["message"] or "")
    return result


def policy_event(policy_expression: str, resource_type: str = "AWS::ECR::Repository", key: str = "RepositoryPolicyText") -> str:
    return f"""
    policy = {policy_expression}
    event = hook_request({resource_type!r}, {{"RepositoryName": "app", {key!r}: policy}}, logical_id="Big")
    """


GRANT = ('{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"}, '
         '"Action": "ecr:BatchGetImage"}')


@pytest.mark.parametrize(
    "name, expression",
    [
        ("10 MB policy string", '"{\\"Statement\\": [" + ", ".join([' + repr(GRANT) + '] * 100_000)[:10 * 2**20] + "]}"'),
        ("10 MB of one string", '"x" * (10 * 2**20)'),
        ("100,000 statements as text", 'json.dumps({"Version": "2012-10-17", "Statement": [json.loads(' + repr(GRANT) + ')] * 100_000})'),
        ("100,000 statements as an object", '{"Version": "2012-10-17", "Statement": [json.loads(' + repr(GRANT) + ')] * 100_000}'),
        ("100,000-deep nesting as text", '"[" * 100_000 + "]" * 100_000'),
    ],
)
def test_policies_beyond_what_ecr_accepts_fail_closed_quickly(name, expression):
    result = measure(policy_event(expression))
    assert result["status"] == "FAILED" and result["code"] == "InvalidRequest"
    assert result["annotations"] == ["ECR-POLICY-TOO-LONG"]
    assert "ECR accepts at most 10240" in result["message"] and "Big (AWS::ECR::Repository)" in result["message"]
    assert "/RepositoryPolicyText" in result["message"]


@pytest.mark.parametrize("depth", [990, 5_000])
def test_deep_nesting_within_the_length_limit_fails_closed(depth):
    """json.loads raises RecursionError on deep JSON text: caught, reported, FAILED."""
    statement = '{"Effect": "Allow", "Principal": {"AWS": "111111111111"}, "Action": "ecr:BatchGetImage", "Sid": '
    result = measure(policy_event(f'"{{\\"Statement\\": [" + {statement!r} + "[" * {depth} + "]" * {depth} + "}}]}}"'))
    assert result["status"] == "FAILED" and result["code"] == "InvalidRequest"
    assert result["annotations"] == ["ECR-POLICY-MALFORMED"]
    assert "/RepositoryPolicyText" in result["message"]


def test_ecr_policy_length_limit_is_exact():
    from dataperimeter_ecr_replicationguard.core.policy_document import MAX_POLICY_CHARACTERS, parse_policy

    base = json.dumps({"Version": "2012-10-17", "Statement": [json.loads(GRANT)]})
    at_limit = base[:-1] + " " * (MAX_POLICY_CHARACTERS - len(base)) + "}"
    assert len(at_limit) == MAX_POLICY_CHARACTERS == 10_240
    policy, findings = parse_policy(at_limit, "/P")
    assert policy is not None and findings == []
    _, findings = parse_policy(at_limit + " ", "/P")
    assert [f.rule_id for f in findings] == ["ECR-POLICY-TOO-LONG"]


def test_a_stack_template_nested_100000_deep_fails_closed_quickly():
    result = measure("""
    event = hook_request("STACK", {}, logical_id="deep-stack")
    event["requestData"]["targetType"] = "STACK"
    event["requestData"]["targetModel"] = {"template": '{"Resources": {"R": {"Type": "AWS::ECR::Repository", "Properties": ' + "[" * 100_000 + "]" * 100_000 + "}}}"}
    """)
    assert result["status"] == "FAILED" and result["code"] == "InvalidRequest"
    assert "deep-stack (STACK)" in result["message"] and "nested too deeply" in result["message"]


def test_a_change_set_after_context_nested_100000_deep_fails_closed_quickly():
    result = measure("""
    event = hook_request("CHANGE_SET", {}, logical_id="deep-change")
    event["requestData"]["targetType"] = "CHANGE_SET"
    event["requestData"]["targetModel"] = {"changedResources": [{
        "action": "CREATE", "logicalResourceId": "Repo", "resourceType": "AWS::ECR::Repository",
        "afterContext": '{"Properties": ' + "[" * 100_000 + "]" * 100_000 + "}"}]}
    """)
    assert result["status"] == "FAILED" and result["code"] == "InvalidRequest"
    assert "Repo: afterContext is nested too deeply" in result["message"]


def test_a_stack_with_twenty_thousand_findings_is_answered_in_bounded_time():
    """One annotation per finding: building them must stay linear (it was quadratic: 2,500
    findings took 1.2 s, 20,000 would take over a minute, past the hook's 30 s)."""
    result = measure("""
    rule = {"Destinations": [{"Region": "eu-west-1", "RegistryId": f"9999{n:08d}"} for n in range(100)]}
    properties = {"ReplicationConfiguration": {"Rules": [rule] * 25}}
    template = {"Resources": {f"Repl{i}": {"Type": "AWS::ECR::ReplicationConfiguration", "Properties": properties}
                              for i in range(8)}}
    event = hook_request("STACK", {}, logical_id="wide-stack")
    event["requestData"]["targetType"] = "STACK"
    event["requestData"]["targetModel"] = {"template": json.dumps(template)}
    """)
    assert result["status"] == "FAILED" and result["code"] == "NonCompliant"
    assert len(result["annotations"]) == 20_000
    assert "20000 findings" in result["message"]


ACCOUNTS = "[f'{n:012d}' for n in range(200_000_000_000, 200_000_000_000 + 77_000)]"


@pytest.mark.parametrize("destination, status", [("200000076999", "SUCCESS"), ("999999999999", "FAILED")])
def test_a_one_megabyte_account_list_in_the_type_configuration(destination, status):
    result = measure(f"""
    accounts = ",".join({ACCOUNTS})
    assert len(accounts) > 2**20 - 50_000
    event = hook_request("AWS::ECR::ReplicationConfiguration", replication(("eu-west-1", {destination!r})),
                         config={{"TrustedAccountIds": accounts}})
    """)
    assert result["status"] == status


def test_a_one_megabyte_invalid_account_list_is_one_bounded_configuration_error():
    result = measure(f"""
    accounts = ",".join(a[:11] + "\\uff11" for a in {ACCOUNTS})
    event = hook_request("AWS::ECR::ReplicationConfiguration", replication(("eu-west-1", "111111111111")),
                         config={{"TrustedAccountIds": accounts}})
    """)
    assert result["status"] == "FAILED" and result["code"] == "InvalidTypeConfiguration"
    assert "TrustedAccountIds" in result["message"] and "and 76995 more" in result["message"]


def test_25_rules_of_100_foreign_destinations_count_what_the_message_leaves_out():
    result = measure("""
    rule = [("eu-west-1", f"9999{n:08d}") for n in range(100)]
    event = hook_request("AWS::ECR::ReplicationConfiguration", replication(*rule, rules=25), logical_id="Wide")
    """)
    assert result["status"] == "FAILED" and result["code"] == "NonCompliant"
    assert len(result["annotations"]) == 2500
    message = result["message"]
    assert message.startswith("NonCompliant: Wide (AWS::ECR::ReplicationConfiguration): 2500 findings.")
    assert "/ReplicationConfiguration/Rules/0/Destinations/0/RegistryId" in message
    shown = message.count("[ECR-REPLICATION-UNTRUSTED-DESTINATION]")
    assert message.endswith(f"(+{2500 - shown} more in the hook annotations)"), message[-80:]


class _CountedSet(frozenset):
    """A trusted set that counts how often it is walked (``iter``); lookups (``in``) are free."""

    walks = 0

    def __iter__(self):
        type(self).walks += 1
        return super().__iter__()


def _counted_trust(n: int = 20_000):
    from dataperimeter_ecr_replicationguard.core.trust import Trust

    _CountedSet.walks = 0
    return Trust(accounts=_CountedSet(f"{200_000_000_000 + i:012d}" for i in range(n)),
                 organization_ids=_CountedSet(f"o-{i:010d}" for i in range(n)),
                 ou_paths=_CountedSet(f"o-{i:010d}/r-ab12/ou-ab12-{i:08d}/" for i in range(n)))


def _policy(operator: str, key: str, values: list[str]) -> dict:
    statements = [{"Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage",
                   "Condition": {operator: {key: value}}} for value in values]
    return {"RepositoryName": "app", "RepositoryPolicyText": {"Version": "2012-10-17", "Statement": statements}}


@pytest.mark.parametrize(
    "operator, key, value",
    [
        ("StringEqualsIgnoreCase", "aws:PrincipalAccount", lambda i: f"{200_000_000_000 + i:012d}"),
        ("StringEqualsIgnoreCase", "aws:PrincipalOrgID", lambda i: f"O-{i:010d}"),
        ("StringEqualsIgnoreCase", "aws:SourceOrgID", lambda i: f"o-{i:010d}"),
        ("ForAnyValue:StringLike", "aws:PrincipalOrgPaths", lambda i: f"o-{i:010d}/r-ab12/ou-ab12-{i:08d}/*"),
        ("ForAnyValue:StringEquals", "aws:PrincipalOrgPaths", lambda i: f"o-{i:010d}/r-ab12/*"),
        ("StringEquals", "aws:PrincipalAccount", lambda i: f"{200_000_000_000 + i:012d}"),
        ("ArnLike", "aws:PrincipalArn", lambda i: f"arn:aws:iam::{200_000_000_000 + i:012d}:role/*"),
    ],
)
def test_no_condition_walks_the_trusted_set_per_value(operator, key, value):
    """Issue 20: "StringEqualsIgnoreCase" lower-cased the whole trusted set for every value, and
    org-path matching compared every value with every trusted path (1 s for 50 statements at
    77,000 accounts). The analysis may walk the trusted set once (to build a lookup, kept with
    the set), never once per value: 60 statements, at most one walk per set."""
    from dataperimeter_ecr_replicationguard.core import evaluate

    trust = _counted_trust()
    policy = _policy(operator, key, [value(i * 97) for i in range(60)])
    findings = evaluate("AWS::ECR::Repository", "R", policy, trust)
    assert _CountedSet.walks <= 3, _CountedSet.walks
    if "Source" not in key:
        assert [f.rule_id for f in findings] == [], findings  # every value trusted: pinned
    walked = _CountedSet.walks
    evaluate("AWS::ECR::Repository", "R", policy, trust)
    assert _CountedSet.walks == walked  # the lookups are kept with the trusted set


@pytest.mark.parametrize("value", ["o-1/", "o-1/r-1/ou-2/x", "o-12/", "o-1", "", "o-1/r-1/ou-1/*", "x/o-1/", "o-2/r"])
def test_org_path_prefixes_match_exactly_what_startswith_matched(value):
    from dataperimeter_ecr_replicationguard.core.trust import Trust

    for ou_paths in (frozenset(), frozenset({"o-1/r-1/ou-1/"}), frozenset({"o-2/r", "o-1/r-1/ou-2/"}), frozenset({""})):
        trust = Trust(organization_ids=frozenset({"o-1"}), ou_paths=ou_paths)
        expected = any(value.startswith(p) for p in {"o-1/"} | set(ou_paths))
        assert trust.trusts_org_path_prefix(value) is expected, (value, ou_paths)
