"""rejected.xlsx from hostile and unusual workbooks (SPEC §7, §8; issue 11 findings 8 to 11): it
is the workbook as given, written from the reading validation used, so nothing in the input is
expanded (merged ranges, hyperlinks), no formula is carried (its cached value is), every date
stays a date in any producer's dialect (ISO date cells, the 1904 system, Strict OOXML), every
sheet comes back in its order and visibility, and the partner can fix the marked cells and
resend the file.

The inputs are raw XML zips built from the corpus helpers; each run is the installed
`seatbatch process` in a child limited to 512 MB of address space (RLIMIT_AS)."""

from __future__ import annotations

import os
import re
import resource
import subprocess
from datetime import datetime, time
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from conftest import AS_OF, SEATBATCH, Env, Result, codes, customer, order
from hostile.make_corpus import ORDERS_SHEET, parts, rezip, valid_workbook
from seatbatch.core.problems import Code, problem
from seatbatch.output.rejected import MAX_COMMENTS, write_rejected

pytestmark = pytest.mark.sqlite_only  # rejected from the workbook alone

LIMIT_BYTES = 512 << 20
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"
STRICT_MAIN = "http://purl.oclc.org/ooxml/spreadsheetml/main"
STRICT_RELATIONSHIPS = "http://purl.oclc.org/ooxml/officeDocument/relationships"
HEADER = ("order_id", "customer_id", "action", "subscription", "device_type", "seats",
          "term_years", "start_date", "po_number", "separate_invoice", "accept_terms")
AS_OF_SERIAL = 46350  # 2026-11-24 in the 1900 date system
DAYS_1900_TO_1904 = 1462


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT_BYTES, LIMIT_BYTES))


def process_limited(env: Env, workbook: Path) -> Result:
    """`seatbatch process` as cron runs it, in a child that may not map more than 512 MB."""
    argv = [str(SEATBATCH), "process", str(workbook), "--partner", "P-ACME",
            "--config", str(env.config), "--ledger", env.ledger_url, "--out", str(env.out),
            "--as-of", AS_OF.isoformat()]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SEATBATCH_")}
    done = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          cwd=env.root, env=environment, timeout=600,
                          preexec_fn=_limit_memory)
    assert "Traceback" not in done.stderr, done.stderr
    return Result(done.returncode, done.stdout, done.stderr)


def text(ref: str, value: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'


def number(ref: str, value: object, style: int | None = None) -> str:
    s = f' s="{style}"' if style is not None else ""
    return f'<c r="{ref}"{s}><v>{value}</v></c>'


def header_row() -> str:
    return '<row r="1">' + "".join(
        text(f"{chr(65 + n)}1", name) for n, name in enumerate(HEADER)) + "</row>"


def order_row(row: int, seats: str | None = None, start: str | None = None,
              **cells: str) -> str:
    """An order line at `row` (valid: 1 Space Pro, 3 years from the run date) with some cells
    given as raw XML; `seats` or `start` as raw XML too, a missing cell when ''."""
    given = {
        "A": text(f"A{row}", f"L{row}"), "B": text(f"B{row}", "C-001"),
        "C": text(f"C{row}", "new"), "D": text(f"D{row}", f"S{row}"),
        "E": text(f"E{row}", "Space Pro"),
        "F": number(f"F{row}", 1) if seats is None else seats,
        "G": number(f"G{row}", 3),
        "H": number(f"H{row}", AS_OF_SERIAL, style=1) if start is None else start,
        "K": f'<c r="K{row}" t="b"><v>1</v></c>',
        **cells,
    }
    return f'<row r="{row}">' + "".join(given[k] for k in sorted(given, key=_column)) + "</row>"


def _column(letters: str) -> tuple[int, str]:
    return len(letters), letters


def with_orders(rows: str, after_data: str = "", members: dict[str, bytes] | None = None
                ) -> dict[str, bytes]:
    """The corpus's valid workbook with the Orders sheet's rows replaced by `rows` and
    `after_data` placed after its sheetData."""
    members = members if members is not None else parts(valid_workbook())
    sheet = members[ORDERS_SHEET].decode()
    start, end = sheet.index("<sheetData>"), sheet.index("</sheetData>") + len("</sheetData>")
    members[ORDERS_SHEET] = (sheet[:start] + "<sheetData>" + header_row() + rows
                             + "</sheetData>" + after_data + sheet[end:]).encode()
    return members


def save(env: Env, members: dict[str, bytes], name: str = "orders.xlsx") -> Path:
    path = env.root / name
    path.write_bytes(rezip(members))
    return path


def rejected_book(result: Result) -> Any:
    return openpyxl.load_workbook(result.folder / "rejected.xlsx")


def assert_marked(ws: Any, ref: str, *words: str) -> None:
    cell = ws[ref]
    assert cell.fill.fill_type == "solid", ref
    assert cell.comment is not None, ref
    for word in words:
        assert word in cell.comment.text, (word, cell.comment.text)


def no_formula_anywhere(book: Any) -> None:
    for ws in book:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)


