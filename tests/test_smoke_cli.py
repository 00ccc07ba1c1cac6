"""The installed `seatbatch` executable itself, as cron starts it (`cron=True`: a process of
its own), where the rest of the suite runs the same command in-process: its exit codes and
its standard output, the run folder alone."""

from __future__ import annotations

from conftest import Env, order


def test_process_then_rerun_is_duplicate(env: Env) -> None:
    book = env.workbook(customers=[{"customer_id": "C-001", "organization": "Org"}],
                        orders=[order()])
    first = env.process(book, cron=True)
    assert first.code == 0, first.stderr
    assert first.manifest["status"] == "committed"
    assert first.manifest["invoices"][0]["total"] == "324.00"
    second = env.process(book, cron=True)
    assert second.code == 0
    assert second.manifest["status"] == "duplicate"
    assert env.invoice_numbers() == ["INV-2026-000001"]


def test_a_rejected_workbook_and_a_usage_error_exit_1_and_2(env: Env) -> None:
    rejected = env.process(env.workbook(customers=[{"customer_id": "C-001",
                                                    "organization": "Org"}],
                                        orders=[order(seats=0)]), cron=True)
    assert rejected.code == 1, rejected.stderr
    assert rejected.manifest["status"] == "rejected"  # stdout: the run folder alone
    usage = env.process(env.root / "orders.xlsx", partner="P-NOBODY", cron=True)
    assert usage.code == 2, usage.stderr
    assert usage.stdout == "" and usage.stderr.startswith("seatbatch: ")
