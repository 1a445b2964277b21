"""What a scan found, in the shape every output format reads: files, the ECR resources in
them, and each finding with where it is and what the exemptions say about it."""

from __future__ import annotations

from dataclasses import dataclass, field

from ...core.findings import Category
from ...exemptions import Exemption, Judged


@dataclass(frozen=True)
class Record:
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


@dataclass(frozen=True)
class ResourceEntry:
    logical_id: str
    resource_type: str
    line: int | None
    basis: tuple[str, ...] = ()


@dataclass(frozen=True)
class Unreadable:
    """A file that looks like a template but cannot be read: a result of its own (exit 2)."""

    file: str
    reason: str
    line: int | None = None
    column: int | None = None


@dataclass
class FileEntry:
    file: str
    resources: list[ResourceEntry] = field(default_factory=list)


@dataclass
class ScanReport:
    files: list[FileEntry] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)
    expired_exemptions: list[Exemption] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    unreadable: list[Unreadable] = field(default_factory=list)
    explicit_files: int = 0  # files named on the command line (all skipped is not "nothing found")

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
