"""The e-invoice (seatbatch.output.ubl, SPEC §9): invoices built here directly, written as UBL,
read back with xpath for the mapping, and checked with the official rules
(tests/einvoice_rules.py): no failed assert of flag `fatal`, in each treatment, currency and
kind of line, with hostile text."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from lxml import etree

from einvoice_rules import Report, needs_rules, official_rules
from seatbatch.core.documents import line_ids
from seatbatch.core.model import (
    Invoice,
    InvoiceLine,
    LineAmounts,
    Party,
    Payment,
    PostalAddress,
    Vat,
)
from seatbatch.core.money import round_money
from seatbatch.output.ubl import (
    NAMESPACES,
    NotAnEInvoice,
    lacking,
    text,
    ubl_invoice,
)

D = Decimal
ISSUED = date(2026, 11, 24)


def orgnr(first8: str) -> str:
    """A Norwegian organisation number: eight digits and their mod-11 check digit (weights
    3 2 7 6 5 4 3 2; a remainder giving 10 has no valid number)."""
    total = sum(int(d) * w for d, w in zip(first8, (3, 2, 7, 6, 5, 4, 3, 2), strict=True))
    check = (11 - total % 11) % 11
    assert check != 10, f"{first8} has no valid check digit"
    return first8 + str(check)


def gln(first12: str) -> str:
    """A GS1 GLN: twelve digits and their check digit (weights 1 3 1 3 … from the left)."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return first12 + str((10 - total % 10) % 10)


ISSUER_ORGNR = orgnr("99999999")  # 999999999
PARTNER_ORGNR = orgnr("91234560")  # 912345602

ISSUER = Party(
    name="Example Sensors AS",
    address=("Wergelandsveien 1", "0167 Oslo", "Norway"),
    vat_id=f"NO{ISSUER_ORGNR}MVA",
    postal=PostalAddress("Wergelandsveien 1", "0167", "Oslo", "NO"),
    registration_id=ISSUER_ORGNR,
    legal_form="Foretaksregisteret",
    electronic_address=f"0192:{ISSUER_ORGNR}",
    email="billing@example-sensors.no",
)
NORDLYS = Party(  # a Norwegian partner: domestic
    name="Nordlys Bygg AS",
    address=("Kongens gate 9", "7011 Trondheim", "Norway"),
    vat_id=f"NO{PARTNER_ORGNR}MVA",
    postal=PostalAddress("Kongens gate 9", "7011", "Trondheim", "NO"),
    registration_id=PARTNER_ORGNR,
    electronic_address=f"0192:{PARTNER_ORGNR}",
)
ACME = Party(  # a British partner: export
    name="Acme Ltd",
    address=("2 Dock Road", "London E16 1AA", "United Kingdom"),
    vat_id="GB123456789",
    postal=PostalAddress("2 Dock Road", "E16 1AA", "London", "GB"),
    registration_id="01234567",
    electronic_address=f"0088:{gln('579000043597')}",
)
BERLIN = Party(  # a German partner: reverse charge
    name="Berliner Messtechnik GmbH",
    vat_id="DE123456789",
    postal=PostalAddress("Invalidenstraße 5", "10115", "Berlin", "DE"),
    registration_id="HRB 12345",
    electronic_address="9930:DE123456789",
)

TREATMENTS = {  # treatment name -> (category, rate, note)
    "domestic": ("S", D("0.25"), ""),
    "reverse_charge": ("AE", D(0), "Reverse charge: the buyer accounts for VAT"),
    "export": ("G", D(0), "Export of services outside the issuer's VAT area"),
    "zero": ("Z", D(0), ""),
    "exempt": ("E", D(0), "Exempt from VAT: merverdiavgiftsloven § 3-6"),
    "outside": ("O", D(0), "Not subject to VAT"),
}
PARTNER_OF = {"domestic": NORDLYS, "reverse_charge": BERLIN, "export": ACME,
              "zero": NORDLYS, "exempt": NORDLYS, "outside": NORDLYS}


