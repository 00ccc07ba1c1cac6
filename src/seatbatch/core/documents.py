"""Invoices as JSON documents: what the manifest lists and what the ledger keeps to render an
issued invoice again, identical in content."""

from __future__ import annotations

import copy
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any, TypeVar

from seatbatch.core.model import (
    Credited,
    Invoice,
    InvoiceLine,
    LineAmounts,
    Party,
    Payment,
    PostalAddress,
    Vat,
)
from seatbatch.core.money import format_amount

LINE_KEYS = (  # line_document's keys, in its order
    "order_id", "action", "subscription_id", "device_type", "seats", "term_years",
    "period_start", "period_end", "unit_price", "prorate_days", "term_days",
    *LineAmounts._fields,
)
# a party's keys of SPEC Part II besides its postal address, kept where they are not empty
PARTY_EXTRAS = ("registration_id", "legal_form", "electronic_address", "email")


def line_document(line: InvoiceLine, currency: str) -> dict[str, Any]:
    return {
        "order_id": line.order_id,
        "action": line.action,
        "subscription_id": line.subscription_id,
        "device_type": line.device_type,
        "seats": line.seats,
        "term_years": line.term_years,
        "period_start": _iso(line.period_start),
        "period_end": _iso(line.period_end),
        "unit_price": str(line.unit_price),
        "prorate_days": line.prorate_days,
        "term_days": line.term_days,
        **_shown(line.amounts, currency),
    }


# The few things thousands of a run's documents have alike are made once, each kept by its
# identity with the object it was made of (which stays alive, so that the identity is not taken
# by another while it is kept): a line's four amounts as shown, shared by the lines pricing
# gave the same amounts (a value's equal is not enough: -0.00 equals 0.00, yet shows a sign),
# and a party as a document keeps it (the documents share it; none is changed once made).
_AMOUNTS_SHOWN: dict[int, tuple[object, object, dict[str, str]]] = {}
_PARTIES_KEPT: dict[int, tuple[object, object, dict[str, Any]]] = {}
_KEPT_AT_MOST = 1_024  # a cache this large is emptied, not grown
Made = TypeVar("Made")


def _made_once(kept: dict[int, tuple[object, object, Made]], of: object, also: object,
               make: Callable[[], Made]) -> Made:
    """What `make()` makes of `of` (and `also`, compared by value), made once while kept."""
    found = kept.get(id(of))
    if found is not None and found[0] is of and found[1] == also:
        return found[2]
    made = make()
    if len(kept) >= _KEPT_AT_MOST:
        kept.clear()
    kept[id(of)] = (of, also, made)
    return made


def _shown(amounts: LineAmounts, currency: str) -> dict[str, str]:
    """`amounts.shown(currency)`, made once for the same amounts; the caller copies it."""
    return _made_once(_AMOUNTS_SHOWN, amounts, currency, lambda: amounts.shown(currency))


@lru_cache(maxsize=4_096)
def _iso(day: date) -> str:
    """A day as documents keep it; one string of each day for a run's documents."""
    return day.isoformat()


def invoice_document(invoice: Invoice) -> dict[str, Any]:
    """The full invoice, as the ledger keeps it: everything it printed (SPEC §10), so that
    it renders as issued whatever the configuration says later. Part II's keys only where the
    invoice has them: one issued without them is kept exactly as before."""
    document = {
        "number": invoice.number,
        "kind": invoice.kind,
        "invoice_date": _iso(invoice.invoice_date),
        "due_date": _iso(invoice.due_date),
        "issuer": _party(invoice.issuer),
        "partner_id": invoice.partner_id,
        "bill_to": _party(invoice.bill_to),
        "customer_id": invoice.customer_id,
        "customer_name": invoice.customer_name,
        "po_number": invoice.po_number,
        "currency": invoice.currency,
        "partner_discount_rate": str(invoice.partner_discount_rate),
        "total": format_amount(invoice.total, invoice.currency),
        "lines": [line_document(line, invoice.currency) for line in invoice.lines],
    }
    if invoice.vat is not None:
        document["vat"] = _vat(invoice.vat, invoice.currency)
        document["payable"] = format_amount(invoice.payable, invoice.currency)
    if invoice.payment is not None:
        document["payment"] = _payment(invoice.payment)
    if invoice.credits is not None:  # a credit note (SPEC §11)
        document["credits"] = {"number": invoice.credits.invoice_number,
                               "invoice_date": invoice.credits.invoice_date.isoformat(),
                               "reason": invoice.credits.reason}
    return document


def invoice_from_document(doc: dict[str, Any]) -> Invoice:
    return Invoice(
        number=doc["number"],
        kind=doc["kind"],
        invoice_date=date.fromisoformat(doc["invoice_date"]),
        due_date=date.fromisoformat(doc["due_date"]),
        issuer=_party_from(doc["issuer"]),
        partner_id=doc["partner_id"],
        bill_to=_party_from(doc["bill_to"]),
        customer_id=doc["customer_id"],
        customer_name=doc["customer_name"],
        po_number=doc["po_number"],
        currency=doc["currency"],
        partner_discount_rate=Decimal(doc["partner_discount_rate"]),
        total=Decimal(doc["total"]),
        lines=tuple(
            InvoiceLine(
                order_id=line["order_id"],
                action=line["action"],
                subscription_id=line["subscription_id"],
                device_type=line["device_type"],
                seats=line["seats"],
                term_years=line["term_years"],
                period_start=date.fromisoformat(line["period_start"]),
                period_end=date.fromisoformat(line["period_end"]),
                unit_price=Decimal(line["unit_price"]),
                prorate_days=line["prorate_days"],
                term_days=line["term_days"],
                amounts=LineAmounts(Decimal(line["list_amount"]), Decimal(line["term_discount"]),
                                    Decimal(line["partner_discount"]),
                                    Decimal(line["net_amount"])),
            )
            for line in doc["lines"]
        ),
        vat=_vat_from(doc.get("vat")),
        payment=_payment_from(doc.get("payment")),
        credits=_credited_from(doc.get("credits")),
    )


