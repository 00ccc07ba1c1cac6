"""What every command shares: settings, outcomes, the one map from what stopped a command to
its exit code and lines, run folders and their summaries (SPEC §7, §8)."""

from __future__ import annotations

import errno
import shutil
import signal
import traceback
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any, NoReturn

from seatbatch.core.config import Config, ConfigError
from seatbatch.core.exits import EXIT_BUSY as EXIT_BUSY
from seatbatch.core.exits import EXIT_INTERNAL as EXIT_INTERNAL
from seatbatch.core.exits import EXIT_OK as EXIT_OK
from seatbatch.core.exits import EXIT_REJECTED as EXIT_REJECTED
from seatbatch.core.exits import EXIT_USAGE as EXIT_USAGE
from seatbatch.core.exits import (
    Terminated,
    ignore_stops,
    stopped_code,
    stopped_how,
    stops_held,
)
from seatbatch.core.model import Invoice
from seatbatch.core.problems import Code, Problem, problem
from seatbatch.core.progress import Progress
from seatbatch.ledger import (
    CopyMismatch,
    InvoiceDateBackwards,
    LedgerBusy,
    LedgerError,
    display_url,
    without_password,
)
from seatbatch.output.html import render
from seatbatch.output.manifest import write_manifest
from seatbatch.output.runs import LOCK, RunFolder
from seatbatch.validation.rules import Coverage

STALE_RETRIES = 5


class UsageError(Exception):
    """The command was asked for something it cannot do (exit 2)."""


# a full file system, a quota reached, a file larger than the system allows
NO_SPACE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
NO_SPACE_WORDS = ("database or disk is full", "could not extend file", "no space left on device")


