"""`seatbatch inbox DIR`: the unattended (cron) run over a folder of partner inboxes.

    DIR/<partner-id>/orders.xlsx                  waiting
    DIR/<partner-id>/.claimed/<token>/orders.xlsx  claimed by one run (an atomic rename)
    DIR/<partner-id>/done/orders.xlsx (+ .json)    processed: committed or duplicate
    DIR/<partner-id>/rejected/orders.xlsx (+ .json) rejected (or failed on a bug)

Beside each workbook it filed, what the partner is answered with, from its run folder (which
keeps everything): `orders.xlsx.summary.html`, and `orders.xlsx.rejected.xlsx` (the marked
workbook) in rejected/ or the folder `orders.xlsx.invoices/` (each invoice as PDF and HTML,
whichever were written; as a workbook when neither was) in done/. The copy of the summary
links to them. A workbook filed as already processed (no run of its own) has those of the run
that processed it, when that run's folder is on this host.

A workbook is only ever worked on by the run whose rename claimed it, so two runs at once on one
machine never process one workbook twice. Then its content is claimed in the ledger
(`seatbatch.ledger.claims`), the authority between hosts: bytes another host is processing wait
for a later run; bytes already committed are filed in done/ beside a note naming the earlier run,
with no new run. Whatever stops a workbook without it being at fault (a busy ledger, a
configuration or usage problem) releases its claim, puts it back to wait for the next run, and
ends this one.

Partners write in their folders, so nothing there is trusted (`seatbatch.jobs.inbox_folders`): every
path below DIR is opened relative to a folder held open, never through a link; a partner folder
the inbox cannot claim and file in (a link, a file where `done/` belongs) is found before any of
its workbooks is claimed, reported once, and left with its workbooks waiting, while the other
partners go on. Each workbook is processed in a forked child (`seatbatch.jobs.isolated`): one whose
processing dies (a native library's abort, the OOM killer) is filed as failed, and the run goes
on with the others.

What became of each workbook is told as it happens (a cron log keeps what a run said before it
was killed) through `tell`, which the command line gives (it prints); the run ends with its
Outcome: the exit code and the tally."""

from __future__ import annotations

import dataclasses
import html
import json
import os
import secrets
import shutil
import signal
import tempfile
import time
import traceback
import urllib.parse
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from seatbatch.core.config import ConfigError
from seatbatch.core.exits import (
    EXIT_BUSY,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_REJECTED,
    EXIT_TERMINATED,
    EXIT_USAGE,
    Terminated,
    stopped_code,
    stopped_how,
)
from seatbatch.core.progress import Progress
from seatbatch.intake.guard import MB
from seatbatch.jobs.base import InternalError, Outcome, Settings, failure, no_space, summary
from seatbatch.jobs.inbox_folders import (
    CLAIMS,
    DONE,
    REJECTED,
    STAGING,
    Beside,
    Copy,
    NotAWorkbookFile,
    PartnerFolder,
    Unusable,
    file_with,
    is_workbook_name,
    open_folder,
    private_copy,
    put_back,
    scan_folder,
    shown,
    stage_copy,
    stage_folder,
    unicode_name,
    unstage,
    waiting_workbooks,
    write_new,
)
from seatbatch.jobs.inbox_reported import STATE, Reported
from seatbatch.jobs.isolated import Died, Worker
from seatbatch.jobs.process import process
from seatbatch.ledger import Ledger, LedgerBusy, claims, without_password

STALE_CLAIM_SECONDS = 3600
# what is filed beside a workbook, by what the note calls it: `<filed name><suffix>`
SUMMARY, MARKED, INVOICES = ".summary.html", ".rejected.xlsx", ".invoices"
ANSWERS = {SUMMARY: "summary", MARKED: "rejected_workbook", INVOICES: "invoices"}
SENT_FORMATS = ("pdf", "html")  # an invoice as a partner is sent it (else its workbook)
NOTE_MESSAGES = 20
SAID_REASONS = 3  # of a rejected workbook, on stderr (the mail): the first; the rest are filed
SETTLE_ATTEMPTS = 3  # recording a claim's end meets a busy ledger: tries, a second apart


class Tell(Protocol):
    """Where the run's lines go as they happen (the command line prints them, escaped)."""

    def __call__(self, text: str, *, err: bool = False) -> None: ...


