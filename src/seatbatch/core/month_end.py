"""Finance's month end as records: what the ledger holds of a month (`LedgerMonth`, read in
one snapshot) and the report built from it (`MonthReport`), for the report's writers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from seatbatch.core.model import Amounted, Invoice, InvoiceLine, LedgerView, LineAmounts, Vat
from seatbatch.core.money import format_amount
from seatbatch.core.terms import month_label

ZERO = Decimal(0)


@dataclass(frozen=True)
class SeatCount:
    partner_id: str
    customer_id: str
    device_type: str
    count: int


@dataclass(frozen=True)
class SeriesCount:
    """What the invoices table holds of one series and year, and what its counter says."""

    series: str
    year: int
    first: int
    last: int
    count: int
    counter: int | None

    @property
    def gapless(self) -> bool:
        return (self.count == 0 or (self.first == 1 and self.last == self.count)) and (
            self.counter == self.last)

    @property
    def finding(self) -> str:
        if self.gapless:
            return "gapless"
        if self.count and (self.first != 1 or self.last != self.count):
            return f"{self.last - self.count} number(s) missing between 1 and {self.last}"
        return f"the counter says {self.counter}, the last invoice is {self.last}"


class RevenueLine(NamedTuple):
    """A document line as month end recognises its revenue (SPEC §12): its net amount earned
    evenly over its service period. A credit note's line counts negatively over its own
    period (from the first day it credits)."""

    partner_id: str
    currency: str
    credit: bool  # a credit note's line
    dated: date  # its document's date
    net: Decimal  # the line's net amount, as printed (positive)
    first: date  # first day of service
    last: date  # last day of service, inclusive


@dataclass(frozen=True)
class LedgerMonth:
    invoices: list[Invoice]  # the month's invoices as issued, in number order
    organizations: dict[tuple[str, str], str]  # (partner, customer) -> organization
    seats: list[SeatCount]  # seats in force at month end
    devices: list[SeatCount]  # devices listed
    numbering: list[SeriesCount]
    views: dict[str, LedgerView]  # per partner with subscriptions: for the renewals due
    # the document lines with revenue to recognise in the month or deferred at its end: those
    # dated through its last day whose service ends in it or later, or dated in it
    revenue_lines: list[RevenueLine] = field(default_factory=list)


@dataclass(slots=True)  # slots: a report holds one per customer and currency
class Amounts(Amounted):
    """Sums over invoice lines, in one currency."""

    currency: str
    invoice_numbers: set[str] = field(default_factory=set)
    credit_numbers: set[str] = field(default_factory=set)  # credit notes (SPEC §11)
    lines: int = 0
    seats: int = 0
    amounts: LineAmounts = field(default_factory=LineAmounts.zero)
    # the invoices' VAT (SPEC §10), where whole invoices are summed (not by device type)
    vat_amount: Decimal | None = None

    @property
    def invoices(self) -> int:
        return len(self.invoice_numbers)

    @property
    def vat(self) -> Decimal:
        return Decimal(0) if self.vat_amount is None else self.vat_amount

    @property
    def payable(self) -> Decimal:
        return self.net_amount + self.vat

    @property
    def credit_notes(self) -> int:
        return len(self.credit_numbers)

    def add(self, number: str, line: InvoiceLine, *, credit: bool = False) -> None:
        """An invoice's line; a credit note's (SPEC §11) subtracts its amounts, and counts
        neither as an invoice's line nor as seats invoiced."""
        if credit:
            self.credit_numbers.add(number)
            self.amounts = self.amounts.plus(LineAmounts(*(-a for a in line.amounts)))
            return
        self.invoice_numbers.add(number)
        self.lines += 1
        self.seats += line.seats
        self.amounts = self.amounts.plus(line.amounts)

    def add_vat(self, vat: Vat | None, *, credit: bool = False) -> None:
        """An invoice's VAT, once per invoice (none: issued without [tax]); a credit note's
        subtracts."""
        amount = vat.amount if vat else Decimal(0)
        self.vat_amount = (self.vat_amount or Decimal(0)) + (-amount if credit else amount)

    def as_json(self) -> dict[str, Any]:
        shown = {
            "invoices": self.invoices, "lines": self.lines, "seats": self.seats,
            **self.amounts.shown(self.currency),
        }
        if self.credit_numbers:
            shown["credit_notes"] = self.credit_notes
        if self.vat_amount is not None:
            shown["vat_amount"] = format_amount(self.vat_amount, self.currency)
            shown["payable"] = format_amount(self.payable, self.currency)
        return shown


