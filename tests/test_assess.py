"""assess: the one flow (trust, the core per resource, exemptions) on plain resources, as every
door hands them over; and what a template door knows (an undecided Condition, unresolved values)
explained in the findings."""

from __future__ import annotations

import datetime
import json

import pytest

from dataperimeter_ecr_replicationguard import trust_sources
from dataperimeter_ecr_replicationguard.assess import Resource, assess, findings_of
from dataperimeter_ecr_replicationguard.core import Category, Trust
from dataperimeter_ecr_replicationguard.invocation import invocation_of
from dataperimeter_ecr_replicationguard.settings import parse_settings
from dataperimeter_ecr_replicationguard.template import Context, template_resources

ACCOUNT = "111111111111"
TRUSTED = "222222222222"
FOREIGN = "999999999999"
STACK_ID = f"arn:aws:cloudformation:eu-west-1:{ACCOUNT}:stack/payments/0f1e2d3c-4b5a-11ef-8a9b-0a1b2c3d4e5f"
INVOCATION = invocation_of(ACCOUNT, STACK_ID)
TODAY = datetime.date(2026, 6, 1)
TYPE = "AWS::ECR::ReplicationConfiguration"


def replication(*accounts: str) -> dict:
    return {"ReplicationConfiguration": {"Rules": [
        {"Destinations": [{"Region": "eu-west-1", "RegistryId": a} for a in accounts]}]}}


def settings(**extra: str):
    return parse_settings({"TrustedAccountIds": TRUSTED, **extra})


def exemptions(**entry) -> str:
    return json.dumps([{"Reason": "SEC-7", "Expires": "2026-12-31", **entry}])


def test_a_plain_resource_is_judged_with_the_trust_of_the_settings():
    resources = [Resource(TYPE, "Good", replication(TRUSTED, ACCOUNT)), Resource(TYPE, "Bad", replication(FOREIGN))]
    assessment = assess(resources, settings(), INVOCATION, stack_name="payments", today=TODAY)
    assert [a.resource.logical_id for a in assessment.resources] == ["Good", "Bad"]
    good, bad = assessment.resources
    assert good.judged == ()
    assert [(j.finding.rule_id, j.finding.subject, j.exempted) for j in bad.judged] == [
        ("ECR-REPLICATION-UNTRUSTED-DESTINATION", FOREIGN, False)]
    assert bad.judged[0].finding.logical_id == "Bad" and bad.judged[0].finding.resource_type == TYPE
    assert assessment.judged == list(bad.judged)
    assert assessment.trust.accounts == {TRUSTED, ACCOUNT}  # the deploying account, by default


def test_exemptions_are_applied_by_stack_name_logical_id_and_account():
    resources = [Resource(TYPE, "Bad", replication(FOREIGN))]
    exempt = settings(Exemptions=exemptions(StackNames=["pay*"], LogicalIds=["Bad"], AccountIds=[ACCOUNT]))

    applied = assess(resources, exempt, INVOCATION, stack_name="payments", today=TODAY).judged
    assert [j.exempted for j in applied] == [True] and applied[0].exemption.reason == "SEC-7"

    other_stack = assess(resources, exempt, INVOCATION, stack_name="billing", today=TODAY).judged
    assert [j.exempted for j in other_stack] == [False]

    # the scan without --account matches no AccountIds entry
    no_account = assess(resources, exempt, INVOCATION, stack_name="payments", today=TODAY, exemption_account="").judged
    assert [j.exempted for j in no_account] == [False]

    expired = assess(resources, exempt, INVOCATION, stack_name="payments", today=datetime.date(2027, 1, 1)).judged
    assert [(j.exempted, j.expired is not None) for j in expired] == [(False, True)]


class RecordingSource:
    """A trust source as trust_sources registers them: it answers with a stale trust and
    remembers what it was asked to look accounts up in."""

    def __init__(self):
        self.named = []

    def named_accounts(self, settings, value):
        return frozenset()

    def resolve(self, settings, invocation, session, resource):
        self.named.append(resource)
        return Trust(accounts=frozenset({TRUSTED}), partition=invocation.partition,
                     notes=("the organization membership is 2 hours old",))


