"""Opening a ledger: the database at a URL recognised before anything touches it, refused
when it is not a seatbatch ledger, made or upgraded only by the commands that write."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError, DBAPIError

from seatbatch.ledger import migrations
from seatbatch.ledger.engine import (
    SqliteFile,
    close_engine,
    is_busy,
    make_engine,
    sqlite_file,
    sqlite_path,
    unreachable,
)
from seatbatch.ledger.errors import LedgerBusy, LedgerDamaged, LedgerError, display_url
from seatbatch.ledger.migrations import Kind


def open_engine(url: str, *, write: bool, create: bool) -> Engine | None:
    """The engine of the ledger at `url` (see `Ledger.open`); None for a ledger that does not
    exist and is not to be made, read as empty."""
    where = display_url(url)
    with usable(url):
        kind, found, engine = recognise(url, where, write=write, create=create)
        try:
            if kind is Kind.EMPTY and not (write and create):
                if engine is not None:
                    close_engine(engine)
                return None
            if not write:
                if kind is Kind.OLDER:
                    raise LedgerError(
                        f"the ledger {where} is of an older version of seatbatch, and a "
                        "command that only reads does not upgrade it: run `seatbatch "
                        "ledger upgrade` (or any command that writes), then this again")
                return engine or make_engine(
                    url, read_only=True, immutable=found is not None and found.read_immutable)
            if found is not None and not found.exists:
                make_folder(found.path)
            engine = engine or make_engine(url)
            migrations.migrate(engine, where)
            return engine
        except BaseException:
            if engine is not None:
                close_engine(engine)
            raise


def upgrade(url: str) -> tuple[int, int]:
    """The ledger brought to the newest version; the versions it was and is at. A database
    without a ledger is refused: there is nothing to upgrade (the first command that writes
    makes a new ledger)."""
    where = display_url(url)
    with usable(url):
        kind, _, engine = recognise(url, where, write=True, create=False)
        if kind is Kind.EMPTY:
            if engine is not None:
                close_engine(engine)
            raise LedgerError(f"no seatbatch ledger at {where}: nothing to upgrade (the "
                              "first command that writes, such as process, makes one)")
        engine = engine or make_engine(url)
        try:
            before = migrations.migrate(engine, where)
        finally:
            close_engine(engine)
    return before.version, migrations.NEWEST


@contextmanager
def usable(url: str) -> Iterator[None]:
    """A database error met while opening the ledger: busy (75), or unusable as configured."""
    try:
        yield
    except DatabaseError as error:
        if is_busy(error):
            raise LedgerBusy(str(error.orig)) from error
        raise LedgerError(f"cannot use the ledger {display_url(url)}: {error.orig}") from error


def recognise(url: str, where: str, *, write: bool, create: bool
               ) -> tuple[Kind, SqliteFile | None, Engine | None]:
    """What the database at `url` holds, looked at without changing anything; with the
    SQLite file as found on disk, or the PostgreSQL engine (connected once)."""
    path = sqlite_path(url)
    if path is not None:
        found = sqlite_file(path, write=write, create=create)
        if found.empty:
            return Kind.EMPTY, found, None
        # SQLite: through a read-only connection of its own, so that nothing (not even the
        # switch to WAL a writing connection makes) touches a file that is not a ledger
        immutable = found.probe_immutable
        while True:
            probe = make_engine(url, read_only=True, immutable=immutable)
            try:
                return migrations.examined(probe, where).kind, found, None
            except (LedgerDamaged, DatabaseError):
                if not immutable:
                    raise
                # a run may have opened, written and closed it while it was read without a
                # lock: look again, with one
                immutable = False
            finally:
                close_engine(probe)
    engine = make_engine(url)
    try:
        try:
            engine.connect().close()
        except DBAPIError as error:
            raise unreachable(url, error) from None
        return migrations.recognised(engine, where).kind, None, engine
    except BaseException:
        close_engine(engine)
        raise


def make_folder(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise LedgerError(f"cannot make the ledger's folder {path.parent}: "
                          f"{error.strerror}") from None
