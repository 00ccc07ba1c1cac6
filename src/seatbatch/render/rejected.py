"""rejected.xlsx: the workbook as given, every sheet and row in place, with an `errors` column and
each bad cell filled and commented, so the partner fixes the marked cells and resends the file."""

from __future__ import annotations

import warnings
from collections import defaultdict
from pathlib import Path
from typing import Any

from seatbatch.problems import Problem
from seatbatch.validate.columns import normalize_header, sheet_spec
from seatbatch.workbook.write import cell_text, formula_like

AUTHOR = "seatbatch"
BAD_COLOR = "FFFFC7CE"


def _text(cell: Any, value: str) -> None:
    """Write text that stays text, whatever its first character."""
    cell.value = cell_text(value)
    cell.data_type = "s"
    cell.quotePrefix = formula_like(value)


def _clear_old_marks(ws: Any, bad: Any, plain: Any) -> None:
    """Marks of an earlier rejection go: the partner may have fixed those cells."""
    for row in ws.iter_rows():
        for cell in row:
            if cell.comment is not None and cell.comment.author == AUTHOR:
                cell.comment = None
                if cell.fill == bad:
                    cell.fill = plain


def _headers(ws: Any) -> dict[str, int]:
    found: dict[str, int] = {}
    for cell in ws[1]:
        if isinstance(cell.value, str) and cell.value.strip():
            found.setdefault(normalize_header(cell.value), cell.column)
    return found


def write_rejected(source: Path, problems: list[Problem], target: Path) -> bool:
    """False when the workbook cannot be opened to mark it (the file itself was the problem)."""
    by_sheet: dict[str, list[Problem]] = defaultdict(list)
    for p in problems:
        if p.sheet:
            by_sheet[p.sheet].append(p)
    if not by_sheet:
        return False
    # openpyxl is imported here, not at start-up: only a rejected run needs it.
    from openpyxl import load_workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill

    bad = PatternFill(fill_type="solid", start_color=BAD_COLOR, end_color=BAD_COLOR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = load_workbook(source)
    except Exception:  # openpyxl's failures on a damaged file come in many types
        return False
    titles = {ws.title.strip().lower(): ws for ws in book.worksheets}
    for sheet_name, found in by_sheet.items():
        ws = titles.get(sheet_name.lower())
        if ws is None:
            ws = book.create_sheet(sheet_name)
            for column, spec in enumerate(sheet_spec(sheet_name).columns, start=1):
                _text(ws.cell(1, column), spec.name)
        _clear_old_marks(ws, bad, PatternFill())
        headers = _headers(ws)
        errors_column = headers.get("errors", ws.max_column + 1)
        header_cell = ws.cell(1, errors_column)
        _text(header_cell, "errors")
        header_cell.font = Font(bold=True, color="FF9C0006")
        for row in range(2, ws.max_row + 1):
            if ws.cell(row, errors_column).value is not None:
                ws.cell(row, errors_column).value = None
        by_row: dict[int, list[Problem]] = defaultdict(list)
        for p in found:
            by_row[p.row or 1].append(p)
        for row, row_problems in sorted(by_row.items()):
            text = "\n".join(
                (f"{p.column}: " if p.column else "") + p.message for p in row_problems
            )
            target_cell = header_cell if row == 1 else ws.cell(row, errors_column)
            if row == 1:
                target_cell.comment = Comment(cell_text(text), AUTHOR, width=400, height=150)
            else:
                _text(target_cell, text)
            for p in row_problems:
                position = headers.get(normalize_header(p.column)) if p.column else None
                if position is None or row == 1:
                    continue
                cell = ws.cell(row, position)
                cell.fill = bad
                cell.comment = Comment(cell_text(p.message), AUTHOR, width=300, height=100)
    book.save(target)
    return True
