"""Messages that guide (issue 15, items 1-7): each test is named after what a partner manager
or finance was told wrongly, too little or too much, and checks the message text, its code and
the exit code (and stderr's length, where that was the trouble)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pytest

from conftest import AS_OF, Env, codes, customer, device, order
from seatbatch.cli.commands import SHOWN_PROBLEMS
from seatbatch.jobs.inbox import NOTE_MESSAGES
from seatbatch.output.order_workbook import write_order_workbook
from test_rejections import commit_one_year_from_2025_12_01

workbook_only = pytest.mark.sqlite_only


@workbook_only
def test_a_line_rejected_for_its_date_does_not_also_make_its_devices_short(env: Env) -> None:
    """A new subscription of 4 seats for 4 devices, dated outside the window (and so ended):
    the date is the one problem, and seat coverage says it was not checked."""
    book = env.workbook(customers=[customer("C-010")],
                        devices=[device(f"SN-{n}", customer_id="C-010") for n in range(4)],
                        orders=[order(customer_id="C-010", seats=4, term_years=1,
                                      start_date=AS_OF - timedelta(days=400))])
    result = env.process(book)
    assert result.code == 1
    assert codes(result) == [("Orders", 2, "start_date", "start_outside_window")]
    assert "more seat" not in result.stderr and "short by" not in result.stderr
    [warning] = [w for w in result.manifest["warnings"] if w["sheet"]]
    assert (warning["sheet"], warning["row"], warning["code"]) == (
        "Devices", 2, "coverage_not_checked")
    assert warning["message"] == (
        "customer C-010's 4 Space Pro device(s) were not checked against its seats (0 in force "
        "without the rejected lines): Orders row(s) 2 were rejected for problems of their own; "
        "corrected, their 4 seat(s) would cover them")
    assert f"seatbatch: warning: Devices row 2, column device_type: {warning['message']}" \
        in result.stderr
    summary = (result.folder / "summary.html").read_text()
    assert "short by" not in summary and "not checked: rows rejected" in summary


@workbook_only
def test_a_line_with_an_unreadable_date_does_not_make_its_devices_short(env: Env) -> None:
    book = env.workbook(customers=[customer("C-010")],
                        devices=[device(f"SN-{n}", customer_id="C-010") for n in range(4)],
                        orders=[order(customer_id="C-010", seats=4, start_date="2026-13-01")])
    result = env.process(book)
    assert codes(result) == [("Orders", 2, "start_date", "not_a_date")]
    assert "order 4 more" not in result.stderr


@workbook_only
def test_a_shortfall_the_rejected_lines_would_not_make_up_is_still_reported(env: Env) -> None:
    book = env.workbook(customers=[customer("C-010")],
                        devices=[device(f"SN-{n}", customer_id="C-010") for n in range(6)],
                        orders=[order(customer_id="C-010", seats=4,
                                      start_date=AS_OF + timedelta(days=400))])
    result = env.process(book)
    assert codes(result) == [("Devices", 2, "device_type", "seats_short_of_devices"),
                             ("Orders", 2, "start_date", "start_outside_window")]
    assert ("the 4 seat(s) of Orders row(s) 2, rejected for problems of their own, would not "
            "cover them either; order 2 more seat(s)") in result.stderr
    assert "short by 2" in (result.folder / "summary.html").read_text()


def renamed(path: Path, sheet: str, header: str | None, to: str) -> Path:
    """The workbook with one header of `sheet` (or, with header None, the sheet) renamed."""
    book = openpyxl.load_workbook(path)
    if header is None:
        book[sheet].title = to
    else:
        cell = next(c for c in book[sheet][1] if c.value == header)
        cell.value = to
    book.save(path)
    return path


@workbook_only
def test_a_header_as_an_invoice_labels_it_is_named_with_the_column_it_misses(env: Env) -> None:
    """`Term (years)` for term_years: not taken for it (a guessed column could price other
    lines), but said on stderr with the column meant, beside the problems it causes."""
    book = renamed(env.workbook(customers=[customer()], orders=[order()]), "Orders",
                   "term_years", "Term (years)")
    result = env.process(book)
    assert result.code == 1
    assert codes(result) == [("Orders", 2, "term_years", "required_for_new")]
    assert ("seatbatch: warning: Orders row 1, column Term (years): column 'Term (years)' is "
            "not one seatbatch knows; it was ignored (did you mean term_years?)") in result.stderr
    [warning] = [w for w in result.manifest["warnings"] if w["code"] == "unknown_column"]
    assert warning["message"].endswith("(did you mean term_years?)")


@workbook_only
def test_a_missing_required_column_names_the_header_that_was_meant(env: Env) -> None:
    book = renamed(env.workbook(customers=[customer()], orders=[order()]), "Orders",
                   "order_id", "Order ID #")
    result = env.process(book)
    assert codes(result) == [("Orders", 1, "order_id", "missing_column")]
    assert ("the sheet has no column 'order_id'; did you mean column A, headed 'Order ID #'? "
            "Rename it order_id") in result.stderr
    assert "(did you mean order_id?)" in result.stderr


@workbook_only
def test_an_unknown_header_far_from_any_column_gets_no_guess(env: Env) -> None:
    book = env.workbook(customers=[customer()], orders=[order()],
                        extra_columns={"Orders": ["comment"]})
    result = env.process(book)
    assert result.code == 0
    assert result.stderr == ("seatbatch: warning: Orders row 1, column comment: column 'comment' "
                             "is not one seatbatch knows; it was ignored\n")


@workbook_only
def test_a_near_miss_sheet_name_is_named(env: Env) -> None:
    book = renamed(env.workbook(customers=[customer()], orders=[order()]), "Orders", None,
                   "Order")
    result = env.process(book)
    assert result.code == 1
    assert codes(result) == [("Orders", None, None, "missing_sheet")]
    assert "did you mean 'Order'? Rename it Orders" in result.stderr


@workbook_only
def test_thousands_of_problems_keep_stderr_short_and_the_full_list_in_the_files(
        env: Env) -> None:
    """7,520 problems wrote 2 MB to a cron mail: stderr shows the first ones and a count."""
    lines = [order(f"L{n}", seats=0) for n in range(1, 1001)]
    result = env.process(env.workbook(customers=[customer()], orders=lines))
    assert result.code == 1
    assert len(result.manifest["rejections"]) == 1000
    shown = [line for line in result.stderr.splitlines() if line.startswith("  Orders row")]
    assert len(shown) == SHOWN_PROBLEMS
    assert shown[0].startswith("  Orders row 2, column seats:")
    assert "seatbatch: input rejected, 1000 problem(s); nothing was committed:" in result.stderr
    assert (f"  ... and {1000 - SHOWN_PROBLEMS} more problem(s): every one is listed in "
            f"{result.folder / 'manifest.json'} and {result.folder / 'rejected.xlsx'}"
            ) in result.stderr
    assert len(result.stderr) < 8000
    marked = openpyxl.load_workbook(result.folder / "rejected.xlsx")["Orders"]
    errors = [c.value for c in marked["L"][1:]]
    assert len(errors) == 1000 and all(errors)


def test_a_wrong_subscription_id_lists_the_customers_subscriptions(env: Env) -> None:
    first = env.process(env.workbook("first.xlsx", customers=[customer()], orders=[
        order("L1", seats=2), order("L2", device_type="Space Plus"),
        order("L3", subscription="S2", term_years=1, device_type="Space CO2 Mini")]))
    assert first.code == 0, first.stderr
    result = env.process(env.workbook(orders=[order("L4", action="add", subscription="SUB-000003",
                                                    term_years=None, start_date=None)]))
    assert result.code == 1
    assert codes(result) == [("Orders", 2, "subscription", "unknown_subscription")]
    assert ("Orders row 2, column subscription: 'SUB-000003' is not a subscription of customer "
            "C-001 (partner P-ACME); write the id printed on its invoice; customer C-001's "
            "subscriptions: SUB-000001 (Space Plus, Space Pro; term ends 2029-11-23), "
            "SUB-000002 (Space CO2 Mini; term ends 2027-11-23)\n") in result.stderr


@workbook_only
@pytest.mark.parametrize(("given", "meant"), [("Norway", "NO"), ("UK", "GB"), ("NOR", "NO"),
                                              ("United Kingdom", "GB")])
def test_a_country_name_suggests_its_code(env: Env, given: str, meant: str) -> None:
    result = env.process(env.workbook(customers=[customer(country=given)], orders=[order()]))
    assert codes(result) == [("Customers", 2, "country", "unknown_country")]
    assert (f"Customers row 2, column country: '{given}' is not an ISO 3166-1 two-letter "
            f"country code (did you mean '{meant}'?)") in result.stderr


def test_an_unknown_partner_is_a_usage_error_naming_the_one_meant(env: Env) -> None:
    result = env.process(env.workbook(orders=[order()]), partner="P-ACM")
    assert result.code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"seatbatch: --partner 'P-ACM' is an unknown partner in {env.config} (configured: "
        "P-ACME, P-OTHER, P-TOKYO); did you mean P-ACME? (see seatbatch process --help)\n")
    assert env.visible_runs() == [] and not env.ledger_exists()


@workbook_only
def test_template_for_an_unknown_partner_is_a_usage_error(env: Env) -> None:
    result = env.run("template", env.root / "t.xlsx", "--partner", "P-TOKIO")
    assert result.code == 2
    assert "did you mean P-TOKYO?" in result.stderr
    assert not (env.root / "t.xlsx").exists()


@workbook_only
def test_a_device_type_without_a_price_in_the_partners_currency_is_a_configuration_error(
        env: Env) -> None:
    """Space Max is priced in EUR only: for a JPY partner that is finance's to fix (exit 2),
    not "not a device type" for the partner (exit 1)."""
    env.config.write_text(env.config.read_text().replace(
        '"Space CO2 Mini" = "60.00"', '"Space CO2 Mini" = "60.00"\n"Space Max" = "300.00"'))
    book = env.workbook(customers=[customer()], orders=[order(device_type="Space Max")])
    result = env.process(book, partner="P-TOKYO")
    assert result.code == 2, result.stderr
    assert "not a device type" not in result.stderr
    assert ("seatbatch: configuration error: " in result.stderr
            and "no price for 'Space Max' in the JPY list valid from 2026-01-01"
            in result.stderr)
    assert env.visible_runs() == [] and env.count("invoices") == 0
    assert env.process(book, partner="P-ACME").code == 0
    typo = env.process(env.workbook("typo.xlsx", customers=[customer()],
                                    orders=[order("L2", device_type="Space Pr")]),
                       partner="P-TOKYO")
    assert typo.code == 1
    assert ("'Space Pr' is not a device type of the price list (did you mean 'Space Pro' or "
            "'Space Plus'?); "
            "device types are: Space Pro, Space Plus, Space CO2 Mini\n") in typo.stderr


def test_renew_first_names_the_command_that_renews(env: Env) -> None:
    """The message's command, run as written, lets the same line through."""
    commit_one_year_from_2025_12_01(env)
    add = env.workbook(orders=[order("L1", action="add", subscription="SUB-000001",
                                     term_years=None, start_date=date(2026, 12, 5))])
    result = env.process(add)
    assert codes(result) == [("Orders", 2, "start_date", "subscription_ended")]
    assert ("subscription SUB-000001 ended on 2026-11-30 (its last day of service), before "
            "these seats would take effect on 2026-12-05; renew first: seatbatch renew --month "
            "2026-11, then send this line again\n") in result.stderr
    assert env.run("renew", "--month", "2026-11").code == 0
    again = env.process(add)
    assert again.code == 0, again.stderr


