"""Progress as the stages and orchestrators see it: a null object that shows nothing (cron, a
worker process, a test). The command line passes one that draws on a terminal
(`seatbatch.cli.progress`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


class Progress:
    def iterate(self, items: Iterable[T], label: str,  # noqa: ARG002 - shows nothing
                length: int | None = None) -> Iterator[T]:  # noqa: ARG002 - shows nothing
        """`items`, one by one, shown as a bar labelled `label` (of `length` steps, when
        `items` cannot say)."""
        yield from items

    def note(self, text: str) -> None:
        """A line for a person at a terminal; nothing under cron."""
