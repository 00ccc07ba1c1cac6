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
from seatbatch.core.model import Change, Committed, Invoice
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
    invoices: Sequence[tuple[Invoice, Mapping[str, str]]] = (),  # with its files by format
    documents: Sequence[Mapping[str, Any]] = (),  # the invoices' own, when the run made them
    already_processed: Sequence[Committed] = (),
    rejections: Sequence[Problem] = (),
    warnings: Sequence[Problem] = (),
    changes: Sequence[Change] = (),  # listed only when there are some
) -> dict[str, Any]:
    assert not documents or len(documents) == len(invoices)
    sums = _Sums()
    for invoice, _ in invoices:
        sums.add(invoice.currency, invoice.total, invoice.vat.amount if invoice.vat else None)
    totals = sums.totals(currency, len(invoices),
                         sum(len(invoice.lines) for invoice, _ in invoices))
    manifest = {
        "command": command,
        "status": status,
        "as_of": as_of.isoformat(),
        "partner_id": partner_id,
        "currency": currency,
        "input": {"file": input_file, "sha256": input_sha256},
        "invoices": [manifest_invoice(invoice, files, with_currency=currency is None,
                                      document=documents[at] if documents else None)
                     for at, (invoice, files) in enumerate(invoices)],
        "already_processed": [
            {"order_id": c.order_id, "invoice_number": c.invoice_number}
            for c in already_processed
        ],
        "rejections": [p.as_json() for p in rejections],
        "warnings": [p.as_json() for p in warnings],
        "totals": totals,
    }
    if changes:
        manifest["changes"] = [manifest_change(change) for change in changes]
    return manifest


def manifest_change(change: Change) -> dict[str, Any]:
    """A cancel, reduce or po line as the manifest lists it (SPEC §11)."""
    order = change.order
    return {
        "order_id": order.order_id, "action": order.action,
        "subscription_id": change.subscription_number,
        "device_type": order.device_type or None, "seats": order.seats or None,
        "po_number": order.po_number, "effective": change.effective.isoformat(),
        "cancels": change.cancels,
    }


class _Sums:
    """A run's amounts by currency, as its totals show them: net, VAT and payable (SPEC §7,
    §10), one amount when the run is in one currency, never one sum over several."""

    def __init__(self) -> None:
        self.net: dict[str, Decimal] = {}
        self.vat: dict[str, Decimal] = {}

    def add(self, currency: str, net: Decimal, vat: Decimal | None) -> None:
        self.net[currency] = self.net.get(currency, Decimal(0)) + net
        self.vat[currency] = self.vat.get(currency, Decimal(0)) + (vat or 0)

    def totals(self, currency: str | None, invoices: int, lines: int) -> dict[str, Any]:
        payable = {code: amount + self.vat[code] for code, amount in self.net.items()}
        totals: dict[str, Any] = {
            "net_amount": _one(self.net, currency),
            "vat_amount": _one(self.vat, currency),
            "payable": _one(payable, currency),
            "invoices": invoices,
            "lines": lines,
        }
        if currency is None:  # a run over several partners: never one sum over currencies
            for key, sums in (("net_amount", self.net), ("vat_amount", self.vat),
                              ("payable", payable)):
                totals[f"{key}_by_currency"] = {
                    code: format_amount(amount, code) for code, amount in sorted(sums.items())}
        return totals


def _one(by_currency: dict[str, Decimal], currency: str | None) -> str | None:
    """The run's one amount: in its currency, or in the only one its invoices have."""
    if currency is not None:
        return format_amount(by_currency.get(currency, Decimal(0)), currency)
    if len(by_currency) == 1:
        [(code, amount)] = by_currency.items()
        return format_amount(amount, code)
    return None


# Compact: the C encoder is ten times faster than an indented dump on 20,000 lines. A manifest
# is a tree of dicts and lists (none holds itself): not checked for a cycle (a tenth faster).
_encode = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode


def write_manifest(manifest: dict[str, Any], path: Path) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write(_encode(manifest))
        out.write("\n")  # not added to the text first: a copy of a large run's 10 MB


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
        self.sums = _Sums()
        self.invoices = self.lines = 0
        self.file = path.open("w", encoding="utf-8")
        head = _encode({key: manifest[key] for key in keys[:at]})
        self.file.write(head[:-1] + ', "invoices": [')

    def __enter__(self) -> ManifestWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.file.close()

    def add(self, entry: dict[str, Any], currency: str) -> None:
        """One invoice as manifest_invoice lists it, in `currency`."""
        self.file.write((", " if self.invoices else "") + _encode(entry))
        self.invoices += 1
        self.lines += len(entry["lines"])
        vat = entry.get("vat")
        self.sums.add(currency, Decimal(entry["total"]), Decimal(vat["amount"]) if vat else None)

    def close(self) -> dict[str, Any]:
        manifest = {**self.manifest, "totals": self.sums.totals(
            self.manifest["currency"], self.invoices, self.lines)}
        tail = _encode({key: manifest[key] for key in self.after})
        self.file.write("], " + tail[1:] + "\n")
        self.file.close()
        return manifest
