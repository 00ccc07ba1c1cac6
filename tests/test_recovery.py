"""What killed runs leave under --out, put right by the next committing run (SPEC §8)."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from pathlib import Path

import openpyxl
import pytest

from conftest import Env, customer, order
from seatbatch.output import runs

UNCOMMITTED = "20261124T101010-process-P-ACME-abcdef"


def test_a_committed_runs_lost_folder_is_written_again(env: Env) -> None:
    first = env.process(env.workbook(customers=[customer()], orders=[order("L1"),
                                                                      order("L2", seats=3)]))
    assert first.code == 0, first.stderr
    folder = first.folder
    before = json.loads((folder / "manifest.json").read_text())
    book = openpyxl.load_workbook(folder / "invoices" / "INV-2026-000001.xlsx", data_only=True)
    cells = [[c.value for c in row] for row in book.active.iter_rows()]
    html = (folder / "invoices" / "INV-2026-000001.html").read_text()
    # killed after its commit, while its folder was still being written
    staging = folder.with_name(f".{folder.name}")
    folder.rename(staging)
    shutil.rmtree(staging / "invoices")
    (staging / "manifest.json").write_text("{")
    (staging / ".lock").touch()  # its run held it; nobody does now

    second = env.process(env.workbook("next.xlsx", customers=[customer()],
                                      orders=[order("L3", subscription="S2")]))
    assert second.code == 0, second.stderr
    assert f"written again from the ledger: {folder}" in second.stderr
    assert second.stdout == f"{second.folder}\n"  # stdout still names this run alone
    assert not staging.exists()
    after = json.loads((folder / "manifest.json").read_text())
    assert after["invoices"] == before["invoices"]
    assert (after["status"], after["input"], after["totals"]) == (
        before["status"], before["input"], before["totals"])
    assert [w["code"] for w in after["warnings"]] == ["run_recovered", "no_tax_configured"]
    again = openpyxl.load_workbook(folder / "invoices" / "INV-2026-000001.xlsx", data_only=True)
    assert [[c.value for c in row] for row in again.active.iter_rows()] == cells
    assert (folder / "invoices" / "INV-2026-000001.html").read_text() == html
    assert (folder / "summary.html").is_file()


def test_what_an_uncommitted_run_left_is_removed_and_a_live_run_is_left_alone(env: Env) -> None:
    env.out.mkdir()
    dead = env.out / f".{UNCOMMITTED}"
    (dead / "invoices").mkdir(parents=True)
    (dead / "invoices" / "INV-2026-000001.xlsx").write_bytes(b"half")
    (dead / ".lock").touch()
    live = env.out / f".{UNCOMMITTED[:-6]}123456"
    live.mkdir()
    holder = os.open(live / ".lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(holder, fcntl.LOCK_EX)
    try:
        result = env.process(env.workbook(customers=[customer()], orders=[order()]))
        assert result.code == 0, result.stderr
        assert "written again" not in result.stderr
        assert not dead.exists()
        assert live.exists()  # its run is still working on it
        assert env.invoice_numbers() == ["INV-2026-000001"]
    finally:
        os.close(holder)


def test_what_a_run_on_another_ledger_left_is_not_touched(env: Env) -> None:
    """Two configurations may share --out: only the ledger a run wrote to can tell whether it
    committed, so a run on another ledger leaves its staging folder alone."""
    env.out.mkdir()
    theirs = env.out / f".{UNCOMMITTED}"
    theirs.mkdir()
    (theirs / ".lock").write_text(str(env.root / "other-ledger.db"))
    result = env.process(env.workbook(customers=[customer()], orders=[order()]))
    assert result.code == 0, result.stderr
    assert theirs.exists()


def _tamper(env: Env) -> None:
    """A ledger seatbatch made, changed behind its back so that issuing an invoice fails in a
    way nothing foresaw: an internal error (70), not the workbook's fault."""
    if env.engine == "sqlite":
        env.query("CREATE TRIGGER tampered BEFORE INSERT ON invoices "
                  "BEGIN SELECT RAISE(ABORT, 'tampered'); END")
    else:
        env.query("CREATE FUNCTION tampered() RETURNS trigger LANGUAGE plpgsql AS "
                  "$$ BEGIN RAISE EXCEPTION 'tampered'; END $$")
        env.query("CREATE TRIGGER tampered BEFORE INSERT ON invoices "
                  "FOR EACH ROW EXECUTE FUNCTION tampered()")


