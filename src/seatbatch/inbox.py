"""`seatbatch inbox DIR`: the unattended (cron) run over a folder of partner inboxes.

    DIR/<partner-id>/orders.xlsx                  waiting
    DIR/<partner-id>/.claimed/<token>/orders.xlsx  claimed by one run (an atomic rename)
    DIR/<partner-id>/done/orders.xlsx (+ .json)    processed: committed or duplicate
    DIR/<partner-id>/rejected/orders.xlsx (+ .json) rejected (or failed on a bug)

A workbook is only ever worked on by the run whose rename claimed it, so two runs at once on one
machine never process one workbook twice. Then its content is claimed in the ledger
(`seatbatch.ledger.claims`), the authority between hosts: bytes another host is processing wait
for a later run; bytes already committed are filed in done/ beside a note naming the earlier run,
with no new run. Whatever stops a workbook without it being at fault (a busy ledger, a
configuration or usage problem) releases its claim, puts it back to wait for the next run, and
ends this one."""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import json
import os
import secrets
import stat
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePath
from typing import Any

from sqlalchemy.engine import Engine

from seatbatch.commands import (
    EXIT_BUSY,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_REJECTED,
    EXIT_USAGE,
    InternalError,
    NoSpace,
    Settings,
    UsageError,
    process,
)
from seatbatch.config import ConfigError
from seatbatch.console import echo, escaped
from seatbatch.ledger import (
    InvoiceDateBackwards,
    Ledger,
    LedgerBusy,
    LedgerError,
    claims,
    without_password,
)
from seatbatch.progress import Progress

CLAIMS = ".claimed"
DONE = "done"
REJECTED = "rejected"
# Not only .xlsx: the others are claimed too, so that the safety check rejects them with its
# "save it as .xlsx" message instead of leaving the partner waiting for nothing.
WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".xlsb"})
HIDDEN_PREFIXES = (".", "~$")  # hidden, being written, Excel's and LibreOffice's lock files
STALE_CLAIM_SECONDS = 3600
MAX_NAME_BYTES = 200  # leaves room for " (99)" and ".json" within a file system's 255
NOTE_MESSAGES = 20
SETTLE_ATTEMPTS = 3  # recording a claim's end meets a busy ledger: tries, a second apart


def shown(name: str) -> str:
    """A name from the file system as it may be printed: as it is when it is printable, else
    quoted with its control characters escaped, so that it can never forge an output line."""
    return name if name.isprintable() else repr(name)


def _one_line(text: str) -> str:
    """Any other text on a line of stderr: control characters escaped, never a line break."""
    return escaped(text)


def _problem(text: str) -> None:
    """A line that shows on a terminal and under cron alike."""
    echo(f"seatbatch inbox: {text}", err=True)


def _line(text: str) -> None:
    """What became of one workbook, when that is a problem: on a terminal and under cron."""
    echo(text, err=True)


def _move_no_clobber(source: Path, target: Path) -> bool:
    """Move a file to `target` unless something is there already (False then). A hard link
    refuses to replace; where a file system has none, a rename after a look has to do."""
    try:
        os.link(source, target, follow_symlinks=False)
    except FileExistsError:
        return False
    except OSError as error:
        if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
            raise
        if os.path.lexists(target):
            return False
        source.rename(target)
        return True
    source.unlink()
    return True


def _numbered(name: str) -> Iterator[str]:
    """orders.xlsx, orders (2).xlsx, orders (3).xlsx, ..."""
    stem, suffix = PurePath(name).stem, PurePath(name).suffix
    yield name
    number = 2
    while True:
        yield f"{stem} ({number}){suffix}"
        number += 1


def _is_workbook_name(name: str) -> bool:
    return PurePath(name).suffix.lower() in WORKBOOK_SUFFIXES


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


