"""template FILE: a blank order workbook, or one pre-filled with a partner's ledger data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from seatbatch.jobs.base import EXIT_OK, Outcome, Settings, UsageError
from seatbatch.output.template import build_template


def template(settings: Settings, target: Path, partner_id: str | None) -> Outcome:
    """A blank order workbook; with a partner, pre-filled with what the ledger knows of it."""
    config = settings.config
    if target.exists():
        raise UsageError(f"{target} exists already; name a new file")
    customers: list[dict[str, Any]] = []
    devices: list[dict[str, Any]] = []
    subscriptions: list[dict[str, Any]] = []
    if partner_id is None:
        device_types = config.device_types()
    else:
        partner = config.partner(partner_id)
        device_types = config.device_types(partner.currency)
        from seatbatch.ledger import Ledger  # SQLAlchemy: only with a ledger to read

        with Ledger.open(settings.ledger_url, write=False) as ledger:
            view = ledger.view(partner.id)
            known_devices = ledger.devices(partner.id)
        customers = [
            {"customer_id": c.customer_id, "organization": c.organization,
             "country": c.country, "contact_email": c.contact_email}
            for c in sorted(view.customers.values(), key=lambda c: c.customer_id)
        ]
        devices = [
            {"customer_id": d.customer_id, "serial_number": d.serial_number,
             "device_type": d.device_type, "deployed_on": d.deployed_on,
             "location": d.location}
            for d in known_devices
        ]
        subscriptions = [
            {"subscription": s.number, "customer_id": s.customer_id,
             "term_years": s.term_years, "started": s.start_date,
             "last_day": s.terms[-1].last_day, "po_number": s.po_number or "",
             "seats": ", ".join(f"{k}: {v}" for k, v in sorted(s.seats.items()))}
            for s in sorted(view.subscriptions.values(), key=lambda s: s.id)
        ]
    made_for = None if partner_id is None else config.partner(partner_id)
    book = build_template(device_types, settings.as_of, customers=customers, devices=devices,
                          subscriptions=subscriptions,
                          made_for=(made_for.id, made_for.name) if made_for else None)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.part")
    try:
        book.save(staging)
        staging.rename(target)
    finally:
        staging.unlink(missing_ok=True)
    return Outcome(EXIT_OK, target.absolute(), [])
