"""What a mapping run did: rows read and written per table, steps, warnings, files written.

Owns :class:`TableReport` (one landing table) and :class:`MappingReport` (the whole run) and
the summary the command line prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class TableReport:
    table: str
    input_files: tuple[Path, ...]
    rows_read: int
    rows_written: int
    steps: list[str] = field(default_factory=list)  # why rows were dropped or merged
    warnings: list[str] = field(default_factory=list)
    output: Path | None = None


@dataclass
class MappingReport:
    mapping: Path
    source: str
    tag: str
    landing_dir: Path
    tables: list[TableReport]
    written: bool

    def rows(self) -> dict[str, int]:
        return {t.table: t.rows_written for t in self.tables}

    def summary(self) -> str:
        verb = "wrote" if self.written else "checked (nothing written)"
        lines = [f"{self.mapping}: source {self.source}, extract {self.tag}, {verb}"]
        for t in self.tables:
            files = ", ".join(p.name for p in t.input_files)
            lines.append(f"  {t.table:<26} {t.rows_written:>9} rows   from {t.rows_read} "
                         f"read ({files})")
            lines += [f"  {'':<26} {step}" for step in t.steps]
            lines += [f"  {'':<26} warning: {w}" for w in t.warnings]
            if t.output is not None:
                lines.append(f"  {'':<26} -> {t.output}")
        return "\n".join(lines)
