"""Revenue recognition at month end (SPEC §12), pure.

A document line's net amount `A` is earned evenly over its `D` days of service: through the end
of day X it has earned `round(A * days served through X / D)`, half-up to the currency's minor
unit (0 before its first day, `A` from its last day on). Rounding the cumulative amount, never a
month's, makes a line's months add up to `A` exactly. A line is recognised through a month only
once its document is dated by the month's end: a document dated after its service began catches
up in its own month. A credit note's line counts the same way over its own period (from the
first day it credits), negatively.

Deferred revenue at a month's end is what was invoiced through it, less what was credited
through it, less everything recognised through it; split by the calendar year in which it will
be earned. Each figure is a line's alone: a month needs only the lines not yet fully earned at
the month before's end or dated in the month, never a schedule day by day."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from seatbatch.core.model import Invoice
from seatbatch.core.money import round_money
from seatbatch.core.month_end import RevenueLine, RevenueRow

ZERO = Decimal(0)


def earned(line: RevenueLine, day: date) -> Decimal:
    """What the line has earned through the end of `day`, as a positive amount."""
    if day < line.first:
        return ZERO
    if day >= line.last:
        return line.net
    served = (day - line.first).days + 1
    days = (line.last - line.first).days + 1
    return round_money(line.net * served / days, line.currency)


def _signed(line: RevenueLine, amount: Decimal) -> Decimal:
    return -amount if line.credit else amount


def recognised(line: RevenueLine, month_end: date) -> Decimal:
    """Recognised through the month that ends on `month_end`: what the line has earned by
    then if its document is dated by then, else nothing; a credit note's negative."""
    if line.dated > month_end:
        return ZERO
    return _signed(line, earned(line, month_end))


def month_revenue(line: RevenueLine, first: date, last: date) -> Decimal:
    """The line's revenue of the month from `first` to `last`: recognised through it less
    recognised through the month before."""
    return recognised(line, last) - recognised(line, first - timedelta(days=1))


def deferred(line: RevenueLine, month_end: date) -> Decimal:
    """What of the line is deferred at `month_end`: its net amount once its document is dated
    by then, less what is recognised through it (a credit note's negative)."""
    if line.dated > month_end:
        return ZERO
    return _signed(line, line.net - earned(line, month_end))


def deferred_by_year(line: RevenueLine, month_end: date) -> dict[int, Decimal]:
    """The line's deferred at `month_end` by the calendar year it will be earned in: in each
    year, what it earns through that year's last day less what it had earned before (through
    `month_end` for the month's own year). Years with nothing are left out; the amounts add
    up to `deferred`."""
    if line.dated > month_end or line.last <= month_end:
        return {}
    split = {}
    before = earned(line, month_end)
    for year in range(month_end.year, line.last.year + 1):
        upto = earned(line, date(year, 12, 31))
        if upto != before:
            split[year] = _signed(line, upto - before)
        before = upto
    return split


@dataclass(slots=True)
class _Tally:
    """One partner's figures in one currency, as they add up."""

    invoiced_net: Decimal = ZERO
    credited_net: Decimal = ZERO
    vat: Decimal = ZERO
    recognised: Decimal = ZERO
    deferred: Decimal = ZERO
    by_year: dict[int, Decimal] = field(default_factory=dict)


def revenue_rows(documents: Iterable[Invoice], lines: Iterable[RevenueLine], first: date,
                 last: date) -> list[RevenueRow]:
    """The month's revenue per partner and currency (SPEC §12), one row for each with any
    figure not zero, by currency then partner: `documents` are those dated in the month (for
    invoiced, credited and VAT), `lines` at least every document line with revenue recognised
    in the month or deferred at its end (any other line adds nothing)."""
    tallies: dict[tuple[str, str], _Tally] = {}

    def tally(partner_id: str, currency: str) -> _Tally:
        found = tallies.get((currency, partner_id))
        if found is None:
            found = tallies[currency, partner_id] = _Tally()
        return found

    for document in documents:
        figures = tally(document.partner_id, document.currency)
        vat = document.vat.amount if document.vat else ZERO
        if document.is_credit_note:
            figures.credited_net += document.total
            figures.vat -= vat
        else:
            figures.invoiced_net += document.total
            figures.vat += vat
    for line in lines:
        figures = tally(line.partner_id, line.currency)
        figures.recognised += month_revenue(line, first, last)
        for year, amount in deferred_by_year(line, last).items():
            figures.deferred += amount
            figures.by_year[year] = figures.by_year.get(year, ZERO) + amount
    rows = []
    for (currency, partner_id), figures in sorted(tallies.items()):
        by_year = {year: amount for year, amount in sorted(figures.by_year.items()) if amount}
        row = RevenueRow(partner_id, currency, figures.invoiced_net, figures.credited_net,
                         figures.vat, figures.recognised, figures.deferred, by_year)
        if by_year or any((row.invoiced_net, row.credited_net, row.vat, row.recognised,
                           row.deferred)):
            rows.append(row)
    return rows
