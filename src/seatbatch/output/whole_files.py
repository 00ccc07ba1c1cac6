"""A file written whole in as few system calls as can be: a run writes thousands."""

from __future__ import annotations

import os
from pathlib import Path


def write_whole(path: Path | str, data: bytes, *, folder: int | None = None) -> None:
    """`data` as the file at `path`, made or emptied first: what `Path.write_bytes` does,
    without the buffered file object around it (two system calls of five, a third of its
    time for an invoice's few kilobytes). The descriptor is not inherited (PEP 446).
    `folder`: a descriptor of the folder a relative `path` is in (`open_folder`), so that the
    system does not look up the folder's own path again for each of thousands of files."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666, dir_fd=folder)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view):]
    finally:
        os.close(descriptor)


def open_folder(folder: Path) -> int | None:
    """A descriptor of `folder` for `write_whole`'s files in it (to be closed with os.close),
    or None where files cannot be made relative to one (not on Linux, macOS and the BSDs)."""
    if os.open not in os.supports_dir_fd or not hasattr(os, "O_DIRECTORY"):
        return None
    return os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
