"""The configuration of SPEC Part II (§9, §10): the parties' structured data, `[payment]`,
`[tax]` and `[documents]`, each rule of §10 checked at load with one message naming the key;
a Part I configuration loads as before, with the new keys at their defaults."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum import iso11649

from conftest import PART1_CONFIG, ROOT, SAMPLES, Env, customer, order
from seatbatch.core.config import (
    Config,
    ConfigError,
    ConfigWarning,
    Issuer,
    Partner,
    load_config,
)
from seatbatch.core.legal import (
    Documents,
    Payment,
    Treatment,
    iban_problem,
    registration_problem,
    rf_reference,
    vat_id_problem,
)
from test_config_types import document, key_name, key_paths, renew_with, replaced, values

PART2 = (ROOT / "tests" / "data" / "part2.toml").read_text(encoding="utf-8")
NO_TAX = ConfigWarning("tax", "no_tax_configured", "no [tax] table: invoices are issued without "
                       "VAT; configure [tax] (and [payment]) to issue them with VAT and payment "
                       "details")
TREATMENTS = """
[tax.treatments.domestic]
category = "S"
rate = "0.25"
[tax.treatments.reverse_charge]
category = "AE"
rate = "0"
note = "Reverse charge: the buyer accounts for VAT"
[tax.treatments.export]
category = "G"
rate = "0"
note = "Export of services outside the issuer's VAT area"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "seatbatch.toml"
    path.write_text(text, encoding="utf-8")
    return path


def load(tmp_path: Path, text: str) -> Config:
    return load_config(write(tmp_path, text))


def problems(tmp_path: Path, text: str) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text)
    return caught.value.problems


def part2(*replacements: tuple[str, str]) -> str:
    """The Part II fixture with each (old, new) replaced once; old must be there."""
    text = PART2
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def treatment(category: str, rate: str, note: str = "") -> tuple[str, str]:
    """The `domestic` treatment replaced by one of this category, rate and note."""
    body = f'category = "{category}"\nrate = "{rate}"\n' + (f'note = "{note}"\n' if note else "")
    return ('[tax.treatments.domestic]\ncategory = "S"\nrate = "0.25"\n',
            f"[tax.treatments.domestic]\n{body}")


# --- what loads -------------------------------------------------------------------------------

def test_the_part2_fixture_loads_with_every_key(tmp_path: Path) -> None:
    config = load(tmp_path, PART2)
    assert config.warnings == ()
    issuer = config.issuer
    assert (issuer.street, issuer.postal_code, issuer.city, issuer.country) == (
        "Wergelandsveien 1", "0167", "Oslo", "NO")
    assert (issuer.registration_id, issuer.legal_form, issuer.electronic_address,
            issuer.email, issuer.credit_note_prefix) == (
        "999999999", "Foretaksregisteret", "0192:999999999", "billing@example-sensors.no", "CN")
    assert config.payment == Payment("NO9386011117947", "DNBANOKKXXX", "DNB Bank ASA",
                                     "invoice_number")
    assert config.documents == Documents(("xlsx", "html", "pdf", "ubl"))
    acme = config.partner("P-ACME")
    assert (acme.street, acme.postal_code, acme.city, acme.country, acme.vat_id,
            acme.registration_id, acme.electronic_address, acme.tax) == (
        "2 Dock Road", "E16 1AA", "London", "GB", "GB980780684", "01234567",
        "0088:5790000435975", "export")
    assert config.tax is not None and config.tax.default == "domestic"
    assert list(config.tax.treatments) == ["domestic", "reverse_charge", "export"]


def test_which_treatment_a_partner_has(tmp_path: Path) -> None:
    """§10: its `tax`, else `[tax] default` when in the issuer's country."""
    config = load(tmp_path, PART2)
    assert config.treatment_of("P-NORD") == Treatment("domestic", "S", Decimal("0.25"))
    assert config.treatment_of("P-ACME") == Treatment(
        "export", "G", Decimal(0), "Export of services outside the issuer's VAT area")
    rhein = config.treatment_of("P-RHEIN")
    assert rhein is not None and (rhein.name, rhein.category) == ("reverse_charge", "AE")
    assert load(tmp_path, PART1_CONFIG).treatment_of("P-ACME") is None  # without [tax]


