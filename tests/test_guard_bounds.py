"""The guard's bound on a sheet's rows, made tighter only when it must be (the decade of row
numbers below the top one is looked for again then): the same answer as a bound taken while
unpacking, for sheets that pass and sheets that are too sparse."""

from __future__ import annotations

from pathlib import Path

import pytest

from hostile.make_corpus import ORDERS_SHEET, parts, rezip, valid_workbook
from seatbatch.core.config import Limits
from seatbatch.core.problems import Code
from seatbatch.intake.guard import check_file
from seatbatch.intake.xmlscan import Worksheet

HEADER = '<row r="1"><c r="A1" t="inlineStr"><is><t>order_id</t></is></c></row>'


def _orders(tmp_path: Path, rows: str) -> Path:
    members = parts(valid_workbook())
    members[ORDERS_SHEET] = (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats'
        f'.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/'
        f'officeDocument/2006/relationships"><sheetData>{HEADER}{rows}</sheetData></worksheet>'
    ).encode()
    path = tmp_path / "book.xlsx"
    path.write_bytes(rezip(members))
    return path


def _rows(last: int, every: int) -> str:
    """A value in column A of every `every`th row up to `last`, and one in column AD."""
    cells = [f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>' for n in range(2, last + 1, every)]
    cells.append(f'<row r="{last + 1}"><c r="AD{last + 1}"><v>1</v></c></row>')
    return "".join(cells)


@pytest.mark.parametrize(("last", "every", "code"), [
    (30_000, 1, None),  # 30,001 rows of 30 columns hold 30,000 values: dense enough
    (80_000, 80, Code.SPARSE_SHEET),  # 80,001 rows of 30 columns hold 1,001: too sparse
    (5_000, 1, None),  # no row number of five digits: bounded without looking again
])
def test_a_wide_sheet_of_five_digit_rows_is_weighed_by_its_rows(tmp_path: Path, last: int,
                                                              every: int,
                                                              code: Code | None) -> None:
    found = check_file(_orders(tmp_path, _rows(last, every)), Limits())
    assert (found.code if found else None) is code


def test_the_bound_is_loose_until_looked_for_again() -> None:
    data = ('<worksheet xmlns:r="urn:r"><sheetData>' + HEADER + _rows(20_000, 1)
            + "</sheetData></worksheet>").encode()
    sheet = Worksheet("xl/worksheets/sheet1.xml", 1_000_001, 16_000_016)
    chunks = [data[at:at + 4096] for at in range(0, len(data), 4096)]
    for chunk in chunks:
        sheet.feed(chunk)
    sheet.close()
    loose = sheet.tight()
    assert sheet.loose() and loose is not None and loose.last_row == 99_999
    sheet.refine(chunks)
    assert not sheet.loose()
    tight = sheet.tight()
    assert tight is not None and (tight.last_row, tight.last_column) == (20_001, 30)
