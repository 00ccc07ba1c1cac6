"""`seatbatch report`: finance's month end, read-only (SPEC §6, §7)."""

from __future__ import annotations

from seatbatch.billing.journal import journal
from seatbatch.billing.report import build_report, manifest_part, revenue_part
from seatbatch.core.money import format_amount
from seatbatch.core.terms import month_bounds, month_label, next_month
from seatbatch.jobs.base import (
    EXIT_OK,
    Outcome,
    Settings,
    config_warnings,
    run_folder,
    write_summary,
)
from seatbatch.ledger import Ledger
from seatbatch.output.chart import bar_chart
from seatbatch.output.html import write_rendered
from seatbatch.output.journal import write_journal
from seatbatch.output.manifest import build_manifest
from seatbatch.output.report_xlsx import write_report_xlsx


def month_report(settings: Settings, year: int, month: int) -> Outcome:
    """Finance's month end, read-only: report.xlsx, report.html, journal.csv and a manifest
    with totals."""
    first, last = month_bounds(year, month)
    with run_folder(settings, "report", None) as folder:
        settings.progress.note(f"Reading the ledger for {month_label(year, month)}")
        with Ledger.open(settings.ledger_url, write=False) as ledger:
            month_data = ledger.month(first, last)
        next_label = month_label(*next_month(year, month))
        settings.progress.note(f"Totalling {len(month_data.invoices):,} invoice(s) and the "
                               f"renewals due in {next_label}")
        report = build_report(month_data, settings.config, year, month, settings.as_of)
        settings.progress.note(f"Writing report.xlsx: {len(report.invoices):,} invoice(s), "
                               f"{report.lines:,} line(s)")
        write_report_xlsx(report, folder.path("report.xlsx"), settings.progress)
        write_journal(journal(report.invoices,
                              {(row.partner_id, row.currency): row.recognised
                               for row in report.revenue},
                              month_end=last, accounts=settings.config.accounts,
                              partner_names=report.partner_names),
                      folder.path("journal.csv"))
        charts = [
            bar_chart(f"Net amount by partner, {currency}", currency,
                      [(f"{partner} {report.partner_names.get(partner, '')}".strip(),
                        amounts.net_amount)
                       for (partner, code), amounts in report.by_partner.items()
                       if code == currency])
            for currency in report.by_currency
        ]
        deferred_charts = [  # SPEC §12: the deferred revenue at month end by year, per currency
            bar_chart(f"Deferred revenue at {last.isoformat()} by year earned, {currency}",
                      currency,
                      [(str(year), amount) for year, amount in total.deferred_by_year.items()])
            for currency, total in report.revenue_totals().items()
        ]
        settings.progress.note("Writing report.html")
        write_rendered(
            folder.path("report.html"), "report.html", report=report, charts=charts,
            deferred_charts=deferred_charts,
            month_end=last, next_label=next_label,
            renewals_expected=dict(sorted(report.renewals_expected().items())),
            numbering_ok=all(c.gapless for c in report.numbering),
        )
        currencies = list(report.by_currency)
        manifest = build_manifest(
            command="report", status="reported", as_of=settings.as_of, partner_id=None,
            currency=currencies[0] if len(currencies) == 1 else None, input_file=None,
            input_sha256=None, warnings=config_warnings(settings.config),
        )
        manifest["totals"] = {
            "net_amount": (format_amount(report.by_currency[currencies[0]].net_amount,
                                         currencies[0]) if len(currencies) == 1 else None),
            **({"vat_amount": format_amount(report.by_currency[currencies[0]].vat,
                                            currencies[0]),
                "payable": format_amount(report.by_currency[currencies[0]].payable,
                                         currencies[0])} if len(currencies) == 1 else {}),
            "net_amount_by_currency": {code: format_amount(a.net_amount, code)
                                       for code, a in report.by_currency.items()},
            "vat_amount_by_currency": {code: format_amount(a.vat, code)
                                       for code, a in report.by_currency.items()},
            "payable_by_currency": {code: format_amount(a.payable, code)
                                    for code, a in report.by_currency.items()},
            "invoices": report.invoice_count,
            "lines": report.lines,
            **({"credit_notes": report.credit_note_count} if report.credit_note_count else {}),
        }
        manifest["report"] = manifest_part(report)
        manifest["report"]["files"] = {"xlsx": "report.xlsx", "html": "report.html",
                                       "journal": "journal.csv"}
        manifest["revenue"] = revenue_part(report)
        headline = f"month end {report.label}: {report.invoice_count} invoice(s)" + (
            f", {report.credit_note_count} credit note(s)" if report.credit_note_count else "")
        write_summary(folder, manifest, headline, partner_name=None, coverage=[], customer_names={})
        settings.progress.note(headline)
        return Outcome(EXIT_OK, folder.publish(), [], report.warnings)
