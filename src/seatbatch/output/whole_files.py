"""A file written whole in as few system calls as can be: a run writes thousands."""

from __future__ import annotations

import os
from pathlib import Path


def write_whole(path: Path, data: bytes) -> None:
    """`data` as the file at `path`, made or emptied first: what `Path.write_bytes` does,
    without the buffered file object around it (two system calls of five, a third of its
    time for an invoice's few kilobytes). The descriptor is not inherited (PEP 446)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view):]
    finally:
        os.close(descriptor)
