"""What can go wrong with a ledger, and the ledger as a message may name it (its URL without a
password). The one exit-code map (`seatbatch.jobs.base.failure`) imports these before any
ledger is opened, so this module stays free of SQLAlchemy at import: a PostgreSQL URL is
parsed by SQLAlchemy only when one is shown."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import quote


class LedgerBusy(Exception):
    """Another run holds the ledger: try again later (exit 75)."""

    def __init__(self, detail: str = ""):
        super().__init__(
            "the ledger is busy with another run; try again later" + (f" ({detail})" if detail
                                                                     else "")
        )


class LedgerError(Exception):
    """The ledger cannot be used as configured (exit 2)."""


class LedgerDamaged(LedgerError):
    """SQLite found the ledger file damaged (exit 2)."""


class StaleView(Exception):
    """The partner's part of the ledger changed since the run read it: validate again."""


class CopyMismatch(Exception):
    """`ledger copy`: TO does not hold what FROM holds; nothing was committed to TO (exit 70)."""


class InvoiceDateBackwards(Exception):
    """Issuing would put an invoice dated before the last one of its series and year."""

    def __init__(self, number: str, last_date: date, invoice_date: date,
                 document: str = "invoice"):
        super().__init__(
            f"{document} {number} of this series is already dated {last_date.isoformat()}; "
            f"a run dated {invoice_date.isoformat()} would number {document}s backwards in "
            "time "
            f"(use --as-of {last_date.isoformat()} or later)"
        )


def scrub_url(url: str) -> str:
    """A URL that may not parse, with whatever stands between ':' and '@' hidden."""
    return re.sub(r"(//[^:/@]*:)[^@/]*@", r"\1***@", url)


SECRET_QUERY_KEYS = ("password", "sslpassword")


def display_url(url: str) -> str:
    """The ledger as it may be printed: a SQLite path, or a URL without its password (in the
    user part or in the query)."""
    if "://" not in url:
        return url
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
        hidden = {key: "***" for key in SECRET_QUERY_KEYS if key in parsed.query}
        return parsed.update_query_dict(hidden).render_as_string(
            hide_password=True).replace("%2A%2A%2A", "***")
    except (ArgumentError, ValueError):
        return scrub_url(url)


def without_password(text: str, url: str) -> str:
    """Text (a traceback, say) with the ledger URL's password, should it appear, hidden."""
    secrets: list[str] = []
    if "://" in url:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            parsed = make_url(url)
        except (ArgumentError, ValueError):
            return text.replace(url, scrub_url(url))
        for given in (parsed.password, *(parsed.query.get(key) for key in SECRET_QUERY_KEYS)):
            if isinstance(given, str) and given:
                secrets += [given, quote(given, safe="")]
    for secret in sorted(set(secrets), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text
