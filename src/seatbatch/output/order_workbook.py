"""Writing order workbooks (samples, test builders, the template): the three sheets with the
headers of schemas/columns.toml and rows as given. Text stays text; dates get a date format."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from seatbatch.core.columns import sheet_specs
from seatbatch.output.text_cells import hold_text

Rows = Sequence[Mapping[str, Any]]
DATE_FORMAT = "yyyy-mm-dd"


def put(ws: Any, row: int, column: int, value: Any) -> Any:
    """One cell: text always as text (never a formula, whatever its first character), dates
    with a date format, everything else as given."""
    if isinstance(value, str):
        return hold_text(ws.cell(row, column), value)
    cell = ws.cell(row, column, value)
    if isinstance(value, date):
        cell.number_format = DATE_FORMAT
    return cell


def build_order_workbook(
    sheets: Mapping[str, Rows], *, extra_columns: Mapping[str, Sequence[str]] | None = None
) -> Any:
    """`sheets` maps Customers/Devices/Orders to rows (column name -> value); a sheet left out
    has its header only. `extra_columns` adds headers after the known ones."""
    import openpyxl  # here, not at start-up: only a command that writes a workbook needs it

    book = openpyxl.Workbook()
    book.remove(book.active)
    for spec in sheet_specs():
        ws = book.create_sheet(spec.name)
        headers = [c.name for c in spec.columns] + list((extra_columns or {}).get(spec.name, ()))
        for column, name in enumerate(headers, start=1):
            put(ws, 1, column, name)
        for row_number, row in enumerate(sheets.get(spec.name, ()), start=2):
            for column, name in enumerate(headers, start=1):
                if row.get(name) is not None:
                    put(ws, row_number, column, row[name])
    return book


def write_order_workbook(
    path: Path,
    sheets: Mapping[str, Rows],
    *,
    extra_columns: Mapping[str, Sequence[str]] | None = None,
) -> Path:
    build_order_workbook(sheets, extra_columns=extra_columns).save(path)
    return path
