"""What `quote` and `process` share: one run over a partner's order workbook, from the file
given to its run folder, its manifest, its rejection and its summary."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seatbatch.core.config import Partner
from seatbatch.core.model import Change, Customer, LedgerView
from seatbatch.core.sheets import RawSheet, RawWorkbook
from seatbatch.intake.guard import inspect_file
from seatbatch.intake.read import OTHER_SHEETS, assemble, read_workbook, sheet_reads
from seatbatch.jobs.base import (
    EXIT_REJECTED,
    Outcome,
    Settings,
    UsageError,
    config_warnings,
    net_said,
    run_folder,
    write_summary,
)
from seatbatch.ledger import RunRecord
from seatbatch.output.files import InvoiceWriter
from seatbatch.output.manifest import build_manifest
from seatbatch.output.rejected import write_rejected
from seatbatch.output.runs import RunFolder

if TYPE_CHECKING:  # validating imports pandas and pandera: `process` loads them while it reads
    from seatbatch.validation.workbook import Validation


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
class Reading:
    """A workbook being read. Calling it waits for the whole workbook; `first()` waits only for
    the sheets read apart from the devices (a large workbook's, in the workers: the devices
    take longest) and gives those read, the same objects the workbook will hold; none when
    the workbook is not read so."""

    whole: Callable[[], RawWorkbook]
    first: Callable[[], dict[str, RawSheet]]

    def __call__(self) -> RawWorkbook:
        return self.whole()


@dataclass(frozen=True)
class WorkbookRun:
    """What every step of one run over a partner's workbook shares."""

    settings: Settings
    command: str
    partner: Partner
    source: Path
    sha256: str
    folder: RunFolder

    def manifest(self, status: str, **parts: Any) -> dict[str, Any]:
        parts["warnings"] = [*config_warnings(self.settings.config), *parts.get("warnings", ())]
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
        amount = f", {net_said(totals, self.partner.currency)}" if totals["invoices"] else ""
        self.settings.progress.note(f"{self.source.name}: {headline}{amount}")

    def reject(self, validation: Validation) -> Outcome:
        problems = validation.problems
        given = validation.given
        write_rejected(self.source, problems, self.folder.path("rejected.xlsx"),
                       device_types=self.settings.config.device_types(self.partner.currency),
                       error_cells=given.error_cells(), made_for=given.made_for)
        manifest = self.manifest("rejected", rejections=problems, warnings=validation.warnings)
        count = len(problems)
        self.report(manifest, validation, f"rejected, {count} problem{'s' if count != 1 else ''}")
        return Outcome(EXIT_REJECTED, self.folder.publish(), [p.describe() for p in problems],
                       said_warnings(validation))

    def read(self) -> RawWorkbook:
        return self.reading()()

    def reading(self, writer: InvoiceWriter | None = None) -> Reading:
        """Start reading the workbook: in the writer's workers when it has any, while this
        process goes on, else here."""
        self.settings.progress.note(f"Reading {self.source.name}")
        limits = self.settings.config.limits
        if writer is None:
            raw = read_workbook(self.source, limits, self.sha256)
            return Reading(lambda: raw, dict)
        # the guard in one worker, then the devices in one and the other sheets in the other
        source = self.source
        reads = writer.meanwhile_then(partial(sheet_reads, source, limits,
                                              apart=writer.workers > 1),
                                      inspect_file, source, limits, self.sha256)

        def others() -> dict[str, RawSheet]:
            read = reads.early(OTHER_SHEETS)
            if read is None or read.unopened:
                return {}
            return {name: sheet for name, (sheet, _, _) in read.found.items() if sheet}

        return Reading(lambda: assemble(source, *reads()), others)

    def record(self) -> RunRecord:
        """What the ledger records of this run when it commits."""
        return RunRecord(self.folder.name, self.command, self.partner.id, self.settings.as_of,
                         self.source.name, self.sha256)


@contextmanager
def workbook_run(settings: Settings, command: str, workbook: Path,
                  partner_id: str) -> Iterator[WorkbookRun]:
    partner = settings.config.partner(partner_id)
    source = _workbook(workbook)
    with run_folder(settings, command, partner.id) as folder:
        yield WorkbookRun(settings, command, partner, source, _sha256(source), folder)


def said_warnings(validation: Validation) -> list[str]:
    """The workbook's warnings, for stderr (an unknown header, coverage not checked)."""
    return [warning.describe() for warning in validation.warnings]


def changes_said(headline: str, changes: Sequence[Change], verb: str = "recorded") -> str:
    """The headline, with the changes of subscriptions (SPEC §11) the run records."""
    return f"{headline}, {len(changes)} subscription change(s) {verb}" if changes else headline


def customer_of(validation: Validation, view: LedgerView, customer_id: str) -> Customer:
    return validation.customers.get(customer_id) or view.customers[customer_id]
