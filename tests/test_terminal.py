"""Progress on a terminal, silence under cron (SPEC §6)."""

from __future__ import annotations

import os
import pty
import subprocess
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pytest

from conftest import AS_OF, CONFIG, SEATBATCH, Env, customer, environment, order

# the subject is progress output on a terminal, not the ledger
pytestmark = pytest.mark.sqlite_only


def _shown(leader: int) -> str:
    """What the pseudo-terminal showed until the command closed it; `leader` closed."""
    shown = b""
    deadline = time.monotonic() + 600  # (only a hung command comes near it)
    while time.monotonic() < deadline:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed: the command has ended
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    return shown.decode(errors="replace")


def _on_terminal(env: Env, args: Sequence[str | Path], as_of: date | None, *,
                 stdout_too: bool) -> tuple[int, str, str]:
    """The command, with this test's common options, run with stderr on a pseudo-terminal
    (and stdout too, or else to a pipe): its exit code, its stdout when piped, what the
    terminal showed."""
    leader, follower = pty.openpty()
    process = subprocess.Popen([str(SEATBATCH), *map(str, args), *env.common(as_of)],
                               stdin=subprocess.DEVNULL,
                               stdout=follower if stdout_too else subprocess.PIPE,
                               stderr=follower, env=environment(NO_COLOR="1"), cwd=env.root)
    os.close(follower)
    shown = _shown(leader)
    stdout = ""
    if process.stdout is not None:
        stdout = process.stdout.read().decode()
        process.stdout.close()
    return process.wait(timeout=120), stdout, shown


def run_on_terminal(env: Env, *args: str | Path, as_of: date | None = AS_OF
                    ) -> tuple[int, str]:
    """Run the command with stdout and stderr on a pseudo-terminal; return what it showed."""
    code, _, shown = _on_terminal(env, args, as_of, stdout_too=True)
    return code, shown


def stderr_on_terminal(env: Env, *args: str | Path, as_of: date | None = AS_OF
                       ) -> tuple[int, str, list[str]]:
    """Run the command with stderr alone on a pseudo-terminal, stdout to a pipe: its exit
    code, its stdout, and the lines its stderr showed (a progress bar's redrawn states each
    a line of its own)."""
    code, stdout, shown = _on_terminal(env, args, as_of, stdout_too=False)
    return code, stdout, shown.splitlines()


def test_progress_on_a_terminal_and_silence_without_one(env: Env) -> None:
    book = env.workbook(customers=[customer()], orders=[order()])
    code, shown = run_on_terminal(env, "quote", str(book), "--partner", "P-ACME")
    assert code == 0
    assert "Reading orders.xlsx" in shown
    assert "1 estimated invoice(s), nothing recorded, 324.00 EUR" in shown
    assert "/invoices/quote.html\r\nsummary: " in shown  # what to open: the estimate
    assert "\x1b[3" not in shown and "\x1b[9" not in shown  # NO_COLOR: no colour codes

    code, shown = run_on_terminal(env, "process", str(book), "--partner", "P-ACME")
    assert code == 0
    assert "Writing invoices" in shown and "100%" in shown

    cron = env.process(env.workbook("again.xlsx", customers=[customer()],  # as cron runs it
                                    orders=[order("L2", subscription="S2")]), cron=True)
    assert cron.code == 0 and cron.stderr == ""
    assert cron.stdout == f"{cron.folder}\n"


def test_renew_and_report_show_progress_on_a_terminal(env: Env) -> None:
    first = env.process(env.workbook(customers=[customer()], orders=[
        order(term_years=1, start_date=date(2026, 1, 5))]), as_of=date(2026, 1, 5))
    assert first.code == 0, first.stderr
    day = date(2027, 1, 2)
    code, shown = run_on_terminal(env, "renew", "--month", "2027-01", as_of=day)
    assert code == 0
    assert "Writing invoices" in shown and "100%" in shown
    assert "1 renewal invoice(s) for 2027-01" in shown

    code, shown = run_on_terminal(env, "report", "--month", "2027-01", as_of=day)
    assert code == 0
    assert "Reading the ledger for 2027-01" in shown
    assert "month end 2027-01: 1 invoice(s)" in shown
    assert "Totalling 1 invoice(s) and the renewals due in 2027-02" in shown
    assert "Writing report.xlsx: 1 invoice(s), 1 line(s)" in shown
    assert "Writing report.xlsx: Invoice lines  [" in shown  # a bar: a row per line
    assert "Writing report.html" in shown
    assert "report: " in shown and "report.html" in shown
    assert "journal: " in shown and "journal.csv" in shown


