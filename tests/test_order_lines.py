"""Order lines as validation makes them from a checked Orders sheet, a column at a time: the
fingerprint (the ledger's idempotency key, never to change) and content of each row as the
row-by-row definition gives them."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from seatbatch.validation.schema import CheckedSheet
from seatbatch.validation.workbook import ORDER_COLUMNS, _order_lines

ROWS: list[dict[str, Any]] = [
    {"order_id": "O-1", "customer_id": "C-1", "action": "new", "subscription": "S1",
     "device_type": "Space Pro", "seats": 2, "term_years": 1, "start_date": date(2026, 10, 11),
     "po_number": "PO-1", "separate_invoice": False, "accept_terms": True},
    {"order_id": "O-2", "customer_id": "C-1", "action": "new", "subscription": "S1",
     "device_type": "Space Pro", "seats": 1, "term_years": 1, "start_date": date(2026, 10, 11),
     "po_number": "PO-1", "separate_invoice": True, "accept_terms": True},
    {"order_id": "O-3", "customer_id": "C-2", "action": "cancel", "subscription": "SUB-000001",
     "device_type": None, "seats": None, "term_years": None, "start_date": None,
     "po_number": None, "separate_invoice": None, "accept_terms": True},
    {"order_id": "O-4", "customer_id": "C-3", "action": "new", "subscription": "S2",
     "device_type": None, "seats": 3, "term_years": 3, "start_date": None,
     "po_number": None, "separate_invoice": None, "accept_terms": True},  # incomplete
    {"order_id": "O-5", "customer_id": "C-4", "action": "po", "subscription": "SUB-000002",
     "device_type": None, "seats": None, "term_years": None, "start_date": None,
     "po_number": None, "separate_invoice": None, "accept_terms": None},  # incomplete change
]


def _sheet(rows: list[dict[str, Any]]) -> CheckedSheet:
    return CheckedSheet(list(range(2, 2 + len(rows))),
                        {name: [row[name] for row in rows] for name in ORDER_COLUMNS}, [])


def _fingerprint(row: dict[str, Any]) -> str:
    """The definition: sha256 of name=repr(value) over ORDER_COLUMNS, dates ISO, joined by
    U+001F."""
    plain = {k: v.isoformat() if isinstance(v, date) else v for k, v in row.items()}
    text = "\x1f".join(f"{name}={plain[name]!r}" for name in ORDER_COLUMNS)
    return hashlib.sha256(text.encode()).hexdigest()


def test_fingerprints_and_content_as_defined() -> None:
    lines, broken, incomplete = _order_lines(_sheet(ROWS))
    assert [line.order_id for line in lines] == ["O-1", "O-2", "O-3"]
    assert [line.order_id for line in incomplete] == ["O-5"]
    assert broken == {"C-3", "C-4"}
    for line in [*lines, *incomplete]:
        given = next(row for row in ROWS if row["order_id"] == line.order_id)
        assert line.fingerprint == _fingerprint(given)
        assert line.content == {k: v.isoformat() if isinstance(v, date) else v
                                for k, v in given.items()}
    # pinned: a committed line is found again by this very value
    assert lines[0].fingerprint == (
        "3fca652dcf5c7fb50caa94c23eda406174c6e0dc5045cf735e9829f4422ce575")


def test_equal_values_of_two_classes_show_apart() -> None:
    """A column holding 1 and True (not one a typed column gives, but the fingerprint must
    not depend on which of them came first)."""
    rows = [dict(ROWS[0], po_number=1), dict(ROWS[1], order_id="O-9", po_number=True)]
    lines, _, _ = _order_lines(_sheet(rows))
    assert [line.fingerprint for line in lines] == [_fingerprint(row) for row in rows]
