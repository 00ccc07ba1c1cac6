"""The orchestrators: one short function per command, reading like SPEC.md:
read -> validate -> price -> ledger -> render."""

from __future__ import annotations

import hashlib
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from seatbatch.config import Config, ConfigError, Partner
from seatbatch.invoicing import group_invoices, make_invoice
from seatbatch.ledger import (
    InvoiceDateBackwards,
    Ledger,
    LedgerBusy,
    LedgerError,
    RunRecord,
    StaleView,
)
from seatbatch.model import Customer, Invoice, InvoiceDraft, LedgerView
from seatbatch.pricing import price_lines
from seatbatch.progress import Progress
from seatbatch.render.files import BYTES_PER_INVOICE, InvoiceWriter, invoice_file
from seatbatch.render.html import render
from seatbatch.render.manifest import build_manifest, write_manifest
from seatbatch.render.rejected import write_rejected
from seatbatch.render.xlsx import write_quote_xlsx
from seatbatch.runs import RunFolder
from seatbatch.validate.workbook import Validation, validate
from seatbatch.workbook.read import read_workbook

EXIT_OK = 0
EXIT_REJECTED = 1
STALE_RETRIES = 5


class UsageError(Exception):
    """The command was asked for something it cannot do (exit 2)."""


class InternalError(Exception):
    """A bug or an unforeseen failure; the traceback is kept in `log`."""

    def __init__(self, summary: str, log: Path):
        super().__init__(summary)
        self.log = log


@dataclass(frozen=True)
class Settings:
    config: Config
    ledger_url: str
    as_of: date
    out: Path
    progress: Progress = field(default_factory=Progress)


@dataclass(frozen=True)
class Outcome:
    exit_code: int
    folder: Path
    messages: list[str]  # for stderr: every rejection reason


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


@contextmanager
def _run_folder(settings: Settings, command: str, partner_id: str | None) -> Iterator[RunFolder]:
    """A staged run folder: discarded on a known failure; on an unforeseen one it keeps the
    traceback in error.log and the failure becomes an InternalError naming that file."""
    try:
        run = RunFolder(settings.out, command, partner_id)
    except OSError as error:
        raise UsageError(f"cannot make a run folder in {settings.out}: {error.strerror}") from None
    try:
        yield run
    except (UsageError, ConfigError, LedgerBusy, LedgerError, InvoiceDateBackwards):
        run.discard()
        raise
    except Exception as error:
        log = run.staging / "error.log"
        log.write_text(traceback.format_exc(), encoding="utf-8")
        summary = f"{type(error).__name__}: {error}".splitlines()[0][:300]
        raise InternalError(summary, log) from error


def _write_summary(run: RunFolder, manifest: dict[str, Any], validation: Validation | None,
                   partner: Partner, headline: str) -> None:
    html = render(
        "summary.html", manifest=manifest, headline=headline, partner_name=partner.name,
        coverage=validation.coverage if validation else [],
        customer_names=validation.organizations if validation else {},
    )
    run.path("summary.html").write_text(html, encoding="utf-8")


def _finish(run: RunFolder, manifest: dict[str, Any], validation: Validation | None,
            partner: Partner, headline: str) -> Path:
    write_manifest(manifest, run.path("manifest.json"))
    _write_summary(run, manifest, validation, partner, headline)
    return run.publish()


def _reject(run: RunFolder, source: Path, sha: str, settings: Settings, command: str,
            partner: Partner, problems: list[Any], validation: Validation | None) -> Outcome:
    write_rejected(source, problems, run.path("rejected.xlsx"))
    manifest = build_manifest(
        command=command, status="rejected", as_of=settings.as_of, partner_id=partner.id,
        currency=partner.currency, input_file=source.name, input_sha256=sha,
        rejections=problems, warnings=validation.warnings if validation else [],
    )
    count = len(problems)
    folder = _finish(run, manifest, validation, partner,
                     f"rejected, {count} problem{'s' if count != 1 else ''}")
    return Outcome(EXIT_REJECTED, folder, [p.describe() for p in problems])


def _check(settings: Settings, ledger: Ledger, source: Path, partner: Partner,
           ) -> Callable[[], tuple[LedgerView, Validation]]:
    """Read once; validate against a fresh view of the ledger each time it is called."""
    settings.progress.note(f"Reading {source.name}")
    raw = read_workbook(source, settings.config.limits)

    def against_ledger() -> tuple[LedgerView, Validation]:
        view = ledger.view(partner.id)
        return view, validate(raw, settings.config, partner, view, settings.as_of)

    return against_ledger


