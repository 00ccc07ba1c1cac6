"""SPEC §10 on an invoice: the VAT of its net total under one treatment, the parties as
printed, how it is paid (billing.legal), and the amount payable (core.model.Invoice)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from stdnum import iso11649

from conftest import PART1_CONFIG, ROOT, Env, customer, order
from einvoice_rules import needs_rules, official_rules
from seatbatch.billing.legal import (
    address_lines,
    invoice_vat,
    issuer_party,
    partner_party,
    payment_of,
    vat_of,
)
from seatbatch.core.config import load_config
from seatbatch.core.legal import Payment as PaymentKeys
from seatbatch.core.legal import Treatment
from seatbatch.core.model import (
    Invoice,
    InvoiceLine,
    LineAmounts,
    Party,
    PostalAddress,
    Vat,
)
from seatbatch.core.money import minor_unit

PART2 = ROOT / "tests" / "data" / "part2.toml"
DOMESTIC = Treatment("domestic", "S", Decimal("0.25"))


def test_vat_is_the_rate_of_the_net_total_half_up_to_the_minor_unit() -> None:
    vat = invoice_vat(Decimal("1036.80"), "NOK", DOMESTIC)
    assert vat == Vat("domestic", "S", Decimal("0.25"), Decimal("1036.80"), Decimal("259.20"), "")
    assert invoice_vat(Decimal("0.02"), "EUR", DOMESTIC).amount == Decimal("0.01")  # 0.005 up
    assert invoice_vat(Decimal("0.06"), "EUR", DOMESTIC).amount == Decimal("0.02")  # 0.015 up
    assert invoice_vat(Decimal("2"), "JPY", DOMESTIC).amount == Decimal("1")  # 0.5 up, no cents


def test_a_zero_rated_invoice_carries_its_treatments_note_and_no_vat() -> None:
    export = Treatment("export", "G", Decimal(0), "Export of services outside the VAT area")
    vat = invoice_vat(Decimal("1036.80"), "EUR", export)
    assert (vat.amount, vat.note, vat.category) == (Decimal("0.00"), export.note, "G")


amounts = st.decimals(min_value=Decimal(0), max_value=Decimal("10000000"), places=2)
rates = st.decimals(min_value=Decimal(0), max_value=Decimal("0.99"), places=4)


@given(total=amounts, rate=rates, currency=st.sampled_from(["EUR", "NOK", "JPY", "BHD"]))
def test_vat_rounds_once_and_payable_is_base_plus_vat(total: Decimal, rate: Decimal,
                                                     currency: str) -> None:
    total = total.quantize(Decimal(1).scaleb(-minor_unit(currency)))
    vat = invoice_vat(total, currency, Treatment("t", "S", rate))
    exact = total * rate
    assert vat.base == total
    assert abs(vat.amount - exact) <= Decimal(1).scaleb(-minor_unit(currency)) / 2
    assert vat.amount.as_tuple().exponent == -minor_unit(currency)
    invoice = Invoice(number="INV-2026-000001", invoice_date=date(2026, 11, 24),
                      due_date=date(2026, 12, 24), issuer=Party("I"), partner_id="P",
                      bill_to=Party("P"), customer_id="C", customer_name="C", po_number=None,
                      currency=currency, partner_discount_rate=Decimal(0), lines=(),
                      total=total, vat=vat)
    assert invoice.payable == total + vat.amount


def test_without_tax_an_invoice_is_payable_at_its_net_total() -> None:
    invoice = Invoice(number=None, invoice_date=date(2026, 11, 24), due_date=date(2026, 12, 24),
                      issuer=Party("I"), partner_id="P", bill_to=Party("P"), customer_id="C",
                      customer_name="C", po_number=None, currency="EUR",
                      partner_discount_rate=Decimal(0), lines=(), total=Decimal("10.00"))
    assert invoice.payable == Decimal("10.00")


def test_each_partner_gets_its_treatment() -> None:
    config = load_config(PART2)
    vats = {pid: vat_of(config, partner, Decimal("100.00"))
            for pid, partner in config.partners.items()}
    by_category = {pid: (v.category, v.amount) for pid, v in vats.items() if v is not None}
    assert len(by_category) == len(config.partners)
    assert ("S", Decimal("25.00")) in by_category.values()
    assert {c for c, _ in by_category.values()} >= {"S", "G"}


def test_without_tax_no_vat_and_without_payment_no_payment_block(tmp_path: Path) -> None:
    (tmp_path / "seatbatch.toml").write_text(PART1_CONFIG, encoding="utf-8")
    config = load_config(tmp_path / "seatbatch.toml")
    partner = next(iter(config.partners.values()))
    assert vat_of(config, partner, Decimal("100.00")) is None
    assert payment_of(config, "INV-2026-000001") is None


def test_the_payment_reference_is_the_number_or_its_rf_creditor_reference() -> None:
    config = load_config(PART2)
    payment = payment_of(config, "INV-2026-000042")
    assert payment is not None and payment.reference == "INV-2026-000042"
    unnumbered = payment_of(config, None)  # a renewal before it commits, or an estimate
    assert unnumbered is not None and unnumbered.reference == ""
    assert unnumbered.for_number("INV-2026-000042") == payment
    rf = PaymentKeys("NO9386011117947", "DNBANOKKXXX", "", "rf").reference_for("INV-2026-000042")
    assert rf.startswith("RF") and iso11649.is_valid(rf)


def test_the_parties_print_their_structured_data() -> None:
    config = load_config(PART2)
    issuer = issuer_party(config.issuer)
    assert issuer.postal == PostalAddress("Wergelandsveien 1", "0167", "Oslo", "NO")
    assert (issuer.registration_id, issuer.legal_form) == ("999999999", "Foretaksregisteret")
    assert issuer.electronic_address == "0192:999999999"
    assert issuer.email == "billing@example-sensors.no"
    acme = partner_party(config.partners["P-ACME"])
    assert acme.vat_id and acme.postal is not None and acme.electronic_address


def test_address_lines_come_from_the_structure_when_part_one_gave_none() -> None:
    postal = PostalAddress("2 Dock Road", "E16 1AA", "London", "GB")
    assert address_lines((), postal) == ("2 Dock Road", "E16 1AA London", "United Kingdom")
    assert address_lines(("Given line",), postal) == ("Given line",)
    assert address_lines((), None) == ()


def _part2_invoice(treatment: Treatment, total: str = "1036.80") -> Invoice:
    config = load_config(PART2)
    partner = config.partners["P-ACME"]
    vat = invoice_vat(Decimal(total), "NOK", treatment)
    return Invoice(number="INV-2026-000007", invoice_date=date(2026, 11, 24),
                   due_date=date(2026, 12, 24), issuer=issuer_party(config.issuer),
                   partner_id=partner.id, bill_to=partner_party(partner), customer_id="C-001",
                   customer_name="Fjord Fisk AS", po_number="PO-1", currency="NOK",
                   partner_discount_rate=Decimal("0.05"), lines=(), total=Decimal(total),
                   vat=vat, payment=payment_of(config, "INV-2026-000007"))


def test_the_invoice_html_shows_the_legal_lines_vat_payable_and_how_to_pay() -> None:
    from seatbatch.output.html import render

    text = " ".join(render("invoice.html", invoice=_part2_invoice(DOMESTIC)).split())
    for shown in ("Reg. no. 999999999 Foretaksregisteret", "VAT NO999999999MVA",
                  "billing@example-sensors.no", "VAT GB980780684",
                  "Net total NOK</td><td class=\"num\">1,036.80",
                  "VAT 25% on 1,036.80</td><td class=\"num\">259.20",
                  "Amount payable NOK</td><td class=\"num\">1,296.00",
                  "Payable within 30 days, by 2026-12-24", "NO9386011117947", "DNBANOKKXXX",
                  "DNB Bank ASA", "Payment reference</td><td>INV-2026-000007"):
        assert shown in text, shown


def test_a_zero_rated_invoice_html_states_the_treatments_note() -> None:
    from seatbatch.output.html import render

    export = Treatment("export", "G", Decimal(0), "Export of services outside the VAT area")
    text = " ".join(render("invoice.html", invoice=_part2_invoice(export)).split())
    assert "VAT: Export of services outside the VAT area</td><td class=\"num\">0.00" in text
    assert "Amount payable NOK</td><td class=\"num\">1,036.80" in text


def test_the_invoice_workbook_shows_the_legal_lines_vat_payable_and_how_to_pay(
        tmp_path: Path) -> None:
    import openpyxl

    from seatbatch.output.xlsx import write_invoice_xlsx

    write_invoice_xlsx(_part2_invoice(DOMESTIC), tmp_path / "invoice.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "invoice.xlsx", data_only=True).active
    assert sheet is not None
    rows = [tuple(Decimal(str(c)) if isinstance(c, float | int) else c for c in row
                  if c is not None) for row in sheet.iter_rows(values_only=True)]
    for expected in (("Registration", "999999999 Foretaksregisteret"),
                     ("VAT id", "NO999999999MVA"), ("E-mail", "billing@example-sensors.no"),
                     ("VAT id", "GB980780684"), ("Net total NOK", Decimal("1036.8")),
                     ("VAT 25% on 1,036.80", Decimal("259.2")),
                     ("Amount payable NOK", Decimal("1296")),
                     ("Payment terms", "Payable within 30 days, by 2026-12-24"),
                     ("IBAN", "NO9386011117947"), ("BIC", "DNBANOKKXXX"),
                     ("Bank", "DNB Bank ASA"), ("Payment reference", "INV-2026-000007")):
        assert expected in rows, expected


def test_the_ledger_document_keeps_everything_the_invoice_printed() -> None:
    import json

    from seatbatch.core.documents import invoice_document, invoice_from_document

    for treatment in (DOMESTIC, Treatment("export", "G", Decimal(0), "Export of services")):
        invoice = _part2_invoice(treatment)
        kept = json.loads(json.dumps(invoice_document(invoice), sort_keys=True))
        assert kept["vat"]["amount"] == str(invoice.vat.amount if invoice.vat else "")
        assert kept["payable"] == str(invoice.payable)
        assert invoice_from_document(kept) == invoice


def test_a_part_one_document_has_no_part_two_keys() -> None:
    from seatbatch.core.documents import invoice_document

    invoice = Invoice(number="INV-2026-000001", invoice_date=date(2026, 11, 24),
                      due_date=date(2026, 12, 24), issuer=Party("I", ("a",), "V"),
                      partner_id="P", bill_to=Party("P"), customer_id="C", customer_name="C",
                      po_number=None, currency="EUR", partner_discount_rate=Decimal(0),
                      lines=(), total=Decimal("10.00"))
    document = invoice_document(invoice)
    assert not {"vat", "payable", "payment"} & document.keys()
    assert document["issuer"] == {"name": "I", "address": ["a"], "vat_id": "V"}


def test_a_run_under_part_two_issues_vat_keeps_it_in_the_ledger_and_renders_it_as_issued(
        env: Env) -> None:
    import shutil

    shutil.copy(PART2, env.config)
    workbook = env.workbook(customers=[customer("C-001")],
                            orders=[order("N1", seats=7, term_years=3)])
    result = env.process(workbook, partner="P-NORD")
    assert result.code == 0, result.stderr
    [issued] = result.manifest["invoices"]
    number = issued["number"]
    net = Decimal(issued["total"])  # 7 seats x 1750 x 3 years, less 10 % and 15 %
    assert net == Decimal("28113.75")
    vat = (net * Decimal("0.25")).quantize(Decimal("0.01"))
    assert env.query("SELECT vat_category, vat_rate, vat_amount FROM invoices") == [
        ("S", "0.25", str(vat))]
    assert issued["vat"] == {"treatment": "domestic", "category": "S", "rate": "0.25",
                             "base": "28113.75", "amount": str(vat), "note": ""}
    assert issued["payable"] == str(net + vat)
    assert issued["kind"] == "invoice"
    assert issued["files"] == {kind: f"invoices/{number}.{ext}" for kind, ext in (
        ("xlsx", "xlsx"), ("html", "html"), ("pdf", "pdf"), ("ubl", "xml"))}
    for path in issued["files"].values():
        assert (result.folder / path).is_file()
    totals = result.manifest["totals"]
    assert (totals["net_amount"], totals["vat_amount"], totals["payable"]) == (
        "28113.75", str(vat), str(net + vat))
    html = " ".join((result.folder / "invoices" / f"{number}.html").read_text().split())
    assert f"VAT 25% on 28,113.75</td><td class=\"num\">{vat:,}" in html
    assert f"Amount payable NOK</td><td class=\"num\">{net + vat:,}" in html
    # a later change of the configuration never changes the issued invoice
    changed = PART2.read_text().replace('rate = "0.25"', 'rate = "0.15"').replace(
        "NO9386011117947", "NO8330001234567")
    env.config.write_text(changed, encoding="utf-8")
    again = env.run("render", number)
    assert again.code == 0, again.stderr
    for path in issued["files"].values():  # every format, identical (SPEC §9)
        assert (again.folder / path).read_bytes() == (result.folder / path).read_bytes(), path


def test_the_summary_shows_vat_and_payable_per_invoice_and_in_all(env: Env) -> None:
    import shutil

    shutil.copy(PART2, env.config)
    result = env.process(env.workbook(customers=[customer("C-001")], orders=[order("N1")]),
                         partner="P-NORD")
    assert result.code == 0, result.stderr
    [issued] = result.manifest["invoices"]
    text = " ".join((result.folder / "summary.html").read_text().split())
    vat, payable = Decimal(issued["vat"]["amount"]), Decimal(issued["payable"])
    assert f"<tr><td>VAT</td><td>{vat:,} NOK</td></tr>" in text
    assert f"<tr><td>Amount payable</td><td>{payable:,} NOK</td></tr>" in text
    assert f'<td class="num">{vat:,}</td><td class="num">{payable:,}</td>' in text


def test_a_part_one_summary_has_no_vat_columns(env: Env) -> None:
    result = env.process(env.workbook(customers=[customer("C-001")], orders=[order("N1")]))
    assert result.code == 0, result.stderr
    text = (result.folder / "summary.html").read_text()
    assert '<th class="num">VAT</th>' not in text and "<td>VAT</td>" not in text
    assert "Amount payable" not in text


def test_every_run_without_tax_warns_so_and_a_run_with_tax_does_not(env: Env) -> None:
    import shutil

    workbook = env.workbook(customers=[customer("C-001")], orders=[order("N1")])
    for result in (env.process(workbook), env.run("report", "--month", "2026-11"),
                   env.run("render", "INV-2026-000001")):
        assert result.code == 0, result.stderr
        [warning] = [w for w in result.manifest["warnings"] if w["code"] == "no_tax_configured"]
        assert warning["message"].startswith("seatbatch.toml: tax: no [tax] table: invoices are "
                                             "issued without VAT")
        assert "no [tax] table" in (result.folder / "summary.html").read_text()
    shutil.copy(PART2, env.config)
    taxed = env.process(env.workbook("b.xlsx", customers=[customer("C-002")],
                                     orders=[order("N2", customer_id="C-002")]),
                        partner="P-NORD")
    assert taxed.code == 0, taxed.stderr
    assert not [w for w in taxed.manifest["warnings"] if w["code"] == "no_tax_configured"]


def test_a_renewal_under_part_two_is_paid_by_its_own_number(env: Env) -> None:
    import shutil

    shutil.copy(PART2, env.config)
    first = env.process(env.workbook(customers=[customer("C-001")],
                                     orders=[order("N1", term_years=1)]), partner="P-NORD")
    assert first.code == 0, first.stderr
    renewed = env.run("renew", "--month", "2027-11", as_of=date(2027, 11, 1))
    assert renewed.code == 0, renewed.stderr
    [invoice] = renewed.manifest["invoices"]
    assert invoice["vat"]["category"] == "S" and invoice["payable"] != invoice["total"]
    html = " ".join((renewed.folder / "invoices" / f"{invoice['number']}.html").read_text()
                    .split())
    assert f"Payment reference</td><td>{invoice['number']}</td>" in html


def test_an_estimate_shows_no_payment_block(env: Env) -> None:
    import shutil

    shutil.copy(PART2, env.config)
    quoted = env.run("quote", env.workbook(customers=[customer("C-001")], orders=[order("N1")]),
                     "--partner", "P-NORD")
    assert quoted.code == 0, quoted.stderr
    html = (quoted.folder / "invoices" / "quote.html").read_text()
    assert "Amount payable" in html and "Payment reference" not in html


@needs_rules
def test_the_e_invoices_a_run_writes_pass_the_official_rules(env: Env) -> None:
    import shutil

    shutil.copy(PART2, env.config)
    customers = [customer("C-001"), customer("C-002", organization="Ærø & <Søn> \"AS\"")]
    orders = [order("N1", seats=7), order("N2", customer_id="C-002", po_number=None),
              order("N3", customer_id="C-002", subscription="S2", term_years=1,
                    device_type="Space Plus", po_number=None)]
    rules = official_rules()
    for partner in ("P-NORD", "P-ACME", "P-RHEIN"):  # S 25 %, G export, AE reverse charge
        result = env.process(env.workbook(f"{partner}.xlsx", customers=customers,
                                          orders=orders), partner=partner)
        assert result.code == 0, result.stderr
        for issued in result.manifest["invoices"]:
            report = rules.check(result.folder / issued["files"]["ubl"])
            assert not report.fatal, (partner, issued["number"], report.fatal)


def test_an_invoice_that_cannot_be_a_valid_e_invoice_refuses_the_run_before_it_commits(
) -> None:
    """The configuration's checks make this unreachable from a file; the run checks again
    before it commits, so that no e-invoice is ever written half-valid."""
    import pytest

    from seatbatch.core.config import ConfigError
    from seatbatch.jobs.base import refuse_half_valid

    config = load_config(PART2)
    a_line = InvoiceLine("N1", "new", "SUB-000001", "Space Pro", 1, 1, date(2026, 11, 24),
                         date(2027, 11, 23), Decimal("1036.80"), 365, 365,
                         LineAmounts(Decimal("1036.80"), Decimal(0), Decimal(0),
                                     Decimal("1036.80")))
    fine = replace(_part2_invoice(DOMESTIC), lines=(a_line,))
    without_vat = replace(fine, vat=None, number="INV-2026-000008")
    refuse_half_valid([fine, without_vat], config, ("xlsx", "html"))  # no ubl: nothing to lack
    with pytest.raises(ConfigError) as refused:
        refuse_half_valid([fine, without_vat], config, ("xlsx", "ubl"))
    [(key, what)] = refused.value.problems
    assert key == "documents.formats"
    assert what == ("ubl is listed, but 1 invoice(s) could not be valid e-invoices: "
                    "INV-2026-000008: lacks VAT treatment ([tax])")


def test_an_invoice_issued_without_vat_is_rendered_without_an_e_invoice(env: Env) -> None:
    """Issued before [tax] was configured, it renders as it was issued: no VAT, and no
    e-invoice, which it could not be; the other formats are written."""
    import shutil

    first = env.process(env.workbook(customers=[customer("C-001")], orders=[order("N1")]))
    assert first.code == 0, first.stderr
    shutil.copy(PART2, env.config)
    again = env.run("render", "INV-2026-000001")
    assert again.code == 0, again.stderr
    [rendered] = again.manifest["invoices"]
    assert sorted(rendered["files"]) == ["html", "pdf", "xlsx"] and "vat" not in rendered
    assert sorted(p.suffix for p in (again.folder / "invoices").iterdir()) == [
        ".html", ".pdf", ".xlsx"]
    assert (again.folder / "invoices" / "INV-2026-000001.html").read_text() == (
        first.folder / "invoices" / "INV-2026-000001.html").read_text()
    [said] = [w for w in again.manifest["warnings"] if w["code"] == "no_einvoice"]
    assert said["message"].startswith("INV-2026-000001 was issued without VAT")
    # with the e-invoice the only format, there is nothing it can be written as: a usage error
    env.config.write_text(PART2.read_text().replace(
        'formats = ["xlsx", "html", "pdf", "ubl"]', 'formats = ["ubl"]'), encoding="utf-8")
    refused = env.run("render", "INV-2026-000001")
    assert refused.code == 2, refused.stderr
    assert "INV-2026-000001 was issued without VAT: it cannot be an e-invoice" in refused.stderr


def test_a_printed_invoice_shows_its_totals_once() -> None:
    """Browsers repeat a table's footer on every printed page (a 60-line invoice printed from
    Chromium showed the amount payable on each of its 5 pages); the totals are laid out as an
    ordinary row group, so they print once, after the last line (checked by printing with
    headless Chromium: 4 pages, the amount payable once)."""
    from seatbatch.output.html import render

    page = render("invoice.html", invoice=_part2_invoice(DOMESTIC))
    assert "table.lines tfoot { display: table-row-group; }" in page


def test_a_quote_totals_its_estimates_net_vat_and_payable(env: Env) -> None:
    import shutil

    shutil.copy(PART2, env.config)
    quoted = env.run("quote", env.workbook(
        customers=[customer("C-001"), customer("C-002")],
        orders=[order("N1"), order("N2", customer_id="C-002")]), "--partner", "P-NORD")
    assert quoted.code == 0, quoted.stderr
    estimates = quoted.manifest["invoices"]
    assert len(estimates) == 2
    vat = sum(Decimal(e["vat"]["amount"]) for e in estimates)
    payable = sum(Decimal(e["payable"]) for e in estimates)
    text = " ".join((quoted.folder / "invoices" / "quote.html").read_text().split())
    assert f"<td>VAT</td><td>{vat:,} NOK</td>" in text
    assert f"<td><strong>Amount payable</strong></td><td><strong>{payable:,} NOK" in text
    # each estimate is a PDF of its own, marked as one; never an e-invoice (SPEC §9)
    assert [e["files"] for e in estimates] == [
        {"xlsx": "invoices/quote.xlsx", "html": "invoices/quote.html",
         "pdf": f"invoices/quote-{n}.pdf"} for n in (1, 2)]
    assert sorted(p.name for p in (quoted.folder / "invoices").iterdir()) == [
        "quote-1.pdf", "quote-2.pdf", "quote.html", "quote.xlsx"]
    from pypdf import PdfReader

    first = PdfReader(quoted.folder / "invoices" / "quote-1.pdf").pages[0].extract_text()
    assert first.startswith("Estimate — not an invoice. Do not pay.")
    assert "Payment reference" not in first
