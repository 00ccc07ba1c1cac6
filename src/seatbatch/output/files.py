"""Writing a run's invoice files, in each format of SPEC §9: thousands of small documents,
spread over the machine's cores.

Worker processes are forked early, before the run imports pandas: they are small, one of
them reads a large workbook meanwhile, and they are ready by the time numbers are assigned.
PDFs are made only in workers, however few the invoices (typst cannot make a PDF in a
process forked from one that made one); a process that has made one starts its workers from
a fork server instead. Files go into the run's staging folder, so writing may start inside
the committing transaction; a run that does not commit discards them with the folder. Once
the run has committed, this process writes the chunks no worker has started on yet itself
rather than wait for the workers (but their PDFs, which it sends back). A run that issues more
invoices than it should hold at once (renew) writes them after its commit instead, from the
ledger's documents of them, a few batches in flight at a time."""

from __future__ import annotations

import ctypes
import json
import os
import signal
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar, TypeVarTuple

from seatbatch.core.documents import invoice_from_document
from seatbatch.core.exits import STOPS, stops_held
from seatbatch.core.model import Invoice
from seatbatch.core.progress import Progress
from seatbatch.output.html import render
from seatbatch.output.whole_files import open_folder, write_whole
from seatbatch.output.xlsx import invoice_xlsx

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

T = TypeVar("T")
U = TypeVar("U")
Ts = TypeVarTuple("Ts")

PARALLEL_FROM = 200  # invoices; below this, starting workers costs more than it saves
BYTES_PER_INVOICE = 1000  # a workbook this many bytes per expected invoice, at the least
CHUNK = 100
PR_SET_PDEATHSIG = 1  # prctl(2)


EXTENSIONS = {"xlsx": "xlsx", "html": "html", "pdf": "pdf", "ubl": "xml"}  # SPEC §9


def invoice_files(invoice: Invoice, formats: Sequence[str]) -> dict[str, str]:
    """Its file of each format written, by format, as the manifest lists them."""
    return invoice_files_of(str(invoice.number), formats, einvoice=_taxed(invoice))


def document_files(document: Mapping[str, Any], formats: Sequence[str]) -> dict[str, str]:
    """The same for an issued invoice as the ledger keeps it (core.documents), undecoded."""
    return invoice_files_of(document["number"], formats,
                            einvoice="vat" in document and "payment" in document)


def invoice_files_of(number: str, formats: Sequence[str], *, einvoice: bool
                     ) -> dict[str, str]:
    return {kind: f"invoices/{number}.{EXTENSIONS[kind]}"
            for kind in written(formats, einvoice=einvoice)}


def written(formats: Sequence[str], *, einvoice: bool) -> tuple[str, ...]:
    """The formats an invoice is written as: all those configured, but the e-invoice for one
    issued without VAT and payment means (before SPEC Part II was configured: `render` and
    the recovery of a run write it again as it can be)."""
    return tuple(kind for kind in formats if einvoice or kind != "ubl")


def formats_written(invoice: Invoice, formats: Sequence[str]) -> tuple[str, ...]:
    """The formats `invoice` is written as (`written`)."""
    return written(formats, einvoice=_taxed(invoice))


def _taxed(invoice: Invoice) -> bool:
    """Issued with VAT and payment means: an e-invoice can be made of it."""
    return invoice.vat is not None and invoice.payment is not None


QUOTE_WORKBOOK, QUOTE_PAGE = "invoices/quote.xlsx", "invoices/quote.html"  # every estimate


def estimate_pdf(position: int) -> str:
    return f"quote-{position}.pdf"


def estimate_files(position: int, formats: Sequence[str]) -> dict[str, str]:
    """An estimate's files in a quote: the quote's one workbook and page, and its own PDF
    when PDFs are written (never an e-invoice: SPEC §9)."""
    files = {"xlsx": QUOTE_WORKBOOK, "html": QUOTE_PAGE}
    if "pdf" in formats:
        files["pdf"] = f"invoices/{estimate_pdf(position)}"
    return files


def _write_estimate_pdfs(invoices: Sequence[Invoice], folder: Path) -> int:
    from seatbatch.output.pdf import write_invoice_pdf

    folder.mkdir(parents=True, exist_ok=True)
    for position, invoice in enumerate(invoices, start=1):
        write_invoice_pdf(invoice, folder / estimate_pdf(position))
    return len(invoices)


