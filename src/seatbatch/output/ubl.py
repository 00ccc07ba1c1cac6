"""The e-invoice (SPEC §9): one invoice as a UBL 2.1 `Invoice` following Peppol BIS Billing 3.0.

The mapping, element by element, is SPEC §9's; what it leaves open is decided here:

- A line's id is its order_id; a renewal line, which has none, is numbered by its place on the
  invoice ("1", "2", …: a renewal invoice holds renewal lines only, so these never meet an
  order id); the second line of one order (its seats carried into the next term, SPEC §4) is
  `<order_id>/2`. The subscription and the proration stand in the line's note (BT-127).
- A line's price is the price of all its seats for the period billed: `PriceAmount` = the
  line's list amount, `BaseQuantity` = its seats. Then quantity x price / base quantity -
  allowances is the line's net amount exactly (PEPPOL-EN16931-R120), prorated or not, where a
  price per seat would be rounded.
- The term and the partner discount are line allowances with reason code 95 (UNCL5189
  "Discount") and their reason in words; they carry no percentage and base amount: a discount
  rounded to yen may miss base x percentage by more than PEPPOL-EN16931-R040's 0.02.
- Payment means 58 (SEPA credit transfer) for a EUR invoice paid to an IBAN of a SEPA country,
  else 30 (credit transfer); the payment reference is the `PaymentID`.
- A Norwegian seller's legal form ("Foretaksregisteret") also stands as its tax registration
  (`PartyTaxScheme` of scheme TAX), as Peppol's rule NO-R-002 asks.
- Text from the input stays text: lxml escapes it, and each character XML 1.0 cannot hold (a
  control character, a lone surrogate, U+FFFE, U+FFFF) becomes U+FFFD, so that nothing is
  silently joined; surrounding white space is stripped.

An invoice that cannot be a valid e-invoice (no VAT, no structured parties, no payment) raises
`NotAnEInvoice` naming all it lacks: never half-valid XML.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from lxml import etree

from seatbatch.core.documents import line_ids
from seatbatch.core.model import Invoice, InvoiceLine, Party
from seatbatch.core.money import format_amount, minor_unit, round_money

INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
NAMESPACES = {"ubl": INVOICE_NS, "cac": CAC, "cbc": CBC}  # for xpath
_NSMAP: dict[str | None, str] = {None: INVOICE_NS, "cac": CAC, "cbc": CBC}  # as written

CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE_ID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
COMMERCIAL_INVOICE = "380"  # UNCL1001
CREDIT_NOTE = "381"  # UNCL1001
UNIT = "C62"  # UN/ECE Rec 20 "one": a seat
DISCOUNT = "95"  # UNCL5189 "Discount"
CREDIT_TRANSFER, SEPA_CREDIT_TRANSFER = "30", "58"  # UNCL4461
# VATEX codes of the treatments with one exemption reason in EU law; E has many, none is given
EXEMPTION_CODES = {"AE": "VATEX-EU-AE", "G": "VATEX-EU-G", "O": "VATEX-EU-O"}
EXEMPT = frozenset({"E", "AE", "G", "O"})  # a breakdown of these says why (BR-E-10, …)
# The countries of the SEPA scheme whose membership is beyond doubt: the EU, the EEA and the
# few others; a country missing here gets the general code 30, never a wrong 58.
SEPA = frozenset({
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT",
    "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",  # the EU
    "IS", "LI", "NO",  # the rest of the EEA
    "AD", "CH", "GB", "GI", "MC", "SM", "VA",
})

# Every character XML 1.0 allows (its production Char), and its complement
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class NotAnEInvoice(ValueError):
    """An invoice that lacks what a Peppol e-invoice must carry."""

    def __init__(self, number: str | None, lacking: list[str]) -> None:
        self.number = number
        self.lacking = lacking
        super().__init__(f"invoice {number or '(not numbered)'} cannot be an e-invoice: "
                         f"it has no {'; no '.join(lacking)}")

    def __reduce__(self) -> tuple[type[NotAnEInvoice], tuple[str | None, list[str]]]:
        return NotAnEInvoice, (self.number, self.lacking)  # raised in a worker, read in the run


def text(value: str) -> str:
    """Input text as XML 1.0 can hold it: each forbidden character replaced by U+FFFD, then
    stripped."""
    if value.isascii() and value.isprintable():  # most values: nothing XML forbids
        return value.strip()
    return _NOT_XML.sub("\ufffd", value).strip()


def lacking(invoice: Invoice) -> list[str]:
    """What `invoice` lacks to be a valid e-invoice, each in words; empty when nothing. Its
    number aside: an invoice not yet numbered can be checked before its run commits."""
    found = []
    if invoice.vat is None:
        found.append("VAT treatment ([tax])")
    if invoice.payment is None or not text(invoice.payment.iban):
        found.append("payment account ([payment] iban)")
    if not invoice.lines:
        found.append("lines")
    if not text(invoice.customer_id):
        found.append("customer id (the buyer reference, BT-10)")
    if not text(invoice.customer_name):
        found.append("customer name (the party delivered to, BG-13)")
    category = invoice.vat.category if invoice.vat else ""
    for role, party in (("issuer", invoice.issuer), ("partner", invoice.bill_to)):
        found.extend(f"{role}'s {what}" for what in _party_lacks(party))
        needs_vat_id = category in {"S", "Z", "E", "AE", "G"} if role == "issuer" \
            else category == "AE"
        if needs_vat_id and not text(party.vat_id):
            found.append(f"{role}'s VAT id (treatment {category})")
    return found


def _party_lacks(party: Party) -> Iterator[str]:
    if not text(party.name):
        yield "name"
    postal = party.postal
    if postal is None:
        yield "postal address"
    elif not text(postal.country):
        yield "country"
    if _endpoint(party.electronic_address) is None:
        yield "electronic address (\"scheme:id\", the Peppol EndpointID)"


def _endpoint(address: str) -> tuple[str, str] | None:
    scheme, colon, identifier = text(address).partition(":")
    if not colon or not scheme.strip() or not identifier.strip():
        return None
    return scheme.strip(), identifier.strip()


def ubl_invoice(invoice: Invoice) -> bytes:
    """The UBL document of `invoice`, UTF-8 with its XML declaration.

    Raises NotAnEInvoice when the invoice lacks what it must carry, or when its amounts do not
    add up (a bug upstream: an e-invoice is never written from them)."""
    lacks = ([] if invoice.number else ["number (a quote is never an e-invoice)"]) \
        + lacking(invoice)
    if lacks:
        raise NotAnEInvoice(invoice.number, lacks)
    _check_sums(invoice)
    root = _Builder(invoice).document()
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _check_sums(invoice: Invoice) -> None:
    vat = invoice.vat
    assert vat is not None  # lacking() said so; this tells mypy
    problems = []
    if sum((line.net_amount for line in invoice.lines), Decimal(0)) != invoice.total:
        problems.append("total equal to the sum of its lines' net amounts")
    if vat.base != invoice.total:
        problems.append("VAT base equal to its net total")
    if invoice.is_credit_note:
        # priced cumulatively against its invoice (SPEC §11): within one minor unit of its own
        # base x rate, which EN 16931 (BR-CO-17) allows
        if abs(vat.amount - vat.base * vat.rate) >= Decimal(1).scaleb(
                -minor_unit(invoice.currency)):
            problems.append("VAT amount within one minor unit of its base times its rate")
    elif vat.amount != round_money(vat.base * vat.rate, invoice.currency):
        problems.append("VAT amount equal to its base times its rate")
    for line in invoice.lines:
        amounts = line.amounts
        if amounts.list_amount - amounts.term_discount - amounts.partner_discount \
                != amounts.net_amount or line.seats < 1:
            problems.append(f"consistent line {line.order_id or line.subscription_id}")
    if problems:
        raise NotAnEInvoice(invoice.number, problems)


# Elements the same on many invoices (a party, a line's item: a run writes thousands), built
# once per process, by what they are built of, and copied
_BUILT: dict[tuple[Any, ...], etree._Element] = {}
_BUILT_KEPT = 256


def _built_copy(parent: etree._Element, key: tuple[Any, ...],
                build: Callable[[etree._Element], None]) -> etree._Element:
    """A copy of the element `build` adds to an element like `parent`, built once for `key`;
    appended to `parent`, the copy takes the document's namespace declarations, none of its
    own."""
    built = _BUILT.get(key)
    if built is None:
        holder = etree.Element(parent.tag, nsmap=_NSMAP)  # type: ignore[arg-type]
        build(holder)
        built = holder[0]
        if len(_BUILT) < _BUILT_KEPT:
            _BUILT[key] = built
    return copy.deepcopy(built)


def _copy_of(parent: etree._Element, key: tuple[Any, ...],
             build: Callable[[etree._Element], None]) -> None:
    """`_built_copy`, appended to `parent` as it is."""
    parent.append(_built_copy(parent, key, build))


class _Builder:
    """Builds one invoice's tree, top to bottom in the order UBL's schema fixes."""

    def __init__(self, invoice: Invoice) -> None:
        self.invoice = invoice
        assert invoice.vat is not None  # checked by lacking()
        assert invoice.payment is not None  # checked by lacking()
        self.vat = invoice.vat
        self.payment = invoice.payment
        self.currency = invoice.currency
        self.with_vat_ids = self.vat.category != "O"  # BR-O-02: not subject to VAT, no VAT ids

    def document(self) -> etree._Element:
        invoice = self.invoice
        credited = invoice.credits  # a credit note (SPEC §11): UBL's CreditNote
        if credited is None:
            # lxml-stubs 0.5 types nsmap without the None key of a default namespace, which
            # lxml takes
            root = etree.Element(f"{{{INVOICE_NS}}}Invoice", nsmap=_NSMAP)  # type: ignore[arg-type]
        else:
            root = etree.Element(f"{{{CREDIT_NOTE_NS}}}CreditNote",
                                 nsmap={**_NSMAP, None: CREDIT_NOTE_NS})  # type: ignore[dict-item]
        _cbc(root, "CustomizationID", CUSTOMIZATION_ID)
        _cbc(root, "ProfileID", PROFILE_ID)
        _cbc(root, "ID", invoice.number or "")
        _cbc(root, "IssueDate", invoice.invoice_date.isoformat())
        if credited is None:  # a credit note has no due date (UBL's CreditNote has none)
            _cbc(root, "DueDate", invoice.due_date.isoformat())
            _cbc(root, "InvoiceTypeCode", COMMERCIAL_INVOICE)
        else:
            _cbc(root, "CreditNoteTypeCode", CREDIT_NOTE)
        # BT-22, once in Peppol: why a credit note credits (SPEC §11), and a zero rate's note
        # (BR-Z-10 forbids it an exemption reason)
        notes = [f"Credit note: {credited.reason}"] if credited is not None else []
        if self.vat.category not in EXEMPT and text(self.vat.note):
            notes.append(self.vat.note)
        if notes:
            _cbc(root, "Note", " — ".join(notes))
        _cbc(root, "DocumentCurrencyCode", self.currency)
        _cbc(root, "BuyerReference", invoice.customer_id)
        if invoice.po_number and text(invoice.po_number):
            _cbc(_cac(root, "OrderReference"), "ID", invoice.po_number)
        if credited is not None:  # BG-3: the invoice it credits
            reference = _cac(_cac(root, "BillingReference"), "InvoiceDocumentReference")
            _cbc(reference, "ID", credited.invoice_number)
            _cbc(reference, "IssueDate", credited.invoice_date.isoformat())
        self.party(_cac(root, "AccountingSupplierParty"), invoice.issuer, seller=True)
        self.party(_cac(root, "AccountingCustomerParty"), invoice.bill_to, seller=False)
        delivery_party = _cac(_cac(root, "Delivery"), "DeliveryParty")
        _cbc(_cac(delivery_party, "PartyName"), "Name", invoice.customer_name)
        if credited is None:
            self.payment_means(root)
            _cbc(_cac(root, "PaymentTerms"), "Note", invoice.payment_terms)
        else:  # nothing to pay to the seller; BR-CO-25 asks for terms of a positive amount
            _cbc(_cac(root, "PaymentTerms"), "Note", "To be refunded or set off against "
                 f"invoice {credited.invoice_number}")
        self.tax_total(root)
        totals = _cac(root, "LegalMonetaryTotal")
        self.amount(totals, "LineExtensionAmount", invoice.total)
        self.amount(totals, "TaxExclusiveAmount", self.vat.base)
        self.amount(totals, "TaxInclusiveAmount", invoice.payable)
        self.amount(totals, "PayableAmount", invoice.payable)
        for line_id, line in zip(line_ids(invoice.lines), invoice.lines, strict=True):
            self.line(root, line_id, line)
        return root

    def amount(self, parent: etree._Element, name: str, value: Decimal) -> None:
        _made(parent, name, format_amount(value, self.currency), currencyID=self.currency)

    def party(self, parent: etree._Element, party: Party, *, seller: bool) -> None:
        _copy_of(parent, ("party", party, seller, self.with_vat_ids),
                 lambda holder: self.party_built(holder, party, seller=seller))

    def party_built(self, parent: etree._Element, party: Party, *, seller: bool) -> None:
        node = _cac(parent, "Party")
        endpoint = _endpoint(party.electronic_address)
        assert endpoint is not None and party.postal is not None  # checked by lacking()
        scheme, identifier = endpoint
        _cbc(node, "EndpointID", identifier, schemeID=scheme)
        _cbc(_cac(node, "PartyName"), "Name", party.name)
        postal = party.postal
        address = _cac(node, "PostalAddress")
        _optional(address, "StreetName", postal.street)
        _optional(address, "CityName", postal.city)
        _optional(address, "PostalZone", postal.postal_code)
        _cbc(_cac(address, "Country"), "IdentificationCode", postal.country.upper())
        if self.with_vat_ids and text(party.vat_id):
            _tax_scheme(node, party.vat_id, "VAT")
        if seller and postal.country.upper() == "NO" and text(party.legal_form):
            _tax_scheme(node, party.legal_form, "TAX")  # NO-R-002: "Foretaksregisteret"
        legal = _cac(node, "PartyLegalEntity")
        _cbc(legal, "RegistrationName", party.name)
        if text(party.registration_id):
            # the scheme of the electronic address where that is the registration id too
            same = text(party.registration_id) == identifier
            _cbc(legal, "CompanyID", party.registration_id,
                 **({"schemeID": scheme} if same else {}))
        if seller:
            _optional(legal, "CompanyLegalForm", party.legal_form)
        if text(party.email):
            _cbc(_cac(node, "Contact"), "ElectronicMail", party.email)

    def payment_means(self, root: etree._Element) -> None:
        payment = self.payment
        iban = "".join(text(payment.iban).split()).upper()
        sepa = self.currency == "EUR" and iban[:2] in SEPA
        means = _cac(root, "PaymentMeans")
        _cbc(means, "PaymentMeansCode", SEPA_CREDIT_TRANSFER if sepa else CREDIT_TRANSFER,
             name="SEPA credit transfer" if sepa else "Credit transfer")
        _optional(means, "PaymentID", payment.reference)
        account = _cac(means, "PayeeFinancialAccount")
        _cbc(account, "ID", iban)
        if text(payment.bic):
            _cbc(_cac(account, "FinancialInstitutionBranch"), "ID", payment.bic)

    def tax_total(self, root: etree._Element) -> None:
        vat = self.vat
        total = _cac(root, "TaxTotal")
        self.amount(total, "TaxAmount", vat.amount)
        subtotal = _cac(total, "TaxSubtotal")
        self.amount(subtotal, "TaxableAmount", vat.base)
        self.amount(subtotal, "TaxAmount", vat.amount)
        category = _cac(subtotal, "TaxCategory")
        _cbc(category, "ID", vat.category)
        if vat.category != "O":  # BR-O-05: not subject to VAT, no rate
            _cbc(category, "Percent", _percent(vat.rate))
        if vat.category in EXEMPT:
            if vat.category in EXEMPTION_CODES:
                _cbc(category, "TaxExemptionReasonCode", EXEMPTION_CODES[vat.category])
            _optional(category, "TaxExemptionReason", vat.note)
        _cbc(_cac(category, "TaxScheme"), "ID", "VAT")

    def line(self, root: etree._Element, line_id: str, line: InvoiceLine) -> None:
        """The line's element: a copy of the first line's of the same shape (its optional
        parts, allowance reasons, item and currency), with this line's own values set."""
        note = text(line_note(line))
        term, partner = line.term_discount, line.partner_discount
        shape = ("line", self.invoice.credits is not None, bool(note), self.currency,
                 (line.term_years,) if term else None,
                 (self.invoice.partner_discount_rate,) if partner else None,
                 line.device_type, self.vat.category, self.vat.rate)
        node = _built_copy(root, shape, lambda holder: self.line_built(holder, line_id, line))
        # ID, Note?, quantity, LineExtensionAmount, InvoicePeriod, AllowanceCharge (term)?,
        # AllowanceCharge (partner)?, Item, Price: as line_built makes them
        parts = list(node)
        parts[0].text = text(line_id)
        if note:
            parts[1].text = note
        quantity, amount, period, *allowances, _, price = parts[2:] if note else parts[1:]
        quantity.text = str(line.seats)
        amount.text = format_amount(line.net_amount, self.currency)
        period[0].text = line.period_start.isoformat()
        period[1].text = line.period_end.isoformat()
        for allowance, value in zip(allowances, [v for v in (term, partner) if v], strict=True):
            allowance[3].text = format_amount(value, self.currency)
        price[0].text = format_amount(line.list_amount, self.currency)
        price[1].text = str(line.seats)
        root.append(node)

    def line_built(self, root: etree._Element, line_id: str, line: InvoiceLine) -> None:
        credit = self.invoice.credits is not None
        node = _cac(root, "CreditNoteLine" if credit else "InvoiceLine")
        _cbc(node, "ID", line_id)
        _optional(node, "Note", line_note(line))
        _made(node, "CreditedQuantity" if credit else "InvoicedQuantity", str(line.seats),
              unitCode=UNIT)
        self.amount(node, "LineExtensionAmount", line.net_amount)
        period = _cac(node, "InvoicePeriod")
        _made(period, "StartDate", line.period_start.isoformat())
        _made(period, "EndDate", line.period_end.isoformat())
        if line.term_discount:
            self.allowance(node, f"Term discount, {line.term_years}-year term",
                           line.term_discount)
        if line.partner_discount:
            self.allowance(
                node, f"Partner discount {_percent(self.invoice.partner_discount_rate)} %",
                line.partner_discount)
        _copy_of(node, ("item", line.device_type, self.vat.category, self.vat.rate),
                 lambda holder: self.item(holder, line.device_type))
        price = _cac(node, "Price")
        self.amount(price, "PriceAmount", line.list_amount)
        _made(price, "BaseQuantity", str(line.seats), unitCode=UNIT)

    def item(self, parent: etree._Element, device_type: str) -> None:
        item = _cac(parent, "Item")
        _cbc(item, "Name", device_type)
        category = _cac(item, "ClassifiedTaxCategory")
        _cbc(category, "ID", self.vat.category)
        if self.vat.category != "O":
            _cbc(category, "Percent", _percent(self.vat.rate))
        _cbc(_cac(category, "TaxScheme"), "ID", "VAT")

    def allowance(self, parent: etree._Element, reason: str, amount: Decimal) -> None:
        node = _cac(parent, "AllowanceCharge")
        _made(node, "ChargeIndicator", "false")
        _made(node, "AllowanceChargeReasonCode", DISCOUNT)
        _cbc(node, "AllowanceChargeReason", reason)
        self.amount(node, "Amount", amount)


