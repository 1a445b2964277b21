"""The public corpus the reader and scan tests read is really there, and is cfn-lint's own."""

from __future__ import annotations


def test_cfnlint_corpus_holds_cfnlint_fixture_templates(cfnlint_corpus):
    templates = [p for p in cfnlint_corpus.rglob("*") if p.suffix in (".yaml", ".yml", ".json", ".template")]
    assert len(templates) >= 200
    assert (cfnlint_corpus / "good").is_dir() and (cfnlint_corpus / "bad").is_dir()
    assert "cfn-lint==" in (cfnlint_corpus / ".complete").read_text()
