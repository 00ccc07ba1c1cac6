"""Pure pricing of resolved order lines (SPEC §4): exact decimals, half-up at each shown amount."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Context as DecimalContext
from decimal import Decimal

from seatbatch.core.config import Config, Partner
from seatbatch.core.model import LineAmounts, LineRequest, PricedLine
from seatbatch.core.money import minor_unit, round_money
from seatbatch.core.terms import Term

# Wide enough that seats x price x years x days is exact before the one division by term days.
_EXACT = DecimalContext(prec=60)


def line_amounts(
    seats: int,
    unit_price: Decimal,
    term_years: int,
    *,
    prorate_days: int,
    term_days: int,
    term_rate: Decimal,
    partner_rate: Decimal,
    currency: str,
) -> LineAmounts:
    """List amount, term discount, partner discount and net of one line, each rounded as
    shown."""
    full = _EXACT.multiply(_EXACT.multiply(Decimal(seats), unit_price), Decimal(term_years))
    prorated = full if prorate_days == term_days else _EXACT.divide(
        _EXACT.multiply(full, Decimal(prorate_days)), Decimal(term_days)
    )
    list_amount = round_money(prorated, currency)
    term_discount = round_money(list_amount * term_rate, currency)
    partner_discount = round_money((list_amount - term_discount) * partner_rate, currency)
    net_amount = list_amount - term_discount - partner_discount
    return LineAmounts(list_amount, term_discount, partner_discount, net_amount)


def shown_price(price: Decimal, currency: str) -> Decimal:
    """A unit price with at least the currency's decimals (150 -> 150.00), never fewer digits."""
    places = minor_unit(currency)
    exponent = price.as_tuple().exponent
    if isinstance(exponent, int) and -exponent >= places:
        return price
    return round_money(price, currency)


@dataclass(frozen=True, slots=True)
class PeriodPrice:
    """Seats of a device type priced for a period: the unit price as shown, the days billed of
    the term's days, and the four amounts."""

    unit_price: Decimal
    prorate_days: int
    term_days: int
    amounts: LineAmounts


def price_period(config: Config, partner: Partner, *, device_type: str, seats: int,
                 term_years: int, term: Term, start: date, needed_by: str) -> PeriodPrice:
    """Seats from `start` to the end of `term` (an order line: from its effective day; a
    renewal: the whole next term), at the price list in effect on `start` (SPEC §4)."""
    currency = partner.currency
    unit_price = config.seat_price(currency, device_type, start, needed_by=needed_by)
    prorate_days = term.days_from(start)
    amounts = line_amounts(
        seats, unit_price, term_years, prorate_days=prorate_days, term_days=term.days,
        term_rate=config.term_discounts[term_years], partner_rate=partner.discount,
        currency=currency,
    )
    return PeriodPrice(shown_price(unit_price, currency), prorate_days, term.days, amounts)


def price_line(request: LineRequest, config: Config, partner: Partner) -> PricedLine:
    order = request.order
    priced = price_period(config, partner, device_type=order.device_type, seats=order.seats,
                          term_years=request.term_years, term=request.term,
                          start=request.effective, needed_by=f"Orders row {order.row}")
    return PricedLine(request=request, unit_price=priced.unit_price,
                      prorate_days=priced.prorate_days, term_days=priced.term_days,
                      amounts=priced.amounts)


def price_lines(
    requests: list[LineRequest], config: Config, partner: Partner
) -> list[PricedLine]:
    return [price_line(r, config, partner) for r in requests]
