"""report.xlsx: finance's month-end workbook. One table per sheet (filter buttons, frozen header),
amounts as numeric values with the currency's number format, never a formula; and one bar chart
of net amount by partner per currency (bars in different currencies share no axis)."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

from seatbatch.core.model import Invoice
from seatbatch.core.money import minor_unit
from seatbatch.core.month_end import Amounts, MonthReport, RevenueRow
from seatbatch.core.progress import Progress
from seatbatch.output.sheet_layout import DATE_WIDTH, FILTER_BUTTON, fitted, print_setup, shown
from seatbatch.output.text_cells import text_cell, text_value

DATE_FORMAT = "yyyy-mm-dd"
AMOUNT_COLUMNS = ("List amount", "Term discount", "Partner discount", "Net amount")
BOLD = Font(bold=True)


def _decimals(currency: str | None) -> int:
    return minor_unit(currency) if currency else 2


# An amount keeps a digit's width of air at its column's right edge ("_0"), and a date stands
# in the middle of its column, so that neither runs into the text of the next column
# ("2026-12-24P-ACME"). (LibreOffice ignores the indent of a right-aligned cell.) A count is
# written plain: a style on each of a large month's half a million counts cost a fifth of
# `report`'s time.
AIR = "_0"
CENTRED = Alignment(horizontal="center")


def money_format(currency: str) -> str:
    decimals = _decimals(currency)
    return "#,##0" + ("." + "0" * decimals if decimals else "") + AIR


@dataclass(frozen=True)
class Column:
    title: str
    kind: str = "text"  # text | int | date | money (formatted by the row's currency)


Row = tuple[Sequence[Any], str | None]  # the values, and the currency of its amounts


def _widths(columns: Sequence[Column], rows: Sequence[Row]) -> list[float]:
    """Each column as wide as its header (beside its filter button) or its widest value as
    shown, amounts in their currency's decimals."""
    return [fitted(_widest(column.kind, [(values[index], currency) for values, currency in rows]),
                   column.title, header_extra=FILTER_BUTTON)
            for index, column in enumerate(columns)]


def _widest(kind: str, cells: list[tuple[Any, str | None]]) -> int:
    """The widest value of a column as shown: a number measured once, at its largest (a large
    month has a million cells)."""
    present = [(value, currency) for value, currency in cells if value is not None]
    if not present:
        return 0
    if kind == "date":
        return DATE_WIDTH
    if kind == "text":
        return max(shown(value) for value, _ in present)
    if kind == "int":
        return max(shown(max(value for value, _ in present)), shown(min(v for v, _ in present)))
    largest: dict[str | None, Any] = {}
    for value, currency in present:
        largest[currency] = max(largest.get(currency, value), value, -value)
    sign = any(value < 0 for value, _ in present)
    return max(shown(value, _decimals(currency)) for currency, value in largest.items()) + sign


class _Sheet:
    """One write-only sheet holding one filterable table under a frozen header row, its
    columns sized to `rows` (all of them known before the first is written)."""

    def __init__(self, book: Workbook, title: str, columns: Sequence[Column],
                 rows: Sequence[Row]):
        self.ws = book.create_sheet(title)
        self.title = title
        self.columns = columns
        for index, width in enumerate(_widths(columns, rows)):
            self.ws.column_dimensions[_letter(index + 1)].width = width
        self.ws.freeze_panes = "A2"
        print_setup(self.ws)
        self.styles: dict[tuple[str, str], Any] = {}
        self.ws.append([self._cell(c.title, "text", None, bold=True) for c in columns])
        self.rows = 1

    def _cell(self, value: Any, kind: str, currency: str | None, bold: bool = False) -> Any:
        if value is None or value == "":
            return None
        if kind == "text":  # text from input stays text, whatever its first character
            if not bold:
                return text_value(self.ws, str(value))
            cell = text_cell(self.ws, str(value))
            cell.font = BOLD
            return cell
        if kind == "int":
            return value
        cell = WriteOnlyCell(self.ws, value)
        key = (kind, currency or "")
        style = self.styles.get(key)
        if style is None:
            cell.number_format = (money_format(currency or "") if kind == "money"
                                  else DATE_FORMAT)
            if kind == "date":
                cell.alignment = CENTRED
            self.styles[key] = cell._style
        else:
            cell._style = style  # shared: a style lookup per cell costs a tenth of the run
        return cell

    def append(self, values: Sequence[Any], currency: str | None = None) -> None:
        self.ws.append([self._cell(v, c.kind, currency)
                        for v, c in zip(values, self.columns, strict=True)])
        self.rows += 1

    def close(self) -> None:
        last = _letter(len(self.columns))
        name = "".join(ch for ch in self.title.title() if ch.isalnum())
        table = Table(displayName=name, ref=f"A1:{last}{max(self.rows, 2)}")
        table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
        table.tableColumns = [TableColumn(id=index, name=column.title)
                              for index, column in enumerate(self.columns, start=1)]
        with warnings.catch_warnings():  # openpyxl warns of the columns set just above
            warnings.simplefilter("ignore", UserWarning)
            self.ws.add_table(table)


