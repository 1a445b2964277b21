"""The rule catalogue (core/rules.py): one row per rule id, and the one way the core makes a finding."""

from __future__ import annotations

import ast
import json
import pathlib
import re

import pytest

from dataperimeter_ecr_replicationguard.core import CHECKERS, Category, Severity, Trust, evaluate, rules
from dataperimeter_ecr_replicationguard.core.evaluate import MODULES
from dataperimeter_ecr_replicationguard.core.rules import ANNOTATION, BY_ID, RULES

SOURCE = pathlib.Path(__file__).resolve().parent.parent / "src" / "dataperimeter_ecr_replicationguard"
CORE = SOURCE / "core"


def test_every_row_has_a_unique_id_and_is_named_by_one_constant():
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    assert BY_ID == {r.id: r for r in RULES}
    named = {name: value for name, value in vars(rules).items() if isinstance(value, rules.Rule)}
    assert sorted(r.id for r in named.values()) == sorted(ids)  # every row has a constant, no constant is left out
    for rule in RULES:
        assert re.fullmatch(r"ECR-[A-Z0-9-]+", rule.id), rule.id
        assert rule.category in {c.value for c in Category} | {ANNOTATION}, rule.id


def test_finding_takes_severity_and_category_from_the_row():
    for rule in RULES:
        if rule.category == ANNOTATION:
            with pytest.raises(ValueError):
                rule.finding(path="", subject="", message="m", remediation="r")
            continue
        finding = rule.finding(path="/P", subject="s", message="m", remediation="r")
        assert (finding.rule_id, finding.severity, finding.category) == (rule.id, rule.severity,
                                                                          Category(rule.category))
        assert (finding.path, finding.subject, finding.message, finding.remediation) == ("/P", "s", "m", "r")


def _calls(tree: ast.AST, name: str) -> list[int]:
    return [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Call)
            and (getattr(node.func, "id", None) == name or getattr(node.func, "attr", None) == name)]


def test_the_core_makes_findings_only_through_the_catalogue():
    """No checker builds a Finding itself or spells a rule id: severity and category come from the row."""
    for path in sorted(CORE.glob("*.py")):
        if path.name in ("rules.py", "findings.py"):
            continue
        text = path.read_text(encoding="utf-8")
        assert not _calls(ast.parse(text), "Finding"), f"{path.name} builds a Finding without the catalogue"
        assert not re.search(r'"ECR-[A-Z0-9-]+"', text), f"{path.name} spells a rule id (import its row instead)"


def test_every_rule_id_spelt_in_the_code_is_a_row():
    """The doors that still name a rule by its id (annotations, the scan's template rules) name a row."""
    for path in SOURCE.rglob("*.py"):
        if path.name == "exemptions.py":  # its docstring shows an example configuration
            continue
        for rule_id in re.findall(r'"(ECR-[A-Z0-9-]+)"', path.read_text(encoding="utf-8")):
            assert rule_id in BY_ID, (path.name, rule_id)


# Inputs that make each checker report each of its rules (the rule is the point, not the text).
FOREIGN, OWN = "999999999999", "111111111111"
TRUST = Trust(accounts=frozenset({OWN}), allowed_replication_regions=frozenset({"eu-west-1"}),
              allowed_upstream_registry_urls=frozenset({"public.ecr.aws"}))


def _replication(registry_id, region="eu-west-1"):
    return {"ReplicationConfiguration": {"Rules": [{"Destinations": [{"RegistryId": registry_id, "Region": region}]}]}}


def _repo(*statements, text=None):
    return {"RepositoryPolicyText": text if text is not None else {"Version": "2012-10-17", "Statement": list(statements)}}


def _allow(principal, **extra):
    return {"Effect": "Allow", "Principal": principal, "Action": "ecr:BatchGetImage", **extra}


