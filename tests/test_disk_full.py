"""A full disk (SPEC §8; issue 11, finding 15): before the commit, exit 75 with nothing
committed; after it, exit 75 with a message naming the committed invoices and how their files
are written again, which the next run's recovery then does. Tested on a really full file
system: a tiny tmpfs mounted for the test (root is needed; CI runs as root)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path

import pytest

from conftest import AS_OF, Env, Result, customer, order

pytestmark = pytest.mark.sqlite_only


class Installed(Env):
    """Every command the installed `seatbatch`, as cron runs it: a half-written file's
    "no space left" raised again as it is collected must not reach stderr as a traceback,
    and it is the entry point (main) that sees to that, which a command run in-process lacks."""

    def run(self, *args: str | Path, as_of: date | None = AS_OF, env: Mapping[str, str] = {},
            common: bool = True, cron: bool = True) -> Result:
        return super().run(*args, as_of=as_of, env=env, common=common, cron=cron)


@pytest.fixture
def env(env: Env) -> Env:
    return Installed(env.root, env.ledger_url)


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs of one 4 KB page under tmp_path: room for a run folder's lock, no more.
    `resize(tiny_disk, size)` makes room."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    try:
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4k,mode=0777", "tmpfs",
                        str(mount_point)], check=True, capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError) as error:
        detail = getattr(error, "stderr", "") or error
        pytest.skip(f"cannot mount a tmpfs to fill up here (needs root): {detail}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def resize(mount_point: Path, size: str) -> None:
    subprocess.run(["mount", "-o", f"remount,size={size}", str(mount_point)], check=True)


def fill(mount_point: Path) -> None:
    """Nothing more fits."""
    descriptor = os.open(mount_point / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while os.write(descriptor, b"\0" * 4096):
            pass
    except OSError:
        pass
    finally:
        os.close(descriptor)


def twenty(env: Env, name: str = "orders.xlsx") -> Path:
    """A workbook of 20 invoices (one per customer)."""
    return env.workbook(name, customers=[customer(f"C-{i:03d}") for i in range(20)],
                        orders=[order(f"L{i}", customer_id=f"C-{i:03d}") for i in range(20)])


NOTHING = "nothing was committed; try again when there is room\n"


def test_a_full_disk_after_the_commit_names_the_invoices_and_recovery_writes_them(
        env: Env, tiny_disk: Path) -> None:
    out = tiny_disk / "out"
    book = twenty(env)
    result = env.run(
        "process", book, "--partner", "P-ACME", "--config", str(env.config), "--ledger",
        env.ledger_url, "--out", str(out), "--as-of", "2026-11-24", common=False)
    assert result.code == 75 and result.stdout == ""
    assert result.stderr == (
        f"seatbatch: no space left on device ({out}): 20 invoice(s) (INV-2026-000001 to "
        "INV-2026-000020) are committed, but their files are not all written: the next "
        f"process or renew run with --out {out} writes them again (or seatbatch render NUMBER "
        "writes one); make room first\n")
    assert env.count("invoices") == 20
    # what was written is removed to make room; the folder stays hidden, for recovery
    [staging] = list(out.iterdir())
    assert staging.name.startswith(".") and [p.name for p in staging.iterdir()] == [".lock"]

    # still full: the next run says so, commits nothing, and keeps the folder to recover
    other = env.workbook("other.xlsx", customers=[customer("C-900")],
                         orders=[order("X1", customer_id="C-900")])
    again = env.run("process", other, "--partner", "P-ACME", "--config", str(env.config),
                    "--ledger", env.ledger_url, "--out", str(out), "--as-of", "2026-11-24",
                    common=False)
    assert again.code == 75
    assert again.stderr == (
        f"seatbatch: no space left on device ({out}) writing again the folder of "
        f"{staging.name[1:]}, a run committed earlier and stopped before its files were "
        f"written: {NOTHING}")
    assert env.count("invoices") == 20 and [p.name for p in out.iterdir()] == [staging.name]

    resize(tiny_disk, "20m")
    done = env.run("process", book, "--partner", "P-ACME", "--config", str(env.config),
                   "--ledger", env.ledger_url, "--out", str(out), "--as-of", "2026-11-24",
                   common=False)
    assert done.code == 0, done.stderr
    assert done.manifest["status"] == "duplicate"
    recovered = out / staging.name[1:]
    assert done.stderr == ("seatbatch: warning: the folder of a run stopped before it finished "
                           f"was written again from the ledger: {recovered}\n")
    assert sorted(p.name for p in (recovered / "invoices").glob("*.xlsx")) == [
        f"INV-2026-{n:06d}.xlsx" for n in range(1, 21)]
    assert len(list((recovered / "invoices").glob("*.html"))) == 20
    assert env.count("invoices") == 20


def test_a_full_disk_before_the_commit_commits_nothing(env: Env, tiny_disk: Path) -> None:
    """No room for the run folder, for rejected.xlsx, or for the ledger: exit 75, nothing
    committed, nothing left behind."""
    out = tiny_disk / "out"
    rejected = env.workbook("bad.xlsx", customers=[customer()], orders=[order(seats=0)])
    result = env.run("process", rejected, "--partner", "P-ACME", "--config", str(env.config),
                     "--ledger", env.ledger_url, "--out", str(out), "--as-of", "2026-11-24",
                     common=False)
    assert (result.code, result.stdout) == (75, "")
    assert result.stderr == f"seatbatch: no space left on device ({out}): {NOTHING}"
    assert list(out.iterdir()) == [] and env.count("invoices") == 0

    fill(tiny_disk)
    result = env.run("process", twenty(env), "--partner", "P-ACME", "--config",
                     str(env.config), "--ledger", env.ledger_url, "--out", str(out),
                     "--as-of", "2026-11-24", common=False)
    assert (result.code, result.stdout) == (75, "")
    assert result.stderr.startswith("seatbatch: no space left on device (")
    assert result.stderr.endswith(NOTHING)
    assert list(out.iterdir()) == [] and env.count("invoices") == 0

    template = env.run("template", tiny_disk / "blank.xlsx")
    assert template.code == 75
    assert template.stderr == f"seatbatch: no space left on device (an output file): {NOTHING}"


def test_a_full_disk_under_the_ledger_commits_nothing(env: Env, tiny_disk: Path) -> None:
    ledger = tiny_disk / "ledger.db"
    result = env.run("process", twenty(env), "--partner", "P-ACME", "--config",
                     str(env.config), "--ledger", str(ledger), "--out", str(env.out),
                     "--as-of", "2026-11-24", common=False)
    assert (result.code, result.stdout) == (75, "")
    assert result.stderr == f"seatbatch: no space left on device (the ledger): {NOTHING}"
    assert env.visible_runs() == [] and list(env.out.iterdir()) == []


def test_a_full_disk_after_a_renewal_commit_is_recovered_by_the_next_run(
        env: Env, tiny_disk: Path) -> None:
    """renew writes its files after its commit, from the ledger: the same outcome."""
    first = env.process(env.workbook(customers=[customer()], orders=[
        order(term_years=1, start_date=date(2026, 1, 5))]), as_of=date(2026, 1, 5))
    assert first.code == 0, first.stderr
    out = tiny_disk / "out"
    common = ["--config", str(env.config), "--ledger", env.ledger_url, "--out", str(out),
              "--as-of", "2027-01-02"]
    renewed = env.run("renew", "--month", "2027-01", *common, common=False)
    assert renewed.code == 75
    assert renewed.stderr == (
        f"seatbatch: no space left on device ({out}): 1 invoice(s) (INV-2027-000001) are "
        "committed, but their files are not all written: the next process or renew run with "
        f"--out {out} writes them again (or seatbatch render NUMBER writes one); make room "
        "first\n")
    resize(tiny_disk, "20m")
    again = env.run("renew", "--month", "2027-01", *common, common=False)
    assert again.code == 0, again.stderr
    assert again.manifest["status"] == "nothing_due"
    assert "was written again from the ledger" in again.stderr
    assert [p.name for p in out.glob("*/invoices/*.xlsx")] == ["INV-2027-000001.xlsx"]


def test_a_full_disk_in_the_inbox_puts_the_workbook_back(env: Env, tiny_disk: Path) -> None:
    """The inbox stops (75) with the workbook waiting again; once there is room, the next run
    files it as already processed and writes the stopped run's folder."""
    folder = env.root / "inbox" / "P-ACME"
    folder.mkdir(parents=True)
    twenty(env).rename(folder / "orders.xlsx")
    out = tiny_disk / "out"
    common = ["--config", str(env.config), "--ledger", env.ledger_url, "--out", str(out),
              "--as-of", "2026-11-24"]
    stopped = env.run("inbox", env.root / "inbox", *common, common=False)
    assert stopped.code == 75 and stopped.stdout == ""
    assert stopped.stderr.splitlines() == [
        f"P-ACME/orders.xlsx: no space left on device ({out}): 20 invoice(s) (INV-2026-000001 "
        "to INV-2026-000020) are committed, but their files are not all written: the next "
        f"process or renew run with --out {out} writes them again (or seatbatch render NUMBER "
        "writes one); make room first; left waiting",
        "seatbatch inbox: 0 done, 0 rejected, 1 waiting",
    ]
    assert (folder / "orders.xlsx").is_file() and env.count("invoices") == 20
    resize(tiny_disk, "20m")
    done = env.run("inbox", env.root / "inbox", *common, common=False)
    assert done.code == 0, done.stderr
    assert (folder / "done" / "orders.xlsx").is_file()
    assert len(list(out.glob("*/invoices/*.xlsx"))) == 20 and env.count("invoices") == 20