def fix_and_resend(env: Env, result: Result, fixes: dict[str, Any]) -> Result:
    """The partner fixes exactly the marked cells of Orders and sends the same file again."""
    book = rejected_book(result)
    for ref, value in fixes.items():
        book["Orders"][ref].value = value
    resent = env.root / "resent.xlsx"
    book.save(resent)
    return process_limited(env, resent)


# --- finding 8: a merged range or hyperlink over the whole sheet -------------------------------


def sheet_relationships(target: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PACKAGE}">'
            f'<Relationship Id="rIdLink" Type="{RELATIONSHIPS}/hyperlink" Target="{target}" '
            'TargetMode="External"/></Relationships>').encode()


@pytest.mark.parametrize("ref", ["A3:Z100000", "A3:XFD1048576"], ids=["A3-Z100000", "sheet"])
def test_whole_sheet_merged_range_and_hyperlink_with_a_bad_row(env: Env, ref: str) -> None:
    members = with_orders(
        order_row(2, seats=number("F2", -1)),
        f'<mergeCells count="1"><mergeCell ref="{ref}"/></mergeCells>'
        f'<hyperlinks><hyperlink ref="{ref}" r:id="rIdLink" '
        f'xmlns:r="{RELATIONSHIPS}"/></hyperlinks>')
    members["xl/worksheets/_rels/sheet3.xml.rels"] = sheet_relationships("http://x.example/")
    path = save(env, members)
    assert path.stat().st_size < 16_000

    result = process_limited(env, path)
    assert result.code == 1, result.stderr
    assert codes(result) == [("Orders", 2, "seats", "seats_out_of_range")]
    book = rejected_book(result)
    orders = book["Orders"]
    assert_marked(orders, "F2", "from 1 to 100000")
    assert orders["F2"].value == -1
    assert orders.max_row == 2 and not orders.merged_cells.ranges
    assert not any(cell.hyperlink for row in orders.iter_rows() for cell in row)


# --- finding 9: a bad cell inside a merged range ---------------------------------------------


def test_bad_cell_inside_a_merged_range_is_marked(env: Env) -> None:
    """E2:F2 merged, seats (F2) left empty under it: a MergedCell once took the run to exit 70."""
    members = with_orders(order_row(2, seats=""),
                          '<mergeCells count="1"><mergeCell ref="E2:F2"/></mergeCells>')
    result = process_limited(env, save(env, members))
    assert result.code == 1, result.stderr
    assert codes(result) == [("Orders", 2, "seats", "missing_value")]
    orders = rejected_book(result)["Orders"]
    assert_marked(orders, "F2")
    assert orders["E2"].value == "Space Pro"
    assert "seats" in orders["L2"].value


# --- finding 10: formulas from the input -----------------------------------------------------


