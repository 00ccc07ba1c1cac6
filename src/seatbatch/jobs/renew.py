"""`seatbatch renew`: the next terms of every subscription whose term ends in the month,
invoiced in one unit of work (SPEC §4 to §7)."""

from __future__ import annotations

from seatbatch.billing.renewals import due_renewals
from seatbatch.core.terms import month_label, next_month
from seatbatch.jobs.base import (
    EXIT_OK,
    STALE_RETRIES,
    Issued,
    Outcome,
    Settings,
    UsageError,
    config_warnings,
    refuse_half_valid,
    run_folder,
)
from seatbatch.jobs.from_ledger import files_from_ledger
from seatbatch.jobs.recovery import recovering
from seatbatch.ledger import Ledger, LedgerBusy, RunRecord, StaleView
from seatbatch.output.files import InvoiceWriter
from seatbatch.output.manifest import build_manifest
from seatbatch.output.runs import RunFolder


@recovering
def renew(settings: Settings, year: int, month: int) -> Outcome:
    """Renewal terms and invoices for every subscription whose term ends in the month."""
    latest = next_month(settings.as_of.year, settings.as_of.month)
    if (year, month) > latest:
        # issued numbers cannot be withdrawn: a mistyped year must not bill a year early
        raise UsageError(
            f"--month {month_label(year, month)} is too far ahead of the run date "
            f"{settings.as_of.isoformat()}: renew takes at most the next month "
            f"({month_label(*latest)}); check the month, or give --as-of")

    with (run_folder(settings, "renew", None) as folder,
          InvoiceWriter(folder.staging / "invoices", settings.progress,
                        settings.config.documents.formats) as writer):
        with Ledger.open(settings.ledger_url, write=True, create=False) as ledger:
            issued, warnings, not_renewed = _renew(settings, ledger, folder, writer,
                                                   year=year, month=month)
            headline, shown = _renewal_files(ledger, folder, writer, issued, settings,
                                             not_renewed=not_renewed, year=year, month=month)
        settings.progress.note(headline)
        return Outcome(EXIT_OK, folder.publish(), [], warnings, issued=shown)


def _renew(settings: Settings, ledger: Ledger, folder: RunFolder, writer: InvoiceWriter, *,
           year: int, month: int
           ) -> tuple[dict[str, list[str]], list[str], list[dict[str, str]]]:
    """Count what is due per configured partner, then renew it; again when a partner's
    subscriptions changed in between. What was issued (per partner, the invoice numbers in
    issue order), the warnings, and the subscriptions ending in the month that do not renew
    (SPEC §11), so that finance can tell them from nothing ending."""
    config = settings.config
    for _attempt in range(STALE_RETRIES):
        versions: dict[str, int] = {}
        expected = 0
        warnings: list[str] = []
        not_renewed: list[dict[str, str]] = []
        for partner_id in ledger.partners_with_subscriptions():
            if partner_id not in config.partners:
                warnings.append(f"partner {partner_id} has subscriptions in the ledger "
                                "but is not configured; its renewals were skipped")
                continue
            versions[partner_id], due = ledger.due(partner_id, year, month)
            expected += due
            not_renewed.extend(
                {"partner_id": partner_id, "subscription_id": number,
                 "why": f"cancelled by order line '{order_id}'"}
                for number, order_id in ledger.cancelled_ending(partner_id, year, month))
        writer.prepare(expected)
        if not expected:
            return {}, warnings, not_renewed
        try:
            issued = _renew_due(settings, ledger, folder, versions, not_renewed,
                                year=year, month=month)
            return issued, warnings, not_renewed
        except StaleView:
            continue
    raise LedgerBusy("subscriptions kept changing under this renewal run")


def _renew_due(settings: Settings, ledger: Ledger, folder: RunFolder,
               versions: dict[str, int], not_renewed: list[dict[str, str]], *, year: int,
               month: int) -> dict[str, list[str]]:
    """In one unit of work, for each partner counted: its subscriptions due, a chunk at a
    time, priced as renewals and issued at once; those left with no seat to renew added to
    `not_renewed`. What was issued: per partner, the invoice numbers in issue order.
    StaleView when a partner's subscriptions changed since they were counted."""
    config = settings.config
    record = RunRecord(folder.name, "renew", None, settings.as_of, None, None)
    with ledger.renewing(versions, record) as tx:
        for partner_id in versions:
            partner = config.partners[partner_id]
            for view in tx.due(partner_id, year, month):
                renewals = due_renewals(view, config, partner, year=year, month=month,
                                        invoice_date=settings.as_of)
                renewed = {renewal.subscription_id for renewal in renewals}
                not_renewed.extend(
                    {"partner_id": partner_id, "subscription_id": subscription.number,
                     "why": "no seat left to renew: every seat was credited or reduced away"}
                    for subscription in view.subscriptions.values()
                    if subscription.id not in renewed)
                refuse_half_valid((r.invoice for r in renewals), config,
                                  config.documents.formats)
                tx.issue(config.issuer.invoice_prefix, renewals)
        return tx.issued


def _renewal_files(ledger: Ledger, folder: RunFolder, writer: InvoiceWriter,
                   issued: dict[str, list[str]], settings: Settings, *,
                   not_renewed: list[dict[str, str]], year: int, month: int
                   ) -> tuple[str, Issued]:
    """A committed renewal run's files. Returns the headline, and what it issued."""
    numbers = [number for each in issued.values() for number in each]
    currencies = {settings.config.partners[partner_id].currency for partner_id in issued}
    manifest = build_manifest(
        command="renew", status="committed" if numbers else "nothing_due",
        as_of=settings.as_of, partner_id=None,
        currency=next(iter(currencies)) if len(currencies) == 1 else None, input_file=None,
        input_sha256=None, warnings=config_warnings(settings.config),
    )
    if not_renewed:
        manifest["not_renewed"] = sorted(not_renewed, key=lambda x: (x["partner_id"],
                                                                       x["subscription_id"]))
    label = month_label(year, month)
    headline = (f"{len(numbers)} renewal invoice(s) for {label}" if numbers
                else f"nothing due for {label}")
    if not_renewed:
        headline += f"; {len(not_renewed)} subscription(s) ending then not renewed"
    shown = files_from_ledger(ledger, folder, writer, numbers, manifest, headline=headline,
                              partner_name=None)
    return headline, shown
