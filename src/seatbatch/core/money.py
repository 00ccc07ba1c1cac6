"""Money: exact decimals, per-currency minor units, half-up rounding at each shown amount.

Floats never become money here: `D()` refuses them, so a stray float is a bug caught at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache

import iso4217


class MoneyError(ValueError):
    """A value that is not an exact decimal amount or rate."""


def D(value: str | int | Decimal) -> Decimal:
    """The one way to build a Decimal: from text, an int or a Decimal, never a float."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise MoneyError(f"not an exact decimal: {value!r} ({type(value).__name__})")
    try:
        result = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise MoneyError(f"not a decimal number: {value!r}") from None
    if not result.is_finite():
        raise MoneyError(f"not a finite number: {value!r}")
    return result


@cache
def minor_unit(currency: str) -> int:
    """Decimal places of the currency's minor unit (ISO 4217): 2 for EUR, 0 for JPY."""
    try:
        exponent = iso4217.Currency(currency.upper()).exponent
    except (ValueError, KeyError):
        raise MoneyError(f"unknown ISO 4217 currency code: {currency!r}") from None
    if exponent is None:  # funds and metals have no minor unit; they are not invoiced
        raise MoneyError(f"{currency!r} has no minor unit to invoice in")
    return int(exponent)


def is_currency(code: str) -> bool:
    try:
        minor_unit(code)
    except MoneyError:
        return False
    return True


@cache
def _quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_unit(currency))


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Half-up to the currency's minor unit: 0.005 EUR -> 0.01, 0.5 JPY -> 1."""
    return amount.quantize(_quantum(currency), rounding=ROUND_HALF_UP)


GROUPED = 3  # the digits between two thousands separators


def grouped_amount(amount: Decimal, currency: str) -> str:
    """1234.5 EUR -> '1,234.50': rounded (`round_money`), its thousands separated, as
    f"{rounded:,}" writes it, in a third of its time (a run shows tens of thousands of
    amounts). A rounded amount's text is never in exponent notation (its exponent is 0 or
    minus the minor unit), and the whole part of one of four digits or more is never zero, so
    keeps its sign."""
    text = str(round_money(amount, currency))
    point = text.find(".")
    whole = point if point >= 0 else len(text)
    if whole - text.startswith("-") <= GROUPED:  # no separator
        return text
    return f"{int(text[:whole]):,}{text[whole:]}"


def format_amount(amount: Decimal, currency: str) -> str:
    """The plain decimal string of a rounded amount, as the manifest carries it."""
    return str(round_money(amount, currency))


def format_amounts(amounts: Iterable[Decimal], currency: str) -> list[str]:
    """format_amount of each amount, the currency's minor unit looked up once."""
    quantum = _quantum(currency)
    return [str(amount.quantize(quantum, rounding=ROUND_HALF_UP)) for amount in amounts]
