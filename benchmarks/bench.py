"""Speed and memory figures for seatbatch on generated workbooks (`make bench`).

For each case it generates a valid order workbook (benchmarks/generate.py), then times three
whole processes, each started fresh:

* ``pandas``  -- ``pandas.read_excel(path, sheet_name=None, engine="openpyxl")``: the baseline
  that the target for ``process`` is measured against, in the same run on the same file;
* ``quote``   -- ``seatbatch quote WB --partner P-ACME --config samples/seatbatch.toml ...``;
* ``process`` -- ``seatbatch process ...`` the same, on a fresh ledger.

Each child runs under a meter that reports that child's own wall time and peak memory:

* ``sample`` (default): benchmarks/meter.py, a small Python process (about 11 MB), starts the
  child, times it with ``time.perf_counter`` from start to exit, and takes its peak resident
  set size ("peak MB") from the rusage ``os.wait4`` returns for exactly that child. It also
  samples, every 50 ms, the memory of the child's whole process tree ("tree PSS MB": the sum
  of proportional set sizes, so pages that forked workers share with the parent count once;
  "procs": the most processes seen at once). seatbatch writes invoices in a pool of worker
  processes, and "peak MB" is the largest single process of the tree, not the tree's total.
* ``wait4``: the same without the sampling (no tree figures).
* ``time``: GNU ``/usr/bin/time -f "%e %M"`` (wall from this script's clock around it; no tree
  figures). A cross-check: it agrees with ``wait4``.

Why not the obvious ways: ``RUSAGE_CHILDREN`` is the maximum over every child waited for so
far, not per child; and on Linux a child started straight from this script inherits this
script's own high-water mark (the generator's memory) through fork/exec, so its ru_maxrss
would never read below it. All meters start the child from a small process instead.

It prints figures and whether each target is MET or MISSED; it exits 0 either way (2 only on
a usage error). Targets: large ``process`` faster than ``pandas.read_excel`` on the same
workbook and under 400 MB peak; the 50-line ``process`` under 1.5 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402

PARTNER = "P-ACME"
AS_OF = "2026-11-24"
DEFAULT_CONFIG = ROOT / "samples" / "seatbatch.toml"
PANDAS_CODE = (
    'import sys, pandas as pd; pd.read_excel(sys.argv[1], sheet_name=None, engine="openpyxl")'
)
LARGE_PEAK_MB = 400.0
SMALL_WALL_S = 1.5
# Part I's files: the figures that issue 12 and Part I hold seatbatch to; benchmarks/documents.py
# measures the PDF and the e-invoice (SPEC §9)
PART1_FORMATS = ("xlsx", "html")


def config_with_formats(config: Path, formats: Sequence[str], folder: Path) -> Path:
    """A copy of `config` in `folder` that writes `formats` ([documents], SPEC §9)."""
    line = "formats = [" + ", ".join(f'"{kind}"' for kind in formats) + "]"
    text, found = re.subn(r"(?m)^formats\s*=.*$", line, config.read_text(encoding="utf-8"))
    if not found:
        text += f"\n[documents]\n{line}\n"
    copy = folder / f"{config.stem}-{'-'.join(formats)}.toml"
    copy.write_text(text, encoding="utf-8")
    return copy


@dataclass(frozen=True)
class Case:
    name: str
    customers: int
    devices: int
    lines: int


@dataclass
class Measurement:
    wall_s: float
    peak_mb: float
    exit_code: int
    stdout: str
    stderr: str
    tree_pss_mb: float | None = None
    tree_rss_mb: float | None = None
    processes: int | None = None
    cpu_s: float | None = None


@dataclass
class StepResult:
    case: Case
    step: str
    command: list[str]
    runs: list[Measurement] = field(default_factory=list)
    status: str = ""
    invoices: int | None = None
    note: str = ""

    @property
    def wall_s(self) -> float:
        return statistics.median(m.wall_s for m in self.runs)

    @property
    def peak_mb(self) -> float:
        return max(m.peak_mb for m in self.runs)

    @property
    def tree_pss_mb(self) -> float | None:
        figures = [m.tree_pss_mb for m in self.runs if m.tree_pss_mb is not None]
        return max(figures) if figures else None

    @property
    def tree_rss_mb(self) -> float | None:
        figures = [m.tree_rss_mb for m in self.runs if m.tree_rss_mb is not None]
        return max(figures) if figures else None

    @property
    def processes(self) -> int | None:
        figures = [m.processes for m in self.runs if m.processes is not None]
        return max(figures) if figures else None

    @property
    def exit_codes(self) -> str:
        return ",".join(sorted({str(m.exit_code) for m in self.runs}))

    @property
    def ok(self) -> bool:
        return all(m.exit_code == 0 for m in self.runs)


def parse_case(name: str, text: str) -> Case:
    try:
        customers, devices, lines = (int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--{name}: expected CUSTOMERS,DEVICES,LINES, e.g. 5000,100000,20000; got {text!r}"
        ) from None
    return Case(name, customers, devices, lines)


def measure(command: list[str], workdir: Path, meter: str = "sample") -> Measurement:
    """Run `command` as a child process under `meter`; its wall time and own peak RSS (MB)."""
    out_path = workdir / ".child-stdout"
    err_path = workdir / ".child-stderr"
    report_path = workdir / ".child-meter"
    report_path.unlink(missing_ok=True)
    if meter == "time":
        metered = ["/usr/bin/time", "-f", "%e %M %x", "-o", str(report_path), *command]
    else:
        sample = [] if meter == "sample" else ["--no-sample"]
        metered = [sys.executable, str(HERE / "meter.py"), *sample, str(report_path), *command]
    with out_path.open("wb") as out, err_path.open("wb") as err:
        started = time.perf_counter()
        completed = subprocess.run(metered, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                   cwd=ROOT, check=False)
        outer_wall = time.perf_counter() - started
    stdout = out_path.read_text(encoding="utf-8", errors="replace")
    stderr = err_path.read_text(encoding="utf-8", errors="replace")
    try:
        text = report_path.read_text(encoding="utf-8")
        if meter == "time":
            # GNU time writes "Command exited with non-zero status N" first when it fails.
            _, peak_kb, exit_code = text.strip().splitlines()[-1].split()
            wall, peak_mb, code = outer_wall, int(peak_kb) / 1024, int(exit_code)
            tree_pss_mb = tree_rss_mb = processes = cpu_s = None
        else:
            report = json.loads(text)
            wall, peak_mb, code = report["wall_s"], report["peak_mb"], report["exit_code"]
            tree_pss_mb, tree_rss_mb = report["tree_pss_mb"], report["tree_rss_mb"]
            processes = report["max_processes"]
            cpu_s = report.get("cpu_s")
    except (OSError, ValueError, KeyError) as error:
        raise SystemExit(
            f"the {meter} meter failed (exit {completed.returncode}): {error}\n{stderr[-2000:]}"
        ) from None
    return Measurement(wall_s=wall, peak_mb=peak_mb, exit_code=code, stdout=stdout,
                       stderr=stderr, tree_pss_mb=tree_pss_mb, tree_rss_mb=tree_rss_mb,
                       processes=processes, cpu_s=cpu_s)


def seatbatch_command() -> list[str]:
    beside = Path(sys.executable).parent / "seatbatch"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("seatbatch")
    if found:
        return [found]
    return [sys.executable, "-m", "seatbatch.cli"]


def read_manifest(result: StepResult, measurement: Measurement) -> None:
    """Status and invoice count from the run folder that seatbatch printed on stdout."""
    lines = [line.strip() for line in measurement.stdout.splitlines() if line.strip()]
    if not lines:
        result.note = "no run folder on stdout"
        return
    manifest_path = Path(lines[-1]) / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        result.note = f"cannot read {manifest_path}: {error}"
        return
    result.status = str(manifest.get("status", "?"))
    result.invoices = len(manifest.get("invoices") or [])
    rejections = manifest.get("rejections") or []
    if rejections:
        codes: dict[str, int] = {}
        for rejection in rejections:
            codes[rejection.get("code", "?")] = codes.get(rejection.get("code", "?"), 0) + 1
        first = rejections[0]
        result.note = (
            f"{len(rejections)} rejection(s) {codes}; first: {first.get('sheet')} row "
            f"{first.get('row')} {first.get('column')}: {first.get('message')} "
            f"({manifest_path})"
        )


def run_case(case: Case, workdir: Path, config: Path, *, repeat: int, seed: int,
             meter: str, verbose: bool) -> tuple[list[StepResult], str]:
    case_dir = workdir / case.name
    if case_dir.exists():
        shutil.rmtree(case_dir)
    case_dir.mkdir(parents=True)
    workbook = case_dir / f"{case.name}-{case.customers}c-{case.devices}d-{case.lines}l.xlsx"
    started = time.perf_counter()
    made = generate(workbook, customers=case.customers, devices=case.devices, lines=case.lines,
                    seed=seed, as_of=date.fromisoformat(AS_OF))
    generated = (
        f"{case.name}: {made.customers} customers, {made.devices} devices, {made.lines} lines "
        f"({made.subscriptions} subscriptions), {workbook.stat().st_size / 1e6:.1f} MB xlsx, "
        f"generated in {time.perf_counter() - started:.1f} s -> {workbook}"
    )
    print(generated, file=sys.stderr)

    seatbatch = seatbatch_command()
    results = []
    for step in ("pandas", "quote", "process"):
        result = StepResult(case, step, [])
        for attempt in range(1, repeat + 1):
            if step == "pandas":
                command = [sys.executable, "-c", PANDAS_CODE, str(workbook)]
            else:
                run_dir = case_dir / f"{step}-{attempt}"
                run_dir.mkdir()
                command = [*seatbatch, step, str(workbook), "--partner", PARTNER,
                           "--config", str(config), "--ledger", str(run_dir / "ledger.db"),
                           "--out", str(run_dir / "out"), "--as-of", AS_OF]
            result.command = command
            if verbose:
                print("$ " + shlex.join(command), file=sys.stderr)
            measurement = measure(command, case_dir, meter)
            result.runs.append(measurement)
            tree = measurement.tree_pss_mb
            print(f"  {case.name} {step} #{attempt}: {measurement.wall_s:.2f} s, "
                  f"peak {measurement.peak_mb:.0f} MB"
                  + ("" if tree is None else f", tree PSS {tree:.0f} MB")
                  + f", exit {measurement.exit_code}", file=sys.stderr)
            if step != "pandas" and measurement.exit_code in (0, 1):
                read_manifest(result, measurement)
            if measurement.exit_code != 0:
                tail = measurement.stderr.strip().splitlines()[-6:]
                result.note = (result.note + " | " if result.note else "") + " / ".join(tail)
        results.append(result)
    return results, generated


def source_version() -> str:
    """The commit measured, and whether src/ had uncommitted changes."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, check=True,
                                capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "src"], cwd=ROOT,
                               check=True, capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "commit unknown"
    return f"commit {commit}" + (" + uncommitted src changes" if dirty else "")


