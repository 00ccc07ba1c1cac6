"""Writing a run's invoice files: thousands of small workbooks, spread over the machine's cores."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from seatbatch.model import Invoice
from seatbatch.progress import Progress
from seatbatch.render.html import render
from seatbatch.render.xlsx import write_invoice_xlsx

PARALLEL_FROM = 200  # below this, starting workers costs more than it saves
CHUNK = 100


def invoice_file(invoice: Invoice) -> str:
    return f"invoices/{invoice.number}.xlsx"


def write_invoice_files(invoice: Invoice, folder: Path) -> None:
    write_invoice_xlsx(invoice, folder / f"{invoice.number}.xlsx")
    html = render("invoice.html", invoice=invoice)
    (folder / f"{invoice.number}.html").write_text(html, encoding="utf-8")


def _write_chunk(invoices: Sequence[Invoice], folder: Path) -> int:
    for invoice in invoices:
        write_invoice_files(invoice, folder)
    return len(invoices)


def write_all(invoices: Sequence[Invoice], folder: Path, progress: Progress) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    workers = min(os.cpu_count() or 1, 8)
    chunks = [invoices[i:i + CHUNK] for i in range(0, len(invoices), CHUNK)]
    if len(invoices) < PARALLEL_FROM or workers < 2:
        for chunk in progress.iterate(chunks, "Writing invoices"):
            _write_chunk(chunk, folder)
        return
    context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [pool.submit(_write_chunk, chunk, folder) for chunk in chunks]
        for future in progress.iterate(futures, "Writing invoices"):
            future.result()
