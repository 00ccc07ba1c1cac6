"""The legal content of an invoice that the configuration gives (SPEC §10): how it is paid, its
VAT treatments, the documents it is written as; the checks of the identifiers the parties give
(countries, VAT ids, registration ids, IBAN, BIC, Peppol electronic addresses); and §10's rules
across tables (each partner's treatment, what a treatment needs of the parties, what `ubl`
needs), for config.py to report at their keys.

The checks of check digits are python-stdnum's; each returns what is wrong as text, or None
when nothing is or no module knows the value's country. The libraries are imported when a
value is first checked, so that a command that checks none (or `--help`) does not load them."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache, lru_cache, partial
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the parties are config's records; the rules below only read them
    from seatbatch.core.config import Issuer, Partner

# EN 16931 VAT category codes (UNCL5305) that SPEC §10 allows, with what each is called
CATEGORIES = {
    "S": "standard rate",
    "Z": "zero rated",
    "E": "exempt from VAT",
    "AE": "reverse charge",
    "G": "export outside the EU",
    "O": "not subject to VAT",
}
ZERO_RATED = frozenset({"Z", "E", "AE", "G", "O"})  # a rate of 0
NEEDS_NOTE = frozenset({"E", "AE", "G", "O"})  # the exemption reason, printed and in the UBL
NEEDS_ISSUER_VAT_ID = frozenset({"S", "Z", "E", "AE", "G"})  # BR-S-02 ... BR-G-02
FORMATS = ("xlsx", "html", "pdf", "ubl")
DEFAULT_FORMATS = ("xlsx", "html", "pdf")
REFERENCES = ("invoice_number", "rf")
DEFAULT_CREDIT_NOTE_PREFIX = "CN"
COUNTRY_HINTS = {"UK": "GB", "EL": "GR"}  # codes given for a country's, and what they mean

# The Electronic Address Scheme codes Peppol BIS Billing 3.0 accepts (PEPPOL-EN16931-CL008),
# as its rules/sch/PEPPOL-EN16931-UBL.sch lists them (release of 2025-05).
_EAS_CODES = (
    "0002 0007 0009 0037 0060 0088 0096 0097 0106 0130 0135 0142 0151 0177 0183 0184 0188 0190 "
    "0191 0192 0193 0195 0196 0198 0199 0200 0201 0202 0204 0208 0209 0210 0211 0212 0213 0215 "
    "0216 0218 0221 0230 0235 9910 9913 9914 9915 9918 9919 9920 9922 9923 9924 9925 9926 9927 "
    "9928 9929 9930 9931 9932 9933 9934 9935 9936 9937 9938 9939 9940 9941 9942 9943 9944 9945 "
    "9946 9947 9948 9949 9950 9951 9952 9953 9957 9959 0147 0154 0158 0170 0194 0203 0205 0217 "
    "0225 0240"
)
EAS_SCHEMES = frozenset(_EAS_CODES.split())
# Schemes whose identifiers Peppol checks with a fatal rule (PEPPOL-COMMON-R040 to R050), and the
# python-stdnum module that checks them the same way.
EAS_CHECKED = {
    "0088": "ean",  # GLN (R040)
    "0192": "no.orgnr",  # Norwegian organisation number (R041)
    "0184": "dk.cvr",  # Danish CVR (R042)
    "0208": "be.vat",  # Belgian enterprise number (R043)
    "0007": "se.orgnr",  # Swedish organisation number (R049)
    "0151": "au.abn",  # Australian Business Number (R050)
}
# A legal registration number (BT-30, BT-47) by the party's country: the countries whose
# register's numbers python-stdnum checks; a number is valid if one of the modules accepts it.
# Elsewhere (Germany's court registers, the UK's Companies House, ...) it is taken as given.
REGISTRATION_MODULES = {
    "NO": ("no.orgnr",),
    "SE": ("se.orgnr",),
    "DK": ("dk.cvr",),
    "FI": ("fi.ytunnus",),
    "BE": ("be.vat",),
    "FR": ("fr.siren", "fr.siret"),
    "EE": ("ee.registrikood",),
    "IS": ("is_.kennitala",),
    "CH": ("ch.uid",),
    "AT": ("at.businessid",),
    "PL": ("pl.regon",),
    "AU": ("au.abn",),
}
GLN_DIGITS = 13
# what the e-invoice (Peppol BIS 3) needs of each party besides its name: the structured
# address (BR-08 to BR-11), the electronic address (PEPPOL-EN16931-R020, R010) and, of the
# issuer, its legal registration number, which identifies it where no VAT id may (BR-CO-26, O)
UBL_ISSUER_KEYS = ("street", "postal_code", "city", "country", "registration_id",
                   "electronic_address")
UBL_PARTNER_KEYS = ("street", "postal_code", "city", "country", "electronic_address")
UBL = 'when [documents] formats lists "ubl": the e-invoice carries it'

ELECTRONIC_ADDRESS = re.compile(r"([0-9]{4}):([^\s:]{1,125})")
RF_MAX = 21  # letters and digits an ISO 11649 reference carries after "RF" and its check digits
# a number's year and sequence (up to 7 digits) take 11 of them, its prefix the rest
RF_PREFIX_MAX = RF_MAX - 11
Found = Iterator[tuple[str, str]]  # (key, what is wrong)


@dataclass(frozen=True)
class Treatment:
    """A named VAT treatment of `[tax.treatments.NAME]`."""

    name: str
    category: str  # S, Z, E, AE, G or O
    rate: Decimal  # 0 <= rate < 1; above 0 for S only
    note: str = ""  # the exemption reason; "" for S (and Z, where it may be left out)


@dataclass(frozen=True)
class Tax:
    default: str  # the treatment of a partner in the issuer's country
    treatments: Mapping[str, Treatment]


@dataclass(frozen=True)
class Payment:
    iban: str  # as written in the file
    bic: str
    bank: str = ""
    reference: str = "invoice_number"  # or "rf"

    def reference_for(self, number: str) -> str:
        """The payment reference of an invoice (or credit note) number: the number itself, or
        the ISO 11649 creditor reference made from its letters and digits ("RF" + two check
        digits + them), in its electronic form, without spaces."""
        return payment_reference(self.reference, number)


def payment_reference(kind: str, number: str) -> str:
    """`Payment.reference_for` by the kind of reference ("invoice_number" or "rf")."""
    return number if kind == "invoice_number" else rf_reference(number)


@dataclass(frozen=True)
class Documents:
    formats: tuple[str, ...] = DEFAULT_FORMATS


def rf_reference(text: str) -> str:
    """The ISO 11649 creditor reference made from the letters and digits of `text`."""
    from stdnum import iso11649
    from stdnum.iso7064 import mod_97_10

    body = re.sub(r"[^A-Z0-9]", "", text.upper())
    if not 0 < len(body) <= RF_MAX:
        raise ValueError(f"an RF reference carries 1 to {RF_MAX} letters and digits; "
                         f"{text!r} has {len(body)}")
    return iso11649.validate("RF" + mod_97_10.calc_check_digits(body + "RF") + body)


@cache
def countries() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes, from pycountry: the configuration's and the workbook's."""
    import pycountry

    return frozenset(c.alpha_2 for c in pycountry.countries)


