"""Finance's month end (SPEC §6 `report`): the month's invoices and their totals by partner,
customer and device type, always per currency; revenue recognised in the month and deferred at
its end, by partner and currency (SPEC §12); seats in force and coverage gaps at month end; the
renewals due next month with their expected amounts; and a check of the numbering.

Pure: built from what the ledger holds (`LedgerMonth`) and the configuration."""

from __future__ import annotations

from collections.abc import Hashable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from seatbatch.billing.renewals import is_due, renewal_invoice
from seatbatch.billing.revenue import revenue_rows
from seatbatch.core.config import Config, ConfigError
from seatbatch.core.model import InvoiceLine, Subscription
from seatbatch.core.money import format_amount, format_amounts
from seatbatch.core.month_end import (
    Amounts,
    LedgerMonth,
    MonthReport,
    NoticeDeadline,
    RenewalDue,
    SeatsRow,
)
from seatbatch.core.terms import month_bounds, month_label, month_term, next_month


def _tally(table: dict[Any, Amounts], key: Hashable, currency: str, number: str,
           line: InvoiceLine, *, credit: bool) -> None:
    amounts = table.get(key)
    if amounts is None:
        amounts = table[key] = Amounts(currency)
    amounts.add(number, line, credit=credit)


def build_report(ledger: LedgerMonth, config: Config, year: int, month: int,
                 as_of: date) -> MonthReport:
    by_currency: dict[str, Amounts] = {}
    by_partner: dict[tuple[str, str], Amounts] = {}
    by_customer: dict[tuple[str, str, str], Amounts] = {}
    by_device_type: dict[tuple[str, str], Amounts] = {}
    partner_names = {p.id: p.name for p in config.partners.values()}
    customer_names = dict(ledger.organizations)
    for invoice in ledger.invoices:
        number, currency, partner = invoice.number or "", invoice.currency, invoice.partner_id
        partner_names.setdefault(partner, invoice.bill_to.name)
        customer = (partner, invoice.customer_id)
        customer_names.setdefault(customer, invoice.customer_name)
        credit = invoice.is_credit_note  # subtracts (SPEC §11)
        for line in invoice.lines:
            _tally(by_currency, currency, currency, number, line, credit=credit)
            _tally(by_partner, (partner, currency), currency, number, line, credit=credit)
            _tally(by_customer, (*customer, currency), currency, number, line, credit=credit)
            _tally(by_device_type, (line.device_type, currency), currency, number, line,
                   credit=credit)
        if invoice.lines:  # VAT is the whole invoice's, not its lines'
            by_currency[currency].add_vat(invoice.vat, credit=credit)
            by_partner[partner, currency].add_vat(invoice.vat, credit=credit)
            by_customer[(*customer, currency)].add_vat(invoice.vat, credit=credit)
    report = MonthReport(
        year=year, month=month, as_of=as_of, invoices=ledger.invoices,
        by_currency=dict(sorted(by_currency.items())),
        by_partner=dict(sorted(by_partner.items())),
        by_customer=dict(sorted(by_customer.items())),
        by_device_type=dict(sorted(by_device_type.items())),
        partner_names=partner_names, customer_names=customer_names,
        seats=_seats(ledger, customer_names),
        renewals_due=[], numbering=ledger.numbering, warnings=[],
        revenue=revenue_rows(ledger.invoices, ledger.revenue_lines, *month_bounds(year, month)),
    )
    report.renewals_due = _renewals_due(ledger, config, report, *next_month(year, month))
    report.notice_deadlines = _notice_deadlines(ledger, config, report,
                                                *next_month(year, month))
    return report


def _seats(ledger: LedgerMonth, names: dict[tuple[str, str], str]) -> list[SeatsRow]:
    seats = {(x.partner_id, x.customer_id, x.device_type): x.count for x in ledger.seats}
    devices = {(x.partner_id, x.customer_id, x.device_type): x.count for x in ledger.devices}
    return [
        SeatsRow(key[0], key[1], names.get(key[:2], ""), key[2], seats.get(key, 0),
                 devices.get(key, 0))
        for key in sorted(seats.keys() | devices.keys())
    ]


