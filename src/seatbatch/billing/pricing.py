"""Pure pricing of resolved order lines (SPEC §4): exact decimals, half-up at each shown amount."""

from __future__ import annotations

from decimal import Context as DecimalContext
from decimal import Decimal

from seatbatch.core.config import Config, Partner
from seatbatch.core.model import LineAmounts, LineRequest, PricedLine
from seatbatch.core.money import minor_unit, round_money

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


def price_line(request: LineRequest, config: Config, partner: Partner) -> PricedLine:
    currency = partner.currency
    order = request.order
    unit_price = config.seat_price(
        currency, order.device_type, request.effective, needed_by=f"Orders row {order.row}"
    )
    term_days = request.term.days
    prorate_days = request.term.days_from(request.effective)
    amounts = line_amounts(
        order.seats,
        unit_price,
        request.term_years,
        prorate_days=prorate_days,
        term_days=term_days,
        term_rate=config.term_discounts[request.term_years],
        partner_rate=partner.discount,
        currency=currency,
    )
    return PricedLine(
        request=request,
        unit_price=shown_price(unit_price, currency),
        prorate_days=prorate_days,
        term_days=term_days,
        amounts=amounts,
    )


def price_lines(
    requests: list[LineRequest], config: Config, partner: Partner
) -> list[PricedLine]:
    return [price_line(r, config, partner) for r in requests]
