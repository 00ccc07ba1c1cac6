"""How a run ends: its exit codes, and how Ctrl-C and SIGTERM reach it. Kept light (the
standard library only): the command's entry point imports it before anything else."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 70  # EX_SOFTWARE: neither "input rejected" (1) nor "usage" (2)
EXIT_BUSY = 75
EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_TERMINATED = 143  # 128 + SIGTERM

STOPS = frozenset({signal.SIGINT, signal.SIGTERM})


class Terminated(KeyboardInterrupt):
    """SIGTERM (cron's or systemd's stop), raised where the run stands, as Ctrl-C is: the run
    cleans up as it would for Ctrl-C and ends with one line, exit 143."""


def terminate(_signal: int, _frame: object) -> None:
    """The SIGTERM handler: a Terminated where the run stands."""
    raise Terminated


def stopped_code(stopped: BaseException) -> int:
    """The exit code of a run stopped by Ctrl-C (130) or SIGTERM (143)."""
    return EXIT_TERMINATED if isinstance(stopped, Terminated) or getattr(
        stopped, "terminated", False) else EXIT_INTERRUPTED


def stopped_how(stopped: BaseException) -> str:
    """How a stopped run says it was stopped: "terminated" (SIGTERM) or "interrupted"."""
    return "terminated" if stopped_code(stopped) == EXIT_TERMINATED else "interrupted"


@contextmanager
def stops_held(taken: list[int] | None = None) -> Iterator[None]:
    """Ctrl-C and SIGTERM held back (in the main thread) until the block ends, so that none
    lands amid what must not be cut in two (forking a pool of workers; a read from a pipe and
    its result being kept). As the block ends, one that came meanwhile is delivered then; or,
    given `taken`, it is taken off and noted there instead, for the caller to act on."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, STOPS)
    try:
        yield
    finally:
        if taken is not None:
            for number in sorted(STOPS & signal.sigpending()):
                signal.sigtimedwait({number}, 0)
                taken.append(number)
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def ignore_stops() -> None:
    """A run being stopped finishes stopping: from now on Ctrl-C and SIGTERM are ignored (in
    the main thread; the process ends right after)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
