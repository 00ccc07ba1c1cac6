"""Dates of terms: adding years (29 Feb -> 28 Feb), the term containing a day, proration days,
and months (the next one, a month as a term, its first and last day)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

# The run dates (--as-of) and months (--month) seatbatch takes. Every date a run computes from
# them (the start window of ten years either way, 5-year terms and their renewals, due dates,
# month ends, next month's renewals) then stays well inside the calendar of Python (years 1 to
# 9999) and of Excel (from 1900).
FIRST_RUN_DATE = date(2000, 1, 1)
LAST_RUN_DATE = date(2999, 12, 31)
RUN_DATES = f"run dates from {FIRST_RUN_DATE.isoformat()} to {LAST_RUN_DATE.isoformat()}"


def add_years(start: date, years: int) -> date:
    """`start` plus whole years; 29 February lands on 28 February in a year without one."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return start.replace(year=start.year + years, day=28)


@dataclass(frozen=True)
class Term:
    """A service period [start, end): `end` is exclusive; the last day of service is `last_day`."""

    start: date
    end: date

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def contains(self, day: date) -> bool:
        return self.start <= day < self.end

    def days_from(self, day: date) -> int:
        """Calendar days from `day` (included) to the end of the term (leap days count)."""
        return (self.end - day).days


def term_of(start: date, years: int) -> Term:
    return Term(start, add_years(start, years))


def next_month(year: int, month: int) -> tuple[int, int]:
    """The month after (year, month)."""
    return (year + 1, 1) if month == 12 else (year, month + 1)  # noqa: PLR2004  December


def month_label(year: int, month: int) -> str:
    """A month as the command line takes and shows it: 2026-11."""
    return f"{year:04d}-{month:02d}"


def month_term(year: int, month: int) -> Term:
    """The month as a period: from its first day to the next month's first day (exclusive)."""
    return Term(date(year, month, 1), date(*next_month(year, month), 1))


def month_bounds(year: int, month: int) -> tuple[date, date]:
    """The month's first and last day."""
    whole = month_term(year, month)
    return whole.start, whole.last_day
