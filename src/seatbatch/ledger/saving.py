"""Saving what a run commits: the partner's customers and devices as its workbook gives them,
new subscriptions, invoices (each kept whole, as its JSON document), their lines, order lines,
seats and subscription terms, and the run's own row."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from seatbatch.core.documents import invoice_document
from seatbatch.core.model import (
    Change,
    Customer,
    Device,
    Invoice,
    InvoiceDraft,
    LineAmounts,
    Renewal,
    SeatChange,
    parse_subscription_number,
)
from seatbatch.ledger import schema as t
from seatbatch.ledger.engine import bulk_insert, insert_rows
from seatbatch.ledger.numbering import take_ids
from seatbatch.ledger.records import RunRecord


def save_run(connection: Connection, run: RunRecord) -> None:
    """The run's row: it committed (what `recover_runs` asks of the ledger)."""
    connection.execute(t.runs.insert().values(
        run_id=run.run_id, command=run.command, partner_id=run.partner_id, as_of=run.as_of,
        input_name=run.input_name, input_sha256=run.input_sha256, folder=run.run_id,
        committed_at=datetime.now(UTC).replace(tzinfo=None),
    ))


def save_customers(
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


def save_devices(connection: Connection, partner_id: str, devices: list[Device]) -> set[str]:
    """The Devices sheet is the partner's current list for the customers it names; a device
    it lists under another customer than before has moved there. The customers whose lists
    lost a device are returned."""
    d = t.devices.c
    stored = connection.execute(
        select(d.serial_number, d.customer_id).where(d.partner_id == partner_id)).all()
    moved_away: set[str] = set()
    if stored:  # (a partner's first run has none to replace)
        named = {x.customer_id for x in devices}
        listed = {x.serial_number for x in devices}
        replaced = sorted(serial for serial, customer_id in stored
                          if customer_id in named or serial in listed)
        moved_away = {customer_id for serial, customer_id in stored
                      if serial in listed and customer_id not in named}
        for start in range(0, len(replaced), 500):
            connection.execute(t.devices.delete().where(
                d.partner_id == partner_id, d.serial_number.in_(replaced[start:start + 500])
            ))
    insert_rows(connection, t.devices, DEVICE_COLUMNS, [
        (partner_id, x.serial_number, x.customer_id, x.device_type, x.deployed_on, x.location)
        for x in devices
    ])
    return moved_away


DEVICE_COLUMNS = ("partner_id", "serial_number", "customer_id", "device_type", "deployed_on",
                  "location")


def create_subscriptions(
    connection: Connection, partner_id: str, currency: str, drafts: list[InvoiceDraft]
) -> dict[tuple[str, str], int]:
    """Ids for the new subscriptions of this run, in the order their lines come."""
    requests = {line.request.group: line.request for draft in drafts for line in draft.lines
                if line.request.group is not None}
    if not requests:
        return {}
    created = dict(zip(requests, take_ids(connection, "subscriptions", len(requests)),
                       strict=True))
    insert_rows(connection, t.subscriptions, SUBSCRIPTION_COLUMNS, [
        (created[group], partner_id, group[0], group[1], request.term_years, request.term.start,
         request.po_number, currency)
        for group, request in requests.items()
    ])
    return created


SUBSCRIPTION_COLUMNS = ("id", "partner_id", "customer_id", "label", "term_years", "start_date",
                        "po_number", "currency")


def json_text(*, sort_keys: bool) -> Callable[[Any], str]:
    """`json.dumps(value, ensure_ascii=False, sort_keys=sort_keys)` of the documents and lines
    saved: the same text, from one encoder made once (a large run encodes 25,000 values), not
    looking for cycles in what are trees of JSON values."""
    return json.JSONEncoder(ensure_ascii=False, sort_keys=sort_keys, check_circular=False).encode


DOCUMENT_JSON = json_text(sort_keys=True)
CONTENT_JSON = json_text(sort_keys=False)


# the columns of the rows below, as the tables order them
INVOICE_COLUMNS = ("number", "series", "year", "seq", "partner_id", "customer_id", "kind",
                   "invoice_date", "due_date", "currency", "po_number", "total", "run_id",
                   "document", "vat_category", "vat_rate", "vat_amount")
LINE_COLUMNS = ("partner_id", "invoice_number", "position", "order_id", "subscription_id",
                "device_type", "seats", "period_start", "period_end", "unit_price",
                *LineAmounts._fields)
TERM_COLUMNS = ("partner_id", "subscription_id", "term_index", "start_date", "end_date",
                "invoice_number")
SEAT_COLUMNS = ("partner_id", "subscription_id", "device_type", "seats", "effective_date",
                "order_id")
ORDER_COLUMNS = ("partner_id", "order_id", "fingerprint", "content", "customer_id", "label",
                 "subscription_id", "invoice_number", "run_id")


def rows_of_invoice(
    invoice: Invoice, partner_id: str, run_id: str, series: str,
    document: dict[str, Any] | None = None,
) -> tuple[tuple[Any, ...], list[tuple[Any, ...]], dict[str, Any]]:
    """An issued invoice as its `invoices` row (with the whole document, and its VAT beside
    it: none on one issued without [tax]) and its lines' rows (`INVOICE_COLUMNS`,
    `LINE_COLUMNS`); and the document (`invoice_document`, unless the caller made it
    already)."""
    number = invoice.number
    assert number is not None
    if document is None:
        document = invoice_document(invoice)
    assert document["number"] == number
    vat = document.get("vat")
    row = (
        number, series, invoice.invoice_date.year, int(number.rsplit("-", 1)[1]), partner_id,
        invoice.customer_id, invoice.kind, invoice.invoice_date, invoice.due_date,
        invoice.currency, invoice.po_number, document["total"], run_id,
        DOCUMENT_JSON(document),
        vat and vat["category"], vat and vat["rate"], vat and vat["amount"],
    )
    lines = [
        (partner_id, number, position, line.order_id,
         parse_subscription_number(line.subscription_id or ""), line.device_type, line.seats,
         line.period_start, line.period_end, shown["unit_price"], shown["list_amount"],
         shown["term_discount"], shown["partner_discount"], shown["net_amount"])
        for position, (line, shown) in enumerate(zip(invoice.lines, document["lines"],
                                                     strict=True), start=1)
    ]
    return row, lines, document


SAVE_CHUNK = 1_000  # invoices whose rows are made and stored at a time


def save_invoices(
    connection: Connection,
    partner_id: str,
    run: RunRecord,
    drafts: list[InvoiceDraft],
    invoices: list[Invoice],
    *,
    created: Mapping[tuple[str, str], int],
    series: str,
    documents: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """The invoices' rows and those of their lines, order lines, seats and new subscriptions'
    first terms; the invoices' documents, as saved (`documents`, when the caller made them
    already). The rows are made and stored a chunk of invoices at a time, each table's in
    their order: a large run never holds them all."""
    assert documents is None or len(documents) == len(invoices)
    made = documents
    documents = []
    first_terms: set[int] = set()
    for start in range(0, len(invoices), SAVE_CHUNK):
        chunk = slice(start, start + SAVE_CHUNK)
        invoice_rows: list[tuple[Any, ...]] = []
        line_rows: list[tuple[Any, ...]] = []
        order_rows: list[tuple[Any, ...]] = []
        seat_rows: list[tuple[Any, ...]] = []
        term_rows: list[tuple[Any, ...]] = []
        for at, (draft, invoice) in enumerate(zip(drafts[chunk], invoices[chunk], strict=True),
                                              start=start):
            row, lines, document = rows_of_invoice(invoice, partner_id, run.run_id, series,
                                                   made[at] if made else None)
            invoice_rows.append(row)
            line_rows.extend(lines)
            documents.append(document)
            for priced in draft.lines:
                request = priced.request
                sid = request.subscription_id
                if sid is None:
                    assert request.group is not None
                    sid = created[request.group]
                    if sid not in first_terms:
                        first_terms.add(sid)
                        term_rows.append((partner_id, sid, 0, request.term.start,
                                          request.term.end, invoice.number))
                if request.continues:  # the same order line and seats, billed for a later term
                    continue
                order = request.order
                order_rows.append((
                    partner_id, order.order_id, order.fingerprint,
                    CONTENT_JSON(order.content), order.customer_id,
                    request.group[1] if request.group else None, sid, invoice.number,
                    run.run_id,
                ))
                seat_rows.append((partner_id, sid, order.device_type, order.seats,
                                  request.effective, order.order_id))
        insert_rows(connection, t.invoices, INVOICE_COLUMNS, invoice_rows)
        insert_rows(connection, t.invoice_lines, LINE_COLUMNS, line_rows)
        insert_rows(connection, t.subscription_terms, TERM_COLUMNS, term_rows)
        insert_rows(connection, t.seats, SEAT_COLUMNS, seat_rows)
        insert_rows(connection, t.order_lines, ORDER_COLUMNS, order_rows)
    return documents


def save_changes(connection: Connection, partner_id: str, run: RunRecord,
                 changes: list[Change]) -> None:
    """The run's cancel, reduce and po lines (SPEC §11), in their order."""
    bulk_insert(connection, t.subscription_changes, [
        {"partner_id": partner_id, "order_id": change.order.order_id,
         "fingerprint": change.order.fingerprint,
         "content": CONTENT_JSON(change.order.content),
         "customer_id": change.order.customer_id, "subscription_id": change.subscription_id,
         "action": change.order.action,
         "device_type": change.order.device_type if change.order.action == "reduce" else None,
         "seats": change.order.seats if change.order.action == "reduce" else None,
         "po_number": change.order.po_number if change.order.action == "po" else None,
         "effective_date": change.effective, "cancels": change.cancels, "run_id": run.run_id}
        for change in changes
    ])


def save_renewals(connection: Connection, run: RunRecord, series: str,
                  renewals: list[Renewal], numbers: list[str]) -> None:
    """Numbered renewals: their invoices and their new terms."""
    invoice_rows: list[tuple[Any, ...]] = []
    line_rows: list[tuple[Any, ...]] = []
    term_rows: list[tuple[Any, ...]] = []
    seat_rows: list[tuple[Any, ...]] = []
    for renewal, number in zip(renewals, numbers, strict=True):
        invoice = renewal.invoice
        numbered = replace(invoice, number=number,
                           payment=invoice.payment and invoice.payment.for_number(number))
        row, lines, _ = rows_of_invoice(numbered, renewal.partner_id, run.run_id, series)
        invoice_rows.append(row)
        line_rows.extend(lines)
        term_rows.append((renewal.partner_id, renewal.subscription_id, renewal.term_index,
                          renewal.term.start, renewal.term.end, number))
        # the seats its reduce lines removed (SPEC §11) leave it from the renewed term on
        seat_rows.extend((renewal.partner_id, renewal.subscription_id, device_type, -seats,
                          renewal.term.start, None)
                         for device_type, seats in sorted(renewal.removed.items()))
    insert_rows(connection, t.invoices, INVOICE_COLUMNS, invoice_rows)
    insert_rows(connection, t.invoice_lines, LINE_COLUMNS, line_rows)
    insert_rows(connection, t.subscription_terms, TERM_COLUMNS, term_rows)
    insert_rows(connection, t.seats, SEAT_COLUMNS, seat_rows)


def save_credit_note(connection: Connection, run: RunRecord, series: str, note: Invoice, *,
                     taken: list[tuple[int, int, date, date]], changes: list[SeatChange]
                     ) -> dict[str, Any]:
    """A numbered credit note (SPEC §11): kept as an invoice of its kind, in its own series,
    with its lines; what each line took of the invoice's (`taken`: the invoice line's position,
    seats, first and last day credited, in the note's line order); the seats that leave (or
    come back to) their subscriptions. Its document, as saved."""
    assert note.number is not None and note.credits is not None
    row, lines, document = rows_of_invoice(note, note.partner_id, run.run_id, series)
    insert_rows(connection, t.invoices, INVOICE_COLUMNS, [row])
    insert_rows(connection, t.invoice_lines, LINE_COLUMNS, lines)
    bulk_insert(connection, t.credit_lines, [
        {"partner_id": note.partner_id, "credit_number": note.number, "position": position,
         "invoice_number": note.credits.invoice_number, "invoice_position": invoice_position,
         "seats": seats, "from_date": first_day, "to_date": last_day}
        for position, (invoice_position, seats, first_day, last_day)
        in enumerate(taken, start=1)])
    insert_rows(connection, t.seats, SEAT_COLUMNS, [
        (note.partner_id, change.subscription_id, change.device_type, change.seats,
         change.effective, change.order_id)
        for change in changes])
    return document
