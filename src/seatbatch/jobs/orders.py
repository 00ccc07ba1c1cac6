"""quote and process: one partner's order workbook, read -> validate -> price -> ledger ->
render (SPEC §6, the review and confirm steps)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from seatbatch.billing.invoicing import group_invoices, make_invoice
from seatbatch.billing.pricing import price_lines
from seatbatch.core.config import Partner
from seatbatch.core.model import Customer, Invoice, LedgerView
from seatbatch.core.sheets import RawWorkbook
from seatbatch.intake.read import read_workbook
from seatbatch.jobs.base import (
    EXIT_OK,
    EXIT_REJECTED,
    Outcome,
    Settings,
    UsageError,
    recovering,
    run_folder,
    write_summary,
)
from seatbatch.ledger import Ledger, RunRecord, StaleView
from seatbatch.output.files import BYTES_PER_INVOICE, InvoiceWriter, invoice_file
from seatbatch.output.html import render
from seatbatch.output.manifest import build_manifest
from seatbatch.output.rejected import write_rejected
from seatbatch.output.runs import RunFolder
from seatbatch.output.xlsx import write_quote_xlsx
from seatbatch.validation.workbook import Validation, validate


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _workbook(path: Path) -> Path:
    if not path.is_file():
        raise UsageError(f"no such workbook: {path}")
    return path


@dataclass(frozen=True)
class _WorkbookRun:
    """What every step of one run over a partner's workbook shares."""

    settings: Settings
    command: str
    partner: Partner
    source: Path
    sha256: str
    folder: RunFolder

    def manifest(self, status: str, **parts: Any) -> dict[str, Any]:
        return build_manifest(
            command=self.command, status=status, as_of=self.settings.as_of,
            partner_id=self.partner.id, currency=self.partner.currency,
            input_file=self.source.name, input_sha256=self.sha256, **parts,
        )

    def report(self, manifest: dict[str, Any], validation: Validation, headline: str) -> None:
        """manifest.json and summary.html."""
        write_summary(self.folder, manifest, headline, partner_name=self.partner.name,
                      coverage=validation.coverage, customer_names=validation.organizations)
        totals = manifest["totals"]
        amount = f", {totals['net_amount']} {self.partner.currency}" if totals["invoices"] else ""
        self.settings.progress.note(f"{self.source.name}: {headline}{amount}")

    def reject(self, validation: Validation) -> Outcome:
        problems = validation.problems
        given = validation.given
        write_rejected(self.source, problems, self.folder.path("rejected.xlsx"),
                       self.settings.config.device_types(self.partner.currency),
                       given.error_cells(), given.made_for)
        manifest = self.manifest("rejected", rejections=problems, warnings=validation.warnings)
        count = len(problems)
        self.report(manifest, validation, f"rejected, {count} problem{'s' if count != 1 else ''}")
        return Outcome(EXIT_REJECTED, self.folder.publish(), [p.describe() for p in problems])

    def read(self) -> RawWorkbook:
        self.settings.progress.note(f"Reading {self.source.name}")
        return read_workbook(self.source, self.settings.config.limits)

    def record(self) -> RunRecord:
        """What the ledger records of this run when it commits."""
        return RunRecord(self.folder.name, self.command, self.partner.id, self.settings.as_of,
                         self.source.name, self.sha256)


@contextmanager
def _workbook_run(settings: Settings, command: str, workbook: Path,
                  partner_id: str) -> Iterator[_WorkbookRun]:
    partner = settings.config.partner(partner_id)
    source = _workbook(workbook)
    with run_folder(settings, command, partner.id) as folder:
        yield _WorkbookRun(settings, command, partner, source, _sha256(source), folder)


def _customer_of(validation: Validation, view: LedgerView, customer_id: str) -> Customer:
    return validation.customers.get(customer_id) or view.customers[customer_id]


