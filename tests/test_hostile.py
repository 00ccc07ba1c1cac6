"""Hostile files (SPEC §8, issue 5 items 1 and 2): every file of the corpus that
tests/hostile/make_corpus.py builds is fed to the installed `seatbatch process` as cron runs it,
and is rejected with its own problem code, one clear line on stderr, exit 1, a "rejected"
manifest, nothing in the ledger, no traceback, within 512 MB.

Each run is started from benchmarks/meter.py, a small process that takes the run's peak RSS from
os.wait4 (a child started straight from pytest would inherit pytest's high-water mark; see
benchmarks/bench.py), under resource limits both inherit: 512 MB of address space (a run that
needs more fails instead of finishing as it should) and a generous CPU time, so that a runaway
run ends rather than hangs. No assertion depends on the machine's speed. The guard's finer
points (how calamine walks a sheet and where it finds the parts, what it ignores, what it would
do without the guard) are tested in-process below."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import textwrap
import zipfile
import zlib
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import defusedxml
import openpyxl.xml
import pytest
from python_calamine import CalamineError, CalamineWorkbook

from conftest import AS_OF, ROOT, SEATBATCH, Env, Result, customer, order
from hostile.make_corpus import (
    BILLION_LAUGHS,
    CASES,
    ORDERS_SHEET,
    Case,
    build_corpus,
    parts,
    placed,
    rezip,
    valid_workbook,
    workbook_in_folder,
)
from seatbatch.core.config import Limits
from seatbatch.core.problems import Code
from seatbatch.intake import guard as safety
from seatbatch.intake.guard import check_file
from seatbatch.intake.xmlscan import XmlProblem, exact_reach

# the subject is the workbook guard, which runs before any ledger is opened
pytestmark = pytest.mark.sqlite_only

METER = ROOT / "benchmarks" / "meter.py"
PEAK_MB = 512.0
CPU_S = 120  # seconds of CPU time: only a runaway run comes near it


def limited() -> None:
    """preexec_fn of a metered run: at most PEAK_MB of address space and CPU_S of CPU time."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (int(PEAK_MB) << 20, int(PEAK_MB) << 20))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_S, CPU_S))
LEDGER_TABLES = ("invoices", "order_lines", "subscriptions")


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return build_corpus(tmp_path_factory.mktemp("hostile"))


def metered_process(env: Env, workbook: Path) -> tuple[Result, dict[str, float]]:
    """`seatbatch process WORKBOOK` under the meter and the limits: the result and {peak_mb}."""
    report = env.root / "meter.json"
    argv = [sys.executable, str(METER), "--no-sample", str(report), str(SEATBATCH), "process",
            str(workbook), "--partner", "P-ACME", "--config", str(env.config), "--ledger",
            str(env.ledger), "--out", str(env.out), "--as-of", AS_OF.isoformat()]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SEATBATCH_")}
    done = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          cwd=env.root, env=environment, preexec_fn=limited)
    measured = json.loads(report.read_text(encoding="utf-8"))
    return Result(int(measured["exit_code"]), done.stdout, done.stderr), measured


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_file_is_rejected_with_its_own_code(env: Env, corpus: dict[str, Path],
                                                   case: Case) -> None:
    if case.limits:
        env.config.write_text(env.config.read_text(encoding="utf-8") + case.limits,
                              encoding="utf-8")
    result, measured = metered_process(env, corpus[case.name])

    assert "Traceback" not in result.stderr, result.stderr
    assert result.code == 1, (result.code, result.stdout, result.stderr)
    manifest = result.manifest
    assert manifest["status"] == "rejected"
    assert [r["code"] for r in manifest["rejections"]] == [case.code]
    rejection = manifest["rejections"][0]
    # One clear line on stderr: where (the workbook) and the message of that code.
    assert f"  workbook: {rejection['message']}\n" in result.stderr, result.stderr
    assert "1 problem(s); nothing was committed" in result.stderr
    assert manifest["invoices"] == []
    assert not (result.folder / "rejected.xlsx").exists()  # the file itself was the problem
    for table in LEDGER_TABLES:
        assert env.count(table) == 0
    print(f"\n{case.name:44} {case.code:20} {measured['peak_mb']:6.1f} MB", end="")
    assert measured["peak_mb"] < PEAK_MB, measured


