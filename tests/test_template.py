"""`seatbatch template`: the blank workbook a partner fills in, and its round trip."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from conftest import Env, customer, device, order
from sheet_checks import narrow_columns, print_faults


def fill(path: Path, sheet: str, rows: list[dict[str, Any]]) -> None:
    """Type rows under the headers, as a partner would in Excel."""
    book = openpyxl.load_workbook(path)
    ws = book[sheet]
    headers = [c.value for c in ws[1]]
    start = ws.max_row + 1
    for offset, values in enumerate(rows):
        for column, name in enumerate(headers, start=1):
            if values.get(name) is not None:
                ws.cell(start + offset, column, values[name])
    book.save(path)


@pytest.mark.sqlite_only  # a blank template reads no ledger
def test_blank_template_has_lists_messages_and_formats(env: Env) -> None:
    result = env.run("template", env.root / "blank.xlsx")
    assert result.code == 0, result.stderr
    path = Path(result.stdout.strip())
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[:4] == ["Instructions", "Customers", "Devices", "Orders"]
    assert book["Lists"].sheet_state == "hidden"
    orders = book["Orders"]
    assert orders.freeze_panes == "A2"
    assert [c.value for c in orders[1]][:3] == ["order_id", "customer_id", "action"]
    by_range = {str(v.sqref): v for v in orders.data_validations.dataValidation}
    action = by_range["C2:C10001"]
    assert action.type == "list" and action.prompt.startswith("Required.")
    lists = book["Lists"]
    listed = {lists.cell(1, c).value: [lists.cell(r, c).value for r in range(2, 8)
                                       if lists.cell(r, c).value]
              for c in range(1, lists.max_column + 1)}
    assert listed["Orders.action"] == ["new", "add", "cancel", "reduce", "po"]  # SPEC §11
    assert listed["Orders.term_years"] == ["1", "3", "5"]
    assert listed["Orders.device_type"] == ["Space Pro", "Space Plus", "Space CO2 Mini"]
    assert orders.column_dimensions["H"].number_format == "yyyy-mm-dd"  # start_date
    assert orders.column_dimensions["A"].number_format == "@"  # order_id stays text
    assert any("Example" in str(c.value) for c in book["Instructions"]["A"])
    assert env.run("template", path).code == 2  # never overwrites a file


def test_a_filled_in_template_processes_cleanly(env: Env) -> None:
    path = Path(env.run("template", env.root / "t.xlsx").stdout.strip())
    fill(path, "Customers", [customer("C-001")])
    fill(path, "Devices", [device("SN1")])
    fill(path, "Orders", [order("L1", accept_terms="yes", start_date=date(2026, 11, 24))])
    result = env.process(path)
    assert result.code == 0, result.stderr
    assert [w["code"] for w in result.manifest["warnings"]] == ["no_tax_configured"]  # only
    assert result.manifest["invoices"][0]["total"] == "324.00"


def test_partner_template_lists_what_the_ledger_knows(env: Env) -> None:
    env.process(env.workbook(customers=[customer("C-001", country="NO")],
                             devices=[device("SN1"), device("SN2")], orders=[order(seats=2)]))
    env.process(env.workbook("other.xlsx", customers=[customer("C-900")],
                             orders=[order("X1", customer_id="C-900")]), partner="P-OTHER")
    result = env.run("template", env.root / "acme.xlsx", "--partner", "P-ACME")
    assert result.code == 0, result.stderr
    path = Path(result.stdout.strip())
    book = openpyxl.load_workbook(path)
    assert [r[0] for r in book["Customers"].iter_rows(min_row=2, values_only=True)] == ["C-001"]
    assert [r[1] for r in book["Devices"].iter_rows(min_row=2, values_only=True)] == [
        "SN1", "SN2"]
    [subscription] = list(book["Subscriptions"].iter_rows(min_row=2, values_only=True))
    assert subscription[:3] == ("SUB-000001", "C-001", 3)
    # issue 15, finding 8: ids and dates read whole ("SUB-0000(", "###" at default widths)
    assert [found for ws in book for found in narrow_columns(ws)
            if ws.title != "Instructions"] == []
    # newcomer: it printed on 15 pages, 4 of them for two subscriptions' rows
    assert [found for ws in book if ws.sheet_state == "visible"
            for found in print_faults(ws)] == []
    assert "Space Pro: 2" in subscription[-1]
    fill(path, "Orders", [order("L2", action="add", subscription=subscription[0],
                                term_years=None, start_date=None, seats=1)])
    added = env.process(path)
    assert added.code == 0, added.stderr
    assert added.manifest["invoices"][0]["lines"][0]["subscription_id"] == "SUB-000001"


def test_acme_template_processed_for_another_partner_is_a_partner_mismatch(env: Env) -> None:
    """Issue 11, finding 4: a workbook made by `template --partner P-ACME`, processed with
    `--partner P-OTHER`, created and invoiced Acme's customers under the other partner."""
    env.process(env.workbook(customers=[customer("C-001")], devices=[device("SN1")],
                             orders=[order()]))
    path = Path(env.run("template", env.root / "acme.xlsx", "--partner", "P-ACME"
                        ).stdout.strip())
    fill(path, "Customers", [customer("C-002")])
    fill(path, "Orders", [order("L2", customer_id="C-002")])
    assert "P-ACME (Acme Facilities Ltd)" in " ".join(
        str(c.value) for c in openpyxl.load_workbook(path)["Instructions"]["B"])
    before = env.dump()
    for command in ("quote", "process"):
        result = env.run(command, path, "--partner", "P-OTHER")
        assert result.code == 1, result.stderr
        assert [(p["code"], p["value"]) for p in result.manifest["rejections"]] == [
            ("partner_mismatch", "P-ACME")]
        assert "this workbook was made for partner P-ACME (by seatbatch template --partner " \
               "P-ACME) but was given for partner P-OTHER" in result.stderr
        # no rejected.xlsx is made of a problem with the file as a whole, nor linked
        assert not (result.folder / "rejected.xlsx").exists()
        assert "rejected.xlsx" not in (result.folder / "summary.html").read_text()
    assert env.dump() == before
    accepted = env.process(path)  # for the partner it was made for
    assert accepted.code == 0, accepted.stderr
    assert accepted.manifest["invoices"][0]["customer_id"] == "C-002"


@pytest.mark.sqlite_only
def test_a_blank_template_carries_no_partner(env: Env) -> None:
    path = Path(env.run("template", env.root / "blank.xlsx").stdout.strip())
    fill(path, "Customers", [customer("C-001")])
    fill(path, "Orders", [order("L1")])
    assert env.process(path, partner="P-OTHER").code == 0


@pytest.mark.sqlite_only
def test_a_zip_entry_python_cannot_open_leaves_the_partner_mark_unread_not_a_crash(
        env: Env) -> None:
    """Found by the fuzz test: reading the template's partner mark with Python's zipfile failed
    (NotImplementedError, exit 70) on a directory entry claiming a newer ZIP version, which the
    guard and the reader take; the mark is now read by the guard's own ZIP reader."""
    path = env.workbook(customers=[customer()], orders=[order()])
    data = bytearray(path.read_bytes())
    entry = data.rfind(b"PK\x01\x02")  # the last directory entry: 'version needed' at +6
    data[entry + 6] = 0x76
    path.write_bytes(bytes(data))
    result = env.process(path)
    assert result.code in (0, 1), result.stderr