def quote(settings: Settings, workbook: Path, partner_id: str) -> Outcome:
    """Validate and price; write the estimate. No ledger change, no numbers."""
    config = settings.config
    with _workbook_run(settings, "quote", workbook, partner_id) as run:
        partner = run.partner
        with Ledger.open(settings.ledger_url, write=False) as ledger:
            raw = run.read()
            view = ledger.view(partner.id)
        validation = validate(raw, config, partner, view, settings.as_of)
        if validation.rejected:
            return run.reject(validation)
        drafts = group_invoices(price_lines(validation.requests, config, partner))
        invoices = [
            make_invoice(d, None, settings.as_of, config, partner,
                         _customer_of(validation, view, d.customer_id), {})
            for d in drafts
        ]
        total = sum((i.total for i in invoices), Decimal(0))
        write_quote_xlsx(invoices, run.folder.path("invoices/quote.xlsx"), partner.currency)
        run.folder.path("invoices/quote.html").write_text(
            render("quote.html", invoices=invoices, partner=partner, as_of=settings.as_of,
                   total=total),
            encoding="utf-8",
        )
        manifest = run.manifest(
            "quoted" if invoices else "duplicate",
            invoices=[(i, "invoices/quote.xlsx") for i in invoices],
            already_processed=validation.already_processed, warnings=validation.warnings,
        )
        run.report(manifest, validation,
                   f"{len(invoices)} estimated invoice(s), nothing recorded")
        return Outcome(EXIT_OK, run.folder.publish(), [])


@recovering
def process(settings: Settings, workbook: Path, partner_id: str) -> Outcome:
    """Validate, price, commit to the ledger, write invoices and the summary: read the
    workbook (SPEC §2), then against the ledger validate (§8), price (§4), assemble invoices
    (§5), commit them with their numbers and write their files (§7)."""
    with (_workbook_run(settings, "process", workbook, partner_id) as run,
          InvoiceWriter(run.folder.staging / "invoices", settings.progress) as writer):
        writer.prepare(run.source.stat().st_size // BYTES_PER_INVOICE)
        with Ledger.open(settings.ledger_url, write=True) as ledger:
            raw = run.read()
            try:  # the first try validates outside any lock, as most runs meet no other
                validation, invoices = _issue(run, raw, ledger, writer)
            except StaleView:  # another run committed for the partner meanwhile: wait for it
                with ledger.holding(run.partner.id) as held:
                    validation, invoices = _issue(run, raw, held, writer)
        if validation.rejected:
            return run.reject(validation)
        manifest = run.manifest(
            "committed" if invoices else "duplicate",
            invoices=[(i, invoice_file(i)) for i in invoices],
            already_processed=validation.already_processed, warnings=validation.warnings,
        )
        run.report(manifest, validation,
                   f"{len(invoices)} invoice(s) issued" if invoices
                   else "nothing new: every line was already processed")
        writer.finish()
        return Outcome(EXIT_OK, run.folder.publish(), [])


def _issue(run: _WorkbookRun, raw: RawWorkbook, ledger: Ledger, writer: InvoiceWriter
           ) -> tuple[Validation, list[Invoice]]:
    """Validate the workbook against the ledger as it is now, price and assemble its invoices,
    and commit them in one unit of work: numbered, written (invisibly until the commit holds)
    and saved. StaleView when another run's commit since the ledger was read touched what the
    validation read."""
    settings, config, partner = run.settings, run.settings.config, run.partner
    view = ledger.view(partner.id)
    validation = validate(raw, config, partner, view, settings.as_of)
    if validation.rejected:
        return validation, []
    drafts = group_invoices(price_lines(validation.requests, config, partner))
    writer.prepare(len(drafts))
    if not drafts:
        return validation, []
    with ledger.committing(view, validation.read_set, run.record()) as tx:
        tx.save_run(validation.customers, validation.devices)
        numbered = tx.number(config.issuer.invoice_prefix, partner.currency, drafts)
        invoices = [
            make_invoice(draft, number, settings.as_of, config, partner,
                         _customer_of(validation, view, draft.customer_id),
                         numbered.subscription_ids)
            for draft, number in zip(drafts, numbered.numbers, strict=True)
        ]
        writer.submit(invoices)
        tx.save_invoices(drafts, invoices)
    return validation, invoices
