"""The e-mail check's fast path for plain ASCII addresses (core/legal.py) judges exactly as
email_validator does with check_deliverability=False: the same addresses accepted, the same
message for each one refused."""

from __future__ import annotations

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from seatbatch.core.legal import _plainly_valid, email_error


def reference(value: str) -> str | None:
    """email_validator's own verdict, as email_error gave it before the fast path."""
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as error:
        return str(error)
    return None


# Characters that matter to the form of an address: atext and specials, hyphens and dots,
# quotes and brackets, spaces, and Unicode that IDNA maps (upper case, full-width and
# ideographic full stops, sharp s), refuses (a circled digit with a dot, zero-width and
# bidi controls, a combining mark first) or decodes (Hebrew, Arabic, Arabic-Indic digits).
ASCII_TEXT = "aZ09._-+!#$%&'*/=?^`{|}~"
ODD = "\"@<>()[]\\,;: \t\n\x00\x7f"
UNICODE = ("éÉßüı\u0301\u200d\u200b\u202e\u00ad\uff0e\u3002\uff61\u2488אבعر\u0663"
           "\uff11\uff21\uff76\U0001f600")
LABEL_CHARS = "abcxnzAZ0129-"

local_parts = st.one_of(
    st.text(ASCII_TEXT, min_size=0, max_size=70),
    st.text(ASCII_TEXT + ODD + UNICODE, min_size=0, max_size=12),
    st.builds(lambda n: "a" * n, st.integers(60, 70)),
    st.sampled_from(["info", "Postmaster", '"quoted"', '"a b"', "a..b", ".a", "a.", ""]),
)


def _label(chars: str, n: int) -> st.SearchStrategy[str]:
    return st.text(chars, min_size=0, max_size=n)


labels = st.one_of(
    _label(LABEL_CHARS, 8),
    _label(LABEL_CHARS + UNICODE, 4),
    st.builds(lambda n: "a" * n, st.integers(60, 66)),  # around the 63 of a label
    st.sampled_from(["xn--bcher-kva", "xn--a", "ab--c", "a-", "-a", "1", "123", "test",
                     "localhost", "local", "onion", "arpa", "invalid", "example", "TEST", "Com"]),
)
tlds = st.one_of(labels, st.sampled_from(["com", "no", "co.uk", "123", "c0m", "a1", "museum"]))
domains = st.builds(lambda parts, tld: ".".join([*parts, tld]),
                    st.lists(labels, min_size=0, max_size=4), tlds)


def _padded(local: str, domain: str, total: int) -> str:
    """local@domain lengthened to `total` characters by labels of 'a' before the domain."""
    address = f"{local}@{domain}"
    while len(address) < total:
        room = total - len(address) - 1
        label = "a" * min(63, room) if room > 0 else ""
        address = f"{local}@{label}.{address.split('@', 1)[1]}" if label else address + "x"
    return address


# nearly plain: where a single character decides
plain_labels = st.text("abzAZ09-", min_size=1, max_size=6)
nearly_plain = st.builds(lambda local, parts: f"{local}@{'.'.join(parts)}",
                         st.text(ASCII_TEXT, min_size=1, max_size=8),
                         st.lists(plain_labels, min_size=1, max_size=4))

addresses = st.one_of(
    st.builds(lambda local, domain: f"{local}@{domain}", local_parts, domains),
    nearly_plain,
    st.builds(_padded, st.sampled_from(["a", "a" * 64, "a.b-c"]),
              st.sampled_from(["example.com", "x.no", "a1.b2.cd"]),
              st.sampled_from([64, 200, 253, 254, 255, 256, 258, 320])),
    st.text(ASCII_TEXT + ODD + UNICODE + "@", max_size=30),
)


@settings(max_examples=3000)
@given(addresses)
def test_email_error_judges_as_email_validator(value: str) -> None:
    expected = reference(value)
    if _plainly_valid(value):
        assert expected is None, value
    assert email_error(value) == expected


TRICKY = [
    # plain, accepted
    "billing@example-sensors.no", "a@b.co", "A.B+tag@Sub.Example.COM", "x_y@a1.b2.cd",
    "o'brien@example.ie", "{a}|~@example.com", "info@example.com", "a" * 64 + "@example.com",
    "a" * 200 + "@example.com", "a@" + "b" * 63 + ".com",
    "a@" + ".".join(["b" * 61] * 4) + "c",  # a domain of 248
    # refused, or not plain: each with email_validator's own message
    "a@" + "b" * 64 + ".com", "a" * 250 + "@b.co", "a" * 245 + "@example.com",
    "a@" + ".".join(["b" * 63] * 4), "a@b", "a@b.123", "a@123.com1", "a@b.c1",
    "a@b.test", "a@localhost", "a@x.LOCAL", "a@b.onion", "a@b.arpa", "a@x.invalid",
    "a@xn--bcher-kva.ch", "a@xn--a.com", "a@ab--c.com", "a@a-.com", "a@-a.com", "a@a.-com",
    "a@a.com-", "a@a..com", "a@.a.com", "a@a.com.", ".a@b.com", "a.@b.com", "a..b@c.com",
    "@b.com", "a@", "a", "a@@b.com", "a@b@c.com", '"a b"@c.com', '"a"@b.com', "a b@c.com",
    " a@b.com", "a@b.com ", "a@b.com\n", "<a@b.com>", "A <a@b.com>", "a@[1.2.3.4]",
    "é@b.com", "a@é.com", "a@B\uff0ecom", "a@b\u3002com", "a@strasse.de", "a@straße.de",
    "a@⒈.com", "a@b\u200d.com", "a@\u0301b.com", "a@b.c\u0301om", "a@1.אב.com",
    "a@exa_mple.com", "a\uff20b.com", "a\ufe6bb.com",
]


@pytest.mark.parametrize("value", TRICKY)
def test_tricky_addresses(value: str) -> None:
    expected = reference(value)
    if _plainly_valid(value):
        assert expected is None
    assert email_error(value) == expected


def test_the_fast_path_takes_everyday_addresses() -> None:
    """Not a vacuous fast path: the common addresses never reach email_validator."""
    for value in ("billing@example-sensors.no", "first.last+tag@mail.example.co.uk",
                  "OPS@Example.COM", "a1@b2.io", "c-0042@customers.example.com"):
        assert _plainly_valid(value), value


def test_the_special_use_names_are_email_validators() -> None:
    """The fast path's copy of the names email_validator refuses (a domain's last label) is the
    installed library's list, each a single label: an upgrade that changes it fails here."""
    import email_validator

    from seatbatch.core.legal import _SPECIAL_USE

    assert set(email_validator.SPECIAL_USE_DOMAIN_NAMES) == _SPECIAL_USE
    assert all("." not in name for name in _SPECIAL_USE)
