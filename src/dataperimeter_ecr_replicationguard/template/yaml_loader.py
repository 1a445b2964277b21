"""The one template reader: ``hook-handler scan`` and the hook's STACK and CHANGE_SET targets
read a template with it, so both doors see the same document by construction.

YAML is parsed by libyaml (PyYAML's C parser) and the nodes are turned into values by
:mod:`.yaml_nodes` (imported on the first YAML text: a JSON-only scan never imports PyYAML), with
what CloudFormation adds and nothing else:

- short-form tags (``!Ref X`` is ``{"Ref": "X"}``, ``!GetAtt A.B`` is
  ``{"Fn::GetAtt": ["A", "B"]}``, ``!Sub``, ``!If``, ..., ``!Condition`` and the rule functions
  ``!Contains``, ``!EachMemberEquals``, ...); any other tag is an error;
- no timestamps: ``Version: 2012-10-17`` stays the text ``"2012-10-17"``;
- duplicate keys, aliases (``*name``), null keys, keys that are themselves mappings or lists, and
  more than one document are errors (CloudFormation rejects them all);
- every mapping remembers its line and each key's line and column, every list each item's
  (1-based), for messages: :class:`LineDict` and :class:`LineList`.

JSON (a text that starts with ``{``) is parsed by json's C scanner, refusing duplicate keys; the
marks of the top two levels (the resources' lines and columns) are taken at once, every other
mark from one pass of a regular expression over the text of its second-level value (a resource's
body) when one in it is first asked for: placing a finding walks its resource only. A list is
marked (becomes a LineList) with the mapping it is in: ask the mapping first, as ``locate`` does. Numbers keep
the YAML 1.1 reading cfn-lint gives them (``1e5`` without a dot is the text ``"1e5"``), so a
JSON template reads exactly as it did through cfn-lint's decoder.

cfn-lint's decoder is the oracle: tests/test_reader_differential.py reads every template of
cfn-lint's own fixture corpus with both and requires the same values, resource lines and
accept/reject decision (the differences, all deliberate, are listed in docs/scan.md).
Neither cfn-lint nor this module is imported for the hook's RESOURCE targets.
"""

from __future__ import annotations

import gc
import json
import re
from bisect import bisect_right
from typing import Any

from .marked import _FUNCTIONS, _TAGS, LineDict, LineList, TemplateSyntaxError, _cut, take_yaml_marks  # noqa: F401 - the reader's API


def load_template_text(text: str) -> Any:
    """A template given as JSON or YAML text (as the STACK payload carries it, or a file holds
    it). Raises :class:`TemplateSyntaxError` with a one-line message."""
    if not isinstance(text, str):
        raise TemplateSyntaxError(f"the template must be text, got {type(text).__name__}")
    if text.startswith("\ufeff"):
        text = text[1:]
    if text.lstrip().startswith("{"):
        try:
            return load_json(text)
        except TemplateSyntaxError as json_error:
            try:  # YAML flow style also starts with "{" (cfn-lint reads it so too)
                return _load_yaml_reporting(text)
            except TemplateSyntaxError:
                raise json_error from None
    return _load_yaml_reporting(text)


def _load_yaml_reporting(text: str) -> Any:
    from .yaml_nodes import load_yaml_reporting  # PyYAML only for YAML: a JSON-only scan never imports it

    return load_yaml_reporting(text)



# -- JSON ----------------------------------------------------------------------------------------

# YAML 1.1's float, which cfn-lint's decoder (a YAML parser, for JSON too) applies: a number with
# an exponent but no dot, or an exponent without a sign, is text.
_YAML_FLOAT = re.compile(r"[-+]?(?:[0-9][0-9_]*)?\.[0-9.]*(?:[eE][-+][0-9]+)?\Z")


def _json_float(text: str) -> Any:
    return float(text) if _YAML_FLOAT.match(text) else text


class _Duplicate(ValueError):
    pass


class _JsonDocument:
    """The text of a parsed JSON document, to take its marks from when one is first asked for."""

    __slots__ = ("text", "root", "done", "_newlines")

    def __init__(self, text: str):
        self.text, self.root, self.done, self._newlines = text, None, False, None

    def __deepcopy__(self, memo: dict) -> None:
        """A copy of the values is not this text (a transform rewrites its copy): the copy's
        mappings keep the marks they were given and take no more from the text."""
        return None

    def newlines(self) -> list[int]:
        if self._newlines is None:
            self._newlines = [m.start() for m in _NEWLINE.finditer(self.text)]
        return self._newlines

    def mark(self) -> None:
        if not self.done:
            self.done = True
            self.root = _mark_json(self.text, self.root, newlines=self.newlines())