EXAMPLES = [
    (rules.REPLICATION_UNTRUSTED_DESTINATION, "AWS::ECR::ReplicationConfiguration", _replication(FOREIGN)),
    (rules.REPLICATION_REGION_NOT_ALLOWED, "AWS::ECR::ReplicationConfiguration", _replication(OWN, "us-east-1")),
    (rules.REPLICATION_INVALID_REGISTRY_ID, "AWS::ECR::ReplicationConfiguration", _replication("12")),
    (rules.REPLICATION_INVALID_REGION, "AWS::ECR::ReplicationConfiguration", _replication(OWN, "Mars")),
    (rules.REPLICATION_UNRESOLVED_VALUE, "AWS::ECR::ReplicationConfiguration", _replication({"Ref": "Id"})),
    (rules.REPLICATION_MALFORMED, "AWS::ECR::ReplicationConfiguration", {"ReplicationConfiguration": []}),
    (rules.PTC_UNTRUSTED_UPSTREAM, "AWS::ECR::PullThroughCacheRule",
     {"UpstreamRegistryUrl": f"{FOREIGN}.dkr.ecr.eu-west-1.amazonaws.com"}),
    (rules.PTC_UPSTREAM_NOT_ALLOWED, "AWS::ECR::PullThroughCacheRule", {"UpstreamRegistryUrl": "registry-1.docker.io"}),
    (rules.PTC_MALFORMED, "AWS::ECR::PullThroughCacheRule", {"UpstreamRegistryUrl": 5}),
    (rules.PTC_UNRESOLVED, "AWS::ECR::PullThroughCacheRule", {"UpstreamRegistryUrl": {"Ref": "Url"}}),
    (rules.POLICY_PUBLIC_PRINCIPAL, "AWS::ECR::Repository", _repo(_allow("*"))),
    (rules.POLICY_UNTRUSTED_ACCOUNT, "AWS::ECR::Repository", _repo(_allow({"AWS": FOREIGN}))),
    (rules.POLICY_UNTRUSTED_PRINCIPAL, "AWS::ECR::Repository", _repo(_allow({"Federated": "cognito-identity.amazonaws.com"}))),
    (rules.POLICY_NOTPRINCIPAL_ALLOW, "AWS::ECR::Repository",
     _repo({"Effect": "Allow", "NotPrincipal": {"AWS": OWN}, "Action": "ecr:*"})),
    (rules.POLICY_UNSCOPED_SERVICE, "AWS::ECR::Repository", _repo(_allow({"Service": "lambda.amazonaws.com"}))),
    (rules.POLICY_INVALID_PRINCIPAL, "AWS::ECR::Repository", _repo(_allow({"AWS": "arn:aws:iam::*:root"}))),
    (rules.POLICY_MALFORMED, "AWS::ECR::Repository", _repo(text="{")),
    (rules.POLICY_TOO_LONG, "AWS::ECR::Repository", _repo(text=" " * 10_241)),
    (rules.POLICY_UNRESOLVED, "AWS::ECR::Repository", _repo(text={"Fn::Sub": "x"})),
]


@pytest.mark.parametrize("rule, resource_type, properties", EXAMPLES, ids=[e[0].id for e in EXAMPLES])
def test_each_checker_reports_its_rules_with_the_rows_severity_and_category(rule, resource_type, properties):
    findings = evaluate(resource_type, "R", properties, TRUST)
    assert [f.rule_id for f in findings] == [rule.id]
    assert (findings[0].severity, findings[0].category) == (rule.severity, Category(rule.category))


def test_every_finding_rule_has_an_example_and_the_others_are_the_doors_rules():
    finding_rules = {r.id for r in RULES if r.category != ANNOTATION}
    by_doors = {"ECR-TEMPLATE-UNREADABLE", "ECR-TEMPLATE-UNRESOLVED-TRANSFORM",  # made by hook-handler scan
                "ECR-TEMPLATE-MALFORMED-RESOURCE",
                "ECR-AUDIT-NOT-AUDITED",  # made by hook-handler audit
                "ECR-PERIMETER-UNDECIDED"}  # made by aws_api.security_hub (detective control, audit)
    assert {e[0].id for e in EXAMPLES} == finding_rules - by_doors


@pytest.mark.parametrize("module", MODULES, ids=[m.RESOURCE_TYPE for m in MODULES])
def test_properties_that_are_not_an_object_are_the_types_malformed_rule(module):
    """Checked once, in evaluate(), for every type, with the type's own rule."""
    for properties in (None, [], "text", 5):
        [finding] = evaluate(module.RESOURCE_TYPE, "R", properties, TRUST)
        assert finding.rule_id == module.MALFORMED.id
        assert (finding.path, finding.category, finding.severity) == ("", Category.INVALID, Severity.HIGH)
        assert "must be an object" in finding.message


def test_the_schemas_target_names_are_the_checkers_types():
    """A type in schema.json without a checker would be answered UnsupportedTarget; a checker without
    a schema entry would never be called by CloudFormation."""
    schema = json.loads((SOURCE / "schema.json").read_text(encoding="utf-8"))
    handlers = schema["handlers"]
    assert handlers, "schema.json declares no handler"
    for name, handler in handlers.items():
        names = [t for t in handler["targetNames"] if t.startswith("AWS::ECR::")]
        assert sorted(names) == sorted(CHECKERS), name
        assert set(handler["targetNames"]) - set(names) <= {"STACK", "CHANGE_SET"}, name


def test_every_rule_that_reports_something_to_fix_links_a_published_page():
    """A hook annotation's remediationLink must open on any machine: docs/rules.md travels with the
    repository, so the link is the AWS documentation page that says how to change the setting."""
    for rule in RULES:
        link = rules.remediation_link(rule.id, "AWS::ECR::Repository")
        if rule is rules.PERIMETER:
            assert link is None  # the passing annotation: nothing to fix
            continue
        assert link is not None and re.fullmatch(r"https://docs\.aws\.amazon\.com/[\w./-]+\.html", link), rule.id


def test_a_policy_rule_links_the_policy_page_of_the_type_it_was_found_on():
    links = {t: rules.remediation_link(rules.POLICY_PUBLIC_PRINCIPAL.id, t) for t in (
        "AWS::ECR::Repository", "AWS::ECR::RegistryPolicy", "AWS::ECR::RepositoryCreationTemplate",
        "AWS::ECR::PublicRepository")}
    assert len(set(links.values())) == 4
    assert "/public/" in links["AWS::ECR::PublicRepository"]
    assert rules.remediation_link(rules.POLICY_PUBLIC_PRINCIPAL.id) == rules.remediation_link(rules.POLICY_MALFORMED.id)
