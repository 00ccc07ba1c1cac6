"""The changes of an existing subscription in the Orders sheet (SPEC §11): `cancel`, `reduce`
and `po`, validated with the rest of the workbook, recorded all or nothing and idempotent by
order_id, listed in the manifest, and honoured by `renew`."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from functools import partial
from typing import Any

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from conftest import CONFIG, Env, change, customer, device, order

# SUB-000001: 3 Space Pro and 1 Space Plus, 1 year from 2026-11-24 on PO-77: its term's last
# day is 2027-11-23, its renewal starts 2027-11-24, and with 90 days' notice a cancel or
# reduce can be given up to 2027-08-26.
DEADLINE = date(2027, 8, 26)


@pytest.fixture
def subscribed(env: Env) -> Env:
    result = env.process(env.workbook("new.xlsx", customers=[customer()], orders=[
        order("N1", seats=3, term_years=1),
        order("N2", device_type="Space Plus", seats=1, term_years=1)]))
    assert result.code == 0, result.stderr
    return env


def _process(env: Env, *orders: dict[str, Any], as_of: date = DEADLINE,
             name: str = "changes.xlsx") -> Any:
    return env.process(env.workbook(name, orders=list(orders)), as_of=as_of)


def _renew(env: Env) -> dict[str, Any]:
    result = env.run("renew", "--month", "2027-11", as_of=date(2027, 11, 1))
    assert result.code == 0, result.stderr
    return result.manifest


def _codes(result: Any) -> list[tuple[int | None, str | None, str]]:
    return [(p["row"], p["column"], p["code"]) for p in result.manifest["rejections"]]


def _renewed_seats(manifest: dict[str, Any]) -> dict[str, int]:
    [invoice] = manifest["invoices"]
    return {line["device_type"]: line["seats"] for line in invoice["lines"]}


def test_a_cancel_is_recorded_and_the_subscription_does_not_renew(subscribed: Env) -> None:
    env = subscribed
    result = _process(env, change("X1", "cancel"))
    assert result.code == 0, result.stderr
    manifest = result.manifest
    assert manifest["status"] == "committed"
    assert manifest["invoices"] == []
    assert manifest["changes"] == [{
        "order_id": "X1", "action": "cancel", "subscription_id": "SUB-000001",
        "device_type": None, "seats": None, "po_number": None, "effective": "2027-11-24",
        "cancels": True}]
    summary = (result.folder / "summary.html").read_text(encoding="utf-8")
    assert "Subscription changes recorded" in summary and "X1" in summary

    # a cancelled subscription still takes seats for its current term
    added = _process(env, order("A1", action="add", subscription="SUB-000001", term_years=None,
                                start_date=None, seats=2), as_of=date(2027, 9, 1),
                     name="add.xlsx")
    assert added.code == 0, added.stderr
    assert len(added.manifest["invoices"]) == 1

    before = env.invoice_numbers()
    renewed = _renew(env)
    assert renewed["status"] == "nothing_due"
    assert env.invoice_numbers() == before
    # finance can tell "cancelled" from "nothing ends this month"
    assert renewed["not_renewed"] == [{"partner_id": "P-ACME", "subscription_id": "SUB-000001",
                                       "why": "cancelled by order line 'X1'"}]


def test_the_same_change_again_is_a_no_op_and_other_content_a_conflict(subscribed: Env) -> None:
    env = subscribed
    assert _process(env, change("X1", "cancel")).code == 0
    dump = env.dump()
    again = _process(env, change("X1", "cancel"))
    assert again.code == 0, again.stderr
    assert again.manifest["status"] == "duplicate"
    assert again.manifest["already_processed"] == [{"order_id": "X1", "invoice_number": None}]
    assert "changes" not in again.manifest
    assert env.dump()["subscription_changes"] == dump["subscription_changes"]

    other = _process(env, change("X1", "po", po_number="PO-9"))
    assert other.code == 1
    assert _codes(other) == [(2, "order_id", "order_id_conflict")]
    assert "as a change of a subscription, which issues no invoice" in other.stderr
    assert "action was 'cancel', now 'po'" in other.stderr


def test_notice_too_late_names_both_dates(subscribed: Env) -> None:
    env = subscribed
    dump = env.dump()
    late = _process(env, change("X1", "cancel"), change("X2", "reduce", device_type="Space Pro",
                                                       seats=1),
                    as_of=date(2027, 8, 27))
    assert late.code == 1
    assert _codes(late) == [(2, "action", "notice_period_passed"),
                            (3, "action", "notice_period_passed")]
    [first, _] = late.manifest["rejections"]
    assert "ends with 2027-11-23" in first["message"]
    assert "had to be given by 2027-08-26" in first["message"]
    assert env.dump() == dump  # nothing committed


def test_notice_days_is_configured(subscribed: Env) -> None:
    env = subscribed
    env.config.write_text(CONFIG + "\n[lifecycle]\nnotice_days = 30\n", encoding="utf-8")
    assert _process(env, change("X1", "cancel"), as_of=date(2027, 10, 25)).code == 0

    env.config.write_text(CONFIG + "\n[lifecycle]\nnotice_days = \"90\"\n", encoding="utf-8")
    bad = _process(env, change("X2", "cancel"))
    assert bad.code == 2
    assert "seatbatch.toml" in bad.stderr and "lifecycle.notice_days" in bad.stderr


def test_cancelling_a_cancelled_subscription_is_rejected(subscribed: Env) -> None:
    env = subscribed
    twice = _process(env, change("X1", "cancel"), change("X2", "cancel"))
    assert _codes(twice) == [(3, "subscription", "already_cancelled")]
    assert "by row 2 of this workbook" in twice.stderr

    assert _process(env, change("X1", "cancel")).code == 0
    later = _process(env, change("X3", "cancel"), change("X4", "reduce", device_type="Space Pro",
                                                         seats=1), name="later.xlsx")
    assert _codes(later) == [(2, "subscription", "already_cancelled"),
                             (3, "subscription", "already_cancelled")]
    assert "by order line 'X1'" in later.stderr


def test_a_reduce_renews_fewer_seats_from_the_next_renewal_on(subscribed: Env) -> None:
    env = subscribed
    result = _process(env, change("R1", "reduce", device_type="Space Pro", seats=2))
    assert result.code == 0, result.stderr
    assert result.manifest["changes"][0] == {
        "order_id": "R1", "action": "reduce", "subscription_id": "SUB-000001",
        "device_type": "Space Pro", "seats": 2, "po_number": None, "effective": "2027-11-24",
        "cancels": False}
    # seats in force until then: coverage still counts 3
    assert env.query("SELECT sum(seats) FROM seats WHERE device_type = 'Space Pro'") == [(3,)]

    renewed = _renew(env)
    assert _renewed_seats(renewed) == {"Space Pro": 1, "Space Plus": 1}
    # from the renewed term on, one seat: the renewal after it renews one too
    assert env.query("SELECT sum(seats) FROM seats WHERE device_type = 'Space Pro'") == [(1,)]
    again = env.run("renew", "--month", "2028-11", as_of=date(2028, 11, 1))
    assert again.code == 0, again.stderr
    assert _renewed_seats(again.manifest) == {"Space Pro": 1, "Space Plus": 1}


def test_reducing_more_than_would_renew_is_rejected(subscribed: Env) -> None:
    env = subscribed
    result = _process(env, change("R1", "reduce", device_type="Space Pro", seats=2),
                      change("R2", "reduce", device_type="Space Pro", seats=2),
                      change("R3", "reduce", device_type="Space CO2 Mini", seats=1))
    assert _codes(result) == [(3, "seats", "reduce_more_than_renews"),
                              (4, "seats", "reduce_more_than_renews")]
    [second, third] = result.manifest["rejections"]
    assert "would renew 1 Space Pro seat(s)" in second["message"]
    assert "would renew 0 Space CO2 Mini seat(s)" in third["message"]

    assert _process(env, change("R1", "reduce", device_type="Space Pro", seats=2)).code == 0
    more = _process(env, change("R4", "reduce", device_type="Space Pro", seats=2),
                    name="more.xlsx")
    assert _codes(more) == [(2, "seats", "reduce_more_than_renews")]
    assert "(2 already to be removed by earlier reduce lines)" in more.stderr


def test_seats_added_in_the_term_can_be_reduced_too(subscribed: Env) -> None:
    env = subscribed
    result = _process(env, order("A1", action="add", subscription="SUB-000001", term_years=None,
                                 start_date=None, device_type="Space CO2 Mini", seats=2),
                      change("R1", "reduce", device_type="Space CO2 Mini", seats=1))
    assert result.code == 0, result.stderr
    assert _renewed_seats(_renew(env)) == {"Space CO2 Mini": 1, "Space Plus": 1,
                                           "Space Pro": 3}


def test_a_reduce_of_every_seat_is_a_cancel(subscribed: Env) -> None:
    env = subscribed
    result = _process(env, change("R1", "reduce", device_type="Space Pro", seats=3),
                      change("R2", "reduce", device_type="Space Plus", seats=1))
    assert result.code == 0, result.stderr
    assert env.query("SELECT order_id, action, cancels FROM subscription_changes "
                     "ORDER BY id") == [("R1", "reduce", False), ("R2", "reduce", True)]
    # the partner is told at once, not only by a later rejection
    assert [c["cancels"] for c in result.manifest["changes"]] == [False, True]
    summary = (result.folder / "summary.html").read_text(encoding="utf-8")
    assert summary.count("no seat left: cancels, does not renew") == 1
    later = _process(env, change("X1", "cancel"), name="later.xlsx")
    assert _codes(later) == [(2, "subscription", "already_cancelled")]
    assert "by order line 'R2'" in later.stderr
    assert _renew(env)["status"] == "nothing_due"


def test_a_po_change_is_the_po_of_renewals(subscribed: Env) -> None:
    env = subscribed
    result = _process(env, change("P1", "po", po_number="PO-2028"))
    assert result.code == 0, result.stderr
    assert result.manifest["changes"][0]["po_number"] == "PO-2028"
    # seats added in the current term are still billed on its PO
    added = _process(env, order("A1", action="add", subscription="SUB-000001", term_years=None,
                                start_date=None, po_number=None), name="add.xlsx")
    assert added.manifest["invoices"][0]["po_number"] == "PO-77"

    [invoice] = _renew(env)["invoices"]
    assert invoice["po_number"] == "PO-2028"
    # and seats added in the renewed term default to it
    renewed_add = _process(env, order("A2", action="add", subscription="SUB-000001",
                                      term_years=None, start_date=None, po_number=None),
                           as_of=date(2027, 12, 1), name="add2.xlsx")
    assert renewed_add.manifest["invoices"][0]["po_number"] == "PO-2028"


def test_bad_change_lines_are_all_reported_and_nothing_is_committed(subscribed: Env) -> None:
    env = subscribed
    env.process(env.workbook("other.xlsx", customers=[customer()], orders=[order("O1")]),
                partner="P-OTHER")  # P-OTHER's SUB-000002
    dump = env.dump()
    result = _process(
        env,
        order("N9", seats=1),  # a good new line: rejected with the rest
        change("X1", "cancel", seats=1, term_years=1, po_number="PO-1"),
        change("X2", "po"),
        change("X3", "cancel", subscription="SUB-000002"),
        change("X4", "cancel", subscription="SUB-000099"),
        change("X5", "cancel", customer_id="C-404"),
        change("X6", "reduce", device_type="Space Pro"),
        change("X7", "cancel", accept_terms=False),
        change("X8", "cancel", device_type="Space Pro", separate_invoice=True,
               start_date=date(2027, 1, 1)),
    )
    assert result.code == 1
    assert sorted(_codes(result)) == sorted([
        (3, "seats", "not_for_change"), (3, "term_years", "not_for_change"),
        (3, "po_number", "not_for_change"),
        (4, "po_number", "po_required"),
        (4, "subscription", "already_cancelled"),  # by row 3: a PO it would never use
        (5, "subscription", "unknown_subscription"),
        (6, "subscription", "unknown_subscription"),
        (7, "customer_id", "unknown_customer"),
        (8, "seats", "missing_value"),
        (9, "accept_terms", "terms_not_accepted"),
        (10, "device_type", "not_for_change"), (10, "start_date", "not_for_change"),
        (10, "separate_invoice", "not_for_change"),
        (10, "subscription", "already_cancelled"),  # by row 3
    ])
    messages = {(p["row"], p["column"]): p["message"] for p in result.manifest["rejections"]}
    assert messages[(3, "seats")].startswith("seats must be blank when action is 'cancel'")
    assert env.dump() == dump


def test_a_change_row_with_a_problem_of_its_own_gets_every_problem_at_once(
        subscribed: Env) -> None:
    """A bad value on a change row does not hide the row's cells that must be blank."""
    env = subscribed
    dump = env.dump()
    result = _process(
        env,
        change("X1", "po", po_number="PO-9", term_years=3, accept_terms=False),
        change("X2", "reduce", device_type="Space Pro", seats=0, po_number="PO-Z"),
        change("X3", "po", seats=2, accept_terms=False),  # and no PO either
    )
    assert result.code == 1
    assert sorted(_codes(result)) == sorted([
        (2, "accept_terms", "terms_not_accepted"), (2, "term_years", "not_for_change"),
        (3, "seats", "seats_out_of_range"), (3, "po_number", "not_for_change"),
        (4, "accept_terms", "terms_not_accepted"), (4, "seats", "not_for_change"),
        (4, "po_number", "po_required"),
    ])
    assert env.dump() == dump


