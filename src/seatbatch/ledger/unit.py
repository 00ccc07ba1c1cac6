"""Units of work: one run's write transaction, driven step by step by its orchestrator (the
ledger never calls back into another stage). Entered through `Ledger.committing` (one
partner's workbook) or `Ledger.renewing` (a renewal run); all of it commits when the `with`
block ends, and none of it when the block raises.

Locks are taken in one order everywhere: the partners' rows (by id) on entering, then the
series' counter for the year, then the subscription id counter, both in `number`; so two
runs never wait for each other in a circle, and the series' counter, through which every run
commits, is held for as short a time as can be."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.engine import Connection

from seatbatch.core.model import (
    Change,
    Customer,
    Device,
    Invoice,
    InvoiceDraft,
    LedgerView,
    ReadSet,
    Renewal,
    SeatChange,
)
from seatbatch.ledger import reads, saving
from seatbatch.ledger.engine import is_postgres
from seatbatch.ledger.errors import StaleView
from seatbatch.ledger.numbering import take_numbers
from seatbatch.ledger.records import CreditTaken, RunRecord
from seatbatch.ledger.versions import (
    bump_version,
    lock_partner,
    overtaken,
    touch_customers,
)

RENEWAL_CHUNK = 500  # subscriptions read, priced and stored at a time by a renewal run


@dataclass(frozen=True)
class Numbered:
    """What `Commit.number` took: the invoices' numbers, in the drafts' order, and the ids of
    the run's new subscriptions by (customer, label)."""

    numbers: list[str]
    subscription_ids: Mapping[tuple[str, str], int]


