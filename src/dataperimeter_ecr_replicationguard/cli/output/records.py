"""What a scan found, in the shape every output format reads: files, the ECR resources in
them, and each finding with where it is and what the exemptions say about it."""

from __future__ import annotations

from typing import NamedTuple

from ...core.findings import Category
from ...core.plain import Plain
from ...exemptions import Exemption, Judged


class Record(NamedTuple):
    """One finding in one file. ``failing``: it makes the scan fail (not exempted, and not an
    unresolved value allowed by ``--allow-unresolved``)."""

    file: str
    line: int | None  # the line of the resource's logical ID (of the parse error for an unreadable file)
    judged: Judged
    failing: bool
    column: int | None = None  # the column of ``line``
    position: tuple[int, int] | None = None  # (line, column) of the offending property, when known
    basis: tuple[str, ...] = ()  # what the verdict rests on: parameter values, assumed pseudo parameters

    @property
    def finding(self):
        return self.judged.finding


    @property
    def where(self) -> tuple[int | None, int | None]:
        """The most precise (line, column) known: the property's, else the resource's."""
        if self.position is not None:
            return self.position
        return self.line, self.column


class ResourceEntry(NamedTuple):
    logical_id: str
    resource_type: str
    line: int | None
    basis: tuple[str, ...] = ()


class Unreadable(NamedTuple):
    """A file that looks like a template but cannot be read: a result of its own (exit 2)."""

    file: str
    reason: str
    line: int | None = None
    column: int | None = None


class FileEntry(Plain):
    """One scanned file and its ECR resources (mutable: the resources are added as they are found)."""

    __slots__ = _fields = ("file", "resources")
    file: str
    resources: list[ResourceEntry]

    def __init__(self, file: str, resources: list[ResourceEntry] | None = None) -> None:
        self.file = file
        self.resources = [] if resources is None else resources


class ScanReport(Plain):
    """The whole scan, filled file by file (mutable)."""

    __slots__ = _fields = ("files", "records", "expired_exemptions", "skipped", "unreadable", "explicit_files")
    files: list[FileEntry]
    records: list[Record]
    expired_exemptions: list[Exemption]
    skipped: list[tuple[str, str]]
    unreadable: list[Unreadable]
    explicit_files: int  # files named on the command line (all skipped is not "nothing found")

    def __init__(self, files: list[FileEntry] | None = None, records: list[Record] | None = None,
                 expired_exemptions: list[Exemption] | None = None, skipped: list[tuple[str, str]] | None = None,
                 unreadable: list[Unreadable] | None = None, explicit_files: int = 0) -> None:
        self.files = [] if files is None else files
        self.records = [] if records is None else records
        self.expired_exemptions = [] if expired_exemptions is None else expired_exemptions
        self.skipped = [] if skipped is None else skipped
        self.unreadable = [] if unreadable is None else unreadable
        self.explicit_files = explicit_files

    def sorted_records(self) -> list[Record]:
        return sorted(
            self.records,
            key=lambda r: (r.file, r.line or 0, r.finding.logical_id, r.finding.path, r.finding.rule_id, r.finding.subject),
        )

    @property
    def failing(self) -> list[Record]:
        return [r for r in self.records if r.failing]

    def summary(self) -> dict:
        return {
            "files": len(self.files),
            "resources": sum(len(f.resources) for f in self.files),
            "findings": len(self.records),
            "failing": len(self.failing),
            "exempted": sum(1 for r in self.records if r.judged.exempted),
            "unresolved": sum(1 for r in self.records if r.finding.category is Category.UNRESOLVED),
            "skippedFiles": len(self.skipped),
            "unreadableFiles": len(self.unreadable),
            "expiredExemptions": len(self.expired_exemptions),
        }


def is_failing(judged: Judged, allow_unresolved: bool) -> bool:
    if judged.exempted:
        return False
    return not (allow_unresolved and judged.finding.category is Category.UNRESOLVED)
