"""Where the shipped schemas/ and templates/ are: inside the installed package (a wheel carries
them as seatbatch/schemas and seatbatch/templates), else at the top of a source checkout."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent  # seatbatch/, above core/


@cache
def resource_dir(name: str) -> Path:
    for candidate in (_PACKAGE / name, _PACKAGE.parent.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"seatbatch is installed without its {name}/ folder")