def _letter(index: int) -> str:
    return str(get_column_letter(index))


def _signed(document: Invoice, amount: Decimal) -> Decimal:
    """An amount as the month's sheets add it up: a credit note's subtracts (SPEC §11)."""
    return -amount if document.is_credit_note else amount


def _amount_columns(vat: bool = True) -> list[Column]:
    """The columns of `_amount_values`; VAT and the amount payable where whole invoices are
    summed (`vat`)."""
    return [Column("Currency"), Column("Invoices", "int"), Column("Credit notes", "int"),
            Column("Lines", "int"),
            Column("Seats", "int"), *(Column(t, "money") for t in AMOUNT_COLUMNS),
            *((Column("VAT", "money"), Column("Payable", "money")) if vat else ())]


def _amount_values(amounts: Amounts, vat: bool = True) -> list[Any]:
    return [amounts.currency, amounts.invoices, amounts.credit_notes, amounts.lines,
            amounts.seats,
            *amounts.amounts,
            *((amounts.vat, amounts.payable)
              if vat else ())]


def _sheet(book: Workbook, title: str, columns: Sequence[Column], rows: Iterable[Row],
           after: Callable[[_Sheet], None] | None = None, *,
           progress: Progress | None = None) -> None:
    rows = list(rows)
    sheet = _Sheet(book, title, columns, rows)
    for values, currency in (rows if progress is None
                             else progress.iterate(rows, f"Writing report.xlsx: {title}")):
        sheet.append(values, currency)
    if after is not None:
        after(sheet)
    sheet.close()


def write_report_xlsx(report: MonthReport, target: Path, progress: Progress | None = None
                      ) -> None:
    """report.xlsx; `progress` shows the writing of its long sheets (a row per invoice, per
    invoice line) on a terminal."""
    book = Workbook(write_only=True)
    expected = report.renewals_expected()
    due_count: dict[str, int] = {}
    for due in report.renewals_due:
        due_count[due.currency] = due_count.get(due.currency, 0) + 1
    currencies = sorted((report.by_currency.keys() | expected.keys() | due_count.keys()) - {""})
    _sheet(book, "Summary", [Column("Month"), *_amount_columns(),
                             Column("Renewals due next month", "int"),
                             Column("Expected renewal net", "money")], (
        ([report.label, *_amount_values(report.by_currency.get(code, Amounts(code))),
          due_count.get(code, 0), expected.get(code, Decimal(0))], code)
        for code in currencies
    ))
    _sheet(book, "Invoices", [
        Column("Number"), Column("Kind"), Column("Invoice date", "date"),
        Column("Due date", "date"), Column("Partner"), Column("Partner name"),
        Column("Customer"), Column("Organization"), Column("PO"),
        Column("Lines", "int"), Column("Currency"), Column("Total", "money"),
        Column("VAT", "money"), Column("Payable", "money"),
    ], (
        ([i.number, i.kind, i.invoice_date, i.due_date, i.partner_id, i.bill_to.name,
          i.customer_id, i.customer_name, i.po_number, len(i.lines), i.currency,
          *(_signed(i, amount) for amount in (i.total, i.vat.amount if i.vat else Decimal(0),
                                              i.payable))], i.currency)
        for i in report.invoices
    ), progress=progress)
    _sheet(book, "Invoice lines", [
        Column("Number"), Column("Partner"), Column("Customer"),
        Column("Order id"), Column("Action"), Column("Subscription"),
        Column("Device type"), Column("Seats", "int"), Column("Term years", "int"),
        Column("Period start", "date"), Column("Period end", "date"),
        Column("Unit price per year", "money"), Column("Prorate days", "int"),
        Column("Term days", "int"), Column("Currency"),
        *(Column(t, "money") for t in AMOUNT_COLUMNS),
    ], (
        ([i.number, i.partner_id, i.customer_id, line.order_id, line.action,
          line.subscription_id, line.device_type, line.seats, line.term_years,
          line.period_start, line.period_end, line.unit_price, line.prorate_days,
          line.term_days, i.currency, *(_signed(i, a) for a in line.amounts)], i.currency)
        for i in report.invoices for line in i.lines
    ), progress=progress)
    by_partner = sorted(report.by_partner.items(), key=lambda item: (item[0][1], item[0][0]))
    _sheet(book, "By partner", [Column("Partner"), Column("Partner name"),
                                *_amount_columns()], (
        ([partner, report.partner_names.get(partner, ""), *_amount_values(a)], a.currency)
        for (partner, _), a in by_partner
    ), after=lambda sheet: _charts(sheet, [a.currency for _, a in by_partner]))
    _sheet(book, "By customer", [Column("Partner"), Column("Customer"),
                                 Column("Organization"), *_amount_columns()], (
        ([partner, customer, report.customer_names.get((partner, customer), ""),
          *_amount_values(a)], a.currency)
        for (partner, customer, _), a in report.by_customer.items()
    ))
    _sheet(book, "By device type", [Column("Device type"), *_amount_columns(vat=False)], (
        ([kind, *_amount_values(a, vat=False)], a.currency)
        for (kind, _), a in report.by_device_type.items()
    ))
    _revenue_sheet(book, report)
    seat_columns = [Column("Partner"), Column("Customer"), Column("Organization"),
                    Column("Device type"), Column("Seats in force", "int"),
                    Column("Devices listed", "int"), Column("Devices without a seat", "int")]
    for title, rows in (("Seats in force", report.seats), ("Coverage gaps", report.gaps)):
        _sheet(book, title, seat_columns, (
            ([r.partner_id, r.customer_id, r.organization, r.device_type, r.seats, r.devices,
              max(r.gap, 0)], None) for r in rows
        ))
    _sheet(book, "Renewals due", [
        Column("Partner"), Column("Partner name"), Column("Customer"),
        Column("Organization"), Column("Subscription"), Column("PO"),
        Column("Term years", "int"), Column("Renewal starts", "date"),
        Column("Seats"), Column("Currency"), Column("Expected net amount", "money"),
        Column("Note"),
    ], (
        ([d.partner_id, d.partner_name, d.customer_id, d.organization, d.subscription,
          d.po_number, d.term_years, d.starts, d.seats, d.currency, d.expected, d.problem],
         d.currency)
        for d in report.renewals_due
    ))
    _sheet(book, "Notice deadlines", [
        Column("Partner"), Column("Partner name"), Column("Customer"),
        Column("Organization"), Column("Subscription"),
        Column("Term's last day", "date"), Column("Last day for notice", "date"),
        Column("Seats that would renew"), Column("Reductions given"),
    ], (
        ([d.partner_id, d.partner_name, d.customer_id, d.organization, d.subscription,
          d.last_day, d.notice_by, d.seats, d.pending], None)
        for d in report.notice_deadlines
    ))
    _sheet(book, "Numbering", [
        Column("Series"), Column("Year", "int"), Column("First", "int"),
        Column("Last", "int"), Column("Count", "int"), Column("Counter", "int"),
        Column("Check"),
    ], (
        ([c.series, c.year, c.first, c.last, c.count, c.counter, c.finding], None)
        for c in report.numbering
    ))
    book.save(target)