def _credited_from(kept: dict[str, str] | None) -> Credited | None:
    if kept is None:
        return None
    return Credited(kept["number"], date.fromisoformat(kept["invoice_date"]), kept["reason"])


def line_ids(lines: Sequence[InvoiceLine]) -> list[str]:
    """Each line's id, as the e-invoice and `credit --line` name it: its order id
    (`<order_id>/2` for an order's second line), else its place on the invoice, counted
    from 1."""
    seen: Counter[str] = Counter()
    ids = []
    for place, line in enumerate(lines, start=1):
        if line.order_id is None or not line.order_id.strip():
            ids.append(str(place))
            continue
        seen[line.order_id] += 1
        count = seen[line.order_id]
        ids.append(line.order_id if count == 1 else f"{line.order_id}/{count}")
    return ids


def manifest_invoice(invoice: Invoice, files: Mapping[str, str], *,
                     with_currency: bool = False,
                     document: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """An invoice as the manifest lists it (SPEC §7, §10), with its currency in a run over
    several. `document`: its invoice_document, when the run made one already (it is not made a
    second time)."""
    return manifest_entry(invoice_document(invoice) if document is None else document, files,
                          with_currency=with_currency)


def manifest_entry(document: Mapping[str, Any], files: Mapping[str, str], *,
                   with_currency: bool = False) -> dict[str, Any]:
    """An invoice as the manifest lists it, read off its document (as the ledger keeps it or
    the run made it): its total and lines are kept there as the manifest shows them. `files`:
    its file of each format written (Part I's `file` is the workbook's)."""
    extra = {"currency": document["currency"]} if with_currency else {}
    entry = {
        **extra,
        "number": document["number"],
        "kind": "credit_note" if "credits" in document else "invoice",
        **({"credits": document["credits"]["number"], "reason": document["credits"]["reason"]}
           if "credits" in document else {}),
        **{key: document[key] for key in ("customer_id", "po_number", "invoice_date",
                                          "due_date", "total")},
        "file": files.get("xlsx") or next(iter(files.values())),
        "files": dict(files),
        # a line as line_document made it (LINE_KEYS, in order) is listed as it is, not copied
        "lines": [line if tuple(line) == LINE_KEYS else {key: line[key] for key in LINE_KEYS}
                  for line in document["lines"]],
    }
    if "vat" in document:  # issued with [tax] (SPEC §10)
        entry["vat"] = dict(document["vat"])
        entry["payable"] = document["payable"]
    return entry


def _party(party: Party) -> dict[str, Any]:
    """A party as the document keeps it; Part II's fields only where it has them, so that an
    invoice issued without them is kept exactly as before. Made once for the same party."""
    return _made_once(_PARTIES_KEPT, party, None, lambda: _party_document(party))


def _party_document(party: Party) -> dict[str, Any]:
    document: dict[str, Any] = {"name": party.name, "address": list(party.address),
                                "vat_id": party.vat_id}
    if party.postal is not None:
        document["postal"] = {"street": party.postal.street,
                              "postal_code": party.postal.postal_code,
                              "city": party.postal.city, "country": party.postal.country}
    document.update((key, getattr(party, key)) for key in PARTY_EXTRAS if getattr(party, key))
    return document


def _party_from(kept: dict[str, Any]) -> Party:
    """The party a document keeps; the one made last of a document equal to it, since the
    documents of a run (thousands) name the same few parties."""
    for seen, party in tuple(_PARTIES_MADE):  # (a copy: another thread may add one)
        if seen == kept:
            return party
    party = _party_made(kept)
    _PARTIES_MADE.appendleft((copy.deepcopy(kept), party))  # as it is now, whatever comes
    return party


_PARTIES_MADE: deque[tuple[dict[str, Any], Party]] = deque(maxlen=4)


def _party_made(kept: dict[str, Any]) -> Party:
    postal = kept.get("postal")
    return Party(kept["name"], tuple(kept["address"]), kept["vat_id"],
                 PostalAddress(**postal) if postal else None,
                 **{key: kept.get(key, "") for key in PARTY_EXTRAS})


def _vat(vat: Vat, currency: str) -> dict[str, str]:
    return {"treatment": vat.treatment, "category": vat.category, "rate": str(vat.rate),
            "base": format_amount(vat.base, currency),
            "amount": format_amount(vat.amount, currency), "note": vat.note}


def _vat_from(kept: dict[str, str] | None) -> Vat | None:
    if kept is None:
        return None
    return Vat(kept["treatment"], kept["category"], Decimal(kept["rate"]), Decimal(kept["base"]),
               Decimal(kept["amount"]), kept["note"])


def _payment(payment: Payment) -> dict[str, str]:
    return {"iban": payment.iban, "bic": payment.bic, "bank": payment.bank,
            "reference": payment.reference, "reference_kind": payment.reference_kind}


def _payment_from(kept: dict[str, str] | None) -> Payment | None:
    return None if kept is None else Payment(**kept)
