"""The durable record: customers, subscriptions, order lines, invoices and their numbers."""

from seatbatch.ledger.engine import LedgerBusy, LedgerError, display_url, without_password
from seatbatch.ledger.store import InvoiceDateBackwards, Ledger, RunRecord, StaleView

__all__ = [
    "InvoiceDateBackwards",
    "Ledger",
    "LedgerBusy",
    "LedgerError",
    "RunRecord",
    "StaleView",
    "display_url",
    "without_password",
]
