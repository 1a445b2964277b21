"""Output formats of ``hook-handler scan``: text, json, sarif, junit."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from importlib import import_module
from typing import Callable

from .records import FileEntry, Record, ResourceEntry, ScanReport, Unreadable, is_failing


class _Formats(Mapping[str, Callable[..., str]]):
    """Format name -> its ``render`` function. A format's module is imported when its renderer is
    first asked for: a run pays only for the formats it writes (SARIF brings ``urllib.parse``)."""

    _MODULES = {"text": "text", "json": "json_format", "sarif": "sarif", "junit": "junit"}

    def __getitem__(self, name: str) -> Callable[..., str]:
        return import_module(f"{__name__}.{self._MODULES[name]}").render

    def __iter__(self) -> Iterator[str]:
        return iter(self._MODULES)

    def __len__(self) -> int:
        return len(self._MODULES)


FORMATS: Mapping[str, Callable[..., str]] = _Formats()

__all__ = ["FORMATS", "FileEntry", "Record", "ResourceEntry", "ScanReport", "Unreadable", "is_failing"]
