"""Records without dataclasses (core/plain.py, NamedTuples): what the dataclasses gave, kept.

Equality and hash over the same fields (Trust's notes and ScanOptions' session left out), a fresh
list or dict per instance where a ``default_factory`` was, refused assignment on the frozen ones,
``_replace`` for ``dataclasses.replace``, the same ``repr``, and pickling (``--jobs`` sends a
file's outcome between processes)."""

from __future__ import annotations

import datetime
import os
import pickle
import subprocess
import sys

import pytest

from dataperimeter_ecr_replicationguard.cli.output.records import FileEntry, Record, ResourceEntry, ScanReport
from dataperimeter_ecr_replicationguard.cli.scan_file import FileOutcome, ScanOptions
from dataperimeter_ecr_replicationguard.core.findings import Category, Finding, Severity
from dataperimeter_ecr_replicationguard.core.policy_document import Statement, _conditions, _Problem
from dataperimeter_ecr_replicationguard.core.trust import Trust
from dataperimeter_ecr_replicationguard.exemptions import Exemption, Judged
from dataperimeter_ecr_replicationguard.settings import parse_settings
from dataperimeter_ecr_replicationguard.template.resolve import Context, Resolution, Unresolved

FINDING = Finding("ECR-POLICY-PUBLIC-PRINCIPAL", Severity.CRITICAL, Category.VIOLATION, "/RepositoryPolicyText",
                  "*", "grants anyone", "pin it", "AWS::ECR::Repository", "Repo")
TRUST = Trust(accounts=frozenset({"111111111111"}), organization_ids=frozenset({"o-a1b2c3d4e5"}))
EXEMPTION = Exemption(1, "legacy", datetime.date(2030, 1, 1), stack_names=("app-*",))


def test_trust_compares_and_hashes_without_its_notes_and_shows_them():
    noted = TRUST._replace(notes=("stale membership",))
    assert noted == TRUST and hash(noted) == hash(TRUST) and {noted: 1}[TRUST] == 1
    assert noted != TRUST._replace(accounts=frozenset({"222222222222"}))
    assert Trust() == Trust() and Trust() != TRUST and (TRUST == ("111111111111",)) is False
    assert repr(noted) == (
        "Trust(accounts=frozenset({'111111111111'}), organization_ids=frozenset({'o-a1b2c3d4e5'}), "
        "ou_paths=frozenset(), service_principals=frozenset(), partition='aws', allowed_replication_regions="
        "frozenset(), allowed_upstream_registry_urls=frozenset(), notes=('stale membership',))")
    with pytest.raises(AttributeError, match="cannot assign to field 'partition'"):
        TRUST.partition = "aws-cn"
    with pytest.raises(AttributeError):
        del TRUST.accounts
    with pytest.raises(TypeError):
        TRUST._replace(account=frozenset())  # not a field: as dataclasses.replace


def test_trust_keeps_its_cached_lookups_and_survives_pickling():
    assert TRUST.folded_organization_ids == {"o-a1b2c3d4e5"} and TRUST.trusts_org_path_prefix("o-a1b2c3d4e5/r-ab12/")
    copy = pickle.loads(pickle.dumps(TRUST._replace(notes=("n",))))
    assert copy == TRUST and copy.notes == ("n",) and copy.trusts_org_path_prefix("o-a1b2c3d4e5/r-ab12/")


def test_frozen_records_refuse_assignment_and_replace_makes_a_copy():
    moved = FINDING._replace(logical_id="Other")
    assert moved.logical_id == "Other" and FINDING.logical_id == "Repo" and moved != FINDING
    for record, name in ((FINDING, "path"), (EXEMPTION, "reason"), (Context(), "region")):
        with pytest.raises(AttributeError):
            setattr(record, name, "x")
    assert EXEMPTION._replace(reason="new") == Exemption(1, "new", datetime.date(2030, 1, 1), stack_names=("app-*",))
    assert hash(EXEMPTION) == hash(Exemption(1, "legacy", datetime.date(2030, 1, 1), stack_names=("app-*",)))
    assert repr(EXEMPTION) == ("Exemption(index=1, reason='legacy', expires=datetime.date(2030, 1, 1), "
                               "stack_names=('app-*',), logical_ids=(), account_ids=frozenset(), rule_ids=frozenset())")


