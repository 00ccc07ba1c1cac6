"""Frozen domain records that travel along the pipeline."""

from __future__ import annotations

from collections import Counter
from collections.abc import Container, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from seatbatch.core.money import format_amounts
from seatbatch.core.terms import Term


@dataclass(frozen=True)
class Customer:
    customer_id: str
    organization: str
    country: str | None = None
    contact_email: str | None = None
    row: int | None = None  # Excel row when it came from this workbook


@dataclass(frozen=True, init=False)
class Device:
    row: int
    customer_id: str
    serial_number: str
    device_type: str
    deployed_on: date | None
    location: str | None

    # A large workbook lists 100,000 devices. The __init__ a frozen dataclass is given sets
    # each field through object.__setattr__; this one writes them into the instance's
    # __dict__ itself, in under half the time (40 ms of a large run's validation). Still
    # frozen, compared, hashed, shown and replace()d by its fields as any frozen dataclass
    # (its fields keep their declarations above: these names, in this order).
    def __init__(  # noqa: PLR0917  the fields, as a dataclass's __init__ takes them
        self, row: int, customer_id: str, serial_number: str, device_type: str,
        deployed_on: date | None, location: str | None,
    ) -> None:
        fields = self.__dict__
        fields["row"] = row
        fields["customer_id"] = customer_id
        fields["serial_number"] = serial_number
        fields["device_type"] = device_type
        fields["deployed_on"] = deployed_on
        fields["location"] = location


@dataclass(frozen=True, init=False)
class OrderLine:
    """One Orders row, typed, before defaults; `fingerprint` is of its content as given."""

    row: int
    order_id: str
    customer_id: str
    action: str  # new | add | cancel | reduce | po (CHANGES)
    subscription: str  # new: a label; add and the changes: SUB-000123
    device_type: str  # "" on a cancel or po line (blank)
    seats: int  # 0 on a cancel or po line (blank)
    term_years: int | None
    start_date: date | None
    po_number: str | None
    separate_invoice: bool
    fingerprint: str
    content: Mapping[str, Any] = field(default_factory=dict)  # as given, in JSON values

    # a large workbook has 20,000 lines: its fields written as Device's are (20 ms)
    def __init__(  # noqa: PLR0913, PLR0917  the fields, as a dataclass's __init__ takes them
        self, row: int, order_id: str, customer_id: str, action: str,
        subscription: str, device_type: str, seats: int, term_years: int | None,
        start_date: date | None, po_number: str | None, separate_invoice: bool,
        fingerprint: str, content: Mapping[str, Any] | None = None,
    ) -> None:
        fields = self.__dict__
        fields["row"] = row
        fields["order_id"] = order_id
        fields["customer_id"] = customer_id
        fields["action"] = action
        fields["subscription"] = subscription
        fields["device_type"] = device_type
        fields["seats"] = seats
        fields["term_years"] = term_years
        fields["start_date"] = start_date
        fields["po_number"] = po_number
        fields["separate_invoice"] = separate_invoice
        fields["fingerprint"] = fingerprint
        fields["content"] = {} if content is None else content


CHANGES = ("cancel", "reduce", "po")  # the actions that change an existing subscription (§11)