def country_hint(given: str) -> str | None:
    """The two-letter code meant by what was given instead of one: a code given for a country's
    (UK), one in lower case, a three-letter code (NOR) or the country's name (Norway, in
    English, as ISO 3166 names it: pycountry's lookup)."""
    import pycountry

    text = given.strip()
    better = COUNTRY_HINTS.get(text.upper())
    if better or text.upper() in countries():
        return better or text.upper()
    try:
        return str(pycountry.countries.lookup(text).alpha_2)
    except LookupError:
        return None


def country_problem(code: str) -> str | None:
    if code in countries():
        return None
    better = COUNTRY_HINTS.get(code.upper()) or (code.upper() if code.upper() in countries()
                                                 else None)
    hint = f" (did you mean '{better}'?)" if better else ""
    return f"{code!r} is not an ISO 3166-1 two-letter country code{hint}"


# The plain ASCII address most e-mail addresses are, that email_validator (2.x, its defaults,
# check_deliverability=False) accepts, the checks it does spelled out: a dot-atom before the
# @-sign of RFC 5322's atext (its length unchecked: not strict); after it, at least two labels
# of letters, digits and inner hyphens (up to 63 each), the last ending with a letter. The
# rest, in _plainly_valid, are the lengths, Punycode and R-LDH labels (their "--") and the
# special-use names. Anything else is left to email_validator itself.
_ATEXT = r"[A-Za-z0-9_!#$%&'*+\-/=?^`{|}~]"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_PLAIN_ASCII = re.compile(
    rf"{_ATEXT}+(?:\.{_ATEXT}+)*@(?:{_LABEL}\.)+(?:[A-Za-z0-9][A-Za-z0-9-]{{0,61}})?[A-Za-z]",
    re.ASCII)
