"""What a workbook's XML parts hold, found by scanning their bytes while they are unpacked, before
any parser sees them.

* Every XML part: UTF-8 (or an ASCII-compatible encoding) and no `<!DOCTYPE`, `<!ENTITY` or any
  other markup declaration: only `<!--` comments and `<![CDATA[` sections may start with `<!`.
* A worksheet: the rows and columns its cells reach. python-calamine makes a sheet's cells one
  dense grid from the first used cell to the last, so a single cell at XFD1048576 would cost it
  17 billion cells; the reach is bounded here instead. A `<dimension>` is only a claim (calamine
  ignores it) but one larger than any Excel sheet is refused as forged. The cells holding a value
  are counted too (`<v>`, `<is>`), so that the guard can weigh the reach against them.
* The shared-strings part: calamine reserves room for `uniqueCount` strings before reading one,
  so that claim must match the `<si>` elements really there.

The worksheet scan has two speeds. The fast one needs every `<c>` to begin with a plain
` r="..."` (as Excel, LibreOffice, openpyxl and xlsxwriter all write) and only looks at cell
references that are unusual (far right or far down), so it costs a few regular-expression passes
over the bytes. A sheet it cannot vouch for is read again exactly, the way calamine walks it, with
defusedxml's expat parser: slower, and only for sheets that are odd or near the limits."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, ParseError

from seatbatch.core.sheets import Unreadable

EXCEL_ROWS = 1_048_576
EXCEL_COLUMNS = 16_384
OVERLAP = 256  # bytes of one chunk seen again with the next, so no pattern is split
EDGE = 32  # a match this close to a chunk's end is judged with the next chunk
HEAD_LIMIT = 1 << 16  # the prolog and root tag must fit in this
PLAIN_ENCODINGS = {"utf-8", "utf8", "us-ascii", "ascii", "iso-8859-1", "latin1", "latin-1",
                   "windows-1252", "cp1252"}

DECLARATION = re.compile(rb"<!")
XML_DECL_ENCODING = re.compile(rb"""^<\?xml[^>]*?\sencoding\s*=\s*["']([^"']*)["']""")
ROOT_TAG = re.compile(rb"<([A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)([^>]*)>")
ATTRIBUTE = re.compile(rb"""([A-Za-z_][\w.\-:]*)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
DIMENSION = re.compile(rb"<(?:[\w.\-]+:)?dimension\b[^>]*>")
SHEET_DATA = re.compile(rb"<(?:[\w.\-]+:)?sheetData\b")
REF = re.compile(rb"([A-Za-z]*)([0-9]*)")
DIGITS_REF = re.compile(rb'[A-Oa-o]?[0-9]+"')  # what a decade's reference is, after r="
# A cell tag that does not start with a plain r="..." (its place would be implied).
PLAIN_CELL_MISSING = re.compile(rb'<c(?=[\s>/])(?! r=")')
PREFIXED_CELL = re.compile(rb":c(?=[\s>/])")
# A cell with a plain reference that may hold a value: its tag does not close itself.
CELL_REFERENCES = re.compile(rb'<c r="([A-Za-z]+)([0-9]+)"(?:[^>/]|/(?!>))*>')
LONG_CELL_TAG = re.compile(rb'<c r="[^>]{%d}' % (OVERLAP - 16))
LEADING_ZERO = re.compile(rb'<c r="[A-Za-z]+0')  # numerals compared by length need none
SECOND_R = re.compile(rb'<c r="[^">]*[^>]*?[\s"\']r\s*=')  # calamine takes a cell's last r
# An r attribute written some other way (a second one on a cell would win in calamine).
# An attribute starts after white space or, as quick-xml reads it, right after a quote.
BEFORE_ATTRIBUTE = frozenset(b" \t\r\n\"'")
ODD_R_ATTRIBUTE = re.compile(rb"r[\s=][\s'=]")  # r =, r= ", r='; kept if an attribute
# Cells the reader takes for empty though they are not: an error value (t="e", a formula's
# result or typed as such), or a formula saved without its result. A sheet with either is walked
# exactly to find them (see Unreadable).
ERROR_TYPE = re.compile(rb"""t\s*=\s*["']e["']""")
# A formula's end (or a formula element closed at once) followed by the cell's end, with at most
# an empty value between: a formula without its result. (A cell whose value comes first is
# walked for nothing; padding longer than this pattern allows is a cell read as empty again.)
FORMULA = re.compile(
    rb"(?:</(?:[\w.\-]+:)?f\s{0,16}>|<(?:[\w.\-]+:)?f\b[^<>]{0,160}/>)\s{0,32}"
    rb"(?:<(?:[\w.\-]+:)?v\s{0,16}/>|<(?:[\w.\-]+:)?v\s{0,16}>\s{0,32}</(?:[\w.\-]+:)?v\s{0,16}>)?"
    rb"\s{0,32}</(?:[\w.\-]+:)?c\s{0,16}>")
