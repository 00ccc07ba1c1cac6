"""`seatbatch credit NUMBER` (SPEC §11): credit notes against issued invoices, in full, per
line and per seat from a date, never more than was invoiced, in their own gapless series, on
both ledgers; what they do to seats in force, coverage, renewals and the month's report."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import text

from conftest import AS_OF, CONFIG, Env, Result, customer, device, order
from einvoice_rules import needs_rules
from seatbatch.billing.credits import (
    CreditPlan,
    Refunded,
    Taken,
    credit_line,
    credit_note,
    plan_credit,
)
from seatbatch.billing.pricing import line_amounts
from seatbatch.core.documents import line_ids
from seatbatch.core.model import Invoice, InvoiceLine, LineAmounts, Party, Vat
from seatbatch.core.money import minor_unit, round_money
from test_credit_documents import checked, with_days
from test_ubl import full_invoice

D = Decimal


def _issue(env: Env, *orders: dict[str, Any], as_of: date = AS_OF) -> dict[str, Any]:
    done = env.process(env.workbook(customers=[customer()], orders=list(orders)), as_of=as_of)
    assert done.code == 0, done.stderr
    [invoice] = done.manifest["invoices"]
    return invoice  # type: ignore[no-any-return]


def _credit(env: Env, number: str, *args: str, reason: str = "wrong order",
            as_of: date = AS_OF) -> Result:
    return env.run("credit", number, "--reason", reason, *args, as_of=as_of)


def _counters(env: Env) -> list[tuple[Any, ...]]:
    return env.query("SELECT series, year, last_seq FROM counters ORDER BY series, year")


def test_a_whole_invoice_is_credited_with_its_own_amounts(env: Env) -> None:
    invoice = _issue(env, order("L1", seats=2), order("L2", device_type="Space Plus"))
    result = _credit(env, invoice["number"], reason="order placed twice")
    assert result.code == 0, result.stderr
    manifest = result.manifest
    assert (manifest["command"], manifest["status"]) == ("credit", "committed")
    [note] = manifest["invoices"]
    assert (note["number"], note["kind"], note["credits"], note["reason"]) == (
        "CN-2026-000001", "credit_note", invoice["number"], "order placed twice")
    assert (note["invoice_date"], note["customer_id"], note["po_number"]) == (
        "2026-11-24", "C-001", "PO-77")
    assert note["total"] == invoice["total"] == manifest["totals"]["net_amount"]
    for credited, issued in zip(note["lines"], invoice["lines"], strict=True):
        assert credited["action"] == "credit"
        for key in ("order_id", "subscription_id", "device_type", "seats", "period_start",
                    "period_end", "unit_price", "prorate_days", "term_days", "list_amount",
                    "term_discount", "partner_discount", "net_amount"):
            assert credited[key] == issued[key], key
    summary = (result.folder / "summary.html").read_text(encoding="utf-8")
    assert "Credit notes issued" in summary
    assert "<td>Reason</td><td>order placed twice</td>" in summary
    html = (result.folder / "invoices" / "CN-2026-000001.html").read_text(encoding="utf-8")
    assert "Credit note CN-2026-000001" in html and "order placed twice" in html
    assert f"{invoice['number']} of 2026-11-24" in html and "Due date" not in html
    assert (result.folder / "invoices" / "CN-2026-000001.xlsx").is_file()
    # the credit note is its own series; the invoices' goes on where it was
    assert _counters(env) == [("CN", 2026, 1), ("INV", 2026, 1)]
    # every seat left the subscription: nothing in force, nothing to renew
    assert env.query("SELECT device_type, sum(seats) FROM seats GROUP BY device_type "
                     "ORDER BY device_type") == [("Space Plus", 0), ("Space Pro", 0)]


def test_seats_of_one_line_from_a_date_are_priced_by_the_lines_own_price(env: Env) -> None:
    invoice = _issue(env, order("L1", seats=3))
    # the price list changes later: the credit keeps the line's own price
    env.config.write_text(env.config.read_text().replace('"150.00"', '"999.00"'))
    result = _credit(env, invoice["number"], "--line", "L1=2", "--from", "2027-11-24",
                     as_of=date(2026, 12, 1))
    assert result.code == 0, result.stderr
    [line] = result.manifest["invoices"][0]["lines"]
    days = (date(2029, 11, 23) - date(2027, 11, 24)).days + 1  # to the line's last day
    list_amount = round_money(D(2) * D("150.00") * 3 * days / 1096, "EUR")
    term = round_money(list_amount * D("0.10"), "EUR")
    partner = round_money((list_amount - term) * D("0.20"), "EUR")
    assert (line["seats"], line["period_start"], line["period_end"]) == (
        2, "2027-11-24", "2029-11-23")
    assert (line["unit_price"], line["prorate_days"], line["term_days"]) == ("150.00", days, 1096)
    assert (line["list_amount"], line["term_discount"], line["partner_discount"],
            line["net_amount"]) == (str(list_amount), str(term), str(partner),
                                    str(list_amount - term - partner))
    # the seats leave from that day on
    assert env.query("SELECT seats, effective_date FROM seats ORDER BY id") == [
        (3, "2026-11-24"), (-2, "2027-11-24")]


def test_never_more_than_was_invoiced_and_no_number_is_taken(env: Env) -> None:
    invoice = _issue(env, order("L1", seats=3))
    number = invoice["number"]
    assert _credit(env, number, "--line", "L1=2").code == 0
    before, counters = env.dump(), _counters(env)

    more = _credit(env, number, "--line", "L1=2", "--from", "2027-01-01")
    assert more.code == 1
    assert ("line L1 of invoice INV-2026-000001 has 1 of its 3 seat(s) left to credit "
            "(2 seat(s) by CN-2026-000001); 2 were asked") in more.stderr
    assert "nothing was committed" in more.stderr
    assert more.manifest["status"] == "rejected"
    assert [(r["column"], r["code"]) for r in more.manifest["rejections"]] == [
        ("--line", "credit_exceeds_invoiced")]
    assert env.dump() == before and _counters(env) == counters

    assert _credit(env, number).code == 0  # the rest: what is left of every line
    assert env.query("SELECT credit_number, seats FROM credit_lines ORDER BY 1") == [
        ("CN-2026-000001", 2), ("CN-2026-000002", 1)]
    nothing = _credit(env, number)
    assert nothing.code == 1 and "nothing is left to credit" in nothing.stderr
    assert _counters(env) == [("CN", 2026, 2), ("INV", 2026, 1)]


def test_an_invoice_number_typed_in_lower_case_is_credited_no_more_than_once(env: Env) -> None:
    """A reviewer's finding: `credit inv-2026-000001` found the invoice, but not the credit
    notes that had taken its seats, and credited it again and again."""
    invoice = _issue(env, order("L1", seats=2))
    assert _credit(env, invoice["number"]).code == 0
    again = _credit(env, invoice["number"].lower())
    assert again.code == 1 and "nothing is left to credit" in again.stderr
    assert env.query("SELECT credit_number, invoice_number, seats FROM credit_lines") == [
        ("CN-2026-000001", "INV-2026-000001", 2)]


def test_an_unknown_invoice_of_a_ledger_not_made_yet_leaves_it_unmade(env: Env) -> None:
    result = _credit(env, "INV-2026-000001")
    assert result.code == 2 and "no invoice 'INV-2026-000001'" in result.stderr
    assert not env.ledger_exists() and not list(env.out.glob("*"))


def test_each_bad_request_is_rejected_with_what_is_allowed(env: Env) -> None:
    invoice = _issue(env, order("L1"), order("L2", device_type="Space Plus"))
    number = invoice["number"]
    before = env.dump()
    unknown = _credit(env, number, "--line", "L9")
    assert unknown.code == 1
    assert "invoice INV-2026-000001 has no line 'L9'; its lines are L1, L2" in unknown.stderr
    outside = _credit(env, number, "--line", "L1", "--from", "2029-11-24")
    assert outside.code == 1
    assert ("--from 2029-11-24 is outside the service period of line L1 of invoice "
            "INV-2026-000001 (2026-11-24 to 2029-11-23)") in outside.stderr
    too_many = _credit(env, number, "--line", "L2=2")
    assert too_many.code == 1 and "has 1 of its 1 seat(s) left" in too_many.stderr
    twice = _credit(env, number, "--line", "L2=1", "--line", "L2")  # asks the sum
    assert twice.code == 1 and "has 0 of its 1 seat(s) left" in twice.stderr
    not_an_invoice = _credit(env, number, "--line", "L1")
    assert not_an_invoice.code == 0
    credit_of_a_credit = _credit(env, "CN-2026-000001")
    assert credit_of_a_credit.code == 2 and "is a credit note" in credit_of_a_credit.stderr
    before = env.dump()
    assert env.dump() == before

    for args, as_of, words in (
        (("INV-2026-000009",), AS_OF, "no invoice 'INV-2026-000009'"),
        ((number,), date(2026, 11, 23), "never before the invoice it credits"),
        ((number, "--line", "L1=0"), AS_OF, "at least 1"),
    ):
        result = env.run("credit", *args, "--reason", "x", as_of=as_of)
        assert result.code == 2 and words in result.stderr, result.stderr
    empty = env.run("credit", number, "--reason", "  ")
    assert empty.code == 2 and "--reason is empty" in empty.stderr
    assert env.dump() == before
    statuses = Counter(json.loads((f / "manifest.json").read_text())["status"]
                       for f in env.out.glob("*credit*"))
    assert statuses == {"rejected": 4, "committed": 1}  # the usage errors made no folder


def test_a_credit_note_renders_again_as_issued(env: Env) -> None:
    invoice = _issue(env, order("L1", seats=2))
    first = _credit(env, invoice["number"], "--line", "L1=1", "--from", "2027-02-01")
    assert first.code == 0, first.stderr
    again = env.run("render", "CN-2026-000001", as_of=date(2027, 1, 5))
    assert again.code == 0, again.stderr
    for name in ("CN-2026-000001.html",):
        assert (again.folder / "invoices" / name).read_text(encoding="utf-8") == (
            first.folder / "invoices" / name).read_text(encoding="utf-8")
    [entry] = again.manifest["invoices"]
    assert (entry["kind"], entry["credits"]) == ("credit_note", invoice["number"])


def test_credited_seats_no_longer_cover_devices(env: Env) -> None:
    invoice = _issue(env, order("L1", seats=2))
    assert _credit(env, invoice["number"], "--line", "L1=1").code == 0
    listed = env.process(env.workbook("devices.xlsx", customers=[customer()],
                                      devices=[device("SN-1"), device("SN-2")],
                                      orders=[order("L2", device_type="Space Plus",
                                                    subscription="S9")]))
    assert listed.code == 1
    assert [r["code"] for r in listed.manifest["rejections"]] == ["seats_short_of_devices"]


def test_renewal_leaves_out_seats_credited_in_the_latest_term(env: Env) -> None:
    start = date(2026, 12, 1)
    invoice = _issue(env, order("L1", seats=3, term_years=1, start_date=start),
                     order("L2", device_type="Space Plus", term_years=1, start_date=start),
                     as_of=start)
    assert _credit(env, invoice["number"], "--line", "L1=1", "--from", "2027-06-01",
                   as_of=date(2027, 5, 1)).code == 0
    assert _credit(env, invoice["number"], "--line", "L2", as_of=date(2027, 5, 1)).code == 0
    renewed = env.run("renew", "--month", "2027-11", as_of=date(2027, 11, 1))
    assert renewed.code == 0, renewed.stderr
    [renewal] = renewed.manifest["invoices"]
    assert [(line["device_type"], line["seats"]) for line in renewal["lines"]] == [
        ("Space Pro", 2)]
    # a credit of the term already renewed gives the seats back when that term ends
    assert _credit(env, invoice["number"], "--line", "L1=1", "--from", "2027-11-01",
                   as_of=date(2027, 11, 2)).code == 0
    assert env.query("SELECT seats, effective_date FROM seats WHERE seats <> 0 "
                     "AND effective_date >= '2027-11-01' ORDER BY id") == [
        (-1, "2027-11-01"), (1, "2027-12-01")]


def test_a_subscription_left_with_no_seats_does_not_renew(env: Env) -> None:
    start = date(2026, 12, 1)
    invoice = _issue(env, order("L1", seats=2, term_years=1, start_date=start), as_of=start)
    assert _credit(env, invoice["number"], "--from", "2027-03-01",
                   as_of=date(2027, 2, 1)).code == 0
    renewed = env.run("renew", "--month", "2027-11", as_of=date(2027, 11, 1))
    assert renewed.code == 0, renewed.stderr
    assert renewed.manifest["status"] == "nothing_due"
    assert [x["why"] for x in renewed.manifest["not_renewed"]] == [
        "no seat left to renew: every seat was credited or reduced away"]
    summary = (renewed.folder / "summary.html").read_text(encoding="utf-8")
    assert "Not renewed" in summary and "SUB-000001" in summary
    assert "1 subscription(s) ending then not renewed" in summary


def test_the_months_report_subtracts_credit_notes_and_checks_their_series(env: Env) -> None:
    invoice = _issue(env, order("L1", seats=2))
    assert _credit(env, invoice["number"], "--line", "L1=1").code == 0
    report = env.run("report", "--month", "2026-11", as_of=date(2026, 12, 1))
    assert report.code == 0, report.stderr
    manifest = report.manifest
    half = D(invoice["total"]) / 2
    assert manifest["totals"]["invoices"] == 1 and manifest["totals"]["credit_notes"] == 1
    assert manifest["totals"]["net_amount"] == str(D(invoice["total"]) - half)
    assert manifest["report"]["by_currency"]["EUR"]["credit_notes"] == 1
    assert manifest["report"]["seats_in_force"] == 1  # of the 2 invoiced, 1 credited
    assert [(c["series"], c["gapless"]) for c in manifest["report"]["numbering"]] == [
        ("CN", True), ("INV", True)]
    html = (report.folder / "report.html").read_text(encoding="utf-8")
    assert "Credit notes issued" in html and "credit note of INV-2026-000001" in html
    rows = list(load_workbook(report.folder / "report.xlsx")["Invoices"].iter_rows(
        values_only=True))
    totals = {row[0]: (row[1], row[11]) for row in rows[1:]}
    assert totals == {"INV-2026-000001": ("order", D(invoice["total"])),
                      "CN-2026-000001": ("credit_note", -half)}


# --- pricing: crediting a whole line from its first day gives back exactly its amounts ------

@given(seats=st.integers(1, 100_000),
       price=st.decimals(D("0.01"), D("99999.99"), places=2),
       term_years=st.sampled_from([1, 3, 5]),
       term_rate=st.sampled_from([D(0), D("0.10"), D("0.15"), D("0.125"), D("0.333")]),
       partner_rate=st.decimals(D(0), D("0.5"), places=3),
       days=st.integers(1, 1827),
       currency=st.sampled_from(["EUR", "JPY"]),
       configured=st.booleans())
def test_a_whole_line_from_its_first_day_gives_back_its_amounts(
        *, seats: int, price: Decimal, term_years: int, term_rate: Decimal,
        partner_rate: Decimal, days: int, currency: str, configured: bool) -> None:
    term_days = {1: 365, 3: 1096, 5: 1827}[term_years]
    days = min(days, term_days)
    amounts = line_amounts(seats, price, term_years, prorate_days=days, term_days=term_days,
                           term_rate=term_rate, partner_rate=partner_rate, currency=currency)
    last = date(2031, 1, 1)
    line = InvoiceLine("L1", "add", "SUB-000001", "Space Pro", seats, term_years,
                       last - timedelta(days=days - 1), last, price, days, term_days, amounts)
    invoice = Invoice("INV-2026-000001", date(2026, 1, 1), date(2026, 1, 31), Party("I"), "P",
                      Party("B"), "C", "Org", None, currency, partner_rate, (line,),
                      amounts.net_amount)
    # the rate configured for the term today (maybe not the one the line was priced at)
    rates = {term_years: term_rate if configured else D("0.2")}
    credited = credit_line(invoice, line, seats, line.period_start, rates)
    assert credited.amounts == amounts
    assert (credited.prorate_days, credited.term_days) == (days, term_days)


def test_an_invoice_issued_without_vat_is_credited_without_an_e_invoice(sample_env: Env) -> None:
    """Issued before [tax] was configured: its credit note has no VAT either, and is written
    as every format but the e-invoice, which it cannot be (as `render` writes that invoice)."""
    env = sample_env
    with_tax = env.config.read_text(encoding="utf-8")
    env.config.write_text(CONFIG, encoding="utf-8")
    invoice = _issue(env, order("L1"))
    env.config.write_text(with_tax, encoding="utf-8")
    result = _credit(env, invoice["number"])
    assert result.code == 0, result.stderr
    [note] = result.manifest["invoices"]
    assert "vat" not in note and "ubl" not in note["files"]
    assert [w["code"] for w in result.manifest["warnings"]] == ["no_einvoice"]


def test_an_invoice_without_vat_is_not_credited_when_only_e_invoices_are_written(
        sample_env: Env) -> None:
    """Its credit note could be no e-invoice, the only format configured: nothing would be
    written. Exit 2 as `render` says it, before anything is committed or numbered."""
    env = sample_env
    with_tax = env.config.read_text(encoding="utf-8")
    env.config.write_text(CONFIG, encoding="utf-8")
    invoice = _issue(env, order("L1"))
    env.config.write_text(re.sub(r"(?m)^formats = .*$", 'formats = ["ubl"]', with_tax),
                          encoding="utf-8")
    before, counters = env.dump(), _counters(env)
    result = _credit(env, invoice["number"])
    assert result.code == 2
    assert ("the credit note of INV-2026-000001 was issued without VAT: it cannot be an "
            "e-invoice, the only format configured") in result.stderr
    assert env.dump() == before and _counters(env) == counters


def test_credit_notes_are_numbered_forwards_in_time(env: Env) -> None:
    """Part I's date rule holds for the credit-note series: none dated before the last."""
    invoice = _issue(env, order("L1", seats=3))
    assert _credit(env, invoice["number"], "--line", "L1=1", as_of=date(2026, 12, 1)).code == 0
    before = env.dump()
    back = _credit(env, invoice["number"], "--line", "L1=1", as_of=date(2026, 11, 30))
    assert back.code == 2
    assert "credit note CN-2026-000001 of this series is already dated 2026-12-01" in back.stderr
    assert env.dump() == before


