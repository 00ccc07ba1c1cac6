"""Per-column rules as pandera schemas built from schemas/columns.toml, run lazily so that every
failure of every cell is collected, and mapped back to Problems at their Excel rows."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from seatbatch.core.columns import ColumnSpec, SheetSpec
from seatbatch.core.legal import countries, country_hint, email_error
from seatbatch.core.problems import Code, Problem, problem
from seatbatch.core.sheets import RawSheet
from seatbatch.validation.cells import parse_column

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$"


@dataclass
class CheckedSheet:
    """Typed values by column (a failed or empty cell is None), rows in sheet order, with every
    problem found. A column the sheet does not have reads as all None."""

    rows: list[int]
    values: dict[str, list[Any]]
    problems: list[Problem]

    def column(self, name: str) -> list[Any]:
        return self.values.get(name) or [None] * len(self.rows)


def _once_per_value(test: Callable[[pd.Series], pd.Series]) -> Callable[[pd.Series], pd.Series]:
    """A test of each cell on its own, run on each distinct value of the column once and its
    outcome spread back to the cells. Handed the whole column (ignore_na=False: pandera's
    own dropping of empty cells looks at every cell once more, per check), it passes the empty
    cells itself, as pandera would have. An outcome that is not known (NaN) passes, as pandera
    takes it. A column whose every value passes, as most do, is known so from its values alone:
    only one with a failure is factorized, to find its cells."""

    def run(cells: pd.Series) -> pd.Series:
        distinct = pd.Series(list(dict.fromkeys(cells.tolist())), dtype=object)
        if test(distinct[~distinct.isna()]).to_numpy(dtype=bool, na_value=True).all():
            return pd.Series(True, index=cells.index)  # every value passes: none to find
        codes, values = pd.factorize(cells, use_na_sentinel=False)
        blank = pd.isna(values)
        passed = blank.copy()  # an empty cell passes; the others as the test finds them
        passed[~blank] = test(pd.Series(values[~blank], dtype=object)).to_numpy(
            dtype=bool, na_value=True)
        return pd.Series(passed[codes], index=cells.index)

    return run


def _no_longer_than(limit: int) -> Callable[[pd.Series], pd.Series]:
    """Texts of at most `limit` characters, as `s.str.len() <= limit` tells but without its
    Python function per cell (a value that is no text fails, its length unknown); cell by
    cell only when some value is no text or too long."""

    def test(cells: pd.Series) -> pd.Series:
        values = cells.tolist()
        if set(map(type, values)) <= {str} and max(map(len, values), default=0) <= limit:
            return pd.Series(True, index=cells.index)  # all texts, none too long
        return pd.Series([isinstance(v, str) and len(v) <= limit for v in values],
                         index=cells.index, dtype=bool)

    return test


def _matching(pattern: str) -> Callable[[pd.Series], pd.Series]:
    """Texts that `pattern` matches from their start, as `s.str.match(pattern)` tells but
    without its Python function per cell (a value that is no text passes, as its NaN did)."""
    match = re.compile(pattern).match

    def test(cells: pd.Series) -> pd.Series:
        return pd.Series([not isinstance(v, str) or match(v) is not None
                          for v in cells.to_numpy()], index=cells.index, dtype=bool)

    return test


def _each(code: Code, test: Callable[[pd.Series], pd.Series], *, unique: bool,
          filled: bool) -> pa.Check:
    """A test of each cell: once per value, unless the values must all differ anyway."""
    if unique:
        return pa.Check(test, name=str(code), ignore_na=not filled)
    return pa.Check(_once_per_value(test), name=str(code), ignore_na=False)


def _checks(column: ColumnSpec, device_types: tuple[str, ...], *, filled: bool = False
            ) -> list[pa.Check]:
    """The column's checks; of a column `filled` (no empty cell), without pandera's look for
    the empty cells to leave out (ignore_na), at every cell, per check."""

    def vector(code: Code, test: Callable[[pd.Series], pd.Series]) -> pa.Check:
        return pa.Check(test, name=str(code), ignore_na=not filled)

    def each(code: Code, test: Callable[[pd.Series], pd.Series]) -> pa.Check:
        return _each(code, test, unique=column.unique, filled=filled)

    checks = []
    if column.type == "id":
        checks.append(each(Code.INVALID_ID, _matching(ID_PATTERN)))
    if column.max_length:
        checks.append(each(Code.TEXT_TOO_LONG, _no_longer_than(column.max_length)))
    if column.min is not None and column.max is not None and column.range_code:
        low, high = column.min, column.max
        checks.append(vector(column.range_code, lambda s: s.between(low, high)))
    if column.choices and column.choice_code:
        allowed = [str(c) for c in column.choices] if column.type == "choice" else column.choices
        checks.append(vector(column.choice_code, lambda s: s.isin(allowed)))
    if column.type == "device_type":
        checks.append(vector(Code.UNKNOWN_DEVICE_TYPE, lambda s: s.isin(device_types)))
    if column.type == "country":
        checks.append(vector(Code.UNKNOWN_COUNTRY, lambda s: s.isin(countries())))
    if column.type == "email":
        checks.append(
            pa.Check(
                lambda v: email_error(v) is None, element_wise=True, name=str(Code.INVALID_EMAIL),
                ignore_na=not filled,
            )
        )
    if column.must_be_true:
        checks.append(vector(Code.TERMS_NOT_ACCEPTED, lambda s: s.astype(bool)))
    if column.unique:
        checks.append(vector(Code.DUPLICATE_VALUE, lambda s: ~s.duplicated(keep="first")))
    return checks


def build_schema(spec: SheetSpec, checks: dict[str, list[pa.Check]], filled: set[str]) -> Any:
    """The schema of the columns `checks` names, each with its checks; those `filled` are known
    to have no empty cell, which pandera then need not look for, neither as a blank required
    cell nor to leave out of a check (each a look at every cell)."""
    return pa.DataFrameSchema(
        {
            column.name: pa.Column(None, checks[column.name],
                                   nullable=not column.required or column.name in filled)
            for column in spec.columns
            if column.name in checks
        }
    )


def _params(
    code: Code, column: ColumnSpec, value: Any, first_rows: dict[Any, int], devices: tuple[str, ...]
) -> dict[str, object]:
    """The figures a code's message template needs, besides the value and column."""
    if code is Code.TEXT_TOO_LONG:
        return {"limit": column.max_length, "length": len(str(value))}
    if code is Code.SEATS_OUT_OF_RANGE:
        return {"low": column.min, "high": column.max}
    if code is Code.DUPLICATE_VALUE:
        return {"first_row": first_rows.get(value, "?")}
    if code is Code.UNKNOWN_DEVICE_TYPE:
        near = difflib.get_close_matches(str(value), devices, n=2, cutoff=0.6)
        near += [t for t in devices if t.casefold().replace(" ", "") == str(value).casefold()
                 .replace(" ", "") and t not in near]
        hint = " (did you mean " + " or ".join(f"'{t}'" for t in near) + "?)" if near else ""
        return {"hint": hint, "allowed": ", ".join(devices)}
    if code is Code.UNKNOWN_COUNTRY:
        better = country_hint(str(value))
        return {"hint": f" (did you mean '{better}'?)" if better else ""}
    if code is Code.INVALID_EMAIL:
        return {"detail": email_error(str(value)) or ""}
    return {}


