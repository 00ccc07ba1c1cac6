"""`seatbatch inbox DIR` end to end, as cron runs it: claim, process, file, and leave waiting."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from conftest import SEATBATCH, Env, Result, customer, order, read_manifest
from seatbatch.config import load_config
from seatbatch.ledger import Ledger
from seatbatch.workbook.write import write_order_workbook
from test_terminal import run_on_terminal

OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")


def inbox(env: Env) -> Path:
    return env.root / "inbox"


def drop(env: Env, name: str, partner: str = "P-ACME", *, orders: list[dict[str, Any]],
         customers: list[dict[str, Any]] | None = None) -> Path:
    """A workbook as a partner leaves it in its inbox folder."""
    folder = inbox(env) / partner
    folder.mkdir(parents=True, exist_ok=True)
    return write_order_workbook(folder / name, {
        "Customers": [customer()] if customers is None else customers, "Devices": [],
        "Orders": orders})


def good(env: Env, name: str, line: str, partner: str = "P-ACME") -> Path:
    return drop(env, name, partner, orders=[order(line, subscription=line)])


def bad(env: Env, name: str, line: str, partner: str = "P-ACME") -> Path:
    return drop(env, name, partner, orders=[order(line, subscription=line, seats=-1)])


def run_inbox(installation: Env, **kwargs: Any) -> Result:
    return installation.run("inbox", inbox(installation), **kwargs)


def folders(result: Result) -> list[Path]:
    return [Path(line) for line in result.stdout.splitlines()]


def shelf(env: Env, partner: str, which: str) -> list[str]:
    """The workbooks filed in done/ or rejected/ (without their notes)."""
    folder = inbox(env) / partner / which
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir()
                  if not p.name.endswith((".json", ".error.log")))


def waiting(env: Env, partner: str = "P-ACME") -> list[str]:
    return sorted(p.name for p in (inbox(env) / partner).iterdir() if p.is_file())


def note(env: Env, partner: str, which: str, name: str) -> dict[str, Any]:
    return json.loads((inbox(env) / partner / which / f"{name}.json").read_text())  # type: ignore[no-any-return]


def no_claims_left(env: Env, partner: str = "P-ACME") -> bool:
    claims = inbox(env) / partner / ".claimed"
    return not claims.exists() or not any(claims.iterdir())


def test_a_good_workbook_is_committed_and_filed_in_done(env: Env) -> None:
    good(env, "orders.xlsx", "L1")
    result = run_inbox(env)
    assert result.code == 0, result.stderr
    assert result.stderr == "seatbatch inbox: 1 done, 0 rejected, 0 waiting\n"
    [folder] = folders(result)
    manifest = read_manifest(folder)
    assert manifest["status"] == "committed"
    assert manifest["input"]["file"] == "orders.xlsx"  # its own name, not the claim's
    assert (folder / "invoices" / "INV-2026-000001.xlsx").exists()
    assert env.invoice_numbers() == ["INV-2026-000001"]

    assert shelf(env, "P-ACME", "done") == ["orders.xlsx"]
    assert waiting(env) == []
    assert no_claims_left(env)
    filed = note(env, "P-ACME", "done", "orders.xlsx")
    assert filed["run_folder"] == str(folder) and Path(filed["run_folder"]).is_absolute()
    assert {k: filed[k] for k in ("workbook", "partner_id", "status", "exit_code", "problems",
                                  "messages")} == {
        "workbook": "orders.xlsx", "partner_id": "P-ACME", "status": "committed",
        "exit_code": 0, "problems": 0, "messages": []}
    assert filed["filed_at"].endswith("+00:00")

    again = run_inbox(env)  # nothing waiting
    assert (again.code, again.stdout) == (0, "")
    assert again.stderr == "seatbatch inbox: 0 done, 0 rejected, 0 waiting\n"


def test_a_rejected_workbook_is_filed_with_its_reasons_and_commits_nothing(env: Env) -> None:
    good(env, "first.xlsx", "L1")
    assert run_inbox(env).code == 0
    bad(env, "bad orders.xlsx", "L2")
    result = run_inbox(env)
    assert result.code == 0, result.stderr  # filed: rejection is the partner's to fix
    [folder] = folders(result)
    assert read_manifest(folder)["status"] == "rejected"
    assert (folder / "rejected.xlsx").exists()
    filed_as = inbox(env) / "P-ACME" / "rejected" / "bad orders.xlsx"
    assert result.stderr.splitlines() == [
        f"P-ACME/bad orders.xlsx: rejected, 1 problem(s); filed as {filed_as}",
        "seatbatch inbox: 0 done, 1 rejected, 0 waiting",
    ]
    assert shelf(env, "P-ACME", "rejected") == ["bad orders.xlsx"]
    filed = note(env, "P-ACME", "rejected", "bad orders.xlsx")
    assert (filed["status"], filed["exit_code"], filed["problems"]) == ("rejected", 1, 1)
    assert "seats" in filed["messages"][0]
    assert filed["run_folder"] == str(folder)
    assert env.invoice_numbers() == ["INV-2026-000001"]
    assert env.count("order_lines") == 1


def test_the_same_workbook_sent_twice_is_a_duplicate_filed_beside_the_first(env: Env) -> None:
    book = good(env, "orders.xlsx", "L1")
    content = book.read_bytes()
    first = run_inbox(env)
    assert first.code == 0
    book.write_bytes(content)
    result = run_inbox(env)
    assert result.code == 0, result.stderr
    assert result.stdout == ""  # the same bytes were committed: no new run
    assert shelf(env, "P-ACME", "done") == ["orders (2).xlsx", "orders.xlsx"]
    assert note(env, "P-ACME", "done", "orders.xlsx")["status"] == "committed"
    second = note(env, "P-ACME", "done", "orders (2).xlsx")
    assert (second["status"], second["workbook"], second["filed_as"]) == (
        "duplicate", "orders.xlsx", "orders (2).xlsx")
    assert second["run_folder"] == str(folders(first)[0])  # the run that processed them
    assert env.invoice_numbers() == ["INV-2026-000001"]


def test_hostile_names_are_processed_under_their_own_names_and_printed_safely(env: Env) -> None:
    names = ["with  spaces.xlsx", "Bestellung März 東京.xlsx", "-rf --partner.xlsx",
             "forged\nseatbatch inbox: 9 done.xlsx", "LOUD.XLSX"]
    for number, name in enumerate(names):
        good(env, name, f"L{number}")
    forged = "-bad\nseatbatch inbox: 0 done, 0 rejected, 0 waiting.xlsx"  # if printed raw
    bad(env, forged, "L9")
    (inbox(env) / "P-ACME" / "text.xlsx").write_text("just some text\n")
    (inbox(env) / "P-ACME" / "old.xls").write_bytes(OLE_MAGIC + bytes(504))
    (inbox(env) / "P-ACME" / "~$with  spaces.xlsx").write_bytes(b"lock")  # Excel's lock file
    (inbox(env) / "P-ACME" / ".uploading.xlsx").write_bytes(b"half")

    result = run_inbox(env)
    assert result.code == 0, result.stderr
    assert shelf(env, "P-ACME", "done") == sorted(names)
    rejected = [forged, "old.xls", "text.xlsx"]
    assert shelf(env, "P-ACME", "rejected") == rejected
    assert waiting(env) == [".uploading.xlsx", "~$with  spaces.xlsx"]  # left alone
    for name in names:
        assert note(env, "P-ACME", "done", name)["workbook"] == name
    inputs = {read_manifest(f)["input"]["file"] for f in folders(result)}
    assert inputs == {*names, *rejected}
    assert len(env.invoice_numbers()) == len(names)
    assert no_claims_left(env)

    text = note(env, "P-ACME", "rejected", "text.xlsx")
    assert "not an Excel workbook" in text["messages"][0]
    assert "save it as" in note(env, "P-ACME", "rejected", "old.xls")["messages"][0]
    lines = result.stderr.splitlines()  # the newline in a name cannot forge a line
    assert len(lines) == 4
    assert lines[0] == (
        f"P-ACME/{forged!r}: rejected, 1 problem(s); filed as "
        f"{str(inbox(env) / 'P-ACME' / 'rejected' / forged)!r}")
    assert "\\n" in lines[0]
    assert lines[1].startswith("P-ACME/old.xls: rejected, 1 problem(s); filed as ")
    assert lines[2].startswith("P-ACME/text.xlsx: rejected")
    assert lines[3] == "seatbatch inbox: 5 done, 3 rejected, 0 waiting"


def test_unknown_partner_folders_and_other_files_are_reported_and_left_alone(env: Env) -> None:
    good(env, "stranger.xlsx", "L1", partner="P-NOBODY")
    good(env, "orders.xlsx", "L2")
    (inbox(env) / "P-ACME" / "notes.txt").write_text("call back")
    (inbox(env) / "loose.xlsx").write_text("not in a partner folder")
    (inbox(env) / ".hidden").mkdir()
    before = sorted(str(p) for p in inbox(env).rglob("*"))

    result = run_inbox(env)
    assert result.code == 0, result.stderr
    assert result.stderr.splitlines() == [
        "seatbatch inbox: P-NOBODY: not a configured partner; left alone",
        "seatbatch inbox: loose.xlsx: a file outside any partner folder; left alone",
        "seatbatch inbox: warning: P-ACME/notes.txt: not an .xlsx workbook; left alone",
        "seatbatch inbox: 1 done, 0 rejected, 0 waiting",
    ]
    after = sorted(str(p) for p in inbox(env).rglob("*"))
    moved = str(inbox(env) / "P-ACME" / "orders.xlsx")
    assert set(before) - {moved} <= set(after)
    assert waiting(env, "P-NOBODY") == ["stranger.xlsx"]
    assert waiting(env) == ["notes.txt"]
    assert not (inbox(env) / "P-NOBODY" / "done").exists()


def test_a_busy_ledger_leaves_every_workbook_waiting_and_exits_75(env: Env) -> None:
    good(env, "a.xlsx", "L1")
    assert run_inbox(env).code == 0
    good(env, "b.xlsx", "L2")
    good(env, "c.xlsx", "L3")
    runs_before = env.visible_runs()
    with env.hold_write_lock():
        busy = run_inbox(env, env={"SEATBATCH_BUSY_TIMEOUT": "1"})
    assert busy.code == 75, busy.stderr
    assert busy.stdout == ""
    lines = busy.stderr.splitlines()
    assert lines[0].startswith("P-ACME/b.xlsx: the ledger is busy")
    assert lines[0].endswith("; left waiting")
    assert lines[1:] == ["seatbatch inbox: 0 done, 0 rejected, 2 waiting"]
    assert waiting(env) == ["b.xlsx", "c.xlsx"]  # c was not even claimed
    assert shelf(env, "P-ACME", "done") == ["a.xlsx"]
    assert env.visible_runs() == runs_before
    assert no_claims_left(env)

    rerun = run_inbox(env)
    assert rerun.code == 0, rerun.stderr
    assert shelf(env, "P-ACME", "done") == ["a.xlsx", "b.xlsx", "c.xlsx"]
    assert env.invoice_numbers() == [f"INV-2026-{n:06d}" for n in (1, 2, 3)]


def test_two_inbox_runs_at_once_never_process_a_workbook_twice(env: Env) -> None:
    expected: dict[str, list[str]] = {"P-ACME": [], "P-OTHER": []}
    for number in range(8):
        partner = "P-ACME" if number % 2 else "P-OTHER"
        name = f"w{number}.xlsx"
        (bad if number == 5 else good)(env, name, f"L{number}", partner)
        expected[partner].append(name)
    argv = [str(SEATBATCH), "inbox", str(inbox(env)), "--config", str(env.config), "--ledger",
            env.ledger_url, "--out", str(env.out), "--as-of", "2026-11-24"]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SEATBATCH_")}
    runs = [subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=environment)
            for _ in range(2)]
    outputs = [run.communicate(timeout=120) for run in runs]
    codes = [run.returncode for run in runs]
    assert set(codes) <= {0, 75}, outputs
    processed = [Path(line) for out, _ in outputs for line in out.splitlines()]
    for code in codes:
        if code == 75:
            rerun = run_inbox(env)
            assert rerun.code == 0, rerun.stderr
            processed += folders(rerun)

    inputs = Counter((m["partner_id"], m["input"]["file"])
                     for m in map(read_manifest, processed))
    assert inputs == Counter((p, n) for p, names in expected.items() for n in names)
    for partner, names in expected.items():
        filed = shelf(env, partner, "done") + shelf(env, partner, "rejected")
        assert sorted(filed) == names  # each exactly once, never "w1 (2).xlsx"
        assert waiting(env, partner) == []
        assert no_claims_left(env, partner)
    assert shelf(env, "P-ACME", "rejected") == ["w5.xlsx"]
    assert sorted(env.query("SELECT partner_id, input_name FROM runs")) == sorted(
        (p, n) for p, names in expected.items() for n in names if n != "w5.xlsx")
    assert sorted(r[0] for r in env.query("SELECT order_id FROM order_lines")) == sorted(
        f"L{n}" for n in range(8) if n != 5)
    assert env.invoice_numbers() == [f"INV-2026-{n:06d}" for n in range(1, 8)]


def test_on_a_terminal_one_line_per_workbook(env: Env) -> None:
    good(env, "good.xlsx", "L1")
    bad(env, "bad.xlsx", "L2")
    drop(env, "same.xlsx", orders=[order("L1", subscription="L1")],  # already processed,
         customers=[customer(), customer("C-002")])  # in other bytes than good.xlsx
    code, shown = run_on_terminal(
        env, "inbox", str(inbox(env)), "--config", str(env.config), "--ledger", env.ledger_url,
        "--out", str(env.out), "--as-of", "2026-11-24")
    assert code == 0, shown
    lines = [line for line in shown.splitlines() if not line.startswith("/")]  # stdout: paths
    assert lines == [
        "P-ACME/bad.xlsx: rejected, 1 problem(s); filed as "
        f"{inbox(env) / 'P-ACME' / 'rejected' / 'bad.xlsx'}",
        "P-ACME/good.xlsx: done, committed, 1 invoice(s)",
        "P-ACME/same.xlsx: done, duplicate, nothing new",
        "seatbatch inbox: 2 done, 1 rejected, 0 waiting",
    ]


def test_not_the_workbooks_fault_puts_it_back_and_exits_2(env: Env) -> None:
    good(env, "a.xlsx", "L1")
    assert run_inbox(env).code == 0
    good(env, "b.xlsx", "L2")
    earlier = run_inbox(env, as_of=date(2026, 11, 20))  # before the last invoice's date
    assert earlier.code == 2, earlier.stderr
    assert "INV-2026-000001" in earlier.stderr and "left waiting" in earlier.stderr
    assert waiting(env) == ["b.xlsx"]
    assert shelf(env, "P-ACME", "rejected") == []
    assert earlier.stderr.splitlines()[-1] == "seatbatch inbox: 0 done, 0 rejected, 1 waiting"


def test_usage_and_configuration_problems_exit_2(env: Env) -> None:
    missing = env.run("inbox", env.root / "nowhere")
    assert missing.code == 2 and "nowhere" in missing.stderr
    (env.root / "a-file").write_text("")
    assert env.run("inbox", env.root / "a-file").code == 2
    good(env, "orders.xlsx", "L1")
    no_config = env.run("inbox", inbox(env), "--config", env.root / "none.toml", common=False)
    assert no_config.code == 2 and "configuration error" in no_config.stderr
    assert waiting(env) == ["orders.xlsx"]


def test_a_bug_files_the_workbook_as_failed_with_its_log_and_exits_70(env: Env) -> None:
    Ledger.open(env.ledger_url, write=True).close()
    env.query("DROP TABLE runs")  # the newest version's tables, one of another shape
    env.query("CREATE TABLE runs (run_id TEXT)")
    good(env, "orders.xlsx", "L1")
    result = run_inbox(env)
    assert result.code == 70, result.stderr
    assert shelf(env, "P-ACME", "rejected") == ["orders.xlsx"]
    filed = note(env, "P-ACME", "rejected", "orders.xlsx")
    assert (filed["status"], filed["exit_code"], filed["run_folder"]) == ("failed", 70, None)
    assert Path(filed["error_log"]).is_file()
    assert "internal error" in result.stderr and filed["error_log"] in result.stderr
    assert result.stderr.splitlines()[-1] == (
        "seatbatch inbox: 0 done, 0 rejected, 0 waiting, 1 failed")


def test_a_claim_left_by_a_crashed_run_is_reported_not_reprocessed(env: Env) -> None:
    claim = inbox(env) / "P-ACME" / ".claimed" / "0123abcd"
    claim.mkdir(parents=True)
    write_order_workbook(claim / "lost.xlsx", {"Customers": [customer()], "Devices": [],
                                               "Orders": [order()]})
    hours_ago = time.time() - 2 * 3600
    os.utime(claim, (hours_ago, hours_ago))
    result = run_inbox(env)
    assert result.code == 0, result.stderr
    assert "P-ACME/lost.xlsx has been claimed for 2 hour(s)" in result.stderr
    assert str(claim / "lost.xlsx") in result.stderr
    assert (claim / "lost.xlsx").exists()
    assert result.stdout == "" and not env.ledger_exists()


def test_filing_and_putting_back_never_replace_a_file(tmp_path: Path) -> None:
    from seatbatch.inbox import _move_no_clobber, _numbered, shown

    newer, claimed = tmp_path / "orders.xlsx", tmp_path / "claim" / "orders.xlsx"
    claimed.parent.mkdir()
    newer.write_text("newer upload")
    claimed.write_text("claimed")
    assert not _move_no_clobber(claimed, newer)
    assert newer.read_text() == "newer upload" and claimed.exists()
    names = _numbered("orders.xlsx")
    assert [next(names) for _ in range(3)] == ["orders.xlsx", "orders (2).xlsx", "orders (3).xlsx"]
    assert _move_no_clobber(claimed, tmp_path / "orders (2).xlsx")
    assert not claimed.exists() and (tmp_path / "orders (2).xlsx").read_text() == "claimed"
    assert shown("März 東京.xlsx") == "März 東京.xlsx"
    assert shown("a\nb\x1b[31m.xlsx") == "'a\\nb\\x1b[31m.xlsx'"


def test_a_name_too_long_for_its_note_is_left_waiting_with_a_warning(env: Env) -> None:
    name = "o" * 201 + ".xlsx"
    good(env, name, "L1")
    result = run_inbox(env)
    assert result.code == 0, result.stderr
    assert "longer than 200 bytes; rename it shorter" in result.stderr
    assert waiting(env) == [name] and not env.ledger_exists()


def test_a_file_swapped_for_a_link_after_the_scan_is_not_followed(env: Env) -> None:
    from seatbatch.commands import Settings
    from seatbatch.inbox import Inbox

    secret = env.root / "other-partner.xlsx"
    secret.write_bytes(b"another partner's workbook")
    folder = inbox(env) / "P-ACME"
    folder.mkdir(parents=True)
    (folder / "orders.xlsx").symlink_to(secret)
    settings = Settings(load_config(env.config), env.ledger_url, date(2026, 11, 24), env.out)
    with Inbox(settings, inbox(env)).claim("P-ACME", "orders.xlsx") as claimed:
        assert claimed is None
    assert (folder / "orders.xlsx").is_symlink() and no_claims_left(env)
    assert not env.out.exists()
