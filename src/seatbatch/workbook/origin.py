"""Which partner a workbook was made for (SPEC §2): `template --partner P` writes P's id as a
custom document property, which Excel and LibreOffice keep when the partner saves the file; a
workbook that carries one is accepted only for that partner.

It is read from the package after the guard has passed it (`safety.inspect_file`): the part is
found through the package's relationships, as Office finds it, and parsed with defusedxml only
when small."""

from __future__ import annotations

import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

from defusedxml import ElementTree as SafeElementTree

PROPERTY = "seatbatch partner"
CUSTOM_PROPERTIES = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties",
    "http://purl.oclc.org/ooxml/officeDocument/relationships/customProperties",
)
DEFAULT_PART = "docProps/custom.xml"
SMALL_PART = 1 << 16


def stamp(book: Any, partner_id: str) -> None:
    """Mark an openpyxl workbook as made for the partner."""
    from openpyxl.packaging.custom import StringProperty

    book.custom_doc_props.append(StringProperty(name=PROPERTY, value=partner_id))


def made_for(path: Path) -> str | None:
    """The partner id the workbook carries; None when it carries none (or it cannot be read:
    the reader reports a damaged file on its own)."""
    try:
        with zipfile.ZipFile(path) as package:
            part = _custom_part(package)
            if part is None:
                return None
            properties = _small_xml(package, part)
    except (OSError, zipfile.BadZipFile, SafeElementTree.ParseError, ValueError):
        return None
    if properties is None:
        return None
    for item in properties:
        if _local(item.tag) == "property" and item.get("name", "").strip() == PROPERTY:
            return "".join(item.itertext()).strip() or None
    return None


def _custom_part(package: zipfile.ZipFile) -> str | None:
    names = set(package.namelist())
    relationships = _small_xml(package, "_rels/.rels") if "_rels/.rels" in names else None
    for relationship in relationships if relationships is not None else ():
        if relationship.get("Type") in CUSTOM_PROPERTIES:
            target = str(PurePosixPath(relationship.get("Target", "").lstrip("/")))
            return target if target in names else None
    return DEFAULT_PART if DEFAULT_PART in names else None


def _small_xml(package: zipfile.ZipFile, name: str) -> Any:
    if package.getinfo(name).file_size > SMALL_PART:
        return None
    return SafeElementTree.fromstring(package.read(name))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