def test_quote_shows_what_would_change_and_records_nothing(subscribed: Env) -> None:
    env = subscribed
    dump = env.dump()
    result = env.quote(env.workbook("q.xlsx", orders=[change("X1", "cancel")]), as_of=DEADLINE)
    assert result.code == 0, result.stderr
    assert result.manifest["status"] == "quoted"
    assert [c["action"] for c in result.manifest["changes"]] == ["cancel"]
    assert "Subscription changes to record" in (result.folder / "summary.html").read_text(
        encoding="utf-8")
    page = (result.folder / "invoices" / "quote.html").read_text(encoding="utf-8")
    assert "Subscription changes" in page and "already processed" not in page
    assert env.dump() == dump


def test_a_ledger_of_version_5_gains_the_changes_table(subscribed: Env) -> None:
    env = subscribed
    env.query("DROP TABLE subscription_changes")
    env.query("ALTER TABLE credit_lines DROP COLUMN to_date")  # version 7's
    env.query("DELETE FROM schema_migrations WHERE version >= 6")
    result = _process(env, change("X1", "cancel"))
    assert result.code == 0, result.stderr
    assert env.count("subscription_changes") == 1
    assert env.query("SELECT max(version) FROM schema_migrations") == [(7,)]


def test_the_template_shows_the_state_and_a_cancel_filled_in_stops_the_renewal(
        subscribed: Env) -> None:
    env = subscribed
    assert _process(env, change("R1", "reduce", device_type="Space Pro", seats=1),
                    change("P1", "po", po_number="PO-2028"), as_of=date(2027, 1, 5)).code == 0
    env.process(env.workbook("second.xlsx", orders=[
        order("N3", subscription="S2", seats=1, term_years=1, start_date=date(2027, 1, 5),
              po_number=None)]), as_of=date(2027, 1, 5))
    path = env.root / "acme.xlsx"
    made = env.run("template", path, "--partner", "P-ACME", as_of=date(2027, 1, 5))
    assert made.code == 0, made.stderr
    book = openpyxl.load_workbook(path)
    ws = book["Subscriptions"]
    rows = list(ws.iter_rows(values_only=True))
    header = rows[0]
    assert header == ("subscription", "customer_id", "term_years", "started", "last_day",
                      "notice_by", "standing", "po_number", "pending", "seats")
    first, second = (dict(zip(header, row, strict=True)) for row in rows[1:])
    assert first["last_day"].date() == date(2027, 11, 23)
    assert first["notice_by"].date() == DEADLINE
    assert first["standing"] == ("renews on 2027-11-24; a cancel or reduce needs notice by "
                                 "2027-08-26")
    assert first["po_number"] == "PO-77"
    assert first["pending"] == "at renewal on 2027-11-24: Space Pro -1; PO PO-2028 from 2027-11-24"
    assert not second["pending"]  # nothing pending: an empty cell
    for column, name in enumerate(header, start=1):  # every id and date shows whole
        width = ws.column_dimensions[get_column_letter(column)].width
        longest = max(10 if isinstance(row[column - 1], datetime)
                      else len(str(row[column - 1] or "")) for row in rows)
        assert width >= longest, name
    instructions = " ".join(str(c.value) for c in book["Instructions"]["A"])
    assert all(f"  {action}" in instructions for action in ("cancel", "reduce", "po"))

    # the partner fills in a cancel of the second subscription, as in Excel
    orders = book["Orders"]
    headers = [c.value for c in orders[1]]
    for column, name in enumerate(headers, start=1):
        value = {"order_id": "X1", "customer_id": "C-001", "action": "cancel",
                 "subscription": "SUB-000002", "accept_terms": "yes"}.get(name)
        if value is not None:
            orders.cell(2, column, value)
    book.save(path)
    processed = env.process(path, as_of=date(2027, 1, 6))
    assert processed.code == 0, processed.stderr
    assert [c["subscription_id"] for c in processed.manifest["changes"]] == ["SUB-000002"]
    renewed = env.run("renew", "--month", "2028-01", as_of=date(2028, 1, 1))
    assert renewed.code == 0, renewed.stderr
    assert renewed.manifest["status"] == "nothing_due"


