"""A small CloudFormation-aware YAML loader for the hook's STACK and CHANGE_SET targets.

The CLI parses with cfn-lint's decoder. The hook cannot: cfn-lint and its dependencies
(sympy, networkx, ...) are about 140 MB, far too much for the hook's Lambda package. This
loader is PyYAML's ``SafeLoader`` plus what CloudFormation adds, and nothing else:

- short-form tags (``!Ref X`` is ``{"Ref": "X"}``, ``!GetAtt A.B`` is
  ``{"Fn::GetAtt": ["A", "B"]}``, ``!Sub``, ``!If``, ... and ``!Condition``);
- no timestamps: ``Version: 2012-10-17`` stays the text ``"2012-10-17"``;
- duplicate keys and aliases (``*name``) are errors (CloudFormation rejects both);
- every mapping remembers its line and its keys' lines (1-based) for messages.

A test parses every template of ``tests/data/templates`` with both this loader and cfn-lint's
and asserts the same result, so the hook and the CLI read a template the same way.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

_FUNCTIONS = (
    "And", "Base64", "Cidr", "Equals", "FindInMap", "GetAZs", "If", "ImportValue", "Join",
    "Length", "Not", "Or", "Select", "Split", "Sub", "ToJsonString", "Transform",
    # rule functions (the Rules section)
    "Contains", "EachMemberEquals", "EachMemberIn", "RefAll", "ValueOf", "ValueOfAll",
)


class TemplateSyntaxError(ValueError):
    """The text is neither a JSON nor a YAML CloudFormation template."""


class LineDict(dict):
    """A mapping that knows the line it started on, and the line of each key."""

    line: int | None = None
    key_lines: dict | None = None


class _Loader(yaml.SafeLoader):
    def compose_node(self, parent, index):
        # CloudFormation rejects YAML aliases; refusing them also rules out "billion laughs".
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise TemplateSyntaxError(f"line {mark.line + 1}: YAML aliases (*name) are not allowed in CloudFormation templates")
        return super().compose_node(parent, index)


# Drop the timestamp resolver: CloudFormation reads 2012-10-17 as text.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise TemplateSyntaxError(f"line {key_node.start_mark.line + 1}: duplicate key {key!r}")
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _tag(name: str):
    def construct(loader: _Loader, node: yaml.Node) -> dict:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = _mapping(loader, node)
        if name == "Fn::GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
        return {name: value}

    return construct


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_Loader.add_constructor("!Ref", _tag("Ref"))
_Loader.add_constructor("!Condition", _tag("Condition"))
_Loader.add_constructor("!GetAtt", _tag("Fn::GetAtt"))
for _name in _FUNCTIONS:
    _Loader.add_constructor(f"!{_name}", _tag(f"Fn::{_name}"))


def load_template_text(text: str) -> Any:
    """A template given as JSON or YAML text (as the STACK payload carries it)."""
    if not isinstance(text, str):
        raise TemplateSyntaxError(f"the template must be text, got {type(text).__name__}")
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            return json.loads(text, object_pairs_hook=_json_object)
        except RecursionError:
            raise TemplateSyntaxError("the template is nested too deeply") from None
        except ValueError as error:
            raise TemplateSyntaxError(f"the template is not valid JSON: {error}") from None
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except RecursionError:
        raise TemplateSyntaxError("the template is nested too deeply") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise TemplateSyntaxError(f"the template is not valid YAML: {where}{problem}") from None


def _json_object(pairs: list) -> dict:
    result: dict = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result
