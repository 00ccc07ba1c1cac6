"""docs/configuration.md: seatbatch.toml, every table and key, for finance and operations.

The project has no schema of the configuration: `core.config` reads it. The keys are written
here, with the defaults and allowed values taken from `core.config` and `core.legal` wherever
those hold them as values; tests/test_docs.py checks that every key written here is one the
loader takes and that every field of the configuration's records is written here."""

from __future__ import annotations

from dataclasses import dataclass

from seatbatch.core.config import MAX_PRICE, TERMS, Issuer, Lifecycle, Limits, Window
from seatbatch.core.legal import (
    CATEGORIES,
    DEFAULT_FORMATS,
    FORMATS,
    NEEDS_ISSUER_VAT_ID,
    NEEDS_NOTE,
    REFERENCES,
    RF_PREFIX_MAX,
    UBL_ISSUER_KEYS,
    UBL_PARTNER_KEYS,
    ZERO_RATED,
    Payment,
)
from seatbatch.docs.markdown import (
    block,
    bullets,
    checkout_file,
    code,
    header,
    join,
    para,
    table,
)

UBL = "required when `[documents] formats` lists `ubl`"


@dataclass(frozen=True)
class Key:
    name: str
    type: str
    default: str  # "" for none; "required" for a key that must be given
    what: str


@dataclass(frozen=True)
class Section:
    table: str  # the key of the table: "" for the top level, "partners.ID", ...
    heading: str
    intro: str
    keys: tuple[Key, ...]


REQUIRED = "required"
RATE = "decimal string, 0 to below 1 (`\"0.10\"`)"
TEXT = "text"


def _quoted(value: object) -> str:
    return code(f'"{value}"')


def _list(values: tuple[str, ...]) -> str:
    return code("[" + ", ".join(f'"{v}"' for v in values) + "]")


def _ubl_note(name: str, keys: tuple[str, ...]) -> str:
    return f"; {UBL}" if name in keys else ""


def _issuer() -> Section:
    prefix = "text: 1 to 16 capital letters, digits or `-`, starting with a letter or digit"
    keys = (
        Key("name", TEXT, REQUIRED, "The issuer's legal name, printed on every invoice."),
        Key("address", "array of text lines", "",
            'The address as printed, one line per item: `["Wergelandsveien 1", "0167 Oslo", '
            '"Norway"]`.'),
        Key("vat_id", TEXT, "",
            "The issuer's VAT id, starting with its country's code (`NO999999999MVA`). "
            "Required by a `[tax]` treatment of category "
            + ", ".join(sorted(NEEDS_ISSUER_VAT_ID)) + "; a category O treatment forbids it."),
        Key("invoice_prefix", prefix, REQUIRED,
            "Invoices are numbered `PREFIX-YYYY-NNNNNN` (`INV-2026-000001`): the year of the "
            "invoice date and a gapless sequence per year."),
        Key("payment_terms_days", "whole number, 0 to 365", "30",
            "The due date is the invoice date plus this many days."),
        Key("street", TEXT, "", "The street address, structured (the e-invoice carries it)"
            + _ubl_note("street", UBL_ISSUER_KEYS) + "."),
        Key("postal_code", TEXT, "", "The postal code" + _ubl_note("postal_code",
                                                                    UBL_ISSUER_KEYS) + "."),
        Key("city", TEXT, "", "The city" + _ubl_note("city", UBL_ISSUER_KEYS) + "."),
        Key("country", "ISO 3166-1 two-letter code", "",
            "The issuer's VAT country (`NO`): `[tax] default` applies to the partners in it. "
            "Required with `[tax]`" + _ubl_note("country", UBL_ISSUER_KEYS) + "."),
        Key("registration_id", TEXT, "",
            "The legal registration number (an organisation number), checked for its "
            "country's form and check digits where python-stdnum knows the register"
            + _ubl_note("registration_id", UBL_ISSUER_KEYS) + "."),
        Key("legal_form", TEXT, "",
            "Printed beside the registration number (`Foretaksregisteret`; Norway requires "
            "it on sales documents)."),
        Key("electronic_address", 'text `"scheme:id"`', "",
            "The Peppol participant id: a four-digit scheme of Peppol's Electronic Address "
            'Scheme list, a colon and the id (`"0192:999999999"`)'
            + _ubl_note("electronic_address", UBL_ISSUER_KEYS) + "."),
        Key("email", "e-mail address", "", "Printed on every invoice."),
        Key("credit_note_prefix", prefix, _quoted(Issuer.credit_note_prefix),
            "Credit notes are numbered in a series of their own, `PREFIX-YYYY-NNNNNN`; it "
            "must differ from `invoice_prefix`."),
    )
    return Section("issuer", "[issuer]: who issues the invoices",
                   "Required. The issuer's legal identity as every invoice prints it.", keys)


