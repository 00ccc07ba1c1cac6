"""The whole validation of one workbook: per-column schemas, then the rules; one report."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from itertools import repeat
from operator import itemgetter
from typing import Any, Generic, TypeVar

from seatbatch.core.columns import sheet_spec
from seatbatch.core.config import Config, Partner
from seatbatch.core.model import (
    CHANGES,
    Change,
    Committed,
    Customer,
    Device,
    LedgerView,
    LineRequest,
    OrderLine,
    ReadSet,
)
from seatbatch.core.problems import Code, Problem, problem, shown
from seatbatch.core.sheets import RawSheet, RawWorkbook
from seatbatch.validation.rules import Context, Coverage, check, resolve, resolve_changes
from seatbatch.validation.schema import CheckedSheet, check_sheet

CUSTOMER_FIELDS = ("customer_id", "organization", "country", "contact_email")
DEVICE_FIELDS = ("customer_id", "serial_number", "device_type", "deployed_on", "location")
ORDER_COLUMNS = tuple(c.name for c in sheet_spec("Orders").columns)
ORDER_REQUIRED = ("order_id", "customer_id", "action", "subscription", "device_type", "seats")
# what a change line (SPEC §11) requires: the columns schemas/columns.toml does not make
# optional for its action
CHANGE_REQUIRED = {
    action: tuple(name for name in ORDER_REQUIRED
                  if action not in sheet_spec("Orders").column(name).optional_for)
    for action in CHANGES}


@dataclass(frozen=True)
class Validation:
    customers: dict[str, Customer]
    devices: list[Device]
    requests: list[LineRequest]  # lines to price and issue (empty when rejected)
    already_processed: list[Committed]
    problems: list[Problem]
    warnings: list[Problem]
    coverage: list[Coverage]
    organizations: dict[str, str]  # customer id -> name, of the ledger and this workbook
    read_set: ReadSet  # what it depends on in the ledger
    given: RawWorkbook  # the workbook as read, for the copy in rejected.xlsx
    changes: list[Change] = field(default_factory=list)  # cancel, reduce, po (SPEC §11)

    @property
    def rejected(self) -> bool:
        return bool(self.problems)


def _changes(before: Mapping[str, Any] | None, now: Mapping[str, Any]) -> str:
    if before is None:
        return "other content"
    changed = [
        f"{name} was '{shown(before.get(name))}', now '{shown(now.get(name))}'"
        for name in ORDER_COLUMNS if before.get(name) != now.get(name)
    ]
    return "; ".join(changed) or "other content"


def split_committed(
    lines: list[OrderLine], view: LedgerView
) -> tuple[list[OrderLine], list[Committed], list[Problem]]:
    """New lines; lines an earlier run committed with this same content; conflicts (an
    order_id committed with other content)."""
    fresh: list[OrderLine] = []
    already: list[Committed] = []
    conflicts: list[Problem] = []
    for line in lines:
        committed = view.committed.get(line.order_id)
        if committed is None:
            fresh.append(line)
        elif committed.fingerprint == line.fingerprint:
            already.append(committed)
        else:
            conflicts.append(problem(
                Code.ORDER_ID_CONFLICT, "Orders", line.row, "order_id", line.order_id,
                invoice=f"invoice {committed.invoice_number}" if committed.invoice_number
                else "as a change of a subscription, which issues no invoice",
                changes=_changes(committed.content, line.content),
            ))
    return fresh, already, conflicts


Records = TypeVar("Records")


@dataclass(frozen=True)
class Checked(Generic[Records]):
    """A sheet checked on its own: its cells by the schema, and the records of its rows."""

    given: RawSheet | None  # the sheet it was made of (None: the workbook has no such sheet)
    cells: CheckedSheet
    records: Records


@dataclass(frozen=True)
class SheetsChecked:
    """The workbook's sheets checked each on its own: all that needs neither another sheet nor
    the ledger (`process` does it for the sheets read first, while the devices are read)."""

    config: Config  # what they were checked with
    partner: Partner
    customers: Checked[tuple[dict[str, Customer], set[str]]]
    devices: Checked[tuple[list[Device], set[str]]]
    orders: Checked[tuple[list[OrderLine], set[str], list[OrderLine]]]
    others: dict[str, CheckedSheet]  # any other sheet the workbook's schema names

    def cells(self) -> dict[str, CheckedSheet]:
        """Every sheet's cells, by sheet name."""
        return {"Customers": self.customers.cells, "Devices": self.devices.cells,
                "Orders": self.orders.cells, **self.others}