def priced_line(  # noqa: PLR0913  keyword-only: a line's every fact named at the call
    *, currency: str, seats: int, price: str, years: int, term_rate: str = "0",
    partner_rate: str = "0.20", order_id: str | None = "L1", device_type: str = "Space Pro",
    start: date = ISSUED, prorate: tuple[int, int] | None = None,
    subscription_id: str | None = "SUB-000001", action: str = "new",
) -> InvoiceLine:
    """A line priced as SPEC §4 prices it; `prorate` = (days, of days) for an add."""
    days, term_days = prorate or (0, 0)
    fraction = D(days) / D(term_days) if prorate else D(1)
    list_amount = round_money(seats * D(price) * years * fraction, currency)
    term_discount = round_money(list_amount * D(term_rate), currency)
    partner_discount = round_money((list_amount - term_discount) * D(partner_rate), currency)
    net = list_amount - term_discount - partner_discount
    end = date(start.year + years, start.month, start.day) - timedelta(days=1)
    return InvoiceLine(
        order_id=order_id, action=action, subscription_id=subscription_id,
        device_type=device_type, seats=seats, term_years=years,
        period_start=end + timedelta(days=1) - timedelta(days=days) if prorate else start,
        period_end=end, unit_price=D(price), prorate_days=days, term_days=term_days,
        amounts=LineAmounts(list_amount, term_discount, partner_discount, net),
    )


def two_lines(currency: str) -> tuple[InvoiceLine, ...]:
    price = {"JPY": ("165000", "66000")}.get(currency, ("1500.00", "600.00"))
    return (
        priced_line(currency=currency, seats=4, price=price[0], years=3, term_rate="0.10",
                    order_id="L1"),
        priced_line(currency=currency, seats=2, price=price[1], years=1, order_id="L2",
                    device_type="Space CO2 Mini", subscription_id="SUB-000002"),
    )


def full_invoice(treatment: str = "domestic", currency: str = "NOK", *,
                 lines: tuple[InvoiceLine, ...] | None = None, **changes: Any) -> Invoice:
    """A Part II invoice, complete for an e-invoice: the issuer in Norway, the partner of the
    treatment, paid by bank transfer to a Norwegian account."""
    lines = lines if lines is not None else two_lines(currency)
    total = sum((line.net_amount for line in lines), D(0))
    category, rate, note = TREATMENTS[treatment]
    invoice = Invoice(
        number="INV-2026-000042",
        invoice_date=ISSUED,
        due_date=ISSUED + timedelta(days=30),
        issuer=ISSUER,
        partner_id="P-1",
        bill_to=PARTNER_OF[treatment],
        customer_id="C-001",
        customer_name="Fjellstua Hotell AS",
        po_number="PO-77",
        currency=currency,
        partner_discount_rate=D("0.20"),
        lines=lines,
        total=total,
        vat=Vat(treatment=treatment, category=category, rate=rate, base=total,
                amount=round_money(total * rate, currency), note=note),
        payment=Payment(iban="NO9386011117947", bic="DNBANOKKXXX", bank="DNB Bank ASA",
                        reference="INV-2026-000042"),
    )
    if category == "O":  # BR-O-02: not subject to VAT, no VAT ids
        invoice = dataclasses.replace(
            invoice, issuer=dataclasses.replace(ISSUER, vat_id=""),
            bill_to=dataclasses.replace(invoice.bill_to, vat_id=""))
    return dataclasses.replace(invoice, **changes)


def xml(invoice: Invoice) -> etree._Element:
    return etree.fromstring(ubl_invoice(invoice))


def found(root: etree._Element, path: str) -> list[Any]:
    result = root.xpath(path, namespaces=NAMESPACES)
    assert isinstance(result, list), (path, result)
    return result


def values(root: etree._Element, path: str) -> list[str]:
    return [str(v) for v in found(root, path)]


def nodes(root: etree._Element, path: str) -> list[etree._Element]:
    return [node for node in found(root, path) if isinstance(node, etree._Element)]


