"""render NUMBER: an issued invoice written again from the ledger alone."""

from __future__ import annotations

from seatbatch.jobs.base import (
    EXIT_OK,
    Outcome,
    Settings,
    UsageError,
    issued_without_vat,
    run_folder,
    write_summary,
)
from seatbatch.ledger import Ledger, display_url
from seatbatch.output.files import InvoiceWriter, invoice_files
from seatbatch.output.manifest import build_manifest


def render_invoice(settings: Settings, number: str) -> Outcome:
    """Write an issued invoice again, from the ledger alone, into a new run folder."""
    with Ledger.open(settings.ledger_url, write=False) as ledger:
        invoice = ledger.invoice(number.strip())
    if invoice is None:
        raise UsageError(f"no invoice {number!r} in the ledger {display_url(settings.ledger_url)}")
    assert invoice.number is not None
    formats = settings.config.documents.formats
    warnings = issued_without_vat(settings.config, invoice, invoice.number)
    files = invoice_files(invoice, formats)
    with (run_folder(settings, "render", invoice.partner_id) as folder,
          InvoiceWriter(folder.staging / "invoices", settings.progress,
                        formats) as writer):
        writer.submit([invoice])
        writer.finish()
        manifest = build_manifest(
            command="render", status="rendered", as_of=settings.as_of,
            partner_id=invoice.partner_id, currency=invoice.currency, input_file=None,
            input_sha256=None, invoices=[(invoice, files)], warnings=warnings,
        )
        write_summary(folder, manifest, f"{invoice.number} again",
                      partner_name=invoice.bill_to.name, coverage=[],
                      customer_names={invoice.customer_id: invoice.customer_name})
        return Outcome(EXIT_OK, folder.publish(), [])