def test_every_new_guard_code_has_a_corpus_file() -> None:
    guard_codes = {Code.BINARY_WORKBOOK, Code.TOO_MANY_PARTS, Code.UNPACKED_TOO_LARGE,
                   Code.ZIP_BOMB, Code.OVERLAPPING_PARTS, Code.XML_DECLARATION,
                   Code.SHARED_STRINGS_COUNT, Code.DIMENSION_TOO_LARGE, Code.SHEET_TOO_LARGE,
                   Code.TOO_MANY_ROWS, Code.NOT_A_WORKBOOK, Code.LEGACY_XLS,
                   Code.ENCRYPTED_WORKBOOK, Code.CORRUPT_WORKBOOK, Code.FILE_TOO_LARGE,
                   Code.SPARSE_SHEET, Code.SPARSE_WORKBOOK}
    assert {str(c) for c in guard_codes} == {case.code for case in CASES}


@pytest.mark.parametrize(("lines", "code"), [(5, 0), (6, 1)], ids=["at-limit", "past-limit"])
def test_rows_past_max_rows_are_rejected_before_reading(env: Env, lines: int, code: int) -> None:
    env.config.write_text(env.config.read_text(encoding="utf-8") + "[limits]\nmax_rows = 5\n",
                          encoding="utf-8")
    book = env.workbook(customers=[customer()],
                        orders=[order(f"L{n}", subscription=f"S{n}") for n in range(lines)])
    result = env.process(book)
    assert result.code == code, result.stderr
    if code:
        assert [r["code"] for r in result.manifest["rejections"]] == ["too_many_rows"]
        assert "sheet 'Orders' (xl/worksheets/sheet3.xml) has 6 rows below its header; " \
            "at most 5 are accepted" in result.stderr


# --- defusedxml ------------------------------------------------------------------------------


def test_defusedxml_is_installed_and_used() -> None:
    from defusedxml import EntitiesForbidden

    assert safety.SafeElementTree.__name__ == "defusedxml.ElementTree"
    assert openpyxl.xml.DEFUSEDXML  # openpyxl (rejected.xlsx) parses with it too
    with pytest.raises(EntitiesForbidden):
        safety.SafeElementTree.fromstring(BILLION_LAUGHS)
    # The exact sheet walk parses with defusedxml's expat parser: no DTD gets through it.
    sheet = (b'<!DOCTYPE w [<!ENTITY e "x">]><worksheet><sheetData><row r="1"><c r="A1">'
             b"<v>&e;</v></c></row></sheetData></worksheet>")
    with pytest.raises(XmlProblem):
        exact_reach([sheet], 10, 100)
    assert defusedxml.__version__


# --- what calamine does with what the guard lets through or keeps out -------------------------


def sheet_with(rows: str, head: str = "") -> bytes:
    """The valid workbook with its Orders sheet's data replaced by `rows`."""
    members = parts(valid_workbook())
    members[ORDERS_SHEET] = (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats'
        f'.org/spreadsheetml/2006/main">{head}<sheetData>{rows}</sheetData></worksheet>'
    ).encode()
    return rezip(members)


HEADER = '<row r="1"><c r="A1" t="inlineStr"><is><t>order_id</t></is></c></row>'
FAR = 2_000_000