def test_formula_cells_come_back_as_cached_values(env: Env) -> None:
    dde = "<f>cmd|' /C calc'!A0</f>"
    rows = order_row(
        2, seats='<c r="F2"><f>0-1</f><v>-1</v></c>',
        I='<c r="I2" t="str"><f>HYPERLINK("http://x.example","PO-1")</f><v>PO-1</v></c>',
        L=f'<c r="L2">{dde}<v>0</v></c>',
        M='<c r="M2"><f>1+1</f></c>',  # no cached value: nothing to carry
        N='<c r="N2" t="str"><f t="shared" ref="N2:N3" si="0">"x"&amp;"y"</f><v>xy</v></c>',
    ) + order_row(3, N='<c r="N3" t="str"><f t="shared" si="0"/><v>xy</v></c>')
    result = process_limited(env, save(env, with_orders(rows)))
    assert result.code == 1, result.stderr
    assert codes(result) == [("Orders", 2, "seats", "seats_out_of_range")]
    book = rejected_book(result)
    no_formula_anywhere(book)
    orders = book["Orders"]
    assert_marked(orders, "F2")
    assert (orders["F2"].value, orders["F2"].data_type) == (-1, "n")
    assert (orders["I2"].value, orders["I2"].data_type) == ("PO-1", "s")
    assert (orders["L2"].value, orders["L2"].data_type) == (0, "n")
    assert orders["M2"].value is None
    assert [orders["N2"].value, orders["N3"].value] == ["xy", "xy"]


# --- finding 11: dates in every dialect, Strict OOXML ------------------------------------------


def test_iso_date_cells_stay_dates_and_the_fixed_file_is_accepted(env: Env) -> None:
    rows = (order_row(2, seats=number("F2", -1), start='<c r="H2" t="d"><v>2026-11-24</v></c>')
            + order_row(3, start='<c r="H3" t="d"><v>2026-11-24T00:00:00</v></c>'))
    result = process_limited(env, save(env, with_orders(rows)))
    assert result.code == 1, result.stderr
    assert codes(result) == [("Orders", 2, "seats", "seats_out_of_range")]
    orders = rejected_book(result)["Orders"]
    for ref in ("H2", "H3"):
        assert orders[ref].is_date and orders[ref].value.date() == AS_OF, ref

    again = fix_and_resend(env, result, {"F2": 1})
    assert again.code == 0, again.stderr
    assert again.manifest["status"] == "committed"
    assert {line["period_start"] for invoice in again.manifest["invoices"]
            for line in invoice["lines"]} == {AS_OF.isoformat()}


def test_mac_1904_dates_stay_the_same_dates(env: Env) -> None:
    members = with_orders(order_row(2, seats=number("F2", -1),
                                    start=number("H2", AS_OF_SERIAL - DAYS_1900_TO_1904, 1)))
    workbook = members["xl/workbook.xml"].decode()
    members["xl/workbook.xml"] = workbook.replace("<workbookPr />",
                                                  '<workbookPr date1904="1" />').encode()
    result = process_limited(env, save(env, members))
    assert codes(result) == [("Orders", 2, "seats", "seats_out_of_range")]
    orders = rejected_book(result)["Orders"]
    assert orders["H2"].is_date and orders["H2"].value.date() == AS_OF
    again = fix_and_resend(env, result, {"F2": 1})
    assert again.code == 0, again.stderr


def strict(members: dict[str, bytes]) -> dict[str, bytes]:
    """The same workbook in Strict OOXML: its namespaces and relationship types, and ISO date
    cells as Strict producers write them."""
    out = {}
    for name, data in members.items():
        if name.endswith((".xml", ".rels")) and not name.startswith("docProps/"):
            content = data.decode().replace(MAIN, STRICT_MAIN)
            content = content.replace(RELATIONSHIPS, STRICT_RELATIONSHIPS)
            if name == "xl/workbook.xml":
                content = content.replace("<workbook ", '<workbook conformance="strict" ', 1)
            data = content.encode()
        out[name] = data
    return out