def test_a_ledger_with_credit_notes_is_copied_whole(env: Env) -> None:
    invoice = _issue(env, order("L1", seats=3))
    first = _credit(env, invoice["number"], "--line", "L1=2", "--from", "2027-01-01")
    assert first.code == 0, first.stderr
    target = env.root / "copy.db"
    copied = env.run("ledger", "copy", env.ledger_url, str(target), as_of=None, common=False)
    assert copied.code == 0, copied.stderr
    again = env.run("render", "CN-2026-000001", "--config", str(env.config), "--ledger",
                    str(target), "--out", str(env.out), common=False)
    assert again.code == 0, again.stderr
    name = "invoices/CN-2026-000001.html"
    assert (again.folder / name).read_text(encoding="utf-8") == (
        first.folder / name).read_text(encoding="utf-8")
    more = env.run("credit", invoice["number"], "--reason", "x", "--line", "L1=2",
                   "--config", str(env.config), "--ledger", str(target), "--out",
                   str(env.out), "--as-of", AS_OF.isoformat(), common=False)
    assert more.code == 1 and "has 1 of its 3 seat(s) left" in more.stderr


def test_a_renewal_line_is_named_by_its_place_on_the_invoice(env: Env) -> None:
    start = date(2026, 12, 1)
    _issue(env, order("L1", seats=2, term_years=1, start_date=start), as_of=start)
    renewed = env.run("renew", "--month", "2027-11", as_of=date(2027, 11, 1))
    assert renewed.code == 0, renewed.stderr
    [renewal] = renewed.manifest["invoices"]
    wrong = _credit(env, renewal["number"], "--line", "L1", as_of=date(2027, 11, 2))
    assert wrong.code == 1 and "its lines are 1" in wrong.stderr
    result = _credit(env, renewal["number"], "--line", "1", as_of=date(2027, 11, 2))
    assert result.code == 0, result.stderr
    [line] = result.manifest["invoices"][0]["lines"]
    assert (line["order_id"], line["seats"], line["net_amount"]) == (
        None, 2, renewal["lines"][0]["net_amount"])
    # the renewed term was the subscription's latest: nothing is left to renew
    assert env.run("renew", "--month", "2028-11", as_of=date(2028, 11, 1)).manifest[
        "status"] == "nothing_due"


