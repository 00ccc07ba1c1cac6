"""The declarative column definitions of schemas/columns.toml as frozen specs."""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Any

from seatbatch.problems import Code
from seatbatch.resources import resource_dir

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
    help: str = ""


@dataclass(frozen=True)
class SheetSpec:
    name: str
    columns: tuple[ColumnSpec, ...]
    min_rows: int = 0
    help: str = ""

    def column(self, name: str) -> ColumnSpec:
        return next(c for c in self.columns if c.name == name)


# Letters of other scripts drawn like Latin ones (Unicode's confusables, the ones that can spell
# a sheet or column name of ours): a name written with them looks the same on screen.
LOOKALIKES = str.maketrans({
    chr(int(code, 16)): latin
    for latin, codes in {
        "a": "0430 0251 03B1",
        "b": "0432",
        "c": "0441",
        "d": "0501",
        "e": "0435 03B5",
        "h": "043D",
        "i": "0456 03B9 0131 2170",
        "j": "0458",
        "k": "043A 03BA",
        "l": "04CF 2113",
        "m": "043C",
        "o": "043E 03BF",
        "p": "0440 03C1",
        "q": "051B",
        "s": "0455",
        "t": "0442 03C4",
        "u": "03C5",
        "v": "03BD",
        "w": "051D",
        "x": "0445",
        "y": "0443",
        }.items()
    for code in codes.split()
})


def name_key(text: str) -> str:
    """What a sheet or column name looks like, as one key: two names with the same key cannot
    be told apart on screen. Compatibility forms are unified (NFKC: full-width letters, the
    non-breaking and other spaces), invisible format characters (zero-width spaces and joiners,
    soft hyphens, direction marks) dropped, accents and letters of other scripts drawn like
    Latin ones taken as those, white space trimmed and collapsed, case ignored."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text)
                   if unicodedata.category(ch) not in ("Cf", "Mn", "Me"))
    return " ".join(text.casefold().translate(LOOKALIKES).split())


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
    if "choices" in fields:
        fields["choices"] = tuple(fields["choices"])
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
