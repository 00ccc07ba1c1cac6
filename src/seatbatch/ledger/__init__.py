"""The durable record: customers, subscriptions, order lines, invoices and their numbers.

Its errors and the ledger's name in messages (`seatbatch.ledger.errors`) are imported with the
package; `Ledger` and `RunRecord`, and SQLAlchemy with them, only when first used, so that a
command that never opens a ledger (`--help`, a blank template) does not load it."""

from typing import TYPE_CHECKING, Any

from seatbatch.ledger.errors import (
    InvoiceDateBackwards,
    LedgerBusy,
    LedgerError,
    StaleView,
    display_url,
    without_password,
)

if TYPE_CHECKING:
    from seatbatch.ledger.store import Ledger, RunRecord

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


def __getattr__(name: str) -> Any:
    if name in ("Ledger", "RunRecord"):
        from seatbatch.ledger import store

        value = globals()[name] = getattr(store, name)
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