# --- never more than was invoiced, to the cent: any sequence of partial credits ----------------

_TERM_DAYS = {1: 365, 3: 1096, 5: 1827}


@st.composite
def _invoice_line(draw: st.DrawFn, order_id: str, currency: str, partner_rate: Decimal,
                  term_rate: Decimal) -> InvoiceLine:
    term_years = draw(st.sampled_from([1, 3, 5]))
    term_days = _TERM_DAYS[term_years]
    days = draw(st.integers(1, term_days))
    seats = draw(st.integers(1, 12))
    price = draw(st.decimals(D("0.01"), D("9999.99"), places=2))
    amounts = line_amounts(seats, price, term_years, prorate_days=days, term_days=term_days,
                           term_rate=term_rate, partner_rate=partner_rate, currency=currency)
    last = date(2031, 1, 1)
    return InvoiceLine(order_id, "add", "SUB-000001", "Space Pro", seats, term_years,
                       last - timedelta(days=days - 1), last, price, days, term_days, amounts)


@st.composite
def _invoice(draw: st.DrawFn) -> Invoice:
    currency = draw(st.sampled_from(["EUR", "JPY"]))
    partner_rate = draw(st.decimals(D(0), D("0.5"), places=3))
    term_rate = draw(st.sampled_from([D(0), D("0.10"), D("0.125"), D("0.333")]))
    count = draw(st.integers(1, 3))
    lines = tuple(draw(_invoice_line(f"L{n}", currency, partner_rate, term_rate))
                  for n in range(1, count + 1))
    total = sum((line.net_amount for line in lines), D(0))
    rate = draw(st.sampled_from([D("0.25"), D("0.19"), D("0.077"), D("0.055")]))
    vat = Vat("domestic", "S", rate, total, round_money(total * rate, currency), "")
    return Invoice("INV-2026-000001", date(2026, 1, 1), date(2026, 1, 31), Party("I"), "P",
                   Party("B"), "C", "Org", None, currency, partner_rate, lines, total, vat=vat)