def test_the_report_shows_notice_deadlines_and_renewals_net_of_changes(subscribed: Env) -> None:
    env = subscribed
    env.process(env.workbook("second.xlsx", orders=[
        order("N3", subscription="S2", seats=2, term_years=1)]))  # SUB-000002, same term
    july = env.run("report", "--month", "2027-07", as_of=date(2027, 7, 31))
    assert july.code == 0, july.stderr
    assert july.manifest["report"]["notice_deadlines"] == {"month": "2027-08",
                                                           "subscriptions": 2}
    html = (july.folder / "report.html").read_text(encoding="utf-8")
    assert "Notice deadlines in 2027-08: 2" in html and "2027-08-26" in html
    book = openpyxl.load_workbook(july.folder / "report.xlsx")
    rows = list(book["Notice deadlines"].iter_rows(min_row=2, values_only=True))
    assert [(r[4], r[6].date()) for r in rows] == [("SUB-000001", DEADLINE),
                                                   ("SUB-000002", DEADLINE)]

    assert _process(env, change("R1", "reduce", device_type="Space Pro", seats=2),
                    change("X1", "cancel", subscription="SUB-000002")).code == 0
    october = env.run("report", "--month", "2027-10", as_of=date(2027, 10, 31))
    assert october.code == 0, october.stderr
    due = october.manifest["report"]["renewals_due"]
    assert due["subscriptions"] == 1  # SUB-000002 is cancelled
    # SUB-000001 renews 1 Space Pro (150.00 - 20 %) and 1 Space Plus (120.00 - 20 %)
    assert due["expected_net_amount_by_currency"] == {"EUR": "216.00"}
    rows = list(openpyxl.load_workbook(october.folder / "report.xlsx")["Renewals due"]
                .iter_rows(min_row=2, values_only=True))
    assert [(r[4], r[8]) for r in rows] == [("SUB-000001", "Space Plus: 1, Space Pro: 1")]
    # the cancelled subscription has no notice deadline left to show
    again = env.run("report", "--month", "2027-07", as_of=date(2027, 10, 31))
    assert again.manifest["report"]["notice_deadlines"]["subscriptions"] == 1


