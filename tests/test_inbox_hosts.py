"""`seatbatch inbox` on several hosts at once: claims in the ledger keep one workbook from being
processed twice, whatever the inbox folder's rename semantics. Hosts are simulated on this
machine with SEATBATCH_HOST. Hosts side by side are the installed command as cron runs it, each
run a process of its own; one host's runs one after another run in this process."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from conftest import (
    AS_OF,
    CONFIG,
    Env,
    Result,
    customer,
    ledger_url,
    order,
    read_manifest,
    run_in_process,
    run_installed,
)
from seatbatch.ledger import Ledger
from seatbatch.ledger.engine import atomic, insert_new
from seatbatch.ledger.schema import inbox_claims
from seatbatch.output.order_workbook import write_order_workbook
from test_inbox import workbooks_filed

PARTNERS = ("P-ACME", "P-OTHER", "P-TOKYO")


def workbook(folder: Path, partner: str, number: int) -> Path:
    """A one-line workbook of its own customer and order id: one invoice."""
    (folder / partner).mkdir(parents=True, exist_ok=True)
    client = f"C-{number:03d}"
    return write_order_workbook(folder / partner / f"w{number:03d}.xlsx", {
        "Customers": [customer(client)], "Devices": [],
        "Orders": [order(f"L{number:03d}", customer_id=client, subscription=f"S{number}")]})


def fill(folder: Path, count: int) -> dict[str, list[str]]:
    """`count` workbooks spread over the partners: partner -> names."""
    names: dict[str, list[str]] = {p: [] for p in PARTNERS}
    for number in range(count):
        partner = PARTNERS[number % len(PARTNERS)]
        names[partner].append(workbook(folder, partner, number).name)
    return names


def waiting(folder: Path) -> list[Path]:
    return sorted(p for partner in PARTNERS if (folder / partner).is_dir()
                  for p in (folder / partner).iterdir() if p.is_file())


def filed(folder: Path, partner: str, shelf: str = "done") -> list[str]:
    return workbooks_filed(folder / partner / shelf)


def note(folder: Path, partner: str, name: str, shelf: str = "done") -> dict[str, Any]:
    return json.loads((folder / partner / shelf / f"{name}.json").read_text())  # type: ignore[no-any-return]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# A host's runs until its inbox is empty: each run takes what it can; one that exits 75 met
# the other host's lock (held while that one commits, so never for long), and tries again.
RUNS_AT_MOST = 1000


@dataclass
class Host:
    """One simulated host: its own name and --out, running `seatbatch inbox` over `inbox`
    until nothing is left waiting there (a run that meets a busy ledger exits 75: again)."""

    env: Env
    name: str
    inbox: Path
    out: Path
    runs: list[int] = field(default_factory=list)  # exit codes, in order
    folders: list[Path] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def argv(self) -> list[str]:
        return ["inbox", str(self.inbox), "--config", str(self.env.config),
                "--ledger", self.env.ledger_url, "--out", str(self.out),
                "--as-of", AS_OF.isoformat()]

    def once(self, cron: bool = False, **extra: str) -> Result:
        """One run of this host's; `cron`: the installed command, a process of its own (for
        hosts side by side), else in this process."""
        run = run_installed if cron else run_in_process
        done = run(self.argv(), cwd=self.env.root, env={"SEATBATCH_HOST": self.name, **extra})
        self.runs.append(done.code)
        self.folders += [Path(line) for line in done.stdout.splitlines()]
        return done

    def until_empty(self, most: int = RUNS_AT_MOST) -> None:
        for _ in range(most):
            done = self.once(cron=True)  # hosts side by side: processes of their own
            if done.code not in (0, 75):
                self.errors.append(f"exit {done.code}: {done.stderr}")
                return
            if done.code == 0 and not waiting(self.inbox):
                return
            time.sleep(0.1)
        self.errors.append(f"still waiting after {most} runs")


def side_by_side(hosts: list[Host]) -> float:
    """Every host's loop at once, started together; how long they took (printed only: it
    depends on the machine's speed)."""
    barrier = threading.Barrier(len(hosts))

    def loop(host: Host) -> None:
        barrier.wait()
        host.until_empty()

    threads = [threading.Thread(target=loop, args=(h,)) for h in hosts]
    start = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for host in hosts:
        assert not host.errors, (host.name, host.errors)
    return time.monotonic() - start