# Sheet data -> the guard's code (None: accepted). Each is a way to write a cell's place that
# calamine understands; the far ones would make it allocate FAR rows.
SHEETS: dict[str, tuple[str, str | None]] = {
    "plain": ('<row r="2"><c r="A2"><v>1</v></c></row>', None),
    "far-plain": (f'<row r="{FAR}"><c r="A{FAR}"><v>1</v></c></row>', "too_many_rows"),
    "far-lowercase": (f'<row r="2"><c r="a{FAR}"><v>1</v></c></row>', "too_many_rows"),
    "far-single-quotes": (f"<row r='2'><c r='A{FAR}'><v>1</v></c></row>", "too_many_rows"),
    "far-spaces": (f'<row r="2"><c r = "A{FAR}"><v>1</v></c></row>', "too_many_rows"),
    "far-tab": (f'<row r="2"><c\tr="A{FAR}"><v>1</v></c></row>', "too_many_rows"),
    "far-prefixed": (f'<x:row xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/'
                     f'main" r="2"><x:c r="A{FAR}"><x:v>1</x:v></x:c></x:row>', "too_many_rows"),
    "far-implied": (f'<row r="{FAR}"/><row><c><v>1</v></c></row>', "too_many_rows"),
    "far-second-r": (f'<row r="2"><c r="A2" s="0" r="A{FAR}"><v>1</v></c></row>',
                     "corrupt_workbook"),  # expat refuses a repeated attribute
    "far-but-empty": (f'<row r="{FAR}"><c r="A{FAR}" s="1"/></row>', None),
    # Conservative: a cell tag that does not close itself counts, though it holds no value.
    "far-no-value": (f'<row r="{FAR}"><c r="A{FAR}" s="1"></c></row>', "too_many_rows"),
    "far-second-plain-r": (f'<row r="2"><c r="A2" r="A{FAR}"><v>1</v></c></row>',
                           "corrupt_workbook"),
    "far-second-r-no-space": (f'<row r="2"><c r="A2"r="A{FAR}"><v>1</v></c></row>',
                              "corrupt_workbook"),  # quick-xml reads it; expat does not
    "far-right": ('<row r="3000"><c r="XFD3000"><v>1</v></c></row>', "sheet_too_large"),
    "wide-but-short": ('<row r="2"><c r="XFD2"><v>1</v></c></row>', None),
}


@pytest.mark.parametrize("name", SHEETS)
def test_the_guard_walks_a_sheet_as_calamine_does(tmp_path: Path, name: str) -> None:
    rows, code = SHEETS[name]
    path = tmp_path / f"{name}.xlsx"
    path.write_bytes(sheet_with(HEADER + rows))
    found = check_file(path, Limits())
    assert (str(found.code) if found else None) == code, found
    if found is None:  # what the guard lets through costs calamine little
        sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Orders")
        assert sheet.height * sheet.width <= 16_384 * 2


def test_a_declared_dimension_costs_calamine_nothing(tmp_path: Path) -> None:
    """Why a dimension is only refused when no Excel sheet could have it: calamine ignores it."""
    path = tmp_path / "dimension.xlsx"
    path.write_bytes(sheet_with(HEADER, head='<dimension ref="A1:XFD1048576"/>'))
    assert check_file(path, Limits()) is None
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Orders")
    assert (sheet.height, sheet.width) == (1, 1)


def run_calamine(path: Path) -> subprocess.CompletedProcess[str]:
    """Read the Orders sheet with calamine alone, in a child limited to 2 GB of address space."""
    code = textwrap.dedent(f"""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
        resource.setrlimit(resource.RLIMIT_CPU, ({CPU_S}, {CPU_S}))
        from python_calamine import CalamineError, CalamineWorkbook
        CalamineWorkbook.from_path({str(path)!r}).get_sheet_by_name("Orders")
    """)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)


@pytest.mark.parametrize("case", ["huge-shared-strings-count.xlsx", "cell-far-below.xlsx"])
def test_without_the_guard_calamine_would_abort(tmp_path: Path, corpus: dict[str, Path],
                                               case: str) -> None:
    """A claim of four billion shared strings, or one cell at row 10**9: calamine reserves
    memory for them all and the process aborts (not an exception Python could catch)."""
    if case in corpus:
        path = corpus[case]
    else:
        path = tmp_path / case
        path.write_bytes(sheet_with(HEADER + '<row r="1000000000"><c r="A1000000000"><v>1</v>'
                                    "</c></row>"))
    assert check_file(path, Limits()) is not None
    done = run_calamine(path)
    assert done.returncode < 0 or "memory allocation" in done.stderr, done


