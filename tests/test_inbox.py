"""`seatbatch inbox DIR` end to end, as cron runs it: claim, process, file, and leave waiting."""

from __future__ import annotations

import contextlib
import faulthandler
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from conftest import SEATBATCH, Env, Result, customer, environment, order, read_manifest
from seatbatch.core.config import load_config
from seatbatch.ledger import Ledger
from seatbatch.output.order_workbook import write_order_workbook
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
    """The workbooks filed in done/ or rejected/ (without their notes and answers)."""
    return workbooks_filed(inbox(env) / partner / which)


def workbooks_filed(folder: Path) -> list[str]:
    """The names in a done/ or rejected/ folder but the notes, error logs and what the notes
    name as filed beside their workbooks."""
    if not folder.is_dir():
        return []
    answers = set()
    for path in folder.glob("*.json"):
        with contextlib.suppress(OSError):  # a link some tests leave there
            answers |= set(json.loads(path.read_text()).get("answers", {}).values())
    return sorted(p.name for p in folder.iterdir()  # (notes name them as valid text)
                  if not p.name.endswith((".json", ".error.log"))
                  and os.fsencode(p.name).decode("utf-8", "replace") not in answers)


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
    assert again.stderr == ""  # cron mails nothing when nothing came


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
        # the reason too, as process says it: the operator's mail tells what went wrong
        "  Orders row 2, column seats: seats must be a whole number from 1 to 100000; got -1",
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
    said = result.stderr.splitlines()  # the newline in a name cannot forge a line
    lines = [line for line in said if not line.startswith("  ")]  # each rejection's reasons
    assert len(lines) == 4 and len(said) == 4 + 3
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
    outputs = [run.communicate(timeout=600) for run in runs]
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


def test_a_rejection_says_its_first_reasons_and_counts_the_rest(env: Env) -> None:
    drop(env, "many.xlsx", orders=[order(f"L{n}", subscription=f"S{n}", seats=-1)
                                   for n in range(5)])
    lines = run_inbox(env).stderr.splitlines()
    assert lines[0].startswith("P-ACME/many.xlsx: rejected, 5 problem(s); filed as ")
    assert [line.split(":")[0] for line in lines[1:4]] == [
        "  Orders row 2, column seats", "  Orders row 3, column seats",
        "  Orders row 4, column seats"]
    assert lines[4] == ("  ... and 2 more: in the summary and the marked workbook filed beside "
                        "it")