def test_the_trust_and_its_notes_are_carried(monkeypatch):
    source = RecordingSource()
    monkeypatch.setitem(trust_sources._LOADED, "Static", source)
    resources = [Resource(TYPE, "Repl", replication(TRUSTED))]

    assessment = assess(resources, settings(), INVOCATION, today=TODAY)
    assert assessment.notes == ("the organization membership is 2 hours old",)
    assert assessment.trust.accounts == {TRUSTED}
    assert source.named == [[replication(TRUSTED)]]  # by default, the resources' properties

    assess(resources, settings(), INVOCATION, today=TODAY, named={"Resources": "the template"})
    assert source.named[-1] == {"Resources": "the template"}


CONDITIONAL = """
Conditions:
  IsProd: {"Fn::Equals": [{"Ref": "Env"}, "prod"]}
  Never: {"Fn::Equals": ["a", "b"]}
Parameters:
  Env: {Type: String}
  Dest: {Type: String}
Resources:
  Maybe:
    Type: AWS::ECR::ReplicationConfiguration
    Condition: IsProd
    Properties: {ReplicationConfiguration: {Rules: [{Destinations: [{Region: eu-west-1, RegistryId: "999999999999"}]}]}}
  Skipped:
    Type: AWS::ECR::ReplicationConfiguration
    Condition: Never
    Properties: {ReplicationConfiguration: {Rules: [{Destinations: [{Region: eu-west-1, RegistryId: "999999999999"}]}]}}
  Unknown:
    Type: AWS::ECR::ReplicationConfiguration
    Properties: {ReplicationConfiguration: {Rules: [{Destinations: [{Region: eu-west-1, RegistryId: {Ref: Dest}}]}]}}
"""


def translated() -> list[Resource]:
    from dataperimeter_ecr_replicationguard.template.yaml_loader import load_template_text

    context = Context(account_id=ACCOUNT, region="eu-west-1", stack_name="payments", partition="aws",
                      parameters={}, use_parameter_defaults=False)
    return template_resources(load_template_text(CONDITIONAL), context)


def test_the_template_door_hands_over_what_it_does_not_decide_as_data():
    resources = {r.logical_id: r for r in translated()}
    assert set(resources) == {"Maybe", "Unknown"}  # a false condition: not created, not assessed
    assert resources["Maybe"].condition == "IsProd" and resources["Maybe"].unresolved == ()
    assert resources["Unknown"].condition is None
    assert [u.path for u in resources["Unknown"].unresolved] == ["/ReplicationConfiguration/Rules/0/Destinations/0/RegistryId"]


def test_a_resource_whose_condition_is_undecided_has_only_unresolved_findings_saying_why():
    maybe = next(r for r in translated() if r.logical_id == "Maybe")
    findings = assess([maybe], settings(), INVOCATION, today=TODAY).resources[0].findings
    assert findings and {f.category for f in findings} == {Category.UNRESOLVED}
    assert all("exists only if condition IsProd holds, which the template does not decide" in f.message for f in findings)
    # the same resource without the condition is a plain violation
    plain = findings_of(Resource(TYPE, "Maybe", maybe.properties), Trust(accounts=frozenset({TRUSTED})))
    assert {f.category for f in plain} == {Category.VIOLATION}


def test_an_unresolved_value_names_the_reason_the_template_does_not_decide_it():
    unknown = next(r for r in translated() if r.logical_id == "Unknown")
    [finding] = assess([unknown], settings(), INVOCATION, today=TODAY).resources[0].findings
    assert finding.category is Category.UNRESOLVED
    reason = unknown.unresolved[0].reason
    assert reason and f"({reason})" in finding.message
    # without what the resolver found, the core's finding carries no reason
    [bare] = findings_of(Resource(TYPE, "Unknown", unknown.properties), Trust(accounts=frozenset({TRUSTED})))
    assert reason not in bare.message


@pytest.mark.parametrize("named", [None, "x"])
def test_no_resources_is_an_assessment_with_nothing_judged(named):
    assessment = assess([], settings(), INVOCATION, today=TODAY, named=named)
    assert assessment.resources == () and assessment.judged == []
