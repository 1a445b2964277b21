"""Small, strict readers for the scalar values the checkers rely on."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any, TypeGuard

# [0-9] is ASCII only; fullmatch (not match with $) so a trailing newline is refused too.
_ACCOUNT_ID = re.compile(r"[0-9]{12}")
_REGION = re.compile(r"[a-z]{2,4}(?:-[a-z0-9]+)+-[0-9]{1,2}")


def is_account_id(value: Any) -> TypeGuard[str]:
    """Exactly 12 ASCII digits, as a string. ``str.isdigit`` would accept Unicode digits."""
    return isinstance(value, str) and _ACCOUNT_ID.fullmatch(value) is not None


def is_region(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and len(value) <= 25 and _REGION.fullmatch(value) is not None


def is_object(value: Any) -> TypeGuard[Mapping[Any, Any]]:
    """A JSON object: a ``dict`` (tested first: ``isinstance(value, Mapping)`` runs abc's Python
    ``__instancecheck__``, several times the cost of a ``dict`` test) or any other ``Mapping``;
    ``None`` (what ``.get`` of a missing key gives) is answered without the ABC test too."""
    return isinstance(value, dict) or (value is not None and isinstance(value, Mapping))


def is_dynamic_reference(value: Any) -> TypeGuard[str]:
    """``{{resolve:ssm:...}}`` and friends: the value is not known to the hook."""
    return isinstance(value, str) and "{{resolve:" in value


def is_intrinsic(value: Any) -> bool:
    """An unresolved intrinsic function object, e.g. ``{"Ref": "Param"}`` or ``{"Fn::Sub": ...}``."""
    if not isinstance(value, dict) or len(value) != 1:
        return False
    key = next(iter(value))
    return isinstance(key, str) and (key == "Ref" or key.startswith("Fn::"))


def shown(value: Any, limit: int = 60) -> str:
    """A value as a reader should see it in a message: ASCII-escaped for strings, so hidden or look-alike characters show."""
    text = ascii(value) if isinstance(value, str) else _type_name(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, (int, float)):
        return f"a number ({value!r})"[:40]
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def type_name(value: Any) -> str:
    """``"a list"``, ``"an object"``, ``"null"``, ``"a string"``... for messages about wrong types."""
    return "a string" if isinstance(value, str) else _type_name(value)


_MENTIONED_ACCOUNT = re.compile(r"(?<![0-9])[0-9]{12}(?![0-9])")


def mentioned_account_ids(value: Any) -> frozenset[str]:
    """Every 12-digit run anywhere in a value (keys, strings, JSON text inside strings): the
    accounts a resource can name. Used to look up membership for these accounts only; an
    account this misses is simply not trusted, so it can only make the verdict stricter."""
    found: set[str] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found.update(_MENTIONED_ACCOUNT.findall(item))
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, int) and not isinstance(item, bool):
            found.update(_MENTIONED_ACCOUNT.findall(str(item)))
    return frozenset(found)


# Characters that must not reach a message as themselves: controls (newlines included), format
# characters (bidirectional overrides, zero-width), line and paragraph separators, private use.
_HIDDEN = frozenset({"Cc", "Cf", "Zl", "Zp", "Co", "Cn"})


def cut(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters, ending ``...`` when cut: for text already made
    safe (the core's messages, or what went through :func:`data`)."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def data(text: Any, limit: int = 64) -> str:
    """Text taken from the input, made safe to put in a message: hidden characters escaped
    (``\\n``, ``\\u202e``), lone surrogates replaced by U+FFFD, cut to ``limit`` characters."""
    string: str = text if isinstance(text, str) else repr(text)
    if string.isascii() and string.isprintable() and "\\" not in string:
        # nothing to escape (the common case: paths, IDs): only the cut, without the walk below
        return string if len(string) <= limit else string[: max(limit - 3, 1)] + "..."
    out = []
    for char in string:
        category = unicodedata.category(char)
        if category == "Cs":
            out.append("\ufffd")
        elif char == "\\":
            out.append("\\\\")
        elif category in _HIDDEN:
            out.append(char.encode("unicode_escape").decode("ascii"))
        else:
            out.append(char)
        if len(out) > limit:
            break
    shown_text = "".join(out)
    return shown_text if len(shown_text) <= limit else shown_text[: max(limit - 3, 1)] + "..."