def test_on_a_terminal_one_line_per_workbook(env: Env) -> None:
    good(env, "good.xlsx", "L1")
    bad(env, "bad.xlsx", "L2")
    drop(env, "same.xlsx", orders=[order("L1", subscription="L1")],  # already processed,
         customers=[customer(), customer("C-002")])  # in other bytes than good.xlsx
    code, shown = run_on_terminal(env, "inbox", inbox(env))
    assert code == 0, shown
    lines = [line for line in shown.splitlines() if not line.startswith("/")]  # stdout: paths
    assert lines == [
        "P-ACME/bad.xlsx: rejected, 1 problem(s); filed as "
        f"{inbox(env) / 'P-ACME' / 'rejected' / 'bad.xlsx'}",
        "  Orders row 2, column seats: seats must be a whole number from 1 to 100000; got -1",
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


def test_a_stale_claim_holding_only_staged_answers_is_cleared(env: Env) -> None:
    """A run killed after filing its workbook, before it cleared the answers it staged (or a
    person took the workbook out): the copies of the partner's invoices do not stay forever."""
    claim = inbox(env) / "P-ACME" / ".claimed" / "0123abcd"
    (claim / ".answers" / "invoices").mkdir(parents=True)
    (claim / ".answers" / "invoices" / "INV-2026-000001.pdf").write_bytes(b"%PDF-1.7")
    hours_ago = time.time() - 3 * 3600
    os.utime(claim, (hours_ago, hours_ago))
    result = run_inbox(env)
    assert result.code == 0, result.stderr
    assert not claim.exists() and "claimed for" not in result.stderr


def test_filing_and_putting_back_never_replace_a_file(tmp_path: Path) -> None:
    from seatbatch.jobs.inbox_folders import _numbered, move_no_clobber, shown

    (tmp_path / "claim").mkdir()
    newer, claimed = tmp_path / "orders.xlsx", tmp_path / "claim" / "orders.xlsx"
    newer.write_text("newer upload")
    claimed.write_text("claimed")
    (tmp_path / "a link.xlsx").symlink_to(tmp_path / "elsewhere.xlsx")
    folder = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    claim = os.open(tmp_path / "claim", os.O_RDONLY | os.O_DIRECTORY)
    try:
        assert not move_no_clobber("orders.xlsx", claim, "orders.xlsx", folder)
        assert newer.read_text() == "newer upload" and claimed.exists()
        assert not move_no_clobber("orders.xlsx", claim, "a link.xlsx", folder)
        assert not (tmp_path / "elsewhere.xlsx").exists()  # never through a dangling link
        names = _numbered("orders.xlsx")
        assert [next(names) for _ in range(3)] == [
            "orders.xlsx", "orders (2).xlsx", "orders (3).xlsx"]
        assert move_no_clobber("orders.xlsx", claim, "orders (2).xlsx", folder)
        assert not claimed.exists() and (tmp_path / "orders (2).xlsx").read_text() == "claimed"
    finally:
        os.close(folder)
        os.close(claim)
    assert shown("März 東京.xlsx") == "März 東京.xlsx"
    assert shown("a\nb\x1b[31m.xlsx") == "'a\\nb\\x1b[31m.xlsx'"


def test_a_name_too_long_for_its_note_is_left_waiting_with_a_warning(env: Env) -> None:
    name = "o" * 201 + ".xlsx"
    good(env, name, "L1")
    result = run_inbox(env)
    assert result.code == 0, result.stderr
    assert "longer than 200 bytes; rename it shorter" in result.stderr
    assert waiting(env) == [name] and not env.ledger_exists()
    # an order waits on it: said on every run, not once as a stray file is
    assert "longer than 200 bytes; rename it shorter" in run_inbox(env).stderr


def test_a_file_swapped_for_a_link_after_the_scan_is_not_followed(env: Env,
                                                                  tmp_path: Path) -> None:
    """The scan leaves links alone; one that takes a workbook's place after the scan is
    claimed (a rename moves the link itself), found to be no regular file, and put back:
    never opened, never read."""
    from seatbatch.jobs import Settings
    from seatbatch.jobs.inbox import Inbox
    from seatbatch.jobs.inbox_folders import PartnerFolder

    secret = env.root / "other-partner.xlsx"
    secret.write_bytes(b"another partner's workbook")
    folder = inbox(env) / "P-ACME"
    folder.mkdir(parents=True)
    (folder / "orders.xlsx").symlink_to(secret)
    settings = Settings(load_config(env.config), env.ledger_url, date(2026, 11, 24), env.out)
    run = Inbox(settings, inbox(env))
    run.root = os.open(inbox(env), os.O_RDONLY | os.O_DIRECTORY)
    run.private = tmp_path / "private"
    run.private.mkdir()
    try:
        with PartnerFolder.open(run.root, inbox(env), "P-ACME") as partner:
            run.claim_and_process(partner, "orders.xlsx")
    finally:
        os.close(run.root)
    assert (folder / "orders.xlsx").is_symlink() and no_claims_left(env)
    assert list(run.private.iterdir()) == []
    assert secret.read_bytes() == b"another partner's workbook"
    assert not env.out.exists() and not env.ledger_exists()


# --- issue 11: what a partner's folder may hold ----------------------------------------------

def other_partners_go_on(env: Env, result: Result) -> None:
    """P-OTHER's workbook, waiting beside the trap, was committed and filed in the same run."""
    assert shelf(env, "P-OTHER", "done") == ["theirs.xlsx"], result.stderr
    assert note(env, "P-OTHER", "done", "theirs.xlsx")["status"] == "committed"


def test_done_and_rejected_made_links_are_never_written_through(env: Env) -> None:
    """Finding 5: done/ and rejected/ made links by the partner; workbooks and notes were
    written at the link targets."""
    outside = env.root / "outside"
    (outside / "a").mkdir(parents=True)
    (outside / "b").mkdir()
    good(env, "orders.xlsx", "L1")
    bad(env, "bad.xlsx", "L2")
    (inbox(env) / "P-ACME" / "done").symlink_to(outside / "a")
    (inbox(env) / "P-ACME" / "rejected").symlink_to(outside / "b")
    good(env, "theirs.xlsx", "L9", partner="P-OTHER")
    result = run_inbox(env)
    assert result.code == 0, result.stderr
    assert result.stderr.splitlines() == [
        "seatbatch inbox: P-ACME/done is a link, not a folder: P-ACME's workbooks are left "
        "waiting; make it a folder the inbox can write in (it never follows a link)",
        "seatbatch inbox: 1 done, 0 rejected, 2 waiting, 1 partner folder(s) left alone",
    ]
    assert sorted(outside.rglob("*")) == [outside / "a", outside / "b"]  # untouched
    assert waiting(env) == ["bad.xlsx", "orders.xlsx"] and no_claims_left(env)
    other_partners_go_on(env, result)
    assert env.invoice_numbers() == ["INV-2026-000001"]  # P-OTHER's alone
    [folder] = folders(result)
    assert read_manifest(folder)["partner_id"] == "P-OTHER"


def test_a_file_named_done_commits_nothing_of_that_partner_and_stops_no_one(env: Env) -> None:
    """Finding 6: a plain file named done: each run committed the partner's next workbook,
    could not file it, left it claimed forever and stopped with exit 2, the others waiting."""
    good(env, "orders.xlsx", "L1")
    (inbox(env) / "P-ACME" / "done").write_text("not a folder")
    good(env, "theirs.xlsx", "L9", partner="P-OTHER")
    for _ in range(2):  # said on every run, until a person puts it right
        result = run_inbox(env)
        assert result.code == 0, result.stderr
        assert result.stderr.splitlines()[0] == (
            "seatbatch inbox: P-ACME/done is a file, not a folder: P-ACME's workbooks are "
            "left waiting; make it a folder the inbox can write in (it never follows a link)")
    assert waiting(env) == ["done", "orders.xlsx"] and no_claims_left(env)
    other_partners_go_on(env, result)
    assert env.query("SELECT partner_id FROM runs") == [("P-OTHER",)]  # nothing of P-ACME's
    (inbox(env) / "P-ACME" / "done").unlink()
    fixed = run_inbox(env)
    assert fixed.code == 0, fixed.stderr
    assert shelf(env, "P-ACME", "done") == ["orders.xlsx"]


def test_a_file_named_claimed_stops_only_its_partner(env: Env) -> None:
    """Finding 6: a plain file named .claimed stopped every run at once, for everyone."""
    good(env, "orders.xlsx", "L1")
    (inbox(env) / "P-ACME" / ".claimed").write_text("not a folder")
    good(env, "theirs.xlsx", "L9", partner="P-OTHER")
    result = run_inbox(env)
    assert result.code == 0, result.stderr
    assert result.stderr.splitlines() == [
        "seatbatch inbox: P-ACME/.claimed is a file, not a folder: P-ACME's workbooks are "
        "left waiting; make it a folder the inbox can write in (it never follows a link)",
        "seatbatch inbox: 1 done, 0 rejected, 1 waiting, 1 partner folder(s) left alone",
    ]
    assert waiting(env) == [".claimed", "orders.xlsx"]
    other_partners_go_on(env, result)


def test_a_claimed_folder_made_a_link_is_never_written_through(env: Env) -> None:
    """Sibling of finding 5: .claimed a link (a claim folder was made at its target)."""
    outside = env.root / "outside"
    outside.mkdir()
    good(env, "orders.xlsx", "L1")
    (inbox(env) / "P-ACME" / ".claimed").symlink_to(outside)
    good(env, "theirs.xlsx", "L9", partner="P-OTHER")
    result = run_inbox(env)
    assert result.code == 0, result.stderr
    assert "P-ACME/.claimed is a link, not a folder" in result.stderr
    assert list(outside.iterdir()) == [] and waiting(env) == ["orders.xlsx"]
    other_partners_go_on(env, result)


def test_a_partner_folder_that_is_a_link_is_left_alone(env: Env) -> None:
    """Sibling of finding 5: the partner folder itself a link, here to another partner's
    folder: its workbooks were processed under the wrong partner, and filed through it."""
    good(env, "orders.xlsx", "L1")  # Acme's
    (inbox(env) / "P-TOKYO").symlink_to(inbox(env) / "P-ACME")
    good(env, "theirs.xlsx", "L9", partner="P-OTHER")
    result = run_inbox(env)
    assert result.code == 0, result.stderr
    assert result.stderr.splitlines()[0] == (
        "seatbatch inbox: P-TOKYO is a link, not a folder: P-TOKYO's workbooks are left "
        "waiting; make it a folder the inbox can write in (it never follows a link)")
    assert sorted(m["partner_id"] for m in map(read_manifest, folders(result))) == [
        "P-ACME", "P-OTHER"]  # Acme's workbook once, as Acme's
    assert shelf(env, "P-ACME", "done") == ["orders.xlsx"]
    other_partners_go_on(env, result)


def test_a_linked_workbook_is_never_read(env: Env) -> None:
    """Sibling: a workbook that is a link, to a file outside DIR or to another partner's
    workbook, is left alone (never opened: the link target is never read nor moved)."""
    secret = env.root / "shadow.xlsx"
    secret.write_bytes(b"root:secret")
    theirs = good(env, "theirs.xlsx", "L9", partner="P-OTHER")
    content = theirs.read_bytes()
    folder = inbox(env) / "P-ACME"
    folder.mkdir(parents=True)
    (folder / "shadow.xlsx").symlink_to(secret)
    (folder / "borrowed.xlsx").symlink_to(theirs)
    result = run_inbox(env)
    assert result.code == 0, result.stderr
    assert result.stderr.splitlines() == [
        "seatbatch inbox: warning: P-ACME/borrowed.xlsx: a link, not a workbook file; left "
        "alone",
        "seatbatch inbox: warning: P-ACME/shadow.xlsx: a link, not a workbook file; left alone",
        "seatbatch inbox: 1 done, 0 rejected, 0 waiting",
    ]
    assert secret.read_bytes() == b"root:secret"
    other_partners_go_on(env, result)
    assert (inbox(env) / "P-OTHER" / "done" / "theirs.xlsx").read_bytes() == content
    assert (folder / "shadow.xlsx").is_symlink() and (folder / "borrowed.xlsx").is_symlink()


def test_a_hard_linked_workbook_is_never_read(env: Env) -> None:
    """Sibling: a hard link is a regular file, but one of a file elsewhere (anything the
    inbox may read and the partner may not): left alone."""
    good(env, "theirs.xlsx", "L9", partner="P-OTHER")
    elsewhere = env.workbook("operators-own.xlsx", customers=[customer()], orders=[order()])
    folder = inbox(env) / "P-ACME"
    folder.mkdir(parents=True)
    os.link(elsewhere, folder / "borrowed.xlsx")
    result = run_inbox(env)
    assert result.code == 0, result.stderr
    assert result.stderr.splitlines()[0] == (
        "seatbatch inbox: warning: P-ACME/borrowed.xlsx: a file with other hard links, not a "
        "workbook file of its own; left alone")
    assert [read_manifest(f)["partner_id"] for f in folders(result)] == ["P-OTHER"]


def test_a_fifo_named_like_a_workbook_never_blocks_the_run(env: Env) -> None:
    """Sibling: opening a FIFO blocks until someone writes to it: never opened."""
    folder = inbox(env) / "P-ACME"
    folder.mkdir(parents=True)
    os.mkfifo(folder / "orders.xlsx")
    good(env, "theirs.xlsx", "L9", partner="P-OTHER")
    result = run_inbox(env)
    assert result.code == 0, result.stderr
    assert result.stderr.splitlines()[0] == (
        "seatbatch inbox: warning: P-ACME/orders.xlsx: a FIFO, not a workbook file; left alone")
    other_partners_go_on(env, result)


def test_a_name_already_filed_as_a_link_is_never_written_through(env: Env) -> None:
    """Sibling: done/<name> and done/<name>.json made links (dangling, to where the partner
    wants the inbox to write): the workbook is filed beside them, as "<name> (2)"."""
    outside = env.root / "outside"
    outside.mkdir()
    good(env, "orders.xlsx", "L1")
    done = inbox(env) / "P-ACME" / "done"
    done.mkdir()
    (done / "orders.xlsx").symlink_to(outside / "workbook")
    (done / "orders.xlsx.json").symlink_to(outside / "note")
    result = run_inbox(env)
    assert result.code == 0, result.stderr
    assert list(outside.iterdir()) == []
    assert note(env, "P-ACME", "done", "orders (2).xlsx")["status"] == "committed"
    assert (done / "orders (2).xlsx").is_file() and not (done / "orders (2).xlsx").is_symlink()


def test_a_name_that_is_not_utf8_is_processed_and_noted_as_valid_text(env: Env) -> None:
    """Sibling: a name in another encoding (Latin-1 "café") is a name of bytes, not text:
    processed and filed under its own bytes; the note and manifest carry it as valid text."""
    name = os.fsdecode(b"caf\xe9.xlsx")
    good(env, name, "L1")
    result = run_inbox(env)
    assert result.code == 0, result.stderr
    done = inbox(env) / "P-ACME" / "done"
    assert sorted(os.fsencode(p.name) for p in done.iterdir()) == [  # and its answers
        b"caf\xe9.xlsx", b"caf\xe9.xlsx.invoices", b"caf\xe9.xlsx.json",
        b"caf\xe9.xlsx.summary.html"]
    filed = json.loads((done / f"{name}.json").read_bytes().decode("utf-8"))
    assert filed["workbook"] == "caf\ufffd.xlsx" and filed["status"] == "committed"
    assert filed["answers"]["summary"] == "caf\ufffd.xlsx.summary.html"
    summary = (done / f"{name}.summary.html").read_text()
    assert 'href="caf%E9.xlsx.invoices/INV-2026-000001.html"' in summary  # its own bytes
    [folder] = folders(result)
    assert read_manifest(folder)["input"]["file"] == "caf\ufffd.xlsx"


def test_a_stale_claim_that_is_a_link_is_not_followed(env: Env) -> None:
    """Sibling: the stale-claim check listed (and removed empty) folders through links."""
    outside = env.root / "outside"
    (outside / "empty").mkdir(parents=True)
    (outside / "private-file").write_text("x")
    claimed = inbox(env) / "P-ACME" / ".claimed"
    claimed.mkdir(parents=True)
    (claimed / "0123abcd").symlink_to(outside)
    (claimed / "4567ef01").symlink_to(outside / "empty")
    hours_ago = time.time() - 2 * 3600
    for link in claimed.iterdir():
        os.utime(link, (hours_ago, hours_ago), follow_symlinks=False)
    result = run_inbox(env)
    assert (result.code, result.stderr) == (0, "")
    assert (outside / "empty").is_dir() and (outside / "private-file").exists()


MEMORY_LIMIT = 512 * 1024 * 1024
# Within every [limits] and the guard's bound on sparse sheets (1,000,000 order rows, each with
# two values, under a header of eight columns: a grid of 8 million cells, a quarter of them
# with values), yet python-calamine's dense grid of it needs more than 512 MB: under RLIMIT_AS,
# an allocation failure that the Rust reader answers with an abort (exit 134), as finding 7's
# did. (A sheet this large is what the default limits allow: see safety.DENSITY.)
DENSE_ROWS = 1_000_000


def dense_workbook() -> bytes:
    from hostile.make_corpus import ORDERS_SHEET, parts, rezip, valid_workbook

    members = parts(valid_workbook())
    text = members[ORDERS_SHEET].decode()
    start = text.index("<sheetData>") + len("<sheetData>")
    header = "".join(f'<c r="{c}1" t="inlineStr"><is><t>column {c}</t></is></c>'
                     for c in "ABCDEFGH")
    rows = "".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c><c r="B{n}"><v>1</v></c></row>'
                   for n in range(2, DENSE_ROWS + 2))
    members[ORDERS_SHEET] = (f'{text[:start]}<row r="1">{header}</row>{rows}</sheetData>'
                             "</worksheet>").encode()
    return rezip(members)


