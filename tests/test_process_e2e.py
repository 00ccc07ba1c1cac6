"""End to end: the installed command, run as cron would, and what it wrote."""

from __future__ import annotations

import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from conftest import PART1_CONFIG, Env, customer, device, order
from seatbatch.ledger import Ledger, saving

ACME = [customer("C-001"), customer("C-002")]


def cell_values(path: Path) -> list[list[object]]:
    book = openpyxl.load_workbook(path, data_only=True)
    return [[c.value for c in row] for row in book.active.iter_rows()]


def formula_cells(path: Path) -> list[str]:
    book = openpyxl.load_workbook(path)
    return [c.coordinate for ws in book.worksheets for row in ws.iter_rows() for c in row
            if c.data_type == "f"]


def test_seed_story_from_the_samples(sample_env: Env) -> None:
    first = sample_env.process(sample_env.root / "acme-new.xlsx", as_of=date(2026, 3, 2))
    assert first.code == 0, first.stderr
    assert first.stderr == ""
    invoices = {i["number"]: i for i in first.manifest["invoices"]}
    story = invoices["INV-2026-000001"]
    assert story["total"] == "1036.80"
    assert [(x["device_type"], x["seats"], x["net_amount"]) for x in story["lines"]] == [
        ("Space Pro", 2, "648.00"), ("Space Plus", 1, "259.20"), ("Space CO2 Mini", 1, "129.60")
    ]
    assert invoices["INV-2026-000002"]["total"] == "480.00"  # the school: its own invoice

    added = sample_env.process(sample_env.root / "acme-add.xlsx", as_of=date(2026, 11, 24))
    assert added.code == 0, added.stderr
    [invoice] = added.manifest["invoices"]
    assert invoice["number"] == "INV-2026-000003"
    assert invoice["po_number"] == "PO-5120"
    assert invoice["total"] == "1274.36"
    pro, mini = invoice["lines"]
    assert (pro["subscription_id"], pro["prorate_days"], pro["term_days"]) == (
        "SUB-000001", 829, 1096)
    assert (pro["period_start"], pro["period_end"]) == ("2026-11-24", "2029-03-01")
    assert (pro["list_amount"], pro["term_discount"], pro["partner_discount"],
            pro["net_amount"]) == ("1361.50", "136.15", "245.07", "980.28")
    assert (mini["list_amount"], mini["term_discount"], mini["partner_discount"],
            mini["net_amount"]) == ("408.45", "40.85", "73.52", "294.08")

    rows = cell_values(added.folder / "invoices" / "INV-2026-000003.xlsx")
    flat = [v for row in rows for v in row if v is not None]
    assert 980.28 in flat and 294.08 in flat and 1274.36 in flat
    assert "829 of 1096" in flat
    assert formula_cells(added.folder / "invoices" / "INV-2026-000003.xlsx") == []
    html = (added.folder / "invoices" / "INV-2026-000003.html").read_text()
    assert "1,274.36" in html and "829 of 1096&nbsp;days" in html and "SUB-000001" in html


def test_spec_worked_example_end_to_end(env: Env) -> None:
    result = env.process(env.workbook(customers=[customer()], orders=[order()]))
    assert result.code == 0, result.stderr
    [invoice] = result.manifest["invoices"]
    assert invoice == {
        "number": "INV-2026-000001", "kind": "invoice", "customer_id": "C-001",
        "po_number": "PO-77", "invoice_date": "2026-11-24", "due_date": "2026-12-24",
        "total": "324.00", "file": "invoices/INV-2026-000001.xlsx",
        "files": {"xlsx": "invoices/INV-2026-000001.xlsx",
                  "html": "invoices/INV-2026-000001.html"},
        "lines": [{
            "order_id": "L1", "action": "new", "subscription_id": "SUB-000001",
            "device_type": "Space Pro", "seats": 1, "term_years": 3,
            "period_start": "2026-11-24", "period_end": "2029-11-23",
            "unit_price": "150.00", "prorate_days": 1096, "term_days": 1096,
            "list_amount": "450.00", "term_discount": "45.00",
            "partner_discount": "81.00", "net_amount": "324.00"}],
    }
    assert result.manifest["totals"] == {"net_amount": "324.00", "vat_amount": "0.00",
                                         "payable": "324.00", "invoices": 1, "lines": 1}
    assert (result.folder / "invoices" / "INV-2026-000001.html").exists()
    assert (result.folder / "summary.html").exists()


