"""`seatbatch render`: an issued invoice written again from the ledger alone, the same."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from conftest import Env, customer, order


def cells(path: Path) -> list[tuple[str, object, str]]:
    book = openpyxl.load_workbook(path, data_only=True)
    return [(c.coordinate, c.value, c.number_format) for ws in book.worksheets
            for row in ws.iter_rows() for c in row if c.value is not None]


def test_render_writes_the_same_invoice_again(env: Env) -> None:
    first = env.process(env.workbook(customers=[customer()],
                                     orders=[order(), order("L2", device_type="Space Plus")]))
    assert first.code == 0, first.stderr
    number = first.manifest["invoices"][0]["number"]
    env.workbook("unrelated.xlsx")  # the workbook is not needed any more
    (env.root / "orders.xlsx").unlink()
    again = env.run("render", number)
    assert again.code == 0, again.stderr
    assert again.manifest["status"] == "rendered"
    assert again.manifest["invoices"] == first.manifest["invoices"]
    name = f"invoices/{number}"
    assert cells(again.folder / f"{name}.xlsx") == cells(first.folder / f"{name}.xlsx")
    assert (again.folder / f"{name}.html").read_text() == (
        first.folder / f"{name}.html").read_text()
    assert (again.folder / f"{name}.xlsx").read_bytes() == (
        first.folder / f"{name}.xlsx").read_bytes()


def test_render_of_an_unknown_number_is_exit_2(env: Env) -> None:
    env.process(env.workbook(customers=[customer()], orders=[order()]))
    result = env.run("render", "INV-2026-999999")
    assert result.code == 2
    assert "no invoice 'INV-2026-999999'" in result.stderr
    assert env.visible_runs() != [] and all("render" not in p.name for p in env.visible_runs())
