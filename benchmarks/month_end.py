"""Month-end figures: ``renew`` and ``report`` against ``process`` (`make bench-month`).

    python benchmarks/month_end.py [--subscriptions 100000] [--invoices 20000] [--workdir DIR]
                                   [--baseline OTHER/.venv/bin/seatbatch]

Targets (issue 4, "Speed"): ``seatbatch renew --month M`` over 100,000 subscriptions due in one
month, and ``seatbatch report --month M`` over a month of 20,000 invoices, each within 2x the
wall time ``seatbatch process`` needs for a workbook of the same number of lines, and each under
400 MB peak memory.

The ledgers are built honestly, through ``seatbatch process`` on workbooks written by
benchmarks/generate.py, and that ``process`` run is the baseline it is compared with:

* ``renew``: one workbook of N customers with one ``new`` line each (N lines, N subscriptions,
  all 1-year terms starting 2 to 30 November 2026; ``process --as-of 2026-11-30``), so every
  term's last day falls in November 2027. Timed: ``renew --month 2027-11 --as-of 2027-11-01``
  (N renewal invoices), then the same again a day later (nothing due; no target). With
  ``--repeat``, each renew runs on a fresh copy of the built ledger.
* ``report``: one workbook of M customers with one line each (M invoices, one per customer,
  dated 2026-11-24; ``process --as-of 2026-11-24``). Timed: ``report --month 2026-11
  --as-of 2026-11-30``; then ``report --month 2027-05``, a month with no invoice of its own
  whose revenue (SPEC §12) is every one of those lines still being earned ("report later").
  When the installed seatbatch has no ``report`` command yet, that part is skipped with a
  message.

Issue 16 (revenue and the journal): ``report`` stays within 1.5x the time it took before, peak
under 400 MB. ``--baseline`` names the seatbatch of before (another checkout's, e.g.
``../main/.venv/bin/seatbatch``): its ``report`` runs on the same ledger, each run alternating
with this one's, and the CPU times (user + system, steadier than wall on a loaded machine) are
compared.

Both use samples/seatbatch.toml (price lists valid from 2026-01-01, so the renewals price at
it too). Every child runs under benchmarks/meter.py exactly as in bench.py (read its
docstring for why): wall time, the peak RSS of the largest single process of the tree ("peak
MB", from wait4), and the sampled peak PSS of the whole tree. The verdicts use wall and peak
MB; the tree's PSS is shown beside them. Exit 0 whether targets are met or not.

Generated workbooks, ledgers and run folders go to a temporary folder that is printed and
removed afterwards, or to ``--workdir`` (kept).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
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
    DEFAULT_CONFIG,
    PART1_FORMATS,
    PARTNER,
    Case,
    StepResult,
    config_with_formats,
    measure,
    read_manifest,
    seatbatch_command,
    source_version,
    verdict,
    work_folder,
)
from generate import generate  # noqa: E402

BUILD_AS_OF = date(2026, 11, 30)  # renew case: terms start 2..30 November 2026
BACKDATE_DAYS = 28
RENEW_MONTH = "2027-11"
RENEW_AS_OF = "2027-11-01"
RENEW_AGAIN_AS_OF = "2027-11-02"
REPORT_AS_OF = date(2026, 11, 24)  # report case: every invoice dated this day
REPORT_MONTH = "2026-11"
REPORT_RUN_AS_OF = "2026-11-30"
REPORT_LATER_MONTH = "2027-05"  # the report ledger's lines, a third of the way through
REPORT_LATER_AS_OF = "2027-06-01"
WALL_FACTOR = 2.0
BASELINE_FACTOR = 1.5  # issue 16: report's time against the seatbatch of before
PEAK_MB = 400.0


def has_report(seatbatch: list[str]) -> bool:
    completed = subprocess.run([*seatbatch, "report", "--help"], capture_output=True, check=False,
                               stdin=subprocess.DEVNULL)
    return completed.returncode == 0


def build(case: Case, folder: Path, as_of: date, *, backdate_days: int, terms: list[int] | None,
          seed: int) -> tuple[Path, str]:
    """A generated workbook in `folder`, and a line saying what it holds."""
    workbook = folder / f"{case.name}-{case.customers}c-{case.devices}d-{case.lines}l.xlsx"
    started = time.perf_counter()
    made = generate(workbook, customers=case.customers, devices=case.devices, lines=case.lines,
                    seed=seed, as_of=as_of, backdate_days=backdate_days, terms=terms)
    line = (f"{case.name}: {made.customers} customers, {made.devices} devices, {made.lines} "
            f"lines ({made.subscriptions} subscriptions), {workbook.stat().st_size / 1e6:.1f} MB "
            f"xlsx, generated in {time.perf_counter() - started:.1f} s -> {workbook}")
    print(line, file=sys.stderr)
    return workbook, line


def run_step(result: StepResult, command: list[str], folder: Path, verbose: bool) -> None:
    """One metered run of `command`, appended to `result`."""
    result.command = command
    if verbose:
        print("$ " + shlex.join(command), file=sys.stderr)
    measurement = measure(command, folder)
    result.runs.append(measurement)
    tree = measurement.tree_pss_mb
    print(f"  {result.case.name} {result.step} #{len(result.runs)}: {measurement.wall_s:.2f} s, "
          f"peak {measurement.peak_mb:.0f} MB"
          + ("" if tree is None else f", tree PSS {tree:.0f} MB")
          + f", exit {measurement.exit_code}", file=sys.stderr)
    if measurement.exit_code in (0, 1):
        read_manifest(result, measurement)
        if result.step.startswith("report"):  # it lists no invoices; its totals count them
            manifest = Path(measurement.stdout.split()[-1]) / "manifest.json"
            result.invoices = json.loads(manifest.read_text(encoding="utf-8"))["totals"][
                "invoices"]
    if measurement.exit_code != 0:
        tail = measurement.stderr.strip().splitlines()[-6:]
        result.note = (result.note + " | " if result.note else "") + " / ".join(tail)


def copy_ledger(source: Path, target: Path) -> None:
    """The ledger file as `process` left it (closed: its WAL checkpointed into it)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{source}{suffix}").exists():
            shutil.copyfile(f"{source}{suffix}", f"{target}{suffix}")


