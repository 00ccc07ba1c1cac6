"""Partner-scoped reads: a partner's view of the ledger (customers, subscriptions with their
terms and seats in force, committed order lines and versions), the subscriptions due for
renewal, and what the ledger keeps of issued invoices and committed runs."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import Select, exists, func, select
from sqlalchemy.engine import Connection

from seatbatch.core.documents import invoice_from_document
from seatbatch.core.model import (
    Committed,
    Customer,
    Device,
    Invoice,
    LedgerView,
    Subscription,
    subscription_number,
)
from seatbatch.core.terms import Term, month_term
from seatbatch.ledger import schema as t
from seatbatch.ledger.records import CommittedRun, CreditTaken
from seatbatch.ledger.versions import partner_version


def read_view(connection: Connection, partner_id: str, *, with_committed: bool = True
              ) -> LedgerView:
    """What one partner's run needs of the ledger; without `with_committed`, only its
    customers and subscriptions (the month-end report's renewals due)."""
    version = partner_version(connection, partner_id)
    customers, subscriptions = customers_and_subscriptions(connection, partner_id)
    if not with_committed:
        return LedgerView(partner_id, version, customers, subscriptions)
    c, o = t.customers.c, t.order_lines.c
    stamps = {row.customer_id: row.version for row in connection.execute(
        select(c.customer_id, c.version).where(c.partner_id == partner_id))}
    committed = {
        row.order_id: Committed(row.order_id, row.fingerprint, row.invoice_number,
                                row.subscription_id, row.customer_id, row.label,
                                json.loads(row.content))
        for row in connection.execute(select(t.order_lines).where(o.partner_id == partner_id))
    }
    x = t.subscription_changes.c
    committed.update(
        (row.order_id, Committed(row.order_id, row.fingerprint, None, row.subscription_id,
                                 row.customer_id, None, json.loads(row.content)))
        for row in connection.execute(
            select(x.order_id, x.fingerprint, x.subscription_id, x.customer_id, x.content)
            .where(x.partner_id == partner_id))
    )
    return LedgerView(partner_id, version, customers, subscriptions, committed, stamps)


def customers_and_subscriptions(connection: Connection, partner_id: str,
                                ids: list[int] | None = None
                                ) -> tuple[dict[str, Customer], dict[int, Subscription]]:
    """The partner's subscriptions (every term, seats in force) and customers; with `ids`, only
    those subscriptions and the customers they belong to."""
    s, tc, c = t.subscriptions.c, t.subscription_terms.c, t.customers.c
    mine: Any = ids if ids is not None else select(s.id).where(s.partner_id == partner_id)
    terms: dict[int, list[Term]] = defaultdict(list)
    for row in connection.execute(
        select(tc.subscription_id, tc.start_date, tc.end_date)
        .where(tc.subscription_id.in_(mine)).order_by(tc.subscription_id, tc.term_index)
    ):
        terms[row.subscription_id].append(Term(row.start_date, row.end_date))
    seats, dated = _seats(connection, mine)
    changes = _changes(connection, mine)
    subscription_rows = select(t.subscriptions).where(s.partner_id == partner_id)
    customer_rows = select(t.customers).where(c.partner_id == partner_id)
    if ids is not None:
        subscription_rows = subscription_rows.where(s.id.in_(ids))
        customer_rows = customer_rows.where(c.customer_id.in_(
            select(s.customer_id).where(s.partner_id == partner_id, s.id.in_(ids))))
    subscriptions = {
        row.id: Subscription(
            id=row.id, customer_id=row.customer_id, term_years=row.term_years,
            start_date=row.start_date, po_number=row.po_number,
            terms=tuple(terms[row.id]), seats=seats[row.id],
            dated_seats=tuple(sorted(dated[row.id])),
        )
        for row in connection.execute(subscription_rows)
    }
    for sid, rows in changes.items():
        if sid in subscriptions:
            subscriptions[sid] = _changed(subscriptions[sid], rows)
    customers = {
        row.customer_id: Customer(row.customer_id, row.organization, row.country,
                                  row.contact_email)
        for row in connection.execute(customer_rows)
    }
    return customers, subscriptions


def _seats(connection: Connection, mine: Any
           ) -> tuple[dict[int, dict[str, int]], dict[int, list[tuple[date, str, int]]]]:
    """The subscriptions' seats as `Subscription` holds them: per device type, those counted
    whatever the day (an order line's own seats, from its first day, and what a credit note
    took of them from that same day), and those dated (a credit from a later day, the seats'
    return after the credited period, a renewal's reductions), summed by first day."""
    sc = t.seats.c
    seats: dict[int, dict[str, int]] = defaultdict(dict)
    for row in connection.execute(
        select(sc.subscription_id, sc.device_type, func.sum(sc.seats).label("seats"))
        .where(sc.subscription_id.in_(mine)).group_by(sc.subscription_id, sc.device_type)
    ):
        seats[row.subscription_id][row.device_type] = int(row.seats)
    # dated: rows of no order line (a renewal's reductions), or of one that has an earlier row
    earlier = t.seats.alias("earlier")
    dated: dict[int, list[tuple[date, str, int]]] = defaultdict(list)
    for sid, device_type, day, total in connection.execute(
        select(sc.subscription_id, sc.device_type, sc.effective_date,
               func.sum(sc.seats).label("seats"))
        .where(sc.subscription_id.in_(mine),
               sc.order_id.is_(None) | exists().where(
                   earlier.c.subscription_id == sc.subscription_id,
                   earlier.c.order_id == sc.order_id,
                   earlier.c.effective_date < sc.effective_date))
        .group_by(sc.subscription_id, sc.device_type, sc.effective_date)
    ):
        seats[sid][device_type] -= int(total)
        dated[sid].append((day, device_type, int(total)))
    return seats, dated


def _changes(connection: Connection, mine: Any) -> dict[int, list[Any]]:
    """The subscriptions' changes (SPEC §11), each's in the order committed."""
    x = t.subscription_changes.c
    found: dict[int, list[Any]] = defaultdict(list)
    for row in connection.execute(
        select(x.subscription_id, x.order_id, x.action, x.device_type, x.seats, x.po_number,
               x.effective_date, x.cancels)
        .where(x.subscription_id.in_(mine)).order_by(x.subscription_id, x.id)
    ):
        found[row.subscription_id].append(row)
    return found


def _changed(subscription: Subscription, rows: list[Any]) -> Subscription:
    """The subscription with what its changes leave pending: who cancelled it, the seats its
    next renewal removes (reductions recorded for the start of the term after its last one),
    the PO changes."""
    reductions: dict[str, int] = defaultdict(int)
    for row in rows:
        if row.action == "reduce" and row.effective_date == subscription.ends:
            reductions[row.device_type] += row.seats
    return replace(
        subscription,
        cancelled_by=next((row.order_id for row in rows if row.cancels), None),
        reductions=dict(reductions),
        po_changes=tuple((row.effective_date, row.po_number) for row in rows
                         if row.action == "po"),
    )


def devices(connection: Connection, partner_id: str) -> list[Device]:
    """The partner's devices as last listed, by customer and serial number."""
    d = t.devices.c
    rows = connection.execute(
        select(t.devices).where(d.partner_id == partner_id)
        .order_by(d.customer_id, d.serial_number)
    )
    return [Device(0, r.customer_id, r.serial_number, r.device_type, r.deployed_on,
                   r.location) for r in rows]


def partners_with_subscriptions(connection: Connection) -> list[str]:
    s = t.subscriptions.c
    return list(connection.scalars(select(s.partner_id).distinct().order_by(s.partner_id)))


def due_ids(partner_id: str, year: int, month: int) -> Select[Any]:
    """Ids of the partner's subscriptions whose last term ends in the month, in order: the
    term's exclusive end falls after the month's first day and at most on the next month's;
    not those cancelled (SPEC §11)."""
    return _ending(partner_id, year, month, cancelled=False)


def cancelled_ending(connection: Connection, partner_id: str, year: int, month: int
                     ) -> list[tuple[str, str]]:
    """The partner's cancelled subscriptions whose last term ends in the month: their numbers
    and the order lines that cancelled them, in order."""
    x = t.subscription_changes.c
    ids = _ending(partner_id, year, month, cancelled=True).subquery()
    rows = connection.execute(
        select(x.subscription_id, func.min(x.order_id))
        .where(x.subscription_id.in_(select(ids)), x.cancels)
        .group_by(x.subscription_id).order_by(x.subscription_id))
    return [(subscription_number(sid), order_id) for sid, order_id in rows]


def _ending(partner_id: str, year: int, month: int, *, cancelled: bool) -> Select[Any]:
    whole = month_term(year, month)
    first, after = whole.start, whole.end
    s, tc = t.subscriptions.c, t.subscription_terms.c
    later = t.subscription_terms.alias("later")
    x = t.subscription_changes.c
    was_cancelled = exists().where(x.subscription_id == tc.subscription_id, x.cancels)
    return (
        select(tc.subscription_id)
        .join(t.subscriptions, s.id == tc.subscription_id)
        .where(s.partner_id == partner_id, tc.end_date > first, tc.end_date <= after,
               ~exists().where(later.c.subscription_id == tc.subscription_id,
                               later.c.term_index > tc.term_index),
               was_cancelled if cancelled else ~was_cancelled)
        .order_by(tc.subscription_id)
    )


def due_count(connection: Connection, partner_id: str, year: int, month: int) -> int:
    """How many of the partner's subscriptions have a last term whose last day falls in the
    month."""
    due = due_ids(partner_id, year, month).subquery()
    return int(connection.scalar(select(func.count()).select_from(due)) or 0)


def due_view(connection: Connection, partner_id: str, version: int, ids: list[int]
              ) -> LedgerView:
    """A view of the partner holding only these subscriptions and their customers."""
    customers, subscriptions = customers_and_subscriptions(connection, partner_id, ids)
    return LedgerView(partner_id, version, customers, subscriptions)


def committed_runs(connection: Connection, run_ids: Sequence[str]) -> dict[str, CommittedRun]:
    """Which of these runs committed, with what they issued (numbers in issue order)."""
    r, i = t.runs.c, t.invoices.c
    found = {
        row.run_id: CommittedRun(row.run_id, row.command, row.partner_id, row.as_of,
                                 row.input_name, row.input_sha256, [], set())
        for row in connection.execute(select(t.runs).where(r.run_id.in_(run_ids)))
    }
    for row in connection.execute(
        select(i.run_id, i.number, i.currency).where(i.run_id.in_(list(found)))
        .order_by(i.series, i.year, i.seq)
    ):
        found[row.run_id].numbers.append(row.number)
        found[row.run_id].currencies.add(row.currency)
    x = t.subscription_changes.c
    for row in connection.execute(
        select(t.subscription_changes).where(x.run_id.in_(list(found))).order_by(x.id)
    ):
        found[row.run_id].changes.append({
            "order_id": row.order_id, "action": row.action,
            "subscription_id": subscription_number(row.subscription_id),
            "device_type": row.device_type, "seats": row.seats, "po_number": row.po_number,
            "effective": row.effective_date.isoformat(), "cancels": row.cancels})
    return found


def documents(connection: Connection, numbers: Sequence[str]) -> list[str]:
    """Issued invoices as the ledger keeps them (JSON text), in the order asked for."""
    i = t.invoices.c
    found: dict[str, str] = {}
    for start in range(0, len(numbers), 500):
        rows = connection.execute(
            select(i.number, i.document).where(i.number.in_(numbers[start:start + 500])))
        found.update((number, document) for number, document in rows)
    return [found[number] for number in numbers]


def credits_taken(connection: Connection, invoice_number: str) -> list[CreditTaken]:
    """What credit notes took of the invoice's lines, in the credit notes' order."""
    cl = t.credit_lines.c
    return [CreditTaken(row.invoice_position, row.seats, row.credit_number, row.from_date,
                        row.to_date)
            for row in connection.execute(
                select(cl.invoice_position, cl.seats, cl.credit_number, cl.from_date,
                       cl.to_date)
                .where(cl.invoice_number == invoice_number)
                .order_by(cl.credit_number, cl.position))]


def latest_ends(connection: Connection, partner_id: str, ids: Sequence[int]) -> dict[int, date]:
    """The exclusive end of each subscription's latest term issued."""
    tc = t.subscription_terms.c
    return {row.subscription_id: row.end for row in connection.execute(
        select(tc.subscription_id, func.max(tc.end_date).label("end"))
        .where(tc.partner_id == partner_id, tc.subscription_id.in_(list(ids)))
        .group_by(tc.subscription_id))}


def invoice(connection: Connection, number: str) -> Invoice | None:
    """An issued invoice, whole, as it was when issued; its number matched without regard to
    case (inv-2026-000005), unless two numbers differ only in case."""
    number_column, document_column = t.invoices.c.number, t.invoices.c.document
    document = connection.scalar(select(document_column).where(number_column == number))
    if document is None:
        found = connection.scalars(select(document_column).where(
            func.upper(number_column) == number.upper()).limit(2)).all()
        document = found[0] if len(found) == 1 else None
    return invoice_from_document(json.loads(document)) if document else None
