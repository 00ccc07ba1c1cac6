"""Fuzzing (issue 5 item 3): valid order workbooks, mutated (byte flips, truncation, members
swapped or deleted, XML edited inside a member), fed to `seatbatch process`. Whatever the
mutation, a run ends with exit 0 (issued, or nothing new) or 1 (rejected), never a traceback
nor an internal error (70).

Most cases run in-process through `seatbatch.cli.commands.run`, the very function the installed
command calls (main() only adds a gc setting and sys.exit), each with its own --out and ledger;
a smaller number run as real subprocesses. The budget comes from a Hypothesis profile:

* ``ci`` (default): 300 in-process cases and 10 subprocesses, derandomized, under a minute;
* ``fuzz`` (``make fuzz``, or ``HYPOTHESIS_PROFILE=fuzz``): 5000 and 200, a new seed each run.

A third test pits the guard against calamine itself: sheets whose cells are placed in every way
calamine's XML parser accepts (quotes, spaces, a second r, no r, prefixes, empty cells); any the
guard lets through, calamine must read within the limits (400 sheets; 20000 under ``fuzz``).
A fourth does the same with the sheet stored anywhere in the package and its relationship
written any way (absolute, relative, in another case, through `..`, percent- or
entity-encoded, with backslashes), in the transitional or the Strict OOXML namespaces.
"""

from __future__ import annotations

import contextlib
import io
import os
import random
import re
import sys
import tempfile
import zipfile
import zlib
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineError, CalamineWorkbook

from conftest import AS_OF, CONFIG, ROOT, Env, customer, device, order
from hostile.make_corpus import ORDERS_SHEET, parts, rezip, valid_workbook
from seatbatch.cli.commands import run
from seatbatch.core.config import Limits
from seatbatch.intake.guard import check_file, max_cells
from seatbatch.intake.xmlscan import column_letters
from seatbatch.output.order_workbook import build_order_workbook

settings.register_profile("ci", max_examples=300, derandomize=True, deadline=None,
                          suppress_health_check=list(HealthCheck), print_blob=True)
settings.register_profile("fuzz", max_examples=5000, deadline=None,
                          suppress_health_check=list(HealthCheck), print_blob=True)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
SUBPROCESS_EXAMPLES = {"ci": 10, "fuzz": 200}.get(PROFILE, 10)
GUARD_EXAMPLES = {"ci": 400, "fuzz": 20000}.get(PROFILE, 400)

# Bits of workbook XML that matter to a reader: places, types, counts, declarations, ends.
SNIPPETS = [
    b'<c r="XFD1048576"><v>1</v></c>', b'<c r="A1000000000"><v>1</v></c>', b'<row r="0">',
    b'<row r="1048577">', b' r="A0"', b' r="ZZZZ1"', b' r="a2"', b' t="s"', b' t="b"',
    b' t="e"', b' t="str"', b' t="inlineStr"', b' t="d"', b"<v>99999999</v>", b"<v>-1</v>",
    b"<v>1e308</v>", b"<v>NaN</v>", b"<v></v>", b"<is><t>x</t></is>", b"<si><t>x</t></si>",
    b' uniqueCount="4000000000"', b' count="-1"', b"<!DOCTYPE x>", b"<!-- c -->",
    b"<![CDATA[x]]>", b"&amp;", b"&lt;", b"&#0;", b"&#xD800;", b"&unknown;", b"</sheetData>",
    b"<sheetData>", b'<dimension ref="A1:XFD1048576"/>', b'<sheet name="Orders" sheetId="9" '
    b'r:id="rId1"/>', b'<f>1/0</f>', b"=HYPERLINK(\"x\")", "\u202e\u0000\ufffd".encode(),
    b"\xff\xfe", b"\x00", b'"', b"<", b">", b"/>", b"  ", b"\r\n",
]


