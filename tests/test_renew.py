"""`seatbatch renew --month`: the next term of every subscription ending in that month."""

from __future__ import annotations

from datetime import date

import pytest

from conftest import CONFIG, Env, customer, order

PRICES = """
[[price_lists]]
currency = "EUR"
valid_from = "{day}"
[price_lists.seat_price_per_year]
"Space Pro" = "{pro}"
"Space Plus" = "120.00"
"Space CO2 Mini" = "60.00"
"""


@pytest.fixture
def renew_env(env: Env) -> Env:
    """Older prices from 2024, and Space Pro at 180.00 from 2026-12-01."""
    env.config.write_text(CONFIG + PRICES.format(day="2024-01-01", pro="140.00")
                          + PRICES.format(day="2026-12-01", pro="180.00"))
    return env


def test_renewal_uses_the_price_in_effect_on_its_first_day(renew_env: Env) -> None:
    env = renew_env
    first = env.process(env.workbook(customers=[customer()], orders=[
        order("L1", seats=2, term_years=1, start_date=date(2025, 12, 1))]),
        as_of=date(2025, 12, 1))
    assert first.code == 0, first.stderr
    assert first.manifest["invoices"][0]["lines"][0]["unit_price"] == "140.00"

    renewed = env.run("renew", "--month", "2026-11", as_of=date(2026, 11, 25))
    assert renewed.code == 0, renewed.stderr
    assert renewed.manifest["status"] == "committed"
    [invoice] = renewed.manifest["invoices"]
    assert invoice["number"] == "INV-2026-000001"  # the first invoice of 2026
    assert invoice["po_number"] == "PO-77"  # the subscription's PO
    [line] = invoice["lines"]
    assert (line["action"], line["order_id"], line["subscription_id"]) == (
        "renewal", None, "SUB-000001")
    assert (line["period_start"], line["period_end"]) == ("2026-12-01", "2027-11-30")
    assert (line["unit_price"], line["list_amount"], line["net_amount"]) == (
        "180.00", "360.00", "288.00")
    # the old term and its invoice are untouched
    assert env.query("SELECT total FROM invoices WHERE number = 'INV-2025-000001'") == [
        ("224.00",)]

    again = env.run("renew", "--month", "2026-11", as_of=date(2026, 11, 28))
    assert again.code == 0
    assert again.manifest["status"] == "nothing_due"
    assert env.invoice_numbers() == ["INV-2025-000001", "INV-2026-000001"]

    # seats added in the renewed term prorate against it
    added = env.process(env.workbook("add.xlsx", orders=[
        order("L2", action="add", subscription="SUB-000001", term_years=None,
              start_date=date(2027, 1, 1), seats=1)]), as_of=date(2026, 12, 15))
    assert added.code == 0, added.stderr
    [line] = added.manifest["invoices"][0]["lines"]
    assert (line["prorate_days"], line["term_days"]) == (334, 365)
    assert line["period_end"] == "2027-11-30"


def test_a_29_february_subscription_renews(renew_env: Env) -> None:
    env = renew_env
    env.process(env.workbook(customers=[customer()], orders=[
        order("L1", term_years=1, start_date=date(2024, 2, 29))]), as_of=date(2024, 2, 29))
    result = env.run("renew", "--month", "2025-02", as_of=date(2025, 2, 20))
    assert result.code == 0, result.stderr
    [line] = result.manifest["invoices"][0]["lines"]
    # the first term ended on 28 Feb 2025 (exclusive), so its last day was the 27th
    assert (line["period_start"], line["period_end"]) == ("2025-02-28", "2026-02-27")


def test_renew_over_several_partners_keeps_currencies_apart(env: Env) -> None:
    env.process(env.workbook(customers=[customer()], orders=[order(term_years=1)]))
    env.process(env.workbook("jp.xlsx", customers=[customer("C-900")], orders=[
        order("J1", customer_id="C-900", term_years=1, seats=3)]), partner="P-TOKYO")
    result = env.run("renew", "--month", "2027-11", as_of=date(2027, 11, 1))
    assert result.code == 0, result.stderr
    manifest = result.manifest
    assert manifest["currency"] is None and manifest["totals"]["net_amount"] is None
    assert manifest["totals"]["net_amount_by_currency"] == {"EUR": "120.00", "JPY": "63000"}
    assert sorted(i["currency"] for i in manifest["invoices"]) == ["EUR", "JPY"]


def test_bad_month_is_exit_2(env: Env) -> None:
    assert env.run("renew", "--month", "2026-13").code == 2
    assert env.run("renew", "--month", "11/2026").code == 2
