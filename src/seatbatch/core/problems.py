"""Input problems as values: where (sheet, Excel row, column), what was given, a stable code and a
message a partner manager can act on. Every code has exactly one message template here."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Code(StrEnum):
    # the file itself
    NOT_A_WORKBOOK = "not_a_workbook"
    LEGACY_XLS = "legacy_xls"
    ENCRYPTED_WORKBOOK = "encrypted_workbook"
    CORRUPT_WORKBOOK = "corrupt_workbook"
    FILE_TOO_LARGE = "file_too_large"
    BINARY_WORKBOOK = "binary_workbook"
    TOO_MANY_PARTS = "too_many_parts"
    UNPACKED_TOO_LARGE = "unpacked_too_large"
    ZIP_BOMB = "zip_bomb"
    OVERLAPPING_PARTS = "overlapping_parts"
    XML_DECLARATION = "xml_declaration"
    SHARED_STRINGS_COUNT = "shared_strings_count"
    DIMENSION_TOO_LARGE = "dimension_too_large"
    SHEET_TOO_LARGE = "sheet_too_large"
    TOO_MANY_ROWS = "too_many_rows"
    SPARSE_SHEET = "sparse_sheet"
    SPARSE_WORKBOOK = "sparse_workbook"
    PARTNER_MISMATCH = "partner_mismatch"
    TOO_MANY_ERROR_CELLS = "too_many_error_cells"
    # sheets and headers
    MISSING_SHEET = "missing_sheet"
    AMBIGUOUS_SHEET = "ambiguous_sheet"
    MISSING_COLUMN = "missing_column"
    DUPLICATE_COLUMN = "duplicate_column"
    UNKNOWN_COLUMN = "unknown_column"
    EMPTY_SHEET = "empty_sheet"
    # one cell
    MISSING_VALUE = "missing_value"
    ERROR_VALUE = "error_value"
    FORMULA_WITHOUT_VALUE = "formula_without_value"
    NOT_A_NUMBER = "not_a_number"
    NOT_A_WHOLE_NUMBER = "not_a_whole_number"
    NOT_A_DATE = "not_a_date"
    AMBIGUOUS_DATE = "ambiguous_date"
    NOT_A_BOOLEAN = "not_a_boolean"
    TEXT_TOO_LONG = "text_too_long"
    INVALID_ID = "invalid_id"
    UNKNOWN_COUNTRY = "unknown_country"
    INVALID_EMAIL = "invalid_email"
    UNKNOWN_DEVICE_TYPE = "unknown_device_type"
    UNKNOWN_ACTION = "unknown_action"
    SEATS_OUT_OF_RANGE = "seats_out_of_range"
    TERM_NOT_ALLOWED = "term_not_allowed"
    TERMS_NOT_ACCEPTED = "terms_not_accepted"
    DUPLICATE_VALUE = "duplicate_value"
    # across rows, sheets and the ledger
    UNKNOWN_CUSTOMER = "unknown_customer"
    REQUIRED_FOR_NEW = "required_for_new"
    TERM_MISMATCH = "term_mismatch"
    START_OUTSIDE_WINDOW = "start_outside_window"
    INCONSISTENT_GROUP = "inconsistent_group"
    UNKNOWN_SUBSCRIPTION = "unknown_subscription"
    SUBSCRIPTION_ENDED = "subscription_ended"
    SEATS_SHORT_OF_DEVICES = "seats_short_of_devices"
    COVERAGE_NOT_CHECKED = "coverage_not_checked"  # a warning: rejected lines would cover
    ORDER_ID_CONFLICT = "order_id_conflict"
    LABEL_ALREADY_COMMITTED = "label_already_committed"
    LABEL_LOOKS_LIKE_SUBSCRIPTION = "label_looks_like_subscription"
    NO_PRICE_ON_DATE = "no_price_on_date"
    # a credit note asked of an invoice (SPEC §11)
    UNKNOWN_INVOICE_LINE = "unknown_invoice_line"
    CREDIT_EXCEEDS_INVOICED = "credit_exceeds_invoiced"
    CREDIT_FROM_OUTSIDE_PERIOD = "credit_from_outside_period"
    NOTHING_LEFT_TO_CREDIT = "nothing_left_to_credit"
    # changes of an existing subscription (SPEC §11)
    NOT_FOR_CHANGE = "not_for_change"
    PO_REQUIRED = "po_required"
    NOTICE_PERIOD_PASSED = "notice_period_passed"
    ALREADY_CANCELLED = "already_cancelled"
    NEXT_TERM_INVOICED = "next_term_invoiced"
    REDUCE_MORE_THAN_RENEWS = "reduce_more_than_renews"
    # about the run, not the input
    RUN_RECOVERED = "run_recovered"
    # about the configuration, listed by every run (SPEC §10)
    NO_TAX_CONFIGURED = "no_tax_configured"
    INVALID_VAT_ID = "invalid_vat_id"
    INVALID_REGISTRATION_ID = "invalid_registration_id"
    INVALID_IBAN = "invalid_iban"
    INVALID_BIC = "invalid_bic"
    INVALID_ELECTRONIC_ADDRESS = "invalid_electronic_address"
    NO_EINVOICE = "no_einvoice"  # render: an invoice issued without VAT


MESSAGES: dict[Code, str] = {
    Code.NOT_A_WORKBOOK: "the file is not an Excel workbook (.xlsx): {detail}. "
    "Save it from Excel or LibreOffice as 'Excel Workbook (.xlsx)'",
    Code.LEGACY_XLS: "this is an old Excel 97-2003 (.xls) file; open it in Excel and save it as "
    "'Excel Workbook (.xlsx)'",
    Code.ENCRYPTED_WORKBOOK: "this workbook is password-protected; save it without a password",
    Code.CORRUPT_WORKBOOK: "the workbook is damaged or incomplete ({detail}); "
    "save it again from Excel and resend it",
    Code.FILE_TOO_LARGE: "the file is {size_mb} MB; at most {limit_mb} MB is accepted. "
    "Split the orders over several workbooks",
    Code.BINARY_WORKBOOK: "this is a binary Excel workbook (.xlsb); open it in Excel and save it "
    "as 'Excel Workbook (.xlsx)'",
    Code.TOO_MANY_PARTS: "the workbook's ZIP container holds {count} parts; at most {limit} are "
    "accepted (a workbook saved by Excel has a few dozen). Save it again from Excel",
    Code.UNPACKED_TOO_LARGE: "unpacked, the workbook's parts would take {size_mb} MB; at most "
    "{limit_mb} MB is accepted. Split the orders over several workbooks",
    Code.ZIP_BOMB: "part {part} unpacks to more than the {declared} bytes its ZIP entry declares; "
    "the file is damaged or a ZIP bomb and was not read",
    Code.OVERLAPPING_PARTS: "parts {first} and {second} share the same bytes of the file, as in a "
    "ZIP bomb; a workbook saved by Excel never does, so it was not read",
    Code.XML_DECLARATION: "part {part} holds a document type or entity declaration ('{found}'); "
    "a workbook saved by Excel never does, and such XML can attack the reader, so it was not read",
    Code.SHARED_STRINGS_COUNT: "the shared strings ({part}) declare {declared} strings but the "
    "workbook holds {found}; a reader would reserve room for all of them, so it was not read",
    Code.DIMENSION_TOO_LARGE: "{where} declares its size as {ref} ({rows} rows, {columns} "
    "columns), more than an Excel sheet can hold (1048576 rows, 16384 columns); the file was not "
    "saved by Excel and was not read",
    Code.SHEET_TOO_LARGE: "{where} spans {rows} rows by {columns} columns ({cells} cells, "
    "{first} to {last}); at most {limit} cells are read. Delete stray cells far from the orders "
    "or split the workbook",
    Code.SPARSE_SHEET: "{where} spans A1 to {last}, which is read as {cells} cells, yet only"
    " {valued} of them hold a value (at most {allowed} cells are read for that). "
    "Delete the stray cells far from the orders (select the empty rows and columns after the "
    "last order and delete them) and send it again",
    Code.SPARSE_WORKBOOK: "the workbook's {sheets} sheets together are read as {cells} cells, "
    "yet only {valued} of them hold a value (at most {allowed} cells are read for that). Delete "
    "the sheets that are not needed and the stray cells far from the orders, or split the "
    "workbook",
    Code.TOO_MANY_ROWS: "{where} has {rows} rows below its header; at most {limit} are accepted. "
    "Split the orders over several workbooks",
    Code.TOO_MANY_ERROR_CELLS: "{where} holds more than {limit} cells with an error (#N/A, "
    "#REF!...) or a formula without its saved result, so it was not read; paste the values "
    "instead of the formulas (Paste Special, Values) and resend",
    Code.PARTNER_MISMATCH: "this workbook was made for partner {made_for} (by seatbatch template "
    "--partner {made_for}) but was given for partner {partner}; process it for {made_for}, or, "
    "if these are {partner}'s orders, copy its rows into a template made for {partner}",
    Code.MISSING_SHEET: "the workbook has no sheet named '{expected}' (its sheets: {found}); "
    "{fix}",
    Code.AMBIGUOUS_SHEET: "the workbook has {count} sheets named like '{expected}': {found}; "
    "it is not clear which one holds the {expected}, so none was read. Keep one of them, or "
    "rename the others",
    Code.MISSING_COLUMN: "the sheet has no column '{column}'; {fix}",
    Code.DUPLICATE_COLUMN: "two columns are headed '{column}' (columns {letters}); keep one",
    Code.UNKNOWN_COLUMN: "column '{value}' is not one seatbatch knows; it was ignored{hint}",
    Code.EMPTY_SHEET: "the sheet has a header row but no order lines; add at least one line",
    Code.MISSING_VALUE: "{column} is required; this cell is empty",
    Code.ERROR_VALUE: "the cell holds Excel's error {value} ({meaning}) instead of a value; "
    "correct the formula or type the {column} itself",
    Code.FORMULA_WITHOUT_VALUE: "the cell holds the formula {value} but no result of it (the "
    "program that wrote the file did not compute it); type the {column} itself, or open the "
    "workbook in Excel and save it",
    Code.NOT_A_NUMBER: "{column} must be a whole number; '{value}' is not a number",
    Code.NOT_A_WHOLE_NUMBER: "{column} must be a whole number; {value} has a fraction",
    Code.NOT_A_DATE: "{column} must be a date (an Excel date cell or text like 2026-12-31); "
    "'{value}' is not one",
    Code.AMBIGUOUS_DATE: "'{value}' is a date written day/month or month/year first, which is "
    "read differently from country to country; write it as YYYY-MM-DD (for example {example}) "
    "or enter it as an Excel date",
    Code.NOT_A_BOOLEAN: "{column} must be yes or no (TRUE/FALSE, yes/no, y/n, 1/0, x or empty); "
    "'{value}' is neither",
    Code.TEXT_TOO_LONG: "{column} may be at most {limit} characters; this one has {length}",
    Code.INVALID_ID: "{column} must be 1 to 64 characters of letters, digits, '.', '_' and '-', "
    "starting with a letter or digit; '{value}' is not",
    Code.UNKNOWN_COUNTRY: "'{value}' is not an ISO 3166-1 two-letter country code{hint}",
    Code.INVALID_EMAIL: "'{value}' is not a valid e-mail address: {detail}",
    Code.UNKNOWN_DEVICE_TYPE: "'{value}' is not a device type of the price list{hint}; "
    "device types are: {allowed}",
    Code.UNKNOWN_ACTION: "action must be 'new' (create a subscription) or 'add' (add seats to an "
    "existing one), or 'cancel', 'reduce' or 'po' (change an existing one); '{value}' is none "
    "of them",
    Code.SEATS_OUT_OF_RANGE: "seats must be a whole number from {low} to {high}; got {value}",
    Code.TERM_NOT_ALLOWED: "term_years must be 1, 3 or 5; got {value}",
    Code.TERMS_NOT_ACCEPTED: "accept_terms must be TRUE (or yes, y, 1, x): the partner accepts the "
    "terms and conditions for this line; got '{value}'",
    Code.DUPLICATE_VALUE: "{column} '{value}' appears more than once in this sheet "
    "(first at row {first_row}); each must be unique",
    Code.UNKNOWN_CUSTOMER: "customer '{value}' is neither in the Customers sheet nor a known "
    "customer of partner {partner}; add it to the Customers sheet",
    Code.REQUIRED_FOR_NEW: "{column} is required when action is 'new'",
    Code.TERM_MISMATCH: "subscription {subscription} has a {years}-year term; leave term_years "
    "blank or write {years}",
    Code.START_OUTSIDE_WINDOW: "{column} {value} is outside the allowed window around the run date "
    "{as_of}: from {earliest} to {latest}",
    Code.INCONSISTENT_GROUP: "the lines of new subscription '{label}' for customer {customer} must "
    "agree on {column}: row {first_row} has '{first_value}', this row has '{value}'",
    Code.UNKNOWN_SUBSCRIPTION: "'{value}' is not a subscription of customer {customer} "
    "(partner {partner}); write the id printed on its invoice{known}",
    Code.SUBSCRIPTION_ENDED: "subscription {subscription} ended on {last_day} (its last day of "
    "service), before these seats would take effect on {effective}; {next_step}",
    Code.SEATS_SHORT_OF_DEVICES: "customer {customer} has {devices} {device_type} device(s) listed "
    "but only {seats} seat(s) in force on {as_of} (ledger {ledger_seats}, this workbook "
    "{workbook_seats}){pending}; order {short} more seat(s) or remove devices that are not "
    "deployed",
    Code.COVERAGE_NOT_CHECKED: "customer {customer}'s {devices} {device_type} device(s) were "
    "not checked against its seats ({seats} in force without the rejected lines): {why}",
    Code.ORDER_ID_CONFLICT: "order_id '{value}' was already committed ({invoice}); this "
    "line differs from it ({changes}); give a new line a new order_id",
    Code.LABEL_ALREADY_COMMITTED: "new subscription '{value}' of customer {customer} was already "
    "committed as {subscription}; to add seats to it, write action 'add' and subscription "
    "{subscription}",
    Code.LABEL_LOOKS_LIKE_SUBSCRIPTION: "'{value}' looks like a subscription id, but action is "
    "'new'; to add seats to {value} write action 'add', to start a subscription give it a label "
    "of your own",
    Code.NO_PRICE_ON_DATE: "these seats would be priced on {day}, but the first {currency} price "
    "list is valid from {first}; choose a date on or after {first}",
    Code.UNKNOWN_INVOICE_LINE: "invoice {invoice} has no line '{value}'; its lines are "
    "{lines}",
    Code.CREDIT_EXCEEDS_INVOICED: "line {value} of invoice {invoice} has {remaining} of its "
    "{seats} seat(s) left to credit{when} ({taken}); {asked} were asked",
    Code.CREDIT_FROM_OUTSIDE_PERIOD: "--from {value} is outside the service period of line "
    "{line} of invoice {invoice} ({first} to {last}); give a day in it",
    Code.NOTHING_LEFT_TO_CREDIT: "every seat of invoice {value} was credited already{when} "
    "({taken}); nothing is left to credit",
    Code.NOT_FOR_CHANGE: "{column} must be blank when action is '{action}' ({what}); "
    "this cell has '{value}'",
    Code.PO_REQUIRED: "po_number is required when action is 'po': it is the purchase order of "
    "subscription {subscription}'s invoices from its next renewal on",
    Code.NOTICE_PERIOD_PASSED: "subscription {subscription}'s current term ends with "
    "{last_day} (its last day of service); a {action} had to be given by {deadline} "
    "({notice_days} days before the term's end), and the run date is {as_of}. The "
    "subscription renews on {renews} as it is",
    Code.ALREADY_CANCELLED: "subscription {subscription} is already cancelled ({how}): it ends "
    "with its current term, on {last_day}, and nothing of it renews; remove this line",
    Code.NEXT_TERM_INVOICED: "subscription {subscription}'s next term, {next_start} to "
    "{next_last_day}, is already invoiced (renew ran ahead), so a {action} cannot take effect "
    "when its current term ends on {last_day}; send this line again once the next term has "
    "begun, and it takes effect when that term ends on {next_last_day}",
    Code.REDUCE_MORE_THAN_RENEWS: "subscription {subscription} would renew {renewing} "
    "{device_type} seat(s){pending}; a reduce may remove at most that many, not {value}",
    Code.RUN_RECOVERED: "this run was stopped after it committed and before its folder was "
    "complete; the folder was written again from the ledger, so it lists what the run issued "
    "but not the lines it found already processed nor the workbook's warnings",
    # the configuration's own message (core.config.ConfigWarning), with its file and key
    **dict.fromkeys((Code.NO_TAX_CONFIGURED, Code.INVALID_VAT_ID, Code.INVALID_REGISTRATION_ID,
                     Code.INVALID_IBAN, Code.INVALID_BIC, Code.INVALID_ELECTRONIC_ADDRESS,
                     Code.NO_EINVOICE),
                    "{detail}"),
}


@dataclass(frozen=True)
class Problem:
    """One problem of the input. `row` is the Excel row (1-based); None for a whole sheet/file."""

    sheet: str
    row: int | None
    column: str | None
    value: str
    code: Code
    message: str

    def describe(self) -> str:
        """One line for stderr and logs: where, what was given, what is allowed."""
        where = self.sheet or "workbook"
        if self.row is not None:
            where += f" row {self.row}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.message}"

    def as_json(self) -> dict[str, Any]:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "code": str(self.code),
            "message": self.message,
        }


_SHOWN_WIDTH = 80  # the most of a value a message shows, "..." included


def shown(value: object) -> str:
    """The value as given, as text for a message (long values shortened)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    return text if len(text) <= _SHOWN_WIDTH else text[:_SHOWN_WIDTH - 3] + "..."


def problem(
    code: Code,
    sheet: str,
    row: int | None,
    column: str | None,
    value: object = None,
    **params: object,
) -> Problem:
    text = shown(value)
    message = MESSAGES[code].format(value=text, column=column or "", **params)
    return Problem(sheet, row, column, text, code, message)
