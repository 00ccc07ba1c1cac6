"""Unit tests of cell parsing, the problem catalogue and the column definitions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seatbatch.core.columns import TYPES, normalize_header, sheet_specs
from seatbatch.core.problems import MESSAGES, Code
from seatbatch.core.sheets import UnreadableCell
from seatbatch.validation.cells import CellError, as_bool, as_date, as_int, parse_cells, parser_for


def test_every_code_has_one_message_and_codes_are_snake_case() -> None:
    assert set(MESSAGES) == set(Code)
    for code in Code:
        assert code.value == code.value.lower() and " " not in code.value


def test_codes_named_in_columns_toml_exist() -> None:
    for sheet in sheet_specs():
        for column in sheet.columns:
            for code in (column.range_code, column.choice_code):
                assert code is None or code in set(Code)


@pytest.mark.parametrize(("given", "expected"), [(3, 3), (3.0, 3), ("3", 3), (" 12 ", 12),
                                                 ("3.0", 3), (-1, -1), ("1 000", 1000)])
def test_whole_numbers(given: Any, expected: int) -> None:
    assert as_int(given) == expected


@pytest.mark.parametrize(("given", "code"), [(2.5, Code.NOT_A_WHOLE_NUMBER),
                                             ("2.5", Code.NOT_A_WHOLE_NUMBER),
                                             ("three", Code.NOT_A_NUMBER),
                                             (True, Code.NOT_A_NUMBER),
                                             (date(2026, 1, 1), Code.NOT_A_NUMBER)])
def test_not_whole_numbers(given: Any, code: Code) -> None:
    with pytest.raises(CellError) as caught:
        as_int(given)
    assert caught.value.code is code


def test_dates() -> None:
    assert as_date(date(2026, 12, 31)) == date(2026, 12, 31)
    assert as_date(datetime(2026, 12, 31, 0, 0)) == date(2026, 12, 31)
    assert as_date("2026-12-31") == date(2026, 12, 31)
    with pytest.raises(CellError) as caught:
        as_date("31/12/2026")
    assert caught.value.code is Code.AMBIGUOUS_DATE
    assert caught.value.params["example"] == "2026-12-31"
    with pytest.raises(CellError) as caught:
        as_date("03.04.2026")
    assert caught.value.code is Code.AMBIGUOUS_DATE
    for bad in ("2026-02-30", "tomorrow", 46000.0):
        with pytest.raises(CellError) as caught:
            as_date(bad)
        assert caught.value.code is Code.NOT_A_DATE


@pytest.mark.parametrize("word", ["TRUE", "true", "Yes", "y", "1", "x", "X", True, 1, 1.0])
def test_true_spellings(word: Any) -> None:
    assert as_bool(word) is True


@pytest.mark.parametrize("word", ["FALSE", "no", "N", "0", False, 0])
def test_false_spellings(word: Any) -> None:
    assert as_bool(word) is False


def test_not_a_boolean() -> None:
    with pytest.raises(CellError):
        as_bool("maybe")


def test_header_normalisation() -> None:
    assert normalize_header("Customer ID") == "customerid" == normalize_header("customer_id")
    assert normalize_header("CUSTOMER-ID") == "customerid"


@pytest.mark.parametrize("given", ["1e999999999", "1e3", "\uff11\uff12", "0x10", "1,5", "--1"])
def test_text_that_is_not_a_plain_whole_number(given: str) -> None:
    """Regression: '1e999999999' once hung the run; exponents and non-ASCII digits are out."""
    with pytest.raises(CellError) as caught:
        as_int(given)
    assert caught.value.code is Code.NOT_A_NUMBER


def test_huge_whole_numbers_stay_cheap() -> None:
    assert as_int("9" * 5000) >= 10**18
    assert as_int(1e300) >= 10**18
    assert as_int("-3") == -3 and as_int("007") == 7


@pytest.mark.parametrize("given", ["2026-W48-2", "20261124", "2026-11-24T00:00"])
def test_only_plain_iso_dates_as_text(given: str) -> None:
    with pytest.raises(CellError):
        as_date(given)


_CELLS = st.one_of(
    st.none(),
    st.sampled_from(["3", " 1 000 ", "2.5", "yes", "no", "x", "2026-01-02", "01/02/2026",
                     "13/02/26", "laptop", "LAPTOP", "new", "Add", "uk", "gb", "1e3", "-0"]),
    st.text(max_size=6),
    st.integers(-2, 100_001),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(),
    st.datetimes(),
    st.sampled_from([UnreadableCell(Code.ERROR_VALUE, "#N/A"),
                     UnreadableCell(Code.FORMULA_WITHOUT_VALUE, "=A1")]),
)


@settings(max_examples=300, deadline=None)
@given(type_name=st.sampled_from(sorted(TYPES)), cells=st.lists(_CELLS, max_size=30))
def test_a_column_parses_as_its_cells_one_by_one(type_name: str, cells: list[Any]) -> None:
    """parse_cells (each value once per column) gives what parsing every cell gives."""
    choices: tuple[Any, ...] = {"choice": ("new", "add"), "int": (1, 3, 5)}.get(type_name, ())
    device_types = ("Laptop", "Desktop")
    parse = parser_for(type_name, choices, device_types)
    expected: list[Any] = []
    expected_refused = []
    for position, value in enumerate(cells):
        try:
            expected.append(None if value is None else parse(value))
        except CellError as error:
            expected.append(None)
            expected_refused.append((position, error.code, error.params))
    typed, refused = parse_cells(type_name, choices, device_types, cells)
    assert [(p, e.code, e.params) for p, e in refused] == expected_refused
    assert [(type(v), v) for v in typed] == [(type(v), v) for v in expected]
