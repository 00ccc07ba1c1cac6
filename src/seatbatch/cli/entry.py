"""The `seatbatch` command's entry point. It is kept light: Ctrl-C or SIGTERM while the rest
of seatbatch is still being imported (which takes a while on a busy machine) ends the command
with its one line and exit code, never a traceback."""

from __future__ import annotations

import signal
import sys

from seatbatch.core.exits import stopped_code, stopped_how, terminate


def main() -> None:
    signal.signal(signal.SIGTERM, terminate)
    try:
        from seatbatch.cli.commands import main as run_command
    except KeyboardInterrupt as stopped:
        sys.stderr.write(f"seatbatch: {stopped_how(stopped)}; nothing was committed\n")
        sys.exit(stopped_code(stopped))
    run_command()