def value(root: etree._Element, path: str) -> str:
    each = values(root, path)
    assert len(each) == 1, (path, each)
    return each[0]


def checked(invoice: Invoice) -> Report:
    """The rules' report on the invoice's UBL, which has no fatal failure."""
    report = official_rules().check(ubl_invoice(invoice))
    assert not report.fatal, f"{report}\n\n{ubl_invoice(invoice).decode()}"
    return report


def rules(report: Report) -> list[tuple[str, str]]:
    return [(f.rule, f.location) for f in report.warnings]


# --- the official rules: no fatal assert -----------------------------------------------------

@needs_rules
@pytest.mark.parametrize("treatment", list(TREATMENTS))
def test_each_treatment_passes(treatment: str) -> None:
    checked(full_invoice(treatment))


@needs_rules
@pytest.mark.parametrize("currency", ["EUR", "NOK", "JPY"])
@pytest.mark.parametrize("po_number", ["PO-77", None])
def test_each_currency_with_and_without_po_passes(currency: str, po_number: str | None) -> None:
    checked(full_invoice("domestic", currency, po_number=po_number))
    checked(full_invoice("export", currency, po_number=po_number))


def enterprise_number(first8: str) -> str:
    """A Belgian enterprise number: eight digits and 97 less their remainder by 97."""
    return f"{first8}{97 - int(first8) % 97:02d}"


@needs_rules
def test_a_belgian_issuer_passes() -> None:
    """Not only Norway: a Belgian issuer to a Belgian partner, 21 %, EUR, SEPA."""
    seller, buyer = enterprise_number("04035781"), enterprise_number("08765432")
    issuer = Party(name="Zonnewijzer NV", vat_id=f"BE{seller}",
                   postal=PostalAddress("Wetstraat 16", "1000", "Brussel", "BE"),
                   registration_id=seller, electronic_address=f"0208:{seller}",
                   email="facturen@zonnewijzer.be")
    partner = Party(name="Brugse Bouw BV", vat_id=f"BE{buyer}",
                    postal=PostalAddress("Markt 1", "8000", "Brugge", "BE"),
                    registration_id=buyer, electronic_address=f"0208:{buyer}")
    invoice = full_invoice("domestic", "EUR", issuer=issuer, bill_to=partner)
    assert invoice.vat is not None
    vat = dataclasses.replace(invoice.vat, rate=D("0.21"),
                              amount=round_money(invoice.total * D("0.21"), "EUR"))
    invoice = dataclasses.replace(invoice, vat=vat, payment=Payment(
        iban="BE68539007547034", bic="GEBABEBB", bank="", reference="+++090/9337/55493+++"))
    assert rules(checked(invoice)) == []
    root = xml(invoice)
    assert value(root, "cac:PaymentMeans/cbc:PaymentMeansCode/text()") == "58"
    assert values(root, "//cac:PartyTaxScheme/cac:TaxScheme/cbc:ID/text()") == ["VAT", "VAT"]


@needs_rules
def test_the_typical_domestic_invoice_raises_no_warning() -> None:
    assert rules(checked(full_invoice("domestic"))) == []


@needs_rules
def test_the_typical_export_invoice_raises_no_warning() -> None:
    assert rules(checked(full_invoice("export", "EUR"))) == []


def prorated_add(currency: str = "NOK") -> InvoiceLine:
    """7 seats added for 217 of the 1,096 days left of a 3-year term (2026-2028 holds a 29
    February): odd amounts, no price per seat that multiplies back."""
    price = "165000" if currency == "JPY" else "1499.99"
    return priced_line(currency=currency, seats=7, price=price, years=3, term_rate="0.10",
                       prorate=(217, 1096), start=date(2026, 1, 1), action="add",
                       order_id="A-9", subscription_id="SUB-000123")


