"""Progress on a terminal, silence under cron: the null object when stderr is not a TTY; and
what a run ends with on a terminal (the invoices it issued, where to look), never under cron."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import TypeVar

import click

from seatbatch.cli.console import echo
from seatbatch.core.progress import Progress
from seatbatch.jobs import Outcome

T = TypeVar("T")

NAMED_EARLIER = 3  # the earlier invoices named of a re-run's lines; the rest counted

# The files of a run folder a person opens, and what they are called there (summary last).
LOOK_AT = (("invoices/quote.html", "estimate"), ("report.html", "report"),
           ("journal.csv", "journal"), ("rejected.xlsx", "marked workbook"),
           ("summary.html", "summary"))


def on_terminal() -> bool:
    """Whether a person watches: stderr is a terminal (under cron it is a file or a mail)."""
    return sys.stderr.isatty()


class TerminalProgress(Progress):
    def __init__(self, enabled: bool | None = None):
        self.enabled = on_terminal() if enabled is None else enabled

    def iterate(self, items: Iterable[T], label: str, length: int | None = None) -> Iterator[T]:
        if not self.enabled:
            yield from items
            return
        color = False if os.environ.get("NO_COLOR") else None
        with click.progressbar(items, length=length, label=label, file=sys.stderr,
                               color=color) as bar:
            yield from bar

    def note(self, text: str) -> None:
        if self.enabled:
            echo(text, err=True)


def grouped(amount: str) -> str:
    """A decimal string as a person reads it: 12345.00 -> 12,345.00."""
    return f"{Decimal(amount):,}"


def ended(outcome: Outcome) -> list[str]:
    """What a person at a terminal is told as a run ends, after its run folder's path: the
    invoices it issued with their amounts payable (the first few, then a count and the total
    per currency), the lines an earlier run had processed, and the files to open."""
    lines: list[str] = []
    issued = outcome.issued
    if issued is not None and issued.count:
        noun = "credit note" if issued.credit_notes else "invoice"
        label = "to be refunded or set off" if issued.credit_notes else "payable"
        lines.append(f"{issued.count:,} {noun}{'s' if issued.count != 1 else ''}, "
                     f"amount {label}:")
        rows = [(number, currency, grouped(amount)) for number, currency, amount in issued.first]
        more = issued.count - len(issued.first)
        totals = ([("total", currency, grouped(amount))
                   for currency, amount in sorted(issued.payable.items())]
                  if issued.count > 1 else [])
        first = max(len(row[0]) for row in rows + totals)
        last = max(len(row[2]) for row in rows + totals)
        lines += [f"  {number:<{first}}  {currency} {amount:>{last}}"
                  for number, currency, amount in rows]
        if more:
            lines.append(f"  … and {more:,} more")
        lines += [f"  {name:<{first}}  {currency} {amount:>{last}}"
                  for name, currency, amount in totals]
    if issued is not None and issued.already_processed:
        earlier = issued.already_invoiced
        named = ", ".join(earlier[:NAMED_EARLIER]) + (
            f" and {len(earlier) - NAMED_EARLIER:,} more" if len(earlier) > NAMED_EARLIER
            else "")
        count = issued.already_processed
        lines.append(f"{count:,} line{'s were' if count != 1 else ' was'} already processed by "
                     f"an earlier run (on {named}): not invoiced again")
    if outcome.folder is not None:
        lines += [f"{what}: {outcome.folder / name}" for name, what in LOOK_AT
                  if (outcome.folder / name).is_file()]
    return lines
