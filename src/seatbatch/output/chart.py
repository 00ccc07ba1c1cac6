"""Bar charts as plain geometry for an inline SVG: no JavaScript, prints as it shows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

WIDTH = 640
LABEL_WIDTH = 190  # partner names, left of the bars
VALUE_WIDTH = 110  # amounts, right of the longest bar
ROW_HEIGHT = 22
TOP = 30


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal
    y: int
    width: float

    @property
    def negative(self) -> bool:
        return self.value < 0


@dataclass(frozen=True)
class Chart:
    title: str
    currency: str
    bars: tuple[Bar, ...]
    width: int = WIDTH
    label_width: int = LABEL_WIDTH
    row_height: int = ROW_HEIGHT

    @property
    def height(self) -> int:
        return TOP + ROW_HEIGHT * len(self.bars) + 8


def bar_chart(title: str, currency: str, items: Sequence[tuple[str, Decimal]]) -> Chart:
    """Horizontal bars, each as long as its value relative to the largest in size (0 for
    none); a negative value (a month whose credit notes exceed its invoices) is drawn as long
    as it is, in its own colour (`Bar.negative`)."""
    largest = max((abs(value) for _, value in items), default=Decimal(0))
    room = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    bars = tuple(
        Bar(label, value, TOP + ROW_HEIGHT * index,
            float(room * abs(value) / largest) if largest > 0 else 0.0)
        for index, (label, value) in enumerate(items)
    )
    return Chart(title, currency, bars)