def _partner() -> Section:
    keys = (
        Key("name", TEXT, REQUIRED, "The partner's name, printed as the invoice's buyer."),
        Key("currency", "ISO 4217 code", REQUIRED,
            "The partner is priced and invoiced in it; some `[[price_lists]]` must be in it."),
        Key("discount", RATE, _quoted("0"),
            "The partner discount, taken off each line after the term discount."),
        Key("address", "array of text lines", "", "The address as printed on invoices."),
        Key("street", TEXT, "", "Structured address" + _ubl_note("street", UBL_PARTNER_KEYS)
            + "."),
        Key("postal_code", TEXT, "", "Structured address"
            + _ubl_note("postal_code", UBL_PARTNER_KEYS) + "."),
        Key("city", TEXT, "", "Structured address" + _ubl_note("city", UBL_PARTNER_KEYS) + "."),
        Key("country", "ISO 3166-1 two-letter code", "",
            "With `[tax]`, it chooses the partner's VAT treatment (required unless `tax` names "
            "one)" + _ubl_note("country", UBL_PARTNER_KEYS) + "."),
        Key("vat_id", TEXT, "",
            "Printed on the invoice; required by a treatment of category AE (reverse charge), "
            "forbidden by category O. Checked like the issuer's."),
        Key("registration_id", TEXT, "", "The partner's legal registration number."),
        Key("electronic_address", 'text `"scheme:id"`', "",
            "The partner's Peppol participant id, where its e-invoices go"
            + _ubl_note("electronic_address", UBL_PARTNER_KEYS) + "."),
        Key("tax", "a name of `[tax.treatments]`", "",
            "The partner's VAT treatment. Without it, a partner in the issuer's country gets "
            "`[tax] default`, and one elsewhere is a configuration error. Only with `[tax]`."),
    )
    return Section(
        "partners.ID", "[partners.ID]: the partners",
        "Required: at least one. `ID` is the partner id used on the command line "
        "(`--partner P-ACME`), as inbox folder name and in the ledger: 1 to 64 letters, "
        "digits, `.`, `_` or `-`. Two ids that differ only in case or spaces are refused.",
        keys)


def _price_list() -> Section:
    keys = (
        Key("currency", "ISO 4217 code", REQUIRED, "The list's currency."),
        Key("valid_from", 'date (`2026-01-01` or `"2026-01-01"`)', REQUIRED,
            "The list applies from this day until the next list of its currency."),
        Key("seat_price_per_year", "table: device type = price", REQUIRED,
            "The price of one seat for one year, per device type, as a decimal string above "
            f"0 and at most {MAX_PRICE:,} (`\"Space Pro\" = \"150.00\"`). The device types "
            "of all lists are the workbook's device types."),
    )
    return Section(
        "price_lists", "[[price_lists]]: what a seat costs",
        "Required: one or more. A line is priced with the list in effect on its priced day "
        "(a new subscription's start, an add's effective day, a renewal's first day): the "
        "list of the partner's currency with the latest `valid_from` on or before it. Two "
        "lists of one currency with the same `valid_from` are refused, as is a device type "
        "spelled two ways in two lists, or two device types that differ only in case or "
        "spaces.", keys)


def _term_discounts() -> Section:
    keys = tuple(Key(f'"{years}"', RATE, REQUIRED,
                     f"The discount of a {years}-year term, taken off the list amount.")
                 for years in TERMS)
    return Section("term_discounts", "[term_discounts]: discounts by term",
                   "Required, with every term a subscription may have (the key is the term "
                   "in years, in quotes).", keys)


def _window() -> Section:
    window = Window()
    return Section("window", "[window]: how far a start date may be from the run date",
                   "Optional. A `new` line's start_date must lie in this window around the run "
                   "date.", (
                       Key("max_backdate_days", "whole number, 0 to 3660",
                           str(window.max_backdate_days), "Days before the run date."),
                       Key("max_future_days", "whole number, 0 to 3660",
                           str(window.max_future_days), "Days after the run date."),
                   ))


