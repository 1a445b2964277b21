"""The one template reader against cfn-lint's decoder (the oracle), on public corpora nobody
here wrote: cfn-lint's own template fixtures (``make test`` fetches them from PyPI, see
tools/fetch_corpus.py) and every further corpus ``fetch_corpus.corpora()`` names whose files
are present.

For every template both readers must take the same accept/reject decision, give the same
values (cfn-lint's node classes compared as the plain values they are) and the same line for
every resource. The differences that remain are deliberate and each is listed, with its reason,
in docs/scan.md ("Reader differences"): :data:`DELIBERATE` names them, and any other difference
fails here.
"""

from __future__ import annotations

import datetime
import importlib.util
import sys
from pathlib import Path

import pytest
import yaml

from dataperimeter_ecr_replicationguard.template.decode import UnreadableTemplate, decode_file
from dataperimeter_ecr_replicationguard.template.resources import NotATemplate, resources_of

ROOT = Path(__file__).resolve().parent.parent
SUFFIXES = (".yaml", ".yml", ".json", ".template")


def _fetch_corpus():
    spec = importlib.util.spec_from_file_location("fetch_corpus", ROOT / "tools" / "fetch_corpus.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("fetch_corpus", module)
    spec.loader.exec_module(module)
    return module


def _present_corpora() -> list[str]:
    """cfn-lint's always (its test fails when the corpus is missing), the others when fetched."""
    module = _fetch_corpus()
    names = ["cfn-lint"]
    for corpus in module.corpora():
        if corpus.name != "cfn-lint" and (module.corpus_path(corpus.name) / ".complete").exists():
            names.append(corpus.name)
    return names


# Deliberate differences: name -> (how to recognise one: our error message, and the docs' words).
DELIBERATE = {
    "aliases": "YAML aliases (*name) are not allowed",
}


def _difference(oracle, ours, path="") -> str | None:
    """Where two parsed values differ (None when they are the same)."""
    if isinstance(oracle, dict):
        if not isinstance(ours, dict):
            return f"{path or '/'}: a mapping against {type(ours).__name__}"
        if list(oracle) != list(ours):
            return f"{path or '/'}: keys {list(oracle)[:6]} against {list(ours)[:6]}"
        for key in oracle:
            found = _difference(oracle[key], ours[key], f"{path}/{key}")
            if found:
                return found
        return None
    if isinstance(oracle, list):
        if not isinstance(ours, list) or len(oracle) != len(ours):
            return f"{path or '/'}: a list of {len(oracle)} against {ours!r:.60}"
        for index, (a, b) in enumerate(zip(oracle, ours)):
            found = _difference(a, b, f"{path}/{index}")
            if found:
                return found
        return None
    if isinstance(oracle, (datetime.date, datetime.datetime)):
        # cfn-lint reads an unquoted date as a date; CloudFormation (and we) keep the text.
        return None if isinstance(ours, str) and yaml.safe_load(ours) == oracle else f"{path}: {oracle!r} against {ours!r}"
    plain = str if isinstance(oracle, str) else type(oracle)  # cfn-lint's str_node is a str
    if type(ours) is not plain or oracle != ours:
        return f"{path}: {oracle!r} ({type(oracle).__name__}) against {ours!r} ({type(ours).__name__})"
    return None


def _resource_lines(template) -> list[tuple[str, int | None]] | None:
    try:
        return [(r.logical_id, r.line) for r in resources_of(template)]
    except NotATemplate:
        return None


def compare(path: Path) -> str | None:
    """None when both readers agree on ``path``, else what differs (one line)."""
    from cfnlint.decode import decode

    oracle, problems = decode(str(path))
    oracle_accepts = not problems and oracle is not None
    try:
        ours, our_error = decode_file(str(path)), None
    except UnreadableTemplate as error:
        ours, our_error = None, str(error)
    if not oracle_accepts:
        return None if our_error else f"cfn-lint rejects it ({problems[0].message if problems else 'no template'}), we accept it"
    if our_error:
        deliberate = [name for name, words in DELIBERATE.items() if words in our_error]
        return f"deliberate:{deliberate[0]}" if deliberate else f"cfn-lint accepts it, we reject it: {our_error}"
    found = _difference(oracle, ours)
    if found:
        return f"values differ at {found}"
    if _resource_lines(oracle) != _resource_lines(ours):
        return f"resource lines differ: {_resource_lines(oracle)} against {_resource_lines(ours)}"
    return None


@pytest.mark.parametrize("name", _present_corpora())
def test_both_readers_agree_on_every_template_of_the_corpus(name, request):
    if name == "cfn-lint":
        folder = request.getfixturevalue("cfnlint_corpus")
    else:
        folder = _fetch_corpus().corpus_path(name)
    templates = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in SUFFIXES)
    assert len(templates) >= 200 or name != "cfn-lint", len(templates)
    outcomes = {relative: compare(folder / relative) for relative in (p.relative_to(folder) for p in templates)}
    unexplained = {str(p): why for p, why in outcomes.items() if why and not why.startswith("deliberate:")}
    assert not unexplained, f"{len(unexplained)} of {len(templates)} templates read differently: {unexplained}"
    deliberate = sorted({why for why in outcomes.values() if why})
    documented = _reader_differences()
    for why in deliberate:
        assert DELIBERATE[why.removeprefix("deliberate:")] in documented, why
    agreed = sum(1 for why in outcomes.values() if why is None)
    assert agreed >= 0.95 * len(templates), (agreed, len(templates))


def _reader_differences() -> str:
    text = (ROOT / "docs" / "scan.md").read_text(encoding="utf-8")
    assert "## Reader differences" in text
    return text.split("## Reader differences", 1)[1].split("\n## ", 1)[0]


@pytest.mark.parametrize(
    "text, ours",
    [
        ("Resources:\n  R:\n    Type: AWS::SNS::Topic\n    Properties: {TopicName: !GetAtt A.B.C}\n", None),
        ('{"Resources": {"R": {"Type": "AWS::SNS::Topic", "Properties": {"N": 1e5, "M": 1.5e+3, "K": 2}}}}', None),
        ("Version: 2012-10-17\nResources: {}\n", None),
        ("", None),
        ("Resources:\n  R: {Type: A}\n  R: {Type: B}\n", "duplicate key 'R'"),
        ("Resources:\n  ~: {Type: A}\n", "null key"),
    ],
    ids=["getatt-dots", "json-numbers", "date", "empty", "duplicate", "null-key"],
)
def test_the_readers_agree_on_the_conventions(tmp_path, text, ours):
    """The conventions the corpus may not exercise, on both readers (cfn-lint: the oracle)."""
    path = tmp_path / ("t.json" if text.startswith("{") else "t.yaml")
    path.write_text(text, encoding="utf-8")
    assert compare(path) is None
    if ours:
        with pytest.raises(UnreadableTemplate, match=ours):
            decode_file(str(path))
