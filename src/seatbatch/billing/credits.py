"""Credit notes (SPEC §11): what a credit asked of an issued invoice takes of each of its
lines, priced by §4's formula with the line's own unit price, term, term days and rates, and
the credit note that carries them, with the invoice's parties and VAT treatment as issued.

Never more than was invoiced, to the cent: a line's amounts are a function of its seat-days
(seats x days: §4 prorates `seats x price x years x days / term days`), so each credit of a
line is priced cumulatively, amounts(seat-days credited with it) - amounts(seat-days credited
before). Each amount is non-decreasing in seat-days and a line's credited seat-days never
exceed its own, so what all credit notes give back of a line telescopes to the amounts of
its credited seat-days: never more than the line's, and exactly the line's once every seat is
credited from its first day, in any number of credit notes and from any first days. A credit
note's VAT is likewise the invoice's rounded VAT of the net credited with it less that of the
net credited before (within one minor unit of its own net x rate, as EN 16931 allows), never
more than is left of the invoice's VAT.

Pure: built from the invoice as the ledger keeps it and what earlier credit notes took."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Context as DecimalContext
from decimal import Decimal

from seatbatch.billing.pricing import line_amounts
from seatbatch.core.documents import line_ids
from seatbatch.core.model import (
    Credited,
    Invoice,
    InvoiceLine,
    LineAmounts,
    SeatChange,
    Vat,
    parse_subscription_number,
)
from seatbatch.core.money import round_money
from seatbatch.core.problems import Code, Problem, problem

_RATE = DecimalContext(prec=40)  # a rate read off a line's amounts, to 40 digits


@dataclass(frozen=True)
class CreditRequest:
    """What finance asks (`seatbatch credit`): the invoice, why, its lines (line id and seats,
    None for all of them; none: every line, what is left of it) and the first day credited
    (None: each line's first day)."""

    invoice_number: str
    reason: str
    lines: tuple[tuple[str, int | None], ...] = ()
    first_day: date | None = None


@dataclass(frozen=True)
class Taken:
    """What one line of an earlier credit note took of an invoice line."""

    position: int  # the invoice line's, from 1
    seats: int
    credit_number: str
    first_day: date  # the first day it credited


@dataclass(frozen=True)
class Refunded:
    """What earlier credit notes of an invoice gave back in all: their net and their VAT."""

    net: Decimal = Decimal(0)
    vat: Decimal = Decimal(0)


@dataclass(frozen=True)
class CreditLine:
    """One line of a credit note: the invoice line it credits (its position, from 1), the
    seats and the first day credited, and the credit line as printed."""

    position: int
    seats: int
    first_day: date
    line: InvoiceLine


@dataclass(frozen=True)
class CreditPlan:
    lines: tuple[CreditLine, ...]
    problems: tuple[Problem, ...]
    refunded: Refunded = Refunded()  # by earlier credit notes of the invoice


def plan_credit(invoice: Invoice, asked: Sequence[tuple[str, int | None]], first_day: date | None,
                taken: Sequence[Taken], term_rates: Mapping[int, Decimal],
                *, refunded: Refunded = Refunded()) -> CreditPlan:
    """The credit lines asked (`asked`: line id and seats, None for all of them; empty: every
    line, what is left of each), from `first_day` (None: each line's first day), or every
    reason it cannot be issued. Never more than was invoiced: over all credit notes, a line's
    seats credited never exceed its seats on any day (each runs to the line's last day, so
    their sum is what is credited on the last); each line is priced after the seat-days
    `taken` before it (and those of the same line named earlier in `asked`)."""
    ids = line_ids(invoice.lines)
    number = invoice.number or ""
    by_id = {line_id: position for position, line_id in enumerate(ids, start=1)}
    took: dict[int, list[Taken]] = {}
    for each in taken:
        took.setdefault(each.position, []).append(each)
    problems: list[Problem] = []
    wanted: list[tuple[int, int]] = []  # (position, seats)
    if not asked:
        wanted = [(position, line.seats - _sum(took.get(position, [])))
                  for position, line in enumerate(invoice.lines, start=1)]
        wanted = [(position, seats) for position, seats in wanted if seats > 0]
        if not wanted:
            return CreditPlan((), (problem(Code.NOTHING_LEFT_TO_CREDIT, "credit", None, "NUMBER",
                                           number, taken=_by_notes(taken)),))
    for line_id, seats in asked:
        position = by_id.get(line_id.strip())
        if position is None:
            problems.append(problem(Code.UNKNOWN_INVOICE_LINE, "credit", None, "--line",
                                    line_id, invoice=number, lines=", ".join(ids)))
            continue
        line = invoice.lines[position - 1]
        already = took.get(position, [])
        # a line named twice in one request asks the sum
        remaining = line.seats - _sum(already) - sum(n for p, n in wanted if p == position)
        asked_seats = line.seats if seats is None else seats
        if asked_seats > remaining:
            problems.append(problem(
                Code.CREDIT_EXCEEDS_INVOICED, "credit", None, "--line", line_id,
                invoice=number, remaining=remaining, seats=line.seats, asked=asked_seats,
                taken=_by_notes(already) or "none credited before"))
            continue
        wanted.append((position, asked_seats))
    lines = []
    seat_days = {position: sum(each.seats * _days(invoice.lines[position - 1], each.first_day)
                               for each in already) for position, already in took.items()}
    for position, seats in wanted:
        line = invoice.lines[position - 1]
        day = line.period_start if first_day is None else first_day
        if not line.period_start <= day <= line.period_end:
            problems.append(problem(
                Code.CREDIT_FROM_OUTSIDE_PERIOD, "credit", None, "--from", day.isoformat(),
                line=ids[position - 1], invoice=number, first=line.period_start.isoformat(),
                last=line.period_end.isoformat()))
            continue
        before = seat_days.get(position, 0)
        seat_days[position] = before + seats * _days(line, day)
        lines.append(CreditLine(position, seats, day, credit_line(
            invoice, line, seats, day, term_rates, before=before)))
    return CreditPlan(tuple(lines), tuple(problems), refunded)


def _days(line: InvoiceLine, first_day: date) -> int:
    """The days of `line` credited from `first_day`: to its last day, inclusive."""
    return (line.period_end - first_day).days + 1


def _sum(taken: Sequence[Taken]) -> int:
    return sum(each.seats for each in taken)


def _by_notes(taken: Sequence[Taken]) -> str:
    """"2 seat(s) by CN-2026-000001, 1 by CN-2026-000004"."""
    seats: dict[str, int] = {}
    for each in taken:
        seats[each.credit_number] = seats.get(each.credit_number, 0) + each.seats
    return ", ".join(f"{n} seat(s) by {number}" for number, n in seats.items())


def credit_line(invoice: Invoice, line: InvoiceLine, seats: int, first_day: date,
                term_rates: Mapping[int, Decimal], *, before: int = 0) -> InvoiceLine:
    """`seats` of `line` credited from `first_day` to its last day, priced as if they were
    added on that day to the line (SPEC §4, §11): its unit price, term and term days,
    `fraction = days(first_day → the line's end) / term days`; the term discount rate the one
    configured for its term where that gives the line's own term discount, else the line's
    own (its term discount over its list amount); the invoice's partner discount rate.
    Priced cumulatively after the `before` seat-days of the line credited earlier: the amounts
    of all the seat-days credited with these less those of the seat-days before, each rounded
    as shown (so that their sum never drifts from the line's by rounding)."""
    days = _days(line, first_day)
    term_rate = term_rate_of(line, term_rates.get(line.term_years), invoice.currency)

    def priced(seat_days: int) -> LineAmounts:
        # one seat for `seat_days` days: §4's `seats x price x years x days` is the same product
        return line_amounts(
            1, line.unit_price, line.term_years, prorate_days=seat_days,
            term_days=line.term_days, term_rate=term_rate,
            partner_rate=invoice.partner_discount_rate, currency=invoice.currency)

    upto, earlier = priced(before + seats * days), priced(before)
    amounts = LineAmounts(*(a - b for a, b in zip(upto, earlier, strict=True)))
    return InvoiceLine(
        order_id=line.order_id, action="credit", subscription_id=line.subscription_id,
        device_type=line.device_type, seats=seats, term_years=line.term_years,
        period_start=first_day, period_end=line.period_end, unit_price=line.unit_price,
        prorate_days=days, term_days=line.term_days, amounts=amounts)


def term_rate_of(line: InvoiceLine, configured: Decimal | None, currency: str) -> Decimal:
    """The term discount rate `line` was priced at: the configured one when it gives the line's
    term discount, else read off the line's own amounts."""
    if configured is not None and round_money(line.list_amount * configured,
                                              currency) == line.term_discount:
        return configured
    if not line.list_amount:
        return Decimal(0)
    return _RATE.divide(line.term_discount, line.list_amount)


def credit_note(invoice: Invoice, plan: CreditPlan, *, number: str | None, credit_date: date,
                reason: str) -> Invoice:
    """The credit note of `plan` against `invoice`: its parties, PO, end customer, currency,
    partner discount rate and VAT treatment as issued; its totals positive (SPEC §11)."""
    assert invoice.number is not None
    lines = tuple(c.line for c in plan.lines)
    total = sum((line.net_amount for line in lines), Decimal(0))
    vat = invoice.vat
    if vat is not None:
        vat = Vat(vat.treatment, vat.category, vat.rate, total,
                  _vat_credited(vat, total, plan.refunded, invoice.currency), vat.note)
    return Invoice(
        number=number, invoice_date=credit_date, due_date=credit_date, issuer=invoice.issuer,
        partner_id=invoice.partner_id, bill_to=invoice.bill_to,
        customer_id=invoice.customer_id, customer_name=invoice.customer_name,
        po_number=invoice.po_number, currency=invoice.currency,
        partner_discount_rate=invoice.partner_discount_rate, lines=lines, total=total,
        kind="credit_note", vat=vat, payment=invoice.payment,
        credits=Credited(invoice.number, invoice.invoice_date, reason))


def _vat_credited(vat: Vat, net: Decimal, refunded: Refunded, currency: str) -> Decimal:
    """The VAT of a credit note of `net` against an invoice of `vat`, earlier credit notes
    having `refunded`: the VAT of the net credited with it less that of the net credited
    before, each rounded as the invoice's was, so that all credit notes together give back
    the VAT of what they credit, at most the invoice's; and never more than is left of it
    (earlier notes priced otherwise), nor less than nothing."""
    upto = round_money((refunded.net + net) * vat.rate, currency)
    earlier = round_money(refunded.net * vat.rate, currency)
    return max(Decimal(0), min(upto - earlier, vat.amount - refunded.vat))


def subscription_ids(plan: CreditPlan) -> list[int]:
    """The subscriptions whose seats the plan credits."""
    return sorted({sid for credited in plan.lines
                   if (sid := parse_subscription_number(credited.line.subscription_id or ""))
                   is not None})


def seat_changes(plan: CreditPlan, latest_ends: Mapping[int, date]) -> list[SeatChange]:
    """Credited seats leave their subscription from their first day to the end of the line's
    service period (SPEC §11): a negative change on that day; and, where a later term is
    already issued (that period is not the subscription's latest term), the seats come back
    the day after, as that term billed them."""
    changes = []
    for credited in plan.lines:
        line = credited.line
        sid = parse_subscription_number(line.subscription_id or "")
        if sid is None:
            continue
        changes.append(SeatChange(sid, line.device_type, -credited.seats, credited.first_day,
                                  line.order_id))
        after = line.period_end + timedelta(days=1)
        if after < latest_ends.get(sid, after):
            changes.append(SeatChange(sid, line.device_type, credited.seats, after,
                                      line.order_id))
    return changes