def test_a_part1_configuration_loads_as_before(tmp_path: Path) -> None:
    """The Part I keys as they were; every new key at its default (absent: "" or None);
    the one warning `no_tax_configured` (§10)."""
    config = load(tmp_path, PART1_CONFIG)
    assert config.issuer == Issuer("Example Sensors AS", ("Street 1", "0150 Oslo", "Norway"),
                                   "NO999999999MVA", "INV", 30)
    assert config.partner("P-ACME") == Partner("P-ACME", "Acme Facilities Ltd", "EUR",
                                               Decimal("0.20"), ("Road 2", "London", "UK"))
    assert config.partner("P-OTHER") == Partner("P-OTHER", "Other Reseller GmbH", "EUR",
                                                Decimal("0.10"))
    assert (config.payment, config.tax) == (None, None)
    assert config.documents.formats == ("xlsx", "html", "pdf")
    assert config.issuer.credit_note_prefix == "CN"
    assert config.warnings == (NO_TAX,)
    sample = load_config(SAMPLES / "seatbatch.toml")  # the shipped sample has every Part II key
    assert sample.warnings == ()
    assert sample.documents.formats == ("xlsx", "html", "pdf", "ubl")
    assert (sample.treatment_of("P-ACME"), sample.treatment_of("P-NORD")) == (
        sample.tax and sample.tax.treatments["export"],
        sample.tax and sample.tax.treatments["domestic"])


# --- SPEC §10's example values --------------------------------------------------------------

def test_the_spec_example_identifiers_and_their_check_digits() -> None:
    """§10's IBAN, organisation number and issuer VAT id pass; its partner VAT id
    GB123456789 does not (which is why the fixture uses GB980780684)."""
    assert iban_problem("NO9386011117947") is None
    assert registration_problem("NO", "999999999") is None
    assert vat_id_problem("NO999999999MVA") is None
    assert vat_id_problem("GB123456789") == (
        "'GB123456789' fails the check of VAT (United Kingdom (and Isle of Man) VAT "
        "registration number): the number's checksum or check digit is invalid")
    assert vat_id_problem("GB980780684") is None


def test_payment_reference_of_an_invoice_number(tmp_path: Path) -> None:
    assert Payment("x", "y").reference_for("INV-2026-000001") == "INV-2026-000001"
    rf = Payment("x", "y", reference="rf").reference_for("INV-2026-000001")
    assert rf == "RF94INV2026000001" == rf_reference("INV-2026-000001")
    assert iso11649.is_valid(rf)
    config = load(tmp_path, part2(('reference = "invoice_number"', 'reference = "rf"')))
    assert config.payment is not None
    assert config.payment.reference_for("CN-2026-000012") == rf_reference("CN2026000012")


def test_rf_needs_room_for_the_prefix(tmp_path: Path) -> None:
    text = part2(('reference = "invoice_number"', 'reference = "rf"'),
                 ('invoice_prefix = "INV"', 'invoice_prefix = "ACME-SENSORS-NO"'))
    assert problems(tmp_path, text) == [(
        "payment.reference", '"rf" makes an ISO 11649 reference of at most 21 letters and '
        "digits from each number; issuer.invoice_prefix 'ACME-SENSORS-NO' leaves too few "
        "(it may have at most 10)")]


def test_payment_reference_is_one_of_two(tmp_path: Path) -> None:
    text = part2(('reference = "invoice_number"', 'reference = "kid"'))
    assert problems(tmp_path, text) == [(
        "payment.reference", 'must be "invoice_number" or "rf" (an ISO 11649 creditor '
        "reference made from the number), got 'kid' (text)")]


