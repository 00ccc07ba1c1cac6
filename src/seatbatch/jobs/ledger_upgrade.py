"""`seatbatch ledger upgrade`: a ledger brought to this seatbatch's schema version."""

from __future__ import annotations

from seatbatch.jobs.base import EXIT_OK, Outcome, Settings
from seatbatch.ledger import Ledger, display_url


def upgrade(settings: Settings) -> Outcome:
    before, after = Ledger.upgrade(settings.ledger_url)
    shown = display_url(settings.ledger_url)
    said = (f"the ledger {shown} is at schema version {after} already: nothing to do"
            if before == after
            else f"upgraded the ledger {shown} from schema version {before} to {after}")
    return Outcome(EXIT_OK, None, [], said=[said])
