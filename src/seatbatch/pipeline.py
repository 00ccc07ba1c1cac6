"""The orchestrators: one short function per command, reading like SPEC.md:
read -> validate -> price -> ledger -> render."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from seatbatch.config import Config, ConfigError, Partner
from seatbatch.documents import manifest_entry
from seatbatch.invoicing import group_invoices, make_invoice
from seatbatch.ledger import (
    InvoiceDateBackwards,
    Ledger,
    LedgerBusy,
    LedgerError,
    RunRecord,
    StaleView,
    display_url,
)
from seatbatch.model import Customer, Invoice, InvoiceDraft, LedgerView
from seatbatch.money import format_amount
from seatbatch.pricing import price_lines
from seatbatch.problems import Code, problem
from seatbatch.progress import Progress
from seatbatch.render.chart import bar_chart
from seatbatch.render.files import (
    BYTES_PER_INVOICE,
    CHUNK,
    InvoiceWriter,
    invoice_file,
    invoice_file_of,
)
from seatbatch.render.html import render, write_rendered
from seatbatch.render.manifest import ManifestWriter, build_manifest, write_manifest
from seatbatch.render.rejected import write_rejected
from seatbatch.render.report_xlsx import write_report_xlsx
from seatbatch.render.xlsx import write_quote_xlsx
from seatbatch.renewals import Renewal, due_renewals
from seatbatch.report import build_report, manifest_part, month_bounds, next_month
from seatbatch.runs import RunFolder, abandoned
from seatbatch.validate.rules import Coverage
from seatbatch.validate.workbook import Validation, validate
from seatbatch.workbook.read import read_workbook
from seatbatch.workbook.template import build_template

EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 70  # EX_SOFTWARE: neither "input rejected" (1) nor "usage" (2)
EXIT_BUSY = 75
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
    warnings: list[str] = field(default_factory=list)  # for stderr too


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


def _report(folder: RunFolder, manifest: dict[str, Any], headline: str, *,
            partner_name: str | None, coverage: Sequence[Coverage],
            customer_names: Mapping[str, str]) -> None:
    """A run's manifest.json and its summary.html for people."""
    write_manifest(manifest, folder.path("manifest.json"))
    html = render("summary.html", manifest=manifest, headline=headline,
                  partner_name=partner_name, coverage=coverage, customer_names=customer_names)
    folder.path("summary.html").write_text(html, encoding="utf-8")


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
        _report(self.folder, manifest, headline, partner_name=self.partner.name,
                coverage=validation.coverage, customer_names=validation.organizations)
        totals = manifest["totals"]
        amount = f", {totals['net_amount']} {self.partner.currency}" if totals["invoices"] else ""
        self.settings.progress.note(f"{self.source.name}: {headline}{amount}")

    def reject(self, validation: Validation) -> Outcome:
        problems = validation.problems
        write_rejected(self.source, problems, self.folder.path("rejected.xlsx"))
        manifest = self.manifest("rejected", rejections=problems, warnings=validation.warnings)
        count = len(problems)
        self.report(manifest, validation, f"rejected, {count} problem{'s' if count != 1 else ''}")
        return Outcome(EXIT_REJECTED, self.folder.publish(), [p.describe() for p in problems])

    def read(self, ledger: Ledger) -> Callable[[], tuple[LedgerView, Validation]]:
        """Read the workbook once; validate it against a fresh view of the ledger each time
        the result is called."""
        self.settings.progress.note(f"Reading {self.source.name}")
        raw = read_workbook(self.source, self.settings.config.limits)

        def against_ledger() -> tuple[LedgerView, Validation]:
            view = ledger.view(self.partner.id)
            return view, validate(raw, self.settings.config, self.partner, view,
                                  self.settings.as_of)

        return against_ledger


@contextmanager
def _workbook_run(settings: Settings, command: str, workbook: Path,
                  partner_id: str) -> Iterator[_WorkbookRun]:
    partner = settings.config.partner(partner_id)
    source = _workbook(workbook)
    with _run_folder(settings, command, partner.id) as folder:
        yield _WorkbookRun(settings, command, partner, source, _sha256(source), folder)


def _customer_of(validation: Validation, view: LedgerView, customer_id: str) -> Customer:
    return validation.customers.get(customer_id) or view.customers[customer_id]


def quote(settings: Settings, workbook: Path, partner_id: str) -> Outcome:
    """Validate and price; write the estimate. No ledger change, no numbers."""
    config = settings.config
    with _workbook_run(settings, "quote", workbook, partner_id) as run:
        partner = run.partner
        ledger = Ledger.open(settings.ledger_url, create=False)
        try:
            view, validation = run.read(ledger)()
        finally:
            ledger.close()
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


