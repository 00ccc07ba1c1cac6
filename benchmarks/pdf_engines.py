"""Which engine makes the invoice PDFs (issue 13, item 4): figures for typst, fpdf2 and
WeasyPrint on a one-page invoice (1 line) and a 150-line invoice.

    .venv/bin/python benchmarks/pdf_engines.py [--runs N] [--engines typst-kept,fpdf2,...]

typst is a dependency of seatbatch; the others are not (``.venv/bin/pip install fpdf2
weasyprint``; WeasyPrint also needs Pango, ``apt-get install libpango-1.0-0 libpangoft2-1.0-0``
on Debian). An engine that is not installed is reported as failed.

Each engine runs in a fresh process of its own, which reports:

* ``first ms``: import and the first PDF (fonts loaded, template parsed);
* ``wall ms`` / ``CPU ms``: the median over ``--runs`` PDFs after the first, each of another
  invoice (number and customer), as in a run (CPU time of the process, all its threads: the
  steadier figure on a loaded machine);
* ``peak MB``: the process's peak resident memory (ru_maxrss) after all of it; ``baseline`` is a
  process that imports seatbatch's model and nothing else, for comparison;
* ``KB``: the size of the PDF;
* ``fonts``: every font embedded (``pdffonts``, poppler-utils), and ``text``: the invoice
  number, a customer name and the total found in the PDF's text (``pdftotext``);
* forked workers: the first PDF in each of two workers forked before the process's first PDF
  (as output/files.py forks its pool early), and in two forked after it: the time, or what
  went wrong (typst hangs in the second case; seatbatch.output.pdf refuses it instead).

The engines:

* ``typst-fresh``: ``typst.compile`` of templates/invoice.typ each time (nothing kept);
* ``typst-kept``: seatbatch.output.pdf, one ``typst.Compiler`` kept per process;
* ``fpdf2``: the same layout drawn with fpdf2 (DejaVu Sans from the system: its core fonts
  are neither embedded nor Unicode; RTL would also need uharfbuzz);
* ``weasyprint``: templates/invoice.html through jinja2 and WeasyPrint (Pango from the system),
  with an @page rule for "Page N of M".

It ends with what the large benchmark's 5,000 invoices of 4 lines would cost on two cores,
against the budget of issue 13 (the whole run, all four formats, within 4.0x
pandas.read_excel's ~6.5 s here; a one-page PDF <= 15 ms).
It prints figures and exits 0 (it is not a test: they depend on the machine and its load).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ENGINES = ("typst-fresh", "typst-kept", "fpdf2", "weasyprint")
SIZES = {"one": 1, "four": 4, "150": 150}  # the large benchmark's invoices have 4 lines each
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
READ_EXCEL_S = 6.5  # pandas.read_excel of the large benchmark workbook here (make bench)
BUDGET_RATIO = 4.0
INVOICES = 5000
CORES = 2
ONE_PDF_MS = 15.0
CUSTOMER = "Harbour <View> *bold* #set"

Render = Callable[[Any], bytes]


def sample_invoice(lines: int, number: int = 2) -> Any:
    """An invoice of `lines` lines; `number` changes its number and customer, as from one
    invoice to the next of a run (typst remembers what it laid out: the same invoice again
    would cost next to nothing)."""
    from seatbatch.core.model import Invoice, InvoiceLine, LineAmounts, Party

    line = InvoiceLine("L1", "add", "SUB-000001", "Space Pro", 4, 3, date(2026, 11, 24),
                       date(2029, 3, 1), Decimal("150.00"), 829, 1096,
                       LineAmounts(Decimal("1361.50"), Decimal("136.15"), Decimal("245.07"),
                                   Decimal("980.28")))
    return Invoice(
        f"INV-2026-{number:06d}", date(2026, 11, 24), date(2026, 12, 24),
        Party("Example Sensors AS", ("Street 1", "0150 Oslo", "Norway"), "NO999999999MVA"),
        "P-ACME", Party("Acme Facilities Ltd", ("Road 2", "London", "UK")), "C-001",
        f"{CUSTOMER} {number}",
        "PO-77", "EUR", Decimal("0.20"),
        tuple(replace(line, order_id=f"L{n}") for n in range(1, lines + 1)),
        Decimal("980.28") * lines)


# --- the engines -------------------------------------------------------------------------------

def typst_fresh() -> Render:
    import typst

    from seatbatch.core.resources import resource_dir
    from seatbatch.output.pdf import DATA, TEMPLATE, invoice_data

    # a folder per process (the forked workers' too) holding a copy of the template and the
    # invoice it reads (DATA), as seatbatch.output.pdf keeps one (child() has temporary files
    # made in the parent's folder, which goes with it)
    folders = Path(tempfile.mkdtemp(prefix="typst-fresh-"))

    def render(invoice: Any) -> bytes:
        root = folders / str(os.getpid())
        if not root.is_dir():
            root.mkdir()
            shutil.copyfile(resource_dir("templates") / TEMPLATE, root / TEMPLATE)
        (root / DATA).write_text(json.dumps(invoice_data(invoice)), encoding="utf-8")
        pdf = typst.compile(root / TEMPLATE, root=root, format="pdf")
        assert isinstance(pdf, bytes)
        return pdf
    return render


def typst_kept() -> Render:
    from seatbatch.output.pdf import invoice_pdf

    return invoice_pdf


def fpdf2() -> Render:
    from fpdf import FPDF

    from seatbatch.output.pdf import invoice_data

    headers = ("Order", "Subscription", "Device type", "Seats", "Service period",
               "Unit price / year", "Proration", "List", "Less term discount",
               "Less partner discount", "Net")
    widths = (12, 19, 22, 9, 20, 15, 19, 15, 16, 17, 16)
    keys = ("order", "subscription", "device_type", "seats", "period", "unit_price",
            "proration", "list_amount", "term_discount", "partner_discount", "net_amount")

    class Doc(FPDF):
        footer_text = ""
        label = ""

        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("dejavu", size=7)
            self.cell(120, 4, self.footer_text)
            self.cell(0, 4, f"{self.label} · Page {self.page_no()} of {{nb}}", align="R")

    def render(invoice: Any) -> bytes:
        data = invoice_data(invoice)
        pdf = Doc(format="A4")
        pdf.footer_text = " · ".join(data["footer"])
        pdf.label = data["label"]
        pdf.add_font("dejavu", fname=str(FONT_DIR / "DejaVuSans.ttf"))
        pdf.add_font("dejavu", style="B", fname=str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        pdf.set_margins(15, 15)
        pdf.add_page()
        pdf.set_font("dejavu", style="B", size=16)
        pdf.cell(0, 10, data["title"], new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("dejavu", size=10)
        top = pdf.get_y()
        for x, party, heading in ((15, data["issuer"], "From"), (105, data["bill_to"], "Bill to")):
            pdf.set_xy(x, top)
            pdf.multi_cell(90, 5, "\n".join([heading, party["name"], *party["lines"]]))
        pdf.ln(3)
        for label, key in (("Invoice number", "number"), ("Invoice date", "invoice_date"),
                           ("Due date", "due_date"), ("End customer", "customer"),
                           ("PO number", "po_number"), ("Currency", "currency"),
                           ("Partner discount", "partner_discount")):
            pdf.cell(45, 5, label)
            pdf.multi_cell(0, 5, data[key], new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
        pdf.set_font("dejavu", size=7)
        align = ("LEFT",) * 3 + ("RIGHT", "LEFT") + ("RIGHT",) * 6
        with pdf.table(col_widths=widths, text_align=align, repeat_headings=1,
                       first_row_as_headings=True) as table:
            table.row(headers)
            for line in data["lines"]:
                period = f"{line['start']} \N{EN DASH} {line['end']} ({line['years']} y)"
                table.row([{**line, "period": period}[k] for k in keys])
        pdf.set_font("dejavu", style="B", size=10)
        for row in data["totals"]:
            pdf.cell(150, 6, row["label"], align="R")
            pdf.cell(0, 6, row["amount"], align="R", new_x="LMARGIN", new_y="NEXT")
        return bytes(pdf.output())
    return render


def weasyprint() -> Render:
    from weasyprint import CSS, HTML

    from seatbatch.output.html import render as render_html

    page = CSS(string='@page { size: A4; margin: 15mm; @bottom-right { font-size: 7pt; '
               'content: "Page " counter(page) " of " counter(pages) } }')

    def render(invoice: Any) -> bytes:
        pdf = HTML(string=render_html("invoice.html", invoice=invoice)).write_pdf(
            stylesheets=[page])
        assert isinstance(pdf, bytes)
        return pdf
    return render


MAKERS: dict[str, Callable[[], Render]] = {
    "typst-fresh": typst_fresh, "typst-kept": typst_kept, "fpdf2": fpdf2,
    "weasyprint": weasyprint,
}


# --- one engine, in its own process ----------------------------------------------------------

_render: list[Render] = []  # the engine a forked worker inherits (a closure does not pickle)


def _worker(inbox: Any, outbox: Any) -> None:
    invoice = inbox.get()
    start = time.perf_counter()
    try:
        _render[0](invoice)
    except Exception as error:  # noqa: BLE001 -- what went wrong is the figure reported
        outbox.put(f"FAILED: {type(error).__name__}: {error}")
        return
    outbox.put(f"{(time.perf_counter() - start) * 1000:.0f} ms")


class Workers:
    """Two forked worker processes, each to make one PDF when told (as output/files.py forks
    its pool early and sends invoices later)."""

    def __init__(self) -> None:
        import multiprocessing

        context = multiprocessing.get_context("fork")
        self.inbox, self.outbox = context.Queue(), context.Queue()
        self.processes = [context.Process(target=_worker, args=(self.inbox, self.outbox))
                          for _ in range(2)]
        for process in self.processes:
            process.start()

    def make(self, invoice: Any, timeout: float = 30) -> str:
        from queue import Empty

        for _ in self.processes:
            self.inbox.put(invoice)
        try:
            results = [self.outbox.get(timeout=timeout) for _ in self.processes]
        except Empty:
            results = [f"HUNG (no PDF in {timeout:.0f} s)"]
        for process in self.processes:
            process.join(1)
            if process.is_alive():
                process.kill()
                process.join()
        return " / ".join(dict.fromkeys(results))  # each different result once


def child(engine: str, size: str, runs: int, out: Path) -> dict[str, Any]:
    start = time.perf_counter()
    invoice = sample_invoice(SIZES[size])
    if engine == "baseline":
        return {"peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    tempfile.tempdir = str(out.parent)  # what an engine leaves goes with the parent's folder
    render = MAKERS[engine]()
    _render.append(render)
    early = Workers() if size == "one" else None  # forked before this process's first PDF
    pdf = render(invoice)
    first = (time.perf_counter() - start) * 1000
    walls, cpus = [], []
    for other in [sample_invoice(SIZES[size], n) for n in range(3, runs + 3)]:
        wall, cpu = time.perf_counter(), time.process_time()
        render(other)
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    out.write_bytes(pdf)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"first_ms": first, "wall_ms": statistics.median(walls),
            "cpu_ms": statistics.median(cpus), "peak_mb": peak, "kb": len(pdf) / 1024,
            "forked_early": early.make(invoice) if early else "",
            "forked_late": Workers().make(invoice) if early else ""}


# --- the parent: one process per engine and size ----------------------------------------------

def inspect(pdf: Path) -> tuple[str, str]:
    """(fonts, text) as pdffonts and pdftotext see them, or why they could not look."""
    if not (shutil.which("pdffonts") and shutil.which("pdftotext")):
        return "? (no poppler-utils)", "?"
    rows = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True,
                          check=False).stdout.splitlines()[2:]
    embedded = [row.split()[-5] == "yes" for row in rows if row.strip()]
    fonts = (f"{len(embedded)} all embedded" if embedded and all(embedded)
             else f"{embedded.count(False)} of {len(embedded)} NOT embedded")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=False).stdout
    found = ["INV-2026-000002" in text, CUSTOMER in text, "Total EUR" in text]
    return fonts, "real" if all(found) else f"MISSING {found}"


def run_child(engine: str, size: str, runs: int, folder: Path) -> dict[str, Any]:
    out = folder / f"{engine}-{size}.pdf"
    done = subprocess.run(
        [sys.executable, __file__, "--child", engine, size, str(runs), str(out)],
        capture_output=True, text=True, check=False, cwd=ROOT)
    if done.returncode != 0:
        tail = " / ".join(done.stderr.strip().splitlines()[-2:])
        return {"error": tail or f"exit {done.returncode}"}
    figures: dict[str, Any] = json.loads(done.stdout)
    if out.exists():
        figures["fonts"], figures["text"] = inspect(out)
        if shutil.which("pdfinfo"):
            info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True,
                                  check=False).stdout
            figures["pages"] = next((line.split()[-1] for line in info.splitlines()
                                     if line.startswith("Pages:")), "?")
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50, help="PDFs timed per case "
                        "(default %(default)s; a tenth of it for 150 lines)")
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        engine, size, runs, out = args.child
        print(json.dumps(child(engine, size, int(runs), Path(out))))
        return 0

    print(f"{platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.2f}, {time.strftime('%Y-%m-%d %H:%M')}")
    with tempfile.TemporaryDirectory(prefix="pdf-engines-") as tmp:
        baseline = run_child("baseline", "one", 0, Path(tmp))
        print(f"baseline (python + seatbatch's model): peak {baseline.get('peak_mb', 0):.0f} MB")
        header = (f"{'engine':<12} {'lines':>5} {'pages':>5} {'first ms':>9} {'wall ms':>8} "
                  f"{'CPU ms':>7} {'peak MB':>8} {'KB':>6}  fonts / text")
        print(header)
        one_cpu: dict[str, float] = {}
        four_cpu: dict[str, float] = {}
        forks: dict[str, str] = {}
        for engine in args.engines.split(","):
            for size in SIZES:
                runs = args.runs if size != "150" else max(3, args.runs // 10)
                f = run_child(engine, size, runs, Path(tmp))
                if "error" in f:
                    print(f"{engine:<12} {size:>5}  FAILED: {f['error']}")
                    continue
                print(f"{engine:<12} {SIZES[size]:>5} {f.get('pages', '?'):>5} "
                      f"{f['first_ms']:>9.0f} {f['wall_ms']:>8.1f} {f['cpu_ms']:>7.1f} "
                      f"{f['peak_mb']:>8.0f} {f['kb']:>6.1f}  {f['fonts']} / {f['text']}")
                if size == "four":
                    four_cpu[engine] = f["cpu_ms"]
                if size == "one":
                    one_cpu[engine] = f["cpu_ms"]
                    forks[engine] = (f"forked before the first PDF: {f['forked_early']}; "
                                     f"after it: {f['forked_late']}")
        print("\nthe first PDF in each of two forked workers:")
        for engine, verdict in forks.items():
            print(f"  {engine:<12} {verdict}")
        budget = READ_EXCEL_S * BUDGET_RATIO
        print(f"\n{INVOICES:,} PDFs of 4 lines on {CORES} cores (budget for all four formats "
              f"{budget:.0f} s; a one-page PDF <= {ONE_PDF_MS:.0f} ms):")
        for engine, cpu in one_cpu.items():
            total = four_cpu.get(engine, cpu) * INVOICES / CORES / 1000
            print(f"  {engine:<12} {total:6.1f} s of the run "
                  f"({total / budget:.0%} of the budget); one page {cpu:.1f} ms CPU: "
                  f"{'MET' if cpu <= ONE_PDF_MS else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
