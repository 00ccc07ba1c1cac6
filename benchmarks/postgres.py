"""PostgreSQL against SQLite, and inbox workers side by side (issue 6 targets; `make bench-pg`).

1. ``process`` of the large generated workbook (5,000 customers, 100,000 devices, 20,000
   lines; benchmarks/generate.py) on a fresh SQLite ledger and on a fresh PostgreSQL database,
   ``--repeat`` times each, alternating; the median wall time of each.
   Target: PostgreSQL within 1.5x of SQLite.
2. ``inbox`` throughput: ``--workbooks`` small workbooks (5 lines each, their own customers and
   order ids) waiting in one inbox folder, round robin over ``--partners`` partners (the
   sample configuration's two and more like them), worked off by one ``seatbatch inbox``
   process, then by ``--workers`` of them started together (each run again while it exits 75
   and work is left), on a fresh PostgreSQL database each time.
   Target: ``--workers`` workers reach at least 1.5x the throughput of one.

Unless ``--pg-url`` names a server (an admin URL: the script creates and drops its databases
there), a throwaway PostgreSQL server is started as in the tests (tests/pgserver.py), switched
to the durable settings of a real server (fsync, synchronous_commit and full_page_writes on),
so that it is weighed fairly against SQLite's synchronous=FULL. It prints figures and MET or
MISSED; it exits 0 either way.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import psycopg
from psycopg import sql

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT / "tests")]

from bench import (  # noqa: E402
    PART1_FORMATS,
    config_with_formats,
    measure,
    seatbatch_command,
    source_version,
    verdict,
    work_folder,
)
from generate import generate  # noqa: E402
from pgserver import PostgresServer  # noqa: E402
from seatbatch.core.exits import EXIT_BUSY, EXIT_OK  # noqa: E402
from seatbatch.output.order_workbook import write_order_workbook  # noqa: E402

CONFIG = ROOT / "samples" / "seatbatch.toml"
AS_OF = "2026-11-24"
RATIO_TARGET = 1.5
SPEEDUP_TARGET = 1.5
SAMPLE_PARTNERS = ("P-ACME", "P-NORD")


class Server:
    """Fresh databases on a server: ours (started here) or the one --pg-url names."""

    def __init__(self, admin_url: str | None):
        self.admin_url = admin_url
        self.own: PostgresServer | None = None
        self.count = 0

    def __enter__(self) -> Server:
        if self.admin_url is None:
            self.own = PostgresServer()
            self.own.start()
            with self.own.admin() as connection:
                for setting in ("fsync", "synchronous_commit", "full_page_writes"):
                    connection.execute(sql.SQL("ALTER SYSTEM SET {} = on").format(
                        sql.Identifier(setting)))
                connection.execute("SELECT pg_reload_conf()")
        return self

    def __exit__(self, *_: object) -> None:
        if self.own is not None:
            self.own.stop()

    def _admin(self) -> psycopg.Connection[tuple[object, ...]]:
        if self.own is not None:
            return self.own.admin()
        assert self.admin_url is not None
        return psycopg.connect(self.admin_url, autocommit=True)

    @contextmanager
    def database(self) -> Iterator[str]:
        """A new empty database for one measurement, dropped afterwards; its URL."""
        self.count += 1
        name = f"bench_{self.count}"
        with self._admin() as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))
            owner = "seatbatch" if self.own is not None else connection.info.user
            connection.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(name), sql.Identifier(owner)))
        try:
            if self.own is not None:
                yield self.own.url(name)
            else:
                assert self.admin_url is not None
                yield self.admin_url.rsplit("/", 1)[0] + "/" + name
        finally:
            with self._admin() as connection:
                connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(name)))


def process_command(workbook: Path, ledger: str, out: Path) -> list[str]:
    config = config_with_formats(CONFIG, PART1_FORMATS, out.parent)
    return [*seatbatch_command(), "process", str(workbook), "--partner", "P-ACME", "--config",
            str(config), "--ledger", ledger, "--out", str(out), "--as-of", AS_OF]


def large_process(server: Server, work: Path, size: tuple[int, int, int], repeat: int
                  ) -> list[str]:
    customers, devices, lines = size
    workbook = work / "large.xlsx"
    generate(workbook, customers=customers, devices=devices, lines=lines)
    walls: dict[str, list[float]] = {"sqlite": [], "postgresql": []}
    peaks: dict[str, list[float]] = {"sqlite": [], "postgresql": []}
    for attempt in range(repeat):
        for engine in ("sqlite", "postgresql"):
            out = work / f"out-{engine}-{attempt}"
            if engine == "sqlite":
                ledger = work / f"ledger-{attempt}.db"
                result = measure(process_command(workbook, str(ledger), out), work)
            else:
                with server.database() as url:
                    result = measure(process_command(workbook, url, out), work)
            if result.exit_code != 0:
                raise SystemExit(f"process on {engine} exited {result.exit_code}:\n"
                                 f"{result.stderr[-2000:]}")
            walls[engine].append(result.wall_s)
            peaks[engine].append(result.peak_mb)
    sqlite_s = statistics.median(walls["sqlite"])
    postgres_s = statistics.median(walls["postgresql"])
    ratio = postgres_s / sqlite_s
    return [
        f"process, {lines:,} lines ({customers:,} customers, {devices:,} devices), "
        f"median of {repeat}:",
        f"  SQLite      {sqlite_s:7.2f} s   (runs {', '.join(f'{w:.2f}' for w in walls['sqlite'])};"
        f" peak {max(peaks['sqlite']):.0f} MB)",
        f"  PostgreSQL  {postgres_s:7.2f} s   (runs "
        f"{', '.join(f'{w:.2f}' for w in walls['postgresql'])}; "
        f"peak {max(peaks['postgresql']):.0f} MB)",
        f"  PostgreSQL / SQLite = {ratio:.2f}x (target <= {RATIO_TARGET}x): "
        f"{verdict(ratio <= RATIO_TARGET)}",
    ]


def partners_config(work: Path, count: int) -> tuple[Path, tuple[str, ...]]:
    """The sample configuration with partners P-B03, P-B04, … added up to `count` in all."""
    extra = [f"P-B{n:02d}" for n in range(len(SAMPLE_PARTNERS) + 1, count + 1)]
    config = work / "seatbatch.toml"
    part1 = config_with_formats(CONFIG, PART1_FORMATS, work).read_text(encoding="utf-8")
    config.write_text(part1 + "".join(
        f'\n[partners.{partner}]\nname = "Bench Partner {partner}"\ncurrency = "EUR"\n'
        f'discount = "0.10"\ncountry = "NO"\n' for partner in extra), encoding="utf-8")
    return config, (*SAMPLE_PARTNERS, *extra)[:count]


def fill_inbox(inbox: Path, count: int, partners: tuple[str, ...]) -> None:
    """`count` small workbooks, round robin over the partners, each with its own customer and
    order ids, so that every one of them commits."""
    for partner in partners:
        (inbox / partner).mkdir(parents=True, exist_ok=True)
    for n in range(count):
        partner = partners[n % len(partners)]
        customer = f"W{n:04d}"
        orders = [
            {"order_id": f"W{n:04d}-L{k}", "customer_id": customer, "action": "new",
             # the first three lines one subscription for three years, the others another
             "subscription": "S1" if k < 3 else "S2", "device_type": device_type,  # noqa: PLR2004
             "seats": 1 + k, "term_years": 3 if k < 3 else 1,  # noqa: PLR2004
             "start_date": date.fromisoformat(AS_OF), "po_number": f"PO-{n}",
             "accept_terms": True}
            for k, device_type in enumerate(("Space Pro", "Space Plus", "Space CO2 Mini",
                                             "Space Pro", "Space Plus"))
        ]
        write_order_workbook(inbox / partner / f"orders-{n:04d}.xlsx", {
            "Customers": [{"customer_id": customer, "organization": f"Organisation {n}"}],
            "Devices": [], "Orders": orders})


def waiting(inbox: Path) -> int:
    return sum(1 for _ in inbox.glob("*/*.xlsx"))


def work_off(inbox: Path, config: Path, ledger: str, out: Path, workers: int) -> float:
    """Start `workers` inbox runs together; each runs again while it exits 75 with work left.
    The wall time until all are done."""
    command = [*seatbatch_command(), "inbox", str(inbox), "--config", str(config), "--ledger",
               ledger, "--out", str(out), "--as-of", AS_OF]

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, cwd=ROOT)

    started = time.perf_counter()
    running = [start() for _ in range(workers)]
    while running:
        still: list[subprocess.Popen[bytes]] = []
        for worker in running:
            code = worker.wait()
            if code == EXIT_BUSY and waiting(inbox):
                still.append(start())
            elif code not in (EXIT_OK, EXIT_BUSY):
                stderr = worker.stderr.read().decode() if worker.stderr else ""
                raise SystemExit(f"inbox exited {code}:\n{stderr[-2000:]}")
        running = still
    return time.perf_counter() - started


def inbox_throughput(server: Server, work: Path, *, count: int, workers: int,
                     partner_count: int, engines: tuple[str, ...]) -> list[str]:
    config, partners = partners_config(work, partner_count)
    lines = [f"inbox, {count} workbooks of 5 lines over {len(partners)} partners:"]
    for engine in engines:
        rates: dict[int, float] = {}
        for n in (1, workers):
            inbox = work / f"inbox-{engine}-{n}"
            fill_inbox(inbox, count, partners)
            out = work / f"out-inbox-{engine}-{n}"
            if engine == "sqlite":
                wall = work_off(inbox, config, str(work / f"inbox-{n}.db"), out, n)
            else:
                with server.database() as url:
                    wall = work_off(inbox, config, url, out, n)
            filed = sum(1 for _ in inbox.glob("*/done/*.xlsx"))
            if filed != count or waiting(inbox):
                raise SystemExit(f"{engine}, {n} worker(s): {filed} of {count} filed in done/")
            rates[n] = count / wall
            lines.append(f"  {engine:<10} {n} worker{'s' if n > 1 else ' '}  {wall:7.2f} s  "
                         f"{rates[n]:6.1f} workbooks/s")
        speedup = rates[workers] / rates[1]
        target = f"(target >= {SPEEDUP_TARGET}x): {verdict(speedup >= SPEEDUP_TARGET)}" \
            if engine == "postgresql" else "(for comparison)"
        lines.append(f"  {engine:<10} {workers} workers / 1 = {speedup:.2f}x {target}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--large", default="5000,100000,20000",
                        help="CUSTOMERS,DEVICES,LINES of the large workbook")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workbooks", type=int, default=400)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--partners", type=int, default=8,
                        help="partners the inbox workbooks are spread over (at least 1)")
    parser.add_argument("--pg-url", help="an admin URL of a server to use instead of our own")
    parser.add_argument("--inbox-sqlite", action="store_true",
                        help="also measure the inbox workers on SQLite, for comparison")
    parser.add_argument("--skip-large", action="store_true")
    parser.add_argument("--workdir", type=Path, help="keep the files here")
    args = parser.parse_args(argv)
    size = tuple(int(part) for part in args.large.split(","))
    if len(size) != 3:  # noqa: PLR2004  customers, devices, lines
        parser.error("--large: CUSTOMERS,DEVICES,LINES")
    report: list[str] = [f"seatbatch {source_version()}, {sys.platform}, "
                         f"{time.strftime('%Y-%m-%d %H:%M')}"]
    steps: list[Callable[[Server, Path], list[str]]] = []
    if not args.skip_large:
        steps.append(lambda server, work: large_process(server, work, size,
                                                        args.repeat))
    engines = ("sqlite", "postgresql") if args.inbox_sqlite else ("postgresql",)
    steps.append(lambda server, work: inbox_throughput(
        server, work, count=args.workbooks, workers=args.workers,
        partner_count=max(1, args.partners), engines=engines))
    with work_folder(args.workdir, "seatbatch-bench-pg-") as work, Server(args.pg_url) as server:
        for step in steps:
            lines = step(server, work)
            report += ["", *lines]
            print("\n".join(lines), flush=True)
    print("\n" + "\n".join(report[:1]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