def _customer_of(validation: Validation, view: LedgerView, customer_id: str) -> Customer:
    return validation.customers.get(customer_id) or view.customers[customer_id]


def quote(settings: Settings, workbook: Path, partner_id: str) -> Outcome:
    """Validate and price; write the estimate. No ledger change, no numbers."""
    config = settings.config
    partner = config.partner(partner_id)
    source = _workbook(workbook)
    with _run_folder(settings, "quote", partner.id) as run:
        sha = _sha256(source)
        ledger = Ledger.open(settings.ledger_url, create=False)
        try:
            view, validation = _check(settings, ledger, source, partner)()
        finally:
            ledger.close()
        if validation.rejected:
            return _reject(run, source, sha, settings, "quote", partner, validation.problems,
                           validation)
        drafts = group_invoices(price_lines(validation.requests, config, partner))
        invoices = [
            make_invoice(d, None, settings.as_of, config, partner,
                         _customer_of(validation, view, d.customer_id), {})
            for d in drafts
        ]
        total = sum((i.total for i in invoices), Decimal(0))
        write_quote_xlsx(invoices, run.path("invoices/quote.xlsx"), partner.currency)
        run.path("invoices/quote.html").write_text(
            render("quote.html", invoices=invoices, partner=partner, as_of=settings.as_of,
                   total=total),
            encoding="utf-8",
        )
        status = "quoted" if invoices else "duplicate"
        manifest = build_manifest(
            command="quote", status=status, as_of=settings.as_of, partner_id=partner.id,
            currency=partner.currency, input_file=source.name, input_sha256=sha,
            invoices=[(i, "invoices/quote.xlsx") for i in invoices],
            already_processed=validation.already_processed, warnings=validation.warnings,
        )
        folder = _finish(run, manifest, validation, partner,
                         f"{len(invoices)} estimated invoice(s), nothing recorded")
        return Outcome(EXIT_OK, folder, [])


def process(settings: Settings, workbook: Path, partner_id: str) -> Outcome:
    """Validate, price, commit to the ledger, write invoices and the summary."""
    config = settings.config
    partner = config.partner(partner_id)
    source = _workbook(workbook)
    with (_run_folder(settings, "process", partner.id) as run,
          InvoiceWriter(run.staging / "invoices", settings.progress) as writer):
        sha = _sha256(source)
        writer.prepare(source.stat().st_size // BYTES_PER_INVOICE)
        ledger = Ledger.open(settings.ledger_url, create=True)
        try:
            check = _check(settings, ledger, source, partner)
            for _attempt in range(STALE_RETRIES):
                view, validation = check()
                if validation.rejected:
                    return _reject(run, source, sha, settings, "process", partner,
                                   validation.problems, validation)
                drafts = group_invoices(price_lines(validation.requests, config, partner))
                writer.prepare(len(drafts))
                if not drafts:
                    invoices: list[Invoice] = []
                    break
                try:
                    invoices = _commit(settings, ledger, view, validation, drafts, run,
                                       partner, source, sha, writer.submit)
                    break
                except StaleView:
                    continue
            else:
                raise LedgerBusy("the partner's data kept changing under this run")
        finally:
            ledger.close()
        manifest = build_manifest(
            command="process", status="committed" if invoices else "duplicate",
            as_of=settings.as_of, partner_id=partner.id, currency=partner.currency,
            input_file=source.name, input_sha256=sha,
            invoices=[(i, invoice_file(i)) for i in invoices],
            already_processed=validation.already_processed, warnings=validation.warnings,
        )
        headline = (f"{len(invoices)} invoice(s) issued" if invoices
                    else "nothing new: every line was already processed")
        write_manifest(manifest, run.path("manifest.json"))
        _write_summary(run, manifest, validation, partner, headline)
        writer.finish()
        return Outcome(EXIT_OK, run.publish(), [])


def _commit(settings: Settings, ledger: Ledger, view: LedgerView, validation: Validation,
            drafts: list[InvoiceDraft], run: RunFolder, partner: Partner, source: Path,
            sha: str, on_numbered: Callable[[list[Invoice]], None]) -> list[Invoice]:
    config = settings.config

    def build(draft: InvoiceDraft, number: str, created: Any) -> Invoice:
        customer = _customer_of(validation, view, draft.customer_id)
        return make_invoice(draft, number, settings.as_of, config, partner, customer, created)

    record = RunRecord(run.name, "process", partner.id, settings.as_of, source.name, sha,
                       run.name)
    return ledger.commit(view, record, config.issuer.invoice_prefix, partner.currency,
                         validation.customers, validation.devices, drafts, build, on_numbered)
