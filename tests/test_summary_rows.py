"""summary.html's long tables have their rows made in Python (seatbatch.output.html), not by
the template cell by cell: the rows are the bytes the template's cells made of the same values,
escaped the same, here compared with those cells kept as they were."""

from __future__ import annotations

from itertools import product
from typing import Any

import pytest

from seatbatch.output.html import (
    ROWS_AT_ONCE,
    coverage_rows,
    environment,
    invoice_rows,
    rejection_rows,
)
from seatbatch.validation.rules import Coverage

# the template's cells as they were, under the same environment (autoescape, trim_blocks,
# lstrip_blocks); the rows made in Python must be these bytes
INVOICE_CELLS = """\
  {% for invoice in invoices %}
    <tr>
      <td>{% if invoice.number %}<a href="invoices/{{ invoice.number }}.html">{{ invoice.number }}</a>{% else %}<a href="invoices/quote.html">estimate {{ loop.index }}</a>{% endif %}</td>
      <td>{{ invoice.customer_id }}{% if customer_names.get(invoice.customer_id) %} — {{ customer_names[invoice.customer_id] }}{% endif %}</td><td>{{ invoice.po_number or "" }}</td>
      <td class="num">{{ invoice.lines | length }}</td><td class="num">{{ invoice.total | money(currency or invoice.currency) }}{% if not currency %} {{ invoice.currency }}{% endif %}</td>
      {% if with_vat %}<td class="num">{{ invoice.vat.amount | money(currency or invoice.currency) if invoice.get("vat") else "" }}</td><td class="num">{{ invoice.get("payable", invoice.total) | money(currency or invoice.currency) }}</td>{% endif %}
    </tr>
  {% endfor %}
"""  # noqa: E501  the template's lines, as they were
COVERAGE_CELLS = """\
  {% for row in coverage %}
    {% if row.first_device_row is none %}
    <tr><td>{{ row.customer_id }}</td><td>{{ row.device_type }}</td><td class="num note">not listed</td><td class="num">{{ row.seats }}</td><td class="note">not checked</td></tr>
    {% else %}
    <tr><td>{{ row.customer_id }}</td><td>{{ row.device_type }}</td><td class="num">{{ row.devices }}</td><td class="num">{{ row.seats }}</td>
      <td class="{{ 'ok' if row.seats >= row.devices else 'bad' }}">{{ "covered" if row.seats >= row.devices else ("not checked: rows rejected" if row.unchecked else "short by " ~ row.short) }}</td></tr>
    {% endif %}
  {% endfor %}
"""  # noqa: E501  the template's lines, as they were
REJECTION_CELLS = """\
  {% for p in rejections %}
    <tr><td>{{ p.sheet }}</td><td class="num">{{ p.row or "" }}</td><td>{{ p.column or "" }}</td><td>{{ p.value }}</td><td>{{ p.message }}</td></tr>
  {% endfor %}
"""  # noqa: E501  the template's lines, as they were
HOSTILE = ('<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "O'Brien & Sons",
           "{{7*7}}", "Ærø — Åre")


def invoice(at: int, *, number: bool, currency: str, vat: bool, po: str | None) -> dict[str, Any]:
    text = HOSTILE[at % len(HOSTILE)]
    entry: dict[str, Any] = {
        "currency": currency, "number": f"{text}-{at}" if number else None, "kind": "invoice",
        "customer_id": f"C-{at % 3}{text if at % 2 else ''}", "po_number": po,
        "total": f"{at * 1234}.5", "lines": [{}] * (at % 4 + 1),
    }
    if vat and at % 3:
        entry["vat"] = {"amount": f"{at * 3}.125"}
        if at % 2:
            entry["payable"] = f"{at * 1237}.625"
    return entry


@pytest.mark.parametrize(("number", "currency", "with_vat"),
                         list(product((True, False), ("EUR", None), (True, False))))
def test_the_invoices_rows_are_the_template_cells_bytes(number: bool, currency: str | None,
                                                        with_vat: bool) -> None:
    invoices = [invoice(at, number=number, currency=("JPY", "NOK", "EUR")[at % 3] if currency
                        is None else currency, vat=with_vat, po=(None, "", HOSTILE[at % 5])[at % 3])
                for at in range(12)]
    names = {"C-0": HOSTILE[0], "C-1<script>alert(1)</script>": "", "C-2": "Ærø & Co"}
    context = {"invoices": invoices, "currency": currency, "with_vat": with_vat,
               "customer_names": names}
    expected = environment().from_string(INVOICE_CELLS).render(**context)
    made = "".join(invoice_rows(invoices, currency, with_vat, names))
    assert made == expected
    assert "<script>" not in made and "&lt;script&gt;" in made


def test_the_coverage_rows_are_the_template_cells_bytes() -> None:
    coverage = [
        Coverage(HOSTILE[at % 5] + str(at % 2), HOSTILE[(at + 1) % 5], devices=at % 4,
                 ledger_seats=at % 3, workbook_seats=at % 2,
                 first_device_row=None if at % 5 == 0 else at + 2, pending_seats=at % 2,
                 broken=at % 7 == 0)
        for at in range(40)
    ]
    expected = environment().from_string(COVERAGE_CELLS).render(coverage=coverage)
    made = "".join(coverage_rows(coverage))
    assert made == expected
    assert all(words in made for words in ("covered", "short by", "not checked: rows rejected",
                                           "not listed"))


def test_the_rejections_rows_are_the_template_cells_bytes() -> None:
    values: list[Any] = [*HOSTILE, None, 0, 3, 2.5, True, ""]
    rejections = [{"sheet": ("Orders", "", HOSTILE[2])[at % 3], "row": (None, 0, at + 2)[at % 3],
                   "column": (None, "seats", HOSTILE[0])[at % 3],
                   "value": values[at % len(values)], "code": "invalid_value",
                   "message": f"{HOSTILE[at % 5]} is not a number"} for at in range(33)]
    expected = environment().from_string(REJECTION_CELLS).render(rejections=rejections)
    made = "".join(rejection_rows(rejections))
    assert made == expected
    assert "<script>" not in made and "&lt;script&gt;" in made


def test_a_long_table_comes_a_thousand_rows_at_a_time() -> None:
    """A page streamed from the ledger (renew's) is never held whole."""
    invoices = (invoice(at, number=True, currency="EUR", vat=False, po=None)
                for at in range(2 * ROWS_AT_ONCE + 1))
    pieces = list(invoice_rows(invoices, "EUR", False, {}))
    assert [piece.count("<tr>") for piece in pieces] == [ROWS_AT_ONCE, ROWS_AT_ONCE, 1]
