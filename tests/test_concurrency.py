"""Runs at the same time against one ledger: numbers stay gapless, nothing is issued twice."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from conftest import Env, customer, order


def test_parallel_runs_of_one_partner_number_without_gaps(env: Env) -> None:
    books = [
        env.workbook(f"w{i}.xlsx", customers=[customer()],
                     orders=[order(f"L{i}-{j}", subscription=f"S{i}-{j}", po_number=f"PO-{i}-{j}")
                             for j in range(3)])
        for i in range(4)
    ]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(env.process, books))
    assert [r.code for r in results] == [0, 0, 0, 0], [r.stderr for r in results]
    assert env.invoice_numbers() == [f"INV-2026-{n:06d}" for n in range(1, 13)]
    assert env.count("order_lines") == 12


def test_the_same_workbook_twice_at_once_is_issued_once(env: Env) -> None:
    book = env.workbook(customers=[customer()], orders=[order("L1"), order("L2", seats=4)])
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(env.process, [book, book]))
    assert sorted(r.code for r in results) == [0, 0]
    assert sorted(r.manifest["status"] for r in results) == ["committed", "duplicate"]
    assert env.invoice_numbers() == ["INV-2026-000001"]
    assert env.count("order_lines") == 2
