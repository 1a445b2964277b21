"""docs/operations.md stays true to the code and the templates: every error code the hook can
return is explained, every command's parameters exist in the template it deploys, every link
and file it names exists, and the figure is a committed PNG."""

from __future__ import annotations

import pathlib
import re
import shlex

from cfnlint.decode import decode

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "operations.md"
SOURCE = ROOT / "src" / "dataperimeter_ecr_replicationguard"


def text() -> str:
    return DOC.read_text(encoding="utf-8")


def error_codes_in_code() -> set[str]:
    """Every HandlerErrorCode a handler module names, and the verdict codes of hook/answer.py."""
    codes: set[str] = set()
    for path in SOURCE.rglob("*.py"):
        if "target_models" in path.parts or path.name == "models.py":
            continue
        source = path.read_text(encoding="utf-8")
        codes.update(re.findall(r"HandlerErrorCode\.(\w+)", source))
    report = (SOURCE / "hook" / "answer.py").read_text(encoding="utf-8")
    codes.update(re.findall(r'^[A-Z_]+ = "(\w+)"$', report, flags=re.M))
    return codes


def commands() -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", text(), flags=re.S)
    joined = "\n".join(blocks).replace("\\\n", " ")
    return [line.strip() for line in joined.splitlines() if line.strip() and not line.strip().startswith("#")]


def test_every_error_code_the_hook_returns_is_explained():
    codes = error_codes_in_code()
    assert {"NonCompliant", "InvalidRequest", "InvalidTypeConfiguration", "InternalFailure"} <= codes
    table = [line for line in text().splitlines() if line.startswith("| `")]
    explained = {code for line in table for code in re.findall(r"`(\w+)`", line.split("|")[1])}
    assert not codes - explained, f"docs/operations.md does not explain {sorted(codes - explained)}"


def test_every_command_parameter_exists_in_the_template_it_deploys():
    checked = 0
    for command in commands():
        words = shlex.split(command.replace("$BUCKET", "BUCKET"))
        if "--template-file" not in words or "--parameter-overrides" not in words:
            continue
        template, errors = decode(str(ROOT / words[words.index("--template-file") + 1]))
        assert not errors, errors
        given = [w.split("=", 1)[0] for w in words[words.index("--parameter-overrides") + 1:] if "=" in w]
        unknown = set(given) - set(template["Parameters"])
        assert not unknown, f"{command}: {sorted(unknown)} are not parameters"
        checked += 1
    assert checked >= 5


def test_every_linked_file_exists_and_the_figure_is_a_png():
    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text())
    assert links
    for link in links:
        if link.startswith("https://"):   # the AWS documentation the text relies on
            continue
        assert (DOC.parent / link).exists(), link
    for named in set(re.findall(r"(?<![\w/.])((?:deploy|docs|tools)/[\w./-]+\.(?:yaml|json|py|md|png))", text())):
        assert (ROOT / named).exists(), named
    figure = DOC.parent / "hook-in-deploy-and-rollout.png"
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "(hook-in-deploy-and-rollout.png)" in text() and "rules.md" in text()
