"""`seatbatch report --month`: finance's month end over three partners in EUR, NOK and JPY."""

from __future__ import annotations

import shutil
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import defusedxml.ElementTree as SafeET
import lxml.html
import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from conftest import CONFIG, Env, customer, device, found, ledger_url, ok, order
from pgserver import PostgresServer
from sheet_checks import narrow_columns, print_faults

NORD = """
[[price_lists]]
currency = "EUR"
valid_from = "2025-01-01"
[price_lists.seat_price_per_year]
"Space Pro" = "140.00"

[[price_lists]]
currency = "EUR"
valid_from = "2026-12-01"
[price_lists.seat_price_per_year]
"Space Pro" = "180.00"

[[price_lists]]
currency = "NOK"
valid_from = "2026-01-01"
[price_lists.seat_price_per_year]
"Space Pro" = "1750.00"
"Space Plus" = "1400.00"
"Space CO2 Mini" = "700.00"

[partners.P-NORD]
name = "Nordlys Bygg AS"
currency = "NOK"
discount = "0.15"
"""

HOSTILE = '=HYPERLINK("http://evil.example","x")'
SCRIPT = '<script>alert("x")</script>'


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, engine: str,
          request: pytest.FixtureRequest) -> tuple[Env, dict[str, Any]]:
    """November 2026 over three partners and currencies, an October invoice that must stay out,
    a one-year subscription that lapsed on 2026-11-04 with its two devices still listed, and
    one from December 2025 that is due for renewal in December."""
    root = tmp_path_factory.mktemp("month")
    env = Env(root, ledger_url(engine, root, request))
    env.config.write_text(CONFIG + NORD)
    issued: list[dict[str, Any]] = []
    ok(env.process(env.workbook("lapsed.xlsx", customers=[customer("C-7")],
                                 devices=[device("SN-1", customer_id="C-7"),
                                          device("SN-2", customer_id="C-7")],
                                 orders=[order("Z1", customer_id="C-7", seats=2, term_years=1,
                                               start_date=date(2025, 11, 5))]),
                    as_of=date(2025, 11, 5)))
    ok(env.process(env.workbook("old.xlsx", customers=[customer("C-9")], orders=[
        order("Y1", customer_id="C-9", term_years=1, seats=2, start_date=date(2025, 12, 10),
              po_number="PO-RENEW")]), as_of=date(2025, 12, 10)))
    ok(env.process(env.workbook("oct.xlsx", customers=[customer("C-8")], orders=[
        order("O1", customer_id="C-8", start_date=date(2026, 10, 15))]),
        as_of=date(2026, 10, 15)))
    issued += ok(env.process(env.workbook("acme.xlsx", customers=[
        customer("C-001", organization=HOSTILE), customer("C-002", organization=SCRIPT)],
        orders=[order("A1", seats=1, start_date=date(2026, 11, 2)),
                order("A2", device_type="Space Plus", seats=3, start_date=date(2026, 11, 2)),
                order("A3", customer_id="C-002", subscription="S2", seats=7, term_years=5,
                      po_number="PO-88", start_date=date(2026, 11, 3))]),
        as_of=date(2026, 11, 3)))["invoices"]
    issued += ok(env.process(env.workbook("nord.xlsx", customers=[customer("N-1")], orders=[
        order("N1", customer_id="N-1", seats=3, term_years=5, start_date=date(2026, 11, 10)),
        order("N2", customer_id="N-1", device_type="Space CO2 Mini", seats=4, term_years=5,
              start_date=date(2026, 11, 10))]),
        "P-NORD", as_of=date(2026, 11, 10)))["invoices"]
    issued += ok(env.process(env.workbook("tokyo.xlsx", customers=[customer("T-1")], orders=[
        order("T1", customer_id="T-1", seats=3, start_date=date(2026, 11, 20)),
        order("T2", customer_id="T-1", subscription="S2", seats=1, term_years=1, po_number="PO-JP2",
              start_date=date(2026, 11, 20))]),
        "P-TOKYO", as_of=date(2026, 11, 20)))["invoices"]
    return env, {"issued": issued}


@pytest.fixture
def month(env: Env, built: tuple[Env, dict[str, Any]], request: pytest.FixtureRequest
          ) -> dict[str, Any]:
    """A copy of the built ledger for each test."""
    source, issued = built
    shutil.copy(source.config, env.config)
    if env.engine == "postgresql":
        server: PostgresServer = request.getfixturevalue("pg_server")
        server.copy_database(source.ledger_url.rsplit("/", 1)[1],
                             env.ledger_url.rsplit("/", 1)[1])
        return issued
    for name in ("ledger.db", "ledger.db-wal"):
        if (source.root / name).exists():
            shutil.copy(source.root / name, env.root / name)
    return issued


