"""What every command shares: settings, outcomes and exit codes, run folders and their
summaries, and the files of a committed run written again from the ledger (SPEC §7, §8)."""

from __future__ import annotations

import dataclasses
import functools
import json
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from seatbatch.config import Config, ConfigError
from seatbatch.documents import manifest_entry
from seatbatch.ledger import (
    InvoiceDateBackwards,
    Ledger,
    LedgerBusy,
    LedgerError,
    display_url,
    without_password,
)
from seatbatch.problems import Code, problem
from seatbatch.progress import Progress
from seatbatch.render.files import CHUNK, InvoiceWriter, invoice_file_of
from seatbatch.render.html import render, write_rendered
from seatbatch.render.manifest import ManifestWriter, build_manifest, write_manifest
from seatbatch.runs import RunFolder, abandoned, staged_for
from seatbatch.validate.rules import Coverage

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


@contextmanager
def run_folder(settings: Settings, command: str, partner_id: str | None) -> Iterator[RunFolder]:
    """A staged run folder: discarded on a known failure; on an unforeseen one it is left for
    the next run's recovery (its run may have committed), the traceback is kept in
    `<out>/<run name>.error.log` and the failure becomes an InternalError naming that file."""
    try:
        # the lock names the ledger as it may be shown: never a password on disk
        run = RunFolder(settings.out, command, partner_id,
                        ledger=display_url(settings.ledger_url))
    except OSError as error:
        raise UsageError(f"cannot make a run folder in {settings.out}: {error.strerror}") from None
    try:
        yield run
    except (UsageError, ConfigError, LedgerBusy, LedgerError, InvoiceDateBackwards):
        run.discard()
        raise
    except Exception as error:
        # beside the run's folder, never in it: the staging folder is what the next run's
        # recovery removes (or writes again), and the log stays until a person removes it
        log = run.out / f"{run.name}.error.log"
        log.write_text(without_password(traceback.format_exc(), settings.ledger_url),
                       encoding="utf-8")
        summary = f"{type(error).__name__}: {error}".splitlines()[0][:300]
        raise InternalError(summary, log) from error


def write_summary(folder: RunFolder, manifest: dict[str, Any], headline: str, *,
                  partner_name: str | None, coverage: Sequence[Coverage],
                  customer_names: Mapping[str, str]) -> None:
    """A run's manifest.json and its summary.html for people."""
    write_manifest(manifest, folder.path("manifest.json"))
    html = render("summary.html", manifest=manifest, headline=headline,
                  partner_name=partner_name, coverage=coverage, customer_names=customer_names)
    folder.path("summary.html").write_text(html, encoding="utf-8")


def recovering(command: Callable[..., Outcome]) -> Callable[..., Outcome]:
    """A committing command first finishes what killed runs left in its --out (SPEC §8)."""

    @functools.wraps(command)
    def run(settings: Settings, *args: Any) -> Outcome:
        recovered = recover_runs(settings)
        outcome = command(settings, *args)
        notes = [f"the folder of a run stopped before it finished was written again from the "
                 f"ledger: {folder}" for folder in recovered]
        return dataclasses.replace(outcome, warnings=notes + outcome.warnings)

    return run


class _Issued:
    """A renewal run's invoices as its manifest lists them, read again from the ledger each
    time they are iterated: the summary page asks for them once, as it writes their rows."""

    def __init__(self, ledger: Ledger, numbers: list[str], with_currency: bool):
        self.ledger, self.numbers, self.with_currency = ledger, numbers, with_currency

    def __bool__(self) -> bool:
        return bool(self.numbers)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for texts in _documents(self.ledger, self.numbers):
            for text in texts:
                document = json.loads(text)
                yield manifest_entry(document, invoice_file_of(document["number"]),
                                     with_currency=self.with_currency)


def _documents(ledger: Ledger, numbers: list[str]) -> Iterator[list[str]]:
    """Issued invoices as the ledger keeps them, CHUNK at a time, in the order given."""
    for start in range(0, len(numbers), CHUNK):
        yield ledger.documents(numbers[start:start + CHUNK])


def files_from_ledger(ledger: Ledger, folder: RunFolder, writer: InvoiceWriter,
                      numbers: list[str], manifest: dict[str, Any], headline: str,
                      partner_name: str | None) -> None:
    """A committed run's invoice files, manifest and summary, written from the ledger a batch
    at a time: 100,000 invoices are never held at once. `manifest` comes without invoices."""
    currency = manifest["currency"]
    # customer ids are each partner's own: name only those that mean one customer here
    names: dict[str, str | None] = {}
    with ManifestWriter(manifest, folder.path("manifest.json")) as listed:

        def batches() -> Iterator[list[str]]:
            for texts in _documents(ledger, numbers):
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
    # another ledger's runs may share --out: what they left is theirs to finish
    names = [name for name in abandoned(settings.out)
             if staged_for(settings.out, name) in ("", display_url(settings.ledger_url))]
    if not names:
        return []
    ledger = Ledger.open(settings.ledger_url, write=True, create=False)
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
                files_from_ledger(ledger, folder, writer, run.numbers, manifest,
                                  f"{len(run.numbers)} invoice(s) issued (written again after "
                                  "the run was stopped)", partner.name if partner else None)
            recovered.append(folder.publish())
    finally:
        ledger.close()
    return recovered
