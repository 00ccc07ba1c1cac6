"""`seatbatch process`: a partner's order workbook read, validated, priced, committed to the
ledger and written as invoices (SPEC §2 to §7)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from seatbatch.billing.invoicing import group_invoices, make_invoices
from seatbatch.billing.pricing import price_lines
from seatbatch.core.documents import invoice_document
from seatbatch.core.model import Invoice
from seatbatch.core.sheets import RawWorkbook
from seatbatch.jobs.base import EXIT_OK, Outcome, Settings, issued_from, refuse_half_valid
from seatbatch.jobs.recovery import recovering
from seatbatch.jobs.workbook_run import (
    WorkbookRun,
    changes_said,
    customer_of,
    said_warnings,
    workbook_run,
)
from seatbatch.ledger import StaleView
from seatbatch.ledger.behind import closing_behind
from seatbatch.output.files import (
    BYTES_PER_INVOICE,
    CHUNK,
    InvoiceWriter,
    einvoice_lacks,
    invoice_files,
)
from seatbatch.output.html import prepare as prepare_templates

if TYPE_CHECKING:
    from seatbatch.ledger import Ledger
    from seatbatch.validation.workbook import SheetsChecked, Validation


@recovering
def process(settings: Settings, workbook: Path, partner_id: str) -> Outcome:
    """Validate, price, commit to the ledger, write invoices and the summary: read the
    workbook (SPEC §2), then against the ledger validate (§8), price (§4), assemble invoices
    (§5), commit them with their numbers and write their files (§7)."""
    # the ledger, once committed, is closed behind the run (the copy of its WAL into its
    # file), which waits for that as it leaves this block: before the run's folder is let go
    with (workbook_run(settings, "process", workbook, partner_id) as run,
          InvoiceWriter(run.folder.staging / "invoices", settings.progress,
                        settings.config.documents.formats) as writer,
          closing_behind()):
        writer.prepare(run.source.stat().st_size // BYTES_PER_INVOICE)
        # A large workbook is read by the workers (they start small, before pandas, the
        # ledger's SQLAlchemy and the rest load here, and wait for invoices anyway) while this
        # process imports pandas and pandera, which validating needs, has pandera ready its
        # backends, compiles the summary's template, and checks the sheets read first while
        # the devices, the largest, are still being read.
        reading = run.reading(writer)
        from seatbatch.ledger import Ledger
        from seatbatch.validation.schema import prepare
        from seatbatch.validation.workbook import check_sheets

        prepare()
        prepare_templates("summary.html")
        with Ledger.open(settings.ledger_url, write=True) as ledger:
            checked = check_sheets(reading.first(), settings.config, run.partner)
            raw = reading()
            try:  # the first try validates outside any lock, as most runs meet no other
                validation, invoices, documents = _issue(run, raw, ledger, writer, checked)
            except StaleView:  # another run committed for the partner meanwhile: wait for it
                with ledger.holding(run.partner.id) as held:
                    validation, invoices, documents = _issue(run, raw, held, writer, checked)
        if validation.rejected:
            return run.reject(validation)
        changes = validation.changes
        manifest = run.manifest(
            "committed" if invoices or changes else "duplicate",
            invoices=[(i, invoice_files(i, writer.formats)) for i in invoices], documents=documents,
            already_processed=validation.already_processed, warnings=validation.warnings,
            changes=changes,
        )
        run.report(manifest, validation,
                   changes_said(f"{len(invoices)} invoice(s) issued", changes)
                   if invoices or changes else "nothing new: every line was already processed")
        writer.finish()
        return Outcome(EXIT_OK, run.folder.publish(), [], said_warnings(validation),
                       issued=issued_from(manifest))


def _issue(run: WorkbookRun, raw: RawWorkbook, ledger: Ledger, writer: InvoiceWriter,
           checked: SheetsChecked) -> tuple[Validation, list[Invoice], list[dict[str, Any]]]:
    """Validate the workbook (`checked`: some of its sheets checked already) against the
    ledger as it is now, price and assemble its invoices, and commit them in one unit of work:
    numbered, written (invisibly until the commit holds) and saved. StaleView when another
    run's commit since the ledger was read touched what the validation read."""
    from seatbatch.validation.workbook import validate  # imported by `process` already

    settings, config, partner = run.settings, run.settings.config, run.partner
    view = ledger.view(partner.id)
    validation = validate(raw, config, partner, view, settings.as_of, done=checked)
    if validation.rejected:
        return validation, [], []
    drafts = group_invoices(price_lines(validation.requests, config, partner))
    writer.prepare(len(drafts))
    if not drafts and not validation.changes:
        return validation, [], []
    with ledger.committing(view, validation.read_set, run.record()) as tx:
        tx.save_run(validation.customers, validation.devices)
        tx.save_changes(validation.changes)
        if not drafts:
            return validation, [], []
        numbered = tx.number(config.issuer.invoice_prefix, partner.currency, drafts)
        # the invoices and the documents the ledger keeps of them, made once, a chunk at a
        # time: the workers write the files from the documents, starting on the first chunk
        # while the rest are made. A chunk with an invoice that could not be a valid e-invoice
        # is not sent, nor any after it: the run is refused below, naming them all.
        invoices: list[Invoice] = []
        documents: list[dict[str, Any]] = []
        half_valid = False
        for start in range(0, len(drafts), CHUNK):
            made = make_invoices(
                ((draft, number, customer_of(validation, view, draft.customer_id))
                 for draft, number in zip(drafts[start:start + CHUNK],
                                          numbered.numbers[start:start + CHUNK], strict=True)),
                invoice_date=settings.as_of, config=config, partner=partner,
                subscription_ids=numbered.subscription_ids)
            invoices += made
            half_valid = half_valid or bool(einvoice_lacks(made, writer.formats))
            if not half_valid:
                chunk = [invoice_document(invoice) for invoice in made]
                writer.submit(made, chunk)
                documents += chunk
        if half_valid:
            refuse_half_valid(invoices, config, writer.formats)
        documents = tx.save_invoices(drafts, invoices, documents)
    return validation, invoices, documents