def _limits() -> Section:
    limits = Limits()
    return Section(
        "limits", "[limits]: what a workbook may take",
        "Optional. A workbook beyond them is rejected before it is read, whatever its "
        "headers claim: memory and time stay bounded.", (
            Key("max_file_mb", "whole number, 1 to 4096", str(limits.max_file_mb),
                "The workbook's size as sent, in MB."),
            Key("max_unpacked_mb", "whole number, 1 to 65536", str(limits.max_unpacked_mb),
                "All of its parts unpacked, in MB."),
            Key("max_rows", "whole number, 1 to 10000000", f"{limits.max_rows}",
                "Rows below the header, per sheet."),
        ))


def _lifecycle() -> Section:
    return Section(
        "lifecycle", "[lifecycle]: notice for cancel and reduce",
        "Optional.", (
            Key("notice_days", "whole number, 0 to 3660", str(Lifecycle().notice_days),
                "A `cancel` or `reduce` line is accepted until this many days before the end "
                "of the subscription's current term (`notice_period_passed` after)."),
        ))


def _payment() -> Section:
    return Section(
        "payment", "[payment]: how invoices are paid",
        f"Optional ({UBL}). Printed on every invoice; in the e-invoice as its payment means.", (
            Key("iban", TEXT, REQUIRED, "The account's IBAN, checked (check digits)."),
            Key("bic", TEXT, REQUIRED, "The bank's BIC, checked."),
            Key("bank", TEXT, "", "The bank's name."),
            Key("reference", "one of " + ", ".join(map(_quoted, REFERENCES)),
                _quoted(Payment.reference),
                "The payment reference printed on an invoice: its number, or (`\"rf\"`) the "
                "ISO 11649 creditor reference made from it (`RF…`), in which case each "
                f"number prefix may have at most {RF_PREFIX_MAX} letters and digits."),
        ))


def _tax() -> Section:
    return Section(
        "tax", "[tax]: VAT",
        f"Optional ({UBL}). Without it invoices carry no VAT (as before VAT was configured) "
        "and every run's manifest warns `no_tax_configured`. With it, every partner has one "
        "treatment, and the identifiers of the issuer, the partners and `[payment]` that fail "
        "their check are errors instead of warnings.", (
            Key("default", "a name of `[tax.treatments]`", REQUIRED,
                "The treatment of a partner in the issuer's country (`issuer.country`)."),
            Key("treatments", "tables `[tax.treatments.NAME]`", REQUIRED, "At least one."),
        ))


def _treatment() -> Section:
    zero = ", ".join(sorted(ZERO_RATED))
    return Section(
        "tax.treatments.NAME", "[tax.treatments.NAME]: a VAT treatment",
        "`NAME` (1 to 64 letters, digits, `.`, `_` or `-`) is what `[tax] default` and a "
        "partner's `tax` name; the manifest's `vat.treatment` carries it.", (
            Key("category", "one of " + ", ".join(map(code, CATEGORIES)), REQUIRED,
                "The EN 16931 VAT category code (below)."),
            Key("rate", RATE, REQUIRED,
                f"Above 0 for S; `\"0\"` for {zero}. The VAT is the invoice's net total times "
                "the rate, rounded half-up to the currency's minor unit."),
            Key("note", TEXT, "",
                "The reason the invoice carries no VAT, printed on it and in the e-invoice: "
                "required for " + ", ".join(sorted(NEEDS_NOTE)) + "; not allowed for S."),
        ))


def _documents() -> Section:
    return Section(
        "documents", "[documents]: what each invoice is written as",
        "Optional.", (
            Key("formats", "array of " + ", ".join(map(_quoted, FORMATS)),
                _list(DEFAULT_FORMATS),
                "Each invoice and credit note is written in each format listed, under "
                "`invoices/` of the run folder (see [outputs.md](outputs.md)). `\"ubl\"` "
                "(the Peppol BIS Billing 3.0 e-invoice) needs `[tax]`, `[payment]` and the "
                "parties' structured addresses and electronic addresses: where one is "
                "missing, every command refuses to start, naming it."),
        ))


def _accounts() -> Section:
    accounts = (("receivable", "1500", "what partners owe: an invoice's amount payable"),
                ("deferred_revenue", "2900", "invoiced but not yet earned: an invoice's net"),
                ("vat_payable", "2700", "an invoice's VAT"),
                ("revenue", "3000", "the net earned, as the month's recognition moves it "
                                    "out of deferred revenue"))
    return Section(
        "accounts", "[accounts]: the general ledger's accounts",
        "Optional. The accounts `report`'s `journal.csv` books to. Each is text or a whole "
        "number (1500 is \"1500\"): 1 to 20 letters, digits, `.`, `_` or `-`, starting with a "
        "letter or digit (spaces around it dropped, as elsewhere in the file), so that the "
        "journal carries it as it is; the four must be different accounts (in any case).",
        tuple(Key(name, "text (an account number)", _quoted(default), f"Debited or credited "
                  f"with {what}.") for name, default, what in accounts))


