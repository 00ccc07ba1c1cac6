"""The ledger's unit of work, driven step by step as an orchestrator drives it: numbers taken
are numbers issued, and a unit left half-done commits nothing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import Connection, insert

from conftest import ROOT, Env
from seatbatch.billing.invoicing import make_invoice
from seatbatch.core.config import load_config
from seatbatch.core.model import Customer, Device, InvoiceDraft, ReadSet
from seatbatch.ledger import Ledger, RunRecord
from seatbatch.ledger import schema as t
from seatbatch.ledger.engine import (
    atomic,
    bulk_insert,
    close_engine,
    insert_rows,
    make_engine,
)

CONFIG = load_config(ROOT / "samples" / "seatbatch.toml")


def _record(run_id: str) -> RunRecord:
    return RunRecord(run_id, "process", "P-ACME", date(2026, 11, 24), "orders.xlsx", "0" * 64)


def test_numbers_taken_without_invoices_saved_commit_nothing(env: Env) -> None:
    with Ledger.open(env.ledger_url, write=True) as ledger:
        view = ledger.view("P-ACME")
        with pytest.raises(AssertionError, match="no invoices saved"), \
                ledger.committing(view, ReadSet(), _record("r1")) as tx:
            tx.save_run({}, [])
            numbered = tx.number("INV", "EUR", [InvoiceDraft("C-1", None, (), Decimal(0))])
            assert numbered.numbers == ["INV-2026-000001"]
        assert ledger.committed_runs(["r1"]) == {}
        assert ledger.view("P-ACME").version == 0
    assert env.count("counters") == 0 and env.count("runs") == 0


def test_a_unit_that_raises_commits_nothing(env: Env) -> None:
    with Ledger.open(env.ledger_url, write=True) as ledger:
        view = ledger.view("P-ACME")
        with pytest.raises(OSError), ledger.committing(view, ReadSet(), _record("r1")) as tx:
            tx.save_run({}, [])
            tx.number("INV", "EUR", [InvoiceDraft("C-1", None, (), Decimal(0))])
            raise OSError("disk full while writing the invoices")
    assert env.count("counters") == 0 and env.count("runs") == 0
    assert env.count("partner_versions") == 0


def test_a_unit_numbers_once_and_only_after_saving_its_run(env: Env) -> None:
    """Caught in review: a second `number` advanced the counter past numbers whose invoices
    the first call's caller would never save (a gap), and numbering before `save_run` was
    guarded by an assert that python -O strips."""
    draft = InvoiceDraft("C-1", None, (), Decimal(0))
    with Ledger.open(env.ledger_url, write=True) as ledger:
        view = ledger.view("P-ACME")
        with pytest.raises(AssertionError, match="numbered once"), \
                ledger.committing(view, ReadSet(), _record("r1")) as tx:
            tx.save_run({}, [])
            tx.number("INV", "EUR", [draft])
            tx.number("INV", "EUR", [draft])
        with pytest.raises(AssertionError, match="save the run before numbering"), \
                ledger.committing(view, ReadSet(), _record("r2")) as tx:
            tx.number("INV", "EUR", [draft])
    assert env.count("counters") == 0 and env.count("runs") == 0


@pytest.mark.parametrize("issues", [True, False])
def test_a_run_s_devices_are_committed_with_it(env: Env, issues: bool) -> None:
    """On SQLite a run's devices are written with its invoices, or as its unit finishes when
    it issues none (changes of subscriptions only): committed either way, and with its
    customers' versions counted up."""
    customer = Customer("C-1", "Org 1", "NO", None, 2)
    device = Device(2, "C-1", "SN-1", "Space Pro", None, None)
    with Ledger.open(env.ledger_url, write=True) as ledger:
        view = ledger.view("P-ACME")
        with ledger.committing(view, ReadSet(frozenset({"C-1"})), _record("r1")) as tx:
            tx.save_run({"C-1": customer}, [device])
            if issues:
                draft = InvoiceDraft("C-1", None, (), Decimal(0))
                [number] = tx.number("INV", "EUR", [draft]).numbers
                invoice = make_invoice(draft, number, invoice_date=date(2026, 11, 24),
                                       config=CONFIG, partner=CONFIG.partner("P-ACME"),
                                       customer=customer, subscription_ids={})
                tx.save_invoices([draft], [invoice])
    assert env.query("SELECT customer_id, serial_number FROM devices") == [("C-1", "SN-1")]
    assert env.query("SELECT version FROM customers") == [(1,)]
    assert env.count("invoices") == (1 if issues else 0)


@contextmanager
def _two_partners(env: Env) -> Iterator[Connection]:
    """A connection to a new ledger in which partners P-A and P-B each have customer C-1:
    rows stored for P-A one way and for P-B by SQLAlchemy's insert() are then compared."""
    with Ledger.open(env.ledger_url, write=True):
        pass
    engine = make_engine(env.ledger_url)
    try:
        with atomic(engine, write=True) as connection:
            for partner in ("P-A", "P-B"):
                connection.execute(insert(t.customers).values(
                    partner_id=partner, customer_id="C-1", organization="Org"))
            yield connection
    finally:
        close_engine(engine)


def _stored_devices(env: Env, count: int) -> None:
    """P-A's devices are P-B's, `count` of them."""
    stored = {partner: env.query(
        "SELECT serial_number, customer_id, device_type, CAST(deployed_on AS TEXT), location "
        f"FROM devices WHERE partner_id = '{partner}' ORDER BY serial_number")
        for partner in ("P-A", "P-B")}
    assert len(stored["P-A"]) == count and stored["P-A"] == stored["P-B"]


@pytest.mark.parametrize("count", [3, 600])  # on PostgreSQL: an executemany, then a COPY
def test_bulk_insert_stores_what_insert_stores(env: Env, count: int) -> None:
    """Rows given to bulk_insert (dates converted once per distinct day) are stored as
    SQLAlchemy's insert() stores them, None and early years included."""
    days = [None, date(1, 2, 3), date(2026, 2, 28), date(2026, 2, 28), date(999, 12, 31)]
    with _two_partners(env) as connection:
        rows = [{"partner_id": "P-A", "serial_number": f"S-{n:04d}", "customer_id": "C-1",
                 "device_type": "Space Pro", "deployed_on": days[n % len(days)],
                 "location": None if n % 2 else "Hall"} for n in range(count)]
        bulk_insert(connection, t.devices, rows)
        connection.execute(insert(t.devices), [{**row, "partner_id": "P-B"} for row in rows])
    _stored_devices(env, count)


# SQLite: one row; two whole INSERTs of 166 rows (999 values, 6 a row); three and a rest
@pytest.mark.parametrize("count", [1, 332, 600])
def test_insert_rows_stores_what_insert_stores(env: Env, count: int) -> None:
    """Rows given to insert_rows as tuples, their columns named in another order than the
    table's, several rows to an INSERT, are stored as SQLAlchemy's insert() stores them."""
    names = ("serial_number", "location", "partner_id", "deployed_on", "customer_id",
             "device_type")
    with _two_partners(env) as connection:
        rows = [(f"S-{n:04d}", None if n % 3 else "Hall \u00e9", "P-A",
                 None if n % 5 == 0 else date(2026, 1 + n % 12, 1 + n % 28), "C-1",
                 "Space Pro") for n in range(count)]
        insert_rows(connection, t.devices, names, rows)
        connection.execute(insert(t.devices),
                           [{**dict(zip(names, row, strict=True)), "partner_id": "P-B"}
                            for row in rows])
    _stored_devices(env, count)
