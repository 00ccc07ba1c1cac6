"""Pure pricing of resolved order lines (SPEC §4): exact decimals, half-up at each shown amount."""

from __future__ import annotations

from dataclasses import dataclass, field
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
    price = config.seat_price(partner.currency, device_type, start, needed_by=needed_by)
    return _period_at(config, partner, (price, shown_price(price, partner.currency)),
                      seats=seats, term_years=term_years, term=term, start=start)


def _period_at(config: Config, partner: Partner, price: tuple[Decimal, Decimal], *, seats: int,
               term_years: int, term: Term, start: date, amounts: Amounts | None = None
               ) -> PeriodPrice:
    """As `price_period`, at a unit price already looked up (and as shown); `amounts` keeps
    the amounts made for the next periods."""
    unit_price, shown = price
    prorate_days, term_days = term.days_from(start), term.days
    key = (unit_price, seats, term_years, prorate_days, term_days)
    made = amounts.get(key) if amounts is not None else None
    if made is None:
        made = line_amounts(
            seats, unit_price, term_years, prorate_days=prorate_days, term_days=term_days,
            term_rate=config.term_discounts[term_years], partner_rate=partner.discount,
            currency=partner.currency,
        )
        if amounts is not None:
            amounts[key] = made
    return PeriodPrice(shown, prorate_days, term_days, made)


# What a run has priced, each made once for its lines (a large workbook: 20,000 lines, a few
# hundred days, 6,000 periods, 124 sets of amounts), all in the partner's currency:
# (device type, day) -> the unit price and the price as shown;
UnitPrices = dict[tuple[str, date], tuple[Decimal, Decimal]]
# (device type, first day, seats, years, term) -> the period's price;
Periods = dict[tuple[str, date, int, int, Term], PeriodPrice]
# (unit price, seats, years, days billed, term's days) -> the four amounts, one record shared by
# every line billing them. Keyed by the price's value: prices are above 0 (the configuration
# refuses others), so that equal prices give equal amounts, each shown alike.
Amounts = dict[tuple[Decimal, int, int, int, int], LineAmounts]


@dataclass(frozen=True, slots=True)
class Priced:
    """What `price_line` has priced for a run's earlier lines, kept for the next."""

    prices: UnitPrices = field(default_factory=dict)
    periods: Periods = field(default_factory=dict)
    amounts: Amounts = field(default_factory=dict)


def price_line(request: LineRequest, config: Config, partner: Partner,
               priced: Priced | None = None) -> PricedLine:
    """One resolved line priced; `priced` keeps what it priced for the next lines."""
    order = request.order
    period = (order.device_type, request.effective, order.seats, request.term_years,
              request.term)
    price = priced.periods.get(period) if priced is not None else None
    if price is None:
        price = _period_at(config, partner, _unit_price(request, config, partner, priced),
                           seats=order.seats, term_years=request.term_years, term=request.term,
                           start=request.effective,
                           amounts=priced.amounts if priced is not None else None)
        if priced is not None:
            priced.periods[period] = price
    return PricedLine(request=request, unit_price=price.unit_price,
                      prorate_days=price.prorate_days, term_days=price.term_days,
                      amounts=price.amounts)


def _unit_price(request: LineRequest, config: Config, partner: Partner,
                priced: Priced | None) -> tuple[Decimal, Decimal]:
    """The line's unit price and its price as shown."""
    order = request.order
    key = (order.device_type, request.effective)
    price = priced.prices.get(key) if priced is not None else None
    if price is None:
        unit_price = config.seat_price(partner.currency, order.device_type, request.effective,
                                       needed_by=f"Orders row {order.row}")
        price = unit_price, shown_price(unit_price, partner.currency)
        if priced is not None:
            priced.prices[key] = price
    return price


def price_lines(
    requests: list[LineRequest], config: Config, partner: Partner
) -> list[PricedLine]:
    priced = Priced()
    return [price_line(r, config, partner, priced) for r in requests]
