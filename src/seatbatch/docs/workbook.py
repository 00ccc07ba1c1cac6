"""docs/workbook.md: the order workbook a partner fills in, for partner managers. The sheets and
columns come from schemas/columns.toml, the values a cell takes from the validation's own
constants, the example from the sample workbooks, the problem codes from their catalogue."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from seatbatch.core.columns import ColumnSpec, SheetSpec, sheet_spec, sheet_specs
from seatbatch.core.config import Lifecycle, Window
from seatbatch.core.model import CHANGES
from seatbatch.docs.markdown import (
    BLANK,
    bullets,
    checkout_file,
    code,
    header,
    join,
    para,
    table,
)
from seatbatch.docs.problems import WORKBOOK_GROUPS, code_table, grouped
from seatbatch.validation.cells import FALSE_WORDS, TRUE_WORDS
from seatbatch.validation.rules import BLANK_FOR_CHANGE, GROUP_FIELDS

# What a cell of each column type of columns.toml takes (core.columns.TYPES).
TYPES = {
    "text": "text",
    "id": "an id: 1 to 64 letters, digits, `.`, `_` or `-`, starting with a letter or digit",
    "int": "a whole number (`3` or `3.0`; `2.5` is refused; spaces between digits, as in "
           "`1 000`, are allowed)",
    "date": "an Excel date cell, or text `YYYY-MM-DD` (`2026-03-02`); `02/03/2026` is refused, "
            "as it reads differently from country to country",
    "bool": "yes or no: an Excel TRUE/FALSE cell, or (in any case) "
            + ", ".join(map(code, sorted(TRUE_WORDS))) + " for yes and "
            + ", ".join(map(code, sorted(FALSE_WORDS))) + " or an empty cell for no",
    "choice": "one of the values listed (in any case)",
    "country": "an ISO 3166-1 two-letter country code (`NO`, `GB`, `DE`; lower case is "
               "taken too)",
    "email": "an e-mail address (its form is checked, not whether it exists)",
    "device_type": "a device type of the price list (`Space Pro`); case and runs of spaces "
                   "do not matter",
}

# What each action of the Orders sheet does; the keys are the action column's choices.
ACTIONS = {
    "new": "Starts a subscription. Each line orders the seats of one device type; the lines "
           "with the same customer_id and the same `subscription` label (one of your own, "
           "such as `harbour-hq`) are one subscription. It is invoiced for its whole term, "
           "from its start_date; its id (`SUB-000001`) is printed on the invoice.",
    "add": "Adds seats to an existing subscription, named by the id printed on its invoice. "
           "Added seats end with the subscription (they co-terminate): they are charged for "
           "the days from start_date (default: the run date) to the end of the current term, "
           "out of the term's days. If the next term is already invoiced, the same invoice "
           "also bills them for that whole term.",
    "cancel": "The subscription does not renew: it ends with its current term. Issues no "
              "invoice. Seats can still be added to the current term.",
    "reduce": "From the next renewal on, the subscription has `seats` fewer seats of "
              "`device_type` (at most as many as would renew; removing every seat is a "
              "cancel). Issues no invoice.",
    "po": "From the next renewal on, the subscription's invoices carry `po_number`. Issues no "
          "invoice.",
}

# What a rule (validation.rules), not the column's own definition, requires of an action
REQUIRED_BY_RULES = {("new", "term_years"), ("new", "start_date"), ("po", "po_number")}
# What a cell of the matrix adds to "required", "optional" or "blank"
NOTES = {
    ("new", "subscription"): "a label of yours",
    ("add", "subscription"): "SUB-… id",
    ("cancel", "subscription"): "SUB-… id",
    ("reduce", "subscription"): "SUB-… id",
    ("po", "subscription"): "SUB-… id",
    ("reduce", "device_type"): "the type to reduce",
    ("reduce", "seats"): "the seats to remove",
    ("add", "term_years"): "blank or the subscription's term",
    ("add", "start_date"): "default: the run date",
    ("add", "po_number"): "default: the subscription's PO",
    ("po", "po_number"): "the PO from the next renewal on",
    ("add", "separate_invoice"): "no effect: added seats are billed with the customer's other "
                                 "lines of their PO",
    ("new", "accept_terms"): "yes",
    ("add", "accept_terms"): "yes",
    ("cancel", "accept_terms"): "yes",
    ("reduce", "accept_terms"): "yes",
    ("po", "accept_terms"): "yes",
}
SAMPLES = ("acme-new.xlsx", "acme-add.xlsx")


def document() -> str:
    orders = sheet_spec("Orders")
    actions = [str(c) for c in orders.column("action").choices]
    if sorted(actions) != sorted(ACTIONS):
        raise ValueError(f"docs/workbook.py: ACTIONS describes {sorted(ACTIONS)}, but the "
                         f"action column takes {actions}")
    return join(
        header("The order workbook", "schemas/columns.toml, the validation's rules, the "
               "samples and src/seatbatch/core/problems.py"),
        _intro(),
        "## How seatbatch reads a workbook",
        _reading(),
        "## The sheets and their columns",
        para("Every column, as `schemas/columns.toml` declares it (validation, the template "
             "and this page all read that file). *Required* columns must have a value on "
             "every row; the others may be left empty. Headers may be written in any case, "
             "with spaces, `_` or `-` (`Customer ID` is `customer_id`), in any order."),
        *(_sheet(spec) for spec in sheet_specs()),
        "## Actions: what an Orders line does",
        _actions(actions),
        "## Rules across lines",
        _rules(),
        "## An example",
        _example(),
        "## What a rejection says",
        _problems(),
    )


def _intro() -> str:
    return join(
        para("A partner's orders come to seatbatch as an Excel workbook (`.xlsx`) with three "
             "sheets: **Customers** (the end customers), **Devices** (the devices deployed "
             "at them) and **Orders** (what the partner buys). This page says what goes in "
             "each column, which values are accepted, and what each kind of order line "
             "does."),
        para("Start from a template rather than an empty workbook: `seatbatch template "
             "orders.xlsx --partner P-ACME` writes one with the headers, drop-down lists, a "
             "help message on every header and an Instructions sheet, already filled with "
             "the partner's customers, devices and subscriptions. `seatbatch quote "
             "orders.xlsx --partner P-ACME` then shows what the workbook would cost without "
             "recording anything; `seatbatch process` (or a drop into the partner's inbox "
             "folder) records it and issues the invoices. See [commands.md](commands.md)."),
    )


def _reading() -> str:
    minimum = [f"{s.name} needs at least {s.min_rows} line" for s in sheet_specs() if s.min_rows]
    return bullets([
        "**Sheets** are found by name: `Customers`, `Devices`, `Orders`. Case, surrounding "
        "spaces and letters that only look alike do not matter. Other sheets (the "
        "template's Instructions, sheets of your own) are ignored. Two sheets whose names "
        "look the same (a visible `Orders` and a hidden `Orders `) make the workbook "
        "ambiguous: it is rejected, naming both. " + "; ".join(minimum) + ".",
        "**Headers** are in row 1. A column seatbatch does not know is ignored, with a "
        "warning (and a suggestion when it looks like a known one: `Term (years)` is "
        "probably term_years, but it is not taken for it). A missing required column "
        "rejects the workbook. The `errors` column of a returned `rejected.xlsx` is "
        "ignored, so a corrected rejection can be sent again as it is.",
        "**Cells**: text is trimmed, and an empty cell is a missing value. A cell holding an "
        "Excel error (`#N/A`, `#REF!`) or a formula saved without its result is refused as "
        "such, never taken for an empty cell.",
        "**All or nothing**: every problem of every sheet is reported at once, and a "
        "workbook with any problem records nothing and issues nothing. It comes back as "
        "`rejected.xlsx`: the workbook as sent, with an `errors` column and each bad cell "
        "marked and commented (see [outputs.md](outputs.md)).",
        "**Sending again is safe**: every order line is kept under its `order_id`. A line "
        "already recorded is reported as already processed and not billed again; only new "
        "lines are. An `order_id` sent again with other content is rejected "
        "(`order_id_conflict`): give a new line a new order_id.",
    ])


def _type(column: ColumnSpec) -> str:
    return TYPES[column.type]


def _allowed(column: ColumnSpec) -> str:
    said = []
    if column.choices:
        said.append("one of " + ", ".join(code(c) for c in column.choices))
    if column.min is not None and column.max is not None:
        said.append(f"{column.min:,} to {column.max:,}")
    if column.max_length:
        said.append(f"up to {column.max_length} characters")
    if column.must_be_true:
        said.append("must be yes")
    if column.unique:
        said.append("unique in the sheet")
    return "; ".join(said)


def _required(column: ColumnSpec) -> str:
    if not column.required:
        actions = sorted(a for a, name in REQUIRED_BY_RULES if name == column.name)
        return "for " + " and ".join(actions) if actions else "no"
    if column.optional_for:
        return "yes, but blank for " + " and ".join(column.optional_for)
    return "yes"


def _sheet(spec: SheetSpec) -> str:
    rows = [(code(c.name), _required(c), _type(c), _allowed(c), c.help) for c in spec.columns]
    return join(f"### {spec.name}", para(spec.help),
                table(("column", "required", "takes", "allowed", "what to write"), rows))


def _word(action: str, column: ColumnSpec) -> str:
    """What an action asks of a column: required, optional or blank."""
    if column.name in BLANK_FOR_CHANGE.get(action, ()):
        word = "blank"
    elif (action, column.name) in REQUIRED_BY_RULES or (
            column.required and action not in column.optional_for):
        word = "required"
    else:
        word = "optional"
    note = NOTES.get((action, column.name))
    return f"{word} ({note})" if note else word


def _actions(actions: list[str]) -> str:
    orders = sheet_spec("Orders")
    changes = ", ".join(f"`{a}`" for a in CHANGES[:-1]) + f" and `{CHANGES[-1]}`"
    return join(
        para("The `action` column says what a line does. `new` and `add` buy seats and are "
             f"invoiced; {changes} change an existing subscription from its next term on "
             "and issue no invoice (the run's manifest lists them under `changes`)."),
        table(("action", "what it does"), [(code(a), ACTIONS[a]) for a in actions]),
        para("What each action asks of each column (*blank*: leave the cell empty; a value "
             "there is rejected, so that nothing given is silently ignored):"),
        table(("column", *map(code, actions)),
              [(code(c.name), *(_word(a, c) for a in actions)) for c in orders.columns]),
        para("There is no `renew` action: a subscription renews by itself, for the same "
             "seats, term and PO (less what `reduce` removed, with the PO a `po` line "
             "gave), unless it is cancelled. Finance invoices the renewals of a month with "
             "`seatbatch renew --month YYYY-MM`."),
    )


def _rules() -> str:
    window, lifecycle = Window(), Lifecycle()
    agree = ", ".join(f"`{name}`" for name in GROUP_FIELDS)
    return bullets([
        "**One new subscription, one set of terms.** The `new` lines of one customer with one "
        f"`subscription` label are one subscription: they must agree on {agree}. A label "
        "must not look like a subscription id (`SUB-000123`: that is what `add` is for), "
        "and a label whose subscription was already recorded takes no more `new` lines.",
        "**Start dates** of `new` lines lie within `[window]` of the configuration around "
        f"the run date (by default from {window.max_backdate_days} days before to "
        f"{window.max_future_days} days after), and on a day some price list in the "
        "partner's currency covers.",
        "**Adding seats** takes effect on start_date, or the run date when it is blank, but "
        "never before the subscription started. A subscription whose last term has ended "
        "takes no more seats: renew it first (the message names the `seatbatch renew` "
        "command), or start a new one.",
        "**Notice.** A `cancel` or `reduce` is accepted until `[lifecycle] notice_days` "
        f"(default {lifecycle.notice_days}) days before the current term ends; the message "
        "of a late one names the term's last day and the last day notice could be given. A "
        "cancelled subscription takes no further change, and one whose next term was "
        "already invoiced cannot end with its current term.",
        "**Seats cover devices.** After the workbook, each customer must have, for each "
        "device type, at least as many seats in force on the run date (already recorded "
        "plus this workbook's valid lines) as the Devices sheet lists devices. More seats "
        "than devices is fine (devices to come). A customer recorded before may be left "
        "out of the Customers sheet.",
        "**Invoices.** A run's new lines are invoiced per customer and `po_number`; a new "
        "subscription with `separate_invoice` = yes gets an invoice of its own.",
    ])


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return str(value)


def _example() -> str:
    from openpyxl import load_workbook  # only here: the rest of the page needs no workbook

    parts = [para("The Orders sheets of the sample workbooks (in `samples/`), as the README's "
                  "worked example processes them: first a 3-year subscription for four "
                  "devices at Harbour View Offices and a 1-year one for a school on its own "
                  "invoice, then, in November, seats added to the first one.")]
    for name in SAMPLES:
        book = load_workbook(checkout_file(f"samples/{name}"), read_only=True)
        try:
            rows = [[_shown(v) for v in row] for row in book["Orders"].iter_rows(values_only=True)]
        finally:
            book.close()
        parts += [f"`samples/{name}`, sheet Orders:", table(rows[0], rows[1:])]
    return join(*parts)


def _problems() -> str:
    groups = grouped()
    parts = [para(
        "Each problem names its sheet, Excel row and column, the value given and what is "
        "allowed, on the terminal, in `rejected.xlsx` and in the run's `manifest.json` "
        "(whose `code` is one of those below, stable from version to version). "
        f"{BLANK.format('name')} stands for what the message fills in. A *warning* does not "
        "reject the workbook.")]
    for index in WORKBOOK_GROUPS:
        title, codes = groups[index]
        parts += [f"### {title}", code_table(codes)]
    return join(*parts)
