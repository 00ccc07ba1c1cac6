"""`seatbatch renew --month`: the next term of every subscription ending in that month."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from conftest import CONFIG, Env, customer, order
from seatbatch.core.documents import invoice_document, manifest_entry
from seatbatch.core.model import Invoice, InvoiceLine, LineAmounts, Party
from seatbatch.output.files import invoice_files
from seatbatch.output.manifest import ManifestWriter, build_manifest, write_manifest

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


def _invoice(number: str, currency: str, amounts: list[str]) -> Invoice:
    lines = tuple(
        InvoiceLine(order_id=None, action="renewal", subscription_id=f"SUB-{n:06d}",
                    device_type="Space Pro", seats=n, term_years=1,
                    period_start=date(2027, 12, 1), period_end=date(2028, 11, 30),
                    unit_price=Decimal("150.00"), prorate_days=366, term_days=366,
                    amounts=LineAmounts(Decimal(amount), Decimal(0), Decimal(0),
                                        Decimal(amount)))
        for n, amount in enumerate(amounts, start=1)
    )
    return Invoice(number=number, invoice_date=date(2027, 11, 1), due_date=date(2027, 12, 1),
                   issuer=Party("Issuer", ("Street 1",), "NO1"), partner_id="P-X",
                   bill_to=Party("Partner", ("Road 2",)), customer_id="C-1",
                   customer_name="Customer <1>", po_number=None, currency=currency,
                   partner_discount_rate=Decimal("0.20"), lines=lines,
                   total=sum((Decimal(a) for a in amounts), Decimal(0)), kind="renewal")


FORMATS = ("xlsx", "html", "pdf", "ubl")


@pytest.mark.parametrize("currency", ["EUR", None])
def test_the_manifest_written_invoice_by_invoice_from_the_ledger_is_the_same_text(
        tmp_path: Path, currency: str | None) -> None:
    """renew writes its manifest as it reads its invoices back from the ledger; the text is
    the one write_manifest writes of the whole manifest."""
    invoices = [_invoice("INV-2027-000001", "EUR", ["120.00", "0.50"]),
                _invoice("INV-2027-000002", "EUR", ["99.99"])]
    if currency is None:
        invoices.append(_invoice("INV-2027-000003", "JPY", ["63000", "1"]))
    parts: dict[str, Any] = {"command": "renew", "as_of": date(2027, 11, 1), "partner_id": None,
             "currency": currency, "input_file": None, "input_sha256": None}
    write_manifest(build_manifest(status="committed", **parts,
                                  invoices=[(i, invoice_files(i, FORMATS)) for i in invoices]),
                   tmp_path / "whole.json")
    with ManifestWriter(build_manifest(status="committed", **parts),
                        tmp_path / "streamed.json") as streamed:
        for invoice in invoices:  # as the ledger keeps them: JSON text, keys sorted
            document = json.loads(json.dumps(invoice_document(invoice), sort_keys=True))
            streamed.add(manifest_entry(document, invoice_files(invoice, FORMATS),
                                        with_currency=currency is None), invoice.currency)
        totals = streamed.close()["totals"]
    whole = (tmp_path / "whole.json").read_text(encoding="utf-8")
    assert (tmp_path / "streamed.json").read_text(encoding="utf-8") == whole
    assert totals == json.loads(whole)["totals"]


def test_a_month_too_far_ahead_is_refused(env: Env) -> None:
    env.process(env.workbook(customers=[customer()], orders=[
        order(term_years=1, start_date=date(2026, 1, 5))]), as_of=date(2026, 1, 5))
    result = env.run("renew", "--month", "2027-01", as_of=date(2026, 11, 25))
    assert result.code == 2
    assert "too far ahead of the run date 2026-11-25" in result.stderr
    assert env.invoice_numbers() == ["INV-2026-000001"] and result.stdout == ""
    early = env.run("renew", "--month", "2026-12", as_of=date(2026, 11, 25))
    assert early.code == 0 and early.manifest["status"] == "nothing_due"


def test_seats_added_after_renew_ran_ahead_are_billed_for_the_renewed_term_too(
        renew_env: Env) -> None:
    """Issue 11, finding 2: `renew --month 2027-01` on 2026-12-20, then 3 seats added on
    2026-12-21 to a subscription renewing on 2027-01-15 were charged to 2027-01-14 only, and
    the renewed year never billed them (SPEC §4: a second line for the whole next term)."""
    env = renew_env
    first = env.process(env.workbook(customers=[customer()], orders=[
        order("L1", seats=2, term_years=1, start_date=date(2026, 1, 15))]),
        as_of=date(2026, 1, 15))
    assert first.code == 0, first.stderr
    renewed = env.run("renew", "--month", "2027-01", as_of=date(2026, 12, 20))
    assert renewed.code == 0, renewed.stderr
    assert [line["seats"] for line in renewed.manifest["invoices"][0]["lines"]] == [2]

    added = env.process(env.workbook("add.xlsx", orders=[
        order("L2", action="add", subscription="SUB-000001", term_years=None,
              start_date=None, seats=3, po_number="PO-90")]), as_of=date(2026, 12, 21))
    assert added.code == 0, added.stderr
    [invoice] = added.manifest["invoices"]
    assert invoice["po_number"] == "PO-90"
    current, following = invoice["lines"]
    # the current term: 2026-12-21 to 2027-01-14, 25 of 365 days, priced on 2026-12-21
    assert (current["order_id"], current["period_start"], current["period_end"]) == (
        "L2", "2026-12-21", "2027-01-14")
    assert (current["prorate_days"], current["term_days"], current["unit_price"]) == (
        25, 365, "180.00")
    assert (current["list_amount"], current["net_amount"]) == ("36.99", "29.59")
    # the renewed term, whole, priced as its renewal was: 3 x 180.00, less 20 %
    assert (following["order_id"], following["action"], following["seats"]) == ("L2", "add", 3)
    assert (following["period_start"], following["period_end"]) == ("2027-01-15", "2028-01-14")
    assert (following["prorate_days"], following["term_days"]) == (365, 365)
    assert (following["unit_price"], following["list_amount"], following["net_amount"]) == (
        "180.00", "540.00", "432.00")
    assert invoice["total"] == str(Decimal("29.59") + Decimal("432.00"))
    # one order line and one seats row in the ledger; the renewal after next renews 5 seats
    assert env.query("SELECT order_id FROM order_lines WHERE order_id = 'L2'") == [("L2",)]
    assert env.query("SELECT seats FROM seats WHERE order_id = 'L2'") == [(3,)]
    again = env.process(env.workbook("add.xlsx", orders=[
        order("L2", action="add", subscription="SUB-000001", term_years=None,
              start_date=None, seats=3, po_number="PO-90")]), as_of=date(2026, 12, 22))
    assert again.code == 0 and again.manifest["status"] == "duplicate"
    later = env.run("renew", "--month", "2028-01", as_of=date(2027, 12, 20))
    assert later.code == 0, later.stderr
    assert [line["seats"] for line in later.manifest["invoices"][0]["lines"]] == [5]
