"""The order workbook's three sheets -> raw rows keyed by column name, each with its Excel row.

Reading uses python-calamine (a Rust reader): it reads a 100,000-row workbook about ten times
faster than openpyxl, which is what keeps `process` inside its time budget."""

from __future__ import annotations

import gc
import io
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from itertools import compress
from operator import itemgetter
from pathlib import Path
from typing import Any

from python_calamine import CalamineWorkbook, SheetVisibleEnum

from seatbatch.core.columns import SheetSpec, normalize_header, sheet_specs
from seatbatch.core.config import Limits
from seatbatch.core.names import name_key, near_miss
from seatbatch.core.problems import Code, Problem, problem
from seatbatch.core.sheets import (
    RawSheet,
    RawWorkbook,
    Unreadable,
    UnreadableCell,
    column_letter,
)
from seatbatch.intake.guard import Inspection, changed, inspect_file
from seatbatch.intake.origin import made_for


def _sheet_label(title: str, hidden: bool) -> str:
    """A sheet's name for a message: quoted with its invisible characters shown, and whether it
    is hidden."""
    shown = "".join(ch if ch.isprintable() and ch not in "\u00a0\u00ad" else f"\\u{ord(ch):04x}"
                    for ch in title)
    return f"'{shown}'" + (" (hidden)" if hidden else "")


