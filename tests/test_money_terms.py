"""Unit and property tests of the money and term arithmetic."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import PART1_CONFIG
from seatbatch.billing.invoicing import group_invoices
from seatbatch.billing.pricing import line_amounts, price_line, price_lines
from seatbatch.core.config import Config, load_config
from seatbatch.core.model import LineAmounts, LineRequest, OrderLine, PricedLine
from seatbatch.core.money import D, MoneyError, minor_unit, round_money
from seatbatch.core.terms import add_years, term_of


def test_d_refuses_floats_and_garbage() -> None:
    assert D("150.00") == Decimal("150.00")
    assert D(3) == Decimal(3)
    for bad in (0.1, True, "abc", "NaN", "Infinity"):
        with pytest.raises(MoneyError):
            D(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(("currency", "places"), [("EUR", 2), ("USD", 2), ("GBP", 2),
                                                   ("NOK", 2), ("SEK", 2), ("JPY", 0)])
def test_minor_units_come_from_iso_4217(currency: str, places: int) -> None:
    assert minor_unit(currency) == places


def test_round_half_up() -> None:
    assert round_money(Decimal("0.005"), "EUR") == Decimal("0.01")
    assert round_money(Decimal("0.0049"), "EUR") == Decimal("0.00")
    assert round_money(Decimal("2.5"), "JPY") == Decimal("3")
    assert round_money(Decimal("-0.005"), "EUR") == Decimal("-0.01")


def test_add_years_29_february() -> None:
    assert add_years(date(2028, 2, 29), 1) == date(2029, 2, 28)
    assert add_years(date(2028, 2, 29), 4) == date(2032, 2, 29)
    assert add_years(date(2026, 11, 24), 3) == date(2029, 11, 24)


def test_term_days_count_leap_days() -> None:
    term = term_of(date(2026, 11, 24), 3)
    assert term.days == 1096  # 2028-02-29 is in it
    assert term.last_day == date(2029, 11, 23)
    assert term.days_from(date(2029, 11, 23)) == 1
    assert term.contains(date(2026, 11, 24)) and not term.contains(term.end)


def test_spec_worked_example() -> None:
    """SPEC §4: 1 Space Pro, 3 years, 150.00, partner discount 20% -> 450 / 45 / 81 / 324."""
    amounts = line_amounts(1, D("150.00"), 3, prorate_days=1096, term_days=1096,
                           term_rate=D("0.10"), partner_rate=D("0.20"), currency="EUR")
    assert amounts == (D("450.00"), D("45.00"), D("81.00"), D("324.00"))


def test_proration_seed_story() -> None:
    """4 Space Pro added on 2026-11-24 to a 3-year term from 2026-03-02: 829 of 1096 days."""
    term = term_of(date(2026, 3, 2), 3)
    prorate = term.days_from(date(2026, 11, 24))
    assert (prorate, term.days) == (829, 1096)
    amounts = line_amounts(4, D("150.00"), 3, prorate_days=prorate, term_days=term.days,
                           term_rate=D("0.10"), partner_rate=D("0.20"), currency="EUR")
    assert amounts == (D("1361.50"), D("136.15"), D("245.07"), D("980.28"))


rates = st.decimals(min_value=0, max_value=Decimal("0.99"), places=3)
prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100000"), places=2)


@given(
    seats=st.integers(1, 100_000),
    price=prices,
    years=st.sampled_from([1, 3, 5]),
    start=st.dates(date(2020, 1, 1), date(2035, 12, 31)),
    offset=st.integers(0, 5 * 366),
    term_rate=rates,
    partner_rate=rates,
    currency=st.sampled_from(["EUR", "JPY", "NOK"]),
)
def test_line_amounts_add_up(*, seats: int, price: Decimal, years: int, start: date, offset: int,
                             term_rate: Decimal, partner_rate: Decimal, currency: str) -> None:
    term = term_of(start, years)
    effective = min(start + timedelta(days=offset), term.last_day)
    prorate = term.days_from(effective)
    list_amount, term_discount, partner_discount, net = line_amounts(
        seats, price, years, prorate_days=prorate, term_days=term.days, term_rate=term_rate,
        partner_rate=partner_rate, currency=currency,
    )
    places = minor_unit(currency)
    for amount in (list_amount, term_discount, partner_discount, net):
        assert isinstance(amount, Decimal)
        assert -amount.as_tuple().exponent == places  # type: ignore[operator]
        assert amount >= 0
    assert net == list_amount - term_discount - partner_discount
    assert term_discount <= list_amount and partner_discount <= list_amount - term_discount
    exact = Decimal(seats) * price * years * prorate / term.days
    assert abs(list_amount - exact) <= Decimal(1).scaleb(-places) / 2


def _priced(row: int, net: Decimal, customer: str, po: str | None) -> PricedLine:
    line = OrderLine(row, f"L{row}", customer, "new", "S", "Space Pro", 1, 3, date(2026, 1, 1),
                     po, False, "f")
    term = term_of(date(2026, 1, 1), 3)
    request = LineRequest(line, None, (customer, "S"), 3, term, term.start, po, False)
    return PricedLine(request, D("1"), 1, 1, LineAmounts(net, D(0), D(0), net))


@given(st.lists(st.tuples(st.sampled_from(["C1", "C2", "C3"]),
                          st.sampled_from([None, "PO-1", "PO-2"]),
                          st.decimals(min_value=0, max_value=10**9, places=2)),
                min_size=1, max_size=40))
def test_invoice_total_is_the_sum_of_its_lines(specs: list[tuple[str, str | None, Decimal]],
                                               ) -> None:
    lines = [_priced(row, net, c, po) for row, (c, po, net) in enumerate(specs, start=2)]
    drafts = group_invoices(lines)
    assert sum(len(d.lines) for d in drafts) == len(lines)
    for draft in drafts:
        assert draft.total == sum((line.net_amount for line in draft.lines), Decimal(0))
        assert {(line.order.customer_id, line.request.po_number) for line in draft.lines} == {
            (draft.customer_id, draft.po_number)
        }
    assert sum(d.total for d in drafts) == sum(n for _, _, n in specs)


def test_an_invoice_document_reads_back_whole() -> None:
    from seatbatch.core.documents import invoice_document, invoice_from_document
    from seatbatch.core.model import Invoice, InvoiceLine, LineAmounts, Party

    line = InvoiceLine("L1", "add", "SUB-000001", "Space Pro", 4, 3, date(2026, 11, 24),
                       date(2029, 3, 1), D("150.00"), 829, 1096,
                       LineAmounts(D("1361.50"), D("136.15"), D("245.07"), D("980.28")))
    invoice = Invoice("INV-2026-000003", date(2026, 11, 24), date(2026, 12, 24),
                      Party("Issuer", ("Street 1",), "NO1"), "P-ACME", Party("Acme", ()),
                      "C-001", "Harbour", "PO-1", "EUR", D("0.20"), (line,), D("980.28"))
    assert invoice_from_document(invoice_document(invoice)) == invoice


# A second EUR list from 2027 prices Space Pro as the first does, written with fewer decimals:
# equal prices, which price_lines may price once.
LATER_PRICES = """
[[price_lists]]
currency = "EUR"
valid_from = "2027-01-01"
[price_lists.seat_price_per_year]
"Space Pro" = "150.0"
"Space Plus" = "123.45"
"Space CO2 Mini" = "60.00"
"""


@pytest.fixture(scope="module")
def two_lists(tmp_path_factory: pytest.TempPathFactory) -> Config:
    path = tmp_path_factory.mktemp("pricing") / "seatbatch.toml"
    path.write_text(PART1_CONFIG + LATER_PRICES, encoding="utf-8")
    return load_config(path)


@given(specs=st.lists(st.tuples(st.sampled_from(["Space Pro", "Space Plus", "Space CO2 Mini"]),
                                st.integers(1, 4), st.sampled_from([1, 3, 5]),
                                st.sampled_from([date(2026, 1, 1), date(2026, 3, 2),
                                                 date(2026, 12, 31), date(2027, 2, 28)]),
                                st.sampled_from([0, 1, 59, 400])),
                      min_size=1, max_size=30),
       partner_id=st.sampled_from(["P-ACME", "P-OTHER", "P-TOKYO"]))
def test_price_lines_prices_each_line_as_it_would_alone(
        two_lists: Config, specs: list[tuple[str, int, int, date, int]], partner_id: str) -> None:
    """price_lines prices equal periods and equal amounts once: each line priced exactly as
    price_line prices it alone, its amounts shown alike (a few days, so that lines repeat
    periods and amounts)."""
    partner = two_lists.partners[partner_id]
    requests = []
    for row, (device_type, seats, years, start, offset) in enumerate(specs, start=2):
        term = term_of(start, years)
        effective = min(start + timedelta(days=offset), term.last_day)
        line = OrderLine(row, f"L{row}", "C-001", "add", "SUB-000001", device_type, seats,
                         years, start, None, False, "f")
        requests.append(LineRequest(line, 1, None, years, term, effective, None, False))
    together = price_lines(requests, two_lists, partner)
    alone = [price_line(request, two_lists, partner) for request in requests]
    assert together == alone
    assert [(str(t.unit_price), [str(a) for a in t.amounts]) for t in together] == [
        (str(a.unit_price), [str(a) for a in a.amounts]) for a in alone]


def test_an_invoice_document_shows_a_signed_zero_as_its_line_has_it() -> None:
    """Lines' amounts as shown are made once for each amounts record, never for an equal one:
    -0.00 equals 0.00 but is shown with its sign."""
    from seatbatch.core.documents import line_document
    from seatbatch.core.model import InvoiceLine

    def line(zero: str) -> InvoiceLine:
        return InvoiceLine("L1", "new", None, "Space Pro", 1, 1, date(2026, 1, 1),
                           date(2026, 12, 31), D("150.00"), 365, 365,
                           LineAmounts(D(zero), D(zero), D(zero), D(zero)))

    shown = [line_document(line(zero), "EUR")["net_amount"] for zero in ("0.00", "-0.00")]
    assert shown == ["0.00", "-0.00"]