def test_renew_first_says_when_the_renewal_can_run(env: Env) -> None:
    commit_one_year_from_2025_12_01(env)
    add = env.workbook(orders=[order("L1", action="add", subscription="SUB-000001",
                                     term_years=None, start_date=date(2026, 12, 5))])
    result = env.process(add, as_of=date(2026, 9, 1))
    assert ("renew first: seatbatch renew --month 2026-11, which runs from 2026-10-01 on\n"
            ) in result.stderr
    assert env.run("renew", "--month", "2026-11", as_of=date(2026, 10, 1)).code == 0


def test_render_finds_an_invoice_number_typed_in_lower_case(env: Env) -> None:
    first = env.process(env.workbook(customers=[customer()], orders=[order()]))
    assert first.code == 0, first.stderr
    result = env.run("render", "inv-2026-000001")
    assert result.code == 0, result.stderr
    assert [i["number"] for i in result.manifest["invoices"]] == ["INV-2026-000001"]
    assert (result.folder / "invoices" / "INV-2026-000001.html").is_file()
    missing = env.run("render", "inv-2026-000002")
    assert missing.code == 2 and "no invoice 'inv-2026-000002'" in missing.stderr


@workbook_only
def test_a_customer_whose_line_is_incomplete_is_not_shown_short(env: Env) -> None:
    """A line with seats 0 is not counted at all; its customer's coverage is not checked, and
    the summary says so rather than "short by 4"."""
    book = env.workbook(customers=[customer("C-010")],
                        devices=[device(f"SN-{n}", customer_id="C-010") for n in range(4)],
                        orders=[order(customer_id="C-010", seats=0)])
    result = env.process(book)
    assert codes(result) == [("Orders", 2, "seats", "seats_out_of_range")]
    assert "rows of this customer were rejected for problems of their own" in result.stderr
    summary = (result.folder / "summary.html").read_text()
    assert "short by" not in summary and "not checked: rows rejected" in summary


