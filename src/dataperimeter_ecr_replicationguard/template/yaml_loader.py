"""The one template reader: ``hook-handler scan`` and the hook's STACK and CHANGE_SET targets
read a template with it, so both doors see the same document by construction.

YAML is parsed by libyaml (PyYAML's C parser, ``yaml.CParser``) and the nodes are turned into
values here, with what CloudFormation adds and nothing else:

- short-form tags (``!Ref X`` is ``{"Ref": "X"}``, ``!GetAtt A.B`` is
  ``{"Fn::GetAtt": ["A", "B"]}``, ``!Sub``, ``!If``, ..., ``!Condition`` and the rule functions
  ``!Contains``, ``!EachMemberEquals``, ...); any other tag is an error;
- no timestamps: ``Version: 2012-10-17`` stays the text ``"2012-10-17"``;
- duplicate keys, aliases (``*name``), null keys, keys that are themselves mappings or lists, and
  more than one document are errors (CloudFormation rejects them all);
- every mapping remembers its line and each key's line and column, every list each item's
  (1-based), for messages: :class:`LineDict` and :class:`LineList`.

JSON (a text that starts with ``{``) is parsed by :func:`json.loads` (C), refusing duplicate keys;
the same marks are then taken from one pass of a regular expression over the text. Numbers keep
the YAML 1.1 reading cfn-lint gives them (``1e5`` without a dot is the text ``"1e5"``), so a
JSON template reads exactly as it did through cfn-lint's decoder.

cfn-lint's decoder is the oracle: tests/test_reader_differential.py reads every template of
cfn-lint's own fixture corpus with both and requires the same values, resource lines and
accept/reject decision (the differences, all deliberate, are listed in docs/scan.md).
Neither cfn-lint nor this module is imported for the hook's RESOURCE targets.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

_FUNCTIONS = (
    "And", "Base64", "Cidr", "Equals", "FindInMap", "GetAZs", "If", "ImportValue", "Join",
    "Length", "Not", "Or", "Select", "Split", "Sub", "ToJsonString", "Transform",
    # rule functions (Rules section)
    "Contains", "EachMemberEquals", "EachMemberIn", "RefAll", "ValueOf", "ValueOfAll",
)
_TAGS = {"!Ref": "Ref", "!Condition": "Condition", "!GetAtt": "Fn::GetAtt"}
_TAGS.update({f"!{name}": f"Fn::{name}" for name in _FUNCTIONS})

_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"


class TemplateSyntaxError(ValueError):
    """The text is neither a JSON nor a YAML CloudFormation template. ``line`` and ``column``
    (1-based) say where, when known."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.line = line
        self.column = column


class LineDict(dict):
    """A mapping that knows where it starts (``line``, ``column``) and where each key is
    written: ``key_marks[key] == (line, column)``; ``key_lines[key]`` is the line alone."""

    __slots__ = ("line", "column", "key_marks", "_key_lines")

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.line = self.column = None
        self.key_marks = {}
        self._key_lines = None

    @property
    def key_lines(self) -> dict:
        if self._key_lines is None:
            self._key_lines = {key: mark[0] for key, mark in self.key_marks.items()}
        return self._key_lines


class LineList(list):
    """A list that knows where it starts and where each item is written (``item_marks[i]``)."""

    __slots__ = ("line", "column", "item_marks")

    def __init__(self, *args: Any):
        super().__init__(*args)
        self.line = self.column = None
        self.item_marks = []


class _Resolver(yaml.resolver.Resolver):
    pass


# Drop the timestamp resolver: CloudFormation reads 2012-10-17 as text.
_Resolver.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
}


try:  # libyaml scans, parses and composes; the nodes are turned into values here
    from yaml.cyaml import CParser as _Base
except ImportError:  # pragma: no cover - PyYAML built without libyaml: the same, in Python
    from yaml.composer import Composer
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Base(Reader, Scanner, Parser, Composer):  # type: ignore[no-redef]
        def __init__(self, stream: str):
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)
            Composer.__init__(self)


