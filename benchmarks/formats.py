"""The CPU each invoice file costs, per format, as a worker of `process` spends it:

    python benchmarks/formats.py LEDGER.db [--invoices 500] [--repeats 5] [--formats ...]

LEDGER.db is the SQLite ledger of a run (the large benchmark's, say: `process` of
benchmarks/generate.py's large workbook with all four formats). Its first invoices' documents
are decoded (`invoice_from_document`, measured as `document`) and each is written in each
format into a temporary folder, as output/files.py writes it. Printed per format: the least
and the median `time.process_time` of a pass over all of them, in milliseconds an invoice
(PDFs: at most 100 invoices a pass, each pass after a first that loads typst). CPU time
includes the system calls that make each file; on a loaded machine, repeat before believing
a difference of a few per cent."""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from seatbatch.core.documents import invoice_from_document
from seatbatch.core.model import Invoice
from seatbatch.output.files import EXTENSIONS
from seatbatch.output.html import render
from seatbatch.output.whole_files import write_whole
from seatbatch.output.xlsx import write_invoice_xlsx

FORMATS = ("document", "xlsx", "html", "ubl", "pdf")
PDFS = 100  # a pass of PDFs takes this many invoices at most


def passes(documents: list[dict[str, Any]], invoices: list[Invoice], folder: Path
           ) -> dict[str, Callable[[], None]]:
    """One pass of each format over all the invoices, writing into `folder`."""

    def path(number: str | None, kind: str) -> Path:
        return folder / f"{number}.{EXTENSIONS.get(kind, kind)}"

    def decode() -> None:
        for document in documents:
            invoice_from_document(document)

    def xlsx() -> None:
        for invoice in invoices:
            write_invoice_xlsx(invoice, path(invoice.number, "xlsx"))

    def html() -> None:
        for invoice in invoices:
            write_whole(path(invoice.number, "html"),
                        render("invoice.html", invoice=invoice).encode("utf-8"))

    def ubl() -> None:
        from seatbatch.output.ubl import ubl_invoice

        for invoice in invoices:
            path(invoice.number, "ubl").write_bytes(ubl_invoice(invoice))

    def pdf() -> None:
        from seatbatch.output.pdf import write_invoice_pdf

        for invoice in invoices[:PDFS]:
            write_invoice_pdf(invoice, path(invoice.number, "pdf"))

    return {"document": decode, "xlsx": xlsx, "html": html, "ubl": ubl, "pdf": pdf}


def measured(one_pass: Callable[[], None], repeats: int) -> list[float]:
    """The CPU seconds of each of `repeats` passes, after a first (imports, compiled
    templates, typst's fonts)."""
    one_pass()
    seconds = []
    for _ in range(repeats):
        started = time.process_time()
        one_pass()
        seconds.append(time.process_time() - started)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("ledger", type=Path)
    parser.add_argument("--invoices", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--formats", nargs="+", choices=FORMATS, default=list(FORMATS))
    args = parser.parse_args(argv)
    with sqlite3.connect(args.ledger) as ledger:
        documents = [json.loads(text) for (text,) in ledger.execute(
            "SELECT document FROM invoices ORDER BY number LIMIT ?", (args.invoices,))]
    if not documents:
        raise SystemExit(f"{args.ledger}: no invoices")
    invoices = [invoice_from_document(document) for document in documents]
    folder = Path(tempfile.mkdtemp(prefix="seatbatch-formats-"))
    print(f"{len(invoices)} invoices of {args.ledger}, {args.repeats} passes each")
    try:
        for kind, one_pass in passes(documents, invoices, folder).items():
            if kind not in args.formats:
                continue
            seconds = measured(one_pass, args.repeats)
            count = min(len(invoices), PDFS) if kind == "pdf" else len(invoices)
            print(f"{kind:9s} least {min(seconds) / count * 1000:.4f} ms  "
                  f"median {statistics.median(seconds) / count * 1000:.4f} ms an invoice")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
