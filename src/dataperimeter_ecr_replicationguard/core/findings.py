"""What a checker reports: one :class:`Finding` per reason a resource is outside the perimeter."""

from __future__ import annotations

import enum
from typing import NamedTuple


class Severity(str, enum.Enum):
    """Severity levels, named as the hook annotation levels are."""

    INFORMATIONAL = "INFORMATIONAL"
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


class Category(str, enum.Enum):
    """Why a finding fails the resource.

    ``VIOLATION``: the input is understood and grants or sends something outside the perimeter.
    ``INVALID``: the input cannot be understood (wrong type, malformed value), so it fails closed.
    ``UNRESOLVED``: a value is not known yet (a dynamic reference, an intrinsic function).
    """

    VIOLATION = "violation"
    INVALID = "invalid"
    UNRESOLVED = "unresolved"


class Finding(NamedTuple):
    """One reason a resource fails the perimeter.

    ``path`` is a JSON pointer inside the resource properties, e.g.
    ``/ReplicationConfiguration/Rules/2/Destinations/0/RegistryId``.
    ``subject`` is the value at fault (an account, a principal, a URL).
    """

    rule_id: str
    severity: Severity
    category: Category
    path: str
    subject: str
    message: str
    remediation: str
    resource_type: str = ""
    logical_id: str = ""


def pointer(*parts: object) -> str:
    """A JSON pointer (RFC 6901) from path parts: ``pointer("Rules", 0)`` is ``/Rules/0``."""
    out = ""
    for part in parts:
        text = str(part)
        if "~" in text or "/" in text:
            text = text.replace("~", "~0").replace("/", "~1")
        out += "/" + text
    return out
