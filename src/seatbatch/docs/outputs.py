"""docs/outputs.md: what a run writes, what its exit code says, the inbox's folders; for finance
and operations. manifest.json's fields come from schemas/manifest.schema.json (what a field means
from its "description" there, else from NOTES below: a field with neither stops the generator),
the formats from core.legal and output.files, the exit codes from core.exits."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from seatbatch.core import exits
from seatbatch.core.legal import DEFAULT_FORMATS, FORMATS
from seatbatch.core.resources import resource_dir
from seatbatch.docs.markdown import BLANK, bullets, code, header, join, para, table
from seatbatch.docs.problems import WORKBOOK_GROUPS, code_table, grouped
from seatbatch.output.files import EXTENSIONS

SCHEMA = "manifest.schema.json"

# What each format's file is (the keys are core.legal.FORMATS)
FORMAT_NOTES = {
    "xlsx": "The invoice as a workbook: amounts are numbers in the currency's format, ready "
            "for a spreadsheet; prints on A4 landscape.",
    "html": "The invoice as a printable web page.",
    "pdf": "The invoice to send: A4, real (searchable) text, fonts embedded; the line table's "
           "header on every page, \"Page N of M\", the number and the issuer's legal footer on "
           "every page.",
    "ubl": "The e-invoice: a UBL 2.1 `Invoice` (a credit note: `CreditNote`) following Peppol "
           "BIS Billing 3.0 (Norway's EHF 3.0), valid under the official CEN EN 16931 and "
           "OpenPeppol rules. Written only for invoices issued with VAT configured.",
}

# What each exit code means (the keys are the EXIT_ names of core.exits)
EXIT_NOTES = {
    "EXIT_OK": "Done, also when there was nothing new to do (status `duplicate` or "
               "`nothing_due`).",
    "EXIT_REJECTED": "Input rejected: nothing was committed and no number taken. The "
                     "reasons are on stderr (the first 25 and how many more), and all of "
                     "them in `manifest.json` and `rejected.xlsx`.",
    "EXIT_USAGE": "Usage or configuration error: a wrong option, an unknown partner or "
                  "invoice, a configuration problem (each named with its file and key), a "
                  "ledger that is not a seatbatch ledger, cannot be written, or is older and "
                  "needs `seatbatch ledger upgrade`. Nothing was changed.",
    "EXIT_INTERNAL": "An internal error (a bug): one line on stderr naming the log file that "
                     "holds the details; the log stays until a person removes it.",
    "EXIT_BUSY": "Try again later: the ledger is busy with another run (a lock waited for "
                 "longer than `$SEATBATCH_BUSY_TIMEOUT` seconds, 5 by default), the database "
                 "server takes no more connections, or the disk is full. Nothing was "
                 "committed (or, for a full disk after the commit, the message says what was "
                 "committed and how its files are written again).",
    "EXIT_INTERRUPTED": "Stopped by Ctrl-C. One line says, from the ledger, whether the run "
                        "committed, and which invoices if it did.",
    "EXIT_TERMINATED": "Stopped by SIGTERM (cron's or systemd's stop): as for Ctrl-C.",
}

# What the manifest's fields mean, where the schema says nothing: (section, field) -> text.
# A section is a $defs name (invoice, line, problem, amounts), or the path of an object
# declared in place ("" for the top level, "input", "invoice.vat", "changes[]", ...).
NOTES = {
    ("", "command"): "The command that made the run (an `inbox` run writes a `process` "
                     "manifest for each workbook).",
    ("", "status"): "`committed`: invoices (or changes) were recorded; `quoted`: an estimate; "
                    "`rejected`: nothing was recorded; `duplicate`: every line was recorded "
                    "before, nothing new; `nothing_due`: `renew` found no term to renew; "
                    "`reported`: a month-end report; `rendered`: an invoice written again.",
    ("", "as_of"): "The run date (`--as-of`, default today).",
    ("", "partner_id"): "The partner of a workbook, a credit note or a rendered invoice; null "
                        "for `renew` and `report`, which run over every partner.",
    ("", "currency"): "The partner's currency; null for a run over several partners (each "
                      "invoice then carries its own `currency`).",
    ("", "input"): "The workbook the run read.",
    ("", "invoices"): "What this run issued (or, for a quote, estimated), in issue order; "
                      "nothing issued by an earlier run.",
    ("", "already_processed"): "The workbook's lines an earlier run recorded with the same "
                               "content: not issued again.",
    ("", "changes"): "The workbook's `cancel`, `reduce` and `po` lines; present only when the "
                     "run has some.",
    ("", "rejections"): "Every problem that rejected the input (empty when it was not "
                        "rejected).",
    ("", "warnings"): "Problems that did not stop the run: unknown columns, configuration "
                      "warnings such as `no_tax_configured`.",
    ("", "report"): "`report` only: the month's figures, always per currency.",
    ("", "totals"): "The run's totals over `invoices`.",
    ("input", "file"): "Its file name as given; null when the command reads no workbook.",
    ("input", "sha256"): "The SHA-256 of its bytes.",
    ("invoice", "currency"): "Present when the run is over several partners.",
    ("invoice", "credits"): "A credit note's: the number of the invoice it credits.",
    ("invoice", "number"): "`PREFIX-YYYY-NNNNNN`; null in a quote.",
    ("invoice", "kind"): "`invoice` or `credit_note`.",
    ("invoice", "customer_id"): "The end customer, as the partner names it.",
    ("invoice", "po_number"): "The partner's purchase order; null when none was given.",
    ("invoice", "invoice_date"): "The run date.",
    ("invoice", "due_date"): "The invoice date plus `[issuer] payment_terms_days`.",
    ("invoice", "total"): "The net total: the sum of the lines' net amounts.",
    ("invoice", "file"): "The workbook's path in the run folder (`invoices/<number>.xlsx`).",
    ("invoice", "files"): "Each file written, by format (`xlsx`, `html`, `pdf`, `ubl`): its "
                          "path in the run folder.",
    ("invoice", "vat"): "With `[tax]`: the invoice's VAT.",
    ("invoice", "payable"): "With `[tax]`: the net total plus the VAT.",
    ("invoice", "lines"): "The invoice's lines, in order.",
    ("invoice.vat", "treatment"): "The name of the partner's `[tax.treatments.NAME]`.",
    ("invoice.vat", "category"): "Its EN 16931 VAT category code.",
    ("invoice.vat", "rate"): "Its rate, a decimal string (`0.25`).",
    ("invoice.vat", "base"): "The amount VAT is charged on: the net total.",
    ("invoice.vat", "amount"): "The VAT: `base * rate`, rounded half-up to the minor unit.",
    ("invoice.vat", "note"): "The treatment's note (why a zero rate); empty for S.",
    ("line", "order_id"): "The workbook's order_id; null on a renewal line.",
    ("line", "action"): "`new`, `add`, `renewal` or `credit`.",
    ("line", "subscription_id"): "`SUB-000001`; null in a quote of a new subscription (it has "
                                 "no id yet).",
    ("line", "device_type"): "As the price list spells it.",
    ("line", "seats"): "Seats billed (or credited).",
    ("line", "term_years"): "The subscription's term.",
    ("line", "period_start"): "The first day of service billed.",
    ("line", "period_end"): "The last day of service billed (inclusive).",
    ("line", "unit_price"): "The seat price per year of the price list in effect.",
    ("line", "prorate_days"): "The days billed: the term's days, or fewer for added seats.",
    ("line", "term_days"): "The days of the whole term.",
    ("line", "list_amount"): "`seats * unit_price * term_years * prorate_days / "
                             "term_days`, rounded half-up.",
    ("line", "term_discount"): "`list_amount * term discount`, rounded half-up.",
    ("line", "partner_discount"): "`(list_amount - term_discount) * partner "
                                  "discount`, rounded half-up.",
    ("line", "net_amount"): "`list_amount - term_discount - partner_discount`.",
    ("already_processed[]", "order_id"): "The line's order_id.",
    ("already_processed[]", "invoice_number"): "The invoice that billed it; null for a "
                                               "change, which issues no invoice.",
    ("changes[]", "order_id"): "The line's order_id.",
    ("changes[]", "action"): "`cancel`, `reduce` or `po`.",
    ("changes[]", "subscription_id"): "The subscription it changes.",
    ("changes[]", "device_type"): "`reduce`: the device type; else null.",
    ("changes[]", "seats"): "`reduce`: the seats removed; else null.",
    ("changes[]", "po_number"): "`po`: the new PO; else null.",
    ("changes[]", "effective"): "The first day it applies: the first day of the next term.",
    ("problem", "sheet"): "The sheet (`Customers`, `Devices`, `Orders`); empty for the file "
                          "as a whole.",
    ("problem", "row"): "The Excel row number; null for a whole sheet or the file.",
    ("problem", "column"): "The column's name; null when the problem is not of one column.",
    ("problem", "value"): "The value as given (long ones shortened).",
    ("problem", "code"): "A stable code (see the tables below and in "
                         "[workbook.md](workbook.md#what-a-rejection-says)).",
    ("problem", "message"): "What is wrong and what to do, for a person.",
    ("report", "month"): "`YYYY-MM`.",
    ("report", "by_currency"): "The month's totals per currency.",
    ("report", "by_partner"): "The month's totals per partner and currency.",
    ("report", "by_device_type"): "The month's totals per device type and currency.",
    ("report", "seats_in_force"): "Seats in force on the month's last day.",
    ("report", "coverage_gaps"): "Customers' device types with fewer seats than devices on "
                                 "the month's last day.",
    ("report", "renewals_due"): "The renewals of the next month.",
    ("report", "notice_deadlines"): "The subscriptions whose last day for notice of a "
                                    "cancel or reduce falls in the next month.",
    ("report", "numbering"): "The numbering check: one entry per series and year.",
    ("revenue[]", "currency"): "The currency.",
    ("revenue[]", "partner_id"): "The partner.",
    ("revenue[]", "invoiced_net"): "The net of the invoices dated in the month.",
    ("revenue[]", "credited_net"): "The net of the credit notes dated in the month "
                                          "(positive).",
    ("revenue[]", "vat"): "Their VAT, invoices less credit notes.",
    ("revenue[]", "recognised"): "The revenue recognised in the month: each line's net "
                                        "earned evenly over its days of service.",
    ("revenue[]", "deferred"): "The deferred revenue at the month's end: invoiced "
                                      "through it, less credited, less recognised.",
    ("revenue[]", "deferred_by_year"): "The deferred revenue by the calendar year in "
                                              "which it will be earned.",
    ("amounts", "partner_id"): "`by_partner`: the partner.",
    ("amounts", "device_type"): "`by_device_type`: the device type.",
    ("amounts", "currency"): "The currency of the amounts.",
    ("amounts", "invoices"): "Invoices dated in the month.",
    ("amounts", "credit_notes"): "Credit notes dated in the month; present when there are "
                                 "some (their amounts are subtracted).",
    ("amounts", "lines"): "Their lines.",
    ("amounts", "seats"): "Their seats.",
    ("amounts", "list_amount"): "Sum of the lines' list amounts.",
    ("amounts", "term_discount"): "Sum of their term discounts.",
    ("amounts", "partner_discount"): "Sum of their partner discounts.",
    ("amounts", "net_amount"): "Sum of their net amounts.",
    ("amounts", "vat_amount"): "Sum of the invoices' VAT.",
    ("amounts", "payable"): "Sum of the amounts payable.",
    ("report.renewals_due", "month"): "The next month.",
    ("report.renewals_due", "subscriptions"): "Subscriptions whose term ends in it and that "
                                              "renew.",
    ("report.renewals_due", "expected_net_amount_by_currency"): "What their renewals would "
                                                                 "bill, net, per currency.",
    ("report.notice_deadlines", "month"): "The next month.",
    ("report.notice_deadlines", "subscriptions"): "How many subscriptions' notice deadlines "
                                                  "fall in it.",
    ("report.numbering[]", "series"): "The number prefix (`INV`, `CN`).",
    ("report.numbering[]", "year"): "The year of the numbers.",
    ("report.numbering[]", "first"): "The first sequence number of the year.",
    ("report.numbering[]", "last"): "The last one.",
    ("report.numbering[]", "count"): "How many numbers were issued.",
    ("report.numbering[]", "gapless"): "Whether they run from 1 to `last` without a gap.",
    ("totals", "net_amount"): "The net total in the run's currency; null over several "
                              "currencies (see `net_amount_by_currency`).",
    ("totals", "net_amount_by_currency"): "A run over several partners: the net total per "
                                          "currency.",
    ("totals", "vat_amount"): "The VAT total, as `net_amount`.",
    ("totals", "vat_amount_by_currency"): "As `net_amount_by_currency`.",
    ("totals", "payable"): "The amount payable, as `net_amount`.",
    ("totals", "payable_by_currency"): "As `net_amount_by_currency`.",
    ("totals", "invoices"): "How many invoices the run issued.",
    ("totals", "lines"): "How many lines they have.",
    ("totals", "credit_notes"): "`report`: the month's credit notes, when there are some.",
}

# $defs that are values, not objects: what the tables call them
VALUES = {
    "amount": "amount",
    "date": "date",
    "by_currency": "currency → amount",
}


@dataclass
class _Object:
    """An object of the schema that gets a table: its key, where it occurs, its schema."""

    key: str
    node: dict[str, Any]
    paths: list[str] = field(default_factory=list)


class _Manifest:
    """The schema walked from the top: every object with properties, once, in the order met."""

    def __init__(self) -> None:
        self.schema = json.loads((resource_dir("schemas") / SCHEMA).read_text("utf-8"))
        self.defs: dict[str, Any] = self.schema["$defs"]
        self.objects: dict[str, _Object] = {}
        self._walk("", self.schema, "")

    def _target(self, node: dict[str, Any], key: str) -> tuple[str, dict[str, Any]] | None:
        """The object a node is (its section key and schema), if it is one with properties."""
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            target = self.defs[name]
            return (name, target) if "properties" in target else None
        if "allOf" in node:
            return next(filter(None, (self._target(n, key) for n in node["allOf"])), None)
        if "properties" in node:
            return key, node
        return None

    def _walk(self, key: str, node: dict[str, Any], path: str) -> None:
        found = self.objects.get(key)
        if found is not None:
            found.paths.append(path)
            return
        self.objects[key] = _Object(key, node, [path])
        for name, child in node["properties"].items():
            where = f"{path}.{name}" if path else name
            inner = f"{key}.{name}" if key else name
            for each, at, suffix in self._inside(child):
                target = self._target(each, inner + suffix)
                if target is not None:
                    self._walk(target[0], target[1], where + at)

    def _inside(self, node: dict[str, Any]) -> Iterator[tuple[dict[str, Any], str, str]]:
        """The node, its items, its values (a map's): each with its path's suffix."""
        yield node, "", ""
        if isinstance(node.get("items"), dict):
            yield node["items"], "[]", "[]"
        if isinstance(node.get("additionalProperties"), dict):
            yield node["additionalProperties"], f".{BLANK.format(_key_name(node))}", "[]"

    def kind(self, node: dict[str, Any], key: str) -> str:
        """A field's type, as the tables say it."""
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            return VALUES.get(name) or self._link(name)
        if "allOf" in node:
            target = self._target(node, key)
            return self._link(target[0]) if target else "object"
        if "anyOf" in node:
            return " or ".join(self.kind(n, key) for n in node["anyOf"])
        if "enum" in node:
            return "one of " + ", ".join(code(json.dumps(v)) for v in node["enum"])
        if "properties" in node:
            return self._link(key)
        types = node.get("type", "object")
        names = [self._type(t, node, key) for t in (types if isinstance(types, list) else [types])]
        return " or ".join(names)

    def _type(self, name: str, node: dict[str, Any], key: str) -> str:
        if name == "array":
            return "list of " + self.kind(node.get("items", {}), key + "[]")
        if name == "object" and isinstance(node.get("additionalProperties"), dict):
            return f"{_key_name(node)} → " + self.kind(node["additionalProperties"], key + "[]")
        if name == "integer" and "minimum" in node:
            return f"integer ≥ {node['minimum']}"
        if name == "string" and "pattern" in node:
            return f"text {code(node['pattern'])}"
        return {"string": "text", "integer": "integer", "boolean": "true or false",
                "null": "null", "object": "object"}[name]

    def _link(self, key: str) -> str:
        name = key.rsplit(".", 1)[-1].removesuffix("[]") or "object"
        return f"[{name}](#{_anchor(self.title(key))})"

    def title(self, key: str) -> str:
        paths = self.objects[key].paths
        return "The top level" if paths == [""] else ", ".join(paths)

    def describe(self, key: str, name: str, node: dict[str, Any]) -> str:
        note = NOTES.get((key, name)) or node.get("description")
        if not note:
            raise ValueError(
                f"schemas/{SCHEMA}: field {name!r} of {key or 'the top level'} has no "
                f"description: give it a \"description\" in the schema, or a line "
                f"({key!r}, {name!r}) in NOTES of src/seatbatch/docs/outputs.py")
        return note

    def tables(self) -> list[str]:
        parts = []
        for key, found in self.objects.items():
            node = found.node
            required = set(node.get("required", ()))
            rows = [(code(name), self.kind(child, f"{key}.{name}" if key else name),
                     "yes" if name in required else "no", self.describe(key, name, child))
                    for name, child in node["properties"].items()]
            parts += [f"### {self.title(key)}",
                      table(("field", "type", "always there", "what it is"), rows)]
        return parts


def _key_name(node: dict[str, Any]) -> str:
    """What the keys of a map are called: a currency, a format, a year."""
    names = node.get("propertyNames", {})
    if "enum" in names:
        return "format"
    return "currency" if names.get("pattern") == "^[A-Z]{3}$" else "key"


def _anchor(title: str) -> str:
    """The anchor GitHub makes of a heading: lower case, spaces to -, most punctuation
    dropped."""
    kept = "".join(c for c in title.lower() if c.isalnum() or c in " -_")
    return kept.replace(" ", "-")


def _exit_codes() -> str:
    found = {name: getattr(exits, name) for name in dir(exits) if name.startswith("EXIT_")}
    if set(found) != set(EXIT_NOTES):
        raise ValueError(f"docs/outputs.py: EXIT_NOTES describes {sorted(EXIT_NOTES)}, "
                         f"core.exits has {sorted(found)}")
    rows = sorted(((value, EXIT_NOTES[name]) for name, value in found.items()))
    return table(("code", "meaning"), rows, "rl")


def _formats() -> str:
    if set(FORMAT_NOTES) != set(FORMATS):
        raise ValueError(f"docs/outputs.py: FORMAT_NOTES describes {sorted(FORMAT_NOTES)}, "
                         f"core.legal has {sorted(FORMATS)}")
    rows = [(code(f), code(f"invoices/<number>.{EXTENSIONS[f]}"),
             "yes" if f in DEFAULT_FORMATS else "no", FORMAT_NOTES[f]) for f in FORMATS]
    return table(("format", "file", "by default", "what it is"), rows)


def document() -> str:
    manifest = _Manifest()
    groups = grouped()
    others = [i for i in range(len(groups)) if i not in WORKBOOK_GROUPS]
    return join(
        header("Outputs: run folders, exit codes and the inbox",
               f"schemas/{SCHEMA}, src/seatbatch/core/exits.py, src/seatbatch/core/legal.py "
               "and src/seatbatch/core/problems.py"),
        para("What each run leaves behind, what its exit code says, and how the inbox files "
             "the workbooks partners drop in it. Everything a run prints on stdout or stderr "
             "has its control characters escaped (`\\n`, `\\x1b`), so that text from a "
             "workbook can never forge a line."),
        "## Run folders",
        _run_folders(),
        "## Invoice files",
        para("Each invoice and credit note is written once per format that `[documents] "
             "formats` lists (see [configuration.md](configuration.md)), named after its "
             "number (`INV-2026-000001`, `CN-2026-000001`). A quote writes "
             "`invoices/quote.xlsx`, `quote.html` and, with PDFs, `quote-1.pdf`, `quote-2.pdf`, "
             "… one per estimated invoice, each marked \"Estimate — not an invoice\", never an "
             "e-invoice."),
        _formats(),
        "## The other files of a run",
        _other_files(),
        "## manifest.json",
        para("The machine-readable record of a run, one JSON object, as "
             f"`schemas/{SCHEMA}` declares it (every test checks the manifests it makes "
             "against that schema). Amounts are decimal strings (`\"1036.80\"`) with the "
             "currency's decimals, never numbers; dates are `YYYY-MM-DD`; a row is the Excel "
             "row number."),
        *manifest.tables(),
        "## Exit codes",
        para("Every command ends with one of these; scripts and cron can rely on them."),
        _exit_codes(),
        _logs(),
        "## Problem codes besides the workbook's",
        para("The problems of a workbook are listed in [workbook.md](workbook.md#what-a-"
             "rejection-says). These are the other codes a manifest's `rejections` and "
             "`warnings` may carry."),
        *[part for i in others for part in (f"### {groups[i][0]}", code_table(groups[i][1]))],
        "## The inbox",
        _inbox(),
    )


def _run_folders() -> str:
    return join(
        para("Each run of `quote`, `process`, `renew`, `report`, `render` and `credit` writes "
             "a new folder directly under `--out` (default `./seatbatch-out`) and prints its "
             "absolute path, alone, on stdout. A folder is named after when the run started "
             "(UTC), the command, the partner and a few random characters, "
             "`20261124T101500-process-P-ACME-3f9a1c`, and never replaces another run's. "
             "While a run builds it, the folder has a hidden name (starting with `.`): a "
             "folder that is visible is complete. `template` writes the one workbook it is "
             "given; `ledger copy` and `ledger upgrade` write no folder."),
        para("A run stopped after its commit (Ctrl-C, SIGTERM, a full disk, a killed "
             "machine) leaves its folder hidden; the next `process` or `renew` with the same "
             "`--out` writes it again from the ledger, and `seatbatch render NUMBER` writes "
             "any one invoice again."),
        table(("command", "writes"), [
            ("`quote`", "`manifest.json`, `summary.html`, `invoices/quote.*`; `rejected.xlsx` "
                        "when the workbook is rejected"),
            ("`process`", "`manifest.json`, `summary.html`, `invoices/<number>.*` for each "
                          "invoice issued; `rejected.xlsx` when the workbook is rejected"),
            ("`renew`", "`manifest.json`, `summary.html`, `invoices/<number>.*` for each "
                        "renewal invoice"),
            ("`credit`", "`manifest.json`, `summary.html`, `invoices/<number>.*` of the credit "
                         "note"),
            ("`render`", "`manifest.json`, `summary.html`, `invoices/<number>.*` of the one "
                         "invoice or credit note"),
            ("`report`", "`manifest.json`, `summary.html`, `report.xlsx`, `report.html`, "
                         "`journal.csv`"),
            ("`inbox`", "one `process` folder per workbook it processes"),
        ]),
    )


def _other_files() -> str:
    return bullets([
        "**`summary.html`**, for people: what the run did, its totals, the invoices (linked "
        "to their files), the changes of subscriptions, the seats against the devices per "
        "customer and device type, and, when the input was rejected, every problem with its "
        "reason.",
        "**`rejected.xlsx`**, when a workbook is rejected: the workbook as it was sent, "
        "every sheet and every row at its own row number, with an `errors` column and each "
        "bad cell marked and commented. The partner corrects the marked cells and sends the "
        "same file again (the `errors` column is then ignored).",
        "**`report.xlsx`** and **`report.html`** (`report --month`): finance's month end "
        "over every partner, read from one snapshot of the ledger. The workbook has one "
        "table per sheet (Summary, Invoices, Invoice lines, By partner, By customer, By "
        "device type, Revenue, Seats in force, Coverage gaps, Renewals due, Notice "
        "deadlines, Numbering), each with filter buttons under a frozen header, amounts as numbers "
        "in the currency's format, printing on A4 landscape. Amounts in different "
        "currencies are never added together; the bar chart of net amount by partner is "
        "drawn once per currency.",
        "**`journal.csv`** (`report --month`): the month's double entries for the general "
        "ledger, columns `date, entry, account, debit, credit, currency, partner_id, "
        "reference, text`, booked to the accounts of `[accounts]`: each invoice and credit "
        "note, and the month's revenue recognition per partner and currency.",
    ])


def _logs() -> str:
    return para(
        "An internal error (exit 70) keeps its details in a log file that the one line on "
        "stderr names: `<out>/<run name>.error.log` for a run that had begun (beside its "
        "folder, never in it); `seatbatch-error-<time>.log` in a SQLite ledger's folder (else "
        "the current folder) for one that had not; and, for an inbox workbook that failed before "
        "its run began, `<partner-id>/rejected/<token>.error.log` beside the filed workbook. "
        "Passwords of database URLs are hidden in it, as everywhere seatbatch prints or "
        "writes a URL.")


def _inbox() -> str:
    tree = (
        "DIR/\n"
        "  P-ACME/                    the partner's inbox: a folder named after its id\n"
        "    orders.xlsx              waiting\n"
        "    .orders.xlsx             still being uploaded: not touched\n"
        "    .claimed/<token>/        claimed by a run, being processed\n"
        "    done/orders.xlsx         processed: committed, or nothing new (duplicate)\n"
        "    done/orders.xlsx.json    the note: what became of it, its run folder\n"
        "    done/orders.xlsx.summary.html   the run's summary\n"
        "    done/orders.xlsx.invoices/      its invoices as PDF and HTML (else the workbooks)\n"
        "    rejected/orders.xlsx     rejected (or met a bug: status failed)\n"
        "    rejected/orders.xlsx.json\n"
        "    rejected/orders.xlsx.rejected.xlsx  the workbook with its problems marked\n"
        "    rejected/orders.xlsx.summary.html   every problem, listed\n"
        "  .seatbatch-inbox/reported.json  what was reported of stray entries, to say it once\n"
    )
    return join(
        para("`seatbatch inbox DIR` is what cron runs: it processes every workbook waiting "
             "in a partner's folder of `DIR`, as `process` would, writes one run folder each "
             "under `--out`, prints each run folder's path, and files the workbook."),
        "```text\n" + tree + "```\n",
        bullets([
            "A subfolder of `DIR` named after a configured partner id is that partner's "
            "inbox; any other folder or file in `DIR` is reported and left alone: reported "
            "once, and again only when it changes, comes back or becomes something else.",
            "The partner's answer is filed beside the workbook: its summary, the marked "
            "workbook of a rejection, the invoices (PDF and HTML) of a processed one. The "
            "e-invoices stay in the run folder.",
            "Upload under a hidden name and rename when complete: names starting with `.` "
            "or `~$` are never touched.",
            "A filed workbook keeps its name; a name already filed gets ` (2)`. Beside it, "
            "a note (`<name>.json`) gives its status (`committed`, `duplicate`, `rejected`, "
            "`failed`), exit code, run folder, host, how many problems and the first of "
            "their messages, and when it was filed.",
            "A busy ledger, a configuration or a usage problem puts the workbook back to "
            "wait for the next run and ends this one (exit 75 or 2); a workbook that met a "
            "bug is filed in `rejected/` as `failed` (exit 70) and the run goes on with the "
            "others.",
            "A partner folder the inbox cannot use (a link, a file where `done/` belongs) is "
            "reported and its workbooks wait, while the other partners go on.",
            "Under cron, stderr carries one summary line (`seatbatch inbox: 3 done, 1 "
            "rejected, 0 waiting`) and the problems, and nothing when the run found nothing "
            "and nothing is wrong; on a terminal, a line per workbook.",
            "Several hosts may run `inbox` over one folder with one PostgreSQL ledger: the "
            "ledger's claims make sure each workbook is processed once.",
        ]),
    )
