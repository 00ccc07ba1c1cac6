"""Partner-scoped reads and the one committing write of a run."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Select, exists, func, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DatabaseError, DBAPIError

from seatbatch.billing.renewals import Renewal
from seatbatch.core.documents import invoice_document, invoice_from_document
from seatbatch.core.model import (
    Committed,
    Customer,
    Device,
    Invoice,
    InvoiceDraft,
    LedgerView,
    ReadSet,
    Subscription,
    parse_subscription_number,
)
from seatbatch.core.terms import Term, month_term
from seatbatch.ledger import migrations
from seatbatch.ledger import schema as t
from seatbatch.ledger.engine import (
    SqliteFile,
    atomic,
    bulk_insert,
    close_engine,
    is_busy,
    locked_row,
    make_engine,
    sqlite_file,
    sqlite_path,
    unreachable,
)
from seatbatch.ledger.errors import (
    InvoiceDateBackwards,
    LedgerBusy,
    LedgerDamaged,
    LedgerError,
    StaleView,
    display_url,
)
from seatbatch.ledger.migrations import Kind
from seatbatch.ledger.month import LedgerMonth, read_month


@dataclass(frozen=True)
class RunRecord:
    run_id: str  # the run folder's name
    command: str
    partner_id: str | None
    as_of: date
    input_name: str | None
    input_sha256: str | None


@dataclass(frozen=True)
class CommittedRun(RunRecord):
    numbers: list[str]  # its invoices, in issue order
    currencies: set[str]


RENEWAL_CHUNK = 500  # subscriptions read, priced and stored at a time by a renewal run
BuildInvoice = Callable[[InvoiceDraft, str, Mapping[tuple[str, str], int]], Invoice]
OnNumbered = Callable[[list[Invoice]], None]


class Ledger:
    def __init__(self, engine: Engine | None, held: Connection | None = None):
        self.engine = engine  # None: a ledger that does not exist yet, read as empty
        self._held = held  # the write transaction of `holding`: every read and write in it

    def _transaction(self, *, write: bool) -> AbstractContextManager[Connection]:
        assert self.engine is not None
        return nullcontext(self._held) if self._held is not None \
            else atomic(self.engine, write=write)

    @contextmanager
    def holding(self, partner_id: str) -> Iterator[Ledger]:
        """This ledger inside one write transaction that holds the partner's lock from the
        start: a view read through it stays current, so its commit cannot go stale. For the
        run whose first try another run's commit overtook: it waits for its turn instead of
        trying again and again."""
        assert self.engine is not None and self._held is None
        with self._transaction(write=True) as connection:
            _lock_partner(connection, partner_id)
            yield Ledger(self.engine, connection)

    @classmethod
    def open(cls, url: str, *, write: bool, create: bool = True) -> Ledger:
        """The ledger at `url`, recognised first (`migrations.examine`): a database that is not
        a seatbatch ledger, or one of a newer seatbatch, is refused (LedgerError) untouched.

        To read (`write=False`: quote, report, render, template) it is never created, upgraded
        or changed: a SQLite file is opened read-only; a missing file or an empty database
        reads as an empty ledger; an older version is refused, naming `seatbatch ledger
        upgrade`. To write, the schema is made in an empty database (a missing SQLite file is
        created, with its folder) and an older one is upgraded; with `create=False` (renew, the
        recovery of killed runs) a missing or empty one is left so and read as empty."""
        where = display_url(url)
        with _usable(url):
            kind, found, engine = _recognise(url, where, write=write, create=create)
            try:
                if kind is Kind.EMPTY and not (write and create):
                    if engine is not None:
                        close_engine(engine)
                    return cls(None)
                if not write:
                    if kind is Kind.OLDER:
                        raise LedgerError(
                            f"the ledger {where} is of an older version of seatbatch, and a "
                            "command that only reads does not upgrade it: run `seatbatch "
                            "ledger upgrade` (or any command that writes), then this again")
                    return cls(engine or make_engine(
                        url, read_only=True, immutable=found is not None
                        and found.read_immutable))
                if found is not None and not found.exists:
                    _make_folder(found.path)
                engine = engine or make_engine(url)
                migrations.migrate(engine, where)
                return cls(engine)
            except BaseException:
                if engine is not None:
                    close_engine(engine)
                raise

    @staticmethod
    def upgrade(url: str) -> tuple[int, int]:
        """`seatbatch ledger upgrade`: the ledger brought to the newest version; the versions
        it was and is at. A database without a ledger is refused: there is nothing to upgrade
        (the first command that writes makes a new ledger)."""
        where = display_url(url)
        with _usable(url):
            kind, _, engine = _recognise(url, where, write=True, create=False)
            if kind is Kind.EMPTY:
                if engine is not None:
                    close_engine(engine)
                raise LedgerError(f"no seatbatch ledger at {where}: nothing to upgrade (the "
                                  "first command that writes, such as process, makes one)")
            engine = engine or make_engine(url)
            try:
                before = migrations.migrate(engine, where)
            finally:
                close_engine(engine)
        return before.version, migrations.NEWEST

    def close(self) -> None:
        if self.engine is not None:
            close_engine(self.engine)

    def view(self, partner_id: str) -> LedgerView:
        if self.engine is None:
            return LedgerView(partner_id, 0)
        with self._transaction(write=False) as connection:
            return _read_view(connection, partner_id)

    def devices(self, partner_id: str) -> list[Device]:
        """The partner's devices as last listed, by customer and serial number."""
        if self.engine is None:
            return []
        d = t.devices.c
        with self._transaction(write=False) as connection:
            rows = connection.execute(
                select(t.devices).where(d.partner_id == partner_id)
                .order_by(d.customer_id, d.serial_number)
            )
            return [Device(0, r.customer_id, r.serial_number, r.device_type, r.deployed_on,
                           r.location) for r in rows]

    def partners_with_subscriptions(self) -> list[str]:
        if self.engine is None:
            return []
        s = t.subscriptions.c
        with self._transaction(write=False) as connection:
            return list(connection.scalars(
                select(s.partner_id).distinct().order_by(s.partner_id)))

    def due(self, partner_id: str, year: int, month: int) -> tuple[int, int]:
        """The partner's version, and how many of its subscriptions have a last term whose
        last day falls in the month."""
        if self.engine is None:
            return 0, 0
        with self._transaction(write=False) as connection:
            due = _due_ids(partner_id, year, month).subquery()
            return (_version(connection, partner_id),
                    int(connection.scalar(select(func.count()).select_from(due)) or 0))

    def commit_renewals(
        self,
        versions: Mapping[str, int],
        run: RunRecord,
        series: str,
        year: int,
        month: int,
        renew: Callable[[LedgerView], list[Renewal]],
    ) -> dict[str, list[str]]:
        """Renewal terms and their invoices in one write transaction. `versions` are the
        partners' versions the run counted its work against (none may have changed since).
        Under the write lock, the subscriptions of each partner whose last term ends in the
        month are read a few hundred at a time, as a view holding only them and their
        customers; `renew` prices that view's renewals, which are numbered and stored at once.
        What was issued: per partner, the invoice numbers in issue order."""
        assert self.engine is not None
        issued: dict[str, list[str]] = {}
        with self._transaction(write=True) as connection:
            for partner_id in sorted(versions):
                if _lock_partner(connection, partner_id) != versions[partner_id]:
                    raise StaleView()
            for partner_id, version in versions.items():
                ids: list[int] = list(connection.scalars(_due_ids(partner_id, year, month)))
                for start in range(0, len(ids), RENEWAL_CHUNK):
                    view = _due_view(connection, partner_id, version,
                                     ids[start:start + RENEWAL_CHUNK])
                    renewals = renew(view)
                    if renewals:
                        issued.setdefault(partner_id, []).extend(
                            _issue_renewals(connection, run, series, renewals))
                        _touch_customers(connection, partner_id, {
                            view.subscriptions[r.subscription_id].customer_id
                            for r in renewals})
            for partner_id in sorted(issued):
                _bump_version(connection, partner_id)
            if issued:
                connection.execute(t.runs.insert().values(
                    run_id=run.run_id, command=run.command, partner_id=None, as_of=run.as_of,
                    input_name=None, input_sha256=None, folder=run.run_id,
                    committed_at=datetime.now(UTC).replace(tzinfo=None),
                ))
        return issued

    def committed_runs(self, run_ids: Sequence[str]) -> dict[str, CommittedRun]:
        """Which of these runs committed, with what they issued (numbers in issue order)."""
        if self.engine is None or not run_ids:
            return {}
        r, i = t.runs.c, t.invoices.c
        with self._transaction(write=False) as connection:
            found = {
                row.run_id: CommittedRun(row.run_id, row.command, row.partner_id, row.as_of,
                                         row.input_name, row.input_sha256, [], set())
                for row in connection.execute(select(t.runs).where(r.run_id.in_(run_ids)))
            }
            for row in connection.execute(
                select(i.run_id, i.number, i.currency).where(i.run_id.in_(list(found)))
                .order_by(i.series, i.year, i.seq)
            ):
                found[row.run_id].numbers.append(row.number)
                found[row.run_id].currencies.add(row.currency)
        return found

    def documents(self, numbers: Sequence[str]) -> list[str]:
        """Issued invoices as the ledger keeps them (JSON text), in the order asked for."""
        assert self.engine is not None
        i = t.invoices.c
        with self._transaction(write=False) as connection:
            found: dict[str, str] = {}
            for start in range(0, len(numbers), 500):
                found.update(connection.execute(
                    select(i.number, i.document).where(i.number.in_(numbers[start:start + 500]))
                ).tuples().all())
        return [found[number] for number in numbers]

    def month(self, first: date, last: date) -> LedgerMonth:
        """Everything the month-end report needs, read in one snapshot."""
        if self.engine is None:
            return LedgerMonth([], {}, [], [], [], {})
        with self._transaction(write=False) as connection:
            return read_month(connection, first, last, _read_view)

    def invoice(self, number: str) -> Invoice | None:
        """An issued invoice, whole, as it was when issued."""
        if self.engine is None:
            return None
        with self._transaction(write=False) as connection:
            document = connection.scalar(
                select(t.invoices.c.document).where(t.invoices.c.number == number)
            )
        return invoice_from_document(json.loads(document)) if document else None

    def commit(
        self,
        view: LedgerView,
        run: RunRecord,
        series: str,
        currency: str,
        customers: Mapping[str, Customer],
        devices: list[Device],
        drafts: list[InvoiceDraft],
        build: BuildInvoice,
        on_numbered: OnNumbered | None,
        read_set: ReadSet,
    ) -> list[Invoice]:
        """Everything of one run in one short write transaction. `on_numbered` sees the
        invoices as soon as their numbers are taken, before the transaction commits: what it
        starts must stay invisible unless the commit succeeds. When another run committed for
        the partner since `view` was read, the commit goes ahead only if that touched nothing
        of `read_set`, the customers and order lines the run's validation read."""
        assert self.engine is not None
        partner_id = view.partner_id
        with self._transaction(write=True) as connection:
            if (_lock_partner(connection, partner_id) != view.version
                    and _overtaken(connection, view, read_set)):
                raise StaleView()
            _save_customers(connection, partner_id, customers)
            moved_away = _save_devices(connection, partner_id, devices)
            # the read set names every customer this commit writes to, but for those a
            # device of theirs moved away from
            _touch_customers(connection, partner_id, read_set.customers | moved_away)
            _bump_version(connection, partner_id)
            connection.execute(t.runs.insert().values(
                run_id=run.run_id, command=run.command, partner_id=run.partner_id,
                as_of=run.as_of, input_name=run.input_name, input_sha256=run.input_sha256,
                folder=run.run_id, committed_at=datetime.now(UTC).replace(tzinfo=None),
            ))
            # the series' counter last: every run commits through it, so it is held for as
            # short a time as can be (then the id counter, in that order everywhere)
            numbers = _take_numbers(connection, series, run.as_of, len(drafts))
            created = _create_subscriptions(connection, partner_id, currency, drafts)
            invoices = [build(d, n, created) for d, n in zip(drafts, numbers, strict=True)]
            if on_numbered is not None:
                on_numbered(invoices)
            _save_invoices(connection, partner_id, run, drafts, invoices, created, series)
            return invoices


