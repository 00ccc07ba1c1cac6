"""The one engine-specific module: connecting, transactions, and telling 'busy' apart.

A ledger is a SQLite file or a PostgreSQL database; everything else in `seatbatch.ledger` is
the same SQLAlchemy Core on both.

SQLite: WAL, synchronous=FULL, foreign keys on; a write transaction starts with BEGIN IMMEDIATE
so that it takes the write lock first and waits at most the busy timeout for it. A ledger that
is only read is opened read-only (`mode=ro`), and is looked at (`sqlite_file`) before SQLite
opens it at all.

PostgreSQL (psycopg 3): a write transaction is READ COMMITTED and takes, in one order, the row
locks it needs (its partners' rows, the series' counter, the id counter), each waiting at most
the busy timeout (`lock_timeout`); a read is one REPEATABLE READ, READ ONLY snapshot. A lock
timeout, a serialization failure and a deadlock all mean 'busy': try again later."""

from __future__ import annotations

import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary, WeakSet

from sqlalchemy import Date, Table, create_engine, event, func, select
from sqlalchemy.engine import URL, Connection, Dialect, Engine, Row, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.types import TypeEngine

from seatbatch.ledger import behind
from seatbatch.ledger.errors import (
    LedgerBusy,
    LedgerDamaged,
    LedgerError,
    display_url,
    scrub_url,
    without_password,
)

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql, sqlite


def busy_seconds() -> float:
    """How long to wait for another run's lock: `$SEATBATCH_BUSY_TIMEOUT`, read when a ledger
    is opened (not once at import, so that each command run in one process sees its own)."""
    return float(os.environ.get("SEATBATCH_BUSY_TIMEOUT", "5"))


CONNECT_SECONDS = 10
# lock_not_available (lock_timeout), serialization_failure, deadlock_detected; too many
# connections; the server shutting down or starting up
POSTGRES_BUSY = {"55P03", "40001", "40P01", "53300", "57P01", "57P02", "57P03"}
POSTGRES_SCHEMES = {"postgresql", "postgres", "postgresql+psycopg"}


def is_busy(error: BaseException) -> bool:
    """Whether the ledger could not do it now but may later: a lock, a conflict, a connection
    lost (the server restarted, the network failed over) or not to be had now."""
    if getattr(error, "connection_invalidated", False):
        return True
    cause = getattr(error, "orig", error)
    sqlstate = getattr(cause, "sqlstate", None) or ""
    if sqlstate in POSTGRES_BUSY or sqlstate.startswith("08"):
        return True
    text = str(cause).lower()
    return any(words in text for words in ("database is locked", "database is busy",
                                           "database table is locked",
                                           "server closed the connection unexpectedly"))


def _postgres_url(url: str) -> URL | None:
    """The SQLAlchemy URL of a PostgreSQL ledger, or None for a SQLite path."""
    if "://" not in url:
        return None
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise LedgerError(f"ledger {scrub_url(url)!r} is not a database URL") from None
    if parsed.drivername not in POSTGRES_SCHEMES:
        raise LedgerError(
            f"ledger {display_url(url)}: a ledger is a SQLite file path or a postgresql:// URL"
        )
    return parsed.set(drivername="postgresql+psycopg")


def sqlite_path(url: str) -> Path | None:
    return None if "://" in url else Path(url)


SQLITE_HEADER = b"SQLite format 3\x00"
SQLITE_HEADER_SIZE = 100  # the database header that begins every SQLite file


