"""One test per bug found in review, each named after what went wrong."""

from __future__ import annotations

from datetime import date

import openpyxl
import pytest

from conftest import CONFIG, Env, codes, customer, device, order

# Decided by the workbook and the documents, not the ledger: SQLite only.
workbook_only = pytest.mark.sqlite_only


@workbook_only
def test_seats_with_a_huge_exponent_do_not_hang(env: Env) -> None:
    # (a hang is a test that never ends; no time limit here, which a slow machine may reach)
    result = env.process(env.workbook(customers=[customer()],
                                      orders=[order(seats="1e999999999")]))
    assert result.code == 1
    assert codes(result) == [("Orders", 2, "seats", "not_a_number")]


def test_a_device_may_move_to_another_customer(env: Env) -> None:
    env.process(env.workbook("a.xlsx", customers=[customer("C-001"), customer("C-002")],
                             devices=[device("SN1", customer_id="C-001")],
                             orders=[order()]))
    moved = env.process(env.workbook("b.xlsx", devices=[device("SN1", customer_id="C-002")],
                                     orders=[order("L2", customer_id="C-002")]))
    assert moved.code == 0, moved.stderr
    assert env.query("SELECT customer_id FROM devices WHERE serial_number = 'SN1'") == [
        ("C-002",)]


@pytest.mark.sqlite_only  # a folder for a ledger file
def test_a_ledger_folder_that_cannot_be_made_is_exit_2(env: Env) -> None:
    blocker = env.root / "file"
    blocker.write_text("not a folder")
    result = env.run("process", env.workbook(orders=[order()]), "--partner", "P-ACME",
                     "--config", env.config, "--ledger", blocker / "sub" / "l.db",
                     "--out", env.out, common=False)
    assert result.code == 2
    assert f"cannot make the ledger {blocker / 'sub' / 'l.db'}: {blocker} is a file, not a " \
        "folder" in result.stderr


@workbook_only
def test_a_date_before_every_price_list_is_a_row_problem(env: Env) -> None:
    result = env.process(env.workbook(customers=[customer()],
                                      orders=[order(start_date=date(2025, 12, 1))]))
    assert result.code == 1
    assert codes(result) == [("Orders", 2, "start_date", "no_price_on_date")]
    assert "2026-01-01" in result.stderr


def test_a_label_may_be_used_again_for_a_new_subscription(env: Env) -> None:
    env.process(env.workbook("a.xlsx", customers=[customer()], orders=[order("L1")]))
    again = env.process(env.workbook("b.xlsx", orders=[order("L2")]))
    assert again.code == 0, again.stderr
    assert again.manifest["invoices"][0]["lines"][0]["subscription_id"] == "SUB-000002"


def test_a_line_added_to_a_committed_group_is_rejected(env: Env) -> None:
    env.process(env.workbook("a.xlsx", customers=[customer()], orders=[order("L1")]))
    grown = env.process(env.workbook("b.xlsx", orders=[order("L1"), order("L2", seats=3)]))
    assert grown.code == 1
    assert codes(grown) == [("Orders", 3, "subscription", "label_already_committed")]
    assert "SUB-000001" in grown.stderr and "'add'" in grown.stderr


def test_a_new_line_labelled_like_a_subscription_id(env: Env) -> None:
    env.process(env.workbook("a.xlsx", customers=[customer()], orders=[order("L1")]))
    result = env.process(env.workbook("b.xlsx", orders=[order("L2", subscription="SUB-000001")]))
    assert result.code == 1
    assert codes(result) == [("Orders", 2, "subscription", "label_looks_like_subscription")]


def test_empty_customer_cells_keep_what_the_ledger_had(env: Env) -> None:
    env.process(env.workbook("a.xlsx", customers=[customer(country="NO",
                                                            contact_email="a@b.no")],
                             orders=[order()]))
    env.process(env.workbook("b.xlsx", customers=[customer(organization="New name")],
                             orders=[order("L2", subscription="S2")]))
    assert env.query("SELECT organization, country, contact_email FROM customers") == [
        ("New name", "NO", "a@b.no")]


@workbook_only
def test_a_bad_customer_row_does_not_make_its_orders_unknown(env: Env) -> None:
    result = env.process(env.workbook(customers=[customer(organization="x" * 201)],
                                      orders=[order()]))
    assert codes(result) == [("Customers", 2, "organization", "text_too_long")]


@workbook_only
def test_a_bad_term_in_a_group_is_reported_once(env: Env) -> None:
    result = env.process(env.workbook(customers=[customer()],
                                      orders=[order("L1"), order("L2", term_years=2)]))
    assert codes(result) == [("Orders", 3, "term_years", "term_not_allowed")]


def test_config_fixture_has_no_2025_price_list() -> None:
    """The price-date test above relies on the test configuration's first list."""
    assert 'valid_from = "2025' not in CONFIG


@workbook_only
def test_a_control_character_in_input_text_reaches_every_workbook_safely(env: Env) -> None:
    """_x0001_ in a cell is SpreadsheetML for a control character, which XML cannot carry: the
    report, the partner's template and rejected.xlsx used to fail on it."""
    organization = "Org_x0001_X"
    done = env.process(env.workbook(customers=[customer(organization=organization)],
                                    orders=[order()]))
    assert done.code == 0, done.stderr
    report = env.run("report", "--month", "2026-11")
    assert report.code == 0, report.stderr
    template = env.run("template", env.root / "pre.xlsx", "--partner", "P-ACME")
    assert template.code == 0, template.stderr
    rejected = env.process(env.workbook("bad.xlsx", customers=[customer(
        "C-002", organization=organization, country="_x0002_")], orders=[]))
    assert rejected.code == 1 and (rejected.folder / "rejected.xlsx").is_file()
    for path in (report.folder / "report.xlsx", env.root / "pre.xlsx",
                 rejected.folder / "rejected.xlsx"):
        book = openpyxl.load_workbook(path)
        texts = [c.value for ws in book for row in ws.iter_rows() for c in row
                 if isinstance(c.value, str)]
        assert any(t.startswith("Org") and t.endswith("X") for t in texts), path