@cache
def seeds() -> tuple[bytes, ...]:
    """Valid workbooks of both writers seatbatch meets: openpyxl (inline strings) and xlsxwriter
    (shared strings, as Excel writes them)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from generate import generate

    book = build_order_workbook({
        "Customers": [customer(), customer("C-002", country="NO", contact_email="a@b.example")],
        "Devices": [device("SN-1"), device("SN-2", "Space Plus", "C-002")],
        "Orders": [order("L1"), order("L2", customer_id="C-002", device_type="Space Plus",
                                      subscription="S2", seats=2)],
    })
    out = io.BytesIO()
    book.save(out)
    with tempfile.TemporaryDirectory() as folder:
        generated = Path(folder) / "generated.xlsx"
        generate(generated, customers=3, devices=6, lines=4, as_of=AS_OF)
        return out.getvalue(), generated.read_bytes()


def members_of(workbook: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(workbook)) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


def zipped(members: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return out.getvalue()


@st.composite
def mutated_workbooks(draw: st.DrawFn) -> bytes:
    workbook = draw(st.sampled_from(seeds()))
    kind = draw(st.sampled_from(["flip", "truncate", "swap", "delete", "xml", "xml", "xml",
                                 "numbers", "rename", "stacked"]))
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    return mutate(workbook, kind, rng, draw)


def mutate(workbook: bytes, kind: str, rng: random.Random, draw: st.DrawFn) -> bytes:
    members = members_of(workbook)
    if kind == "flip":  # bytes of the file itself: headers, directory, compressed data
        flipped = bytearray(workbook)
        for _ in range(draw(st.integers(1, 8))):
            flipped[rng.randrange(len(flipped))] ^= rng.randrange(1, 256)
        return bytes(flipped)
    if kind == "truncate":
        return workbook[:rng.randrange(len(workbook))]
    if kind == "swap":
        i, j = rng.sample(range(len(members)), 2)
        (a, da), (b, db) = members[i], members[j]
        members[i], members[j] = (a, db), (b, da)
        return zipped(members)
    if kind == "delete":
        del members[rng.randrange(len(members))]
        return zipped(members)
    if kind == "rename":
        at = rng.randrange(len(members))
        name, data = members[at]
        members[at] = (draw(st.sampled_from(["xl/workbook.bin", "xl/worksheets/sheet9.xml",
                                             name.upper(), name + "x", "../" + name])), data)
        return zipped(members)
    if kind == "stacked":
        for _ in range(3):
            workbook = mutate(workbook, draw(st.sampled_from(["xml", "numbers"])), rng, draw)
        return workbook
    xml = [i for i, (name, _) in enumerate(members) if name.endswith((".xml", ".rels"))]
    at = rng.choice(xml)
    name, data = members[at]
    data = renumbered(data, rng) if kind == "numbers" else edited(data, rng, draw)
    members[at] = (name, data)
    return zipped(members)


def renumbered(data: bytes, rng: random.Random) -> bytes:
    """Some numbers of the part changed: each is a place, a count, an index or a value."""
    return re.sub(rb"\d+", lambda m: str(rng.choice(
        [0, 1, int(m.group()) + 1, 2**31, 2**32 + 5, 10**9, 1048577, 16385])).encode()
        if rng.random() < 0.2 else m.group(), data)


def edited(data: bytes, rng: random.Random, draw: st.DrawFn) -> bytes:
    """The part with one stretch of it inserted into, deleted, replaced, repeated or
    scrambled."""
    start = rng.randrange(len(data) + 1)
    end = min(len(data), start + rng.randrange(64))
    edit = draw(st.sampled_from(["insert", "delete", "replace", "duplicate", "flip"]))
    if edit == "insert":
        return data[:start] + rng.choice(SNIPPETS) + data[start:]
    if edit == "delete":
        return data[:start] + data[end:]
    if edit == "replace":
        return data[:start] + rng.choice(SNIPPETS) + data[end:]
    if edit == "duplicate":
        return data[:end] + data[start:end] * rng.randrange(1, 50) + data[end:]
    flipped = bytearray(data)
    for _ in range(rng.randrange(1, 6)):
        if flipped:
            flipped[rng.randrange(len(flipped))] = rng.randrange(256)
    return bytes(flipped)


def in_process(workbook: bytes) -> tuple[int, str]:
    """`seatbatch process` through cli.run in a fresh installation: (exit code, stderr)."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "seatbatch.toml").write_text(CONFIG, encoding="utf-8")
        path = root / "orders.xlsx"
        path.write_bytes(workbook)
        stdout, stderr = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = run(["process", str(path), "--partner", "P-ACME",
                        "--config", str(root / "seatbatch.toml"),
                        "--ledger", str(root / "ledger.db"), "--out", str(root / "out"),
                        "--as-of", AS_OF.isoformat()])
        logs = [p.name for p in root.rglob("*") if "error" in p.name and p.suffix == ".log"]
    return code, stderr.getvalue() + "".join(logs)