# --- what a run ends with on a terminal (issue 15, item 15) -----------------------------------

def test_what_a_run_ends_with_on_a_terminal(tmp_path: Path) -> None:
    from seatbatch.cli.progress import ended
    from seatbatch.jobs.base import Issued, Outcome

    (tmp_path / "summary.html").write_text("")
    outcome = Outcome(0, tmp_path, [], issued=Issued(
        (("INV-2026-000012", "NOK", "12345.00"), ("INV-2026-000013", "JPY", "5")), 14,
        {"NOK": "1234567.50", "JPY": "99"}, already_processed=5,
        already_invoiced=tuple(f"INV-2026-00000{n}" for n in range(1, 5))))
    assert ended(outcome) == [
        "14 invoices, amount payable:",
        "  INV-2026-000012  NOK    12,345.00",
        "  INV-2026-000013  JPY            5",
        "  … and 12 more",
        "  total            JPY           99",
        "  total            NOK 1,234,567.50",
        "5 lines were already processed by an earlier run (on INV-2026-000001, "
        "INV-2026-000002, INV-2026-000003 and 1 more): not invoiced again",
        f"summary: {tmp_path / 'summary.html'}",
    ]
    assert ended(Outcome(0, None, [])) == []  # no run folder (the inbox, a ledger copy)


def test_process_on_a_terminal_names_its_invoices_and_summary(env: Env) -> None:
    """Twelve invoices of 1,296.00 EUR: the first ten named, the total; stdout stays the run
    folder's path alone."""
    customers = [customer(f"C-{n:03d}") for n in range(1, 13)]
    lines = [order(f"L{n}", customer_id=f"C-{n:03d}", subscription=f"S{n}", seats=4)
             for n in range(1, 13)]
    book = env.workbook(customers=customers, orders=lines)
    code, stdout, shown = stderr_on_terminal(env, "process", book, "--partner", "P-ACME")
    assert code == 0, shown
    folder = Path(stdout.removesuffix("\n"))
    assert stdout == f"{folder}\n" and folder.parent == env.out
    assert "orders.xlsx: 12 invoice(s) issued, 15,552.00 EUR" in shown
    assert shown[shown.index("12 invoices, amount payable:"):] == [
        "12 invoices, amount payable:",
        *(f"  INV-2026-{n:06d}  EUR  1,296.00" for n in range(1, 11)),
        "  … and 2 more",
        "  total            EUR 15,552.00",
        f"summary: {folder / 'summary.html'}",
    ]

    again = env.workbook("again.xlsx", customers=customers, orders=[
        *lines, order("L13", subscription="S13", seats=4)])
    code, stdout, shown = stderr_on_terminal(env, "process", again, "--partner", "P-ACME")
    assert code == 0, shown
    folder = Path(stdout.removesuffix("\n"))
    assert shown[shown.index("1 invoice, amount payable:"):] == [
        "1 invoice, amount payable:",
        "  INV-2026-000013  EUR 1,296.00",
        "12 lines were already processed by an earlier run (on INV-2026-000001, "
        "INV-2026-000002, INV-2026-000003 and 9 more): not invoiced again",
        f"summary: {folder / 'summary.html'}",
    ]

    cron = env.process(again, cron=True)  # the same under cron: the run folder alone
    assert cron.code == 0 and cron.stderr == ""
    assert cron.stdout == f"{cron.folder}\n" and cron.manifest["status"] == "duplicate"


def test_a_rejected_workbook_on_a_terminal_names_its_marked_copy(env: Env) -> None:
    book = env.workbook(customers=[customer()], orders=[order(seats=0)])
    code, stdout, shown = stderr_on_terminal(env, "process", book, "--partner", "P-ACME")
    assert code == 1
    folder = Path(stdout.removesuffix("\n"))
    assert shown[-2:] == [f"marked workbook: {folder / 'rejected.xlsx'}",
                          f"summary: {folder / 'summary.html'}"]