def test_two_cancels_of_one_subscription_at_once_commit_one(subscribed: Env) -> None:
    """Two processes meet at the ledger: the second validates again after the first's
    commit and finds the subscription cancelled."""
    env = subscribed
    books = [env.workbook(f"c{i}.xlsx", orders=[change(f"X{i}", "cancel")]) for i in (1, 2)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(partial(env.process, as_of=DEADLINE, cron=True), books))
    assert sorted(r.code for r in results) == [0, 1], [r.stderr for r in results]
    [rejected] = [r for r in results if r.code == 1]
    assert [p["code"] for p in rejected.manifest["rejections"]] == ["already_cancelled"]
    assert env.count("subscription_changes") == 1


def test_a_killed_change_runs_folder_is_written_again_with_its_changes(subscribed: Env) -> None:
    env = subscribed
    first = _process(env, change("R1", "reduce", device_type="Space Pro", seats=1),
                     change("P1", "po", po_number="PO-2028"))
    assert first.code == 0, first.stderr
    folder = first.folder
    before = json.loads((folder / "manifest.json").read_text())
    staging = folder.with_name(f".{folder.name}")  # killed after its commit
    folder.rename(staging)
    (staging / "manifest.json").write_text("{")
    (staging / ".lock").touch()
    second = _process(env, change("P2", "po", subscription="SUB-000001", po_number="PO-2029"),
                      name="next.xlsx")
    assert second.code == 0, second.stderr
    assert f"written again from the ledger: {folder}" in second.stderr
    after = json.loads((folder / "manifest.json").read_text())
    assert after["changes"] == before["changes"]
    assert after["status"] == "committed"


