"""AWS::ECR::ReplicationConfiguration in the pure core: every destination must be trusted."""

from __future__ import annotations

import pytest

from conftest import replication
from dataperimeter_ecr_replicationguard.core import Category, Trust, evaluate, rules

OWN, FRIEND, FOREIGN = "111111111111", "222222222222", "999999999999"
TRUST = Trust(accounts=frozenset({OWN, FRIEND}))
TYPE = "AWS::ECR::ReplicationConfiguration"


def dest(i: int = 0, rule: int = 0) -> str:
    return f"/ReplicationConfiguration/Rules/{rule}/Destinations/{i}"


# (case id, properties, trust, expected [(rule id, path)] in order)
CASES = [
    ("own account other region", replication(("eu-central-1", OWN)), TRUST, []),
    ("trusted account", replication(("eu-west-1", FRIEND)), TRUST, []),
    ("no rules replicate nothing", {"ReplicationConfiguration": {"Rules": []}}, TRUST, []),
    ("foreign account", replication(("eu-west-1", FOREIGN)), TRUST,
     [(rules.REPLICATION_UNTRUSTED_DESTINATION.id, dest(0) + "/RegistryId")]),
    ("foreign behind a repository filter", replication(("eu-west-1", FOREIGN), filters=["prod/"]), TRUST,
     [(rules.REPLICATION_UNTRUSTED_DESTINATION.id, dest(0) + "/RegistryId")]),
    ("only the foreign destination of several", replication(("eu-west-1", FRIEND), ("us-east-1", FOREIGN)), TRUST,
     [(rules.REPLICATION_UNTRUSTED_DESTINATION.id, dest(1) + "/RegistryId")]),
    ("every rule is read", replication(("eu-west-1", FOREIGN), rules=3), TRUST,
     [(rules.REPLICATION_UNTRUSTED_DESTINATION.id, dest(0, r) + "/RegistryId") for r in range(3)]),
    ("empty trusted set trusts nobody", replication(("eu-west-1", OWN)), Trust(), 
     [(rules.REPLICATION_UNTRUSTED_DESTINATION.id, dest(0) + "/RegistryId")]),
    ("11 digits", replication(("eu-west-1", "22222222222")), TRUST, [(rules.REPLICATION_INVALID_REGISTRY_ID.id, dest(0) + "/RegistryId")]),
    ("13 digits", replication(("eu-west-1", "2222222222222")), TRUST, [(rules.REPLICATION_INVALID_REGISTRY_ID.id, dest(0) + "/RegistryId")]),
    ("padded", replication(("eu-west-1", " 222222222222")), TRUST, [(rules.REPLICATION_INVALID_REGISTRY_ID.id, dest(0) + "/RegistryId")]),
    ("trailing newline", replication(("eu-west-1", FRIEND + "\n")), TRUST, [(rules.REPLICATION_INVALID_REGISTRY_ID.id, dest(0) + "/RegistryId")]),
    ("Arabic-Indic digits", replication(("eu-west-1", "\u0662" * 12)), TRUST, [(rules.REPLICATION_INVALID_REGISTRY_ID.id, dest(0) + "/RegistryId")]),
    ("fullwidth digits", replication(("eu-west-1", "\uff12" * 12)), TRUST, [(rules.REPLICATION_INVALID_REGISTRY_ID.id, dest(0) + "/RegistryId")]),
    ("a number", replication(("eu-west-1", 222222222222)), TRUST, [(rules.REPLICATION_INVALID_REGISTRY_ID.id, dest(0) + "/RegistryId")]),
    ("null", replication(("eu-west-1", None)), TRUST, [(rules.REPLICATION_INVALID_REGISTRY_ID.id, dest(0) + "/RegistryId")]),
    ("a list", replication(("eu-west-1", [FRIEND])), TRUST, [(rules.REPLICATION_INVALID_REGISTRY_ID.id, dest(0) + "/RegistryId")]),
    ("dynamic reference", replication(("eu-west-1", "{{resolve:ssm:/org/replica-account}}")), TRUST,
     [(rules.REPLICATION_UNRESOLVED_VALUE.id, dest(0) + "/RegistryId")]),
    ("intrinsic object", replication(("eu-west-1", {"Ref": "DestinationAccount"})), TRUST,
     [(rules.REPLICATION_UNRESOLVED_VALUE.id, dest(0) + "/RegistryId")]),
    ("missing RegistryId", {"ReplicationConfiguration": {"Rules": [{"Destinations": [{"Region": "eu-west-1"}]}]}}, TRUST,
     [(rules.REPLICATION_INVALID_REGISTRY_ID.id, dest(0) + "/RegistryId")]),
    ("region not allowed", replication(("ap-south-1", FRIEND)),
     Trust(accounts=TRUST.accounts, allowed_replication_regions=frozenset({"eu-west-1"})),
     [(rules.REPLICATION_REGION_NOT_ALLOWED.id, dest(0) + "/Region")]),
    ("foreign and region not allowed", replication(("ap-south-1", FOREIGN)),
     Trust(accounts=TRUST.accounts, allowed_replication_regions=frozenset({"eu-west-1"})),
     [(rules.REPLICATION_UNTRUSTED_DESTINATION.id, dest(0) + "/RegistryId"), (rules.REPLICATION_REGION_NOT_ALLOWED.id, dest(0) + "/Region")]),
    ("region is not a Region name", replication(("EU-WEST-1", FRIEND)), TRUST, [(rules.REPLICATION_INVALID_REGION.id, dest(0) + "/Region")]),
    ("region with a newline", replication(("eu-west-1\n", FRIEND)), TRUST, [(rules.REPLICATION_INVALID_REGION.id, dest(0) + "/Region")]),
    ("region missing", {"ReplicationConfiguration": {"Rules": [{"Destinations": [{"RegistryId": FRIEND}]}]}}, TRUST,
     [(rules.REPLICATION_INVALID_REGION.id, dest(0) + "/Region")]),
    ("properties not an object", ["ReplicationConfiguration"], TRUST, [(rules.REPLICATION_MALFORMED.id, "")]),
    ("ReplicationConfiguration missing", {}, TRUST, [(rules.REPLICATION_MALFORMED.id, "/ReplicationConfiguration")]),
    ("ReplicationConfiguration as a string", {"ReplicationConfiguration": "{\"Rules\": []}"}, TRUST,
     [(rules.REPLICATION_MALFORMED.id, "/ReplicationConfiguration")]),
    ("API casing is not the CloudFormation shape",
     {"replicationConfiguration": {"rules": [{"destinations": [{"region": "us-west-2", "registryId": "444455556666"}]}]}},
     TRUST, [(rules.REPLICATION_MALFORMED.id, "/ReplicationConfiguration")]),
    ("Rules an object", {"ReplicationConfiguration": {"Rules": {"Destinations": []}}}, TRUST,
     [(rules.REPLICATION_MALFORMED.id, "/ReplicationConfiguration/Rules")]),
    ("rule a string", {"ReplicationConfiguration": {"Rules": ["x"]}}, TRUST, [(rules.REPLICATION_MALFORMED.id, "/ReplicationConfiguration/Rules/0")]),
    ("Destinations empty", {"ReplicationConfiguration": {"Rules": [{"Destinations": []}]}}, TRUST,
     [(rules.REPLICATION_MALFORMED.id, "/ReplicationConfiguration/Rules/0/Destinations")]),
    ("Destinations an object", {"ReplicationConfiguration": {"Rules": [{"Destinations": {"RegistryId": FOREIGN}}]}}, TRUST,
     [(rules.REPLICATION_MALFORMED.id, "/ReplicationConfiguration/Rules/0/Destinations")]),
    ("destination a string", {"ReplicationConfiguration": {"Rules": [{"Destinations": [FOREIGN]}]}}, TRUST,
     [(rules.REPLICATION_MALFORMED.id, dest(0))]),
]


