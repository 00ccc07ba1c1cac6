"""What finance's month-end report reads, across every partner, in one consistent snapshot."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from seatbatch.core.documents import invoice_from_document
from seatbatch.core.model import Invoice
from seatbatch.core.month_end import LedgerMonth, RevenueLine, SeatCount, SeriesCount
from seatbatch.ledger import schema as t
from seatbatch.ledger.reads import read_view


def read_month(connection: Connection, first: date, last: date) -> LedgerMonth:
    return LedgerMonth(
        invoices=list(_invoices(connection, first, last)),
        organizations={
            (row.partner_id, row.customer_id): row.organization
            for row in connection.execute(select(t.customers.c.partner_id,
                                                 t.customers.c.customer_id,
                                                 t.customers.c.organization))
        },
        seats=_seats_in_force(connection, last),
        devices=_devices_listed(connection),
        numbering=_numbering(connection),
        views={
            partner_id: read_view(connection, partner_id, with_committed=False)
            for partner_id in connection.scalars(
                select(t.subscriptions.c.partner_id).distinct()
                .order_by(t.subscriptions.c.partner_id))
        },
        revenue_lines=_revenue_lines(connection, first, last),
    )


def _invoices(connection: Connection, first: date, last: date) -> Iterator[Invoice]:
    i = t.invoices.c
    rows = connection.execute(
        select(i.document).where(i.invoice_date >= first, i.invoice_date <= last)
        .order_by(i.series, i.year, i.seq)
    )
    for (document,) in rows:
        yield invoice_from_document(json.loads(document))


def _revenue_lines(connection: Connection, first: date, last: date) -> list[RevenueLine]:
    """The document lines whose revenue the month recognises or defers (SPEC §12): of the
    documents dated through its last day, those dated in it and those whose service ends in it
    or later (every other line was earned whole by the month before). A credit note's lines are
    its own: the seats it credits, from the first day it credits."""
    i, line = t.invoices.c, t.invoice_lines.c
    rows = connection.execute(
        select(i.partner_id, i.currency, i.kind, i.invoice_date, line.net_amount,
               line.period_start, line.period_end)
        .join_from(t.invoice_lines, t.invoices, (line.partner_id == i.partner_id)
                   & (line.invoice_number == i.number))
        .where(i.invoice_date <= last, (line.period_end >= first) | (i.invoice_date >= first))
    )
    # a month holds as many lines as subscriptions in force, but few partners, days and amounts:
    # each kept once (half a line's memory)
    same: dict[Any, Any] = {}
    nets: dict[str, Decimal] = {}
    found = []
    for partner_id, currency, kind, dated, net, start, end in rows:
        amount = nets.get(net)
        if amount is None:
            amount = nets[net] = Decimal(net)
        found.append(RevenueLine(
            same.setdefault(partner_id, partner_id), same.setdefault(currency, currency),
            kind == "credit_note", same.setdefault(dated, dated), amount,
            same.setdefault(start, start), same.setdefault(end, end)))
    return found


def _seats_in_force(connection: Connection, day: date) -> list[SeatCount]:
    """Seats of subscriptions with a term that covers the day, taken effect by then."""
    s, st, tm = t.subscriptions.c, t.seats.c, t.subscription_terms.c
    covering = select(tm.subscription_id).where(tm.start_date <= day, tm.end_date > day)
    rows = connection.execute(
        select(s.partner_id, s.customer_id, st.device_type, func.sum(st.seats))
        .join_from(t.seats, t.subscriptions, st.subscription_id == s.id)
        .where(st.subscription_id.in_(covering), st.effective_date <= day)
        .group_by(s.partner_id, s.customer_id, st.device_type)
    )
    return [SeatCount(p, c, d, int(n)) for p, c, d, n in rows if n]


def _devices_listed(connection: Connection) -> list[SeatCount]:
    d = t.devices.c
    rows = connection.execute(
        select(d.partner_id, d.customer_id, d.device_type, func.count())
        .group_by(d.partner_id, d.customer_id, d.device_type)
    )
    return [SeatCount(p, c, kind, int(n)) for p, c, kind, n in rows]


def _numbering(connection: Connection) -> list[SeriesCount]:
    i, k = t.invoices.c, t.counters.c
    counters = {(row.series, row.year): row.last_seq
                for row in connection.execute(select(k.series, k.year, k.last_seq))}
    rows = connection.execute(
        select(i.series, i.year, func.min(i.seq), func.max(i.seq), func.count())
        .group_by(i.series, i.year).order_by(i.series, i.year)
    )
    found = [SeriesCount(series, year, first, last, count, counters.get((series, year)))
             for series, year, first, last, count in rows]
    seen = {(x.series, x.year) for x in found}
    found += [SeriesCount(series, year, 0, 0, 0, last)  # a counter without invoices
              for (series, year), last in sorted(counters.items()) if (series, year) not in seen]
    return found
