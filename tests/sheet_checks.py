"""What a reader of a written sheet sees, checked as a spreadsheet would show it: every value and
header whole at its column's width, and how the sheet prints."""

from __future__ import annotations

from datetime import date
from typing import Any

from openpyxl.utils import get_column_letter


def shown_as(cell: Any) -> str:
    """The cell's text as a spreadsheet shows it with its number format."""
    value = cell.value
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, int | float) and not isinstance(value, bool):
        decimals = cell.number_format.rpartition(".")[2].count("0") if "." in \
            cell.number_format else 0
        grouped = "," if "#,##" in cell.number_format else ""
        return f"{value:{grouped}.{decimals}f}"
    return "" if value is None else str(value)


def narrow_columns(ws: Any, header_row: int = 1, header_extra: int = 0,
                   columns: range | None = None, headers: bool = True) -> list[str]:
    """Each column whose width cuts off its header (with `header_extra` characters beside it:
    a filter button; unless `headers` is false: headers that wrap) or one of its values, as
    'column: text'."""
    found = []
    last = ws.max_column
    for index in columns or range(1, last + 1):
        letter = get_column_letter(index)
        width = ws.column_dimensions[letter].width
        header = ws.cell(header_row, index).value
        texts = [shown_as(row[0]) for row in
                 ws.iter_rows(min_row=header_row + 1, min_col=index, max_col=index)]
        needed = [(len(str(header)) + header_extra, str(header))] if header and headers else []
        needed += [(max(map(len, text.splitlines()), default=0), text) for text in texts]
        for length, text in needed:
            if width is None or width < length:
                found.append(f"{ws.title}!{letter} ({width}): {text!r}")
                break
    return found


def print_faults(ws: Any, title_rows: str | None = "$1:$1") -> list[str]:
    """What keeps the sheet from printing A4 landscape, as wide as the page, with its header
    on every page."""
    setup = ws.page_setup
    faults = []
    if setup.orientation != "landscape":
        faults.append(f"{ws.title}: orientation {setup.orientation}")
    if str(setup.paperSize) != "9":
        faults.append(f"{ws.title}: paper {setup.paperSize}")
    if not ws.sheet_properties.pageSetUpPr or not ws.sheet_properties.pageSetUpPr.fitToPage \
            or setup.fitToWidth != 1 or setup.fitToHeight != 0:
        faults.append(f"{ws.title}: not fitted to the page's width")
    if title_rows and ws.print_title_rows != title_rows:
        faults.append(f"{ws.title}: print titles {ws.print_title_rows}")
    return faults
