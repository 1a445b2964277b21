"""Templates from files, for the CLI: parsed with cfn-lint's decoder (YAML short-form tags,
JSON, SAM), which the ``cli`` extra installs. Imported only by ``hook-handler scan``."""

from __future__ import annotations

import gc
import sys
from typing import Any


class UnreadableTemplate(ValueError):
    """A file that cannot be read or parsed; the message is one line naming it. ``line`` and
    ``column`` (1-based) say where the parser stopped, ``None`` when unknown."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.line = line
        self.column = column


def load_decoder() -> Any:
    """cfn-lint's ``decode`` (importing cfn-lint takes most of a small scan's time: do it once,
    before the files are shared out). The first import runs without the cyclic garbage
    collector, which would otherwise walk the growing heap again and again for nothing (a
    tenth of the import's time). cfn-lint's objects then live as long as the process: they are
    frozen out of later collections (``gc.freeze``), which would otherwise walk them all again."""
    first = "cfnlint.decode" not in sys.modules
    enabled = gc.isenabled()
    if first:
        gc.disable()
    try:
        from cfnlint.decode import decode
    except ImportError:  # pragma: no cover - depends on the installation
        raise UnreadableTemplate(
            "hook-handler scan needs cfn-lint: pip install 'dataperimeter-ecr-replicationguard[cli]'"
        ) from None
    finally:
        if first:
            gc.freeze()
        if first and enabled:
            gc.enable()
    return decode


def decode_file(path: str) -> Any:
    template, problems = load_decoder()(path)
    if problems or template is None:
        problem = problems[0] if problems else None
        line = getattr(problem, "linenumber", None)
        column = getattr(problem, "columnnumber", None)
        message = " ".join(str(getattr(problem, "message", "cannot be parsed")).split())
        message = message.replace("{filename}", path)  # cfn-lint leaves it unfilled for undecodable bytes
        where = f":{line}" if line else ""
        raise UnreadableTemplate(f"{path}{where}: {message}", line if isinstance(line, int) and line > 0 else None,
                                 column if isinstance(column, int) and column > 0 else None)
    return template