def test_an_add_only_summary_says_its_devices_were_not_listed_rather_than_zero(
        env: Env) -> None:
    """Issue 15, finding 13: the summary of an add-only workbook showed "Devices listed 0" for
    a customer with devices in the ledger."""
    first = env.process(env.workbook(customers=[customer()], devices=[device("SN1"),
                                                                     device("SN2")],
                                     orders=[order(seats=2)]))
    assert first.code == 0, first.stderr
    subscription = first.manifest["invoices"][0]["lines"][0]["subscription_id"]
    added = env.process(env.workbook("add.xlsx", orders=[order(
        "L2", action="add", subscription=subscription, term_years=None, start_date=None,
        seats=1)]))
    assert added.code == 0, added.stderr
    page = (added.folder / "summary.html").read_text(encoding="utf-8")
    coverage = page[page.index("Seat coverage"):]
    assert "Devices in this workbook" in coverage and "Devices listed" not in coverage
    row = coverage[coverage.index("<td>C-001</td>"):]
    row = row[:row.index("</tr>")]
    assert "not listed" in row and "not checked" in row and ">0<" not in row
    assert "seatbatch template --partner P-ACME" in coverage


def test_quote_changes_nothing(env: Env) -> None:
    book = env.workbook(customers=[customer()], orders=[order()])
    quoted = env.quote(book)
    assert quoted.code == 0, quoted.stderr
    assert quoted.manifest["status"] == "quoted"
    assert [i["number"] for i in quoted.manifest["invoices"]] == [None]
    assert quoted.manifest["invoices"][0]["total"] == "324.00"
    assert quoted.manifest["invoices"][0]["lines"][0]["subscription_id"] is None
    assert (quoted.folder / "invoices" / "quote.xlsx").exists()
    assert (quoted.folder / "invoices" / "quote.html").exists()
    assert not env.ledger_exists()
    processed = env.process(book)
    assert processed.manifest["invoices"][0]["number"] == "INV-2026-000001"
    again = env.quote(book)
    assert again.manifest["status"] == "duplicate"
    assert "already processed" in (again.folder / "invoices" / "quote.html").read_text()
    assert env.invoice_numbers() == ["INV-2026-000001"]


def test_grouping_by_customer_and_po_and_separate_invoice(env: Env) -> None:
    orders = [
        order("A1", subscription="a", po_number="PO-1"),
        order("A2", subscription="a", po_number="PO-1", device_type="Space Plus"),
        order("A3", subscription="b", po_number="PO-1", term_years=1),
        order("A4", subscription="c", po_number="PO-1", separate_invoice="yes", term_years=5),
        order("A5", subscription="d", po_number="PO-2"),
        order("B1", customer_id="C-002", subscription="a", po_number="PO-1"),
    ]
    result = env.process(env.workbook(customers=ACME, orders=orders))
    assert result.code == 0, result.stderr
    grouped = [(i["number"], i["customer_id"], [x["order_id"] for x in i["lines"]])
               for i in result.manifest["invoices"]]
    assert grouped == [
        ("INV-2026-000001", "C-001", ["A1", "A2", "A3"]),
        ("INV-2026-000002", "C-001", ["A4"]),
        ("INV-2026-000003", "C-001", ["A5"]),
        ("INV-2026-000004", "C-002", ["B1"]),
    ]
    subs = {x["order_id"]: x["subscription_id"] for i in result.manifest["invoices"]
            for x in i["lines"]}
    assert subs["A1"] == subs["A2"] != subs["A3"]
    assert len(set(subs.values())) == 5
    for invoice in result.manifest["invoices"]:
        assert Decimal(invoice["total"]) == sum(Decimal(x["net_amount"])
                                                for x in invoice["lines"])