# --- a reviewer's findings where changes meet renew and the other rules ------------------------


def test_a_po_for_a_cancelled_subscription_is_refused_not_recorded_and_ignored(
        subscribed: Env) -> None:
    env = subscribed
    assert _process(env, change("X1", "cancel"), as_of=date(2027, 1, 5)).code == 0
    result = _process(env, change("P1", "po", po_number="PO-NEW"), name="po.xlsx")
    assert result.code == 1
    assert _codes(result) == [(2, "subscription", "already_cancelled")]
    assert "nothing of it renews" in result.stderr
    assert env.count("subscription_changes") == 1


def test_a_second_cancel_is_told_it_is_cancelled_not_that_it_renews(subscribed: Env) -> None:
    env = subscribed
    assert _process(env, change("X1", "cancel"), as_of=date(2027, 1, 5)).code == 0
    late = _process(env, change("X2", "cancel"), as_of=date(2027, 10, 1), name="late.xlsx")
    assert _codes(late) == [(2, "subscription", "already_cancelled")]
    assert "renews on" not in late.stderr


def test_seats_after_a_cancelled_subscriptions_end_start_a_new_one_not_renew_first(
        subscribed: Env) -> None:
    env = subscribed
    assert _process(env, change("X1", "cancel"), as_of=date(2027, 1, 5)).code == 0
    after = _process(env, order("A1", action="add", subscription="SUB-000001",
                                term_years=None, start_date=None, seats=1),
                     as_of=date(2027, 12, 1), name="add.xlsx")
    assert after.code == 1
    assert "renew first" not in after.stderr
    assert ("was cancelled (order line 'X1') and does not renew; for seats after it, start a "
            "new subscription (action 'new')") in after.stderr


