"""journal.csv (SPEC §12): one balanced double entry per document and per partner's and
currency's recognition of the month, built pure (billing.journal) and written with the csv
module (output.journal); and `report` writing it, its totals the manifest's."""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import ROOT, Env, customer, ok, order
from seatbatch.billing.journal import journal
from seatbatch.core.config import Accounts
from seatbatch.core.journal import COLUMNS, JournalLine
from seatbatch.core.model import Credited, Invoice, Party, Vat
from seatbatch.core.money import minor_unit, round_money
from seatbatch.output.journal import csv_text, write_journal

D = Decimal
NOVEMBER_END = date(2026, 11, 30)
PART2 = ROOT / "tests" / "data" / "part2.toml"
ACCOUNTS = Accounts()
NAMES = {"P-ACME": "Acme Facilities Ltd", "P-NORD": "Nordlys Bygg AS",
         "P-TOKYO": "Tokyo Sensors KK"}


def document(number: str, total: str, currency: str = "EUR", *,  # noqa: PLR0913  keyword-only: an invoice's fields named at the call
             vat: str | None = None,
             partner: str = "P-ACME", day: date = date(2026, 11, 3), po: str | None = "PO-77",
             credits: str | None = None, name: str | None = None) -> Invoice:
    """An issued invoice (or with `credits`, a credit note of that invoice) as the journal
    reads it: its number, date, partner, currency, net total and VAT."""
    net = D(total)
    return Invoice(
        number=number, invoice_date=day, due_date=day + timedelta(days=30),
        issuer=Party("Example Sensors AS"), partner_id=partner,
        bill_to=Party(NAMES.get(partner, partner) if name is None else name),
        customer_id="C-001", customer_name="Org C-001", po_number=po, currency=currency,
        partner_discount_rate=D("0.20"), lines=(), total=net,
        kind="credit_note" if credits else "order",
        vat=None if vat is None else Vat("domestic", "S", D("0.25"), net, D(vat), ""),
        credits=Credited(credits, date(2026, 11, 3), "wrong order") if credits else None)


def rows(lines: Iterable[JournalLine]) -> list[tuple[str, str, str, str, str]]:
    """(entry, account, debit, credit, currency) of each line, amounts as written."""
    return [(line.entry, line.account, str(line.debit or ""), str(line.credit or ""),
             line.currency) for line in lines]


# --- the entries --------------------------------------------------------------------------

def test_an_invoice_debits_receivables_and_credits_deferred_revenue_and_vat() -> None:
    [*lines] = journal([document("INV-2026-000001", "1036.80", "NOK", vat="259.20",
                                 partner="P-NORD", po="PO-9")], {},
                       month_end=NOVEMBER_END, accounts=ACCOUNTS, partner_names=NAMES)
    assert rows(lines) == [
        ("INV-2026-000001", "1500", "1296.00", "", "NOK"),
        ("INV-2026-000001", "2900", "", "1036.80", "NOK"),
        ("INV-2026-000001", "2700", "", "259.20", "NOK"),
    ]
    assert {(line.day, line.partner_id, line.reference, line.text) for line in lines} == {
        (date(2026, 11, 3), "P-NORD", "INV-2026-000001",
         "Invoice INV-2026-000001 to Nordlys Bygg AS, PO PO-9")}


def test_a_credit_note_books_the_reverse() -> None:
    lines = journal([document("CN-2026-000001", "518.40", "NOK", vat="129.60",
                              partner="P-NORD", credits="INV-2026-000001",
                              day=date(2026, 11, 25))], {},
                    month_end=NOVEMBER_END, accounts=ACCOUNTS, partner_names=NAMES)
    assert rows(lines) == [
        ("CN-2026-000001", "1500", "", "648.00", "NOK"),
        ("CN-2026-000001", "2900", "518.40", "", "NOK"),
        ("CN-2026-000001", "2700", "129.60", "", "NOK"),
    ]
    assert lines[0].text == ("Credit note CN-2026-000001 to Nordlys Bygg AS, crediting "
                             "invoice INV-2026-000001")
    assert lines[0].day == date(2026, 11, 25)