def no_space(error: BaseException) -> bool:
    """Whether `error`, or what it was raised from, is a full disk: of the run folder (an
    OSError, also from a worker process) or of the ledger (SQLite's "database or disk is full",
    PostgreSQL's disk_full)."""
    seen: set[int] = set()
    cause: BaseException | None = error
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, OSError) and cause.errno in NO_SPACE_ERRNOS:
            return True
        original = getattr(cause, "orig", None)
        if getattr(original, "sqlstate", None) == "53100" or any(
                words in str(original or "").lower() for words in NO_SPACE_WORDS):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def where_full(error: BaseException, fallback: Path | str) -> str:
    """The file a full disk refused, as its error names it, else `fallback`."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, OSError) and cause.filename:
            return str(cause.filename)
        if getattr(cause, "orig", None) is not None:
            return "the ledger"
        cause = cause.__cause__ or cause.__context__
    return str(fallback)


def committed_line(numbers: Sequence[str], out: Path) -> str:
    """What a run stopped after its commit says: the invoices are issued, and how their files
    are written again."""
    shown = (", ".join(numbers) if len(numbers) <= 3  # noqa: PLR2004  a short list, in full
             else f"{numbers[0]} to {numbers[-1]}")
    return (f"{len(numbers)} invoice(s) ({shown}) are committed, but their files are not all "
            f"written: the next process or renew run with --out {out} writes them again (or "
            "seatbatch render NUMBER writes one)")


class NoSpace(Exception):
    """The disk (or the ledger's) is full: exit 75, saying whether the run had committed."""

    def __init__(self, where: str, committed: Sequence[str], out: Path, pending: str = "",
                 *, unknown: bool = False):
        self.committed = list(committed)
        head = f"no space left on device ({where})"
        if pending:
            head += (f" writing again the folder of {pending}, a run committed earlier and "
                     "stopped before its files were written")
        if unknown:
            tail = ("whether the run committed could not be checked: once there is room, the "
                    f"next process or renew run with --out {out} writes its files if it did")
        elif committed:
            tail = f"{committed_line(committed, out)}; make room first"
        else:
            tail = "nothing was committed; try again when there is room"
        super().__init__(f"{head}: {tail}")


class Interrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM ended a run: what it had committed, for the one line it ends with."""

    def __init__(self, terminated: bool, committed: Sequence[str] | None, out: Path):
        self.terminated = terminated
        how = stopped_how(self)
        if committed is None:
            line = (f"{how}; whether the run committed could not be checked: the next process "
                    f"or renew run with --out {out} finishes its files if it did")
        elif committed:
            line = f"{how} after the commit: {committed_line(committed, out)}"
        else:
            line = f"{how}; nothing was committed"
        super().__init__(line)


class InternalError(Exception):
    """A bug or an unforeseen failure; the traceback is kept in `log`."""

    def __init__(self, summary: str, log: Path):
        super().__init__(summary)
        self.log = log


def summary(error: BaseException) -> str:
    """The one line an unforeseen error is shown as (its traceback goes to a log)."""
    return f"{type(error).__name__}: {error}".splitlines()[0][:300]


@dataclass(frozen=True)
class Settings:
    config: Config
    ledger_url: str
    as_of: date
    out: Path
    progress: Progress = field(default_factory=Progress)  # the command line's, on a terminal


SHOWN_ISSUED = 10  # the invoices a terminal lists of a run's; the rest are counted


@dataclass(frozen=True)
class Issued:
    """What a run issued, for a person at a terminal (the command line shows it there, never
    under cron): its first invoices (or credit notes) as (number, currency, amount payable),
    how many it issued, their amounts payable per currency (decimal strings, as the manifest
    has them), and the invoices of the workbook's lines an earlier run had processed."""

    first: tuple[tuple[str, str, str], ...]
    count: int
    payable: Mapping[str, str]
    credit_notes: bool = False
    already_processed: int = 0  # lines
    already_invoiced: tuple[str, ...] = ()  # their invoices, each once


def issued_from(manifest: Mapping[str, Any]) -> Issued:
    """What a run's manifest says it issued (a manifest written as its invoices came, and
    that no longer holds them, given with its first SHOWN_ISSUED)."""
    currency = manifest["currency"]
    first = tuple((entry["number"], entry.get("currency", currency),
                   entry.get("payable", entry["total"]))
                  for entry in islice(manifest["invoices"], SHOWN_ISSUED))
    totals = manifest["totals"]
    payable = totals.get("payable_by_currency") or (
        {currency: totals["payable"]} if totals["invoices"] else {})
    earlier = manifest["already_processed"]
    return Issued(first, totals["invoices"], payable, manifest["command"] == "credit",
                  len(earlier), tuple(dict.fromkeys(e["invoice_number"] for e in earlier)))


def net_said(totals: Mapping[str, Any], currency: str) -> str:
    """A run's net amount as its line on a terminal says it: 12,345.00 EUR, and "net" when
    VAT is added to it."""
    vat = totals.get("vat_amount")
    return (f"{Decimal(totals['net_amount']):,} {currency}"
            + (" net" if vat and Decimal(vat) else ""))


@dataclass(frozen=True)
class Outcome:
    """What a command ended with, for the command line to show: its status (the exit code),
    its run folder and what it reports (stdout), and for stderr every reason its input was
    rejected, its warnings, and lines that stand as they are (what stopped it; the inbox's
    tally)."""

    exit_code: int
    folder: Path | None  # None: the command made no run folder
    messages: list[str]  # for stderr: every rejection reason
    warnings: list[str] = field(default_factory=list)  # for stderr too
    lines: list[str] = field(default_factory=list)  # for stderr, as they are
    said: list[str] = field(default_factory=list)  # for stdout, as they are (a command's report)
    issued: Issued | None = None  # for a terminal: what the run issued


@dataclass(frozen=True)
class Failure:
    """What stopped a command: its exit code and what it says (each line after
    "seatbatch: ")."""

    exit_code: int
    lines: list[str]

    def outcome(self) -> Outcome:
        return Outcome(self.exit_code, None, [], lines=[f"seatbatch: {line}"
                                                        for line in self.lines])


def failure(error: BaseException) -> Failure | None:  # noqa: PLR0911  a table: a return per kind
    """The one map from what stopped a command to its exit code (SPEC §8: 2 usage or
    configuration, 75 busy or a full disk, 70 a bug, 130/143 Ctrl-C or SIGTERM); None for an
    unforeseen error (`unforeseen` keeps its traceback)."""
    if isinstance(error, Interrupted):
        return Failure(stopped_code(error), [str(error)])
    if isinstance(error, KeyboardInterrupt):
        # stopped outside any run's folder: before a run began, or in a command that commits
        # nothing (a ledger copy commits all or nothing, as a run does)
        return Failure(stopped_code(error), [f"{stopped_how(error)}; nothing was committed"])
    if isinstance(error, NoSpace | LedgerBusy):
        return Failure(EXIT_BUSY, [str(error)])
    if isinstance(error, ConfigError):
        return Failure(EXIT_USAGE, [f"configuration error: {line}" for line in error.lines()])
    if isinstance(error, UsageError | InvoiceDateBackwards | LedgerError):
        return Failure(EXIT_USAGE, [str(error)])
    if isinstance(error, InternalError):
        return Failure(EXIT_INTERNAL, [f"internal error: {error} (details: {error.log})"])
    if isinstance(error, CopyMismatch):
        return Failure(EXIT_INTERNAL, [f"ledger copy: {error}"])
    if no_space(error):  # outside any run: template, ledger copy, before a run's folder
        return Failure(EXIT_BUSY, [str(NoSpace(where_full(error, "an output file"), [], Path()))])
    return None


def unforeseen(error: BaseException, ledger_url: str | None, urls: Sequence[str] = ()) -> Failure:
    """A bug met outside any run folder: its traceback kept in a log in the ledger's folder (a
    SQLite ledger), else in the current folder, without the password of any ledger URL the
    command was given (`ledger_url`, `urls`)."""

    def hidden(text: str) -> str:
        for url in [ledger_url or "", *urls]:
            text = without_password(text, url)
        return text

    ledger = Path(ledger_url) if ledger_url and "://" not in ledger_url else None
    folder = ledger.parent if ledger and ledger.parent.is_dir() else Path.cwd()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    log = folder / f"seatbatch-error-{stamp}.log"
    log.write_text(hidden("".join(traceback.format_exception(error))), encoding="utf-8")
    return Failure(EXIT_INTERNAL, [f"internal error: {hidden(summary(error))} "
                                   f"(details: {log.absolute()})"])


@contextmanager
def run_folder(settings: Settings, command: str, partner_id: str | None) -> Iterator[RunFolder]:
    """A staged run folder: discarded on a known failure; on an unforeseen one it is left for
    the next run's recovery (its run may have committed), the traceback is kept in
    `<out>/<run name>.error.log` and the failure becomes an InternalError naming that file.
    Stopped by Ctrl-C or SIGTERM (Interrupted) or a full disk (NoSpace), the run asks the ledger
    whether it committed: if not, the folder is discarded; if so, it stays hidden for the next
    run's recovery, and the exception's message names the invoices."""
    taken: list[int] = []
    try:
        # A stop landing while the folder is made and locked waits until the run holds it,
        # and is then handled as one landing in the run: the folder is not left behind.
        with stops_held(taken):
            # the lock names the ledger as it may be shown: never a password on disk
            run = RunFolder(settings.out, command, partner_id,
                            ledger=display_url(settings.ledger_url))
    except OSError as error:
        if no_space(error):
            raise NoSpace(where_full(error, settings.out), [], settings.out.absolute()) from None
        raise UsageError(f"cannot make a run folder in {settings.out}: {error.strerror}") from None
    try:
        if taken:
            raise Terminated if signal.SIGTERM in taken else KeyboardInterrupt
        yield run
    except KeyboardInterrupt as error:
        ignore_stops()
        committed = _committed(settings, run)
        set_aside(run, committed)
        raise Interrupted(isinstance(error, Terminated), committed,
                          settings.out.absolute()) from None
    except Exception as error:
        if no_space(error):
            # asked of the ledger even when the full disk is its own: a run may read it
            # after its commit (renew writes its files from the ledger)
            committed = _committed(settings, run)
            set_aside(run, committed, free=True)
            if committed is None:
                raise NoSpace(where_full(error, settings.out), [], settings.out.absolute(),
                              unknown=True) from None
            raise NoSpace(where_full(error, settings.out), committed or [],
                          settings.out.absolute()) from None
        if failure(error) is not None:  # a known failure: nothing of the run is kept
            run.discard()
            raise
        _internal(settings, run, error)


def _committed(settings: Settings, run: RunFolder) -> list[str] | None:
    """The invoices a stopped run committed, asked of the ledger (a commit is all or nothing,
    and a stop may fall on either side of it); None when the ledger cannot say now."""
    from seatbatch.ledger import Ledger

    try:
        with Ledger.open(settings.ledger_url, write=False) as ledger:
            found = ledger.committed_runs([run.name]).get(run.name)
    except Exception:  # noqa: BLE001  already stopping: whatever the ledger does, it cannot say
        return None
    return found.numbers if found else []


def set_aside(run: RunFolder, committed: list[str] | None, *, free: bool = False) -> None:
    """A run stopped by a signal or a full disk: its folder is removed when nothing was
    committed; else its staging folder stays, lock released, for the next run's recovery to
    write again from the ledger (with `free`, its files are removed now to make room)."""
    if committed == []:
        run.discard()
        return
    if free:
        for entry in run.staging.iterdir():
            if entry.name == LOCK:
                continue
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
    run.release()


def _internal(settings: Settings, run: RunFolder, error: Exception) -> NoReturn:
    """An unforeseen failure: its traceback kept in a log, named by an InternalError."""
    # beside the run's folder, never in it: the staging folder is what the next run's recovery
    # removes (or writes again), and the log stays until a person removes it
    log = run.out / f"{run.name}.error.log"
    log.write_text(without_password(traceback.format_exc(), settings.ledger_url),
                   encoding="utf-8")
    run.release()  # for the recovery of the next run, in this process too (the inbox's worker)
    raise InternalError(summary(error), log) from error


NAMED = 5  # invoices a refusal names, of many alike


def refuse_half_valid(invoices: Iterable[Invoice], config: Config,
                      formats: Sequence[str]) -> None:
    """Before a run commits: every invoice it issues can be written as each format, or the
    run is refused as misconfigured (exit 2), never left with a half-valid e-invoice."""
    from seatbatch.output.files import einvoice_lacks  # here: not at every command's start

    lacks = einvoice_lacks(invoices, formats)
    if lacks:
        raise ConfigError(config.path, [(
            "documents.formats",
            f"ubl is listed, but {len(lacks)} invoice(s) could not be valid e-invoices: "
            + "; ".join(lacks[:NAMED]) + ("; …" if len(lacks) > NAMED else ""))])


def config_warnings(config: Config) -> list[Problem]:
    """What is wrong with the configuration without stopping a run (SPEC §10: no [tax], an
    identifier that fails its check), as every run's manifest lists it."""
    return [problem(Code(w.code), "", None, None, None,
                    detail=f"{config.path.name}: {w.key}: {w.message}")
            for w in config.warnings]


def issued_without_vat(config: Config, invoice: Invoice, what: str) -> list[Problem]:
    """The run's warnings when it writes `invoice` (issued, or a credit note of one) as it was
    issued: an invoice issued without VAT and payment means (before [tax] was configured)
    cannot be an e-invoice, and is written without one. Exit 2 when the e-invoice is the
    only format configured: nothing would be written. `what` says what is written."""
    from seatbatch.output.files import invoice_files  # here: the writers where files are made

    formats = config.documents.formats
    files = invoice_files(invoice, formats)
    if not files:
        raise UsageError(f"{what} was issued without VAT: it cannot be an e-invoice, the only "
                         "format configured ([documents] formats); add another format")
    warnings = config_warnings(config)
    if len(files) < len(formats):
        warnings.append(problem(Code.NO_EINVOICE, "", None, None, None, detail=(
            f"{what} was issued without VAT (before [tax] was configured): it is written as "
            "it was issued, without an e-invoice, which it cannot be")))
    return warnings


def write_summary(folder: RunFolder, manifest: dict[str, Any], headline: str, *,
                  partner_name: str | None, coverage: Sequence[Coverage],
                  customer_names: Mapping[str, str]) -> None:
    """A run's manifest.json and its summary.html for people."""
    write_manifest(manifest, folder.path("manifest.json"))
    html = render("summary.html", manifest=manifest, headline=headline,
                  partner_name=partner_name, coverage=coverage, customer_names=customer_names,
                  rejected_workbook=folder.path("rejected.xlsx").is_file(),
                  with_vat=any("vat" in invoice for invoice in manifest["invoices"]))
    folder.path("summary.html").write_text(html, encoding="utf-8")
