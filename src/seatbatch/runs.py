"""Run folders: built under a hidden staging name, renamed into place only when complete."""

from __future__ import annotations

import os
import re
import secrets
import shutil
from datetime import UTC, datetime
from pathlib import Path

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(text: str) -> str:
    """Text from outside made fit for a file name: never a path, never hidden, never empty."""
    cleaned = _UNSAFE.sub("_", text).strip("._") or "_"
    return cleaned[:64]


class RunFolder:
    def __init__(self, out: Path, command: str, partner_id: str | None = None):
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        parts = [stamp, command] + ([safe_name(partner_id)] if partner_id else [])
        self.name = "-".join([*parts, secrets.token_hex(3)])
        self.out = out.absolute()
        self.staging = self.out / f".{self.name}"
        self.final = self.out / self.name
        self.staging.mkdir(parents=True)

    def path(self, relative: str) -> Path:
        target = self.staging / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def publish(self) -> Path:
        """Make the run visible whole: its files on disk first, then one rename."""
        os.sync()  # one call instead of an fsync per file: a run can write thousands
        self.staging.rename(self.final)
        directory = os.open(self.out, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
        return self.final

    def discard(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)
