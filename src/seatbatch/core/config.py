"""`seatbatch.toml` -> a frozen, validated `Config`. Every problem names the file and the key.

Part II's keys (SPEC §9, §10: the parties' structured data, `[payment]`, `[tax]`,
`[documents]`) are read here too; their types and the checks of identifiers are core.legal's."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any

from seatbatch.core.legal import (
    CATEGORIES,
    DEFAULT_CREDIT_NOTE_PREFIX,
    FORMATS,
    NEEDS_NOTE,
    REFERENCES,
    ZERO_RATED,
    Documents,
    Payment,
    Tax,
    Treatment,
    country_problem,
    email_problem,
    identifier_problems,
    legal_problems,
    treatment_name,
    ubl_problems,
)
from seatbatch.core.money import D, is_currency
from seatbatch.core.names import name_key, near_miss

TERMS = (1, 3, 5)
PARTNER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
TREATMENT_NAME = PARTNER_ID  # printed in the manifest's "vat" as the partner id is elsewhere
INVOICE_PREFIX = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,15}$")
# a general ledger account (SPEC §12 [accounts]) as ERP imports take one: "1500", "1500-01",
# "4000.10"; never a space, comma, quote or leading "=", so that journal.csv carries it as is
ACCOUNT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,19}")
# money and rates: plain decimals, no sign, exponent, separators or other digits than 0-9
PLAIN_DECIMAL = re.compile(r"[0-9]{1,12}(\.[0-9]{1,6})?")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# A price this high times 100,000 seats times 5 years, summed over a million lines, stays far
# inside the 28 digits of decimal arithmetic: no amount can overflow a rounding.
MAX_PRICE = Decimal(1_000_000_000)


def toml_type(value: Any) -> str:
    """The TOML type of a value as tomllib gives it, for messages."""
    if isinstance(value, bool):
        return "a boolean"
    for kind, name in ((str, "text"), (int, "an integer"), (float, "a float"),
                       (datetime, "a date and time"), (date, "a date"), (time, "a time"),
                       (list, "an array"), (dict, "a table")):
        if isinstance(value, kind):
            return name
    return type(value).__name__


_GIVEN_WIDTH = 60  # the most of a value a message shows, "..." included


def _given(value: Any) -> str:
    """A value as a message shows it: short, with its TOML type."""
    if isinstance(value, dict | list):
        return toml_type(value)
    text = repr(value) if isinstance(value, str) else str(value).lower() \
        if isinstance(value, bool) else str(value)
    if len(text) > _GIVEN_WIDTH:
        text = text[:_GIVEN_WIDTH - 3] + "..."
    return f"{text} ({toml_type(value)})"


class ConfigError(Exception):
    """The configuration cannot be used: each entry is (key, what is wrong)."""

    def __init__(self, file: Path | str, problems: list[tuple[str, str]]):
        self.file = str(file)
        self.problems = problems
        super().__init__(self.lines()[0] if problems else str(file))

    def lines(self) -> list[str]:
        return [f"{self.file}: {key}: {what}" if key else f"{self.file}: {what}"
                for key, what in self.problems]


@dataclass(frozen=True)
class ConfigWarning:
    """A problem of the configuration that does not stop a run (SPEC §10): a stable code,
    the key (or "" for the file) and what is wrong."""

    key: str
    code: str  # no_tax_configured, invalid_vat_id, invalid_registration_id, invalid_iban,
    # invalid_bic, invalid_electronic_address
    message: str


@dataclass(frozen=True)
class Issuer:  # Part II's keys (§10) are "" where the file has none
    name: str
    address: tuple[str, ...]
    vat_id: str
    invoice_prefix: str
    payment_terms_days: int
    street: str = ""
    postal_code: str = ""
    city: str = ""
    country: str = ""  # ISO 3166-1 alpha-2: the issuer's VAT country
    registration_id: str = ""
    legal_form: str = ""
    electronic_address: str = ""  # Peppol participant id "scheme:id"
    email: str = ""
    credit_note_prefix: str = DEFAULT_CREDIT_NOTE_PREFIX


@dataclass(frozen=True)
class Window:
    max_backdate_days: int = 365
    max_future_days: int = 365


@dataclass(frozen=True)
class Lifecycle:
    """After the order (SPEC §11): a cancel or reduce is accepted up to `notice_days` days
    before the end of the subscription's current term."""

    notice_days: int = 90


