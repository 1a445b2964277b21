"""Templates from files, for ``hook-handler scan``: read by the project's one template reader
(:mod:`.yaml_loader`: libyaml for YAML, ``json`` for JSON), the very reader the hook's STACK and
CHANGE_SET targets use, so both doors read a file the same way. cfn-lint is not imported here."""

from __future__ import annotations

from typing import Any

from .yaml_loader import LineDict, TemplateSyntaxError, load_template_text


class UnreadableTemplate(ValueError):
    """A file that cannot be read or parsed; the message is one line naming it (and the line
    and column, 1-based, when known: also in ``line`` and ``column``)."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.line = line
        self.column = column


def decode_file(path: str, raw: bytes | None = None) -> Any:
    """The parsed template of ``path`` (``raw``: its bytes, when the caller has read them
    already). Raises :class:`UnreadableTemplate`."""
    if raw is None:
        try:
            with open(path, "rb") as handle:
                raw = handle.read()
        except OSError as error:
            raise UnreadableTemplate(f"{path}: cannot read the file: {error.strerror or error}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        raise UnreadableTemplate(f"{path}:{line}:{column}: cannot read the file: byte {raw[error.start]:#04x} "
                                 "is not UTF-8 text", line, column) from None
    try:
        template = load_template_text(text)
    except TemplateSyntaxError as error:
        message = " ".join(str(error).split())
        raise UnreadableTemplate(f"{path}: {message}", error.line, error.column) from None
    return LineDict() if template is None else template
