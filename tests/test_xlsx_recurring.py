"""An invoice's workbook keeps, per process, the parts that recur on thousands of invoices
(label cells, fields' rows, the line table's columns, the parties' rows): its bytes never
depend on what was written before it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from seatbatch.core.model import Invoice, InvoiceLine, LineAmounts, Party, Payment, Vat
from seatbatch.output import xlsx

ODD = ("=1+1", " padded ", "a<b>&c", "_x0041_", "Ærø", "plain", "-5", "line\nbreak")


def invoice(at: int) -> Invoice:
    lines = tuple(
        InvoiceLine(order_id=None if at % 3 == 0 else f"ORD-{at}-{n}{ODD[n % 8]}", action="new",
                    subscription_id=None if at % 2 else f"SUB-{n}", device_type=ODD[(at + n) % 8],
                    seats=n * 1000 + at, term_years=n % 3 + 1, period_start=date(2026, 1, 1),
                    period_end=date(2026, 12, 31),
                    unit_price=Decimal(("150.00", "0.5", "1E+3")[n % 3]),
                    prorate_days=365 - n % 2, term_days=365,
                    amounts=LineAmounts(*(Decimal(at * 997 + n) / (1, 100, 1000)[at % 3],) * 4))
        for n in range(at % 4 + 1))
    return Invoice(
        number=f"INV-{at}", invoice_date=date(2026, 11, 24 - at % 2), due_date=date(2026, 12, 24),
        issuer=Party("Issuer", ("Street", ODD[at % 8]), "NO999"),
        partner_id=("P-ACME", "P-NORD")[at % 2],
        bill_to=Party(("Acme", "Nord")[at % 2], ("Road",) * (at % 3), ""),
        customer_id=f"C-{at}", customer_name=ODD[at % 8], po_number=ODD[(at + 1) % 8] or None,
        currency=("EUR", "JPY")[at % 2 if at % 5 else 0], partner_discount_rate=Decimal("0.2"),
        lines=lines, total=sum((line.net_amount for line in lines), Decimal(0)),
        vat=Vat("export", "G", Decimal(0), Decimal(1), Decimal(0), "Export") if at % 4 else None,
        payment=Payment("NO93", "DNB", ODD[at % 8], f"INV-{at}", "invoice_number")
        if at % 3 else None)


def test_a_workbook_is_the_same_bytes_whatever_was_written_before() -> None:
    invoices = [invoice(at) for at in range(24)]
    first = [xlsx.invoice_xlsx(made) for made in invoices]
    assert len(set(first)) == len(invoices)
    again = [xlsx.invoice_xlsx(made) for made in reversed(invoices)][::-1]
    for cache in (xlsx._recurring_text_xml, xlsx._field_row, xlsx._col, xlsx._header_row,
                 xlsx._workbook):
        cache.cache_clear()
    xlsx._PARTIES.clear()
    cold = [xlsx.invoice_xlsx(made) for made in invoices]
    assert first == again == cold
    # the same invoice, but for a value one cache might have kept under an equal key
    for made, kept in zip(invoices, first, strict=True):
        changed = replace(made, lines=tuple(replace(line, seats=line.seats + 1)
                                            for line in made.lines))
        assert xlsx.invoice_xlsx(changed) != kept