def test_jpy_has_no_fraction(env: Env) -> None:
    orders = [order("J1", seats=7, term_years=5), order("J2", seats=3, subscription="x",
                                                          term_years=1)]
    result = env.process(env.workbook(customers=[customer()], orders=orders), partner="P-TOKYO")
    assert result.code == 0, result.stderr
    assert result.manifest["currency"] == "JPY"
    for invoice in result.manifest["invoices"]:
        assert "." not in invoice["total"]
        for line in invoice["lines"]:
            for key in ("list_amount", "term_discount", "partner_discount", "net_amount"):
                assert "." not in line[key]
    # 7 x 24000 x 5 = 840000; 15% = 126000; 12.5% of 714000 = 89250; net 624750
    assert result.manifest["invoices"][0]["lines"][0]["net_amount"] == "624750"


def test_rerun_mixing_committed_and_new_lines(env: Env) -> None:
    first = env.process(env.workbook("one.xlsx", customers=[customer()], orders=[order("L1")]))
    assert first.code == 0
    mixed = env.workbook("two.xlsx", customers=[customer()],
                         orders=[order("L1"), order("L2", subscription="S2")])
    result = env.process(mixed)
    assert result.code == 0, result.stderr
    assert result.manifest["status"] == "committed"
    assert result.manifest["already_processed"] == [
        {"order_id": "L1", "invoice_number": "INV-2026-000001"}]
    assert [x["order_id"] for i in result.manifest["invoices"] for x in i["lines"]] == ["L2"]
    assert env.invoice_numbers() == ["INV-2026-000001", "INV-2026-000002"]
    again = env.process(mixed)
    assert again.code == 0 and again.manifest["status"] == "duplicate"
    assert len(again.manifest["already_processed"]) == 2
    assert env.count("order_lines") == 2


def test_add_seats_before_the_start_prorates_from_the_start(env: Env) -> None:
    start = date(2027, 1, 1)
    env.process(env.workbook("a.xlsx", customers=[customer()],
                             orders=[order(start_date=start, term_years=1)]))
    result = env.process(env.workbook("b.xlsx", orders=[
        order("L2", action="add", subscription="SUB-000001", term_years=None, start_date=None,
              seats=2)]))
    assert result.code == 0, result.stderr
    [line] = result.manifest["invoices"][0]["lines"]
    assert line["period_start"] == "2027-01-01"
    assert (line["prorate_days"], line["term_days"]) == (365, 365)
    assert line["list_amount"] == "300.00"
    assert result.manifest["invoices"][0]["po_number"] == "PO-77"  # the subscription's PO


def test_text_from_input_stays_text_and_html_escapes_it(env: Env) -> None:
    sneaky = customer("C-001", organization="=HYPERLINK(\"http://x\",\"<script>alert(1)</script>\")")
    result = env.process(env.workbook(customers=[sneaky],
                                      orders=[order(po_number="+SUM(A1:A9)")]))
    assert result.code == 0, result.stderr
    invoice = result.folder / "invoices" / "INV-2026-000001.xlsx"
    assert formula_cells(invoice) == []
    flat = [v for row in cell_values(invoice) for v in row]
    assert "+SUM(A1:A9)" in flat
    assert any(isinstance(v, str) and v.endswith(sneaky["organization"]) for v in flat)
    html = (result.folder / "invoices" / "INV-2026-000001.html").read_text()
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_other_producers_and_spellings(env: Env) -> None:
    """A workbook written by xlsxwriter, headers and sheet names spelt loosely, text dates,
    numbers as text, every boolean spelling."""
    path = env.root / "loose.xlsx"
    book = xlsxwriter.Workbook(str(path))
    date_format = book.add_format({"num_format": "dd.mm.yyyy"})
    customers = book.add_worksheet("customers")
    customers.write_row(0, 0, ["Customer ID", "Organization", "Notes"])
    customers.write_row(1, 0, ["  C-001 ", "Harbour View", "ignored"])
    devices = book.add_worksheet("DEVICES")
    devices.write_row(0, 0, ["customer-id", "Serial Number", "Device Type"])
    devices.write_row(1, 0, ["C-001", "SN1", "space pro"])
    orders = book.add_worksheet("Orders")
    orders.write_row(0, 0, ["Order ID", "Customer_ID", "Action", "Subscription", "Device Type",
                            "Seats", "Term Years", "Start Date", "PO Number",
                            "Separate Invoice", "Accept Terms"])
    orders.write_row(1, 0, ["L1", "C-001", "New", "s", "Space Pro", "2", 3.0])
    orders.write_datetime(1, 7, datetime(2026, 11, 24), date_format)
    orders.write_row(1, 8, [12345, "n", "Y"])
    orders.write_row(2, 0, ["L2", "C-001", "new", "t", "Space Plus", 1, "1", "2026-11-24", "",
                            "x", "1"])
    book.close()
    result = env.process(path)
    assert result.code == 0, result.stderr
    lines = {x["order_id"]: x for i in result.manifest["invoices"] for x in i["lines"]}
    assert lines["L1"]["seats"] == 2 and lines["L1"]["term_years"] == 3
    assert lines["L1"]["period_start"] == "2026-11-24"
    assert result.manifest["invoices"][0]["po_number"] == "12345"
    assert len(result.manifest["invoices"]) == 2  # L2 asked for an invoice of its own
    assert [(w["sheet"], w["code"], w["value"]) for w in result.manifest["warnings"]] == [
        ("", "no_tax_configured", ""), ("Customers", "unknown_column", "Notes")]