# --- the treatments (§10 "Which treatment") ---------------------------------------------------

def test_category_s_needs_a_rate_above_0(tmp_path: Path) -> None:
    assert problems(tmp_path, part2(treatment("S", "0"))) == [(
        "tax.treatments.domestic.rate", "category S (standard rate) needs a rate above 0, "
        "got '0'")]


@pytest.mark.parametrize(("category", "called"), [
    ("Z", "zero rated"), ("E", "exempt from VAT"), ("AE", "reverse charge"),
    ("G", "export outside the EU"), ("O", "not subject to VAT")])
def test_the_other_categories_have_a_rate_of_0(tmp_path: Path, category: str,
                                               called: str) -> None:
    text = part2(treatment(category, "0.25", "why"), ('vat_id = "NO923456783MVA"\n', ""),
                 ('vat_id = "NO999999999MVA"\n', "") if category == "O" else ("", ""))
    assert ("tax.treatments.domestic.rate",
            f"category {category} ({called}) has a rate of 0, got '0.25'") in \
        problems(tmp_path, text)


@pytest.mark.parametrize("category", ["E", "AE", "G", "O"])
def test_a_zero_rate_but_z_needs_a_note(tmp_path: Path, category: str) -> None:
    text = part2(treatment(category, "0"), ('vat_id = "NO923456783MVA"\n', ""))
    found = dict(problems(tmp_path, text))
    assert found["tax.treatments.domestic.note"].startswith(
        f"is required for category {category} (")
    assert found["tax.treatments.domestic.note"].endswith(
        "): the reason the invoice carries no VAT")


def test_z_needs_no_note_and_s_takes_none(tmp_path: Path) -> None:
    assert load(tmp_path, part2(treatment("Z", "0"))).treatment_of("P-NORD") == Treatment(
        "domestic", "Z", Decimal(0))
    assert problems(tmp_path, part2(treatment("S", "0.25", "Standard"))) == [(
        "tax.treatments.domestic.note", "category S (standard rate) takes no note: the "
        "invoice shows its rate and VAT (EN 16931 BR-S-10: no exemption reason)")]


def test_an_unknown_category_and_a_rate_out_of_range(tmp_path: Path) -> None:
    assert problems(tmp_path, part2(treatment("K", "1.25"))) == [
        ("tax.treatments.domestic.category", "must be one of S, Z, E, AE, G, O (EN 16931 VAT "
         "category codes), got 'K' (text)"),
        ("tax.treatments.domestic.rate", "a rate must be from 0 to below 1, got '1.25'"),
    ]


def test_reverse_charge_needs_the_partners_vat_id(tmp_path: Path) -> None:
    text = part2(('vat_id = "DE136695976"\n', ""))
    assert problems(tmp_path, text) == [(
        "partners.P-RHEIN.vat_id", "is required: its treatment 'reverse_charge' is category AE "
        "(reverse charge), where the invoice names the buyer's VAT id")]


@pytest.mark.parametrize("category", ["S", "Z", "E", "AE", "G"])
def test_these_categories_need_the_issuers_vat_id(tmp_path: Path, category: str) -> None:
    rate = "0.25" if category == "S" else "0"
    text = part2(treatment(category, rate, "" if category in "SZ" else "why"),
                 ('vat_id = "NO999999999MVA"\n', ""))
    called = {"S": "standard rate", "Z": "zero rated", "E": "exempt from VAT",
              "AE": "reverse charge", "G": "export outside the EU"}
    assert problems(tmp_path, text) == [
        ("issuer.vat_id", f"is required by tax.treatments.{name} (category {c}, {called[c]})")
        for name, c in (("domestic", category), ("reverse_charge", "AE"), ("export", "G"))]