_EMAIL_MAX, _DOMAIN_MAX = 254, 253  # octets (RFC 5321 4.5.3.1.3 errata, RFC 1035 2.3.4)
# email_validator's SPECIAL_USE_DOMAIN_NAMES: a domain that is one or ends in one is refused
_SPECIAL_USE = frozenset({"arpa", "invalid", "local", "localhost", "onion", "test"})


def _plainly_valid(value: str) -> bool:
    """Whether email_validator accepts the address, known without it: a plain ASCII address
    (False: not known, ask it)."""
    if len(value) > _EMAIL_MAX or _PLAIN_ASCII.fullmatch(value) is None:
        return False
    domain = value[value.index("@") + 1:]
    # "--" anywhere: a Punycode (xn--) or R-LDH (ab--) label, among others, is not plain
    return len(domain) <= _DOMAIN_MAX and "--" not in domain \
        and domain[domain.rindex(".") + 1:].lower() not in _SPECIAL_USE


@lru_cache(maxsize=1 << 14)  # a workbook's check and then its message ask again of each address
def email_error(value: str) -> str | None:
    """What is wrong with an e-mail address's form (its domain is not looked up), or None.
    A plain ASCII address is known valid without email_validator, whose checks of a domain's
    Unicode are most of its time; anything else is its to judge."""
    if _plainly_valid(value):
        return None
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as error:
        return str(error)
    return None


def email_problem(value: str) -> str | None:
    error = email_error(value)
    return None if error is None else f"{value!r} is not an e-mail address: {error}"


def _module(name: str) -> ModuleType:
    return importlib.import_module(f"stdnum.{name}")


def _title(module: object) -> str:
    """'Orgnr (Organisasjonsnummer, Norwegian organisation number)', from the module's doc."""
    return (module.__doc__ or "?").strip().splitlines()[0].rstrip(".")


def _failed(value: str, modules: tuple[ModuleType, ...], title: str = "") -> str | None:
    """What is wrong with `value` by each module, if no module accepts it."""
    from stdnum.exceptions import ValidationError

    reasons = []
    for module in modules:
        try:
            module.validate(value)
        except ValidationError as error:
            reason = str(error).rstrip(".")
            reasons.append(f"{title or _title(module)}: {reason[:1].lower()}{reason[1:]}")
        else:
            return None
    return f"{value!r} fails the check of " + "; nor ".join(reasons)


