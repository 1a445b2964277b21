"""What the one template reader produces, shared by its JSON half (:mod:`.yaml_loader`) and its
YAML half (:mod:`.yaml_nodes`): values that remember where they were written (:class:`LineDict`,
:class:`LineList`), the short-form tags CloudFormation knows, and the one syntax error."""

from __future__ import annotations

from typing import Any

_FUNCTIONS = (
    "And", "Base64", "Cidr", "Equals", "FindInMap", "GetAZs", "If", "ImportValue", "Join",
    "Length", "Not", "Or", "Select", "Split", "Sub", "ToJsonString", "Transform",
    # rule functions (the Rules section)
    "Contains", "EachMemberEquals", "EachMemberIn", "RefAll", "ValueOf", "ValueOfAll",
)
_TAGS = {"!Ref": "Ref", "!Condition": "Condition", "!GetAtt": "Fn::GetAtt"}
_TAGS.update({f"!{name}": f"Fn::{name}" for name in _FUNCTIONS})

class TemplateSyntaxError(ValueError):
    """The text is neither a JSON nor a YAML CloudFormation template. ``line`` and ``column``
    (1-based) say where, when known."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.line = line
        self.column = column


class LineDict(dict):
    """A mapping that knows where it starts (``line``, ``column``) and where each key is
    written: ``key_marks[key] == (line, column)``; ``key_lines[key]`` is the line alone
    (1-based). Compact until asked: a YAML mapping keeps its marks as one array of numbers (0-based, as libyaml
    gives them; no objects for the garbage collector to walk), a JSON document takes them from its text."""

    __slots__ = ("_line", "_column", "_raw", "_doc", "_key_marks", "_key_lines")

    def _marked(self) -> LineDict:
        doc = getattr(self, "_doc", None)
        if doc is not None:
            doc.mark()
        return self

    @property
    def line(self) -> int | None:
        return getattr(self._marked(), "_line", None)

    @line.setter
    def line(self, value: int | None) -> None:
        self._line = value

    @property
    def column(self) -> int | None:
        return getattr(self._marked(), "_column", None)

    @column.setter
    def column(self, value: int | None) -> None:
        self._column = value

    @property
    def key_marks(self) -> dict:
        self._marked()
        try:
            return self._key_marks
        except AttributeError:
            raw = getattr(self, "_raw", None)
            self._key_marks = {} if raw is None else dict(zip(self, _one_based(raw)))
            return self._key_marks

    @key_marks.setter
    def key_marks(self, value: dict) -> None:
        self._key_marks = value

    @property
    def key_lines(self) -> dict:
        try:
            return self._key_lines
        except AttributeError:
            # marks taken as the text was read (JSON's top two levels) are used as they are: no
            # walk of the text (which a transform's rewritten copy of the template no longer matches)
            marks = getattr(self, "_key_marks", None)
            self._key_lines = {key: mark[0] for key, mark in (self.key_marks if marks is None else marks).items()}
            return self._key_lines

    @key_lines.setter
    def key_lines(self, value: dict) -> None:
        self._key_lines = value


class LineList(list):
    """A list that knows where it starts and where each item is written (``item_marks[i]``)."""

    __slots__ = ("_line", "_column", "_raw", "_item_marks")

    @property
    def line(self) -> int | None:
        return getattr(self, "_line", None)

    @line.setter
    def line(self, value: int | None) -> None:
        self._line = value

    @property
    def column(self) -> int | None:
        return getattr(self, "_column", None)

    @column.setter
    def column(self, value: int | None) -> None:
        self._column = value

    @property
    def item_marks(self) -> list:
        try:
            return self._item_marks
        except AttributeError:
            raw = getattr(self, "_raw", None)
            self._item_marks = [] if raw is None else _one_based(raw)
            return self._item_marks

    @item_marks.setter
    def item_marks(self, value: list) -> None:
        self._item_marks = value


def _one_based(raw: Any) -> list[tuple[int, int]]:
    """(line, column) pairs, 1-based, from a YAML value's array of 0-based line, column, ..."""
    return list(zip([line + 1 for line in raw[0::2]], [column + 1 for column in raw[1::2]]))


def take_yaml_marks(value: Any) -> None:
    """Give every mapping and list in ``value`` read from YAML its marks now, by key (a mapping's
    array is in the order its keys were read), so that a copy of it (a transform's, which then
    adds and removes keys) carries them."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, LineDict):
            if getattr(node, "_raw", None) is not None:
                node.key_marks  # noqa: B018 - taken now, from the array
                node._raw = None
        elif isinstance(node, LineList):
            if getattr(node, "_raw", None) is not None:
                node.item_marks  # noqa: B018
                node._raw = None
        else:
            continue
        stack.extend(v for v in (node.values() if isinstance(node, dict) else node) if not isinstance(v, str))


def _cut(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