@needs_rules
@pytest.mark.parametrize("currency", ["EUR", "NOK", "JPY"])
def test_a_prorated_add_passes(currency: str) -> None:
    line = prorated_add(currency)
    assert round_money(line.list_amount / 7, currency) * 7 != line.list_amount  # no seat price
    invoice = full_invoice("domestic", currency, lines=(line,))
    checked(invoice)
    root = xml(invoice)
    assert value(root, "//cac:InvoiceLine/cbc:Note/text()") == \
        "SUB-000123; prorated 217 of 1096 days"
    assert value(root, "//cac:InvoiceLine/cac:InvoicePeriod/cbc:StartDate/text()") == \
        "2028-05-29"
    assert value(root, "//cac:InvoiceLine/cac:InvoicePeriod/cbc:EndDate/text()") == "2028-12-31"


@needs_rules
def test_a_renewal_passes_and_numbers_its_lines() -> None:
    lines = tuple(
        priced_line(currency="NOK", seats=seats, price="1500.00", years=3, term_rate="0.10",
                    order_id=None, subscription_id="SUB-000007", action="renewal",
                    device_type=device, start=date(2027, 1, 1))
        for seats, device in ((5, "Space Pro"), (1, "Space CO2 Mini")))
    invoice = full_invoice("domestic", lines=lines, kind="renewal")
    checked(invoice)
    root = xml(invoice)
    assert values(root, "//cac:InvoiceLine/cbc:ID/text()") == ["1", "2"]
    assert values(root, "//cac:InvoiceLine/cbc:Note/text()") == ["SUB-000007"] * 2


@needs_rules
def test_many_lines_pass() -> None:
    lines = tuple(
        priced_line(currency="EUR", seats=1 + i % 13, price=f"{99 + i}.99", years=1 + i % 3,
                    term_rate=("0", "0.05", "0.10")[i % 3], order_id=f"L{i + 1}",
                    prorate=(1 + 7 * i % 365, 365) if i % 3 == 0 and i % 2 else None,
                    start=date(2026, 1 + i % 12, 1 + i % 28))
        for i in range(150))
    invoice = full_invoice("export", "EUR", lines=lines)
    checked(invoice)
    assert len(values(xml(invoice), "//cac:InvoiceLine")) == 150


RTL = "\u202e\u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627"  # override, Hebrew, Arabic
HOSTILE = (f"<b>&amp; ]]> \"quoted\" 'single' \x00\x07\x0b\x1b\x7f\ud800\ufffe"
           f" 🚀 {RTL} =1+1 @SUM(A1) \t")


@needs_rules
def test_hostile_text_stays_text_and_passes() -> None:
    line = priced_line(currency="NOK", seats=3, price="1500.00", years=1,
                       order_id=f"L-{HOSTILE}", device_type=f"Space {HOSTILE}")
    hostile_party = dataclasses.replace(
        NORDLYS, name=f"Nordlys {HOSTILE}",
        postal=PostalAddress(f"Gate {HOSTILE}", "7011", f"By {HOSTILE}", "NO"))
    invoice = full_invoice("domestic", lines=(line,), customer_id=f"C-{HOSTILE}",
                           customer_name=f"Org {HOSTILE}", po_number=f"PO {HOSTILE}",
                           bill_to=hostile_party)
    checked(invoice)
    root = xml(invoice)
    kept = text(HOSTILE)
    assert kept == ("<b>&amp; ]]> \"quoted\" 'single' \ufffd\ufffd\ufffd\ufffd\x7f\ufffd\ufffd"
                    f" 🚀 {RTL} =1+1 @SUM(A1)")
    assert value(root, "cbc:BuyerReference/text()") == f"C-{kept}"
    assert value(root, "cac:OrderReference/cbc:ID/text()") == f"PO {kept}"
    assert value(root, "cac:Delivery/cac:DeliveryParty/cac:PartyName/cbc:Name/text()") == \
        f"Org {kept}"
    assert value(root, "//cac:InvoiceLine/cbc:ID/text()") == f"L-{kept}"
    assert value(root, "//cac:InvoiceLine/cac:Item/cbc:Name/text()") == f"Space {kept}"
    assert value(root, "cac:AccountingCustomerParty//cbc:StreetName/text()") == f"Gate {kept}"
    raw = ubl_invoice(invoice)
    assert b"<b>" not in raw and b"]]>" not in raw and b"&lt;b&gt;&amp;amp;" in raw