def _silent(text: str, *, err: bool = False) -> None:
    """A run that tells nothing (a test's)."""


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
    unfiled: int = 0  # processed, but its partner's folder would not take it
    busy: bool = False
    usage: bool = False
    unusable: set[str] = field(default_factory=set)  # partner folders left alone

    @property
    def stopped(self) -> bool:
        return self.busy or self.usage

    def exit_code(self) -> int:
        """An unusable partner folder alone is not a failed run (SPEC §6: 0 when every
        workbook it claimed was filed; none of that partner's was claimed): the other partners'
        work was done, the folder is reported on every run until a person puts it right, and a
        partner could otherwise keep every run's status red."""
        if self.usage or self.unfiled:
            return EXIT_USAGE
        if self.failed:
            return EXIT_INTERNAL
        if self.busy:
            return EXIT_BUSY
        return EXIT_OK


def _verdict_of(error: Exception) -> dict[str, Any]:
    """What stopped a workbook (as `failure` maps it), as JSON can carry it: busy (it waits
    for the next run), usage (so does it, and the run ends), internal, or a bug. A full disk
    is busy here whatever reported it, a ledger that could not be opened too: the workbook
    waits for the next run, which may find room."""
    if no_space(error):
        return {"kind": "busy", "text": str(error)}
    known = failure(error)
    if known is None:
        return {"kind": "bug", "summary": summary(error), "details": traceback.format_exc()}
    if isinstance(error, InternalError):
        return {"kind": "internal", "summary": str(error), "log": str(error.log)}
    if isinstance(error, ConfigError):  # one line in the workbook's note
        return {"kind": "usage", "text": f"configuration error: {'; '.join(error.lines())}"}
    kind = "busy" if known.exit_code == EXIT_BUSY else "usage"
    return {"kind": kind, "text": "; ".join(known.lines)}


def _process_in_child(settings: Settings, workbook: Path, partner_id: str) -> dict[str, Any]:
    """`process` as the inbox's worker process runs it: what became of the workbook, as JSON
    can carry it back (the first NOTE_MESSAGES reasons and warnings only: the note keeps no
    more, and each warning is a line of the inbox's stderr)."""
    try:
        outcome = process(settings, workbook, partner_id)
    except KeyboardInterrupt as stopped:
        return {"kind": "interrupted", "terminated": stopped_code(stopped) == EXIT_TERMINATED}
    except Exception as error:  # noqa: BLE001  a worker reports whatever ended its workbook
        return _verdict_of(error)
    assert outcome.folder is not None
    manifest = json.loads((outcome.folder / "manifest.json").read_text("utf-8"))
    return {"kind": "outcome", "exit_code": outcome.exit_code, "folder": str(outcome.folder),
            "status": manifest["status"], "invoices": manifest["totals"]["invoices"],
            "invoice_files": _sent(manifest),
            "changes": len(manifest.get("changes", [])),
            "problems": len(outcome.messages), "messages": outcome.messages[:NOTE_MESSAGES],
            "warnings": _first(outcome.warnings, NOTE_MESSAGES)}


def _sent(manifest: dict[str, Any]) -> list[str]:
    """The run's invoice files a partner is sent, as the manifest lists them: PDF and HTML
    (the summary links to the HTML), whichever were written; the workbook when neither was
    (never the e-invoice: it goes to an e-invoicing system, not to a folder)."""
    files = []
    for invoice in manifest["invoices"]:
        written = invoice.get("files", {})
        files += [written[k] for k in SENT_FORMATS if k in written] or [
            written[k] for k in ("xlsx",) if k in written]
    return files


def _linked(summary: bytes, candidate: str, answers: set[str]) -> bytes:
    """The run's summary.html as filed beside `candidate`: its links to the run folder's
    rejected.xlsx and invoices/ lead to their copies beside it."""
    def href(suffix: str) -> str:
        return urllib.parse.quote(os.fsencode(candidate + suffix))

    text = summary.decode("utf-8")
    if MARKED in answers:
        text = text.replace('<a href="rejected.xlsx">rejected.xlsx</a>',
                            f'<a href="{href(MARKED)}">'
                            f'{html.escape(unicode_name(candidate + MARKED))}</a>')
    if INVOICES in answers:
        text = text.replace('href="invoices/', f'href="{href(INVOICES)}/')
    return text.encode("utf-8")


