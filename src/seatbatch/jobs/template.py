"""template FILE: a blank order workbook, or one pre-filled with a partner's ledger data."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from seatbatch.core.model import Subscription
from seatbatch.jobs.base import EXIT_OK, Outcome, Settings, UsageError
from seatbatch.output.template import build_template


def pending(subscription: Subscription) -> str:
    """What its changes (SPEC §11) leave pending for its next term: cancelled, seats to be
    reduced, the next PO."""
    renews = subscription.ends.isoformat()
    if subscription.cancelled_by is not None:
        return (f"cancelled (order line {subscription.cancelled_by}): ends with its current "
                "term, does not renew")
    said = []
    if subscription.reductions:
        said.append(f"at renewal on {renews}: " + ", ".join(
            f"{device_type} -{seats}"
            for device_type, seats in sorted(subscription.reductions.items())))
    next_po = subscription.po_from(subscription.ends)
    if next_po != subscription.po_from(subscription.terms[-1].start):
        said.append(f"PO {next_po} from {renews}")
    return "; ".join(said)


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
        notice = timedelta(days=config.lifecycle.notice_days)
        subscriptions = [
            {"subscription": s.number, "customer_id": s.customer_id,
             "term_years": s.term_years, "started": s.start_date,
             # the current term's: the one a notice is given against (SPEC §11)
             "last_day": s.current_term(settings.as_of).last_day,
             "notice_by": s.current_term(settings.as_of).end - notice,
             "po_number": s.po_from(s.terms[-1].start) or "", "pending": pending(s),
             "seats": ", ".join(f"{k}: {v}"
                                for k, v in sorted(s.seats_on(settings.as_of).items()))}
            for s in sorted(view.subscriptions.values(), key=lambda s: s.id)
        ]
    made_for = None if partner_id is None else config.partner(partner_id)
    book = build_template(device_types, settings.as_of, customers=customers, devices=devices,
                          subscriptions=subscriptions,
                          made_for=(made_for.id, made_for.name) if made_for else None,
                          notice_days=config.lifecycle.notice_days)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.part")
    try:
        book.save(staging)
        staging.rename(target)
    finally:
        staging.unlink(missing_ok=True)
    return Outcome(EXIT_OK, target.absolute(), [])
