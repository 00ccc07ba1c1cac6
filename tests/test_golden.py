"""Golden files: the manifest and an invoice's HTML for a fixed workbook, byte for byte once the
parts that differ between runs (input hash, run folder) are masked.

Regenerate after an intended change with: UPDATE_GOLDEN=1 pytest tests/test_golden.py"""

from __future__ import annotations

import json
import os
import re
from datetime import date
from pathlib import Path

import pytest

from conftest import Env, customer, order

# the subject is the documents' exact text; the ledger engine does not change it
pytestmark = pytest.mark.sqlite_only

GOLDEN = Path(__file__).parent / "golden"


def mask(text: str) -> str:
    text = re.sub(r"[0-9a-f]{64}", "<sha256>", text)
    return re.sub(r"\d{8}T\d{6}-[a-z]+-[A-Za-z0-9._-]+-[0-9a-f]{6}", "<run>", text)


def check(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"


def test_manifest_and_invoice_html(env: Env) -> None:
    env.process(env.workbook("first.xlsx", customers=[customer("C-001",
                                                               organization="Harbour <View>")],
                             orders=[order("L0", start_date=date(2026, 3, 2))]),
                as_of=date(2026, 3, 2))
    book = env.workbook(
        "golden.xlsx",
        customers=[customer("C-001", organization="Harbour <View>"), customer("C-002")],
        orders=[
            order("L0", start_date=date(2026, 3, 2)),
            order("L1", seats=2, device_type="Space Plus", subscription="S9"),
            order("L2", action="add", subscription="SUB-000001", start_date=None,
                  term_years=None, seats=4, po_number="PO-88"),
            order("L3", customer_id="C-002", term_years=5, seats=3, separate_invoice="yes"),
        ],
        extra_columns={"Orders": ["comment"]},
    )
    result = env.process(book)
    assert result.code == 0, result.stderr
    check("manifest.json", mask(json.dumps(result.manifest, indent=2) + "\n"))
    html = (result.folder / "invoices" / "INV-2026-000002.html").read_text(encoding="utf-8")
    check("invoice.html", mask(html))