def run_bounded(env: Env, *args: str | Path) -> Result:
    """`seatbatch ARGS` as cron runs it, its address space (and its children's) bounded to
    512 MB: memory stays bounded, and a workbook that needs more dies in its own process."""
    argv = [str(SEATBATCH), *map(str, args), "--config", str(env.config), "--ledger",
            env.ledger_url, "--out", str(env.out), "--as-of", "2026-11-24"]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SEATBATCH_")}

    def bound() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    done = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          cwd=env.root, env=environment, timeout=600, preexec_fn=bound)
    assert "Traceback" not in done.stderr, done.stderr
    return Result(done.returncode, done.stdout, done.stderr)


def test_a_process_that_dies_leaves_no_invoice_workers_behind(env: Env) -> None:
    """Sibling of finding 7: a workbook large enough to be worth invoice workers starts them
    before it is read; when the reader then aborted, the workers waited on their queue forever,
    holding the command's stdout and stderr open, so that cron (or inbox) never saw it end."""
    path = env.root / "dense.xlsx"
    path.write_bytes(dense_workbook())
    result = run_bounded(env, "process", path, "--partner", "P-ACME")  # ends: pipes closed
    assert result.code == -signal.SIGABRT, result.stderr
    assert "memory allocation" in result.stderr
    left = [p for p in Path("/proc").iterdir() if p.name.isdigit()
            and str(path).encode() in _cmdline(p)]
    assert left == []


