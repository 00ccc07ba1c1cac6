"""Versions and the optimistic check: every commit for a partner counts up the partner's version
and the version of each customer it wrote something of; a run that read the ledger before
another run's commit for the same partner may still commit when that commit touched nothing
its validation read (`overtaken`)."""

from __future__ import annotations

from collections.abc import Set as AbstractSet

from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection

from seatbatch.core.model import LedgerView, ReadSet
from seatbatch.ledger import schema as t
from seatbatch.ledger.engine import locked_row


def partner_version(connection: Connection, partner_id: str) -> int:
    found = connection.scalar(
        select(t.partner_versions.c.version).where(t.partner_versions.c.partner_id == partner_id)
    )
    return int(found or 0)


def lock_partner(connection: Connection, partner_id: str) -> int:
    """Hold the partner's row until the transaction ends, and give its version. A committing
    run takes its locks in one order (partners by id, the series' counter, the id counter), so
    two runs never wait for each other in a circle."""
    return int(locked_row(connection, t.partner_versions, partner_id=partner_id,
                          version=0).version)


def bump_version(connection: Connection, partner_id: str) -> None:
    v = t.partner_versions.c
    connection.execute(update(t.partner_versions).where(v.partner_id == partner_id)
                       .values(version=v.version + 1))


def touch_customers(connection: Connection, partner_id: str,
                     customer_ids: AbstractSet[str]) -> None:
    """Count up the version of each customer a commit wrote something of."""
    c = t.customers.c
    ordered = sorted(customer_ids)
    for start in range(0, len(ordered), 500):
        connection.execute(update(t.customers).where(
            c.partner_id == partner_id, c.customer_id.in_(ordered[start:start + 500])
        ).values(version=c.version + 1))


def overtaken(connection: Connection, view: LedgerView, read_set: ReadSet) -> bool:
    """Whether the commits since `view` touched a customer of `read_set` (or made one that
    was not there) or committed one of its order lines (changes of subscriptions too)."""
    c, o = t.customers.c, t.order_lines.c
    customers = sorted(read_set.customers)
    for start in range(0, len(customers), 500):
        for customer_id, version in connection.execute(
            select(c.customer_id, c.version).where(
                c.partner_id == view.partner_id, c.customer_id.in_(customers[start:start + 500]))
        ):
            if view.stamps.get(customer_id) != version:
                return True
    order_ids = sorted(read_set.order_ids)
    x = t.subscription_changes.c
    for start in range(0, len(order_ids), 500):
        chunk = order_ids[start:start + 500]
        if connection.scalar(select(func.count()).select_from(t.order_lines).where(
                o.partner_id == view.partner_id, o.order_id.in_(chunk))):
            return True
        if connection.scalar(select(func.count()).select_from(t.subscription_changes).where(
                x.partner_id == view.partner_id, x.order_id.in_(chunk))):
            return True
    return False
