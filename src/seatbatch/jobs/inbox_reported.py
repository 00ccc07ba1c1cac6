"""What the inbox has reported already, so that a stray entry is reported once, not in every cron
run's mail.

`DIR/.seatbatch-inbox/reported.json` remembers each stray entry a scan reported (a folder that is
no configured partner's, a file outside any partner folder, anything in a partner folder that is
no workbook the inbox processes) with what was said of it and its size and modification time
(its own, never through a link). "Once" means once per entry as it is: it is reported again when
it is new, when it changed (another size or mtime; a folder's mtime changes when an entry in it
is added, removed or renamed, a file's when it is written), or when there is another thing to
say of it (a file that became a link). An entry gone is forgotten: one that comes back is new.

The file is the inbox's own (partners write in their folders, not in DIR): it is written whole
(a temporary file, fsync, rename) at the end of each scan, and a scan holds an flock on
`DIR/.seatbatch-inbox/lock` meanwhile, so that two runs at once report a new entry once between
them. A state folder the inbox cannot use (a link, a file) costs only that: every stray entry is
reported on every run, as it was before this file existed, with one line saying why; in a DIR
the inbox may not write in, without one."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import secrets
from typing import Any

from seatbatch.jobs.inbox_folders import Unusable, open_folder

STATE = ".seatbatch-inbox"
REPORTED = "reported.json"
LOCK = "lock"
_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_LOCK = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC


def fingerprint(text: str, entry: os.DirEntry[str]) -> list[Any]:
    """What is remembered of a reported entry: what was said, its size and mtime."""
    try:
        seen = entry.stat(follow_symlinks=False)
    except OSError:  # gone meanwhile: it is forgotten on the next scan
        return [text, None, None]
    return [text, seen.st_size, seen.st_mtime_ns]


class Reported:
    """The stray entries reported by earlier runs, and those of this run's scan."""

    def __init__(self, root: int) -> None:
        self.folder = self.lock = -1
        self.before: dict[str, list[Any]] = {}
        self.now: dict[str, list[Any]] = {}
        self.scopes: set[str] = set()  # "" (DIR itself) and the partner folders scanned
        self.trouble: str | None = None  # why nothing is remembered
        try:
            os.mkdir(STATE, dir_fd=root)
        except FileExistsError:
            pass
        except OSError as error:
            if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
                return  # DIR is not the inbox's to write in: every stray said, as it was
            self.trouble = f"cannot make {STATE}: {error.strerror}"
            return
        try:
            self.folder = open_folder(STATE, root, STATE)
            self.lock = os.open(LOCK, _LOCK, 0o600, dir_fd=self.folder)
            fcntl.flock(self.lock, fcntl.LOCK_EX)  # a scan's while: milliseconds
            self.before = self._read()
        except Unusable as error:
            self.trouble = error.problem
        except OSError as error:
            self.trouble = f"cannot use {STATE}/{LOCK}: {error.strerror}"
        if self.trouble is not None:
            self.close()

    def _read(self) -> dict[str, list[Any]]:
        try:
            descriptor = os.open(REPORTED, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC,
                                 dir_fd=self.folder)
        except FileNotFoundError:
            return {}
        try:
            with os.fdopen(descriptor, "rb", closefd=False) as handle:
                known = json.loads(handle.read().decode("utf-8"))
        except (OSError, ValueError):  # unreadable: reported again, once
            return {}
        finally:
            os.close(descriptor)
        reported = known.get("reported") if isinstance(known, dict) else None
        return {key: value for key, value in reported.items() if isinstance(value, list)} \
            if isinstance(reported, dict) else {}

    def new(self, scope: str, entry: os.DirEntry[str], text: str) -> bool:
        """Whether `text`, said of `entry` (in the partner folder `scope`, "" for DIR), is to
        be reported: it was not, of the entry as it is now."""
        key = f"{scope}/{entry.name}" if scope else entry.name
        self.now[key] = fingerprint(text, entry)
        return self.before.get(key) != self.now[key]

    def scanned(self, scope: str) -> None:
        """Every stray entry of `scope` was seen: those not seen now are gone, forgotten."""
        self.scopes.add(scope)

    def close(self) -> None:
        """Remember this scan's entries (and those of folders it could not scan), and let the
        next run's scan begin."""
        if self.folder >= 0 and self.trouble is None:
            kept = {key: value for key, value in self.before.items()
                    if _scope(key) not in self.scopes}
            remembered = {**kept, **self.now}
            if remembered != self.before:
                with contextlib.suppress(OSError):  # not remembered: said again next time
                    self._write(remembered)
        for descriptor in (self.lock, self.folder):
            if descriptor >= 0:
                os.close(descriptor)
        self.folder = self.lock = -1

    def _write(self, reported: dict[str, list[Any]]) -> None:
        temporary = f".{REPORTED}.{secrets.token_hex(4)}"
        content = json.dumps({"reported": reported}, indent=1, sort_keys=True) + "\n"
        descriptor = os.open(temporary, _NEW, 0o644, dir_fd=self.folder)
        try:
            try:
                with os.fdopen(descriptor, "wb", closefd=False) as handle:
                    handle.write(content.encode("ascii"))  # names not UTF-8 as \udcxx
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
            os.rename(temporary, REPORTED, src_dir_fd=self.folder, dst_dir_fd=self.folder)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary, dir_fd=self.folder)
            raise
        os.fsync(self.folder)


def _scope(key: str) -> str:
    return key.split("/", 1)[0] if "/" in key else ""


__all__ = ["REPORTED", "STATE", "Reported"]
