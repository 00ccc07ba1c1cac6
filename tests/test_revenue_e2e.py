"""Month-end revenue checked as finance would (issue 16, item 4): `report` for every month of a
1-year and of a 3-year subscription's life, with mid-term adds (one backdated), partial credit
notes (one from a later day, one backdated), in NOK with VAT and in EUR without; the months'
revenue adds up to the net of every document, to the cent, and each month's deferred revenue
is what was invoiced less credited less recognised through it."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

import lxml.html
import openpyxl
import pytest

from conftest import ROOT, Env, customer, found, ok, order
from seatbatch.core.terms import month_label, next_month

D = Decimal
CONFIG = (ROOT / "tests" / "data" / "part2.toml").read_text(encoding="utf-8").replace(
    'formats = ["xlsx", "html", "pdf", "ubl"]', 'formats = ["xlsx", "html"]')
FIRST_MONTH, LAST_MONTH = (2026, 1), (2029, 4)


def _issued(env: Env, partner: str, as_of: date, *orders: dict[str, Any]) -> list[str]:
    """The numbers of what a run issued, and the subscriptions its lines created."""
    name = f"{partner}-{as_of.isoformat()}.xlsx"
    manifest = ok(env.process(env.workbook(name, customers=[customer("K-1")],
                                            orders=list(orders)), partner, as_of=as_of))
    return [line["subscription_id"] for invoice in manifest["invoices"]
            for line in invoice["lines"]]


def _credit(env: Env, number: str, line: str, first_day: date, as_of: date) -> None:
    ok(env.run("credit", number, "--reason", "seats returned", "--line", line,
                "--from", first_day.isoformat(), as_of=as_of))


def _life(env: Env) -> None:
    """Two subscriptions of P-NORD (NOK, 25 % VAT) and one of P-ACME (EUR, export)."""
    env.config.write_text(CONFIG, encoding="utf-8")
    # a 1-year term from the run date, and a 3-year one backdated into January
    one_year, three_year = _issued(
        env, "P-NORD", date(2026, 2, 20),
        order("N1", customer_id="K-1", subscription="S1", seats=3, term_years=1,
              start_date=date(2026, 2, 20)),
        order("N2", customer_id="K-1", subscription="S3", device_type="Space Plus", seats=4,
              term_years=3, start_date=date(2026, 1, 15)))
    _issued(env, "P-ACME", date(2026, 3, 14),
            order("E1", customer_id="K-1", seats=2, term_years=3, start_date=date(2026, 3, 14)))
    # mid-term adds: one from a later day, one backdated into May
    _issued(env, "P-NORD", date(2026, 6, 10),
            order("A1", customer_id="K-1", action="add", subscription=one_year, seats=2,
                  term_years=None, start_date=date(2026, 7, 1), po_number=None),
            order("A2", customer_id="K-1", action="add", subscription=three_year, seats=1,
                  term_years=None, start_date=date(2026, 5, 1), po_number=None))
    # partial credits: 2 of N2's 4 seats from October; 1 of A1's from December, backdated
    _credit(env, "INV-2026-000001", "N2=2", date(2026, 10, 1), as_of=date(2026, 9, 15))
    _credit(env, "INV-2026-000003", "A1=1", date(2026, 12, 1), as_of=date(2027, 2, 3))
    _credit(env, "INV-2026-000002", "E1=1", date(2027, 3, 14), as_of=date(2027, 2, 3))


def _months() -> list[tuple[int, int]]:
    found, month = [], FIRST_MONTH
    while month <= LAST_MONTH:
        found.append(month)
        month = next_month(*month)
    return found


def test_every_month_of_the_subscriptions_life_adds_up_to_every_document_to_the_cent(
        env: Env) -> None:
    _life(env)
    documents: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(lambda: defaultdict(D))
    for partner, currency, kind, total, vat in env.query(
            "SELECT partner_id, currency, kind, total, vat_amount FROM invoices"):
        figures = documents[partner, currency]
        figures["credited" if kind == "credit_note" else "invoiced"] += D(total)
        figures["vat"] += D(vat or 0) * (-1 if kind == "credit_note" else 1)
    assert set(documents) == {("P-ACME", "EUR"), ("P-NORD", "NOK")}
    assert env.count("invoices") == 6  # three runs' invoices, three credit notes

    running: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(lambda: defaultdict(D))
    deferred_seen: dict[tuple[str, str], list[Decimal]] = defaultdict(list)
    for year, month in _months():
        result = env.run("report", "--month", month_label(year, month),
                         as_of=date(*next_month(year, month), 1))
        rows = {(r["partner_id"], r["currency"]): r for r in ok(result)["revenue"]}
        assert list(rows) == sorted(rows, key=lambda key: (key[1], key[0]))
        for key in documents:
            row = rows.get(key)
            figures = running[key]
            for name in ("invoiced_net", "credited_net", "vat", "recognised"):
                figures[name] += D(row[name]) if row else D(0)
            deferred = D(row["deferred"]) if row else D(0)
            # the contract liability: invoiced less credited less recognised, cumulatively
            assert deferred == (figures["invoiced_net"] - figures["credited_net"]
                                - figures["recognised"]), (year, month, key)
            by_year = {int(y): D(a) for y, a in (row["deferred_by_year"] if row else {}).items()}
            assert sum(by_year.values(), D(0)) == deferred
            assert all(y >= year for y in by_year)
            deferred_seen[key].append(deferred)
    for key, figures in documents.items():
        got = running[key]
        assert got["invoiced_net"] == figures["invoiced"]
        assert got["credited_net"] == figures["credited"]
        assert got["vat"] == figures["vat"]
        # over the whole life: exactly the net of every document, credit notes less
        assert got["recognised"] == figures["invoiced"] - figures["credited"], key
        assert deferred_seen[key][-1] == 0
    assert max(deferred_seen["P-NORD", "NOK"]) > 0 and running["P-NORD", "NOK"]["vat"] > 0


def test_the_revenue_sheet_and_section_show_the_manifests_figures(env: Env) -> None:
    _life(env)
    result = env.run("report", "--month", "2027-02", as_of=date(2027, 3, 1))
    entries = ok(result)["revenue"]
    assert [(e["partner_id"], e["currency"]) for e in entries] == [("P-ACME", "EUR"),
                                                                  ("P-NORD", "NOK")]
    acme, nord = entries
    assert acme["credited_net"] != "0.00" and nord["credited_net"] != "0.00"
    credited = dict(env.query("SELECT number, total FROM invoices WHERE kind = 'credit_note'"))
    assert (acme["credited_net"], nord["credited_net"]) == (credited["CN-2027-000002"],
                                                            credited["CN-2027-000001"])

    book = openpyxl.load_workbook(result.folder / "report.xlsx", data_only=True)
    sheet = book["Revenue"]
    header = [cell.value for cell in sheet[1]]
    assert header[:9] == ["Partner", "Partner name", "Currency", "Invoiced net",
                          "Credited net", "VAT", "Payable", "Recognised",
                          "Deferred at month end"]
    assert header[9:] == [f"Deferred, earned in {year}" for year in (2027, 2028, 2029)]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [row[:3] for row in rows] == [
        ("P-ACME", "Acme Facilities Ltd", "EUR"), ("Total", "All partners, EUR", "EUR"),
        ("P-NORD", "Nordlys Bygg AS", "NOK"), ("Total", "All partners, NOK", "NOK")]
    for entry, row in zip(entries, rows[::2], strict=True):
        shown = [D(str(value)) for value in row[3:]]
        expected = [D(entry[name]) for name in ("invoiced_net", "credited_net", "vat")]
        expected.append(expected[0] - expected[1] + expected[2])  # payable, credit notes less
        expected += [D(entry[name]) for name in ("recognised", "deferred")]
        expected += [D(entry["deferred_by_year"].get(str(y), "0")) for y in (2027, 2028, 2029)]
        assert shown == expected
        assert rows[rows.index(row) + 1][3:] == row[3:]  # one partner: its currency's total

    page = lxml.html.fromstring((result.folder / "report.html").read_bytes())
    [section] = found(page, "//h2[. = 'Revenue']")
    tables = found(section, "following-sibling::table[position() <= 2]")
    assert [found(t, "preceding-sibling::h3[1]")[0].text for t in tables] == ["EUR", "NOK"]
    for entry, table in zip(entries, tables, strict=True):
        [cells] = [[td.text_content() for td in found(tr, "td")]
                   for tr in found(table, "tbody/tr")]
        assert cells[0].startswith(entry["partner_id"])
        net, credited_net, vat = (D(entry[n]) for n in ("invoiced_net", "credited_net", "vat"))
        assert [D(c.replace(",", "")) for c in cells[1:7]] == [
            net, credited_net, vat, net - credited_net + vat, D(entry["recognised"]),
            D(entry["deferred"])]
    charts = [svg.get("aria-label") for svg in found(page, "//svg")]
    assert "Deferred revenue at 2027-02-28 by year earned, NOK" in charts


@pytest.mark.sqlite_only
def test_a_month_with_nothing_to_recognise_says_so(env: Env) -> None:
    result = env.run("report", "--month", "2026-11")
    assert ok(result)["revenue"] == []
    assert "No revenue to recognise or defer in 2026-11" in (
        result.folder / "report.html").read_text(encoding="utf-8")
