"""What SPEC §10 adds to an invoice when it is configured: the parties as the invoice prints
them, its VAT under the partner's one treatment, and how to pay it. Each is fixed when the
invoice is issued and kept with it, so that a later change of the configuration never changes
an issued invoice."""

from __future__ import annotations

from decimal import Decimal
from functools import cache

from seatbatch.core.config import Config, Issuer, Partner
from seatbatch.core.legal import Treatment
from seatbatch.core.model import Party, Payment, PostalAddress, Vat
from seatbatch.core.money import round_money


@cache
def country_name(code: str) -> str:
    """A country as an address prints it: "Norway" for NO (the code itself when unknown)."""
    import pycountry  # here: loaded only where an address is printed

    country = pycountry.countries.get(alpha_2=code)
    return str(getattr(country, "common_name", None) or country.name) if country else code


def _postal(street: str, postal_code: str, city: str, country: str) -> PostalAddress | None:
    if not (street or postal_code or city or country):
        return None
    return PostalAddress(street, postal_code, city, country)


def address_lines(lines: tuple[str, ...], postal: PostalAddress | None) -> tuple[str, ...]:
    """The address an invoice prints: Part I's lines where they are configured, else the
    structured address, a line for the street, one for postal code and city, one for the
    country."""
    if lines or postal is None:
        return lines
    town = " ".join(part for part in (postal.postal_code, postal.city) if part)
    country = country_name(postal.country) if postal.country else ""
    return tuple(line for line in (postal.street, town, country) if line)


def issuer_party(issuer: Issuer) -> Party:
    postal = _postal(issuer.street, issuer.postal_code, issuer.city, issuer.country)
    return Party(issuer.name, address_lines(issuer.address, postal), issuer.vat_id, postal,
                 issuer.registration_id, issuer.legal_form, issuer.electronic_address,
                 issuer.email)


def partner_party(partner: Partner) -> Party:
    postal = _postal(partner.street, partner.postal_code, partner.city, partner.country)
    return Party(partner.name, address_lines(partner.address, postal), partner.vat_id, postal,
                 partner.registration_id, "", partner.electronic_address)


def invoice_vat(total: Decimal, currency: str, treatment: Treatment) -> Vat:
    """VAT of an invoice's net total (SPEC §10): the base is the total, the amount the base
    times the rate, half-up to the currency's minor unit."""
    return Vat(treatment.name, treatment.category, treatment.rate, total,
               round_money(total * treatment.rate, currency), treatment.note)


def payment_of(config: Config, number: str | None) -> Payment | None:
    """How the invoice with this number is to be paid (None without `[payment]`): its
    reference is made of its number, and is "" until it has one (a renewal before its run
    commits; an estimate, which is not to be paid)."""
    payment = config.payment
    if payment is None:
        return None
    means = Payment(payment.iban, payment.bic, payment.bank, "", payment.reference)
    return means if number is None else means.for_number(number)


def vat_of(config: Config, partner: Partner, total: Decimal) -> Vat | None:
    """The invoice's VAT under its partner's treatment; None without `[tax]`."""
    treatment = config.treatment_of(partner.id)
    return None if treatment is None else invoice_vat(total, partner.currency, treatment)


__all__ = ["address_lines", "country_name", "invoice_vat", "issuer_party", "partner_party",
           "payment_of", "vat_of"]