def renew_case(case: Case, workdir: Path, config: Path, *, repeat: int, seed: int,
               verbose: bool) -> tuple[list[StepResult], str]:
    folder = workdir / case.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    workbook, generated = build(case, folder, BUILD_AS_OF, backdate_days=BACKDATE_DAYS, terms=[1],
                                    seed=seed)
    seatbatch = seatbatch_command()
    built = folder / "built" / "ledger.db"
    common = ["--config", str(config), "--out", str(folder / "out")]

    process = StepResult(case, "process", [])
    run_step(process, [*seatbatch, "process", str(workbook), "--partner", PARTNER, *common,
                       "--ledger", str(built), "--as-of", BUILD_AS_OF.isoformat()],
             folder, verbose)
    renew = StepResult(case, "renew", [])
    again = StepResult(case, "renew again", [])
    if not process.ok:
        return [process], generated
    for attempt in range(1, repeat + 1):
        ledger = folder / f"renew-{attempt}" / "ledger.db"
        copy_ledger(built, ledger)
        run_step(renew, [*seatbatch, "renew", "--month", RENEW_MONTH, *common,
                         "--ledger", str(ledger), "--as-of", RENEW_AS_OF], folder, verbose)
    run_step(again, [*seatbatch, "renew", "--month", RENEW_MONTH, *common,
                     "--ledger", str(ledger), "--as-of", RENEW_AGAIN_AS_OF], folder, verbose)
    return [process, renew, again], generated


def report_case(case: Case, workdir: Path, config: Path, *, repeat: int, seed: int,
                verbose: bool, baseline: list[str] | None = None
                ) -> tuple[list[StepResult], str, str]:
    folder = workdir / case.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    seatbatch = seatbatch_command()
    if not has_report(seatbatch):
        message = (f"report: skipped, `{shlex.join([*seatbatch, 'report', '--help'])}` fails: "
                   "this seatbatch has no report command yet")
        print(message, file=sys.stderr)
        return [], "", message
    workbook, generated = build(case, folder, REPORT_AS_OF, backdate_days=60, terms=None,
                                    seed=seed)
    ledger = folder / "ledger.db"
    common = ["--config", str(config), "--out", str(folder / "out"), "--ledger", str(ledger)]
    process = StepResult(case, "process", [])
    run_step(process, [*seatbatch, "process", str(workbook), "--partner", PARTNER, *common,
                       "--as-of", REPORT_AS_OF.isoformat()], folder, verbose)
    if not process.ok:
        return [process], generated, ""
    steps = []
    for month, as_of, step in ((REPORT_MONTH, REPORT_RUN_AS_OF, "report"),
                               (REPORT_LATER_MONTH, REPORT_LATER_AS_OF, "report later")):
        ours = StepResult(case, step, [])
        theirs = StepResult(case, f"{step} (baseline)", [])
        for _ in range(repeat):  # alternating: a change in the machine's load falls on both
            run_step(ours, [*seatbatch, "report", "--month", month, *common, "--as-of", as_of],
                     folder, verbose)
            if baseline:
                run_step(theirs, [*baseline, "report", "--month", month, *common,
                                  "--as-of", as_of], folder, verbose)
        steps += [ours, theirs] if baseline else [ours]
    return [process, *steps], generated, ""


