"""How every sheet seatbatch writes reads and prints.

Columns as wide as what they show: an id, a date, an amount and a header read whole at the
width a spreadsheet opens them with, not `SUB-0000(`, `###` or `Unit price pe`. Printed in
landscape, as wide as the page, the header row on every page.

A width is in Excel's unit, about one character of its default font. Amounts are measured as
their number format shows them (thousands separators, the currency's decimals), dates as
yyyy-mm-dd, text by its longest line. A column never grows past MOST: longer text wraps or
is cut, as it would be anyway in a column that wide."""

from __future__ import annotations

import textwrap
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

from seatbatch.core.sheets import column_letter

PADDING = 2  # characters of air either side of the text
FILTER_BUTTON = 3  # a table's header holds its filter button beside the title
LEAST, MOST = 6, 60
HEADER_LINES = 2  # a wrapping header's most lines (the invoice workbook's header row)
DATE_WIDTH = len("2026-12-31")


def shown(value: Any, decimals: int | None = None) -> int:
    """How many characters `value` takes as a sheet shows it (an amount with `decimals`
    decimals and thousands separators)."""
    if value is None:
        return 0
    if isinstance(value, bool):
        return 5
    if isinstance(value, date):
        return DATE_WIDTH
    if isinstance(value, Decimal | int | float):
        if decimals is None:
            return len(f"{value:,}")
        return len(f"{Decimal(value):,.{decimals}f}")
    return max((len(part) for part in str(value).splitlines()), default=0)


def fitted(widest: int, header: str, *, header_extra: int = 0, least: int = LEAST,
           most: int = MOST) -> float:
    """A column's width: its widest value (`widest` characters) or its header, whichever is
    wider, within bounds."""
    return min(max(widest, len(header) + header_extra, least - PADDING) + PADDING, most)


@cache  # the same few headers and widths, for thousands of invoices
def wrapped_width(header: str, widest: int) -> float:
    """The width of a column whose header wraps: its widest value's, widened until the header
    takes HEADER_LINES lines at most, each with air beside it (a right-aligned header never runs
    into the next column's)."""
    chosen = max(widest, LEAST - PADDING)
    if len(header) <= chosen + PADDING:  # it would stand on one line, filling the column
        return max(chosen, len(header)) + PADDING
    while True:
        wrapped = textwrap.wrap(header, chosen, break_long_words=False)
        if len(wrapped) <= HEADER_LINES and max(map(len, wrapped), default=0) <= chosen:
            return chosen + PADDING
        chosen += 1


def fit_columns(ws: Any, *, least: int = LEAST, most: int = MOST) -> None:
    """Size every column of an openpyxl sheet (not write-only) to its header in row 1 and the
    values under it."""
    for index, cells in enumerate(ws.iter_cols(values_only=True), start=1):
        header = cells[0] if isinstance(cells[0], str) else ""
        widest = max((shown(value) for value in cells[1:]), default=0)
        ws.column_dimensions[column_letter(index - 1)].width = fitted(
            widest, header, least=least, most=most)


def print_setup(ws: Any) -> None:
    """A4 landscape, every column on the page's width (as many pages down as it takes), and
    the header row repeated at the top of each page."""
    ws.page_setup.paperSize = "9"  # A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"
