"""The resources of a template: type, logical ID, properties, condition and line.

A template has a ``Resources`` map. A fragment that is only a resource map (every value an
object with a ``Type``), as documentation examples often are, is read the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Mapping
from typing import Any


class NotATemplate(ValueError):
    """The document is not a CloudFormation template (or a resource map)."""


@dataclass(frozen=True)
class TemplateResource:
    """``line``: where the logical ID is written (1-based), when the parser knows it."""

    logical_id: str
    resource_type: str
    properties: Any
    condition: str | None
    line: int | None


def resource_map(template: Any) -> Mapping[str, Any]:
    if not isinstance(template, Mapping):
        raise NotATemplate("not a CloudFormation template (the document is not an object)")
    resources = template.get("Resources")
    if isinstance(resources, Mapping):
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
        if not isinstance(body, Mapping):
            continue
        condition = body.get("Condition")
        found.append(
            TemplateResource(
                logical_id=str(logical_id),
                resource_type=str(body.get("Type", "")),
                properties=body.get("Properties", {}),
                condition=condition if isinstance(condition, str) else None,
                line=line_of(logical_id) or key_lines.get(logical_id) or line_of(body),
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
