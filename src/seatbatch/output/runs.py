"""Run folders: built under a hidden staging name, renamed into place only when complete.

A staging folder holds `.lock`, locked (flock) by the run building it for as long as it lives:
a staging folder whose lock nobody holds was left by a run that was killed. `abandoned()` finds
those; the caller decides, from the ledger, whether the run committed (write its folder again)
or not (remove it)."""

from __future__ import annotations

import fcntl
import os
import re
import secrets
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_RUN_NAME = re.compile(r"^\d{8}T\d{6}-[a-z]+(-[A-Za-z0-9_.-]+)?-[0-9a-f]{6}$")
LOCK = ".lock"
_MAKING = ".making"  # suffix of a new run folder until its lock is held
# A new run's folder lives a few microseconds under its `.making` name; one older than this
# whose lock nobody holds was left by a run killed in that instant.
UNBORN_GRACE_SECONDS = 10


def safe_name(text: str) -> str:
    """Text from outside made fit for a file name: never a path, never hidden, never empty."""
    cleaned = _UNSAFE.sub("_", text).strip("._") or "_"
    return cleaned[:64]


def _lock(path: Path, *, wait: bool) -> int | None:
    """An exclusive flock on `path` (created if missing): its descriptor, or None when another
    process holds it and `wait` is false."""
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        os.close(descriptor)
        return None
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor


def _new_name(command: str, partner_id: str | None) -> str:
    """A new run's name: when, what, for whom, and a few random characters."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    parts = [stamp, command] + ([safe_name(partner_id)] if partner_id else [])
    return "-".join([*parts, secrets.token_hex(3)])


def _say_ledger(descriptor: int, ledger: str) -> None:
    """The lock file names the ledger its run writes to."""
    os.ftruncate(descriptor, 0)
    os.write(descriptor, ledger.encode("utf-8"))


class RunFolder:
    def __init__(self, out: Path, command: str, partner_id: str | None = None, *,
                 name: str | None = None, ledger: str = ""):
        """A new run's folder; with `name`, the abandoned staging folder of that run, taken
        over (its lock must be free) and emptied, to be written again. `ledger` is written
        into the lock: only a run on that ledger can tell whether this one committed."""
        taking_over = name is not None
        self.name = name if name is not None else _new_name(command, partner_id)
        self.out = out.absolute()
        self.staging = self.out / f".{self.name}"
        self.final = self.out / self.name
        if taking_over:
            if not self.staging.is_dir():  # another run recovered it first
                raise FileNotFoundError(f"{self.staging} is gone")
            descriptor = _lock(self.staging / LOCK, wait=False)
            if descriptor is None:
                raise FileExistsError(f"{self.staging} is in use by another run")
            self._lock: int | None = descriptor
            if ledger:
                _say_ledger(descriptor, ledger)
        else:
            self._lock = self._make(ledger)
        self._empty()

    def _make(self, ledger: str) -> int:
        """A new run's staging folder, locked; its lock's descriptor. It is made and locked
        under a name recovery never looks at, then renamed to its staging name: made in place,
        another run's recovery could find it between the lock file's creation and its flock,
        take it for abandoned and remove it. Whatever stops it half way (an error, Ctrl-C)
        leaves nothing behind."""
        making = self.out / f".{self.name}{_MAKING}"
        making.mkdir(parents=True)
        descriptor = None
        try:
            descriptor = _lock(making / LOCK, wait=False)
            if descriptor is None:  # nobody else knows the name: it cannot be held
                raise FileExistsError(f"{making} is in use")
            if ledger:
                _say_ledger(descriptor, ledger)
            making.rename(self.staging)  # the lock, held, moves with it
        except BaseException:
            for left in (making, self.staging):
                shutil.rmtree(left, ignore_errors=True)
            if descriptor is not None:
                os.close(descriptor)
            raise
        return descriptor

    def _empty(self) -> None:
        """Everything in the staging folder but its lock removed (only a taken-over folder
        has anything in it)."""
        for entry in self.staging.iterdir():
            if entry.is_dir():
                shutil.rmtree(entry)
            elif entry.name != LOCK:
                entry.unlink()

    def path(self, relative: str) -> Path:
        target = self.staging / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def publish(self) -> Path:
        """Make the run visible whole: its files on disk first, then one rename."""
        _flush(self.staging)
        self.staging.rename(self.final)  # the lock, still held, moves with it
        _fsync(self.out)
        (self.final / LOCK).unlink(missing_ok=True)
        self.release()
        return self.final

    def discard(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)
        self.release()

    def release(self) -> None:
        """Let go of the folder's lock: from now on a later run may take it over."""
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None


FSYNC_UP_TO = 64  # files; a run that wrote more has the whole system's writes flushed at once


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _flush(folder: Path) -> None:
    """Everything written under `folder` on disk. A few files are flushed one by one: a call to
    `os.sync()` would also wait for every other writer on the machine (the database, the other
    runs), once per run."""
    paths = list(islice(_everything(folder), FSYNC_UP_TO + 1))  # a large run's: not all listed
    if len(paths) > FSYNC_UP_TO:
        os.sync()
        return
    for path in paths:
        _fsync(path)


def _everything(folder: Path) -> Iterator[Path]:
    """`folder` and everything under it, folder by folder."""
    yield folder
    with os.scandir(folder) as entries:
        listed = list(entries)
    for entry in listed:
        if entry.is_dir(follow_symlinks=False):
            yield from _everything(Path(entry.path))
        else:
            yield Path(entry.path)


def staged_for(out: Path, name: str) -> str:
    """The ledger an abandoned run was writing to ("" when it died before saying)."""
    try:
        return (out / f".{name}" / LOCK).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def abandoned(out: Path) -> Iterator[str]:
    """Names of the runs whose staging folders under `out` no running process holds. A new
    run's folder killed before it was locked and renamed (`.<run>.making`) is removed here once
    nobody holds it and it is older than the grace period: it never held anything written."""
    try:
        entries = sorted(out.iterdir())
    except OSError:
        return
    for entry in entries:
        if entry.name.endswith(_MAKING) and entry.name.startswith("."):
            _remove_unborn(entry)
            continue
        name = entry.name[1:]
        if not entry.name.startswith(".") or not _RUN_NAME.match(name) or not entry.is_dir():
            continue
        if _free(entry / LOCK):
            yield name


def _remove_unborn(folder: Path) -> None:
    if not _RUN_NAME.match(folder.name[1:-len(_MAKING)]) or not folder.is_dir():
        return
    try:
        if time.time() - folder.stat().st_mtime < UNBORN_GRACE_SECONDS:
            return
    except OSError:
        return
    if _free(folder / LOCK):
        shutil.rmtree(folder, ignore_errors=True)


def _free(lock: Path) -> bool:
    """Whether nobody holds the lock (tried without waiting, released at once)."""
    try:
        descriptor = _lock(lock, wait=False)
    except OSError:  # the folder went away meanwhile: its run has just published it
        return False
    if descriptor is None:
        return False
    os.close(descriptor)
    return True
