"""parse_column: parse_cells, and whether every cell was given and parsed, which check_sheet
takes for "pandera need not look for empty cells"."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from seatbatch.validation.cells import parse_cells, parse_column


@pytest.mark.parametrize(("type_name", "cells", "filled"), [
    ("text", ["a", "b", "a"], True),
    ("text", ["a", None, "b"], False),
    ("text", ["a", 3.0, True], True),  # shown as text
    ("id", [None], False),
    ("int", [1, 2.0, "3"], True),
    ("int", [1, "three"], False),  # refused: its typed value is None
    ("int", [1, None], False),
    ("date", [date(2026, 1, 1), "2026-01-02"], True),
    ("date", [date(2026, 1, 1), "31/12/2026"], False),
    ("bool", [True, "yes", 0], True),
    ("bool", [True, "maybe"], False),
    ("choice", ["new", "Add"], True),
    ("int", [], True),
])
def test_filled_is_no_typed_value_none(type_name: str, cells: list[Any], filled: bool) -> None:
    choices = ("new", "add") if type_name == "choice" else ()
    typed, refused, complete = parse_column(type_name, choices, (), cells)
    alone, refused_alone = parse_cells(type_name, choices, (), cells)
    assert typed == alone
    assert [(p, e.code, e.params) for p, e in refused] == \
        [(p, e.code, e.params) for p, e in refused_alone]
    assert complete is filled
    assert complete == (None not in typed)