def _cmdline(process: Path) -> bytes:
    try:
        return (process / "cmdline").read_bytes()
    except OSError:  # it ended meanwhile
        return b""


def test_a_workbook_whose_processing_dies_is_filed_as_failed_and_the_run_goes_on(
        env: Env) -> None:
    """Finding 7: a workbook that aborted the process (a Rust allocation failure) also
    aborted the whole inbox run and left the file claimed, with no note. Here the process is
    bounded to 512 MB, as memory is in production by the machine or a cgroup."""
    good(env, "a.xlsx", "L1")
    (inbox(env) / "P-ACME" / "b-dense.xlsx").write_bytes(dense_workbook())
    good(env, "c.xlsx", "L3")
    good(env, "theirs.xlsx", "L9", partner="P-OTHER")
    result = run_bounded(env, "inbox", inbox(env))
    assert result.code == 70, result.stderr
    *_, died, summary = result.stderr.splitlines()
    filed = note(env, "P-ACME", "rejected", "b-dense.xlsx")
    assert (filed["status"], filed["exit_code"], filed["run_folder"]) == ("failed", 70, None)
    assert filed["error"] == "its processing died: killed by signal 6, SIGABRT"
    log = Path(filed["error_log"])
    assert log.parent == inbox(env) / "P-ACME" / "rejected"
    assert "memory allocation" in log.read_text()  # what the reader said as it died
    assert died == (
        f"P-ACME/b-dense.xlsx: internal error: its processing died: killed by signal 6, "
        f"SIGABRT (details: {log}); filed as {inbox(env) / 'P-ACME' / 'rejected' / 'b-dense.xlsx'}")
    assert summary == "seatbatch inbox: 3 done, 0 rejected, 0 waiting, 1 failed"
    assert shelf(env, "P-ACME", "done") == ["a.xlsx", "c.xlsx"]  # the one after it too
    other_partners_go_on(env, result)
    assert no_claims_left(env) and waiting(env) == []
    assert len(env.invoice_numbers()) == 3
    # the claim is settled: the same bytes may be sent again once the problem is fixed
    assert env.query("SELECT outcome FROM inbox_claims WHERE name = 'b-dense.xlsx'") == [
        ("failed",)]