@pytest.fixture(scope="module")
def fuzz_env(tmp_path_factory: pytest.TempPathFactory) -> Env:
    """One installation for the subprocess cases (they share its ledger and --out)."""
    root = tmp_path_factory.mktemp("fuzz")
    (root / "seatbatch.toml").write_text(CONFIG, encoding="utf-8")
    return Env(root)


@settings(settings.get_profile(PROFILE))
@given(mutated_workbooks())
def test_mutated_workbooks_end_in_0_or_1(workbook: bytes) -> None:
    code, stderr = in_process(workbook)
    found = re.findall(r"^  ([^:]*):", stderr, re.MULTILINE)
    event(f"exit {code}" + (f", first problem in {found[0].split(' row')[0]}" if found else ""))
    assert code in (0, 1), stderr
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr


@settings(settings.get_profile(PROFILE), max_examples=SUBPROCESS_EXAMPLES)
@given(mutated_workbooks())
def test_mutated_workbooks_as_cron_runs_them(fuzz_env: Env, workbook: bytes) -> None:
    env = fuzz_env
    path = env.root / f"case-{zlib.crc32(workbook):08x}.xlsx"
    path.write_bytes(workbook)
    result = env.process(path, cron=True)  # the installed command; Env.run asserts no traceback
    assert result.code in (0, 1), result.stderr
    assert "internal error" not in result.stderr, result.stderr


def test_the_seeds_are_valid(tmp_path: Path) -> None:
    # an installation of its own: the mutated cases' ledger may hold their order ids already,
    # with other contents, depending on which of the tests ran first
    (tmp_path / "seatbatch.toml").write_text(CONFIG, encoding="utf-8")
    env = Env(tmp_path)
    for n, workbook in enumerate(seeds()):
        code, stderr = in_process(workbook)
        assert code == 0, stderr
        path = env.root / f"seed{n}.xlsx"
        path.write_bytes(workbook)
        assert env.process(path).code == 0


# --- the guard against calamine itself --------------------------------------------------------


@cache
def base_parts() -> dict[str, bytes]:
    return parts(valid_workbook())


SMALL = Limits(max_rows=40)  # so a sheet is far past the limits while calamine still copes
QUOTES = st.sampled_from(['"', "'"])
SPACES = st.sampled_from([" ", "  ", "\t", "\n", "\r\n"])


@st.composite
def attribute(draw: st.DrawFn, name: str, value: str) -> str:
    """name="value", written any way quick-xml (calamine's parser) reads it."""
    quote = draw(QUOTES)
    around = draw(st.sampled_from(["", " ", "\t"]))
    before = draw(st.sampled_from([" ", " ", " ", "\t", "\n", ""]))  # "" after a quote
    return f"{before}{name}{around}={around}{quote}{value}{quote}"


@st.composite
def cell(draw: st.DrawFn) -> str:
    column = draw(st.one_of(st.integers(1, 24), st.integers(1, 200)))
    row = draw(st.one_of(st.integers(1, 60), st.integers(1, 4000)))
    ref = f"{column_letters(column)}{row}"
    if draw(st.booleans()):
        ref = ref.lower()
    attributes = [draw(attribute("r", ref))] if draw(st.integers(0, 5)) else []
    if draw(st.integers(0, 6)) == 0:  # a second r: calamine takes the last
        attributes.append(draw(attribute("r", f"A{draw(st.integers(1, 4000))}")))
    if draw(st.booleans()):
        attributes.insert(draw(st.integers(0, len(attributes))), draw(attribute("s", "1")))
    prefix = draw(st.sampled_from(["", "", "", "x:"]))
    body = draw(st.sampled_from(["<v>1</v>", "<v>1</v>", "", "<v></v>", "<f>1</f>",
                                 '<is><t>a</t></is>']))
    opening = f"<{prefix}c{''.join(attributes)}"
    if not body and draw(st.booleans()):
        return opening + "/>"
    value = body.replace("<v", f"<{prefix}v").replace("</v", f"</{prefix}v")
    return f"{opening}>{value}</{prefix}c>"