def test_o_forbids_vat_ids_on_the_invoice(tmp_path: Path) -> None:
    """Checked at load: an O treatment may not be configured by an issuer with a VAT id, nor
    given to a partner with one (EN 16931 BR-O-02)."""
    text = part2(treatment("O", "0", "Outside the scope of VAT"))
    assert problems(tmp_path, text) == [
        ("tax.treatments.domestic.category", "category O (not subject to VAT) forbids VAT ids "
         "on the invoice, but issuer.vat_id is 'NO999999999MVA': an issuer with a VAT id "
         "cannot use it"),
        ("partners.P-NORD.vat_id", "its treatment 'domestic' is category O (not subject to "
         "VAT), which forbids VAT ids on the invoice; remove vat_id"),
    ]


def test_a_partner_abroad_needs_its_treatment_named(tmp_path: Path) -> None:
    text = part2(('tax = "export"\n', ""))
    assert problems(tmp_path, text) == [(
        "partners.P-ACME.tax", "is required: the partner's country 'GB' is not the issuer's "
        "('NO', issuer.country), and [tax] default is for partners in the issuer's country")]


def test_a_partner_without_country_needs_its_treatment_named(tmp_path: Path) -> None:
    text = part2(('country = "NO"\nvat_id = "NO923456783MVA"', 'vat_id = "NO923456783MVA"'),
                 ('formats = ["xlsx", "html", "pdf", "ubl"]', 'formats = ["pdf"]'))
    assert problems(tmp_path, text) == [(
        "partners.P-NORD.country", "is required with [tax], to choose the partner's treatment "
        "(or name it in tax)")]


def test_the_issuer_needs_its_country_with_tax(tmp_path: Path) -> None:
    text = part2(('country = "NO"\nregistration_id = "999999999"',
                  'registration_id = "999999999"'),
                 ('formats = ["xlsx", "html", "pdf", "ubl"]', 'formats = ["pdf"]'))
    assert problems(tmp_path, text) == [(
        "issuer.country", "is required with [tax]: it is the issuer's VAT country, to whose "
        "partners [tax] default applies")]


def test_unknown_treatments_are_named(tmp_path: Path) -> None:
    text = part2(('tax = "export"', 'tax = "exports"'), ('default = "domestic"',
                                                         'default = "home"'))
    assert problems(tmp_path, text) == [
        ("tax.default", "'home' is not one of [tax.treatments]: domestic, reverse_charge, "
         "export"),
        ("partners.P-ACME.tax", "'exports' is not one of [tax.treatments]: domestic, "
         "reverse_charge, export"),
    ]


def test_a_treatment_named_without_tax(tmp_path: Path) -> None:
    text = PART1_CONFIG.replace('discount = "0.20"', 'discount = "0.20"\ntax = "export"')
    assert problems(tmp_path, text) == [(
        "partners.P-ACME.tax", "names a treatment, but the file has no [tax] table")]


def test_tax_needs_treatments_and_a_default(tmp_path: Path) -> None:
    found = problems(tmp_path, PART1_CONFIG + "\n[tax]\n")
    assert [p for p in found if p[0].startswith("tax")] == [
        ("tax.default", "is required"), ("tax.treatments", "is required")]
    assert ("issuer.country", "is required with [tax]: it is the issuer's VAT country, to "
            "whose partners [tax] default applies") in found
    empty = problems(tmp_path, PART1_CONFIG + '\n[tax]\ndefault = "x"\ntreatments = {}\n')
    assert ("tax.treatments", "must name at least one [tax.treatments.NAME] table") in empty


def test_unknown_keys_of_the_new_tables(tmp_path: Path) -> None:
    text = part2(('bank = "DNB Bank ASA"', 'bank = "DNB Bank ASA"\nkid = "1"'),
                 ('rate = "0.25"', 'rate = "0.25"\nvat = "25 %"'),
                 ('formats = [', 'colour = "blue"\nformats = ['))
    assert sorted(problems(tmp_path, text)) == [
        ("documents.colour", "unknown key"), ("payment.kid", "unknown key"),
        ("tax.treatments.domestic.vat", "unknown key")]


