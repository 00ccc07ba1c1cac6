"""The documents an invoice is sent as (SPEC §9, issue 13), measured (`make bench-documents`):

* ``process`` of the large benchmark workbook (5,000 customers, 100,000 devices, 20,000 lines:
  about 5,000 invoices) with Part I's formats (xlsx, html) and with all four (xlsx, html, pdf,
  ubl), each against ``pandas.read_excel`` reading the same workbook, run alternately so that
  all meet the same load; and each one's peak memory;
* one one-page invoice PDF: the median time to make it, in one process keeping its compiler
  (as each worker does), every PDF of another invoice.

Each whole process runs under benchmarks/meter.py (see bench.py). It prints figures and whether
each goal is MET or MISSED, and exits 0 either way: it is not a test. Goals (issue 13): with
xlsx and html, at most 1.0x read_excel's time; with all four, at most 4.0x; peak under 400 MB
for both; one one-page PDF in at most 15 ms.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench import (  # noqa: E402
    AS_OF,
    DEFAULT_CONFIG,
    PANDAS_CODE,
    PART1_FORMATS,
    Measurement,
    config_with_formats,
    measure,
    source_version,
    work_folder,
)
from generate import generate  # noqa: E402
from startup import LARGE, checked, process_command, spread, verdict  # noqa: E402

ALL_FORMATS = ("xlsx", "html", "pdf", "ubl")
GOALS = {PART1_FORMATS: 1.0, ALL_FORMATS: 4.0}  # process / read_excel
PEAK_MB = 400.0
PDF_MS = 15.0


def one_page_pdf_ms(runs: int) -> list[float]:
    """Milliseconds of each of `runs` one-page PDFs, each of another invoice, one compiler
    kept (the first, which loads the compiler and its fonts, not counted)."""
    from seatbatch.core.model import Invoice, InvoiceLine, LineAmounts, Party
    from seatbatch.output.pdf import invoice_pdf

    line = InvoiceLine("L1", "new", "SUB-000001", "Space Pro", 3, 3, date(2026, 11, 24),
                       date(2029, 11, 23), Decimal("150.00"), 1096, 1096,
                       LineAmounts(Decimal("1350.00"), Decimal("135.00"), Decimal("243.00"),
                                   Decimal("972.00")))
    invoice = Invoice("INV-2026-000000", date(2026, 11, 24), date(2026, 12, 24),
                      Party("Example Sensors AS", ("Wergelandsveien 1", "0167 Oslo", "Norway"),
                            "NO999999999MVA"),
                      "P-ACME", Party("Acme Facilities Ltd", ("2 Dock Road", "London")),
                      "C-001", "Harbour View Offices", "PO-77", "EUR", Decimal("0.20"),
                      (line,), Decimal("972.00"))
    invoice_pdf(invoice)
    times = []
    for n in range(1, runs + 1):
        other = replace(invoice, number=f"INV-2026-{n:06d}", customer_name=f"Customer {n}")
        started = time.perf_counter()
        invoice_pdf(other)
        times.append((time.perf_counter() - started) * 1000)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1,
                        help="read_excel and each process of the large workbook, each this "
                        "many times, alternately (default %(default)s)")
    parser.add_argument("--pdf-runs", type=int, default=100, help="default %(default)s")
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG,
                        help="a configuration with every key of SPEC Part II (default: the "
                        "sample's)")
    parser.add_argument("--workdir", type=Path,
                        help="keep the workbook, ledgers and run folders here; default: a "
                        "temporary folder removed afterwards")
    args = parser.parse_args(argv)
    if min(args.runs, args.pdf_runs) < 1:
        parser.error("--runs and --pdf-runs must be at least 1")

    lines = [f"seatbatch documents  {source_version()}  python {platform.python_version()}  "
             f"cpus {os.cpu_count()}  load average at start {os.getloadavg()[0]:.2f}"]
    goals = []
    pdf_ms = one_page_pdf_ms(args.pdf_runs)
    pdf = statistics.median(pdf_ms)
    lines.append(f"one-page PDF    median {pdf:.1f} ms (min {min(pdf_ms):.1f}, max "
                 f"{max(pdf_ms):.1f}, {len(pdf_ms)} PDFs of as many invoices)")
    goals.append(f"one one-page PDF {pdf:.1f} ms <= {PDF_MS:.0f} ms: {verdict(pdf <= PDF_MS)}")
    with work_folder(args.workdir, "seatbatch-documents-") as workdir:
        large = workdir / "large.xlsx"
        generate(large, customers=LARGE[0], devices=LARGE[1], lines=LARGE[2],
                 as_of=date.fromisoformat(AS_OF))
        configs = {formats: config_with_formats(args.config.resolve(), formats, workdir)
                   for formats in GOALS}
        readings = []
        processes: dict[tuple[str, ...], list[Measurement]] = {formats: [] for formats in GOALS}
        for n in range(args.runs):
            readings.append(checked(measure([sys.executable, "-c", PANDAS_CODE, str(large)],
                                            workdir, "wait4"), "read_excel"))
            for formats, config in configs.items():
                folder = workdir / f"{'-'.join(formats)}-{n}"
                processes[formats].append(checked(
                    measure(process_command(large, folder, config), workdir), "process"))
        baseline = statistics.median(m.wall_s for m in readings)
        lines.append(f"read_excel      {spread(readings)}  ({LARGE[2]:,} lines)")
        for formats, runs in processes.items():
            wall = statistics.median(m.wall_s for m in runs)
            peak = max(m.peak_mb for m in runs)
            ratio = wall / baseline
            lines.append(f"process {'+'.join(formats):<19} {spread(runs)}, peak {peak:.0f} MB, "
                         f"{ratio:.2f}x read_excel")
            goals.append(f"process with {', '.join(formats)} {ratio:.2f}x <= {GOALS[formats]}x: "
                         f"{verdict(ratio <= GOALS[formats])}; peak {peak:.0f} MB < "
                         f"{PEAK_MB:.0f} MB: {verdict(peak < PEAK_MB)}")
    lines.append("")
    lines.append(f"Goals (load average at end {os.getloadavg()[0]:.2f})")
    lines.extend(f"  {goal}" for goal in goals)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