@dataclass(frozen=True)
class Subscription:
    """A subscription as the ledger holds it, for one partner."""

    id: int
    customer_id: str
    term_years: int
    start_date: date
    po_number: str | None
    terms: tuple[Term, ...]  # every term issued so far, oldest first
    # device type -> seats bought, counted from the run date even when they start later (as
    # SPEC §2 counts a workbook's own lines), less those credited from their first day
    seats: Mapping[str, int]
    # its changes (SPEC §11): the order line that cancelled it (a cancel, or the reduce that
    # left nothing to renew); the seats to remove at its next renewal, by device type; and
    # each PO change as (first day it applies, PO), in the order they were committed
    cancelled_by: str | None = None
    reductions: Mapping[str, int] = field(default_factory=dict)
    po_changes: tuple[tuple[date, str], ...] = ()
    # seats that leave or come back from a later day (credit notes from a day after the
    # seats' first, their return after a credited period, a renewal's reductions): (first
    # day, device type, seats, negative when they leave), oldest first; see `seats_on`
    dated_seats: tuple[tuple[date, str, int], ...] = ()

    def po_from(self, day: date) -> str | None:
        """The PO of its invoices for a term that starts on `day`."""
        found = self.po_number
        for effective, po_number in self.po_changes:
            if effective <= day:
                found = po_number
        return found

    def seats_on(self, day: date) -> dict[str, int]:
        """Per device type, its seats in force on `day` (SPEC §2, §11): those bought (from the
        day, or to start later) with what left or came back by then."""
        seats = dict(self.seats)
        for first, device_type, n in self.dated_seats:
            if first > day:
                break
            seats[device_type] = seats.get(device_type, 0) + n
        return seats

    def seats_at_term_end(self) -> dict[str, int]:
        """Per device type, the seats in force on its last term's last day: what its next
        renewal renews before reductions (seats already credited away count no more)."""
        return self.seats_on(self.terms[-1].last_day)

    def renewing_seats(self) -> dict[str, int]:
        """Per device type, the seats its next renewal renews: those in force on its last
        term's last day less those reduced for it, never fewer than zero (SPEC §11)."""
        return {device_type: max(0, seats - self.reductions.get(device_type, 0))
                for device_type, seats in self.seats_at_term_end().items()}

    @property
    def number(self) -> str:
        return subscription_number(self.id)

    @property
    def ends(self) -> date:
        """The exclusive end of its last issued term."""
        return self.terms[-1].end

    def term_containing(self, day: date) -> Term | None:
        return next((t for t in self.terms if t.contains(day)), None)

    def current_term(self, day: date) -> Term:
        """The term a notice given on `day` is measured against (SPEC §11): the one containing
        that day, which renew may have run ahead of; else its last issued term."""
        return self.term_containing(day) or self.terms[-1]


def subscription_number(subscription_id: int) -> str:
    return f"SUB-{subscription_id:06d}"


def parse_subscription_number(text: str) -> int | None:
    head, _, digits = text.strip().upper().partition("-")
    if head != "SUB" or not digits.isdigit():
        return None
    return int(digits)


@dataclass(frozen=True)
class Committed:
    """An order line an earlier run committed."""

    order_id: str
    fingerprint: str
    invoice_number: str | None  # None: a change (SPEC §11), which issues no invoice
    subscription_id: int
    customer_id: str
    label: str | None  # the new-subscription label it was committed under
    content: Mapping[str, Any] | None = None  # as given when committed


@dataclass(frozen=True)
class LedgerView:
    """What one partner's run needs to know of the ledger, read in one consistent snapshot."""

    partner_id: str
    version: int
    customers: Mapping[str, Customer] = field(default_factory=dict)
    subscriptions: Mapping[int, Subscription] = field(default_factory=dict)
    committed: Mapping[str, Committed] = field(default_factory=dict)
    # each known customer's version: a commit that touches a customer counts it up
    stamps: Mapping[str, int] = field(default_factory=dict)

    def seats_in_force(self, day: date, customers: Container[str] | None = None
                       ) -> Counter[tuple[str, str]]:
        """Per (customer, device type), the seats on `day` of the subscriptions not ended by
        then, started or not (SPEC §2's coverage), of `customers` (None: all)."""
        seats: Counter[tuple[str, str]] = Counter()
        for subscription in self.subscriptions.values():
            if subscription.ends > day and (customers is None
                                            or subscription.customer_id in customers):
                for device_type, n in subscription.seats_on(day).items():
                    seats[subscription.customer_id, device_type] += n
        return seats


@dataclass(frozen=True)
class ReadSet:
    """What a validated workbook depends on in the ledger: its customers (their subscriptions,
    seats, terms, committed groups) and its order lines not yet committed. A commit by another
    run for the same partner that touched none of these leaves the validation as good as new."""

    customers: frozenset[str] = frozenset()
    order_ids: frozenset[str] = frozenset()


