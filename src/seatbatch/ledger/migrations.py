"""The ledger's versions: a new ledger is made at the newest one; an older one takes the steps
it has not had, in order, each recorded in schema_migrations. The same steps on both engines."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from weakref import WeakSet

from sqlalchemy import MetaData, Table, func, inspect, literal, select
from sqlalchemy.engine import Connection, Engine

from seatbatch.ledger.engine import atomic, continue_ids, lock_for_migration
from seatbatch.ledger.errors import LedgerError
from seatbatch.ledger.schema import (
    credit_lines,
    customers,
    id_counters,
    inbox_claims,
    metadata,
    partner_keyed,
    schema_migrations,
    subscription_changes,
    subscriptions,
)


def _create(connection: Connection) -> None:
    """A new ledger: every table as the newest version has it."""
    metadata.create_all(connection, tables=[t for t in metadata.sorted_tables
                                            if t is not schema_migrations])


def _partner_keys(connection: Connection) -> None:
    """Version 1 to 2: the partner on every partner-owned row, and references through it;
    the id counters and the inbox claims. The five tables are built anew beside the old ones
    (the only way SQLite adds a constraint), filled from them, and take their names."""
    scratch = MetaData()
    for parent in (customers, subscriptions):
        parent.to_metadata(scratch)
    fresh = partner_keyed(scratch, "_v2")
    for index in subscriptions.indexes:
        if index.unique:
            index.create(connection)
    for table in fresh:
        table.create(connection)
    old_s = subscriptions.alias("s")
    old_i = Table("invoices", MetaData(), autoload_with=connection).alias("i")
    olds = {name: Table(name, MetaData(), autoload_with=connection)
            for name in ("subscription_terms", "seats", "invoice_lines", "order_lines")}
    new_invoices, new_terms, new_seats, new_lines, new_orders = fresh
    connection.execute(new_invoices.insert().from_select(
        [c.name for c in old_i.c], select(*old_i.c)))
    for new, old, key, owner in (
        (new_terms, olds["subscription_terms"], "subscription_id", old_s.c.id),
        (new_seats, olds["seats"], "subscription_id", old_s.c.id),
        (new_lines, olds["invoice_lines"], "invoice_number", old_i.c.number),
    ):
        owner_table = owner.table
        columns = list(old.c)
        connection.execute(new.insert().from_select(
            ["partner_id", *(c.name for c in columns)],
            select(owner_table.c.partner_id, *columns).join_from(
                old, owner_table, old.c[key] == owner)))
    old_orders = olds["order_lines"]
    connection.execute(new_orders.insert().from_select(
        [c.name for c in old_orders.c], select(*old_orders.c)))
    for name in ("order_lines", "invoice_lines", "seats", "subscription_terms", "invoices"):
        connection.exec_driver_sql(f"DROP TABLE {name}")
    for table in fresh:
        continue_ids(connection, table)
        connection.exec_driver_sql(f"ALTER TABLE {table.name} RENAME TO "
                                   f"{table.name.removesuffix('_v2')}")
    id_counters.create(connection)
    inbox_claims.create(connection)
    connection.execute(id_counters.insert().from_select(
        ["name", "last_value"],
        select(literal("subscriptions"), func.coalesce(func.max(subscriptions.c.id), 0))))


def _customer_versions(connection: Connection) -> None:
    """Version 2 to 3: a version on each customer, so that a run overtaken by another run's
    commit for its partner tells whether that commit touched its customers."""
    connection.exec_driver_sql("ALTER TABLE customers ADD COLUMN version INTEGER NOT NULL "
                               "DEFAULT 0")


def _invoice_vat(connection: Connection) -> None:
    """Version 3 to 4: each invoice's VAT (SPEC §10), none on those issued before. A ledger
    upgraded from version 1 has the columns already: step 2 built its invoices table anew as
    the newest version has it."""
    present = {column["name"] for column in inspect(connection).get_columns("invoices")}
    for name, kind in (("vat_category", "VARCHAR(2)"), ("vat_rate", "VARCHAR(12)"),
                       ("vat_amount", "VARCHAR(40)")):
        if name not in present:
            connection.exec_driver_sql(f"ALTER TABLE invoices ADD COLUMN {name} {kind}")


def _credit_notes(connection: Connection) -> None:
    """Version 4 to 5: credit notes (SPEC §11). A credit note is kept as an invoice of kind
    credit_note, in its own series; this adds what each of its lines took of an invoice's."""
    credit_lines.create(connection, checkfirst=True)


def _subscription_changes(connection: Connection) -> None:
    """Version 5 to 6: the cancel, reduce and po lines of the Orders sheet (SPEC §11)."""
    subscription_changes.create(connection, checkfirst=True)


def _credit_segments(connection: Connection) -> None:
    """Version 6 to 7: the last day each credit line credits (SPEC §11: a credit of what is
    left of a line may end before the line does); none on those credited before, which ran to
    the line's last day. A ledger that gained credit_lines in this same upgrade has it already
    (step 5 made the table as the newest version has it)."""
    present = {column["name"] for column in inspect(connection).get_columns(credit_lines.name)}
    if "to_date" not in present:
        connection.exec_driver_sql(f"ALTER TABLE {credit_lines.name} ADD COLUMN to_date DATE")


Migration = tuple[int, str, Callable[[Connection], None]]

# A new ledger is made by `_create` and recorded at the newest version; an older one takes the
# steps it has not had, in order.
MIGRATIONS: tuple[Migration, ...] = (
    (1, "initial tables", _create),
    (2, "partner keys on every partner-owned row; id counters; inbox claims", _partner_keys),
    (3, "customer versions", _customer_versions),
    (4, "the VAT of each invoice", _invoice_vat),
    (5, "credit notes", _credit_notes),
    (6, "subscription changes", _subscription_changes),
    (7, "the last day of each credit line", _credit_segments),
)


