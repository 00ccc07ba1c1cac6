"""Invoice and quote workbooks.

A run can issue thousands of small invoices, and a general-purpose writer spends most of its time
on parts an invoice does not need (themes, shared strings, document properties): xlsxwriter
takes about 1.7 ms a workbook here, which alone would exceed `process`'s time budget. These
workbooks have one fixed layout, so they are written directly as the few SpreadsheetML parts a
valid package needs (about 0.3 ms). The tests read every one back with openpyxl and calamine.

Amounts are numeric cells written from their Decimal text (no float on the way) with number
formats; dates are date cells; text is always an inline string, never a formula."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from seatbatch.core.model import Invoice, Party
from seatbatch.core.money import minor_unit
from seatbatch.core.sheets import column_letter
from seatbatch.output.html import money, percent
from seatbatch.output.sheet_layout import DATE_WIDTH, shown, wrapped_width
from seatbatch.output.text_cells import formula_like, xml_text
from seatbatch.output.whole_files import write_whole

# Cell styles: positions in <cellXfs> of STYLES below.
PLAIN, BOLD, TITLE, HEADER, DATE, MONEY2, MONEY0, TOTAL2, TOTAL0, PERCENT, QUOTED, LABEL, \
    BOLD_LABEL, HEADER_RIGHT, HEADER_CENTRE, FIELD_DATE = range(16)

LINE_HEADERS = (
    "Order", "Subscription", "Device type", "Seats", "Term (years)", "Service from",
    "Service to", "Unit price / year", "Proration (days)", "List amount", "Less term discount",
    "Less partner discount", "Net amount",
)
# Each header aligned as the values under it: text left, numbers right, dates centred.
HEADER_STYLES = (HEADER, HEADER, HEADER, HEADER_RIGHT, HEADER_RIGHT, HEADER_CENTRE,
                 HEADER_CENTRE, *(HEADER_RIGHT,) * 6)
LETTERS = [column_letter(i) for i in range(len(LINE_HEADERS))]
NUMBER_COLUMNS = (3, 4, 7, 9, 10, 11, 12)  # seats, term, unit price and the four amounts
DATE_COLUMNS = (5, 6)

STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\
<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd"/></numFmts>\
<fonts count="3"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>\
<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font>\
<font><b/><sz val="14"/><name val="Calibri"/><family val="2"/></font></fonts>\
<fills count="2"><fill><patternFill patternType="none"/></fill>\
<fill><patternFill patternType="gray125"/></fill></fills>\
<borders count="3"><border><left/><right/><top/><bottom/><diagonal/></border>\
<border><left/><right/><top/><bottom style="thin"/><diagonal/></border>\
<border><left/><right/><top style="thin"/><bottom/><diagonal/></border></borders>\
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>\
<cellXfs count="16">\
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>\
<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1"/>\
<xf numFmtId="0" fontId="1" fillId="0" borderId="1" xfId="0" applyFont="1" applyBorder="1" \
applyAlignment="1"><alignment wrapText="1"/></xf>\
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" \
applyAlignment="1"><alignment horizontal="center"/></xf>\
<xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="3" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="4" fontId="1" fillId="0" borderId="2" xfId="0" applyNumberFormat="1" \
applyFont="1" applyBorder="1"/>\
<xf numFmtId="3" fontId="1" fillId="0" borderId="2" xfId="0" applyNumberFormat="1" \
applyFont="1" applyBorder="1"/>\
<xf numFmtId="10" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" \
applyAlignment="1"><alignment horizontal="left"/></xf>\
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/>\
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1">\
<alignment horizontal="right"/></xf>\
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" \
applyAlignment="1"><alignment horizontal="right"/></xf>\
<xf numFmtId="0" fontId="1" fillId="0" borderId="1" xfId="0" applyFont="1" applyBorder="1" \
applyAlignment="1"><alignment horizontal="right" wrapText="1"/></xf>\
<xf numFmtId="0" fontId="1" fillId="0" borderId="1" xfId="0" applyFont="1" applyBorder="1" \
applyAlignment="1"><alignment horizontal="center" wrapText="1"/></xf>\
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" \
applyAlignment="1"><alignment horizontal="left"/></xf>\
</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>\
</styleSheet>"""

CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
<Default Extension="xml" ContentType="application/xml"/>\
<Override PartName="/xl/workbook.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>\
<Override PartName="/xl/worksheets/sheet1.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>\
<Override PartName="/xl/styles.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>\
</Types>"""

ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
<Relationship Id="rId1" \
Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" \
Target="xl/workbook.xml"/></Relationships>"""

WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
<Relationship Id="rId1" \
Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" \
Target="worksheets/sheet1.xml"/>\
<Relationship Id="rId2" \
Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" \
Target="styles.xml"/></Relationships>"""

WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" \
xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">\
<sheets><sheet name="{title}" sheetId="1" r:id="rId1"/></sheets>{names}</workbook>"""
# the line table's header row printed at the top of every page
PRINT_TITLES = """<definedNames><definedName name="_xlnm.Print_Titles" localSheetId="0">\
'{title}'!${row}:${row}</definedName></definedNames>"""

SHEET = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" \
xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">\
<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr><cols>{cols}</cols>\
<sheetData>{rows}</sheetData>\
<pageMargins left="0.5" right="0.5" top="0.6" bottom="0.6" header="0.3" footer="0.3"/>\
<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>\
</worksheet>"""

_EXCEL_EPOCH = date(1899, 12, 30)


def _text_xml(letter: str, row: int, value: str | None, style: int = PLAIN) -> str:
    """A cell of text as an inline string, none for no text; plain text a spreadsheet could
    take for a formula gets the quote prefix."""
    if not value:
        return ""
    if style == PLAIN and formula_like(value):
        style = QUOTED
    space = ' xml:space="preserve"' if value != value.strip() else ""
    return (f'<c r="{letter}{row}" t="inlineStr" s="{style}"><is>'
            f"<t{space}>{xml_text(value)}</t></is></c>")


# A label's cell, and a value's that recurs (a device type, the currency, the bank): the same
# few at the same rows on thousands of invoices. Values of one invoice only (its number, an
# order id) pass by once and leave it; those that recur are kept by their use.
_recurring_text_xml = lru_cache(maxsize=1024)(_text_xml)


@lru_cache(maxsize=1024)  # most fields' rows recur on thousands of invoices
def _field_row(row: int, label: str, value: str | date | None) -> str:
    """`_Sheet.field`'s row: the label's cell (bold) and the value's, a date or text; "" when
    it has neither."""
    cells = _text_xml("A", row, label, BOLD) + (
        f'<c r="C{row}" s="{FIELD_DATE}"><v>{(value - _EXCEL_EPOCH).days}</v></c>'
        if isinstance(value, date) else _text_xml("C", row, value))
    return f'<row r="{row}">{cells}</row>' if cells else ""


class _Sheet:
    """Rows of cells, kept as XML text; one method per kind of value."""

    def __init__(self, currency: str):
        self.decimals = minor_unit(currency)
        whole = self.decimals == 0
        self.money = MONEY0 if whole else MONEY2
        self.total = TOTAL0 if whole else TOTAL2
        self.rows: list[str] = []
        self.cells: list[str] = []
        self.row = 1
        # the line table, per column: its longest text, and its largest number (measured
        # once, as the sheet shows it, when the sheet is written: thousands of invoices a run)
        self.widest = [DATE_WIDTH if column in DATE_COLUMNS else 0
                       for column in range(len(LINE_HEADERS))]
        self.largest: list[int | Decimal] = [0] * len(LINE_HEADERS)
        self.header_row: int | None = None

    def text(self, column: int, value: str | None, style: int = PLAIN) -> None:
        if value:
            self.cells.append(_recurring_text_xml(LETTERS[column], self.row, value, style))

    def number(self, column: int, value: Decimal | int, style: int = PLAIN) -> None:
        # a Decimal's text as str() gives it: format()'s (an f-string's) is the same, slower
        self.cells.append(f'<c r="{LETTERS[column]}{self.row}" s="{style}"><v>{value!s}</v></c>')

    def next_row(self, skip: int = 1, height: int | None = None) -> None:
        """Close the current row (`height` in points for a row of wrapped headers)."""
        if self.cells:
            tall = f' ht="{height}" customHeight="1"' if height else ""
            self.rows.append(f'<row r="{self.row}"{tall}>{"".join(self.cells)}</row>')
            self.cells = []
        self.row += skip

    def field(self, label: str, value: str | date | None) -> None:
        """A row of its own: the label, and the value two columns on."""
        assert not self.cells
        if row := _field_row(self.row, label, value):
            self.rows.append(row)
        self.row += 1

    def lines(self, label: str, values: Sequence[str]) -> None:
        for position, value in enumerate(values):
            self.field(label if position == 0 else "", value)

    def xml(self) -> str:
        self.next_row(0)
        cols = "".join(_col(column, self.widest[column], largest,
                            self.decimals if isinstance(largest, Decimal) else None)
                       for column, largest in enumerate(self.largest))
        return SHEET.format(cols=cols, rows="".join(self.rows))

    def names(self, title: str) -> str:
        return "" if self.header_row is None else PRINT_TITLES.format(title=title,
                                                                      row=self.header_row)


# the same few for thousands of invoices; typed: an amount's column measures it with its
# decimals, a count's without (equal amounts, whatever their exponent, show alike)
@lru_cache(maxsize=1024, typed=True)
def _col(column: int, widest: int, largest: int | Decimal, decimals: int | None) -> str:
    """The line table's column as wide as its header, its longest text (`widest`
    characters) and its largest number (`largest`, shown with `decimals`) need."""
    widest = max(widest, shown(largest, decimals) if largest else 0)
    width = wrapped_width(LINE_HEADERS[column], widest)
    return f'<col min="{column + 1}" max="{column + 1}" width="{width}" customWidth="1"/>'


def _write_invoice(sheet: _Sheet, invoice: Invoice, heading: str) -> None:
    sheet.text(0, heading, TITLE)
    sheet.next_row(3)
    _parties(sheet, invoice)
    name = invoice.document_name
    sheet.field(f"{name} number", invoice.number or "(estimate: numbered when processed)")
    sheet.field(f"{name} date", invoice.invoice_date)
    for label, value in invoice.references:
        sheet.field(label, value)
    if not invoice.is_credit_note:
        sheet.field("Due date", invoice.due_date)
    sheet.field("PO number", invoice.po_number or "")
    sheet.field("Currency", invoice.currency)
    sheet.text(0, "Partner discount", BOLD)
    sheet.number(2, invoice.partner_discount_rate, PERCENT)
    sheet.next_row(2)
    _lines(sheet, invoice)
    _totals(sheet, invoice)
    _payment(sheet, invoice)


# The parties' rows as they were written from a row on: the same for every invoice of a
# partner (a worker writes thousands), but for the customer's row after them.
_PARTIES: dict[tuple[Party, Party, str, int], tuple[list[str], int]] = {}
_PARTIES_KEPT = 64


def _parties(sheet: _Sheet, invoice: Invoice) -> None:
    key = (invoice.issuer, invoice.bill_to, invoice.partner_id, sheet.row)
    written = _PARTIES.get(key)
    if written is None:
        first = len(sheet.rows)
        _parties_written(sheet, invoice)
        written = (sheet.rows[first:], sheet.row)
        if len(_PARTIES) < _PARTIES_KEPT:
            _PARTIES[key] = written
    else:
        sheet.rows.extend(written[0])
        sheet.row = written[1]
    sheet.field("Customer", f"{invoice.customer_id} — {invoice.customer_name}")
    sheet.next_row()


def _parties_written(sheet: _Sheet, invoice: Invoice) -> None:
    """The issuer's and the partner's rows, from a row with no cell yet."""
    assert not sheet.cells
    issuer = invoice.issuer
    sheet.field("From", issuer.name)
    sheet.lines("", issuer.address)
    if issuer.registration:
        sheet.field("Registration", issuer.registration)
    if issuer.vat_id:
        sheet.field("VAT id", issuer.vat_id)
    if issuer.email:
        sheet.field("E-mail", issuer.email)
    sheet.next_row()
    sheet.field("Bill to", invoice.bill_to.name)
    sheet.lines("", invoice.bill_to.address)
    if invoice.bill_to.vat_id:
        sheet.field("VAT id", invoice.bill_to.vat_id)
    sheet.field("Partner id", invoice.partner_id)


def _lines(sheet: _Sheet, invoice: Invoice) -> None:
    if sheet.header_row is None:
        sheet.header_row = sheet.row
    sheet.next_row(0)
    sheet.rows.append(_header_row(sheet.row))
    sheet.row += 1
    money_style, widest, largest = sheet.money, sheet.widest, sheet.largest
    for line in invoice.lines:
        # one line's row in one piece, as text(), number() and day() write each cell: a
        # worker writes tens of thousands
        row = sheet.row
        r = str(row)  # written in each cell's reference
        texts = (line.order_id or "(renewal)", line.subscription_id or "(new)", line.device_type)
        proration = (f"{line.prorate_days} of {line.term_days}"
                     if line.prorate_days != line.term_days else "")
        amounts = line.amounts
        sheet.rows.append(
            f'<row r="{r}">{_text_xml("A", row, texts[0])}{_text_xml("B", row, texts[1])}'
            f'{_recurring_text_xml("C", row, texts[2])}'
            f'<c r="D{r}" s="{PLAIN}"><v>{line.seats}</v></c>'
            f'<c r="E{r}" s="{PLAIN}"><v>{line.term_years}</v></c>'
            f'<c r="F{r}" s="{DATE}"><v>{(line.period_start - _EXCEL_EPOCH).days}</v></c>'
            f'<c r="G{r}" s="{DATE}"><v>{(line.period_end - _EXCEL_EPOCH).days}</v></c>'
            f'<c r="H{r}" s="{money_style}"><v>{line.unit_price!s}</v></c>'
            f'{_recurring_text_xml("I", row, proration, LABEL)}'
            f'<c r="J{r}" s="{money_style}"><v>{amounts[0]!s}</v></c>'
            f'<c r="K{r}" s="{money_style}"><v>{amounts[1]!s}</v></c>'
            f'<c r="L{r}" s="{money_style}"><v>{amounts[2]!s}</v></c>'
            f'<c r="M{r}" s="{money_style}"><v>{amounts[3]!s}</v></c></row>')
        sheet.row = row + 1
        for column, text in ((0, texts[0]), (1, texts[1]), (2, texts[2]), (8, proration)):
            # text on one line (no line break is printable) is as wide as it is long
            if (width := len(text) if text.isprintable() else shown(text)) > widest[column]:
                widest[column] = width
        numbers: tuple[int | Decimal, ...] = (line.seats, line.term_years, line.unit_price,
                                              *amounts)
        for column, number in zip(NUMBER_COLUMNS, numbers, strict=True):
            largest[column] = max(largest[column], number)  # never negative here


@lru_cache(maxsize=64)  # the same few rows for thousands of invoices (a quote's, many)
def _header_row(row: int) -> str:
    """The line table's header row, a row 32 points tall for its wrapped headers."""
    cells = "".join(_text_xml(LETTERS[column], row, header, HEADER_STYLES[column])
                    for column, header in enumerate(LINE_HEADERS))
    return f'<row r="{row}" ht="32" customHeight="1">{cells}</row>'