def _clean(value: Any) -> Any:
    """Text trimmed; an empty cell (or blank text) is None; every other value as the cell had it."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def read_workbook(path: Path, limits: Limits, expected: str | None = None) -> RawWorkbook:
    """The workbook (`expected`: its SHA-256 as the run took it, see `inspect_file`)."""
    inspection = inspect_file(path, limits, expected)
    reads = sheet_reads(path, limits, inspection, apart=False)
    return assemble(path, inspection, [read() for read in reads])


APART = "Devices"  # a large workbook's devices take longer to read than the other sheets


OTHER_SHEETS = 1  # of `sheet_reads` apart: the read of the sheets but the devices


def sheet_reads(path: Path, limits: Limits, inspection: Inspection, *,
                apart: bool = True) -> list[Callable[[], SheetsRead]]:
    """The reads of the workbook's sheets once the guard has passed it (none when it has
    not), `assemble` making the workbook of what they return: one of all its sheets; or,
    `apart`, one of the devices and one of the others, to run side by side (in other
    processes: each is plain data)."""
    if inspection.problem:
        return []
    names = [spec.name for spec in sheet_specs()]
    shares = [[APART], [name for name in names if name != APART]] \
        if apart and APART in names else [names]
    return [partial(read_sheets, path, limits, inspection, tuple(share)) for share in shares]


@dataclass(frozen=True)
class SheetsRead:
    """Some of the workbook's sheets as `read_sheets` read them: by sheet (its spec's name),
    the sheet when it could be read, and its problems and warnings; or the one problem of a
    file the reader cannot open."""

    found: dict[str, tuple[RawSheet | None, list[Problem], list[Problem]]]
    unopened: Problem | None = None


def assemble(path: Path, inspection: Inspection, reads: Sequence[SheetsRead]) -> RawWorkbook:
    """The workbook, of the guard's inspection of it and the reads of its sheets (every
    sheet read by one of them), its problems and warnings in the order of the sheets."""
    if inspection.problem:
        return RawWorkbook({}, [inspection.problem], [])
    unopened = next((read.unopened for read in reads if read.unopened), None)
    if unopened:
        return RawWorkbook({}, [unopened], [])
    sheets: dict[str, RawSheet] = {}
    problems: list[Problem] = []
    warnings: list[Problem] = []
    for spec in sheet_specs():
        sheet, its_problems, its_warnings = next(
            read.found[spec.name] for read in reads if spec.name in read.found)
        problems += its_problems
        warnings += its_warnings
        if sheet is not None:
            sheets[spec.name] = sheet
    return RawWorkbook(sheets, problems, warnings, made_for(path), inspection.unreadable)


def read_sheets(path: Path, limits: Limits, inspection: Inspection,
                names: Sequence[str]) -> SheetsRead:
    """The sheets of these names (their specs'), of a workbook the guard has passed: read
    from the very bytes it passed (a file replaced since, by a sync tool say, is refused,
    never read unguarded)."""
    data = path.read_bytes()
    if not inspection.passed(data):
        return SheetsRead({}, changed())
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as error:  # noqa: BLE001  calamine raises its own error types for every damaged file
        detail = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
        return SheetsRead({}, problem(Code.CORRUPT_WORKBOOK, "", None, None, detail=detail))
    # (name, hidden) of every sheet, in the workbook's order (two may even share one name)
    listed = [(m.name, m.visible != SheetVisibleEnum.Visible) for m in book.sheets_metadata]
    found: dict[str, tuple[RawSheet | None, list[Problem], list[Problem]]] = {}
    for spec in sheet_specs():
        if spec.name in names:
            problems: list[Problem] = []
            warnings: list[Problem] = []
            sheet = _read_spec(book, spec, listed, limits, inspection,
                               problems=problems, warnings=warnings)
            found[spec.name] = (sheet, problems, warnings)
    return SheetsRead(found)


def _read_spec(book: CalamineWorkbook, spec: SheetSpec, listed: list[tuple[str, bool]],
               limits: Limits, inspection: Inspection, *, problems: list[Problem],
               warnings: list[Problem]) -> RawSheet | None:
    """The sheet of this spec, when it can be read; its problems and warnings found."""
    # Every sheet that looks like this name, hidden or not: were one of two taken, the
    # partner could be shown the other one (SPEC §2).
    matching = [s for s in listed if name_key(s[0]) == name_key(spec.name)]
    if len(matching) > 1:
        named = ", ".join(_sheet_label(*s) for s in matching)
        problems.append(problem(Code.AMBIGUOUS_SHEET, "", None, None,
                                expected=spec.name, count=len(matching), found=named))
        return None
    if not matching:
        found = ", ".join(_sheet_label(*s) for s in listed) or "none"
        near = near_miss(spec.name, [s[0] for s in listed])
        fix = (f"did you mean {_sheet_label(near, False)}? Rename it {spec.name}" if near
               else "add it with its header row")
        problems.append(problem(Code.MISSING_SHEET, spec.name, None, None,
                                expected=spec.name, found=found, fix=fix))
        return None
    title = matching[0][0]
    try:
        data = book.get_sheet_by_name(title)
        if data.height > limits.max_rows + 1:
            # Not tied to the sheet: a rejected.xlsx of a workbook this large is not made.
            problems.append(problem(Code.TOO_MANY_ROWS, "", None, None,
                                    where=f"sheet '{title}'", rows=data.height - 1,
                                    limit=limits.max_rows))
            return None
        with _uncollected():
            # padded from A1: grid[r][c] is Excel row r + 1, column c + 1
            grid = data.to_python(skip_empty_area=False)
            return _read_sheet(spec, title, grid, problems=problems, warnings=warnings,
                               unreadable=inspection.unreadable.get(title, []))
    except Exception as error:  # noqa: BLE001  a damaged part of the file surfaces only while reading it
        detail = f"sheet '{title}': {str(error).splitlines()[0][:200] if str(error) else ''}"
        problems.append(problem(Code.CORRUPT_WORKBOOK, spec.name, None, None, detail=detail))
        return None


def _read_sheet(
    spec: SheetSpec,
    title: str,
    grid: list[list[Any]],
    *,
    problems: list[Problem],
    warnings: list[Problem],
    unreadable: list[Unreadable],
) -> RawSheet:
    sheet = RawSheet(spec, title)
    _read_header(sheet, grid[0] if grid else [], problems=problems, warnings=warnings)
    body = grid[1:]
    # calamine reads these cells as empty: put back what they hold, so that they are reported
    # for it (an error value, a formula without its result), never as missing
    held = {(cell.row, cell.column - 1): UnreadableCell(
        Code.ERROR_VALUE if cell.kind == "error" else Code.FORMULA_WITHOUT_VALUE, cell.text)
        for cell in unreadable if cell.row > 1}  # below the header row
    height = max([len(body)] + [row - 1 for row, _ in held])
    # calamine pads every row to the grid's width: a column is then taken whole (in C)
    even = len(set(map(len, body))) <= 1
    columns = []
    shared: list[dict[Any, Any]] = []  # each column's values, by value, as shared
    for at in sheet.columns.values():
        values = (_column_of(list(map(itemgetter(at), body)), shared) if even and body
                  and at < len(body[0]) else _shared(_column(body, at), _merged(shared)))
        values += [None] * (height - len(body))
        for (row, position), cell in held.items():
            if position == at:
                values[row - 2] = cell
        columns.append(values)
    # a row is kept when it has a cell (counted in C: a sheet has 100,000 rows); every row is
    # when a column is full
    if columns and any(None not in values for values in columns):
        sheet.rows = list(range(2, height + 2))
        sheet.cells = dict(zip(sheet.columns, columns, strict=True))
    else:
        width = len(columns)
        present = [cells.count(None) < width for cells in zip(*columns, strict=True)]
        sheet.rows = list(compress(range(2, len(present) + 2), present))
        sheet.cells = {
            name: list(compress(values, present))
            for name, values in zip(sheet.columns, columns, strict=True)
        }
    if len(sheet.rows) < spec.min_rows and not any(
        p.sheet == spec.name and p.code is Code.MISSING_COLUMN for p in problems
    ):
        problems.append(problem(Code.EMPTY_SHEET, spec.name, None, None))
    return sheet


HINTED_HEADERS = 100  # unknown headers of a sheet for which the column meant is looked for


def _read_header(sheet: RawSheet, header: list[Any], *, problems: list[Problem],
                 warnings: list[Problem]) -> None:
    """The sheet's columns from its header row; duplicate, missing and unknown headers."""
    spec = sheet.spec
    known = {normalize_header(c.name): c.name for c in spec.columns}
    unknown: dict[int, str] = {}  # position -> header, of headers that name no column
    for position, cell in enumerate(header):
        text = _clean(cell)
        if text is None:
            continue
        name = known.get(normalize_header(str(text)))
        if name is None:
            if normalize_header(str(text)) != "errors":  # our own column on a resent rejection
                unknown[position] = str(text)
        elif name in sheet.columns:
            letters = f"{column_letter(sheet.columns[name])} and {column_letter(position)}"
            problems.append(
                problem(Code.DUPLICATE_COLUMN, spec.name, 1, name, text, letters=letters)
            )
        else:
            sheet.columns[name] = position
    # A header near a column the sheet lacks (`Term (years)`, as an invoice labels it) is not
    # taken for that column, but named with it: a guessed meaning could price other lines.
    # (the first headers only: a sheet may have thousands, and each guess takes its time)
    absent = [c.name for c in spec.columns if c.name not in sheet.columns]
    meant = {position: near_miss(text, absent)
             for position, text in list(unknown.items())[:HINTED_HEADERS]}
    for position, text in unknown.items():
        hint = f" (did you mean {meant[position]}?)" if meant.get(position) else ""
        warnings.append(problem(Code.UNKNOWN_COLUMN, spec.name, 1, text, text, hint=hint))
    for column in spec.columns:
        if column.required and column.name not in sheet.columns:
            near = next((p for p, name in meant.items() if name == column.name), None)
            fix = (f"did you mean column {column_letter(near)}, headed '{unknown[near]}'? "
                   f"Rename it {column.name}" if near is not None
                   else f"add a header cell '{column.name}' in row 1")
            problems.append(problem(Code.MISSING_COLUMN, spec.name, 1, column.name, fix=fix))


SHARED = (str, date, datetime)  # values that equal one another only within their class


def _shared(values: list[Any], same: dict[Any, Any]) -> list[Any]:
    """`values` with each text, date or time that occurs again in the sheet as one object:
    a sheet of 100,000 devices names a few thousand customers, three device types and a few
    hundred days, and the workbook read by a worker is pickled back to the run, which then
    sends each repeated object once (a tenth of the time) and holds it once."""
    return [same.setdefault(v, v) if v.__class__ in SHARED else v for v in values]


NONE = type(None)
UNSHARED = frozenset({int, float, bool, NONE})  # kept as they are, never equal to text
OF_TEXT = frozenset({str, date, datetime, NONE})  # no two of different classes are equal


def _merged(shared: list[dict[Any, Any]]) -> dict[Any, Any]:
    """The values the earlier columns share, in one dict (kept for the next columns)."""
    same: dict[Any, Any] = {}
    for values in shared:
        same.update(values)
    shared.append(same)
    return same


def _column_of(cells: list[Any], shared: list[dict[Any, Any]]) -> list[Any]:
    """`_shared(_column(...))` of a column's cells, giving the same objects: a column of
    numbers as it is; one of text and dates each distinct value shared once (the first cell's,
    or an earlier column's), then every cell looked up (in C); one mixing text and numbers or
    needing a trim cell by cell."""
    first = dict(zip(reversed(cells), reversed(cells), strict=True))  # each value's first cell
    # The classes of the cells, from one cell of each value: True, 1 and 1.0 are one value
    # here, but a number is never equal to text or a date, so a column holding one is seen
    # to (a class of number hidden by another is of no matter).
    kinds = set(map(type, first.values()))
    if kinds <= UNSHARED:
        return cells
    if kinds <= OF_TEXT:
        kept = len(first) == len(cells)  # no value twice: every cell is a first one
        first.pop(None, None)
        kinds.discard(NONE)
        distinct = list(first.values())
        if str not in kinds or (kinds == {str} and list(map(str.strip, distinct)) == distinct):
            for earlier in shared:
                for value in first.keys() & earlier.keys():
                    first[value] = earlier[value]
                    kept = False
            first[None] = None
            if "" in first:
                first[""] = None
                kept = False
            shared.append(first)
            return cells if kept else list(map(first.__getitem__, cells))
    return _shared([(cell.strip() or None if cell.__class__ is str else cell)
                    for cell in cells], _merged(shared))


@contextmanager
def _uncollected() -> Iterator[None]:
    """No cyclic garbage collection while a sheet's grid is built and read: its 100,000 lists
    hold no cycles, and the collector would walk them (and all else alive) over and over."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _column(body: list[list[Any]], at: int) -> list[Any]:
    """One column's cells, cleaned: text trimmed, an empty cell (or blank text) None."""
    return [
        (cells[at].strip() or None if cells[at].__class__ is str else cells[at])
        if at < len(cells) else None
        for cells in body
    ]