@pytest.mark.parametrize("properties, trust, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_replication_findings(properties, trust, expected):
    findings = evaluate(TYPE, "Replication", properties, trust)
    assert [(f.rule_id, f.path) for f in findings] == expected
    for finding in findings:
        assert finding.resource_type == TYPE and finding.logical_id == "Replication"
        assert finding.message and finding.remediation


def test_untrusted_destination_names_rule_destination_account_and_region():
    [finding] = evaluate(TYPE, "Repl", replication(("eu-west-1", FRIEND), ("ap-south-1", FOREIGN)), TRUST)
    assert finding.category is Category.VIOLATION
    assert finding.subject == FOREIGN
    assert "rule 0 destination 1" in finding.message
    assert FOREIGN in finding.message and "ap-south-1" in finding.message
    assert FOREIGN in finding.remediation


def test_categories_separate_violations_from_unreadable_input():
    by_rule = {
        rules.REPLICATION_UNTRUSTED_DESTINATION.id: replication(("eu-west-1", FOREIGN)),
        rules.REPLICATION_INVALID_REGISTRY_ID.id: replication(("eu-west-1", "x")),
        rules.REPLICATION_UNRESOLVED_VALUE.id: replication(("eu-west-1", "{{resolve:ssm:p}}")),
        rules.REPLICATION_MALFORMED.id: {},
    }
    categories = {rule: evaluate(TYPE, "R", props, TRUST)[0].category for rule, props in by_rule.items()}
    assert categories == {
        rules.REPLICATION_UNTRUSTED_DESTINATION.id: Category.VIOLATION,
        rules.REPLICATION_INVALID_REGISTRY_ID.id: Category.INVALID,
        rules.REPLICATION_UNRESOLVED_VALUE.id: Category.UNRESOLVED,
        rules.REPLICATION_MALFORMED.id: Category.INVALID,
    }


def test_hidden_characters_are_shown_escaped():
    [finding] = evaluate(TYPE, "R", replication(("eu-west-1", "\u0662" * 12)), TRUST)
    assert "\\u0662" in finding.message



@pytest.mark.parametrize("region", ["eu-west-1", "cn-north-1", "us-gov-west-1", "us-isob-east-1", "eu-isoe-west-1",
                                    "eusc-de-east-1"])
def test_every_partition_region_form_is_a_region(region):
    from dataperimeter_ecr_replicationguard.core.partitions import partition_of_region

    trust = Trust(accounts=frozenset({OWN}), partition=partition_of_region(region))
    assert evaluate(TYPE, "R", replication((region, OWN)), trust) == []