def _revenue_sheet(book: Workbook, report: MonthReport) -> None:
    """Revenue (SPEC §12): per currency, each partner's row and then all partners' (never a sum
    across currencies); the deferred by the year it will be earned in, a column per year."""
    totals = report.revenue_totals()
    years = sorted({year for total in totals.values() for year in total.deferred_by_year})

    def values(row: RevenueRow, partner: str, name: str) -> Row:
        return ([partner, name, row.currency, row.invoiced_net, row.credited_net, row.vat,
                 row.payable, row.recognised, row.deferred,
                 *(row.deferred_by_year.get(year, Decimal(0)) for year in years)], row.currency)

    rows = []
    for currency, total in totals.items():
        rows += [values(row, row.partner_id, report.partner_names.get(row.partner_id, ""))
                 for row in report.revenue if row.currency == currency]
        rows.append(values(total, "Total", f"All partners, {currency}"))
    _sheet(book, "Revenue", [
        Column("Partner"), Column("Partner name"), Column("Currency"),
        *(Column(title, "money") for title in ("Invoiced net", "Credited net", "VAT",
                                               "Payable", "Recognised",
                                               "Deferred at month end")),
        *(Column(f"Deferred, earned in {year}", "money") for year in years),
    ], rows)


def _charts(sheet: _Sheet, currencies: list[str]) -> None:
    """A bar chart of net amount by partner beside the table, one per currency."""
    # by its title: the columns after it (VAT, Payable) are not the net amount
    net_column = 1 + [column.title for column in sheet.columns].index("Net amount")
    anchor_row = 2
    start = 2  # first data row
    for currency in dict.fromkeys(currencies):
        count = currencies.count(currency)
        chart = BarChart()
        chart.type = "bar"
        chart.style = 10
        chart.title = f"Net amount by partner, {currency}"
        chart.legend = None
        chart.y_axis.numFmt = "#,##0"
        chart.x_axis.delete = False  # openpyxl 3.1 hides both axes unless told otherwise
        chart.y_axis.delete = False
        chart.y_axis.title = currency
        chart.height = max(4.0, 1.2 + 0.8 * count)
        chart.width = 16
        data = Reference(sheet.ws, min_col=net_column, min_row=start, max_row=start + count - 1)
        labels = Reference(sheet.ws, min_col=1, min_row=start, max_row=start + count - 1)
        chart.add_data(data, titles_from_data=False)
        chart.set_categories(labels)
        sheet.ws.add_chart(chart, f"{_letter(len(sheet.columns) + 2)}{anchor_row}")
        anchor_row += int(chart.height * 2) + 2
        start += count
