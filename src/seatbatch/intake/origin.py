"""Which partner a workbook was made for (SPEC §2): `template --partner P` writes P's id as a
custom document property (`seatbatch.output.template.stamp`), which Excel and LibreOffice keep
when the partner saves the file; a workbook that carries one is accepted only for that partner.

It is read from the package after the guard has passed it (`guard.inspect_file`): the part is
found through the package's relationships, as Office finds it, and parsed with defusedxml only
when small."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

from defusedxml import ElementTree as SafeElementTree

from seatbatch.core.sheets import PARTNER_PROPERTY
from seatbatch.intake.guard import MAX_PARTS
from seatbatch.intake.zipdir import Member, ZipProblem, inflate, read_directory

CUSTOM_PROPERTIES = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties",
    "http://purl.oclc.org/ooxml/officeDocument/relationships/customProperties",
)
DEFAULT_PART = "docProps/custom.xml"
SMALL_PART = 1 << 16


def made_for(path: Path) -> str | None:
    """The partner id the workbook carries; None when it carries none (or it cannot be read:
    the reader reports a damaged file on its own). The package is read with the guard's own
    ZIP reader, which has already passed it."""
    try:
        data = memoryview(path.read_bytes())
        members = {m.name: m for m in read_directory(data, MAX_PARTS)}
        part = _custom_part(data, members)
        properties = _small_xml(data, members.get(part)) if part else None
    except (OSError, ZipProblem, SafeElementTree.ParseError, ValueError):
        return None
    if properties is None:
        return None
    for item in properties:
        if _local(item.tag) == "property" and item.get("name", "").strip() == PARTNER_PROPERTY:
            return "".join(item.itertext()).strip() or None
    return None


def _custom_part(data: memoryview, members: dict[str, Member]) -> str | None:
    relationships = _small_xml(data, members.get("_rels/.rels"))
    for relationship in relationships if relationships is not None else ():
        if relationship.get("Type") in CUSTOM_PROPERTIES:
            return str(PurePosixPath(relationship.get("Target", "").lstrip("/")))
    return DEFAULT_PART


def _small_xml(data: memoryview, member: Member | None) -> Any:
    if member is None or member.size > SMALL_PART:
        return None
    return SafeElementTree.fromstring(b"".join(inflate(data, member)))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
