"""What the worksheet scan counts does not depend on where the unpacked bytes were cut into
chunks: a value tag split between two chunks is counted once, as one inside a chunk."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from seatbatch.intake.xmlscan import Worksheet

ROW = (b'<row r="%d"><c r="A%d" t="s"><v>1</v></c>'
       b'<c r="B%d" t="inlineStr"><is><t>x</t></is></c></row>')


def _sheet(prefix: bytes, rows: int) -> bytes:
    body = b"".join(ROW % (n, n, n) for n in range(1, rows + 1))
    if prefix:
        body = body.replace(b"<", b"<" + prefix).replace(b"<" + prefix + b"/", b"</" + prefix)
    root = b"<" + prefix + b"worksheet"
    return (b'<?xml version="1.0"?>' + root + b' xmlns:x="urn:x"><' + prefix + b"sheetData>"
            + body + b"</" + prefix + b"sheetData></" + prefix + b"worksheet>")


@given(st.sampled_from([b"", b"x:"]), st.integers(0, 40),
       st.lists(st.integers(1, 40), min_size=1, max_size=30))
def test_values_are_counted_once_however_the_part_is_cut(prefix: bytes, rows: int,
                                                         cuts: list[int]) -> None:
    data = _sheet(prefix, rows)
    sheet = Worksheet("xl/worksheets/sheet1.xml", 1_000_001, 16_000_016)
    at = 0
    for size in cuts * (len(data) // sum(cuts) + 1):
        if at >= len(data):
            break
        sheet.feed(data[at:at + size])
        at += size
    sheet.close()
    assert sheet.valued == 2 * rows