def cpu_s(result: StepResult) -> float | None:
    """The median CPU time (user + system) of the step's runs, where the meter gave it."""
    figures = [m.cpu_s for m in result.runs if m.cpu_s is not None]
    return statistics.median(figures) if figures else None


def table(results: list[StepResult]) -> list[str]:
    header = (f"{'case':<7} {'lines':>7} {'step':<23} {'runs':>4} {'wall s':>8} {'cpu s':>7} "
              f"{'peak MB':>8} {'tree PSS MB':>11} {'procs':>5} {'exit':>4} {'status':<12} "
              f"{'invoices':>8}")
    lines = [header, "-" * len(header)]
    for r in results:
        tree = "-" if r.tree_pss_mb is None else f"{r.tree_pss_mb:.1f}"
        procs = "-" if r.processes is None else str(r.processes)
        invoices = "-" if r.invoices is None else str(r.invoices)
        cpu = cpu_s(r)
        lines.append(f"{r.case.name:<7} {r.case.lines:>7} {r.step:<23} {len(r.runs):>4} "
                     f"{r.wall_s:>8.2f} {'-' if cpu is None else f'{cpu:.2f}':>7} "
                     f"{r.peak_mb:>8.1f} {tree:>11} {procs:>5} "
                     f"{r.exit_codes:>4} {r.status or '-':<12} {invoices:>8}")
    lines.append("cpu s: user + system CPU time; peak MB: peak RSS of the largest single "
                 "process (wait4); tree PSS MB: peak total over the process tree, sampled every "
                 "50 ms, shared pages split")
    if any(len(r.runs) > 1 for r in results):
        lines.append("over several runs: wall is the median, memory the maximum")
    return lines


