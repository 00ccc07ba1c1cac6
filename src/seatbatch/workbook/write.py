"""Writing order workbooks (samples, test builders, the template): the three sheets with the
headers of schemas/columns.toml and rows as given. Text stays text; dates get a date format."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl

from seatbatch.validate.columns import sheet_specs

Rows = Sequence[Mapping[str, Any]]


def write_order_workbook(
    path: Path,
    sheets: Mapping[str, Rows],
    *,
    extra_columns: Mapping[str, Sequence[str]] | None = None,
) -> Path:
    """`sheets` maps Customers/Devices/Orders to rows (column name -> value); a sheet left out
    is written with its header only. `extra_columns` adds headers after the known ones."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for spec in sheet_specs():
        ws = book.create_sheet(spec.name)
        headers = [c.name for c in spec.columns] + list((extra_columns or {}).get(spec.name, ()))
        ws.append(headers)
        for row_number, row in enumerate(sheets.get(spec.name, ()), start=2):
            for column, name in enumerate(headers, start=1):
                value = row.get(name)
                if value is None:
                    continue
                cell = ws.cell(row_number, column, value)
                if isinstance(value, str):
                    cell.data_type = "s"  # never a formula, whatever the first character
                elif isinstance(value, date):
                    cell.number_format = "yyyy-mm-dd"
    book.save(path)
    return path