FORMULA_STARTS = (b"<f", b"/f", b":f")  # one of them is in every match of FORMULA
# Text that may hold tags that are not elements: where it is, a sheet's values are counted by
# walking it (see Worksheet.valued).
HIDDEN_TEXT = re.compile(rb"<!(?:--|\[CDATA\[)")
MAX_UNREADABLE = 10_000  # per sheet; a sheet with more is refused whole (too_many_error_cells)


@dataclass(frozen=True)
class Reach:
    """The last row and column (1-based) a sheet's cells reach, and where they start."""

    first_row: int
    last_row: int
    first_column: int
    last_column: int

    @property
    def rows(self) -> int:
        return self.last_row - self.first_row + 1

    @property
    def columns(self) -> int:
        return self.last_column - self.first_column + 1

    @property
    def cells(self) -> int:
        return self.rows * self.columns


class XmlProblem(Exception):
    def __init__(self, kind: str, **params: object) -> None:
        super().__init__(kind)
        self.kind = kind
        self.params = params


def _before(pattern: re.Pattern[bytes], window: bytes, limit: int) -> Iterator[re.Match[bytes]]:
    """The pattern's matches that start before `limit` (each seeing the whole window, so a
    lookahead is not cut short at the limit)."""
    for match in pattern.finditer(window):
        if match.start() >= limit:
            return
        yield match


def _first(pattern: re.Pattern[bytes], window: bytes, limit: int) -> re.Match[bytes] | None:
    match = pattern.search(window)
    return match if match and match.start() < limit else None


def _matters(window: bytes, match: re.Match[bytes]) -> bool:
    """Whether an r=" found is a reference to take in (an attribute r, see BEFORE_ATTRIBUTE)
    or one of a decade (any r=" followed by digits): not the r=" of the root's xmlns:r="."""
    at = match.start()
    return (at > 0 and window[at - 1] in BEFORE_ATTRIBUTE) \
        or DIGITS_REF.match(window, match.end()) is not None


def _extremes(values: list[bytes]) -> list[bytes]:
    """[smallest, largest] of numerals (or column letters, upper case) compared as numbers."""
    if not values:
        return []
    shortest, longest = len(min(values, key=len)), len(max(values, key=len))
    return [min(v for v in values if len(v) == shortest),
            max(v for v in values if len(v) == longest)]


def column_number(letters: bytes) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - 64
    return number


def column_letters(number: int) -> str:
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _ref(value: bytes, row_only: bool = False) -> tuple[int, int] | None:
    """(row, column) of a reference like B17 (or of a row number like 17, column 0, when
    `row_only`); None when it is neither."""
    match = REF.fullmatch(value)
    if not match or not match.group(2) or not (match.group(1) or row_only):
        return None
    return int(match.group(2)), column_number(match.group(1))


