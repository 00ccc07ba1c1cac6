"""Build the hostile corpus: files that must each be rejected with their own problem code, fast
and in little memory (SPEC §8, issue 5). Nothing here is committed; tests build it fresh.

    python tests/hostile/make_corpus.py OUT_DIR

writes every file of CASES into OUT_DIR (a few tens of MB in all; the bombs are built
compressed, never unpacked) and prints one line per file. Each case names the problem code
`seatbatch process` must reject it with, and the `[limits]` it is run under when they differ
from the defaults."""

from __future__ import annotations

import io
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

MB = 1024 * 1024

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/></Types>'
)


# --- a valid order workbook, as the base of most cases ---------------------------------------


def valid_workbook() -> bytes:
    """A small valid order workbook (one customer, one device, one order line)."""
    from seatbatch.output.order_workbook import build_order_workbook

    book = build_order_workbook({
        "Customers": [{"customer_id": "C-001", "organization": "Org C-001"}],
        "Devices": [{"customer_id": "C-001", "serial_number": "SN-1",
                     "device_type": "Space Pro"}],
        "Orders": [{"order_id": "L1", "customer_id": "C-001", "action": "new",
                    "subscription": "S1", "device_type": "Space Pro", "seats": 1,
                    "term_years": 3, "start_date": date(2026, 11, 24), "accept_terms": True}],
    })
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def parts(workbook: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(workbook)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


ORDERS_SHEET = "xl/worksheets/sheet3.xml"  # openpyxl writes the sheets in order


def rezip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def with_part(name: str, data: bytes, base: bytes | None = None) -> bytes:
    members = parts(base or valid_workbook())
    members[name] = data
    return rezip(members)


# --- a ZIP writer that writes what it is told (sizes, offsets) --------------------------------


@dataclass
class Raw:
    """One member as it is to be written: its bytes already compressed (or stored)."""

    name: str
    data: bytes
    size: int  # the unpacked size to declare
    crc: int
    method: int = zipfile.ZIP_DEFLATED
    offset: int | None = None  # where its local header was written
    same_bytes_as: str | None = None  # a directory-only entry: at that member's offset


def deflated(name: str, content: bytes) -> Raw:
    stream = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    data = stream.compress(content) + stream.flush()
    return Raw(name, data, len(content), zlib.crc32(content))


def write_zip(members: Sequence[Raw], *, directory_only: Sequence[Raw] = (),
              declared_entries: int | None = None) -> bytes:
    """Local headers and data of `members`, then a central directory listing them and the
    `directory_only` entries (each pointing at the bytes of the member it names), then the end
    record, which says `declared_entries` entries when given."""
    out = bytearray()
    central = bytearray()
    entries = 0

    def directory_entry(raw: Raw, offset: int) -> None:
        name = raw.name.encode()
        central.extend(struct.pack("<4sBBBBHHHHIIIHHHHHII", b"PK\x01\x02", 20, 0, 20, 0, 0,
                                   raw.method, 0, 0x21, raw.crc, len(raw.data),
                                   raw.size, len(name), 0, 0, 0, 0, 0, offset))
        central.extend(name)

    for raw in members:
        name = raw.name.encode()
        raw.offset = len(out)
        out.extend(struct.pack("<4sBBHHHHIIIHH", b"PK\x03\x04", 20, 0, 0, raw.method, 0, 0x21,
                               raw.crc, len(raw.data), raw.size, len(name), 0))
        out.extend(name)
        out.extend(raw.data)
    for raw in members:
        assert raw.offset is not None
        directory_entry(raw, raw.offset)
        entries += 1
    offsets = {raw.name: raw.offset for raw in members}
    for raw in directory_only:
        offset = offsets[raw.same_bytes_as or ""]
        assert offset is not None
        directory_entry(raw, offset)
        entries += 1
    count = entries if declared_entries is None else declared_entries
    zip64 = b""
    if count >= 0xFFFF:  # too many for the classic end record: a Zip64 one says how many
        record = len(out) + len(central)
        zip64 = struct.pack("<4sQHHIIQQQQ", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count,
                            len(central), len(out))
        zip64 += struct.pack("<4sIQI", b"PK\x06\x07", 0, record, 1)
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, min(count, 0xFFFF), min(count, 0xFFFF),
                      len(central), len(out), 0)
    return bytes(out + central + zip64 + end)