# --- [documents] formats and what ubl needs ---------------------------------------------------

@pytest.mark.parametrize(("formats", "found"), [
    ('["pdf", "docx"]', "'docx' is not a format; the formats are \"xlsx\", \"html\", \"pdf\", "
                        "\"ubl\""),
    ('["pdf", "html", "pdf"]', "'pdf' is listed more than once"),
    ("[]", 'must be a list of one or more of "xlsx", "html", "pdf", "ubl", got an array'),
    ('"pdf"', 'must be a list of one or more of "xlsx", "html", "pdf", "ubl", got \'pdf\' '
              "(text)"),
])
def test_formats_are_a_list_of_known_formats_once_each(tmp_path: Path, formats: str,
                                                       found: str) -> None:
    text = part2(('formats = ["xlsx", "html", "pdf", "ubl"]', f"formats = {formats}"))
    assert problems(tmp_path, text) == [("documents.formats", found)]


def test_formats_in_their_order(tmp_path: Path) -> None:
    text = part2(('formats = ["xlsx", "html", "pdf", "ubl"]', 'formats = ["ubl", "xlsx"]'))
    assert load(tmp_path, text).documents.formats == ("ubl", "xlsx")
    assert load(tmp_path, PART1_CONFIG + '\n[documents]\n').documents.formats == (
        "xlsx", "html", "pdf")


def test_ubl_names_every_missing_key(tmp_path: Path) -> None:
    """A Part I configuration with `ubl` listed: [tax], [payment] and each party's structured
    data, every key named."""
    found = problems(tmp_path, PART1_CONFIG + '\n[documents]\nformats = ["ubl"]\n')
    why = 'is required when [documents] formats lists "ubl": the e-invoice carries it'
    parties = [f"issuer.{k}" for k in ("street", "postal_code", "city", "country",
                                       "registration_id", "electronic_address")]
    for partner in ("P-ACME", "P-OTHER", "P-TOKYO"):
        parties += [f"partners.{partner}.{k}" for k in ("street", "postal_code", "city",
                                                         "country", "electronic_address")]
    assert found == [(key, why) for key in ("tax", "payment", *parties)]


def test_ubl_with_one_key_missing(tmp_path: Path) -> None:
    text = part2(('electronic_address = "0088:5790000435975"\n', ""))
    assert problems(tmp_path, text) == [(
        "partners.P-ACME.electronic_address",
        'is required when [documents] formats lists "ubl": the e-invoice carries it')]
    without = part2(('electronic_address = "0088:5790000435975"\n', ""),
                    ('formats = ["xlsx", "html", "pdf", "ubl"]', 'formats = ["pdf"]'))
    assert load(tmp_path, without).partner("P-ACME").electronic_address == ""


# --- identifiers: form and check digits; an error with [tax], a warning without ---------------

class Checked(NamedTuple):
    key: str
    good: str  # as in the fixture
    bad: str  # what replaces it
    code: str
    message: str


