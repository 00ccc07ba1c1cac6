"""One piece of work in a forked child process, so that whatever kills it (an abort in a native
library, the kernel's OOM killer, a signal) kills the child alone (SPEC §8: one hostile workbook
never stops an `inbox` run for the others).

The child is a fork: it starts at once with everything the parent has loaded, and shares its
memory until it writes (the ledger engine makes forked children forget the parent's database
connections, `seatbatch.ledger.engine`). It sends back a JSON value through a pipe; what it
prints goes to a file, kept for the log when it dies. A child that ends without sending its
value died: `Died` says how."""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
import traceback
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

EXIT_NO_VALUE = 70
OUTPUT_KEPT = 64 * 1024  # the end of what a dead child printed, for its log


@dataclass(frozen=True)
class Died:
    how: str  # "killed by signal 6, SIGABRT", "exited with status 1 without finishing"
    output: str  # the end of what it printed
    interrupted: bool  # the parent was interrupted (Ctrl-C) while it waited


@dataclass(frozen=True)
class Finished:
    value: Any  # what the work returned (as JSON gives it back)
    output: str  # what it printed
    interrupted: bool  # the parent was interrupted (Ctrl-C) while it waited


def _how(status: int) -> str:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            return f"killed by signal {number}"
        return f"killed by signal {number}, {name}"
    return f"exited with status {os.waitstatus_to_exitcode(status)} without finishing"


def _child(work: Callable[[], Any], pipe: int, output: int) -> None:
    """In the child: never returns."""
    code = EXIT_NO_VALUE
    try:
        os.dup2(output, 1)
        os.dup2(output, 2)
        # whatever the streams were (a test's capture, say), they now write to that file
        sys.stdout = open(1, "w", encoding="utf-8", errors="backslashreplace",  # noqa: SIM115
                          closefd=False)
        sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace",  # noqa: SIM115
                          closefd=False)
        data = json.dumps(work()).encode("utf-8")
        with os.fdopen(pipe, "wb") as sending:
            sending.write(data)
        code = 0
    except BaseException:  # a child ends here, whatever happened: said in its output
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with suppress(BaseException):  # nothing to tell it to any more
                stream.flush()
        os._exit(code)


def run_forked(work: Callable[[], Any]) -> Finished | Died:
    """`work()` (whose value JSON can carry) run in a forked child. A Ctrl-C that reaches this
    process while the child works is held until the child ends (the child has it too, when it
    came from the terminal): `Finished.interrupted` says so, for the caller to stop after it
    has dealt with the child's work."""
    for stream in (sys.stdout, sys.stderr):  # not written twice, once by each process
        stream.flush()
    with tempfile.TemporaryFile() as output:
        reading, writing = os.pipe()
        try:
            pid = os.fork()
        except BaseException:
            os.close(reading)
            os.close(writing)
            raise
        if pid == 0:  # pragma: no cover - the child's coverage is not collected
            os.close(reading)
            _child(work, writing, output.fileno())
        os.close(writing)
        chunks: list[bytes] = []
        interrupted = False
        with os.fdopen(reading, "rb") as receiving:
            while True:
                try:
                    chunk = receiving.read1(1 << 16)
                except KeyboardInterrupt:
                    interrupted = True
                    continue
                if not chunk:
                    break
                chunks.append(chunk)
        while True:
            try:
                _, status = os.waitpid(pid, 0)
                break
            except KeyboardInterrupt:
                interrupted = True
        output.seek(0, os.SEEK_END)
        output.seek(max(0, output.tell() - OUTPUT_KEPT))
        printed = output.read().decode("utf-8", "replace")
    if status != 0 or not chunks:
        return Died(_how(status), printed, interrupted)
    return Finished(json.loads(b"".join(chunks)), printed, interrupted)


__all__ = ["Died", "Finished", "run_forked"]
