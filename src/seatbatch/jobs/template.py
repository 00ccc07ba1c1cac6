"""template FILE: a blank order workbook, or one pre-filled with a partner's ledger data."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from seatbatch.core.model import Device, LedgerView, Subscription
from seatbatch.jobs.base import EXIT_OK, Outcome, Settings, UsageError
from seatbatch.output.template import build_template


def standing(subscription: Subscription, day: date, notice: timedelta) -> str:
    """Where it stands on `day` for a partner deciding on a change (SPEC §11): ended, its next
    term already invoiced, the notice period passed, or until when notice can be given."""
    current = subscription.current_term(day)
    if day >= subscription.ends:
        return f"ended on {current.last_day}" + (
            " (cancelled)" if subscription.cancelled_by is not None
            else "; its next term is not invoiced yet")
    if current.end < subscription.ends:
        return (f"next term, {current.end} to {subscription.terms[-1].last_day}, already "
                "invoiced: send a cancel or reduce once it has begun")
    if subscription.cancelled_by is not None:
        return f"ends on {current.last_day} (cancelled)"
    if day > current.end - notice:
        return (f"notice period passed: renews on {current.end}; send a cancel or "
                "reduce once that term has begun")
    return f"renews on {current.end}; a cancel or reduce needs notice by {current.end - notice}"


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


def devices_beyond_seats(view: LedgerView, devices: Sequence[Device], day: date) -> list[str]:
    """Where the ledger knows more devices of a customer and type than seats in force on
    `day` (seats credited away, subscriptions ended): the Devices sheet pre-filled with all
    of them would be rejected for seat coverage (SPEC §2) until the partner acts."""
    listed = Counter((d.customer_id, d.device_type) for d in devices)
    seats = view.seats_in_force(day)
    return [f"{customer} has {n} {kind} device(s) listed in Devices but {seats[customer, kind]} "
            "seat(s) in force: delete the rows of devices no longer deployed, or order seats, "
            "before sending this workbook"
            for (customer, kind), n in sorted(listed.items()) if n > seats[customer, kind]]


def _subscription_row(s: Subscription, day: date, notice: timedelta) -> dict[str, Any]:
    # the current term's: the one a notice is given against (SPEC §11)
    current = s.current_term(day)
    ended = day >= s.ends
    return {
        "subscription": s.number, "customer_id": s.customer_id, "term_years": s.term_years,
        "started": s.start_date, "last_day": current.last_day,
        "notice_by": None if ended else current.end - notice,
        "standing": standing(s, day, notice),
        "po_number": s.po_from(current.start) or "",
        "pending": "" if ended else pending(s),
        "seats": "" if ended else ", ".join(
            f"{k}: {v}" for k, v in sorted(s.seats_on(day).items()) if v > 0),
    }


def template(settings: Settings, target: Path, partner_id: str | None) -> Outcome:
    """A blank order workbook; with a partner, pre-filled with what the ledger knows of it."""
    config = settings.config
    if target.exists():
        raise UsageError(f"{target} exists already; name a new file")
    customers: list[dict[str, Any]] = []
    devices: list[dict[str, Any]] = []
    subscriptions: list[dict[str, Any]] = []
    uncovered: list[str] = []
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
            _subscription_row(s, settings.as_of, notice)
            for s in sorted(view.subscriptions.values(), key=lambda s: s.id)
        ]
        uncovered = devices_beyond_seats(view, known_devices, settings.as_of)
    made_for = None if partner_id is None else config.partner(partner_id)
    book = build_template(device_types, settings.as_of, customers=customers, devices=devices,
                          subscriptions=subscriptions,
                          made_for=(made_for.id, made_for.name) if made_for else None,
                          notice_days=config.lifecycle.notice_days, uncovered=uncovered)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.part")
    try:
        book.save(staging)
        staging.rename(target)
    finally:
        staging.unlink(missing_ok=True)
    return Outcome(EXIT_OK, target.absolute(), [])