@dataclass(frozen=True)
class SqliteFile:
    """A SQLite ledger path as found on disk, before SQLite opens it."""

    path: Path
    exists: bool
    empty: bool  # missing, or a file of 0 bytes (SQLite reads it as an empty database)
    wal_mode: bool  # its header says WAL
    in_use: bool  # a -wal file stands beside it: a connection has it open (or one was killed)
    folder_writable: bool

    @property
    def probe_immutable(self) -> bool:
        """Whether to look at it with no lock and no file made beside it: a file no connection
        has open, in WAL mode (where even a read-only look makes -wal and -shm files) or in a
        folder where they cannot be made."""
        return self.exists and not self.in_use and (self.wal_mode or not self.folder_writable)

    @property
    def read_immutable(self) -> bool:
        """Whether to read it with no lock: no connection has it open and none can, for no run
        can make the -wal file it would need in its folder."""
        return self.exists and not self.in_use and not self.folder_writable


def sqlite_file(path: Path, *, write: bool, create: bool = True) -> SqliteFile:
    """Look at a SQLite ledger path without opening it; LedgerError (exit 2, naming it and what
    to do) for a folder, a file that is not SQLite, one shorter than its header says and, to
    write, a file or folder that cannot be written (a parent folder that does not exist yet is
    made by the caller; `create=False`: a missing file is not to be made)."""
    if path.is_dir():
        raise LedgerError(f"the ledger {path} is a folder: give --ledger a SQLite file path")
    folder = path.parent
    existing_folder = next((f for f in (folder, *folder.parents) if f.exists()), Path("/"))
    if not existing_folder.is_dir():
        raise LedgerError(f"cannot make the ledger {path}: {existing_folder} is a file, not a "
                          "folder")
    folder_writable = os.access(existing_folder, os.W_OK | os.X_OK)
    if not path.exists():
        if write and create and not folder_writable:
            raise LedgerError(f"cannot make the ledger {path}: the folder {existing_folder} "
                              "cannot be written by the user running seatbatch")
        return SqliteFile(path, False, True, False, False, folder_writable)
    try:
        with path.open("rb") as file:
            header = file.read(SQLITE_HEADER_SIZE)
        size = path.stat().st_size
    except OSError as error:
        raise LedgerError(f"cannot read the ledger {path}: {error.strerror}") from None
    in_use = Path(f"{path}-wal").exists()
    found = SqliteFile(path, True, size == 0, header[18:19] == b"\x02", in_use,
                       folder_writable)
    if size and (len(header) < SQLITE_HEADER_SIZE or not header.startswith(SQLITE_HEADER)):
        raise LedgerError(f"the ledger {path} is not a SQLite database (nor a seatbatch "
                          "ledger): nothing was changed in it; give --ledger the ledger's path")
    if size and not in_use:
        page_size = int.from_bytes(header[16:18], "big")
        page_size = 65536 if page_size == 1 else page_size
        pages = int.from_bytes(header[28:32], "big")
        if header[24:28] == header[92:96] and pages and size < pages * page_size:
            raise LedgerError(f"the ledger {path} is damaged: {size} bytes where its header "
                              f"says {pages * page_size} (the file was cut short); restore it "
                              "from a backup; nothing was changed in it")
    if write and not os.access(path, os.W_OK):
        raise LedgerError(f"cannot write the ledger {path}: the file is read-only for the user "
                          "running seatbatch; make it writable (or run seatbatch as a user who "
                          "may write it)")
    if write and not folder_writable:
        raise LedgerError(f"cannot write the ledger {path}: its folder {folder} cannot be "
                          f"written, and SQLite must make {path.name}-wal and {path.name}-shm "
                          "there; make the folder writable for the user running seatbatch")
    return found


def is_postgres(connection: Connection) -> bool:
    return connection.dialect.name == "postgresql"


def _wal(cursor: Any) -> None:
    """Switch a new ledger file to WAL. SQLite answers 'locked' at once, without waiting, when
    two runs make the same new file at the same moment, so the switch is retried here."""
    deadline = time.monotonic() + busy_seconds()
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if not is_busy(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


# every engine's ledger as it may be printed (`display_url` of the URL it was made from)
_NAMES: WeakKeyDictionary[Engine, str] = WeakKeyDictionary()

# One engine per PostgreSQL URL for the life of the process, so that its connections are
# kept: an inbox run opens the ledger several times per workbook, and each new connection costs
# a login (scram) and a server process. A SQLite engine is made and disposed each time.
_POSTGRES_ENGINES: dict[str, Engine] = {}


def _forget_connections() -> None:
    """In a forked child: never use, nor close, the parent's connections."""
    for engine in _POSTGRES_ENGINES.values():
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_forget_connections)


