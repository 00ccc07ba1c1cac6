"""A row of journal.csv (SPEC §12), as billing builds it and output writes it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

COLUMNS = ("date", "entry", "account", "debit", "credit", "currency", "partner_id",
           "reference", "text")


@dataclass(frozen=True, slots=True)
class JournalLine:
    """One account's side of a balanced entry: an amount above 0 in the currency's minor unit,
    on the debit or the credit side (never a negative amount, never both sides)."""

    day: date
    entry: str  # the entry's id: the lines of one entry share it
    account: str
    side: Literal["debit", "credit"]
    amount: Decimal
    currency: str
    partner_id: str
    reference: str
    text: str

    @property
    def debit(self) -> Decimal:
        return self.amount if self.side == "debit" else Decimal(0)

    @property
    def credit(self) -> Decimal:
        return self.amount if self.side == "credit" else Decimal(0)
