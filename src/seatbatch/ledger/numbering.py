"""Numbering: the gapless invoice numbers of a series and year, and the ids of new
subscriptions, each taken under its counter's row lock. A committing run takes its locks in one
order (the partner's row, the series' counter, the id counter), so that two runs never wait for
each other in a circle."""

from __future__ import annotations

from datetime import date

from sqlalchemy import update
from sqlalchemy.engine import Connection

from seatbatch.ledger import schema as t
from seatbatch.ledger.engine import locked_row
from seatbatch.ledger.errors import InvoiceDateBackwards


def take_numbers(connection: Connection, series: str, day: date, count: int,
                 document: str = "invoice") -> list[str]:
    """The next `count` numbers of the series for the day's year: gapless, in issue order.
    `document`: what the series numbers, as a refusal names it."""
    if count == 0:
        return []
    k = t.counters.c
    # a new series-year's row is made at once, so that its first two runs queue on it too
    row = locked_row(connection, t.counters, series=series, year=day.year, last_seq=0,
                     last_number="", last_date=day)
    if row.last_date > day:
        raise InvoiceDateBackwards(row.last_number, row.last_date, day, document)
    last = row.last_seq
    numbers = [f"{series}-{day.year:04d}-{seq:06d}" for seq in range(last + 1, last + count + 1)]
    connection.execute(
        update(t.counters).where(k.series == series, k.year == day.year)
        .values(last_seq=last + count, last_number=numbers[-1], last_date=day)
    )
    return numbers


def take_ids(connection: Connection, name: str, count: int) -> range:
    """The next `count` ids of the counter, taken under its row lock."""
    k = t.id_counters.c
    last = int(locked_row(connection, t.id_counters, name=name, last_value=0).last_value)
    connection.execute(update(t.id_counters).where(k.name == name)
                       .values(last_value=last + count))
    return range(last + 1, last + count + 1)