def _first(lines: list[str], most: int) -> list[str]:
    """The first `most` lines, and how many more there were."""
    if len(lines) <= most:
        return lines
    return [*lines[:most], f"... and {len(lines) - most} more: every one is in the run's "
            "manifest.json"]


@dataclass
class _Claimed:
    """One workbook this run claimed: where it stands, and its private copy."""

    folder: PartnerFolder
    claim: int  # the descriptor of its claim folder, `.claimed/<token>`
    token: str
    name: str
    copy: Copy

    @property
    def partner_id(self) -> str:
        return self.folder.partner_id

    @property
    def where(self) -> str:
        return f"{shown(self.partner_id)}/{shown(self.name)}"

    @property
    def path(self) -> Path:
        return self.folder.path / CLAIMS / self.token / self.name


@dataclass
class Inbox:
    settings: Settings
    directory: Path
    tell: Tell = _silent
    tally: _Tally = field(default_factory=_Tally)
    said_problems: int = 0  # lines `problem` said: a run that said none and did nothing is quiet
    quiet: Settings = field(init=False)  # what each workbook's run is given
    host: str = field(default_factory=claims.this_host)
    lease: float = claims.LEASE_SECONDS
    ledger: Ledger | None = field(default=None, init=False)  # for claims, opened on first use
    root: int = field(default=-1, init=False)  # DIR, held open
    private: Path | None = field(default=None, init=False)  # the claimed workbooks' copies
    worker: Worker = field(init=False)  # processes them, one at a time
    reported: Reported = field(init=False)  # the stray entries reported, during the scan

    def __post_init__(self) -> None:
        self.directory = self.directory.absolute()
        # one line per workbook from here, not the single-workbook commands' progress
        self.quiet = dataclasses.replace(self.settings, progress=Progress())
        self.worker = Worker(lambda request: _process_in_child(
            self.quiet, Path(request["workbook"]), request["partner_id"]))

    @property
    def progress(self) -> Progress:
        return self.settings.progress

    def problem(self, text: str) -> None:
        """A line that shows on a terminal and under cron alike."""
        self.said_problems += 1
        self.tell(f"seatbatch inbox: {text}", err=True)

    def line(self, text: str) -> None:
        """What became of one workbook, when that is a problem: on a terminal and under
        cron."""
        self.tell(text, err=True)

    def run(self) -> Outcome:
        try:
            return self._run()
        finally:
            self.worker.close()
            if self.ledger is not None:
                self.ledger.close()
            if self.root >= 0:
                os.close(self.root)
            if self.private is not None:
                shutil.rmtree(self.private, ignore_errors=True)

    def _run(self) -> Outcome:
        try:
            self.lease = claims.lease_seconds()
        except ValueError as error:
            return _ended(EXIT_USAGE, str(error))
        try:  # DIR itself is the operator's: it may be a link
            self.root = os.open(self.directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            listing = self.scan()
            self.private = Path(tempfile.mkdtemp(prefix="seatbatch-inbox-"))
        except OSError as error:
            return _ended(EXIT_USAGE, f"cannot read {shown(str(error.filename or self.directory))}"
                                      f": {error.strerror}")
        for partner_id in listing.partners:
            self.warn_stale_claims(partner_id)
        for partner_id, name in listing.in_turn():
            if self.tally.stopped:
                break
            if partner_id not in self.tally.unusable:
                self.one(partner_id, name)
        waiting = sum(len(self.waiting(p)) for p in listing.partners)
        tally = self.tally
        said = f"{tally.done} done, {tally.rejected} rejected, {waiting} waiting"
        if tally.failed:
            said += f", {tally.failed} failed"
        if tally.unfiled:
            said += f", {tally.unfiled} not filed"
        if tally.unusable:
            said += f", {len(tally.unusable)} partner folder(s) left alone"
        if said == "0 done, 0 rejected, 0 waiting" and not self.said_problems:
            # nothing came and nothing is wrong: cron mails nothing (the terminal says so)
            return Outcome(tally.exit_code(), None, [])
        return _ended(tally.exit_code(), said)

    def scan(self) -> _Listing:
        """The partners' folders and their waiting workbooks; every stray entry reported (once:
        `seatbatch.jobs.inbox_reported`) and left alone."""
        self.reported = Reported(self.root)
        try:
            if self.reported.trouble is not None:
                self.problem(f"warning: {self.reported.trouble}; what is left alone in DIR is "
                             f"reported on every run until {STATE} is a folder the inbox can "
                             "write in")
            return self._scan()
        finally:
            self.reported.close()

    def stray(self, scope: str, entry: os.DirEntry[str], text: str) -> None:
        """An entry left alone, reported unless an earlier run did, of it as it is now; but a
        workbook in a partner's folder left alone (its name too long, a hard link) on every
        run: a partner's order waits on it."""
        if self.reported.new(scope, entry, text) or (scope and is_workbook_name(entry.name)):
            self.problem(text)

    def _scan(self) -> _Listing:
        partners = []
        for entry in scan_folder(self.root):
            name = entry.name
            if name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                if name in self.settings.config.partners:
                    partners.append(name)
                else:
                    self.stray("", entry, f"{shown(name)}: not a configured partner; left alone")
            elif name in self.settings.config.partners:
                self.unusable(name, Unusable(f"{shown(name)} is "
                                             f"{'a link' if entry.is_symlink() else 'a file'}, "
                                             "not a folder"))
            else:
                self.stray("", entry, f"{shown(name)}: a file outside any partner folder; "
                           "left alone")
        self.reported.scanned("")
        workbooks = {}
        for partner_id in partners:
            workbooks[partner_id] = self.waiting(partner_id, warn=True)
            if workbooks[partner_id]:
                try:  # before any of its workbooks is claimed: can they all be filed?
                    PartnerFolder.open(self.root, self.directory, partner_id).close()
                except Unusable as error:
                    self.unusable(partner_id, error)
        return _Listing(partners, workbooks)  # unusable ones included: their workbooks wait

    def waiting(self, partner_id: str, *, warn: bool = False) -> list[str]:
        """A partner's waiting workbooks ([] for a folder that cannot be read as one)."""
        try:
            folder = open_folder(partner_id, self.root, shown(partner_id))
        except Unusable as error:
            if warn:
                self.unusable(partner_id, error)
            return []
        try:
            names = waiting_workbooks(folder, (lambda entry, text: self.stray(
                partner_id, entry, text)) if warn else None, partner_id)
            if warn:
                self.reported.scanned(partner_id)
            return names
        except OSError as error:
            if warn:
                self.unusable(partner_id, Unusable(f"cannot read {shown(partner_id)}: "
                                                   f"{error.strerror}"))
            return []
        finally:
            os.close(folder)

    def unusable(self, partner_id: str, error: Unusable) -> None:
        """Once per run: what is wrong with a partner's folder, and that its workbooks wait."""
        if partner_id in self.tally.unusable:
            return
        self.tally.unusable.add(partner_id)
        self.problem(f"{error.problem}: {shown(partner_id)}'s workbooks are left waiting; "
                     f"{error.remedy}")

    def warn_stale_claims(self, partner_id: str) -> None:
        """A claim older than an hour was left by a run that did not finish: say so, and leave
        it where it is (a person decides whether it was committed)."""
        try:
            folder = open_folder(partner_id, self.root, shown(partner_id))
        except Unusable:
            return
        try:
            held_claims = open_folder(CLAIMS, folder, "")
        except Unusable:
            return  # none yet (or not a folder: claiming says so)
        finally:
            os.close(folder)
        try:
            self._warn_stale(partner_id, held_claims)
        finally:
            os.close(held_claims)

    def _warn_stale(self, partner_id: str, held_claims: int) -> None:
        now = time.time()
        for entry in scan_folder(held_claims):
            try:
                age = now - entry.stat(follow_symlinks=False).st_mtime
                if age < STALE_CLAIM_SECONDS or not entry.is_dir(follow_symlinks=False):
                    continue
                claim = open_folder(entry.name, held_claims, "")
                try:
                    held = [e.name for e in scan_folder(claim) if e.name != STAGING]
                    if not held:  # answers staged for a workbook no longer there: a run
                        unstage(claim)  # killed as it filed, or a person took it out
                finally:
                    os.close(claim)
                if not held:  # a run stopped between making the claim and the rename
                    os.rmdir(entry.name, dir_fd=held_claims)
                    continue
            except (OSError, Unusable):
                continue  # another run finished with it meanwhile
            hours = age / 3600
            path = self.directory / partner_id / CLAIMS / entry.name
            for name in held:
                self.problem(f"warning: {shown(partner_id)}/{shown(name)} has been claimed for "
                             f"{hours:.0f} hour(s) by a run that did not finish; it is not "
                             f"processed again automatically: {shown(str(path / name))}")

    def one(self, partner_id: str, name: str) -> None:
        try:
            with PartnerFolder.open(self.root, self.directory, partner_id) as folder:
                self.claim_and_process(folder, name)
        except Unusable as error:
            self.unusable(partner_id, error)

    def claim_and_process(self, folder: PartnerFolder, name: str) -> None:
        """Move the workbook into a claim folder of its own and read it into a private copy;
        then process it, unless another run took it first or it is no workbook file."""
        partner_id, where = folder.partner_id, f"{shown(folder.partner_id)}/{shown(name)}"
        token = secrets.token_hex(8)
        try:
            os.mkdir(token, dir_fd=folder.claims)
        except OSError as error:
            raise Unusable(f"cannot claim workbooks in {shown(partner_id)}/{CLAIMS}: "
                           f"{error.strerror}") from None
        claim = -1
        assert self.private is not None
        private = self.private / token
        try:
            claim = open_folder(token, folder.claims, f"{shown(partner_id)}/{CLAIMS}/{token}")
            try:
                os.rename(name, name, src_dir_fd=folder.folder, dst_dir_fd=claim)
            except FileNotFoundError:
                return  # another run got it first
            except OSError as error:
                raise Unusable(f"cannot claim {where}: {error.strerror}",
                               f"let the inbox write in {shown(partner_id)}") from None
            try:
                private.mkdir()
                copy = private_copy(name, claim, private,
                                    self.settings.config.limits.max_file_mb * MB)
            except NotAWorkbookFile as error:  # swapped for one since the scan
                self.put_back(folder, claim, name, f"{where}: {error}")
                return
            except OSError as error:
                self.put_back(folder, claim, name, f"{where}: cannot read it: {error.strerror}")
                return
            except KeyboardInterrupt:
                self.put_back(folder, claim, name, f"{where}: stopped")
                raise
            try:
                self.work(_Claimed(folder, claim, token, name, copy))
            except KeyboardInterrupt:  # (while its worker ran, it was held: put back or filed)
                with suppress(FileNotFoundError):
                    os.stat(name, dir_fd=claim, follow_symlinks=False)
                    self.put_back(folder, claim, name, f"{where}: stopped")
                raise
        finally:
            if claim >= 0:
                unstage(claim)
                os.close(claim)
            with suppress(OSError):  # not empty: it could not be filed, and that was said
                os.rmdir(token, dir_fd=folder.claims)
            shutil.rmtree(private, ignore_errors=True)

    def work(self, claimed: _Claimed) -> None:
        where = claimed.where
        try:
            ticket = self.take(claimed)
        except Exception as error:  # noqa: BLE001  before its run: nothing of it was processed
            self.outcome(claimed, None, _verdict_of(error))
            return
        if ticket is None:
            return
        try:
            result = self.worker.ask({"workbook": str(claimed.copy.path),
                                      "partner_id": claimed.partner_id})
        except OSError as error:  # no worker to be had (fork, pipes, a full temporary folder)
            self.outcome(claimed, ticket, {
                "kind": "busy", "text": f"cannot start its processing: {error.strerror}"})
            return
        if isinstance(result, Died):
            self.settle(ticket, where, "failed", None)
            self.failed(claimed, f"its processing died: {result.how}", None,
                        f"The processing of {claimed.where} died: {result.how}.\n\n"
                        f"What it printed before it died (the end):\n{result.output}")
        else:
            self.outcome(claimed, ticket, result.value)
        if result.interrupted:
            raise Terminated if result.interrupted == signal.SIGTERM else KeyboardInterrupt

    def outcome(self, claimed: _Claimed, ticket: claims.Claim | None,
                verdict: dict[str, Any]) -> None:
        """File the workbook as its child's run left it."""
        where, kind = claimed.where, verdict["kind"]
        if kind in ("busy", "usage", "interrupted"):
            self.release(ticket, where)
            text = "stopped" if kind == "interrupted" else verdict["text"]
            self.put_back(claimed.folder, claimed.claim, claimed.name, f"{where}: {text}")
            if kind == "interrupted":
                raise Terminated if verdict["terminated"] else KeyboardInterrupt
            self.tally.busy |= kind == "busy"
            self.tally.usage |= kind == "usage"
        elif kind == "internal":
            self.settle(ticket, where, "failed", None)
            self.failed(claimed, verdict["summary"], verdict["log"], "")
        elif kind == "bug":
            self.settle(ticket, where, "failed", None)
            self.failed(claimed, verdict["summary"], None, verdict["details"])
        else:
            assert ticket is not None
            self.processed(claimed, ticket, verdict)

    def processed(self, claimed: _Claimed, ticket: claims.Claim, run: dict[str, Any]) -> None:
        where, folder, status = claimed.where, run["folder"], run["status"]
        self.tell(folder)
        # the ledger first: from now on no host processes these bytes again
        self.settle(ticket, where, status, folder)
        shelf = DONE if run["exit_code"] == EXIT_OK else REJECTED
        filed = self.file(claimed, shelf, {
            "status": status, "exit_code": run["exit_code"], "run_folder": folder,
            "host": self.host, "problems": run["problems"], "messages": run["messages"]},
            self.answers(claimed, Path(folder), run.get("invoice_files", [])))
        for warning in run["warnings"]:
            self.problem(f"warning: {where}: {warning}")
        if filed is None:
            return
        if run["exit_code"] == EXIT_REJECTED:
            self.tally.rejected += 1
            self.line(f"{where}: rejected, {run['problems']} problem(s); filed as "
                      f"{shown(str(filed))}")
            # the first reasons, as `process` says them: the mail tells what went wrong
            for message in run["messages"][:SAID_REASONS]:
                self.line(f"  {message}")
            if run["problems"] > SAID_REASONS:
                self.line(f"  ... and {run['problems'] - SAID_REASONS} more: in the summary "
                          "and the marked workbook filed beside it")
        else:
            self.tally.done += 1
            invoices, changes = run["invoices"], run.get("changes", 0)
            done = ", ".join(([f"{invoices} invoice(s)"] if invoices else [])
                             + ([f"{changes} subscription change(s)"] if changes else []))
            # progress prints through the one escaping output path, as every line here does
            self.progress.note(f"{where}: done, {status}, {done or 'nothing new'}")

    def answers(self, claimed: _Claimed, folder: Path, invoices: list[str], *,
                banner: bytes = b"") -> list[Beside]:
        """What is filed beside the workbook from its run folder (`folder`), staged in its
        claim folder: the summary (`banner`, HTML, at the top of its page), the marked workbook
        and `invoices` that the run wrote. None when they cannot be (said: the run folder has
        them all)."""
        answers: list[Beside] = []
        try:
            staging = open_folder(STAGING, claimed.claim, STAGING, make=True)
            try:
                if (folder / "rejected.xlsx").is_file():
                    stage_copy(folder / "rejected.xlsx", "rejected.xlsx", staging)
                    answers.append(Beside(MARKED, staged="rejected.xlsx"))
                if invoices:
                    stage_folder([folder / name for name in invoices], "invoices", staging)
                    answers.append(Beside(INVOICES, staged="invoices"))
                if (folder / "summary.html").is_file():
                    summary = (folder / "summary.html").read_bytes().replace(
                        b"<body>", b"<body>\n" + banner, 1)
                    linked = {answer.suffix for answer in answers}
                    answers.insert(0, Beside(SUMMARY, content=lambda candidate: _linked(
                        summary, candidate, linked)))
            finally:
                os.close(staging)
        except (OSError, Unusable) as error:
            unstage(claimed.claim)
            why = error.strerror if isinstance(error, OSError) else error.problem
            self.problem(f"warning: {claimed.where}: its summary and documents cannot be filed "
                         f"beside it ({why}); they are in {shown(str(folder))}")
            return []
        return answers

    def earlier_answers(self, claimed: _Claimed, run_folder: str | None) -> list[Beside]:
        """The answers of the run that processed the same bytes before, when its folder is
        here to say so (its manifest names these bytes): sent again, or left by a run stopped
        as it filed them, the partner finds them beside the workbook all the same."""
        if not run_folder:
            return []
        folder = Path(run_folder)
        try:
            manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
        except (OSError, ValueError):  # on another host, or removed since
            return []
        if not isinstance(manifest, dict) or manifest.get("input", {}).get(
                "sha256") != claimed.copy.sha256:
            return []
        # not to be read as a second billing: this filing issued nothing
        banner = (f'<p class="bad"><strong>Nothing new was issued for this file:</strong> its '
                  f"content was processed before, by run {html.escape(folder.name)}. What "
                  "follows is that run's answer.</p>\n").encode()
        return self.answers(claimed, folder, _sent(manifest), banner=banner)

    def claims_ledger(self) -> Ledger:
        """The ledger that records claims: opened once per inbox run, when the first workbook
        is claimed (as `process` opens it: made if it does not exist)."""
        if self.ledger is None:
            self.ledger = Ledger.open(self.settings.ledger_url, write=True)
        return self.ledger

    def take(self, claimed: _Claimed) -> claims.Claim | None:
        """Claim the workbook's content in the ledger. None when this run is not to process
        it: another host is on it (put back to wait), or the same bytes were processed
        already (filed in done/ beside a note naming that run; no new run)."""
        where = claimed.where
        ticket = self.claims_ledger().claim(claimed.partner_id, claimed.copy.sha256,
                                            unicode_name(claimed.name), host=self.host,
                                            pid=os.getpid(), lease=self.lease)
        if ticket.state == claims.TAKEN:
            return ticket
        if ticket.state == claims.HELD:
            elsewhere = f"host {shown(ticket.host)}" if ticket.host else "another host"
            self.put_back(claimed.folder, claimed.claim, claimed.name,
                          f"{where}: being processed on {elsewhere}")
            return None
        earlier = (f"{shown(ticket.name or '?')} on host {shown(ticket.host or '?')}: "
                   f"{shown(ticket.run_folder or '?')}")
        filed = self.file(claimed, DONE, {
            "status": "duplicate", "exit_code": EXIT_OK, "run_folder": ticket.run_folder,
            "host": ticket.host, "problems": 0,
            "messages": [f"the same file was already processed ({ticket.outcome}) as {earlier}"],
            "processed_before": {"workbook": ticket.name, "status": ticket.outcome,
                                 "host": ticket.host, "run_folder": ticket.run_folder}},
            self.earlier_answers(claimed, ticket.run_folder))
        if filed is not None:
            self.tally.done += 1
            self.progress.note(f"{where}: done, already processed as {earlier}")
        return None

    def settle(self, ticket: claims.Claim | None, where: str, outcome: str,
               run_folder: str | None) -> None:
        """Record the run's outcome on its claim (retried on a busy ledger: a claim left open
        holds the workbook's copies elsewhere until its lease ends)."""
        self._end_claim(ticket, where, lambda ledger, taken: ledger.finish_claim(
            taken, outcome, run_folder))

    def release(self, ticket: claims.Claim | None, where: str) -> None:
        self._end_claim(ticket, where, Ledger.release_claim)

    def _end_claim(self, ticket: claims.Claim | None, where: str,
                   end: Callable[[Ledger, claims.Claim], bool]) -> None:
        if ticket is None or self.ledger is None:
            return
        for attempt in range(SETTLE_ATTEMPTS):
            try:
                if not end(self.ledger, ticket):
                    self.problem(f"warning: {where}: its claim outlived the lease "
                                 f"({self.lease:g} s) and was taken over by another run")
                return
            except LedgerBusy as error:
                if attempt + 1 == SETTLE_ATTEMPTS:
                    self.problem(f"warning: {where}: its claim could not be updated: {error}; "
                                 "it ends with its lease")
                    return
                time.sleep(1)
            except Exception as error:  # noqa: BLE001  it was processed: say so, and go on
                self.problem(f"warning: {where}: its claim could not be updated: "
                             f"{without_password(summary(error), self.settings.ledger_url)}")
                return

    def failed(self, claimed: _Claimed, what: str, log: str | None, details: str) -> None:
        """A bug met this workbook: it is filed as rejected, with a note naming the log."""
        if log is None:  # it failed outside any run folder: the details go beside it
            name = f"{claimed.token}.error.log"
            text = without_password(details, self.settings.ledger_url)
            try:
                if not write_new(name, claimed.folder.rejected, text.encode("utf-8")):
                    raise FileExistsError(0, "something of that name is there already")
            except OSError as error:
                self.problem(f"warning: {claimed.where}: cannot write its error log "
                             f"{shown(claimed.partner_id)}/{REJECTED}/{name}: {error.strerror}")
            log = str(claimed.folder.path / REJECTED / name)
        filed = self.file(claimed, REJECTED, {
            "status": "failed", "exit_code": EXIT_INTERNAL, "run_folder": None,
            "problems": 0, "messages": [], "error": what, "error_log": log})
        self.tally.failed += 1
        self.line(f"{claimed.where}: internal error: {what} (details: {shown(log)})" + (
            f"; filed as {shown(str(filed))}" if filed is not None else ""))

    def file(self, claimed: _Claimed, shelf_name: str, note: dict[str, Any],
             answers: Sequence[Beside] = ()) -> Path | None:
        """The workbook under its own name in done/ or rejected/ (never over an earlier one:
        "name (2).xlsx" then), beside `<name>.json`, the note that says what became of it, and
        its `answers` (the note names them). None when its folder would not take it (said, and
        its partner's other workbooks wait)."""
        folder = claimed.folder
        shelf = folder.done if shelf_name == DONE else folder.rejected

        def content(candidate: str) -> bytes:
            return _note_text({
                "workbook": unicode_name(claimed.name), "filed_as": unicode_name(candidate),
                "partner_id": claimed.partner_id, **note,
                **({"answers": {ANSWERS[a.suffix]: unicode_name(candidate + a.suffix)
                                for a in answers}} if answers else {}),
                "filed_at": datetime.now(UTC).isoformat(timespec="seconds")}).encode("utf-8")

        try:
            filed = file_with(claimed.name, claimed.claim, shelf,
                              [Beside(".json", content=content), *answers])
        except OSError as error:
            self.tally.unfiled += 1
            self.unusable(claimed.partner_id, Unusable(
                f"{claimed.where}: cannot file it in {shown(claimed.partner_id)}/{shelf_name}: "
                f"{error.strerror}; it stays in {shown(str(claimed.path))}",
                "a person files it by hand"))
            return None
        return folder.path / shelf_name / filed

    def put_back(self, folder: PartnerFolder, claim: int, name: str, problem: str) -> None:
        """Not the workbook's fault: back to waiting for the next run (beside a newer upload of
        the same name, if one came meanwhile)."""
        try:
            candidate = put_back(name, claim, folder.folder)
        except OSError as error:
            self.tally.unfiled += 1
            self.unusable(folder.partner_id, Unusable(
                f"{problem}; and it cannot be put back: {error.strerror}",
                "a person puts it back by hand"))
            return
        again = "" if candidate == name else f" as {shown(candidate)}"
        self.line(f"{problem}; left waiting{again}")


def _note_text(note: dict[str, Any]) -> str:
    return json.dumps(note, indent=2) + "\n"


def _ended(exit_code: int, text: str) -> Outcome:
    """How an inbox run ends: its exit code and its last line."""
    return Outcome(exit_code, None, [], lines=[f"seatbatch inbox: {text}"])


def inbox(settings: Settings, directory: Path, tell: Tell = _silent) -> Outcome:
    """Process every waiting workbook of every configured partner folder in `directory`,
    telling what became of each as it happens; the exit code: 0 all filed, 2 usage or
    configuration (or a processed workbook its folder would not take), 70 a bug met a workbook,
    75 ledger busy."""
    run = Inbox(settings, directory, tell)
    try:
        return run.run()
    except KeyboardInterrupt as stopped:  # Ctrl-C or SIGTERM: what was filed stays filed
        tally = run.tally
        return _ended(stopped_code(stopped),
                      f"{stopped_how(stopped)} after {tally.done} done, {tally.rejected} "
                      f"rejected, {tally.failed} failed; the workbook in progress was put back "
                      "to wait")
