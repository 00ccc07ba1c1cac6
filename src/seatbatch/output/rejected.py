"""rejected.xlsx: the workbook as given, every sheet and row in place, with an `errors` column and
each bad cell filled and commented (the first MAX_COMMENTS of them; the rest filled), so the
partner fixes the marked cells and resends the file.

It is written by the reader validation used, never by a second parser with other expansions
and dialects: python-calamine reads the workbook (which has passed the guard) again, one sheet
at a time, every sheet and not only the three validation read, and openpyxl writes the copy in
write-only mode, row by row. So nothing of the input is expanded beyond the grid the
guard bounded (merged ranges and hyperlinks are not carried: a merged range's value is in its
top-left cell, and a hyperlink's text is the cell's value), every value is what validation saw
(a formula's cached value, a date as a date in any dialect), and text stays text.

Every sheet comes back in its order with its name and visibility, every row at its own Excel
row number. The order sheets get their header row bold and frozen, column widths and the
template's drop-downs; the marked ones an `errors` column (an existing one is reused and
emptied: the marks of an earlier rejection do not come back)."""

from __future__ import annotations

import contextlib
import math
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from python_calamine import (
    CalamineError,
    CalamineSheet,
    CalamineWorkbook,
    SheetTypeEnum,
    SheetVisibleEnum,
)

from seatbatch.core.columns import SheetSpec, normalize_header, sheet_specs
from seatbatch.core.names import name_key
from seatbatch.core.problems import Problem
from seatbatch.core.sheets import column_letter
from seatbatch.output.sheet_layout import fitted, shown
from seatbatch.output.text_cells import ERROR_TEXTS, cell_text, text_cell, text_value

AUTHOR = "seatbatch"
BAD_COLOR = "FFFFC7CE"
ERRORS_COLOR = "FF9C0006"
ERRORS = "errors"
ERRORS_WIDTH, ERRORS_WIDEST = 40, 100  # the errors column's width, within these bounds
LINE_HEIGHT = 15  # points: a line of text at the default size
DROP_DOWN_ROWS = 10_000  # as the template: rows prepared with drop-downs, or to the last row
LIST_LIMIT = 255  # Excel's limit on a drop-down list written in its formula
EXCEL_DATES_FROM = date(1900, 3, 1)  # earlier dates have no true serial number in Excel
INVALID_TITLE = str.maketrans(dict.fromkeys("[]:*?/\\", "_"))
# Each comment costs openpyxl about a millisecond and a few kilobytes until the file is saved:
# past this many, a bad cell is filled only (its message is in the errors column all the same).
MAX_COMMENTS = 1000


ErrorCells = Mapping[str, Mapping[tuple[int, int], str]]


def write_rejected(
    source: Path, problems: list[Problem], target: Path, *, device_types: Sequence[str] = (),
    error_cells: ErrorCells | None = None, made_for: str | None = None,
) -> bool:
    """False when no rejected.xlsx is made: no problem is tied to a sheet (the file itself was
    the problem), or a sheet cannot be read to copy it.

    calamine reads an error cell (#N/A, #REF!...) as an empty one; `error_cells` (sheet name as
    in the workbook -> (Excel row, 1-based column) -> its text) puts them back as errors.
    A workbook made for a partner (`made_for`) stays marked as made for it."""
    by_sheet: dict[str, list[Problem]] = defaultdict(list)
    for p in problems:
        if p.sheet:
            by_sheet[p.sheet].append(p)
    if not by_sheet:
        return False
    # openpyxl is imported here, not at start-up: only a rejected run needs it.
    from openpyxl import Workbook

    from seatbatch.output.template import stamp  # it imports openpyxl

    book = Workbook(write_only=True)
    if made_for is not None:
        stamp(book, made_for)
    try:
        with CalamineWorkbook.from_path(str(source)) as given:
            _Copy(book, by_sheet, device_types, error_cells or {}).run(given)
        book.save(target)
    except BaseException as error:
        # their rows' writers, else finalized (and failing) at exit: a copy abandoned halfway,
        # or one whose saving failed (a full disk)
        for ws in book.worksheets:
            with contextlib.suppress(Exception):  # best effort: the error itself matters
                ws.close()
        if isinstance(error, CalamineError):
            # A part no reading of validation's touched (another sheet) is damaged: the
            # workbook as given cannot be made; the problems are in the manifest and summary.
            return False
        raise
    return True