class _Parser(_Base, _Resolver):
    def __init__(self, stream: str):
        _Base.__init__(self, stream)
        _Resolver.__init__(self)


_SAFE = SafeConstructor()
_SCALARS = {
    "tag:yaml.org,2002:null": _SAFE.construct_yaml_null,
    "tag:yaml.org,2002:bool": _SAFE.construct_yaml_bool,
    "tag:yaml.org,2002:int": _SAFE.construct_yaml_int,
    "tag:yaml.org,2002:float": _SAFE.construct_yaml_float,
}


def _where(mark: Any) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}"


def _error(message: str, mark: Any) -> TemplateSyntaxError:
    return TemplateSyntaxError(f"{_where(mark)}: {message}", mark.line + 1, mark.column + 1)


def _value(node: Any) -> Any:
    kind = node.__class__
    tag = node.tag
    if kind is ScalarNode:
        if tag == _STR:
            return node.value
        construct = _SCALARS.get(tag)
        if construct is not None:
            return construct(node)
    elif kind is MappingNode:
        if tag == _MAP:
            return _mapping(node)
    elif tag == _SEQ:
        result = LineList()
        mark = node.start_mark
        result.line, result.column = mark.line + 1, mark.column + 1
        marks = result.item_marks
        for item in node.value:
            mark = item.start_mark
            marks.append((mark.line + 1, mark.column + 1))
            result.append(_value(item))
        return result
    name = _TAGS.get(tag)
    if name is None:
        raise _error(f"unsupported tag {_cut(tag)} (not a CloudFormation intrinsic function)", node.start_mark)
    return _function(name, node)


def _mapping(node: MappingNode) -> LineDict:
    pairs = node.value
    if any(key.tag == _MERGE for key, _ in pairs):
        _SAFE.flatten_mapping(node)  # "<<: {...}" (aliases are refused before parsing)
        pairs = node.value
    result = LineDict()
    mark = node.start_mark
    result.line, result.column = mark.line + 1, mark.column + 1
    marks = result.key_marks
    for key_node, value_node in pairs:
        mark = key_node.start_mark
        if key_node.__class__ is not ScalarNode:
            raise _error("a mapping key must be a scalar, not a " +
                         ("mapping" if key_node.__class__ is MappingNode else "list"), mark)
        key = key_node.value if key_node.tag == _STR else _value(key_node)
        if key is None:
            raise _error(f"null key {_cut(key_node.value)} is not allowed", mark)
        if isinstance(key, dict):  # a tagged key: !Ref X: ...
            raise _error(f"a mapping key cannot be a function ({_cut(key_node.tag)})", mark)
        if key in result:
            raise _error(f"duplicate key {_cut(key)}", mark)
        marks[key] = (mark.line + 1, mark.column + 1)
        result[key] = _value(value_node)
    return result


def _function(name: str, node: Any) -> LineDict:
    kind = node.__class__
    if kind is ScalarNode:
        value: Any = node.value
        if name == "Fn::GetAtt":
            value = value.split(".", 1)
    elif kind is SequenceNode:
        value = _value(SequenceNode(_SEQ, node.value, node.start_mark, node.end_mark))
    else:
        value = _mapping(node)
    result = LineDict()
    mark = node.start_mark
    result.line, result.column = mark.line + 1, mark.column + 1
    result.key_marks[name] = (result.line, result.column)
    result[name] = value
    return result


