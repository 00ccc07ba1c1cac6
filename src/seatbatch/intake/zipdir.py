"""The ZIP container of a workbook, read by hand before any library opens it.

The directory is parsed here, not by `zipfile`, so that the number of members is capped before
any of them is read (a directory of a million entries is never turned into objects), and so that
what the members claim can be checked against each other and against the file: every member's
local header is where the directory says, carries the same name, and no two members share bytes
(the "overlapping entries" of non-recursive ZIP bombs). `inflate` then unpacks a member in chunks,
counting what it really produces rather than trusting the sizes the headers declare."""

from __future__ import annotations

import itertools
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

EOCD = struct.Struct("<4sHHHHIIH")  # end of central directory
EOCD_SIG = b"PK\x05\x06"
ZIP64_LOCATOR = struct.Struct("<4sIQI")
ZIP64_LOCATOR_SIG = b"PK\x06\x07"
ZIP64_EOCD = struct.Struct("<4sQHHIIQQQQ")
ZIP64_EOCD_SIG = b"PK\x06\x06"
CENTRAL = struct.Struct("<4sBBBBHHHHIIIHHHHHII")
CENTRAL_SIG = b"PK\x01\x02"
LOCAL = struct.Struct("<4sBBHHHHIIIHH")
LOCAL_SIG = b"PK\x03\x04"
ZIP64_EXTRA = 0x0001
UNICODE_PATH_EXTRA = 0x7075  # Info-ZIP's second name for an entry, which some readers prefer
STORED, DEFLATED = 0, 8
# a 16- or 32-bit field holding all ones says "the real value is in the Zip64 record"
ZIP64_MARK_16 = 0xFFFF
ZIP64_MARK_32 = 0xFFFFFFFF
FLAG_ENCRYPTED, FLAG_UTF8 = 0x1, 0x800
IN_CHUNK = 1 << 16  # compressed bytes handed to zlib at a time
OUT_CHUNK = 1 << 18  # the most zlib may produce per call


class ZipProblem(Exception):
    """The container is damaged (`kind` "corrupt"), or hostile in a way with its own code."""

    def __init__(self, kind: str, detail: str = "", **params: object) -> None:
        super().__init__(detail or kind)
        self.kind = kind
        self.detail = detail
        self.params = params


def corrupt(detail: str) -> ZipProblem:
    return ZipProblem("corrupt", detail)


@dataclass(frozen=True)
class Member:
    name: str
    method: int
    flags: int
    compressed: int  # bytes, as the directory declares
    size: int  # unpacked bytes, as the directory declares
    header_offset: int
    data_offset: int = 0  # where its compressed bytes start, from its local header

    @property
    def data_end(self) -> int:
        return self.data_offset + self.compressed


def _end_record(data: memoryview, max_members: int) -> tuple[int, int, int]:
    """(entries, directory offset, where the directory ends)."""
    size = len(data)
    tail_start = max(0, size - (EOCD.size + 0xFFFF))
    at = bytes(data[tail_start:]).rfind(EOCD_SIG)
    if at < 0 or tail_start + at + EOCD.size > size:
        raise corrupt("the ZIP container has no end record (the file is truncated)")
    at += tail_start
    _, disk, disk_cd, _, entries, cd_size, cd_offset, _ = EOCD.unpack_from(data, at)
    end = at
    if entries == ZIP64_MARK_16 or ZIP64_MARK_32 in (cd_size, cd_offset):
        locator = at - ZIP64_LOCATOR.size
        if locator < 0 or bytes(data[locator:locator + 4]) != ZIP64_LOCATOR_SIG:
            if entries == ZIP64_MARK_16 and entries > max_members:
                raise ZipProblem("too_many_members", count=f"at least {entries}",
                                 limit=max_members)
            raise corrupt("the ZIP container's Zip64 end record is missing")
        _, _, record, _ = ZIP64_LOCATOR.unpack_from(data, locator)
        if record + ZIP64_EOCD.size > locator or bytes(data[record:record + 4]) != ZIP64_EOCD_SIG:
            raise corrupt("the ZIP container's Zip64 end record is damaged")
        (_, _, _, _, disk, disk_cd, _, entries, cd_size,
         cd_offset) = ZIP64_EOCD.unpack_from(data, record)
        end = record
    if entries > max_members:
        raise ZipProblem("too_many_members", count=entries, limit=max_members)
    if disk or disk_cd:
        raise corrupt("the ZIP container spans several disks")
    if cd_offset + cd_size != end:
        raise corrupt("the ZIP container's directory is not where its end record says")
    return entries, cd_offset, end