class _JsonSpan:
    """A mapping in the document's second level (a resource's body, a parameter's declaration,
    ...) as written from ``start`` to ``end``: the mappings in it take their marks from that
    stretch of the text, so placing a finding walks its resource, not the whole template."""

    __slots__ = ("document", "start", "end", "root", "done")

    def __init__(self, document: _JsonDocument, start: int):
        self.document, self.start, self.end, self.root, self.done = document, start, start, None, False

    def __deepcopy__(self, memo: dict) -> None:
        return None  # as a document's copy: see _JsonDocument.__deepcopy__

    def mark(self) -> None:
        if not self.done:
            self.done = True
            _mark_json(self.document.text, self.root, self.start, self.end, self.document.newlines())


def take_all_marks(template: Any) -> None:
    """Give every mapping and list of a template read here all its marks now, so that a copy of
    it carries them: a JSON template's in one walk of its text (a copy takes none from the
    text), a YAML template's by key (a copy whose keys the transform adds and removes cannot
    pair its arrays of marks with its keys by order). Nothing to do for values not read here."""
    if not isinstance(template, LineDict):
        return
    if getattr(template, "_raw", None) is not None:
        take_yaml_marks(template)
        return
    for value in [template, *template.values()]:
        for node in [value, *value.values()] if isinstance(value, LineDict) else [value]:
            doc = getattr(node, "_doc", None) if isinstance(node, LineDict) else None
            if doc is not None:
                (doc.document if isinstance(doc, _JsonSpan) else doc).mark()
                return


class _NotPlain(Exception):
    """The top of the document is not plain enough for the quick walk: json.loads decides."""


_SPACE = re.compile(r"[ \t\n\r]*")


def load_json(text: str) -> Any:
    """``json.loads`` with duplicate keys refused and the YAML 1.1 numbers. The top-level
    mapping and the mappings directly in it (``Resources``, ``Parameters``, ...) are walked
    here so that their keys' lines are known at once (the resources' lines, which every scan
    reports); every deeper value is parsed by json's C scanner, and the remaining marks are
    taken from the text the first time any is asked for (a finding's place)."""
    document = _JsonDocument(text)
    marks_from: list = [document]  # where the mappings being parsed take their marks from

    def new_object(pairs: list) -> LineDict:
        result = LineDict(pairs)
        if len(result) != len(pairs):
            seen: set = set()
            for key, _ in pairs:
                if key in seen:
                    raise _Duplicate(key)
                seen.add(key)
        result._doc = marks_from[0]
        return result

    decoder = json.JSONDecoder(object_pairs_hook=new_object, parse_float=_json_float)
    collecting = gc.isenabled()
    gc.disable()  # the values are a tree: the cyclic collector would walk them for nothing
    try:
        try:
            value = _quick(text, decoder.scan_once, new_object, marks_from)
        except _NotPlain:
            marks_from[0] = document
            value = decoder.decode(text)
    except RecursionError:
        raise TemplateSyntaxError("the template is nested too deeply") from None
    except _Duplicate as duplicate:
        mark = _json_duplicate_mark(text, duplicate.args[0])
        where = f"line {mark[0]}, column {mark[1]}: " if mark else ""
        raise TemplateSyntaxError(f"the template is not valid JSON: {where}duplicate key {_cut(duplicate.args[0])}",
                                  *(mark or ())) from None
    except ValueError as error:
        line, column = getattr(error, "lineno", None), getattr(error, "colno", None)
        message = getattr(error, "msg", None) or str(error)
        where = f"line {line}, column {column}: " if line else ""
        raise TemplateSyntaxError(f"the template is not valid JSON: {where}{message}", line, column) from None
    finally:
        if collecting:
            gc.enable()
    document.root = value
    if not isinstance(value, dict):
        document.mark()
        return document.root
    return value


def _quick(text: str, scan: Any, new_object: Any, marks_from: list) -> Any:
    start = _SPACE.match(text).end()
    if text[start:start + 1] != "{":
        raise _NotPlain
    lines = [0, 0]  # the newlines counted so far, and up to which offset
    value, end = _quick_object(text, start, scan, new_object, 0, lines, marks_from)
    if _SPACE.match(text, end).end() != len(text):
        raise _NotPlain
    return value


