"""Progress on a terminal, silence under cron: the null object when stderr is not a TTY."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

import click

from seatbatch.cli.console import echo
from seatbatch.core.progress import Progress

T = TypeVar("T")


class TerminalProgress(Progress):
    def __init__(self, enabled: bool | None = None):
        self.enabled = sys.stderr.isatty() if enabled is None else enabled

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
