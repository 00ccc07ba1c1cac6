"""The invoice writer's workers: work handed to them meanwhile, and what happens when one
dies at it."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

from conftest import ROOT
from seatbatch.billing.legal import issuer_party, partner_party, payment_of, vat_of
from seatbatch.core.config import load_config
from seatbatch.core.documents import invoice_document
from seatbatch.core.model import Invoice, InvoiceLine, LineAmounts
from seatbatch.core.progress import Progress
from seatbatch.output.files import CHUNK, PARALLEL_FROM, InvoiceWriter
from seatbatch.output.pdf import compiled_here, invoice_pdf


def _dies_in_a_worker(parent: int) -> int:
    if os.getpid() != parent:
        os.kill(os.getpid(), signal.SIGKILL)  # as the kernel's OOM killer ends it
    return 42


def _nothing_after(_: object) -> list[Callable[[], object]]:
    return []


def test_work_whose_worker_dies_is_done_here_and_the_writer_goes_on_without_workers(
        tmp_path: Path) -> None:
    with InvoiceWriter(tmp_path / "invoices", Progress()) as writer:
        writer.prepare(PARALLEL_FROM)
        if (os.cpu_count() or 1) > 1:
            assert writer.pool is not None
        result = writer.meanwhile_then(_nothing_after, _dies_in_a_worker, os.getpid())
        assert result() == (42, [])  # done here, after the worker died at it
        assert writer.pool is None
        writer.submit([])
        writer.finish()


def test_without_workers_work_is_done_at_once(tmp_path: Path) -> None:
    with InvoiceWriter(tmp_path / "invoices", Progress()) as writer:
        writer.prepare(1)
        assert writer.pool is None
        assert writer.meanwhile_then(_nothing_after, _dies_in_a_worker, os.getpid())() == (42, [])


def _invoices(count: int) -> list[Invoice]:
    """Issued invoices of the sample configuration's partner, two lines each."""
    config = load_config(ROOT / "samples" / "seatbatch.toml")
    partner = config.partners["P-ACME"]
    amounts = LineAmounts(Decimal("450.00"), Decimal("45.00"), Decimal("81.00"), Decimal("324.00"))
    invoices = []
    for n in range(1, count + 1):
        number = f"INV-2026-{n:06d}"
        lines = tuple(
            InvoiceLine(f"ORD-{n}-{k}", "new", f"SUB-{n:06d}", "Space Pro", 3, 1,
                        date(2026, 11, 1), date(2027, 10, 31), Decimal("150.00"), 365, 365,
                        amounts)
            for k in (1, 2))
        total = Decimal("648.00")
        invoices.append(Invoice(
            number=number, invoice_date=date(2026, 11, 24), due_date=date(2026, 12, 24),
            issuer=issuer_party(config.issuer), partner_id=partner.id,
            bill_to=partner_party(partner), customer_id=f"C-{n:06d}",
            customer_name=f"Customer <{n}> & Co", po_number=f"PO-{n}", currency="EUR",
            partner_discount_rate=partner.discount, lines=lines, total=total,
            vat=vat_of(config, partner, total), payment=payment_of(config, number)))
    return invoices


def test_workers_sent_the_documents_write_the_files_the_invoices_write_here(
        tmp_path: Path) -> None:
    invoices = _invoices(PARALLEL_FROM + CHUNK // 2)
    documents = [invoice_document(invoice) for invoice in invoices]
    with InvoiceWriter(tmp_path / "here", Progress()) as writer:
        writer.prepare(1)
        writer.submit(invoices)
        writer.finish()
    with InvoiceWriter(tmp_path / "workers", Progress()) as writer:
        writer.prepare(PARALLEL_FROM)
        if (os.cpu_count() or 1) > 1:
            assert writer.pool is not None
        for start in range(0, len(invoices), CHUNK):  # as `process` submits them
            writer.submit(invoices[start:start + CHUNK], documents[start:start + CHUNK])
        writer.finish()
    here = sorted(path.name for path in (tmp_path / "here").iterdir())
    assert here == sorted(path.name for path in (tmp_path / "workers").iterdir())
    assert len(here) == 2 * len(invoices)
    for name in here:
        assert (tmp_path / "workers" / name).read_bytes() == (tmp_path / "here" / name).read_bytes()


def _busy_until(path: Path) -> bool:
    """A worker kept busy until `path` exists (at most a minute)."""
    for _ in range(6000):
        if path.exists():
            return True
        time.sleep(0.01)
    return False


def test_finish_writes_here_the_chunks_no_worker_has_started(tmp_path: Path) -> None:
    if (os.cpu_count() or 1) == 1:
        return  # no workers: every chunk is written here anyway
    invoices = _invoices(8 * CHUNK)
    documents = [invoice_document(invoice) for invoice in invoices]
    folder = tmp_path / "invoices"
    with InvoiceWriter(folder, Progress()) as writer:
        writer.prepare(PARALLEL_FROM)
        # every worker busy until the last invoice's page is written, which only this
        # process can do as it finishes: the run would wait for ever were it not taken back
        last = folder / f"{invoices[-1].number}.html"
        busy = [writer.meanwhile_then(_nothing_after, _busy_until, last)
                for _ in range(writer.workers)]
        for start in range(0, len(invoices), CHUNK):
            writer.submit(invoices[start:start + CHUNK], documents[start:start + CHUNK])
        writer.finish()
        assert all(done()[0] for done in busy)
    assert sorted(path.name for path in folder.iterdir()) == sorted(
        f"{invoice.number}.{kind}" for invoice in invoices for kind in ("xlsx", "html"))


def _write_pdfs_here_and_in_a_fork(folder: Path) -> int:
    """In a process that has made a PDF (so its writers use a fork server) and started a fork
    server, a fork of it (as `inbox` forks a worker per workbook) writes PDFs too: its exit
    status (0 when every file is there)."""
    if not compiled_here():  # (the test runner made one already, when its tests made PDFs)
        invoice_pdf(_invoices(1)[0])  # made here: this process and its forks may make no more
    with InvoiceWriter(folder / "parent", Progress(), ("pdf",)) as writer:
        writer.submit(_invoices(2))
        writer.finish()
    child = os.fork()
    if child == 0:
        status = 3
        try:
            with InvoiceWriter(folder / "child", Progress(), ("pdf",)) as writer:
                writer.submit(_invoices(2))
                writer.finish()
            status = 0 if len(list((folder / "child").iterdir())) == 2 else 1
        finally:
            os._exit(status)
    return os.waitstatus_to_exitcode(os.waitpid(child, 0)[1])


def test_a_fork_of_a_process_with_a_fork_server_writes_pdfs(tmp_path: Path) -> None:
    """The fork server the fork would use is its parent's, not its child: it cannot be checked
    on (ChildProcessError, an internal error of the run); fresh interpreters write instead."""
    runner = os.fork()  # the test runner itself makes no PDF, so its later tests still fork
    if runner == 0:
        status = 4
        try:
            status = _write_pdfs_here_and_in_a_fork(tmp_path)
        finally:
            os._exit(status)
    assert os.waitstatus_to_exitcode(os.waitpid(runner, 0)[1]) == 0
    assert len(list((tmp_path / "parent").iterdir())) == 2
    assert len(list((tmp_path / "child").iterdir())) == 2
