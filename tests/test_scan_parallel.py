"""``hook-handler scan`` in more than one process gives what one process gives: the same
report, byte for byte, the same first error, and a clear exit 2 if a worker dies."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from dataperimeter_ecr_replicationguard.cli import scan
from dataperimeter_ecr_replicationguard.cli.parallel import fork_available
from dataperimeter_ecr_replicationguard.settings import parse_settings
from scan_helpers import SCAN_ARGS, TEMPLATES, run_cli

needs_fork = pytest.mark.skipif(not fork_available(), reason="workers are forked only on Linux")


@pytest.fixture
def folder(tmp_path):
    """Every test template (real-world ones included) three times over, in nested folders,
    plus a file that is not a template: enough files for several chunks per worker."""
    root = tmp_path / "infra"
    for copy in range(3):
        shutil.copytree(TEMPLATES, root / f"copy{copy}")
    (root / "copy1" / "package.json").write_text('{"name": "not-a-template"}')
    return root


def scan_output(folder, *extra):
    return run_cli("scan", str(folder), *SCAN_ARGS, "--format", "json", "--today", "2026-11-28", *extra)


@needs_fork
@pytest.mark.parametrize("output", ["json", "sarif", "junit", "text"])
def test_two_jobs_give_exactly_the_report_of_one(folder, output):
    serial = run_cli("scan", str(folder), *SCAN_ARGS, "--format", output, "--today", "2026-11-28", "--jobs", "1")
    parallel = run_cli("scan", str(folder), *SCAN_ARGS, "--format", output, "--today", "2026-11-28", "--jobs", "2")
    assert parallel == serial
    code, out, _ = serial
    if output == "json":
        report = json.loads(out)
        assert code == 1 and report["summary"]["failing"] > 0
        assert report["summary"]["files"] > 60 and len(report["skipped"]) == 1


@needs_fork
def test_unreadable_files_are_reported_with_every_other_file_the_same_way(folder):
    """Issue 13: an unreadable template no longer stops the scan (it used to, with nothing on
    stdout); it is a result of its own, in file order, whatever the number of processes."""
    (folder / "copy0" / "zz-broken.yaml").write_text("Resources: [unclosed\n")
    (folder / "copy2" / "aa-broken.json").write_text('{"Resources": ')
    serial = scan_output(folder, "--jobs", "1")
    parallel = scan_output(folder, "--jobs", "2")
    assert parallel == serial
    code, out, err = parallel
    report = json.loads(out)
    assert code == 2 and report["summary"]["files"] > 60
    assert [u["file"] for u in report["unreadable"]] == [str(folder / "copy0" / "zz-broken.yaml"),
                                                        str(folder / "copy2" / "aa-broken.json")]
    assert err.startswith(f"hook-handler scan: 2 file(s) cannot be read (ECR-TEMPLATE-UNREADABLE): "
                          f"{folder / 'copy0' / 'zz-broken.yaml'}:")


@needs_fork
def test_a_worker_that_dies_fails_the_scan_with_exit_2(folder, monkeypatch):
    real = scan.scan_file

    def dies_on_one_file(options, item):
        if item[0].endswith("copy1/public-repository.yaml"):
            os._exit(9)
        return real(options, item)

    monkeypatch.setattr(scan, "scan_file", dies_on_one_file)
    code, out, err = scan_output(folder, "--jobs", "2")
    assert code == 2 and out == ""
    assert "a worker process stopped without answering" in err and "--jobs 1 scans in this process" in err


def test_jobs_must_be_positive(folder):
    code, out, err = scan_output(folder, "--jobs", "0")
    assert (code, out) == (2, "") and "--jobs 0: expected 1 or more" in err


def test_job_count_default_and_organizations(monkeypatch):
    static = parse_settings({"TrustedAccountIds": "111111111111"})
    organizations = parse_settings({"AccountSource": "Organizations", "TrustedOrganizationIds": "o-abcdefghij"})
    monkeypatch.setattr(scan, "idle_cpus", lambda: 64)  # an idle machine
    assert scan.job_count(None, static, scan.PARALLEL_THRESHOLD - 1) == 1
    assert scan.job_count(None, static, scan.PARALLEL_THRESHOLD) == min(len(os.sched_getaffinity(0)), scan.MAX_AUTO_JOBS)
    # Issue 20: with the CPUs busy, a second process only competes with the first (measured
    # slower than --jobs 1): the default takes idle CPUs only.
    monkeypatch.setattr(scan, "idle_cpus", lambda: 0)
    assert scan.job_count(None, static, 100_000) == 1
    assert scan.job_count(3, static, 5) == 3
    # One process keeps one membership cache: no job count changes the number of AWS calls.
    assert scan.job_count(4, organizations, 1000) == 1
    assert scan.job_count(None, organizations, 1000) == 1


@pytest.mark.parametrize("loadavg, idle", [
    ("0.00 0.00 0.00 1/100 1\n", 2), ("1.40 1.0 1.0 1/100 1\n", 1), ("0.10 0.1 0.1 3/100 1\n", 0),
    ("2.50 3.0 3.0 1/100 1\n", 0), ("garbage\n", None),
])
def test_idle_cpus_counts_what_others_use(monkeypatch, loadavg, idle):
    import io

    monkeypatch.setattr(scan, "usable_cpus", lambda: 2)
    monkeypatch.setattr(scan, "open", lambda *a, **k: io.StringIO(loadavg), raising=False)
    if idle is None:  # unreadable: the load average from the OS instead
        monkeypatch.setattr(scan.os, "getloadavg", lambda: (0.2, 0.0, 0.0))
        idle = 2
    assert scan.idle_cpus() == idle
