"""The harness that runs the official e-invoice rules (tests/einvoice_rules.py) on a Peppol BIS
Billing 3.0 invoice written by hand (tests/einvoice/domestic-nok.xml): it passes, and each
broken variant is caught by the rule that should catch it, with its flag."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from einvoice_rules import RULES_VARIABLE, Report, Rules, missing, needs_rules, official_rules

VALID = Path(__file__).parent / "einvoice" / "domestic-nok.xml"


@pytest.fixture(scope="session")
def rules() -> Rules:
    return official_rules()


def variant(old: str, new: str) -> bytes:
    """The valid invoice with `old` (which must be in it) replaced by `new`."""
    text = VALID.read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new).encode("utf-8")


def failed(report: Report) -> list[tuple[str, str, str, str]]:
    return [("CEN", f.rule, f.flag, f.location) for f in report.cen] + \
           [("Peppol", f.rule, f.flag, f.location) for f in report.peppol]


def test_a_valid_invoice_fails_no_assert(rules: Rules) -> None:
    report = rules.check(VALID)
    assert failed(report) == [], str(report)


def test_totals_that_do_not_add_up_are_fatal(rules: Rules) -> None:
    payable = '<cbc:PayableAmount currencyID="NOK">17400.00</cbc:PayableAmount>'
    report = rules.check(variant(payable, payable.replace("17400.00", "17400.01")))
    assert failed(report) == [("CEN", "BR-CO-16", "fatal", "/Invoice[1]/LegalMonetaryTotal[1]")]
    assert report.fatal[0].text.startswith("[BR-CO-16]-Amount due for payment (BT-115)")


def test_a_line_whose_net_is_not_its_price_less_its_allowances_is_fatal(rules: Rules) -> None:
    partner_discount = '<cbc:Amount currencyID="NOK">3240.00</cbc:Amount>'
    report = rules.check(variant(partner_discount, partner_discount.replace("3240", "3000")))
    assert failed(report) == [
        ("Peppol", "PEPPOL-EN16931-R120", "fatal", "/Invoice[1]/InvoiceLine[1]"),
        # and 3,000.00 is not its 20 % of 16,200.00
        ("Peppol", "PEPPOL-EN16931-R040", "fatal", "/Invoice[1]/InvoiceLine[1]/AllowanceCharge[2]"),
    ]


def test_no_buyer_reference_nor_order_reference_is_fatal(rules: Rules) -> None:
    """BT-10 or BT-13: Peppol requires one; EN 16931 alone does not."""
    without = variant("<cbc:BuyerReference>C-001</cbc:BuyerReference>", "")
    without = without.replace(b"<cac:OrderReference>\n    <cbc:ID>PO-77</cbc:ID>\n"
                              b"  </cac:OrderReference>", b"")
    report = rules.check(without)
    assert failed(report) == [("Peppol", "PEPPOL-EN16931-R003", "fatal", "/Invoice[1]")]
    assert report.fatal[0].text == \
        "A buyer reference or purchase order reference MUST be provided."


def test_a_warning_is_not_fatal(rules: Rules) -> None:
    """A Norwegian issuer without "Foretaksregisteret" draws Peppol's warning NO-R-002."""
    register = ("<cac:PartyTaxScheme>\n        <cbc:CompanyID>Foretaksregisteret</cbc:CompanyID>\n"
                "        <cac:TaxScheme>\n          <cbc:ID>TAX</cbc:ID>\n"
                "        </cac:TaxScheme>\n      </cac:PartyTaxScheme>")
    report = rules.check(variant(register, ""))
    assert failed(report) == [("Peppol", "NO-R-002", "warning",
                               "/Invoice[1]/AccountingSupplierParty[1]/Party[1]")]
    assert report.fatal == ()


@needs_rules
def test_the_compiled_peppol_rules_are_kept_for_the_next_session(tmp_path: Path) -> None:
    folder = Path(os.environ[RULES_VARIABLE])
    first = Rules(folder, tmp_path).peppol_xslt
    written = first.stat().st_mtime_ns
    again = Rules(folder, tmp_path).peppol_xslt
    assert (again, again.stat().st_mtime_ns) == (first, written)
    assert [p.name for p in tmp_path.iterdir()] == [first.name]


def test_what_is_missing_is_said_plainly(tmp_path: Path) -> None:
    assert missing({}) == (
        "$SEATBATCH_EINVOICE_RULES is not set; it names the folder of the official e-invoice "
        "rules, which `sh tests/get_einvoice_rules.sh` prepares and prints (README: Development)")
    (tmp_path / "schxslt/core/src/main/resources/xslt/2.0").mkdir(parents=True)
    (tmp_path / "schxslt/core/src/main/resources/xslt/2.0/pipeline-for-svrl.xsl").touch()
    assert missing({RULES_VARIABLE: str(tmp_path)}) == (
        f"$SEATBATCH_EINVOICE_RULES={tmp_path} lacks "
        f"{tmp_path}/eInvoicing-EN16931/ubl/xslt/EN16931-UBL-validation.xslt "
        "(ConnectingEurope/eInvoicing-EN16931: the CEN EN 16931 UBL validation artefacts); "
        f"{tmp_path}/peppol-bis-invoice-3/rules/sch/PEPPOL-EN16931-UBL.sch "
        "(OpenPEPPOL/peppol-bis-invoice-3: the Peppol BIS Billing 3.0 UBL rules); "
        f"`sh tests/get_einvoice_rules.sh {tmp_path}` prepares it")