def _report(env: Env, as_of: date = date(2026, 11, 30)) -> tuple[Path, dict[str, Any]]:
    result = env.run("report", "--month", "2026-11", as_of=as_of)
    manifest = ok(result)
    assert result.stderr == ""
    return result.folder, manifest


def test_totals_per_currency_match_the_invoices_to_the_cent(env: Env, month: dict[str, Any]
                                                            ) -> None:
    expected: dict[str, Decimal] = {}
    currency_of = {"P-ACME": "EUR", "P-NORD": "NOK", "P-TOKYO": "JPY"}
    by_run = {inv["number"]: inv for inv in month["issued"]}
    rows = env.query("SELECT number, partner_id FROM invoices WHERE invoice_date >= '2026-11-01'")
    for number, partner in rows:
        code = currency_of[partner]
        expected[code] = expected.get(code, Decimal(0)) + Decimal(by_run[number]["total"])

    folder, manifest = _report(env)
    assert manifest["command"] == "report" and manifest["status"] == "reported"
    assert manifest["invoices"] == []  # a report issues nothing
    totals = manifest["totals"]
    assert totals["net_amount"] is None  # three currencies are never one sum
    assert {k: Decimal(v) for k, v in totals["net_amount_by_currency"].items()} == expected
    assert totals["invoices"] == len(month["issued"]) == 5
    assert totals["lines"] == sum(len(i["lines"]) for i in month["issued"]) == 7
    assert set(manifest["report"]["by_currency"]) == {"EUR", "JPY", "NOK"}
    assert manifest["report"]["by_currency"]["JPY"]["net_amount"].isdigit()  # no decimals

    book = openpyxl.load_workbook(folder / "report.xlsx", data_only=True)
    summary = {row[1]: row for row in book["Summary"].iter_rows(min_row=2, values_only=True)}
    for code, amount in expected.items():
        assert Decimal(str(summary[code][9])) == amount
    formats = {row[1].value: row[9].number_format for row in book["Summary"].iter_rows(min_row=2)}
    # a digit's width of air at the right ("_0"): an amount never runs into the next column
    assert formats == {"EUR": "#,##0.00_0", "JPY": "#,##0_0", "NOK": "#,##0.00_0"}

    lines = list(book["Invoice lines"].iter_rows(min_row=2, values_only=True))
    assert len(lines) == 7
    assert {line[0] for line in lines} == set(by_run)  # October's invoice is not in November
    per_currency: dict[str, Decimal] = {}
    for line in lines:
        per_currency[line[14]] = per_currency.get(line[14], Decimal(0)) + Decimal(str(line[18]))
    assert per_currency == expected


@pytest.mark.usefixtures("month")
def test_every_sheet_is_a_filtered_table_under_a_frozen_header_without_formulas(env: Env) -> None:
    folder, _ = _report(env)
    book = openpyxl.load_workbook(folder / "report.xlsx")
    assert book.sheetnames == ["Summary", "Invoices", "Invoice lines", "By partner",
                               "By customer", "By device type", "Revenue", "Seats in force",
                               "Coverage gaps", "Renewals due", "Notice deadlines",
                               "Numbering"]
    for ws in book:
        assert ws.freeze_panes == "A2", ws.title
        [table] = ws.tables.values()
        assert table.ref.startswith("A1:"), ws.title
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    organizations = [row[7].value for row in book["Invoices"].iter_rows(min_row=2)]
    assert HOSTILE in organizations  # text from input stays text
    invoice_dates = [row[2] for row in book["Invoices"].iter_rows(min_row=2)]
    assert all(cell.number_format == "yyyy-mm-dd" for cell in invoice_dates)
    with zipfile.ZipFile(folder / "report.xlsx") as archive:
        charts = [n for n in archive.namelist() if n.startswith("xl/charts/chart")]
        assert len(charts) == 3  # net amount by partner, one chart per currency
        titles = b"".join(archive.read(n) for n in charts)
    for code in ("EUR", "NOK", "JPY"):
        assert f"Net amount by partner, {code}".encode() in titles
    # the series is the Net amount column, not Payable (net plus VAT), the sheet's last
    header = [cell.value for cell in book["By partner"][1]]
    net = get_column_letter(header.index("Net amount") + 1)
    assert titles.count(f"'By partner'!${net}$".encode()) == 3, titles


