"""The installed `seatbatch` executable itself, as cron starts it (`cron=True`: a process of
its own), where the rest of the suite runs the same command in-process: its exit codes and
its standard output, the run folder alone; and what --help says of each command."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click
import pytest

from conftest import Env, customer, order
from seatbatch.cli.commands import cli
from test_startup import loaded


def test_process_then_rerun_is_duplicate(env: Env) -> None:
    book = env.workbook(customers=[{"customer_id": "C-001", "organization": "Org"}],
                        orders=[order()])
    first = env.process(book, cron=True)
    assert first.code == 0, first.stderr
    assert first.manifest["status"] == "committed"
    assert first.manifest["invoices"][0]["total"] == "324.00"
    second = env.process(book, cron=True)
    assert second.code == 0
    assert second.manifest["status"] == "duplicate"
    assert env.invoice_numbers() == ["INV-2026-000001"]


def test_a_rejected_workbook_and_a_usage_error_exit_1_and_2(env: Env) -> None:
    rejected = env.process(env.workbook(customers=[{"customer_id": "C-001",
                                                    "organization": "Org"}],
                                        orders=[order(seats=0)]), cron=True)
    assert rejected.code == 1, rejected.stderr
    assert rejected.manifest["status"] == "rejected"  # stdout: the run folder alone
    usage = env.process(env.root / "orders.xlsx", partner="P-NOBODY", cron=True)
    assert usage.code == 2, usage.stderr
    assert usage.stdout == "" and usage.stderr.startswith("seatbatch: ")


# --- --help, as a partner manager and finance read it (issue 15, item 16) ---------------------

def commands() -> dict[str, click.Command]:
    """Every command by its name on the command line ("" the group itself, "ledger copy")."""
    found: dict[str, click.Command] = {}

    def walk(command: click.Command, name: str) -> None:
        found[name] = command
        if isinstance(command, click.Group):
            for sub_name, sub in command.commands.items():
                walk(sub, f"{name} {sub_name}".strip())

    walk(cli, "")
    return found


# The options each command's --help lists: those its job uses. The common options a command
# ignores are accepted there all the same (SPEC §6), but not listed.
LISTED = {
    "": {"--version", "--config", "--ledger", "--as-of", "--out"},
    "template": {"--partner", "--config", "--ledger", "--as-of"},
    "quote": {"--partner", "--config", "--ledger", "--as-of", "--out"},
    "process": {"--partner", "--config", "--ledger", "--as-of", "--out"},
    "renew": {"--month", "--config", "--ledger", "--as-of", "--out"},
    "report": {"--month", "--config", "--ledger", "--as-of", "--out"},
    "render": {"--config", "--ledger", "--out"},
    "credit": {"--reason", "--line", "--from", "--config", "--ledger", "--as-of", "--out"},
    "inbox": {"--config", "--ledger", "--as-of", "--out"},
    "ledger": set(),
    "ledger copy": set(),
    "ledger upgrade": {"--config", "--ledger"},
}


TERMINAL_WIDTH = 80


def help_of(where: Env, *argv: str, **kwargs: Any) -> str:
    """A command's --help, its words each separated by one space (the lines are wrapped to
    the terminal's width, at most 80 columns: the examples too)."""
    shown = where.run(*argv, "--help", common=False, **kwargs)
    assert shown.code == 0, shown.stderr
    assert shown.stderr == ""
    assert max(len(line) for line in shown.stdout.splitlines()) <= TERMINAL_WIDTH
    return " ".join(shown.stdout.split())


def test_every_command_lists_the_options_it_uses_and_no_other() -> None:
    listed = {name: {option for param in command.params
                     if isinstance(param, click.Option) and not param.hidden
                     for option in param.opts if option.startswith("--")} - {"--help"}
              for name, command in commands().items()}
    assert listed == LISTED


@pytest.mark.sqlite_only  # --help: not about the ledger
def test_each_help_has_examples_and_date_metavars(env: Env) -> None:
    for name, command in commands().items():
        text = help_of(env, *name.split())
        assert "%Y" not in text
        for param in command.params:
            if isinstance(param, click.Option) and param.opts[0] in {"--as-of", "--from"}:
                assert param.make_metavar(click.Context(command)) == "YYYY-MM-DD"
        if isinstance(command, click.Group) and name:
            continue  # `ledger`: its commands have the examples
        assert "Examples:" in text, name
        assert f"seatbatch {name} ".replace("  ", " ") in text.split("Options:")[1], name
        if name:  # the group lists each command with its own short help, never cut off
            assert command.short_help and len(command.short_help) < 55, name
    listing = env.run("--help", common=False).stdout.split("Commands:\n")[1].split("\n\n")[0]
    assert "..." not in listing
    assert [line.split()[0] for line in listing.splitlines()] == [  # in the order of their use
        "template", "quote", "process", "renew", "report", "render", "credit", "inbox",
        "ledger"]
    assert "--as-of YYYY-MM-DD" in help_of(env, "credit")
    assert "--from YYYY-MM-DD" in help_of(env, "credit")