@dataclass(frozen=True)
class Accounts:
    """The general ledger accounts journal.csv books to (SPEC §12), each a different one."""

    receivable: str = "1500"
    deferred_revenue: str = "2900"
    vat_payable: str = "2700"
    revenue: str = "3000"


@dataclass(frozen=True)
class Limits:
    max_file_mb: int = 50
    max_unpacked_mb: int = 500
    max_rows: int = 1_000_000


@dataclass(frozen=True)
class PriceList:
    index: int  # position in the file, for messages: price_lists[index]
    currency: str
    valid_from: date
    seat_price_per_year: Mapping[str, Decimal]


@dataclass(frozen=True)
class Partner:
    id: str
    name: str
    currency: str
    discount: Decimal
    address: tuple[str, ...] = ()
    street: str = ""  # Part II's keys (§10) are "" where the file has none
    postal_code: str = ""
    city: str = ""
    country: str = ""
    vat_id: str = ""
    registration_id: str = ""
    electronic_address: str = ""
    tax: str = ""  # a treatment name; "" for [tax] default


@dataclass(frozen=True)
class Config:
    path: Path
    ledger: str | None
    issuer: Issuer
    window: Window
    limits: Limits
    term_discounts: Mapping[int, Decimal]
    price_lists: tuple[PriceList, ...]
    partners: Mapping[str, Partner] = field(default_factory=dict)
    payment: Payment | None = None
    tax: Tax | None = None
    documents: Documents = field(default_factory=Documents)
    lifecycle: Lifecycle = field(default_factory=Lifecycle)
    accounts: Accounts = field(default_factory=Accounts)

    @cached_property
    def warnings(self) -> tuple[ConfigWarning, ...]:
        """Without `[tax]`, `no_tax_configured` and the failed checks of identifiers (with it,
        these are errors at load). Checked when first asked for: python-stdnum takes longer to
        import than the whole rest of a Part I configuration takes to load."""
        if self.tax is not None:
            return ()
        found = identifier_problems(self.issuer, self.partners, self.payment)
        return (ConfigWarning("tax", "no_tax_configured", "no [tax] table: invoices are issued "
                              "without VAT; configure [tax] (and [payment]) to issue them with "
                              "VAT and payment details"),
                *(ConfigWarning(key, code, what) for key, code, what in found))

    def treatment_of(self, partner_id: str) -> Treatment | None:
        """The partner's VAT treatment (§10 "Which treatment"): its `tax`, else `[tax] default`
        when its country is the issuer's; None without `[tax]`. `load_config` has made sure
        every partner has one."""
        if self.tax is None:
            return None
        name = treatment_name(self.tax, self.issuer, self.partner(partner_id))
        try:
            return self.tax.treatments[name]
        except KeyError:
            raise ConfigError(self.path, [(f"partners.{partner_id}.tax",
                                           "names no treatment of [tax.treatments]")]) from None

    def partner(self, partner_id: str) -> Partner:
        try:
            return self.partners[partner_id]
        except KeyError:
            raise ConfigError(
                self.path, [(f"partners.{partner_id}",
                             f"unknown partner {self.partners_besides(partner_id)}")]
            ) from None

    def partners_besides(self, partner_id: str) -> str:
        """What is said of a partner id that is not configured: the configured ones, and the
        one meant when it is near one (ids are matched exactly, as the inbox's folders are)."""
        known = ", ".join(sorted(self.partners)) or "none"
        same = [p for p in self.partners if name_key(p) == name_key(partner_id)]
        near = near_miss(partner_id, self.partners, cutoff=0.6)
        hint = (f"; did you mean {same[0]}? ids are matched exactly" if same
                else f"; did you mean {near}?" if near else "")
        return f"(configured: {known}){hint}"

    def device_types(self, currency: str | None = None) -> tuple[str, ...]:
        """Every device type some price list (in `currency`, if given) prices, in file order."""
        seen: dict[str, None] = {}
        for price_list in self.price_lists:
            if currency is None or price_list.currency == currency:
                seen.update(dict.fromkeys(price_list.seat_price_per_year))
        return tuple(seen)

    def price_list_on(self, currency: str, day: date) -> PriceList:
        """The list in effect on `day`: the latest valid_from on or before it."""
        candidates = [p for p in self.price_lists if p.currency == currency and p.valid_from <= day]
        if not candidates:
            raise ConfigError(
                self.path,
                [("price_lists", f"no price list in {currency} is in effect on {day.isoformat()}")],
            )
        return max(candidates, key=lambda p: p.valid_from)

    def seat_price(self, currency: str, device_type: str, day: date, needed_by: str) -> Decimal:
        price_list = self.price_list_on(currency, day)
        prices = price_list.seat_price_per_year
        key = name_key(device_type)  # as the ledger keeps it, perhaps spelled before a change
        try:
            return prices.get(device_type) or next(
                price for name, price in prices.items() if name_key(name) == key)
        except StopIteration:
            raise ConfigError(
                self.path,
                [
                    (
                        f"price_lists[{price_list.index}].seat_price_per_year",
                        f"no price for '{device_type}' in the {currency} list valid from "
                        f"{price_list.valid_from.isoformat()}, needed by {needed_by}",
                    )
                ],
            ) from None


