"""`seatbatch quote`: a workbook validated and priced as `process` would, written as an
estimate; nothing recorded, no number taken."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from seatbatch.billing.invoicing import group_invoices, make_invoice
from seatbatch.billing.pricing import price_lines
from seatbatch.jobs.base import EXIT_OK, Outcome, Settings
from seatbatch.jobs.workbook_run import changes_said, customer_of, said_warnings, workbook_run
from seatbatch.ledger import Ledger
from seatbatch.output.files import QUOTE_PAGE, QUOTE_WORKBOOK, InvoiceWriter, estimate_files
from seatbatch.output.html import render
from seatbatch.output.manifest import manifest_change
from seatbatch.output.xlsx import write_quote_xlsx
from seatbatch.validation.workbook import validate


def quote(settings: Settings, workbook: Path, partner_id: str) -> Outcome:
    """Validate and price; write the estimate. No ledger change, no numbers."""
    config = settings.config
    with workbook_run(settings, "quote", workbook, partner_id) as run:
        partner = run.partner
        with Ledger.open(settings.ledger_url, write=False) as ledger:
            raw = run.read()
            view = ledger.view(partner.id)
        validation = validate(raw, config, partner, view, settings.as_of)
        if validation.rejected:
            return run.reject(validation)
        drafts = group_invoices(price_lines(validation.requests, config, partner))
        invoices = [
            make_invoice(d, None, invoice_date=settings.as_of, config=config, partner=partner,
                         customer=customer_of(validation, view, d.customer_id),
                         subscription_ids={})
            for d in drafts
        ]
        total = sum((i.total for i in invoices), Decimal(0))
        formats = config.documents.formats
        files = [estimate_files(position, formats) for position in range(1, len(invoices) + 1)]
        with InvoiceWriter(run.folder.path("invoices"), settings.progress, formats) as writer:
            writer.submit_estimates(invoices)  # PDFs in a worker, while the rest is written
            write_quote_xlsx(invoices, run.folder.path(QUOTE_WORKBOOK), partner.currency)
            run.folder.path(QUOTE_PAGE).write_text(
                render("quote.html", invoices=invoices, partner=partner, as_of=settings.as_of,
                       total=total,
                       changes=[manifest_change(c) for c in validation.changes]),
                encoding="utf-8",
            )
            writer.finish()
        changes = validation.changes
        manifest = run.manifest(
            "quoted" if invoices or changes else "duplicate",
            invoices=list(zip(invoices, files, strict=True)),
            already_processed=validation.already_processed, warnings=validation.warnings,
            changes=changes,
        )
        run.report(manifest, validation,
                   changes_said(f"{len(invoices)} estimated invoice(s)", changes,
                                "to record") + ", nothing recorded")
        return Outcome(EXIT_OK, run.folder.publish(), [], said_warnings(validation))