def verdict(met: bool) -> str:
    return "MET" if met else "MISSED"


def report(results: list[StepResult], generated: list[str], meter: str, version: str,
           load: float) -> list[str]:
    lines = []
    lines.append(f"seatbatch benchmark  {version}  as-of {AS_OF}  partner {PARTNER}  "
                 f"meter {meter}")
    lines.append(f"python {platform.python_version()}  {platform.machine()}  "
                 f"cpus {os.cpu_count()}  load average at start {load:.2f}, at end "
                 f"{os.getloadavg()[0]:.2f}")
    lines.extend(generated)
    lines.append("")
    header = (f"{'case':<6} {'lines':>6} {'devices':>7} {'step':<8} {'runs':>4} {'wall s':>7} "
              f"{'peak MB':>8} {'tree RSS MB':>11} {'tree PSS MB':>11} {'procs':>5} "
              f"{'exit':>4} {'status':<10} {'invoices':>8}")
    lines.append(header)
    lines.append("-" * len(header))
    for r in results:
        invoices = "-" if r.invoices is None else str(r.invoices)
        status = r.status or ("-" if r.step == "pandas" else "?")
        tree = "-" if r.tree_pss_mb is None else f"{r.tree_pss_mb:.1f}"
        tree_rss = "-" if r.tree_rss_mb is None else f"{r.tree_rss_mb:.1f}"
        procs = "-" if r.processes is None else str(r.processes)
        lines.append(f"{r.case.name:<6} {r.case.lines:>6} {r.case.devices:>7} {r.step:<8} "
                     f"{len(r.runs):>4} {r.wall_s:>7.2f} {r.peak_mb:>8.1f} {tree_rss:>11} "
                     f"{tree:>11} {procs:>5} {r.exit_codes:>4} {status:<10} {invoices:>8}")
    lines.append("peak MB: peak RSS of the largest single process (wait4); tree RSS/PSS MB: "
                 "peak total over the process tree, sampled every 50 ms (RSS counts pages "
                 "shared by forked workers in each; PSS splits them)")
    if any(len(r.runs) > 1 for r in results):
        lines.append("over several runs: wall is the median, memory the maximum")
    notes = [r for r in results if r.note]
    if notes:
        lines.append("")
        for r in notes:
            lines.append(f"NOTE {r.case.name} {r.step}: {r.note}")

    by = {(r.case.name, r.step): r for r in results}
    lines.append("")
    lines.append("Targets")
    large, baseline = by.get(("large", "process")), by.get(("large", "pandas"))
    if large and baseline:
        failed = "" if large.ok else f" (exit {large.exit_codes}: not a valid figure)"
        lines.append(
            f"  large process wall {large.wall_s:.3f} s < pandas.read_excel "
            f"{baseline.wall_s:.3f} s ({large.wall_s / baseline.wall_s:.2f}x): "
            f"{verdict(large.ok and large.wall_s < baseline.wall_s)}{failed}"
        )
        lines.append(
            f"  large process peak {large.peak_mb:.1f} MB < {LARGE_PEAK_MB:.0f} MB: "
            f"{verdict(large.ok and large.peak_mb < LARGE_PEAK_MB)}{failed}"
        )
        if large.tree_pss_mb is not None and large.tree_rss_mb is not None:
            lines.append(
                f"  large process tree ({large.processes} processes) PSS "
                f"{large.tree_pss_mb:.1f} MB < {LARGE_PEAK_MB:.0f} MB: "
                f"{verdict(large.ok and large.tree_pss_mb < LARGE_PEAK_MB)}{failed}; "
                f"RSS {large.tree_rss_mb:.1f} MB < {LARGE_PEAK_MB:.0f} MB: "
                f"{verdict(large.ok and large.tree_rss_mb < LARGE_PEAK_MB)}{failed}"
            )
    small = by.get(("small", "process"))
    if small:
        failed = "" if small.ok else f" (exit {small.exit_codes}: not a valid figure)"
        lines.append(
            f"  small process wall {small.wall_s:.3f} s < {SMALL_WALL_S} s: "
            f"{verdict(small.ok and small.wall_s < SMALL_WALL_S)}{failed}"
        )
    if not (large and baseline) and not small:
        lines.append("  (no target applies to the cases run)")
    return lines