CHECKED = [Checked(*case) for case in [
    ("issuer.vat_id", 'vat_id = "NO999999999MVA"', 'vat_id = "NO999999998MVA"',
     "invalid_vat_id",
     "'NO999999998MVA' fails the check of MVA (Merverdiavgift, Norwegian VAT number): the "
     "number's checksum or check digit is invalid"),
    ("issuer.registration_id", 'registration_id = "999999999"', 'registration_id = "99999999"',
     "invalid_registration_id",
     "'99999999' fails the check of Orgnr (Organisasjonsnummer, Norwegian organisation "
     "number): the number has an invalid length"),
    ("issuer.electronic_address", 'electronic_address = "0192:999999999"',
     'electronic_address = "0192:999999998"', "invalid_electronic_address",
     "scheme 0192: '999999998' fails the check of Orgnr (Organisasjonsnummer, Norwegian "
     "organisation number): the number's checksum or check digit is invalid"),
    ("payment.iban", 'iban = "NO9386011117947"', 'iban = "NO9386011117948"', "invalid_iban",
     "'NO9386011117948' fails the check of IBAN (International Bank Account Number): the "
     "number's checksum or check digit is invalid"),
    ("payment.bic", 'bic = "DNBANOKKXXX"', 'bic = "DNBA0KKXXX"', "invalid_bic",
     "'DNBA0KKXXX' fails the check of BIC (ISO 9362 Business identifier codes): the number "
     "has an invalid length"),
    ("partners.P-ACME.vat_id", 'vat_id = "GB980780684"', 'vat_id = "GB123456789"',
     "invalid_vat_id",
     "'GB123456789' fails the check of VAT (United Kingdom (and Isle of Man) VAT registration "
     "number): the number's checksum or check digit is invalid"),
    ("partners.P-NORD.registration_id", 'registration_id = "923456783"',
     'registration_id = "923456784"', "invalid_registration_id",
     "'923456784' fails the check of Orgnr (Organisasjonsnummer, Norwegian organisation "
     "number): the number's checksum or check digit is invalid"),
    ("partners.P-ACME.electronic_address", 'electronic_address = "0088:5790000435975"',
     'electronic_address = "0088:5790000435976"', "invalid_electronic_address",
     "scheme 0088: '5790000435976' fails the check of EAN (International Article Number): "
     "the number's checksum or check digit is invalid"),
]]


@pytest.mark.parametrize("case", CHECKED, ids=[c.key for c in CHECKED])
def test_a_failed_check_is_an_error_with_tax(tmp_path: Path, case: Checked) -> None:
    assert problems(tmp_path, part2((case.good, case.bad))) == [(case.key, case.message)]


def _without_tax(text: str) -> str:
    """The fixture without [tax], the partners' `tax` and `ubl`, which would need it."""
    start, end = text.index("[tax]\n"), text.index("[documents]")
    return (text[:start] + text[end:]).replace('tax = "export"\n', "").replace(
        'tax = "reverse_charge"\n', "").replace(', "ubl"]', "]")


@pytest.mark.parametrize("case", CHECKED, ids=[c.key for c in CHECKED])
def test_a_failed_check_is_a_warning_without_tax(tmp_path: Path, case: Checked) -> None:
    config = load(tmp_path, _without_tax(part2((case.good, case.bad))))
    assert config.warnings == (NO_TAX, ConfigWarning(case.key, case.code, case.message))


def test_the_forms_of_identifiers(tmp_path: Path) -> None:
    text = part2(('vat_id = "DE136695976"', 'vat_id = "136695976"'),
                 ('electronic_address = "9930:DE136695976"',
                  'electronic_address = "DE136695976"'),
                 ('electronic_address = "0192:923456783"', 'electronic_address = "9999:1"'))
    assert problems(tmp_path, text) == [
        ("partners.P-NORD.electronic_address", "'9999:1': scheme 9999 is not in Peppol's "
         "Electronic Address Scheme code list"),
        ("partners.P-RHEIN.vat_id", "'136695976' does not start with a country code (ISO "
         "3166-1 alpha-2, or EL for Greece), like NO999999999MVA"),
        ("partners.P-RHEIN.electronic_address", "'DE136695976' is not an electronic address "
         '"scheme:id" like "0192:999999999" (a four-digit Peppol scheme, a colon and the id)'),
    ]


def test_a_country_unknown_to_stdnum_is_taken_as_given() -> None:
    """A registration number where python-stdnum knows no register (the UK's), a VAT id of a
    country it has no module for: not checked."""
    assert registration_problem("GB", "anything") is None
    assert vat_id_problem("US12-3456789") is None


