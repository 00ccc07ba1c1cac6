"""Runs at the same time against one ledger: numbers stay gapless, nothing is issued twice.

Runs side by side are processes of their own, the installed command as cron starts it
(`cron=True`): what is tested is processes meeting at the ledger. What holds is asserted
whatever the machine's speed: how many runs overlapped, or met a lock, is only printed."""

from __future__ import annotations

import os
import shutil
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import pytest

from conftest import Env, Result, customer, device, order


def test_parallel_runs_of_one_partner_number_without_gaps(env: Env) -> None:
    books = [
        env.workbook(f"w{i}.xlsx", customers=[customer()],
                     orders=[order(f"L{i}-{j}", subscription=f"S{i}-{j}", po_number=f"PO-{i}-{j}")
                             for j in range(3)])
        for i in range(4)
    ]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(partial(env.process, cron=True), books))
    assert [r.code for r in results] == [0, 0, 0, 0], [r.stderr for r in results]
    assert env.invoice_numbers() == [f"INV-2026-{n:06d}" for n in range(1, 13)]
    assert env.count("order_lines") == 12


def test_the_same_workbook_twice_at_once_is_issued_once(env: Env) -> None:
    book = env.workbook(customers=[customer()], orders=[order("L1"), order("L2", seats=4)])
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(partial(env.process, cron=True), [book, book]))
    assert sorted(r.code for r in results) == [0, 0]
    assert sorted(r.manifest["status"] for r in results) == ["committed", "duplicate"]
    assert env.invoice_numbers() == ["INV-2026-000001"]
    assert env.count("order_lines") == 2


# --- issue 5 item 6: many runs at once, and a run that meets a held write lock ------------

PARTNERS = ("P-ACME", "P-OTHER", "P-TOKYO")
WORKERS = 16
RUNS = int(os.environ.get("SEATBATCH_RUNS", "16"))  # 16 at once; more: a longer stress
PAIRS = 4  # workbooks run twice at once: two from one path, two as byte-identical copies


@dataclass(frozen=True)
class Book:
    path: Path
    partner: str
    order_ids: tuple[str, ...]
    invoices: int  # what committing it issues


def _book(env: Env, i: int) -> Book:
    """Workbook i: one of five customers of its partner (so runs of one partner share
    customers and devices), one to three lines, each its own subscription, on one or two POs,
    some billed separately."""
    partner = PARTNERS[i % len(PARTNERS)]
    customer_id = f"C-{i % 5}"
    lines = [
        order(f"W{i}-L{j}", customer_id=customer_id, subscription=f"S{j}",
              device_type=("Space Pro", "Space Plus", "Space CO2 Mini")[(i + j) % 3],
              seats=1 + (i * 7 + j) % 9, term_years=(1, 3, 5)[(i + j) % 3],
              po_number=f"PO-{i}-{j % 2}", separate_invoice=(i + j) % 4 == 0)
        for j in range(1 + i % 3)
    ]
    joint = {line["po_number"] for line in lines if not line["separate_invoice"]}
    invoices = len(joint) + sum(1 for line in lines if line["separate_invoice"])
    path = env.workbook(f"w{i:02d}.xlsx", customers=[customer(customer_id)],
                        devices=[device(f"SN-{i}", lines[0]["device_type"], customer_id)],
                        orders=lines)
    return Book(path, partner, tuple(line["order_id"] for line in lines), invoices)


def _leftovers(env: Env) -> list[str]:
    """What a run must never leave: staging folders under --out, internal error logs."""
    hidden = [p.name for p in env.out.iterdir() if p.name.startswith(".")] if env.out.exists() \
        else []
    return hidden + [p.name for p in [*env.root.glob("seatbatch-error-*.log"),
                                      *env.out.glob("*.error.log")]]


@pytest.mark.parametrize(("count", "timeout"), [
    (RUNS, None),  # the default busy timeout: nearly every run goes through the first time
    (16, "0.05"),  # a busy timeout this short makes runs meet each other's lock and exit 75
], ids=["default-timeout", "short-timeout"])
def test_runs_by_16_processes_at_once_number_gaplessly_and_issue_once(
        env: Env, count: int, timeout: str | None) -> None:
    busy = {"SEATBATCH_BUSY_TIMEOUT": timeout} if timeout else {}
    distinct = count - PAIRS
    books = [_book(env, i) for i in range(distinct)]
    runs: list[Book] = []
    for i, book in enumerate(books):
        runs.append(book)
        if i < PAIRS // 2:  # the same file twice, side by side
            runs.append(book)
        elif i < PAIRS:  # a byte-identical copy under another name
            copy = env.root / f"copy-{book.path.name}"
            shutil.copyfile(book.path, copy)
            runs.append(replace(book, path=copy))
    assert len(runs) == count
    pairs: dict[tuple[str, ...], list[str]] = {b.order_ids: [] for b in books[:PAIRS]}

    spans: list[tuple[float, float]] = []

    def timed(book: Book) -> Result:
        begun = time.monotonic()
        result = env.process(book.path, book.partner, env=busy, cron=True)
        spans.append((begun, time.monotonic()))
        return result

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:  # each thread waits on a process
        first = list(pool.map(timed, runs))
    together = time.monotonic() - started
    peak = max(sum(1 for b, e in spans if b <= moment < e) for moment, _ in spans)

    seen = Counter(result.code for result in first)
    assert set(seen) <= {0, 75}, {c: [r.stderr for r in first if r.code == c] for c in seen}
    for result in first:
        if result.code == 75:
            assert result.stdout == "" and "busy" in result.stderr, result
        else:
            assert result.stderr == "", result.stderr
    # a run is busy only while another holds the lock, and that one commits: however the
    # runs met (which depends on the machine's speed), at least one went through at once
    assert seen[0] >= 1, f"every run was busy: {dict(seen)}"
    retries = 0
    final = []
    for book, result in zip(runs, first, strict=True):
        while result.code == 75:
            retries += 1
            assert retries <= count, "a run stayed busy with nothing else running"
            result = env.process(book.path, book.partner, env=busy)  # alone now
        assert result.code == 0, result.stderr
        final.append(result)
        if book.order_ids in pairs:
            pairs[book.order_ids].append(result.manifest["status"])
    print(f"\n{count} runs by {WORKERS} processes in {together:.1f} s ({peak} at once at the "
          f"most): exits {dict(seen)}, {retries} retries")

    expected = sum(book.invoices for book in books)
    assert env.invoice_numbers() == [f"INV-2026-{n:06d}" for n in range(1, expected + 1)]
    assert env.query("SELECT series, year, last_seq FROM counters") == [("INV", 2026, expected)]
    committed = sorted(env.query("SELECT partner_id, order_id FROM order_lines"))
    assert committed == sorted((b.partner, o) for b in books for o in b.order_ids)
    assert env.query("SELECT count(*), count(DISTINCT order_id) FROM invoice_lines") == [
        (len(committed), len(committed))]  # the books' order ids are unique across partners
    assert env.count("seats") == len(committed)
    assert env.count("runs") == distinct  # one committing run per distinct workbook
    for statuses in pairs.values():
        assert sorted(statuses) == ["committed", "duplicate"]

    manifests = [result.manifest for result in final]
    assert sorted(r.folder for r in final) == env.visible_runs()
    assert Counter(m["status"] for m in manifests) == {"committed": distinct,
                                                       "duplicate": PAIRS}
    assert sorted(i["number"] for m in manifests for i in m["invoices"]) == \
        env.invoice_numbers()
    assert _leftovers(env) == []
    if env.engine == "sqlite":
        assert env.query("PRAGMA integrity_check") == [("ok",)]