NEWEST = max(version for version, _, _ in MIGRATIONS)
# the tables each version has; a ledger holds at least those of its version
V1_TABLES = frozenset({"schema_migrations", "counters", "customers", "invoices",
                       "partner_versions", "runs", "devices", "subscriptions", "invoice_lines",
                       "order_lines", "seats", "subscription_terms"})
NEWEST_TABLES = frozenset(table.name for table in metadata.sorted_tables)
# the tables a version added after version 2 (which made every other one)
ADDED = {5: frozenset({credit_lines.name}), 6: frozenset({subscription_changes.name})}


def _tables_of(version: int) -> frozenset[str]:
    if version == 1:
        return V1_TABLES
    return NEWEST_TABLES.difference(*(new for v, new in ADDED.items() if v > version))


class Kind(Enum):
    EMPTY = "empty"  # no tables at all: a new ledger is made here by the first writing run
    OLDER = "older"  # a seatbatch ledger of an older version: upgraded by a writing run
    CURRENT = "current"


@dataclass(frozen=True)
class Found:
    """What a database holds, as far as seatbatch is concerned."""

    kind: Kind
    version: int  # 0 when empty


def _listed(names: Iterable[str], most: int = 8) -> str:
    names = sorted(names)
    return ", ".join(names[:most]) + (f", … ({len(names)} in all)" if len(names) > most else "")


def examine(connection: Connection, where: str) -> Found:
    """Recognise a seatbatch ledger: a database without tables (EMPTY), or one whose
    schema_migrations records versions 1 to N of ours and which holds the tables of version N.
    Anything else is refused (LedgerError, exit 2) and left as it was: a database of another
    application (tables, and no seatbatch schema), a ledger missing tables, one made by a newer
    seatbatch. Only reads."""
    inspector = inspect(connection)
    tables = frozenset(inspector.get_table_names())
    if not tables:
        return Found(Kind.EMPTY, 0)
    refused = (f"{where} is not a seatbatch ledger: it holds {len(tables)} table(s) "
               f"({_listed(tables)}) and no seatbatch schema; nothing was changed in it. "
               "Give --ledger a seatbatch ledger, a new file or an empty database")
    if schema_migrations.name not in tables:
        raise LedgerError(refused)
    columns = {column["name"] for column in inspector.get_columns(schema_migrations.name)}
    if not {"version", "name", "applied_at"} <= columns:
        raise LedgerError(refused)
    try:
        versions = {int(v) for v in connection.scalars(select(schema_migrations.c.version))}
    except (TypeError, ValueError):
        raise LedgerError(refused) from None
    if not versions or not tables >= V1_TABLES:
        raise LedgerError(refused)
    newest = max(versions)
    if newest > NEWEST:
        raise LedgerError(
            f"the ledger {where} was made by a newer seatbatch (schema version {newest}; this "
            f"one knows up to {NEWEST}): upgrade seatbatch; nothing was changed in it")
    if versions != set(range(1, newest + 1)):
        raise LedgerError(refused)
    missing = _tables_of(newest) - tables
    if missing:
        raise LedgerError(
            f"the ledger {where} is incomplete: it is recorded at schema version {newest} but "
            f"lacks the table(s) {_listed(missing)}; nothing was changed in it: restore it "
            "from a backup")
    return Found(Kind.CURRENT if newest == NEWEST else Kind.OLDER, newest)


def examined(engine: Engine, where: str) -> Found:
    """`examine` in a read-only transaction of its own."""
    with atomic(engine, write=False) as connection:
        return examine(connection, where)


def recognised(engine: Engine, where: str) -> Found:
    """`examined`, but not again for an engine whose ledger this process saw up to date."""
    if engine in _CURRENT:
        return Found(Kind.CURRENT, NEWEST)
    found = examined(engine, where)
    if found.kind is Kind.CURRENT:
        _CURRENT.add(engine)
    return found


# engines whose ledger this process saw at the newest version (a PostgreSQL engine lives as
# long as the process: its ledger is not looked at again on every open)
_CURRENT: WeakSet[Engine] = WeakSet()


def migrate(engine: Engine, where: str) -> Found:
    """Make a new ledger at the newest version in an empty database, or apply the steps an
    older one has not had, in order, recording each; refuse a database that is not a seatbatch
    ledger. An up-to-date ledger is only read, so that opening it never waits for another
    run's lock. Returns what the database held before."""
    found = recognised(engine, where)
    if found.kind is not Kind.CURRENT:
        with atomic(engine, write=True) as connection:
            found = migrate_in(connection, where)
    _CURRENT.add(engine)
    return found


def migrate_in(connection: Connection, where: str) -> Found:
    """`migrate` inside the caller's write transaction (`ledger copy` makes the schema and
    fills it in one). What the database held is examined again under the lock: another run
    may have made or upgraded it meanwhile."""
    lock_for_migration(connection)
    found = examine(connection, where)
    if found.kind is Kind.EMPTY:
        schema_migrations.create(connection)
        steps = [MIGRATIONS[0]]
        recorded = list(MIGRATIONS)
    else:
        steps = recorded = [m for m in MIGRATIONS if m[0] > found.version]
    for _, _, step in steps:
        step(connection)
    for version, name, _ in recorded:
        connection.execute(schema_migrations.insert().values(
            version=version, name=name, applied_at=datetime.now(UTC).replace(tzinfo=None)
        ))
    return found
