"""Grouping priced lines into invoices (SPEC §5), and the one assembly of an invoice from its
lines, for orders and renewals alike."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from operator import attrgetter

from seatbatch.billing.legal import invoice_vat, issuer_party, partner_party, payment_of
from seatbatch.core.config import Config, Partner
from seatbatch.core.legal import Treatment
from seatbatch.core.model import (
    Customer,
    Invoice,
    InvoiceDraft,
    InvoiceLine,
    Party,
    Payment,
    PricedLine,
    subscription_number,
)


def group_invoices(lines: list[PricedLine]) -> list[InvoiceDraft]:
    """One invoice per customer and PO; a new subscription with separate_invoice gets its own.
    Invoices and their lines keep the order of the workbook's rows."""
    groups: dict[tuple[object, ...], list[PricedLine]] = {}
    for line in sorted(lines, key=attrgetter("request.order.row")):
        request = line.request
        key: tuple[object, ...] = (request.order.customer_id, request.po_number)
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
    order = request.order
    return InvoiceLine(
        order_id=order.order_id,
        action=order.action,
        subscription_id=subscription_number(subscription_id) if subscription_id else None,
        device_type=order.device_type,
        seats=order.seats,
        term_years=request.term_years,
        period_start=request.effective,
        period_end=request.term.last_day,
        unit_price=line.unit_price,
        prorate_days=line.prorate_days,
        term_days=line.term_days,
        amounts=line.amounts,
    )


@dataclass(frozen=True, slots=True)
class Issuing:
    """What every invoice to a partner issued on a day has alike (SPEC §5, §10): its due date,
    the parties, the VAT treatment and the means of payment (its reference not made yet), made
    once for a run's invoices rather than again for each of thousands."""

    invoice_date: date
    due_date: date
    issuer: Party
    bill_to: Party
    treatment: Treatment | None  # None without [tax]
    payment: Payment | None  # None without [payment]; its reference "" here


def issuing(config: Config, partner: Partner, invoice_date: date) -> Issuing:
    return Issuing(invoice_date, invoice_date + timedelta(days=config.issuer.payment_terms_days),
                   issuer_party(config.issuer), partner_party(partner),
                   config.treatment_of(partner.id), payment_of(config, None))


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
    return _assembled(lines, issuing(config, partner, invoice_date), kind=kind, number=number,
                      partner=partner, customer_id=customer_id, customer_name=customer_name,
                      po_number=po_number)


def _assembled(
    lines: Sequence[InvoiceLine],
    alike: Issuing,
    *,
    kind: str,
    number: str | None,
    partner: Partner,
    customer_id: str,
    customer_name: str,
    po_number: str | None,
) -> Invoice:
    """`assemble_invoice`, with what its invoices have alike made already."""
    total = sum((line.net_amount for line in lines), Decimal(0))
    treatment, payment = alike.treatment, alike.payment
    return Invoice(
        number=number,
        invoice_date=alike.invoice_date,
        due_date=alike.due_date,
        issuer=alike.issuer,
        partner_id=partner.id,
        bill_to=alike.bill_to,
        customer_id=customer_id,
        customer_name=customer_name,
        po_number=po_number,
        currency=partner.currency,
        partner_discount_rate=partner.discount,
        lines=tuple(lines),
        total=total,
        kind=kind,
        vat=None if treatment is None else invoice_vat(total, partner.currency, treatment),
        payment=payment if payment is None or number is None else payment.for_number(number),
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
    return make_invoices([(draft, number, customer)], invoice_date=invoice_date, config=config,
                         partner=partner, subscription_ids=subscription_ids)[0]


def make_invoices(
    drafts: Iterable[tuple[InvoiceDraft, str | None, Customer]],
    *,
    invoice_date: date,
    config: Config,
    partner: Partner,
    subscription_ids: Mapping[tuple[str, str], int],
) -> list[Invoice]:
    """`make_invoice` of each (draft, its number, its customer), what they have alike made
    once."""
    alike = issuing(config, partner, invoice_date)
    invoices = []
    for draft, number, customer in drafts:
        lines = []
        for line in draft.lines:
            request = line.request
            sid = request.subscription_id
            if sid is None and request.group is not None:
                sid = subscription_ids.get(request.group)
            lines.append(invoice_line(line, sid))
        invoices.append(_assembled(lines, alike, kind="order", number=number, partner=partner,
                                   customer_id=customer.customer_id,
                                   customer_name=customer.organization,
                                   po_number=draft.po_number))
    return invoices