def test_strict_ooxml_workbook_comes_back_whole(env: Env) -> None:
    iso = '<c r="H{0}" t="d"><v>2026-11-24T00:00:00</v></c>'
    members = with_orders(order_row(2, seats=number("F2", -1), start=iso.format(2))
                          + order_row(3, start=iso.format(3)))
    path = save(env, strict(members))
    assert b"purl.oclc.org" in parts(path.read_bytes())["xl/workbook.xml"]
    result = process_limited(env, path)
    assert result.code == 1, result.stderr
    assert codes(result) == [("Orders", 2, "seats", "seats_out_of_range")]

    book = rejected_book(result)
    assert book.sheetnames == ["Customers", "Devices", "Orders"]
    assert [c.value for c in book["Customers"][2]][:2] == ["C-001", "Org C-001"]
    assert [c.value for c in book["Devices"][2]][:3] == ["C-001", "SN-1", "Space Pro"]
    orders = book["Orders"]
    assert [c.value for c in orders[1]][:len(HEADER)] == list(HEADER)
    assert [orders["A2"].value, orders["A3"].value] == ["L2", "L3"]
    assert orders["H3"].is_date and orders["H3"].value.date() == AS_OF
    assert_marked(orders, "F2")
    again = fix_and_resend(env, result, {"F2": 1})
    assert again.code == 0, again.stderr
    assert len(again.manifest["invoices"][0]["lines"]) == 2


# --- siblings: what else a copy could lose or change ------------------------------------------


def add_sheets(members: dict[str, bytes], sheets: list[tuple[str, str | None, str]],
               at_front: bool = True) -> dict[str, bytes]:
    """More worksheets (name, state, sheetData rows), placed before the order sheets."""
    workbook = members["xl/workbook.xml"].decode()
    rels = members["xl/_rels/workbook.xml.rels"].decode()
    entries = ""
    for n, (name, state, rows) in enumerate(sheets, start=10):
        part = f"xl/worksheets/extra{n}.xml"
        members[part] = (f'<worksheet xmlns="{MAIN}"><sheetData>{rows}</sheetData>'
                         "</worksheet>").encode()
        rels = rels.replace("</Relationships>", (
            f'<Relationship Id="rIdX{n}" Type="{RELATIONSHIPS}/worksheet" '
            f'Target="worksheets/extra{n}.xml"/></Relationships>'))
        shown = f' state="{state}"' if state else ""
        entries += f'<sheet name="{name}" sheetId="{n}"{shown} r:id="rIdX{n}" />'
    at = workbook.index("<sheets>") + len("<sheets>") if at_front else workbook.index("</sheets>")
    members["xl/workbook.xml"] = (workbook[:at] + entries + workbook[at:]).encode()
    members["xl/_rels/workbook.xml.rels"] = rels.encode()
    return members


def test_every_sheet_keeps_its_order_name_visibility_and_cell_places(env: Env) -> None:
    members = with_orders(order_row(2, seats=number("F2", -1)))
    add_sheets(members, [
        ("Read me", None, f'<row r="3"><c r="C3" t="inlineStr"><is><t>far</t></is></c>'
                          f'{number("D3", 7)}</row><row r="6">{number("B6", 2.5)}</row>'),
        ("Lists", "hidden", f'<row r="1">{text("A1", "yes")}</row>'),
        ("Kept", "veryHidden", f'<row r="2">{text("B2", "secret")}</row>'),
        ("Empty", None, ""),
    ])
    result = process_limited(env, save(env, members))
    assert codes(result) == [("Orders", 2, "seats", "seats_out_of_range")]
    book = rejected_book(result)
    assert book.sheetnames == ["Read me", "Lists", "Kept", "Empty", "Customers", "Devices",
                               "Orders"]
    assert [ws.sheet_state for ws in book] == ["visible", "hidden", "veryHidden", "visible",
                                               "visible", "visible", "visible"]
    notes = book["Read me"]
    assert (notes["C3"].value, notes["D3"].value, notes["B6"].value) == ("far", 7, 2.5)
    assert notes["A1"].value is None and notes.max_row == 6
    assert book["Kept"]["B2"].value == "secret"
    assert book.active.title == "Orders"  # it opens where the marks are
    orders = book["Orders"]
    assert orders.freeze_panes == "A2"
    assert all(cell.font.b for cell in orders[1] if cell.value)
    assert [v.sqref for v in orders.data_validations.dataValidation] != []