def _attributes(tag: bytes) -> dict[bytes, list[bytes]]:
    found: dict[bytes, list[bytes]] = {}
    for match in ATTRIBUTE.finditer(tag):
        value = match.group(2) if match.group(2) is not None else match.group(3)
        found.setdefault(match.group(1), []).append(value)
    return found


class XmlPart:
    """Feed an XML part's bytes in order; raises XmlProblem on what must not be read:
    "declaration" (found), "encoding" (detail), or whatever a subclass looks for."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.head = b""
        self.root: tuple[bytes, bytes, dict[bytes, list[bytes]]] | None = None  # prefix, name
        self.carry = b""

    def feed(self, chunk: bytes) -> None:
        if self.root is None:
            self.head += chunk
            self._read_head(final=False)
        window = self.carry + chunk
        self.scan(window, final=False)
        self.carry = window[-OVERLAP:]

    def close(self) -> None:
        if self.root is None:
            self._read_head(final=True)
        self.scan(self.carry, final=True)

    def _read_head(self, final: bool) -> None:
        head = self.head
        if head.startswith(b"\xef\xbb\xbf"):
            head = head[3:]
        if head[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in head[:4]:
            raise XmlProblem("encoding", detail="UTF-16 or UTF-32")
        declared = XML_DECL_ENCODING.match(head.lstrip())
        if declared and declared.group(1).strip().lower().decode("ascii", "replace") \
                not in PLAIN_ENCODINGS:
            raise XmlProblem("encoding", detail=declared.group(1).decode("ascii", "replace"))
        at = 0
        while True:  # past the declaration, processing instructions and comments
            at = head.find(b"<", at)
            if at < 0 or at + 1 >= len(head):
                break
            if head[at + 1:at + 2] in (b"?", b"!"):
                at += 2
                continue
            match = ROOT_TAG.match(head, at)
            if match:
                self.root = (match.group(1) or b"", match.group(2), _attributes(match.group(3)))
                self.head = b""
                self.on_root()
                return
            break
        if final or len(head) > HEAD_LIMIT:
            self.root = (b"", b"", {})  # no root element: the reader will fail on it
            self.head = b""

    def on_root(self) -> None:
        """Called once the root element's tag has been read."""

    def scan(self, window: bytes, final: bool) -> None:
        if b"!" not in window:  # (memchr) nothing to look at: a pass of the regex saved
            return
        limit = len(window) if final else len(window) - EDGE
        for match in _before(DECLARATION, window, limit):
            at = match.start()
            after = window[at + 2:at + 9]
            if after.startswith(b"--") or after == b"[CDATA[":
                continue
            raise XmlProblem("declaration", found=window[at:at + 9].decode("ascii", "replace"))


