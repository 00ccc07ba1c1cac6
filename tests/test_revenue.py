"""Revenue recognition at month end (SPEC §12), pure: examples finance can check by hand, and
properties over any line and any month."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seatbatch.billing.revenue import (
    deferred,
    deferred_by_year,
    earned,
    month_revenue,
    recognised,
    revenue_rows,
)
from seatbatch.core.model import Credited, Invoice, Party, Vat
from seatbatch.core.money import minor_unit
from seatbatch.core.month_end import MonthReport, RevenueLine, RevenueRow
from seatbatch.core.terms import month_bounds, next_month


def line(net: str, first: date, last: date, *, dated: date | None = None, credit: bool = False,
         currency: str = "EUR", partner: str = "P-ACME") -> RevenueLine:
    return RevenueLine(partner, currency, credit, dated or first, Decimal(net), first, last)


def months(start: date, end: date) -> Iterator[tuple[date, date]]:
    """The first and last day of every month from `start`'s to `end`'s."""
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        yield month_bounds(year, month)
        year, month = next_month(year, month)


def test_a_year_of_service_earned_day_by_day_half_up_on_the_cumulative_amount() -> None:
    one = line("100.00", date(2026, 11, 24), date(2027, 11, 23))  # 365 days
    assert earned(one, date(2026, 11, 23)) == 0
    assert earned(one, date(2026, 11, 30)) == Decimal("1.92")  # 7 days: 1.9178...
    assert earned(one, date(2026, 12, 31)) == Decimal("10.41")  # 38 days: 10.4109...
    assert earned(one, date(2027, 11, 22)) == Decimal("99.73")
    assert earned(one, date(2027, 11, 23)) == earned(one, date(2030, 1, 1)) == Decimal("100.00")
    assert month_revenue(one, date(2026, 12, 1), date(2026, 12, 31)) == Decimal("8.49")
    assert deferred(one, date(2026, 12, 31)) == Decimal("89.59")
    assert deferred_by_year(one, date(2026, 12, 31)) == {2027: Decimal("89.59")}
    assert deferred_by_year(one, date(2026, 11, 30)) == {2026: Decimal("8.49"),
                                                         2027: Decimal("89.59")}


def test_yen_has_no_decimals_and_half_rounds_up() -> None:
    two_days = line("3", date(2026, 11, 29), date(2026, 11, 30), currency="JPY")
    assert earned(two_days, date(2026, 11, 29)) == Decimal("2")  # 1.5 -> 2
    assert month_revenue(two_days, date(2026, 11, 1), date(2026, 11, 30)) == 3


def test_a_document_dated_after_its_service_began_catches_up_in_its_month() -> None:
    late = line("310.00", date(2026, 10, 1), date(2026, 12, 31), dated=date(2026, 11, 15))
    assert recognised(late, date(2026, 10, 31)) == 0  # not yet invoiced
    assert month_revenue(late, date(2026, 10, 1), date(2026, 10, 31)) == 0
    # October and November at once: 61 of 92 days, 205.543...
    assert month_revenue(late, date(2026, 11, 1), date(2026, 11, 30)) == Decimal("205.54")
    assert deferred(late, date(2026, 10, 31)) == 0 and deferred_by_year(
        late, date(2026, 10, 31)) == {}


def test_a_credit_note_counts_negatively_over_its_own_period_from_its_date() -> None:
    # 2 of a line's seats credited from 2027-03-01, the credit note dated 2027-04-10
    credit = line("40.00", date(2027, 3, 1), date(2027, 11, 23), dated=date(2027, 4, 10),
                  credit=True)
    assert month_revenue(credit, date(2027, 3, 1), date(2027, 3, 31)) == 0
    # April recognises what the credit took of March and April at once
    assert month_revenue(credit, date(2027, 4, 1), date(2027, 4, 30)) == -earned(
        credit, date(2027, 4, 30))
    assert deferred(credit, date(2027, 4, 30)) == -(Decimal("40.00") - earned(
        credit, date(2027, 4, 30)))


def test_a_service_that_starts_after_the_month_is_deferred_whole() -> None:
    renewal = line("500.00", date(2027, 1, 10), date(2028, 1, 9), dated=date(2026, 12, 1))
    assert month_revenue(renewal, date(2026, 12, 1), date(2026, 12, 31)) == 0
    assert deferred(renewal, date(2026, 12, 31)) == Decimal("500.00")
    split = deferred_by_year(renewal, date(2026, 12, 31))
    assert set(split) == {2027, 2028} and sum(split.values()) == Decimal("500.00")


CURRENCIES = ("EUR", "JPY", "NOK", "KWD")  # 2, 0, 2 and 3 decimals


@st.composite
def lines(draw: st.DrawFn) -> RevenueLine:
    currency = draw(st.sampled_from(CURRENCIES))
    minor = draw(st.integers(min_value=0, max_value=10**10))
    first = draw(st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)))
    days = draw(st.integers(min_value=1, max_value=5 * 366 + 1))
    dated = first + timedelta(days=draw(st.integers(min_value=-400, max_value=days + 400)))
    return RevenueLine("P", currency, draw(st.booleans()), dated,
                       Decimal(minor).scaleb(-minor_unit(currency)), first,
                       first + timedelta(days=days - 1))


@given(lines())
def test_over_a_lines_life_its_months_add_up_to_its_net_and_never_overshoot(
        one: RevenueLine) -> None:
    sign = -1 if one.credit else 1
    start = min(one.first, one.dated) - timedelta(days=40)
    end = max(one.last, one.dated) + timedelta(days=40)
    total = Decimal(0)
    for first, last in months(start, end):
        revenue = month_revenue(one, first, last)
        total += revenue
        assert total == recognised(one, last)
        invoiced = one.net if one.dated <= last else 0
        assert 0 <= sign * total <= invoiced  # recognised never exceeds what was invoiced
        if one.credit:
            assert revenue <= 0  # a credit note's line never makes revenue
        else:
            assert revenue >= 0
        left = deferred(one, last)
        assert sign * left >= 0  # never negative for its line
        assert left == sign * invoiced - total
        split = deferred_by_year(one, last)
        assert sum(split.values(), Decimal(0)) == left
        assert all(last.year <= year <= one.last.year for year in split)
        assert all(sign * amount > 0 for amount in split.values())
    assert total == sign * one.net  # exactly, to the minor unit
    assert deferred(one, end) == 0


@given(lines(), st.lists(st.dates(min_value=date(2023, 1, 1), max_value=date(2038, 12, 31)),
                         min_size=1, max_size=12, unique=True))
def test_any_sequence_of_month_ends_telescopes_to_the_net(one: RevenueLine,
                                                           days: list[date]) -> None:
    """Month ends taken in any order and with any gaps: what each adds to the one before is
    never against the line's sign, and the last, after the line's life, is the whole net."""
    sign = -1 if one.credit else 1
    ends = sorted(month_bounds(day.year, day.month)[1] for day in set(days))
    ends.append(month_bounds(*next_month(max(one.last, one.dated, ends[-1]).year,
                                         max(one.last, one.dated, ends[-1]).month))[1])
    previous = Decimal(0)
    for end in ends:
        now = recognised(one, end)
        assert sign * (now - previous) >= 0
        previous = now
    assert previous == sign * one.net


def document(number: str, dated: date, total: str, *, vat: str | None = None,
             credit: bool = False, partner: str = "P-ACME", currency: str = "EUR") -> Invoice:
    return Invoice(
        number=number, invoice_date=dated, due_date=dated, issuer=Party("Issuer"),
        partner_id=partner, bill_to=Party(partner), customer_id="C-1", customer_name="Org",
        po_number=None, currency=currency, partner_discount_rate=Decimal(0), lines=(),
        total=Decimal(total), kind="credit_note" if credit else "order",
        vat=None if vat is None else Vat("domestic", "S", Decimal("0.25"), Decimal(total),
                                          Decimal(vat), ""),
        credits=Credited("INV-2026-000001", dated, "why") if credit else None)


def test_the_month_per_partner_and_currency() -> None:
    november = month_bounds(2026, 11)
    invoice = line("365.00", date(2026, 11, 1), date(2027, 10, 31))
    credit = line("100.00", date(2026, 11, 21), date(2027, 10, 31), dated=date(2026, 11, 21),
                  credit=True)
    yen = line("36500", date(2026, 11, 1), date(2027, 10, 31), partner="P-TOKYO",
               currency="JPY")
    earlier = line("12.00", date(2025, 1, 1), date(2025, 12, 31), partner="P-OLD")  # all earned
    rows = revenue_rows(
        [document("INV-1", date(2026, 11, 1), "365.00", vat="91.25"),
         document("CN-1", date(2026, 11, 21), "100.00", vat="25.00", credit=True),
         document("INV-2", date(2026, 11, 1), "36500", partner="P-TOKYO", currency="JPY")],
        [invoice, credit, yen, earlier], *november)
    # the invoice earns 1.00 a day; the credit note 100.00 over its 345 days from 21 November:
    # 2.90 through November (10 days: 2.898...), 11.88 through December (41 days: 11.884...)
    assert rows == [
        RevenueRow("P-ACME", "EUR", Decimal("365.00"), Decimal("100.00"), Decimal("66.25"),
                   Decimal("30.00") - Decimal("2.90"),
                   Decimal("335.00") - (Decimal("100.00") - Decimal("2.90")),
                   {2026: Decimal("31.00") - (Decimal("11.88") - Decimal("2.90")),
                    2027: Decimal("304.00") - (Decimal("100.00") - Decimal("11.88"))}),
        RevenueRow("P-TOKYO", "JPY", Decimal("36500"), Decimal(0), Decimal(0), Decimal("3000"),
                   Decimal("33500"), {2026: Decimal("3100"), 2027: Decimal("30400")}),
    ]  # P-OLD: every figure nought, no row


@pytest.mark.parametrize("credit", [False, True])
def test_a_zero_amount_line_adds_nothing(credit: bool) -> None:
    nothing = line("0.00", date(2026, 11, 1), date(2027, 10, 31), credit=credit)
    assert revenue_rows([], [nothing], *month_bounds(2026, 11)) == []


def test_totals_add_partners_up_per_currency_never_across_currencies() -> None:
    def row(partner: str, currency: str, *figures: str, years: dict[int, str]) -> RevenueRow:
        a, b, c, d, e = map(Decimal, figures)
        return RevenueRow(partner, currency, a, b, c, d, e,
                          {year: Decimal(x) for year, x in years.items()})

    report = MonthReport(2026, 11, date(2026, 11, 30), [], {}, {}, {}, {}, {}, {}, [], [], [],
                         [], revenue=[
        row("P-A", "EUR", "10.00", "1.00", "2.50", "3.00", "6.00", years={2026: "1.00",
                                                                           2027: "5.00"}),
        row("P-B", "EUR", "20.00", "0.00", "5.00", "4.00", "16.00", years={2028: "16.00"}),
        row("P-C", "JPY", "300", "0", "0", "30", "270", years={2027: "270"})])
    assert report.revenue_totals() == {
        "EUR": row("", "EUR", "30.00", "1.00", "7.50", "7.00", "22.00",
                   years={2026: "1.00", 2027: "5.00", 2028: "16.00"}),
        "JPY": row("", "JPY", "300", "0", "0", "30", "270", years={2027: "270"})}