def _credit_all(invoice: Invoice, asked: list[tuple[int, int, int]]) -> list[Invoice]:
    """Credit notes of `asked` (line, seats, days after its first day) one after the other,
    each planned against the ones before as `seatbatch credit` plans it; a credit of more
    seats than are left takes what is left, one from outside the period its last day."""
    notes: list[Invoice] = []
    taken: list[Taken] = []
    for index, seats, offset in asked:
        position = index % len(invoice.lines) + 1
        line = invoice.lines[position - 1]
        left = line.seats - sum(t.seats for t in taken if t.position == position)
        if not left:
            continue
        first = min(line.period_start + timedelta(days=offset), line.period_end)
        refunded = Refunded(sum((n.total for n in notes), D(0)),
                            sum((n.vat.amount for n in notes if n.vat), D(0)))
        plan = plan_credit(invoice, [(f"L{position}", min(seats, left))], first, taken, RATES,
                           refunded=refunded)
        assert not plan.problems
        number = f"CN-2026-{len(notes) + 1:06d}"
        notes.append(credit_note(invoice, plan, number=number, credit_date=date(2026, 2, 1),
                                 reason="x"))
        taken += [Taken(c.position, c.seats, number, c.first_day) for c in plan.lines]
    return notes


RATES = {1: D(0), 3: D("0.10"), 5: D("0.125")}


