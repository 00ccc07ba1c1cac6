"""Rules across rows, sheets and the ledger: each a small function `rule(ctx) -> Problems`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import cached_property, lru_cache
from operator import attrgetter

from seatbatch.core.config import Config, Partner
from seatbatch.core.model import (
    Change,
    Customer,
    Device,
    LedgerView,
    LineRequest,
    OrderLine,
    Subscription,
    parse_subscription_number,
    subscription_number,
)
from seatbatch.core.problems import Code, Problem, problem
from seatbatch.core.terms import Term, month_label, next_month, term_of

ORDERS = "Orders"
GROUP_FIELDS = ("term_years", "start_date", "po_number", "separate_invoice")
_group_fields = attrgetter(*GROUP_FIELDS)
_customer_id = attrgetter("customer_id")
_device_key = attrgetter("customer_id", "device_type")
_row = attrgetter("row")


@lru_cache(maxsize=4096)
def _term_of(start: date, years: int) -> Term:
    """`term_of`, once per start and length (order lines share a few hundred start days)."""
    return term_of(start, years)


@dataclass(frozen=True)
class Context:
    config: Config
    partner: Partner
    as_of: date
    view: LedgerView
    customers: dict[str, Customer]  # of this workbook
    devices: list[Device]
    orders: list[OrderLine]  # lines not committed before (already-processed ones are left out)
    broken_customers: frozenset[str] = field(default_factory=frozenset)  # rows that did not parse
    failed_cells: frozenset[tuple[str, int, str]] = field(default_factory=frozenset)
    listed_customers: frozenset[str] = field(default_factory=frozenset)  # ids the sheet names
    processed_groups: frozenset[tuple[str, str]] = field(default_factory=frozenset)
    rejected_rows: frozenset[int] = field(default_factory=frozenset)  # Orders rows with problems
    changes: list[OrderLine] = field(default_factory=list)  # cancel, reduce, po (SPEC §11)
    incomplete_changes: list[OrderLine] = field(default_factory=list)  # rows with problems

    @cached_property
    def coverage(self) -> list[Coverage]:
        return coverage(self)

    def knows_customer(self, customer_id: str) -> bool:
        """In the Customers sheet (even on a row with problems of its own) or in the ledger."""
        return customer_id in self.listed_customers or customer_id in self.view.customers

    def failed(self, line: OrderLine, column: str) -> bool:
        """The cell was given but did not pass its own checks (already reported)."""
        return (ORDERS, line.row, column) in self.failed_cells

    @cached_property
    def added(self) -> dict[int, Counter[str]]:
        """The seats this workbook's add lines give each ledger subscription, by device type
        (they renew too: SPEC §11's reduce counts them)."""
        added: dict[int, Counter[str]] = {}
        if self.changes:
            for line in self.orders:
                if line.action == "add" and (target := self.target(line)) is not None:
                    added.setdefault(target.id, Counter())[line.device_type] += line.seats
        return added

    @cached_property
    def earliest(self) -> date:
        return self.as_of - timedelta(days=self.config.window.max_backdate_days)

    @cached_property
    def latest(self) -> date:
        return self.as_of + timedelta(days=self.config.window.max_future_days)

    def target(self, line: OrderLine) -> Subscription | None:
        """The ledger subscription an `add` line names, if it is this partner's and customer's."""
        number = parse_subscription_number(line.subscription)
        found = self.view.subscriptions.get(number) if number is not None else None
        return found if found is not None and found.customer_id == line.customer_id else None


Rule = Callable[[Context], Iterable[Problem]]


def customers_known(ctx: Context) -> Iterator[Problem]:
    partner = ctx.partner.id
    named = (set(map(_customer_id, ctx.devices)) | set(map(_customer_id, ctx.orders))
             | set(map(_customer_id, ctx.changes)))
    if all(map(ctx.knows_customer, named)):
        return  # the rows need not be gone through one by one
    for device in ctx.devices:
        if not ctx.knows_customer(device.customer_id):
            yield problem(Code.UNKNOWN_CUSTOMER, "Devices", device.row, "customer_id",
                          device.customer_id, partner=partner)
    for line in sorted((*ctx.orders, *ctx.changes), key=attrgetter("row")):
        if not ctx.knows_customer(line.customer_id):
            yield problem(Code.UNKNOWN_CUSTOMER, ORDERS, line.row, "customer_id",
                          line.customer_id, partner=partner)


def new_lines_complete(ctx: Context) -> Iterator[Problem]:
    for line in ctx.orders:
        if line.action != "new":
            continue
        for name in ("term_years", "start_date"):
            if getattr(line, name) is None and not ctx.failed(line, name):
                yield problem(Code.REQUIRED_FOR_NEW, ORDERS, line.row, name)


def start_in_window(ctx: Context) -> Iterator[Problem]:
    for line in ctx.orders:
        day = line.start_date
        if day is not None and not ctx.earliest <= day <= ctx.latest:
            yield problem(
                Code.START_OUTSIDE_WINDOW, ORDERS, line.row, "start_date", day,
                as_of=ctx.as_of.isoformat(), earliest=ctx.earliest.isoformat(),
                latest=ctx.latest.isoformat(),
            )


def new_groups_agree(ctx: Context) -> Iterator[Problem]:
    first: dict[tuple[str, str], OrderLine] = {}
    for line in ctx.orders:
        if line.action != "new":
            continue
        key = (line.customer_id, line.subscription)
        leader = first.setdefault(key, line)
        if _group_fields(line) == _group_fields(leader):
            continue
        for name in GROUP_FIELDS:
            mine, theirs = getattr(line, name), getattr(leader, name)
            if mine != theirs and not (ctx.failed(line, name) or ctx.failed(leader, name)):
                yield problem(
                    Code.INCONSISTENT_GROUP, ORDERS, line.row, name, mine,
                    label=line.subscription, customer=line.customer_id, first_row=leader.row,
                    first_value="" if theirs is None else theirs,
                )


def new_labels_are_new(ctx: Context) -> Iterator[Problem]:
    """A `new` line may not join a group this workbook already had committed (that would make a
    second subscription of half a group), nor be labelled like a subscription id."""
    committed = {
        (c.customer_id, c.label): c.subscription_id
        for c in ctx.view.committed.values()
        if c.label is not None
    }
    for line in ctx.orders:
        if line.action != "new":
            continue
        key = (line.customer_id, line.subscription)
        if key in ctx.processed_groups and key in committed:
            yield problem(
                Code.LABEL_ALREADY_COMMITTED, ORDERS, line.row, "subscription", line.subscription,
                customer=line.customer_id, subscription=subscription_number(committed[key]),
            )
        elif parse_subscription_number(line.subscription) is not None:
            yield problem(Code.LABEL_LOOKS_LIKE_SUBSCRIPTION, ORDERS, line.row, "subscription",
                          line.subscription)


def add_targets_exist(ctx: Context) -> Iterator[Problem]:
    for line in ctx.orders:
        if line.action != "add" or not ctx.knows_customer(line.customer_id):
            continue
        target = ctx.target(line)
        if target is None:
            yield _unknown_subscription(ctx, line)
            continue
        if line.term_years is not None and line.term_years != target.term_years:
            yield problem(
                Code.TERM_MISMATCH, ORDERS, line.row, "term_years", line.term_years,
                subscription=target.number, years=target.term_years,
            )
        effective = effective_date(line, target, ctx.as_of)
        if effective >= target.ends:
            column = "start_date" if line.start_date else "subscription"
            yield problem(
                Code.SUBSCRIPTION_ENDED, ORDERS, line.row, column, getattr(line, column),
                subscription=target.number, last_day=target.terms[-1].last_day.isoformat(),
                effective=effective.isoformat(), next_step=_after_the_end(target, ctx.as_of),
            )


def _after_the_end(target: Subscription, as_of: date) -> str:
    """What to do about seats that would start after a subscription's last issued term: renew
    it first, or, cancelled, start a new one."""
    if target.cancelled_by is not None:
        return (f"it was cancelled (order line '{target.cancelled_by}') and does not renew; "
                "for seats after it, start a new subscription (action 'new')")
    return f"renew first: {_renew_command(target, as_of)}"


def _renew_command(target: Subscription, as_of: date) -> str:
    """The command that renews the subscription's last term, and when it may run (renew takes
    at most the month after its run date's)."""
    last = target.terms[-1].last_day
    command = f"seatbatch renew --month {month_label(last.year, last.month)}"
    if (last.year, last.month) > next_month(as_of.year, as_of.month):
        month_before = date(last.year, last.month, 1) - timedelta(days=1)
        return f"{command}, which runs from {month_before.replace(day=1).isoformat()} on"
    return f"{command}, then send this line again"


LISTED_SUBSCRIPTIONS = 10  # of one customer, in a message


def _unknown_subscription(ctx: Context, line: OrderLine) -> Problem:
    """An add or a change naming no subscription of its customer: the ones it has listed."""
    return problem(Code.UNKNOWN_SUBSCRIPTION, ORDERS, line.row, "subscription",
                   line.subscription, customer=line.customer_id, partner=ctx.partner.id,
                   known=_subscriptions_of(ctx, line.customer_id))


def _subscriptions_of(ctx: Context, customer_id: str) -> str:
    """The customer's subscriptions as a message lists them: id, device types, term end."""
    own = sorted((s for s in ctx.view.subscriptions.values() if s.customer_id == customer_id),
                 key=attrgetter("id"))
    if not own:
        return (f", like SUB-000123; customer {customer_id} has no subscription yet (to start "
                "one, write action 'new')")
    listed = []
    for subscription in own[:LISTED_SUBSCRIPTIONS]:
        types = ", ".join(sorted(t for t, n in subscription.seats_on(ctx.as_of).items() if n)
                          ) or "no seats"
        last = subscription.terms[-1].last_day.isoformat()
        ends = f"ended {last}" if subscription.ends <= ctx.as_of else f"term ends {last}"
        listed.append(f"{subscription.number} ({types}; {ends})")
    more = len(own) - LISTED_SUBSCRIPTIONS
    return (f"; customer {customer_id}'s subscriptions: " + ", ".join(listed)
            + (f" and {more} more" if more > 0 else ""))


def priced_dates_have_price_lists(ctx: Context) -> Iterator[Problem]:
    """Every line is priced on a day some price list in the partner's currency covers."""
    currency = ctx.partner.currency
    starts = sorted(p.valid_from for p in ctx.config.price_lists if p.currency == currency)
    for line in ctx.orders:
        target = ctx.target(line) if line.action == "add" else None
        day = effective_date(line, target, ctx.as_of) if target else line.start_date
        outside_window = line.start_date is not None and not (
            ctx.earliest <= line.start_date <= ctx.latest)  # reported as such already
        if day is not None and starts and day < starts[0] and not outside_window:
            column = "start_date" if line.start_date else "subscription"
            yield problem(Code.NO_PRICE_ON_DATE, ORDERS, line.row, column,
                          getattr(line, column), day=day.isoformat(), currency=currency,
                          first=starts[0].isoformat())


def effective_date(line: OrderLine, target: Subscription, as_of: date) -> date:
    """When an add line's seats take effect: its start_date (default the run date), but never
    before the subscription starts."""
    return max(line.start_date or as_of, target.start_date)


@dataclass(frozen=True, init=False)
class Coverage:
    """Devices listed and seats in force on the run date, for one customer and device type.
    Only valid order lines count; the seats of order lines rejected for problems of their own
    are `pending`, with their rows: they would count once those are corrected."""

    customer_id: str
    device_type: str
    devices: int
    ledger_seats: int
    workbook_seats: int
    first_device_row: int | None
    pending_seats: int = 0
    pending_rows: tuple[int, ...] = ()
    broken: bool = False  # the customer has rows too incomplete to count (not checked at all)

    # one per customer and device type, 15,000 in a large workbook: its fields written as
    # Device's are (core/model.py), in a third of the time of a frozen dataclass's __init__
    def __init__(  # noqa: PLR0913, PLR0917  the fields, as a dataclass's __init__ takes them
        self, customer_id: str, device_type: str, devices: int, ledger_seats: int,
        workbook_seats: int, first_device_row: int | None, pending_seats: int = 0,
        pending_rows: tuple[int, ...] = (), broken: bool = False,
    ) -> None:
        fields = self.__dict__
        fields["customer_id"] = customer_id
        fields["device_type"] = device_type
        fields["devices"] = devices
        fields["ledger_seats"] = ledger_seats
        fields["workbook_seats"] = workbook_seats
        fields["first_device_row"] = first_device_row
        fields["pending_seats"] = pending_seats
        fields["pending_rows"] = pending_rows
        fields["broken"] = broken

    @property
    def seats(self) -> int:
        return self.ledger_seats + self.workbook_seats

    @property
    def short(self) -> int:
        """Seats missing even were the rejected lines corrected as they stand."""
        return max(0, self.devices - self.seats - self.pending_seats)

    @property
    def unchecked(self) -> bool:
        """Short of the devices only for want of the rejected lines' seats, or the customer's
        rows too incomplete to count: not checked."""
        return self.seats < self.devices and (self.broken or not self.short)


def coverage(ctx: Context) -> list[Coverage]:
    """For every customer and device type of the Devices sheet and of the new order lines:
    seats of subscriptions not ended on the run date (ledger plus this workbook) and devices."""
    device_keys = list(map(_device_key, ctx.devices))
    listed = Counter(device_keys)
    # the first row of each key: of all its rows, the one the reversed list gives last
    first_row = dict(zip(reversed(device_keys), reversed(list(map(_row, ctx.devices))),
                         strict=True))
    workbook_seats: Counter[tuple[str, str]] = Counter()
    pending_seats: Counter[tuple[str, str]] = Counter()
    pending_rows: dict[tuple[str, str], list[int]] = {}
    rejected_rows = ctx.rejected_rows
    # a new subscription's seats in force or not, once per start and length (lines share a
    # few hundred)
    new_in_force: dict[tuple[date | None, int | None], bool | None] = {}
    for line in ctx.orders:
        key = (line.customer_id, line.device_type)
        rejected = line.row in rejected_rows
        if rejected:
            pending_rows.setdefault(key, []).append(line.row)
        if line.action == "new":
            dates = (line.start_date, line.term_years)
            if dates not in new_in_force:
                new_in_force[dates] = _new_in_force(ctx, *dates)
            known = new_in_force[dates]
            in_force = rejected if known is None else known
        else:
            in_force = _in_force(ctx, line, assumed=rejected)
        if in_force:
            seats = pending_seats if rejected else workbook_seats
            seats[key] = seats.get(key, 0) + line.seats
    wanted = {key[0] for key in listed} | {key[0] for key in workbook_seats}
    ledger_seats = ctx.view.seats_in_force(ctx.as_of, wanted)
    # in the order the sheets give them, nearly sorted already: sorted in a few comparisons
    keys = sorted(dict.fromkeys([*listed, *workbook_seats, *ledger_seats]))
    broken = ctx.broken_customers
    # (get, not a Counter's [], whose missing key is a call of its __missing__)
    return [
        Coverage(key[0], key[1], listed.get(key, 0), ledger_seats.get(key, 0),
                 workbook_seats.get(key, 0), first_row.get(key), pending_seats.get(key, 0),
                 tuple(pending_rows.get(key, ())), key[0] in broken)
        for key in keys
    ]


def _in_force(ctx: Context, line: OrderLine, *, assumed: bool) -> bool:
    """Whether the line's seats are in force on the run date. With `assumed` (a line rejected
    for problems of its own), a new subscription whose dates are missing, wrong or outside
    the window, and an add line naming no subscription of the customer, are taken as in force:
    once corrected they would be."""
    if line.action == "new":
        in_force = _new_in_force(ctx, line.start_date, line.term_years)
        return assumed if in_force is None else in_force
    target = ctx.target(line)
    return target.ends > ctx.as_of if target is not None else assumed


def _new_in_force(ctx: Context, day: date | None, years: int | None) -> bool | None:
    """Whether a new subscription starting on `day` for `years` is in force on the run date;
    None when its dates are missing or outside the window."""
    if day is None or years is None or not ctx.earliest <= day <= ctx.latest:
        return None
    return _term_of(day, years).end > ctx.as_of


def seats_cover_devices(ctx: Context) -> Iterator[Problem]:
    """After the workbook, seats not ended on the run date >= devices listed (SPEC §2),
    counting valid order lines only; a shortfall that the seats of rejected lines would make
    up is not reported (`Coverage.unchecked`), one they would not is, naming those lines."""
    for row in ctx.coverage:
        if not row.short or row.first_device_row is None:
            continue
        if row.broken or not ctx.knows_customer(row.customer_id):
            continue
        rows = ", ".join(map(str, row.pending_rows))
        pending = (f"; the {row.pending_seats} seat(s) of Orders row(s) {rows}, rejected for "
                   "problems of their own, would not cover them either") if row.pending_rows else ""
        yield problem(
            Code.SEATS_SHORT_OF_DEVICES, "Devices", row.first_device_row, "device_type",
            row.device_type, customer=row.customer_id, devices=row.devices,
            device_type=row.device_type, seats=row.seats, as_of=ctx.as_of.isoformat(),
            ledger_seats=row.ledger_seats, workbook_seats=row.workbook_seats,
            pending=pending, short=row.short,
        )


# Changes of an existing subscription (SPEC §11): the columns each leaves blank, and why
BLANK_FOR_CHANGE = {
    # a PO on a cancel or reduce would change nothing: refused rather than ignored
    "cancel": ("device_type", "seats", "term_years", "start_date", "po_number",
               "separate_invoice"),
    "reduce": ("term_years", "start_date", "po_number", "separate_invoice"),
    "po": ("device_type", "seats", "term_years", "start_date", "separate_invoice"),
}
WHAT_CHANGES = {
    "cancel": "the subscription does not renew: it ends with its current term",
    "reduce": "fewer seats of device_type from the next renewal on",
    "po": "the PO of the subscription's invoices from its next renewal on",
}


def changes_blank_where_they_must(ctx: Context) -> Iterator[Problem]:
    """Over every change row, those with problems of their own too: all at once."""
    for line in sorted((*ctx.changes, *ctx.incomplete_changes), key=attrgetter("row")):
        for name in BLANK_FOR_CHANGE[line.action]:
            given = line.content.get(name)
            if given is not None and not (name == "separate_invoice" and given is False):
                yield problem(Code.NOT_FOR_CHANGE, ORDERS, line.row, name, given,
                              action=line.action, what=WHAT_CHANGES[line.action])
        if line.action == "po" and line.po_number is None and not ctx.failed(line, "po_number"):
            yield problem(Code.PO_REQUIRED, ORDERS, line.row, "po_number",
                          subscription=line.subscription)


class _Renewing:
    """What a subscription would renew as the change lines before this one leave it."""

    def __init__(self, target: Subscription, ctx: Context):
        self.cancelled_by = (f"by order line '{target.cancelled_by}', committed before"
                             if target.cancelled_by else None)
        seats = Counter(target.seats_at_term_end())  # less those credited away (SPEC §11)
        seats.update(ctx.added.get(target.id, Counter()))  # seats added now renew too
        self.seats = {t: max(0, n - target.reductions.get(t, 0)) for t, n in seats.items()}
        self.pending = dict(target.reductions)


def changes_apply(ctx: Context) -> Iterator[Problem]:
    """Each change names a subscription of the partner's customer; a cancel or reduce comes
    in time; nothing is cancelled twice; a reduce removes no more seats than would renew."""
    notice = ctx.config.lifecycle.notice_days
    state: dict[int, _Renewing] = {}
    for line in ctx.changes:
        if not ctx.knows_customer(line.customer_id):
            continue
        target = ctx.target(line)
        if target is None:
            yield _unknown_subscription(ctx, line)
            continue
        if target.id not in state:
            state[target.id] = _Renewing(target, ctx)
        renewing = state[target.id]
        if renewing.cancelled_by is not None:  # nothing of it renews: no change applies
            yield problem(Code.ALREADY_CANCELLED, ORDERS, line.row, "subscription",
                          line.subscription, subscription=target.number,
                          how=renewing.cancelled_by,
                          last_day=target.terms[-1].last_day.isoformat())
            continue
        if line.action == "po":
            continue
        # notice is given against the current term (SPEC §11), which renew may have run ahead of
        current = target.current_term(ctx.as_of)
        deadline = current.end - timedelta(days=notice)
        if ctx.as_of > deadline:
            yield problem(
                Code.NOTICE_PERIOD_PASSED, ORDERS, line.row, "action", line.action,
                subscription=target.number, last_day=current.last_day.isoformat(),
                deadline=deadline.isoformat(), notice_days=notice, action=line.action,
                as_of=ctx.as_of.isoformat(), renews=current.end.isoformat(),
            )
            continue
        if current.end < target.ends:
            yield problem(
                Code.NEXT_TERM_INVOICED, ORDERS, line.row, "action", line.action,
                subscription=target.number, action=line.action,
                last_day=current.last_day.isoformat(), next_start=current.end.isoformat(),
                next_last_day=target.terms[-1].last_day.isoformat(),
            )
            continue
        if line.action == "cancel":
            renewing.cancelled_by = f"by row {line.row} of this workbook"
        elif line.seats > (left := renewing.seats.get(line.device_type, 0)):
            pending = renewing.pending.get(line.device_type, 0)
            yield problem(
                Code.REDUCE_MORE_THAN_RENEWS, ORDERS, line.row, "seats", line.seats,
                subscription=target.number, renewing=left, device_type=line.device_type,
                pending=f" ({pending} already to be removed by earlier reduce lines)"
                if pending else "",
            )
        else:
            renewing.seats[line.device_type] = left - line.seats
            renewing.pending[line.device_type] = (renewing.pending.get(line.device_type, 0)
                                                  + line.seats)
            if not any(renewing.seats.values()):  # nothing left to renew: a cancel
                renewing.cancelled_by = f"by row {line.row} of this workbook, which reduces " \
                    "every seat that would renew"


# Rules over the order lines; seat coverage comes after them, over the lines they passed.
RULES: tuple[Rule, ...] = (
    customers_known,
    new_lines_complete,
    start_in_window,
    new_groups_agree,
    new_labels_are_new,
    add_targets_exist,
    priced_dates_have_price_lists,
    changes_blank_where_they_must,
    changes_apply,
)


def check(ctx: Context) -> tuple[list[Problem], Context]:
    """Every rule's problems, and the context whose `coverage` counts the valid lines only
    (those without a problem of the cells or the rules)."""
    found = [p for rule in RULES for p in rule(ctx)]
    rejected = {row for sheet, row, _ in ctx.failed_cells if sheet == ORDERS}
    rejected.update(p.row for p in found if p.sheet == ORDERS and p.row is not None)
    checked = replace(ctx, rejected_rows=ctx.rejected_rows | rejected)
    return [*found, *seats_cover_devices(checked)], checked


def run_rules(ctx: Context) -> list[Problem]:
    return check(ctx)[0]


def resolve(ctx: Context) -> list[LineRequest]:
    """Valid order lines -> what to price. Call only when `run_rules` found nothing."""
    requests = []
    for line in ctx.orders:
        if line.action == "new":
            assert line.term_years is not None and line.start_date is not None
            requests.append(LineRequest(
                order=line,
                subscription_id=None,
                group=(line.customer_id, line.subscription),
                term_years=line.term_years,
                term=_term_of(line.start_date, line.term_years),
                effective=line.start_date,
                po_number=line.po_number,
                separate_invoice=line.separate_invoice,
            ))
            continue
        target = ctx.target(line)
        assert target is not None
        effective = effective_date(line, target, ctx.as_of)
        term = target.term_containing(effective)
        assert term is not None
        # the subscription's PO for the term: a `po` change applies from the term it names
        po_number = line.po_number if line.po_number is not None else target.po_from(term.start)
        requests.append(LineRequest(
            order=line,
            subscription_id=target.id,
            group=None,
            term_years=target.term_years,
            term=term,
            effective=effective,
            po_number=po_number,
            separate_invoice=False,
        ))
        # Terms `renew` already invoiced were billed without these seats: each gets a line for
        # the whole term, priced on its first day, on the same invoice.
        requests.extend(
            LineRequest(order=line, subscription_id=target.id, group=None,
                        term_years=target.term_years, term=later, effective=later.start,
                        po_number=po_number, separate_invoice=False, continues=True)
            for later in target.terms if later.start >= term.end
        )
    return requests



def resolve_changes(ctx: Context) -> list[Change]:
    """Valid change lines -> what the ledger records. Call only when `run_rules` found
    nothing. The reduce that leaves its subscription nothing to renew `cancels` it."""
    changes = []
    left: dict[int, dict[str, int]] = {}
    for line in ctx.changes:
        target = ctx.target(line)
        assert target is not None
        cancels = line.action == "cancel"
        if line.action == "reduce":
            if target.id not in left:
                left[target.id] = _Renewing(target, ctx).seats
            seats = left[target.id]
            seats[line.device_type] -= line.seats
            cancels = not any(seats.values())
        changes.append(Change(line, target.id, target.ends, cancels))
    return changes
