"""The order workbook as read, before any cell is checked: what intake hands to validation and
output copies back (rejected.xlsx), so that none of those stages imports another."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from seatbatch.core.columns import SheetSpec
from seatbatch.core.problems import Code, Problem

# The custom document property that says which partner a workbook was made for (SPEC §2):
# output writes it (`template --partner`), intake reads it.
PARTNER_PROPERTY = "seatbatch partner"


@dataclass(frozen=True)
class Unreadable:
    """A cell python-calamine reads as empty though it holds something: Excel's error value
    `text` (kind "error"), or a formula without its saved result (kind "formula", `text` the
    formula). Row and column are 1-based."""

    row: int
    column: int
    kind: str
    text: str


@dataclass(frozen=True)
class UnreadableCell:
    """A cell the reader takes for empty though it is not (see `Unreadable`): Excel's error
    value, or a formula saved without its result. Its text is the error or the formula."""

    code: Code
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass
class RawSheet:
    """A sheet as given, by column: `rows` are the Excel rows that hold anything, and
    `cells[name][i]` is the value of column `name` in row `rows[i]` (None when empty)."""

    spec: SheetSpec
    title: str  # the sheet's name as written in the workbook
    columns: dict[str, int] = field(default_factory=dict)  # column name -> 0-based position
    rows: list[int] = field(default_factory=list)
    cells: dict[str, list[Any]] = field(default_factory=dict)


@dataclass
class RawWorkbook:
    sheets: dict[str, RawSheet]  # by spec name; a missing sheet is absent
    problems: list[Problem]
    warnings: list[Problem]
    made_for: str | None = None  # the partner `template --partner` made it for
    # each sheet's (by name) cells the reader takes for empty though they are not
    unreadable: Mapping[str, list[Unreadable]] = field(default_factory=dict)

    def error_cells(self) -> dict[str, dict[tuple[int, int], str]]:
        """Each sheet's error values (#N/A...) by (row, column), for the copy in
        rejected.xlsx."""
        return {sheet: {(c.row, c.column): c.text for c in cells if c.kind == "error"}
                for sheet, cells in self.unreadable.items()}


def column_letter(position: int) -> str:
    """A 0-based column position as Excel names it: 0 -> A, 26 -> AA."""
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