def test_zero_lines_are_left_out() -> None:
    """An invoice without VAT (no [tax], or a zero rate) has no VAT line; a zero invoice and
    a zero recognition no entry at all."""
    lines = journal([document("INV-2026-000002", "324.00"),
                     document("INV-2026-000003", "270.00", vat="0.00", po=None),
                     document("INV-2026-000004", "0.00", vat="0.00")],
                    {("P-ACME", "EUR"): D("0.00")}, month_end=NOVEMBER_END,
                    accounts=ACCOUNTS, partner_names=NAMES)
    assert rows(lines) == [
        ("INV-2026-000002", "1500", "324.00", "", "EUR"),
        ("INV-2026-000002", "2900", "", "324.00", "EUR"),
        ("INV-2026-000003", "1500", "270.00", "", "EUR"),
        ("INV-2026-000003", "2900", "", "270.00", "EUR"),
    ]
    assert lines[2].text == "Invoice INV-2026-000003 to Acme Facilities Ltd"  # no PO


def test_recognition_per_partner_and_currency_on_the_months_last_day() -> None:
    """Deferred revenue to revenue; below zero (credits taking back more than the month
    earned) the sides swap, never a negative amount. By currency, then partner."""
    lines = journal([], {("P-NORD", "NOK"): D("-12.50"), ("P-ACME", "EUR"): D("31.07"),
                         ("P-TOKYO", "JPY"): D("3068"), ("P-GONE", "EUR"): D("1.00")},
                    month_end=NOVEMBER_END, accounts=ACCOUNTS, partner_names=NAMES)
    assert rows(lines) == [
        ("REV-2026-11-P-ACME-EUR", "2900", "31.07", "", "EUR"),
        ("REV-2026-11-P-ACME-EUR", "3000", "", "31.07", "EUR"),
        ("REV-2026-11-P-GONE-EUR", "2900", "1.00", "", "EUR"),
        ("REV-2026-11-P-GONE-EUR", "3000", "", "1.00", "EUR"),
        ("REV-2026-11-P-TOKYO-JPY", "2900", "3068", "", "JPY"),
        ("REV-2026-11-P-TOKYO-JPY", "3000", "", "3068", "JPY"),
        ("REV-2026-11-P-NORD-NOK", "2900", "", "12.50", "NOK"),
        ("REV-2026-11-P-NORD-NOK", "3000", "12.50", "", "NOK"),
    ]
    assert {line.day for line in lines} == {NOVEMBER_END}
    assert {line.reference for line in lines} == {"2026-11"}
    assert lines[0].text == "Revenue recognised in 2026-11 for Acme Facilities Ltd"
    assert lines[2].text == "Revenue recognised in 2026-11 for P-GONE"  # no longer configured


def test_entries_in_date_order_then_number_recognition_last() -> None:
    lines = journal([document("INV-2026-000009", "1.00", day=date(2026, 11, 20)),
                     document("CN-2026-000001", "1.00", day=date(2026, 11, 20),
                              credits="INV-2026-000001"),
                     document("INV-2026-000010", "1.00", day=date(2026, 11, 2))],
                    {("P-ACME", "EUR"): D("1.00")}, month_end=NOVEMBER_END,
                    accounts=ACCOUNTS, partner_names=NAMES)
    assert list(dict.fromkeys(line.entry for line in lines)) == [
        "INV-2026-000010", "CN-2026-000001", "INV-2026-000009", "REV-2026-11-P-ACME-EUR"]


def test_the_configured_accounts() -> None:
    accounts = Accounts("1510", "2910", "2710", "3010")
    lines = journal([document("INV-2026-000001", "100.00", vat="25.00")],
                    {("P-ACME", "EUR"): D("3.00")}, month_end=NOVEMBER_END,
                    accounts=accounts, partner_names=NAMES)
    assert [line.account for line in lines] == ["1510", "2910", "2710", "2910", "3010"]


# --- properties -----------------------------------------------------------------------------

CURRENCIES = ("EUR", "NOK", "JPY", "KWD")  # 2, 2, 0 and 3 decimals


@st.composite
def amounts(draw: st.DrawFn, currency: str, high: int = 10**12) -> Decimal:
    return D(draw(st.integers(0, high))).scaleb(-minor_unit(currency))


@st.composite
def documents(draw: st.DrawFn) -> list[Invoice]:
    found = []
    for at in range(draw(st.integers(0, 6))):
        currency = draw(st.sampled_from(CURRENCIES))
        net = draw(amounts(currency))
        rate = draw(st.sampled_from([None, D(0), D("0.25"), D("0.15")]))
        vat = None if rate is None else str(round_money(net * rate, currency))
        credit = draw(st.booleans())
        found.append(document(f"{'CN' if credit else 'INV'}-2026-{at + 1:06d}", str(net),
                              currency, vat=vat, partner=draw(st.sampled_from(list(NAMES))),
                              credits="INV-2026-000001" if credit else None))
    return found