def _renewals_due(ledger: LedgerMonth, config: Config, report: MonthReport, year: int,
                  month: int) -> list[RenewalDue]:
    """What `renew --month` for the next month would issue, priced as it would be."""
    due = []
    for partner_id, view in ledger.views.items():
        partner = config.partners.get(partner_id)
        for subscription in sorted(view.subscriptions.values(), key=lambda s: s.id):
            if not is_due(subscription, year, month):
                continue
            organization = report.customer_names.get((partner_id, subscription.customer_id), "")
            seats = _seats_shown(subscription)
            expected: Decimal | None = None
            problem = ""
            if partner is None:
                problem = "partner not configured"
            else:
                try:
                    _term, invoice = renewal_invoice(subscription, organization, config,
                                                     partner, report.as_of)
                    expected = invoice.total
                except ConfigError as error:
                    problem = "; ".join(message for _key, message in error.problems)
            if problem:
                report.warnings.append(f"renewal of {subscription.number} ({partner_id}): "
                                       f"{problem}")
            due.append(RenewalDue(
                partner_id=partner_id, partner_name=report.partner_names.get(partner_id, ""),
                customer_id=subscription.customer_id, organization=organization,
                subscription=subscription.number,
                po_number=subscription.po_from(subscription.ends),
                term_years=subscription.term_years, starts=subscription.ends, seats=seats,
                currency=partner.currency if partner else "", expected=expected,
                problem=problem,
            ))
    return due


def _seats_shown(subscription: Subscription) -> str:
    """The seats its next renewal renews (net of its reductions, SPEC §11)."""
    return ", ".join(f"{kind}: {n}" for kind, n in sorted(subscription.renewing_seats().items())
                     if n > 0)


def _notice_deadlines(ledger: LedgerMonth, config: Config, report: MonthReport, year: int,
                      month: int) -> list[NoticeDeadline]:
    """The subscriptions, not cancelled, whose last day to give notice of a cancel or reduce
    falls in the month (SPEC §11), by that day."""
    notice = timedelta(days=config.lifecycle.notice_days)
    whole = month_term(year, month)
    found = []
    for partner_id, view in ledger.views.items():
        for subscription in view.subscriptions.values():
            notice_by = subscription.ends - notice
            if not whole.contains(notice_by) or subscription.cancelled_by is not None:
                continue
            seats = _seats_shown(subscription)
            if not seats:
                continue
            found.append(NoticeDeadline(
                partner_id=partner_id, partner_name=report.partner_names.get(partner_id, ""),
                customer_id=subscription.customer_id,
                organization=report.customer_names.get((partner_id, subscription.customer_id),
                                                       ""),
                subscription=subscription.number, last_day=subscription.terms[-1].last_day,
                notice_by=notice_by, seats=seats,
                pending=", ".join(f"{kind} -{n}"
                                  for kind, n in sorted(subscription.reductions.items())),
            ))
    return sorted(found, key=lambda d: (d.notice_by, d.partner_id, d.subscription))


def manifest_part(report: MonthReport) -> dict[str, Any]:
    """What the report's manifest carries besides §7's fields: its totals."""
    return {
        "month": report.label,
        "by_currency": {code: a.as_json() for code, a in report.by_currency.items()},
        "by_partner": [
            {"partner_id": partner, "currency": currency, **a.as_json()}
            for (partner, currency), a in report.by_partner.items()
        ],
        "by_device_type": [
            {"device_type": kind, "currency": currency, **a.as_json()}
            for (kind, currency), a in report.by_device_type.items()
        ],
        "seats_in_force": sum(row.seats for row in report.seats),
        "coverage_gaps": sum(row.gap for row in report.gaps),
        "renewals_due": {
            "month": month_label(*next_month(report.year, report.month)),
            "subscriptions": len(report.renewals_due),
            "expected_net_amount_by_currency": {
                code: format_amount(amount, code)
                for code, amount in sorted(report.renewals_expected().items())
            },
        },
        "notice_deadlines": {
            "month": month_label(*next_month(report.year, report.month)),
            "subscriptions": len(report.notice_deadlines),
        },
        "numbering": [
            {"series": c.series, "year": c.year, "first": c.first, "last": c.last,
             "count": c.count, "gapless": c.gapless}
            for c in report.numbering
        ],
    }


REVENUE_AMOUNTS = ("invoiced_net", "credited_net", "vat", "recognised", "deferred")


def revenue_part(report: MonthReport) -> list[dict[str, Any]]:
    """The manifest's `revenue` (SPEC §12): per partner and currency, amounts as decimal
    strings with the currency's decimals, the deferred by year keyed by the year as text."""
    entries = []
    for row in report.revenue:
        amounts = format_amounts([getattr(row, name) for name in REVENUE_AMOUNTS], row.currency)
        by_year = format_amounts(row.deferred_by_year.values(), row.currency)
        entries.append({
            "currency": row.currency, "partner_id": row.partner_id,
            **dict(zip(REVENUE_AMOUNTS, amounts, strict=True)),
            "deferred_by_year": dict(zip(map(str, row.deferred_by_year), by_year, strict=True)),
        })
    return entries
