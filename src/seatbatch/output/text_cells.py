"""Text stays text: the one way a string from the input or the ledger becomes a workbook cell.

Whatever a text looks like, it is written as that text: never as a formula (one starting with
"=", "+", "-", "@" or a control character gets the quote prefix as well, so that it stays text
when a person edits the cell), never as one of Excel's error values, never as a number or a
date. Characters XML cannot carry are written as SpreadsheetML's _xHHHH_ escape, and a literal
_xHHHH_ in the text is escaped itself, so that the text reads back unchanged.

Every workbook writer takes its text cells from here: openpyxl's (order workbooks and the
template, rejected.xlsx, the month's report) through `hold_text`, `text_cell` and
`text_value`, and the invoices' own SpreadsheetML (output.xlsx) through `formula_like` and
`xml_text`. openpyxl is imported only when a cell of its is made, so that a command that
writes no such workbook never loads it."""

from __future__ import annotations

import re
from typing import Any

FORMULA_LIKE = ("=", "+", "-", "@", "\t", "\r", "\n", "\x00")
ERROR_TEXTS = frozenset(("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"))
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_x[0-9A-Fa-f]{4}_")
# what xml_text changes: _NOT_XML's and what XML escapes
_CHANGED_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff&<>]|_x[0-9A-Fa-f]{4}_")


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


def xml_text(text: str) -> str:
    """The content of an inline string's <t> element (SpreadsheetML written directly)."""
    if _CHANGED_IN_XML.search(text) is None:  # most text: written as it is
        return text
    return cell_text(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def hold_text(cell: Any, text: str) -> Any:
    """An openpyxl cell (of a worksheet, or a WriteOnlyCell) made to hold `text` as text."""
    cell.value = cell_text(text)
    cell.data_type = "s"
    cell.quotePrefix = formula_like(text)
    return cell


def text_value(ws: Any, text: str) -> Any:
    """`text` as a write-only sheet's row takes it: the text itself where openpyxl writes it
    as that text anyway (the common case, and the cheap one), else a cell that keeps it so."""
    written = cell_text(text)
    if not formula_like(text) and written not in ERROR_TEXTS:
        return written
    return text_cell(ws, text)


def text_cell(ws: Any, text: str) -> Any:
    """A write-only sheet's cell of its own (to be styled or commented) holding `text` as
    text."""
    from openpyxl.cell import WriteOnlyCell

    return hold_text(WriteOnlyCell(ws), text)
