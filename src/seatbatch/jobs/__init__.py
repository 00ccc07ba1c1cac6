"""The orchestrators: one short function per command, reading like SPEC.md.

What every command shares (`seatbatch.jobs.base`) is imported with the package; each command's
module only when its function is first used, so that a command loads only what it uses
(pandas and pandera to validate a workbook, openpyxl to write one, SQLAlchemy to open a
ledger, jinja2 to render HTML). `template` is not among these names: its module has the same
name, and a lazy name would be the module once the module was imported."""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from seatbatch.jobs.base import (
    EXIT_BUSY,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_REJECTED,
    EXIT_USAGE,
    Failure,
    InternalError,
    Interrupted,
    NoSpace,
    Outcome,
    Settings,
    UsageError,
    failure,
    no_space,
    summary,
    unforeseen,
    where_full,
)

if TYPE_CHECKING:
    from seatbatch.jobs.credit import credit
    from seatbatch.jobs.process import process
    from seatbatch.jobs.quote import quote
    from seatbatch.jobs.render import render_invoice
    from seatbatch.jobs.renew import renew
    from seatbatch.jobs.report import month_report

_COMMANDS = {
    "credit": "credit",
    "month_report": "report", "renew": "renew", "process": "process", "quote": "quote",
    "render_invoice": "render",
}

__all__ = [
    "EXIT_BUSY", "EXIT_INTERNAL", "EXIT_OK", "EXIT_REJECTED", "EXIT_USAGE", "Failure",
    "InternalError", "Interrupted", "NoSpace", "Outcome", "Settings", "UsageError", "credit",
    "failure",
    "month_report", "no_space", "process", "quote", "render_invoice", "renew",
    "summary", "unforeseen", "where_full",
]


def __getattr__(name: str) -> Any:
    module = _COMMANDS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = globals()[name] = getattr(import_module(f"{__name__}.{module}"), name)
    return value
