from __future__ import annotations

from conftest import Env, order


def test_process_then_rerun_is_duplicate(env: Env) -> None:
    book = env.workbook(customers=[{"customer_id": "C-001", "organization": "Org"}],
                        orders=[order()])
    first = env.process(book)
    assert first.code == 0, first.stderr
    assert first.manifest["status"] == "committed"
    assert first.manifest["invoices"][0]["total"] == "324.00"
    second = env.process(book)
    assert second.code == 0
    assert second.manifest["status"] == "duplicate"
    assert env.invoice_numbers() == ["INV-2026-000001"]
