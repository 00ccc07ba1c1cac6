"""Guards that run before any parser sees the file: size, kind of file, the ZIP's own claims.

A file that fails here is rejected with one problem; nothing else reads it."""

from __future__ import annotations

import zipfile
from pathlib import Path

from seatbatch.config import Limits
from seatbatch.problems import Code, Problem, problem

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")
MB = 1024 * 1024


def _file_problem(code: Code, **params: object) -> Problem:
    return problem(code, "", None, None, None, **params)


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
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        return _file_problem(Code.CORRUPT_WORKBOOK, detail=f"the ZIP container: {error}")
    names = {m.filename for m in members}
    if "xl/workbook.bin" in names:
        return _file_problem(
            Code.NOT_A_WORKBOOK, detail="it is a binary workbook (.xlsb), not .xlsx"
        )
    if "xl/workbook.xml" not in names:
        return _file_problem(Code.NOT_A_WORKBOOK, detail="it is a ZIP file without a workbook")
    unpacked = sum(m.file_size for m in members)
    if unpacked > limits.max_unpacked_mb * MB:
        return _file_problem(
            Code.FILE_TOO_LARGE,
            size_mb=f"{unpacked / MB:.0f} (unpacked)",
            limit_mb=limits.max_unpacked_mb,
        )
    return None
