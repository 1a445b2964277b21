"""The resources of a template: type, logical ID, properties, condition and line.

A template has a ``Resources`` map. A fragment that is only a resource map (every value an
object with a ``Type``), as documentation examples often are, is read the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from ..core.values import is_object, shown


class NotATemplate(ValueError):
    """The document is not a CloudFormation template (or a resource map)."""


class TemplateResource(NamedTuple):
    """``line`` (1-based): where the logical ID is written, else where the resource's body starts
    (a parser that marks mappings but not keys); ``None`` when the parser records no lines."""

    logical_id: str
    resource_type: str
    properties: Any
    condition: str | None
    line: int | None


def resource_map(template: Any) -> Mapping[str, Any]:
    if not is_object(template):
        raise NotATemplate("not a CloudFormation template (the document is not an object)")
    resources = template.get("Resources")
    if is_object(resources):
        return resources
    if resources is None and template and all(
        isinstance(body, Mapping) and isinstance(body.get("Type"), str) for body in template.values()
    ):
        return template
    raise NotATemplate("not a CloudFormation template (no Resources section)")


def resources_of(template: Any) -> list[TemplateResource]:
    found = []
    resources = resource_map(template)
    key_lines = getattr(resources, "key_lines", None) or {}
    for logical_id, body in resources.items():
        if not is_object(body):
            continue
        condition = body.get("Condition")
        found.append(
            TemplateResource(
                logical_id=str(logical_id),
                resource_type=str(body.get("Type", "")),
                properties=body.get("Properties", {}),
                condition=condition if isinstance(condition, str) else None,
                line=key_lines.get(logical_id) or line_of(logical_id) or line_of(body),  # a marked key first
            )
        )
    return found


def line_of(node: Any) -> int | None:
    """1-based line of a parsed node: cfn-lint's nodes carry ``start_mark``, ours ``line``."""
    mark = getattr(node, "start_mark", None)
    if mark is not None and isinstance(getattr(mark, "line", None), int):
        return mark.line + 1
    line = getattr(node, "line", None)
    return line if isinstance(line, int) else None


# -- what the hook cannot expand ------------------------------------------------------------
# The STACK payload is the template as submitted, before CloudFormation runs its transforms.
# The hook package cannot carry cfn-lint (which expands AWS::LanguageExtensions for
# ``hook-handler scan``), and no one can run a macro offline: the resources these parts make
# are not seen here, so they are named and left to the RESOURCE target.

LANGUAGE_EXTENSIONS = "AWS::LanguageExtensions"
SAM = "AWS::Serverless-2016-10-31"  # its resource types make no ECR resource: ECR resources stay as written
_FOR_EACH = "Fn::ForEach::"
_TRANSFORM = "Fn::Transform"


class Unexpanded(NamedTuple):
    """A part of a template whose resources (or properties) the hook does not see.

    ``where``: where it is written (``Transform``, ``Resources/Fn::ForEach::Repos``,
    ``Resources/Repo/Properties``). ``transform``: what expands it, as a reader should see it
    (template text is escaped). ``logical_id``: the resource it is inside, when it is inside
    one that is otherwise evaluated. ``malformed``: no declared transform explains it (a
    resource body that is not an object, or a ``Type`` that is not literal text)."""

    where: str
    transform: str
    logical_id: str | None = None
    malformed: bool = False

    def describe(self) -> str:
        return f"{self.where}: {self.transform}"


def unexpanded(template: Any, checked_types: frozenset[str] | set[str]) -> list[Unexpanded]:
    """Every part of ``template`` that could make or change a resource of ``checked_types`` and
    that the hook cannot expand: a ``Transform`` (a macro, ``AWS::Include``; not
    ``AWS::LanguageExtensions``, whose functions the resolver computes, nor SAM, which makes no
    ECR resource), ``Fn::ForEach`` (``AWS::LanguageExtensions``) and ``Fn::Transform`` in the
    Resources section, and resource bodies the reader cannot take apart."""
    found: list[Unexpanded] = []
    transforms = _declared_transforms(template.get("Transform")) if isinstance(template, Mapping) else []
    for name in transforms:
        # AWS::LanguageExtensions: the resolver computes its functions, Fn::ForEach is below
        if name not in (LANGUAGE_EXTENSIONS, SAM):
            found.append(Unexpanded("Transform", f"transform {_name(name)} (runs when the stack deploys)"))
    try:
        resources = resource_map(template)
    except NotATemplate:
        return found
    for logical_id, body in resources.items():
        key = str(logical_id)
        if key.startswith(_FOR_EACH):
            if _may_make(body, checked_types):
                found.append(Unexpanded(f"Resources/{_text(key)}", f"Fn::ForEach (transform {LANGUAGE_EXTENSIONS})"))
            continue
        if key == _TRANSFORM:
            found.append(Unexpanded(f"Resources/{_TRANSFORM}", _transform_call(body)))
            continue
        literal = isinstance(body, Mapping) and isinstance(body.get("Type"), str)
        if literal and body["Type"] not in checked_types:
            continue
        inner = _inner(body, ()) if isinstance(body, Mapping) and _has_inner(body) else []
        for where, part in inner:
            transform = (_transform_call(part) if where[-1] == _TRANSFORM
                         else f"Fn::ForEach (transform {LANGUAGE_EXTENSIONS})")
            path = "/".join(["Resources", _text(key), *(_text(str(w)) for w in where)])
            found.append(Unexpanded(path, transform, logical_id=key if literal else None))
        if not literal and not inner:
            found.append(Unexpanded(f"Resources/{_text(key)}", _malformed(body) or "", malformed=True))
    return found