class SharedStrings(XmlPart):
    """The shared-strings part: how many strings it declares and how many it holds."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.unique_declared: int | None = None
        self.count_declared: int | None = None
        self.strings = 0
        self.tail = b""
        self.pattern = b"<si"

    def on_root(self) -> None:
        assert self.root is not None
        prefix, _, attributes = self.root
        self.pattern = b"<" + prefix + b"si"
        for key, target in ((b"uniqueCount", "unique_declared"), (b"count", "count_declared")):
            values = [v for k, vs in attributes.items() if k.split(b":")[-1] == key for v in vs]
            for value in values:
                text = value.strip().lstrip(b"+")
                if not text.isdigit():
                    raise XmlProblem("strings_count", declared=value.decode("ascii", "replace"),
                                     found="a number")
                setattr(self, target, max(int(text), getattr(self, target) or 0))

    def feed(self, chunk: bytes) -> None:
        super().feed(chunk)
        window = self.tail + chunk
        self.strings += window.count(self.pattern) - self.tail.count(self.pattern)
        self.tail = window[-8:]


class Worksheet(XmlPart):
    """A worksheet part: its cells' reach (fast scan; `exact` says whether it must be read
    again exactly) and its declared dimension."""

    def __init__(self, name: str, max_row: int, max_cells: int) -> None:
        super().__init__(name)
        self.max_row = max_row
        self.max_cells = max_cells
        self.plain = True  # every cell starts with a plain r="...", none is prefixed
        # A reference is usual when it is a row number or a cell in columns A to O, of fewer
        # than `digits` digits; all usual ones lie within 10**(digits-1) - 1 rows, 15 columns.
        digits = 1
        while (10 ** digits - 1) <= max_row and (10 ** digits - 1) * 15 <= max_cells:
            digits += 1
        self.usual_rows = 10 ** (digits - 1) - 1
        # The usual references of the two top decades (digits - 1 and digits - 2 digits), the
        # largest of each kept: a tighter bound on the rows, for weighing the sheet's reach
        # against the values it holds (below them, every usual reference lies within
        # 10**(digits-3) - 1 rows). The top one's is looked for while unpacked; the one below
        # only matters when the top one holds none, and is looked for then, when the bound
        # without it is too loose for the guard (`loose`, `refine`).
        self.decades = [(re.compile(rb'r="[A-Oa-o]?([0-9]{%d})"' % n), 10 ** (n - 1) - 1)
                        for n in (digits - 1, digits - 2) if n > 0]
        self.decade_rows = [0] * len(self.decades)
        self.refined = False  # the decade below the top one looked for (`refine`)
        self.unusual = re.compile(
            rb'r="(?![A-Oa-o]?[0-9]{1,%d}")' % (digits - 1) if digits > 1 else rb'r="')
        # What both of them look for, in one pass: a reference neither usual nor of the top
        # decade (`beyond`), or, until one is found, neither usual nor of the two top decades
        # (`narrow`). A sheet's rows below them (1 to 99,999, 1 to 9,999 by the default
        # limits) are scanned by that pass alone, up to the first window holding one (rows
        # mostly come in order). `wide`: a reference of the decade below the top one may be
        # there (none is when no window held one of `narrow`).
        below = digits - 2  # the digits of a usual reference below the top decade
        self.beyond = re.compile(rb'r="(?![A-Oa-o]?[0-9]{1,%d}")' % below) if below > 0 else None
        self.narrow = re.compile(rb'r="(?![A-Oa-o]?[0-9]{1,%d}")' % (below - 1)) \
            if below > 1 else None
        self.wide = self.narrow is None
        self.last_row = 0
        self.last_column = 0
        self.in_head = True
        self.dimension: bytes | None = None
        self.odd_cells = False  # an error value or a formula: walk it to find them
        # The cells that hold a value (a <v> or an inline <is>), counted while unpacked: tags
        # written otherwise are not counted, which only makes the sheet look sparser. Not to be
        # trusted when the sheet has comments or CDATA (`hidden_text`): walk it then.
        self.valued = 0
        self.value_tags = (b"<v>", b"<is>")
        self.value_tail = b""
        self.hidden_text = False

    def on_root(self) -> None:
        assert self.root is not None
        prefix = self.root[0]
        self.value_tags = (b"<" + prefix + b"v>", b"<" + prefix + b"is>")

    def feed(self, chunk: bytes) -> None:
        super().feed(chunk)
        tail = self.value_tail
        for tag, mark in zip(self.value_tags, b"vi", strict=True):
            # those in the chunk, and those split between the last chunk's tail and this one
            # (counted once: none is in the tail alone, nor overlaps another)
            if mark in chunk:  # (memchr) the v of <v>, the i of <is> (rare in a sheet)
                self.valued += chunk.count(tag)
            self.valued += (tail + chunk[:len(tag) - 1]).count(tag) - tail.count(tag)
        self.value_tail = (tail + chunk[-16:])[-16:]

    def scan(self, window: bytes, final: bool) -> None:
        super().scan(window, final)
        limit = max(len(window) if final else len(window) - EDGE, 0)
        if self.in_head:
            self._head(window, limit)
        if not self.hidden_text and b"!" in window and _first(HIDDEN_TEXT, window, limit):
            self.hidden_text = True
        # Every FORMULA match holds an "f" (its f element) and every ERROR_TYPE match an "e":
        # a window without that byte (memchr, not a regex tried at every "<" or "t") has none.
        # The f of a FORMULA follows a "<", "</" or a prefix's ":" (the first window's
        # defaultRowHeight and the last's footer hold an "f" too).
        if not self.odd_cells and (
                (b"f" in window and any(tag in window for tag in FORMULA_STARTS)
                 and _first(FORMULA, window, limit))
                or (b"e" in window
                    and any(m.start() and window[m.start() - 1] in BEFORE_ATTRIBUTE
                            for m in _before(ERROR_TYPE, window, limit)))):
            self.odd_cells = True
        if not self.plain:
            return
        if (_first(PLAIN_CELL_MISSING, window, limit) or _first(PREFIXED_CELL, window, limit)
                or any(window[m.start() - 1] in BEFORE_ATTRIBUTE
                       for m in _before(ODD_R_ATTRIBUTE, window, limit) if m.start())):
            self.plain = False
            return
        if self._nothing_further(window, limit):
            return
        for match in _before(self.unusual, window, limit):
            if match.start() and window[match.start() - 1] in BEFORE_ATTRIBUTE:
                self._reached(window, match.start() + 3)
        if self.decades:
            found = self.decades[0][0].findall(window)  # numerals of one length: as bytes
            if found:
                self.decade_rows[0] = max(self.decade_rows[0], int(max(found)))

    def _nothing_further(self, window: bytes, limit: int) -> bool:
        """Whether the window holds nothing the next two passes take in, told by one pass
        while no reference of the top decade has been found (`beyond`, `narrow`). One past the
        limit is seen in the next window (or this one, when final)."""
        if not self.decade_rows or self.decade_rows[0]:
            return False
        if not self.wide:
            assert self.narrow is not None
            if not any(_matters(window, m) for m in _before(self.narrow, window, limit)):
                return True
            self.wide = True
            return False
        return self.beyond is not None and not any(
            _matters(window, m) for m in _before(self.beyond, window, limit))

    def loose(self) -> bool:
        """Whether `tight` would be tighter were the decade below the top one looked for."""
        return len(self.decades) > 1 and self.wide and not self.decade_rows[0] \
            and not self.refined

    def refine(self, chunks: Iterable[bytes]) -> None:
        """Look for the largest usual reference of the decade below the top one (the sheet's
        bytes again, in the same windows as while unpacked), for `tight`."""
        decade = self.decades[1][0]
        carry = b""
        for chunk in chunks:
            window = carry + chunk
            found = decade.findall(window)
            if found:
                self.decade_rows[1] = max(self.decade_rows[1], int(max(found)))
            carry = window[-OVERLAP:]
        self.refined = True

    def _reached(self, window: bytes, at: int) -> None:
        """Take in the reference whose value starts at `at` (a row's number, or a cell's)."""
        end = window.find(b'"', at, at + 40)
        place = _ref(window[at:end], row_only=True) if end > 0 else None
        row, column = place if place else (10 ** 40, 10 ** 40)  # too long: beyond any limit
        self.last_row = max(self.last_row, row)
        self.last_column = max(self.last_column, column)

    def scan_all_cells(self, chunks: Iterable[bytes]) -> Reach | None:
        """The reach of the cells that may hold a value (all but self-closing ones), each looked
        at: for a sheet found plain whose fast bound was not enough. None when a cell tag is too
        long to be sure of (then the sheet must be walked exactly)."""
        rows: list[bytes] = []
        columns: list[bytes] = []
        carry = b""
        for chunk in chunks:
            window = carry + chunk
            if any(odd.search(window) for odd in (LONG_CELL_TAG, SECOND_R, LEADING_ZERO)):
                return None
            # Matches near the end are seen again in the next window: harmless for a min/max.
            for found in CELL_REFERENCES.findall(window):
                columns.append(found[0].upper())
                rows.append(found[1])
            rows, columns = _extremes(rows), _extremes(columns)
            carry = window[-OVERLAP:]
        if not rows:
            return Reach(1, 1, 1, 1)
        return Reach(int(rows[0]), int(rows[1]), column_number(columns[0]),
                     column_number(columns[1]))

    def _head(self, window: bytes, limit: int) -> None:
        data = _first(SHEET_DATA, window, limit)
        end = data.start() if data else limit
        for match in _before(DIMENSION, window, end):
            refs = _attributes(match.group()).get(b"ref")
            if refs:
                self.dimension = refs[-1]
        if data:
            self.in_head = False

    def bound(self) -> Reach | None:
        """The fast scan's bound on the sheet's reach; None when it cannot vouch for it."""
        if not self.plain:
            return None
        return Reach(1, max(self.usual_rows, self.last_row), 1, max(15, self.last_column))

    def tight(self) -> Reach | None:
        """A tighter bound than `bound`, for weighing the reach against the values held."""
        if not self.plain:
            return None
        rows = 0
        for (_, below), found in zip(self.decades, self.decade_rows, strict=True):
            rows = found or below
            if found:
                break
        if self.loose():  # without the decade below the top one: all the rows below the top
            rows = self.decades[0][1]
        return Reach(1, max(self.last_row, rows, 1), 1, max(15, self.last_column))

    def declared(self) -> tuple[str, int, int] | None:
        """The <dimension> (ref, rows, columns) when it is larger than an Excel sheet."""
        if self.dimension is None:
            return None
        text = self.dimension.decode("ascii", "replace")
        ends = [_ref(part.strip().replace(b"$", b"")) for part in self.dimension.split(b":")]
        if any(end is None for end in ends):
            return None  # calamine would refuse it
        rows = max(end[0] for end in ends if end)
        columns = max(end[1] for end in ends if end)
        if rows > EXCEL_ROWS or columns > EXCEL_COLUMNS:
            return text, rows, columns
        return None


class _Walker:
    """An expat target that walks the first sheetData as calamine does: a row's r sets the row,
    a row's end moves to the next; a cell's r sets its place, else it takes the next column.
    Only cells with a child element (a value) count, as empty ones never reach calamine's grid."""

    def __init__(self, max_row: int, max_cells: int, collect: bool = False) -> None:
        self.max_row = max_row
        self.max_cells = max_cells
        self.collect = collect  # gather the cells calamine reads as empty though they are not
        self.unreadable: list[Unreadable] = []
        self.cell_type = ""
        self.in_element = ""  # "v" or "f" while in one of a cell's, else ""
        self.value: list[str] = []
        self.formula: list[str] = []
        self.depth_in_data = 0
        self.done = False
        self.row = 0
        self.column = 0
        self.cell: tuple[int, int] | None = None
        self.cell_valued = False
        self.rows: list[int] = []  # first and last
        self.valued = 0  # the cells with a value (all of them, unless the walk stopped)
        self.columns: list[int] = []

    @staticmethod
    def _local(tag: str) -> str:
        return tag.rsplit("}", 1)[-1]

    def start(self, tag: str, attributes: dict[str, str]) -> None:
        if self.done:
            return
        local = self._local(tag)
        if not self.depth_in_data:
            if local == "sheetData":
                self.depth_in_data = 1
            return
        self.depth_in_data += 1
        if local == "row":
            r = attributes.get("r")
            if r is not None and r.isdigit():
                self.row = int(r) - 1
        elif local == "c" and self.cell is None:
            r = attributes.get("r")
            place = _ref(r.encode("ascii", "replace")) if r is not None else None
            if place:
                self.column = place[1] - 1
                self.cell = (place[0] - 1, place[1] - 1)
            else:
                self.cell = (self.row, self.column)
            self.cell_valued = False
            if self.collect:
                self.cell_type = attributes.get("t", "")
                self.value, self.formula = [], []
        elif self.cell is not None:
            self.cell_valued = True
            if self.collect:
                self.in_element = local if local in ("v", "f", "t") else ""

    def end(self, tag: str) -> None:
        if self.done or not self.depth_in_data:
            return
        self.depth_in_data -= 1
        local = self._local(tag)
        if local == "sheetData" and self.depth_in_data == 0:
            self.done = True
        elif local == "row":
            self.row += 1
            self.column = 0
        elif local in ("v", "f", "t"):
            self.in_element = ""
        elif local == "c" and self.cell is not None:
            if self.collect:
                self._gather()
            if self.cell_valued:
                self.valued += 1
                row, column = self.cell
                self.rows = [min(self.rows[0], row), max(self.rows[1], row)] if self.rows \
                    else [row, row]
                self.columns = [min(self.columns[0], column), max(self.columns[1], column)] \
                    if self.columns else [column, column]
                rows = self.rows[1] - self.rows[0] + 1
                columns = self.columns[1] - self.columns[0] + 1
                if self.rows[1] + 1 > self.max_row or rows * columns > self.max_cells:
                    self.done = True  # past a limit: no need to read on
            self.column += 1
            self.cell = None

    def data(self, text: str) -> None:
        if self.in_element in ("v", "t"):
            self.value.append(text)
        elif self.in_element == "f":
            self.formula.append(text)

    def _gather(self) -> None:
        assert self.cell is not None
        value = "".join(self.value)
        if len(self.unreadable) >= MAX_UNREADABLE:
            # any column, an ignored one too: a cell past the cap read as empty could be a
            # start date or a PO, so the sheet is not read at all
            raise XmlProblem("too_many_error_cells", count=MAX_UNREADABLE)
        row, column = self.cell[0] + 1, self.cell[1] + 1
        if self.cell_type == "e" and value:
            self.unreadable.append(Unreadable(row, column, "error", value.strip()))
        elif self.formula and not value:
            self.unreadable.append(Unreadable(row, column, "formula",
                                              "=" + "".join(self.formula).strip()))

    def close(self) -> None:
        pass