def test_devices_are_the_current_list(env: Env) -> None:
    env.process(env.workbook("a.xlsx", customers=[customer()],
                             devices=[device("SN1"), device("SN2")],
                             orders=[order(seats=2)]))
    assert env.count("devices") == 2
    result = env.process(env.workbook("b.xlsx", devices=[device("SN3")],
                                      orders=[order("L2", subscription="S2")]))
    assert result.code == 0, result.stderr
    assert env.query("SELECT serial_number FROM devices") == [("SN3",)]


def test_common_options_before_the_command(env: Env) -> None:
    book = env.workbook(customers=[customer()], orders=[order()])
    result = env.run("--config", env.config, "--ledger", env.ledger_url, "--out", env.out,
                     "--as-of", "2026-11-24", "process", book, "--partner", "P-ACME",
                     common=False)
    assert result.code == 0, result.stderr
    assert result.folder.parent == env.out
    assert result.manifest["as_of"] == "2026-11-24"


def test_usage_errors_are_exit_2(env: Env) -> None:
    assert env.process(env.root / "missing.xlsx").code == 2
    book = env.workbook(orders=[order()])
    bad_date = env.run("process", book, "--partner", "P-ACME", "--as-of", "24/11/2026",
                       "--config", env.config, common=False)
    assert bad_date.code == 2
    no_partner = env.run("process", book)
    assert no_partner.code == 2 and "--partner" in no_partner.stderr
    assert env.visible_runs() == []


def test_invoice_dates_never_go_backwards(env: Env) -> None:
    env.process(env.workbook("a.xlsx", customers=[customer()], orders=[order()]))
    earlier = env.process(env.workbook("b.xlsx", customers=[customer()],
                                       orders=[order("L2", subscription="S2")]),
                          as_of=date(2026, 11, 20))
    assert earlier.code == 2
    assert "INV-2026-000001" in earlier.stderr and "2026-11-24" in earlier.stderr
    assert env.invoice_numbers() == ["INV-2026-000001"]
    assert env.count("order_lines") == 1
    assert len(env.visible_runs()) == 1


def test_busy_ledger_exits_75_and_leaves_nothing(env: Env) -> None:
    env.process(env.workbook("a.xlsx", customers=[customer()], orders=[order()]))
    with env.hold_write_lock():
        started = time.monotonic()
        result = env.process(env.workbook("b.xlsx", customers=[customer()],
                                          orders=[order("L2", subscription="S2")]),
                             env={"SEATBATCH_BUSY_TIMEOUT": "1"})
        elapsed = time.monotonic() - started
    assert result.code == 75, result.stderr
    assert "busy" in result.stderr
    # it waited for the lock, then gave up while the lock was still held (how long it took
    # beyond the busy timeout depends on the machine's speed)
    assert elapsed >= 1 * 0.9  # (the clocks' granularity)
    assert len(env.visible_runs()) == 1
    assert [p for p in env.out.iterdir() if p.name.startswith(".")] == []
    assert env.invoice_numbers() == ["INV-2026-000001"]