def test_a_cancel_after_renew_ran_ahead_names_the_invoiced_term_and_records_nothing(
        subscribed: Env) -> None:
    """Renew issued the next term early; a cancel in time for the current term would have been
    recorded against the end of the next one, holding the partner to a year already billed."""
    env = subscribed
    env.config.write_text(CONFIG + "\n[lifecycle]\nnotice_days = 10\n", encoding="utf-8")
    ahead = env.run("renew", "--month", "2027-11", as_of=date(2027, 10, 15))
    assert ahead.code == 0, ahead.stderr
    result = _process(env, change("X1", "cancel"), as_of=date(2027, 10, 20),
                      name="cancel.xlsx")
    assert result.code == 1
    assert _codes(result) == [(2, "action", "next_term_invoiced")]
    assert ("next term, 2027-11-24 to 2028-11-23, is already invoiced (renew ran ahead), so a "
            "cancel cannot take effect when its current term ends on 2027-11-23; send this line "
            "again once the next term has begun, and it takes effect when that term ends on "
            "2028-11-23") in " ".join(result.stderr.split())
    reduce = _process(env, change("X2", "reduce", device_type="Space Pro", seats=1),
                      as_of=date(2027, 10, 20), name="reduce.xlsx")
    assert _codes(reduce) == [(2, "action", "next_term_invoiced")]
    assert "so a reduce cannot take effect" in " ".join(reduce.stderr.split())
    # the template says the same: the current term's last day, the day notice was due
    made = env.run("template", env.root / "t.xlsx", "--partner", "P-ACME",
                   as_of=date(2027, 10, 20))
    assert made.code == 0, made.stderr
    rows = list(openpyxl.load_workbook(env.root / "t.xlsx")["Subscriptions"].iter_rows(
        values_only=True))
    first = dict(zip(rows[0], rows[1], strict=True))
    assert (first["last_day"].date(), first["notice_by"].date()) == (
        date(2027, 11, 23), date(2027, 11, 14))
    assert first["standing"] == ("next term, 2027-11-24 to 2028-11-23, already invoiced: send a "
                                 "cancel or reduce once it has begun")
    assert first["po_number"] == "PO-77"  # the current term's, not the next one's
    assert env.count("subscription_changes") == 0