def find_config(option: str | None) -> Path:
    """--config, else $SEATBATCH_CONFIG, else ./seatbatch.toml."""
    chosen = option or os.environ.get("SEATBATCH_CONFIG") or "seatbatch.toml"
    return Path(chosen)


def resolve_ledger(config: Config, option: str | None) -> str:
    """--ledger, else $SEATBATCH_LEDGER, else the file's `ledger` (relative to the file's folder),
    else seatbatch.db beside the file. A SQLite path comes back absolute; a URL as given."""
    chosen = option or os.environ.get("SEATBATCH_LEDGER")
    if chosen:
        return chosen if "://" in chosen else str(Path(chosen).absolute())
    folder = config.path.absolute().parent
    if config.ledger:
        # normpath: samples/../out/ledger.db is printed as out/ledger.db (symlinks kept)
        return (config.ledger if "://" in config.ledger
                else os.path.normpath(folder / config.ledger))
    return str(folder / "seatbatch.db")


def load_config(path: Path) -> Config:
    try:
        # utf-8-sig: a byte order mark, as some Windows editors save one, is not an error
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise ConfigError(path, [("", "no such configuration file")]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(path, [("", f"cannot be read: {error}")]) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(path, [("", f"not valid TOML: {error}")]) from None
    except RecursionError:
        raise ConfigError(path, [("", "not valid TOML: arrays or tables nested too deeply")]
                          ) from None
    reader = _Reader(path)
    config = reader.config(raw)
    if reader.problems or config is None:
        raise ConfigError(path, reader.problems)
    return config


class _Reader:
    """Walks the TOML tree once, collecting every problem instead of stopping at the first."""

    def __init__(self, path: Path):
        self.path = path
        self.problems: list[tuple[str, str]] = []

    def fail(self, key: str, what: str) -> None:
        self.problems.append((key, what))

    def named(self, key: str) -> bool:
        return any(named == key for named, _ in self.problems)

    def table(self, raw: Any, key: str, allowed: set[str], required: set[str]) -> dict[str, Any]:
        if not isinstance(raw, dict):
            self.fail(key, "must be a table")
            return {}
        for name in sorted(set(raw) - allowed):
            self.fail(f"{key}.{name}" if key else name, "unknown key")
        for name in sorted(required - set(raw)):
            self.fail(f"{key}.{name}" if key else name, "is required")
        return raw

    def text(self, raw: Any, key: str, pattern: re.Pattern[str] | None = None) -> str:
        if not isinstance(raw, str) or not raw.strip():
            self.fail(key, f"must be non-empty text, got {_given(raw)}")
            return ""
        if pattern and not pattern.fullmatch(raw.strip()):
            self.fail(key, f"{raw!r} does not match {pattern.pattern}")
        return raw.strip()

    def optional_text(self, raw: Any, key: str) -> str:
        if raw is None:
            return ""
        if not isinstance(raw, str):
            self.fail(key, f"must be text, got {_given(raw)}")
            return ""
        return raw.strip()

    def lines(self, raw: Any, key: str) -> tuple[str, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
            self.fail(key, f"must be a list of text lines like [\"Street 1\", \"Oslo\"], "
                           f"got {_given(raw)}")
            return ()
        return tuple(raw)

    def whole(self, raw: Any, key: str, low: int, high: int) -> int:
        if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= high:
            self.fail(key, f"must be a whole number from {low} to {high}, got {_given(raw)}")
            return low
        return raw

    def decimal(self, raw: Any, key: str, *, rate: bool) -> Decimal:
        example = '"0.10"' if rate else '"150.00"'
        if not isinstance(raw, str):
            self.fail(key, f"must be a decimal string like {example} (in quotes), "
                           f"got {_given(raw)}")
            return Decimal(0)
        if not PLAIN_DECIMAL.fullmatch(raw.strip()):
            self.fail(key, f"must be a plain decimal like {example}: digits 0-9 with at most "
                           f"6 after the point, no sign or exponent, got {raw!r}")
            return Decimal(0)
        value = D(raw)
        if rate and not value < Decimal(1):
            self.fail(key, f"a rate must be from 0 to below 1, got {raw!r}")
        if not rate and not Decimal(0) < value <= MAX_PRICE:
            self.fail(key, f"a price must be above 0 and at most {MAX_PRICE:,}, got {raw!r}")
        return value

    def currency(self, raw: Any, key: str) -> str:
        code = self.text(raw, key)
        if code and not is_currency(code):
            self.fail(key, f"{code!r} is not an ISO 4217 currency code")
        return code.upper()

    def day(self, raw: Any, key: str) -> date:
        if isinstance(raw, datetime) or not isinstance(raw, date | str) or (
                isinstance(raw, str) and not ISO_DATE.fullmatch(raw.strip())):
            self.fail(key, f"must be a date like 2026-01-01 or \"2026-01-01\", "
                           f"got {_given(raw)}")
            return date.min
        if isinstance(raw, date):
            return raw
        try:
            return date.fromisoformat(raw.strip())
        except ValueError:
            self.fail(key, f"{raw!r} is not a date of the calendar")
            return date.min

    def twins(self, key: str, names: list[str], what: str) -> None:
        """Names of one table told apart only by `name_key`: which one applies would depend on
        how a workbook spells it, so both are refused, naming each."""
        first: dict[str, str] = {}
        for name in names:
            other = first.setdefault(name_key(name), name)
            if other != name:
                self.fail(key, f"{what} {other!r} and {name!r} look the same (they differ "
                               "only in case, spaces or look-alike letters); keep one of them")

    def config(self, raw: dict[str, Any]) -> Config | None:
        top = self.table(
            raw,
            "",
            {"ledger", "issuer", "window", "limits", "term_discounts", "price_lists", "partners",
             "payment", "tax", "documents", "lifecycle", "accounts"},
            {"issuer", "term_discounts", "price_lists", "partners"},
        )
        ledger = top.get("ledger")
        if ledger is not None and not (isinstance(ledger, str) and ledger.strip()
                                       and ledger.isprintable()):
            self.fail("ledger", f"must be a SQLite path or a database URL, got {_given(ledger)}")
            ledger = None
        issuer = self.issuer(top.get("issuer", {}))
        window = self.window(top.get("window", {}))
        limits = self.limits(top.get("limits", {}))
        lifecycle = self.lifecycle(top.get("lifecycle", {}))
        accounts = self.accounts(top.get("accounts", {}))
        term_discounts = self.term_discounts(top.get("term_discounts", {}))
        price_lists = tuple(self.price_lists(top.get("price_lists", [])))
        partners = dict(self.partners(top.get("partners", {}), price_lists))
        payment = self.payment(top.get("payment"))
        tax = self.tax(top.get("tax"))
        documents = self.documents(top.get("documents"))
        if tax is not None:  # with [tax], a failed check of an identifier is an error (§10)
            for key, _, what in identifier_problems(issuer, partners, payment):
                self.fail(key, what)
        for key, what in legal_problems(issuer, partners, payment, tax, self.named):
            self.fail(key, what)
        if "ubl" in documents.formats:
            for key, what in ubl_problems(issuer, partners, payment, tax, self.named):
                self.fail(key, what)
        if self.problems:
            return None
        return Config(
            path=self.path,
            ledger=ledger,
            issuer=issuer,
            window=window,
            limits=limits,
            term_discounts=MappingProxyType(term_discounts),
            price_lists=price_lists,
            partners=MappingProxyType(partners),
            payment=payment,
            tax=tax,
            documents=documents,
            lifecycle=lifecycle,
            accounts=accounts,
        )

    def checked(self, raw: Any, key: str, problem: Callable[[str], str | None]) -> str:
        """Optional text that `problem` checks. (Identifiers are checked apart, after the
        file is read: see `identifier_problems`.)"""
        value = self.optional_text(raw, key)
        what = problem(value) if value else None
        if what:
            self.fail(key, what)
        return value

    def country(self, raw: Any, key: str) -> str:
        """An ISO 3166-1 alpha-2 code, upper-cased as a customer's is; "" if it is none (the
        rules that compare countries then say nothing more)."""
        before = len(self.problems)
        code = self.checked(raw.upper() if isinstance(raw, str) else raw, key, country_problem)
        return code if len(self.problems) == before else ""

    def issuer(self, raw: Any) -> Issuer:
        keys = {"name", "address", "vat_id", "invoice_prefix", "payment_terms_days", "street",
                "postal_code", "city", "country", "registration_id", "legal_form",
                "electronic_address", "email", "credit_note_prefix"}
        t = self.table(raw, "issuer", keys, {"name", "invoice_prefix"})
        country = self.country(t.get("country"), "issuer.country")
        prefixes = (self.text(t.get("invoice_prefix", "INV"), "issuer.invoice_prefix",
                              INVOICE_PREFIX),
                    self.text(t.get("credit_note_prefix", DEFAULT_CREDIT_NOTE_PREFIX),
                              "issuer.credit_note_prefix", INVOICE_PREFIX))
        if prefixes[0] and prefixes[0] == prefixes[1]:
            self.fail("issuer.credit_note_prefix", f"{prefixes[1]!r} is the invoice_prefix too; "
                      "credit notes are numbered in a series of their own")
        return Issuer(
            name=self.text(t.get("name", "?"), "issuer.name"),
            address=self.lines(t.get("address"), "issuer.address"),
            vat_id=self.optional_text(t.get("vat_id"), "issuer.vat_id"),
            invoice_prefix=prefixes[0],
            payment_terms_days=self.whole(
                t.get("payment_terms_days", 30), "issuer.payment_terms_days", 0, 365
            ),
            street=self.optional_text(t.get("street"), "issuer.street"),
            postal_code=self.optional_text(t.get("postal_code"), "issuer.postal_code"),
            city=self.optional_text(t.get("city"), "issuer.city"),
            country=country,
            registration_id=self.optional_text(t.get("registration_id"),
                                               "issuer.registration_id"),
            legal_form=self.optional_text(t.get("legal_form"), "issuer.legal_form"),
            electronic_address=self.optional_text(t.get("electronic_address"),
                                                  "issuer.electronic_address"),
            email=self.checked(t.get("email"), "issuer.email", email_problem),
            credit_note_prefix=prefixes[1],
        )

    def window(self, raw: Any) -> Window:
        t = self.table(raw, "window", {"max_backdate_days", "max_future_days"}, set())
        return Window(
            self.whole(t.get("max_backdate_days", 365), "window.max_backdate_days", 0, 3660),
            self.whole(t.get("max_future_days", 365), "window.max_future_days", 0, 3660),
        )

    def lifecycle(self, raw: Any) -> Lifecycle:
        t = self.table(raw, "lifecycle", {"notice_days"}, set())
        return Lifecycle(self.whole(t.get("notice_days", 90), "lifecycle.notice_days", 0, 3660))

    def accounts(self, raw: Any) -> Accounts:
        """[accounts] (SPEC §12): each key an account as text or a whole number (1500 is
        "1500"), 1 to 20 letters, digits, '.', '_' or '-' starting with a letter or digit; the
        four are different accounts (one booked against itself would book nothing)."""
        defaults = Accounts()
        names = ("receivable", "deferred_revenue", "vat_payable", "revenue")
        t = self.table(raw, "accounts", set(names), set())
        chosen: dict[str, str] = {}
        for name in names:
            key, value = f"accounts.{name}", t.get(name, getattr(defaults, name))
            if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                value = str(value)
            value = value.strip() if isinstance(value, str) else value
            if not isinstance(value, str) or not ACCOUNT.fullmatch(value):
                self.fail(key, "must be an account like \"1500\" or 1500: 1 to 20 letters, "
                          "digits, '.', '_' or '-', starting with a letter or digit, got "
                          f"{_given(t[name])}")
                continue
            twin = next((other for other, account in chosen.items()
                         if account.casefold() == value.casefold()), None)
            if twin is not None:  # said of the key the file gives, not of a default
                given, other = ((f"accounts.{twin}", name) if name not in t and twin in t
                                else (key, twin))
                default = " (its default)" if other not in t else ""
                self.fail(given, f"{value!r} is accounts.{other}{default} too; each of the "
                          "four is an account of its own")
            chosen[name] = value
        return Accounts(**{name: chosen.get(name, getattr(defaults, name)) for name in names})

    def limits(self, raw: Any) -> Limits:
        t = self.table(raw, "limits", {"max_file_mb", "max_unpacked_mb", "max_rows"}, set())
        return Limits(
            self.whole(t.get("max_file_mb", 50), "limits.max_file_mb", 1, 4096),
            self.whole(t.get("max_unpacked_mb", 500), "limits.max_unpacked_mb", 1, 65536),
            self.whole(t.get("max_rows", 1_000_000), "limits.max_rows", 1, 10_000_000),
        )

    def term_discounts(self, raw: Any) -> dict[int, Decimal]:
        allowed = {str(n) for n in TERMS}
        t = self.table(raw, "term_discounts", allowed, allowed)
        return {
            int(k): self.decimal(v, f'term_discounts."{k}"', rate=True)
            for k, v in t.items()
            if k in allowed
        }

    def price_lists(self, raw: Any) -> Iterator[PriceList]:
        if not isinstance(raw, list) or not raw:
            self.fail("price_lists", "must be one or more [[price_lists]] tables")
            return
        seen: dict[tuple[str, date], int] = {}
        spelled: dict[str, tuple[str, int]] = {}  # name_key -> (spelling, price list index)
        for index, item in enumerate(raw):
            key = f"price_lists[{index}]"
            keys = {"currency", "valid_from", "seat_price_per_year"}
            t = self.table(item, key, keys, keys)
            currency = self.currency(t.get("currency"), f"{key}.currency")
            valid_from = self.day(t.get("valid_from"), f"{key}.valid_from")
            prices_raw = t.get("seat_price_per_year", {})
            prices = {}
            if not isinstance(prices_raw, dict) or not prices_raw:
                self.fail(f"{key}.seat_price_per_year", "must name at least one device type")
            else:
                self.twins(f"{key}.seat_price_per_year", list(prices_raw), "device types")
                for device_type, price in prices_raw.items():
                    name = f'{key}.seat_price_per_year."{device_type}"'
                    if not device_type.strip() or not device_type.isprintable():
                        self.fail(name, "a device type needs a name of printable characters")
                    spelling, first = spelled.setdefault(name_key(device_type),
                                                         (device_type.strip(), index))
                    if spelling != device_type.strip() and first != index:
                        self.fail(name, f"price_lists[{first}] spells this device type "
                                        f"{spelling!r}; spell it one way in every list")
                    prices[device_type.strip()] = self.decimal(price, name, rate=False)
            clash = seen.get((currency, valid_from))
            if clash is not None and currency and valid_from != date.min:
                self.fail(
                    key,
                    f"overlaps price_lists[{clash}]: both are {currency} lists valid from "
                    f"{valid_from.isoformat()}; which one applies would be ambiguous",
                )
            seen[(currency, valid_from)] = index
            yield PriceList(index, currency, valid_from, MappingProxyType(prices))

    def partners(
        self, raw: Any, price_lists: tuple[PriceList, ...]
    ) -> Iterator[tuple[str, Partner]]:
        if not isinstance(raw, dict) or not raw:
            self.fail("partners", "must configure at least one [partners.ID] table")
            return
        currencies = {p.currency for p in price_lists}
        self.twins("partners", list(raw), "partner ids")
        for partner_id, item in raw.items():
            key = f"partners.{partner_id}"
            if not PARTNER_ID.fullmatch(partner_id):
                self.fail(key, "a partner id is 1 to 64 letters, digits, '.', '_' or '-'")
            keys = {"name", "currency", "discount", "address", "street", "postal_code", "city",
                    "country", "vat_id", "registration_id", "electronic_address", "tax"}
            t = self.table(item, key, keys, {"name", "currency"})
            currency = self.currency(t.get("currency"), f"{key}.currency")
            if currency and currency not in currencies:
                self.fail(f"{key}.currency", f"no price list is in {currency}")
            country = self.country(t.get("country"), f"{key}.country")
            yield partner_id, Partner(
                id=partner_id,
                name=self.text(t.get("name", "?"), f"{key}.name"),
                currency=currency,
                discount=self.decimal(t.get("discount", "0"), f"{key}.discount", rate=True),
                address=self.lines(t.get("address"), f"{key}.address"),
                street=self.optional_text(t.get("street"), f"{key}.street"),
                postal_code=self.optional_text(t.get("postal_code"), f"{key}.postal_code"),
                city=self.optional_text(t.get("city"), f"{key}.city"),
                country=country,
                vat_id=self.optional_text(t.get("vat_id"), f"{key}.vat_id"),
                registration_id=self.optional_text(t.get("registration_id"),
                                                   f"{key}.registration_id"),
                electronic_address=self.optional_text(t.get("electronic_address"),
                                                      f"{key}.electronic_address"),
                tax=self.optional_text(t.get("tax"), f"{key}.tax"),
            )

    def payment(self, raw: Any) -> Payment | None:
        if raw is None:
            return None
        keys = {"iban", "bic", "bank", "reference"}
        t = self.table(raw, "payment", keys, {"iban", "bic"})
        reference = t.get("reference", "invoice_number")
        if reference not in REFERENCES:
            self.fail("payment.reference", 'must be "invoice_number" or "rf" (an ISO 11649 '
                      f"creditor reference made from the number), got {_given(reference)}")
        return Payment(
            iban=self.optional_text(t.get("iban"), "payment.iban"),
            bic=self.optional_text(t.get("bic"), "payment.bic"),
            bank=self.optional_text(t.get("bank"), "payment.bank"),
            reference=reference if reference in REFERENCES else "invoice_number",
        )

    def tax(self, raw: Any) -> Tax | None:
        if raw is None:
            return None
        t = self.table(raw, "tax", {"default", "treatments"}, {"default", "treatments"})
        treatments_raw = t.get("treatments", {})
        treatments: dict[str, Treatment] = {}
        if not isinstance(treatments_raw, dict) or not treatments_raw:
            if "treatments" in t:
                self.fail("tax.treatments", "must name at least one [tax.treatments.NAME] table")
        else:
            for name, item in treatments_raw.items():
                treatments[name] = self.treatment(name, item)
        default = self.text(t.get("default", "?"), "tax.default")
        if "default" in t and default and treatments and default not in treatments:
            self.fail("tax.default", f"{default!r} is not one of [tax.treatments]: "
                      + ", ".join(treatments))
        return Tax(default, MappingProxyType(treatments))

    def treatment(self, name: str, raw: Any) -> Treatment:
        key = f"tax.treatments.{name}"
        if not TREATMENT_NAME.fullmatch(name):
            self.fail(key, "a treatment name is 1 to 64 letters, digits, '.', '_' or '-'")
        t = self.table(raw, key, {"category", "rate", "note"}, {"category", "rate"})
        category = t.get("category")
        if "category" not in t:
            category = ""  # named as required above
        elif not isinstance(category, str) or category not in CATEGORIES:
            self.fail(f"{key}.category", "must be one of " + ", ".join(CATEGORIES)
                      + f" (EN 16931 VAT category codes), got {_given(category)}")
            category = ""
        before = len(self.problems)
        rate = self.decimal(t.get("rate", "0"), f"{key}.rate", rate=True)
        shown = repr(t.get("rate"))
        if len(self.problems) == before and "rate" in t and category:
            if category == "S" and not rate:
                self.fail(f"{key}.rate", f"category S ({CATEGORIES['S']}) needs a rate above "
                          f"0, got {shown}")
            if category in ZERO_RATED and rate:
                self.fail(f"{key}.rate", f"category {category} ({CATEGORIES[category]}) has a "
                          f"rate of 0, got {shown}")
        note = self.optional_text(t.get("note"), f"{key}.note")
        if category in NEEDS_NOTE and not note:
            self.fail(f"{key}.note", f"is required for category {category} "
                      f"({CATEGORIES[category]}): the reason the invoice carries no VAT")
        if category == "S" and note:
            self.fail(f"{key}.note", "category S (standard rate) takes no note: the invoice "
                      "shows its rate and VAT (EN 16931 BR-S-10: no exemption reason)")
        return Treatment(name, category, rate, note)

    def documents(self, raw: Any) -> Documents:
        if raw is None:
            return Documents()
        t = self.table(raw, "documents", {"formats"}, set())
        formats = t.get("formats")
        if formats is None:
            return Documents()
        allowed = ", ".join(f'"{f}"' for f in FORMATS)
        if not (isinstance(formats, list) and formats
                and all(isinstance(f, str) for f in formats)):
            self.fail("documents.formats", f"must be a list of one or more of {allowed}, "
                      f"got {_given(formats)}")
            return Documents()
        for name in formats:
            if name not in FORMATS:
                self.fail("documents.formats", f"{name!r} is not a format; the formats are "
                          f"{allowed}")
        for name in sorted({f for f in formats if formats.count(f) > 1}):
            self.fail("documents.formats", f"{name!r} is listed more than once")
        return Documents(tuple(formats))
