"""The durable record: customers, subscriptions, order lines, invoices and their numbers."""

from seatbatch.ledger.engine import LedgerBusy, LedgerError, display_url, without_password
from seatbatch.ledger.numbering import InvoiceDateBackwards
from seatbatch.ledger.records import RunRecord
from seatbatch.ledger.store import Ledger
from seatbatch.ledger.unit import Commit, Renewing
from seatbatch.ledger.versions import StaleView

__all__ = [
    "Commit",
    "InvoiceDateBackwards",
    "Ledger",
    "LedgerBusy",
    "LedgerError",
    "Renewing",
    "RunRecord",
    "StaleView",
    "display_url",
    "without_password",
]
