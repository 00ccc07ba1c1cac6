"""Start-up and speed figures of issue 12 (`make bench-startup`), each a whole process:

* ``help``    -- ``seatbatch --help``: what start-up alone costs;
* ``small``   -- ``seatbatch process`` of a 50-line workbook (10 customers, 200 devices, 50
  lines), on a fresh ledger each time;
* ``large``   -- ``seatbatch process`` of the large benchmark workbook (bench.py's default:
  5,000 customers, 100,000 devices, 20,000 lines) against ``pandas.read_excel`` reading the
  same workbook (``sheet_name=None, engine="openpyxl"``), run alternately so that both meet the
  same load; and the process's peak memory.

Each child runs under benchmarks/meter.py (see bench.py: wall time from start to exit; peak
RSS of that child from os.wait4, the largest single process of its tree; CPU time of the
child and its workers, a steadier figure than wall time on a loaded machine). Wall and CPU
figures are medians over the runs, peak memory the maximum. It also lists which of the large
libraries ``--help`` and ``process`` import, and where ``--help``'s imports go (``python -X
importtime``), largest first.

It prints figures and whether each goal is MET or MISSED; it exits 0 either way (it is not a
test: the figures depend on the machine and its load, printed at start and end). Goals:
``--help`` < 0.3 s; small ``process`` < 0.8 s; large ``process`` at most half of
``read_excel``'s time, with a peak under 400 MB.

Let the machine rest a few minutes after anything deleted many files (a test suite, an
earlier benchmark's clean-up of its 30,000 run files) before believing the large figure: on
ext4 without a journal, as on this project's machine, the kernel passes over every inode freed
in the last minutes one by one as it makes a file, and `process` (10,000 files) is then 1 to
2 s slower, all of it kernel time in its workers.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench import (  # noqa: E402
    AS_OF,
    DEFAULT_CONFIG,
    PANDAS_CODE,
    PART1_FORMATS,
    PARTNER,
    Measurement,
    config_with_formats,
    measure,
    seatbatch_command,
    source_version,
    work_folder,
)
from generate import generate  # noqa: E402

HELP_S = 0.3
SMALL_S = 0.8
LARGE_RATIO = 0.5
LARGE_PEAK_MB = 400.0
SMALL = (10, 200, 50)  # customers, devices, lines
LARGE = (5000, 100_000, 20_000)
# hypothesis: pandera's checks import it whenever it is installed (this .venv's test extra,
# not a production install), at a cost of 50 to 90 ms of every validating command here
LIBRARIES = ("pandas", "pandera", "openpyxl", "sqlalchemy", "jinja2", "hypothesis")
LOADED_CODE = (
    "import sys, pathlib; from seatbatch.cli.commands import run; run(sys.argv[2:]); "
    f"loaded = ' '.join(m for m in {LIBRARIES!r} if m in sys.modules) or '-'; "
    "pathlib.Path(sys.argv[1]).write_text(loaded)"
)


def verdict(met: bool) -> str:
    return "MET" if met else "MISSED"


def median(runs: list[Measurement]) -> float:
    return statistics.median(m.wall_s for m in runs)


def spread(runs: list[Measurement]) -> str:
    walls = sorted(m.wall_s for m in runs)
    cpus = [m.cpu_s for m in runs if m.cpu_s is not None]
    cpu = f", CPU {statistics.median(cpus):.3f} s" if cpus else ""
    return (f"median {statistics.median(walls):.3f} s (min {walls[0]:.3f}, max {walls[-1]:.3f}, "
            f"{len(walls)} runs{cpu})")


def process_command(workbook: Path, folder: Path, config: Path) -> list[str]:
    """`seatbatch process` of `workbook` into a fresh ledger and output folder in `folder`."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return [*seatbatch_command(), "process", str(workbook), "--partner", PARTNER,
            "--config", str(config), "--ledger", str(folder / "ledger.db"),
            "--out", str(folder / "out"), "--as-of", AS_OF]


def checked(measurement: Measurement, what: str) -> Measurement:
    if measurement.exit_code != 0:
        tail = " / ".join(measurement.stderr.strip().splitlines()[-4:])
        raise SystemExit(f"{what} failed (exit {measurement.exit_code}): {tail}")
    return measurement