@contextmanager
def _usable(url: str) -> Iterator[None]:
    """A database error met while opening the ledger: busy (75), or unusable as configured."""
    try:
        yield
    except DatabaseError as error:
        if is_busy(error):
            raise LedgerBusy(str(error.orig)) from error
        raise LedgerError(f"cannot use the ledger {display_url(url)}: {error.orig}") from error


def _recognise(url: str, where: str, *, write: bool, create: bool
               ) -> tuple[Kind, SqliteFile | None, Engine | None]:
    """What the database at `url` holds, looked at without changing anything; with the
    SQLite file as found on disk, or the PostgreSQL engine (connected once)."""
    path = sqlite_path(url)
    if path is not None:
        found = sqlite_file(path, write=write, create=create)
        if found.empty:
            return Kind.EMPTY, found, None
        # SQLite: through a read-only connection of its own, so that nothing (not even the
        # switch to WAL a writing connection makes) touches a file that is not a ledger
        immutable = found.probe_immutable
        while True:
            probe = make_engine(url, read_only=True, immutable=immutable)
            try:
                return migrations.examined(probe, where).kind, found, None
            except (LedgerDamaged, DatabaseError):
                if not immutable:
                    raise
                # a run may have opened, written and closed it while it was read without a
                # lock: look again, with one
                immutable = False
            finally:
                close_engine(probe)
    engine = make_engine(url)
    try:
        try:
            engine.connect().close()
        except DBAPIError as error:
            raise unreachable(url, error) from None
        return migrations.recognised(engine, where).kind, None, engine
    except BaseException:
        close_engine(engine)
        raise