@dataclass(frozen=True)
class _Listing:
    partners: list[str]  # configured partner folders, sorted
    workbooks: dict[str, list[str]]  # partner id -> waiting workbook names, sorted

    def in_turn(self) -> Iterator[tuple[str, str]]:
        """One workbook of each partner in turn, each partner's in name order: a partner who
        sent a hundred does not keep the others waiting, and runs at once (which skip what
        another has claimed) spread over the partners instead of queueing for one."""
        pending = [(p, deque(self.workbooks[p])) for p in self.partners if self.workbooks[p]]
        while pending:
            for partner_id, names in pending:
                yield partner_id, names.popleft()
            pending = [(p, names) for p, names in pending if names]


@dataclass
class _Tally:
    done: int = 0
    rejected: int = 0
    failed: int = 0
    busy: bool = False
    usage: bool = False

    @property
    def stopped(self) -> bool:
        return self.busy or self.usage

    def exit_code(self) -> int:
        if self.usage:
            return EXIT_USAGE
        if self.failed:
            return EXIT_INTERNAL
        if self.busy:
            return EXIT_BUSY
        return EXIT_OK


class _Stop(Exception):
    """The inbox cannot go on (its folders cannot be written): exit 2."""


def waiting_workbooks(folder: Path, *, warn: bool) -> list[str]:
    """The names of the workbooks waiting in one partner folder, sorted; with `warn`, every other
    visible file is reported once and left alone."""
    names = []
    with os.scandir(folder) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            name = entry.name
            if name.startswith(HIDDEN_PREFIXES) or entry.is_dir(follow_symlinks=False):
                continue
            if len(os.fsencode(name)) > MAX_NAME_BYTES and _is_workbook_name(name):
                if warn:  # its note, or a " (2)" beside it, would not fit in a file name
                    _problem(f"warning: {shown(folder.name)}/{shown(name)}: the file name is "
                             f"longer than {MAX_NAME_BYTES} bytes; rename it shorter to have it "
                             "processed")
            elif entry.is_file(follow_symlinks=False) and _is_workbook_name(name):
                names.append(name)
            elif warn:
                what = ("not a regular file" if _is_workbook_name(name)
                        else "not an .xlsx workbook")
                _problem(f"warning: {shown(folder.name)}/{shown(name)}: {what}; left alone")
    return names


