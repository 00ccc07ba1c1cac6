"""Kills at any moment (SPEC §8): a run killed with SIGKILL leaves the ledger with all of it or
none of it, no number consumed by what did not commit, no incomplete folder visible; the next
run writes a committed run's lost folder again and removes what uncommitted runs left.

Runs on SQLite and on PostgreSQL; `SEATBATCH_KILLS` sets how many runs are started, each to be
killed at a random moment, per engine (default 40; `make crash` runs more). How many of them
finish before their kill depends on the machine's speed and is not asserted: each run is
checked, killed or not. The runs are the installed command, as cron starts it: a kill is
what the test is about."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

from conftest import SEATBATCH, Env, change, customer, device, order
from seatbatch.output.runs import UNBORN_GRACE_SECONDS

KILLS = int(os.environ.get("SEATBATCH_KILLS", "40"))
BIG_EVERY = 5  # every fifth workbook issues enough invoices to be written by worker processes
AS_OF = date(2026, 11, 24)


def _workbook(env: Env, index: int) -> Path:
    """A fresh workbook: new order ids, so that each run has something to commit. The runs
    to kill also change the PO of the first run's subscription (SPEC §11), a line that
    issues no invoice and commits with the rest."""
    new_po = [change(f"K{index}-po", "po", po_number=f"PO-R{index}")] if index >= 3 else []
    return env.workbook(
        f"w{index}.xlsx", customers=[customer("C-001"), customer("C-002")],
        devices=[device("SN-1")],
        orders=[*(order(f"K{index}-{j}", customer_id=("C-001", "C-002")[j % 2],
                        subscription=f"S{index}-{j}", po_number=f"PO-{index}-{j}")
                  for j in range(_lines(index))), *new_po])


def _command(env: Env, book: Path) -> list[str]:
    return [str(SEATBATCH), "process", str(book), "--partner", "P-ACME", "--config",
            str(env.config), "--ledger", env.ledger_url, "--out", str(env.out), "--as-of",
            AS_OF.isoformat()]


def _environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("SEATBATCH_")}


def _timed_run(env: Env, book: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(_command(env, book), capture_output=True, text=True,
                          env=_environment(), stdin=subprocess.DEVNULL, timeout=600)
    assert done.returncode == 0, done.stderr
    return time.perf_counter() - started


def _kill_during(env: Env, book: Path, delay: float) -> int:
    """Start a run and SIGKILL it, with its workers, after `delay` seconds; its exit code
    (negative: killed)."""
    child = subprocess.Popen(_command(env, book), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                             env=_environment(), start_new_session=True)
    try:
        child.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
    return child.wait(timeout=30)


def _check_ledger(env: Env) -> int:
    """The invariants a kill must not break; returns the number of invoices."""
    if env.engine == "sqlite":
        assert env.query("PRAGMA integrity_check") == [("ok",)]
    seqs = [s for (s,) in env.query(
        "SELECT seq FROM invoices WHERE series = 'INV' AND year = 2026 ORDER BY seq")]
    assert seqs == list(range(1, len(seqs) + 1)), "numbers must be gapless from 1"
    numbers = [n for (n,) in env.query("SELECT number FROM invoices ORDER BY seq")]
    assert numbers == [f"INV-2026-{seq:06d}" for seq in seqs]
    counter = env.query("SELECT series, year, last_seq FROM counters")
    assert counter == ([("INV", 2026, len(seqs))] if seqs else [])
    runs = {r for (r,) in env.query("SELECT run_id FROM runs")}
    for table in ("invoices", "order_lines", "subscription_changes"):
        [(orphans,)] = env.query(
            f"SELECT count(*) FROM {table} WHERE run_id NOT IN (SELECT run_id FROM runs)")
        assert orphans == 0, f"{table} of a run that did not commit"
    [(empty,)] = env.query(
        "SELECT count(*) FROM runs WHERE run_id NOT IN (SELECT run_id FROM invoices)")
    assert empty == 0
    [(invoiced,)] = env.query("SELECT count(DISTINCT run_id) FROM invoices")
    assert len(runs) == invoiced
    [(stray,)] = env.query("SELECT count(*) FROM invoice_lines "
                           "WHERE invoice_number NOT IN (SELECT number FROM invoices)")
    assert stray == 0, "invoice lines of an invoice that did not commit"
    [(bare,)] = env.query("SELECT count(*) FROM invoices "
                          "WHERE number NOT IN (SELECT invoice_number FROM invoice_lines)")
    assert bare == 0, "an invoice without its lines"
    return len(seqs)


def _check_visible_folders(env: Env) -> None:
    """Every visible run folder is complete: its manifest and every file it names."""
    for folder in env.visible_runs():
        manifest = json.loads((folder / "manifest.json").read_text())
        for invoice in manifest["invoices"]:
            assert (folder / invoice["file"]).is_file()
            assert (folder / invoice["file"]).with_suffix(".html").is_file()
        assert (folder / "summary.html").is_file()


def _lines(index: int) -> int:
    return 210 if index % BIG_EVERY == 0 else 12


def _committed_lines(env: Env, index: int) -> int:
    if not env.ledger_exists():
        return 0
    [(count,)] = env.query(f"SELECT count(*) FROM order_lines WHERE order_id LIKE 'K{index}-%'")
    [(changes,)] = env.query("SELECT count(*) FROM subscription_changes "
                             f"WHERE order_id = 'K{index}-po'")
    assert changes == (1 if count else 0), f"run {index} committed its change apart"
    return int(count)


def _stream(env: Env, attempts: int, seed: int) -> tuple[int, int, int]:
    """Start `attempts` runs against one ledger and SIGKILL each at a random moment, checking
    after each: the run committed all of its workbook or none of it, and no number went
    missing. Then the next run writes again what the killed ones lost. (killed, finished
    before their kill, folders written again)."""
    rng = random.Random(seed)
    _timed_run(env, _workbook(env, 1))  # makes the ledger: longer than the runs to kill
    small = _timed_run(env, _workbook(env, 2))
    big = _timed_run(env, _workbook(env, 0))
    killed = completed = 0
    # Runs timed on a quiet moment may finish sooner or later on a busy machine: a run that
    # finished before its kill makes the next aims earlier, one killed makes them later, so the
    # kills keep landing through the run however loaded the machine is. How many land is not
    # asserted (it depends on the machine's speed); each one that did is checked.
    scale = 1.0
    index = 3
    for index in range(3, attempts + 3):
        duration = big if index % BIG_EVERY == 0 else small
        # start-up (imports) takes the first third of a run: aim past it, and past the end
        code = _kill_during(env, _workbook(env, index),
                            rng.uniform(0.25, 1.05) * duration * scale)
        assert code in (0, -signal.SIGKILL)
        committed = _committed_lines(env, index)
        if code == 0:
            completed += 1
            assert committed == _lines(index), "a run that finished committed its workbook"
        else:
            killed += 1
            assert committed in (0, _lines(index)), f"run {index} committed part of its lines"
        scale = max(0.05, scale * 0.85) if code == 0 else min(2.0, scale * 1.02)
        _check_ledger(env)
        _check_visible_folders(env)

    # the next run finishes what the killed ones left; the folder of a run killed while it
    # was being made is only removed after a grace period
    if [p for p in env.out.iterdir() if p.name.endswith(".making")]:
        time.sleep(UNBORN_GRACE_SECONDS + 1)
    # a process of its own: the two streams run side by side, in threads of this process
    final = env.process(_workbook(env, index + 1), cron=True)
    assert final.code == 0, final.stderr
    _check_ledger(env)
    _check_visible_folders(env)
    assert not [p for p in env.out.iterdir() if p.name.startswith(".")], "staging left behind"
    issued: dict[str, set[str]] = {}
    for run_id, number in env.query("SELECT run_id, number FROM invoices"):
        issued.setdefault(run_id, set()).add(number)
    for run_id, numbers in issued.items():  # every committed run's folder, written again
        manifest = json.loads((env.out / run_id / "manifest.json").read_text())
        assert {i["number"] for i in manifest["invoices"]} == numbers, run_id
    return killed, completed, final.stderr.count("was written again")


def test_runs_killed_at_any_moment(env: Env, new_ledger: Callable[[Path], str]) -> None:
    """Two ledgers side by side, half the kills each: the machine's two cores both busy."""
    streams = []
    for name in ("a", "b"):
        root = env.root / name
        root.mkdir()
        shutil.copy(env.config, root / "seatbatch.toml")
        streams.append(Env(root, new_ledger(root)))
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(_stream, streams, [KILLS // 2, KILLS - KILLS // 2],
                                [20261125, 20261126]))
    killed, completed, recovered = (sum(column) for column in zip(*results, strict=True))
    print(f"\n{killed} runs killed, {completed} finished before the kill; {recovered} "
          "committed run(s) lost their folder and had it written again")
    assert killed + completed == KILLS  # every run started was checked, killed or not
    # Not a share that depends on speed: each run that finishes makes the next kill come
    # sooner, down to the first 5% of a run (its imports), which no machine finishes in time.
    assert killed > 0, "no run was killed: the test checked nothing"


