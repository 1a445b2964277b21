"""The atheris fuzz target (fuzz/fuzz_policy.py) really runs, briefly, in the test suite; and its
oracle really catches what it is there to catch."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "fuzz" / "fuzz_policy.py"


def test_the_fuzz_target_runs_thousands_of_inputs_without_a_crash(tmp_path):
    corpus = tmp_path / "corpus"
    done = subprocess.run(
        [sys.executable, str(TARGET), "-runs=3000", "-max_total_time=60", f"-dict={ROOT / 'fuzz' / 'policy.dict'}",
         f"-artifact_prefix={tmp_path}/", str(corpus)],
        capture_output=True, text=True, timeout=180, cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert re.search(r"Done 3000 runs", done.stderr), done.stderr[-1000:]
    assert "INFO: Instrumenting dataperimeter_ecr_replicationguard.core" in done.stderr and " cov: " in done.stderr
    assert len(list(corpus.glob("seed-*.json"))) >= 10
    assert not list(tmp_path.glob("crash-*"))


@pytest.fixture
def target(monkeypatch):
    monkeypatch.syspath_prepend(str(TARGET.parent))
    import fuzz_policy

    return fuzz_policy


def test_seeds_pass_the_oracle(target):
    for seed in target.seeds():
        target.test_one_input(seed)


def test_the_oracle_catches_text_and_object_disagreeing(target, monkeypatch):
    real = target.evaluate

    def text_blind(resource_type, logical_id, properties, trust):  # a planted fail-open: text never fails
        if any(isinstance(v, str) and v.lstrip().startswith("{") for v in properties.values()):
            return []
        return real(resource_type, logical_id, properties, trust)

    monkeypatch.setattr(target, "evaluate", text_blind)
    bad = json.dumps({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "999999999999"}, "Action": "ecr:*"}]})
    with pytest.raises(AssertionError, match="text .* but object"):
        target.test_one_input(bad.encode())


def test_the_oracle_catches_a_crash_in_the_analysis(target, monkeypatch):
    def crash(*_args):
        raise KeyError("Principal")

    monkeypatch.setattr(target, "evaluate", crash)
    with pytest.raises(KeyError):
        target.test_one_input(b"{}")