def test_renew_and_credit_on_a_terminal_name_what_they_issued(env: Env) -> None:
    for partner in ("P-ACME", "P-TOKYO"):
        book = env.workbook(f"{partner}.xlsx", customers=[customer()], orders=[
            order(term_years=1, seats=10, start_date=date(2026, 1, 5))])
        assert env.process(book, partner, as_of=date(2026, 1, 5)).code == 0
    code, stdout, shown = stderr_on_terminal(env, "renew", "--month", "2027-01",
                                             as_of=date(2027, 1, 2))
    assert code == 0, shown
    folder = Path(stdout.removesuffix("\n"))
    assert shown[shown.index("2 invoices, amount payable:"):] == [
        "2 invoices, amount payable:",
        "  INV-2027-000001  EUR 1,200.00",
        "  INV-2027-000002  JPY  210,000",
        "  total            EUR 1,200.00",
        "  total            JPY  210,000",
        f"summary: {folder / 'summary.html'}",
    ]

    code, stdout, shown = stderr_on_terminal(env, "credit", "INV-2027-000001", "--reason",
                                             "Ordered twice", as_of=date(2027, 1, 2))
    assert code == 0, shown
    folder = Path(stdout.removesuffix("\n"))
    assert "CN-2027-000001 credits INV-2027-000001: 1,200.00 EUR" in shown
    assert shown[shown.index("1 credit note, amount to be refunded or set off:"):] == [
        "1 credit note, amount to be refunded or set off:",
        "  CN-2027-000001  EUR 1,200.00",
        f"summary: {folder / 'summary.html'}",
    ]


# --- text from input on stderr or a terminal: control characters escaped (finding 17) --------

FORGED = "Space\nseatbatch: forged line\x1b[2J\u202eX\u2028Y\x9b\x7f"
FORGED_SHOWN = "Space\\nseatbatch: forged line\\x1b[2J\\u202eX\\u2028Y\\x9b\\x7f"


def test_escaped_shows_every_control_character() -> None:
    from seatbatch.cli.console import escaped
    assert escaped("plain Ærøskøbing 東京 text") == "plain Ærøskøbing 東京 text"
    assert escaped("\t\r\n\x00\x1b\x7f\x85\x9b") == "\\t\\r\\n\\x00\\x1b\\x7f\\x85\\x9b"
    assert escaped("\u2028\u2029\u202a\u202e\u2066\u2069\u200f\ufeff") == (
        "\\u2028\\u2029\\u202a\\u202e\\u2066\\u2069\\u200f\\ufeff")


def test_a_line_break_or_escape_in_a_cell_never_reaches_stderr_raw(env: Env) -> None:
    result = env.process(env.workbook(customers=[customer()],
                                      orders=[order(device_type=FORGED)]))
    assert result.code == 1
    assert result.stderr.splitlines() == [
        "seatbatch: input rejected, 1 problem(s); nothing was committed:",
        f"  Orders row 2, column device_type: '{FORGED_SHOWN}' is not a device type of the "
        "price list; device types are: Space Pro, Space Plus, Space CO2 Mini",
    ]
    assert all(c.isprintable() for c in result.stderr.replace("\n", ""))


def test_a_file_name_with_escapes_is_escaped_on_a_terminal(env: Env) -> None:
    """The progress lines name the workbook: its name is input too."""
    book = env.workbook("e\x1b[31mvil\u202e.xlsx", customers=[customer()], orders=[order()])
    code, shown = run_on_terminal(env, "quote", str(book), "--partner", "P-ACME")
    assert code == 0
    assert "Reading e\\x1b[31mvil\\u202e.xlsx" in shown
    assert "\x1b[31m" not in shown and "\u202e" not in shown


def test_a_usage_error_quoting_the_command_line_is_escaped(env: Env) -> None:
    result = env.run("report", "--month", "20\x1b[2J26-11\nseatbatch: forged")
    assert result.code == 2
    assert "'20\\x1b[2J26-11\\nseatbatch: forged' is not a month like 2026-11" in result.stderr
    assert "\x1b" not in result.stderr and "\nseatbatch: forged" not in result.stderr


def test_a_configuration_key_with_escapes_is_escaped(env: Env) -> None:
    env.config.write_text(CONFIG + '\n[partners."P\\u001b[2J\\u2028x"]\nname = "N"\n'
                                   'currency = "EUR"\n')
    result = env.process(env.workbook(orders=[order()]))
    assert result.code == 2
    assert "partners.P\\x1b[2J\\u2028x: a partner id is" in result.stderr
    assert "\x1b" not in result.stderr and "\u2028" not in result.stderr


def test_an_idle_inbox_says_so_on_a_terminal_and_nothing_under_cron(env: Env) -> None:
    """Cron mails what a run prints: a run that found nothing and nothing wrong prints
    nothing there; on a terminal it says it found nothing."""
    (env.root / "inbox" / "P-ACME").mkdir(parents=True)
    code, shown = run_on_terminal(env, "inbox", str(env.root / "inbox"), as_of=None)
    assert code == 0 and shown.strip() == "seatbatch inbox: nothing waiting"
    cron = env.run("inbox", env.root / "inbox", cron=True)
    assert (cron.code, cron.stdout, cron.stderr) == (0, "", "")