@st.composite
def recognitions(draw: st.DrawFn) -> dict[tuple[str, str], Decimal]:
    keys = draw(st.lists(st.tuples(st.sampled_from(list(NAMES)), st.sampled_from(CURRENCIES)),
                         unique=True, max_size=5))
    return {(partner, currency): draw(amounts(currency)) * draw(st.sampled_from([1, -1]))
            for partner, currency in keys}


def balance(lines: Iterable[JournalLine], key: Any) -> dict[Any, Decimal]:
    found: dict[Any, Decimal] = defaultdict(Decimal)
    for line in lines:
        found[key(line)] += line.debit - line.credit
    return dict(found)


@given(documents(), recognitions())
def test_every_entry_and_every_currency_balances(found: list[Invoice],
                                                  recognised: dict[tuple[str, str], Decimal]
                                                  ) -> None:
    lines = journal(found, recognised, month_end=NOVEMBER_END, accounts=ACCOUNTS,
                    partner_names=NAMES)
    assert set(balance(lines, lambda line: line.entry).values()) <= {D(0)}
    assert set(balance(lines, lambda line: line.currency).values()) <= {D(0)}
    entries: dict[str, set[tuple[date, str, str, str]]] = defaultdict(set)
    for line in lines:  # one date, currency, partner and reference per entry; amounts > 0
        entries[line.entry].add((line.day, line.currency, line.partner_id, line.reference))
        assert line.amount > 0 and line.side in ("debit", "credit")
        assert line.amount.as_tuple().exponent == -minor_unit(line.currency), line
    assert all(len(kinds) == 1 for kinds in entries.values())
    order = [line.entry for line in lines]  # each entry's lines together
    assert order == sorted(order, key=lambda entry: order.index(entry))


@given(documents(), recognitions())
def test_the_accounts_hold_the_documents_and_the_recognition(
        found: list[Invoice], recognised: dict[tuple[str, str], Decimal]) -> None:
    """Per currency: receivables the payable, deferred revenue the net and VAT payable the
    VAT of invoices less credit notes; revenue what was recognised, out of deferred revenue."""
    lines = journal(found, recognised, month_end=NOVEMBER_END, accounts=ACCOUNTS,
                    partner_names=NAMES)
    expected: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for invoice in found:
        sign = -1 if invoice.is_credit_note else 1
        vat = invoice.vat.amount if invoice.vat else D(0)
        expected["1500", invoice.currency] += sign * invoice.payable
        expected["2900", invoice.currency] -= sign * invoice.total
        expected["2700", invoice.currency] -= sign * vat
    for (_, currency), amount in recognised.items():
        expected["2900", currency] += amount
        expected["3000", currency] -= amount
    got = balance(lines, lambda line: (line.account, line.currency))
    assert {k: v for k, v in got.items() if v} == {k: v for k, v in expected.items() if v}


# --- the file -------------------------------------------------------------------------------

AMOUNT = {0: re.compile(r"[1-9][0-9]*"), 2: re.compile(r"(0|[1-9][0-9]*)\.[0-9]{2}"),
          3: re.compile(r"(0|[1-9][0-9]*)\.[0-9]{3}")}


