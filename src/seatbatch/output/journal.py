"""journal.csv (SPEC §12), for a general ledger's import and for a spreadsheet.

Written with the csv module as RFC 4180 has it (comma, CRLF, a field quoted only where it holds
a comma, quote or line break), one header row, in UTF-8 without a byte order mark: ERP imports
and scripts read the header as `date`, where a BOM would make it `\\ufeffdate` for many of
them; Excel's Data > From Text/CSV reads UTF-8 as such (a double click would misread a
comma-separated file anyway where the decimal separator is a comma, as in Norway).

Dates are ISO (2026-11-30). An amount is a plain decimal with the currency's decimals (1036.80
EUR, 12600 JPY: no exponent, no thousands separator, never negative) on its side, the other
side's cell empty. Text is one line (a control character becomes a space), and a cell that a
spreadsheet could take for a formula (starting with "=", "+", "-" or "@") starts with a quote,
as OWASP advises for CSV: a partner's name is the user's text. The journal's own texts start
with a word ("Invoice …") and its ids with a letter or digit, so that this never changes a
value an import matches on."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

from seatbatch.core.journal import COLUMNS, JournalLine
from seatbatch.core.money import round_money
from seatbatch.output.text_cells import formula_like

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def csv_text(text: str) -> str:
    """A text cell of the journal: one line, never read as a formula."""
    text = _CONTROL.sub(" ", text)
    return "'" + text if formula_like(text) else text


def plain_amount(amount: Decimal, currency: str) -> str:
    """An amount as the journal writes it: the currency's decimals, fixed-point ("f": never
    an exponent, never a separator)."""
    return f"{round_money(amount, currency):f}"


def write_journal(lines: Iterable[JournalLine], path: Path) -> None:
    """journal.csv of these lines, in their order."""
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, dialect="excel")  # comma, CRLF, minimal quoting
        writer.writerow(COLUMNS)
        for line in lines:
            amount = plain_amount(line.amount, line.currency)
            writer.writerow((
                line.day.isoformat(), csv_text(line.entry), csv_text(line.account),
                amount if line.side == "debit" else "", amount if line.side == "credit" else "",
                line.currency, csv_text(line.partner_id), csv_text(line.reference),
                csv_text(line.text)))
