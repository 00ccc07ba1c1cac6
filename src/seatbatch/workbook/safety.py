"""The guard that runs before any parser sees a workbook (SPEC §8), driven by `[limits]` (§3).

In order: the file's size; its first bytes (ZIP, or an OLE2 container: an encrypted workbook or
an old .xls); the ZIP directory, read by hand (`zipdir`): at most MAX_PARTS members, none
sharing bytes with another, every local header where the directory says; a real workbook
(xl/workbook.xml, not a binary .xlsb); the sizes the members declare, summed and capped; then
every member unpacked in chunks with the bytes really produced counted (a member that unpacks to
more than it declares is a bomb), and its XML scanned on the way (`xmlscan`): no DTD or entity
declaration, worksheets within `max_rows` and within a number of cells, a declared dimension no
larger than Excel allows, a shared-strings count that matches the strings there.

A file that fails here is rejected with one problem and nothing else reads it. Problems of the
file are not tied to a sheet (a rejected.xlsx is made only of a workbook that could be read), so
their messages name the sheet themselves.

defusedxml is imported here, at start-up, on purpose: it must be installed (openpyxl parses
with it when it is, as in rejected.xlsx), and this module parses the few XML parts it reads with
it."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from defusedxml import ElementTree as SafeElementTree

from seatbatch.config import Limits
from seatbatch.problems import Code, Problem, problem
from seatbatch.workbook.xmlscan import (
    Reach,
    SharedStrings,
    Worksheet,
    XmlPart,
    XmlProblem,
    column_letters,
    exact_reach,
)
from seatbatch.workbook.zipdir import Member, ZipProblem, inflate, read_directory

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")
MB = 1024 * 1024
MAX_PARTS = 10_000  # a workbook saved by Excel has a few dozen
COLUMNS_AT_MAX_ROWS = 16  # a sheet may span (max_rows + 1) * this many cells
SHEET_FOLDERS = ("xl/worksheets/", "xl/chartsheets/", "xl/dialogsheets/")
XML_SUFFIXES = (".xml", ".rels", ".vml")
SMALL_PART = MB  # workbook.xml and its relationships are parsed only when this small
RELATIONSHIPS_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

__all__ = ["MAX_PARTS", "SafeElementTree", "check_file", "max_cells"]


def max_cells(limits: Limits) -> int:
    """The most cells (rows x columns, empty ones included) a sheet may span."""
    return (limits.max_rows + 1) * COLUMNS_AT_MAX_ROWS


def _file_problem(code: Code, **params: object) -> Problem:
    return problem(code, "", None, None, None, **params)


def _corrupt(detail: str) -> Problem:
    return _file_problem(Code.CORRUPT_WORKBOOK, detail=detail)


def check_file(path: Path, limits: Limits) -> Problem | None:
    """None when the file may be handed to the workbook reader; else the one reason it may not."""
    size = path.stat().st_size
    if size > limits.max_file_mb * MB:
        return _file_problem(
            Code.FILE_TOO_LARGE, size_mb=f"{size / MB:.1f}", limit_mb=limits.max_file_mb
        )
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(OLE_MAGIC):
        # An encrypted .xlsx is an OLE2 container too; its directory names EncryptionInfo.
        if ENCRYPTION_STREAM in path.read_bytes():
            return _file_problem(Code.ENCRYPTED_WORKBOOK)
        return _file_problem(Code.LEGACY_XLS)
    if not head.startswith(ZIP_MAGIC):
        detail = "the file is empty" if size == 0 else "it does not start like one"
        return _file_problem(Code.NOT_A_WORKBOOK, detail=detail)
    return _Guard(memoryview(path.read_bytes()), limits).check()


class _Guard:
    def __init__(self, data: memoryview, limits: Limits) -> None:
        self.data = data
        self.limits = limits
        self.members: list[Member] = []
        self.max_row = limits.max_rows + 1  # the header row and max_rows rows of orders
        self.max_cells = max_cells(limits)

    def check(self) -> Problem | None:
        try:
            return self._check()
        except ZipProblem as error:
            return self._zip_problem(error)
        except _Rejected as rejected:
            return rejected.problem

    def _zip_problem(self, error: ZipProblem) -> Problem:
        p = error.params
        if error.kind == "too_many_members":
            return _file_problem(Code.TOO_MANY_PARTS, count=p["count"], limit=p["limit"])
        if error.kind == "overlap":
            return _file_problem(Code.OVERLAPPING_PARTS, first=p["first"], second=p["second"])
        if error.kind == "bomb":
            return _file_problem(Code.ZIP_BOMB, part=p["part"], declared=p["declared"])
        if error.kind == "duplicate":
            return _corrupt(f"the ZIP container holds part {p['name']} twice")
        return _corrupt(error.detail)

    def _check(self) -> Problem | None:
        self.members = read_directory(self.data, MAX_PARTS)
        names = {m.name for m in self.members}
        if "xl/workbook.bin" in names:
            return _file_problem(Code.BINARY_WORKBOOK)
        if "xl/workbook.xml" not in names:
            return _file_problem(Code.NOT_A_WORKBOOK, detail="it is a ZIP file without a workbook")
        declared = sum(m.size for m in self.members)
        if declared > self.limits.max_unpacked_mb * MB:
            return _file_problem(Code.UNPACKED_TOO_LARGE, size_mb=f"{declared / MB:.0f}",
                                 limit_mb=self.limits.max_unpacked_mb)
        strings: list[SharedStrings] = []
        sheet_bytes = 0
        for member in self.members:
            scanner = self._scan(member)
            if isinstance(scanner, SharedStrings):
                strings.append(scanner)
            elif isinstance(scanner, Worksheet):
                sheet_bytes += member.size
                self._check_sheet(member, scanner)
        for table in strings:
            self._check_strings(table, sheet_bytes)
        return None

    def _scan(self, member: Member) -> XmlPart | None:
        """Unpack the member, scanning it as what it is; its scanner when it is XML."""
        chunks = inflate(self.data, member)
        scanner: XmlPart | None = None
        lower = member.name.lower()
        for chunk in chunks:
            if scanner is None:
                if lower.startswith(SHEET_FOLDERS):
                    scanner = Worksheet(member.name, self.max_row, self.max_cells)
                elif lower.endswith("sharedstrings.xml"):
                    scanner = SharedStrings(member.name)
                elif lower.endswith(XML_SUFFIXES) or _looks_like_xml(chunk):
                    scanner = XmlPart(member.name)
                else:
                    for _ in chunks:  # not XML: only counted (inflate caps it)
                        pass
                    return None
            try:
                scanner.feed(chunk)
            except XmlProblem as error:
                raise _Rejected(self._xml_problem(member, error)) from None
        if scanner is not None:
            try:
                scanner.close()
            except XmlProblem as error:
                raise _Rejected(self._xml_problem(member, error)) from None
        return scanner

    def _xml_problem(self, member: Member, error: XmlProblem) -> Problem:
        p = error.params
        if error.kind == "declaration":
            return _file_problem(Code.XML_DECLARATION, part=member.name, found=p["found"])
        if error.kind == "encoding":
            return _corrupt(f"part {member.name} is not UTF-8 XML ({p['detail']})")
        if error.kind == "strings_count":
            return _file_problem(Code.SHARED_STRINGS_COUNT, part=member.name,
                                 declared=p["declared"], found=p["found"])
        return _corrupt(f"part {member.name}: {p.get('detail', error.kind)}")

    def _check_sheet(self, member: Member, sheet: Worksheet) -> None:
        dimension = sheet.declared()
        if dimension:
            ref, rows, columns = dimension
            raise _Rejected(_file_problem(Code.DIMENSION_TOO_LARGE, where=self._where(member),
                                          ref=ref, rows=rows, columns=columns))
        reach = sheet.bound()
        if reach is not None:
            if self._fits(reach):
                return
            # Plain, but near a limit or beyond it: look at every cell that may hold a value.
            reach = sheet.scan_all_cells(inflate(self.data, member))
        if reach is None:  # odd: walk it as calamine does (stopping past the limits)
            try:
                reach = exact_reach(inflate(self.data, member), self.max_row, self.max_cells)
            except XmlProblem as error:
                raise _Rejected(self._xml_problem(member, error)) from None
        if reach is None or self._fits(reach):
            return
        if reach.last_row > self.max_row:
            raise _Rejected(_file_problem(Code.TOO_MANY_ROWS, where=self._where(member),
                                          rows=reach.last_row - 1, limit=self.limits.max_rows))
        raise _Rejected(_file_problem(
            Code.SHEET_TOO_LARGE, where=self._where(member), rows=reach.rows,
            columns=reach.columns, cells=reach.cells, limit=self.max_cells,
            first=_cell(reach.first_row, reach.first_column),
            last=_cell(reach.last_row, reach.last_column)))

    def _fits(self, reach: Reach) -> bool:
        return reach.last_row <= self.max_row and reach.cells <= self.max_cells

    def _check_strings(self, table: SharedStrings, sheet_bytes: int) -> None:
        # Excel writes uniqueCount as the number of <si>; count (the cells using them) can only
        # be larger, but every such cell takes more than ten bytes of a sheet.
        if table.unique_declared is not None and \
                table.unique_declared > 2 * table.strings + 1024:
            raise _Rejected(_file_problem(Code.SHARED_STRINGS_COUNT, part=table.name,
                                          declared=table.unique_declared,
                                          found=_strings(table.strings)))
        if table.count_declared is not None and \
                table.count_declared > sheet_bytes // 10 + 1024:
            raise _Rejected(_file_problem(Code.SHARED_STRINGS_COUNT, part=table.name,
                                          declared=table.count_declared,
                                          found="far fewer cells using them"))

    def _where(self, member: Member) -> str:
        """How a problem names a sheet part: its sheet's name when the workbook says."""
        name = self._sheet_names().get(member.name)
        return f"sheet '{name}' ({member.name})" if name else f"sheet part {member.name}"

    def _sheet_names(self) -> dict[str, str]:
        """Sheet part -> sheet name, from xl/workbook.xml and its relationships (parsed with
        defusedxml, only when both are small; they were scanned already)."""
        parts = {m.name: m for m in self.members}
        try:
            workbook = self._small_xml(parts.get("xl/workbook.xml"))
            rels = self._small_xml(parts.get("xl/_rels/workbook.xml.rels"))
        except Exception:  # only for naming a sheet: a part it cannot read names none
            return {}
        if workbook is None or rels is None:
            return {}
        targets: dict[str, str] = {}
        for rel in rels.iter():
            if rel.tag.rsplit("}", 1)[-1] == "Relationship":
                target = rel.get("Target", "")
                path = target[1:] if target.startswith("/") else (
                    target if target.startswith("xl/") else f"xl/{target}")
                targets[rel.get("Id", "")] = str(PurePosixPath(path))
        names: dict[str, str] = {}
        for sheet in workbook.iter():
            if sheet.tag.rsplit("}", 1)[-1] == "sheet":
                rid = sheet.get(f"{{{RELATIONSHIPS_NS}}}id", "")
                if rid in targets:
                    names[targets[rid]] = sheet.get("name", "")
        return names

    def _small_xml(self, member: Member | None) -> SafeElementTree.Element | None:
        if member is None or member.size > SMALL_PART:
            return None
        return SafeElementTree.fromstring(b"".join(inflate(self.data, member)))


class _Rejected(Exception):
    def __init__(self, rejection: Problem) -> None:
        super().__init__(rejection.message)
        self.problem = rejection


def _looks_like_xml(chunk: bytes) -> bool:
    return chunk[:64].lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


def _strings(count: int) -> str:
    return f"{count} string{'' if count == 1 else 's'}"


def _cell(row: int, column: int) -> str:
    return f"{column_letters(column)}{row}"
