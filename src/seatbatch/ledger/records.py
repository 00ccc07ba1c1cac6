"""What the ledger records of a run: the run that commits, and a committed run as found again;
what a credit note took of an invoice line."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple


@dataclass(frozen=True)
class RunRecord:
    run_id: str  # the run folder's name
    command: str
    partner_id: str | None
    as_of: date
    input_name: str | None
    input_sha256: str | None


@dataclass(frozen=True)
class CommittedRun(RunRecord):
    numbers: list[str]  # its invoices, in issue order
    currencies: set[str]
    # its changes of subscriptions (SPEC §11) as the manifest lists them, in their order
    changes: list[dict[str, Any]] = field(default_factory=list)



class CreditTaken(NamedTuple):
    """One line of a credit note as the ledger keeps what it took of an invoice line (SPEC
    §11): the invoice line's position, the seats, the credit note, the first and the last day
    credited (None, as kept before schema version 7: the invoice line's last day)."""

    position: int
    seats: int
    credit_number: str
    first_day: date
    last_day: date | None