@dataclass(frozen=True, init=False)
class LineRequest:
    """An order line resolved against the ledger: what to price, for which period."""

    order: OrderLine
    subscription_id: int | None  # None: a subscription this run creates
    group: tuple[str, str] | None  # (customer_id, label) of a new subscription
    term_years: int
    term: Term
    effective: date  # new: the start; add: the day the seats take effect
    po_number: str | None
    separate_invoice: bool
    # A later term the line's seats are billed for too, as a renewal line: an add to a
    # subscription whose next term `renew` has already invoiced (SPEC §4).
    continues: bool = False

    # one per order line, 20,000 in a large workbook: its fields written as Device's are
    def __init__(  # noqa: PLR0913, PLR0917  the fields, as a dataclass's __init__ takes them
        self, order: OrderLine, subscription_id: int | None,
        group: tuple[str, str] | None, term_years: int, term: Term, effective: date,
        po_number: str | None, separate_invoice: bool, continues: bool = False,
    ) -> None:
        fields = self.__dict__
        fields["order"] = order
        fields["subscription_id"] = subscription_id
        fields["group"] = group
        fields["term_years"] = term_years
        fields["term"] = term
        fields["effective"] = effective
        fields["po_number"] = po_number
        fields["separate_invoice"] = separate_invoice
        fields["continues"] = continues


@dataclass(frozen=True)
class Change:
    """A cancel, reduce or po line resolved against the ledger (SPEC §11): it issues no
    invoice and applies from `effective`, the start of the subscription's next term."""

    order: OrderLine
    subscription_id: int
    effective: date
    cancels: bool  # the subscription renews no more: a cancel, or a reduce leaving no seat

    @property
    def subscription_number(self) -> str:
        return subscription_number(self.subscription_id)


class LineAmounts(NamedTuple):
    """The four amounts of an invoice line (SPEC §4), or their sums over several lines: the one
    record that carries them from pricing to the invoice, the ledger and the reports."""

    list_amount: Decimal
    term_discount: Decimal
    partner_discount: Decimal
    net_amount: Decimal

    @classmethod
    def zero(cls) -> LineAmounts:
        return cls(Decimal(0), Decimal(0), Decimal(0), Decimal(0))

    def plus(self, other: LineAmounts) -> LineAmounts:
        return LineAmounts(*(a + b for a, b in zip(self, other, strict=True)))

    def shown(self, currency: str) -> dict[str, str]:
        """Each amount by its name, as a decimal string with the currency's minor unit."""
        return dict(zip(self._fields, format_amounts(self, currency), strict=True))


class Amounted:
    """The four amounts of a line with `amounts`, each by its own name."""

    __slots__ = ()
    amounts: LineAmounts

    @property
    def list_amount(self) -> Decimal:
        return self.amounts.list_amount

    @property
    def term_discount(self) -> Decimal:
        return self.amounts.term_discount

    @property
    def partner_discount(self) -> Decimal:
        return self.amounts.partner_discount

    @property
    def net_amount(self) -> Decimal:
        return self.amounts.net_amount


@dataclass(frozen=True, slots=True)  # slots: a large workbook holds many
class PricedLine(Amounted):
    request: LineRequest
    unit_price: Decimal
    prorate_days: int
    term_days: int
    amounts: LineAmounts

    @property
    def order(self) -> OrderLine:
        return self.request.order


@dataclass(frozen=True)
class InvoiceDraft:
    """Priced lines grouped for one invoice, before a number is assigned."""

    customer_id: str
    po_number: str | None
    lines: tuple[PricedLine, ...]
    total: Decimal


@dataclass(frozen=True, slots=True)
class InvoiceLine(Amounted):
    order_id: str | None  # None on a renewal
    action: str
    subscription_id: str | None
    device_type: str
    seats: int
    term_years: int
    period_start: date
    period_end: date  # last day of service, inclusive
    unit_price: Decimal
    prorate_days: int
    term_days: int
    amounts: LineAmounts


@dataclass(frozen=True)
class PostalAddress:
    """A party's address as an e-invoice needs it (SPEC §10)."""

    street: str
    postal_code: str
    city: str
    country: str  # ISO 3166-1 alpha-2


@dataclass(frozen=True)
class Party:
    """A party as an invoice printed it: Part I's name, address lines and VAT id, and what
    Part II adds when it is configured (empty otherwise)."""

    name: str
    address: tuple[str, ...] = ()  # the lines printed
    vat_id: str = ""
    postal: PostalAddress | None = None
    registration_id: str = ""  # BT-30: an organisation number, say
    legal_form: str = ""  # printed beside the registration id ("Foretaksregisteret")
    electronic_address: str = ""  # Peppol participant id, "scheme:id"
    email: str = ""

    @property
    def registration(self) -> str:
        """The registration id with its legal form, as the documents print it ("" if none)."""
        if not self.registration_id:
            return ""
        return " ".join(filter(None, (self.registration_id, self.legal_form)))


