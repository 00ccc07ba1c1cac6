"""The cross-row and ledger rules as pure functions, on a Context built by hand."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from conftest import CONFIG
from seatbatch.core.config import Config, load_config
from seatbatch.core.model import Customer, Device, LedgerView, OrderLine, Subscription
from seatbatch.core.terms import term_of
from seatbatch.validation.rules import Context, resolve, run_rules

AS_OF = date(2026, 11, 24)


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    path = Path(tmp_path_factory.mktemp("config")) / "seatbatch.toml"
    path.write_text(CONFIG)
    return load_config(path)


def line(row: int, **fields: Any) -> OrderLine:
    values: dict[str, Any] = {
        "order_id": f"L{row}", "customer_id": "C-001", "action": "new", "subscription": "S1",
        "device_type": "Space Pro", "seats": 1, "term_years": 3, "start_date": AS_OF,
        "po_number": "PO-1", "separate_invoice": False, "fingerprint": "x",
    }
    values.update(fields)
    return OrderLine(row=row, **values)


def subscription(sid: int, customer: str = "C-001", start: date = date(2026, 3, 2),
                 years: int = 3, **seats: int) -> Subscription:
    return Subscription(sid, customer, years, start, "PO-OLD", (term_of(start, years),),
                        {k.replace("_", " "): v for k, v in seats.items()})


def context(config: Config, orders: list[OrderLine], devices: list[Device] = (),  # type: ignore[assignment]
            subscriptions: list[Subscription] = ()) -> Context:  # type: ignore[assignment]
    known = {"C-001": Customer("C-001", "One"), "C-002": Customer("C-002", "Two")}
    view = LedgerView("P-ACME", 1, known, {s.id: s for s in subscriptions}, {})
    return Context(config, config.partner("P-ACME"), AS_OF, view, {}, list(devices), orders,
                   listed_customers=frozenset())


def found(ctx: Context) -> list[tuple[int | None, str | None, str]]:
    return [(p.row, p.column, str(p.code)) for p in run_rules(ctx)]


def devices(count: int, device_type: str = "Space Pro", customer: str = "C-001") -> list[Device]:
    return [Device(10 + n, customer, f"{customer}-{n}", device_type, None, None)
            for n in range(count)]


def test_coverage_counts_ledger_and_workbook_seats(config: Config) -> None:
    ctx = context(config, [line(2, seats=2)], devices(5),
                  [subscription(1, Space_Pro=2), subscription(2, start=date(2023, 1, 1),
                                                              years=1, Space_Pro=50)])
    [row] = [c for c in ctx.coverage if c.device_type == "Space Pro"]
    assert (row.devices, row.ledger_seats, row.workbook_seats) == (5, 2, 2)  # ended one: 0
    assert found(ctx) == [(10, "device_type", "seats_short_of_devices")]


def test_group_lines_must_agree(config: Config) -> None:
    ctx = context(config, [line(2), line(3, po_number="PO-2"), line(4, customer_id="C-002",
                                                                     po_number="PO-9")])
    assert found(ctx) == [(3, "po_number", "inconsistent_group")]


def test_add_targets(config: Config) -> None:
    subs = [subscription(1, Space_Pro=1), subscription(2, customer="C-002", Space_Pro=1),
            subscription(3, start=date(2024, 1, 1), Space_Pro=1)]
    orders = [
        line(2, action="add", subscription="SUB-000002", term_years=None, start_date=None),
        line(3, action="add", subscription="SUB-000001", term_years=5, start_date=None),
        line(4, action="add", subscription="SUB-000003", term_years=None,
             start_date=date(2027, 2, 1)),
    ]
    assert found(context(config, orders, subscriptions=subs)) == [
        (2, "subscription", "unknown_subscription"),  # another customer's subscription
        (3, "term_years", "term_mismatch"),
        (4, "start_date", "subscription_ended"),
    ]


def test_resolve_add_defaults(config: Config) -> None:
    subs = [subscription(1, start=date(2027, 1, 1), years=1, Space_Pro=1)]
    [request] = resolve(context(config, [
        line(2, action="add", subscription="SUB-000001", term_years=None, start_date=None,
             po_number=None)], subscriptions=subs))
    assert request.effective == date(2027, 1, 1)  # not before the subscription starts
    assert request.po_number == "PO-OLD"  # the subscription's PO when the line gives none
    assert request.term == term_of(date(2027, 1, 1), 1)
