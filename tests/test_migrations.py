"""The ledger's schema is upgraded in place by the same versioned migrations on SQLite and
PostgreSQL, and the partner keys are the database's own rules, not only Python's."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, create_engine, event, insert, select, text
from sqlalchemy.exc import IntegrityError

from conftest import ROOT, Env, customer, order
from seatbatch.ledger.migrations import MIGRATIONS, NEWEST

V1_DUMP = ROOT / "tests" / "data" / "ledger-v1.sql"
V1_COUNTS = {"invoices": 4, "invoice_lines": 8, "seats": 8, "subscription_terms": 3,
             "order_lines": 8, "subscriptions": 3, "customers": 3, "counters": 1}


def _v1_file(path: Path) -> Path:
    with sqlite3.connect(path) as connection:
        connection.executescript(V1_DUMP.read_text(encoding="utf-8"))
    connection.close()
    return path


def _make_v1_ledger(env: Env) -> None:
    """The version-1 ledger in the test's engine: the dump itself on SQLite; on PostgreSQL its
    tables as SQLite has them (reflected), created there and filled row by row."""
    if env.engine == "sqlite":
        _v1_file(env.ledger)
        return
    source = create_engine(f"sqlite:///{_v1_file(env.root / 'v1.db')}")
    tables = MetaData()

    @event.listens_for(tables, "column_reflect")
    def _generic(_inspector: object, _table: object, column: dict[str, Any]) -> None:
        column["type"] = column["type"].as_generic()

    tables.reflect(source)
    with source.connect() as reading, env.database().begin() as writing:
        tables.create_all(writing)
        for table in tables.sorted_tables:
            rows = [dict(row._mapping) for row in reading.execute(select(table))]
            if rows:
                writing.execute(insert(table), rows)
    source.dispose()


def test_a_version_1_ledger_is_upgraded_and_keeps_everything(sample_env: Env) -> None:
    env = sample_env
    _make_v1_ledger(env)
    before = env.query("SELECT number, partner_id, customer_id, total, document FROM invoices "
                       "ORDER BY number")

    result = env.process(env.workbook(customers=[customer("C-900")],
                                      orders=[order("N1", customer_id="C-900")]),
                         partner="P-ACME")

    assert result.code == 0, result.stderr
    versions = env.query("SELECT version FROM schema_migrations ORDER BY 1")
    assert [v for (v,) in versions] == [v for v, _, _ in MIGRATIONS]
    after = env.query("SELECT number, partner_id, customer_id, total, document FROM invoices "
                      "ORDER BY number")
    assert after[:4] == before
    [issued] = result.manifest["invoices"]
    assert issued["number"] == "INV-2026-000005"  # the counter carried over: no gap, no reuse
    assert issued["lines"][0]["subscription_id"] == "SUB-000004"
    for table, count in V1_COUNTS.items():
        new_rows = {"invoices": 1, "invoice_lines": 1, "seats": 1, "subscription_terms": 1,
                    "order_lines": 1, "subscriptions": 1, "customers": 1}.get(table, 0)
        assert env.count(table) == count + new_rows, table
    # every partner-owned row carries the partner of what it names
    for child, parent, key, parent_key in (
        ("seats", "subscriptions", "subscription_id", "id"),
        ("subscription_terms", "subscriptions", "subscription_id", "id"),
        ("invoice_lines", "invoices", "invoice_number", "number"),
        ("order_lines", "invoices", "invoice_number", "number"),
    ):
        assert env.query(
            f"SELECT count(*) FROM {child} c JOIN {parent} p ON c.{key} = p.{parent_key} "
            f"WHERE c.partner_id <> p.partner_id") == [(0,)], child
    # and the upgraded ledger renders what it held as it was
    assert env.run("render", "INV-2026-000002").code == 0


@pytest.mark.parametrize("fresh", [True, False], ids=["new-ledger", "upgraded-ledger"])
def test_the_database_refuses_rows_that_reach_across_partners(sample_env: Env,
                                                              fresh: bool) -> None:
    env = sample_env
    if fresh:
        for workbook in ("acme-new.xlsx", "nord-new.xlsx"):
            partner = "P-ACME" if workbook.startswith("acme") else "P-NORD"
            assert env.process(env.root / workbook, partner=partner,
                               as_of=None).code == 0
    else:
        _make_v1_ledger(env)
        upgraded = env.run("ledger", "upgrade")
        assert upgraded.code == 0, upgraded.stderr
    acme_subscription, acme_invoice = env.query(
        "SELECT s.id, i.number FROM subscriptions s JOIN invoices i "
        "ON i.partner_id = s.partner_id WHERE s.partner_id = 'P-ACME' ORDER BY s.id LIMIT 1")[0]
    [(nord_customer,)] = env.query(
        "SELECT customer_id FROM customers WHERE partner_id = 'P-NORD' LIMIT 1")
    [(acme_order,)] = env.query(
        "SELECT order_id FROM order_lines WHERE partner_id = 'P-ACME' LIMIT 1")
    attempts = {
        "seats on another partner's subscription":
            "INSERT INTO seats (partner_id, subscription_id, device_type, seats, "
            f"effective_date) VALUES ('P-NORD', {acme_subscription}, 'Space Pro', 1, "
            "'2026-11-24')",
        "a term of another partner's subscription":
            "INSERT INTO subscription_terms (partner_id, subscription_id, term_index, "
            f"start_date, end_date) VALUES ('P-NORD', {acme_subscription}, 9, '2029-01-01', "
            "'2030-01-01')",
        "a line on another partner's invoice":
            "INSERT INTO invoice_lines (partner_id, invoice_number, position, "
            "subscription_id, device_type, seats, period_start, period_end, unit_price, "
            "list_amount, term_discount, partner_discount, net_amount) VALUES ('P-NORD', "
            f"'{acme_invoice}', 99, {acme_subscription}, 'Space Pro', 1, '2026-11-24', "
            "'2027-11-23', '1', '1', '0', '0', '1')",
        "an invoice to another partner's customer":
            "INSERT INTO invoices (number, series, year, seq, partner_id, customer_id, kind, "
            "invoice_date, due_date, currency, total, run_id, document) VALUES "
            f"('X-1', 'X', 2026, 1, 'P-ACME', '{nord_customer}', 'new', '2026-11-24', "
            "'2026-12-24', 'EUR', '0', 'r', '{}')",
        "an order line committed twice":
            "INSERT INTO order_lines (partner_id, order_id, fingerprint, content, customer_id, "
            "subscription_id, invoice_number, run_id) VALUES ('P-ACME', "
            f"'{acme_order}', 'f', '{{}}', 'C-001', {acme_subscription}, '{acme_invoice}', 'r')",
        "a number taken twice in a series":
            "INSERT INTO invoices (number, series, year, seq, partner_id, customer_id, kind, "
            "invoice_date, due_date, currency, total, run_id, document) SELECT 'DUP', series, "
            "year, seq, partner_id, customer_id, kind, invoice_date, due_date, currency, total, "
            "run_id, document FROM invoices ORDER BY number LIMIT 1",
    }
    before = env.dump()
    for what, statement in attempts.items():
        with pytest.raises(IntegrityError), env.database().begin() as connection:
            if env.engine == "sqlite":
                connection.execute(text("PRAGMA foreign_keys = ON"))
            connection.execute(text(statement))
        assert env.dump() == before, what


def test_a_version_3_ledger_gains_the_vat_columns_and_its_invoices_render_as_issued(
        sample_env: Env) -> None:
    """Version 4 adds each invoice's VAT (SPEC §10): invoices issued before have none, and
    render exactly as they were issued."""
    env = sample_env
    first = env.process(env.workbook(customers=[customer("C-900")],
                                     orders=[order("N1", customer_id="C-900")]))
    assert first.code == 0, first.stderr
    [issued] = first.manifest["invoices"]
    number = issued["number"]
    html = (first.folder / "invoices" / f"{number}.html").read_text(encoding="utf-8")
    with env.database().begin() as connection:  # the ledger as version 3 left it
        for column in ("vat_category", "vat_rate", "vat_amount"):
            connection.execute(text(f"ALTER TABLE invoices DROP COLUMN {column}"))
        connection.execute(text("DROP TABLE credit_lines"))  # version 5's
        connection.execute(text("DROP TABLE subscription_changes"))  # version 6's
        connection.execute(text("DELETE FROM schema_migrations WHERE version >= 4"))

    assert env.run("ledger", "upgrade").code == 0

    assert env.query("SELECT max(version) FROM schema_migrations") == [(NEWEST,)]
    assert env.query("SELECT vat_category, vat_rate, vat_amount FROM invoices") == [
        (None, None, None)]
    rendered = env.run("render", number)
    assert rendered.code == 0, rendered.stderr
    again = rendered.folder / "invoices" / f"{number}.html"
    assert again.read_text(encoding="utf-8") == html
