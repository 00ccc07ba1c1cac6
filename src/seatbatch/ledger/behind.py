"""A SQLite ledger closed behind the run: its last write committed (durable once SQLite's WAL
is synced), the copy of that WAL into the ledger's file (a checkpoint: a large run's 50 MB,
written and synced) and the connection's close go on in a thread while the run writes its
manifest and summary and waits for its workers; the run waits for them before it ends.

Only inside `closing_behind()` (a command's run, which joins them as it leaves), and only for
a ledger opened there to write; every other close is done where it is asked for. Kept light
(the standard library only): a command enters it before it loads the ledger."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

from seatbatch.core.exits import STOPS, stops_held

_SCOPES: list[list[threading.Thread]] = []  # the closes started in each open scope (innermost last)


def active() -> bool:
    """Whether a ledger opened and closed now is closed behind the run."""
    return bool(_SCOPES) and threading.current_thread() is threading.main_thread()


def start(close: Callable[[], None]) -> None:
    """`close()` run in a thread of its own, joined as the innermost scope ends. What it
    raises is not the run's: the commit it follows holds already, and a ledger whose WAL could
    not be copied keeps it for the next connection to copy (SQLite's own recovery)."""

    def closing() -> None:
        # see above: the commit holds; SQLite recovers the WAL. Ctrl-C and SIGTERM always
        # reach the main thread (where the run stands), not this one.
        with suppress(Exception):
            signal.pthread_sigmask(signal.SIG_BLOCK, STOPS)
            close()

    thread = threading.Thread(target=closing, name="seatbatch-ledger-close")
    try:
        thread.start()
    except RuntimeError:  # no thread to be had: closed here, as outside the block
        close()
        return
    _SCOPES[-1].append(thread)


@contextmanager
def closing_behind() -> Iterator[None]:
    """A write ledger opened and closed in the block (in the main thread) is closed behind it
    (`start`); every such close has ended when the block has, however it ends. A Ctrl-C or
    SIGTERM that comes while the block waits for them is held back until they have ended,
    then delivered: the command never ends with a ledger's close under way."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    started: list[threading.Thread] = []
    _SCOPES.append(started)
    try:
        yield
    finally:
        _SCOPES.pop()  # this block's: blocks end in the order they began
        with stops_held():
            for thread in started:
                thread.join()