def test_a_child_that_dies_is_reported_with_how_and_what_it_printed() -> None:
    from seatbatch.jobs.isolated import Died, Finished, run_forked

    def abort() -> None:
        print("last words", file=sys.stderr, flush=True)
        faulthandler.disable()  # pytest's, which would print the abort on the test's stderr
        os.abort()

    died = run_forked(abort)
    assert isinstance(died, Died)
    assert (died.how, died.output, died.interrupted) == (
        "killed by signal 6, SIGABRT", "last words\n", False)
    finished = run_forked(lambda: {"answer": [42]})
    assert isinstance(finished, Finished) and finished.value == {"answer": [42]}
    failed = run_forked(lambda: 1 / 0)
    assert isinstance(failed, Died) and failed.how == "exited with status 70 without finishing"
    assert "ZeroDivisionError" in failed.output


def test_a_worker_serves_request_after_request_and_is_forked_again_when_it_dies() -> None:
    from seatbatch.jobs.isolated import Died, Finished, Worker

    def serve(request: str) -> list[int]:
        if request == "die":
            faulthandler.disable()
            os.abort()
        return [os.getpid(), len(request)]

    with Worker(serve) as worker:
        first, second = worker.ask("one"), worker.ask("three")
        assert isinstance(first, Finished) and isinstance(second, Finished)
        assert first.value[0] == second.value[0] != os.getpid()  # one worker, warm
        assert second.value[1] == 5
        died = worker.ask("die")
        assert isinstance(died, Died) and died.how == "killed by signal 6, SIGABRT"
        after = worker.ask("four")
        assert isinstance(after, Finished) and after.value[0] not in (first.value[0],
                                                                      os.getpid())
        os.kill(after.value[0], signal.SIGKILL)  # dies between requests: not the next's fault
        stat = Path(f"/proc/{after.value[0]}/stat")
        while stat.read_text().rsplit(")", 1)[1].split()[0] != "Z":  # until it is gone
            time.sleep(0.01)
        again = worker.ask("five")
        assert isinstance(again, Finished) and again.value[1] == 4


def test_an_oversized_workbook_is_hashed_whole_but_not_copied_whole(tmp_path: Path) -> None:
    """Sibling: the private copy of a claimed workbook must not take a second copy of a file
    far over max_file_mb: past the limit only the hash reads on, and the copy keeps the size
    (a hole), for the size check to reject it."""
    import hashlib

    from seatbatch.jobs.inbox_folders import private_copy

    content = os.urandom(1 << 20) * 6  # 6 MB
    (tmp_path / "claim").mkdir()
    (tmp_path / "claim" / "big.xlsx").write_bytes(content)
    (tmp_path / "private").mkdir()
    claim = os.open(tmp_path / "claim", os.O_RDONLY | os.O_DIRECTORY)
    try:
        copy = private_copy("big.xlsx", claim, tmp_path / "private", 1 << 20)
    finally:
        os.close(claim)
    assert copy.sha256 == hashlib.sha256(content).hexdigest()
    assert copy.path == tmp_path / "private" / "big.xlsx"
    assert copy.path.stat().st_size == len(content)
    assert copy.path.stat().st_blocks * 512 <= 3 << 20  # 1 MB and a block or two, no more


def test_a_name_whose_bytes_grow_as_text_past_the_limit_is_left_waiting(env: Env) -> None:
    """Sibling: 105 bytes as a name, but its private copy's name (each byte that is not
    UTF-8 made U+FFFD, three bytes) would not fit in a file name: said, and left waiting."""
    name = os.fsdecode(b"\xe9" * 100 + b".xlsx")
    good(env, name, "L1")
    result = run_inbox(env)
    assert result.code == 0, result.stderr
    assert "longer than 200 bytes; rename it shorter" in result.stderr
    assert waiting(env) == [name] and not env.ledger_exists()


def test_a_ledger_that_cannot_be_opened_for_a_full_disk_leaves_the_workbook_waiting() -> None:
    """Caught in review of the one exit-code map: the inbox took a LedgerError raised from
    SQLite's "database or disk is full" for a usage error (the run ends with exit 2) where it
    had called it busy (the workbook waits for the next run, which may find room)."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from seatbatch.core.config import ConfigError
    from seatbatch.jobs.inbox import _verdict_of
    from seatbatch.ledger import LedgerError

    try:
        try:
            raise OperationalError("BEGIN", {}, sqlite3.OperationalError(
                "database or disk is full"))
        except OperationalError as full:
            raise LedgerError("cannot use the ledger x.db: database or disk is full") from full
    except LedgerError as error:
        assert _verdict_of(error) == {"kind": "busy", "text": str(error)}
    two = ConfigError("seatbatch.toml", [("a", "wrong"), ("b", "wrong too")])
    assert _verdict_of(two) == {
        "kind": "usage",
        "text": "configuration error: seatbatch.toml: a: wrong; seatbatch.toml: b: wrong too"}


# --- issue 15 item 14: an inbox that answers where the partner looks --------------------------

def listing(folder: Path) -> list[str]:
    """Every path under `folder`, relative, sorted."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def links_of(page: Path) -> list[Path]:
    """Where the relative links of an HTML page lead."""
    import re
    from urllib.parse import unquote_to_bytes

    return [page.parent / os.fsdecode(unquote_to_bytes(href))
            for href in re.findall(r'href="([^"#:]+)"', page.read_text())]


