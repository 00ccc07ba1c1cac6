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


def test_a_unit_numbers_once_and_only_after_saving_its_run(env: Env) -> None:
    """Caught in review: a second `number` advanced the counter past numbers whose invoices
    the first call's caller would never save (a gap), and numbering before `save_run` was
    guarded by an assert that python -O strips."""
    draft = InvoiceDraft("C-1", None, (), Decimal(0))
    with Ledger.open(env.ledger_url, write=True) as ledger:
        view = ledger.view("P-ACME")
        with pytest.raises(AssertionError, match="numbered once"), \
                ledger.committing(view, ReadSet(), _record("r1")) as tx:
            tx.save_run({}, [])
            tx.number("INV", "EUR", [draft])
            tx.number("INV", "EUR", [draft])
        with pytest.raises(AssertionError, match="save the run before numbering"), \
                ledger.committing(view, ReadSet(), _record("r2")) as tx:
            tx.number("INV", "EUR", [draft])
    assert env.count("counters") == 0 and env.count("runs") == 0