@pytest.mark.usefixtures("month")
def test_every_report_sheet_shows_its_headers_and_values_whole_and_prints_landscape(
        env: Env) -> None:
    """Issue 15, finding 10: headers were cut off ("Unit price pe", "Renewals due n") and a
    two-invoice month printed as 29 portrait pages."""
    folder, _ = _report(env)
    book = openpyxl.load_workbook(folder / "report.xlsx")
    narrow = [found for ws in book for found in narrow_columns(ws, header_extra=2)]
    assert narrow == []
    assert [fault for ws in book for fault in print_faults(ws)] == []


@pytest.mark.usefixtures("month")
def test_html_has_the_same_chart_as_inline_svg_and_escapes_input(env: Env) -> None:
    folder, manifest = _report(env)
    html = (folder / "report.html").read_text()
    assert "<script>" not in html and "&lt;script&gt;" in html
    # net amount by partner, and the deferred revenue by year (SPEC §12), per currency
    assert html.count("<svg") == 3 + 3 and "javascript" not in html.lower()
    svgs = [html[i:html.index("</svg>", i) + 6] for i in range(len(html))
            if html.startswith("<svg", i)]
    labels = []
    for svg in svgs:
        root = SafeET.fromstring(svg)
        labels += ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert any(label.startswith("P-NORD") for label in labels)
    nok = manifest["totals"]["net_amount_by_currency"]["NOK"]
    assert f"{Decimal(nok):,} NOK" in labels
    assert "every series gapless" in html


@pytest.mark.usefixtures("month")
def test_the_html_invoices_table_keeps_pos_and_order_ids_in_their_own_columns(env: Env) -> None:
    """Issue 15, finding 12: order ids stood in the PO column, invoice rows showed a bare
    "order" under "Subscription · device type", PO numbers wrapped."""
    folder, _ = _report(env)
    book = openpyxl.load_workbook(folder / "report.xlsx", read_only=True)
    po_of = {r[0]: r[8] or "" for r in book["Invoices"].iter_rows(min_row=2, values_only=True)}
    orders_of: dict[str, set[str]] = {}
    for r in book["Invoice lines"].iter_rows(min_row=2, values_only=True):
        orders_of.setdefault(r[0], set()).add(r[3] or "(renewal)")
    page = lxml.html.fromstring((folder / "report.html").read_bytes())
    [table] = found(page, "//h2[starts-with(., 'Invoices and credit notes issued')]"
                           "/following-sibling::table[1]")
    header = [th.text_content() for th in found(table, ".//thead//th")]
    assert header[:6] == ["Number · order", "Date", "Partner", "Customer", "PO",
                          "Subscription · device type"]
    rows = [[td.text_content().strip() for td in found(tr, "td")]
            for tr in found(table, ".//tbody/tr")]
    current = None
    for row in rows:
        first = row[0].split()[0]
        if first in po_of:
            current = first
            assert row[4] == po_of[first] and row[5] == ""
        else:
            assert current is not None and first in orders_of[current], row
            assert row[4] == "" and row[5].startswith("SUB-")
    assert current is not None and any(po_of.values())
    assert "order" not in {cell for row in rows for cell in row}
    po_cells = found(table, ".//tbody/tr[td[1]/strong]/td[5]")  # the invoices' rows
    assert all("nowrap" in td.get("class", "") for td in po_cells)


@pytest.mark.usefixtures("month")
def test_seats_in_force_and_coverage_gaps_at_month_end(env: Env) -> None:
    folder, manifest = _report(env)
    book = openpyxl.load_workbook(folder / "report.xlsx", data_only=True)
    seats = {(r[0], r[1], r[3]): (r[4], r[5], r[6])
             for r in book["Seats in force"].iter_rows(min_row=2, values_only=True)}
    assert seats[("P-ACME", "C-7", "Space Pro")] == (0, 2, 2)  # lapsed, devices still listed
    assert seats[("P-ACME", "C-001", "Space Pro")] == (1, 0, 0)
    assert seats[("P-ACME", "C-002", "Space Pro")] == (7, 0, 0)
    assert seats[("P-TOKYO", "T-1", "Space Pro")] == (4, 0, 0)  # two subscriptions together
    assert ("P-ACME", "C-8", "Space Pro") in seats  # October's subscription is in force too
    gaps = list(book["Coverage gaps"].iter_rows(min_row=2, values_only=True))
    assert [(g[0], g[1], g[3], g[6]) for g in gaps] == [("P-ACME", "C-7", "Space Pro", 2)]
    assert manifest["report"]["coverage_gaps"] == 2
    assert manifest["report"]["seats_in_force"] == 2 + 1 + 1 + 3 + 7 + 3 + 4 + 4
    html = (folder / "report.html").read_text()
    assert "25 on 2026-11-30; 2 listed device(s) without a seat" in html