def test_times_datetimes_and_text_like_errors_keep_their_kind(env: Env) -> None:
    """A time of day, a date and time, a date before 1900 (which Excel cannot hold as a date:
    it comes back as ISO text), text that reads like an error or a formula, a boolean."""
    members = with_orders(order_row(
        2, seats=number("F2", -1),
        L=number("L2", 0.5, style=2), M=number("M2", AS_OF_SERIAL + 0.25, style=3),
        N='<c r="N2" t="d"><v>1850-06-01</v></c>', O=text("O2", "#N/A"),
        P=text("P2", "=1+2"), Q='<c r="Q2" t="b"><v>0</v></c>'))
    styles = members["xl/styles.xml"].decode()
    members["xl/styles.xml"] = re.sub(
        r'<cellXfs count="2">(.*?)</cellXfs>',
        lambda m: ('<cellXfs count="4">' + m.group(1) + '<xf numFmtId="20" xfId="0" '
                   'applyNumberFormat="1"/><xf numFmtId="22" xfId="0" applyNumberFormat="1"/>'
                   "</cellXfs>"), styles).encode()
    result = process_limited(env, save(env, members))
    assert codes(result) == [("Orders", 2, "seats", "seats_out_of_range")]
    orders = rejected_book(result)["Orders"]
    assert orders["L2"].is_date and orders["L2"].value == time(12, 0)
    assert orders["M2"].is_date and orders["M2"].value == datetime(2026, 11, 24, 6, 0)
    assert orders["N2"].value == "1850-06-01"
    for ref, given in (("O2", "#N/A"), ("P2", "=1+2")):
        assert (orders[ref].value, orders[ref].data_type) == (given, "s"), ref
    assert orders["P2"].quotePrefix
    assert orders["Q2"].value is False


def test_a_second_rejection_reuses_the_errors_column_without_old_marks(env: Env) -> None:
    members = with_orders(order_row(2, seats=number("F2", -1))
                          + order_row(3, seats=number("F3", 0)))
    first = process_limited(env, save(env, members))
    assert codes(first) == [("Orders", 2, "seats", "seats_out_of_range"),
                            ("Orders", 3, "seats", "seats_out_of_range")]
    again = fix_and_resend(env, first, {"F2": 1})
    assert codes(again) == [("Orders", 3, "seats", "seats_out_of_range")]
    orders = rejected_book(again)["Orders"]
    assert [c.value for c in orders[1]].count("errors") == 1
    assert orders["L2"].value is None and orders["F2"].comment is None
    assert orders["F2"].fill.fill_type is None
    assert "seats" in orders["L3"].value
    assert_marked(orders, "F3")



def test_a_damaged_sheet_validation_never_reads_leaves_no_copy_but_the_rejection(
        env: Env) -> None:
    """The workbook as given cannot be made when one of its sheets cannot be read: no
    rejected.xlsx, but the rejection itself stands (exit 1, its problems reported)."""
    members = with_orders(order_row(2, seats=number("F2", -1)))
    add_sheets(members, [("Notes", None, '<row r="1"><c r="A1" t="s"><v>7</v></c></row>')],
               at_front=False)  # after the order sheets, whose copies are under way then
    result = process_limited(env, save(env, members))
    assert result.code == 1, result.stderr
    assert codes(result) == [("Orders", 2, "seats", "seats_out_of_range")]
    assert not (result.folder / "rejected.xlsx").exists()