@needs_rules
def test_a_po_of_white_space_is_no_po() -> None:
    root = xml(full_invoice(po_number=" \t "))
    assert values(root, "cac:OrderReference") == []
    checked(full_invoice(po_number=" \t "))


# --- the mapping ------------------------------------------------------------------------------

def test_the_header_totals_and_references() -> None:
    invoice = full_invoice("domestic", "NOK")
    root = xml(invoice)
    assert root.tag == "{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice"
    assert [value(root, f"cbc:{name}/text()") for name in (
        "ID", "IssueDate", "DueDate", "InvoiceTypeCode", "DocumentCurrencyCode",
        "BuyerReference")] == ["INV-2026-000042", "2026-11-24", "2026-12-24", "380", "NOK",
                               "C-001"]
    assert value(root, "cac:OrderReference/cbc:ID/text()") == "PO-77"
    # L1: 4 x 1500 x 3 = 18000, term 10 % 1800, partner 20 % 3240, net 12960;
    # L2: 2 x 600 = 1200, partner 240, net 960. Net 13920, VAT 25 % 3480, payable 17400.
    totals = "cac:LegalMonetaryTotal/cbc:"
    assert [value(root, f"{totals}{name}/text()") for name in (
        "LineExtensionAmount", "TaxExclusiveAmount", "TaxInclusiveAmount", "PayableAmount",
    )] == ["13920.00", "13920.00", "17400.00", "17400.00"]
    assert set(values(root, "//@currencyID")) == {"NOK"}
    assert value(root, "cac:TaxTotal/cbc:TaxAmount/text()") == "3480.00"
    assert [value(root, f"cac:TaxTotal/cac:TaxSubtotal/{path}/text()") for path in (
        "cbc:TaxableAmount", "cbc:TaxAmount", "cac:TaxCategory/cbc:ID",
        "cac:TaxCategory/cbc:Percent")] == ["13920.00", "3480.00", "S", "25"]
    assert values(root, "cac:TaxTotal//cbc:TaxExemptionReason") == []
    assert value(root, "cac:PaymentTerms/cbc:Note/text()") == \
        "Payable within 30 days, by 2026-12-24"
    assert value(root, "cac:Delivery/cac:DeliveryParty/cac:PartyName/cbc:Name/text()") == \
        "Fjellstua Hotell AS"


def test_without_po_there_is_no_order_reference() -> None:
    root = xml(full_invoice(po_number=None))
    assert values(root, "cac:OrderReference") == []
    assert value(root, "cbc:BuyerReference/text()") == "C-001"


def test_jpy_has_no_decimals() -> None:
    root = xml(full_invoice("domestic", "JPY"))
    # L1: 4 x 165000 x 3 = 1980000, -198000, -356400 = 1425600; L2: 2 x 66000 = 132000, -26400
    # = 105600. Net 1531200, VAT 25 % 382800, payable 1914000.
    assert value(root, "cac:LegalMonetaryTotal/cbc:PayableAmount/text()") == "1914000"
    assert all("." not in amount for amount in values(root, "//*[@currencyID]/text()"))


