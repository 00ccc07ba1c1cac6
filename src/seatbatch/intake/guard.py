"""The guard that runs before any parser sees a workbook (SPEC §8), driven by `[limits]` (§3).

In order: the file's size; its first bytes (ZIP, or an OLE2 container: an encrypted workbook or
an old .xls); the ZIP directory, read by hand (`zipdir`): at most MAX_PARTS members, none
sharing bytes with another, every local header where the directory says; not a binary .xlsb;
the sizes the members declare, summed and capped; which parts the reader will read, found as
it finds them (`package`: a sheet is wherever the workbook's relationships place it, the shared
strings beside workbook.xml, wherever that is; a sheet it could not find is refused); then
every member unpacked in chunks with the bytes really produced counted (a member that unpacks to
more than it declares is a bomb), and its XML scanned on the way (`xmlscan`) as what the reader
takes it for, whatever its name: no DTD or entity declaration, sheets within `max_rows` and
within a number of cells, a declared dimension no larger than Excel allows, a shared-strings
count that matches the strings there; and each sheet's grid (python-calamine builds it dense, from
A1 to the last cell) no larger than what the sheet holds warrants (DENSITY cells a value, or
SPARSE_FLOOR), the workbook's sheets together likewise (rejected.xlsx reads every one).

A file that fails here is rejected with one problem and nothing else reads it. Problems of the
file are not tied to a sheet (a rejected.xlsx is made only of a workbook that could be read), so
their messages name the sheet themselves.

defusedxml is imported here, at start-up, on purpose: this module parses the workbook's index
parts (workbook.xml and the relationships) with it, and no parser may see input without it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from defusedxml import ElementTree as SafeElementTree

from seatbatch.core.config import Limits
from seatbatch.core.problems import Code, Problem, problem
from seatbatch.core.sheets import Unreadable
from seatbatch.intake.package import INDEX_PART, Package, PackageProblem, resolve
from seatbatch.intake.xmlscan import (
    Reach,
    SharedStrings,
    Worksheet,
    XmlPart,
    XmlProblem,
    column_letters,
    exact_reach,
    unreadable_cells,
    valued_cells,
)
from seatbatch.intake.zipdir import Member, ZipProblem, inflate, read_directory

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")
MB = 1024 * 1024
MAX_PARTS = 10_000  # a workbook saved by Excel has a few dozen
COLUMNS_AT_MAX_ROWS = 16  # a sheet may span (max_rows + 1) * this many cells
# python-calamine builds a sheet as one dense grid from A1 to its last used cell, about 55 bytes
# a cell through read_workbook (32 in Rust, the rest as Python lists), whatever the cells hold.
# A sheet's grid is therefore also bounded by what it holds: at most DENSITY cells of grid per
# cell with a value, or SPARSE_FLOOR cells (about 110 MB) whatever it holds; the workbook's
# sheets together (every one is read again for rejected.xlsx) at most SPARSE_FLOOR_WORKBOOK.
DENSITY = 8
SPARSE_FLOOR = 2_000_000
SPARSE_FLOOR_WORKBOOK = 4 * SPARSE_FLOOR
XML_SUFFIXES = (".xml", ".rels", ".vml")

__all__ = ["DENSITY", "MAX_PARTS", "SPARSE_FLOOR", "SPARSE_FLOOR_WORKBOOK", "Inspection",
           "SafeElementTree", "changed", "check_file", "inspect_file", "max_cells"]


@dataclass
class Inspection:
    """What the guard found: the one reason the file may not be read (None: it may), the
    cells of each sheet (by name) that the reader would take for empty though they are not,
    and the SHA-256 of the bytes it passed (a reader reads only those: `passed`)."""

    problem: Problem | None
    unreadable: dict[str, list[Unreadable]] = field(default_factory=dict)
    digest: str = ""

    def passed(self, data: bytes) -> bool:
        """Whether `data` are the bytes the guard passed (the file was not replaced since)."""
        return self.problem is None and hashlib.sha256(data).hexdigest() == self.digest


def max_cells(limits: Limits) -> int:
    """The most cells (rows x columns, empty ones included) a sheet may span."""
    return (limits.max_rows + 1) * COLUMNS_AT_MAX_ROWS


def _file_problem(code: Code, **params: object) -> Problem:
    return problem(code, "", None, None, None, **params)


def _corrupt(detail: str) -> Problem:
    return _file_problem(Code.CORRUPT_WORKBOOK, detail=detail)


def changed() -> Problem:
    """A workbook whose bytes changed while the run read it (another file renamed over it)."""
    return _corrupt("it changed while it was being read")


def check_file(path: Path, limits: Limits) -> Problem | None:
    """None when the file may be handed to the workbook reader; else the one reason it may not."""
    return inspect_file(path, limits).problem


def inspect_file(path: Path, limits: Limits, expected: str | None = None) -> Inspection:
    """check_file, and the cells it found that the reader reads as empty though they hold an
    error value or a formula without its result. `expected`: the SHA-256 the run took of the
    file (its manifest's `input_sha256`); bytes other than those are refused as changed."""
    found = _inspect(path, limits, expected)
    return found if isinstance(found, Inspection) else Inspection(found)


def _inspect(path: Path, limits: Limits, expected: str | None) -> Problem | Inspection:
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
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if expected is not None and digest != expected:
        return changed()
    guard = _Guard(memoryview(data), limits)
    rejected = guard.check()
    if rejected is not None:
        return rejected
    return Inspection(None, guard.unreadable, digest)


class _Passed(NamedTuple):
    """A sheet that passed the guard."""

    member: Member  # its part
    cells: int  # of its grid, from A1 (only a bound when not `exact`)
    exact: bool
    valued: int  # the cells that hold a value
    scan: Worksheet | None  # its scan, when the grid is bounded by it


class _Guard:
    def __init__(self, data: memoryview, limits: Limits) -> None:
        self.data = data
        self.limits = limits
        self.members: list[Member] = []
        self.package: Package | None = None
        self.unreadable: dict[str, list[Unreadable]] = {}
        self.max_row = limits.max_rows + 1  # the header row and max_rows rows of orders
        self.max_cells = max_cells(limits)
        self.passed: list[_Passed] = []  # every sheet that passed

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
        declared = sum(m.size for m in self.members)
        if declared > self.limits.max_unpacked_mb * MB:
            return _file_problem(Code.UNPACKED_TOO_LARGE, size_mb=f"{declared / MB:.0f}",
                                 limit_mb=self.limits.max_unpacked_mb)
        # The parts the reader will read, found as it finds them: a sheet is wherever the
        # workbook's relationships place it, whatever its name (SPEC §8).
        try:
            self.package = resolve([m.name for m in self.members], self._index_part)
        except PackageProblem as error:
            if error.kind == "no_workbook":
                return _file_problem(Code.NOT_A_WORKBOOK,
                                     detail=f"it is a ZIP file without a workbook ({error.detail})")
            return _corrupt(error.detail)
        sheets = self.package.sheet_names()
        odd = self._check_parts(set(sheets))
        self._find_unreadable(odd, sheets)
        return None

    def _check_parts(self, sheets: set[str]) -> list[Member]:
        """Every member scanned as what the reader takes it for and checked against the
        limits; the sheets holding cells the reader may take as empty."""
        strings: list[SharedStrings] = []
        odd: list[Member] = []
        sheet_bytes = 0
        for member in self.members:
            scanner = self._scan(member, sheets)
            if isinstance(scanner, SharedStrings):
                strings.append(scanner)
            elif isinstance(scanner, Worksheet):
                sheet_bytes += member.size
                self._check_sheet(member, scanner)
                if scanner.odd_cells:
                    odd.append(member)
        self._check_workbook()
        for table in strings:
            self._check_strings(table, sheet_bytes)
        return odd

    def _find_unreadable(self, odd: list[Member], sheets: dict[str, str]) -> None:
        """The cells of these sheets that calamine reads as empty (an error value, a formula
        without its result), kept by sheet name."""
        for member in odd:  # within the limits: walked exactly for what calamine takes as empty
            try:
                found = unreadable_cells(inflate(self.data, member), self.max_row, self.max_cells)
            except XmlProblem as error:
                raise _Rejected(self._xml_problem(member, error)) from None
            if found:
                self.unreadable.setdefault(sheets[member.name], found)

    def _index_part(self, name: str) -> bytes:
        """An index part (workbook.xml, a relationships part), for `package.resolve`: small,
        without declarations, well-formed."""
        member = next(m for m in self.members if m.name == name)
        if member.size > INDEX_PART:
            raise _Rejected(_corrupt(f"part {name} is {member.size // MB} MB; a workbook's "
                                     "index is a few KB"))
        scanner = XmlPart(name)
        chunks = []
        try:
            for chunk in inflate(self.data, member):
                scanner.feed(chunk)
                chunks.append(chunk)
            scanner.close()
        except XmlProblem as error:
            raise _Rejected(self._xml_problem(member, error)) from None
        data = b"".join(chunks)
        try:
            SafeElementTree.fromstring(data)
        except Exception as error:  # noqa: BLE001  expat's and defusedxml's errors share no base: not well-formed
            raise _Rejected(_corrupt(f"part {name} is not well-formed XML "
                                     f"({str(error)[:120] or type(error).__name__})")) from None
        return data

    def _scan(self, member: Member, sheets: set[str]) -> XmlPart | None:
        """Unpack the member, scanning it as what the reader takes it for (a sheet, the shared
        strings) whatever its name; its scanner when it is XML."""
        assert self.package is not None
        chunks = inflate(self.data, member)
        scanner: XmlPart | None = None
        lower = member.name.lower()
        for chunk in chunks:
            if scanner is None:
                if member.name in sheets:
                    scanner = Worksheet(member.name, self.max_row, self.max_cells)
                elif member.name == self.package.shared_strings:
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
        if error.kind == "too_many_error_cells":
            return _file_problem(Code.TOO_MANY_ERROR_CELLS, where=self._where(member),
                                 limit=p["count"])
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
        valued = sheet.valued
        if sheet.hidden_text:  # comments or CDATA may hold what looks like values: walk it
            try:
                valued = valued_cells(inflate(self.data, member))
            except XmlProblem as error:
                raise _Rejected(self._xml_problem(member, error)) from None
        reach = sheet.bound()
        if reach is not None:  # (and so is `tight`: the sheet is plain)
            tight = self._tight(member, sheet, valued, refine=self._fits(reach))
            if self._fits(reach) and not _sparse(tight, valued):
                self._count(member, tight, valued, exact=False, sheet=sheet)
                return
            # Plain, but near a limit, beyond it, or maybe sparse: look at every cell that may
            # hold a value.
            reach = sheet.scan_all_cells(inflate(self.data, member))
        if reach is None:  # odd: walk it as calamine does (stopping past the limits)
            try:
                reach = exact_reach(inflate(self.data, member), self.max_row, self.max_cells)
            except XmlProblem as error:
                raise _Rejected(self._xml_problem(member, error)) from None
        if reach is None:
            return
        if not self._fits(reach):
            if reach.last_row > self.max_row:
                raise _Rejected(_file_problem(Code.TOO_MANY_ROWS, where=self._where(member),
                                              rows=reach.last_row - 1,
                                              limit=self.limits.max_rows))
            raise _Rejected(_file_problem(
                Code.SHEET_TOO_LARGE, where=self._where(member), rows=reach.rows,
                columns=reach.columns, cells=reach.cells, limit=self.max_cells,
                first=_cell(reach.first_row, reach.first_column),
                last=_cell(reach.last_row, reach.last_column)))
        if _sparse(reach, valued):
            raise _Rejected(_file_problem(
                Code.SPARSE_SHEET, where=self._where(member),
                last=_cell(reach.last_row, reach.last_column), cells=_grid(reach),
                valued=valued, allowed=_allowed(valued, SPARSE_FLOOR)))
        self._count(member, reach, valued)

    def _tight(self, member: Member, sheet: Worksheet, valued: int, refine: bool) -> Reach:
        """The sheet's tight bound: made as tight as it can be (`Worksheet.refine`) when it
        would be too sparse and could be tighter, if `refine`."""
        tight = sheet.tight()
        assert tight is not None
        if refine and _sparse(tight, valued) and sheet.loose():
            sheet.refine(inflate(self.data, member))
            tight = sheet.tight()
            assert tight is not None
        return tight

    def _count(self, member: Member, reach: Reach, valued: int, exact: bool = True,
               sheet: Worksheet | None = None) -> None:
        self.passed.append(_Passed(member, _grid(reach), exact, valued, sheet))

    def _check_workbook(self) -> None:
        """Every sheet is read (rejected.xlsx copies them all): their grids together are
        bounded by what they hold too, so that many sheets cannot add up to hours."""
        valued = sum(sheet.valued for sheet in self.passed)
        allowed = _allowed(valued, SPARSE_FLOOR_WORKBOOK)
        if sum(sheet.cells for sheet in self.passed) <= allowed:
            return
        for at, passed in enumerate(self.passed):
            scan = passed.scan
            if scan is not None and scan.loose():  # each bound as tight as it can be
                scan.refine(inflate(self.data, passed.member))
                tight = self._tight(passed.member, scan, passed.valued, False)
                self.passed[at] = passed._replace(cells=_grid(tight))
        if sum(sheet.cells for sheet in self.passed) <= allowed:
            return
        grid = 0
        for passed in self.passed:  # the fast bounds were not enough
            cells = passed.cells
            if not passed.exact:
                reach = _exact_reach_of(self, passed.member)
                cells = _grid(reach) if reach is not None else 0
            grid += cells
        if grid > allowed:
            raise _Rejected(_file_problem(Code.SPARSE_WORKBOOK, sheets=len(self.passed),
                                          cells=grid, valued=valued, allowed=allowed))

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
        """How a problem names a sheet part: its sheet's name and the part."""
        name = self.package.sheet_names().get(member.name) if self.package else None
        return f"sheet '{name}' ({member.name})" if name is not None else \
            f"sheet part {member.name}"


class _Rejected(Exception):
    def __init__(self, rejection: Problem) -> None:
        super().__init__(rejection.message)
        self.problem = rejection


def _exact_reach_of(guard: _Guard, member: Member) -> Reach | None:
    """A plain sheet's reach, each cell looked at (the sheet passed the guard)."""
    reach = Worksheet(member.name, guard.max_row, guard.max_cells).scan_all_cells(
        inflate(guard.data, member))
    if reach is None:
        try:
            reach = exact_reach(inflate(guard.data, member), guard.max_row, guard.max_cells)
        except XmlProblem as error:
            raise _Rejected(guard._xml_problem(member, error)) from None
    return reach


def _grid(reach: Reach) -> int:
    """The cells of the grid the reader builds for a sheet of this reach: from A1 to its last
    row and column, empty ones included."""
    return reach.last_row * reach.last_column


def _allowed(valued: int, floor: int) -> int:
    return max(DENSITY * valued, floor)


def _sparse(reach: Reach, valued: int) -> bool:
    """Whether the reader would build far more cells for the sheet than it holds values."""
    return _grid(reach) > _allowed(valued, SPARSE_FLOOR)


def _looks_like_xml(chunk: bytes) -> bool:
    return chunk[:64].lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


def _strings(count: int) -> str:
    return f"{count} string{'' if count == 1 else 's'}"


def _cell(row: int, column: int) -> str:
    return f"{column_letters(column)}{row}"
