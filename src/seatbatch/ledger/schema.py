"""The ledger's tables (SQLAlchemy Core) and its ordered, recorded migrations.

Amounts are stored as decimal text: exact, and the same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Connection

metadata = MetaData()

schema_migrations = Table(
    "schema_migrations", metadata,
    Column("version", Integer, primary_key=True),
    Column("name", String(100), nullable=False),
    Column("applied_at", DateTime, nullable=False),
)

partner_versions = Table(
    "partner_versions", metadata,
    Column("partner_id", String(64), primary_key=True),
    Column("version", Integer, nullable=False),
)

customers = Table(
    "customers", metadata,
    Column("partner_id", String(64), primary_key=True),
    Column("customer_id", String(64), primary_key=True),
    Column("organization", String(200), nullable=False),
    Column("country", String(2)),
    Column("contact_email", String(320)),
)

devices = Table(
    "devices", metadata,
    Column("partner_id", String(64), primary_key=True),
    Column("serial_number", String(64), primary_key=True),
    Column("customer_id", String(64), nullable=False),
    Column("device_type", String(100), nullable=False),
    Column("deployed_on", Date),
    Column("location", String(200)),
    ForeignKeyConstraint(
        ["partner_id", "customer_id"], ["customers.partner_id", "customers.customer_id"]
    ),
)

subscriptions = Table(
    "subscriptions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("partner_id", String(64), nullable=False, index=True),
    Column("customer_id", String(64), nullable=False),
    Column("label", String(64)),
    Column("term_years", Integer, nullable=False),
    Column("start_date", Date, nullable=False),
    Column("po_number", String(64)),
    Column("currency", String(3), nullable=False),
    ForeignKeyConstraint(
        ["partner_id", "customer_id"], ["customers.partner_id", "customers.customer_id"]
    ),
)

subscription_terms = Table(
    "subscription_terms", metadata,
    Column("subscription_id", Integer, ForeignKey("subscriptions.id"), primary_key=True),
    Column("term_index", Integer, primary_key=True),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=False),  # exclusive
    Column("invoice_number", String(40), ForeignKey("invoices.number")),
)

seats = Table(
    "seats", metadata,
    Column("id", Integer, primary_key=True),
    Column("subscription_id", Integer, ForeignKey("subscriptions.id"), nullable=False,
           index=True),
    Column("device_type", String(100), nullable=False),
    Column("seats", Integer, nullable=False),
    Column("effective_date", Date, nullable=False),
    Column("order_id", String(64)),
)

invoices = Table(
    "invoices", metadata,
    Column("number", String(40), primary_key=True),
    Column("series", String(16), nullable=False),
    Column("year", Integer, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("partner_id", String(64), nullable=False, index=True),
    Column("customer_id", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("invoice_date", Date, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("po_number", String(64)),
    Column("total", String(40), nullable=False),
    Column("run_id", String(64), nullable=False),
    Column("document", Text, nullable=False),  # the invoice whole, to render it again
    UniqueConstraint("series", "year", "seq"),
)

invoice_lines = Table(
    "invoice_lines", metadata,
    Column("invoice_number", String(40), ForeignKey("invoices.number"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("order_id", String(64)),
    Column("subscription_id", Integer, ForeignKey("subscriptions.id"), nullable=False),
    Column("device_type", String(100), nullable=False),
    Column("seats", Integer, nullable=False),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("unit_price", String(40), nullable=False),
    Column("list_amount", String(40), nullable=False),
    Column("term_discount", String(40), nullable=False),
    Column("partner_discount", String(40), nullable=False),
    Column("net_amount", String(40), nullable=False),
)

order_lines = Table(
    "order_lines", metadata,
    Column("partner_id", String(64), primary_key=True),
    Column("order_id", String(64), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("content", Text, nullable=False),  # the line as given, to name what a conflict changed
    Column("customer_id", String(64), nullable=False),
    Column("label", String(64)),
    Column("subscription_id", Integer, ForeignKey("subscriptions.id"), nullable=False),
    Column("invoice_number", String(40), ForeignKey("invoices.number"), nullable=False),
    Column("run_id", String(64), nullable=False),
)

counters = Table(
    "counters", metadata,
    Column("series", String(16), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("last_seq", Integer, nullable=False),
    Column("last_number", String(40), nullable=False),
    Column("last_date", Date, nullable=False),
)

runs = Table(
    "runs", metadata,
    Column("run_id", String(64), primary_key=True),
    Column("command", String(16), nullable=False),
    Column("partner_id", String(64)),
    Column("as_of", Date, nullable=False),
    Column("input_name", String(255)),
    Column("input_sha256", String(64)),
    Column("folder", String(255), nullable=False),
    Column("committed_at", DateTime, nullable=False),
)


def _initial(connection: Connection) -> None:
    metadata.create_all(connection, tables=[t for t in metadata.sorted_tables
                                            if t is not schema_migrations])


Migration = tuple[int, str, Callable[[Connection], None]]

MIGRATIONS: tuple[Migration, ...] = (
    (1, "initial tables", _initial),
)