def vat_id_problem(value: str) -> str | None:
    """A VAT id starts with its country's ISO 3166-1 alpha-2 code (EL for Greece, XI for
    Northern Ireland: EN 16931 BR-CO-09), and passes python-stdnum's check of that country's
    numbers where it has one."""
    from stdnum.util import get_cc_module

    prefix = value[:2].upper()
    country = {"EL": "GR", "XI": "GB"}.get(prefix, prefix)
    if not re.fullmatch(r"[A-Z]{2}", prefix) or country not in countries():
        return (f"{value!r} does not start with a country code (ISO 3166-1 alpha-2, or EL for "
                "Greece), like NO999999999MVA")
    module = get_cc_module(country.lower(), "vat")
    if module is None:
        return None
    from stdnum import vatin

    return _failed(value, (vatin,), _title(module))


def registration_problem(country: str, value: str) -> str | None:
    """A legal registration number checked by its country's register, where stdnum knows it."""
    names = REGISTRATION_MODULES.get(country)
    return _failed(value, tuple(map(_module, names))) if names else None


def iban_problem(value: str) -> str | None:
    from stdnum import iban

    return _failed(value, (iban,))


def bic_problem(value: str) -> str | None:
    from stdnum import bic

    return _failed(value, (bic,))


def electronic_address_problem(value: str) -> str | None:
    """A Peppol participant id "scheme:id": a scheme of the Electronic Address Scheme code list
    and an id its fatal rule accepts where Peppol checks that scheme's ids."""
    form = ELECTRONIC_ADDRESS.fullmatch(value)
    if form is None:
        return (f"{value!r} is not an electronic address \"scheme:id\" like "
                "\"0192:999999999\" (a four-digit Peppol scheme, a colon and the id)")
    scheme, identifier = form.groups()
    if scheme not in EAS_SCHEMES:
        return (f"{value!r}: scheme {scheme} is not in Peppol's Electronic Address Scheme code "
                "list")
    checked = EAS_CHECKED.get(scheme)
    failed = _failed(identifier, (_module(checked),)) if checked else None
    if scheme == "0088" and not failed and len(identifier) != GLN_DIGITS:
        failed = f"{identifier!r} is not a GLN of 13 digits"
    return f"scheme {scheme}: {failed}" if failed else None


# --- the identifiers the parties give -------------------------------------------------------

def identifier_problems(issuer: Issuer, partners: Mapping[str, Partner],
                        payment: Payment | None) -> Iterator[tuple[str, str, str]]:
    """(key, code, what is wrong) of each identifier that fails its check, in the file's order:
    an error with [tax], a warning without (§10)."""
    checks: list[tuple[str, str, Callable[[str], str | None], str]] = []
    parties: list[tuple[str, Issuer | Partner]] = [("issuer", issuer)]
    parties += [(f"partners.{partner_id}", partner) for partner_id, partner in partners.items()]
    for key, party in parties:
        checks += [
            (f"{key}.vat_id", party.vat_id, vat_id_problem, "invalid_vat_id"),
            (f"{key}.registration_id", party.registration_id,
             partial(registration_problem, party.country), "invalid_registration_id"),
            (f"{key}.electronic_address", party.electronic_address, electronic_address_problem,
             "invalid_electronic_address"),
        ]
        if key == "issuer" and payment is not None:
            checks += [("payment.iban", payment.iban, iban_problem, "invalid_iban"),
                       ("payment.bic", payment.bic, bic_problem, "invalid_bic")]
    for key, value, check, code in checks:
        what = check(value) if value else None
        if what:
            yield key, code, what


# --- §10's rules across tables --------------------------------------------------------------

def treatment_name(tax: Tax, issuer: Issuer, partner: Partner) -> str:
    """The partner's `tax`, else `[tax] default` if its country is the issuer's, else ""."""
    if partner.tax:
        return partner.tax
    return tax.default if partner.country and partner.country == issuer.country else ""