def _cut(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def load_yaml(text: str) -> Any:
    if "&" in text:  # an alias needs an anchor: without "&" there is none to refuse
        _refuse_aliases(text)
    parser = _Parser(text)
    try:
        node = parser.get_single_node()
    finally:
        parser.dispose()
    if node is None:
        return None
    return _value(node)


def _refuse_aliases(text: str) -> None:
    for token in yaml.scan(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
        if isinstance(token, yaml.AliasToken):
            raise _error("YAML aliases (*name) are not allowed in CloudFormation templates", token.start_mark)


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
    try:
        return load_yaml(text)
    except RecursionError:
        raise TemplateSyntaxError("the template is nested too deeply") from None
    except yaml.YAMLError as error:
        raise _yaml_error(error) from None


def _yaml_error(error: yaml.YAMLError) -> TemplateSyntaxError:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    context = getattr(error, "context", None) or ""
    if "expected a single document" in context:
        problem = "the text holds more than one YAML document (---); a template is one document"
    elif "exceeded maximum nesting depth" in problem:
        problem = "the template is nested too deeply"
    if mark is None:
        return TemplateSyntaxError(f"the template is not valid YAML: {problem}")
    return TemplateSyntaxError(f"the template is not valid YAML: {_where(mark)}: {problem}",
                               mark.line + 1, mark.column + 1)


# -- JSON ----------------------------------------------------------------------------------------

# YAML 1.1's float, which cfn-lint's decoder (a YAML parser, for JSON too) applies: a number with
# an exponent but no dot, or an exponent without a sign, is text.
_YAML_FLOAT = re.compile(r"[-+]?(?:[0-9][0-9_]*)?\.[0-9.]*(?:[eE][-+][0-9]+)?\Z")


def _json_float(text: str) -> Any:
    return float(text) if _YAML_FLOAT.match(text) else text


class _Duplicate(ValueError):
    pass


def _json_object(pairs: list) -> LineDict:
    result = LineDict(pairs)
    if len(result) != len(pairs):
        seen: set = set()
        for key, _ in pairs:
            if key in seen:
                raise _Duplicate(key)
            seen.add(key)
    return result


def load_json(text: str) -> Any:
    try:
        value = json.loads(text, object_pairs_hook=_json_object, parse_float=_json_float)
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
    return _mark_json(text, value)


# Every token that opens, closes or keys a container: strings (a key when ":" follows), brackets
# and the first character of every other value (numbers, true, false, null).
_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"(\s*:)?|[{}\[\]]|[^\s,:{}\[\]"]+')


def _mark_json(text: str, root: Any) -> Any:
    """Give every mapping of ``root`` its marks and turn every list into a marked LineList,
    walking the text once in document order alongside the parsed values (json.loads keeps
    key order). Returns the root (a new object when it is a list)."""
    if not isinstance(root, (dict, list)):
        return root
    newlines = [m.start() for m in _NEWLINE.finditer(text)]
    stack: list = []
    current: Any = None  # the container being filled: a LineDict or a LineList
    keys: Any = None  # an iterator over current's keys, when it is a mapping
    key: Any = None  # the key whose value comes next
    for match in _JSON_TOKEN.finditer(text):
        first = match.group()[0]
        if first == "}" or first == "]":
            current, keys, key = stack.pop()
            continue
        if keys is not None and match.group(1) is not None:  # a key of the current mapping
            key = next(keys)
            current.key_marks[key] = _json_mark(newlines, match.start())
            continue
        if first != "{" and first != "[":
            if keys is None and current is not None:
                current.item_marks.append(_json_mark(newlines, match.start()))
            continue
        mark = _json_mark(newlines, match.start())
        if current is None:
            node = root
        elif keys is not None:
            node = current[key]
        else:
            current.item_marks.append(mark)
            node = current[len(current.item_marks) - 1]
        if first == "[":
            marked = LineList(node)
            if current is None:
                root = marked
            elif keys is not None:
                current[key] = marked
            else:
                current[len(current.item_marks) - 1] = marked
            node = marked
        node.line, node.column = mark
        stack.append((current, keys, key))
        current, keys = node, (iter(list(node)) if first == "{" else None)
    return root


_NEWLINE = re.compile("\n")


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
