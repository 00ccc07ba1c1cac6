"""How the sheets seatbatch writes read and print (issue 15, findings 8-11): columns as wide as
what they show, headers aligned as their values, A4 landscape with the header row on every
page. Read back with openpyxl, as a spreadsheet shows them."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl

from seatbatch.output.sheet_layout import shown, wrapped_width
from seatbatch.output.xlsx import LINE_HEADERS, write_invoice_xlsx, write_quote_xlsx
from sheet_checks import narrow_columns, print_faults, shown_as
from test_pdf import invoice, line


def test_a_value_is_measured_as_the_sheet_shows_it() -> None:
    assert shown(Decimal("1234567.5"), 2) == len("1,234,567.50")
    assert shown(Decimal("1234567"), 0) == len("1,234,567")
    assert shown(date(2026, 12, 6)) == len("2026-12-06")
    assert shown("two\nlines, the longer second") == len("lines, the longer second")
    assert shown(None) == 0


def test_a_wrapping_header_takes_two_lines_at_most_and_never_fills_its_column() -> None:
    for header in LINE_HEADERS:
        for widest in (0, 4, 9, 30):
            width = wrapped_width(header, widest)
            assert width >= widest + 2
            words, lines, current = header.split(), [], ""
            for word in words:  # greedy, as a spreadsheet wraps
                if current and len(current) + 1 + len(word) > width - 2:
                    lines.append(current)
                    current = word
                else:
                    current = f"{current} {word}".strip()
            lines.append(current)
            assert len(lines) <= 2 and max(map(len, lines)) <= width - 2, (header, widest)


def _line_table(path: Path) -> tuple[openpyxl.worksheet.worksheet.Worksheet, int]:
    ws = openpyxl.load_workbook(path)["Invoice" if "Invoice" in
                                      openpyxl.load_workbook(path).sheetnames else "Quote"]
    header_row = next(cell.row for cell in ws["A"] if cell.value == "Order")
    return ws, header_row


def test_the_invoice_workbook_aligns_headers_as_values_and_shows_them_whole(
        tmp_path: Path) -> None:
    """Finding 11: numeric headers were left-aligned over right-aligned values, and a unit
    price ran into the proration beside it ("150.00829 of 1096")."""
    long_device = "Space Pro Ultra Wide Outdoor"
    made = invoice(3, lines=(line("L1"), replace(line("ORD-2026-LONG-0001"),
                                                 device_type=long_device)),
                   currency="JPY")
    write_invoice_xlsx(made, tmp_path / "invoice.xlsx")
    ws, header_row = _line_table(tmp_path / "invoice.xlsx")
    headers = {cell.value: cell for cell in ws[header_row] if cell.value}
    for title in ("Seats", "Term (years)", "Unit price / year", "Proration (days)",
                  "List amount", "Net amount"):
        assert headers[title].alignment.horizontal == "right", title
    assert headers["Service from"].alignment.horizontal == "center"
    assert headers["Order"].alignment.horizontal in (None, "general", "left")
    first = ws[header_row + 1]
    assert first[7].value == 150 and shown_as(first[8]) == "829 of 1096"
    assert first[8].alignment.horizontal == "right"  # beside the amount, not run into it
    assert narrow_columns(ws, header_row, columns=range(1, len(LINE_HEADERS) + 1),
                          headers=False) == []
    assert print_faults(ws, f"${header_row}:${header_row}") == []


def test_a_quote_prints_its_line_header_on_every_page(tmp_path: Path) -> None:
    write_quote_xlsx([invoice(2), invoice(40)], tmp_path / "quote.xlsx", "EUR")
    ws, header_row = _line_table(tmp_path / "quote.xlsx")
    assert print_faults(ws, f"${header_row}:${header_row}") == []