def _credit_command(env: Env, index: int) -> list[str]:
    """A credit of one seat of one line of the first invoice (a line per kill)."""
    return [str(SEATBATCH), "credit", "INV-2026-000001", "--reason", f"kill {index}", "--line",
            f"C-{index}=1", "--config", str(env.config), "--ledger", env.ledger_url, "--out",
            str(env.out), "--as-of", AS_OF.isoformat()]


def _check_credits(env: Env) -> int:
    """The invariants a killed credit run must not break; returns the number of credit
    notes."""
    if env.engine == "sqlite":
        assert env.query("PRAGMA integrity_check") == [("ok",)]
    seqs = [s for (s,) in env.query(
        "SELECT seq FROM invoices WHERE series = 'CN' AND year = 2026 ORDER BY seq")]
    assert seqs == list(range(1, len(seqs) + 1)), "credit note numbers must be gapless from 1"
    assert env.query("SELECT last_seq FROM counters WHERE series = 'CN'") == (
        [(len(seqs),)] if seqs else [])
    # each credit note whole: its run, its line, what it took, the seat that left
    [(whole,)] = env.query(
        "SELECT count(*) FROM invoices i JOIN runs r ON r.run_id = i.run_id "
        "JOIN invoice_lines l ON l.invoice_number = i.number "
        "JOIN credit_lines c ON c.credit_number = i.number WHERE i.series = 'CN'")
    assert whole == len(seqs)
    assert env.query("SELECT count(*) FROM seats WHERE seats < 0") == [(len(seqs),)]
    assert env.query("SELECT count(*) FROM runs WHERE command = 'credit'") == [(len(seqs),)]
    return len(seqs)


