"""Which parts of a workbook's package the reader will read, found the way it finds them.

The guard (`guard`) must bound every part python-calamine reads, and calamine does not find
them by folder: it follows the package's relationships. This module does the same, step by
step as calamine 0.37 does it (src/xlsx/mod.rs: `read_package_relationships`,
`read_relationships`, `read_workbook`, `xml_reader`; src/utils.rs: `build_zip_path_cache`):

* `_rels/.rels`: the last relationship whose Type ends in `/relationships/officeDocument`
  (Strict OOXML's purl.oclc.org type included) gives the workbook's folder: its Target up to
  the last `/`, a leading `/` dropped (the workbook itself is always `workbook.xml` there);
* in that folder: `workbook.xml`, `_rels/workbook.xml.rels`, `sharedStrings.xml` and
  `styles.xml`, by these fixed names (a sharedStrings relationship is not followed);
* every element named `sheet` (any prefix) in workbook.xml names its relationship by an
  attribute whose local name is `id`; that relationship's Target, taken as written (no
  entity, percent or `./`/`../` resolution), is the part: without its leading `/` when it has
  one, else appended to the workbook's folder;
* a part name is looked up with ASCII letters in lower case and the members' `\\` read as
  `/`, falling back to the exact name.

Where Excel would find another part than calamine, the partner would see one thing and be
billed another, so such a package is refused rather than read: a relationship Id given twice,
two workbooks named, a sharedStrings or styles relationship naming another part than the one
calamine reads by its fixed name, or a part reached by a path that Excel resolves and calamine
takes literally (`.` or `..` segments, an empty one, `%`, `&` or `\\` in it).

Only a relationship's Id, Type and Target are taken raw (calamine does not unescape them); a
sheet's name and the officeDocument Target are unescaped, as calamine does. The index parts
are small (INDEX_PART at most) and must be well-formed XML without a DTD (defusedxml parses
them once) before their tags are read here with calamine's attribute rules."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

OFFICE_DOCUMENT = "/relationships/officeDocument"
LITERAL_ONLY = re.compile(r"[%&\\]|(?:^|/)\.{0,2}(?:/|$)")  # what Excel would resolve first
INDEX_PART = 8 * 1024 * 1024  # workbook.xml and the relationships: a few KB when Excel saves

SKIP = re.compile(rb"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>", re.S)
TAG = re.compile(rb"""<([^\s/>!?]+)((?:[^>"'/]|/(?!>)|"[^"]*"|'[^']*')*)/?>""")
ATTRIBUTE = re.compile(rb"""([^\s=]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
REFERENCE = re.compile(r"&(#x[0-9A-Fa-f]+|#[0-9]+|lt|gt|amp|apos|quot);")
NAMED = {"lt": "<", "gt": ">", "amp": "&", "apos": "'", "quot": '"'}
ASCII_LOWER = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"abcdefghijklmnopqrstuvwxyz")


class PackageProblem(Exception):
    """The package cannot be vouched for: `kind` "no_workbook" or "corrupt" (detail)."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(detail or kind)
        self.kind = kind
        self.detail = detail


@dataclass
class Package:
    """The parts the reader will read, by member name (as in the ZIP directory)."""

    workbook: str
    index: list[str]  # workbook.xml and the two relationships parts
    sheets: list[tuple[str, str]] = field(default_factory=list)  # (sheet name, member)
    shared_strings: str | None = None
    styles: str | None = None

    def sheet_names(self) -> dict[str, str]:
        """Member -> the sheet's name."""
        return {member: name for name, member in self.sheets}


def ascii_lower(text: str) -> str:
    """Lower case of the ASCII letters only (Rust's to_ascii_lowercase)."""
    return text.encode("utf-8", "surrogatepass").translate(ASCII_LOWER).decode(
        "utf-8", "surrogatepass")


def folded_names(names: list[str]) -> dict[str, str]:
    """Lookup key -> member name, as calamine builds it; two members with one key are refused
    (which of them the reader would take depends on their order)."""
    folded: dict[str, str] = {}
    for name in names:
        key = ascii_lower(name.replace("\\", "/"))
        if key in folded:
            raise PackageProblem("corrupt", f"the ZIP container holds parts {folded[key]} and "
                                 f"{name}, whose names differ only in case or slashes")
        folded[key] = name
    return folded


def _unescape(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        ref = match.group(1)
        if ref.startswith("#x"):
            return chr(int(ref[2:], 16))
        if ref.startswith("#"):
            return chr(int(ref[1:]))
        return NAMED[ref]

    return REFERENCE.sub(one, text)


def _text(raw: bytes, what: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise PackageProblem("corrupt", f"{what} is not UTF-8") from None


def tags(document: bytes, local: bytes) -> list[list[tuple[bytes, bytes]]]:
    """The raw attributes (key, value), in order, of every start tag whose local name is
    `local`, outside comments, CDATA and processing instructions."""
    found = []
    for match in TAG.finditer(SKIP.sub(b"", document)):
        if match.group(1).rsplit(b":", 1)[-1] != local:
            continue
        found.append([(m.group(1), m.group(2) if m.group(2) is not None else m.group(3))
                      for m in ATTRIBUTE.finditer(match.group(2))])
    return found


def _plain(path: str, what: str) -> None:
    """Refuses a part's path that Excel would resolve (dot segments, percent-encoding, an
    entity) and calamine takes literally: they could find two different parts."""
    if LITERAL_ONLY.search(path):
        raise PackageProblem("corrupt", f"{what} is part {path}, a name that Excel and this "
                             "reader would resolve differently")


Lookup = Callable[[str], str | None]  # a part's path -> its member, as calamine finds it


def resolve(names: list[str], read: Callable[[str], bytes]) -> Package:
    """The package's parts as calamine finds them. `read(member)` returns an index part's bytes
    (checked: small, well-formed, no DTD). Raises PackageProblem."""
    folded = folded_names(names)
    present = set(names)

    def lookup(path: str) -> str | None:
        name = folded.get(ascii_lower(path), path)
        return name if name in present else None

    package_rels = lookup("_rels/.rels")
    if package_rels is None:
        raise PackageProblem("no_workbook", "it has no _rels/.rels naming a workbook")
    folder = _workbook_folder(package_rels, read)
    _plain(folder + "workbook.xml", "the workbook")
    workbook = lookup(f"{folder}workbook.xml")
    if workbook is None:
        raise PackageProblem("no_workbook", f"it has no {folder}workbook.xml")
    rels_name = f"{folder}_rels/workbook.xml.rels"
    workbook_rels = lookup(rels_name)
    if workbook_rels is None:
        raise PackageProblem("corrupt", f"the workbook's relationships ({rels_name}) are "
                             "missing")
    relationships, by_type = _workbook_relationships(workbook_rels, read)
    package = Package(workbook, [package_rels, workbook, workbook_rels],
                      shared_strings=lookup(f"{folder}sharedStrings.xml"),
                      styles=lookup(f"{folder}styles.xml"))
    _check_fixed_names(package, by_type, folder, lookup)
    package.sheets.extend(_sheets(workbook, read, relationships, workbook_rels=workbook_rels,
                                  folder=folder, lookup=lookup))
    _check_one_role_each(package)
    return package


def _workbook_folder(package_rels: str, read: Callable[[str], bytes]) -> str:
    """The folder of the one workbook that _rels/.rels names."""
    documents = []
    for attributes in tags(read(package_rels), b"Relationship"):
        values = dict(attributes)
        if values.get(b"Type", b"").endswith(OFFICE_DOCUMENT.encode()) and b"Target" in values:
            documents.append(_unescape(_text(values[b"Target"], f"a target in {package_rels}")))
    if not documents:
        raise PackageProblem("no_workbook", f"its {package_rels} names no workbook")
    if len(documents) > 1:  # calamine takes the last, Excel may take another
        raise PackageProblem("corrupt", f"its {package_rels} names {len(documents)} workbooks")
    target = documents[0]
    return target[:target.rfind("/") + 1].removeprefix("/") if "/" in target else ""


def _workbook_relationships(workbook_rels: str, read: Callable[[str], bytes],
                            ) -> tuple[dict[bytes, str], dict[str, list[str]]]:
    """The workbook's relationships: Id -> target, and the targets of the sharedStrings and
    styles types."""
    relationships: dict[bytes, str] = {}
    by_type: dict[str, list[str]] = {"sharedStrings": [], "styles": []}
    for attributes in tags(read(workbook_rels), b"Relationship"):
        values = dict(attributes)
        target = _text(values.get(b"Target", b""), f"a target in {workbook_rels}")
        if b"Id" in values:
            if values[b"Id"] in relationships:  # calamine takes the last, Excel may not
                raise PackageProblem("corrupt", f"{workbook_rels} gives relationship Id "
                                     f"{values[b'Id'].decode('utf-8', 'replace')!r} twice")
            relationships[values[b"Id"]] = target
        kind = values.get(b"Type", b"").decode("utf-8", "replace").rsplit("/", 1)[-1]
        if kind in by_type:
            by_type[kind].append(target)
    return relationships, by_type


def _check_fixed_names(package: Package, by_type: dict[str, list[str]], folder: str,
                       lookup: Lookup) -> None:
    """calamine reads the shared strings and styles by their fixed names; Excel follows the
    relationships: both must find the same part."""
    for kind, read_part in (("sharedStrings", package.shared_strings),
                            ("styles", package.styles)):
        paths = [t[1:] if t.startswith("/") else folder + t for t in by_type[kind]]
        named = [lookup(path) for path in paths]
        if named != ([read_part] if read_part is not None else []) or any(
                LITERAL_ONLY.search(path) for path in paths):
            raise PackageProblem("corrupt", f"the workbook's {kind} part is "
                                 f"{read_part or 'missing'} but its relationships name "
                                 f"{', '.join(by_type[kind]) or 'none'}")


def _sheets(workbook: str, read: Callable[[str], bytes], relationships: dict[bytes, str], *,
            workbook_rels: str, folder: str, lookup: Lookup) -> list[tuple[str, str]]:
    """(sheet name, member) of each sheet workbook.xml lists, in its order."""
    sheets = []
    for attributes in tags(read(workbook), b"sheet"):
        name, rel_id = "", b""
        for key, value in attributes:
            if key == b"name":
                name = _unescape(_text(value, f"a sheet name in {workbook}"))
            elif key.rsplit(b":", 1)[-1] == b"id" and (b":" in key or key == b"id"):
                rel_id = value
        if rel_id not in relationships:
            raise PackageProblem("corrupt", f"sheet '{name}' names relationship "
                                 f"{rel_id.decode('utf-8', 'replace')!r}, which "
                                 f"{workbook_rels} does not hold")
        sheet_target = relationships[rel_id]
        path = sheet_target[1:] if sheet_target.startswith("/") else folder + sheet_target
        _plain(path, f"sheet '{name}'")
        member = lookup(path)
        if member is None:
            raise PackageProblem("corrupt", f"sheet '{name}' is to be part {path}, which the "
                                 "file does not hold")
        sheets.append((name, member))
    return sheets


def _check_one_role_each(package: Package) -> None:
    """No part is read as two things (a sheet and the styles, two sheets...)."""
    roles: dict[str, str] = {}
    for role, member in [*((f"sheet '{n}'", m) for n, m in package.sheets),
                         *(("the shared strings", package.shared_strings),
                           ("the styles", package.styles)),
                         *((f"the workbook's index ({m})", m) for m in package.index)]:
        if member is None:
            continue
        if member in roles:
            raise PackageProblem("corrupt", f"part {member} is read both as {roles[member]} "
                                 f"and as {role}")
        roles[member] = role