def check_sheets(sheets: Mapping[str, RawSheet], config: Config, partner: Partner,
                 done: SheetsChecked | None = None) -> SheetsChecked:
    """Each of these sheets checked on its own. Of `done` (checked earlier of some of the
    sheets as they were read), what was made of these very sheets, with this configuration
    and partner, is kept."""
    # Every device type of the price lists: one without a price in the partner's currency is
    # not the partner's mistake but finance's, a configuration error when its line is priced
    # (SPEC §3), never "not a device type".
    device_types, offered = config.device_types(), config.device_types(partner.currency)
    if done is not None and (done.config is not config or done.partner is not partner):
        done = None

    def part(name: str, kept: Checked[Records] | None,
             records: Callable[[CheckedSheet], Records]) -> Checked[Records]:
        sheet = sheets.get(name)
        if kept is not None and kept.given is sheet:
            return kept
        cells = (CheckedSheet([], {}, []) if sheet is None
                 else check_sheet(sheet, device_types, offered))
        return Checked(sheet, cells, records(cells))

    return SheetsChecked(
        config, partner,
        part("Customers", None if done is None else done.customers, _customers),
        part("Devices", None if done is None else done.devices, _devices),
        part("Orders", None if done is None else done.orders, _order_lines),
        {name: check_sheet(sheet, device_types, offered) for name, sheet in sheets.items()
         if name not in ("Customers", "Devices", "Orders")})


def validate(
    raw: RawWorkbook, config: Config, partner: Partner, view: LedgerView, as_of: date, *,
    done: SheetsChecked | None = None,
) -> Validation:
    """The workbook validated against the ledger's view of the partner (`done`: its sheets
    checked each on its own already, some or all; see `check_sheets`)."""
    if raw.made_for is not None and raw.made_for != partner.id:
        # Every other finding would be about the wrong partner's ledger: this one alone.
        mismatch = problem(Code.PARTNER_MISMATCH, "", None, None, raw.made_for,
                           made_for=raw.made_for, partner=partner.id)
        return Validation({}, [], [], [], [mismatch], list(raw.warnings), [], {}, ReadSet(),
                          raw)
    problems = list(raw.problems)
    sheets = check_sheets(raw.sheets, config, partner, done)
    cells = sheets.cells()
    for name in raw.sheets:
        problems.extend(cells[name].problems)

    customers, broken = sheets.customers.records
    devices, broken_devices = sheets.devices.records
    lines, broken_lines, incomplete_changes = sheets.orders.records
    broken = broken | broken_devices | broken_lines
    listed = frozenset(i for i in sheets.customers.cells.column("customer_id") if i is not None)
    fresh, already, conflicts = split_committed(lines, view)
    problems.extend(conflicts)
    orders = [line for line in fresh if line.action not in CHANGES]
    changes = [line for line in fresh if line.action in CHANGES]
    processed = {c.order_id for c in already}
    processed_groups = frozenset(
        (line.customer_id, line.subscription)
        for line in lines if line.order_id in processed and line.action == "new"
    )

    failed = frozenset((p.sheet, p.row, p.column) for p in problems if p.row and p.column)
    ctx = Context(config, partner, as_of, view, customers, devices, orders, frozenset(broken),
                  failed, listed, processed_groups, changes=changes,
                  incomplete_changes=incomplete_changes)
    found, ctx = check(ctx)
    problems.extend(found)
    requests, resolved = ([], []) if problems else (resolve(ctx), resolve_changes(ctx))
    problems.sort(key=lambda p: (_sheet_order(p.sheet), p.row or 0))
    organizations = {k: c.organization for k, c in view.customers.items()}
    organizations.update((k, c.organization) for k, c in customers.items())
    read_set = ReadSet(
        frozenset(customers) | {d.customer_id for d in devices} | {x.customer_id for x in lines},
        frozenset(line.order_id for line in fresh),
    )
    warnings = [*raw.warnings, *_unchecked(ctx)]
    return Validation(customers, devices, requests, already, problems, warnings,
                      ctx.coverage, organizations, read_set, raw, resolved)


