"""The ledger's versions: a new ledger is made at the newest one; an older one takes the steps
it has not had, in order, each recorded in schema_migrations. The same steps on both engines."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from weakref import WeakSet

from sqlalchemy import MetaData, Table, func, inspect, literal, select
from sqlalchemy.engine import Connection, Engine

from seatbatch.ledger.engine import LedgerError, atomic, continue_ids, lock_for_migration
from seatbatch.ledger.schema import (
    customers,
    id_counters,
    inbox_claims,
    metadata,
    partner_keyed,
    schema_migrations,
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


Migration = tuple[int, str, Callable[[Connection], None]]

# A new ledger is made by `_create` and recorded at the newest version; an older one takes the
# steps it has not had, in order.
MIGRATIONS: tuple[Migration, ...] = (
    (1, "initial tables", _create),
    (2, "partner keys on every partner-owned row; id counters; inbox claims", _partner_keys),
    (3, "customer versions", _customer_versions),
)


def _applied(engine: Engine) -> set[int]:
    with atomic(engine, write=False) as connection:
        if not inspect(connection).has_table(schema_migrations.name):
            return set()
        return set(connection.scalars(select(schema_migrations.c.version)))


# engines whose ledger this process saw at the newest version (a PostgreSQL engine lives as
# long as the process: its ledger is not looked at again on every open)
_CURRENT: WeakSet[Engine] = WeakSet()


def is_created(engine: Engine) -> bool:
    return engine in _CURRENT or bool(_applied(engine))


def migrate(engine: Engine) -> None:
    """Make a new ledger at the newest version, or apply the steps an older one has not had, in
    order, recording each. An up-to-date ledger is only read, so that opening it never waits
    for another run's lock."""
    if engine in _CURRENT:
        return
    if not {v for v, _, _ in MIGRATIONS} <= _applied(engine):
        with atomic(engine, write=True) as connection:
            migrate_in(connection)
    _CURRENT.add(engine)


def migrate_in(connection: Connection) -> None:
    """`migrate` inside the caller's write transaction (`ledger copy` makes the schema and
    fills it in one)."""
    lock_for_migration(connection)
    schema_migrations.create(connection, checkfirst=True)
    done = set(connection.scalars(select(schema_migrations.c.version)))
    newest = max(v for v, _, _ in MIGRATIONS)
    if done and max(done) > newest:
        raise LedgerError(
            f"the ledger's schema is version {max(done)}; this seatbatch knows up to {newest}:"
            " upgrade seatbatch"
        )
    create, *upgrades = MIGRATIONS
    steps = [create] if not done else [m for m in upgrades if m[0] not in done]
    for _, _, step in steps:
        step(connection)
    for version, name, _ in (MIGRATIONS if not done else steps):
        connection.execute(schema_migrations.insert().values(
            version=version, name=name, applied_at=datetime.now(UTC).replace(tzinfo=None)
        ))
