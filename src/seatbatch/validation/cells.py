"""One cell as given -> its typed value, or the reason it cannot be one.

Excel numbers arrive as binary floats; they are read through `str()`, and a whole-number column
takes 3 and 3.0 but never 2.5."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from itertools import repeat
from typing import Any

from seatbatch.core.names import name_key
from seatbatch.core.problems import Code, shown
from seatbatch.core.sheets import UnreadableCell

TRUE_WORDS = {"true", "yes", "y", "1", "x"}
FALSE_WORDS = {"false", "no", "n", "0"}
# ASCII digits only: Unicode digits and exponents are not how a partner writes a seat count.
_WHOLE = re.compile(r"^[+-]?([0-9]+)(\.0*)?$", re.ASCII)
_FRACTION = re.compile(r"^[+-]?[0-9]*\.[0-9]+$", re.ASCII)
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", re.ASCII)
_DAY_FIRST_OR_MONTH_FIRST = re.compile(r"^([0-9]{1,2})[./-]([0-9]{1,2})[./-]([0-9]{2}|[0-9]{4})$")
_HUGE = 10**18  # a whole number beyond any range a column allows; its cell is shown as given
KNOWN_TEXTS = 1000  # texts a choice column remembers the spelling of


# What Excel's error values mean, for the message of a cell that holds one.
ERROR_MEANINGS = {
    "#N/A": "a lookup found nothing",
    "#REF!": "a formula refers to a cell that was deleted",
    "#DIV/0!": "a division by zero",
    "#VALUE!": "a formula was given a value of the wrong kind",
    "#NAME?": "a formula uses a name Excel does not know",
    "#NUM!": "a number out of range",
    "#NULL!": "ranges that do not meet",
    "#SPILL!": "a formula's results have no room",
    "#CALC!": "a formula could not be calculated",
    "#GETTING_DATA": "a value still being fetched",
}


class CellError(ValueError):
    def __init__(self, code: Code, **params: object):
        super().__init__(code)
        self.code = code
        self.params = params


def as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return shown(value) if not isinstance(value, str) else value


def as_int(value: Any) -> int:
    """3, 3.0, "3", " 1 000 " -> a whole number; 2.5 has a fraction; "three", TRUE, 1e3 as text
    are not numbers."""
    if isinstance(value, bool | date):
        raise CellError(Code.NOT_A_NUMBER)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise CellError(Code.NOT_A_NUMBER)
        if not value.is_integer():
            raise CellError(Code.NOT_A_WHOLE_NUMBER)
        return int(value) if abs(value) < _HUGE else _HUGE
    text = str(value).replace(" ", "")
    whole = _WHOLE.match(text)
    if whole:
        digits = whole.group(1).lstrip("0")
        number = int(digits or "0") if len(digits) < len(str(_HUGE)) else _HUGE
        return -number if text.startswith("-") else number
    if _FRACTION.match(text):
        raise CellError(Code.NOT_A_WHOLE_NUMBER)
    raise CellError(Code.NOT_A_NUMBER)


def as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        if _ISO_DATE.match(value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                raise CellError(Code.NOT_A_DATE) from None
        match = _DAY_FIRST_OR_MONTH_FIRST.match(value)
        if match:
            raise CellError(Code.AMBIGUOUS_DATE, example=_example(*map(int, match.groups())))
    raise CellError(Code.NOT_A_DATE)


def _example(first: int, second: int, year: int) -> str:
    """The ISO form a partner most likely meant, to show in the message."""
    year = year + 2000 if year < 100 else year  # noqa: PLR2004  a two-digit year
    day, month = (second, first) if second > 12 else (first, second)  # noqa: PLR2004  not a month
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return f"{year:04d}-12-31"


def as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CellError(Code.NOT_A_BOOLEAN)


def canonical(choices: Mapping[str, str]) -> Callable[[Any], str]:
    """Text matched to a known spelling by `name_key`, the key that the configuration keeps
    unique (`space  pro` -> `Space Pro`); anything else passes through for the schema to
    reject with a suggestion. `choices` maps each key to its spelling."""

    # a column repeats a few texts (device types, actions) many times: each is keyed once
    known: dict[str, str] = {}

    def parse(value: Any) -> str:
        text = as_text(value)
        spelling = known.get(text)
        if spelling is None:
            spelling = choices.get(name_key(text), text)
            if len(known) < KNOWN_TEXTS:
                known[text] = spelling
        return spelling

    return parse


def refused(cell: UnreadableCell) -> CellError:
    """Why a cell the reader took for empty is refused: its error value's meaning."""
    meaning = ERROR_MEANINGS.get(cell.text.upper(), "the result of a formula that failed")
    return CellError(cell.code, meaning=meaning)


