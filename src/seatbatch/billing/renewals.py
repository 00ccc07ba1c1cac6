"""Renewals (SPEC §1, §5): the next term of a subscription whose term ends in a month, with the
same seats and term length, priced at the price list and partner discount in effect on the
day it starts, billed on an invoice of its own with the subscription's PO. Its changes
(SPEC §11): a cancelled one does not renew, a reduce renews fewer seats, a po changes the
PO from the term it applies to."""

from __future__ import annotations

from datetime import date

from seatbatch.billing.invoicing import assemble_invoice
from seatbatch.billing.pricing import price_period
from seatbatch.core.config import Config, Partner
from seatbatch.core.model import Invoice, InvoiceLine, LedgerView, Renewal, Subscription
from seatbatch.core.terms import Term, month_term, term_of


def ends_in(subscription: Subscription, year: int, month: int) -> bool:
    """Its last issued term's last day falls in the month."""
    return month_term(year, month).contains(subscription.terms[-1].last_day)


def is_due(subscription: Subscription, year: int, month: int) -> bool:
    """What `renew --month` renews: a subscription not cancelled, with seats to renew, whose
    last term ends then."""
    return (ends_in(subscription, year, month) and subscription.cancelled_by is None
            and any(subscription.renewing_seats().values()))


def renewal_invoice(subscription: Subscription, customer_name: str, config: Config,
                    partner: Partner, invoice_date: date) -> tuple[Term, Invoice]:
    term = term_of(subscription.ends, subscription.term_years)
    lines = []
    for device_type, seats in sorted(subscription.renewing_seats().items()):
        if seats <= 0:
            continue
        priced = price_period(config, partner, device_type=device_type, seats=seats,
                              term_years=subscription.term_years, term=term, start=term.start,
                              needed_by=f"the renewal of {subscription.number}")
        lines.append(InvoiceLine(
            order_id=None, action="renewal", subscription_id=subscription.number,
            device_type=device_type, seats=seats, term_years=subscription.term_years,
            period_start=term.start, period_end=term.last_day, unit_price=priced.unit_price,
            prorate_days=priced.prorate_days, term_days=priced.term_days,
            amounts=priced.amounts,
        ))
    invoice = assemble_invoice(
        lines, kind="renewal", number=None, invoice_date=invoice_date, config=config,
        partner=partner, customer_id=subscription.customer_id, customer_name=customer_name,
        po_number=subscription.po_from(term.start))
    return term, invoice


def due_renewals(view: LedgerView, config: Config, partner: Partner, *, year: int, month: int,
                 invoice_date: date) -> list[Renewal]:
    renewals = []
    for subscription in sorted(view.subscriptions.values(), key=lambda s: s.id):
        if not is_due(subscription, year, month):
            continue
        customer = view.customers.get(subscription.customer_id)
        term, invoice = renewal_invoice(subscription, customer.organization if customer else "",
                                        config, partner, invoice_date)
        renewing = subscription.renewing_seats()
        removed = {device_type: seats - renewing[device_type]
                   for device_type, seats in subscription.seats_at_term_end().items()
                   if seats > renewing[device_type]}
        renewals.append(Renewal(partner.id, subscription.id, len(subscription.terms), term,
                                invoice, removed))
    return renewals