def _recovering(command: Callable[..., Outcome]) -> Callable[..., Outcome]:
    """A committing command first finishes what killed runs left in its --out (SPEC §8)."""

    @functools.wraps(command)
    def run(settings: Settings, *args: Any) -> Outcome:
        recovered = recover_runs(settings)
        outcome = command(settings, *args)
        notes = [f"the folder of a run stopped before it finished was written again from the "
                 f"ledger: {folder}" for folder in recovered]
        return dataclasses.replace(outcome, warnings=notes + outcome.warnings)

    return run


@_recovering
def process(settings: Settings, workbook: Path, partner_id: str) -> Outcome:
    """Validate, price, commit to the ledger, write invoices and the summary."""
    config = settings.config
    with (_workbook_run(settings, "process", workbook, partner_id) as run,
          InvoiceWriter(run.folder.staging / "invoices", settings.progress) as writer):
        partner = run.partner
        writer.prepare(run.source.stat().st_size // BYTES_PER_INVOICE)
        ledger = Ledger.open(settings.ledger_url, create=True)
        try:
            check = run.read(ledger)
            for _attempt in range(STALE_RETRIES):
                view, validation = check()
                if validation.rejected:
                    return run.reject(validation)
                drafts = group_invoices(price_lines(validation.requests, config, partner))
                writer.prepare(len(drafts))
                if not drafts:
                    invoices: list[Invoice] = []
                    break
                try:
                    invoices = _commit(run, ledger, view, validation, drafts, writer.submit)
                    break
                except StaleView:
                    continue
            else:
                raise LedgerBusy("the partner's data kept changing under this run")
        finally:
            ledger.close()
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


def render_invoice(settings: Settings, number: str) -> Outcome:
    """Write an issued invoice again, from the ledger alone, into a new run folder."""
    ledger = Ledger.open(settings.ledger_url, create=False)
    try:
        invoice = ledger.invoice(number.strip())
    finally:
        ledger.close()
    if invoice is None:
        raise UsageError(f"no invoice {number!r} in the ledger {display_url(settings.ledger_url)}")
    assert invoice.number is not None
    with (_run_folder(settings, "render", invoice.partner_id) as folder,
          InvoiceWriter(folder.staging / "invoices", settings.progress) as writer):
        writer.submit([invoice])
        writer.finish()
        manifest = build_manifest(
            command="render", status="rendered", as_of=settings.as_of,
            partner_id=invoice.partner_id, currency=invoice.currency, input_file=None,
            input_sha256=None, invoices=[(invoice, invoice_file(invoice))],
        )
        _report(folder, manifest, f"{invoice.number} again", partner_name=invoice.bill_to.name,
                coverage=[], customer_names={invoice.customer_id: invoice.customer_name})
        return Outcome(EXIT_OK, folder.publish(), [])


def template(settings: Settings, target: Path, partner_id: str | None) -> Path:
    """A blank order workbook; with a partner, pre-filled with what the ledger knows of it."""
    config = settings.config
    if target.exists():
        raise UsageError(f"{target} exists already; name a new file")
    customers: list[dict[str, Any]] = []
    devices: list[dict[str, Any]] = []
    subscriptions: list[dict[str, Any]] = []
    if partner_id is None:
        device_types = config.device_types()
    else:
        partner = config.partner(partner_id)
        device_types = config.device_types(partner.currency)
        ledger = Ledger.open(settings.ledger_url, create=False)
        try:
            view = ledger.view(partner.id)
            known_devices = ledger.devices(partner.id)
        finally:
            ledger.close()
        customers = [
            {"customer_id": c.customer_id, "organization": c.organization,
             "country": c.country, "contact_email": c.contact_email}
            for c in sorted(view.customers.values(), key=lambda c: c.customer_id)
        ]
        devices = [
            {"customer_id": d.customer_id, "serial_number": d.serial_number,
             "device_type": d.device_type, "deployed_on": d.deployed_on,
             "location": d.location}
            for d in known_devices
        ]
        subscriptions = [
            {"subscription": s.number, "customer_id": s.customer_id,
             "term_years": s.term_years, "started": s.start_date,
             "last_day": s.terms[-1].last_day, "po_number": s.po_number or "",
             "seats": ", ".join(f"{k}: {v}" for k, v in sorted(s.seats.items()))}
            for s in sorted(view.subscriptions.values(), key=lambda s: s.id)
        ]
    book = build_template(device_types, settings.as_of, customers, devices, subscriptions)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.part")
    try:
        book.save(staging)
        staging.rename(target)
    finally:
        staging.unlink(missing_ok=True)
    return target.absolute()


@_recovering
def renew(settings: Settings, year: int, month: int) -> Outcome:
    """Renewal terms and invoices for every subscription whose term ends in the month."""
    config = settings.config
    latest = next_month(settings.as_of.year, settings.as_of.month)
    if (year, month) > latest:
        # issued numbers cannot be withdrawn: a mistyped year must not bill a year early
        raise UsageError(
            f"--month {year:04d}-{month:02d} is too far ahead of the run date "
            f"{settings.as_of.isoformat()}: renew takes at most the next month "
            f"({latest[0]:04d}-{latest[1]:02d}); check the month, or give --as-of")

    def price(view: LedgerView) -> list[Renewal]:
        return due_renewals(view, config, config.partners[view.partner_id], year, month,
                            settings.as_of)

    with (_run_folder(settings, "renew", None) as folder,
          InvoiceWriter(folder.staging / "invoices", settings.progress) as writer):
        ledger = Ledger.open(settings.ledger_url, create=False)
        try:
            for _attempt in range(STALE_RETRIES):
                versions: dict[str, int] = {}
                expected = 0
                warnings: list[str] = []
                for partner_id in ledger.partners_with_subscriptions():
                    if partner_id not in config.partners:
                        warnings.append(f"partner {partner_id} has subscriptions in the ledger "
                                        "but is not configured; its renewals were skipped")
                        continue
                    versions[partner_id], due = ledger.due(partner_id, year, month)
                    expected += due
                writer.prepare(expected)
                if not expected:
                    issued: dict[str, list[str]] = {}
                    break
                record = RunRecord(folder.name, "renew", None, settings.as_of, None, None)
                try:
                    issued = ledger.commit_renewals(versions, record,
                                                    config.issuer.invoice_prefix, year, month,
                                                    price)
                    break
                except StaleView:
                    continue
            else:
                raise LedgerBusy("subscriptions kept changing under this renewal run")
            headline = _renewal_files(ledger, folder, writer, issued, settings, year, month)
        finally:
            ledger.close()
        settings.progress.note(headline)
        return Outcome(EXIT_OK, folder.publish(), [], warnings)


class _Issued:
    """A renewal run's invoices as its manifest lists them, read again from the ledger each
    time they are iterated: the summary page asks for them once, as it writes their rows."""

    def __init__(self, ledger: Ledger, numbers: list[str], with_currency: bool):
        self.ledger, self.numbers, self.with_currency = ledger, numbers, with_currency

    def __bool__(self) -> bool:
        return bool(self.numbers)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for start in range(0, len(self.numbers), CHUNK):
            for text in self.ledger.documents(self.numbers[start:start + CHUNK]):
                document = json.loads(text)
                yield manifest_entry(document, invoice_file_of(document["number"]),
                                     with_currency=self.with_currency)


def _renewal_files(ledger: Ledger, folder: RunFolder, writer: InvoiceWriter,
                   issued: dict[str, list[str]], settings: Settings, year: int, month: int,
                   ) -> str:
    """A committed renewal run's files. Returns the headline."""
    numbers = [number for each in issued.values() for number in each]
    currencies = {settings.config.partners[partner_id].currency for partner_id in issued}
    manifest = build_manifest(
        command="renew", status="committed" if numbers else "nothing_due",
        as_of=settings.as_of, partner_id=None,
        currency=next(iter(currencies)) if len(currencies) == 1 else None, input_file=None,
        input_sha256=None,
    )
    headline = (f"{len(numbers)} renewal invoice(s) for {year:04d}-{month:02d}"
                if numbers else f"nothing due for {year:04d}-{month:02d}")
    _files_from_ledger(ledger, folder, writer, numbers, manifest, headline, None)
    return headline


def _files_from_ledger(ledger: Ledger, folder: RunFolder, writer: InvoiceWriter,
                       numbers: list[str], manifest: dict[str, Any], headline: str,
                       partner_name: str | None) -> None:
    """A committed run's invoice files, manifest and summary, written from the ledger a batch
    at a time: 100,000 invoices are never held at once. `manifest` comes without invoices."""
    currency = manifest["currency"]
    # customer ids are each partner's own: name only those that mean one customer here
    names: dict[str, str | None] = {}
    with ManifestWriter(manifest, folder.path("manifest.json")) as listed:

        def batches() -> Iterator[list[str]]:
            for start in range(0, len(numbers), CHUNK):
                texts = ledger.documents(numbers[start:start + CHUNK])
                for text in texts:
                    document = json.loads(text)
                    listed.add(manifest_entry(document, invoice_file_of(document["number"]),
                                              with_currency=currency is None),
                               document["currency"])
                    name = names.setdefault(document["customer_id"], document["customer_name"])
                    if name != document["customer_name"]:
                        names[document["customer_id"]] = None
                yield texts

        writer.write_documents(batches(), len(numbers))
        manifest = listed.close()
    write_rendered(folder.path("summary.html"), "summary.html",
                   manifest={**manifest, "invoices": _Issued(ledger, numbers, currency is None)},
                   headline=headline, partner_name=partner_name, coverage=[],
                   customer_names={k: v for k, v in names.items() if v is not None})


def recover_runs(settings: Settings) -> list[Path]:
    """Runs killed before their folders were published (SPEC §8): a committed one's folder is
    written again from the ledger under its own name; any other staging folder is removed.
    Returns the folders written again."""
    names = list(abandoned(settings.out))
    if not names:
        return []
    ledger = Ledger.open(settings.ledger_url, create=False)
    recovered = []
    try:
        committed = ledger.committed_runs(names)
        for name in names:
            try:
                folder = RunFolder(settings.out, "", name=name)
            except OSError:  # another run is recovering it
                continue
            run = committed.get(name)
            if run is None:
                folder.discard()
                continue
            partner = settings.config.partners.get(run.partner_id or "")
            manifest = build_manifest(
                command=run.command, status="committed", as_of=run.as_of,
                partner_id=run.partner_id,
                currency=next(iter(run.currencies)) if len(run.currencies) == 1 else None,
                input_file=run.input_name, input_sha256=run.input_sha256,
                warnings=[problem(Code.RUN_RECOVERED, "", None, None, None)],
            )
            with InvoiceWriter(folder.staging / "invoices", Progress(enabled=False)) as writer:
                writer.prepare(len(run.numbers))
                _files_from_ledger(ledger, folder, writer, run.numbers, manifest,
                                   f"{len(run.numbers)} invoice(s) issued (written again after "
                                   "the run was stopped)", partner.name if partner else None)
            recovered.append(folder.publish())
    finally:
        ledger.close()
    return recovered


def _commit(run: _WorkbookRun, ledger: Ledger, view: LedgerView, validation: Validation,
            drafts: list[InvoiceDraft], on_numbered: Callable[[list[Invoice]], None],
            ) -> list[Invoice]:
    settings, partner = run.settings, run.partner

    def build(draft: InvoiceDraft, number: str, created: Any) -> Invoice:
        customer = _customer_of(validation, view, draft.customer_id)
        return make_invoice(draft, number, settings.as_of, settings.config, partner, customer,
                            created)

    record = RunRecord(run.folder.name, run.command, partner.id, settings.as_of,
                       run.source.name, run.sha256)
    return ledger.commit(view, record, settings.config.issuer.invoice_prefix, partner.currency,
                         validation.customers, validation.devices, drafts, build, on_numbered)


def month_report(settings: Settings, year: int, month: int) -> Outcome:
    """Finance's month end, read-only: report.xlsx, report.html and a manifest with totals."""
    first, last = month_bounds(year, month)
    with _run_folder(settings, "report", None) as folder:
        settings.progress.note(f"Reading the ledger for {year:04d}-{month:02d}")
        ledger = Ledger.open(settings.ledger_url, create=False)
        try:
            month_data = ledger.month(first, last)
        finally:
            ledger.close()
        report = build_report(month_data, settings.config, year, month, settings.as_of)
        settings.progress.note(f"Writing the report of {len(report.invoices)} invoice(s)")
        write_report_xlsx(report, folder.path("report.xlsx"))
        next_label = "{:04d}-{:02d}".format(*next_month(year, month))
        charts = [
            bar_chart(f"Net amount by partner, {currency}", currency,
                      [(f"{partner} {report.partner_names.get(partner, '')}".strip(),
                        amounts.net_amount)
                       for (partner, code), amounts in report.by_partner.items()
                       if code == currency])
            for currency in report.by_currency
        ]
        write_rendered(
            folder.path("report.html"), "report.html", report=report, charts=charts,
            month_end=last, next_label=next_label,
            renewals_expected=dict(sorted(report.renewals_expected().items())),
            numbering_ok=all(c.gapless for c in report.numbering),
        )
        currencies = list(report.by_currency)
        manifest = build_manifest(
            command="report", status="reported", as_of=settings.as_of, partner_id=None,
            currency=currencies[0] if len(currencies) == 1 else None, input_file=None,
            input_sha256=None,
        )
        manifest["totals"] = {
            "net_amount": (format_amount(report.by_currency[currencies[0]].net_amount,
                                         currencies[0]) if len(currencies) == 1 else None),
            "net_amount_by_currency": {code: format_amount(a.net_amount, code)
                                       for code, a in report.by_currency.items()},
            "invoices": len(report.invoices),
            "lines": report.lines,
        }
        manifest["report"] = manifest_part(report)
        headline = f"month end {report.label}: {len(report.invoices)} invoice(s)"
        _report(folder, manifest, headline, partner_name=None, coverage=[], customer_names={})
        settings.progress.note(headline)
        return Outcome(EXIT_OK, folder.publish(), [], report.warnings)
