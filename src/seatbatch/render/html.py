"""Printable HTML from jinja2 templates, autoescaped everywhere."""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from seatbatch.money import round_money
from seatbatch.resources import resource_dir


def money(amount: Decimal | str, currency: str) -> str:
    """1234.5 EUR -> '1,234.50' (thousands separated, the currency's decimals)."""
    return f"{round_money(Decimal(amount), currency):,}"


def percent(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}%"


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(resource_dir("templates"))),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = money
    env.filters["percent"] = percent
    return env


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)