def _unchecked(ctx: Context) -> list[Problem]:
    """Coverage the rejected lines' seats would make up: said, not reported as a problem."""
    return [
        problem(Code.COVERAGE_NOT_CHECKED, "Devices", row.first_device_row, "device_type",
                row.device_type, customer=row.customer_id, devices=row.devices,
                device_type=row.device_type, seats=row.seats, why=_why_unchecked(row))
        for row in ctx.coverage
        if row.unchecked and row.first_device_row is not None
        and ctx.knows_customer(row.customer_id)
    ]


def _why_unchecked(row: Coverage) -> str:
    if row.broken:
        return ("rows of this customer were rejected for problems of their own; its seats are "
                "checked once they are corrected")
    rows = ", ".join(map(str, row.pending_rows))
    return (f"Orders row(s) {rows} were rejected for problems of their own; corrected, their "
            f"{row.pending_seats} seat(s) would cover them")


def _customers(sheet: CheckedSheet) -> tuple[dict[str, Customer], set[str]]:
    """The sheet's customers, and the ids of rows that had problems."""
    customers: dict[str, Customer] = {}
    broken: set[str] = set()
    for row, customer_id, organization, country, email in zip(
        sheet.rows, *map(sheet.column, CUSTOMER_FIELDS), strict=True
    ):
        if customer_id is not None and organization is not None and customer_id not in customers:
            customers[customer_id] = Customer(customer_id, organization, country, email, row)
        elif customer_id is not None:
            broken.add(customer_id)
    return customers, broken


def _devices(sheet: CheckedSheet) -> tuple[list[Device], set[str]]:
    """The sheet's devices, and the customers of rows that had problems."""
    columns = [sheet.column(name) for name in DEVICE_FIELDS]
    # every row with its serial number and device type: none to sort out
    if None not in columns[1] and None not in columns[2]:
        devices = list(map(Device, sheet.rows, *columns))
        if None in columns[0]:
            devices = [device for device in devices if device.customer_id is not None]
        return devices, set()
    fields = list(zip(sheet.rows, *columns, strict=True))
    devices = [Device(*device) for device in fields
               if device[1] is not None and device[2] is not None and device[3] is not None]
    broken = {device[1] for device in fields
              if device[1] is not None and (device[2] is None or device[3] is None)}
    return devices, broken


def _cells_of(names: tuple[str, ...]) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    """An Orders row's cells (in ORDER_COLUMNS' order) -> those of `names`, a tuple however
    many (an itemgetter of one name gives the cell itself)."""
    at = [ORDER_COLUMNS.index(name) for name in names]
    return itemgetter(*at) if len(at) > 1 else lambda cells: tuple(cells[i] for i in at)


# the cells an OrderLine is made of, and those a row of each action requires
_line_cells = _cells_of(("order_id", "customer_id", "action", "subscription", "device_type",
                         "seats", "term_years", "start_date", "po_number", "separate_invoice",
                         "accept_terms"))
_required_cells = {action: _cells_of(names) for action, names in CHANGE_REQUIRED.items()}
# the OrderLine fields a complete row's cells are as they stand, in the OrderLine's order
_GIVEN_FIELDS = ("order_id", "customer_id", "action", "subscription", "device_type", "seats",
                 "term_years", "start_date", "po_number")
_order_required_cells = _cells_of(ORDER_REQUIRED)


