"""Partner isolation in every command: two partners who both call their customer C-001."""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from conftest import Env, customer, device, order

ACME_ORG = "Harbour View Offices Ltd"
OTHER_ORG = "Bergblick Praxis GmbH"


@pytest.fixture
def two(env: Env) -> Env:
    """Both partners have a customer C-001 with a 1-year subscription from 2025-12-01."""
    for partner, organization, serial, seats in (("P-ACME", ACME_ORG, "SN-ACME", 2),
                                                 ("P-OTHER", OTHER_ORG, "SN-OTHER", 5)):
        result = env.process(env.workbook(f"{partner}.xlsx", customers=[
            customer("C-001", organization=organization)], devices=[device(serial)],
            orders=[order("L1", seats=seats, term_years=1, start_date=date(2026, 1, 5),
                          po_number=f"PO-{partner}")]),
            partner, as_of=date(2026, 1, 5))
        assert result.code == 0, result.stderr
    return env


def _text_of(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return "".join(archive.read(name).decode() for name in archive.namelist()
                       if name.endswith(".xml"))


def test_template_of_a_partner_holds_only_its_own(two: Env) -> None:
    result = two.run("template", two.root / "acme.xlsx", "--partner", "P-ACME")
    assert result.code == 0, result.stderr
    text = _text_of(Path(result.stdout.strip()))
    assert ACME_ORG in text and "SN-ACME" in text and "PO-P-ACME" in text
    assert OTHER_ORG not in text and "SN-OTHER" not in text and "PO-P-OTHER" not in text
    book = openpyxl.load_workbook(result.stdout.strip())
    assert [r[0] for r in book["Subscriptions"].iter_rows(min_row=2, values_only=True)] == [
        "SUB-000001"]


def test_render_shows_the_invoice_of_its_own_partner_only(two: Env) -> None:
    result = two.run("render", "INV-2026-000002")
    assert result.code == 0, result.stderr
    assert result.manifest["partner_id"] == "P-OTHER"
    html = (result.folder / "invoices" / "INV-2026-000002.html").read_text()
    text = html + _text_of(result.folder / "invoices" / "INV-2026-000002.xlsx")
    assert OTHER_ORG in text and "Other Reseller GmbH" in text
    assert ACME_ORG not in text and "Acme Facilities" not in text


def test_a_workbook_cannot_reach_another_partners_subscription(two: Env) -> None:
    before = two.invoice_numbers()
    result = two.process(two.workbook("steal.xlsx", orders=[
        order("L9", action="add", subscription="SUB-000002", term_years=None, start_date=None,
              seats=1)]), as_of=date(2026, 2, 1))
    assert result.code == 1
    assert "SUB-000002" in result.stderr
    assert two.invoice_numbers() == before


def test_renewals_and_the_report_keep_the_partners_apart(two: Env) -> None:
    renewed = two.run("renew", "--month", "2027-01", as_of=date(2027, 1, 2))
    assert renewed.code == 0, renewed.stderr
    by_po = {i["po_number"]: i for i in renewed.manifest["invoices"]}
    assert by_po["PO-P-ACME"]["lines"][0]["seats"] == 2
    assert by_po["PO-P-OTHER"]["lines"][0]["seats"] == 5
    acme = (renewed.folder / "invoices" / f"{by_po['PO-P-ACME']['number']}.html").read_text()
    assert ACME_ORG in acme and OTHER_ORG not in acme

    report = two.run("report", "--month", "2026-01", as_of=date(2027, 1, 2))
    assert report.code == 0, report.stderr
    book = openpyxl.load_workbook(report.folder / "report.xlsx", data_only=True)
    customers = [r[:3] for r in book["By customer"].iter_rows(min_row=2, values_only=True)]
    assert customers == [("P-ACME", "C-001", ACME_ORG), ("P-OTHER", "C-001", OTHER_ORG)]