# --- the container ---------------------------------------------------------------------------


def test_a_utf16_part_is_refused(tmp_path: Path) -> None:
    members = parts(valid_workbook())
    members[ORDERS_SHEET] = members[ORDERS_SHEET].decode().encode("utf-16")
    path = tmp_path / "utf16.xlsx"
    path.write_bytes(rezip(members))
    found = check_file(path, Limits())
    assert found is not None and found.code is Code.CORRUPT_WORKBOOK
    assert "not UTF-8" in found.message


def test_a_workbook_of_every_usual_writer_passes(tmp_path: Path) -> None:
    """openpyxl (the seatbatch writer), xlsxwriter (shared strings, a dimension) and a Zip64
    container all pass the guard untouched."""
    import xlsxwriter

    plain = tmp_path / "openpyxl.xlsx"
    plain.write_bytes(valid_workbook())
    shared = tmp_path / "xlsxwriter.xlsx"
    book = xlsxwriter.Workbook(str(shared))
    sheet = book.add_worksheet("Orders")
    for row in range(200):
        sheet.write_row(row, 0, [f"L{row}", "C-001", "new", "S1", "Space Pro", 1, 3])
    book.close()
    zip64 = tmp_path / "zip64.xlsx"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts(valid_workbook()).items():
            with archive.open(name, "w", force_zip64=True) as member:
                member.write(data)
    zip64.write_bytes(out.getvalue())
    for path in (plain, shared, zip64):
        assert check_file(path, Limits()) is None, path