def libraries_loaded(args: list[str], workdir: Path) -> str:
    """Which of LIBRARIES a command (run in one process, as the installed command runs it)
    has imported by its end."""
    report = workdir / ".loaded"
    subprocess.run([sys.executable, "-c", LOADED_CODE, str(report), *args],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return report.read_text(encoding="utf-8").strip() if report.exists() else "?"


def help_imports(top: int) -> list[str]:
    """--help's largest imports by cumulative time (microseconds), from python -X importtime."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c",
         "from seatbatch.cli.commands import run; run(['--help'])"],
        capture_output=True, text=True, check=False)
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line.split("|")
        if cumulative.strip().isdigit():
            rows.append((int(cumulative), name.rstrip()))
    rows.sort(reverse=True)
    total = sum(c for c, name in rows if not name.startswith(" " * 2))
    return [f"imports of `seatbatch --help`: {total / 1000:.0f} ms in all (-X importtime, "
            "top level)"] + [f"  {c / 1000:7.1f} ms {name}" for c, name in rows[:top]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--help-runs", type=int, default=9, help="default %(default)s")
    parser.add_argument("--small-runs", type=int, default=7, help="default %(default)s")
    parser.add_argument("--large-runs", type=int, default=1,
                        help="read_excel and process of the large workbook, each this many "
                        "times, alternately (default %(default)s)")
    parser.add_argument("--skip-large", action="store_true", help="only --help and small")
    parser.add_argument("--imports", type=int, default=12,
                        help="list this many of --help's largest imports (default %(default)s)")
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
    parser.add_argument("--workdir", type=Path,
                        help="keep workbooks, ledgers and run folders here; default: a "
                        "temporary folder removed afterwards")
    args = parser.parse_args(argv)
    if min(args.help_runs, args.small_runs, args.large_runs) < 1:
        parser.error("each --*-runs must be at least 1")
    as_of = date.fromisoformat(AS_OF)

    lines = [f"seatbatch start-up and speed  {source_version()}  python "
             f"{platform.python_version()}  cpus {os.cpu_count()}  load average at start "
             f"{os.getloadavg()[0]:.2f}"]
    goals = []
    with work_folder(args.workdir, "seatbatch-startup-") as workdir:
        config = config_with_formats(args.config.resolve(), PART1_FORMATS, workdir)
        helps = [checked(measure([*seatbatch_command(), "--help"], workdir, "wait4"), "--help")
                 for _ in range(args.help_runs)]
        lines.append(f"--help          {spread(helps)}, peak "
                     f"{max(m.peak_mb for m in helps):.0f} MB")
        goals.append(f"--help {median(helps):.3f} s < {HELP_S} s: "
                     f"{verdict(median(helps) < HELP_S)}")

        small = workdir / "small.xlsx"
        generate(small, customers=SMALL[0], devices=SMALL[1], lines=SMALL[2], as_of=as_of)
        smalls = [checked(measure(process_command(small, workdir / f"small-{n}", config),
                                  workdir, "wait4"), "small process")
                  for n in range(args.small_runs)]
        lines.append(f"process small   {spread(smalls)}, peak "
                     f"{max(m.peak_mb for m in smalls):.0f} MB  ({SMALL[2]} lines)")
        goals.append(f"process of {SMALL[2]} lines {median(smalls):.3f} s < {SMALL_S} s: "
                     f"{verdict(median(smalls) < SMALL_S)}")

        if not args.skip_large:
            large = workdir / "large.xlsx"
            started = time.perf_counter()
            generate(large, customers=LARGE[0], devices=LARGE[1], lines=LARGE[2], as_of=as_of)
            print(f"generated {large} ({large.stat().st_size / 1e6:.1f} MB) in "
                  f"{time.perf_counter() - started:.1f} s", file=sys.stderr)
            readings: list[Measurement] = []
            processes: list[Measurement] = []
            for n in range(args.large_runs):
                readings.append(checked(measure([sys.executable, "-c", PANDAS_CODE, str(large)],
                                                workdir, "wait4"), "read_excel"))
                processes.append(checked(measure(process_command(large, workdir / f"large-{n}",
                                                                 config), workdir), "process"))
            ratio = median(processes) / median(readings)
            peak = max(m.peak_mb for m in processes)
            tree = max((m.tree_pss_mb or 0.0) for m in processes)
            lines.append(f"read_excel      {spread(readings)}  ({LARGE[2]:,} lines, "
                         f"{LARGE[1]:,} devices)")
            lines.append(f"process large   {spread(processes)}, peak {peak:.0f} MB "
                         f"(process tree PSS {tree:.0f} MB)")
            goals.append(f"process large / read_excel {ratio:.2f}x <= {LARGE_RATIO}x: "
                         f"{verdict(ratio <= LARGE_RATIO)}")
            goals.append(f"process large peak {peak:.0f} MB < {LARGE_PEAK_MB:.0f} MB: "
                         f"{verdict(peak < LARGE_PEAK_MB)}")

        lines.append("")
        lines.append("libraries imported (of " + ", ".join(LIBRARIES) + "):")
        lines.append("  --help:          " + libraries_loaded(["--help"], workdir))
        folder = workdir / "loaded"
        lines.append("  process small:   " + libraries_loaded(
            process_command(small, folder, config)[len(seatbatch_command()):], workdir))
        lines.append("")
        lines.extend(help_imports(args.imports))
    lines.append("")
    lines.append(f"Goals (load average at end {os.getloadavg()[0]:.2f})")
    lines.extend(f"  {goal}" for goal in goals)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
