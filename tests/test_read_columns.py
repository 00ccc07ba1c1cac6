"""A sheet's columns taken whole (`_column_of`, in C) are what reading them cell by cell
(`_column` then `_shared`) gives: the same values, of the same types, the same objects shared
the same way (so a worker's pickled sheet is the same bytes)."""

from __future__ import annotations

import gc
import pickle
from datetime import date, datetime
from operator import itemgetter
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from conftest import ROOT
from seatbatch.core.config import Limits
from seatbatch.intake.read import _column, _column_of, _shared, read_workbook

CELLS = st.one_of(
    st.none(), st.booleans(), st.integers(-2, 2), st.sampled_from([0.0, 1.0, 2.5, float("nan")]),
    st.sampled_from(["a", "b", "1", "True", "", " ", "a ", " b"]).map(lambda text: text + ""),
    st.text(alphabet="ab \t", max_size=3),
    st.sampled_from([date(2026, 1, 1), datetime(2026, 1, 1), datetime(2026, 1, 1, 5)]),
)


def _by_cell(body: list[list[Any]], width: int) -> list[list[Any]]:
    same: dict[Any, Any] = {}
    return [_shared(_column(body, at), same) for at in range(width)]


@given(st.integers(1, 4).flatmap(
    lambda width: st.lists(st.lists(CELLS, min_size=width, max_size=width), max_size=12)))
def test_columns_taken_whole_are_the_columns_read_cell_by_cell(body: list[list[Any]]) -> None:
    width = len(body[0]) if body else 1
    shared: list[dict[Any, Any]] = []
    whole = [_column_of(list(map(itemgetter(at), body)), shared) for at in range(width)]
    by_cell = _by_cell(body, width)
    assert [[type(v) for v in column] for column in whole] == \
        [[type(v) for v in column] for column in by_cell]
    assert pickle.dumps(whole) == pickle.dumps(by_cell)


def test_a_column_of_repeated_text_shares_one_object_with_the_earlier_column() -> None:
    first, second = "C-1", "".join(["C-", "1"])
    assert first is not second
    shared: list[dict[Any, Any]] = []
    _column_of([first, None], shared)
    assert _column_of([second, " C-1"], shared)[0] is first
    assert _column_of([second, second], [])[1] is second


def test_the_collector_is_as_it_was_once_the_sheets_are_read() -> None:
    read = read_workbook(ROOT / "samples" / "acme-new.xlsx", Limits())
    assert set(read.sheets) == {"Customers", "Devices", "Orders"}
    assert gc.isenabled()
    gc.disable()
    try:
        read_workbook(ROOT / "samples" / "acme-new.xlsx", Limits())
        assert not gc.isenabled()
    finally:
        gc.enable()
