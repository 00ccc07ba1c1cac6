"""Credit notes (SPEC §11): what a credit asked of an issued invoice takes of each of its
lines, priced by §4's formula with the line's own unit price, term, term days and rates, and
the credit note that carries them, with the invoice's parties and VAT treatment as issued.

A credit line is a segment: seats of an invoice line over some of its days (from a first day
to the line's last, or, crediting what is left of a line, any run of days a seat was left on).
Over all credit notes, no day of a line is credited more seats than the line has.

Never more than was invoiced, to the cent: a line's amounts are a function of its seat-days
(seats x days: §4 prorates `seats x price x years x days / term days`), so each credit of a
line is priced cumulatively, amounts(seat-days credited with it) - amounts(seat-days credited
before). Each amount is non-decreasing in seat-days and a line's credited seat-days never
exceed its own (no day is over-credited), so what all credit notes give back of a line
telescopes to the amounts of its credited seat-days: never more than the line's, and exactly
the line's once every seat is credited on every day, in any number of credit notes and in
any segments. A credit
note's VAT is likewise the invoice's rounded VAT of the net credited with it less that of the
net credited before (within one minor unit of its own net x rate, as EN 16931 allows), never
more than is left of the invoice's VAT.

Pure: built from the invoice as the ledger keeps it and what earlier credit notes took."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Context as DecimalContext
from decimal import Decimal
from itertools import pairwise

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
_DAY = timedelta(days=1)


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
    """What one line of an earlier credit note took of an invoice line: its seats over its
    days, from `first_day` to `last_day` (None: the invoice line's last day)."""

    position: int  # the invoice line's, from 1
    seats: int
    credit_number: str
    first_day: date  # the first day it credited
    last_day: date | None = None  # the last day it credited, inclusive


@dataclass(frozen=True)
class Refunded:
    """What earlier credit notes of an invoice gave back in all: their net and their VAT."""

    net: Decimal = Decimal(0)
    vat: Decimal = Decimal(0)


@dataclass(frozen=True)
class CreditLine:
    """One line of a credit note: the invoice line it credits (its position, from 1, and its
    last day), the seats and the days credited (from `first_day` to the credit line's own
    last day), and the credit line as printed."""

    position: int
    seats: int
    first_day: date
    line: InvoiceLine
    line_last_day: date  # the invoice line's: the credited seats come back after the credit
    # line's last day when it is before this one

    @property
    def last_day(self) -> date:
        return self.line.period_end


@dataclass(frozen=True)
class CreditPlan:
    lines: tuple[CreditLine, ...]
    problems: tuple[Problem, ...]
    refunded: Refunded = Refunded()  # by earlier credit notes of the invoice


@dataclass(frozen=True)
class Run:
    """Days of an invoice line with the same seats left to credit: `first` to `last`,
    inclusive."""

    first: date
    last: date
    seats: int


@dataclass(frozen=True)
class Segment:
    """Seats of an invoice line credited over its days from `first` to `last`, inclusive."""

    seats: int
    first: date
    last: date

    @property
    def seat_days(self) -> int:
        return self.seats * ((self.last - self.first).days + 1)


def plan_credit(invoice: Invoice, asked: Sequence[tuple[str, int | None]], first_day: date | None,
                taken: Sequence[Taken], term_rates: Mapping[int, Decimal],
                *, refunded: Refunded = Refunded()) -> CreditPlan:
    """The credit lines asked (`asked`: line id and seats, None for what is left of it; empty:
    every line, what is left of each), from `first_day` (None: each line's first day), or every
    reason it cannot be issued. Never more than was invoiced: over all credit notes, a line's
    seats credited never exceed its seats on any day. Seats asked run from the first day to the
    line's last and are refused when some day of it has fewer left; what is left of a line is
    its seats left on each day from the first, as segments of seats over days, each a credit
    line with its own period. Each is priced after the seat-days `taken` before it (and those
    of the same line planned earlier in this request)."""
    planner = _Planner(invoice, first_day, taken)
    if not asked:
        planner.everything_left()
    for line_id, seats in asked:
        planner.line(line_id, seats)
    return CreditPlan(planner.priced(term_rates), tuple(planner.problems), refunded)


class _Planner:
    """A credit planned line by line: the segments of each invoice line credited so far (by
    earlier credit notes, then by what this one plans) and the problems found."""

    def __init__(self, invoice: Invoice, first_day: date | None, taken: Sequence[Taken]):
        self.invoice, self.first_day, self.taken = invoice, first_day, taken
        self.ids = line_ids(invoice.lines)
        self.by_id = {line_id: position for position, line_id in enumerate(self.ids, start=1)}
        self.number = invoice.number or ""
        self.credited: dict[int, list[Segment]] = {}
        for each in taken:
            self.credited.setdefault(each.position, []).append(
                _segment(invoice.lines[each.position - 1], each))
        # the seat-days earlier credit notes took of each line: what a credit of it is priced
        # after
        self.seat_days = {position: sum(each.seat_days for each in segments)
                          for position, segments in self.credited.items()}
        self.planned: list[tuple[int, Segment]] = []
        self.problems: list[Problem] = []

    def left(self, position: int) -> list[Run]:
        return left_of(self.invoice.lines[position - 1], self.credited.get(position, []))

    def plan(self, position: int, segments: Sequence[Segment]) -> None:
        self.planned.extend((position, each) for each in segments)
        self.credited.setdefault(position, []).extend(segments)

    def first_day_of(self, position: int) -> date | None:
        """The first day credited of the line, or None (and a problem) outside its period."""
        line = self.invoice.lines[position - 1]
        day = line.period_start if self.first_day is None else self.first_day
        if line.period_start <= day <= line.period_end:
            return day
        self.problems.append(problem(
            Code.CREDIT_FROM_OUTSIDE_PERIOD, "credit", None, "--from", day.isoformat(),
            line=self.ids[position - 1], invoice=self.number,
            first=line.period_start.isoformat(), last=line.period_end.isoformat()))
        return None

    def everything_left(self) -> None:
        """Every line, what is left of it (from the first day); nothing left is a problem."""
        for position in range(1, len(self.invoice.lines) + 1):
            runs = self.left(position)
            if (any(run.seats for run in runs)
                    and (day := self.first_day_of(position)) is not None):
                self.plan(position, what_is_left(runs, day))
        if not self.planned and not self.problems:
            when = "" if self.first_day is None else f" from {self.first_day.isoformat()} on"
            self.problems.append(problem(
                Code.NOTHING_LEFT_TO_CREDIT, "credit", None, "NUMBER", self.number,
                taken=_by_notes(self.taken), when=when))

    def line(self, line_id: str, seats: int | None) -> None:
        """`seats` of a line from the first day to its last, refused when a day of them has
        fewer left; None: what is left of it from the first day, refused when nothing is."""
        position = self.by_id.get(line_id.strip())
        if position is None:
            self.problems.append(problem(
                Code.UNKNOWN_INVOICE_LINE, "credit", None, "--line", line_id,
                invoice=self.number, lines=", ".join(self.ids)))
            return
        line = self.invoice.lines[position - 1]
        if (day := self.first_day_of(position)) is None:
            return
        runs = [run for run in self.left(position) if run.last >= day]
        fewest = min(run.seats for run in runs)
        wanted = (what_is_left(runs, day) if seats is None
                  else [Segment(seats, day, line.period_end)] if seats <= fewest else [])
        if wanted:
            self.plan(position, wanted)
            return
        self.problems.append(problem(
            Code.CREDIT_EXCEEDS_INVOICED, "credit", None, "--line", line_id,
            invoice=self.number, remaining=fewest, when=_when(runs, day),
            seats=line.seats, asked=line.seats if seats is None else seats,
            taken=_by_notes([t for t in self.taken if t.position == position])
            or "none credited before"))

    def priced(self, term_rates: Mapping[int, Decimal]) -> tuple[CreditLine, ...]:
        """The credit lines planned, each priced after what was credited of its line before."""
        lines = []
        for position, segment in self.planned:
            line = self.invoice.lines[position - 1]
            before = self.seat_days.get(position, 0)
            self.seat_days[position] = before + segment.seat_days
            lines.append(CreditLine(position, segment.seats, segment.first, credit_line(
                self.invoice, line, segment.seats, segment.first, term_rates, before=before,
                last_day=segment.last), line.period_end))
        return tuple(lines)


def _by_notes(taken: Sequence[Taken]) -> str:
    """"2 seat(s) by CN-2026-000001, 1 by CN-2026-000004"."""
    seats: dict[str, int] = {}
    for each in taken:
        seats[each.credit_number] = seats.get(each.credit_number, 0) + each.seats
    return ", ".join(f"{n} seat(s) by {number}" for number, n in seats.items())


def _segment(line: InvoiceLine, taken: Taken) -> Segment:
    """What an earlier credit took of `line`, inside its service period (a credit kept before
    credit lines had a last day ran to the line's)."""
    last = line.period_end if taken.last_day is None else min(taken.last_day, line.period_end)
    return Segment(taken.seats, max(taken.first_day, line.period_start), last)


def left_of(line: InvoiceLine, credited: Sequence[Segment]) -> list[Run]:
    """The seats of `line` left to credit on each day of its service period, `credited` taken:
    runs of days with the same seats left, in order, from its first day to its last."""
    end = line.period_end + _DAY
    cuts = sorted({line.period_start, end}
                  | {day for each in credited for day in (each.first, each.last + _DAY)
                     if line.period_start < day < end})
    runs: list[Run] = []
    for first, after in pairwise(cuts):
        seats = line.seats - sum(each.seats for each in credited
                                 if each.first <= first <= each.last)
        if runs and runs[-1].seats == seats:
            runs[-1] = replace(runs[-1], last=after - _DAY)
        else:
            runs.append(Run(first, after - _DAY, seats))
    return runs


def what_is_left(runs: Sequence[Run], first_day: date) -> list[Segment]:
    """The seats left on each day from `first_day` on (`runs`, to the line's last day) as
    segments: a seat left on consecutive days is in one segment, and the seats left from the
    same first day to the same last day are one. Ordered by first day, the longest first."""
    done: list[Segment] = []
    open_: list[tuple[date, int]] = []  # (first day, seats), the latest opened last
    before = 0
    last = first_day
    for run in runs:
        if run.last < first_day:
            continue
        first, last, left = max(run.first, first_day), run.last, max(run.seats, 0)
        if left > before:
            open_.append((first, left - before))
        ending = before - left
        while ending > 0:  # the seats opened last end first: no segment is cut in two
            start, seats = open_.pop()
            closed = min(seats, ending)
            done.append(Segment(closed, start, first - _DAY))
            if seats > closed:
                open_.append((start, seats - closed))
            ending -= closed
        before = left
    done.extend(Segment(seats, start, last) for start, seats in open_)
    return sorted(done, key=lambda each: (each.first, -each.last.toordinal()))


def _when(runs: Sequence[Run], first_day: date) -> str:
    """When the seats left of a line differ over the days asked (from `first_day`), each
    number left with its days, the fewest first (" from 2027-01-15 to 2027-11-30 and 1 from
    2026-12-03 to 2027-01-14"); "" when the same number is left on each of them."""
    asked = [replace(run, first=max(run.first, first_day)) for run in runs
             if run.last >= first_day]
    if len({run.seats for run in asked}) == 1:
        return ""
    days: dict[int, list[str]] = {}
    for run in asked:
        days.setdefault(run.seats, []).append(
            f"from {run.first.isoformat()} to {run.last.isoformat()}")
    groups = [(seats, ", ".join(spans)) for seats, spans in sorted(days.items())]
    (_, fewest), rest = groups[0], groups[1:]
    return " " + fewest + "".join(f" and {seats} {spans}" for seats, spans in rest)


def credit_line(invoice: Invoice, line: InvoiceLine, seats: int, first_day: date,
                term_rates: Mapping[int, Decimal], *, before: int = 0,
                last_day: date | None = None) -> InvoiceLine:
    """`seats` of `line` credited from `first_day` to `last_day` (None: its last day), priced
    as if they were added on that day to the line for those days (SPEC §4, §11): its unit
    price, term and term days, `fraction = days credited / term days`; the term discount rate
    the one configured for its term where that gives the line's own term discount, else the
    line's own (its term discount over its list amount); the invoice's partner discount rate.
    Priced cumulatively after the `before` seat-days of the line credited earlier: the amounts
    of all the seat-days credited with these less those of the seat-days before, each rounded
    as shown (so that their sum never drifts from the line's by rounding). The credit line's
    period is the days it credits."""
    last = line.period_end if last_day is None else last_day
    days = (last - first_day).days + 1
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
        period_start=first_day, period_end=last, unit_price=line.unit_price,
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
    """Credited seats leave their subscription over the days credited (SPEC §11): a negative
    change on the first day; and they come back the day after the last, as the line (or a
    later term already issued) billed them, when that is before the end of the line's service
    period or of the subscription's latest term. Changes add up: a seat credited before a day
    that an earlier credit took from that day on stays gone."""
    changes = []
    for credited in plan.lines:
        line = credited.line
        sid = parse_subscription_number(line.subscription_id or "")
        if sid is None:
            continue
        changes.append(SeatChange(sid, line.device_type, -credited.seats, credited.first_day,
                                  line.order_id))
        after = credited.last_day + _DAY
        if credited.last_day < credited.line_last_day or after < latest_ends.get(sid, after):
            changes.append(SeatChange(sid, line.device_type, credited.seats, after,
                                      line.order_id))
    return changes