def test_defaults_that_were_factories_are_fresh_per_instance():
    first, second = FileEntry("a.yaml"), FileEntry("a.yaml")
    first.resources.append(ResourceEntry("Repo", "AWS::ECR::Repository", 3))
    assert second.resources == [] and first != second and FileEntry("a.yaml") == second
    reports = ScanReport(), ScanReport()
    reports[0].records.append(Record("a.yaml", 1, Judged(FINDING), True))
    assert reports[1].records == [] and reports[1].files is not reports[0].files
    assert Context().parameters == {} and Context().parameters is not Context().parameters
    options = [ScanOptions(parse_settings({}), {}, datetime.date(2026, 1, 1)) for _ in range(2)]
    assert options[0].stack_names == {} and options[0].stack_names is not options[1].stack_names
    with pytest.raises(TypeError):
        hash(FileEntry("a.yaml"))  # mutable: unhashable, as a dataclass with eq
    with pytest.raises(TypeError):
        hash(Resolution(None, []))


def test_scan_options_compare_without_the_session():
    day = datetime.date(2026, 1, 1)
    settings = parse_settings({"TrustedAccountIds": "111111111111"})
    assert ScanOptions(settings, {"A": "1"}, day, session=object()) == ScanOptions(settings, {"A": "1"}, day)
    assert ScanOptions(settings, {"A": "1"}, day) != ScanOptions(settings, {"A": "2"}, day)
    with pytest.raises(TypeError):
        hash(ScanOptions(settings, {}, day))  # its dicts are unhashable, as they were


def test_a_condition_problem_and_a_statement_are_not_tuples():
    """``_conditions`` returns a tuple of conditions or a ``_Problem``: the problem must never read as one."""
    problem = _conditions({"StringEquals": "not an object"}, set())
    assert isinstance(problem, _Problem) and not isinstance(problem, tuple)
    assert _conditions({"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}, set())[0].key == "aws:principalorgid"
    statement = Statement(0, "", "Allow", None, None, (), None, None, (), "/Statement/0")
    assert not isinstance(statement, tuple) and statement.index == 0 and statement.label == "statement 0"
    assert not isinstance(EXEMPTION, tuple) and EXEMPTION.index == 1


def test_a_file_outcome_survives_pickling():
    entry = FileEntry("a.yaml", [ResourceEntry("Repo", "AWS::ECR::Repository", 3, ("parameter X",))])
    outcome = FileOutcome("a.yaml", entry, (Record("a.yaml", 3, Judged(FINDING, expired=EXEMPTION), True,
                                                   column=1, position=(4, 7)),))
    copy = pickle.loads(pickle.dumps(outcome))
    assert copy == outcome and copy.entry == entry and copy.records[0].judged.expired == EXEMPTION
    assert pickle.loads(pickle.dumps(Resolution({"A": 1}, [Unresolved("/A", "why")]))) == \
        Resolution({"A": 1}, [Unresolved("/A", "why")])


def test_two_workers_give_the_same_report_as_one(tmp_path):
    """``--jobs 2`` pickles every outcome back to the parent: the report is the same, byte for byte."""
    templates = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "templates")
    for index, name in enumerate(sorted(os.listdir(templates)) * 3):
        if name.endswith((".yaml", ".json")):
            with open(os.path.join(templates, name), "rb") as source:
                (tmp_path / f"{index:02d}-{name}").write_bytes(source.read())
    src = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")
    outputs = []
    for jobs in ("1", "2"):
        run = subprocess.run([sys.executable, "-c", "import sys; from dataperimeter_ecr_replicationguard.cli.main "
                              "import main; sys.exit(main())", "scan", str(tmp_path), "--format", "json",
                              "--trusted-account-ids", "111111111111", "--jobs", jobs],
                             env={**os.environ, "PYTHONPATH": src}, capture_output=True, text=True)
        outputs.append((run.returncode, run.stdout))
    assert outputs[0] == outputs[1] and '"findings": [\n    {' in outputs[0][1]
