"""A credit note as each document (SPEC §9, §11): the UBL `CreditNote` passes the official
rules in each treatment and currency as invoices do, with its `BillingReference`; the PDF and
the workbook say "Credit note", the invoice it credits, the reason and the amount to be
refunded or set off."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import pytest
from lxml import etree
from openpyxl import load_workbook
from pypdf import PdfReader

from einvoice_rules import needs_rules, official_rules
from seatbatch.billing.credits import Taken, plan_credit
from seatbatch.billing.credits import credit_note as make_credit_note
from seatbatch.core.model import Invoice
from seatbatch.output.pdf import invoice_pdf
from seatbatch.output.ubl import NAMESPACES, ubl_invoice
from seatbatch.output.xlsx import write_invoice_xlsx
from test_pdf import squeezed
from test_ubl import TREATMENTS, full_invoice, two_lines

CREDITED = date(2027, 1, 15)
CN = {**NAMESPACES, "cn": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"}


def with_days(invoice: Invoice) -> Invoice:
    """The invoice with its lines' days as SPEC §4 counts them (test_ubl leaves a line that is
    not prorated without them)."""
    lines = tuple(
        line if line.term_days else replace(
            line, prorate_days=(line.period_end - line.period_start).days + 1,
            term_days=(line.period_end - line.period_start).days + 1)
        for line in invoice.lines)
    return replace(invoice, lines=lines)


def credit_note(invoice: Invoice, *lines: tuple[str, int | None],
                first_day: date | None = None, taken: tuple[Taken, ...] = ()) -> Invoice:
    invoice = with_days(invoice)
    plan = plan_credit(invoice, lines, first_day, taken, {1: Decimal(0), 3: Decimal("0.10")})
    assert not plan.problems, plan.problems
    return make_credit_note(invoice, plan, number="CN-2027-000001", credit_date=CREDITED,
                            reason="Customer closed the site")


def checked(note: Invoice) -> bytes:
    document = ubl_invoice(note)
    report = official_rules().check(document)
    assert not report.fatal, f"{report}\n\n{document.decode()}"
    return document


@needs_rules
@pytest.mark.parametrize("treatment", list(TREATMENTS))
def test_each_treatment_passes(treatment: str) -> None:
    checked(credit_note(full_invoice(treatment)))


@needs_rules
@pytest.mark.parametrize("currency", ["EUR", "NOK", "JPY"])
@pytest.mark.parametrize("po_number", ["PO-77", None])
def test_each_currency_with_and_without_po_passes(currency: str, po_number: str | None) -> None:
    for treatment in ("domestic", "export"):
        invoice = full_invoice(treatment, currency, lines=two_lines(currency),
                               po_number=po_number)
        checked(credit_note(invoice, ("L1", 1), first_day=date(2027, 6, 1)))


@needs_rules
def test_the_credit_note_references_its_invoice_and_credits_quantities() -> None:
    invoice = full_invoice("domestic", "NOK")
    note = credit_note(invoice, ("L1", 3), ("L2", None))
    root = etree.fromstring(checked(note))
    assert etree.QName(root).localname == "CreditNote"

    def text(path: str) -> list[str]:
        found = root.xpath(path, namespaces=CN)
        assert isinstance(found, list)
        return [str(x) for x in found]

    assert text("cbc:CreditNoteTypeCode/text()") == ["381"]
    # BT-22: the reason, as every other format prints it (a newcomer found it missing)
    assert text("cbc:Note/text()") == ["Credit note: Customer closed the site"]
    assert text("cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID/text()") == [
        "INV-2026-000042"]
    assert text("cac:BillingReference/cac:InvoiceDocumentReference/cbc:IssueDate/text()") == [
        "2026-11-24"]
    assert text("cac:CreditNoteLine/cbc:CreditedQuantity/text()") == ["3", "2"]
    assert text("cac:CreditNoteLine/cbc:ID/text()") == ["L1", "L2"]
    assert text("cbc:DueDate/text()") == [] and text("cac:InvoiceLine") == []
    assert text("cac:LegalMonetaryTotal/cbc:PayableAmount/text()") == [
        f"{note.payable:.2f}"]


def test_the_pdf_and_the_workbook_say_what_is_credited(tmp_path: Path) -> None:
    note = credit_note(full_invoice("domestic", "NOK"))
    text = squeezed(" ".join(page.extract_text() for page in
                             PdfReader(BytesIO(invoice_pdf(note))).pages))
    for words in ("Credit note CN-2027-000001", "Credits invoice INV-2026-000042 of 2026-11-24",
                  "Customer closed the site", "Amount to be refunded or set off NOK"):
        assert squeezed(words) in text, words
    assert squeezed("Due date") not in text and squeezed("IBAN") not in text
    path = tmp_path / "note.xlsx"
    write_invoice_xlsx(note, path)
    cells = [str(c) for row in load_workbook(path).active.iter_rows(values_only=True)
             for c in row if c is not None]
    assert "Credit note CN-2027-000001" in cells and "Customer closed the site" in cells
    assert "Amount to be refunded or set off NOK" in cells and "Due date" not in cells


@needs_rules
@pytest.mark.parametrize("treatment", ["domestic", "export"])
def test_a_credit_of_what_was_left_before_a_day_passes_with_its_own_period(
        treatment: str, tmp_path: Path) -> None:
    """A credit line that ends before its invoice line does (what is left of L1 once 1 of its 4
    seats was credited from 2027-06-01): its period is its own, in every document."""
    invoice = full_invoice(treatment, "NOK")
    earlier = Taken(1, 1, "CN-2027-000000", date(2027, 6, 1))
    note = credit_note(invoice, ("L1", None), taken=(earlier,))
    assert [(line.seats, line.period_start, line.period_end) for line in note.lines] == [
        (3, date(2026, 11, 24), date(2029, 11, 23)), (1, date(2026, 11, 24), date(2027, 5, 31))]
    root = etree.fromstring(checked(note))

    def text(path: str) -> list[str]:
        found = root.xpath(path, namespaces=CN)
        assert isinstance(found, list)
        return [str(x) for x in found]

    assert text("cac:CreditNoteLine/cac:InvoicePeriod/cbc:StartDate/text()") == [
        "2026-11-24", "2026-11-24"]
    assert text("cac:CreditNoteLine/cac:InvoicePeriod/cbc:EndDate/text()") == [
        "2029-11-23", "2027-05-31"]
    assert text("cac:CreditNoteLine/cbc:ID/text()") == ["L1", "L1/2"]
    pdf = squeezed(" ".join(page.extract_text() for page in
                            PdfReader(BytesIO(invoice_pdf(note))).pages))
    assert squeezed("2026-11-24 \u2013 2027-05-31") in pdf
    path = tmp_path / "note.xlsx"
    write_invoice_xlsx(note, path)
    cells = [c for row in load_workbook(path).active.iter_rows(values_only=True) for c in row]
    assert sum(1 for c in cells if str(c).startswith("2027-05-31")) == 1