@given(invoice=_invoice(),
       asked=st.lists(st.tuples(st.integers(0, 2), st.integers(1, 12), st.integers(0, 1900)),
                      max_size=12))
def test_partial_credits_never_give_back_more_than_was_invoiced(
        *, invoice: Invoice, asked: list[tuple[int, int, int]]) -> None:
    notes = _credit_all(invoice, asked)
    for position, line in enumerate(invoice.lines, start=1):
        credited = [c for note in notes for c in note.lines if c.order_id == line.order_id]
        for field in LineAmounts._fields:
            amounts = [getattr(c, field) for c in credited]
            assert all(a >= 0 for a in amounts), (field, amounts)
            assert sum(amounts, D(0)) <= getattr(line, field), (position, field)
    assert sum((n.total for n in notes), D(0)) <= invoice.total
    assert invoice.vat is not None
    vats = [n.vat.amount for n in notes if n.vat]
    assert all(v >= 0 for v in vats) and sum(vats, D(0)) <= invoice.vat.amount
    quantum = D(1).scaleb(-minor_unit(invoice.currency))
    for note in notes:  # each within one minor unit of its own net x rate (EN 16931 allows)
        assert note.vat is not None
        assert abs(note.vat.amount - note.total * note.vat.rate) < quantum


@given(invoice=_invoice(),
       asked=st.lists(st.tuples(st.integers(0, 2), st.integers(1, 12)), max_size=12))
def test_every_seat_credited_from_the_first_day_gives_back_exactly_what_was_invoiced(
        *, invoice: Invoice, asked: list[tuple[int, int]]) -> None:
    """In any number of credit notes, ending with one of whatever is left of every line."""
    notes = _credit_all(invoice, [(index, seats, 0) for index, seats in asked]
                        + [(index, 12, 0) for index in range(len(invoice.lines))])
    for line in invoice.lines:
        credited = [c for note in notes for c in note.lines if c.order_id == line.order_id]
        assert sum(c.seats for c in credited) == line.seats
        assert LineAmounts(*(sum((getattr(c, f) for c in credited), D(0))
                             for f in LineAmounts._fields)) == line.amounts
    assert invoice.vat is not None
    assert sum((n.total for n in notes), D(0)) == invoice.total
    assert sum((n.vat.amount for n in notes if n.vat), D(0)) == invoice.vat.amount


def test_a_line_credited_a_seat_at_a_time_gives_back_what_it_cost(env: Env) -> None:
    """The reviewer's case: 3 seats added for 100 of 365 days (98.63 net); one seat of 32.877
    rounds to 32.88, three credits of one seat gave back 98.64."""
    start = date(2026, 11, 24)
    _issue(env, order("L1", seats=1, term_years=1, start_date=start), as_of=start)
    added = env.process(env.workbook("a.xlsx", orders=[order(
        "A1", action="add", subscription="SUB-000001", seats=3, term_years=None,
        start_date=date(2027, 8, 16), po_number=None)]), as_of=date(2026, 11, 25))
    assert added.code == 0, added.stderr
    [invoice] = added.manifest["invoices"]
    [line] = invoice["lines"]
    assert (line["prorate_days"], line["net_amount"]) == (100, "98.63")
    nets = []
    for _ in range(3):
        credited = _credit(env, invoice["number"], "--line", "A1=1", as_of=date(2026, 11, 26))
        assert credited.code == 0, credited.stderr
        nets.append(D(credited.manifest["invoices"][0]["total"]))
    assert sum(nets) == D(invoice["total"]) == D("98.63")
    assert sorted(nets) == [D("32.87"), D("32.88"), D("32.88")]
    # as the ledger keeps them: every amount of the line given back, no more
    rows = env.query("SELECT list_amount, term_discount, partner_discount, net_amount "
                     "FROM invoice_lines WHERE invoice_number LIKE 'CN-%'")
    assert [sum((D(row[n]) for row in rows), D(0)) for n in range(4)] == [
        D(line[key]) for key in ("list_amount", "term_discount", "partner_discount",
                                 "net_amount")]


@needs_rules
@pytest.mark.parametrize("currency", ["EUR", "JPY"])
def test_a_credit_note_whose_vat_is_priced_cumulatively_passes_the_official_rules(
        currency: str) -> None:
    """Its VAT is the invoice's rounded VAT of all that is credited less that of what was
    before: a minor unit off its own net x rate, which EN 16931 (BR-CO-17) allows."""
    invoice = with_days(full_invoice("domestic", currency))
    assert invoice.vat is not None
    line, rate = invoice.lines[0], invoice.vat.rate
    unit = D(1).scaleb(-minor_unit(currency))

    def drifts(plan: CreditPlan, before: Decimal) -> bool:
        net = plan.lines[0].line.net_amount
        return round_money((before + net) * rate, currency) - round_money(
            before * rate, currency) != round_money(net * rate, currency)

    plan, before = next(
        (plan, n * unit) for days in range(line.prorate_days)
        if not (plan := plan_credit(invoice, [(line_ids(invoice.lines)[0], 1)],
                                    line.period_start + timedelta(days=days), [], RATES)
                ).problems
        for n in range(1, 100) if drifts(plan, n * unit))
    refunded = Refunded(before, round_money(before * rate, currency))
    note = credit_note(invoice, replace(plan, refunded=refunded), number="CN-2027-000002",
                       credit_date=date(2027, 1, 15), reason="x")
    assert note.vat is not None
    assert note.vat.amount != round_money(note.total * rate, currency)
    checked(note)