def parser_for(type_name: str, choices: tuple[Any, ...], device_types: tuple[str, ...]) -> Any:
    """The parser of a column type; a cell that only reads as empty is refused whatever the
    column (it is not a missing value)."""
    parse = _parser_for(type_name, choices, device_types)

    def checked(value: Any) -> Any:
        if isinstance(value, UnreadableCell):
            raise refused(value)
        return parse(value)

    return checked


# Values whose parse depends only on the value and its class (two equal floats, 0.0 and -0.0,
# parse and show alike): such a value is parsed once however often a column repeats it.
_BY_VALUE = frozenset({str, int, float, bool, date})
TEXT_TYPES = frozenset({"text", "id", "email"})  # parsed by as_text: a text cell is its value
# the classes whose cells as_date, as_int and as_bool give back as they are (a datetime, a bool
# for a number, an int for a flag are parsed)
_OWN_VALUE: dict[str, frozenset[type]] = {
    "date": frozenset({date}), "int": frozenset({int}), "bool": frozenset({bool})}
_EACH = object()  # the result of a value parsed at each cell that holds it


def parse_cells(
    type_name: str, choices: tuple[Any, ...], device_types: tuple[str, ...], cells: list[Any]
) -> tuple[list[Any], list[tuple[int, CellError]]]:
    """A column's cells parsed as `parser_for` parses each: the typed values (None where empty
    or refused) and the refused cells by position, in order. A text cell of a text column is
    its own value; any other value is parsed once per column (a column repeats a few device
    types, dates or seat counts many times)."""
    typed, refused, _ = parse_column(type_name, choices, device_types, cells)
    return typed, refused


def parse_column(
    type_name: str, choices: tuple[Any, ...], device_types: tuple[str, ...], cells: list[Any]
) -> tuple[list[Any], list[tuple[int, CellError]], bool]:
    """`parse_cells`, and whether every cell was given and parsed (no typed value is None):
    known on the way, without another look at every cell."""
    parse = parser_for(type_name, choices, device_types)
    given = set(map(type, cells))
    classes = given - {type(None)}
    if type_name in TEXT_TYPES:
        typed = list(cells)
        odd = [] if classes <= {str} else [
            p for p, value in enumerate(cells) if value.__class__ is not str and value is not None]
    elif classes <= _OWN_VALUE.get(type_name, frozenset()):  # every cell given is its typed value
        typed = list(cells)
        odd = []
    elif len(classes) == 1 and classes <= _BY_VALUE:  # of one class: a value is its own key
        results = {value: _outcome(parse, value) for value in dict.fromkeys(cells)
                   if value is not None}
        results[None] = None
        typed = list(map(results.__getitem__, cells))
        odd = [p for p, result in enumerate(typed) if isinstance(result, CellError)] \
            if any(isinstance(result, CellError) for result in results.values()) else []
    else:
        keys = list(zip(map(type, cells), cells, strict=True))
        results = {key: _outcome(parse, key[1]) for key in dict.fromkeys(keys)
                   if key[0] in _BY_VALUE}
        results[type(None), None] = None
        typed = list(map(results.get, keys, repeat(_EACH)))
        odd = [p for p, result in enumerate(typed)
               if result is _EACH or isinstance(result, CellError)]
    refused: list[tuple[int, CellError]] = []
    for position in odd:
        result = typed[position]
        if not isinstance(result, CellError):
            result = _outcome(parse, cells[position])
        if isinstance(result, CellError):
            typed[position] = None
            refused.append((position, result))
        else:
            typed[position] = result
    return typed, refused, type(None) not in given and not refused


def _outcome(parse: Callable[[Any], Any], value: Any) -> Any:
    """What `parse` makes of the value: its result, or the CellError it raised."""
    try:
        return parse(value)
    except CellError as error:
        return error


def _parser_for(type_name: str, choices: tuple[Any, ...], device_types: tuple[str, ...]) -> Any:
    if type_name == "int":
        return as_int
    if type_name == "date":
        return as_date
    if type_name == "bool":
        return as_bool
    if type_name == "country":
        return lambda value: as_text(value).upper()
    if type_name == "device_type":
        return canonical({name_key(t): t for t in device_types})
    if type_name == "choice":
        return canonical({name_key(str(c)): str(c) for c in choices})
    return as_text
