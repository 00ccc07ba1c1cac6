"""The project's own documentation, generated: `docs/*.md` from schemas/ (the workbook's columns,
the manifest's JSON Schema), the configuration's records, the Click commands and the sample
files, so that what it says cannot drift from what seatbatch does.

`python -m seatbatch.docs [DIR]` (`make docs`) writes them; tests/test_docs.py fails when docs/
differs from what this writes now. Nothing a command runs imports this package."""

from __future__ import annotations

import importlib

# file name -> the module of this package whose document() writes it
WRITERS = {
    "workbook.md": "workbook",
    "configuration.md": "configuration",
    "outputs.md": "outputs",
    "commands.md": "commands",
}

REGENERATE = "make docs"  # or: .venv/bin/python -m seatbatch.docs docs


def generate() -> dict[str, str]:
    """Every document, by file name, as the generator writes it now."""
    return {name: str(importlib.import_module(f"seatbatch.docs.{module}").document())
            for name, module in WRITERS.items()}
