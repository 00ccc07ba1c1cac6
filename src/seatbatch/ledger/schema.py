"""The ledger's tables (SQLAlchemy Core); `migrations` brings a ledger to them, in order.

Amounts are stored as decimal text: exact, and the same on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

schema_migrations = Table(
    "schema_migrations", metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
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
    Column("version", Integer, nullable=False, server_default="0"),
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
    # the target of the partner-keyed references below: a row can only name a subscription
    # of its own partner
    Index("uq_subscriptions_partner_id", "partner_id", "id", unique=True),
)


def partner_keyed(metadata: MetaData, suffix: str = "") -> tuple[Table, ...]:
    """Every table whose rows belong to one partner and name a subscription or an invoice
    carries the partner, and names them through (partner_id, id): the database itself refuses
    a row that reaches across partners. `suffix` names a scratch copy for the upgrade from
    version 1, whose references point at the other scratch copies."""

    def own(table: str, *columns: str) -> ForeignKeyConstraint:
        target = table if table in ("customers", "subscriptions") else table + suffix
        return ForeignKeyConstraint(
            ["partner_id", *columns],
            [f"{target}.partner_id", *(f"{target}.{c}" for c in REFERENCED[table])],
        )

    invoices = Table(
        "invoices" + suffix, metadata,
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
        Column("run_id", String(255), nullable=False),
        Column("document", Text, nullable=False),  # the invoice whole, to render it again
        # its VAT (SPEC §10), for month end to add up; none on an invoice issued without [tax]
        Column("vat_category", String(2)),
        Column("vat_rate", String(12)),
        Column("vat_amount", String(40)),
        UniqueConstraint("series", "year", "seq"),  # the numbering's backstop
        Index(f"uq_invoices{suffix}_partner_id", "partner_id", "number", unique=True),
        own("customers", "customer_id"),
    )
    subscription_terms = Table(
        "subscription_terms" + suffix, metadata,
        Column("partner_id", String(64), nullable=False),
        Column("subscription_id", Integer, primary_key=True),
        Column("term_index", Integer, primary_key=True),
        Column("start_date", Date, nullable=False),
        Column("end_date", Date, nullable=False),  # exclusive
        Column("invoice_number", String(40)),
        own("subscriptions", "subscription_id"),
        own("invoices", "invoice_number"),
    )
    seats = Table(
        "seats" + suffix, metadata,
        Column("id", Integer, primary_key=True),
        Column("partner_id", String(64), nullable=False),
        Column("subscription_id", Integer, nullable=False, index=True),
        Column("device_type", String(100), nullable=False),
        Column("seats", Integer, nullable=False),
        Column("effective_date", Date, nullable=False),
        Column("order_id", String(64)),
        own("subscriptions", "subscription_id"),
    )
    invoice_lines = Table(
        "invoice_lines" + suffix, metadata,
        Column("partner_id", String(64), nullable=False),
        Column("invoice_number", String(40), primary_key=True),
        Column("position", Integer, primary_key=True),
        Column("order_id", String(64)),
        Column("subscription_id", Integer, nullable=False),
        Column("device_type", String(100), nullable=False),
        Column("seats", Integer, nullable=False),
        Column("period_start", Date, nullable=False),
        Column("period_end", Date, nullable=False),
        Column("unit_price", String(40), nullable=False),
        Column("list_amount", String(40), nullable=False),
        Column("term_discount", String(40), nullable=False),
        Column("partner_discount", String(40), nullable=False),
        Column("net_amount", String(40), nullable=False),
        own("invoices", "invoice_number"),
        own("subscriptions", "subscription_id"),
    )
    order_lines = Table(
        "order_lines" + suffix, metadata,
        # idempotency: one committed line per partner and order_id
        Column("partner_id", String(64), primary_key=True),
        Column("order_id", String(64), primary_key=True),
        Column("fingerprint", String(64), nullable=False),
        Column("content", Text, nullable=False),  # the line as given, to name what changed
        Column("customer_id", String(64), nullable=False),
        Column("label", String(64)),
        Column("subscription_id", Integer, nullable=False),
        Column("invoice_number", String(40), nullable=False),
        Column("run_id", String(255), nullable=False),
        own("subscriptions", "subscription_id"),
        own("invoices", "invoice_number"),
        own("customers", "customer_id"),
    )
    return invoices, subscription_terms, seats, invoice_lines, order_lines


REFERENCED = {"customers": ("customer_id",), "subscriptions": ("id",), "invoices": ("number",)}

invoices, subscription_terms, seats, invoice_lines, order_lines = partner_keyed(metadata)

credit_lines = Table(
    # what each credit note line took of an invoice line (SPEC §11): its seats from a day to
    # a last day (inclusive; NULL, as kept before version 7: the end of the line's service
    # period); the credit note itself, and its lines as printed, are an `invoices` row of kind
    # credit_note (its own series) and its `invoice_lines`
    "credit_lines", metadata,
    Column("partner_id", String(64), nullable=False),
    Column("credit_number", String(40), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("invoice_number", String(40), nullable=False, index=True),
    Column("invoice_position", Integer, nullable=False),
    Column("seats", Integer, nullable=False),
    Column("from_date", Date, nullable=False),
    Column("to_date", Date),
    ForeignKeyConstraint(["partner_id", "credit_number"],
                         ["invoices.partner_id", "invoices.number"]),
    ForeignKeyConstraint(["partner_id", "invoice_number"],
                         ["invoices.partner_id", "invoices.number"]),
)

subscription_changes = Table(
    # the cancel, reduce and po lines of the Orders sheet (SPEC §11), in the order committed;
    # idempotent by order_id like the order lines (an order_id is in one of the two tables)
    "subscription_changes", metadata,
    Column("id", Integer, primary_key=True),
    Column("partner_id", String(64), nullable=False),
    Column("order_id", String(64), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("content", Text, nullable=False),  # the line as given, to name what changed
    Column("customer_id", String(64), nullable=False),
    Column("subscription_id", Integer, nullable=False, index=True),
    Column("action", String(16), nullable=False),  # cancel | reduce | po
    Column("device_type", String(100)),  # reduce
    Column("seats", Integer),  # reduce: the seats removed
    Column("po_number", String(64)),  # po
    Column("effective_date", Date, nullable=False),  # the next term's start
    Column("cancels", Boolean, nullable=False),  # the subscription renews no more
    Column("run_id", String(255), nullable=False),
    UniqueConstraint("partner_id", "order_id"),
    ForeignKeyConstraint(["partner_id", "subscription_id"],
                         ["subscriptions.partner_id", "subscriptions.id"]),
    ForeignKeyConstraint(["partner_id", "customer_id"],
                         ["customers.partner_id", "customers.customer_id"]),
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
    Column("run_id", String(255), primary_key=True),
    Column("command", String(16), nullable=False),
    Column("partner_id", String(64)),
    Column("as_of", Date, nullable=False),
    Column("input_name", String(255)),
    Column("input_sha256", String(64)),
    Column("folder", String(255), nullable=False),
    Column("committed_at", DateTime, nullable=False),
)


id_counters = Table(
    # ids taken under a row lock, like invoice numbers: subscriptions (SUB-000001, …)
    "id_counters", metadata,
    Column("name", String(32), primary_key=True),
    Column("last_value", Integer, nullable=False),
)

inbox_claims = Table(
    # one row per workbook an inbox run took, by partner and content: inbox runs on several
    # hosts sharing one inbox folder and this ledger never work on the same workbook at once
    "inbox_claims", metadata,
    Column("partner_id", String(64), primary_key=True),
    Column("sha256", String(64), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("claimed_at", DateTime, nullable=False),
    Column("outcome", String(16)),  # None while claimed; then the run's status
    Column("run_folder", Text),
    Column("filed_at", DateTime),
)
