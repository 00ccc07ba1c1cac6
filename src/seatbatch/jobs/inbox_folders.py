"""The inbox's file system: partners' folders, which partners write (over SFTP, say) and which
therefore hold whatever a partner put there (SPEC §8: links, files where folders belong, FIFOs,
odd names).

Every operation below DIR goes through directory descriptors, opened without following a link
(O_NOFOLLOW) and only as folders (O_DIRECTORY), and names one entry relative to one of them: a
partner who swaps a folder for a link between a check and its use moves the name, never what
the held descriptor is. Before a workbook of a partner is claimed, the partner's folder and its
`.claimed/`, `done/` and `rejected/` are made or opened as real folders, so that a workbook that
is processed can always be filed; a folder that is not usable stops that partner's workbooks
(`Unusable`: one line for the operator), never the others'. A claimed workbook is read once,
from a descriptor of a regular file of its own, into a private copy: what is processed is what
was hashed and claimed, whatever the partner does to the inbox meanwhile.

What the partner is answered with (the run's summary, the marked workbook, the invoices) is filed
beside the workbook as `<filed name>.<what>`, each name made exclusively: staged first in the
claim folder, on disk, then linked (a folder renamed) into place, the workbook itself last: a
workbook in done/ or rejected/ has its answers beside it."""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import stat
from collections.abc import Callable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path, PurePath

CLAIMS = ".claimed"
DONE = "done"
REJECTED = "rejected"
# Not only .xlsx: the others are claimed too, so that the safety check rejects them with its
# "save it as .xlsx" message instead of leaving the partner waiting for nothing.
WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".xlsb"})
HIDDEN_PREFIXES = (".", "~$")  # hidden, being written, Excel's and LibreOffice's lock files
MAX_NAME_BYTES = 200  # leaves room for " (99)" and ".rejected.xlsx" within a file system's 255
STAGING = ".answers"  # in a claim folder: what is to be filed beside its workbook
FSYNC_UP_TO = 64  # files; a folder of more has the whole system's writes flushed at once
COPY_BLOCK = 1 << 20

_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC  # a FIFO never blocks
_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def shown(name: str) -> str:
    """A name from the file system as it may be printed: as it is when it is printable, else
    quoted with its control characters (and bytes that are not UTF-8) escaped, so that it can
    never forge an output line."""
    return name if name.isprintable() else repr(name)


def unicode_name(name: str) -> str:
    """A name from the file system as text that is valid Unicode (JSON, HTML, a workbook):
    bytes that are not UTF-8 become U+FFFD."""
    return os.fsencode(name).decode("utf-8", "replace")


def is_workbook_name(name: str) -> bool:
    return PurePath(name).suffix.lower() in WORKBOOK_SUFFIXES


class Unusable(Exception):
    """A partner folder the inbox cannot work in: what is wrong, and what a person is to do."""

    def __init__(self, problem: str,
                 remedy: str = "make it a folder the inbox can write in (it never follows a "
                               "link)"):
        super().__init__(problem)
        self.problem, self.remedy = problem, remedy


class NotAWorkbookFile(Exception):
    """A claimed entry that is no regular file of its own (a link, a FIFO, a folder, a file
    with other hard links): never opened, never read."""