def prepare() -> None:
    """What pandera does on its first validation (it registers its backends and imports what
    they need, hypothesis too where it is installed: 60 ms) done ahead: `process` calls this
    while a worker reads a large workbook."""
    check = pa.Check(lambda s: s.isin(["x"]), name="prepare")
    frame = pd.DataFrame({"x": ["x"]}, dtype=object)
    pa.DataFrameSchema({"x": pa.Column(None, [check], nullable=True)}).validate(frame, lazy=True)


def check_sheet(raw: RawSheet, device_types: tuple[str, ...],
                offered: tuple[str, ...] | None = None) -> CheckedSheet:
    """The sheet's cells checked; `device_types` are those a cell may name, `offered` those a
    message lists and suggests (the partner's, default all of them)."""
    spec = raw.spec
    columns = [c for c in spec.columns if c.name in raw.columns]
    problems: list[Problem] = []
    failed: dict[str, set[int]] = {c.name: set() for c in columns}  # positions, per column
    typed: dict[str, list[Any]] = {}
    filled: set[str] = set()  # columns with no empty cell (a typed value is never NaN)
    by_name = {c.name: c for c in columns}
    for column in columns:
        given = raw.cells[column.name]
        typed[column.name], refused, complete = parse_column(column.type, column.choices,
                                                             device_types, given)
        if complete:
            filled.add(column.name)
        for position, error in refused:
            failed[column.name].add(position)
            problems.append(problem(error.code, spec.name, raw.rows[position], column.name,
                                    given[position], **error.params))
    # pandera is shown only the columns it has something to check in (not one without checks
    # that may be blank, or is filled), in a frame it need not copy: nothing is coerced
    checks = {column.name: _checks(column, device_types, filled=column.name in filled)
              for column in columns}
    checks = {name: its for name, its in checks.items()
              if its or (by_name[name].required and name not in filled)}
    frame = pd.DataFrame({name: typed[name] for name in checks},
                         index=pd.RangeIndex(len(raw.rows)), dtype=object)
    try:
        build_schema(spec, checks, filled).validate(frame, lazy=True, inplace=True)
    except SchemaErrors as errors:
        cases = errors.failure_cases
        first_rows: dict[str, dict[Any, int]] = {}
        for name, check, index in zip(cases["column"], cases["check"], cases["index"],
                                      strict=True):
            if name not in by_name or index is None or int(index) in failed[name]:
                continue
            position = int(index)
            column = by_name[name]
            if check == "not_nullable" and _blank_allowed(column, typed, position):
                continue
            if check == "not_nullable":
                code = Code.TERMS_NOT_ACCEPTED if column.must_be_true else Code.MISSING_VALUE
            else:
                code = Code(check)
            value = typed[name][position]
            if code is Code.DUPLICATE_VALUE and name not in first_rows:
                first_rows[name] = _first_rows(typed[name], raw.rows)
            failed[name].add(position)
            problems.append(
                problem(code, spec.name, raw.rows[position], name, raw.cells[name][position],
                        **_params(code, column, value, first_rows.get(name, {}),
                                  offered or device_types))
            )
    for name, positions in failed.items():
        for position in positions:
            typed[name][position] = None
    order = {name: i for i, name in enumerate(raw.columns)}
    problems.sort(key=lambda p: (p.row or 0, order.get(p.column or "", 0)))
    return CheckedSheet(list(raw.rows), typed, problems)


def _blank_allowed(column: ColumnSpec, typed: dict[str, list[Any]], position: int) -> bool:
    """A required column left blank on a row whose action leaves it blank (SPEC §11)."""
    actions = typed.get("action")
    return bool(column.optional_for) and actions is not None \
        and actions[position] in column.optional_for


def _first_rows(values: list[Any], rows: list[int]) -> dict[Any, int]:
    first: dict[Any, int] = {}
    for row, value in zip(rows, values, strict=True):
        first.setdefault(value, row)
    return first