@pytest.fixture
def pg_env(tmp_path: Path, request: pytest.FixtureRequest) -> Env:
    tmp_path.joinpath("seatbatch.toml").write_text(CONFIG, encoding="utf-8")
    return Env(tmp_path, ledger_url("postgresql", tmp_path, request))


def test_two_hosts_over_one_inbox_process_each_of_200_workbooks_once(pg_env: Env) -> None:
    env, shared = pg_env, pg_env.root / "inbox"
    expected = fill(shared, 200)
    hosts = [Host(env, name, shared, env.root / f"out-{name}") for name in ("host-a", "host-b")]
    seconds = side_by_side(hosts)

    manifests = [read_manifest(f) for host in hosts for f in host.folders]
    assert all(f.parent == h.out for h in hosts for f in h.folders)
    every = Counter((m["partner_id"], m["input"]["file"]) for m in manifests)
    assert every == Counter((p, n) for p, names in expected.items() for n in names)
    assert {m["status"] for m in manifests} == {"committed"}
    visible = [p for h in hosts for p in h.out.iterdir() if not p.name.startswith(".")]
    assert len(visible) == 200  # exactly one run folder per workbook across both --out
    for partner, names in expected.items():
        assert filed(shared, partner) == sorted(names)  # each filed once, never "w1 (2).xlsx"
        assert filed(shared, partner, "rejected") == []
        claimed = shared / partner / ".claimed"
        assert not claimed.exists() or not any(claimed.iterdir())
    assert waiting(shared) == []

    order_ids = [r[0] for r in env.query("SELECT order_id FROM order_lines")]
    assert sorted(order_ids) == [f"L{n:03d}" for n in range(200)]
    assert env.invoice_numbers() == [f"INV-2026-{n:06d}" for n in range(1, 201)]
    assert env.query("SELECT series, year, last_seq, last_number FROM counters") == [
        ("INV", 2026, 200, "INV-2026-000200")]
    claims = env.query("SELECT host, outcome, count(*) FROM inbox_claims GROUP BY host, outcome")
    by_host = {host: count for host, outcome, count in claims if outcome == "committed"}
    assert sum(by_host.values()) == 200 and set(by_host) == {"host-a", "host-b"}, claims
    assert by_host == {h.name: len(h.folders) for h in hosts}
    print(f"\ntwo hosts, 200 workbooks: {seconds:.1f} s; "
          + "; ".join(f"{h.name}: {len(h.folders)} workbooks in {len(h.runs)} run(s), exits "
                      f"{dict(Counter(h.runs))}" for h in hosts))


def test_replicated_inbox_folders_process_each_workbook_once_in_total(env: Env) -> None:
    """A sync tool gives each host its own copy of every file: renames cannot keep the hosts
    apart, the ledger's claims do. The copy that was not processed is filed in done/ with a
    note naming the run that processed the same bytes."""
    folders = [env.root / "inbox-a", env.root / "inbox-b"]
    expected = fill(folders[0], 9)
    shutil.copytree(folders[0], folders[1])
    hosts = [Host(env, name, folder, env.root / f"out-{name}")
             for name, folder in zip(("host-a", "host-b"), folders, strict=True)]
    side_by_side(hosts)

    runs = {f: h for h in hosts for f in h.folders}
    processed = Counter((m["partner_id"], m["input"]["file"]) for m in map(read_manifest, runs))
    assert processed == Counter((p, n) for p, names in expected.items() for n in names)
    assert env.invoice_numbers() == [f"INV-2026-{n:06d}" for n in range(1, 10)]
    assert env.count("runs") == 9
    for partner, names in expected.items():
        for name in names:
            notes = {h.name: note(h.inbox, partner, name) for h in hosts}
            [first] = [n for n in notes.values() if n["status"] == "committed"]
            [copy] = [n for n in notes.values() if n["status"] == "duplicate"]
            folder = Path(first["run_folder"])
            assert runs[folder].name == first["host"]
            assert copy["run_folder"] == str(folder) and copy["host"] == first["host"]
            assert copy["processed_before"] == {
                "workbook": name, "status": "committed", "host": first["host"],
                "run_folder": str(folder)}
        for host in hosts:
            assert filed(host.inbox, partner) == sorted(names)
    assert waiting(folders[0]) == waiting(folders[1]) == []