# --- seats counted on the day they are in force (a reviewer's finding) ---------------------

def _five_devices(env: Env, as_of: date) -> Result:
    """A workbook listing the customer's 5 Space Pro devices (and buying something else)."""
    return env.process(env.workbook(
        f"devices-{as_of}.xlsx", customers=[customer()],
        devices=[device(f"SN-{n}") for n in range(5)],
        orders=[order(f"P-{as_of}", device_type="Space Plus", subscription="S9")]), as_of=as_of)


def test_seats_credited_from_a_later_day_still_cover_devices_until_then(env: Env) -> None:
    invoice = _issue(env, order("L1", seats=5, term_years=1))
    assert _credit(env, invoice["number"], "--line", "L1=5", "--from", "2027-06-01").code == 0
    listed = _five_devices(env, date(2026, 11, 25))  # all 5 in force until 2027-05-31
    assert listed.code == 0, listed.stderr
    template = env.run("template", str(env.root / "t.xlsx"), "--partner", "P-ACME",
                       as_of=date(2026, 11, 25))
    assert template.code == 0, template.stderr
    rows = list(load_workbook(env.root / "t.xlsx")["Subscriptions"].iter_rows(values_only=True))
    assert "Space Pro: 5" in [cell for row in rows for cell in row]


def test_seats_credited_after_an_early_renewal_cover_no_devices(env: Env) -> None:
    start = date(2026, 1, 15)
    invoice = _issue(env, order("L1", seats=5, term_years=1, start_date=start), as_of=start)
    renewed = env.run("renew", "--month", "2027-01", as_of=date(2026, 12, 5))
    assert renewed.code == 0, renewed.stderr
    # the whole invoice credited from 2026-12-06: the seats come back on 2027-01-15
    assert _credit(env, invoice["number"], "--from", "2026-12-06",
                   as_of=date(2026, 12, 6)).code == 0
    listed = _five_devices(env, date(2026, 12, 10))
    assert listed.code == 1
    [rejection] = listed.manifest["rejections"]
    assert rejection["code"] == "seats_short_of_devices"
    assert "but only 0 seat(s) in force on 2026-12-10" in rejection["message"]
    report = env.run("report", "--month", "2026-12", as_of=date(2026, 12, 10))
    assert report.code == 0, report.stderr
    assert report.manifest["report"]["seats_in_force"] == 0


def test_the_template_says_which_listed_devices_credited_seats_no_longer_cover(env: Env) -> None:
    """Sent back as it is, a pre-filled Devices sheet listing devices whose seats were credited
    away would be rejected for coverage: the Instructions sheet says so before it is sent."""
    done = env.process(env.workbook(customers=[customer()], orders=[order("L1", seats=2)],
                                    devices=[device("SN-1"), device("SN-2")]))
    assert done.code == 0, done.stderr
    [invoice] = done.manifest["invoices"]
    assert _credit(env, invoice["number"], "--line", "L1=1").code == 0
    path = env.root / "t.xlsx"
    assert env.run("template", path, "--partner", "P-ACME").code == 0
    texts = [str(c.value) for c in load_workbook(path)["Instructions"]["B"] if c.value]
    assert ("C-001 has 2 Space Pro device(s) listed in Devices but 1 seat(s) in force: delete "
            "the rows of devices no longer deployed, or order seats, before sending this "
            "workbook") in texts
# --- what is left of a line after a credit from a date (a newcomer's finding) ---------------

def _nord(env: Env, *orders: dict[str, Any], as_of: date) -> dict[str, Any]:
    """An invoice of the sample's Norwegian partner (NOK, 25 % VAT), written as workbook,
    HTML and e-invoice."""
    env.config.write_text(re.sub(r"(?m)^formats = .*$", 'formats = ["xlsx", "html", "ubl"]',
                                 env.config.read_text(encoding="utf-8")), encoding="utf-8")
    done = env.process(env.workbook(customers=[customer()], orders=list(orders)),
                       partner="P-NORD", as_of=as_of)
    assert done.code == 0, done.stderr
    [invoice] = done.manifest["invoices"]
    return invoice  # type: ignore[no-any-return]


def _in_force(env: Env, day: date) -> dict[str, int]:
    """Seats in force on `day` as the ledger's seat rows add up, by device type."""
    return {device_type: int(n) for device_type, n in env.query(
        "SELECT device_type, sum(seats) FROM seats WHERE effective_date <= "
        f"'{day.isoformat()}' GROUP BY device_type ORDER BY device_type")}