def zeros_bomb(name: str, unpacked: int, declared: int | None = None) -> Raw:
    """A member of `unpacked` zero bytes, deflated about 1000:1 without ever holding them: one
    compressed megabyte block, repeated (a full flush resets the compressor, so each block's
    bytes are the same), then the end of the stream. `declared` lies about the size if given."""
    block = bytes(MB)
    stream = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    stream.compress(block)
    first = stream.flush(zlib.Z_FULL_FLUSH)
    stream.compress(block)
    repeated = stream.flush(zlib.Z_FULL_FLUSH)
    blocks = unpacked // MB
    data = first + repeated * (blocks - 1) + stream.flush()
    crc = 0
    for _ in range(blocks):
        crc = zlib.crc32(block, crc)
    return Raw(name, data, unpacked if declared is None else declared, crc)


def workbook_members() -> list[Raw]:
    return [deflated(name, data) for name, data in parts(valid_workbook()).items()]


# --- the cases -------------------------------------------------------------------------------


def plain_text() -> bytes:
    return b"order_id,customer_id,action\nL1,C-001,new\n"


def empty() -> bytes:
    return b""


def truncated() -> bytes:
    workbook = valid_workbook()
    return workbook[: len(workbook) // 2]


def ole2(streams: dict[str, bytes]) -> bytes:
    """A compound file (OLE2/CFB, version 3, 512-byte sectors) holding the given streams, each
    at least 4096 bytes (so none lives in a mini stream). Enough for olefile and for any reader
    that looks at its directory."""
    sector = 512
    end, free, fat_sector = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    padded = {n: d + bytes(-len(d) % sector) for n, d in streams.items()}
    assert all(len(d) >= 4096 for d in streams.values())
    fat = [fat_sector, end]  # sector 0: the FAT, sector 1: the directory
    starts = {}
    for name, data in padded.items():
        starts[name] = len(fat)
        count = len(data) // sector
        fat.extend([*range(len(fat) + 1, len(fat) + count), end])
    assert len(fat) <= sector // 4, "one FAT sector only"
    fat += [free] * (sector // 4 - len(fat))

    def entry(name: str, kind: int, *, child: int, right: int, start: int, size: int) -> bytes:
        encoded = name.encode("utf-16-le") + b"\0\0"
        return struct.pack("<64sHBBIII16sIQQIQ", encoded, len(encoded), kind, 1, free, right,
                           child, bytes(16), 0, 0, 0, start, size)

    names = list(streams)
    directory = entry("Root Entry", 5, child=1, right=free, start=end, size=0)
    for index, name in enumerate(names, start=1):
        sibling = index + 1 if index < len(names) else free
        directory += entry(name, 2, child=free, right=sibling, start=starts[name],
                           size=len(streams[name]))
    directory += bytes(-len(directory) % sector)
    assert len(directory) == sector, "one directory sector only"
    header = struct.pack("<8s16sHHHHH6sIIIIIIIII", bytes.fromhex("D0CF11E0A1B11AE1"), bytes(16),
                         0x3E, 3, 0xFFFE, 9, 6, bytes(6), 0, 1, 1, 0, 4096, end, 0, end, 0)
    header += struct.pack("<I", 0) + struct.pack("<I", free) * 108
    return header + struct.pack(f"<{sector // 4}I", *fat) + directory + b"".join(padded.values())


def legacy_xls() -> bytes:
    """An Excel 97-2003 file: an OLE2 container with a Workbook stream that starts with a BIFF8
    BOF record (workbook globals) and ends with EOF."""
    bof = struct.pack("<HHHHHHII", 0x0809, 16, 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 6)
    eof = struct.pack("<HH", 0x000A, 0)
    return ole2({"Workbook": (bof + eof).ljust(4096, b"\0")})


def encrypted() -> bytes:
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(valid_workbook())).encrypt("secret", out)
    return out.getvalue()


def xlsb() -> bytes:
    return rezip({"[Content_Types].xml": CONTENT_TYPES.encode(),
                  "xl/workbook.bin": b"\x83\x01\x00\x84\x01\x00",
                  "xl/worksheets/sheet1.bin": b"\x81\x01\x00\x82\x01\x00"})


BILLION_LAUGHS = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE sst [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">
<si><t>&lol9;</t></si></sst>"""


def with_shared_strings(table: bytes) -> bytes:
    """The valid workbook with a shared-strings part (and its relationship and content type)."""
    members = parts(valid_workbook())
    members["xl/sharedStrings.xml"] = table
    rels = members["xl/_rels/workbook.xml.rels"].decode()
    members["xl/_rels/workbook.xml.rels"] = rels.replace("</Relationships>", (
        '<Relationship Id="rIdStrings" Target="sharedStrings.xml" Type="http://schemas.'
        'openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/></Relationships>'
    )).encode()
    types = members["[Content_Types].xml"].decode()
    members["[Content_Types].xml"] = types.replace("</Types>", (
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxml'
        'formats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')).encode()
    return rezip(members)


def billion_laughs() -> bytes:
    return with_shared_strings(BILLION_LAUGHS)


def external_entity() -> bytes:
    members = parts(valid_workbook())
    name = ORDERS_SHEET
    sheet = members[name].decode()
    root = sheet.index("<worksheet")
    sheet = (sheet[:root] + '<!DOCTYPE worksheet [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
             + sheet[root:])
    sheet = sheet.replace("</sheetData>", '<row r="9"><c r="A9" t="inlineStr"><is><t>&secret;'
                          "</t></is></c></row></sheetData>")
    members[name] = sheet.encode()
    return rezip(members)


def deflate_bomb() -> bytes:
    """1.4 GB of zeros in a part that says so (a few MB on disk)."""
    return write_zip([*workbook_members(), zeros_bomb("xl/media/image1.png", 1400 * MB)])


def lying_bomb() -> bytes:
    """The same 1.4 GB, in a part whose headers claim 1 MB."""
    return write_zip([*workbook_members(), zeros_bomb("xl/media/image1.png", 1400 * MB, MB)])


def overlapping_bomb() -> bytes:
    """200 directory entries, each a different name pointing at the same 1 MB member's bytes
    (the non-recursive ZIP bomb: 200 MB from a file that holds 1 MB once)."""
    shared = zeros_bomb("xl/media/image0.png", MB)
    copies = [Raw(f"xl/media/image{n}.png", shared.data, shared.size, shared.crc,
                  same_bytes_as=shared.name) for n in range(1, 200)]
    return write_zip([*workbook_members(), shared], directory_only=copies)


def many_members(declared: int | None = None) -> bytes:
    empty_member = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS).flush()
    filler = [Raw(f"xl/media/m{n}.bin", empty_member, 0, 0) for n in range(100_000)]
    return write_zip([*workbook_members(), *filler], declared_entries=declared)


def sheet_edit(old: str, new: str, part: str | None = None) -> Callable[[], bytes]:
    def build() -> bytes:
        members = parts(valid_workbook())
        name = part or ORDERS_SHEET
        text = members[name].decode()
        assert old in text, (old, text[:400])
        members[name] = text.replace(old, new, 1).encode()
        return rezip(members)

    return build


def with_dimension(ref: str) -> Callable[[], bytes]:
    def build() -> bytes:
        members = parts(valid_workbook())
        name = ORDERS_SHEET
        text = members[name].decode()
        start = text.index("<dimension")
        end = text.index(">", start) + 1
        members[name] = (text[:start] + f'<dimension ref="{ref}"/>' + text[end:]).encode()
        return rezip(members)

    return build


def huge_shared_strings() -> bytes:
    """A shared-strings part that holds one string but declares four billion."""
    return with_shared_strings(
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        b'count="4000000000" uniqueCount="4000000000"><si><t>Org C-001</t></si></sst>')


def oversized() -> bytes:
    """A valid workbook with 1.2 MB of incompressible bytes in it: over max_file_mb = 1."""
    import random

    noise = random.Random(5).randbytes(1200 * 1024)
    raw = Raw("xl/media/image1.png", noise, len(noise), zlib.crc32(noise), zipfile.ZIP_STORED)
    return write_zip([*workbook_members(), raw])


# --- parts where the workbook's relationships place them (issue 11 item 7) ------------------

ORDERS_TARGET = "/xl/worksheets/sheet3.xml"  # as openpyxl writes the Orders relationship
FAR_CELL = '<row r="1500000"><c r="A1500000"><v>1</v></c></row></sheetData>'


def placed(member: str, target: str, sheet_edit: tuple[str, str] | None = (
        "</sheetData>", FAR_CELL), keep_original: bool = False) -> Callable[[], bytes]:
    """The valid workbook with its Orders sheet stored as `member` and its relationship's Target
    written `target` (by default with one cell far down, which only the guard can stop)."""
    def build() -> bytes:
        members = parts(valid_workbook())
        sheet = members[ORDERS_SHEET] if keep_original else members.pop(ORDERS_SHEET)
        if sheet_edit:
            sheet = sheet.decode().replace(*sheet_edit, 1).encode()
        members[member] = sheet
        rels = members["xl/_rels/workbook.xml.rels"].decode()
        assert f'Target="{ORDERS_TARGET}"' in rels, rels
        members["xl/_rels/workbook.xml.rels"] = rels.replace(
            f'Target="{ORDERS_TARGET}"', f'Target="{target}"').encode()
        return rezip(members)

    return build


def workbook_in_folder(folder: str, far: bool = True) -> Callable[[], bytes]:
    """The valid workbook moved from xl/ to `folder`/ (as _rels/.rels then says), its Orders
    sheet with one cell far down unless not `far`."""
    def build() -> bytes:
        members = parts(valid_workbook())
        if far:
            members[ORDERS_SHEET] = members[ORDERS_SHEET].decode().replace(
                "</sheetData>", FAR_CELL, 1).encode()
        moved = {(f"{folder}/{name[3:]}" if name.startswith("xl/") else name): data
                 for name, data in members.items()}
        moved["_rels/.rels"] = moved["_rels/.rels"].replace(b"xl/workbook.xml",
                                                            f"{folder}/workbook.xml".encode())
        rels = f"{folder}/_rels/workbook.xml.rels"
        moved[rels] = moved[rels].replace(b'"/xl/', f'"/{folder}/'.encode())
        return rezip(moved)

    return build


def case_twins() -> bytes:
    """Two parts whose names differ only in case: the reader looks names up without case, and
    which one it finds depends on their order; one of them is the far sheet."""
    members = parts(valid_workbook())
    members["XL/Worksheets/Sheet3.xml"] = members[ORDERS_SHEET].decode().replace(
        "</sheetData>", FAR_CELL, 1).encode()
    return rezip(members)


def two_sheets_one_part() -> bytes:
    members = parts(valid_workbook())
    rels = members["xl/_rels/workbook.xml.rels"].decode()
    members["xl/_rels/workbook.xml.rels"] = rels.replace(
        'Target="/xl/worksheets/sheet2.xml"', f'Target="{ORDERS_TARGET}"').encode()
    return rezip(members)


# --- stray cells far from what a sheet holds (issue 11: memory of every hostile case) ---------
# python-calamine builds a sheet as one dense grid from A1 to its last cell: one stray cell at
# P1000001, inside max_rows and the cell limit, cost it 0.9-4 GB.


def stray_cell(ref: str) -> str:
    row = ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    return f'<row r="{row}"><c r="{ref}" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'


def with_sheets(extra: dict[str, dict[str, str]]) -> Callable[[], bytes]:
    """The valid workbook with more sheets (name -> {cell: text}), as openpyxl writes them."""
    def build() -> bytes:
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(valid_workbook()))
        for name, cells in extra.items():
            sheet = book.create_sheet(name)
            for ref, text in cells.items():
                sheet[ref] = text
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()

    return build


INSTRUCTIONS = {f"A{n}": f"Step {n}: fill in the orders" for n in range(1, 6)}


@dataclass(frozen=True)
class Case:
    name: str  # the file's name
    code: str  # the problem code it must be rejected with
    build: Callable[[], bytes]
    limits: str = ""  # a [limits] table for the run, when not the defaults


FAR_ROW = '<row r="1000002"><c r="A1000002" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'
FAR_COLUMN = '<row r="1500"><c r="XFD1500" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'

CASES: tuple[Case, ...] = (
    Case("plain-text.xlsx", "not_a_workbook", plain_text),
    Case("empty.xlsx", "not_a_workbook", empty),
    Case("truncated.xlsx", "corrupt_workbook", truncated),
    Case("legacy.xls", "legacy_xls", legacy_xls),
    Case("legacy-renamed.xlsx", "legacy_xls", legacy_xls),
    Case("encrypted.xlsx", "encrypted_workbook", encrypted),
    Case("binary.xlsb", "binary_workbook", xlsb),
    Case("billion-laughs.xlsx", "xml_declaration", billion_laughs),
    Case("external-entity.xlsx", "xml_declaration", external_entity),
    Case("deflate-bomb-1.4gb.xlsx", "unpacked_too_large", deflate_bomb),
    Case("deflate-bomb-lying-sizes.xlsx", "zip_bomb", lying_bomb),
    Case("overlapping-entries.xlsx", "overlapping_parts", overlapping_bomb),
    Case("100000-members.xlsx", "too_many_parts", many_members),
    Case("100000-members-count-says-12.xlsx", "too_many_parts", lambda: many_members(12)),
    Case("dimension-1e9-rows.xlsx", "dimension_too_large", with_dimension("A1:Z1000000000")),
    Case("huge-shared-strings-count.xlsx", "shared_strings_count", huge_shared_strings),
    Case("cell-past-max-rows.xlsx", "too_many_rows", sheet_edit("</sheetData>", FAR_ROW)),
    Case("cell-far-right.xlsx", "sheet_too_large", sheet_edit("</sheetData>", FAR_COLUMN)),
    Case("over-size-limit.xlsx", "file_too_large", oversized, "[limits]\nmax_file_mb = 1\n"),
    Case("sheet-outside-worksheets-far-down.xlsx", "too_many_rows",
         placed("xl/data/orders.xml", "data/orders.xml")),
    Case("sheet-absolute-target-far-down.xlsx", "too_many_rows",
         placed("elsewhere/orders.bin", "/elsewhere/orders.bin")),
    Case("sheet-dotdot-literal-member.xlsx", "corrupt_workbook",
         placed("xl/../orders.xml", "../orders.xml")),
    Case("sheet-name-case-and-backslashes-far-down.xlsx", "too_many_rows",
         placed("XL\\Data\\Orders.XML", "data/orders.xml")),
    Case("sheet-named-like-media-far-down.xlsx", "too_many_rows",
         placed("xl/media/image1.png", "media/image1.png")),
    Case("workbook-in-another-folder-far-down.xlsx", "too_many_rows", workbook_in_folder("book")),
    Case("sheet-target-not-in-the-file.xlsx", "corrupt_workbook",
         placed("orders.xml", "../orders.xml")),
    Case("sheet-target-outside-the-package.xlsx", "corrupt_workbook",
         placed("xl/worksheets/sheet9.xml", "../../../etc/passwd")),
    Case("sheet-target-percent-encoded.xlsx", "corrupt_workbook",
         placed("xl/data/my orders.xml", "data/my%20orders.xml")),
    Case("parts-differ-only-in-case.xlsx", "corrupt_workbook", case_twins),
    Case("two-sheets-one-part.xlsx", "corrupt_workbook", two_sheets_one_part),
    Case("stray-cell-P1000001.xlsx", "sparse_sheet",
         sheet_edit("</sheetData>", stray_cell("P1000001"))),
    Case("stray-cell-far-down.xlsx", "sparse_sheet",
         sheet_edit("</sheetData>", stray_cell("A900000"))),
    Case("stray-cell-far-right.xlsx", "sparse_sheet",
         sheet_edit("</sheetData>", stray_cell("CV30000"))),
    Case("stray-cell-far-from-a-few-customers.xlsx", "sparse_sheet",
         sheet_edit("</sheetData>", stray_cell("D600000"), "xl/worksheets/sheet1.xml")),
    Case("stray-cell-on-the-instructions-sheet.xlsx", "sparse_sheet",
         with_sheets({"Instructions": {**INSTRUCTIONS, "P1000001": "x"}})),
    Case("many-sparse-sheets.xlsx", "sparse_workbook",
         with_sheets({f"Notes {n}": {"A1": "note", "O130000": "x"} for n in range(1, 6)})),
)


def build_corpus(folder: Path) -> dict[str, Path]:
    """Write every case into `folder`; returns case name -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    built = {}
    for case in CASES:
        path = folder / case.name
        path.write_bytes(case.build())
        built[case.name] = path
    return built


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: make_corpus.py OUT_DIR", file=sys.stderr)
        return 2
    built = build_corpus(Path(argv[0]))
    for case in CASES:
        size = built[case.name].stat().st_size
        print(f"{built[case.name]}  {size / MB:8.2f} MB  -> {case.code}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
