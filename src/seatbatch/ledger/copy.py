"""`seatbatch ledger copy FROM TO`: a whole ledger into an empty database, checked.

The path a growing user takes from a SQLite file to PostgreSQL (either way works). FROM is
opened as the commands that write open it (a database that is not a seatbatch ledger is
refused untouched; an older schema is upgraded) and read in one write
transaction that keeps every other run from committing to it; TO gets the newest schema
through the normal migrations and every row, in one write transaction that commits only when
both ledgers agree on what `CopyCheck` counts."""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Table, func, inspect, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from seatbatch.ledger import schema as t
from seatbatch.ledger.engine import (
    atomic,
    close_engine,
    continue_ids,
    hold_still,
    insert_rows,
    make_engine,
    sqlite_path,
    unreachable,
)
from seatbatch.ledger.errors import CopyMismatch, LedgerError, display_url
from seatbatch.ledger.migrations import migrate_in
from seatbatch.ledger.store import Ledger

CHUNK = 2000  # rows read from FROM and written to TO at a time
TABLES = [table for table in t.metadata.sorted_tables if table is not t.schema_migrations]


@dataclass(frozen=True)
class CopyCheck:
    """What both ledgers must agree on."""

    versions: tuple[int, ...]  # schema_migrations
    rows: dict[str, int]  # per table
    totals: dict[str, tuple[int, Decimal]]  # per currency: invoices, sum of their totals
    counters: dict[tuple[str, int], tuple[int, str]]  # (series, year): last seq and number
    highest: dict[tuple[str, int], int]  # (series, year): max(seq) of the invoices
    ids: dict[str, int]  # id_counters

    def differences(self, other: CopyCheck) -> list[str]:
        found = []
        for name, mine, theirs in (
            ("schema versions", self.versions, other.versions),
            ("rows", self.rows, other.rows),
            ("invoice totals", self.totals, other.totals),
            ("number counters", self.counters, other.counters),
            ("highest invoice numbers", self.highest, other.highest),
            ("id counters", self.ids, other.ids),
        ):
            if mine != theirs:
                if isinstance(mine, dict) and isinstance(theirs, dict):
                    keys = sorted({*mine, *theirs}, key=repr)
                    detail = ", ".join(f"{_key(k)} {mine.get(k)} != {theirs.get(k)}"
                                       for k in keys if mine.get(k) != theirs.get(k))
                else:
                    detail = f"{mine} != {theirs}"
                found.append(f"{name}: {detail}")
        return found


@dataclass(frozen=True)
class CopyReport:
    source: str  # as it may be printed
    target: str
    check: CopyCheck

    def lines(self) -> list[str]:
        c = self.check
        out = [
            f"copied the ledger {self.source} to {self.target}",
            f"{self.source} was held for the whole copy: no run could commit to it meanwhile, "
            "so nothing is missing from the copy",
            "checked, the same in both:",
            f"  schema version  {max(c.versions, default=0)}",
            f"  rows            {sum(c.rows.values())}: "
            + ", ".join(f"{name} {count}" for name, count in c.rows.items()),
        ]
        if c.totals:
            out.append("  invoice totals  " + "; ".join(
                f"{currency} {total} ({count} invoices)"
                for currency, (count, total) in sorted(c.totals.items())))
        else:
            out.append("  invoice totals  no invoices")
        for (series, year), (seq, number) in sorted(c.counters.items()):
            out.append(f"  last number     {series} {year}: {number} (counter {seq}, "
                       f"highest issued {c.highest.get((series, year), 0)})")
        for name, value in sorted(c.ids.items()):
            out.append(f"  last id         {name}: {value}")
        return out


def _key(key: object) -> str:
    return " ".join(map(str, key)) if isinstance(key, tuple) else str(key)


def copy_ledger(source_url: str, target_url: str) -> CopyReport:
    """Copy the ledger at `source_url` into the empty `target_url`; raise LedgerError (exit 2)
    when FROM is not a ledger or TO is not empty, CopyMismatch (exit 70) when the copy does not
    check out, LedgerBusy (exit 75) when another run holds FROM."""
    source_path = sqlite_path(source_url)
    if source_path is not None and not source_path.is_file():
        raise LedgerError(f"no ledger at {source_url}: FROM must be an existing ledger")
    with Ledger.open(source_url, write=True, create=False) as source:
        if source.engine is None:
            raise LedgerError(f"{display_url(source_url)} holds no seatbatch ledger: "
                              "FROM must be an existing ledger")
        with _target(target_url) as target:
            check = _copy(source.engine, target, target_url)
    return CopyReport(display_url(source_url), display_url(target_url), check)