def line_note(line: InvoiceLine) -> str:
    """The subscription of a line and its proration: "SUB-000007; prorated 217 of 1096 days"."""
    parts = []
    if line.subscription_id:
        parts.append(line.subscription_id)
    if line.prorate_days and line.prorate_days != line.term_days:
        parts.append(f"prorated {line.prorate_days} of {line.term_days} days")
    return "; ".join(parts)


def _percent(rate: Decimal) -> str:
    """0.25 -> "25", 0.125 -> "12.5", 0 -> "0"."""
    return f"{(rate * 100).normalize():f}"


def _cac(parent: etree._Element, tag: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{CAC}}}{tag}")


def _cbc(parent: etree._Element, tag: str, value: str, **attributes: str) -> None:
    # lxml takes an element without attributes faster when it is given none, not an empty dict
    node = etree.SubElement(parent, f"{{{CBC}}}{tag}", attributes) if attributes \
        else etree.SubElement(parent, f"{{{CBC}}}{tag}")
    node.text = text(value)


def _made(parent: etree._Element, tag: str, value: str, **attributes: str) -> None:
    """`_cbc` of a value made here (an amount, a date, a quantity, a code): XML holds it as it
    is, nothing to replace or strip."""
    node = etree.SubElement(parent, f"{{{CBC}}}{tag}", attributes) if attributes \
        else etree.SubElement(parent, f"{{{CBC}}}{tag}")
    node.text = value


def _optional(parent: etree._Element, tag: str, value: str) -> None:
    """An optional element, left out when its text is empty (PEPPOL-EN16931-R008)."""
    if text(value):
        _cbc(parent, tag, value)


def _tax_scheme(party: etree._Element, company_id: str, scheme: str) -> None:
    node = _cac(party, "PartyTaxScheme")
    _cbc(node, "CompanyID", company_id)
    _cbc(_cac(node, "TaxScheme"), "ID", scheme)
