"""The blank order workbook a partner fills in: the three sheets with their headers, drop-down
lists, input messages, formats and frozen headers, and an Instructions sheet with an example.
Everything comes from the same column definitions (schemas/columns.toml) that validation uses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from seatbatch.core.columns import ColumnSpec, SheetSpec, sheet_specs
from seatbatch.core.sheets import PARTNER_PROPERTY, column_letter
from seatbatch.output.order_workbook import DATE_FORMAT, build_order_workbook, put
from seatbatch.output.sheet_layout import fit_columns, print_setup

ROWS = 10_000  # rows prepared with drop-downs and formats
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill(fill_type="solid", start_color="FFDDEBF7", end_color="FFDDEBF7")
LISTS = "Lists"


def stamp(book: Any, partner_id: str) -> None:
    """Mark an openpyxl workbook as made for the partner (intake's `origin.made_for` reads
    it)."""
    book.custom_doc_props.append(StringProperty(name=PARTNER_PROPERTY, value=partner_id))


def list_items(column: ColumnSpec, device_types: Sequence[str]) -> list[str] | None:
    if column.type == "device_type":
        return list(device_types)
    if column.type == "bool":
        return ["yes", "no"]
    if column.choices:
        return [str(c) for c in column.choices]
    return None


def _prompt(column: ColumnSpec) -> str:
    required = "Required. " if column.required else ""
    if column.required and column.optional_for:  # blank for these actions (SPEC §11)
        required = f"Required, but blank for {' and '.join(column.optional_for)}. "
    return (required + column.help)[:255]  # Excel's limit for an input message




def _lists_sheet(book: Any, device_types: Sequence[str]) -> dict[tuple[str, str], str]:
    """One column per drop-down on a hidden sheet; returns (sheet, column) -> range formula."""
    ws = book.create_sheet(LISTS)
    ws.sheet_state = "hidden"
    ranges: dict[tuple[str, str], str] = {}
    position = 1
    for spec in sheet_specs():
        for column in spec.columns:
            choices = list_items(column, device_types)
            if not choices:
                continue
            put(ws, 1, position, f"{spec.name}.{column.name}")
            for row, choice in enumerate(choices, start=2):
                put(ws, row, position, choice)
            letter = column_letter(position - 1)
            ranges[(spec.name, column.name)] = (
                f"={LISTS}!${letter}$2:${letter}${len(choices) + 1}"
            )
            position += 1
    fit_columns(ws)  # hidden, but readable when shown
    return ranges


def _decorate(ws: Any, spec: SheetSpec, ranges: Mapping[tuple[str, str], str]) -> None:
    ws.freeze_panes = "A2"
    for position, column in enumerate(spec.columns):
        letter = column_letter(position)
        header = ws.cell(1, position + 1)
        header.font = HEADER_FONT
        header.fill = HEADER_FILL
        dimension = ws.column_dimensions[letter]
        if column.type == "date":
            dimension.number_format = DATE_FORMAT
        elif column.type in ("id", "text"):
            dimension.number_format = "@"  # ids and POs like 007 stay text
        formula = ranges.get((spec.name, column.name))
        validation = DataValidation(
            type="list" if formula else None, formula1=formula, allow_blank=True,
            showInputMessage=True, showErrorMessage=bool(formula),
            promptTitle=column.name[:32], prompt=_prompt(column),
            errorTitle=column.name[:32],
            error="Pick a value from the list." if formula else None,
        )
        validation.add(f"{letter}2:{letter}{ROWS + 1}")
        ws.add_data_validation(validation)


def changes_explained(notice_days: int) -> list[tuple[str, str]]:
    """What the Instructions sheet says of the actions that change a subscription (§11)."""
    return [
        ("Changes", "Actions cancel, reduce and po change an existing subscription: write its "
                    "id (SUB-000123) in subscription, leave term_years, start_date and "
                    "separate_invoice blank and accept the terms. They issue no invoice and "
                    "apply from the subscription's next term."),
        ("  cancel", "The subscription does not renew: it ends with its current term. Leave "
                     "device_type, seats and po_number blank. Seats can still be added for the "
                     "current term."),
        ("  reduce", "From the next renewal on, the subscription renews `seats` fewer seats of "
                     "device_type; at most as many as would renew. Leave po_number blank. "
                     "Reducing every seat cancels the subscription."),
        ("  po", "po_number (required) is the PO of the subscription's invoices from its next "
                 "renewal on. Leave device_type and seats blank."),
        ("  notice", f"A cancel or reduce is accepted up to {notice_days} days before the "
                     "current term ends: the Subscriptions sheet shows each one's last day for "
                     "notice (notice_by) and what is pending."),
        ("", ""),
    ]


def _instructions(book: Any, device_types: Sequence[str], example: Sequence[Sequence[Any]],
                  made_for: tuple[str, str] | None, *, notice_days: int,
                  uncovered: Sequence[str]) -> None:
    ws = book.create_sheet("Instructions", 0)
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 100
    lines: list[tuple[str, str]] = [
        ("seatbatch order workbook", ""),
        ("", "Fill in the Customers, Devices and Orders sheets, one row each, headers in row 1."),
        ("", "Send the file as it is; every problem comes back at once, marked in the file."),
        ("Device types", ", ".join(device_types)),
        ("", ""),
    ]
    if made_for:
        lines[3:3] = [("Partner", f"{made_for[0]} ({made_for[1]}): this workbook is accepted "
                                  "for this partner only")]
    if uncovered:  # sent back as it is, the workbook would be rejected for them
        lines[4:4] = [("Check Devices" if n == 0 else "", text)
                      for n, text in enumerate(uncovered)]
    for spec in sheet_specs():
        lines.append((spec.name, spec.help))
        for spec_column in spec.columns:
            lines.append((f"  {spec_column.name}", _prompt(spec_column)))
        lines.append(("", ""))
    lines.extend(changes_explained(notice_days))
    row = 1
    for label, text in lines:
        put(ws, row, 1, label).font = HEADER_FONT
        put(ws, row, 2, text)
        row += 1
    put(ws, row, 1, "Example Orders rows").font = HEADER_FONT
    row += 1
    for values in example:
        for position, value in enumerate(values, start=1):
            put(ws, row, position, value)
        row += 1


def example_orders(device_types: Sequence[str], today: date) -> list[list[Any]]:
    orders = next(s for s in sheet_specs() if s.name == "Orders")
    first = device_types[0] if device_types else "Space Pro"
    rows: list[dict[str, Any]] = [
        {"order_id": "PO4471-1", "customer_id": "C-001", "action": "new",
         "subscription": "hq", "device_type": first, "seats": 2, "term_years": 3,
         "start_date": today, "po_number": "PO-4471", "separate_invoice": "no",
         "accept_terms": "yes"},
        {"order_id": "PO5120-1", "customer_id": "C-001", "action": "add",
         "subscription": "SUB-000123", "device_type": first, "seats": 4,
         "po_number": "PO-5120", "accept_terms": "yes"},
        {"order_id": "CH-1", "customer_id": "C-002", "action": "cancel",
         "subscription": "SUB-000124", "accept_terms": "yes"},
        {"order_id": "CH-2", "customer_id": "C-001", "action": "reduce",
         "subscription": "SUB-000123", "device_type": first, "seats": 1,
         "accept_terms": "yes"},
        {"order_id": "CH-3", "customer_id": "C-001", "action": "po",
         "subscription": "SUB-000123", "po_number": "PO-6000", "accept_terms": "yes"},
    ]
    header = [c.name for c in orders.columns]
    return [header] + [[row.get(name) for name in header] for row in rows]


def build_template(
    device_types: Sequence[str],
    today: date,
    *,
    customers: Sequence[Mapping[str, Any]] = (),
    devices: Sequence[Mapping[str, Any]] = (),
    subscriptions: Sequence[Mapping[str, Any]] = (),
    made_for: tuple[str, str] | None = None,
    notice_days: int = 90,
    uncovered: Sequence[str] = (),
) -> Any:
    """The workbook, pre-filled with what the ledger knows of one partner when given; a
    workbook made for a partner (id, name) says so, and carries its id (`stamp`)."""
    book = build_order_workbook({"Customers": customers, "Devices": devices})
    ranges = _lists_sheet(book, device_types)
    for spec in sheet_specs():
        _decorate(book[spec.name], spec, ranges)
        fit_columns(book[spec.name], least=14)  # room to type in, and what the ledger filled
    _instructions(book, device_types, example_orders(device_types, today), made_for,
                  notice_days=notice_days, uncovered=uncovered)
    if made_for:
        stamp(book, made_for[0])
    if subscriptions:
        ws = book.create_sheet("Subscriptions")
        headers = list(subscriptions[0])
        for column, name in enumerate(headers, start=1):
            put(ws, 1, column, name).font = HEADER_FONT
        for row, item in enumerate(subscriptions, start=2):
            for column, name in enumerate(headers, start=1):
                put(ws, row, column, item[name])
        ws.freeze_panes = "A2"
        fit_columns(ws, most=100)  # what is pending reads whole
    for ws in book.worksheets:
        if ws.sheet_state == "visible":  # a page, not 4, for two subscriptions' rows
            print_setup(ws)
    book.active = book.sheetnames.index("Orders")
    return book