@contextlib.contextmanager
def _target(url: str) -> Iterator[Engine]:
    """TO's engine, once it is known to be empty: a SQLite path that does not exist yet (made
    here, and removed again if the copy does not commit), or a PostgreSQL database without
    tables."""
    path = sqlite_path(url)
    if path is not None:
        if path.exists():
            what = "a folder" if path.is_dir() else f"a file of {path.stat().st_size} bytes"
            raise LedgerError(f"{path} already exists ({what}); TO must be a new ledger file "
                              "or an empty PostgreSQL database: nothing was changed")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise LedgerError(
                f"cannot make the ledger's folder {path.parent}: {error.strerror}") from None
    engine = make_engine(url)
    committed = False
    try:
        try:
            engine.connect().close()
        except DBAPIError as error:
            if path is None:
                raise unreachable(url, error) from None
            raise LedgerError(f"cannot make the ledger {path}: {error.orig}") from None
        yield engine
        committed = True
    finally:
        close_engine(engine)
        if path is not None and not committed:
            for leftover in (path, *(Path(f"{path}{end}") for end in ("-wal", "-shm",
                                                                       "-journal"))):
                leftover.unlink(missing_ok=True)


_TABLES_SHOWN = 8  # the most table names a message lists


def _copy(source: Engine, target: Engine, target_url: str) -> CopyCheck:
    with atomic(source, write=True) as reading:
        hold_still(reading, t.partner_versions, [*TABLES, t.schema_migrations])
        with atomic(target, write=True) as writing:
            there = sorted(inspect(writing).get_table_names())
            if there:
                shown = ", ".join(there[:_TABLES_SHOWN]) + (
                    ", …" if len(there) > _TABLES_SHOWN else "")
                raise LedgerError(
                    f"{display_url(target_url)} is not empty: it holds {len(there)} "
                    f"table(s) ({shown}); TO must be an empty database: nothing was changed")
            migrate_in(writing, display_url(target_url))
            for table in TABLES:
                _copy_table(reading, writing, table)
                continue_ids(writing, table)
            expected, copied = _check(reading), _check(writing)
            differences = expected.differences(copied)
            if differences:
                raise CopyMismatch("the copy differs from FROM, nothing was committed: "
                                   + "; ".join(differences))
    return copied


def _copy_table(reading: Connection, writing: Connection, table: Table) -> None:
    names = [column.name for column in table.c]
    rows = reading.execution_options(yield_per=CHUNK).execute(
        select(table).order_by(*table.primary_key.columns))
    for chunk in rows.partitions():
        insert_rows(writing, table, names, chunk)


def _check(connection: Connection) -> CopyCheck:
    m, i, k, n = t.schema_migrations.c, t.invoices.c, t.counters.c, t.id_counters.c
    rows = {table.name: int(connection.scalar(select(func.count()).select_from(table)) or 0)
            for table in TABLES}
    totals: dict[str, tuple[int, Decimal]] = defaultdict(lambda: (0, Decimal(0)))
    for currency, total in connection.execution_options(yield_per=CHUNK).execute(
            select(i.currency, i.total)):
        count, amount = totals[currency]
        totals[currency] = (count + 1, amount + Decimal(total))
    return CopyCheck(
        versions=tuple(connection.scalars(select(m.version).order_by(m.version))),
        rows=rows,
        totals=dict(totals),
        counters={(r.series, r.year): (r.last_seq, r.last_number)
                  for r in connection.execute(select(k.series, k.year, k.last_seq,
                                                     k.last_number))},
        highest={(r.series, r.year): r.seq for r in connection.execute(
            select(i.series, i.year, func.max(i.seq).label("seq")).group_by(i.series, i.year))},
        ids={r.name: r.last_value for r in connection.execute(select(n.name, n.last_value))},
    )
