"""docs/commands.md: every command's --help, as the command line prints it."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import chdir

import click
from click.testing import CliRunner

from seatbatch.cli.commands import cli
from seatbatch.docs.markdown import block, code, header, join

WIDTH = 80  # the terminal width the help is written for
PROGRAM = "seatbatch"


def _commands(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every command's words, in the order they are defined (a group, then its commands)."""
    for name, command in group.commands.items():
        if command.hidden:
            continue
        yield (*path, name)
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))


def help_text(words: tuple[str, ...]) -> str:
    """`seatbatch WORDS --help` as printed on a WIDTH-column terminal, in an empty folder, with
    no seatbatch variable set: what the command says of itself, not of this machine."""
    clean = {name: None for name in os.environ if name.startswith("SEATBATCH_")}
    runner = CliRunner(env={**clean, "COLUMNS": str(WIDTH)})
    with tempfile.TemporaryDirectory() as empty, chdir(empty):
        result = runner.invoke(cli, [*words, "--help"], prog_name=PROGRAM,
                               terminal_width=WIDTH, catch_exceptions=False)
    if result.exit_code != 0:
        raise RuntimeError(f"{PROGRAM} {' '.join(words)} --help exited {result.exit_code}: "
                           f"{result.output}")
    return result.output


def document() -> str:
    parts = [
        header("Commands", "the Click commands in src/seatbatch/cli/commands.py"),
        "Every command of `seatbatch` and its options, exactly as `seatbatch COMMAND --help` "
        "prints them. The common options (`--config`, `--ledger`, `--as-of`, `--out`) are "
        "accepted by every command, before or after its name; a command that does not use "
        "one accepts it all the same, so that one line of shell can pass the same options "
        "to every command.",
        "What a run writes and what its exit code means are in [outputs.md](outputs.md); "
        "the configuration file that `--config` names is described in "
        "[configuration.md](configuration.md), the order workbook that `quote`, `process` "
        "and `inbox` read in [workbook.md](workbook.md).",
    ]
    words = [(), *_commands(cli)]
    parts.append("\n".join(f"- [{code(' '.join((PROGRAM, *w)))}](#{_anchor(w)})"
                           for w in words))
    for each in words:
        parts.append(f"## {' '.join((PROGRAM, *each))}")
        parts.append(block(help_text(each), "text"))
    return join(*parts)


def _anchor(words: tuple[str, ...]) -> str:
    """The anchor GitHub makes of the section's heading."""
    return "-".join((PROGRAM, *words))
