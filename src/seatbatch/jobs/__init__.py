"""The orchestrators: one short function per command, reading like SPEC.md."""

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
    recover_runs,
    summary,
    unforeseen,
    where_full,
)
from seatbatch.jobs.month_end import month_report, renew
from seatbatch.jobs.orders import process, quote
from seatbatch.jobs.render import render_invoice
from seatbatch.jobs.template import template

__all__ = [
    "EXIT_BUSY", "EXIT_INTERNAL", "EXIT_OK", "EXIT_REJECTED", "EXIT_USAGE", "Failure",
    "InternalError", "Interrupted", "NoSpace", "Outcome", "Settings", "UsageError", "failure",
    "month_report", "no_space", "process", "quote", "recover_runs", "render_invoice", "renew",
    "summary", "template", "unforeseen", "where_full",
]
