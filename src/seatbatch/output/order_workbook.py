"""Writing order workbooks (samples, test builders, the template): the three sheets with the
headers of schemas/columns.toml and rows as given. Text stays text; dates get a date format."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl

from seatbatch.core.columns import sheet_specs

Rows = Sequence[Mapping[str, Any]]
DATE_FORMAT = "yyyy-mm-dd"
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_x[0-9A-Fa-f]{4}_")


FORMULA_LIKE = ("=", "+", "-", "@", "\t", "\r", "\n", "\x00")


def formula_like(text: str) -> bool:
    """Text a spreadsheet could take for a formula if a person edits its cell: written with a
    quote prefix, so that it stays text then too (and looks as given)."""
    return text.startswith(FORMULA_LIKE)


def cell_text(text: str) -> str:
    """Text as a workbook cell carries it: characters XML cannot hold use SpreadsheetML's
    _xHHHH_ escape, and a literal _xHHHH_ is itself escaped, so that it reads back unchanged."""
    return _NOT_XML.sub(
        lambda m: "_x005F" + m.group(0) if len(m.group(0)) > 1 else f"_x{ord(m.group(0)):04X}_",
        text,
    )


def put(ws: Any, row: int, column: int, value: Any) -> Any:
    """One cell: text always as text (never a formula, whatever its first character), dates
    with a date format, everything else as given."""
    cell = ws.cell(row, column, cell_text(value) if isinstance(value, str) else value)
    if isinstance(value, str):
        cell.data_type = "s"
        cell.quotePrefix = formula_like(value)
    elif isinstance(value, date):
        cell.number_format = DATE_FORMAT
    return cell


def build_order_workbook(
    sheets: Mapping[str, Rows], *, extra_columns: Mapping[str, Sequence[str]] | None = None
) -> Any:
    """`sheets` maps Customers/Devices/Orders to rows (column name -> value); a sheet left out
    has its header only. `extra_columns` adds headers after the known ones."""
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
