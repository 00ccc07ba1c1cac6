"""Printable HTML from jinja2 templates, autoescaped everywhere."""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seatbatch.core.money import round_money
from seatbatch.core.resources import resource_dir

if TYPE_CHECKING:
    from jinja2 import Environment


def money(amount: Decimal | str, currency: str) -> str:
    """1234.5 EUR -> '1,234.50' (thousands separated, the currency's decimals)."""
    return f"{round_money(Decimal(amount), currency):,}"


def percent(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}%"


@cache
def environment() -> Environment:
    # jinja2 is imported here, not at start-up: only a command that writes HTML needs it
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

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


def prepare(*templates: str) -> None:
    """The templates compiled ahead (jinja2 imported): `process` does it while it waits."""
    for template in templates:
        environment().get_template(template)


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def write_rendered(path: Path, template: str, **context: Any) -> None:
    """`render`'s text written to `path` as it is made, never held whole (a page of 100,000
    rows); `context` may hold iterables that produce their rows as the page asks for them."""
    with path.open("w", encoding="utf-8") as out:
        out.writelines(environment().get_template(template).generate(**context))