def _top() -> Section:
    return Section(
        "", "The top level", "", (
            Key("ledger", "text: a SQLite path or a `postgresql://` URL",
                "`seatbatch.db` beside this file",
                "The ledger. A relative path is taken from this file's folder. `--ledger` and "
                "`$SEATBATCH_LEDGER` take precedence over it."),
        ))


def sections() -> tuple[Section, ...]:
    return (_top(), _issuer(), _partner(), _price_list(), _term_discounts(), _window(),
            _limits(), _lifecycle(), _payment(), _tax(), _treatment(), _documents(),
            _accounts())


# A configuration with only what is required: what a new installation starts from
MINIMAL = """\
[issuer]
name = "Example Sensors AS"
invoice_prefix = "INV"

[term_discounts]
"1" = "0"
"3" = "0.10"
"5" = "0.15"

[[price_lists]]
currency = "EUR"
valid_from = 2026-01-01
[price_lists.seat_price_per_year]
"Space Pro" = "150.00"
"Space Plus" = "120.00"

[partners.P-ACME]
name = "Acme Facilities Ltd"
currency = "EUR"
discount = "0.20"
"""


def _section(section: Section) -> str:
    def default(key: Key) -> str:
        return "**required**" if key.default == REQUIRED else key.default or "none"

    rows = [(code(k.name), k.type, default(k), k.what) for k in section.keys]
    return join(f"### {section.heading}", para(section.intro) if section.intro else "",
                table(("key", "type", "default", "what it does"), rows))


def document() -> str:
    sample = checkout_file("samples/seatbatch.toml").read_text("utf-8")
    categories = table(("category", "meaning", "rate", "note"), [
        (code(c), meaning, "above 0" if c not in ZERO_RATED else "0",
         "required" if c in NEEDS_NOTE else "not allowed" if c == "S" else "optional")
        for c, meaning in CATEGORIES.items()])
    return join(
        header("Configuration: seatbatch.toml", "src/seatbatch/core/config.py, "
               "src/seatbatch/core/legal.py and samples/seatbatch.toml"),
        para("One TOML file holds everything seatbatch needs to know besides the workbooks: "
             "who issues the invoices, the price lists and discounts, the partners, VAT, "
             "payment details and what each invoice is written as. A command finds it by "
             "`--config FILE`, else `$SEATBATCH_CONFIG`, else `./seatbatch.toml`."),
        "## How it is checked",
        bullets([
            "The whole file is checked when a command reads it, before it does anything, "
            "and every problem is reported at once, each naming the file and the key "
            "(`seatbatch.toml: partners.P-ACME.discount: a rate must be from 0 to below 1, "
            "got '1.5'`); the command then ends with exit code 2 and changes nothing.",
            "A key seatbatch does not know is an error (`unknown key`), not ignored: a typo "
            "never silently leaves a default in place.",
            "Every value must have its TOML type. Money and rates are decimal strings in "
            "quotes (`\"150.00\"`, `\"0.10\"`): digits with at most 6 after the point, no "
            "sign, exponent or separators; never TOML floats, which would not be exact. "
            "Dates are TOML dates (`2026-01-01`) or text `\"2026-01-01\"`.",
            "Device types and partner ids that differ only in case, spaces or look-alike "
            "letters are refused, naming both: which one a workbook meant would be a guess.",
            "Identifiers (VAT ids, registration numbers, IBAN, BIC, Peppol electronic "
            "addresses) are checked for form and check digits with python-stdnum where it "
            "knows the country. With `[tax]` a failed check is an error; without it, a "
            "warning in every run's manifest.",
            "A device type that an order needs but has no price in the partner's currency is "
            "a configuration error (exit 2), found when the line is priced.",
        ]),
        "## A minimal configuration",
        para("Only the required tables: invoices without VAT or payment details, written as "
             + ", ".join(map(code, DEFAULT_FORMATS)) + "."),
        block(MINIMAL, "toml"),
        "## Every table and key",
        *(_section(s) for s in sections()),
        "### VAT categories",
        para("The EN 16931 VAT category codes a treatment may have, and what each asks of "
             "the rate and the note:"),
        categories,
        "## The sample configuration",
        para("`samples/seatbatch.toml`, which `make demo` uses: an issuer in Norway, Acme in "
             "the UK billed in EUR as an export, Nordlys in Norway billed in NOK with 25 % "
             "VAT, with every key of invoices finance can send."),
        block(sample, "toml"),
    )
