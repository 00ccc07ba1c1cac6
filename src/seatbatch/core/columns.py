"""The declarative column definitions of schemas/columns.toml as frozen specs."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from typing import Any

from seatbatch.core.names import name_key
from seatbatch.core.problems import Code
from seatbatch.core.resources import resource_dir

TYPES = {"text", "id", "int", "date", "bool", "choice", "country", "email", "device_type"}


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    type: str
    required: bool = False
    unique: bool = False
    max_length: int | None = None
    min: int | None = None
    max: int | None = None
    range_code: Code | None = None
    choices: tuple[Any, ...] = ()
    choice_code: Code | None = None
    must_be_true: bool = False
    # actions (SPEC §11) for which a required column is blank: its emptiness is checked by
    # the rules of those actions, not as a missing value
    optional_for: tuple[str, ...] = ()
    help: str = ""


@dataclass(frozen=True)
class SheetSpec:
    name: str
    columns: tuple[ColumnSpec, ...]
    min_rows: int = 0
    help: str = ""

    def column(self, name: str) -> ColumnSpec:
        return next(c for c in self.columns if c.name == name)


def normalize_header(text: str) -> str:
    """`Customer ID`, `customer-id` and `CUSTOMER_ID` all name customer_id (and so does any
    header that looks the same: see name_key)."""
    return re.sub(r"[\s_\-]+", "", name_key(text))


def _column(raw: dict[str, Any]) -> ColumnSpec:
    if raw["type"] not in TYPES:
        raise ValueError(f"columns.toml: unknown type {raw['type']!r}")
    fields = dict(raw)
    for key in ("range_code", "choice_code"):
        if key in fields:
            fields[key] = Code(fields[key])
    for key in ("choices", "optional_for"):
        if key in fields:
            fields[key] = tuple(fields[key])
    return ColumnSpec(**fields)


@cache
def sheet_specs() -> tuple[SheetSpec, ...]:
    raw = tomllib.loads((resource_dir("schemas") / "columns.toml").read_text(encoding="utf-8"))
    return tuple(
        SheetSpec(
            name=sheet["name"],
            columns=tuple(_column(c) for c in sheet["columns"]),
            min_rows=sheet.get("min_rows", 0),
            help=sheet.get("help", ""),
        )
        for sheet in raw["sheets"]
    )


def sheet_spec(name: str) -> SheetSpec:
    return next(s for s in sheet_specs() if s.name == name)