def close_engines() -> None:
    """The command is done: the PostgreSQL engines kept for it close their connections, so
    that a command run in-process (as the tests run it) leaves none open behind it."""
    while _POSTGRES_ENGINES:
        _POSTGRES_ENGINES.popitem()[1].dispose()


def make_engine(url: str, *, read_only: bool = False, immutable: bool = False) -> Engine:
    """The engine of a ledger. `read_only`: a SQLite file opened read-only (`mode=ro`): it can
    neither be written nor switched to WAL, and no schema can be made in it; `immutable` also
    takes no locks and makes no files beside it (for a file no run can be writing). A
    PostgreSQL ledger is read in READ ONLY transactions by `atomic` instead."""
    postgres = _postgres_url(url)
    busy = busy_seconds()
    if postgres is not None:
        if url not in _POSTGRES_ENGINES:
            _POSTGRES_ENGINES[url] = create_engine(postgres, pool_pre_ping=True, connect_args={
                "connect_timeout": CONNECT_SECONDS,
                "application_name": "seatbatch",
                "options": f"-c lock_timeout={int(busy * 1000)}",
                # a server host that vanishes mid-statement is given up on, not waited for
                "keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10,
                "keepalives_count": 3, "tcp_user_timeout": 60_000,
            })
            _NAMES[_POSTGRES_ENGINES[url]] = display_url(url)
        return _POSTGRES_ENGINES[url]
    if read_only:
        uri = Path(url).absolute().as_uri() + "?mode=ro" + ("&immutable=1" if immutable else "")
        engine = create_engine(f"sqlite:///{url}", creator=lambda: sqlite3.connect(
            uri, uri=True, timeout=busy, check_same_thread=False))
    else:
        engine = create_engine(
            f"sqlite:///{url}",
            connect_args={"timeout": busy},
        )
    checkpoint_at_close = not read_only and behind.active()
    if checkpoint_at_close:
        _CHECKPOINT_AT_CLOSE.add(engine)

    _NAMES[engine] = url

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # transactions are begun below, not by pysqlite
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy * 1000)}")
        if read_only:
            cursor.execute("PRAGMA query_only = ON")
        else:
            _wal(cursor)
            cursor.execute("PRAGMA synchronous = FULL")
            # the statement journal of each multi-row INSERT (SQLite keeps one per statement
            # in a write transaction, to undo that statement alone) in memory: a large run
            # wrote 100 MB to a temporary file for it
            cursor.execute("PRAGMA temp_store = MEMORY")
            if checkpoint_at_close:
                # no checkpoint as a large commit ends (SQLite's automatic one, past 1,000
                # pages): `close_engine` makes it, behind the run (`seatbatch.ledger.behind`)
                cursor.execute("PRAGMA wal_autocheckpoint = 0")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


# the server is there but cannot take this run now: too many connections, starting, stopping
POSTGRES_NOT_NOW = ("too many clients", "too many connections",
                    "remaining connection slots are reserved",
                    "the database system is starting up", "the database system is shutting down",
                    "the database system is in recovery mode")


# SQLite engines opened to write inside `behind.closing_behind()`: their commits leave the WAL
# as it is, and their close copies it into the ledger's file
_CHECKPOINT_AT_CLOSE: WeakSet[Engine] = WeakSet()


