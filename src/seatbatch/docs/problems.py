"""The problem codes a run reports (core.problems), in the groups the catalogue declares them
in, with their message templates as a reader sees them."""

from __future__ import annotations

import re

from seatbatch.core.problems import MESSAGES, Code
from seatbatch.docs.markdown import BLANK, code, table

# Each group runs from its first code to the next group's first, in the order Code declares
# them: a code added at the end of a group is documented with it.
GROUPS = (
    ("The file itself", Code.NOT_A_WORKBOOK),
    ("Sheets and headers", Code.MISSING_SHEET),
    ("One cell", Code.MISSING_VALUE),
    ("Across rows, sheets and the ledger", Code.UNKNOWN_CUSTOMER),
    ("A credit note asked of an invoice (`seatbatch credit`)", Code.UNKNOWN_INVOICE_LINE),
    ("Changes of an existing subscription (cancel, reduce, po)", Code.NOT_FOR_CHANGE),
    ("About the run", Code.RUN_RECOVERED),
    ("About the configuration (warnings every run lists)", Code.NO_TAX_CONFIGURED),
)
# the groups a partner's workbook can get, in the order workbook.md lists them
WORKBOOK_GROUPS = (0, 1, 2, 3, 5)
# codes reported as warnings: the run goes on
WARNINGS = frozenset({Code.UNKNOWN_COLUMN, Code.COVERAGE_NOT_CHECKED, Code.RUN_RECOVERED,
                      Code.NO_TAX_CONFIGURED, Code.INVALID_VAT_ID,
                      Code.INVALID_REGISTRATION_ID, Code.INVALID_IBAN, Code.INVALID_BIC,
                      Code.INVALID_ELECTRONIC_ADDRESS, Code.NO_EINVOICE})


def grouped() -> list[tuple[str, list[Code]]]:
    codes = list(Code)
    starts = [codes.index(first) for _, first in GROUPS]
    if starts != sorted(starts) or starts[0] != 0:
        raise ValueError("docs/problems.py: GROUPS must follow the order of Code")
    ends = [*starts[1:], len(codes)]
    return [(title, codes[start:end])
            for (title, _), start, end in zip(GROUPS, starts, ends, strict=True)]


def template(found: Code) -> str:
    """The message with its blanks shown as BLANK (the name between angle quotes); "{detail}"
    (a message made elsewhere) as what it is."""
    text = MESSAGES[found]
    if text == "{detail}":
        return "(the configuration's own message, naming its file and key)"
    return re.sub(r"\{(\w+)\}", lambda blank: BLANK.format(blank[1]), text)


def code_table(codes: list[Code]) -> str:
    rows = [(code(c) + (" (warning)" if c in WARNINGS else ""), template(c)) for c in codes]
    return table(("code", "message"), rows)
