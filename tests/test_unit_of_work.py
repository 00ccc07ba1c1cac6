"""The ledger's unit of work, driven step by step as an orchestrator drives it: numbers taken
are numbers issued, and a unit left half-done commits nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from conftest import Env
from seatbatch.core.model import InvoiceDraft, ReadSet
from seatbatch.ledger import Ledger, RunRecord


def _record(run_id: str) -> RunRecord:
    return RunRecord(run_id, "process", "P-ACME", date(2026, 11, 24), "orders.xlsx", "0" * 64)


def test_numbers_taken_without_invoices_saved_commit_nothing(env: Env) -> None:
    with Ledger.open(env.ledger_url, write=True) as ledger:
        view = ledger.view("P-ACME")
        with pytest.raises(AssertionError, match="no invoices saved"), \
                ledger.committing(view, ReadSet(), _record("r1")) as tx:
            tx.save_run({}, [])
            numbered = tx.number("INV", "EUR", [InvoiceDraft("C-1", None, (), Decimal(0))])
            assert numbered.numbers == ["INV-2026-000001"]
        assert ledger.committed_runs(["r1"]) == {}
        assert ledger.view("P-ACME").version == 0
    assert env.count("counters") == 0 and env.count("runs") == 0


def test_a_unit_that_raises_commits_nothing(env: Env) -> None:
    with Ledger.open(env.ledger_url, write=True) as ledger:
        view = ledger.view("P-ACME")
        with pytest.raises(OSError), ledger.committing(view, ReadSet(), _record("r1")) as tx:
            tx.save_run({}, [])
            tx.number("INV", "EUR", [InvoiceDraft("C-1", None, (), Decimal(0))])
            raise OSError("disk full while writing the invoices")
    assert env.count("counters") == 0 and env.count("runs") == 0
    assert env.count("partner_versions") == 0