def test_the_parties() -> None:
    root = xml(full_invoice("domestic"))
    seller = "cac:AccountingSupplierParty/cac:Party/"
    buyer = "cac:AccountingCustomerParty/cac:Party/"
    assert value(root, f"{seller}cbc:EndpointID/@schemeID") == "0192"
    assert value(root, f"{seller}cbc:EndpointID/text()") == "999999999"
    assert values(root, f"{seller}cac:PartyTaxScheme/cbc:CompanyID/text()") == \
        ["NO999999999MVA", "Foretaksregisteret"]
    assert values(root, f"{seller}cac:PartyTaxScheme/cac:TaxScheme/cbc:ID/text()") == \
        ["VAT", "TAX"]
    assert value(root, f"{seller}cac:PartyLegalEntity/cbc:CompanyID/@schemeID") == "0192"
    assert value(root, f"{seller}cac:PartyLegalEntity/cbc:CompanyLegalForm/text()") == \
        "Foretaksregisteret"
    assert value(root, f"{seller}cac:Contact/cbc:ElectronicMail/text()") == \
        "billing@example-sensors.no"
    assert [value(root, f"{seller}cac:PostalAddress/{path}/text()") for path in (
        "cbc:StreetName", "cbc:CityName", "cbc:PostalZone", "cac:Country/cbc:IdentificationCode",
    )] == ["Wergelandsveien 1", "Oslo", "0167", "NO"]
    assert value(root, f"{buyer}cbc:EndpointID/text()") == "912345602"
    assert value(root, f"{buyer}cac:PartyLegalEntity/cbc:RegistrationName/text()") == \
        "Nordlys Bygg AS"

    export = xml(full_invoice("export", "EUR"))
    assert value(export, f"{buyer}cbc:EndpointID/@schemeID") == "0088"
    assert value(export, f"{buyer}cac:PartyTaxScheme/cbc:CompanyID/text()") == "GB123456789"
    # a registration id that is not the electronic address has no scheme
    assert values(export, f"{buyer}cac:PartyLegalEntity/cbc:CompanyID/@schemeID") == []
    assert value(export, f"{buyer}cac:PartyLegalEntity/cbc:CompanyID/text()") == "01234567"


def test_not_subject_to_vat_carries_no_vat_id_and_no_rate() -> None:
    root = xml(full_invoice("outside"))
    assert values(root, "//cac:PartyTaxScheme[cac:TaxScheme/cbc:ID='VAT']") == []
    assert values(root, "//cac:TaxCategory/cbc:Percent | //cac:ClassifiedTaxCategory/cbc:Percent"
                  ) == []
    assert value(root, "//cac:TaxCategory/cbc:TaxExemptionReasonCode/text()") == "VATEX-EU-O"


@pytest.mark.parametrize(("treatment", "code", "reason"), [
    ("reverse_charge", "VATEX-EU-AE", "Reverse charge: the buyer accounts for VAT"),
    ("export", "VATEX-EU-G", "Export of services outside the issuer's VAT area"),
    ("exempt", None, "Exempt from VAT: merverdiavgiftsloven § 3-6"),
    ("zero", None, None),  # BR-Z-10: no exemption reason
])
def test_the_exemption_reason(treatment: str, code: str | None, reason: str | None) -> None:
    root = xml(full_invoice(treatment))
    category = "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/"
    assert values(root, f"{category}cbc:TaxExemptionReasonCode/text()") == \
        ([code] if code else [])
    assert values(root, f"{category}cbc:TaxExemptionReason/text()") == ([reason] if reason else [])
    assert value(root, f"{category}cbc:Percent/text()") == "0"


def test_payment_means() -> None:
    nok = xml(full_invoice(currency="NOK"))
    assert value(nok, "cac:PaymentMeans/cbc:PaymentMeansCode/text()") == "30"
    assert value(nok, "cac:PaymentMeans/cbc:PaymentID/text()") == "INV-2026-000042"
    assert value(nok, "cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID/text()") == \
        "NO9386011117947"
    assert value(nok, "cac:PaymentMeans/cac:PayeeFinancialAccount/"
                      "cac:FinancialInstitutionBranch/cbc:ID/text()") == "DNBANOKKXXX"
    eur = xml(full_invoice(currency="EUR"))
    assert value(eur, "cac:PaymentMeans/cbc:PaymentMeansCode/text()") == "58"  # SEPA


