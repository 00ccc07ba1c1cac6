"""The one way seatbatch prints: every line it writes to stdout or stderr passes `echo`, which
escapes control characters visibly (SPEC §8). Text from input (a cell, a file name, a TOML key)
can then neither forge a line of output nor send a terminal an escape sequence."""

from __future__ import annotations

import io

import click


def escaped(text: str) -> str:
    """`text` with every character that is not printable shown as its escape: C0 and C1
    controls and DEL (`\\n`, `\\x1b`, `\\x9b`), line and paragraph separators (`\\u2028`),
    bidirectional overrides and other format characters (`\\u202e`), and every space but
    the plain one."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)


def echo(text: str, *, err: bool = False) -> None:
    """One line on stdout (or stderr), escaped."""
    click.echo(escaped(text), err=err)


def show_click_error(error: click.ClickException) -> None:
    """Click's own message for a usage error, which may quote what was typed on the command
    line: that part escaped, the usage lines as Click writes them."""
    buffer = io.StringIO()
    error.show(buffer)
    message = error.format_message()
    click.echo(buffer.getvalue().replace(message, escaped(message)), err=True, nl=False)