# --- claims one at a time -------------------------------------------------------------------

def ledger_made(env: Env) -> None:
    Ledger.open(env.ledger_url, write=True).close()


def put_claim(env: Env, path: Path, host: str, pid: int, age: float = 0) -> None:
    claimed_at = datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=age)
    with env.database().begin() as connection:
        connection.execute(inbox_claims.insert().values(
            partner_id="P-ACME", sha256=sha256(path), name=path.name, host=host, pid=pid,
            claimed_at=claimed_at))


def dead_pid() -> int:
    gone = subprocess.Popen(["true"])
    gone.wait()
    return gone.pid


@pytest.fixture
def one(env: Env) -> Iterator[Callable[..., Host]]:
    """A host over `env.root/inbox` with the default --out."""
    yield lambda name: Host(env, name, env.root / "inbox", env.out)


def test_a_claim_whose_process_is_gone_on_the_same_host_is_taken_over(
        env: Env, one: Callable[[str], Host]) -> None:
    book = workbook(env.root / "inbox", "P-ACME", 1)
    ledger_made(env)
    put_claim(env, book, "host-a", dead_pid())  # a run on host-a killed while processing

    elsewhere = one("host-b").once()  # host-b cannot know that: it waits, and says why
    assert elsewhere.code == 0 and elsewhere.stdout == ""
    assert elsewhere.stderr.splitlines() == [
        "P-ACME/w001.xlsx: being processed on host host-a; left waiting",
        "seatbatch inbox: 0 done, 0 rejected, 1 waiting"]

    host = one("host-a")
    assert host.once().code == 0
    [folder] = host.folders
    assert read_manifest(folder)["status"] == "committed"
    assert env.query("SELECT host, pid != 0, outcome, run_folder FROM inbox_claims") == [
        ("host-a", True, "committed", str(folder))]
    assert env.invoice_numbers() == ["INV-2026-000001"]


def test_a_claim_older_than_the_lease_is_taken_over_by_another_host(
        env: Env, one: Callable[[str], Host]) -> None:
    book = workbook(env.root / "inbox", "P-ACME", 1)
    ledger_made(env)
    put_claim(env, book, "host-b", os.getpid(), age=30)  # alive, as far as anyone can tell

    host = one("host-a")
    held = host.once()  # the default lease (900 s) has not run out
    assert "being processed on host host-b" in held.stderr and host.folders == []
    assert host.once(SEATBATCH_CLAIM_LEASE="10").code == 0
    assert [read_manifest(f)["status"] for f in host.folders] == ["committed"]
    assert env.query("SELECT host, outcome FROM inbox_claims") == [("host-a", "committed")]

    bad = host.once(SEATBATCH_CLAIM_LEASE="soon")
    assert bad.code == 2 and "SEATBATCH_CLAIM_LEASE='soon'" in bad.stderr


def test_a_rejected_workbook_sent_again_is_processed_again(env: Env,
                                                           one: Callable[[str], Host]) -> None:
    folder = env.root / "inbox" / "P-ACME"
    folder.mkdir(parents=True)
    book = write_order_workbook(folder / "orders.xlsx", {
        "Customers": [customer()], "Devices": [],
        "Orders": [order("L1", device_type="Space Ultra")]})  # not on the price list yet
    content = book.read_bytes()
    host = one("host-a")
    assert host.once().code == 0
    assert filed(env.root / "inbox", "P-ACME", "rejected") == ["orders.xlsx"]
    assert env.query("SELECT outcome FROM inbox_claims") == [("rejected",)]

    # finance adds the device type; the partner sends the same file again
    env.config.write_text(CONFIG.replace('"Space Plus" = "120.00"',
                                         '"Space Plus" = "120.00"\n"Space Ultra" = "200.00"')
                          .replace('"Space Plus" = "19000"',
                                   '"Space Plus" = "19000"\n"Space Ultra" = "32000"'))
    book.write_bytes(content)
    assert host.once().code == 0
    assert [read_manifest(f)["status"] for f in host.folders] == ["rejected", "committed"]
    assert filed(env.root / "inbox", "P-ACME") == ["orders.xlsx"]
    assert env.query("SELECT outcome, run_folder FROM inbox_claims") == [
        ("committed", str(host.folders[1]))]
    assert env.invoice_numbers() == ["INV-2026-000001"]