class _Copy:
    """The copy being written: the styles it shares and what it marks."""

    def __init__(self, book: Any, by_sheet: Mapping[str, list[Problem]],
                 device_types: Sequence[str], error_cells: ErrorCells) -> None:
        from openpyxl.styles import Alignment, Font, PatternFill

        self.book = book
        self.by_sheet = by_sheet
        self.device_types = device_types
        self.error_cells = error_cells
        self.bad = PatternFill(fill_type="solid", start_color=BAD_COLOR, end_color=BAD_COLOR)
        self.bold = Font(bold=True)
        self.errors_font = Font(bold=True, color=ERRORS_COLOR)
        self.wrapped = Alignment(wrap_text=True, vertical="top")
        self.marked_sheets: list[Any] = []
        self.comments_left = MAX_COMMENTS

    def run(self, given: CalamineWorkbook) -> None:
        sheets = [m for m in given.sheets_metadata if m.typ != SheetTypeEnum.Vba]
        order_sheets: dict[str, SheetSpec] = {}  # title -> the spec it stands for
        for spec in sheet_specs():
            title = next((m.name for m in sheets
                          if name_key(m.name) == name_key(spec.name)), None)
            if title is not None:
                order_sheets[title] = spec
        for meta in sheets:
            with warnings.catch_warnings():  # a name openpyxl would say is long: Excel's own
                warnings.simplefilter("ignore")
                ws = self.book.create_sheet(_title(meta.name))
            ws.sheet_state = _state(meta.visible)
            data = None
            if meta.typ == SheetTypeEnum.WorkSheet:
                data = given.get_sheet_by_name(meta.name)
            elif meta.typ != SheetTypeEnum.ChartSheet:  # a chart sheet has no cells to carry
                with contextlib.suppress(CalamineError):  # a dialog or macro sheet may have
                    data = given.get_sheet_by_name(meta.name)
            rows = _rows(data, self.error_cells.get(meta.name, {}))
            if meta.name in order_sheets:
                spec = order_sheets[meta.name]
                self._order_sheet(ws, spec, rows, self.by_sheet.get(spec.name, []))
            else:
                _write_rows(ws, rows)
        present = {spec.name for spec in order_sheets.values()}
        for spec in sheet_specs():
            found = self.by_sheet.get(spec.name, [])
            if found and spec.name not in present:
                # A missing sheet comes back with its headers, for the partner to fill in.
                ws = self.book.create_sheet(_title(spec.name))
                self._order_sheet(ws, spec, iter([[c.name for c in spec.columns]]), found)
        self._show()

    def _show(self) -> None:
        """Open on the first marked sheet that is visible; at least one sheet is visible."""
        sheets = self.book.worksheets
        if not any(ws.sheet_state == "visible" for ws in sheets):
            (self.marked_sheets or sheets)[0].sheet_state = "visible"
        shown = [ws for ws in self.marked_sheets if ws.sheet_state == "visible"]
        if shown:
            self.book.active = sheets.index(shown[0])

    def _order_sheet(self, ws: Any, spec: SheetSpec, rows: Iterator[list[Any]],
                     found: list[Problem]) -> None:
        header = next(rows, [])
        headers: dict[str, int] = {}  # normalized header -> 1-based column
        for column, value in enumerate(header, start=1):
            if isinstance(value, str) and value.strip():
                headers.setdefault(normalize_header(value), column)
        errors_column = headers.get(ERRORS)
        if found and errors_column is None:
            errors_column = len(header) + 1
        by_row: dict[int, list[Problem]] = defaultdict(list)
        for p in found:
            by_row[p.row or 1].append(p)

        ws.freeze_panes = "A2"
        errors_width = _widths(ws, header, errors_column, found)
        if errors_width is not None:
            _heights(ws, by_row, errors_width)

        def mark(number: int, cells: list[Any]) -> list[Any]:
            """The row's cells with its errors cell, and its bad cells filled and commented
            (the header row: bold, its comment listing the problems of the whole sheet)."""
            row_problems = by_row.get(number, [])
            if errors_column is not None:
                _errors_cell(ws, cells, errors_column, number, row_problems, wrapped=self.wrapped)
            if number == 1:
                return self._mark_header(ws, cells, errors_column, row_problems)
            self._mark_cells(ws, cells, headers, row_problems)
            return cells

        written = _write_rows(ws, _chain([header], rows), mark)
        for number in sorted(n for n in by_row if n > written):  # marks past the last row
            while written < number - 1:
                ws.append([])
                written += 1
            ws.append(mark(number, []))
            written += 1
        self._drop_downs(ws, spec, headers, written)
        if found:
            self.marked_sheets.append(ws)

    def _mark_header(self, ws: Any, cells: list[Any], errors_column: int | None,
                     found: list[Problem]) -> list[Any]:
        """The header row in bold, its errors cell commented with the problems of the whole
        sheet."""
        from openpyxl.comments import Comment

        cells = [_cell(ws, c) for c in cells]
        for cell in cells:
            cell.font = self.bold
        if errors_column is not None:
            head = cells[errors_column - 1]
            head.font = self.errors_font
            if found:
                head.comment = Comment(cell_text(_listing(found)), AUTHOR,
                                       width=400, height=150)
        return cells

    def _mark_cells(self, ws: Any, cells: list[Any], headers: Mapping[str, int],
                    found: list[Problem]) -> None:
        """A row's bad cells filled, and commented while comments are left (in place)."""
        from openpyxl.comments import Comment

        for p in found:
            position = headers.get(normalize_header(p.column)) if p.column else None
            if position is None:
                continue
            cells += [None] * (position - len(cells))
            cell = cells[position - 1] = _cell(ws, cells[position - 1])
            cell.fill = self.bad
            if self.comments_left > 0:
                self.comments_left -= 1
                cell.comment = Comment(cell_text(p.message), AUTHOR, width=300,
                                       height=100)

    def _drop_downs(self, ws: Any, spec: SheetSpec, headers: Mapping[str, int],
                    last_row: int) -> None:
        """The template's drop-down lists on the known columns, where the list fits in its
        formula (an item with a comma or a quote cannot be written there)."""
        from openpyxl.worksheet.datavalidation import DataValidation

        from seatbatch.output.template import list_items  # it imports openpyxl

        for column in spec.columns:
            position = headers.get(normalize_header(column.name))
            items = list_items(column, self.device_types)
            if position is None or not items:
                continue
            formula = '"' + ",".join(items) + '"'
            if any("," in i or '"' in i for i in items) or len(formula) - 2 > LIST_LIMIT:
                continue
            letter = column_letter(position - 1)
            validation = DataValidation(
                type="list", formula1=formula, allow_blank=True, showErrorMessage=True,
                errorTitle=column.name[:32], error="Pick a value from the list.")
            validation.add(f"{letter}2:{letter}{max(last_row, DROP_DOWN_ROWS + 1)}")
            ws.data_validations.append(validation)