def test_a_credit_after_a_credit_from_a_date_gives_back_everything_left(
        sample_env: Env) -> None:
    """The newcomer's sequence: 1 seat of N-5002 credited from 2027-01-15, then the invoice
    (no --line): what was left of N-5002, its seat from the line's first day to 2027-01-14,
    is credited too, as a line of its own period; the notes give back the invoice exactly."""
    env = sample_env
    start, later = date(2026, 12, 3), date(2027, 1, 15)
    invoice = _nord(env, order("L1", seats=3, term_years=1, start_date=start),
                    order("N-5002", device_type="Space Plus", term_years=1, start_date=start),
                    as_of=start)
    number = invoice["number"]
    first = _credit(env, number, "--line", "N-5002=1", "--from", later.isoformat(),
                    as_of=date(2026, 12, 10))
    assert first.code == 0, first.stderr
    rest = _credit(env, number, as_of=date(2026, 12, 10))
    assert rest.code == 0, rest.stderr
    [note] = rest.manifest["invoices"]
    assert [(line["order_id"], line["seats"], line["period_start"], line["period_end"])
            for line in note["lines"]] == [
        ("L1", 3, "2026-12-03", "2027-12-02"), ("N-5002", 1, "2026-12-03", "2027-01-14")]
    notes = [first.manifest["invoices"][0], note]
    assert sum(D(n["total"]) for n in notes) == D(invoice["total"])
    assert sum(D(n["vat"]["amount"]) for n in notes) == D(invoice["vat"]["amount"])
    assert sum(D(n["payable"]) for n in notes) == D(invoice["payable"])
    # the ledger keeps each credit line's days; nothing is left, on any day
    assert env.query("SELECT credit_number, invoice_position, seats, from_date, to_date "
                     "FROM credit_lines ORDER BY credit_number, position") == [
        ("CN-2026-000001", 2, 1, "2027-01-15", "2027-12-02"),
        ("CN-2026-000002", 1, 3, "2026-12-03", "2027-12-02"),
        ("CN-2026-000002", 2, 1, "2026-12-03", "2027-01-14")]
    nothing = _credit(env, number, as_of=date(2026, 12, 10))
    assert nothing.code == 1 and "nothing is left to credit" in nothing.stderr
    for day in (start, later - timedelta(days=1), later, date(2027, 12, 2)):
        assert _in_force(env, day) == {"Space Plus": 0, "Space Pro": 0}, day
    renewed = env.run("renew", "--month", "2027-12", as_of=date(2027, 11, 1))
    assert renewed.code == 0 and renewed.manifest["status"] == "nothing_due"
    # every format shows the credit line's own period
    html = (rest.folder / "invoices" / f"{note['number']}.html").read_text(encoding="utf-8")
    assert "2026-12-03 \u2013</span> <span class=\"nowrap\">2027-01-14" in html
    ubl = (rest.folder / "invoices" / f"{note['number']}.xml").read_text(encoding="utf-8")
    assert "<cbc:EndDate>2027-01-14</cbc:EndDate>" in ubl
    cells = [c for row in load_workbook(rest.folder / "invoices" / f"{note['number']}.xlsx")
             .active.iter_rows(values_only=True) for c in row]
    assert date(2027, 1, 14) in [c.date() if hasattr(c, "date") else c for c in cells]


def test_what_is_left_of_one_line_is_credited_in_segments_and_seats_come_back(
        env: Env) -> None:
    """`--line L` credits what is left of L: 3 seats, 1 credited from a date, leave 2 seats
    over the whole period and 1 before that date; a credit of a part before a day leaves its
    seats in force again from that day, as the line billed them."""
    invoice = _issue(env, order("L1", seats=3, term_years=1))
    number, middle = invoice["number"], date(2027, 3, 1)
    assert _credit(env, number, "--line", "L1=1", "--from", "2027-06-01").code == 0
    assert _in_force(env, date(2027, 5, 31)) == {"Space Pro": 3}
    assert _in_force(env, date(2027, 6, 1)) == {"Space Pro": 2}
    rest = _credit(env, number, "--line", "L1", "--from", middle.isoformat())
    assert rest.code == 0, rest.stderr
    assert [(line["seats"], line["period_start"], line["period_end"])
            for line in rest.manifest["invoices"][0]["lines"]] == [
        (2, "2027-03-01", "2027-11-23"), (1, "2027-03-01", "2027-05-31")]
    assert _in_force(env, middle - timedelta(days=1)) == {"Space Pro": 3}
    for day in (middle, date(2027, 6, 1), date(2027, 11, 23)):
        assert _in_force(env, day) == {"Space Pro": 0}, day
    last = _credit(env, number)  # the rest: every seat before 2027-03-01
    assert last.code == 0, last.stderr
    assert [(line["seats"], line["period_start"], line["period_end"])
            for line in last.manifest["invoices"][0]["lines"]] == [
        (3, "2026-11-24", "2027-02-28")]
    nets = [D(r.manifest["invoices"][0]["total"]) for r in (rest, last)]
    first_net = D(env.query("SELECT total FROM invoices WHERE number = 'CN-2026-000001'")[0][0])
    assert first_net + sum(nets) == D(invoice["total"])
    assert _in_force(env, AS_OF) == {"Space Pro": 0}


def test_seats_asked_from_a_day_are_refused_naming_what_is_left_on_which_days(
        env: Env) -> None:
    invoice = _issue(env, order("L1", seats=3, term_years=1))
    number = invoice["number"]
    assert _credit(env, number, "--line", "L1=2", "--from", "2027-06-01").code == 0
    before = env.dump()
    more = _credit(env, number, "--line", "L1=2", "--from", "2027-03-01")
    assert more.code == 1
    assert ("line L1 of invoice INV-2026-000001 has 1 of its 3 seat(s) left to credit from "
            "2027-06-01 to 2027-11-23 and 3 from 2027-03-01 to 2027-05-31 (2 seat(s) by "
            "CN-2026-000001); 2 were asked") in more.stderr
    assert env.dump() == before
    # asked within what is left on each of its days: taken
    assert _credit(env, number, "--line", "L1=1", "--from", "2027-03-01").code == 0
    nothing = _credit(env, number, "--from", "2027-06-01")
    assert nothing.code == 1
    assert ("every seat of invoice INV-2026-000001 was credited already from 2027-06-01 on "
            "(2 seat(s) by CN-2026-000001, 1 seat(s) by CN-2026-000002); nothing is left to "
            "credit") in nothing.stderr
    rest = _credit(env, number)
    assert rest.code == 0, rest.stderr
    assert [(line["seats"], line["period_start"], line["period_end"])
            for line in rest.manifest["invoices"][0]["lines"]] == [
        (2, "2026-11-24", "2027-05-31"), (1, "2026-11-24", "2027-02-28")]


_Step = tuple[int | None, int | None, int]  # line (None: every line), seats (None: what is
# left), days after the line's first day of the first day credited


