"""docs/rules.md documents every row of the rule catalogue (core/rules.py), and only those.
(That the code reports no rule outside the catalogue is tests/test_rules.py's.)"""

from __future__ import annotations

import pathlib
import re

from dataperimeter_ecr_replicationguard.core.rules import ANNOTATION, RULES

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "rules.md"


def _ids_in_catalogue() -> set[str]:
    return {rule.id for rule in RULES}


def _documented() -> list[str]:
    return re.findall(r"^### (ECR-[A-Z0-9-]+)\s*$", DOC.read_text(encoding="utf-8"), flags=re.M)


def test_every_rule_in_the_catalogue_is_documented():
    missing = sorted(_ids_in_catalogue() - set(_documented()))
    assert not missing, f"rule ids missing from docs/rules.md: {missing}"


def test_every_documented_rule_id_is_a_catalogue_row_documented_once():
    documented = _documented()
    assert len(documented) == len(set(documented)), "a rule id is documented twice"
    stale = sorted(set(documented) - _ids_in_catalogue())
    assert not stale, f"docs/rules.md documents rule ids the catalogue does not have: {stale}"


def test_the_finding_rules_have_a_severity_a_failing_example_and_a_fix():
    text = DOC.read_text(encoding="utf-8")
    sections = re.split(r"^### ", text, flags=re.M)[1:]
    for section in sections:
        name = section.split("\n", 1)[0].strip()
        if name in {r.id for r in RULES if r.category == ANNOTATION}:
            continue
        assert re.search(r"Severity (CRITICAL|HIGH|MEDIUM|LOW)", section), name
        assert re.search(r"\b(violation|invalid|unresolved)\b", section), name
        assert "Fix" in section, name
        if not name.endswith(("-TOO-LONG", "-UNRESOLVED")):
            assert "Fails" in section, name


def _sections() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    return {part.split("\n", 1)[0].strip(): part for part in re.split(r"^### ", text, flags=re.M)[1:]}


def _failing_example(section: str) -> str | None:
    after = section.split("Fails", 1)[1] if "Fails" in section else ""
    block = re.search(r"```json\n(.*?)```", after, flags=re.S)
    inline = re.search(r"`([^`]+)`", after)
    if block and (not inline or block.start() < inline.start()):
        return block.group(1)
    return inline.group(1) if inline else None


def test_every_policy_and_pull_through_cache_example_fails_with_its_own_rule():
    """The failing examples in docs/rules.md are real: each, run through the checker, reports the
    rule it illustrates (trusted: the deploying account and o-exampleorgid1)."""
    import json

    from dataperimeter_ecr_replicationguard.core import evaluate
    from dataperimeter_ecr_replicationguard.core.trust import Trust

    trust = Trust(accounts=frozenset({"111111111111"}), organization_ids=frozenset({"o-exampleorgid1"}),
                  allowed_upstream_registry_urls=frozenset({"public.ecr.aws"}))
    checked = 0
    for rule, section in _sections().items():
        example = _failing_example(section)
        if example is None or not rule.startswith(("ECR-POLICY-", "ECR-PTC-")):
            continue
        if rule.startswith("ECR-PTC-"):
            key, _, value = example.partition(":")
            properties = {key.strip(): value.strip()}
            findings = evaluate("AWS::ECR::PullThroughCacheRule", "Rule", properties, trust)
        else:
            if example.startswith("RepositoryPolicyText:"):
                document = json.loads(example.partition(":")[2])
            else:
                document = json.loads(example)
            if "Effect" in document:
                document = {"Version": "2012-10-17", "Statement": [document]}
            findings = evaluate("AWS::ECR::Repository", "Repo", {"RepositoryPolicyText": document}, trust)
        assert rule in {f.rule_id for f in findings}, (rule, example, [f.rule_id for f in findings])
        checked += 1
    assert checked >= 10


# -- the rule catalogue (core/rules.py) that SARIF, JUnit and --list-rules read ------------------

def test_the_catalogue_has_one_row_per_doc_section():
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    assert set(ids) == set(_documented())


def test_every_catalogue_row_matches_its_doc_section():
    """Severity and category as docs/rules.md states them; the anchor is the section's heading;
    the text names no particular account."""
    sections = _sections()
    for rule in RULES:
        section = sections[rule.id]
        heading = f"### {rule.id}"
        assert re.sub(r"[^a-z0-9 -]", "", heading.lstrip("# ").lower()).replace(" ", "-") == rule.anchor
        assert rule.help_uri == f"docs/rules.md#{rule.anchor}"
        if rule.category != ANNOTATION:
            assert f"Severity {rule.severity.value}, {rule.category}." in section, rule.id
        assert rule.title and len(rule.description) > len(rule.title), rule.id
        assert not re.search(r"\b[0-9]{12}\b", rule.title + rule.description), rule.id
        assert 0.0 <= float(rule.security_severity) <= 10.0