def test_countries_are_iso_3166_alpha_2(tmp_path: Path) -> None:
    text = part2(('country = "GB"', 'country = "UK"'), ('country = "DE"', 'country = "de"'),
                 ('country = "NO"', 'country = "Norway"'))
    assert problems(tmp_path, text) == [
        ("issuer.country", "'NORWAY' is not an ISO 3166-1 two-letter country code"),
        ("partners.P-ACME.country",
         "'UK' is not an ISO 3166-1 two-letter country code (did you mean 'GB'?)"),
    ]
    # a lower-case code is read as the workbook's customer countries are: upper-cased
    lower = part2(('country = "DE"', 'country = "de"'))
    assert load(tmp_path, lower).partner("P-RHEIN").country == "DE"


def test_the_issuers_email_and_credit_note_prefix(tmp_path: Path) -> None:
    text = part2(('email = "billing@example-sensors.no"', 'email = "billing at example"'),
                 ('credit_note_prefix = "CN"', 'credit_note_prefix = "INV"'))
    found = problems(tmp_path, text)
    assert [key for key, _ in found] == ["issuer.credit_note_prefix", "issuer.email"]
    assert found[0][1] == ("'INV' is the invoice_prefix too; credit notes are numbered in a "
                           "series of their own")
    assert found[1][1].startswith("'billing at example' is not an e-mail address: ")


# --- through the command line, and every value at every key -----------------------------------

@pytest.mark.sqlite_only
def test_cli_part2_problems_are_exit_2_naming_file_and_keys(env: Env) -> None:
    env.config.write_text(part2(treatment("S", "0"), ('tax = "export"\n', "")),
                          encoding="utf-8")
    result = env.process(env.workbook(customers=[customer()], orders=[order()]))
    assert result.code == 2 and result.stdout == ""
    prefix = f"seatbatch: configuration error: {env.config}: "
    assert result.stderr.splitlines() == [
        prefix + "tax.treatments.domestic.rate: category S (standard rate) needs a rate above "
                 "0, got '0'",
        prefix + "partners.P-ACME.tax: is required: the partner's country 'GB' is not the "
                 "issuer's ('NO', issuer.country), and [tax] default is for partners in the "
                 "issuer's country",
    ]
    assert not env.ledger_exists()


VALID = tomllib.loads(PART2)
PATHS = sorted(key_paths(VALID), key=repr)


@settings(max_examples=400, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(PATHS), value=values)
def test_every_value_at_every_part2_key_is_named_or_accepted(
        tmp_path: Path, path: tuple[str | int, ...], value: Any) -> None:
    """As tests/test_config_types.py does for Part I: whatever is put at a key loads, or is a
    ConfigError naming that key, a key beside it, or (a rule across tables) naming it in its
    message."""
    config_file = tmp_path / "seatbatch.toml"
    config_file.write_text(document(replaced(VALID, path, value)), encoding="utf-8")
    expected = key_name(path)
    table = expected.rsplit(".", 1)[0] + "." if "." in expected else expected
    try:
        load_config(config_file)
    except ConfigError as error:
        assert any(key == expected or key.startswith((expected + ".", expected + "[", table))
                   or expected in what for key, what in error.problems), (expected,
                                                                          error.problems)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(PATHS), value=values)
def test_the_command_line_never_fails_on_a_part2_value(
        tmp_path: Path, path: tuple[str | int, ...], value: Any, capsys: Any) -> None:
    """Through `seatbatch.cli.commands.run`: exit 2 with a configuration error, never 70."""
    renew_with(tmp_path, document(replaced(VALID, path, value)), capsys)


def test_a_treatment_name_refused_as_given_is_the_only_message(tmp_path: Path) -> None:
    """A `tax.default` or a partner's `tax` of the wrong type leaves no treatment to choose:
    the one message says what is wrong with it, with no second one about countries."""
    sample = (SAMPLES / "seatbatch.toml").read_text(encoding="utf-8")
    assert problems(tmp_path, sample.replace('default = "domestic"', "default = 3")) == [
        ("tax.default", "must be non-empty text, got 3 (an integer)")]
    assert problems(tmp_path, sample.replace('tax = "export"', 'tax = ["export"]')) == [
        ("partners.P-ACME.tax", "must be text, got an array")]