def test_the_lines() -> None:
    root = xml(full_invoice("domestic"))
    first = "cac:InvoiceLine[1]/"
    assert values(root, "cac:InvoiceLine/cbc:ID/text()") == ["L1", "L2"]
    assert values(root, "cac:InvoiceLine/cbc:InvoicedQuantity/text()") == ["4", "2"]
    assert set(values(root, "cac:InvoiceLine/cbc:InvoicedQuantity/@unitCode")) == {"C62"}
    assert values(root, "cac:InvoiceLine/cac:Item/cbc:Name/text()") == \
        ["Space Pro", "Space CO2 Mini"]
    assert [value(root, f"{first}cac:InvoicePeriod/cbc:{name}/text()")
            for name in ("StartDate", "EndDate")] == ["2026-11-24", "2029-11-23"]
    assert value(root, f"{first}cbc:LineExtensionAmount/text()") == "12960.00"
    allowances = [
        (value(node, "cbc:ChargeIndicator/text()"),
         value(node, "cbc:AllowanceChargeReasonCode/text()"),
         value(node, "cbc:AllowanceChargeReason/text()"), value(node, "cbc:Amount/text()"))
        for node in nodes(root, f"{first}cac:AllowanceCharge")]
    assert allowances == [("false", "95", "Term discount, 3-year term", "1800.00"),
                          ("false", "95", "Partner discount 20 %", "3240.00")]
    # the second line has no term discount: no allowance of nothing
    assert values(root, "cac:InvoiceLine[2]/cac:AllowanceCharge/cbc:AllowanceChargeReason/text()"
                  ) == ["Partner discount 20 %"]
    assert [value(root, f"{first}cac:Price/{path}") for path in (
        "cbc:PriceAmount/text()", "cbc:BaseQuantity/text()", "cbc:BaseQuantity/@unitCode",
    )] == ["18000.00", "4", "C62"]


def test_an_order_on_two_lines_gets_two_ids() -> None:
    """An add whose seats continue into the next term: two lines of one order (SPEC §4)."""
    line = priced_line(currency="NOK", seats=2, price="1500.00", years=1, order_id="A-1")
    renewal = priced_line(currency="NOK", seats=1, price="1500.00", years=1, order_id=None)
    assert line_ids((line, line, renewal, line)) == ["A-1", "A-1/2", "3", "A-1/3"]


def test_what_is_missing_is_named_and_nothing_is_written() -> None:
    bare = dataclasses.replace(NORDLYS, postal=None, electronic_address="912345602")
    invoice = full_invoice("reverse_charge", vat=None, payment=None,
                           bill_to=dataclasses.replace(bare, vat_id=""), number=None)
    with pytest.raises(NotAnEInvoice) as caught:
        ubl_invoice(invoice)
    assert str(caught.value) == (
        "invoice (not numbered) cannot be an e-invoice: it has no number (a quote is never an "
        "e-invoice); no VAT treatment ([tax]); no payment account ([payment] iban); "
        "no partner's postal address; "
        "no partner's electronic address (\"scheme:id\", the Peppol EndpointID)")
    assert lacking(invoice) == [  # before it is numbered: what a run checks before it commits
        "VAT treatment ([tax])", "payment account ([payment] iban)", "partner's postal address",
        "partner's electronic address (\"scheme:id\", the Peppol EndpointID)"]
    assert lacking(full_invoice(number=None)) == []
    with pytest.raises(NotAnEInvoice, match=r"no partner's VAT id \(treatment AE\)"):
        ubl_invoice(full_invoice("reverse_charge",
                                 bill_to=dataclasses.replace(BERLIN, vat_id="")))
    with pytest.raises(NotAnEInvoice, match=r"no issuer's VAT id \(treatment S\)$"):
        ubl_invoice(full_invoice(issuer=dataclasses.replace(ISSUER, vat_id=" ")))


def test_amounts_that_do_not_add_up_are_refused() -> None:
    invoice = full_invoice()
    with pytest.raises(NotAnEInvoice, match="total equal to the sum of its lines' net amounts"):
        ubl_invoice(dataclasses.replace(invoice, total=invoice.total + 1))
    assert invoice.vat is not None
    wrong_vat = dataclasses.replace(invoice.vat, amount=invoice.vat.amount + D("0.01"))
    with pytest.raises(NotAnEInvoice, match="VAT amount equal to its base times its rate"):
        ubl_invoice(dataclasses.replace(invoice, vat=wrong_vat))
