"""`process` checks the sheets read first (Customers, Orders) while the workers still read the
devices, and validation keeps that work: the outcome is the one validating the whole workbook
at once gives, and work made of other sheets than those validated is never taken for theirs."""

from __future__ import annotations

from datetime import date

import pytest

from conftest import ROOT
from seatbatch.core.config import load_config
from seatbatch.core.model import LedgerView
from seatbatch.intake.read import read_workbook
from seatbatch.validation.workbook import check_sheets, validate

CONFIG = load_config(ROOT / "samples" / "seatbatch.toml")
AS_OF = date(2026, 11, 24)
SAMPLES = sorted(p.name for p in (ROOT / "samples").glob("*.xlsx"))


def _partner(name: str) -> str:
    return "P-NORD" if name.startswith("nord") else "P-ACME"


@pytest.mark.parametrize("name", SAMPLES)
@pytest.mark.parametrize("first", [("Customers", "Orders"), ("Orders",), ()])
def test_sheets_checked_first_give_the_validation_of_the_whole(name: str,
                                                               first: tuple[str, ...]) -> None:
    raw = read_workbook(ROOT / "samples" / name, CONFIG.limits)
    partner = CONFIG.partner(_partner(name))
    view = LedgerView(partner.id, 0, {}, {}, {})
    early = check_sheets({k: v for k, v in raw.sheets.items() if k in first}, CONFIG, partner)
    whole = validate(raw, CONFIG, partner, view, AS_OF)
    assert validate(raw, CONFIG, partner, view, AS_OF, done=early) == whole
    # once more with the same work, as a run validates again when another run overtook it
    assert validate(raw, CONFIG, partner, view, AS_OF, done=early) == whole


def test_work_made_of_other_sheets_is_not_taken() -> None:
    """Checked sheets of another workbook (equal names, other rows) are checked again."""
    rejected = read_workbook(ROOT / "samples" / "acme-rejected.xlsx", CONFIG.limits)
    raw = read_workbook(ROOT / "samples" / "acme-new.xlsx", CONFIG.limits)
    partner = CONFIG.partner("P-ACME")
    view = LedgerView(partner.id, 0, {}, {}, {})
    other = check_sheets(rejected.sheets, CONFIG, partner)
    whole = validate(raw, CONFIG, partner, view, AS_OF)
    assert not whole.rejected
    assert validate(raw, CONFIG, partner, view, AS_OF, done=other) == whole


def test_work_checked_with_another_configuration_or_partner_is_not_taken() -> None:
    """Checked with another partner (another currency's device types) or configuration, the
    very same sheets are checked again."""
    raw = read_workbook(ROOT / "samples" / "nord-new.xlsx", CONFIG.limits)
    partner = CONFIG.partner("P-NORD")
    view = LedgerView(partner.id, 0, {}, {}, {})
    whole = validate(raw, CONFIG, partner, view, AS_OF)
    other_partner = check_sheets(raw.sheets, CONFIG, CONFIG.partner("P-ACME"))
    other_config = check_sheets(raw.sheets, load_config(ROOT / "samples" / "seatbatch.toml"),
                                partner)
    for done in (other_partner, other_config):
        assert check_sheets(raw.sheets, CONFIG, partner, done).customers is not done.customers
        assert validate(raw, CONFIG, partner, view, AS_OF, done=done) == whole