class Commit:
    """Everything of one run over a partner's workbook, in one short write transaction:
    `save_run`, then `number` the drafts, then `save_invoices` built with those numbers."""

    def __init__(self, connection: Connection, view: LedgerView, read_set: ReadSet,
                 run: RunRecord):
        self._connection = connection
        self._view = view
        self._read_set = read_set
        self._run = run
        self._series = ""
        self._created: Mapping[tuple[str, str], int] = {}
        self._saved = False
        self._numbered = False
        self._numbers: list[str] = []
        self._stored = False
        self._devices: list[Device] | None = None

    @classmethod
    def begin(cls, connection: Connection, view: LedgerView, read_set: ReadSet,
              run: RunRecord) -> Commit:
        """Hold the partner's row until the transaction ends, and make the optimistic
        check."""
        commit = cls(connection, view, read_set, run)
        commit._check()
        return commit

    def _check(self) -> None:
        """The optimistic check, under the partner's lock: when another run committed for the
        partner since the view was read, this one goes ahead only if that touched nothing of
        the read set, the customers and order lines its validation read; else StaleView
        (validate again)."""
        view = self._view
        if (lock_partner(self._connection, view.partner_id) != view.version
                and overtaken(self._connection, view, self._read_set)):
            raise StaleView()

    def save_run(self, customers: Mapping[str, Customer], devices: list[Device]) -> None:
        """The workbook's customers and devices; the versions counted up (the partner's, and
        each customer's the run wrote something of); the run's own row. On SQLite the devices
        (and the customers' versions) are written with the invoices (`save_invoices`), or as
        the unit finishes when it has none: nothing numbered or made depends on them, and a
        large run's workers start on its first invoices the sooner. A SQLite transaction holds
        the whole ledger from its first write, so no other run waits the longer for it; on
        PostgreSQL they are written here, before the counters, which other runs wait for, are
        taken."""
        connection, partner_id = self._connection, self._view.partner_id
        saving.save_customers(connection, partner_id, customers)
        bump_version(connection, partner_id)
        saving.save_run(connection, self._run)
        self._devices = devices
        self._saved = True
        if is_postgres(connection):
            self._save_devices()

    def _save_devices(self) -> None:
        if self._devices is None:
            return
        connection, partner_id = self._connection, self._view.partner_id
        moved_away = saving.save_devices(connection, partner_id, self._devices)
        # the read set names every customer this commit writes to, but for those a device of
        # theirs moved away from
        touch_customers(connection, partner_id, self._read_set.customers | moved_away)
        self._devices = None

    def save_changes(self, changes: list[Change]) -> None:
        """The run's cancel, reduce and po lines (SPEC §11): they issue no invoice."""
        if not self._saved:
            raise AssertionError("save the run before its changes")
        saving.save_changes(self._connection, self._view.partner_id, self._run, changes)

    def number(self, series: str, currency: str, drafts: list[InvoiceDraft]) -> Numbered:
        """The drafts' invoice numbers (gapless, in their order), then ids for the new
        subscriptions of their lines, in the order the lines come."""
        if not self._saved:  # an error, not an assert: kept under python -O
            raise AssertionError("save the run before numbering: the counters are taken last")
        if self._numbered:  # a second call would take numbers the first call's invoices skip
            raise AssertionError("a run's invoices are numbered once")
        numbers = take_numbers(self._connection, series, self._run.as_of, len(drafts))
        self._series, self._numbers, self._numbered = series, numbers, True
        self._created = saving.create_subscriptions(self._connection, self._view.partner_id,
                                                    currency, drafts)
        return Numbered(numbers, self._created)

    def save_invoices(self, drafts: list[InvoiceDraft], invoices: list[Invoice],
                      documents: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
        """The numbered invoices (one per draft, in order) with their order lines, seats and
        new subscriptions' first terms; the invoices' documents (`invoice_document`, or
        `documents` when the caller made them already) as saved, for the manifest to list
        (not to be changed)."""
        if [i.number for i in invoices] != self._numbers or not self._numbered:
            raise AssertionError("the invoices saved are not those of the numbers taken")
        self._save_devices()
        documents = saving.save_invoices(self._connection, self._view.partner_id, self._run,
                                         drafts, invoices, created=self._created,
                                         series=self._series, documents=documents)
        self._stored = True
        return documents

    def finish(self) -> None:
        """Numbers taken are numbers issued: a unit that took numbers and saved no invoices
        for them must not commit (it would leave a gap). The run's devices written, if not
        yet."""
        if self._numbers and not self._stored:
            raise AssertionError("invoice numbers taken but no invoices saved for them")
        self._save_devices()


class Renewing:
    """A renewal run's one write transaction: for each partner counted, the views `due` a few
    hundred subscriptions at a time, and the renewals priced from each `issue`d at once."""

    def __init__(self, connection: Connection, versions: Mapping[str, int], run: RunRecord):
        self._connection = connection
        self._versions = versions
        self._run = run
        self.issued: dict[str, list[str]] = {}  # per partner, its numbers in issue order

    @classmethod
    def begin(cls, connection: Connection, versions: Mapping[str, int], run: RunRecord
              ) -> Renewing:
        """Hold every partner's row (by id); StaleView when one's version is no longer the
        one the run counted its work against."""
        for partner_id in sorted(versions):
            if lock_partner(connection, partner_id) != versions[partner_id]:
                raise StaleView()
        return cls(connection, versions, run)

    def due(self, partner_id: str, year: int, month: int) -> Iterator[LedgerView]:
        """Views of the partner holding only subscriptions whose last term ends in the month
        (and their customers), a chunk at a time."""
        ids: list[int] = list(self._connection.scalars(reads.due_ids(partner_id, year, month)))
        for start in range(0, len(ids), RENEWAL_CHUNK):
            yield reads.due_view(self._connection, partner_id, self._versions[partner_id],
                                 ids[start:start + RENEWAL_CHUNK])

    def issue(self, series: str, renewals: list[Renewal]) -> list[str]:
        """Number the renewals in their order, store their invoices and terms; their
        numbers."""
        if not renewals:
            return []
        numbers = take_numbers(self._connection, series, self._run.as_of, len(renewals))
        saving.save_renewals(self._connection, self._run, series, renewals, numbers)
        by_partner: dict[str, list[str]] = {}
        for renewal, number in zip(renewals, numbers, strict=True):
            by_partner.setdefault(renewal.partner_id, []).append(number)
        for partner_id, issued in by_partner.items():
            self.issued.setdefault(partner_id, []).extend(issued)
            touch_customers(self._connection, partner_id, {
                r.invoice.customer_id for r in renewals if r.partner_id == partner_id})
        return numbers

    def finish(self) -> None:
        """Count up the version of every partner renewed for; record the run if it issued
        anything."""
        for partner_id in sorted(self.issued):
            bump_version(self._connection, partner_id)
        if self.issued:
            saving.save_run(self._connection, self._run)


class Crediting:
    """A credit run's one write transaction (SPEC §11): under the partner's lock, what earlier
    credit notes took of the invoice is read, so that two credit runs at once never both take
    the same seats; then one number of the credit-note series, taken in the same numbering as
    invoices (the series' counter, after the partner's row), and the credit note saved."""

    def __init__(self, connection: Connection, partner_id: str, run: RunRecord):
        self._connection = connection
        self._partner_id = partner_id
        self._run = run
        self._series = ""
        self._number: str | None = None
        self._stored = False

    @classmethod
    def begin(cls, connection: Connection, partner_id: str, run: RunRecord) -> Crediting:
        lock_partner(connection, partner_id)
        return cls(connection, partner_id, run)

    def invoice(self, number: str) -> Invoice | None:
        """The invoice as issued, read under the lock."""
        return reads.invoice(self._connection, number)

    def taken(self, invoice_number: str) -> list[CreditTaken]:
        """What every credit of the invoice took of its lines so far."""
        return reads.credits_taken(self._connection, invoice_number)

    def latest_ends(self, subscription_ids: list[int]) -> dict[int, date]:
        return reads.latest_ends(self._connection, self._partner_id, subscription_ids)

    def number(self, series: str) -> str:
        if self._number is not None:
            raise AssertionError("a credit run takes one number")
        [number] = take_numbers(self._connection, series, self._run.as_of, 1, "credit note")
        self._series, self._number = series, number
        return number

    def save(self, note: Invoice, taken: list[tuple[int, int, date, date]],
             changes: list[SeatChange]) -> dict[str, Any]:
        """The numbered credit note, what it took and the seats it moved; the run's row; the
        partner's and the customer's versions counted up (their seats changed). Its document,
        as saved."""
        if self._number is None or note.number != self._number:
            raise AssertionError("the credit note saved is not the one of the number taken")
        document = saving.save_credit_note(self._connection, self._run, self._series, note,
                                           taken=taken, changes=changes)
        touch_customers(self._connection, self._partner_id, {note.customer_id})
        bump_version(self._connection, self._partner_id)
        saving.save_run(self._connection, self._run)
        self._stored = True
        return document

    def finish(self) -> None:
        if self._number is not None and not self._stored:
            raise AssertionError("a credit note number taken but no credit note saved for it")
