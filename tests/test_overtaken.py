"""A run overtaken by another run's commit for the same partner (the inbox with several workers):
it commits at once when that commit touched none of its customers or order lines, and otherwise
validates again holding the partner's lock. In-process, with the other run committed exactly
between this run's validation and its commit."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import Env, customer, device, order
from seatbatch.cli import commands as cli
from seatbatch.ledger import store


@pytest.fixture
def overtake(env: Env, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
             ) -> Iterator[Callable[[Path, Path], tuple[int, dict[str, Any], int]]]:
    """Process `mine`, with `theirs` processed to its end just before `mine` commits; the exit
    code and manifest of `mine`, and how often it had to hold the partner's lock."""
    common = ["--config", str(env.config), "--ledger", env.ledger_url, "--out", str(env.out),
              "--as-of", "2026-11-24"]
    real_committing = store.Ledger.committing
    real_holding = store.Ledger.holding

    def run(mine: Path, theirs: Path) -> tuple[int, dict[str, Any], int]:
        pending = [theirs]
        held = []

        def committing(self: store.Ledger, *args: Any, **kwargs: Any) -> Any:
            while pending:
                other = pending.pop()
                assert cli.run(["process", str(other), "--partner", "P-ACME", *common]) == 0
            return real_committing(self, *args, **kwargs)

        def holding(self: store.Ledger, partner_id: str) -> Any:
            held.append(partner_id)
            return real_holding(self, partner_id)

        monkeypatch.setattr(store.Ledger, "committing", committing)
        monkeypatch.setattr(store.Ledger, "holding", holding)
        code = cli.run(["process", str(mine), "--partner", "P-ACME", *common])
        monkeypatch.setattr(store.Ledger, "committing", real_committing)
        monkeypatch.setattr(store.Ledger, "holding", real_holding)
        folder = Path(capsys.readouterr().out.strip().splitlines()[-1])
        return code, json.loads((folder / "manifest.json").read_text()), len(held)

    assert env.process(env.workbook("first.xlsx", customers=[customer("C-1")],
                                    orders=[order("F1", customer_id="C-1")])).code == 0
    yield run


TWO_DEVICES = [device("D-1", customer_id="C-1"), device("D-2", customer_id="C-1")]


def _numbers(env: Env) -> list[str]:
    return env.invoice_numbers()


def test_another_customers_commit_does_not_hold_this_run_up(env: Env, overtake: Any) -> None:
    mine = env.workbook("mine.xlsx", customers=[customer("C-2")],
                        orders=[order("M1", customer_id="C-2")])
    theirs = env.workbook("theirs.xlsx", customers=[customer("C-3")],
                          orders=[order("T1", customer_id="C-3")])
    code, manifest, held = overtake(mine, theirs)
    assert code == 0 and manifest["status"] == "committed"
    assert held == 0  # validated once, committed without waiting for the partner's lock
    assert [i["number"] for i in manifest["invoices"]] == ["INV-2026-000003"]
    assert _numbers(env) == [f"INV-2026-00000{n}" for n in (1, 2, 3)]


@pytest.mark.parametrize("theirs_do", ["seats for the same customer", "its devices",
                                       "the same order line"])
def test_a_commit_that_touched_this_runs_customer_makes_it_validate_again(
        env: Env, overtake: Any, theirs_do: str) -> None:
    mine = env.workbook("mine.xlsx", customers=[customer("C-1")],
                        devices=TWO_DEVICES,
                        orders=[order("M1", customer_id="C-1", seats=2)])
    sheets: dict[str, Any] = {
        "seats for the same customer": {"orders": [order("T1", customer_id="C-1")]},
        "its devices": {"customers": [customer("C-5")],
                        "devices": [device("D-9", customer_id="C-1")],
                        "orders": [order("T1", customer_id="C-5")]},
        "the same order line": {"customers": [customer("C-1")],
                                "devices": TWO_DEVICES,
                                "orders": [order("M1", customer_id="C-1", seats=2)]},
    }[theirs_do]
    theirs = env.workbook("theirs.xlsx", **sheets)
    code, manifest, held = overtake(mine, theirs)
    assert code == 0, manifest["rejections"]
    assert held == 1  # its first validation was stale: validated again under the lock
    if theirs_do == "the same order line":
        assert manifest["status"] == "duplicate"
        assert [p["order_id"] for p in manifest["already_processed"]] == ["M1"]
        assert _numbers(env) == ["INV-2026-000001", "INV-2026-000002"]
    else:
        assert manifest["status"] == "committed"
        assert _numbers(env) == [f"INV-2026-00000{n}" for n in (1, 2, 3)]
    assert env.count("order_lines") == len(set(_numbers(env)))
