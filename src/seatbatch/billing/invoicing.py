"""Grouping priced lines into invoices (SPEC §5), and the one assembly of an invoice from its
lines, for orders and renewals alike."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal

from seatbatch.billing.legal import issuer_party, partner_party, payment_of, vat_of
from seatbatch.core.config import Config, Partner
from seatbatch.core.model import (
    Customer,
    Invoice,
    InvoiceDraft,
    InvoiceLine,
    PricedLine,
    subscription_number,
)


def group_invoices(lines: list[PricedLine]) -> list[InvoiceDraft]:
    """One invoice per customer and PO; a new subscription with separate_invoice gets its own.
    Invoices and their lines keep the order of the workbook's rows."""
    groups: dict[tuple[object, ...], list[PricedLine]] = {}
    for line in sorted(lines, key=lambda line: line.order.row):
        request = line.request
        key: tuple[object, ...] = (line.order.customer_id, request.po_number)
        if request.separate_invoice and request.group is not None:
            key = (*key, "separate", request.group)
        groups.setdefault(key, []).append(line)
    return [
        InvoiceDraft(
            customer_id=members[0].order.customer_id,
            po_number=members[0].request.po_number,
            lines=tuple(members),
            total=sum((m.net_amount for m in members), Decimal(0)),
        )
        for members in groups.values()
    ]


def invoice_line(line: PricedLine, subscription_id: int | None) -> InvoiceLine:
    request = line.request
    return InvoiceLine(
        order_id=line.order.order_id,
        action=line.order.action,
        subscription_id=subscription_number(subscription_id) if subscription_id else None,
        device_type=line.order.device_type,
        seats=line.order.seats,
        term_years=request.term_years,
        period_start=request.effective,
        period_end=request.term.last_day,
        unit_price=line.unit_price,
        prorate_days=line.prorate_days,
        term_days=line.term_days,
        amounts=line.amounts,
    )


def assemble_invoice(  # noqa: PLR0913  keyword-only: each field of the invoice named at the call
    lines: Sequence[InvoiceLine],
    *,
    kind: str,
    number: str | None,
    invoice_date: date,
    config: Config,
    partner: Partner,
    customer_id: str,
    customer_name: str,
    po_number: str | None,
) -> Invoice:
    """An invoice of these lines (SPEC §5): billed to the partner, due after the payment
    terms, its total the sum of the lines' net amounts; with SPEC §10 configured, the parties'
    legal data, its VAT under the partner's treatment and how to pay it, as issued."""
    total = sum((line.net_amount for line in lines), Decimal(0))
    return Invoice(
        number=number,
        invoice_date=invoice_date,
        due_date=invoice_date + timedelta(days=config.issuer.payment_terms_days),
        issuer=issuer_party(config.issuer),
        partner_id=partner.id,
        bill_to=partner_party(partner),
        customer_id=customer_id,
        customer_name=customer_name,
        po_number=po_number,
        currency=partner.currency,
        partner_discount_rate=partner.discount,
        lines=tuple(lines),
        total=total,
        kind=kind,
        vat=vat_of(config, partner, total),
        payment=payment_of(config, number),
    )


def make_invoice(
    draft: InvoiceDraft,
    number: str | None,
    *,
    invoice_date: date,
    config: Config,
    partner: Partner,
    customer: Customer,
    subscription_ids: Mapping[tuple[str, str], int],
) -> Invoice:
    """`subscription_ids` maps a new subscription's (customer, label) to its id once committed;
    a quote passes none, and its new lines show no id."""
    lines = []
    for line in draft.lines:
        request = line.request
        sid = request.subscription_id
        if sid is None and request.group is not None:
            sid = subscription_ids.get(request.group)
        lines.append(invoice_line(line, sid))
    return assemble_invoice(lines, kind="order", number=number, invoice_date=invoice_date,
                            config=config, partner=partner, customer_id=customer.customer_id,
                            customer_name=customer.organization, po_number=draft.po_number)
