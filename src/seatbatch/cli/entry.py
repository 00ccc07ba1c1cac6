"""The `seatbatch` command's entry point. It is kept light: Ctrl-C or SIGTERM while the rest
of seatbatch is still being imported (which takes a while on a busy machine) ends the command
with its one line and exit code, never a traceback."""

from __future__ import annotations

import signal
import sys

EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_TERMINATED = 143  # 128 + SIGTERM


class Terminated(KeyboardInterrupt):
    """SIGTERM (cron's or systemd's stop), raised where the run stands, as Ctrl-C is: the run
    cleans up as it would for Ctrl-C and ends with one line, exit 143."""


def terminate(_signal: int, _frame: object) -> None:
    raise Terminated


def stopped_code(stopped: BaseException) -> int:
    return EXIT_TERMINATED if isinstance(stopped, Terminated) or getattr(
        stopped, "terminated", False) else EXIT_INTERRUPTED


def main() -> None:
    signal.signal(signal.SIGTERM, terminate)
    try:
        from seatbatch.cli.commands import main as run_command
    except KeyboardInterrupt as stopped:
        how = "terminated" if isinstance(stopped, Terminated) else "interrupted"
        sys.stderr.write(f"seatbatch: {how}; nothing was committed\n")
        sys.exit(stopped_code(stopped))
    run_command()
