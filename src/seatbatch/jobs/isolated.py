"""Work done in a forked worker process, so that whatever kills it (an abort in a native library,
the kernel's OOM killer, a signal) kills the worker alone (SPEC §8: one hostile workbook never
stops an `inbox` run for the others).

The worker is a fork: it starts at once with everything the parent has loaded. It serves one
request at a time, for as long as it lives, so that what it warms up (imports, compiled
templates and statements, ledger connections) serves every request after the first, as it did
when the work ran in the parent; only a worker that died is forked again. The ledger engine
makes forked children forget the parent's database connections (`seatbatch.ledger.engine`).
Requests and replies are JSON values through pipes; what the worker prints goes to a file,
kept (its end) for the log when it dies while serving a request. A request whose reply never
comes died: `Died` says how."""

from __future__ import annotations

import json
import os
import signal
import struct
import sys
import tempfile
import traceback
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import IO, Any

from seatbatch.core.exits import EXIT_INTERNAL, stops_held

OUTPUT_KEPT = 64 * 1024  # the end of what a dead worker printed, for its log
_LENGTH = struct.Struct(">Q")


@dataclass(frozen=True)
class Died:
    how: str  # "killed by signal 6, SIGABRT", "exited with status 1 without finishing"
    output: str  # the end of what it printed while it served the request
    interrupted: int  # the signal (SIGINT, SIGTERM) that came while the parent waited, or 0


@dataclass(frozen=True)
class Finished:
    value: Any  # the reply (as JSON gives it back)
    interrupted: int  # the signal (SIGINT, SIGTERM) that came while the parent waited, or 0


def _how(status: int) -> str:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            return f"killed by signal {number}"
        return f"killed by signal {number}, {name}"
    return f"exited with status {os.waitstatus_to_exitcode(status)} without finishing"


def _read_exactly(stream: IO[bytes], size: int) -> bytes | None:
    """`size` bytes, or None at the end of the stream."""
    data = bytearray()
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            return None
        data += chunk
    return bytes(data)


def _receive(stream: IO[bytes]) -> bytes | None:
    """The next message (None when the other end has gone)."""
    head = _read_exactly(stream, _LENGTH.size)
    if head is None:
        return None
    return _read_exactly(stream, _LENGTH.unpack(head)[0])


def _send(stream: IO[bytes], value: Any) -> None:
    body = json.dumps(value).encode("utf-8")
    stream.write(_LENGTH.pack(len(body)) + body)
    stream.flush()


def _serve_forever(serve: Callable[[Any], Any], requests: int, replies: int,
                   output: int) -> None:
    """In the worker: never returns."""
    code = EXIT_INTERNAL  # 0 only when it ends as asked (its requests closed, or a Ctrl-C)
    try:
        os.dup2(output, 1)
        os.dup2(output, 2)
        # whatever the streams were (a test's capture, say), they now write to that file
        sys.stdout = open(1, "w", encoding="utf-8", errors="backslashreplace",  # noqa: SIM115
                          closefd=False)
        sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace",  # noqa: SIM115
                          closefd=False)
        with os.fdopen(requests, "rb", buffering=0) as incoming, \
                os.fdopen(replies, "wb") as outgoing:
            idle: list[int] = []  # a Ctrl-C (or SIGTERM) between requests ends the worker
            while not idle:
                with stops_held(idle):
                    request = _receive(incoming)
                if request is None or idle:
                    break
                reply = serve(json.loads(request))  # it takes a Ctrl-C as it sees fit
                with stops_held(idle):
                    _send(outgoing, reply)
        code = 0
    except BaseException:  # noqa: BLE001  a worker ends here, whatever happened: said in its output
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with suppress(BaseException):  # nothing to tell it to any more
                stream.flush()
        os._exit(code)


class Worker:
    """`ask(request)` has `serve(request)` run in the worker process: its reply, or how the
    worker died (the next request forks a new one). A Ctrl-C that reaches this process while
    the worker serves is held until the reply comes (the worker has it too, when it came from
    the terminal): `interrupted` says so, for the caller to stop once it has dealt with the
    reply. `close()` (or leaving the `with` block) lets the worker end."""

    def __init__(self, serve: Callable[[Any], Any]):
        self.serve = serve
        self.pid = 0
        self.output: IO[bytes] | None = None
        self.requests: IO[bytes] | None = None
        self.replies: IO[bytes] | None = None

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start(self) -> None:
        for stream in (sys.stdout, sys.stderr):  # not written twice, once by each process
            stream.flush()
        output = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the worker
        requests_read, requests_write = os.pipe()
        replies_read, replies_write = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the worker's coverage is not collected
            os.close(requests_write)
            os.close(replies_read)
            _serve_forever(self.serve, requests_read, replies_write, output.fileno())
        os.close(requests_read)
        os.close(replies_write)
        self.pid, self.output = pid, output
        self.requests = os.fdopen(requests_write, "wb")
        # unbuffered: a Ctrl-C during a read then never loses bytes already read
        self.replies = os.fdopen(replies_read, "rb", buffering=0)

    def _ended(self) -> bool:
        try:
            return os.waitpid(self.pid, os.WNOHANG) != (0, 0)
        except ChildProcessError:
            return True

    def _reap(self) -> int:
        """Wait for the worker to end (it has, or is about to): its wait status."""
        self._close_pipes()
        while True:
            try:
                _, status = os.waitpid(self.pid, 0)
                break
            except KeyboardInterrupt:
                continue
            except ChildProcessError:
                status = 0
                break
        self.pid = 0
        return status

    def _close_pipes(self) -> None:
        for stream in (self.requests, self.replies):
            if stream is not None:
                with suppress(OSError):
                    stream.close()
        self.requests = self.replies = None

    def ask(self, request: Any) -> Finished | Died:
        if self.pid and self._ended():
            self.pid = 0  # it died between requests (the OOM killer, say): not this one's doing
            self._close_pipes()
        if not self.pid:
            self._start()
        assert self.requests is not None and self.replies is not None
        assert self.output is not None
        self.output.seek(0)
        self.output.truncate()
        interrupted: list[int] = []
        reply = None
        with suppress(BrokenPipeError), stops_held(interrupted):
            _send(self.requests, request)
            reply = _receive(self.replies)
        if reply is not None:
            return Finished(json.loads(reply), max(interrupted, default=0))
        how = _how(self._reap())
        self.output.seek(0, os.SEEK_END)
        self.output.seek(max(0, self.output.tell() - OUTPUT_KEPT))
        printed = self.output.read().decode("utf-8", "replace")
        self.output.close()
        self.output = None
        return Died(how, printed, max(interrupted, default=0))

    def close(self) -> None:
        if self.pid:
            self._reap()  # the end of its requests ends it
        if self.output is not None:
            self.output.close()
            self.output = None


def run_forked(work: Callable[[], Any]) -> Finished | Died:
    """`work()` (whose value JSON can carry) run once in a forked worker."""
    with Worker(lambda _: work()) as worker:
        return worker.ask(None)


__all__ = ["Died", "Finished", "Worker", "run_forked"]