def test_a_busy_ledger_releases_the_claim_and_the_workbook_waits(
        env: Env, one: Callable[[str], Host]) -> None:
    host = one("host-a")
    workbook(env.root / "inbox", "P-ACME", 1)
    assert host.once().code == 0  # the tables exist
    workbook(env.root / "inbox", "P-ACME", 2)
    with env.hold_write_lock():
        busy = host.once(SEATBATCH_BUSY_TIMEOUT="1")
    assert busy.code == 75, busy.stderr
    assert "the ledger is busy" in busy.stderr and "left waiting" in busy.stderr
    assert [p.name for p in waiting(env.root / "inbox")] == ["w002.xlsx"]
    assert env.query("SELECT name, outcome FROM inbox_claims") == [("w001.xlsx", "committed")]
    assert one("host-b").once().code == 0  # free for any host
    assert env.query("SELECT name, host, outcome FROM inbox_claims ORDER BY name") == [
        ("w001.xlsx", "host-a", "committed"), ("w002.xlsx", "host-b", "committed")]


def test_insert_new_says_whether_it_inserted(env: Env) -> None:
    ledger = Ledger.open(env.ledger_url, write=True)
    assert ledger.engine is not None
    row = {"partner_id": "P-ACME", "sha256": "0" * 64, "name": "a.xlsx", "host": "h",
           "pid": 1, "claimed_at": datetime(2026, 11, 24)}
    try:
        with atomic(ledger.engine, write=True) as connection:
            assert insert_new(connection, inbox_claims, **row)
            assert not insert_new(connection, inbox_claims, **row)
    finally:
        ledger.close()


def test_a_claim_row_locked_this_instant_is_held_elsewhere_never_waited_for(
        env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL: another host's claim transaction holds the row (FOR UPDATE SKIP LOCKED
    passes it by at once). SQLite: that transaction holds the write lock: busy, as any write."""
    from seatbatch.ledger import LedgerBusy, claims

    monkeypatch.setenv("SEATBATCH_BUSY_TIMEOUT", "0.5")
    ledger = Ledger.open(env.ledger_url, write=True)
    assert ledger.engine is not None
    try:
        first = claims.claim(ledger.engine, "P-ACME", "1" * 64, "a.xlsx", host="host-b", pid=1)
        assert claims.release(ledger.engine, first) is True
        assert claims.claim(ledger.engine, "P-ACME", "1" * 64, "a.xlsx", host="host-b", pid=1,
                            lease=0.001).state == claims.TAKEN
        time.sleep(0.01)  # now older than that lease
        with atomic(ledger.engine, write=True) as other:  # host-b, taking it over right now
            other.execute(inbox_claims.select().with_for_update())
            if env.engine == "postgresql":
                # skipped, not waited for: a wait would end in the lock timeout (busy), the
                # row being locked until this block ends, whatever the machine's speed
                held = claims.claim(ledger.engine, "P-ACME", "1" * 64, "a.xlsx", host="host-a",
                                    pid=2, lease=0.001)
                assert (held.state, held.host) == (claims.HELD, None)
            else:
                with pytest.raises(LedgerBusy):
                    claims.claim(ledger.engine, "P-ACME", "1" * 64, "a.xlsx", host="host-a", pid=2,
                                 lease=0.001)
        assert claims.claim(ledger.engine, "P-ACME", "1" * 64, "a.xlsx", host="host-a", pid=2,
                            lease=0.001).previous == "stale"
    finally:
        ledger.close()