def _totals(sheet: _Sheet, invoice: Invoice) -> None:
    """The total; with VAT (SPEC §10), the net total, the VAT line and the amount payable."""
    vat = invoice.vat
    if vat is None:
        sheet.text(11, f"Total {invoice.currency}", BOLD_LABEL)
        sheet.number(12, invoice.total, sheet.total)
        sheet.next_row(3)
        return
    sheet.text(11, f"Net total {invoice.currency}", BOLD_LABEL)
    sheet.number(12, invoice.total, sheet.total)
    sheet.next_row()
    sheet.text(11, f"VAT {percent(vat.rate)} on {money(vat.base, invoice.currency)}" if vat.rate
               else f"VAT: {vat.note}", LABEL)
    sheet.number(12, vat.amount, sheet.money)
    sheet.next_row()
    sheet.text(11, f"{invoice.payable_label} {invoice.currency}", BOLD_LABEL)
    sheet.number(12, invoice.payable, sheet.total)
    sheet.next_row(2)


def _payment(sheet: _Sheet, invoice: Invoice) -> None:
    payment = invoice.payment
    if payment is None or invoice.number is None or invoice.is_credit_note:
        return  # an estimate is not to be paid, nor is a credit note
    sheet.field("Payment terms", invoice.payment_terms)
    sheet.field("IBAN", payment.iban)
    sheet.field("BIC", payment.bic)
    if payment.bank:
        sheet.field("Bank", payment.bank)
    sheet.field("Payment reference", payment.reference)
    sheet.next_row(2)