def read_journal(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")  # no byte order mark
    text = raw.decode("utf-8")
    assert text.startswith(",".join(COLUMNS) + "\r\n")
    return list(csv.DictReader(io.StringIO(text, newline="")))


@given(documents(), recognitions())
def test_the_file_reads_back_as_plain_decimals_on_one_side(
        tmp_path_factory: pytest.TempPathFactory, found: list[Invoice],
        recognised: dict[tuple[str, str], Decimal]) -> None:
    lines = journal(found, recognised, month_end=NOVEMBER_END, accounts=ACCOUNTS,
                    partner_names=NAMES)
    path = tmp_path_factory.mktemp("journal") / "journal.csv"
    write_journal(lines, path)
    written = read_journal(path)
    assert len(written) == len(lines)
    for row, line in zip(written, lines, strict=True):
        assert list(row) == list(COLUMNS)
        assert date.fromisoformat(row["date"]) == line.day
        side, other = (row["debit"], row["credit"]) if line.side == "debit" else (
            row["credit"], row["debit"])
        assert other == "" and AMOUNT[minor_unit(line.currency)].fullmatch(side), row
        assert D(side) == line.amount
        assert (row["entry"], row["account"], row["currency"], row["partner_id"],
                row["reference"], row["text"]) == (line.entry, line.account, line.currency,
                                                   line.partner_id, line.reference, line.text)


def test_a_month_without_documents_or_revenue_is_the_header_alone(tmp_path: Path) -> None:
    write_journal(journal([], {}, month_end=NOVEMBER_END, accounts=ACCOUNTS,
                          partner_names=NAMES), tmp_path / "journal.csv")
    assert (tmp_path / "journal.csv").read_bytes() == (
        b"date,entry,account,debit,credit,currency,partner_id,reference,text\r\n")


def test_a_large_amount_is_written_without_exponent_or_separator(tmp_path: Path) -> None:
    lines = journal([document("INV-2026-000001", "1000000000000", "JPY", vat="0"),
                     document("INV-2026-000002", "123456789.10", vat="30864197.28")], {},
                    month_end=NOVEMBER_END, accounts=ACCOUNTS, partner_names=NAMES)
    write_journal(lines, tmp_path / "journal.csv")
    assert [(row["debit"], row["credit"]) for row in read_journal(tmp_path / "journal.csv")] == [
        ("1000000000000", ""), ("", "1000000000000"),
        ("154320986.38", ""), ("", "123456789.10"), ("", "30864197.28")]


@pytest.mark.parametrize(("given", "written"), [
    ("=HYPERLINK(\"http://evil.example\",\"x\")", "'=HYPERLINK(\"http://evil.example\",\"x\")"),
    ("@SUM(1)", "'@SUM(1)"), ("+1", "'+1"), ("-1", "'-1"), ("\t=1", " =1"),
    ("Nordlys\r\nBygg", "Nordlys  Bygg"), ("a\u2028b", "a b"),
    ("Gebäude, \"Nord\"", "Gebäude, \"Nord\""),
    ("Invoice INV-1 to =cmd|' /C calc'!A0", "Invoice INV-1 to =cmd|' /C calc'!A0"),
])
def test_text_is_one_line_and_never_a_formula(given: str, written: str) -> None:
    assert csv_text(given) == written


def test_a_partners_name_that_looks_like_a_formula_stays_text(tmp_path: Path) -> None:
    """The name is inside the entry's text, which starts with a word; quoted where it holds a
    comma or a quote, on one line."""
    hostile = '=HYPERLINK("http://evil.example","x")\n@SUM(1)'
    write_journal(journal([document("INV-2026-000001", "10.00", name=hostile)],
                          {("P-EVIL", "EUR"): D("1.00")}, month_end=NOVEMBER_END,
                          accounts=ACCOUNTS, partner_names={"P-EVIL": "@SUM(1)"}),
                  tmp_path / "journal.csv")
    written = read_journal(tmp_path / "journal.csv")
    assert written[0]["text"] == ('Invoice INV-2026-000001 to =HYPERLINK("http://evil.example",'
                                  '"x") @SUM(1), PO PO-77')
    assert written[-1]["text"] == "Revenue recognised in 2026-11 for @SUM(1)"
    assert len((tmp_path / "journal.csv").read_bytes().split(b"\r\n")) == len(written) + 2
    for row in written:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), row


# --- `report` writes it ---------------------------------------------------------------------

TOKYO = """
[[price_lists]]
currency = "JPY"
valid_from = "2026-01-01"
[price_lists.seat_price_per_year]
"Space Pro" = "24000"

[partners.P-TOKYO]
name = "=Tokyo \\"Sensors\\", KK"
currency = "JPY"
discount = "0.125"
country = "JP"
tax = "export"

[accounts]
receivable = 1510
deferred_revenue = "2910"
vat_payable = "2710-NO"
"""


