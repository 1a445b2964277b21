"""Where a value is written: line and column (1-based) of the deepest key or list item on a
JSON pointer inside a parsed template node, so a finding points at the offending property,
not only at its resource.

Two node flavours carry positions:

- cfn-lint's decoded nodes: mapping keys (and most values) are ``str_node``/``dict_node``/...
  with ``start_mark.line`` and ``start_mark.column`` (0-based);
- the project's own loader: a mapping exposes ``key_marks`` (``{key: (line, column)}``,
  1-based) and a list ``item_marks`` (``[(line, column), ...]``, 1-based).

Plain dicts and lists (a JSON template read without marks) have no positions: ``None``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..core.values import is_object

Position = tuple[int, int]


def parts_of(pointer: str) -> list[str]:
    """The reference tokens of an RFC 6901 JSON pointer (``""`` is the whole document)."""
    if not pointer:
        return []
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer.lstrip("/").split("/")]


def locate(node: Any, pointer: str) -> Position | None:
    """1-based (line, column) of the deepest key or item on ``pointer`` that exists in ``node``;
    ``None`` when nothing on the way carries a position."""
    found: Position | None = None
    for part in parts_of(pointer):
        if is_object(node):
            key = _key(node, part)
            if key is _MISSING:
                break
            found = _key_mark(node, key) or found
            node = node[key]
        elif isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                break
            index = int(part)
            found = _item_mark(node, index) or found
            node = node[index]
        else:
            break
    return found


_MISSING = object()


def _key(mapping: Mapping, part: str) -> Any:
    if part in mapping:
        for key in mapping:  # the key object itself carries the mark (a str_node equals its text)
            if key == part:
                return key
    for key in mapping:
        if str(key) == part:
            return key
    return _MISSING


def _key_mark(mapping: Mapping, key: Any) -> Position | None:
    marks = getattr(mapping, "key_marks", None)
    if is_object(marks) and key in marks:
        return _pair(marks[key])
    return _mark_of(key)


def _item_mark(items: list, index: int) -> Position | None:
    marks = getattr(items, "item_marks", None)
    if isinstance(marks, (list, tuple)) and index < len(marks):
        return _pair(marks[index])
    return _mark_of(items[index])


def _mark_of(value: Any) -> Position | None:
    mark = getattr(value, "start_mark", None)
    line, column = getattr(mark, "line", None), getattr(mark, "column", None)
    if isinstance(line, int) and isinstance(column, int):
        return line + 1, column + 1
    return None


def _pair(value: Any) -> Position | None:
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return int(value[0]), int(value[1])
    return None