def _seats_by_day(invoice: Invoice, notes: list[Invoice]) -> list[list[int]]:
    """Per invoice line, the seats the credit notes credited on each day of its period,
    counted day by day."""
    counted = [[0] * ((line.period_end - line.period_start).days + 1) for line in invoice.lines]
    for note in notes:
        for credited in note.lines:
            [position] = [n for n, line in enumerate(invoice.lines)
                          if line.order_id == credited.order_id]
            start = invoice.lines[position].period_start
            for n in range((credited.period_start - start).days,
                           (credited.period_end - start).days + 1):
                counted[position][n] += credited.seats
    return counted


@given(invoice=_invoice(),
       steps=st.lists(st.tuples(st.none() | st.integers(0, 2), st.none() | st.integers(1, 12),
                                st.integers(0, 1900)), max_size=8))
def test_any_partial_credits_then_the_rest_give_back_exactly_what_was_invoiced(
        *, invoice: Invoice, steps: list[_Step]) -> None:
    """Credits of seats from a date, of what is left of a line from a date, of what is left
    of every line from a date, in any order, some refused; then one of whatever is left: no
    day of a line is ever credited more seats than it has, a refusal is one, and in the end
    every seat of every day is credited and the notes give back the invoice to the cent."""
    notes: list[Invoice] = []
    taken: list[Taken] = []

    def credit(asked: list[tuple[str, int | None]], first: date | None) -> None:
        refunded = Refunded(sum((n.total for n in notes), D(0)),
                            sum((n.vat.amount for n in notes if n.vat), D(0)))
        plan = plan_credit(invoice, asked, first, taken, RATES, refunded=refunded)
        if plan.problems:
            return
        number = f"CN-2026-{len(notes) + 1:06d}"
        notes.append(credit_note(invoice, plan, number=number, credit_date=date(2026, 2, 1),
                                 reason="x"))
        taken.extend(Taken(c.position, c.seats, number, c.first_day, c.last_day)
                     for c in plan.lines)

    for index, seats, offset in steps:
        line = invoice.lines[(index or 0) % len(invoice.lines)]
        first = min(line.period_start + timedelta(days=offset), line.period_end)
        before = _seats_by_day(invoice, notes)
        asked = [] if index is None else [(f"L{index % len(invoice.lines) + 1}", seats)]
        count = len(notes)
        credit(asked, first)
        if index is not None and seats is not None:  # refused when a day has fewer left
            position = index % len(invoice.lines)
            days = before[position][(first - line.period_start).days:]
            assert (len(notes) == count) == any(line.seats - n < seats for n in days)
        for line, days in zip(invoice.lines, _seats_by_day(invoice, notes), strict=True):
            assert max(days) <= line.seats
    credit([], None)
    for line, days in zip(invoice.lines, _seats_by_day(invoice, notes), strict=True):
        assert days == [line.seats] * len(days)
        credited = [c for note in notes for c in note.lines if c.order_id == line.order_id]
        assert all(a >= 0 for c in credited for a in c.amounts)
        assert LineAmounts(*(sum((getattr(c, f) for c in credited), D(0))
                             for f in LineAmounts._fields)) == line.amounts
    assert invoice.vat is not None
    assert sum((n.total for n in notes), D(0)) == invoice.total
    assert sum((n.vat.amount for n in notes if n.vat), D(0)) == invoice.vat.amount


def test_a_credit_kept_before_credit_lines_had_a_last_day_runs_to_the_lines_end(
        env: Env) -> None:
    """A ledger of schema version 6 kept no last day: upgraded, its credit lines run to their
    invoice line's last day, and what is left around them is credited in full."""
    invoice = _issue(env, order("L1", seats=3, term_years=1))
    number = invoice["number"]
    assert _credit(env, number, "--line", "L1=1", "--from", "2027-06-01").code == 0
    with env.database().begin() as connection:  # the ledger as version 6 left it
        connection.execute(text("ALTER TABLE credit_lines DROP COLUMN to_date"))
        connection.execute(text("DELETE FROM schema_migrations WHERE version >= 7"))
    upgraded = env.run("ledger", "upgrade")
    assert upgraded.code == 0, upgraded.stderr
    assert env.query("SELECT seats, from_date, to_date FROM credit_lines") == [
        (1, "2027-06-01", None)]
    rest = _credit(env, number)
    assert rest.code == 0, rest.stderr
    assert [(line["seats"], line["period_start"], line["period_end"])
            for line in rest.manifest["invoices"][0]["lines"]] == [
        (2, "2026-11-24", "2027-11-23"), (1, "2026-11-24", "2027-05-31")]
    totals = env.query("SELECT total FROM invoices WHERE kind = 'credit_note'")
    assert sum(D(total) for (total,) in totals) == D(invoice["total"])


def test_seats_credited_in_segments_leave_coverage_and_renewal_on_their_days(env: Env) -> None:
    """Seats in force as a run sees them (coverage, renewal): 2 of 5 seats credited from
    2027-06-01, then what is left from 2027-03-01 (3 seats to the line's end, 2 to 2027-05-31):
    all 5 still cover devices on 2027-02-28, none from 2027-03-01, and nothing renews."""
    invoice = _issue(env, order("L1", seats=5, term_years=1))
    number = invoice["number"]
    assert _credit(env, number, "--line", "L1=2", "--from", "2027-06-01").code == 0
    rest = _credit(env, number, "--line", "L1", "--from", "2027-03-01")
    assert rest.code == 0, rest.stderr
    assert [(line["seats"], line["period_start"], line["period_end"])
            for line in rest.manifest["invoices"][0]["lines"]] == [
        (3, "2027-03-01", "2027-11-23"), (2, "2027-03-01", "2027-05-31")]
    assert _five_devices(env, date(2027, 2, 28)).code == 0
    for day in (date(2027, 3, 1), date(2027, 6, 1)):
        listed = _five_devices(env, day)
        assert listed.code == 1
        [rejection] = listed.manifest["rejections"]
        assert f"but only 0 seat(s) in force on {day.isoformat()}" in rejection["message"]
    renewed = env.run("renew", "--month", "2027-11", as_of=date(2027, 11, 1))
    assert renewed.code == 0 and renewed.manifest["status"] == "nothing_due"