@dataclass(frozen=True)
class _Member:
    """One deflated member of the package, ready to be laid out."""

    name: bytes
    crc: int
    size: int
    data: bytes

    @classmethod
    def of(cls, name: str, text: str) -> _Member:
        raw = text.encode("utf-8")
        deflate = zlib.compressobj(1, zlib.DEFLATED, -15)  # raw deflate, as ZIP stores it
        return cls(name.encode("ascii"), zlib.crc32(raw), len(raw),
                   deflate.compress(raw) + deflate.flush())


# The parts every invoice shares are compressed once. The stdlib's zipfile spends about
# 0.3 ms a package on member bookkeeping; laying out six members by hand costs a tenth of it.
_FIXED = (
    _Member.of("[Content_Types].xml", CONTENT_TYPES),
    _Member.of("_rels/.rels", ROOT_RELS),
    _Member.of("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
    _Member.of("xl/styles.xml", STYLES),
)
_DOS_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01, 00:00: the same bytes on every rendering


def _local(m: _Member) -> bytes:
    """A member's local header, name and data."""
    return struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, _DOS_DATE, m.crc, len(m.data),
                       m.size, len(m.name), 0) + m.name + m.data


def _central(m: _Member, offset: int) -> bytes:
    """A member's entry in the central directory, its local header at `offset`."""
    return struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, _DOS_DATE, m.crc,
                       len(m.data), m.size, len(m.name), 0, 0, 0, 0, 0, offset) + m.name