@dataclass(frozen=True)
class Payment:
    """How an invoice is to be paid, as it printed it (SPEC §10 [payment])."""

    iban: str
    bic: str
    bank: str  # "" when not configured
    reference: str  # this invoice's payment reference; "" until it has a number
    reference_kind: str = "invoice_number"  # or "rf": an ISO 11649 creditor reference

    def for_number(self, number: str) -> Payment:
        """The payment means of the invoice once it has `number`: its reference made of it."""
        from seatbatch.core.legal import payment_reference  # here: python-stdnum loads late

        return replace(self, reference=payment_reference(self.reference_kind, number))


@dataclass(frozen=True)
class Vat:
    """The VAT of an invoice under its one treatment (SPEC §10)."""

    treatment: str  # the treatment's name in [tax.treatments]
    category: str  # EN 16931 VAT category code (UNCL5305): S, Z, E, AE, G, O
    rate: Decimal  # 0.25 for 25 %
    base: Decimal  # the invoice's net total
    amount: Decimal  # base x rate, half-up to the currency's minor unit
    note: str  # the exemption reason ("" for S)


@dataclass(frozen=True)
class SeatChange:
    """Seats of a device type that join (or, negative, leave) a subscription from a day on."""

    subscription_id: int
    device_type: str
    seats: int
    effective: date
    order_id: str | None


@dataclass(frozen=True)
class Credited:
    """What a credit note credits (SPEC §11): the invoice, as numbered and dated, and why."""

    invoice_number: str
    invoice_date: date
    reason: str


@dataclass(frozen=True)
class Invoice:
    """An invoice as issued (or, for a quote, estimated: number None). Everything to render it
    again is here, so that the ledger can hold it whole."""

    number: str | None
    invoice_date: date
    due_date: date
    issuer: Party
    partner_id: str
    bill_to: Party
    customer_id: str
    customer_name: str
    po_number: str | None
    currency: str
    partner_discount_rate: Decimal
    lines: tuple[InvoiceLine, ...]
    total: Decimal  # the net total: the sum of the lines' net amounts
    kind: str = "order"  # order | renewal | credit_note
    vat: Vat | None = None  # None: issued without [tax] (Part I), no VAT block
    payment: Payment | None = None  # None: issued without [payment]
    credits: Credited | None = None  # a credit note's invoice (SPEC §11); None on an invoice

    @property
    def is_credit_note(self) -> bool:
        return self.credits is not None

    @property
    def document_name(self) -> str:
        """What the document is called on itself: "Invoice" or "Credit note" (SPEC §11)."""
        return "Credit note" if self.credits is not None else "Invoice"

    @property
    def payable_label(self) -> str:
        """The label of the amount at the foot of the totals."""
        return ("Amount to be refunded or set off" if self.credits is not None
                else "Amount payable")

    @property
    def references(self) -> list[tuple[str, str]]:
        """A credit note's rows naming what it credits and why; none on an invoice."""
        credited = self.credits
        if credited is None:
            return []
        return [("Credits invoice", f"{credited.invoice_number} of "
                 f"{credited.invoice_date.isoformat()}"), ("Reason", credited.reason)]

    @property
    def payment_terms(self) -> str:
        """The payment terms as every document prints them (SPEC §10)."""
        days = (self.due_date - self.invoice_date).days
        return f"Payable within {days} days, by {self.due_date.isoformat()}"

    @property
    def payable(self) -> Decimal:
        """The amount to pay: the net total and its VAT."""
        return self.total + (self.vat.amount if self.vat else 0)


@dataclass(frozen=True)
class Renewal:
    """The next term of a subscription, and its invoice (number None until it commits)."""

    partner_id: str
    subscription_id: int
    term_index: int
    term: Term
    invoice: Invoice
    removed: Mapping[str, int] = field(default_factory=dict)  # seats reduced, by device type