def test_a_rejected_workbook_has_its_marked_copy_and_summary_beside_it(env: Env) -> None:
    name = "Bestellung März 2026.xlsx"
    bad(env, name, "L1")
    result = run_inbox(env, cron=True)
    assert result.code == 0, result.stderr
    [run] = folders(result)
    rejected = inbox(env) / "P-ACME" / "rejected"
    assert listing(rejected) == [name, f"{name}.json", f"{name}.rejected.xlsx",
                                 f"{name}.summary.html"]
    marked, summary = rejected / f"{name}.rejected.xlsx", rejected / f"{name}.summary.html"
    assert marked.read_bytes() == (run / "rejected.xlsx").read_bytes()
    assert links_of(summary) == [marked]  # "Fix the marked cells in …": the copy beside it
    assert f">{name}.rejected.xlsx</a>" in summary.read_text()
    assert "seats" in summary.read_text()
    assert note(env, "P-ACME", "rejected", name)["answers"] == {
        "summary": f"{name}.summary.html", "rejected_workbook": f"{name}.rejected.xlsx"}
    assert {"rejected.xlsx", "summary.html", "manifest.json"} <= set(listing(run))  # kept
    assert oct(marked.stat().st_mode & 0o777) == oct(0o666 & ~_umask())
    assert no_claims_left(env) and waiting(env) == []


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_a_processed_workbook_has_its_summary_and_invoices_beside_it(env: Env) -> None:
    """Each invoice as PDF and HTML when both are written, in a folder of the workbook's own:
    a hundred invoices do not bury the workbooks."""
    env.config.write_text(env.config.read_text().replace(
        'formats = ["xlsx", "html"]', 'formats = ["xlsx", "html", "pdf"]'))
    name = "orders  two customers.xlsx"
    drop(env, name, customers=[customer(), customer("C-002")],
         orders=[order("L1", subscription="S1"),
                 order("L2", subscription="S2", customer_id="C-002", po_number="PO-78")])
    result = run_inbox(env)
    assert result.code == 0, result.stderr
    [run] = folders(result)
    done = inbox(env) / "P-ACME" / "done"
    numbers = ["INV-2026-000001", "INV-2026-000002"]
    assert listing(done) == sorted(
        [name, f"{name}.invoices", f"{name}.json", f"{name}.summary.html"]
        + [f"{name}.invoices/{n}.{ext}" for n in numbers for ext in ("html", "pdf")])
    for number in numbers:
        for ext in ("html", "pdf"):
            copy = done / f"{name}.invoices" / f"{number}.{ext}"
            assert copy.read_bytes() == (run / "invoices" / f"{number}.{ext}").read_bytes()
    summary = done / f"{name}.summary.html"
    assert links_of(summary) == [done / f"{name}.invoices" / f"{n}.html" for n in numbers]
    assert all(link.is_file() for link in links_of(summary))
    assert note(env, "P-ACME", "done", name)["answers"] == {
        "summary": f"{name}.summary.html", "invoices": f"{name}.invoices"}
    assert (run / "invoices" / f"{numbers[0]}.xlsx").is_file()  # the workbook stays in the run


def test_without_pdf_or_html_the_invoice_workbooks_are_beside_it(env: Env) -> None:
    env.config.write_text(env.config.read_text().replace(
        'formats = ["xlsx", "html"]', 'formats = ["xlsx"]'))
    good(env, "orders.xlsx", "L1")
    assert run_inbox(env).code == 0
    done = inbox(env) / "P-ACME" / "done"
    assert listing(done / "orders.xlsx.invoices") == ["INV-2026-000001.xlsx"]


def test_a_workbook_with_nothing_new_has_its_summary_and_a_copy_sent_again_the_first_answer(
        env: Env) -> None:
    """The same bytes sent again have no run of their own: beside them, the answer of the run
    that processed them (as after a run stopped while it filed, which files them so next)."""
    book = good(env, "orders.xlsx", "L1")
    content = book.read_bytes()
    [first] = folders(run_inbox(env))
    drop(env, "again.xlsx", orders=[order("L1", subscription="L1")],  # other bytes: a run
         customers=[customer(), customer("C-002")])
    book.write_bytes(content)  # the same bytes: no run of their own
    assert run_inbox(env).code == 0
    done = inbox(env) / "P-ACME" / "done"
    assert listing(done) == [
        "again.xlsx", "again.xlsx.json", "again.xlsx.summary.html",
        "orders (2).xlsx", "orders (2).xlsx.invoices",
        "orders (2).xlsx.invoices/INV-2026-000001.html", "orders (2).xlsx.json",
        "orders (2).xlsx.summary.html",
        "orders.xlsx", "orders.xlsx.invoices", "orders.xlsx.invoices/INV-2026-000001.html",
        "orders.xlsx.json", "orders.xlsx.summary.html"]
    assert note(env, "P-ACME", "done", "again.xlsx")["status"] == "duplicate"
    again = note(env, "P-ACME", "done", "orders (2).xlsx")
    assert again["status"] == "duplicate" and again["run_folder"] == str(first)
    # the first answer, headed so that the partner does not read it as a second billing
    banner = (f'<p class="bad"><strong>Nothing new was issued for this file:</strong> its '
              f"content was processed before, by run {first.name}. What follows is that run's "
              "answer.</p>\n").encode()
    copied = (done / "orders (2).xlsx.summary.html").read_bytes()
    assert copied.count(banner) == 1
    assert copied.replace(banner, b"") == (done / "orders.xlsx.summary.html").read_bytes(
        ).replace(b"orders.xlsx.invoices/", b"orders%20%282%29.xlsx.invoices/")
    shutil.rmtree(first)  # its run folder gone: the note alone
    book.write_bytes(content)
    assert run_inbox(env).code == 0
    assert "answers" not in note(env, "P-ACME", "done", "orders (3).xlsx")
    assert [n for n in listing(done) if n.startswith("orders (3)")] == [
        "orders (3).xlsx", "orders (3).xlsx.json"]