def test_unexpected_failure_is_one_line_and_a_log(env: Env) -> None:
    """A ledger whose tables are not what seatbatch made: not input's fault (not 1)."""
    Ledger.open(env.ledger_url, write=True).close()
    env.query("DROP TABLE runs")  # the newest version's tables, one of another shape
    env.query("CREATE TABLE runs (run_id TEXT)")
    result = env.process(env.workbook(customers=[customer()], orders=[order()]))
    assert result.code == 70
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("seatbatch: internal error:")
    log = Path(line.rsplit("details: ", 1)[1].rstrip(")"))
    assert "Traceback" in log.read_text()
    assert log.parent == env.out  # beside where its run's folder would be, not inside it
    assert env.visible_runs() == []


def test_an_unwritable_out_folder_is_a_usage_error(env: Env) -> None:
    blocker = env.root / "not-a-folder"
    blocker.write_text("a file where the output folder should be")
    result = env.run("process", env.workbook(orders=[order()]), "--partner", "P-ACME",
                     "--out", blocker / "runs", "--config", env.config, "--ledger", env.ledger_url,
                     common=False)
    assert result.code == 2
    assert "cannot make a run folder" in result.stderr


def test_every_command_has_help_and_is_in_the_readme() -> None:
    from seatbatch.cli.commands import cli

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    for name, command in cli.commands.items():
        assert command.help, name
        assert f"seatbatch {name}" in readme, name


def test_many_invoices_are_written_by_workers(env: Env) -> None:
    """Over 200 invoices the files are written by worker processes while the commit ends:
    their PDFs too (SPEC §9's default formats), which typst can make only in a process that
    no process forked it from after making one."""
    env.config.write_text(PART1_CONFIG, encoding="utf-8")
    count = 230
    customers = [customer(f"C-{n:03d}") for n in range(count)]
    orders = [order(f"L{n}", customer_id=f"C-{n:03d}", seats=n % 7 + 1) for n in range(count)]
    result = env.process(env.workbook(customers=customers, orders=orders))
    assert result.code == 0, result.stderr
    numbers = [i["number"] for i in result.manifest["invoices"]]
    assert numbers == [f"INV-2026-{n:06d}" for n in range(1, count + 1)]
    written = sorted(p.name for p in (result.folder / "invoices").iterdir())
    assert written == sorted(f"{n}.{kind}" for n in numbers for kind in ("xlsx", "html", "pdf"))
    last = cell_values(result.folder / "invoices" / f"{numbers[-1]}.xlsx")
    assert float(result.manifest["invoices"][-1]["total"]) in [v for r in last for v in r]


def test_invoices_saved_a_chunk_at_a_time_are_saved_whole(
        env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    """The ledger's rows of a run are stored a chunk of invoices at a time: with a chunk of
    one invoice, every row is there still, and each new subscription's first term names the
    invoice of its first line."""
    monkeypatch.setattr(saving, "SAVE_CHUNK", 1)
    orders = [
        order("A1", subscription="a", po_number="PO-1"),
        order("A2", subscription="b", po_number="PO-2"),
        order("A3", subscription="c", po_number="PO-3", device_type="Space Plus"),
        order("B1", customer_id="C-002", subscription="a", po_number="PO-1"),
    ]
    result = env.process(env.workbook(customers=ACME, orders=orders))
    assert result.code == 0, result.stderr
    first: dict[str, str] = {}
    for invoice in result.manifest["invoices"]:
        for line in invoice["lines"]:
            first.setdefault(line["subscription_id"], invoice["number"])
    assert len(result.manifest["invoices"]) == 4 and len(first) == 4
    assert env.count("invoices") == 4
    assert env.count("invoice_lines") == env.count("order_lines") == env.count("seats") == 4
    terms = env.query("SELECT subscription_id, term_index, invoice_number "
                      "FROM subscription_terms ORDER BY subscription_id")
    assert [(f"SUB-{sid:06d}", index, number) for sid, index, number in terms] == sorted(
        (sid, 0, number) for sid, number in first.items())
