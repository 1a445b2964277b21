"""Coverage-guided fuzz target (atheris / libFuzzer) for policy-text parsing and the analysis.

Each input is policy text (JSON, or anything) checked as the policy of every policy-carrying
ECR type, and as a pull-through cache upstream URL. It fails (an uncaught exception, which
libFuzzer reports as a crash with the input saved) when:
- the analysis raises (the hook would answer InternalFailure instead of a precise finding);
- a finding has no rule, no message, or a path that is not a JSON pointer into the property;
- the same policy given as JSON text and as the object it decodes to gets different verdicts
  (text without duplicate keys, within ECR's 10,240 characters);
- the same input gets a different verdict twice.

Run: ``make fuzz`` (FUZZ_SECONDS, default 60), or
``python fuzz/fuzz_policy.py -max_total_time=10 -runs=100000 <corpus dir>``.
Seeds: ``seeds()``: the known-bad and good cores of tests/strategies.py and the real-world
policies in tests/data/realworld/.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import atheris

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

with atheris.instrument_imports(include=["dataperimeter_ecr_replicationguard"]):
    from dataperimeter_ecr_replicationguard.core import evaluate
    from dataperimeter_ecr_replicationguard.core.policy_document import MAX_POLICY_CHARACTERS
    from dataperimeter_ecr_replicationguard.core.trust import Trust

POLICY_PROPERTIES = {
    "AWS::ECR::Repository": "RepositoryPolicyText",
    "AWS::ECR::RegistryPolicy": "PolicyText",
    "AWS::ECR::RepositoryCreationTemplate": "RepositoryPolicy",
    "AWS::ECR::PublicRepository": "RepositoryPolicyText",
}
_TRUST = Trust(
    accounts=frozenset({"111111111111", "222222222222"}),
    organization_ids=frozenset({"o-a1b2c3d4e5"}),
    partition="aws",
    allowed_upstream_registry_urls=frozenset({"public.ecr.aws", "registry-1.docker.io"}),
)


def verdict(resource_type: str, properties: dict) -> tuple:
    findings = evaluate(resource_type, "Fuzzed", properties, _TRUST)
    for f in findings:
        if not f.rule_id or not f.message or not isinstance(f.path, str) or not (f.path == "" or f.path.startswith("/")):
            raise AssertionError(f"malformed finding {f!r}")
    return tuple(sorted((f.rule_id, f.category.value) for f in findings))


def failing(v: tuple) -> bool:
    return bool(v)


def _no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError("duplicate key")
    return dict(pairs)


def check(text: str) -> None:
    for resource_type, key in POLICY_PROPERTIES.items():
        first = verdict(resource_type, {key: text})
        if verdict(resource_type, {key: text}) != first:
            raise AssertionError("the same input got two verdicts")
        if len(text) > MAX_POLICY_CHARACTERS or "{{resolve:" in text:
            continue
        try:
            decoded = json.loads(text, object_pairs_hook=_no_duplicates)
        except (ValueError, RecursionError):
            continue
        if not isinstance(decoded, dict):
            continue
        as_object = verdict(resource_type, {key: decoded})
        if failing(as_object) != failing(first):
            raise AssertionError(f"{resource_type}: text {first} but object {as_object}")
    verdict("AWS::ECR::PullThroughCacheRule", {"UpstreamRegistryUrl": text, "UpstreamRegistry": "ecr"})
    verdict("AWS::ECR::PullThroughCacheRule", {"UpstreamRegistryUrl": text})


def test_one_input(data: bytes) -> None:
    check(data.decode("utf-8", errors="replace"))


def seeds() -> list[bytes]:
    from strategies import BAD_CORES, GOOD_CORES

    out = []
    for cores in (GOOD_CORES, {t: props for t, (props, _, _) in BAD_CORES.items()}):
        for properties in cores.values():
            for value in properties.values():
                if isinstance(value, (dict, str)):
                    out.append((json.dumps(value) if isinstance(value, dict) else value).encode())
    for path in sorted((ROOT / "tests" / "data" / "realworld").glob("*.json")):
        try:
            document = json.loads(path.read_text())
        except ValueError:
            continue
        out.append(json.dumps(document).encode())
    return out


def main(argv: list[str]) -> None:
    corpus = [a for a in argv[1:] if not a.startswith("-")]
    for directory in corpus:
        folder = Path(directory)
        folder.mkdir(parents=True, exist_ok=True)
        for index, seed in enumerate(seeds()):
            (folder / f"seed-{index:03d}.json").write_bytes(seed)
    atheris.Setup(argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