def malformed(template: Any) -> list[tuple[Any, str]]:
    """Every resource of ``template`` that CloudFormation cannot take apart, as (logical ID as
    written: a YAML key may be ``1`` or ``true``; what is wrong, written as :meth:`Unexpanded.describe` writes it: ``Resources/Repo: its body
    is not an object``): a body that is not an object, or a ``Type`` that is not literal text (or
    none). ``Fn::ForEach::`` and ``Fn::Transform`` keys are not resources: a transform expands
    them (:func:`unexpanded` names them)."""
    try:
        resources = resource_map(template)
    except NotATemplate:
        return []
    found = []
    for logical_id, body in resources.items():
        if not (isinstance(body, dict) and type(body.get("Type")) is str):  # the common case, quickly
            key = str(logical_id)
            why = None if key.startswith(_FOR_EACH) or key == _TRANSFORM else _malformed(body)
            if why is not None:
                found.append((logical_id, f"Resources/{_text(key)}: {why}"))
    return found


def malformed_section(template: Any) -> str | None:
    """What is wrong with a Resources section that is there but is not an object (a list, a
    text, nothing), written as :func:`malformed` writes it; ``None`` otherwise. Such a template
    is not "not a template": CloudFormation rejects it, and the scan cannot say what it makes."""
    if not is_object(template) or "Resources" not in template or is_object(template["Resources"]):
        return None
    return "Resources: the section is " + ("empty" if template["Resources"] is None else "not an object")


def _malformed(body: Any) -> str | None:
    if not is_object(body):
        return "its body is not an object"
    if not isinstance(body.get("Type"), str):
        return "its Type is not literal text" if "Type" in body else "it has no Type"
    return None


def _text(part: str, limit: int = 80) -> str:
    """A path part from the template, escaped (hidden or look-alike characters show) and cut."""
    text = ascii(part)[1:-1]
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _declared_transforms(value: Any) -> list[Any]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [item.get("Name") if isinstance(item, Mapping) else item for item in items]


def _name(name: Any) -> str:
    return shown(name, 80) if isinstance(name, str) else "(a name that is not literal text)"


def _transform_call(argument: Any) -> str:
    name = argument.get("Name") if isinstance(argument, Mapping) else None
    return f"Fn::Transform {_name(name)} (runs when the stack deploys)"


def _has_inner(value: Any) -> bool:
    """Whether :func:`_inner` finds anything: the same walk without paths (a resource can hold
    tens of thousands of values, and almost never a transform)."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(item for item in node if not isinstance(item, str))
            continue
        if not (isinstance(node, dict) or isinstance(node, Mapping)):  # dict first: the ABC check is slow
            continue
        for key, item in node.items():
            if isinstance(key, str) and (key == _TRANSFORM or key.startswith(_FOR_EACH)):
                return True
            if not isinstance(item, str):
                stack.append(item)
    return False


def _inner(value: Any, where: tuple) -> list[tuple[tuple, Any]]:
    """``Fn::Transform`` and ``Fn::ForEach::`` keys anywhere inside a resource body."""
    found: list[tuple[tuple, Any]] = []
    stack: list[tuple[tuple, Any]] = [(where, value)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, Mapping):
            for key, item in node.items():
                text = str(key)
                if text == _TRANSFORM or text.startswith(_FOR_EACH):
                    found.append((path + (text,), item))
                else:
                    stack.append((path + (text,), item))
        elif isinstance(node, list):
            stack.extend((path + (index,), item) for index, item in enumerate(node))
    return sorted(found, key=lambda f: [str(p) for p in f[0]])


def _may_make(for_each: Any, checked_types) -> bool:
    """Whether an ``Fn::ForEach`` in Resources may make a checked resource: unless every
    ``Type`` in its fragment (nested loops included) is literal text of another type."""
    fragment = for_each[2] if isinstance(for_each, list) and len(for_each) == 3 else None
    if not isinstance(fragment, Mapping) or not fragment:
        return True
    for key, body in fragment.items():
        if str(key).startswith(_FOR_EACH):
            if _may_make(body, checked_types):
                return True
            continue
        kind = body.get("Type") if isinstance(body, Mapping) else None
        if not isinstance(kind, str) or kind in checked_types or "${" in kind or "&{" in kind:
            return True
    return False