def targets(results: list[StepResult]) -> list[str]:
    by = {(r.case.name, r.step): r for r in results}
    lines = []
    for name, step in (("renew", "renew"), ("report", "report")):
        measured, baseline = by.get((name, step)), by.get((name, "process"))
        if measured is None or baseline is None:
            lines.append(f"  {step}: not measured")
            continue
        failed = "" if measured.ok else f" (exit {measured.exit_codes}: not a valid figure)"
        limit = WALL_FACTOR * baseline.wall_s
        lines.append(
            f"  {step} wall {measured.wall_s:.2f} s <= {WALL_FACTOR:g} x process "
            f"{baseline.wall_s:.2f} s = {limit:.2f} s ({measured.wall_s / baseline.wall_s:.2f}x)"
            f": {verdict(measured.ok and measured.wall_s <= limit)}{failed}")
        tree = ("" if measured.tree_pss_mb is None
                else f" (tree PSS {measured.tree_pss_mb:.1f} MB, {measured.processes} processes)")
        lines.append(
            f"  {step} peak {measured.peak_mb:.1f} MB < {PEAK_MB:.0f} MB: "
            f"{verdict(measured.ok and measured.peak_mb < PEAK_MB)}{failed}{tree}")
    for step in ("report", "report later"):
        ours, theirs = by.get(("report", step)), by.get(("report", f"{step} (baseline)"))
        if ours is None or theirs is None:
            continue
        mine, before = cpu_s(ours), cpu_s(theirs)
        if mine is None or before is None or not before:
            lines.append(f"  {step} against the baseline: no CPU time measured")
            continue
        valid = ours.ok and theirs.ok
        lines.append(
            f"  {step} cpu {mine:.2f} s <= {BASELINE_FACTOR:g} x baseline {before:.2f} s = "
            f"{BASELINE_FACTOR * before:.2f} s ({mine / before:.2f}x; wall {ours.wall_s:.2f} s "
            f"against {theirs.wall_s:.2f} s): "
            f"{verdict(valid and mine <= BASELINE_FACTOR * before)}"
            + ("" if valid else " (a run failed: not a valid figure)"))
        lines.append(f"  {step} peak {ours.peak_mb:.1f} MB < {PEAK_MB:.0f} MB (baseline "
                     f"{theirs.peak_mb:.1f} MB): {verdict(valid and ours.peak_mb < PEAK_MB)}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Time seatbatch renew and report at month end against process on a "
        "workbook of as many lines; print wall seconds, peak memory and MET/MISSED.")
    parser.add_argument("--subscriptions", type=int, default=100_000,
                        help="subscriptions due (= lines and customers of the workbook that "
                        "builds the renew ledger; default %(default)s)")
    parser.add_argument("--invoices", type=int, default=20_000,
                        help="invoices in the report's month (= lines and customers of its "
                        "workbook; default %(default)s)")
    parser.add_argument("--devices-per-line", type=float, default=1.0,
                        help="devices listed per order line (default %(default)s)")
    parser.add_argument("--cases", default="renew,report",
                        help="which cases to run, comma-separated (default %(default)s)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs of renew and report each (default %(default)s); the ledger is "
                        "built once")
    parser.add_argument("--baseline", type=Path,
                        help="another seatbatch executable (the code before a change, e.g. "
                        "../main/.venv/bin/seatbatch) whose report runs on the same ledger, "
                        "alternating with this one's; compared by CPU time (issue 16: 1.5x)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
    parser.add_argument("--workdir", type=Path, help="keep everything here (a case's folder is "
                        "replaced each run); default: a temporary folder removed afterwards")
    parser.add_argument("-v", "--verbose", action="store_true", help="print each command")
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.cases.split(",") if name.strip()]
    if not chosen or not set(chosen) <= {"renew", "report"}:
        parser.error(f"--cases: choose from renew, report; got {args.cases!r}")
    if args.repeat < 1 or args.subscriptions < 1 or args.invoices < 1:
        parser.error("--repeat, --subscriptions and --invoices must be at least 1")
    if not args.config.is_file():
        parser.error(f"--config: no such file {args.config}")
    if args.baseline is not None and not args.baseline.is_file():
        parser.error(f"--baseline: no such file {args.baseline}")
    with work_folder(args.workdir, "seatbatch-month-") as workdir:
        config = config_with_formats(args.config.resolve(), PART1_FORMATS, workdir)
        kept = "" if args.workdir else " (removed afterwards; keep it with --workdir)"
        print(f"generated data in {workdir}{kept}", file=sys.stderr)

        load = os.getloadavg()[0]
        version = source_version()
        results: list[StepResult] = []
        generated: list[str] = []
        skipped: list[str] = []
        if "renew" in chosen:
            n = args.subscriptions
            case = Case("renew", n, round(n * args.devices_per_line), n)
            found, line = renew_case(case, workdir, config, repeat=args.repeat,
                                     seed=args.seed, verbose=args.verbose)
            results += found
            generated.append(line)
        if "report" in chosen:
            n = args.invoices
            case = Case("report", n, round(n * args.devices_per_line), n)
            baseline = None if args.baseline is None else [str(args.baseline.resolve())]
            found, line, skip = report_case(case, workdir, config, repeat=args.repeat,
                                            seed=args.seed, verbose=args.verbose,
                                            baseline=baseline)
            results += found
            generated += [line] if line else []
            skipped += [skip] if skip else []

        out = [f"seatbatch month-end benchmark  {version}  partner {PARTNER}  config {config}",
               f"python {platform.python_version()}  {platform.machine()}  cpus {os.cpu_count()}"
               f"  load average at start {load:.2f}, at end {os.getloadavg()[0]:.2f}",
               f"renew: process --as-of {BUILD_AS_OF}, renew --month {RENEW_MONTH} --as-of "
               f"{RENEW_AS_OF} (again: --as-of {RENEW_AGAIN_AS_OF}); report: process --as-of "
               f"{REPORT_AS_OF}, report --month {REPORT_MONTH} --as-of {REPORT_RUN_AS_OF} "
               f"(later: --month {REPORT_LATER_MONTH} --as-of {REPORT_LATER_AS_OF})"
               + ("" if args.baseline is None else f"; baseline {args.baseline}"),
               *generated, *skipped, "", *table(results)]
        notes = [f"NOTE {r.case.name} {r.step}: {r.note}" for r in results if r.note]
        out += ["", *notes] if notes else []
        out += ["", "Targets", *targets(results), "", "Commands (last run of each step):"]
        out += [f"  {r.case.name} {r.step}: " + shlex.join(r.command) for r in results]
        print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