def _zip64_sizes(extra: bytes, size: int, compressed: int, offset: int) -> tuple[int, int, int]:
    at = 0
    while at + 4 <= len(extra):
        tag, length = struct.unpack_from("<HH", extra, at)
        body = extra[at + 4:at + 4 + length]
        at += 4 + length
        if tag != ZIP64_EXTRA:
            continue
        values = [v[0] for v in struct.iter_unpack("<Q", body[:len(body) // 8 * 8])]
        wanted = [value == ZIP64_MARK_32 for value in (size, compressed, offset)]
        if sum(wanted) > len(values):
            raise corrupt("a ZIP entry's Zip64 sizes are missing")
        it = iter(values)
        size = next(it) if wanted[0] else size
        compressed = next(it) if wanted[1] else compressed
        offset = next(it) if wanted[2] else offset
        return size, compressed, offset
    if ZIP64_MARK_32 in (size, compressed, offset):
        raise corrupt("a ZIP entry's Zip64 sizes are missing")
    return size, compressed, offset


def _extra_tags(extra: bytes) -> list[int]:
    tags = []
    at = 0
    while at + 4 <= len(extra):
        tag, length = struct.unpack_from("<HH", extra, at)
        tags.append(tag)
        at += 4 + length
    return tags


def read_directory(data: memoryview, max_members: int) -> list[Member]:
    """Every member of the container, each checked against its local header, in the order of
    their bytes in the file. Raises ZipProblem: "too_many_members" (count, limit), "overlap"
    (first, second), "duplicate" (name) or "corrupt"."""
    entries, cd_offset, cd_end = _end_record(data, max_members)
    members: list[Member] = []
    raw_names: list[bytes] = []
    at = cd_offset
    while at < cd_end:
        if at + CENTRAL.size > cd_end or bytes(data[at:at + 4]) != CENTRAL_SIG:
            raise corrupt("the ZIP directory is damaged")
        (_, _, _, _, _, flags, method, _, _, _, compressed, size, name_len, extra_len,
         comment_len, _, _, _, offset) = CENTRAL.unpack_from(data, at)
        name_at = at + CENTRAL.size
        at = name_at + name_len + extra_len + comment_len
        if at > cd_end:
            raise corrupt("the ZIP directory is damaged")
        if len(members) == max_members:  # the end record said fewer: it lies
            raise ZipProblem("too_many_members", count=f"more than {max_members}",
                             limit=max_members)
        raw_name = bytes(data[name_at:name_at + name_len])
        name = raw_name.decode("utf-8" if flags & FLAG_UTF8 else "cp437", errors="replace")
        extra = bytes(data[name_at + name_len:name_at + name_len + extra_len])
        if UNICODE_PATH_EXTRA in _extra_tags(extra):
            # The reader may name the part by it and the guard by the other: never written by
            # Excel, refused rather than guessed at.
            raise corrupt(f"part {name} carries a second name (a Unicode path field)")
        size, compressed, offset = _zip64_sizes(extra, size, compressed, offset)
        members.append(_located(data, Member(name, method, flags, compressed, size, offset),
                                cd_offset))
        raw_names.append(raw_name)
    if len(members) != entries:
        raise corrupt(f"the ZIP directory lists {entries} parts but holds {len(members)}")
    ordered = sorted(members, key=lambda m: m.header_offset)
    for before, after in itertools.pairwise(ordered):
        if after.header_offset < before.data_end:
            raise ZipProblem("overlap", first=before.name, second=after.name)
    names: set[str] = set()
    for member, raw_name in zip(members, raw_names, strict=True):
        if member.name in names:
            raise ZipProblem("duplicate", name=member.name)
        names.add(member.name)
        at = member.header_offset + LOCAL.size
        if bytes(data[at:at + len(raw_name)]) != raw_name:
            raise corrupt(f"part {member.name} has another name in its own header")
    return ordered


def _located(data: memoryview, member: Member, cd_offset: int) -> Member:
    """The member with where its data starts, from its local header (checked)."""
    at = member.header_offset
    if at + LOCAL.size > cd_offset or bytes(data[at:at + 4]) != LOCAL_SIG:
        raise corrupt(f"part {member.name} is not where the ZIP directory says")
    (_, _, _, _, _, _, _, _, _, _, name_len, extra_len) = LOCAL.unpack_from(data, at)
    start = at + LOCAL.size
    located = Member(member.name, member.method, member.flags, member.compressed, member.size,
                     at, start + name_len + extra_len)
    if located.data_end > cd_offset:
        raise corrupt(f"part {member.name} runs past the end of the data")
    if member.flags & FLAG_ENCRYPTED:
        raise corrupt(f"part {member.name} is encrypted")
    if member.method not in (STORED, DEFLATED):
        raise corrupt(f"part {member.name} uses an unsupported compression ({member.method})")
    return located


def inflate(data: memoryview, member: Member) -> Iterator[bytes]:
    """The member's bytes, unpacked a chunk at a time. Never produces more than the member
    declares: one byte more raises ZipProblem "bomb"; fewer, or a damaged stream, "corrupt"."""
    compressed = data[member.data_offset:member.data_end]
    if member.method == STORED:
        yield from _unstored(compressed, member)
    else:
        yield from _inflated(compressed, member)


def _unstored(compressed: memoryview, member: Member) -> Iterator[bytes]:
    """A stored member's bytes, as they are."""
    if member.compressed > member.size:
        raise ZipProblem("bomb", part=member.name, declared=member.size)
    if member.compressed < member.size:
        raise corrupt(f"part {member.name} is shorter than declared")
    for start in range(0, len(compressed), OUT_CHUNK):
        yield bytes(compressed[start:start + OUT_CHUNK])


def _inflated(compressed: memoryview, member: Member) -> Iterator[bytes]:
    """A deflated member's bytes, unpacked; never more than it declares, plus one."""
    produced = 0
    stream = zlib.decompressobj(-zlib.MAX_WBITS)
    allowed = member.size + 1
    try:
        for start in range(0, len(compressed), IN_CHUNK):
            pending: bytes | memoryview = compressed[start:start + IN_CHUNK]
            while pending and not stream.eof:
                out = stream.decompress(pending, min(OUT_CHUNK, allowed - produced))
                pending = stream.unconsumed_tail
                produced += len(out)
                if produced > member.size:
                    raise ZipProblem("bomb", part=member.name, declared=member.size)
                if out:
                    yield out
            if stream.eof:
                break
    except zlib.error as error:
        raise corrupt(f"part {member.name} does not unpack: {error}") from None
    if not stream.eof:
        raise corrupt(f"part {member.name} is cut short")
    if produced != member.size:
        raise corrupt(f"part {member.name} is shorter than declared")