def test_report_writes_the_months_journal_balanced_with_the_manifests_totals(env: Env) -> None:
    """November 2026 under [tax]: Acme (EUR, export: no VAT), Nordlys (NOK, 25 % VAT) and a
    Tokyo partner whose name looks like a formula (JPY: no decimals); a partial credit note of
    the NOK invoice and one of an October invoice, both dated in November; the October invoice
    itself stays out. The accounts are the configuration's, revenue's the default."""
    env.config.write_text(PART2.read_text(encoding="utf-8").replace(
        'formats = ["xlsx", "html", "pdf", "ubl"]', 'formats = ["xlsx", "html"]') + TOKYO,
        encoding="utf-8")
    october = ok(env.process(env.workbook("oct.xlsx", customers=[customer("C-8")], orders=[
        order("O1", customer_id="C-8", seats=2, start_date=date(2026, 10, 15))]),
        as_of=date(2026, 10, 15)))["invoices"][0]["number"]
    ok(env.process(env.workbook("acme.xlsx", customers=[customer()], orders=[
        order("A1", start_date=date(2026, 11, 2)),
        order("A2", device_type="Space Plus", seats=3, start_date=date(2026, 11, 2))]),
        as_of=date(2026, 11, 3)))
    nord = ok(env.process(env.workbook("nord.xlsx", customers=[customer("N-1")], orders=[
        order("N1", customer_id="N-1", seats=3, term_years=5, start_date=date(2026, 11, 10)),
        order("N2", customer_id="N-1", device_type="Space CO2 Mini", seats=4, term_years=5,
              start_date=date(2026, 11, 10))]),
        "P-NORD", as_of=date(2026, 11, 10)))["invoices"][0]["number"]
    ok(env.process(env.workbook("tokyo.xlsx", customers=[customer("T-1")], orders=[
        order("T1", customer_id="T-1", seats=3, start_date=date(2026, 11, 20))]),
        "P-TOKYO", as_of=date(2026, 11, 20)))
    ok(env.run("credit", nord, "--reason", "one seat too many", "--line", "N1=1",
                as_of=date(2026, 11, 25)))
    ok(env.run("credit", october, "--reason", "ordered twice", "--line", "O1",
                as_of=date(2026, 11, 26)))

    result = env.run("report", "--month", "2026-11", as_of=date(2026, 11, 30))
    manifest = ok(result)
    assert manifest["report"]["files"] == {"xlsx": "report.xlsx", "html": "report.html",
                                           "journal": "journal.csv"}
    written = read_journal(result.folder / manifest["report"]["files"]["journal"])

    # one entry per document dated in the month, on its date, in date order
    documents = env.query("SELECT number, invoice_date FROM invoices WHERE invoice_date "
                          "BETWEEN '2026-11-01' AND '2026-11-30' ORDER BY invoice_date, number")
    assert len(documents) == 5 and october not in dict(documents)
    entries = list(dict.fromkeys(row["entry"] for row in written))
    recognition = [f"REV-2026-11-{x['partner_id']}-{x['currency']}"
                   for x in manifest["revenue"] if D(x["recognised"])]
    assert len(recognition) == 3  # each partner earned something in November
    assert entries == [number for number, _ in documents] + recognition
    assert {(row["entry"], row["date"]) for row in written} == {
        *documents, *((entry, "2026-11-30") for entry in recognition)}
    assert {row["reference"] for row in written} == {*(n for n, _ in documents), "2026-11"}

    sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for row in written:
        amount = D(row["debit"] or "0") - D(row["credit"] or "0")
        sums["entry", row["entry"]] += amount
        sums["currency", row["currency"]] += amount
        sums[row["account"], row["currency"]] += amount
        assert AMOUNT[minor_unit(row["currency"])].fullmatch(row["debit"] or row["credit"])
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@")), row
    assert not [key for key, amount in sums.items()
                if key[0] in ("entry", "currency") and amount], sums
    totals = manifest["totals"]
    assert {row["account"] for row in written} == {"1510", "2910", "2710-NO", "3000"}
    # the month's recognition: what the manifest says was earned, per partner and currency
    for figure in manifest["revenue"]:
        booked = [D(row["credit"] or "0") - D(row["debit"] or "0") for row in written
                  if row["account"] == "3000" and row["partner_id"] == figure["partner_id"]
                  and row["currency"] == figure["currency"]]
        assert sum(booked, D(0)) == D(figure["recognised"]), figure
    for currency in ("EUR", "JPY", "NOK"):
        recognised = sum((D(x["recognised"]) for x in manifest["revenue"]
                          if x["currency"] == currency), D(0))
        assert -sums["3000", currency] == recognised
        assert -sums["2910", currency] == D(totals["net_amount_by_currency"][currency]) \
            - recognised
        assert -sums["2710-NO", currency] == D(totals["vat_amount_by_currency"][currency])
        assert sums["1510", currency] == D(totals["payable_by_currency"][currency])
    assert sums["2710-NO", "NOK"] < 0  # export: no VAT line
    assert {row["currency"] for row in written if row["account"] == "2710-NO"} == {"NOK"}

    # the credit notes book the reverse, and say what they credit
    [cn_nord] = [row for row in written if row["account"] == "1510" and row["text"].endswith(
        f"crediting invoice {nord}")]
    assert cn_nord["credit"] and not cn_nord["debit"] and cn_nord["currency"] == "NOK"
    tokyo = [row for row in written if row["partner_id"] == "P-TOKYO"]
    assert tokyo[0]["text"].endswith('to =Tokyo "Sensors", KK, PO PO-77')