def test_guard_peak_memory_is_small(corpus: dict[str, Path]) -> None:
    """The guard alone, in a child: the lying 1.4 GB bomb is stopped after 1 MB."""
    code = textwrap.dedent(f"""
        import resource
        from pathlib import Path
        from seatbatch.core.config import Limits
        from seatbatch.intake.guard import check_file
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        found = check_file(Path({str(corpus['deflate-bomb-lying-sizes.xlsx'])!r}), Limits())
        print(found.code, (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          preexec_fn=limited, check=True)
    found, grown_mb = done.stdout.split()
    assert found == "zip_bomb"
    assert int(grown_mb) < 64



# --- parts where the workbook's relationships place them (issue 11 item 7) ------------------


def test_orders_sheet_outside_worksheets_far_down_is_rejected_before_reading(env: Env) -> None:
    """What issue 11 found: the Orders sheet stored as xl/data/orders.xml, one cell far down.
    The guard looked only in xl/worksheets/; the reader took gigabytes or aborted the run."""
    path = env.root / "orders.xlsx"
    path.write_bytes(placed("xl/data/orders.xml", "data/orders.xml",
                            ("</sheetData>", '<row r="1000000000"><c r="K1000000000"><v>1</v>'
                             "</c></row></sheetData>"))())
    result, measured = metered_process(env, path)
    assert result.code == 1, (result.code, result.stderr)
    assert [r["code"] for r in result.manifest["rejections"]] == ["too_many_rows"]
    assert "workbook: sheet 'Orders' (xl/data/orders.xml) has 999999999 rows below its header; " \
        "at most 1000000 are accepted" in result.stderr
    assert measured["peak_mb"] < PEAK_MB, measured
    for table in LEDGER_TABLES:
        assert env.count(table) == 0


# Where a sheet may stand and how its relationship may name it: each is a place calamine reads
# the sheet from, so the guard must scan it there.
PLACES = {
    "relative": ("xl/data/orders.xml", "data/orders.xml"),
    "absolute": ("elsewhere/orders.xml", "/elsewhere/orders.xml"),
    "case-and-backslashes": ("XL\\Data\\Orders.XML", "data/orders.xml"),
    "target-upper-case": ("xl/data/orders.xml", "DATA/Orders.xml"),
    "named-like-media": ("xl/media/image1.png", "media/image1.png"),
}


@pytest.mark.parametrize("place", PLACES)
def test_a_sheet_is_scanned_where_the_relationships_place_it(tmp_path: Path, place: str) -> None:
    member, target = PLACES[place]
    plain = tmp_path / "plain.xlsx"
    plain.write_bytes(placed(member, target, None)())
    assert check_file(plain, Limits()) is None
    assert CalamineWorkbook.from_path(str(plain)).get_sheet_by_name("Orders").height == 2
    far = tmp_path / "far.xlsx"
    far.write_bytes(placed(member, target)())
    found = check_file(far, Limits())
    assert found is not None and found.code is Code.TOO_MANY_ROWS, found
    assert f"sheet 'Orders' ({member})" in found.message


# Targets Excel resolves (dot segments, percent-encoding, entities) and calamine takes literally:
# the two could read different parts, so the partner could see one sheet and be billed another.
# Each is refused, whether or not a part stands at the literal name.
LITERAL = {
    "dotdot": ("orders.xml", "../orders.xml", "xl/../orders.xml"),
    "dotdot-literal-member": ("xl/../orders.xml", "../orders.xml", "xl/../orders.xml"),
    "dot": ("xl/data/orders.xml", "./data/orders.xml", "xl/./data/orders.xml"),
    "percent": ("xl/data/my orders.xml", "data/my%20orders.xml", "xl/data/my%20orders.xml"),
    "percent-literal-member": ("xl/data/my%20orders.xml", "data/my%20orders.xml",
                               "xl/data/my%20orders.xml"),
    "entity": ("xl/a&b.xml", "a&amp;b.xml", "xl/a&amp;b.xml"),
    "entity-literal-member": ("xl/a&amp;b.xml", "a&amp;b.xml", "xl/a&amp;b.xml"),
    "backslash-target": ("xl/data/orders.xml", "data\\orders.xml", "xl/data\\orders.xml"),
    "external": ("xl/worksheets/sheet9.xml", "https://example.com/o.xml",
                 "xl/https://example.com/o.xml"),
}


@pytest.mark.parametrize("place", LITERAL)
def test_a_sheet_target_excel_would_resolve_otherwise_is_refused(tmp_path: Path,
                                                                   place: str) -> None:
    member, target, part = LITERAL[place]
    path = tmp_path / "literal.xlsx"
    path.write_bytes(placed(member, target, None)())
    found = check_file(path, Limits())
    assert found is not None and found.code is Code.CORRUPT_WORKBOOK, found
    assert f"sheet 'Orders' is part {part}, a name that Excel and this reader would resolve " \
        "differently" in found.message


def test_a_sheet_the_reader_would_not_find_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "missing.xlsx"
    path.write_bytes(placed("xl/worksheets/sheet9.xml", "worksheets/gone.xml", None)())
    found = check_file(path, Limits())
    assert found is not None and found.code is Code.CORRUPT_WORKBOOK, found
    assert "sheet 'Orders' is to be part xl/worksheets/gone.xml, which the file does not hold" \
        in found.message
    with pytest.raises(CalamineError):  # calamine would not find it either
        CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Orders")


def edited(members: dict[str, bytes], name: str, old: bytes, new: bytes) -> None:
    assert old in members[name], members[name]
    members[name] = members[name].replace(old, new, 1)


STRINGS_REL = (b'<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument'
               b'/2006/relationships/sharedStrings" Target="%s"/></Relationships>')
STRINGS = (b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
           b'uniqueCount="1"><si><t>%s</t></si></sst>')


def strings_elsewhere(members: dict[str, bytes]) -> None:
    """Excel reads the strings the relationship names; calamine reads xl/sharedStrings.xml."""
    edited(members, "xl/_rels/workbook.xml.rels", b"</Relationships>",
           STRINGS_REL % b"strings2.xml")
    members["xl/strings2.xml"] = STRINGS % b"seen by the partner"
    members["xl/sharedStrings.xml"] = STRINGS % b"billed"


def strings_without_relationship(members: dict[str, bytes]) -> None:
    members["xl/sharedStrings.xml"] = STRINGS % b"billed"


def two_workbooks(members: dict[str, bytes]) -> None:
    edited(members, "_rels/.rels", b"</Relationships>",
           b'<Relationship Id="rIdX" Type="http://schemas.openxmlformats.org/officeDocument/'
           b'2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')


def twice_one_id(members: dict[str, bytes]) -> None:
    edited(members, "xl/_rels/workbook.xml.rels", b"</Relationships>",
           b'<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
           b'relationships/worksheet" Target="/xl/worksheets/sheet1.xml"/></Relationships>')


DISAGREEMENTS = {
    "shared-strings-elsewhere": (strings_elsewhere, "the workbook's sharedStrings part is "
                                 "xl/sharedStrings.xml but its relationships name strings2.xml"),
    "shared-strings-without-relationship": (
        strings_without_relationship, "the workbook's sharedStrings part is "
        "xl/sharedStrings.xml but its relationships name none"),
    "two-workbooks": (two_workbooks, "_rels/.rels names 2 workbooks"),
    "relationship-id-twice": (twice_one_id, "gives relationship Id 'rId3' twice"),
}


@pytest.mark.parametrize("case", DISAGREEMENTS)
def test_a_package_excel_and_the_reader_would_read_differently_is_refused(
        tmp_path: Path, case: str) -> None:
    """Sibling of issue 11 item 1: what the partner sees in Excel must be what is billed."""
    edit, words = DISAGREEMENTS[case]
    members = parts(valid_workbook())
    edit(members)
    path = tmp_path / f"{case}.xlsx"
    path.write_bytes(rezip(members))
    found = check_file(path, Limits())
    assert found is not None and found.code is Code.CORRUPT_WORKBOOK, found
    assert words in found.message, found.message


def test_the_shared_strings_are_found_beside_the_workbook(tmp_path: Path) -> None:
    """calamine reads <workbook folder>/sharedStrings.xml whatever the relationships say: with
    the workbook in book/, that part is checked as the shared strings, by any name's case."""
    members = parts(workbook_in_folder("book", far=False)())
    plain = tmp_path / "plain.xlsx"
    plain.write_bytes(rezip(members))
    assert check_file(plain, Limits()) is None
    assert CalamineWorkbook.from_path(str(plain)).get_sheet_by_name("Orders").height == 2
    edited(members, "book/_rels/workbook.xml.rels", b"</Relationships>",
           STRINGS_REL % b"sharedStrings.xml")
    members["book/SharedStrings.XML"] = (
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        b'uniqueCount="4000000000"><si><t>x</t></si></sst>')
    path = tmp_path / "strings.xlsx"
    path.write_bytes(rezip(members))
    found = check_file(path, Limits())
    assert found is not None and found.code is Code.SHARED_STRINGS_COUNT, found


def test_a_part_with_a_second_unicode_name_is_refused(tmp_path: Path) -> None:
    """Info-ZIP's Unicode path field gives an entry a second name; a reader that prefers it
    would read another part than the guard scanned."""
    import struct

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts(valid_workbook()).items():
            info = zipfile.ZipInfo(name)
            if name == ORDERS_SHEET:
                other = b"xl/worksheets/sheet9.xml"
                body = b"\x01" + struct.pack("<I", zlib.crc32(name.encode())) + other
                info.extra = struct.pack("<HH", 0x7075, len(body)) + body
            archive.writestr(info, data)
    path = tmp_path / "unicode-path.xlsx"
    path.write_bytes(out.getvalue())
    found = check_file(path, Limits())
    assert found is not None and found.code is Code.CORRUPT_WORKBOOK, found
    assert f"part {ORDERS_SHEET} carries a second name" in found.message


# --- producers' dialects: read as they are meant, or refused with their own problem ----------

MAIN = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRICT_MAIN = b"http://purl.oclc.org/ooxml/spreadsheetml/main"
TRANSITIONAL_RELS = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships"
STRICT_RELS = b"http://purl.oclc.org/ooxml/officeDocument/relationships"


def strict(members: dict[str, bytes]) -> None:
    """Strict OOXML: the purl.oclc.org namespaces and relationship types everywhere."""
    for name, data in members.items():
        if name.endswith((".xml", ".rels")):
            members[name] = data.replace(MAIN, STRICT_MAIN).replace(
                TRANSITIONAL_RELS, STRICT_RELS)


def prefixed(members: dict[str, bytes]) -> None:
    """Every element of the Orders sheet with an `x:` prefix."""
    sheet = members[ORDERS_SHEET].decode()
    sheet = re.sub(r"<(/?)(?![?!])([A-Za-z]+)", r"<\1x:\2", sheet)
    members[ORDERS_SHEET] = sheet.replace('xmlns="', 'xmlns:x="').encode()


def iso_date(members: dict[str, bytes]) -> None:
    """The start date as an ISO date cell (t="d"), as some producers write dates."""
    sheet = members[ORDERS_SHEET].decode()
    sheet, count = re.subn(r'<c r="H2"[^>]*><v>[^<]*</v></c>',
                           '<c r="H2" t="d"><v>2026-11-24</v></c>', sheet)
    assert count == 1, sheet
    members[ORDERS_SHEET] = sheet.encode()


def error_in_prefixed(members: dict[str, bytes]) -> None:
    prefixed(members)
    sheet = members[ORDERS_SHEET].decode()
    sheet, count = re.subn(r'<x:c r="F2"[^>]*><x:v>1</x:v></x:c>',
                           '<x:c r="F2" t="e"><x:f>NA()</x:f><x:v>#N/A</x:v></x:c>', sheet)
    assert count == 1, sheet
    members[ORDERS_SHEET] = sheet.encode()


def in_turn(*steps: Callable[[dict[str, bytes]], object]) -> Callable[[dict[str, bytes]], None]:
    """One change of a workbook's members made of `steps`, in turn."""

    def change(members: dict[str, bytes]) -> None:
        for step in steps:
            step(members)

    return change


DIALECTS: dict[str, tuple[Any, str | None]] = {
    "strict-ooxml": (strict, None),
    "prefixed": (prefixed, None),
    "iso-date-cell": (iso_date, None),
    "strict-and-prefixed": (in_turn(strict, prefixed), None),
    "error-in-prefixed": (error_in_prefixed, "#N/A"),
    "strict-moved-far": (in_turn(strict, lambda m: m.update(parts(placed(
        "xl/data/orders.xml", "data/orders.xml")())), strict), "too_many_rows"),
}


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_producers_dialect_is_read_or_refused_with_its_own_problem(tmp_path: Path,
                                                                     dialect: str) -> None:
    from seatbatch.core.sheets import UnreadableCell
    from seatbatch.intake.read import read_workbook

    edit, expected = DIALECTS[dialect]
    members = parts(valid_workbook())
    edit(members)
    if dialect == "strict-moved-far":
        members.pop(ORDERS_SHEET)
    path = tmp_path / f"{dialect}.xlsx"
    path.write_bytes(rezip(members))
    raw = read_workbook(path, Limits())
    found = [(p.sheet, p.row, p.column, str(p.code)) for p in raw.problems]
    if expected is None:
        assert found == [], found
        orders = raw.sheets["Orders"]
        assert orders.rows == [2]
        assert orders.cells["seats"] == [1]
        assert orders.cells["start_date"] == [date(2026, 11, 24)]
        assert orders.cells["order_id"] == ["L1"]
    elif expected.startswith("#"):  # read, the error cell as what it holds
        assert found == [], found
        assert raw.sheets["Orders"].cells["seats"] == [UnreadableCell(Code.ERROR_VALUE,
                                                                      expected)]
    else:
        assert [code for *_, code in found] == [expected], found


# --- a sheet's reach weighed against the values it holds (issue 11: memory) -------------------
# python-calamine builds a sheet as one dense grid from A1 to its last cell, about 55 bytes a
# cell through read_workbook: one stray cell at P1000001 (inside every limit) cost 0.9-4 GB.

X_NS = 'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def column_rows(count: int, last_header: str) -> str:
    """A header from A to `last_header`, then `count` rows with a value in column A only."""
    header = "".join(f'<c r="{c}1" t="inlineStr"><is><t>h{c}</t></is></c>'
                     for c in "ABCDEFGHIJKLMNOP"[:"ABCDEFGHIJKLMNOP".index(last_header) + 1])
    return f'<row r="1">{header}</row>' + "".join(
        f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>' for n in range(2, count + 2))


PADDING = "<v>1</v>" * 300_000
SPARSE: dict[str, tuple[str, str | None]] = {
    "gaps-within-the-floor": ('<row r="2"><c r="A2"><v>1</v></c><c r="M2"><v>1</v></c></row>'
                              '<row r="40000"><c r="C40000"><v>1</v></c></row>', None),
    "stray-far-down": ('<row r="900000"><c r="P900000"><v>1</v></c></row>', "sparse_sheet"),
    "stray-far-right-prefixed": (f'<x:row {X_NS} r="30000"><x:c r="CV30000"><x:v>1</x:v>'
                                 "</x:c></x:row>", "sparse_sheet"),
    "values-hidden-in-a-comment": (f'<!-- {PADDING} --><row r="1000001"><c r="P1000001">'
                                   "<v>1</v></c></row>", "sparse_sheet"),
    "values-hidden-in-cdata": (f'<row r="2"><c r="A2" t="inlineStr"><is><t><![CDATA[{PADDING}]]>'
                               '</t></is></c></row><row r="1000001"><c r="P1000001"><v>1</v>'
                               "</c></row>", "sparse_sheet"),
    "one-column-under-a-wide-header": (column_rows(300_000, "H"), None),  # 1 value in 8
    "sparser-than-that": (column_rows(300_000, "P"), "sparse_sheet"),  # 1 value in 16
}


@pytest.mark.parametrize("name", SPARSE)
def test_a_sheet_far_larger_than_its_values_is_refused(tmp_path: Path, name: str) -> None:
    rows, code = SPARSE[name]
    path = tmp_path / f"{name}.xlsx"
    path.write_bytes(sheet_with(rows))
    found = check_file(path, Limits())
    assert (str(found.code) if found else None) == code, found
    if found is None:  # what passes costs calamine at most DENSITY cells a value, or the floor
        sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Orders")
        values = sum(v != "" for row in sheet.to_python() for v in row)
        assert sheet.height * sheet.width <= max(safety.DENSITY * values, safety.SPARSE_FLOOR)


def test_stray_cell_message_names_the_sheet_the_range_and_what_to_do(
        corpus: dict[str, Path]) -> None:
    found = check_file(corpus["stray-cell-P1000001.xlsx"], Limits())
    assert found is not None and found.message == (
        "sheet 'Orders' (xl/worksheets/sheet3.xml) spans A1 to P1000001, which is read as "
        "16000016 cells, yet only 21 of them hold a value (at most 2000000 cells are read for "
        "that). Delete the stray cells far from the orders (select the empty rows and columns "
        "after the last order and delete them) and send it again")


def test_real_workbooks_are_not_taken_for_sparse_ones(tmp_path: Path) -> None:
    """The benchmark's workbook (xlsxwriter), a template with its optional columns empty, and a
    sheet with blank columns and rows between its values all pass the guard."""
    import xlsxwriter

    from seatbatch.output.template import build_template

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from generate import generate

    big = tmp_path / "generated.xlsx"
    generate(big, customers=1000, devices=20_000, lines=4000)
    template = tmp_path / "template.xlsx"
    book = build_template(["Space Pro"], AS_OF,
                          customers=[{"customer_id": f"C-{n}"} for n in range(2000)])
    book.save(template)
    gaps = tmp_path / "gaps.xlsx"
    writer = xlsxwriter.Workbook(str(gaps))
    sheet = writer.add_worksheet("Orders")
    sheet.write_row(0, 0, ["order_id", "", "", "customer_id", "", "action"])
    for row in range(1, 3000, 7):  # six blank rows between values, two blank columns
        sheet.write_row(row, 0, [f"L{row}", None, None, "C-001", None, "new"])
    writer.close()
    for path in (big, template, gaps):
        assert check_file(path, Limits()) is None, path