def einvoice_lacks(invoices: Iterable[Invoice], formats: Sequence[str]) -> list[str]:
    """What keeps an invoice from being a valid e-invoice when `ubl` is a format, each naming
    its invoice: checked before a run commits, so that none is ever written half-valid."""
    if "ubl" not in formats:
        return []
    from seatbatch.output.ubl import lacking  # here: lxml only where e-invoices are written

    return [f"{invoice.number or invoice.customer_id}: lacks {', '.join(found)}"
            for invoice in invoices if (found := lacking(invoice))]


def write_invoice_files(invoice: Invoice, folder: Path, formats: Sequence[str],
                        descriptor: int | None = None) -> None:
    """The invoice as each format (SPEC §9), named after its number, in `folder`
    (`descriptor`: the folder open, see whole_files.open_folder, when it is)."""
    formats = formats_written(invoice, formats)
    name = f"{invoice.number}."
    # each file's path but for its extension: relative to the open folder, or whole
    stem = name if descriptor is not None else str(folder / name)
    if "xlsx" in formats:
        write_whole(stem + EXTENSIONS["xlsx"], invoice_xlsx(invoice), folder=descriptor)
    if "html" in formats:
        write_whole(stem + EXTENSIONS["html"],
                    render("invoice.html", invoice=invoice).encode("utf-8"), folder=descriptor)
    if "pdf" in formats:
        from seatbatch.output.pdf import write_invoice_pdf  # here: typst where PDFs are made

        write_invoice_pdf(invoice, folder / (name + EXTENSIONS["pdf"]))
    if "ubl" in formats:
        from seatbatch.output.ubl import ubl_invoice

        (folder / (name + EXTENSIONS["ubl"])).write_bytes(ubl_invoice(invoice))


def _write_chunk(invoices: Sequence[Invoice], folder: Path, formats: Sequence[str]) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    descriptor = open_folder(folder)  # its files made relative to it: thousands a run
    try:
        for invoice in invoices:
            write_invoice_files(invoice, folder, formats, descriptor)
    finally:
        if descriptor is not None:
            os.close(descriptor)
    return len(invoices)


def _write_documents(documents: Sequence[str], folder: Path, formats: Sequence[str]) -> int:
    """Issued invoices written from the ledger's documents of them (JSON text)."""
    return _write_decoded([json.loads(d) for d in documents], folder, formats)


def _write_decoded(documents: Sequence[dict[str, Any]], folder: Path,
                   formats: Sequence[str]) -> int:
    """Invoices written from their documents (core.documents), as decoded."""
    return _write_chunk([invoice_from_document(d) for d in documents], folder, formats)