def close_engine(engine: Engine) -> None:
    """Done with the ledger for now: a SQLite engine is closed; a PostgreSQL engine keeps its
    connections, idle, for the next use in this process. A SQLite engine whose commits made no
    checkpoint makes one first (PASSIVE: it waits for no reader), as its close alone would
    not when another connection has the ledger open."""
    if engine.dialect.name == "postgresql":
        return
    try:
        if engine in _CHECKPOINT_AT_CLOSE:
            connection = engine.raw_connection()
            try:
                cursor = connection.cursor()
                cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
                cursor.close()
            finally:
                connection.close()
    finally:
        engine.dispose()


def close_behind(engine: Engine) -> None:
    """`close_engine`, in a thread the run waits for before it ends (`seatbatch.ledger.behind`)
    when it is a SQLite engine opened to write inside `closing_behind()`; else here and now."""
    if engine in _CHECKPOINT_AT_CLOSE and behind.active():
        behind.start(lambda: close_engine(engine))
    else:
        close_engine(engine)


def unreachable(url: str, error: DBAPIError) -> LedgerError | LedgerBusy:
    """Why a PostgreSQL ledger could not be opened, naming its host and database (never the
    password): a usage error (2), or busy (75) when the server only cannot take us now."""
    parsed = make_url(url)
    where = (f"database {parsed.database!r} on {parsed.host or 'localhost'}:"
             f"{parsed.port or 5432}")
    reason = without_password(
        "; ".join(line.strip() for line in str(error.orig).splitlines() if line.strip()), url)
    reason = re.sub(r"^connection failed: (connection to server at .*? failed: )?", "", reason)
    sqlstate = getattr(error.orig, "sqlstate", None)
    if any(words in reason for words in POSTGRES_NOT_NOW):
        return LedgerBusy(f"the ledger {where} cannot take another run now: {reason}")
    if sqlstate in ("28P01", "28000") or "authentication failed" in reason:
        return LedgerError(f"the ledger {where} refused the login of user "
                           f"{parsed.username!r}: {reason}")
    return LedgerError(f"cannot reach the ledger {where}: {reason}")


def _dialect_insert(connection: Connection, table: Table
                    ) -> postgresql.Insert | sqlite.Insert:
    """The engine's own INSERT, which has ON CONFLICT. Its dialect is imported here: SQLAlchemy
    loads the one a ledger uses as it connects, and the PostgreSQL one is its largest module."""
    if is_postgres(connection):
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


def insert_new(connection: Connection, table: Table, **values: Any) -> bool:
    """Insert the row unless one with its key is there already; whether it was inserted."""
    result = connection.execute(_dialect_insert(connection, table).values(**values)
                                .on_conflict_do_nothing(),
                                execution_options={"preserve_rowcount": True})  # else -1 on psycopg
    return result.rowcount == 1


def locked_row(connection: Connection, table: Table, **values: Any) -> Row[Any]:
    """The row with the key in `values` (made from `values` when there is none), locked until
    the transaction ends: one statement, an upsert that changes nothing."""
    key = [column.name for column in table.primary_key.columns]
    kept = next(column for column in table.columns if column.name not in key)
    return connection.execute(
        _dialect_insert(connection, table).values(**values)
        .on_conflict_do_update(index_elements=key, set_={kept.name: kept})
        .returning(*table.columns)
    ).one()


COPY_FROM_ROWS = 500  # fewer rows go to PostgreSQL as one pipelined executemany: one round trip


