"""The report's bar charts: geometry only."""

from __future__ import annotations

from decimal import Decimal

from seatbatch.output.chart import LABEL_WIDTH, VALUE_WIDTH, WIDTH, bar_chart


def test_a_negative_amount_is_a_bar_as_long_as_it_is_in_its_own_colour() -> None:
    """A month whose credit notes exceed a partner's invoices: not a bar of no width."""
    chart = bar_chart("Net amount by partner, EUR", "EUR",
                      [("P-A", Decimal("100.00")), ("P-B", Decimal("-50.00")), ("P-C", Decimal(0))])
    room = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    assert [(bar.width, bar.negative) for bar in chart.bars] == [
        (room, False), (room / 2, True), (0.0, False)]


def test_no_amounts_draw_no_lengths() -> None:
    assert [bar.width for bar in bar_chart("t", "JPY", [("P-A", Decimal(0))]).bars] == [0.0]