def _what(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a link"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISREG(mode):
        return "a file"
    return "a special file"


def open_folder(name: str, parent: int, shown_as: str, *, make: bool = False) -> int:
    """A descriptor of the folder `name` in `parent` (made first with `make`), never through a
    link; Unusable saying what is there instead."""
    if make:
        try:
            os.mkdir(name, dir_fd=parent)
        except FileExistsError:
            pass
        except OSError as error:
            raise Unusable(f"cannot make the folder {shown_as}: {error.strerror}") from None
    try:
        return os.open(name, _FOLDER, dir_fd=parent)
    except OSError as error:
        if error.errno not in (errno.ELOOP, errno.ENOTDIR):
            raise Unusable(f"cannot open {shown_as}: {error.strerror}") from None
    try:
        what = _what(os.stat(name, dir_fd=parent, follow_symlinks=False).st_mode)
    except OSError:
        what = "not a folder"
    raise Unusable(f"{shown_as} is {what}, not a folder")


def scan_folder(folder: int) -> list[os.DirEntry[str]]:
    """The entries of a folder held open, in name order (their `stat` and `is_*` ask relative
    to `folder`: use them while it is open)."""
    with os.scandir(folder) as entries:
        return sorted(entries, key=lambda e: e.name)


def waiting_workbooks(folder: int, warn: Callable[[os.DirEntry[str], str], None] | None,
                      partner_id: str) -> list[str]:
    """The names of the workbooks waiting in one partner folder, sorted; with `warn`, every other
    visible entry is told to it (with what to say of it) and left alone."""
    names = []
    for entry in scan_folder(folder):
        name = entry.name
        if (name.startswith(HIDDEN_PREFIXES) or name in (DONE, REJECTED)
                or entry.is_dir(follow_symlinks=False)):
            continue  # done/ and rejected/ not being folders is said before claiming
        where = f"{shown(partner_id)}/{shown(name)}"
        # (as text, a byte that is not UTF-8 takes three: the private copy's name)
        longest = max(len(os.fsencode(name)), len(unicode_name(name).encode("utf-8")))
        if longest > MAX_NAME_BYTES and is_workbook_name(name):
            if warn:  # its note, or a " (2)" beside it, would not fit in a file name
                warn(entry, f"warning: {where}: the file name is longer than {MAX_NAME_BYTES} "
                     "bytes; rename it shorter to have it processed")
        elif (entry.is_file(follow_symlinks=False) and is_workbook_name(name)
              and entry.stat(follow_symlinks=False).st_nlink == 1):
            names.append(name)
        elif entry.is_file(follow_symlinks=False) and is_workbook_name(name):
            if warn:  # a hard link to a file elsewhere: another partner's, say
                warn(entry, f"warning: {where}: a file with other hard links, not a workbook file "
                     "of its own; left alone")
        elif warn:
            try:
                what = _what(entry.stat(follow_symlinks=False).st_mode)
            except OSError:
                what = "gone"
            warn(entry, f"warning: {where}: {what}, not a workbook file; left alone" if
                 is_workbook_name(name) else f"warning: {where}: not an .xlsx workbook; "
                 "left alone")
    return names


def _numbered(name: str) -> Iterator[str]:
    """orders.xlsx, orders (2).xlsx, orders (3).xlsx, ..."""
    stem, suffix = PurePath(name).stem, PurePath(name).suffix
    yield name
    number = 2
    while True:
        yield f"{stem} ({number}){suffix}"
        number += 1


def _exists(name: str, folder: int) -> bool:
    try:
        os.stat(name, dir_fd=folder, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return True


def move_no_clobber(name: str, source: int, target: str, folder: int) -> bool:
    """Move the entry `name` of `source` to `target` in `folder` unless something (a link
    included) is there already (False then). A hard link refuses to replace, and links the
    entry itself, never what a link points to; where a file system has none, a rename after a
    look has to do."""
    try:
        os.link(name, target, src_dir_fd=source, dst_dir_fd=folder, follow_symlinks=False)
    except FileExistsError:
        return False
    except OSError as error:
        if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
            raise
        if _exists(target, folder):
            return False
        os.rename(name, target, src_dir_fd=source, dst_dir_fd=folder)
        return True
    os.unlink(name, dir_fd=source)
    return True


def write_new(name: str, folder: int, content: bytes) -> bool:
    """A new file `name` in `folder` (False when anything, a link included, has that name)."""
    try:
        descriptor = os.open(name, _NEW, 0o666, dir_fd=folder)
    except FileExistsError:
        return False
    try:
        with os.fdopen(descriptor, "wb", closefd=False) as handle:
            handle.write(content)
    finally:
        os.close(descriptor)
    return True


@dataclass(frozen=True)
class Beside:
    """A file or folder filed beside a workbook as `<filed name><suffix>`: either written for
    the name the workbook is filed under (`content`, given that name), or staged already in
    the claim's STAGING folder under the name `staged`."""

    suffix: str
    content: Callable[[str], bytes] | None = None
    staged: str | None = None


def _write_synced(name: str, folder: int, content: bytes) -> None:
    """A new file, on disk before it is named anywhere else."""
    descriptor = os.open(name, _NEW, 0o666, dir_fd=folder)
    try:
        with os.fdopen(descriptor, "wb", closefd=False) as handle:
            handle.write(content)
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def stage_copy(source: Path, name: str, folder: int, *, sync: bool = True) -> None:
    """A copy of the run's file `source` (never through a link) as the new file `name` in
    `folder`, on disk with `sync`."""
    reading = os.open(source, _FILE)
    try:
        descriptor = os.open(name, _NEW, 0o666, dir_fd=folder)
        try:
            with os.fdopen(reading, "rb", closefd=False) as given, \
                    os.fdopen(descriptor, "wb", closefd=False) as copy:
                shutil.copyfileobj(given, copy, COPY_BLOCK)
            if sync:
                os.fsync(descriptor)
        finally:
            os.close(descriptor)
    finally:
        os.close(reading)


def stage_folder(sources: Sequence[Path], name: str, folder: int) -> None:
    """A new folder `name` in `folder` holding a copy of each of `sources`, on disk (a few
    files flushed one by one, more at once, as a run folder is)."""
    os.mkdir(name, dir_fd=folder)
    inner = open_folder(name, folder, name)
    try:
        for source in sources:
            stage_copy(source, source.name, inner, sync=len(sources) <= FSYNC_UP_TO)
        if len(sources) > FSYNC_UP_TO:
            os.sync()
        os.fsync(inner)
    finally:
        os.close(inner)


def _place(beside: Beside, candidate: str, staging: int, shelf: int) -> bool:
    """One of the workbook's answers in `shelf` under `candidate + suffix`, unless something
    (a link included) has that name (False then)."""
    target = candidate + beside.suffix
    if beside.content is not None:
        temporary = f".{beside.suffix.strip('.')}.writing"
        _write_synced(temporary, staging, beside.content(candidate))
        try:
            return move_no_clobber(temporary, staging, target, shelf)
        finally:
            with suppress(FileNotFoundError):
                os.unlink(temporary, dir_fd=staging)
    assert beside.staged is not None
    if not stat.S_ISDIR(os.stat(beside.staged, dir_fd=staging, follow_symlinks=False).st_mode):
        return move_no_clobber(beside.staged, staging, target, shelf)
    if _exists(target, shelf):  # a folder cannot be linked; a rename replaces an empty one
        return False  # at most, which loses nothing
    os.rename(beside.staged, target, src_dir_fd=staging, dst_dir_fd=shelf)
    return True


def _unplace(placed: list[Beside], candidate: str, staging: int, shelf: int) -> None:
    """Undo `_place` for a name that was taken after all: what was staged goes back to
    staging (for the next name), what was written for this name is removed."""
    for beside in reversed(placed):
        target = candidate + beside.suffix
        with suppress(FileNotFoundError):
            if beside.staged is not None:
                os.rename(target, beside.staged, src_dir_fd=shelf, dst_dir_fd=staging)
            else:
                os.unlink(target, dir_fd=shelf)


def file_with(name: str, claim: int, shelf: int, beside: Sequence[Beside]) -> str:
    """The entry `name` of the claim folder `claim` filed in `shelf` under its own name (never
    over an earlier one: "name (2).xlsx" then), each of `beside` beside it under that name;
    the name it was filed under. The first of `beside` (the note) is made first: made
    exclusively, it reserves the name among inbox runs; the workbook is moved last, so that
    a workbook filed has everything beside it. Whatever stops it half way (a name taken, an
    error, Ctrl-C) takes back what it placed under that name."""
    with suppress(FileExistsError):
        os.mkdir(STAGING, dir_fd=claim)
    staging = os.open(STAGING, _FOLDER, dir_fd=claim)  # an OSError, as every step's here
    try:
        for candidate in _numbered(name):
            placed: list[Beside] = []
            try:
                for one in beside:
                    if not _place(one, candidate, staging, shelf):
                        break
                    placed.append(one)
                else:
                    if move_no_clobber(name, claim, candidate, shelf):
                        os.fsync(shelf)
                        return candidate
            except BaseException:
                _unplace(placed, candidate, staging, shelf)
                raise
            _unplace(placed, candidate, staging, shelf)
    finally:
        os.close(staging)
        unstage(claim)
    raise AssertionError("unreachable")


def unstage(claim: int) -> None:
    """The claim folder's staged answers removed (filed, or not to be)."""
    with suppress(OSError):  # gone already; or not ours (a link): left alone
        shutil.rmtree(STAGING, dir_fd=claim)


def put_back(name: str, source: int, folder: int) -> str:
    """The entry back among the waiting (beside a newer upload of the same name, if one came
    meanwhile); the name it waits under."""
    for candidate in _numbered(name):
        if move_no_clobber(name, source, candidate, folder):
            return candidate
    raise AssertionError("unreachable")


@dataclass
class PartnerFolder:
    """One partner's folder and its three folders, held open for one workbook."""

    partner_id: str
    path: Path  # for messages only: every operation uses the descriptors
    folder: int
    claims: int = -1
    done: int = -1
    rejected: int = -1
    _open: list[int] = field(default_factory=list)

    @classmethod
    def open(cls, root: int, directory: Path, partner_id: str) -> PartnerFolder:
        """The partner's folder ready to claim and file in (its folders made when missing), or
        Unusable."""
        folder = open_folder(partner_id, root, shown(partner_id))
        opened = cls(partner_id, directory / partner_id, folder, _open=[folder])
        try:
            for attribute, name in (("claims", CLAIMS), ("done", DONE), ("rejected", REJECTED)):
                descriptor = open_folder(name, folder, f"{shown(partner_id)}/{name}", make=True)
                opened._open.append(descriptor)
                setattr(opened, attribute, descriptor)
        except BaseException:
            opened.close()
            raise
        return opened

    def close(self) -> None:
        for descriptor in self._open:
            os.close(descriptor)
        self._open = []

    def __enter__(self) -> PartnerFolder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class Copy:
    """A claimed workbook's bytes, copied where no partner reaches, and their sha256."""

    path: Path
    sha256: str


def private_copy(name: str, claim: int, into: Path, limit_bytes: int) -> Copy:
    """Read the claimed entry `name` once, from a descriptor of a regular file with no other
    hard link, into `into/<name>` (the name as valid text), hashing it on the way. Past
    `limit_bytes` only the hash reads on: the copy keeps the file's size (a hole), enough for
    the size check to reject it without a second copy of an oversized file on disk."""
    try:
        mode = os.stat(name, dir_fd=claim, follow_symlinks=False).st_mode
        if not stat.S_ISREG(mode):
            raise NotAWorkbookFile(f"{_what(mode)}, not a workbook file")
        source = os.open(name, _FILE, dir_fd=claim)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise NotAWorkbookFile("a link, not a workbook file") from None
        raise
    try:
        status = os.fstat(source)
        if not stat.S_ISREG(status.st_mode):
            raise NotAWorkbookFile(f"{_what(status.st_mode)}, not a workbook file")
        if status.st_nlink != 1:  # a hard link to a file elsewhere (another partner's, say)
            raise NotAWorkbookFile("a file with other hard links, not a workbook file of its "
                                   "own")
        os.set_blocking(source, True)
        target = into / unicode_name(name).replace("/", "_")
        digest = hashlib.sha256()
        read = written = 0
        with target.open("xb") as copy:
            while block := os.read(source, COPY_BLOCK):
                digest.update(block)
                read += len(block)
                if written <= limit_bytes:
                    copy.write(block)
                    written += len(block)
            if read > written:
                copy.truncate(read)
        return Copy(target, digest.hexdigest())
    finally:
        os.close(source)


__all__ = [
    "CLAIMS",
    "DONE",
    "REJECTED",
    "STAGING",
    "Beside",
    "Copy",
    "NotAWorkbookFile",
    "PartnerFolder",
    "Unusable",
    "file_with",
    "is_workbook_name",
    "move_no_clobber",
    "open_folder",
    "private_copy",
    "put_back",
    "scan_folder",
    "shown",
    "stage_copy",
    "stage_folder",
    "unicode_name",
    "unstage",
    "waiting_workbooks",
    "write_new",
]
