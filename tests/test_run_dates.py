"""The run dates seatbatch takes (issue 11, finding 15): an --as-of or --month outside them is
exit 2 with a plain message, never 70; at their edges every date a run computes stays on the
calendar."""

from __future__ import annotations

from datetime import date

import pytest

from conftest import CONFIG, Env, customer, order

pytestmark = pytest.mark.sqlite_only  # the subject is date arithmetic, not the ledger

RANGE = "outside the run dates from 2000-01-01 to 2999-12-31"


@pytest.mark.parametrize("as_of", ["0001-01-01", "9999-12-31", "1999-12-31", "3000-01-01"])
def test_an_as_of_outside_the_run_dates_is_exit_2(env: Env, as_of: str) -> None:
    book = env.workbook(customers=[customer()], orders=[order()])
    result = env.run("process", book, "--partner", "P-ACME", "--as-of", as_of, as_of=None)
    assert result.code == 2 and result.stdout == ""
    assert result.stderr.endswith(f"Error: Invalid value for '--as-of': {as_of} is {RANGE}\n")
    assert not env.ledger_exists() and env.visible_runs() == []


@pytest.mark.parametrize("as_of", ["2026-02-30", "26-11-24", "2026-11-24T00:00"])
def test_an_as_of_that_is_no_date_is_exit_2(env: Env, as_of: str) -> None:
    result = env.run("report", "--month", "2026-11", "--as-of", as_of, as_of=None)
    assert result.code == 2
    assert f"'{as_of}' is not a date YYYY-MM-DD of the calendar" in result.stderr


@pytest.mark.parametrize("command", ["renew", "report"])
@pytest.mark.parametrize("month", ["0001-01", "9999-12", "1999-12", "3000-01"])
def test_a_month_outside_the_run_dates_is_exit_2(env: Env, command: str, month: str) -> None:
    result = env.run(command, "--month", month)
    assert result.code == 2 and result.stdout == ""
    assert result.stderr.endswith(
        f"Error: Invalid value for '--month': {month} is outside the months of the run dates "
        "from 2000-01-01 to 2999-12-31\n")


def test_the_edges_of_the_run_dates_with_the_widest_configuration(env: Env) -> None:
    """The widest window (3,660 days either way), the longest payment terms and 5-year terms
    at the first and the last run date: processed, renewed and reported, exit 0."""
    env.config.write_text(CONFIG.replace("max_backdate_days = 365", "max_backdate_days = 3660")
                          .replace("max_future_days = 365", "max_future_days = 3660")
                          .replace("payment_terms_days = 30", "payment_terms_days = 365")
                          .replace('valid_from = "2026-01-01"', 'valid_from = "1990-01-01"'))
    first, last = date(2000, 1, 1), date(2999, 12, 31)
    early = env.process(env.workbook("early.xlsx", customers=[customer()], orders=[
        order("E1", term_years=5, start_date=date(1990, 1, 4))]), as_of=first)
    assert early.code == 0, early.stderr
    late = env.process(env.workbook("late.xlsx", customers=[customer("C-002")], orders=[
        order("L1", customer_id="C-002", term_years=5, start_date=date(3009, 12, 29))]),
        as_of=last)
    assert late.code == 0, late.stderr
    assert late.manifest["invoices"][0]["due_date"] == "3000-12-31"
    assert late.manifest["invoices"][0]["lines"][0]["period_end"] == "3014-12-28"
    renewed = env.run("renew", "--month", "2999-12", as_of=last)
    assert renewed.code == 0, renewed.stderr
    reported = env.run("report", "--month", "2999-12", as_of=last)
    assert reported.code == 0, reported.stderr