def test_inbox_files_a_bad_cell_in_a_merged_range_as_rejected(env: Env) -> None:
    """Finding 9 in `inbox`: the workbook was filed as failed; it is a rejection like any."""
    folder = env.root / "inbox" / "P-ACME"
    folder.mkdir(parents=True)
    members = with_orders(order_row(2, seats=""),
                          '<mergeCells count="1"><mergeCell ref="E2:F2"/></mergeCells>')
    (folder / "merged.xlsx").write_bytes(rezip(members))
    result = env.run("inbox", env.root / "inbox")
    assert result.code == 0, result.stderr
    assert "seatbatch inbox: 0 done, 1 rejected, 0 waiting" in result.stderr
    assert (folder / "rejected" / "merged.xlsx").is_file()
    [run] = [Path(line) for line in result.stdout.splitlines()]
    assert_marked(openpyxl.load_workbook(run / "rejected.xlsx")["Orders"], "F2")


def test_many_bad_cells_are_all_filled_and_their_comments_stay_bounded(env: Env) -> None:
    """Comments cost openpyxl time and memory each: past the first thousand, a bad cell is
    filled only, its message still in the errors column."""
    lines = MAX_COMMENTS + 5
    book = env.workbook(customers=[customer()],
                        orders=[order(f"L{n}", subscription=f"S{n}", seats=-1)
                                for n in range(lines)])
    result = process_limited(env, book)
    assert result.code == 1, result.stderr
    assert len(codes(result)) == lines
    orders = rejected_book(result)["Orders"]
    seats = [orders.cell(row, 6) for row in range(2, lines + 2)]
    assert all(cell.fill.fill_type == "solid" for cell in seats)
    assert sum(cell.comment is not None for cell in seats) == MAX_COMMENTS
    assert all("seats" in orders.cell(row, 12).value for row in range(2, lines + 2))


def test_a_missing_sheet_comes_back_with_its_headers(env: Env) -> None:
    members = parts(valid_workbook())
    workbook = members["xl/workbook.xml"].decode()
    members["xl/workbook.xml"] = re.sub(r'<sheet name="Orders"[^>]*/>', "", workbook).encode()
    result = process_limited(env, save(env, members))
    assert codes(result) == [("Devices", 2, "device_type", "seats_short_of_devices"),
                             ("Orders", None, None, "missing_sheet")]
    book = rejected_book(result)
    assert book.sheetnames == ["Customers", "Devices", "Orders"]
    orders = book["Orders"]
    assert [c.value for c in orders[1]] == [*HEADER, "errors"]
    comment = orders.cell(1, len(HEADER) + 1).comment
    assert comment is not None and "Orders" in comment.text
    assert book.active.title == "Devices"  # the first sheet with marks


def test_error_cells_come_back_as_errors_when_the_reading_names_them(tmp_path: Path) -> None:
    """calamine reads #N/A and #REF! as empty cells; given where they are (as the reading must
    say, issue 11 finding 12), the copy writes them as the errors they are, and nothing else."""
    members = with_orders(order_row(2, seats='<c r="F2" t="e"><v>#N/A</v></c>',
                                    L='<c r="L2" t="e"><f>A1/0</f><v>#REF!</v></c>'))
    source = tmp_path / "errors.xlsx"
    source.write_bytes(rezip(members))
    target = tmp_path / "rejected.xlsx"
    seats = problem(Code.MISSING_VALUE, "Orders", 2, "seats", None)
    given = {"Orders": {(2, 6): "#N/A", (2, 12): "#REF!", (2, 1): "#N/A", (9, 9): "#N/A"}}
    assert write_rejected(source, [seats], target, error_cells=given)
    book = openpyxl.load_workbook(target)
    no_formula_anywhere(book)
    orders = book["Orders"]
    assert (orders["F2"].value, orders["F2"].data_type) == ("#N/A", "e")
    assert (orders["L2"].value, orders["L2"].data_type) == ("#REF!", "e")
    assert (orders["A2"].value, orders["A2"].data_type) == ("L2", "s")  # not an error: kept
    assert orders.max_row == 2
    assert_marked(orders, "F2")