def _order_lines(sheet: CheckedSheet) -> tuple[list[OrderLine], set[str], list[OrderLine]]:
    """The sheet's complete order lines, the customers of rows that had problems, and the
    incomplete change lines (SPEC §11: their cells that must be blank are checked too, so
    that every problem of the row is reported at once). A line's
    content is its row as given, in plain JSON values (dates ISO); its fingerprint, the ledger's
    idempotency key, is the sha256 of `name=repr(value)` over ORDER_COLUMNS joined by U+001F
    (never to change: committed lines are found by it). Both are made a column at a time."""
    lines: list[OrderLine] = []
    incomplete_changes: list[OrderLine] = []
    broken: set[str] = set()
    columns = [sheet.column(name) for name in ORDER_COLUMNS]
    plain = list(map(_plain, columns))
    shown = [_shown(name, column) for name, column in zip(ORDER_COLUMNS, plain, strict=True)]
    fingerprints = [hashlib.sha256(text.encode()).hexdigest()
                    for text in map("\x1f".join, zip(*shown, strict=True))]
    # (every row's tuple has a value of each of ORDER_COLUMNS)
    contents = list(map(dict, map(zip, repeat(ORDER_COLUMNS), zip(*plain, strict=True))))
    by_name = dict(zip(ORDER_COLUMNS, columns, strict=True))
    if all(None not in by_name[name] for name in ORDER_REQUIRED) \
            and all(accepted is True for accepted in by_name["accept_terms"]):
        # every row complete (a change requires fewer of its cells): none to sort out, and
        # none of the blanks an incomplete row's line is given
        return list(map(OrderLine, sheet.rows, *(by_name[name] for name in _GIVEN_FIELDS),
                        map(bool, by_name["separate_invoice"]), fingerprints, contents)), \
            set(), []
    for row, cells, fingerprint, content in zip(sheet.rows, zip(*columns, strict=True),
                                                fingerprints, contents, strict=True):
        (order_id, customer_id, action, subscription, device_type, seats, term_years,
         start_date, po_number, separate_invoice, accept_terms) = _line_cells(cells)
        required = _required_cells.get(action, _order_required_cells)
        complete = None not in required(cells) and accept_terms is True
        if not complete:
            if customer_id:
                broken.add(customer_id)
            if action not in CHANGES:
                continue
        (lines if complete else incomplete_changes).append(OrderLine(
            row, order_id or "", customer_id or "", action, subscription or "",
            device_type or "", seats or 0, term_years, start_date, po_number,
            bool(separate_invoice), fingerprint, content,
        ))
    return lines, broken, incomplete_changes


def _plain(column: list[Any]) -> list[Any]:
    """A column's cells in plain JSON values: a date as its ISO text (each date made one once,
    where the column holds nothing else but blanks)."""
    classes = set(map(type, column))
    if not any(issubclass(c, date) for c in classes):
        return column
    if classes <= {date, type(None)}:
        iso = {v: None if v is None else v.isoformat() for v in dict.fromkeys(column)}
        return list(map(iso.__getitem__, column))
    return [v.isoformat() if isinstance(v, date) else v for v in column]


# classes whose equal values show alike (not float: 0.0 == -0.0)
_SHOWN_ALIKE = frozenset({str, int, bool, date, type(None)})


def _shown(name: str, column: list[Any]) -> list[str]:
    """`name=repr(value)` of each cell of a column, made once per value: a column repeats a
    few device types, dates or seat counts many times. (Equal values of two classes, 1 and
    True, show apart: such a column, or one of another class, is shown cell by cell.)"""
    classes = set(map(type, column))
    if len(classes - {type(None)}) > 1 or not classes <= _SHOWN_ALIKE:
        return [f"{name}={v!r}" for v in column]
    reprs = {v: f"{name}={v!r}" for v in dict.fromkeys(column)}
    return list(map(reprs.__getitem__, column))


def _sheet_order(name: str) -> int:
    order = {"": 0, "Customers": 1, "Devices": 2, "Orders": 3}
    return order.get(name, 4)