def _quick_object(text: str, index: int, scan: Any, new_object: Any, depth: int, lines: list,
                  marks_from: list) -> tuple:
    """The mapping at ``index`` of the top level (depth 0) or the second (depth 1), with its
    marks and its keys' marks taken as it is read; a mapping inside one of the second level's
    values takes its marks from a :class:`_JsonSpan` of that value when one is asked for."""
    pairs = []
    key_marks = {}
    space = _SPACE.match
    lines[0] += text.count("\n", lines[1], index)
    lines[1] = index
    mark = lines[0] + 1, index - text.rfind("\n", 0, index)
    index = space(text, index + 1).end()
    while text[index:index + 1] != "}":
        if text[index:index + 1] != '"':
            raise _NotPlain
        try:
            key, after = scan(text, index)
        except StopIteration:
            raise _NotPlain from None
        lines[0] += text.count("\n", lines[1], index)
        lines[1] = index
        key_marks[key] = lines[0] + 1, index - text.rfind("\n", 0, index)
        index = space(text, after).end()
        if text[index:index + 1] != ":":
            raise _NotPlain
        index = space(text, index + 1).end()
        opens = text[index:index + 1] == "{"
        if depth == 0 and opens:
            value, index = _quick_object(text, index, scan, new_object, 1, lines, marks_from)
        elif opens:  # a second-level mapping: the mappings in it are marked from its span
            span = _JsonSpan(marks_from[0], index)
            marks_from[0] = span
            try:
                value, index = scan(text, index)
            except StopIteration:
                raise _NotPlain from None
            finally:
                marks_from[0] = span.document
            span.end, span.root = index, value
        else:
            try:
                value, index = scan(text, index)
            except StopIteration:
                raise _NotPlain from None
        pairs.append((key, value))
        index = space(text, index).end()
        ch = text[index:index + 1]
        if ch == "}":
            break
        if ch != ",":
            raise _NotPlain
        index = space(text, index + 1).end()
    result = new_object(pairs)
    # Marked here; a list in it becomes a marked LineList when the mapping is asked, as a whole
    # document walk does it (a span walk does for the lists in a second-level value)
    result._doc = marks_from[0] if any(type(value) is list for _, value in pairs) else None
    result._line, result._column = mark
    result._key_marks = key_marks  # (key_lines follows from them when asked)
    return result, index + 1


# Every token that opens, closes or keys a container, and every other value: strings (a key when
# ":" follows), brackets, and numbers, true, false and null.
_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"(\s*:)?|[{}\[\]]|[^\s,:{}\[\]"]+')
_NEWLINE = re.compile("\n")


def _mark_json(text: str, root: Any, start: int = 0, end: int | None = None, newlines: list[int] | None = None) -> Any:
    """Give every mapping of ``root`` (written in ``text[start:end]``) its marks and turn every
    list into a marked LineList, walking the text once in document order alongside the parsed
    values (json keeps key order). Returns the root (a new object when it is a list)."""
    if not isinstance(root, (dict, list)):
        return root
    if newlines is None:
        newlines = [m.start() for m in _NEWLINE.finditer(text)]
    stack: list = []
    current: Any = None  # the container being filled: a LineDict or a LineList
    keys: Any = None  # an iterator over current's keys, when it is a mapping
    key: Any = None  # the key whose value comes next
    for match in _JSON_TOKEN.finditer(text, start, len(text) if end is None else end):
        first = match.group()[0]
        if first == "}" or first == "]":
            current, keys, key = stack.pop()
            continue
        if keys is not None and match.group(1) is not None:  # a key of the current mapping
            key = next(keys)
            current._key_marks[key] = _json_mark(newlines, match.start())
            continue
        if first != "{" and first != "[":
            if keys is None and current is not None:
                current._item_marks.append(_json_mark(newlines, match.start()))
            continue
        mark = _json_mark(newlines, match.start())
        if current is None:
            node = root
        elif keys is not None:
            node = current[key]
        else:
            current._item_marks.append(mark)
            node = current[len(current._item_marks) - 1]
        if first == "[":
            marked = LineList(node)
            if current is None:
                root = marked
            elif keys is not None:
                current[key] = marked
            else:
                current[len(current._item_marks) - 1] = marked
            node = marked
            node._item_marks = []
        else:
            node._key_marks = {}
        node._line, node._column = mark
        stack.append((current, keys, key))
        current, keys = node, (iter(list(node)) if first == "{" else None)
    return root


def _json_mark(newlines: list[int], offset: int) -> tuple[int, int]:
    line = bisect_right(newlines, offset)
    return line + 1, offset - (newlines[line - 1] if line else -1)


def _json_duplicate_mark(text: str, key: str) -> tuple[int, int] | None:
    """Where a duplicate key is written a second time (the error path only: a plain search)."""
    quoted = json.dumps(key)
    pattern = re.compile(re.escape(quoted) + r"\s*:")
    found = list(pattern.finditer(text))
    if len(found) < 2:
        return None
    offset = found[1].start()
    line = text.count("\n", 0, offset)
    return line + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1
