"""YAML for the one template reader (:mod:`.yaml_loader`): libyaml (PyYAML's C parser) scans,
parses and composes; the nodes are turned into values here, with CloudFormation's short-form
tags and the line and column of every key and item. Imported on the first YAML text only."""

from __future__ import annotations

import gc
from array import array
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from .marked import _TAGS, LineDict, LineList, TemplateSyntaxError, _cut

_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"


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


# first character -> the implicit resolvers to try (those of the character, then any wildcard
# ones, as BaseResolver.resolve concatenates them); a character without its own has the wildcards.
_WILDCARD = tuple(_Resolver.yaml_implicit_resolvers.get(None, ()))
_IMPLICIT = {first: tuple(resolvers) + _WILDCARD
             for first, resolvers in _Resolver.yaml_implicit_resolvers.items() if first is not None}


class _Parser(_Base, _Resolver):
    """libyaml composes the nodes, calling back into Python for every node: ``resolve`` (its
    tag), ``descend_resolver`` and ``ascend_resolver`` (path resolvers, which CloudFormation's
    reader never registers). Those callbacks were a seventh of the time of a large template, so
    they are reduced to what this reader needs: ``resolve`` looks up the implicit resolvers of
    the value's first character only (what ``BaseResolver.resolve`` does, without path
    resolvers and their lists built per call), once per distinct short plain scalar, and the path-resolver hooks are C callables that
    do nothing (``slice``/``tuple`` accept the arguments libyaml passes and return at once,
    with no Python frame)."""

    descend_resolver = slice  # (parent, index) -> a slice object, discarded
    ascend_resolver = tuple  # () -> (), discarded

    def __init__(self, stream: str):
        _Base.__init__(self, stream)
        _Resolver.__init__(self)

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is ScalarNode:
            if implicit[0]:
                tag = _PLAIN.get(value)
                if tag is None:
                    tag = _STR
                    for implicit_tag, regexp in _IMPLICIT.get(value[:1], _WILDCARD):
                        if regexp.match(value):
                            tag = implicit_tag
                            break
                    if len(value) < 64 and len(_PLAIN) < 4096:
                        _PLAIN[value] = tag
                return tag
            return _STR
        return _SEQ if kind is SequenceNode else _MAP


# plain scalar -> its tag (the very objects resolve returns, so ``tag is _STR`` holds): templates repeat
# their keys and many values; short ones are kept, a few thousand at most
_PLAIN: dict[str, str] = {}


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
        return _sequence(node)
    name = _TAGS.get(tag)
    if name is None:
        raise _error(f"unsupported tag {_cut(tag)} (not a CloudFormation intrinsic function)", node.start_mark)
    return _function(name, node)


# The hot loops below test ``node.tag is _STR``: :meth:`_Parser.resolve` gives every plain or
# quoted text scalar that very object (and ``_MAP``, ``_SEQ`` to every untagged mapping and
# list), so the test is one identity check (a node tagged ``!!str`` explicitly carries an
# equal string of its own and takes the general path, :func:`_value`).

# Marks are kept 0-based, as libyaml gives them (``marked.py`` adds 1 when they are read), in one
# array of numbers per mapping or list: the nodes are let go as soon as the values are made (a
# template that kept its nodes had five times the objects for the garbage collector to walk, and a
# 1 MB one scanned 1.4x slower for it).

def _sequence(node: SequenceNode) -> LineList:
    result = LineList()
    mark = node.start_mark
    result._line, result._column = mark.line + 1, mark.column + 1
    result._raw = raw = array("l")
    add = raw.append
    append = result.append
    for item in node.value:
        mark = item.start_mark
        add(mark.line)
        add(mark.column)
        append(item.value if item.tag is _STR else _value(item))
    return result


def _mapping(node: MappingNode) -> LineDict:
    result = LineDict()
    mark = node.start_mark
    result._line, result._column = mark.line + 1, mark.column + 1
    result._raw = raw = array("l")
    add = raw.append
    for key_node, value_node in node.value:
        mark = key_node.start_mark
        if key_node.tag is _STR:
            key = key_node.value
        else:
            key = _key(node, key_node, mark)
            if key is _MERGED:  # "<<: {...}" (aliases are refused before parsing): merged, then read again
                return _mapping(node)
        if key in result:
            raise _error(f"duplicate key {_cut(key)}", mark)
        add(mark.line)
        add(mark.column)
        tag = value_node.tag
        if tag is _STR:
            result[key] = value_node.value
        elif tag is _MAP and value_node.__class__ is MappingNode:
            result[key] = _mapping(value_node)
        elif tag is _SEQ and value_node.__class__ is SequenceNode:
            result[key] = _sequence(value_node)
        else:
            result[key] = _value(value_node)
    return result


_MERGED = object()


def _key(node: MappingNode, key_node: Any, mark: Any) -> Any:
    """A key that is not plain text: a scalar of another type (``1:``, ``true:``), or an error;
    ``_MERGED`` after merging a ``<<`` key's mappings into ``node``."""
    if key_node.__class__ is not ScalarNode:
        raise _error("a mapping key must be a scalar, not a " +
                     ("mapping" if key_node.__class__ is MappingNode else "list"), mark)
    tag = key_node.tag
    if tag == _STR:
        return key_node.value
    if tag == _MERGE:
        _SAFE.flatten_mapping(node)
        return _MERGED
    key = _value(key_node)
    if key is None:
        raise _error(f"null key {_cut(key_node.value)} is not allowed", mark)
    if isinstance(key, dict):  # a tagged key: !Ref X: ...
        raise _error(f"a mapping key cannot be a function ({_cut(tag)})", mark)
    return key


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
    result._line, result._column = mark.line + 1, mark.column + 1
    result._raw = array("l", (mark.line, mark.column))
    result[name] = value
    return result


def load_yaml(text: str) -> Any:
    """The text's one document. The cyclic garbage collector is paused meanwhile: the nodes
    and values are trees (aliases are refused), so it would find nothing, yet it walked the
    growing heap again and again (a third of the time of a 1,000-resource template)."""
    if "&" in text:  # an alias needs an anchor: without "&" there is none to refuse
        _refuse_aliases(text)
    collecting = gc.isenabled()
    gc.disable()
    try:
        parser = _Parser(text)
        try:
            node = parser.get_single_node()
        finally:
            parser.dispose()
        return None if node is None else _value(node)
    finally:
        if collecting:
            gc.enable()


def _refuse_aliases(text: str) -> None:
    for token in yaml.scan(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
        if isinstance(token, yaml.AliasToken):
            raise _error("YAML aliases (*name) are not allowed in CloudFormation templates", token.start_mark)


def load_yaml_reporting(text: str) -> Any:
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