def test_an_error_cell_is_reported_and_comes_back_as_that_error(env: Env) -> None:
    """Findings 11 and 12 together: the reading names the #N/A cell (error_value, never
    'empty'), and rejected.xlsx carries it back as the error it is, marked."""
    result = process_limited(env, save(env, with_orders(order_row(
        2, seats='<c r="F2" t="e"><v>#N/A</v></c>'))))
    assert result.code == 1, result.stderr
    assert ("Orders", 2, "seats", "error_value") in codes(result)
    orders = rejected_book(result)["Orders"]
    assert (orders["F2"].value, orders["F2"].data_type) == ("#N/A", "e")
    assert_marked(orders, "F2", "#N/A")


def test_rejected_copy_of_a_partner_template_stays_that_partners(env: Env) -> None:
    """Finding 4's sibling: rejected.xlsx is rebuilt from the values, so it must carry the
    template's partner too, or a resend for the wrong partner would pass."""
    made = env.run("template", env.root / "acme.xlsx", "--partner", "P-ACME")
    book = openpyxl.load_workbook(made.stdout.strip())
    book["Customers"].append(["C-001", "Org C-001"])
    book["Orders"].append(["L1", "C-001", "new", "S1", "Space Pro", -1, 3, AS_OF, None, None,
                           "yes"])
    source = env.root / "filled.xlsx"
    book.save(source)
    result = process_limited(env, source)
    assert result.code == 1 and ("Orders", 2, "seats", "seats_out_of_range") in codes(result)
    fixed = rejected_book(result)
    fixed["Orders"]["F2"].value = 1
    resent = env.root / "resent.xlsx"
    fixed.save(resent)
    wrong = env.process(resent, partner="P-OTHER")
    assert wrong.code == 1
    assert [r["code"] for r in wrong.manifest["rejections"]] == ["partner_mismatch"]
    assert env.process(resent).code == 0


def test_error_cells_past_the_cap_in_an_ignored_column_refuse_the_sheet(env: Env) -> None:
    """Found in review: past 10,000 error cells (a helper VLOOKUP column filled down), a #N/A
    in start_date read as empty again: an add line would take the run date. The sheet is now
    refused whole, naming why."""
    rows = "".join(order_row(n, M=f'<c r="M{n}" t="e"><v>#N/A</v></c>')
                   for n in range(2, 10_003))
    rows += order_row(10_003, start='<c r="H10003" t="e"><v>#N/A</v></c>')
    result = process_limited(env, save(env, with_orders(rows)))
    assert result.code == 1, result.stderr
    assert [c[3] for c in codes(result)] == ["too_many_error_cells"]
    assert "holds more than 10000 cells with an error" in result.stderr
    assert env.count("invoices") == 0


def test_the_errors_column_wraps_one_problem_a_line_and_is_wide_enough_to_read(
        env: Env) -> None:
    """Issue 15, finding 9: the errors column neither wrapped nor was wide enough to read."""
    members = with_orders(order_row(2, seats=number("F2", -1), G=number("G2", 7)))
    result = process_limited(env, save(env, members))
    assert result.code == 1, result.stderr
    orders = rejected_book(result)["Orders"]
    errors = next(cell for cell in orders[2] if cell.value and "seats" in str(cell.value))
    problems = errors.value.splitlines()
    assert len(problems) == 2
    assert errors.alignment.wrap_text and errors.alignment.vertical == "top"
    width = orders.column_dimensions[errors.column_letter].width
    assert width >= min(max(map(len, problems)) + 2, 100)
    assert orders.row_dimensions[2].height >= 15 * len(problems)  # tall enough to show them