@contextmanager
def work_folder(chosen: Path | None, prefix: str) -> Iterator[Path]:
    """--workdir, kept; else a temporary folder, removed afterwards."""
    if chosen is not None:
        folder = chosen.resolve()
        folder.mkdir(parents=True, exist_ok=True)
        yield folder
        return
    with tempfile.TemporaryDirectory(prefix=prefix) as name:
        yield Path(name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Time pandas.read_excel, seatbatch quote and seatbatch process as whole "
        "processes on generated workbooks; print wall seconds and peak memory."
    )
    parser.add_argument("--large", default="5000,100000,20000", metavar="C,D,L",
                        help="customers,devices,lines of the large case (default %(default)s)")
    parser.add_argument("--small", default="10,200,50", metavar="C,D,L",
                        help="customers,devices,lines of the small case (default %(default)s)")
    parser.add_argument("--cases", default="large,small",
                        help="which cases to run, comma-separated (default %(default)s)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs per step of the large case (default %(default)s); over "
                        "several runs wall is the median, peak the maximum")
    parser.add_argument("--small-repeat", type=int, default=5,
                        help="runs per step of the small case (default %(default)s)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
    parser.add_argument("--workdir", type=Path,
                        help="keep workbooks, ledgers and run folders here (e.g. benchmarks/out; "
                        "a case's folder is replaced each run); default: a temporary folder "
                        "removed afterwards")
    parser.add_argument("--meter", choices=("sample", "wait4", "time"), default="sample",
                        help="how each child's wall time and memory are taken: "
                        "benchmarks/meter.py with os.wait4 and process-tree sampling "
                        "(default), the same without sampling, or GNU /usr/bin/time")
    parser.add_argument("-v", "--verbose", action="store_true", help="print each command")
    args = parser.parse_args(argv)

    try:
        cases = {"large": parse_case("large", args.large),
                 "small": parse_case("small", args.small)}
    except argparse.ArgumentTypeError as error:
        parser.error(str(error))
    chosen = [name.strip() for name in args.cases.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in cases]
    if unknown or not chosen:
        parser.error(f"--cases: choose from large, small; got {args.cases!r}")
    if args.repeat < 1 or args.small_repeat < 1:
        parser.error("--repeat and --small-repeat must be at least 1")
    if args.meter == "time" and not Path("/usr/bin/time").exists():
        parser.error("--meter time: /usr/bin/time is not installed")
    if not args.config.is_file():
        parser.error(f"--config: no such file {args.config}")
    with work_folder(args.workdir, "seatbatch-bench-") as workdir:
        config = config_with_formats(args.config.resolve(), PART1_FORMATS, workdir)
        load = os.getloadavg()[0]
        version = source_version()
        results: list[StepResult] = []
        generated: list[str] = []
        for name in chosen:
            repeat = args.small_repeat if name == "small" else args.repeat
            case_results, line = run_case(cases[name], workdir, config, repeat=repeat,
                                          seed=args.seed, meter=args.meter,
                                          verbose=args.verbose)
            results.extend(case_results)
            generated.append(line)
        print("\n".join(report(results, generated, args.meter, version, load)))
        print("\nCommands (last run of each step):")
        for r in results:
            print(f"  {r.case.name} {r.step}: " + shlex.join(r.command))
    return 0


if __name__ == "__main__":
    sys.exit(main())
