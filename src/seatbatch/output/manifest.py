"""manifest.json: the machine-readable record of a run (SPEC §7)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any

from seatbatch.core.documents import manifest_invoice
from seatbatch.core.model import Committed, Invoice
from seatbatch.core.money import format_amount
from seatbatch.core.problems import Problem


def build_manifest(  # noqa: PLR0913  keyword-only: each field of the manifest named at the call
    *,
    command: str,
    status: str,
    as_of: date,
    partner_id: str | None,
    currency: str | None,
    input_file: str | None,
    input_sha256: str | None,
    invoices: Sequence[tuple[Invoice, str]] = (),
    documents: Sequence[Mapping[str, Any]] = (),  # the invoices' own, when the run made them
    already_processed: Sequence[Committed] = (),
    rejections: Sequence[Problem] = (),
    warnings: Sequence[Problem] = (),
) -> dict[str, Any]:
    assert not documents or len(documents) == len(invoices)
    by_currency: dict[str, Decimal] = {}
    for invoice, _ in invoices:
        by_currency[invoice.currency] = by_currency.get(invoice.currency, Decimal(0)) + (
            invoice.total)
    totals = _totals(by_currency, currency, len(invoices),
                     sum(len(invoice.lines) for invoice, _ in invoices))
    return {
        "command": command,
        "status": status,
        "as_of": as_of.isoformat(),
        "partner_id": partner_id,
        "currency": currency,
        "input": {"file": input_file, "sha256": input_sha256},
        "invoices": [manifest_invoice(invoice, file, with_currency=currency is None,
                                      document=documents[at] if documents else None)
                     for at, (invoice, file) in enumerate(invoices)],
        "already_processed": [
            {"order_id": c.order_id, "invoice_number": c.invoice_number}
            for c in already_processed
        ],
        "rejections": [p.as_json() for p in rejections],
        "warnings": [p.as_json() for p in warnings],
        "totals": totals,
    }


def _totals(by_currency: dict[str, Decimal], currency: str | None, invoices: int, lines: int
            ) -> dict[str, Any]:
    totals: dict[str, Any] = {
        "net_amount": _net(by_currency, currency),
        "invoices": invoices,
        "lines": lines,
    }
    if currency is None:  # a run over several partners: never one sum over currencies
        totals["net_amount_by_currency"] = {
            code: format_amount(amount, code) for code, amount in sorted(by_currency.items())
        }
    return totals


def _net(by_currency: dict[str, Decimal], currency: str | None) -> str | None:
    if currency is not None:
        return format_amount(by_currency.get(currency, Decimal(0)), currency)
    if len(by_currency) == 1:
        [(code, amount)] = by_currency.items()
        return format_amount(amount, code)
    return None


def write_manifest(manifest: dict[str, Any], path: Path) -> None:
    # Compact: the C encoder is ten times faster than an indented dump on 20,000 lines.
    path.write_text(json.dumps(manifest, ensure_ascii=False) + "\n", encoding="utf-8")


class ManifestWriter:
    """manifest.json of a run with more invoices than it should hold at once, written as they
    come: the same text `write_manifest` writes of the whole manifest. Give it build_manifest's
    manifest made without invoices, `add` each invoice's entry in issue order, then `close`:
    that completes the totals and returns the manifest (still without its invoices)."""

    def __init__(self, manifest: dict[str, Any], path: Path):
        keys = list(manifest)
        at = keys.index("invoices")
        assert 0 < at < len(keys) - 1 and not manifest["invoices"]
        self.manifest = manifest
        self.after = keys[at + 1:]
        self.by_currency: dict[str, Decimal] = {}
        self.invoices = self.lines = 0
        self.file = path.open("w", encoding="utf-8")
        head = json.dumps({key: manifest[key] for key in keys[:at]}, ensure_ascii=False)
        self.file.write(head[:-1] + ', "invoices": [')

    def __enter__(self) -> ManifestWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.file.close()

    def add(self, entry: dict[str, Any], currency: str) -> None:
        """One invoice as manifest_invoice lists it, in `currency`."""
        self.file.write((", " if self.invoices else "") + json.dumps(entry, ensure_ascii=False))
        self.invoices += 1
        self.lines += len(entry["lines"])
        self.by_currency[currency] = self.by_currency.get(currency, Decimal(0)) + Decimal(
            entry["total"])

    def close(self) -> dict[str, Any]:
        manifest = {**self.manifest, "totals": _totals(
            self.by_currency, self.manifest["currency"], self.invoices, self.lines)}
        tail = json.dumps({key: manifest[key] for key in self.after}, ensure_ascii=False)
        self.file.write("], " + tail[1:] + "\n")
        self.file.close()
        return manifest
