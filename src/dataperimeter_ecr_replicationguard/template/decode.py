"""Templates from files, for the CLI: parsed with cfn-lint's decoder (YAML short-form tags,
JSON, SAM), which the ``cli`` extra installs. Imported only by ``hook-handler scan``."""

from __future__ import annotations

from typing import Any


class UnreadableTemplate(ValueError):
    """A file that cannot be read or parsed; the message is one line naming it."""


def decode_file(path: str) -> Any:
    try:
        from cfnlint.decode import decode
    except ImportError:  # pragma: no cover - depends on the installation
        raise UnreadableTemplate(
            "hook-handler scan needs cfn-lint: pip install 'dataperimeter-ecr-replicationguard[cli]'"
        ) from None
    template, problems = decode(path)
    if problems or template is None:
        problem = problems[0] if problems else None
        line = getattr(problem, "linenumber", None)
        message = " ".join(str(getattr(problem, "message", "cannot be parsed")).split())
        where = f":{line}" if line else ""
        raise UnreadableTemplate(f"{path}{where}: {message}")
    return template