def test_the_same_name_twice_and_the_marked_copy_sent_back_never_collide(env: Env) -> None:
    """Monday's orders.xlsx and Tuesday's are both rejected; on Wednesday the partner sends
    back the marked copy under the name it was given, still wrong: each is filed with its own
    answers, none over another."""
    rejected = inbox(env) / "P-ACME" / "rejected"
    bad(env, "orders.xlsx", "L1")
    assert run_inbox(env).code == 0
    monday = (rejected / "orders.xlsx.rejected.xlsx").read_bytes()
    bad(env, "orders.xlsx", "L2")
    assert run_inbox(env, as_of=date(2026, 11, 25)).code == 0
    drop(env, "orders.xlsx.rejected.xlsx",
         orders=[order("L3", subscription="L3", seats=-2)])
    result = run_inbox(env, as_of=date(2026, 11, 26))
    assert result.code == 0, result.stderr
    sent_back = "orders.xlsx.rejected (2).xlsx"
    assert f"filed as {rejected / sent_back}" in result.stderr
    assert listing(rejected) == sorted([
        "orders.xlsx", "orders.xlsx.json", "orders.xlsx.rejected.xlsx",
        "orders.xlsx.summary.html",
        "orders (2).xlsx", "orders (2).xlsx.json", "orders (2).xlsx.rejected.xlsx",
        "orders (2).xlsx.summary.html",
        sent_back, f"{sent_back}.json", f"{sent_back}.rejected.xlsx",
        f"{sent_back}.summary.html"])
    assert (rejected / "orders.xlsx.rejected.xlsx").read_bytes() == monday
    assert shelf(env, "P-ACME", "rejected") == sorted(["orders (2).xlsx", sent_back,
                                                        "orders.xlsx"])
    for filed in ("orders.xlsx", "orders (2).xlsx", sent_back):
        summary = rejected / f"{filed}.summary.html"
        assert links_of(summary) == [rejected / f"{filed}.rejected.xlsx"]


def test_an_answer_name_taken_moves_the_whole_filing_to_the_next_name(env: Env) -> None:
    """A link (or anything) where an answer would go: the workbook and all of its answers are
    filed under " (2)", nothing written through the link, nothing left under the first name."""
    outside = env.root / "outside"
    outside.mkdir()
    good(env, "orders.xlsx", "L1")
    done = inbox(env) / "P-ACME" / "done"
    done.mkdir(parents=True)
    (done / "orders.xlsx.summary.html").symlink_to(outside / "summary.html")
    result = run_inbox(env)
    assert result.code == 0, result.stderr
    assert listing(outside) == []
    assert listing(done) == [
        "orders (2).xlsx", "orders (2).xlsx.invoices",
        "orders (2).xlsx.invoices/INV-2026-000001.html", "orders (2).xlsx.json",
        "orders (2).xlsx.summary.html", "orders.xlsx.summary.html"]
    assert no_claims_left(env)