@st.composite
def sheet_xml(draw: st.DrawFn) -> bytes:
    rows = []
    for _ in range(draw(st.integers(1, 6))):
        number = draw(st.one_of(st.integers(1, 60), st.integers(1, 4000)))
        attributes = draw(attribute("r", str(number))) if draw(st.integers(0, 4)) else ""
        cells = "".join(draw(st.lists(cell(), max_size=4)))
        rows.append(f"<row{attributes}>{cells}</row>" if cells or draw(st.booleans())
                    else f"<row{attributes}/>")
    space = draw(SPACES)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<worksheet xmlns="http://schemas.'
            'openxmlformats.org/spreadsheetml/2006/main" xmlns:x="http://schemas.'
            f'openxmlformats.org/spreadsheetml/2006/main">{space}<sheetData>{"".join(rows)}'
            "</sheetData></worksheet>").encode()


def read_within_limits(members: dict[str, bytes], context: object) -> None:
    """When the guard accepts the package, calamine reads its Orders sheet into a grid within
    max_rows and the cell limit (small limits, so that a grid past them still fits in memory)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sheet.xlsx"
        path.write_bytes(rezip(members))
        found = check_file(path, SMALL)
        event("rejected" if found else "accepted")
        if found is not None:
            return
        try:
            grid = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Orders")
        except CalamineError:
            event("calamine refuses it")
            return
    if grid.height:
        assert grid.end is not None, (context, grid.start)
        assert grid.end[0] + 1 <= SMALL.max_rows + 1, (context, grid.start, grid.end)
        assert grid.height * grid.width <= max_cells(SMALL), (context, grid.start, grid.end)


@settings(settings.get_profile(PROFILE), max_examples=GUARD_EXAMPLES)
@given(sheet_xml())
def test_what_the_guard_lets_through_calamine_reads_within_the_limits(sheet: bytes) -> None:
    """Any sheet the guard accepts, calamine reads into a grid within max_rows and the cell
    limit. (Small limits, so that calamine's grid of a sheet past them still fits in memory.)"""
    members = dict(base_parts())
    members[ORDERS_SHEET] = sheet
    read_within_limits(members, sheet)


@st.composite
def placement(draw: st.DrawFn) -> tuple[str, str]:
    """(member name, relationship target) of the Orders sheet: where it may be stored and how
    its relationship may name it, as calamine would or would not find it."""
    folder = draw(st.sampled_from(["xl/worksheets/", "xl/", "xl/data/", "other/", "", "xl/../",
                                   "xl/./", "XL/Data/"]))
    stem = draw(st.sampled_from(["sheet3.xml", "orders.xml", "image1.png", "a&amp;b.xml",
                                 "my%20o.xml", "my o.xml", "O.XML"]))
    member = folder + stem
    form = draw(st.sampled_from(["absolute", "relative", "upper", "lower", "dotdot", "other"]))
    target = {"absolute": "/" + member,
              "relative": member[3:] if member.startswith(("xl/", "XL/")) else "../" + member,
              "upper": ("/" + member).upper(), "lower": ("/" + member).lower(),
              "dotdot": "../" + member, "other": draw(st.sampled_from(
                  ["worksheets/sheet3.xml", "/xl/media/image1.png", "data\\orders.xml",
                   "https://example.com/x.xml", ""]))}[form]
    if draw(st.integers(0, 4)) == 0:
        member = member.replace("/", "\\")
    return member, target


@settings(settings.get_profile(PROFILE), max_examples=GUARD_EXAMPLES)
@given(placement(), sheet_xml(), st.booleans())
def test_a_sheet_anywhere_the_guard_lets_through_calamine_reads_within_the_limits(
        place: tuple[str, str], sheet: bytes, strict: bool) -> None:
    member, target = place
    members = dict(base_parts())
    members.pop(ORDERS_SHEET)
    members[member] = sheet
    rels = members["xl/_rels/workbook.xml.rels"].decode()
    members["xl/_rels/workbook.xml.rels"] = rels.replace(
        'Target="/xl/worksheets/sheet3.xml"', f'Target="{target}"').encode()
    if strict:
        for name, data in members.items():
            members[name] = data.replace(
                b"http://schemas.openxmlformats.org/spreadsheetml/2006/main",
                b"http://purl.oclc.org/ooxml/spreadsheetml/main").replace(
                b"http://schemas.openxmlformats.org/officeDocument/2006/relationships",
                b"http://purl.oclc.org/ooxml/officeDocument/relationships")
    read_within_limits(members, (place, sheet))