def bulk_insert(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Many rows, given as dicts of the same keys, into one table (see `insert_rows`)."""
    if not rows:
        return
    names = list(rows[0])
    values = itemgetter(*names) if len(names) > 1 else (lambda row: (row[names[0]],))
    insert_rows(connection, table, names, list(map(values, rows)))


# bound values, and rows, per INSERT statement of several rows: SQLite's least limits (of
# bound values before 3.32, of rows in a VALUES list before 3.8.8)
STATEMENT_VALUES = 999
STATEMENT_ROWS = 500


def insert_rows(connection: Connection, table: Table, names: Sequence[str],
                rows: Sequence[Sequence[Any]]) -> None:
    """Many rows into one table, each a tuple of the `names` columns' values: the statement
    compiled once, the rows' values laid out in one list and each column's converted at once
    (`_binder`), then one executemany; of an INSERT of as many rows as `STATEMENT_VALUES`
    allows where the driver's parameters are positional (SQLite: a quarter less CPU on
    100,000 rows than one row at a time), else of one row. PostgreSQL takes hundreds of rows
    by COPY. Same rows as `insert()` with a list of dicts, in the same order, at a fraction of
    the cost."""
    if not rows:
        return
    if is_postgres(connection) and len(rows) >= COPY_FROM_ROWS:
        _copy_in(connection, table, names, rows)
        return
    dialect = connection.dialect
    compiled = table.insert().compile(dialect=dialect, column_keys=list(names))
    order = list(compiled.positiontup or names)
    if order != list(names):  # the statement names the columns in another order
        at = [list(names).index(name) for name in order]
        rows = [tuple(row[i] for i in at) for row in rows]
    width = len(order)
    flat = list(chain.from_iterable(rows))  # every row's values, one row after the other
    for at_column, name in enumerate(order):
        binder = _binder(table.c[name].type, dialect)
        if binder is not None:
            flat[at_column::width] = binder(flat[at_column::width])
    if not compiled.positional:
        connection.exec_driver_sql(compiled.string, [
            dict(zip(order, flat[start:start + width], strict=True))
            for start in range(0, len(flat), width)
        ])
        return
    head, one = compiled.string.rsplit(" VALUES ", 1)
    each = max(1, min(STATEMENT_ROWS, STATEMENT_VALUES // width))
    whole = (len(rows) - len(rows) % each) * width
    if whole:
        connection.exec_driver_sql(f"{head} VALUES {', '.join([one] * each)}", [
            tuple(flat[start:start + each * width]) for start in range(0, whole, each * width)
        ])
    if whole < len(flat):
        connection.exec_driver_sql(
            f"{head} VALUES {', '.join([one] * ((len(flat) - whole) // width))}",
            tuple(flat[whole:]))


def _binder(column_type: TypeEngine[Any], dialect: Dialect
            ) -> Callable[[Sequence[Any]], list[Any]] | None:
    """What binds a column's values: its type's bind processor applied to each (None when the
    type has none). Dates (SQLite's text for them) are converted once per distinct day: a
    column of 100,000 holds a few hundred."""
    processor = column_type.dialect_impl(dialect).bind_processor(dialect)
    if processor is None:
        return None
    if not isinstance(column_type, Date):
        return lambda given: list(map(processor, given))

    def dates(given: Sequence[Any]) -> list[Any]:
        if not set(map(type, given)) <= {date, type(None)}:  # equal is then the same day
            return list(map(processor, given))
        bound = {value: processor(value) for value in set(given)}
        return list(map(bound.__getitem__, given))

    return dates


def _copy_in(connection: Connection, table: Table, names: Sequence[str],
             rows: Sequence[Sequence[Any]]) -> None:
    """PostgreSQL's COPY, in the transaction of `connection`: several times faster than an
    executemany of INSERTs on tens of thousands of rows. psycopg converts each value."""
    columns = ", ".join(f'"{name}"' for name in names)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor, cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row)


def continue_ids(connection: Connection, table: Table) -> None:
    """After rows came in with their own ids (an upgrade, a copy), the next id the database
    gives follows them: a PostgreSQL sequence does not see ids inserted explicitly. SQLite
    takes max(rowid) + 1 by itself."""
    column = table.autoincrement_column
    if column is None or not is_postgres(connection):
        return
    connection.execute(select(func.setval(
        func.pg_get_serial_sequence(table.name, column.name),
        select(func.coalesce(func.max(column), 0) + 1).scalar_subquery(),
        False,
    )))


# SQLite: the file or its folder cannot be written (a read-only file, a folder in which the
# -wal and -shm files cannot be made), or cannot be opened at all; PostgreSQL: the user may not
# write (insufficient_privilege), or the server only reads (read_only_sql_transaction)
SQLITE_UNWRITABLE = ("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH")
SQLITE_DAMAGED = ("SQLITE_CORRUPT", "SQLITE_NOTADB")
POSTGRES_UNWRITABLE = {"42501", "25006"}


def ledger_name(engine: Engine) -> str:
    """The ledger as it may be printed: its SQLite path, or its URL without the password."""
    return _NAMES.get(engine) or str(engine.url.database)


def unusable(engine: Engine, error: DBAPIError) -> LedgerError | None:
    """Why the ledger cannot be used at all, when that is what `error` says: it cannot be
    written (exit 2, with what to do), or it is damaged."""
    cause = error.orig
    name = ledger_name(engine)
    code = getattr(cause, "sqlite_errorname", "") or ""
    reason = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
    if code.startswith(SQLITE_UNWRITABLE):
        path = Path(name)
        verb = "write" if code.startswith("SQLITE_READONLY") else "open"
        return LedgerError(
            f"cannot {verb} the ledger {path} ({reason}): the user running seatbatch must be "
            f"able to write the file and to create files in its folder {path.parent} "
            f"(SQLite makes {path.name}-wal and {path.name}-shm there)")
    if code.startswith(SQLITE_DAMAGED):
        return LedgerDamaged(f"the ledger {name} is damaged ({reason}): restore it from a "
                             "backup; nothing was changed")
    if getattr(cause, "sqlstate", None) in POSTGRES_UNWRITABLE:
        return LedgerError(
            f"cannot write the ledger {name} ({reason}): the database user must be able to "
            "create and write its tables, on a server that accepts writes")
    return None


@contextmanager
def busy_guard(engine: Engine | None = None) -> Iterator[None]:
    """Whichever statement meets another run's lock, the run ends as LedgerBusy; a ledger
    that cannot be written or is damaged ends it as LedgerError (exit 2), never as a bug."""
    try:
        yield
    except (OperationalError, DBAPIError) as error:
        if is_busy(error):
            raise LedgerBusy(str(getattr(error, "orig", error))) from error
        found = unusable(engine, error) if engine is not None and isinstance(
            error, DBAPIError) else None
        if found is not None:
            raise found from error
        raise


@contextmanager
def atomic(engine: Engine, *, write: bool) -> Iterator[Connection]:
    """The one transaction: all of it commits, or none of it."""
    with busy_guard(engine), engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection = connection.execution_options(
                isolation_level="READ COMMITTED" if write else "REPEATABLE READ",
                postgresql_readonly=not write,
            )
        elif write:
            connection = connection.execution_options(sqlite_begin="IMMEDIATE")
        with connection.begin():
            yield connection


def hold_still(connection: Connection, gate: Table, tables: Sequence[Table]) -> None:
    """Until the caller's write transaction ends, no other run commits to these tables; reads
    go on. SQLite: BEGIN IMMEDIATE holds the write lock already. PostgreSQL: first the `gate`,
    the table every committing run locks a row of before it writes anything, in EXCLUSIVE mode:
    that waits for the commits under way, and stops the next ones at their first statement, so
    that no run can hold a table this then waits for (no deadlock); then SHARE locks on the
    rest for any other writer. Writers wait at most the busy timeout, then are 'busy'."""
    if is_postgres(connection):
        named = connection.dialect.identifier_preparer.format_table
        connection.exec_driver_sql(f"LOCK TABLE {named(gate)} IN EXCLUSIVE MODE")
        rest = [named(table) for table in tables if table is not gate]
        connection.exec_driver_sql(f"LOCK TABLE {', '.join(rest)} IN SHARE MODE")


def lock_for_migration(connection: Connection) -> None:
    """Runs making or upgrading the same ledger at once wait for each other. SQLite: BEGIN
    IMMEDIATE has done it already."""
    if is_postgres(connection):
        connection.execute(select(func.pg_advisory_xact_lock(0x5EA7BA7C)))