def test_a_run_that_meets_a_held_write_lock_exits_75_and_leaves_nothing(env: Env) -> None:
    timeout = 2  # SEATBATCH_BUSY_TIMEOUT, seconds
    first = env.process(env.workbook("first.xlsx", customers=[customer()], orders=[order()]))
    assert first.code == 0, first.stderr
    book = env.workbook("second.xlsx", customers=[customer("C-002")],
                        devices=[device("SN-2", customer_id="C-002")],
                        orders=[order("L2", customer_id="C-002")])
    busy = {"SEATBATCH_BUSY_TIMEOUT": str(timeout)}
    before, runs_before = env.dump(), env.visible_runs()

    with env.hold_write_lock():  # another run's write transaction, held
        started = time.monotonic()
        result = env.process(book, env=busy)
        waited = time.monotonic() - started
        quoted = env.quote(book, env=busy)  # reading needs no write lock
    print(f"\nbusy run: exit {result.code} after {waited:.2f} s (busy timeout {timeout} s)")

    assert result.code == 75, result.stderr
    assert result.stdout == ""
    assert "the ledger is busy with another run; try again later" in result.stderr
    # it waited the busy timeout, and then gave up: the lock was held until the block ended
    assert waited >= timeout * 0.9  # (the clocks' granularity)
    # the quote did not wait for the write lock: it would have found it held all along, busy
    assert quoted.code == 0 and quoted.manifest["status"] == "quoted", quoted.stderr
    assert env.visible_runs() == sorted([*runs_before, quoted.folder])
    assert _leftovers(env) == []
    assert env.dump() == before

    again = env.process(book, env=busy)  # the lock released, the same run goes through
    assert again.code == 0, again.stderr
    assert env.invoice_numbers() == ["INV-2026-000001", "INV-2026-000002"]


def test_credit_and_process_runs_at_once_keep_both_series_gapless(env: Env) -> None:
    """`credit` runs of one invoice and `process` runs of the same partner, all at once: both
    series gapless, and no seat credited twice (SPEC §11)."""
    first = env.process(env.workbook("first.xlsx", customers=[customer()], orders=[
        order(f"C{j}", seats=2, subscription=f"S{j}") for j in range(4)]))
    assert first.code == 0, first.stderr
    books = [env.workbook(f"w{i}.xlsx", customers=[customer()], orders=[
        order(f"P{i}", subscription=f"T{i}", po_number=f"PO-{i}")]) for i in range(3)]

    def credit(line: str) -> Result:
        return env.run("credit", "INV-2026-000001", "--reason", "at once", "--line", line,
                       cron=True)

    # two runs ask the same seat of C0 =2: one of them finds it taken
    lines = ["C0=2", "C0=2", "C1=1", "C2=1", "C3=2"]
    with ThreadPoolExecutor(max_workers=8) as pool:  # all started before any is awaited
        credits = [pool.submit(credit, line) for line in lines]
        processes = [pool.submit(env.process, book, cron=True) for book in books]
        credited = [future.result() for future in credits]
        processed = [future.result() for future in processes]
    assert [r.code for r in processed] == [0, 0, 0], [r.stderr for r in processed]
    assert sorted(r.code for r in credited) == [0, 0, 0, 0, 1], [r.stderr for r in credited]
    assert env.invoice_numbers() == [
        *(f"CN-2026-{n:06d}" for n in range(1, 5)), *(f"INV-2026-{n:06d}" for n in range(1, 5))]
    assert env.query("SELECT series, last_seq FROM counters ORDER BY series") == [
        ("CN", 4), ("INV", 4)]
    assert env.query("SELECT invoice_position, sum(seats) FROM credit_lines "
                     "GROUP BY invoice_position ORDER BY 1") == [(1, 2), (2, 1), (3, 1), (4, 2)]
