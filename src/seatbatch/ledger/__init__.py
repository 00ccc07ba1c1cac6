"""The durable record: customers, subscriptions, order lines, invoices and their numbers.

Its errors and the ledger's name in messages (`seatbatch.ledger.errors`) are imported with the
package; `Ledger`, `RunRecord` and the units of work, and SQLAlchemy with them, only when first
used, so that a command that never opens a ledger (`--help`, a blank template) does not load
it."""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from seatbatch.ledger.errors import (
    CopyMismatch,
    InvoiceDateBackwards,
    LedgerBusy,
    LedgerError,
    StaleView,
    display_url,
    without_password,
)

if TYPE_CHECKING:
    from seatbatch.ledger.records import RunRecord
    from seatbatch.ledger.store import Ledger
    from seatbatch.ledger.unit import Commit, Crediting, Renewing

_LAZY = {"Ledger": "store", "RunRecord": "records", "Commit": "unit", "Crediting": "unit",
         "Renewing": "unit"}

__all__ = [
    "Commit",
    "CopyMismatch",
    "Crediting",
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


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is not None:
        value = globals()[name] = getattr(import_module(f"{__name__}.{module}"), name)
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