def _laid_out(members: Sequence[_Member], body: bytes = b"", directory: bytes = b""
              ) -> tuple[bytes, bytes]:
    """`members` laid out after a package's first members (their `body` and `directory`)."""
    body_parts, directory_parts, offset = [body], [directory], len(body)
    for m in members:
        local = _local(m)
        body_parts.append(local)
        directory_parts.append(_central(m, offset))
        offset += len(local)
    return b"".join(body_parts), b"".join(directory_parts)


# the fixed members first, laid out once
_FIXED_BODY, _FIXED_DIRECTORY = _laid_out(_FIXED)


def _package(members: Sequence[_Member]) -> bytes:
    """A ZIP archive (APPNOTE 6.3: local headers, data, central directory, end record) of the
    fixed members, then `members`."""
    body, directory = _laid_out(members, _FIXED_BODY, _FIXED_DIRECTORY)
    count = len(_FIXED) + len(members)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(directory), len(body),
                      0)
    return body + directory + end


# the same few (a title, the row of the line table's header) for thousands of invoices
@lru_cache(maxsize=64)
def _workbook(title: str, names: str) -> _Member:
    return _Member.of("xl/workbook.xml", WORKBOOK.format(title=title, names=names))


def _packaged(title: str, sheet: _Sheet) -> bytes:
    members = (_workbook(title, sheet.names(title)),
               _Member.of("xl/worksheets/sheet1.xml", sheet.xml()))
    return _package(members)


def _save(path: Path, title: str, sheet: _Sheet) -> None:
    write_whole(path, _packaged(title, sheet))


def invoice_xlsx(invoice: Invoice) -> bytes:
    """The invoice's workbook, as its file holds it."""
    sheet = _Sheet(invoice.currency)
    _write_invoice(sheet, invoice, f"{invoice.document_name} {invoice.number}")
    return _packaged(invoice.document_name, sheet)


def write_invoice_xlsx(invoice: Invoice, path: Path) -> None:
    write_whole(path, invoice_xlsx(invoice))


def write_quote_xlsx(invoices: Sequence[Invoice], path: Path, currency: str) -> None:
    """One sheet: every estimated invoice in turn, then the grand total."""
    sheet = _Sheet(currency)
    for position, invoice in enumerate(invoices, start=1):
        _write_invoice(sheet, invoice, f"Estimate {position} of {len(invoices)}")
    if len(invoices) > 1:
        sheet.text(11, f"Quote total {currency}", BOLD_LABEL)
        sheet.number(12, sum((i.total for i in invoices), Decimal(0)), sheet.total)
        if invoices[0].vat is not None:  # one treatment: all or none have VAT
            sheet.next_row()
            sheet.text(11, f"Quote VAT {currency}", LABEL)
            sheet.number(12, sum((i.vat.amount for i in invoices if i.vat), Decimal(0)),
                         sheet.money)
            sheet.next_row()
            sheet.text(11, f"Quote payable {currency}", BOLD_LABEL)
            sheet.number(12, sum((i.payable for i in invoices), Decimal(0)), sheet.total)
    _save(path, "Quote", sheet)