def legal_problems(issuer: Issuer, partners: Mapping[str, Partner], payment: Payment | None,
                   tax: Tax | None, named: Callable[[str], bool]) -> Found:
    """Each partner's treatment, what each treatment needs of the parties' VAT ids, and the
    room an RF reference leaves the numbers' prefixes. `named`: whether a key has a problem
    already (a missing key is not reported twice)."""
    if payment is not None and payment.reference == "rf":
        for name in ("invoice_prefix", "credit_note_prefix"):
            prefix = getattr(issuer, name)
            if len(re.sub(r"[^A-Z0-9]", "", prefix)) > RF_PREFIX_MAX:
                yield ("payment.reference", f'"rf" makes an ISO 11649 reference of at most '
                       f"{RF_MAX} letters and digits from each number; issuer.{name} "
                       f"{prefix!r} leaves too few (it may have at most {RF_PREFIX_MAX})")
    if tax is None:
        for partner_id, partner in partners.items():
            if partner.tax:
                yield (f"partners.{partner_id}.tax",
                       "names a treatment, but the file has no [tax] table")
        return
    if not issuer.country and not named("issuer.country"):
        yield ("issuer.country", "is required with [tax]: it is the issuer's VAT country, "
               "to whose partners [tax] default applies")
    for treatment in tax.treatments.values():
        yield from _issuer_vat_id(issuer, treatment)
    for partner_id, partner in partners.items():
        yield from _partner_treatment(partner_id, partner, issuer, tax, named)


def _issuer_vat_id(issuer: Issuer, treatment: Treatment) -> Found:
    key, category = f"tax.treatments.{treatment.name}", treatment.category
    if category in NEEDS_ISSUER_VAT_ID and not issuer.vat_id:
        yield ("issuer.vat_id", f"is required by {key} (category {category}, "
               f"{CATEGORIES[category]})")
    if category == "O" and issuer.vat_id:
        yield (f"{key}.category", "category O (not subject to VAT) forbids VAT ids on the "
               f"invoice, but issuer.vat_id is {issuer.vat_id!r}: an issuer with a VAT id "
               "cannot use it")


def _partner_treatment(partner_id: str, partner: Partner, issuer: Issuer, tax: Tax,
                       named: Callable[[str], bool]) -> Found:
    key = f"partners.{partner_id}"
    name = treatment_name(tax, issuer, partner)
    if partner.tax and partner.tax not in tax.treatments:
        yield (f"{key}.tax", f"{partner.tax!r} is not one of [tax.treatments]: "
               + ", ".join(tax.treatments))
    elif not partner.tax and not partner.country:
        if not named(f"{key}.country"):
            yield (f"{key}.country", "is required with [tax], to choose the partner's "
                   "treatment (or name it in tax)")
    elif not name and issuer.country and not named(f"{key}.tax") and not named("tax.default"):
        # (a name already refused as given leaves no treatment: that message says why)
        yield (f"{key}.tax", f"is required: the partner's country {partner.country!r} is not "
               f"the issuer's ({issuer.country!r}, issuer.country), and [tax] default is for "
               "partners in the issuer's country")
    treatment = tax.treatments.get(name)
    if treatment is None:
        return
    if treatment.category == "AE" and not partner.vat_id:
        yield (f"{key}.vat_id", f"is required: its treatment {name!r} is category AE (reverse "
               "charge), where the invoice names the buyer's VAT id")
    if treatment.category == "O" and partner.vat_id:
        yield (f"{key}.vat_id", f"its treatment {name!r} is category O (not subject to VAT), "
               "which forbids VAT ids on the invoice; remove vat_id")


def ubl_problems(issuer: Issuer, partners: Mapping[str, Partner], payment: Payment | None,
                 tax: Tax | None, named: Callable[[str], bool]) -> Found:
    """What the e-invoice needs of the configuration (§9): every missing key named, once."""
    for table, value in (("tax", tax), ("payment", payment)):
        if value is None:
            yield (table, f"is required {UBL}")
    missing = [f"issuer.{name}" for name in UBL_ISSUER_KEYS if not getattr(issuer, name)]
    for partner_id, partner in partners.items():
        missing += [f"partners.{partner_id}.{name}" for name in UBL_PARTNER_KEYS
                    if not getattr(partner, name)]
    for key in missing:
        if not named(key):
            yield (key, f"is required {UBL}")