@dataclass(frozen=True)
class SeatsRow:
    partner_id: str
    customer_id: str
    organization: str
    device_type: str
    seats: int
    devices: int

    @property
    def gap(self) -> int:
        """Devices without a seat (negative: seats to spare)."""
        return self.devices - self.seats


@dataclass(frozen=True)
class RenewalDue:
    partner_id: str
    partner_name: str
    customer_id: str
    organization: str
    subscription: str
    po_number: str | None
    term_years: int
    starts: date
    seats: str  # "Space Pro: 3, Space Plus: 1"
    currency: str
    expected: Decimal | None  # None: no price in effect for it (see `problem`)
    problem: str = ""


@dataclass(frozen=True)
class NoticeDeadline:
    """A subscription whose last day to give notice of a cancel or reduce (SPEC §11) falls in
    the month after the report's."""

    partner_id: str
    partner_name: str
    customer_id: str
    organization: str
    subscription: str
    last_day: date  # of its current term
    notice_by: date
    seats: str  # what would renew: "Space Pro: 3, Space Plus: 1"
    pending: str  # reductions already given: "Space Pro -1"


@dataclass(frozen=True)
class RevenueRow:
    """A partner's month end in one currency (SPEC §12)."""

    partner_id: str
    currency: str
    invoiced_net: Decimal   # invoices dated in the month (positive)
    credited_net: Decimal   # credit notes dated in the month (positive)
    vat: Decimal            # invoices' VAT less credit notes' VAT, dated in the month
    recognised: Decimal     # revenue recognised in the month
    deferred: Decimal       # at month end
    deferred_by_year: dict[int, Decimal]  # the deferred, by the calendar year it is earned in

    @property
    def payable(self) -> Decimal:
        """What the month's documents ask the partner to pay, credit notes less (SPEC §12)."""
        return self.invoiced_net - self.credited_net + self.vat


@dataclass
class MonthReport:
    year: int
    month: int
    as_of: date
    invoices: list[Invoice]  # as issued, in number order; credit notes too (SPEC §11)
    by_currency: dict[str, Amounts]
    by_partner: dict[tuple[str, str], Amounts]  # (partner, currency)
    by_customer: dict[tuple[str, str, str], Amounts]  # (partner, customer, currency)
    by_device_type: dict[tuple[str, str], Amounts]  # (device type, currency)
    partner_names: dict[str, str]
    customer_names: dict[tuple[str, str], str]
    seats: list[SeatsRow]
    renewals_due: list[RenewalDue]
    numbering: list[SeriesCount]
    warnings: list[str]
    notice_deadlines: list[NoticeDeadline] = field(default_factory=list)  # next month's
    # per partner and currency, by currency then partner (SPEC §12)
    revenue: list[RevenueRow] = field(default_factory=list)

    @property
    def label(self) -> str:
        return month_label(self.year, self.month)

    @property
    def invoice_count(self) -> int:
        """The month's invoices, credit notes aside."""
        return sum(1 for i in self.invoices if not i.is_credit_note)

    @property
    def credit_note_count(self) -> int:
        return len(self.invoices) - self.invoice_count

    @property
    def gaps(self) -> list[SeatsRow]:
        return [row for row in self.seats if row.gap > 0]

    @property
    def lines(self) -> int:
        return sum(a.lines for a in self.by_currency.values())

    def revenue_totals(self) -> dict[str, RevenueRow]:
        """Per currency, the sums of its partners' revenue rows (partner_id empty), with every
        year any of them defers to: never a sum across currencies."""
        totals: dict[str, RevenueRow] = {}
        for row in self.revenue:
            total = totals.get(row.currency) or RevenueRow("", row.currency, ZERO, ZERO, ZERO,
                                                           ZERO, ZERO, {})
            years = dict(total.deferred_by_year)
            for year, amount in row.deferred_by_year.items():
                years[year] = years.get(year, ZERO) + amount
            totals[row.currency] = RevenueRow(
                "", row.currency, total.invoiced_net + row.invoiced_net,
                total.credited_net + row.credited_net, total.vat + row.vat,
                total.recognised + row.recognised, total.deferred + row.deferred,
                dict(sorted(years.items())))
        return totals

    def renewals_expected(self) -> dict[str, Decimal]:
        expected: dict[str, Decimal] = {}
        for due in self.renewals_due:
            if due.expected is not None:
                expected[due.currency] = expected.get(due.currency, ZERO) + due.expected
        return expected