def test_an_internal_errors_log_outlives_the_next_runs_recovery(env: Env) -> None:
    """SPEC §8: a failure's error.log stays where the message says until a person removes it.
    It was written inside the failed run's staging folder, which the next run's recovery
    removed as the leftovers of an uncommitted run."""
    assert env.process(env.workbook(customers=[customer()], orders=[order("L1")])).code == 0
    _tamper(env)
    failed = env.process(env.workbook("b.xlsx", customers=[customer()],
                                      orders=[order("L2", subscription="S2")]))
    assert failed.code == 70, failed.stderr
    [line] = failed.stderr.splitlines()
    assert line.startswith("seatbatch: internal error: ")
    log = Path(line.rsplit("(details: ", 1)[1].removesuffix(")"))
    assert log.parent == env.out and log.name.endswith(".error.log")
    assert "Traceback" in log.read_text() and "tampered" in log.read_text()

    again = env.process(env.workbook("c.xlsx", customers=[customer()],
                                     orders=[order("L3", subscription="S3")]))
    assert again.code == 70, again.stderr  # the ledger is still tampered with
    assert log.is_file() and "tampered" in log.read_text()  # recovery left it alone
    # the failed runs' staging folders (uncommitted) were still put right: one is left, the
    # one of the run that failed last, until the next run
    assert len([p for p in env.out.iterdir() if p.name.startswith(".")]) == 1
    assert env.invoice_numbers() == ["INV-2026-000001"]


def test_a_run_folder_being_made_is_never_taken_for_abandoned(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Caught in CI: 16 runs at once, one run's recovery opened another's fresh lock file in
    the instant before its flock, found it free and removed the new folder ("cannot make a run
    folder … No such file or directory"). A folder is now locked before it takes its staging
    name, so recovery, run in exactly that instant, finds nothing to take."""
    out = tmp_path / "out"
    found: list[list[str]] = []
    real_lock = runs._lock

    def lock_with_recovery_in_between(path: Path, *, wait: bool) -> int | None:
        if not found:  # the new run's own lock; recovery's probes lock as ever
            os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))  # opened, not yet locked
            found.append([])
            found[0] = list(runs.abandoned(out))
        return real_lock(path, wait=wait)

    monkeypatch.setattr(runs, "_lock", lock_with_recovery_in_between)
    folder = runs.RunFolder(out, "process", "P-ACME", ledger="sqlite:///x")
    assert found == [[]]
    assert folder.staging.is_dir() and (folder.staging / runs.LOCK).exists()
    assert [p.name for p in out.iterdir()] == [folder.staging.name]
    monkeypatch.setattr(runs, "_lock", real_lock)
    assert list(runs.abandoned(out)) == []  # held
    folder.discard()
    assert list(runs.abandoned(out)) == [] and list(out.iterdir()) == []


def test_a_run_killed_while_its_folder_was_made_leaves_nothing_after_the_grace(
        tmp_path: Path) -> None:
    out = tmp_path / "out"
    unborn = out / f".{UNCOMMITTED}.making"
    unborn.mkdir(parents=True)
    (unborn / runs.LOCK).touch()
    assert list(runs.abandoned(out)) == [] and unborn.exists()  # fresh: may be a live run
    old = unborn.stat().st_mtime - runs.UNBORN_GRACE_SECONDS - 1
    os.utime(unborn, (old, old))
    assert list(runs.abandoned(out)) == [] and not unborn.exists()


@pytest.mark.parametrize("stop", [KeyboardInterrupt, OSError])
def test_a_run_stopped_while_its_folder_is_made_leaves_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stop: type[BaseException]) -> None:
    """Caught by test_interrupt on a loaded machine: a Ctrl-C that landed between making a
    new run's folder and renaming it to its staging name left the `.making` folder behind."""
    out = tmp_path / "out"
    real_lock = runs._lock

    def stopped(path: Path, *, wait: bool) -> int | None:
        descriptor = real_lock(path, wait=wait)
        assert descriptor is not None
        os.close(descriptor)
        raise stop()

    monkeypatch.setattr(runs, "_lock", stopped)
    with pytest.raises(stop):
        runs.RunFolder(out, "process", "P-ACME", ledger="sqlite:///x")
    assert list(out.iterdir()) == []