def _walk(walker: _Walker, chunks: Iterable[bytes]) -> None:
    """Feed a sheet's bytes to `walker` through expat until it is done. Raises XmlProblem
    "malformed" (detail) when expat cannot read the part."""
    parser = DefusedXMLParser(target=walker, forbid_dtd=True)
    try:
        for chunk in chunks:
            parser.feed(chunk)
            if walker.done:
                break
        else:
            parser.close()
    except (ParseError, DefusedXmlException) as error:
        raise XmlProblem("malformed", detail=str(error) or type(error).__name__) from None


def exact_reach(chunks: Iterable[bytes], max_row: int, max_cells: int) -> Reach | None:
    """The reach of a sheet's valued cells, walked as calamine walks them (None: no cells); the
    walk stops at the first cell past `max_row` or making the reach more than `max_cells`.
    Raises XmlProblem "malformed" (detail) when expat cannot read the part."""
    walker = _Walker(max_row, max_cells)
    _walk(walker, chunks)
    if not walker.rows:
        return None
    return Reach(walker.rows[0] + 1, walker.rows[1] + 1, walker.columns[0] + 1,
                 walker.columns[1] + 1)


def valued_cells(chunks: Iterable[bytes]) -> int:
    """The cells of a sheet that hold a value, walked as calamine walks them (for a sheet whose
    comments or CDATA may hide tags from the count of the scan). Raises XmlProblem
    "malformed"."""
    walker = _Walker(1 << 62, 1 << 62)
    _walk(walker, chunks)
    return walker.valued


def unreadable_cells(chunks: Iterable[bytes], max_row: int, max_cells: int) -> list[Unreadable]:
    """The cells of a sheet (one the guard passed) that calamine reads as empty though they hold
    an error value or a formula without its result, placed as calamine places them."""
    walker = _Walker(max_row, max_cells, collect=True)
    _walk(walker, chunks)
    return walker.unreadable