def _state(visible: SheetVisibleEnum) -> str:
    if visible == SheetVisibleEnum.Hidden:
        return "hidden"
    if visible == SheetVisibleEnum.VeryHidden:
        return "veryHidden"
    return "visible"


def _title(name: str) -> str:
    """A sheet name as openpyxl accepts it: Excel's own names always are."""
    return name.translate(INVALID_TITLE)[:31] or "Sheet"


def _widths(ws: Any, header: list[Any], errors_column: int | None,
            found: Iterable[Problem]) -> float | None:
    """Each column as wide as its header (within bounds); the errors column as its longest
    problem, within bounds: a longer one wraps in its cell. The errors column's width."""
    for column, value in enumerate(header, start=1):
        width = len(value.strip()) + 4 if isinstance(value, str) else 0
        ws.column_dimensions[column_letter(column - 1)].width = min(max(14, width), 60)
    if errors_column is None:
        return None
    longest = max((shown(_listing([p])) for p in found), default=0)
    errors_width = fitted(longest, "", least=ERRORS_WIDTH, most=ERRORS_WIDEST)
    ws.column_dimensions[column_letter(errors_column - 1)].width = errors_width
    return errors_width


def _heights(ws: Any, by_row: Mapping[int, list[Problem]], errors_width: float) -> None:
    """Each marked row tall enough for its problems wrapped in the errors column: a
    spreadsheet does not grow a row for wrapped text it did not write itself."""
    for number, found in by_row.items():
        if number > 1:
            lines = sum(-(-len(line) // int(errors_width - 2))
                        for line in _listing(found).splitlines())
            ws.row_dimensions[number].height = LINE_HEIGHT * max(lines, 1)


def _errors_cell(ws: Any, cells: list[Any], errors_column: int, number: int,
                 found: list[Problem], *, wrapped: Any) -> None:
    """The row's cells (in place) with its errors cell: the header's title, or the row's
    problems listed."""
    cells += [None] * (errors_column - len(cells))
    cells[errors_column - 1] = None
    if number == 1:
        cells[errors_column - 1] = ERRORS
    elif found:
        cell = text_cell(ws, _listing(found))
        cell.alignment = wrapped  # one problem a line, each whole
        cells[errors_column - 1] = cell


def _listing(found: Iterable[Problem]) -> str:
    return "\n".join((f"{p.column}: " if p.column else "") + p.message for p in found)


def _chain(first: Iterable[list[Any]], rest: Iterator[list[Any]]) -> Iterator[list[Any]]:
    yield from first
    yield from rest


class _Error(str):
    """An error value of the input (#N/A, #REF!...), written as one."""


def _rows(data: CalamineSheet | None, errors: Mapping[tuple[int, int], str]
          ) -> Iterator[list[Any]]:
    """The sheet's rows from Excel row 1, each from column A, as calamine reads them (python-
    calamine pads the rows above the first used one, but not the columns before it), with the
    error cells it reads as empty put back."""
    if data is None or data.start is None:  # an empty sheet (iter_rows would panic on it)
        return
    end = data.end
    assert end is not None
    by_row: dict[int, dict[int, str]] = defaultdict(dict)
    for (row, column), text in errors.items():
        by_row[row][column] = text
    for number, values in enumerate(data.iter_rows(), start=1):
        cells = [""] * (end[1] + 1 - len(values)) + values
        for column, text in by_row.get(number, {}).items():
            if 0 < column <= len(cells) and cells[column - 1] == "":
                cells[column - 1] = _Error(text)
        yield cells


def _write_rows(ws: Any, rows: Iterator[list[Any]],
                marked: Callable[[int, list[Any]], list[Any]] | None = None) -> int:
    """Append every row at its own number; the number of rows written."""
    written = 0
    for number, values in enumerate(rows, start=1):
        cells = [_value(ws, v) for v in values]
        ws.append(marked(number, cells) if marked is not None else cells)
        written = number
    return written


def _value(ws: Any, value: Any) -> Any:
    """A value as it is appended: None for an empty cell, the value itself where openpyxl
    writes it as it is, else a cell that keeps it so (text that could read as a formula or an
    error stays text)."""
    if value.__class__ is _Error:
        return _error(ws, value)
    if value.__class__ is str:
        return text_value(ws, value) if value else None
    if value is None or isinstance(value, bool | int | time | timedelta):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, date):
        day = value.date() if isinstance(value, datetime) else value
        # Before 1 March 1900 Excel has no true serial: the date as ISO text, read back alike.
        return value if day >= EXCEL_DATES_FROM else value.isoformat()
    return text_cell(ws, str(value))


def _error(ws: Any, text: str) -> Any:
    """An error cell, when the text is one of Excel's errors; else the text, as text."""
    if text not in ERROR_TEXTS:
        return text_cell(ws, text)
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, str(text))
    cell.data_type = "e"
    return cell


def _cell(ws: Any, kept: Any) -> Any:
    """A cell of its own (to be styled or commented) for a value as _value gave it."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import Cell

    if isinstance(kept, Cell):
        return kept
    cell = WriteOnlyCell(ws, kept)  # text here is already safe: neither formula nor error
    if isinstance(kept, str):
        cell.data_type = "s"
    return cell
