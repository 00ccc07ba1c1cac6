"""A SQLite ledger closed behind the run (`seatbatch.ledger.behind`): its commit holds before
the close begins, and by the end of the run the WAL has been copied into the ledger's file,
even while another connection has it open; a close that fails is not the run's failure."""

from __future__ import annotations

import sqlite3
import threading
from contextlib import closing
from datetime import date
from pathlib import Path

import pytest

from conftest import Env, customer, device, order
from seatbatch.core.model import ReadSet
from seatbatch.ledger import Ledger, RunRecord, behind

pytestmark = pytest.mark.sqlite_only


def _file_alone(path: Path, query: str) -> list[tuple[object, ...]]:
    """`query` over the ledger's file alone, its WAL not read (immutable): what a checkpoint
    has copied into it."""
    uri = f"{path.absolute().as_uri()}?immutable=1"
    with closing(sqlite3.connect(uri, uri=True)) as connection:
        return connection.execute(query).fetchall()


def _commit_run(path: Path, run_id: str) -> None:
    """A committed run: its row in the ledger, the ledger closed."""
    with Ledger.open(str(path), write=True) as ledger:
        view = ledger.view("P-ACME")
        with ledger.committing(view, ReadSet(), RunRecord(
                run_id, "process", "P-ACME", date(2026, 11, 24), "orders.xlsx", "0" * 64)) as tx:
            tx.save_run({}, [])


def test_a_ledger_closed_behind_is_copied_into_its_file_when_the_block_ends(
        tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    with behind.closing_behind():
        _commit_run(path, "r1")
        # committed: another connection reads it, whether or not the copy has been made yet
        with closing(sqlite3.connect(path)) as reader:
            assert reader.execute("SELECT run_id FROM runs").fetchall() == [("r1",)]
    assert not Path(f"{path}-wal").exists()
    assert _file_alone(path, "SELECT run_id FROM runs") == [("r1",)]


def test_the_copy_is_made_while_another_connection_has_the_ledger_open(tmp_path: Path) -> None:
    """Its close alone would not copy the WAL then (it is not the ledger's last connection),
    and its commits made no checkpoint: the close makes one."""
    path = tmp_path / "ledger.db"
    _commit_run(path, "r0")
    with closing(sqlite3.connect(path)) as other:
        other.execute("SELECT count(*) FROM runs").fetchall()  # open, idle
        with behind.closing_behind():
            _commit_run(path, "r1")
        assert _file_alone(path, "SELECT run_id FROM runs ORDER BY run_id") == [("r0",),
                                                                                ("r1",)]


def test_outside_the_block_a_ledger_is_closed_where_it_is_asked_to_be(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    _commit_run(path, "r1")
    assert not Path(f"{path}-wal").exists()
    assert _file_alone(path, "SELECT run_id FROM runs") == [("r1",)]


def test_the_block_waits_for_its_closes_and_a_failing_one_is_not_its_failure() -> None:
    ended: list[str] = []
    started = threading.Event()

    def slow() -> None:
        started.wait()
        ended.append("slow")

    def failing() -> None:
        ended.append("failing")
        raise sqlite3.OperationalError("disk I/O error")

    with behind.closing_behind():
        assert behind.active()
        behind.start(slow)
        behind.start(failing)
        started.set()
    assert sorted(ended) == ["failing", "slow"]
    assert not behind.active()


def test_a_process_run_in_process_leaves_its_ledger_whole_in_its_file(env: Env) -> None:
    """What a test (or a caller) reads right after an in-process run is all there, in the
    ledger's file: the run waited for its ledger's close."""
    result = env.process(env.workbook(customers=[customer()], devices=[device("SN-1")],
                                      orders=[order()]))
    assert result.code == 0, result.stderr
    assert not Path(f"{env.ledger}-wal").exists()
    assert _file_alone(env.ledger, "SELECT number FROM invoices") == [("INV-2026-000001",)]