def _make_folder(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise LedgerError(f"cannot make the ledger's folder {path.parent}: "
                          f"{error.strerror}") from None


def _version(connection: Connection, partner_id: str) -> int:
    found = connection.scalar(
        select(t.partner_versions.c.version).where(t.partner_versions.c.partner_id == partner_id)
    )
    return int(found or 0)


def _lock_partner(connection: Connection, partner_id: str) -> int:
    """Hold the partner's row until the transaction ends, and give its version. A committing
    run takes its locks in one order (partners by id, the series' counter, the id counter), so
    two runs never wait for each other in a circle."""
    return int(locked_row(connection, t.partner_versions, partner_id=partner_id,
                          version=0).version)


def _bump_version(connection: Connection, partner_id: str) -> None:
    v = t.partner_versions.c
    connection.execute(update(t.partner_versions).where(v.partner_id == partner_id)
                       .values(version=v.version + 1))


def _touch_customers(connection: Connection, partner_id: str,
                     customer_ids: AbstractSet[str]) -> None:
    """Count up the version of each customer a commit wrote something of."""
    c = t.customers.c
    ordered = sorted(customer_ids)
    for start in range(0, len(ordered), 500):
        connection.execute(update(t.customers).where(
            c.partner_id == partner_id, c.customer_id.in_(ordered[start:start + 500])
        ).values(version=c.version + 1))


def _overtaken(connection: Connection, view: LedgerView, read_set: ReadSet) -> bool:
    """Whether the commits since `view` touched a customer of `read_set` (or made one that
    was not there) or committed one of its order lines."""
    c, o = t.customers.c, t.order_lines.c
    customers = sorted(read_set.customers)
    for start in range(0, len(customers), 500):
        for customer_id, version in connection.execute(
            select(c.customer_id, c.version).where(
                c.partner_id == view.partner_id, c.customer_id.in_(customers[start:start + 500]))
        ):
            if view.stamps.get(customer_id) != version:
                return True
    order_ids = sorted(read_set.order_ids)
    for start in range(0, len(order_ids), 500):
        if connection.scalar(select(func.count()).select_from(t.order_lines).where(
                o.partner_id == view.partner_id, o.order_id.in_(order_ids[start:start + 500]))):
            return True
    return False


def _take_ids(connection: Connection, name: str, count: int) -> range:
    """The next `count` ids of the counter, taken under its row lock."""
    k = t.id_counters.c
    last = int(locked_row(connection, t.id_counters, name=name, last_value=0).last_value)
    connection.execute(update(t.id_counters).where(k.name == name)
                       .values(last_value=last + count))
    return range(last + 1, last + count + 1)


def _due_ids(partner_id: str, year: int, month: int) -> Select[Any]:
    """Ids of the partner's subscriptions whose last term ends in the month, in order: the
    term's exclusive end falls after the month's first day and at most on the next month's."""
    whole = month_term(year, month)
    first, after = whole.start, whole.end
    s, tc = t.subscriptions.c, t.subscription_terms.c
    later = t.subscription_terms.alias("later")
    return (
        select(tc.subscription_id)
        .join(t.subscriptions, s.id == tc.subscription_id)
        .where(s.partner_id == partner_id, tc.end_date > first, tc.end_date <= after,
               ~exists().where(later.c.subscription_id == tc.subscription_id,
                               later.c.term_index > tc.term_index))
        .order_by(tc.subscription_id)
    )


def _due_view(connection: Connection, partner_id: str, version: int, ids: list[int]
              ) -> LedgerView:
    """A view of the partner holding only these subscriptions and their customers."""
    customers, subscriptions = _subscriptions(connection, partner_id, ids)
    return LedgerView(partner_id, version, customers, subscriptions)


def _issue_renewals(connection: Connection, run: RunRecord, series: str,
                    renewals: list[Renewal]) -> list[str]:
    """Number renewals in their order and store their invoices and terms."""
    numbers = _take_numbers(connection, series, run.as_of, len(renewals))
    invoice_rows: list[dict[str, Any]] = []
    line_rows: list[dict[str, Any]] = []
    term_rows: list[dict[str, Any]] = []
    for renewal, number in zip(renewals, numbers, strict=True):
        row, lines = _invoice_rows(replace(renewal.invoice, number=number), renewal.partner_id,
                                   run.run_id, series)
        invoice_rows.append(row)
        line_rows.extend(lines)
        term_rows.append({"partner_id": renewal.partner_id,
                          "subscription_id": renewal.subscription_id,
                          "term_index": renewal.term_index, "start_date": renewal.term.start,
                          "end_date": renewal.term.end, "invoice_number": number})
    bulk_insert(connection, t.invoices, invoice_rows)
    bulk_insert(connection, t.invoice_lines, line_rows)
    bulk_insert(connection, t.subscription_terms, term_rows)
    return numbers


def _subscriptions(connection: Connection, partner_id: str, ids: list[int] | None = None
                   ) -> tuple[dict[str, Customer], dict[int, Subscription]]:
    """The partner's subscriptions (every term, seats in force) and customers; with `ids`, only
    those subscriptions and the customers they belong to."""
    s, tc, sc, c = t.subscriptions.c, t.subscription_terms.c, t.seats.c, t.customers.c
    mine: Any = ids if ids is not None else select(s.id).where(s.partner_id == partner_id)
    terms: dict[int, list[Term]] = defaultdict(list)
    for row in connection.execute(
        select(tc.subscription_id, tc.start_date, tc.end_date)
        .where(tc.subscription_id.in_(mine)).order_by(tc.subscription_id, tc.term_index)
    ):
        terms[row.subscription_id].append(Term(row.start_date, row.end_date))
    seats: dict[int, dict[str, int]] = defaultdict(dict)
    for row in connection.execute(
        select(sc.subscription_id, sc.device_type, func.sum(sc.seats).label("seats"))
        .where(sc.subscription_id.in_(mine)).group_by(sc.subscription_id, sc.device_type)
    ):
        seats[row.subscription_id][row.device_type] = int(row.seats)
    subscription_rows = select(t.subscriptions).where(s.partner_id == partner_id)
    customer_rows = select(t.customers).where(c.partner_id == partner_id)
    if ids is not None:
        subscription_rows = subscription_rows.where(s.id.in_(ids))
        customer_rows = customer_rows.where(c.customer_id.in_(
            select(s.customer_id).where(s.partner_id == partner_id, s.id.in_(ids))))
    subscriptions = {
        row.id: Subscription(
            id=row.id, customer_id=row.customer_id, term_years=row.term_years,
            start_date=row.start_date, po_number=row.po_number,
            terms=tuple(terms[row.id]), seats=seats[row.id],
        )
        for row in connection.execute(subscription_rows)
    }
    customers = {
        row.customer_id: Customer(row.customer_id, row.organization, row.country,
                                  row.contact_email)
        for row in connection.execute(customer_rows)
    }
    return customers, subscriptions


def _read_view(connection: Connection, partner_id: str, *, with_committed: bool = True
               ) -> LedgerView:
    version = _version(connection, partner_id)
    customers, subscriptions = _subscriptions(connection, partner_id)
    if not with_committed:
        return LedgerView(partner_id, version, customers, subscriptions)
    c, o = t.customers.c, t.order_lines.c
    stamps = {row.customer_id: row.version for row in connection.execute(
        select(c.customer_id, c.version).where(c.partner_id == partner_id))}
    committed = {
        row.order_id: Committed(row.order_id, row.fingerprint, row.invoice_number,
                                row.subscription_id, row.customer_id, row.label,
                                json.loads(row.content))
        for row in connection.execute(select(t.order_lines).where(o.partner_id == partner_id))
    }
    return LedgerView(partner_id, version, customers, subscriptions, committed, stamps)


def _save_customers(
    connection: Connection, partner_id: str, customers: Mapping[str, Customer]
) -> None:
    """New customers are added; a known one takes the values given, and keeps what it had
    where the sheet leaves a cell empty."""
    if not customers:
        return
    c = t.customers.c
    stored = {
        row.customer_id: row
        for row in connection.execute(
            select(c.customer_id, c.organization, c.country, c.contact_email)
            .where(c.partner_id == partner_id)
        )
    }
    fresh = []
    for x in customers.values():
        given = {"organization": x.organization, "country": x.country,
                 "contact_email": x.contact_email}
        before = stored.get(x.customer_id)
        if before is None:
            fresh.append({"partner_id": partner_id, "customer_id": x.customer_id, **given})
            continue
        changes = {k: v for k, v in given.items() if v is not None and v != getattr(before, k)}
        if changes:
            connection.execute(
                update(t.customers)
                .where(c.partner_id == partner_id, c.customer_id == x.customer_id)
                .values(**changes)
            )
    bulk_insert(connection, t.customers, fresh)


def _save_devices(connection: Connection, partner_id: str, devices: list[Device]) -> set[str]:
    """The Devices sheet is the partner's current list for the customers it names; a device
    it lists under another customer than before has moved there. The customers whose lists
    lost a device are returned."""
    d = t.devices.c
    named = {x.customer_id for x in devices}
    listed = {x.serial_number for x in devices}
    stored = connection.execute(
        select(d.serial_number, d.customer_id).where(d.partner_id == partner_id)).all()
    replaced = sorted(serial for serial, customer_id in stored
                      if customer_id in named or serial in listed)
    moved_away = {customer_id for serial, customer_id in stored
                  if serial in listed and customer_id not in named}
    for start in range(0, len(replaced), 500):
        connection.execute(t.devices.delete().where(
            d.partner_id == partner_id, d.serial_number.in_(replaced[start:start + 500])
        ))
    if devices:
        bulk_insert(connection, t.devices, [
            {"partner_id": partner_id, "serial_number": x.serial_number,
             "customer_id": x.customer_id, "device_type": x.device_type,
             "deployed_on": x.deployed_on, "location": x.location}
            for x in devices
        ])
    return moved_away


def _create_subscriptions(
    connection: Connection, partner_id: str, currency: str, drafts: list[InvoiceDraft]
) -> dict[tuple[str, str], int]:
    """Ids for the new subscriptions of this run, in the order their lines come."""
    requests = {line.request.group: line.request for draft in drafts for line in draft.lines
                if line.request.group is not None}
    if not requests:
        return {}
    created = dict(zip(requests, _take_ids(connection, "subscriptions", len(requests)),
                       strict=True))
    bulk_insert(connection, t.subscriptions, [
        {"id": created[group], "partner_id": partner_id, "customer_id": group[0],
         "label": group[1], "term_years": request.term_years,
         "start_date": request.term.start, "po_number": request.po_number,
         "currency": currency}
        for group, request in requests.items()
    ])
    return created


def _take_numbers(connection: Connection, series: str, day: date, count: int) -> list[str]:
    """The next `count` numbers of the series for the day's year: gapless, in issue order."""
    if count == 0:
        return []
    k = t.counters.c
    # a new series-year's row is made at once, so that its first two runs queue on it too
    row = locked_row(connection, t.counters, series=series, year=day.year, last_seq=0,
                     last_number="", last_date=day)
    if row.last_date > day:
        raise InvoiceDateBackwards(row.last_number, row.last_date, day)
    last = row.last_seq
    numbers = [f"{series}-{day.year:04d}-{seq:06d}" for seq in range(last + 1, last + count + 1)]
    connection.execute(
        update(t.counters).where(k.series == series, k.year == day.year)
        .values(last_seq=last + count, last_number=numbers[-1], last_date=day)
    )
    return numbers


def _invoice_rows(
    invoice: Invoice, partner_id: str, run_id: str, series: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """An issued invoice as its `invoices` row (with the whole document) and its lines."""
    assert invoice.number is not None
    document = invoice_document(invoice)
    row = {
        "number": invoice.number, "series": series, "year": invoice.invoice_date.year,
        "seq": int(invoice.number.rsplit("-", 1)[1]), "partner_id": partner_id,
        "customer_id": invoice.customer_id, "kind": invoice.kind,
        "invoice_date": invoice.invoice_date, "due_date": invoice.due_date,
        "currency": invoice.currency, "po_number": invoice.po_number,
        "total": document["total"], "run_id": run_id,
        "document": json.dumps(document, ensure_ascii=False, sort_keys=True),
    }
    lines = [
        {
            "partner_id": partner_id, "invoice_number": invoice.number, "position": position,
            "order_id": line.order_id,
            "subscription_id": parse_subscription_number(line.subscription_id or ""),
            "device_type": line.device_type, "seats": line.seats,
            "period_start": line.period_start, "period_end": line.period_end,
            **{k: shown[k] for k in ("unit_price", "list_amount", "term_discount",
                                     "partner_discount", "net_amount")},
        }
        for position, (line, shown) in enumerate(zip(invoice.lines, document["lines"],
                                                     strict=True), start=1)
    ]
    return row, lines


def _save_invoices(
    connection: Connection,
    partner_id: str,
    run: RunRecord,
    drafts: list[InvoiceDraft],
    invoices: list[Invoice],
    created: Mapping[tuple[str, str], int],
    series: str,
) -> None:
    invoice_rows: list[dict[str, Any]] = []
    line_rows: list[dict[str, Any]] = []
    order_rows: list[dict[str, Any]] = []
    seat_rows: list[dict[str, Any]] = []
    term_rows: list[dict[str, Any]] = []
    first_terms: set[int] = set()
    for draft, invoice in zip(drafts, invoices, strict=True):
        row, lines = _invoice_rows(invoice, partner_id, run.run_id, series)
        invoice_rows.append(row)
        line_rows.extend(lines)
        for priced in draft.lines:
            request = priced.request
            sid = request.subscription_id
            if sid is None:
                assert request.group is not None
                sid = created[request.group]
                if sid not in first_terms:
                    first_terms.add(sid)
                    term_rows.append({
                        "partner_id": partner_id, "subscription_id": sid, "term_index": 0,
                        "start_date": request.term.start, "end_date": request.term.end,
                        "invoice_number": invoice.number,
                    })
            if request.continues:  # the same order line and seats, billed for a later term
                continue
            order_rows.append({
                "partner_id": partner_id, "order_id": priced.order.order_id,
                "fingerprint": priced.order.fingerprint,
                "content": json.dumps(priced.order.content, ensure_ascii=False),
                "customer_id": priced.order.customer_id,
                "label": request.group[1] if request.group else None, "subscription_id": sid,
                "invoice_number": invoice.number, "run_id": run.run_id,
            })
            seat_rows.append({
                "partner_id": partner_id, "subscription_id": sid,
                "device_type": priced.order.device_type,
                "seats": priced.order.seats, "effective_date": request.effective,
                "order_id": priced.order.order_id,
            })
    bulk_insert(connection, t.invoices, invoice_rows)
    bulk_insert(connection, t.invoice_lines, line_rows)
    bulk_insert(connection, t.subscription_terms, term_rows)
    bulk_insert(connection, t.seats, seat_rows)
    bulk_insert(connection, t.order_lines, order_rows)


__all__ = ["InvoiceDateBackwards", "Ledger", "LedgerView", "RunRecord", "StaleView"]