@dataclass
class Inbox:
    settings: Settings
    directory: Path
    tally: _Tally = field(default_factory=_Tally)
    quiet: Settings = field(init=False)  # what each workbook's run is given
    host: str = field(default_factory=claims.this_host)
    lease: float = claims.LEASE_SECONDS
    ledger: Ledger | None = field(default=None, init=False)  # for claims, opened on first use

    def __post_init__(self) -> None:
        self.directory = self.directory.absolute()
        # one line per workbook from here, not the single-workbook commands' progress
        self.quiet = dataclasses.replace(self.settings, progress=Progress(enabled=False))

    @property
    def progress(self) -> Progress:
        return self.settings.progress

    def run(self) -> int:
        try:
            return self._run()
        finally:
            if self.ledger is not None:
                self.ledger.close()

    def _run(self) -> int:
        try:
            self.lease = claims.lease_seconds()
        except ValueError as error:
            _problem(str(error))
            return EXIT_USAGE
        try:
            listing = self.scan()
        except OSError as error:
            _problem(f"cannot read {shown(str(error.filename))}: {error.strerror}")
            return EXIT_USAGE
        for partner_id in listing.partners:
            self.warn_stale_claims(partner_id)
        try:
            for partner_id, name in listing.in_turn():
                if self.tally.stopped:
                    break
                self.one(partner_id, name)
        except _Stop as stop:
            _problem(str(stop))
            self.tally.usage = True
        waiting = 0
        for partner_id in listing.partners:
            with suppress(OSError):
                waiting += len(waiting_workbooks(self.directory / partner_id, warn=False))
        tally = self.tally
        summary = f"{tally.done} done, {tally.rejected} rejected, {waiting} waiting"
        if tally.failed:
            summary += f", {tally.failed} failed"
        _problem(summary)
        return tally.exit_code()

    def scan(self) -> _Listing:
        partners = []
        with os.scandir(self.directory) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                name = entry.name
                if name.startswith("."):
                    continue
                if not entry.is_dir():
                    _problem(f"{shown(name)}: a file outside any partner folder; left alone")
                elif name in self.settings.config.partners:
                    partners.append(name)
                else:
                    _problem(f"{shown(name)}: not a configured partner; left alone")
        workbooks = {p: waiting_workbooks(self.directory / p, warn=True) for p in partners}
        return _Listing(partners, workbooks)

    def warn_stale_claims(self, partner_id: str) -> None:
        """A claim older than an hour was left by a run that did not finish: say so, and leave
        it where it is (a person decides whether it was committed)."""
        claims = self.directory / partner_id / CLAIMS
        try:
            every = sorted(claims.iterdir())
        except OSError:
            return  # none yet (or unreadable: claiming will say so)
        now = time.time()
        for claim in every:
            try:
                age = now - claim.stat().st_mtime
                if age < STALE_CLAIM_SECONDS or not claim.is_dir():
                    continue
                held = sorted(p.name for p in claim.iterdir())
                if not held:
                    claim.rmdir()  # a run stopped between making the claim and the rename
                    continue
            except OSError:
                continue  # another run finished with it meanwhile
            hours = age / 3600
            for name in held:
                _problem(f"warning: {shown(partner_id)}/{shown(name)} has been claimed for "
                         f"{hours:.0f} hour(s) by a run that did not finish; it is not processed "
                         f"again automatically: {shown(str(claim / name))}")

    @contextmanager
    def claim(self, partner_id: str, name: str) -> Iterator[Path | None]:
        """The workbook moved into a claim folder of its own (None if another run took it)."""
        token = self.directory / partner_id / CLAIMS / secrets.token_hex(8)
        try:
            token.mkdir(parents=True)
        except OSError as error:
            raise _Stop(f"cannot claim workbooks in {shown(str(token.parent))}: "
                        f"{error.strerror}") from None
        try:
            try:
                (self.directory / partner_id / name).rename(token / name)
            except FileNotFoundError:
                yield None  # another run got it first
                return
            except OSError as error:
                raise _Stop(f"cannot claim {shown(partner_id)}/{shown(name)}: "
                            f"{error.strerror}") from None
            claimed = token / name
            if not stat.S_ISREG(os.lstat(claimed).st_mode):
                # swapped for a link or a folder since the scan: never follow it
                self.put_back(claimed, partner_id, f"{shown(partner_id)}/{shown(name)}: "
                              "not a regular file")
                yield None
                return
            yield claimed
        finally:
            with suppress(OSError):  # not empty: it could not be filed, and that was reported
                token.rmdir()

    def one(self, partner_id: str, name: str) -> None:
        where = f"{shown(partner_id)}/{shown(name)}"
        with self.claim(partner_id, name) as claimed:
            if claimed is None:
                return
            ticket: claims.Claim | None = None
            try:
                ticket = self.take(partner_id, claimed, where)
                if ticket is None:
                    return
                outcome = process(self.quiet, claimed, partner_id)
            except _Stop:
                raise
            except KeyboardInterrupt:  # Ctrl-C or SIGTERM: the workbook waits for the next run
                with suppress(Exception):
                    self.release(ticket, where)
                    self.put_back(claimed, partner_id, f"{where}: stopped")
                raise
            except (LedgerBusy, NoSpace) as error:
                self.release(ticket, where)
                self.put_back(claimed, partner_id, f"{where}: {error}")
                self.tally.busy = True
            except ConfigError as error:
                self.release(ticket, where)
                self.put_back(claimed, partner_id,
                              f"{where}: configuration error: {'; '.join(error.lines())}")
                self.tally.usage = True
            except (UsageError, InvoiceDateBackwards, LedgerError) as error:
                self.release(ticket, where)
                self.put_back(claimed, partner_id, f"{where}: {error}")
                self.tally.usage = True
            except InternalError as error:
                self.settle(ticket, where, "failed", None)
                self.failed(claimed, partner_id, where, str(error), error.log, "")
            except Exception as error:
                summary = f"{type(error).__name__}: {error}".splitlines()[0][:300]
                self.settle(ticket, where, "failed", None)
                self.failed(claimed, partner_id, where, summary, None, traceback.format_exc())
            else:
                echo(str(outcome.folder))
                manifest = json.loads((outcome.folder / "manifest.json").read_text("utf-8"))
                status = manifest["status"]
                problems = len(outcome.messages)
                shelf = DONE if outcome.exit_code == EXIT_OK else REJECTED
                # the ledger first: from now on no host processes these bytes again
                self.settle(ticket, where, status, str(outcome.folder))
                filed = self.file(claimed, partner_id, shelf, {
                    "status": status, "exit_code": outcome.exit_code,
                    "run_folder": str(outcome.folder), "host": self.host,
                    "problems": problems, "messages": outcome.messages[:NOTE_MESSAGES]})
                for warning in outcome.warnings:
                    _problem(f"warning: {where}: {warning}")
                if outcome.exit_code == EXIT_REJECTED:
                    self.tally.rejected += 1
                    _line(f"{where}: rejected, {problems} problem(s); filed as "
                          f"{shown(str(filed))}")
                else:
                    self.tally.done += 1
                    invoices = manifest["totals"]["invoices"]
                    self.progress.note(_one_line(
                        f"{where}: done, {status}, {invoices} invoice(s)" if invoices
                        else f"{where}: done, {status}, nothing new"))

    def claims_ledger(self) -> Ledger:
        """The ledger that records claims: opened once per inbox run, when the first workbook
        is claimed (as `process` opens it: made if it does not exist)."""
        if self.ledger is None:
            self.ledger = Ledger.open(self.settings.ledger_url, create=True)
        return self.ledger

    def take(self, partner_id: str, claimed: Path, where: str) -> claims.Claim | None:
        """Claim the workbook's content in the ledger. None when this run is not to process
        it: another host is on it (put back to wait), or the same bytes were processed
        already (filed in done/ beside a note naming that run; no new run)."""
        ledger = self.claims_ledger()
        assert ledger.engine is not None
        ticket = claims.claim(ledger.engine, partner_id, _sha256(claimed), claimed.name,
                              self.host, os.getpid(), lease=self.lease)
        if ticket.state == claims.TAKEN:
            return ticket
        if ticket.state == claims.HELD:
            elsewhere = f"host {shown(ticket.host)}" if ticket.host else "another host"
            self.put_back(claimed, partner_id, f"{where}: being processed on {elsewhere}")
            return None
        earlier = (f"{shown(ticket.name or '?')} on host {shown(ticket.host or '?')}: "
                   f"{shown(ticket.run_folder or '?')}")
        self.file(claimed, partner_id, DONE, {
            "status": "duplicate", "exit_code": EXIT_OK, "run_folder": ticket.run_folder,
            "host": ticket.host, "problems": 0,
            "messages": [f"the same file was already processed ({ticket.outcome}) as {earlier}"],
            "processed_before": {"workbook": ticket.name, "status": ticket.outcome,
                                 "host": ticket.host, "run_folder": ticket.run_folder}})
        self.tally.done += 1
        self.progress.note(_one_line(f"{where}: done, already processed as {earlier}"))
        return None

    def settle(self, ticket: claims.Claim | None, where: str, outcome: str,
               run_folder: str | None) -> None:
        """Record the run's outcome on its claim (retried on a busy ledger: a claim left open
        holds the workbook's copies elsewhere until its lease ends)."""
        self._end_claim(ticket, where, lambda engine, taken: claims.finish(
            engine, taken, outcome, run_folder))

    def release(self, ticket: claims.Claim | None, where: str) -> None:
        self._end_claim(ticket, where, claims.release)

    def _end_claim(self, ticket: claims.Claim | None, where: str,
                   end: Callable[[Engine, claims.Claim], bool]) -> None:
        if ticket is None or self.ledger is None or self.ledger.engine is None:
            return
        for attempt in range(SETTLE_ATTEMPTS):
            try:
                if not end(self.ledger.engine, ticket):
                    _problem(f"warning: {where}: its claim outlived the lease "
                             f"({self.lease:g} s) and was taken over by another run")
                return
            except LedgerBusy as error:
                if attempt + 1 == SETTLE_ATTEMPTS:
                    _problem(f"warning: {where}: its claim could not be updated: {error}; "
                             "it ends with its lease")
                    return
                time.sleep(1)
            except Exception as error:  # it was processed: say so, and go on
                summary = f"{type(error).__name__}: {error}".splitlines()[0][:300]
                _problem(f"warning: {where}: its claim could not be updated: "
                         f"{without_password(summary, self.settings.ledger_url)}")
                return

    def failed(self, claimed: Path, partner_id: str, where: str, summary: str,
               log: Path | None, details: str) -> None:
        """A bug met this workbook: it is filed as rejected, with a note naming the log."""
        if log is None:  # it failed outside any run folder: the traceback goes beside it
            log = self.directory / partner_id / REJECTED / f"{claimed.parent.name}.error.log"
            try:
                log.parent.mkdir(exist_ok=True)
                log.write_text(without_password(details, self.settings.ledger_url),
                               encoding="utf-8")
            except OSError as error:
                raise _Stop(f"cannot write {shown(str(log))}: {error.strerror}") from None
        filed = self.file(claimed, partner_id, REJECTED, {
            "status": "failed", "exit_code": EXIT_INTERNAL, "run_folder": None,
            "problems": 0, "messages": [], "error": summary, "error_log": str(log)})
        self.tally.failed += 1
        _line(f"{where}: internal error: {summary} (details: {shown(str(log))}); filed as "
              f"{shown(str(filed))}")

    def file(self, claimed: Path, partner_id: str, shelf_name: str,
             note: dict[str, Any]) -> Path:
        """The workbook under its own name in done/ or rejected/ (never over an earlier one:
        "name (2).xlsx" then), beside `<name>.json`, the note that says what became of it."""
        shelf = self.directory / partner_id / shelf_name
        try:
            shelf.mkdir(exist_ok=True)
            for candidate in _numbered(claimed.name):
                note_path = shelf / f"{candidate}.json"
                content = _note_text({
                    "workbook": claimed.name, "filed_as": candidate, "partner_id": partner_id,
                    **note, "filed_at": datetime.now(UTC).isoformat(timespec="seconds")})
                try:
                    # the note first, made exclusively: it reserves the name among inbox runs
                    with note_path.open("x", encoding="utf-8") as handle:
                        handle.write(content)
                except FileExistsError:
                    continue
                if _move_no_clobber(claimed, shelf / candidate):
                    return shelf / candidate
                note_path.unlink()
        except OSError as error:
            raise _Stop(f"{shown(partner_id)}/{shown(claimed.name)}: cannot file it in "
                        f"{shown(str(shelf))}: {error.strerror}; it stays in "
                        f"{shown(str(claimed))}") from None
        raise AssertionError("unreachable")

    def put_back(self, claimed: Path, partner_id: str, problem: str) -> None:
        """Not the workbook's fault: back to waiting for the next run (beside a newer upload of
        the same name, if one came meanwhile)."""
        folder = self.directory / partner_id
        try:
            for candidate in _numbered(claimed.name):
                if _move_no_clobber(claimed, folder / candidate):
                    break
        except OSError as error:
            raise _Stop(f"{problem}; and it cannot be put back: {error.strerror}; it stays in "
                        f"{shown(str(claimed))}") from None
        again = "" if candidate == claimed.name else f" as {shown(candidate)}"
        _line(f"{problem}; left waiting{again}")


def _note_text(note: dict[str, Any]) -> str:
    return json.dumps(note, indent=2) + "\n"


def inbox(settings: Settings, directory: Path) -> int:
    """Process every waiting workbook of every configured partner folder in `directory`; the
    exit code: 0 all filed, 2 usage or configuration, 70 a bug met a workbook, 75 ledger busy."""
    return Inbox(settings, directory).run()