def _leave_signals_to_the_run(parent: int) -> None:
    """In each worker: Ctrl-C (sent to the whole process group) and SIGTERM are the run's to
    handle; the worker finishes its chunk and is stopped by the run, never printing a
    traceback of its own. Should the run itself die (SIGKILL), the worker dies with it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOPS)
    if sys.platform == "linux":
        with suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if parent and os.getppid() != parent:  # the run died before the line above
        os._exit(0)


def _ready() -> None:
    """Run once in each worker as it starts, so that the workers exist before they are needed."""


@dataclass(frozen=True)
class Chain(Generic[T, U]):
    """Work, then steps after it, in the workers (`InvoiceWriter.meanwhile_then`): calling it
    waits for all of it; `early(i)` waits only for the i-th step, and gives its result when a
    worker did it and it ended well, else None (calling the chain still gives everything)."""

    whole: Callable[[], tuple[T, list[U]]]
    early: Callable[[int], U | None]

    def __call__(self) -> tuple[T, list[U]]:
        return self.whole()


class InvoiceWriter:
    """`prepare(n)` when about n invoices are expected, `submit(invoices)` once they are
    numbered, `finish()` to wait for every file. Leaving the `with` block stops the workers."""

    def __init__(self, folder: Path, progress: Progress,
                 formats: Sequence[str] = ("xlsx", "html")):
        self.folder = folder
        self.progress = progress
        self.formats = tuple(formats)
        # typst cannot make a PDF in a process forked from one that made one: PDFs are made
        # only in workers, however few the invoices (see output/pdf.py)
        self.pdf_in_workers = "pdf" in self.formats
        self.pool: ProcessPoolExecutor | None = None
        self.workers = 0
        # the work sent to the workers, each with the invoices (and their documents, when sent
        # those) that this process may take back should no worker have started on them by
        # `finish` (None: a quote's estimates)
        self.futures: list[tuple[Future[int], Sequence[Invoice] | None,
                                 Sequence[dict[str, Any]] | None]] = []
        self.waiting: list[Invoice] = []

    def __enter__(self) -> InvoiceWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._discard_pool()

    def prepare(self, expected: int) -> None:
        """Start the workers if about `expected` invoices are worth them (one at least when
        PDFs are made). Starting them before the workbook is read keeps them small: a forked
        worker shares what its parent held."""
        workers = min(os.cpu_count() or 1, 8)
        if self.pool is not None:
            return
        if expected < PARALLEL_FROM or workers == 1:
            if not self.pdf_in_workers:
                return
            workers = 1
        self._start(workers)

    def _start(self, workers: int) -> None:
        import multiprocessing  # here: a run that writes few invoices starts no workers

        from seatbatch.output.pdf import compiled_here

        methods = multiprocessing.get_all_start_methods()
        method = "fork" if "fork" in methods else "spawn"
        if self.pdf_in_workers and compiled_here() and "forkserver" in methods:
            # this process made a PDF already (a library caller, a test): its forks could not
            method = "forkserver"
        # Ctrl-C or SIGTERM waits until the pool stands whole (then it is shut down as the run
        # ends): landing amid the forks, it would leave workers no one stops
        with stops_held():
            try:
                self._open(workers, method)
            except ChildProcessError:
                # The fork server was inherited from the process this one was forked from (an
                # inbox's worker, forked from a test runner or library caller that started
                # one): not this process's child, it cannot be checked on. Fresh interpreters.
                self._discard_pool()
                self._open(workers, "spawn")

    def _open(self, workers: int, method: str) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self.pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context(method),
            initializer=_leave_signals_to_the_run,
            # a fork server's worker is its child, not the run's: it dies with the server,
            # which ends with the run
            initargs=(0 if method == "forkserver" else os.getpid(),))
        self.workers = workers
        for _ in range(workers):
            self.pool.submit(_ready)

    def _pdf_worker(self) -> None:
        """A worker, when PDFs are written and none was started (PDFs are made only in
        workers: see output/pdf.py)."""
        if self.pool is None and self.pdf_in_workers:
            self._start(1)

    def meanwhile_then(self, then: Callable[[T], Sequence[Callable[[], U]]],
                       work: Callable[[*Ts], T], *args: *Ts) -> Chain[T, U]:
        """`work(*args)` in a worker, which has nothing else to do until invoices are numbered,
        while this process goes on; the moment it is done, each of `then(its result)` in the
        workers, side by side (each plain data). Calling what this returns waits for them all:
        the result, and theirs in order (or raises what they raised). Without workers, it is
        all done here and now; should a worker die at it (killed, or aborted at its memory
        limit by a reader in Rust), all of it is done here, where it succeeds or fails as it
        would without workers, and the pool is gone with the worker (invoices are then
        written here)."""
        pool = self.pool
        if pool is None:
            done = work(*args)
            return Chain(lambda: (done, [step() for step in then(done)]), lambda _: None)
        first = pool.submit(work, *args)
        steps: list[Future[U]] = []
        chained = threading.Event()

        def chain(future: Future[T]) -> None:  # in the pool's own thread, as `first` ends
            try:
                if not future.cancelled() and future.exception() is None:
                    steps.extend(pool.submit(step) for step in then(future.result()))
            except Exception:  # noqa: BLE001  the pool broke or shut down: result() does it here
                pass
            finally:
                chained.set()

        first.add_done_callback(chain)

        def result() -> tuple[T, list[U]]:
            from concurrent.futures.process import BrokenProcessPool

            try:
                done = first.result()
                chained.wait()
                wanted = then(done)
                if len(steps) < len(wanted):  # the pool could not take them: here
                    return done, [step() for step in wanted]
                return done, [step.result() for step in steps]
            except BrokenProcessPool:  # a worker died at it: all of it here, without workers
                self._discard_pool()
                done = work(*args)
                return done, [step() for step in then(done)]

        def early(index: int) -> U | None:
            chained.wait()
            try:
                return steps[index].result() if index < len(steps) else None
            except Exception:  # noqa: BLE001  whatever went wrong, result() meets it again and deals with it
                return None

        return Chain(result, early)

    def _discard_pool(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool, self.workers = None, 0

    def submit(self, invoices: Sequence[Invoice],
               documents: Sequence[dict[str, Any]] | None = None) -> None:
        """Workers start on them at once; without workers they wait for `finish`, so that a
        small run does not hold the ledger's write lock while its files are written (a run
        may submit its invoices a chunk at a time). Given the invoices' documents
        (`invoice_document` of each, in order), the workers are sent those and make the
        invoices of them: plain data is pickled in a fifth of the time, and this process,
        which is committing meanwhile, pickles what it sends."""
        if invoices:
            self._pdf_worker()
        if self.pool is None:
            self.waiting.extend(invoices)
            return
        pool, folder, formats = self.pool, self.folder, self.formats
        assert documents is None or len(documents) == len(invoices)
        for i in range(0, len(invoices), CHUNK):
            chunk = invoices[i:i + CHUNK]
            made = None if documents is None else documents[i:i + CHUNK]
            future = (pool.submit(_write_chunk, chunk, folder, formats) if made is None
                      else pool.submit(_write_decoded, made, folder, formats))
            self.futures.append((future, chunk, made))

    def submit_estimates(self, invoices: Sequence[Invoice]) -> None:
        """A quote's estimates, each as a PDF marked as one, when PDFs are written; a worker
        starts on them at once (`finish` waits for them)."""
        if not self.pdf_in_workers or not invoices:
            return
        self._pdf_worker()
        assert self.pool is not None
        self.futures.append(
            (self.pool.submit(_write_estimate_pdfs, list(invoices), self.folder), None, None))

    def write_documents(self, batches: Iterable[Sequence[str]], count: int) -> None:
        """Write issued invoices from their ledger documents as `batches` yields them (about
        CHUNK a batch, `count` in all), with at most two batches a worker in flight: however
        many there are, neither this process nor the workers hold more than a few batches."""
        if not count:
            return
        self._pdf_worker()
        pending: deque[Future[int]] = deque()
        for batch in self.progress.iterate(batches, "Writing invoices",
                                           length=-(-count // CHUNK)):
            if self.pool is None:
                _write_documents(batch, self.folder, self.formats)
                continue
            pending.append(self.pool.submit(_write_documents, batch, self.folder, self.formats))
            while len(pending) > 2 * self.workers:
                pending.popleft().result()
        for future in pending:
            future.result()

    def finish(self) -> None:
        chunks = [self.waiting[i:i + CHUNK] for i in range(0, len(self.waiting), CHUNK)]
        steps = len(chunks) + len(self.futures)
        if steps:
            for _ in self.progress.iterate(self._written(chunks), "Writing invoices", steps):
                pass
        self.waiting, self.futures = [], []

    def _written(self, chunks: list[list[Invoice]]) -> Iterator[None]:
        """Each chunk written, one step each: those that wait for `finish` here; of those sent
        to the workers, the last ones no worker has started yet here too (the pool hands its
        workers a chunk at a time, so that the ones it holds back can still be taken back), as
        this process has nothing else to do, while the workers write the others. Their PDFs
        are sent back to the workers (PDFs are made only there)."""
        for chunk in chunks:
            _write_chunk(chunk, self.folder, self.formats)
            yield
        here = tuple(kind for kind in self.formats if kind != "pdf")
        pdfs: list[Future[int]] = []
        sent = deque(self.futures)
        while sent:
            future, invoices, documents = sent[-1]
            pool = self.pool if "pdf" in self.formats else None
            if (invoices is not None and (pool is not None or not self.pdf_in_workers)
                    and future.cancel()):  # no worker started on it
                sent.pop()
                _write_chunk(invoices, self.folder, here)
                if pool is None:
                    yield
                elif documents is None:
                    pdfs.append(pool.submit(_write_chunk, invoices, self.folder, ("pdf",)))
                else:
                    pdfs.append(pool.submit(_write_decoded, documents, self.folder, ("pdf",)))
            else:  # nor on any before it: the workers have them all
                sent.popleft()[0].result()
                yield
        for future in pdfs:
            future.result()
            yield
