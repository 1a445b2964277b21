"""Output formats of ``hook-handler scan``: text, json, sarif, junit."""

from __future__ import annotations

from typing import Callable

from . import json_format, junit, sarif, text
from .records import FileEntry, Record, ResourceEntry, ScanReport, Unreadable, is_failing

FORMATS: dict[str, Callable[..., str]] = {
    "text": text.render,
    "json": json_format.render,
    "sarif": sarif.render,
    "junit": junit.render,
}

__all__ = ["FORMATS", "FileEntry", "Record", "ResourceEntry", "ScanReport", "Unreadable", "is_failing"]