def test_the_template_says_when_notice_has_passed_and_when_a_subscription_ended(
        subscribed: Env) -> None:
    """What the partner decides on: no stale seats or 'does not renew' for what has ended."""
    env = subscribed
    assert _process(env, change("X1", "cancel")).code == 0

    def row(day: date) -> dict[str, Any]:
        path = env.root / f"t-{day}.xlsx"
        assert env.run("template", path, "--partner", "P-ACME", as_of=day).code == 0
        rows = list(openpyxl.load_workbook(path)["Subscriptions"].iter_rows(values_only=True))
        return dict(zip(rows[0], rows[1], strict=True))

    cancelled = row(date(2027, 9, 1))
    assert cancelled["standing"] == "ends on 2027-11-23 (cancelled)"
    assert cancelled["pending"].startswith("cancelled (order line X1)")
    ended = row(date(2028, 2, 1))
    assert ended["standing"] == "ended on 2027-11-23 (cancelled)"
    assert (ended["seats"], ended["pending"], ended["notice_by"]) == (None, None, None)


def test_the_template_marks_a_passed_notice_period(subscribed: Env) -> None:
    env = subscribed
    path = env.root / "t.xlsx"
    assert env.run("template", path, "--partner", "P-ACME", as_of=date(2027, 9, 1)).code == 0
    rows = list(openpyxl.load_workbook(path)["Subscriptions"].iter_rows(values_only=True))
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["standing"] == ("notice period passed: renews on 2027-11-24; send a cancel "
                                 "or reduce once that term has begun")
    assert first["seats"] == "Space Plus: 1, Space Pro: 3"
def test_seats_reduced_at_an_early_renewal_cover_devices_until_it_starts(env: Env) -> None:
    start = date(2026, 1, 15)
    devices = [device(f"SN-{n}") for n in range(5)]
    first = env.process(env.workbook(customers=[customer()], devices=devices, orders=[
        order("L1", seats=5, term_years=1, start_date=start)]), as_of=start)
    assert first.code == 0, first.stderr
    reduced = _process(env, change("X1", "reduce", device_type="Space Pro", seats=2),
                       as_of=date(2026, 2, 1))
    assert reduced.code == 0, reduced.stderr
    renewed = env.run("renew", "--month", "2027-01", as_of=date(2026, 12, 5))
    assert renewed.code == 0, renewed.stderr
    assert [line["seats"] for line in renewed.manifest["invoices"][0]["lines"]] == [3]
    # the 2 seats leave on 2027-01-15: the 5 devices are covered until then
    listed = env.process(env.workbook("devices.xlsx", customers=[customer()], devices=devices,
                                      orders=[order("L2", device_type="Space Plus",
                                                    subscription="S2")]),
                         as_of=date(2026, 12, 10))
    assert listed.code == 0, listed.stderr