@pytest.mark.usefixtures("month")
def test_renewals_due_next_month_show_what_renew_will_invoice(env: Env) -> None:
    folder, manifest = _report(env)
    due = manifest["report"]["renewals_due"]
    assert due["month"] == "2026-12" and due["subscriptions"] == 1
    book = openpyxl.load_workbook(folder / "report.xlsx", data_only=True)
    [row] = book["Renewals due"].iter_rows(min_row=2, values_only=True)
    assert row[:6] == ("P-ACME", "Acme Facilities Ltd", "C-9", "Org C-9", "SUB-000002",
                       "PO-RENEW")
    assert row[7].date() == date(2026, 12, 10)

    renewed = ok(env.run("renew", "--month", "2026-12", as_of=date(2026, 12, 1)))
    [invoice] = renewed["invoices"]
    assert due["expected_net_amount_by_currency"] == {"EUR": invoice["total"]}
    assert invoice["lines"][0]["unit_price"] == "180.00"  # the price from 2026-12-01
    assert Decimal(str(row[10])) == Decimal(invoice["total"])


def _behind_its_back(env: Env, request: pytest.FixtureRequest, *statements: str) -> None:
    """Change the ledger past its own rules, as damage would: SQLite's plain connection does not
    enforce foreign keys; on PostgreSQL the superuser turns their triggers off."""
    if env.engine == "sqlite":
        for statement in statements:
            env.query(statement)
        return
    server: PostgresServer = request.getfixturevalue("pg_server")
    with server.admin(env.ledger_url.rsplit("/", 1)[1]) as connection, connection.transaction():
        connection.execute("SET LOCAL session_replication_role = replica")
        for statement in statements:
            connection.execute(statement.encode())


@pytest.mark.usefixtures("month")
def test_numbering_check_finds_a_gap(env: Env, request: pytest.FixtureRequest) -> None:
    _, manifest = _report(env)
    checks = {(c["series"], c["year"]): c for c in manifest["report"]["numbering"]}
    assert checks[("INV", 2026)] == {"series": "INV", "year": 2026, "first": 1, "last": 6,
                                     "count": 6, "gapless": True}  # October's and November's
    assert checks[("INV", 2025)]["gapless"]
    _behind_its_back(env, request,
                     "DELETE FROM invoice_lines WHERE invoice_number = 'INV-2026-000003'",
                     "DELETE FROM order_lines WHERE invoice_number = 'INV-2026-000003'",
                     "DELETE FROM invoices WHERE number = 'INV-2026-000003'")
    folder, manifest = _report(env)
    check = {(c["series"], c["year"]): c for c in manifest["report"]["numbering"]}[
        ("INV", 2026)]
    assert (check["count"], check["gapless"]) == (5, False)
    assert "GAPS FOUND" in (folder / "report.html").read_text()


@pytest.mark.usefixtures("month")
def test_report_changes_nothing_in_the_ledger(env: Env) -> None:
    tables = ["invoices", "invoice_lines", "order_lines", "subscriptions", "subscription_terms",
              "seats", "counters", "runs", "customers", "devices", "partner_versions"]
    before = {t: env.query(f"SELECT * FROM {t} ORDER BY 1, 2") for t in tables}
    folder, _ = _report(env)
    # its summary leads to the month end's files (a newcomer found only run date and status)
    summary = (folder / "summary.html").read_text(encoding="utf-8")
    assert all(f'<a href="{name}">' in summary
               for name in ("report.html", "report.xlsx", "journal.csv"))
    assert {t: env.query(f"SELECT * FROM {t} ORDER BY 1, 2") for t in tables} == before


def test_a_month_without_invoices_and_a_missing_ledger(env: Env) -> None:
    result = env.run("report", "--month", "2026-11")
    manifest = ok(result)
    assert manifest["totals"] == {"net_amount": None, "net_amount_by_currency": {},
                                  "vat_amount_by_currency": {}, "payable_by_currency": {},
                                  "invoices": 0, "lines": 0}
    assert not env.ledger_exists()  # a report never creates a ledger
    assert "No invoices were issued in 2026-11" in (result.folder / "report.html").read_text()


@pytest.mark.parametrize("month_text", ["2026-13", "November", "2026-1-1", ""])
def test_a_bad_month_is_a_usage_error(env: Env, month_text: str) -> None:
    result = env.run("report", "--month", month_text)
    assert result.code == 2
    assert "is not a month like 2026-11" in result.stderr
    assert result.stdout == ""