def test_filing_stopped_half_way_takes_back_what_it_placed(tmp_path: Path) -> None:
    """Ctrl-C (or any error) between the note and the workbook: the shelf is as it was, the
    workbook still claimed (put back to wait by the caller), nothing staged left."""
    from seatbatch.jobs.inbox_folders import STAGING, Beside, file_with, stage_folder

    claim_path, shelf_path = tmp_path / "claim", tmp_path / "done"
    claim_path.mkdir()
    shelf_path.mkdir()
    (claim_path / "orders.xlsx").write_bytes(b"workbook")
    (tmp_path / "INV-1.pdf").write_bytes(b"pdf")

    def stop(_candidate: str) -> bytes:
        raise KeyboardInterrupt

    claim = os.open(claim_path, os.O_RDONLY | os.O_DIRECTORY)
    shelf_fd = os.open(shelf_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.mkdir(STAGING, dir_fd=claim)
        staging = os.open(STAGING, os.O_RDONLY | os.O_DIRECTORY, dir_fd=claim)
        stage_folder([tmp_path / "INV-1.pdf"], "invoices", staging)
        os.close(staging)
        beside = [Beside(".json", content=lambda _candidate: b"{}"),
                  Beside(".invoices", staged="invoices"), Beside(".summary.html", content=stop)]
        try:
            file_with("orders.xlsx", claim, shelf_fd, beside)
        except KeyboardInterrupt:
            pass
        else:
            raise AssertionError("not stopped")
        assert listing(shelf_path) == []
        assert listing(claim_path) == ["orders.xlsx"]
        os.mkdir(STAGING, dir_fd=claim)  # again, to the end
        staging = os.open(STAGING, os.O_RDONLY | os.O_DIRECTORY, dir_fd=claim)
        stage_folder([tmp_path / "INV-1.pdf"], "invoices", staging)
        os.close(staging)
        beside[2] = Beside(".summary.html", content=lambda c: c.encode())
        assert file_with("orders.xlsx", claim, shelf_fd, beside) == "orders.xlsx"
    finally:
        os.close(claim)
        os.close(shelf_fd)
    assert listing(shelf_path) == ["orders.xlsx", "orders.xlsx.invoices",
                                   "orders.xlsx.invoices/INV-1.pdf", "orders.xlsx.json",
                                   "orders.xlsx.summary.html"]
    assert (shelf_path / "orders.xlsx.summary.html").read_text() == "orders.xlsx"
    assert listing(claim_path) == []


def test_a_stray_entry_is_reported_once_and_again_when_it_changes(env: Env) -> None:
    """Cron mails stderr: a file left alone is said once, not every five minutes; said again
    when it is changed (size or mtime), replaced by something else, or comes back."""
    good(env, "theirs.xlsx", "L9", partner="P-OTHER")
    partner = inbox(env) / "P-ACME"
    partner.mkdir(parents=True)
    (partner / "notes.txt").write_text("call back")
    (partner / "ünïcode notes.txt").write_text("x")
    (inbox(env) / "loose.xlsx").write_text("not in a partner folder")
    (inbox(env) / "P-NOBODY").mkdir()
    first = run_inbox(env, cron=True)
    assert first.code == 0, first.stderr
    assert first.stderr.splitlines() == [
        "seatbatch inbox: P-NOBODY: not a configured partner; left alone",
        "seatbatch inbox: loose.xlsx: a file outside any partner folder; left alone",
        "seatbatch inbox: warning: P-ACME/notes.txt: not an .xlsx workbook; left alone",
        "seatbatch inbox: warning: P-ACME/ünïcode notes.txt: not an .xlsx workbook; left alone",
        "seatbatch inbox: 1 done, 0 rejected, 0 waiting",
    ]
    second = run_inbox(env, cron=True)
    assert (second.code, second.stderr) == (0, "")

    (partner / "notes.txt").write_text("call back soon")  # changed
    (inbox(env) / "loose.xlsx").unlink()
    (inbox(env) / "loose.xlsx").symlink_to(partner / "notes.txt")  # now a link: not the same
    (inbox(env) / "P-NOBODY" / "stranger.xlsx").write_text("x")  # the folder changed
    (partner / "new.pdf").write_text("x")
    third = run_inbox(env, cron=True)
    assert third.stderr.splitlines() == [  # not the unicode name: it is as it was
        "seatbatch inbox: P-NOBODY: not a configured partner; left alone",
        "seatbatch inbox: loose.xlsx: a file outside any partner folder; left alone",
        "seatbatch inbox: warning: P-ACME/new.pdf: not an .xlsx workbook; left alone",
        "seatbatch inbox: warning: P-ACME/notes.txt: not an .xlsx workbook; left alone",
        "seatbatch inbox: 0 done, 0 rejected, 0 waiting",
    ]
    assert third.code == 0
    (partner / "new.pdf").unlink()
    assert run_inbox(env).stderr == ""
    (partner / "new.pdf").write_text("x")  # gone and back: new again
    back = run_inbox(env)
    assert back.stderr.splitlines()[0] == (
        "seatbatch inbox: warning: P-ACME/new.pdf: not an .xlsx workbook; left alone")
    state = inbox(env) / ".seatbatch-inbox" / "reported.json"
    assert sorted(json.loads(state.read_text())["reported"]) == [
        "P-ACME/new.pdf", "P-ACME/notes.txt", "P-ACME/ünïcode notes.txt", "P-NOBODY",
        "loose.xlsx"]


def test_a_state_folder_made_a_link_is_not_followed_and_strays_are_said_every_run(
        env: Env) -> None:
    outside = env.root / "outside"
    outside.mkdir()
    (inbox(env) / "P-ACME").mkdir(parents=True)
    (inbox(env) / ".seatbatch-inbox").symlink_to(outside)
    (inbox(env) / "P-ACME" / "notes.txt").write_text("call back")
    for _ in range(2):
        result = run_inbox(env)
        assert result.code == 0, result.stderr
        assert result.stderr.splitlines() == [
            "seatbatch inbox: warning: .seatbatch-inbox is a link, not a folder; what is left "
            "alone in DIR is reported on every run until .seatbatch-inbox is a folder the "
            "inbox can write in",
            "seatbatch inbox: warning: P-ACME/notes.txt: not an .xlsx workbook; left alone",
            "seatbatch inbox: 0 done, 0 rejected, 0 waiting",
        ]
    assert listing(outside) == []


def test_a_run_killed_while_filing_leaves_what_the_next_runs_handle(env: Env) -> None:
    """Killed (SIGKILL, power) after the note and an answer were placed, before the workbook
    moved: the next run says the workbook is still claimed (not its staged answers), and a new
    upload of the same name is filed beside the orphans as " (2)", over nothing."""
    claim = inbox(env) / "P-ACME" / ".claimed" / "0123abcd"
    (claim / ".answers" / "invoices").mkdir(parents=True)
    (claim / ".answers" / "invoices" / "INV-2026-000009.html").write_text("staged")
    write_order_workbook(claim / "orders.xlsx", {"Customers": [customer()], "Devices": [],
                                                 "Orders": [order("L0", subscription="L0")]})
    done = inbox(env) / "P-ACME" / "done"
    done.mkdir()
    (done / "orders.xlsx.json").write_text('{"status": "committed"}')
    (done / "orders.xlsx.summary.html").write_text("the killed run's")
    hours_ago = time.time() - 2 * 3600
    os.utime(claim, (hours_ago, hours_ago))
    good(env, "orders.xlsx", "L1")
    result = run_inbox(env)
    assert result.code == 0, result.stderr
    stale = [line for line in result.stderr.splitlines() if "has been claimed" in line]
    assert len(stale) == 1 and "P-ACME/orders.xlsx has been claimed for 2 hour(s)" in stale[0]
    assert (done / "orders.xlsx.summary.html").read_text() == "the killed run's"
    assert listing(done) == [
        "orders (2).xlsx", "orders (2).xlsx.invoices",
        "orders (2).xlsx.invoices/INV-2026-000001.html", "orders (2).xlsx.json",
        "orders (2).xlsx.summary.html", "orders.xlsx.json", "orders.xlsx.summary.html"]
    assert note(env, "P-ACME", "done", "orders (2).xlsx")["answers"] == {
        "summary": "orders (2).xlsx.summary.html", "invoices": "orders (2).xlsx.invoices"}
    assert (claim / "orders.xlsx").is_file()  # a person decides, as before


def test_two_runs_at_once_report_a_stray_entry_once_between_them(env: Env) -> None:
    partner = inbox(env) / "P-ACME"
    partner.mkdir(parents=True)
    for number in range(20):
        (partner / f"notes {number}.txt").write_text("call back")
    argv = [str(SEATBATCH), "inbox", str(inbox(env)), "--config", str(env.config), "--ledger",
            env.ledger_url, "--out", str(env.out), "--as-of", "2026-11-24"]
    runs = [subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=environment())
            for _ in range(3)]
    said = Counter(line for run in runs for line in run.communicate(timeout=600)[1].splitlines())
    assert [run.returncode for run in runs] == [0, 0, 0]
    assert said == Counter({
        **{f"seatbatch inbox: warning: P-ACME/notes {n}.txt: not an .xlsx workbook; left alone": 1
           for n in range(20)},
        "seatbatch inbox: 0 done, 0 rejected, 0 waiting": 1})  # the others said nothing