def squeezed(text: str) -> str:
    """`text` without any space: Click breaks a long path across lines."""
    return "".join(text.split())


@pytest.mark.sqlite_only  # --help: not about the ledger
def test_partner_help_names_the_configured_partners(env: Env) -> None:
    named = squeezed(f"Configured in {env.config}: P-ACME (Acme Facilities Ltd), P-OTHER "
                     "(Other Reseller GmbH), P-TOKYO (Tokyo Sensors KK).")
    for command in ("quote", "process", "template"):
        assert named in squeezed(help_of(env, command, "--config", str(env.config)))
        assert named in squeezed(help_of(env, "--config", str(env.config), command))
    found = help_of(env, "process", env={"SEATBATCH_CONFIG": str(env.config)})
    assert named in squeezed(found)
    assert env.config == env.root / "seatbatch.toml"  # the current folder's, by default
    assert "Configured in seatbatch.toml: P-ACME" in help_of(env, "quote")


@pytest.mark.sqlite_only  # --help: not about the ledger
def test_partner_help_never_fails_on_the_configuration(env: Env) -> None:
    """--help for a configuration that is absent, broken or not one: the plain help; partner
    ids from the file are escaped; many partners are counted past the first eight."""
    plain = "The partner whose workbook it is: its id in the configuration's [partners]. ["
    missing = str(env.root / "missing.toml")
    assert plain in help_of(env, "process", env={"SEATBATCH_CONFIG": missing})
    broken = env.root / "broken.toml"
    for text in ("partners = [", "partners = 3", "[partners]\n", "\xff\xfe"):
        broken.write_bytes(text.encode("latin-1"))
        assert plain in help_of(env, "process", "--config", str(broken))
    assert plain in help_of(env, "process", "--config", missing)
    many = "".join(f'[partners.P-{n:02d}]\nname = "N{n}"\n' for n in range(10))
    broken.write_text(many + '[partners."P\\u001b[2J"]\n')
    text = help_of(env, "process", "--config", str(broken))
    assert squeezed(f"Configured in {broken}: P-00 (N0), P-01 (N1),") in squeezed(text)
    assert "P-07 (N7) and 3 more." in text and "\x1b" not in text


@pytest.mark.sqlite_only  # --help: not about the ledger
def test_an_option_a_command_does_not_list_is_accepted_all_the_same(env: Env) -> None:
    made = env.run("template", env.root / "blank.xlsx")  # --out: a template is no run folder
    assert made.code == 0, made.stderr
    first = env.process(env.workbook(customers=[customer()], orders=[order()]))
    rendered = env.run("render", first.manifest["invoices"][0]["number"])  # with --as-of
    assert rendered.code == 0, rendered.stderr


@pytest.mark.sqlite_only  # --help: not about the ledger
def test_help_reads_the_configuration_without_the_large_libraries(env: Env) -> None:
    assert loaded("process", "--config", env.config, "--help", cwd=env.root) == set()


@pytest.mark.parametrize("new_ledger", ["sqlite"], indirect=True)
def test_a_reader_that_stops_reading_leaves_the_runs_own_exit_code(env: Env) -> None:
    """`seatbatch process … 2>&1 | head -5`: head leaves before seatbatch says what it found.
    The rejection stands (exit 1), no internal error is logged for the broken pipe."""
    import subprocess

    from conftest import SEATBATCH, environment

    bad = env.workbook(orders=[order(f"L{n}", customer_id="C-404") for n in range(40)])
    argv = [str(SEATBATCH), "process", str(bad), "--partner", "P-ACME", "--config",
            str(env.config), "--ledger", env.ledger_url, "--out", str(env.out)]

    def run(stderr_file: Path | None) -> int:
        reading, writing = os.pipe()
        os.close(reading)  # the reader is gone before seatbatch writes a word
        try:
            with (stderr_file.open("w") if stderr_file else os.fdopen(os.dup(writing), "w")
                  ) as stderr:
                return subprocess.run(argv, stdout=writing, stderr=stderr,
                                      stdin=subprocess.DEVNULL, cwd=env.root,
                                      env=environment(), timeout=600, check=False).returncode
        finally:
            os.close(writing)

    assert run(None) == 1  # `2>&1 | head`: both streams gone
    # `| head` alone: stdout's reader gone, the reasons still on stderr
    said = env.root / "stderr.txt"
    assert run(said) == 1
    assert "input rejected, 40 problem(s)" in said.read_text(encoding="utf-8")
    assert not list(env.root.rglob("seatbatch-error-*.log"))
    assert env.count("invoices") == 0