def test_credit_runs_killed_at_any_moment(env: Env) -> None:
    """`credit` runs killed at random moments: each credit note is committed whole or not at
    all, and the credit-note series stays gapless with no number taken by what did not
    commit; the next run writes again a committed credit's lost folder."""
    kills = max(4, KILLS // 4)
    book = env.workbook("credited.xlsx", customers=[customer("C-001")], orders=[
        order(f"C-{index}", seats=2, subscription=f"S{index}") for index in range(kills)])
    assert _timed_run(env, book) > 0
    started = time.perf_counter()
    done = subprocess.run(_credit_command(env, 0), capture_output=True, text=True,
                          env=_environment(), stdin=subprocess.DEVNULL, timeout=600)
    assert done.returncode == 0, done.stderr
    duration = time.perf_counter() - started
    rng = random.Random(20261206)
    killed = 0
    for index in range(1, kills):
        child = subprocess.Popen(_credit_command(env, index), stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                                 env=_environment(), start_new_session=True)
        try:
            child.wait(timeout=rng.uniform(0.25, 1.05) * duration)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
        code = child.wait(timeout=30)
        assert code in (0, -signal.SIGKILL)
        killed += code != 0
        [(taken,)] = env.query(
            f"SELECT count(*) FROM credit_lines c JOIN invoice_lines l ON "
            f"l.invoice_number = c.invoice_number AND l.position = c.invoice_position "
            f"WHERE l.order_id = 'C-{index}'")
        assert taken == 1 if code == 0 else taken in (0, 1), "a credit committed in part"
        _check_credits(env)
        _check_visible_folders(env)
    if [p for p in env.out.iterdir() if p.name.endswith(".making")]:
        time.sleep(UNBORN_GRACE_SECONDS + 1)
    final = env.run("credit", "INV-2026-000001", "--reason", "last", "--line",
                    f"C-{kills - 1}=1", as_of=AS_OF, cron=True)
    assert final.code == 0, final.stderr
    count = _check_credits(env)
    assert not [p for p in env.out.iterdir() if p.name.startswith(".")], "staging left behind"
    for run_id, number in env.query("SELECT run_id, number FROM invoices WHERE series = 'CN'"):
        manifest = json.loads((env.out / run_id / "manifest.json").read_text())
        assert [i["number"] for i in manifest["invoices"]] == [number], run_id
    print(f"\n{killed} credit runs killed; {count} credit notes committed")