@workbook_only
def test_hundreds_of_unknown_headers_keep_stderr_short(env: Env) -> None:
    book = env.workbook(customers=[customer()], orders=[order()],
                        extra_columns={"Orders": [f"note {n}" for n in range(300)]})
    result = env.process(book)
    assert result.code == 0
    warned = result.stderr.splitlines()
    assert len(warned) == SHOWN_PROBLEMS + 1
    assert warned[-1] == (f"seatbatch: ... and {300 - SHOWN_PROBLEMS} more warning(s): every "
                          f"one is listed in {result.folder / 'manifest.json'}")
    assert len([w for w in result.manifest["warnings"] if w["code"] == "unknown_column"]) == 300


@workbook_only
def test_the_inbox_says_a_workbooks_first_warnings_only(env: Env) -> None:
    folder = env.root / "inbox" / "P-ACME"
    folder.mkdir(parents=True)
    write_order_workbook(folder / "orders.xlsx",
                         {"Customers": [customer()], "Devices": [], "Orders": [order()]},
                         extra_columns={"Orders": [f"note {n}" for n in range(300)]})
    result = env.run("inbox", env.root / "inbox")
    assert result.code == 0, result.stderr
    warned = [line for line in result.stderr.splitlines() if "warning:" in line]
    assert len(warned) == NOTE_MESSAGES + 1  # and how many more, as the CLI says it
    assert re.search(r"\.\.\. and \d+ more: every one is in the run's manifest\.json$",
                     warned[-1])
    assert warned[0] == ("seatbatch inbox: warning: P-ACME/orders.xlsx: Orders row 1, column "
                         "note 0: column 'note 0' is not one seatbatch knows; it was ignored")
