"""The month's journal for the general ledger (SPEC §12): one balanced double entry per
document and one per partner and currency for the month's recognised revenue.

- An invoice debits receivables its payable and credits deferred revenue its net and VAT
  payable its VAT; a credit note the reverse. Its entry id and reference are its number, its
  date the document's, its text "Invoice INV-2026-000001 to Acme Facilities Ltd, PO PO-77"
  ("Credit note CN-2026-000001 to …, crediting invoice INV-…").
- The month's recognition debits deferred revenue and credits revenue, dated the month's last
  day, entry id `REV-YYYY-MM-<partner>-<currency>`, reference the month ("2026-11"); revenue
  below zero (credit notes taking back more than the month earned) swaps the sides.
- A line whose amount is zero is left out (an invoice without VAT has no VAT line); an entry
  left with no line (a zero recognition) is left out whole. Amounts are never negative: a
  negative amount books on the other side.

Amounts are the documents' own, rounded to the currency's minor unit, and the receivable is
the rounded net plus the rounded VAT: every entry balances by construction, in its one
currency. Pure: built from the documents as issued and the month's recognition, which the
report computes (this module does not)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from decimal import Decimal

from seatbatch.core.config import Accounts
from seatbatch.core.journal import JournalLine
from seatbatch.core.model import Invoice
from seatbatch.core.money import round_money
from seatbatch.core.terms import month_label


def journal(documents: Iterable[Invoice], recognised: Mapping[tuple[str, str], Decimal], *,
            month_end: date, accounts: Accounts,
            partner_names: Mapping[str, str]) -> list[JournalLine]:
    """The month's entries in date order: its documents' (by date, then number), then its
    recognition's on its last day, keyed (partner_id, currency), by currency and partner."""
    lines = [line for document in sorted(documents, key=lambda d: (d.invoice_date, d.number or ""))
             for line in document_entry(document, accounts)]
    for (partner_id, currency), amount in sorted(recognised.items(),
                                                 key=lambda item: (item[0][1], item[0][0])):
        lines += recognition_entry(partner_id, currency, amount, month_end=month_end,
                                   accounts=accounts,
                                   partner_name=partner_names.get(partner_id, ""))
    return lines


def document_entry(document: Invoice, accounts: Accounts) -> list[JournalLine]:
    """An invoice's or a credit note's entry: receivable against deferred revenue and VAT."""
    assert document.number is not None, "a quote is no document of the journal"
    currency = document.currency
    net = round_money(document.total, currency)
    vat = round_money(document.vat.amount, currency) if document.vat else Decimal(0)
    sign = -1 if document.is_credit_note else 1
    name = document.bill_to.name or document.partner_id
    if document.credits is not None:
        text = (f"Credit note {document.number} to {name}, crediting invoice "
                f"{document.credits.invoice_number}")
    else:
        text = f"Invoice {document.number} to {name}" + (
            f", PO {document.po_number}" if document.po_number else "")
    return list(_entry(
        ((accounts.receivable, sign * (net + vat)), (accounts.deferred_revenue, -sign * net),
         (accounts.vat_payable, -sign * vat)),
        day=document.invoice_date, entry=document.number, currency=currency,
        partner_id=document.partner_id, reference=document.number, text=text))


def recognition_entry(partner_id: str, currency: str, amount: Decimal, *, month_end: date,
                      accounts: Accounts, partner_name: str) -> list[JournalLine]:
    """The month's recognised revenue of a partner in a currency: deferred revenue against
    revenue (below zero, the other way round)."""
    month = month_label(month_end.year, month_end.month)
    amount = round_money(amount, currency)
    return list(_entry(
        ((accounts.deferred_revenue, amount), (accounts.revenue, -amount)),
        day=month_end, entry=f"REV-{month}-{partner_id}-{currency}", currency=currency,
        partner_id=partner_id, reference=month,
        text=f"Revenue recognised in {month} for {partner_name or partner_id}"))


def _entry(amounts: Iterable[tuple[str, Decimal]], *, day: date, entry: str,
           currency: str, partner_id: str, reference: str, text: str) -> Iterator[JournalLine]:
    """The lines of one entry from (account, signed amount): above 0 a debit, below 0 a
    credit, 0 no line."""
    for account, signed in amounts:
        if signed:
            yield JournalLine(day, entry, account, "debit" if signed > 0 else "credit",
                              abs(signed), currency, partner_id, reference, text)
