"""An invoice page's line rows and parties are made in Python (seatbatch.output.html), not by
_invoice.html cell by cell, and its amounts grouped without format(): the bytes are those the
template's cells made of the same values, escaped the same, here compared with those cells
kept as they were."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import product

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seatbatch.core.model import InvoiceLine, LineAmounts, Party, PostalAddress
from seatbatch.core.money import round_money
from seatbatch.output.html import environment, line_rows, money, parties

# the template's cells as they were, under the same environment (autoescape, trim_blocks,
# lstrip_blocks); the rows made in Python must be these bytes
LINE_CELLS = """\
  {% for line in lines %}
  {% set list_amount, term_discount, partner_discount, net_amount = line.amounts %}
    <tr>
      <td>{{ line.order_id or "(renewal)" }}</td><td>{{ line.subscription_id or "(new)" }}</td><td>{{ line.device_type }}</td>
  {% autoescape false %}
      <td class="num">{{ line.seats }}</td>
      <td><span class="nowrap">{{ line.period_start }} –</span> <span class="nowrap">{{ line.period_end }}</span> ({{ line.term_years }}&nbsp;y)</td>
      <td class="num">{{ line.unit_price | money(currency) }}</td>
      <td class="num">{% if line.prorate_days != line.term_days %}{{ line.prorate_days }} of {{ line.term_days }}&nbsp;days{% else %}—{% endif %}</td>
      <td class="num">{{ list_amount | money(currency) }}</td>
      <td class="num">{{ term_discount | money(currency) }}</td>
      <td class="num">{{ partner_discount | money(currency) }}</td>
      <td class="num">{{ net_amount | money(currency) }}</td>
  {% endautoescape %}
    </tr>
  {% endfor %}
"""  # noqa: E501, RUF001  the template's lines, as they were
PARTIES_CELLS = """\
<div class="parties">
  <div><strong>From</strong><br>{{ issuer.name }}{% for line in issuer.address %}<br>{{ line }}{% endfor %}{% if issuer.registration %}<br>Reg. no. {{ issuer.registration }}{% endif %}{% if issuer.vat_id %}<br>VAT {{ issuer.vat_id }}{% endif %}{% if issuer.email %}<br>{{ issuer.email }}{% endif %}</div>
  <div><strong>Bill to</strong><br>{{ bill_to.name }}{% for line in bill_to.address %}<br>{{ line }}{% endfor %}{% if bill_to.vat_id %}<br>VAT {{ bill_to.vat_id }}{% endif %}<br><span class="note">Partner {{ partner_id }}</span></div>
</div>"""  # noqa: E501  the template's lines, as they were
HOSTILE = ('<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "O'Brien & Sons",
           "{{7*7}}", "Ærø — Åre", "", "plain")
AMOUNTS = ("0", "-0.00", "0.005", "-0.005", "999.995", "-999.994", "1000", "-1234.5",
           "1234567.891", "12.3456", "1E+3", "987654321.5")


def line(at: int) -> InvoiceLine:
    def amount(shift: int) -> Decimal:
        return Decimal(AMOUNTS[(at + shift) % len(AMOUNTS)])

    return InvoiceLine(
        order_id=(None, HOSTILE[at % 7], f"ORD-{at}")[at % 3], action="new",
        subscription_id=(f"SUB-{at}", None, HOSTILE[(at + 2) % 7])[at % 3],
        device_type=HOSTILE[(at + 4) % 7] or "Space Pro", seats=at * 37, term_years=at % 5 + 1,
        period_start=date(2026, 1 + at % 12, 1), period_end=date(2027, 1 + at % 12, 28),
        unit_price=amount(0), prorate_days=365 - at % 2 * at, term_days=365,
        amounts=LineAmounts(amount(1), amount(2), amount(3), amount(4)))


@pytest.mark.parametrize("currency", ["EUR", "JPY", "KWD"])
def test_the_line_rows_are_the_template_cells_bytes(currency: str) -> None:
    lines = [line(at) for at in range(30)]
    expected = environment().from_string(LINE_CELLS).render(lines=lines, currency=currency)
    made = line_rows(lines, currency)
    assert made == expected
    assert "<script>" not in made and "&lt;script&gt;" in made
    assert line_rows([], currency) == ""


@pytest.mark.parametrize(("issuer_at", "bill_to_at"), list(product(range(7), range(3))))
def test_the_parties_are_the_template_cells_bytes(issuer_at: int, bill_to_at: int) -> None:
    text = HOSTILE[issuer_at]
    issuer = Party(f"Issuer {text}", (text, "0167 Oslo"), text,
                   PostalAddress("Street 1", "0167", "Oslo", "NO"), registration_id=text,
                   legal_form=text, email=text)
    bill_to = Party(HOSTILE[bill_to_at] or "Acme", tuple(HOSTILE[:bill_to_at]),
                    HOSTILE[bill_to_at + 2])
    partner_id = f"P-{HOSTILE[(issuer_at + bill_to_at) % 7]}"
    expected = environment().from_string(PARTIES_CELLS).render(
        issuer=issuer, bill_to=bill_to, partner_id=partner_id)
    assert parties(issuer, bill_to, partner_id) == expected


@given(st.decimals(allow_nan=False, allow_infinity=False, min_value=-10**15, max_value=10**15),
       st.sampled_from(["EUR", "JPY", "KWD"]), st.booleans())
def test_money_is_the_rounded_amount_formatted_with_thousands(amount: Decimal, currency: str,
                                                              as_text: bool) -> None:
    given_as = str(amount) if as_text else amount
    assert money(given_as, currency) == f"{round_money(amount, currency):,}"


@pytest.mark.parametrize("amount", AMOUNTS)
def test_money_of_the_edges(amount: str) -> None:
    for currency in ("EUR", "JPY", "KWD"):
        assert money(amount, currency) == f"{round_money(Decimal(amount), currency):,}"
