"""`seatbatch credit NUMBER`: a credit note against an issued invoice, for finance (SPEC §11):
what is asked of its lines checked against what earlier credit notes took, priced by the
lines' own prices and rates, numbered in its own series, committed and written like an
invoice."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from itertools import groupby
from typing import TYPE_CHECKING, Any

from seatbatch.billing.credits import (
    CreditRequest,
    Refunded,
    Taken,
    credit_note,
    plan_credit,
    seat_changes,
    subscription_ids,
)
from seatbatch.core.model import Invoice
from seatbatch.jobs.base import (
    EXIT_OK,
    EXIT_REJECTED,
    Outcome,
    Settings,
    UsageError,
    config_warnings,
    issued_from,
    issued_without_vat,
    net_said,
    refuse_half_valid,
    run_folder,
    write_summary,
)
from seatbatch.jobs.recovery import recovering
from seatbatch.ledger import Ledger, RunRecord, display_url
from seatbatch.output.files import InvoiceWriter, formats_written, invoice_files
from seatbatch.output.manifest import build_manifest

if TYPE_CHECKING:
    from seatbatch.core.problems import Problem
    from seatbatch.ledger import Crediting
    from seatbatch.output.runs import RunFolder


@dataclass(frozen=True)
class _Issued:
    note: Invoice
    document: dict[str, Any]


@recovering
def credit(settings: Settings, request: CreditRequest) -> Outcome:
    """Issue the credit note `request` asks against an issued invoice. Exit 1, nothing
    committed and no number taken, when it asks more than is left, a day outside a line's
    service period or a line the invoice does not have; exit 2 for an unknown invoice or a
    run date before it."""
    request = replace(request, invoice_number=request.invoice_number.strip(),
                      reason=request.reason.strip())
    number = request.invoice_number
    if not request.reason:
        raise UsageError("--reason is empty: say why the invoice is credited")
    # a missing ledger is not made just to say that it holds no such invoice
    with Ledger.open(settings.ledger_url, write=True, create=False) as ledger:
        invoice = ledger.invoice(number)
        if invoice is None or invoice.number is None:
            raise UsageError(f"no invoice {number!r} in the ledger "
                             f"{display_url(settings.ledger_url)}")
        # the number as issued, however it was typed: what earlier credit notes took of the
        # invoice is found by it
        number = invoice.number
        request = replace(request, invoice_number=number)
        if invoice.is_credit_note:
            raise UsageError(f"{number} is a credit note: credit the invoice it credits, "
                             f"{invoice.credits and invoice.credits.invoice_number}")
        if settings.as_of < invoice.invoice_date:
            raise UsageError(
                f"a credit note is dated on the run date ({settings.as_of.isoformat()}), never "
                f"before the invoice it credits: {number} is dated "
                f"{invoice.invoice_date.isoformat()}; give --as-of on or after it")
        warnings = issued_without_vat(settings.config, invoice, f"the credit note of {number}")
        formats = settings.config.documents.formats
        with (run_folder(settings, "credit", invoice.partner_id) as folder,
              InvoiceWriter(folder.staging / "invoices", settings.progress, formats) as writer):
            record = RunRecord(folder.name, "credit", invoice.partner_id, settings.as_of,
                               None, None)
            with ledger.crediting(invoice.partner_id, record) as tx:
                issued = _issue(settings, tx, invoice, request, writer)
            if not isinstance(issued, _Issued):
                return _rejected(settings, folder, invoice, issued)
            note, document = issued.note, issued.document
            manifest = build_manifest(
                command="credit", status="committed", as_of=settings.as_of,
                partner_id=note.partner_id, currency=note.currency, input_file=None,
                input_sha256=None, invoices=[(note, invoice_files(note, writer.formats))],
                documents=[document], warnings=warnings)
            headline = f"{note.number} credits {number}"
            write_summary(folder, manifest, headline, partner_name=note.bill_to.name,
                          coverage=[], customer_names={note.customer_id: note.customer_name})
            settings.progress.note(f"{headline}: {net_said(manifest['totals'], note.currency)}")
            writer.finish()
            return Outcome(EXIT_OK, folder.publish(), [], issued=issued_from(manifest))


def _issue(settings: Settings, tx: Crediting, invoice: Invoice, request: CreditRequest,
           writer: InvoiceWriter) -> _Issued | tuple[Problem, ...]:
    """Under the partner's lock: the credit planned against the invoice (issued, never changed)
    and what earlier credit notes took of it as the ledger holds them now, and issued; or the
    problems that reject it (nothing taken, nothing saved)."""
    config, number, reason = settings.config, request.invoice_number, request.reason
    taken, refunded = _taken(tx, number)
    plan = plan_credit(invoice, request.lines, request.first_day, taken, config.term_discounts,
                       refunded=refunded)
    if plan.problems:
        return plan.problems
    draft = credit_note(invoice, plan, number=None, credit_date=settings.as_of, reason=reason)
    refuse_half_valid([draft], config, formats_written(draft, writer.formats))
    note = replace(draft, number=tx.number(config.issuer.credit_note_prefix))
    writer.submit([note])
    changes = seat_changes(plan, tx.latest_ends(subscription_ids(plan)))
    document = tx.save(note, [(c.position, c.seats, c.first_day, c.last_day)
                              for c in plan.lines], changes)
    return _Issued(note, document)


def _taken(tx: Crediting, number: str) -> tuple[list[Taken], Refunded]:
    """What earlier credit notes took of the invoice's lines (each its seats over the days it
    credited) and gave back in all, net and VAT."""
    taken: list[Taken] = []
    net = vat = Decimal(0)
    for credit_number, rows in groupby(tx.taken(number), key=lambda row: row.credit_number):
        note = tx.invoice(credit_number)
        assert note is not None  # a credit line's note is in the ledger (a foreign key)
        net += note.total
        vat += note.vat.amount if note.vat is not None else Decimal(0)
        taken.extend(Taken(row.position, row.seats, credit_number, row.first_day, row.last_day)
                     for row in rows)
    return taken, Refunded(net, vat)


def _rejected(settings: Settings, folder: RunFolder, invoice: Invoice,
              problems: tuple[Problem, ...]) -> Outcome:
    manifest = build_manifest(
        command="credit", status="rejected", as_of=settings.as_of,
        partner_id=invoice.partner_id, currency=invoice.currency, input_file=None,
        input_sha256=None, rejections=problems, warnings=config_warnings(settings.config))
    count = len(problems)
    write_summary(folder, manifest, f"credit of {invoice.number} rejected, {count} "
                  f"problem{'s' if count != 1 else ''}", partner_name=invoice.bill_to.name,
                  coverage=[], customer_names={invoice.customer_id: invoice.customer_name})
    return Outcome(EXIT_REJECTED, folder.publish(),
                   [f"{p.column}: {p.message}" for p in problems])
