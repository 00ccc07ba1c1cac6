"""`[accounts]` (SPEC §12): the general ledger accounts journal.csv books to, with their
defaults; each value checked at load with one message naming the file and the key (exit 2)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import PART1_CONFIG, SAMPLES, Env, customer, order
from seatbatch.core.config import ACCOUNT, Accounts, ConfigError, load_config
from test_config_types import document, renew_with, values

ACCOUNTS = """
[accounts]
receivable = "1500"
deferred_revenue = "2900"
vat_payable = "2700"
revenue = "3000"
"""
NAMES = ("receivable", "deferred_revenue", "vat_payable", "revenue")
# the subject is the configuration, not the ledger
pytestmark = pytest.mark.sqlite_only
MUST = ("must be an account like \"1500\" or 1500: 1 to 20 letters, digits, '.', '_' or '-', "
        "starting with a letter or digit, got ")


def load(tmp_path: Path, text: str) -> Accounts:
    path = tmp_path / "seatbatch.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path).accounts


def problems(tmp_path: Path, text: str) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text)
    return caught.value.problems


def accounts(**values: str) -> str:
    """PART1_CONFIG with an [accounts] table of these TOML values (as written)."""
    return PART1_CONFIG + "\n[accounts]\n" + "".join(f"{k} = {v}\n" for k, v in values.items())


def test_without_accounts_the_defaults_of_spec_12() -> None:
    assert Accounts() == Accounts("1500", "2900", "2700", "3000")


def test_a_configuration_without_accounts_books_to_the_defaults(tmp_path: Path) -> None:
    assert load(tmp_path, PART1_CONFIG) == Accounts()
    assert load(tmp_path, PART1_CONFIG + ACCOUNTS) == Accounts()
    assert load(tmp_path, PART1_CONFIG + "\n[accounts]\n") == Accounts()
    assert load_config(SAMPLES / "seatbatch.toml").accounts == Accounts()  # shown commented


def test_accounts_as_text_or_whole_numbers(tmp_path: Path) -> None:
    """An ERP's account is a code: 1510 in TOML is the text "1510"; letters, '.', '_' and
    '-' are kept as given (around them, spaces are dropped as elsewhere in the file)."""
    assert load(tmp_path, accounts(receivable="1510", deferred_revenue='"2900-01"',
                                   vat_payable='" 2700.NO "', revenue='"SALES_3000"')) == \
        Accounts("1510", "2900-01", "2700.NO", "SALES_3000")
    assert load(tmp_path, accounts(revenue='"A\\n"')).revenue == "A"
    assert load(tmp_path, accounts(revenue=f'"{"9" * 20}"')).revenue == "9" * 20


@pytest.mark.parametrize(("value", "given"), [
    ('""', "'' (text)"),
    ('"15 00"', "'15 00' (text)"),
    ('"1500,01"', "'1500,01' (text)"),
    ('"=1500"', "'=1500' (text)"),
    ('"-1500"', "'-1500' (text)"),
    ('"@SUM(1)"', "'@SUM(1)' (text)"),
    ('"15\\u000000"', "'15\\x0000' (text)"),
    ('"Konto_1500_Kunder_Norge"', "'Konto_1500_Kunder_Norge' (text)"),
    ('"1500\\"01"', "'1500\"01' (text)"),
    ('"Kundefordringer Ø"', "'Kundefordringer Ø' (text)"),
    ("-1500", "-1500 (an integer)"),
    ("123456789012345678901", "123456789012345678901 (an integer)"),
    ("1500.5", "1500.5 (a float)"),
    ("true", "true (a boolean)"),
    ("2026-01-01", "2026-01-01 (a date)"),
    ('["1500"]', "an array"),
    ('{ number = "1500" }', "a table"),
])
def test_an_account_that_an_erp_could_not_take_is_named(tmp_path: Path, value: str,
                                                        given: str) -> None:
    assert problems(tmp_path, accounts(receivable=value)) == [
        ("accounts.receivable", MUST + given)]


def test_every_problem_of_accounts_at_once(tmp_path: Path) -> None:
    """Collected, never the first alone: an unknown key as elsewhere in the file, and each
    bad value."""
    assert problems(tmp_path, accounts(receivable='""', sales='"3100"', revenue="true")) == [
        ("accounts.sales", "unknown key"),
        ("accounts.receivable", MUST + "'' (text)"),
        ("accounts.revenue", MUST + "true (a boolean)"),
    ]
    assert problems(tmp_path, 'accounts = "1500"\n' + PART1_CONFIG) == [
        ("accounts", "must be a table")]


def test_each_account_is_an_account_of_its_own(tmp_path: Path) -> None:
    """Revenue booked to deferred revenue would book nothing at all: the four differ (as an
    ERP compares codes: not in case either)."""
    assert problems(tmp_path, accounts(revenue="2900")) == [
        ("accounts.revenue", "'2900' is accounts.deferred_revenue (its default) too; each of "
                             "the four is an account of its own")]
    # said of the key the file gives, not of the default it meets later
    assert problems(tmp_path, accounts(receivable="3000")) == [
        ("accounts.receivable", "'3000' is accounts.revenue (its default) too; each of the "
                                "four is an account of its own")]
    assert problems(tmp_path, accounts(receivable='"ar"', vat_payable='"AR"')) == [
        ("accounts.vat_payable", "'AR' is accounts.receivable too; each of the four is an "
                                 "account of its own")]


def test_the_account_pattern_is_what_the_journal_can_carry_as_is() -> None:
    """No account needs quoting in journal.csv or reads as a formula or a negative number."""
    for account in ("1500", "A", "2900-01", "x.y_z"):
        assert ACCOUNT.fullmatch(account)
    for account in ("", " 1500", "1500,1", '15"00', "=1", "+1", "-1", "@1", "1\n", "a" * 21):
        assert not ACCOUNT.fullmatch(account)


VALID = tomllib.loads(PART1_CONFIG + ACCOUNTS)


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(NAMES), value=values)
def test_every_value_at_every_accounts_key_is_named_or_accepted_as_an_account(
        tmp_path: Path, name: str, value: Any) -> None:
    """As tests/test_config_types.py does for the other keys: whatever loads is an account the
    journal can carry; whatever does not is a ConfigError naming that key."""
    tree = {**VALID, "accounts": {**VALID["accounts"], name: value}}
    path = tmp_path / "seatbatch.toml"
    path.write_text(document(tree), encoding="utf-8")
    try:
        loaded = load_config(path).accounts
    except ConfigError as error:  # the key, or the one after it that it duplicates
        assert len(error.problems) == 1 and any(
            key == f"accounts.{name}" or f"is accounts.{name} " in what
            for key, what in error.problems), error.problems
        return
    account = getattr(loaded, name)
    assert ACCOUNT.fullmatch(account), account
    assert account == (str(value) if isinstance(value, int) else value.strip())


def test_the_command_line_refuses_a_bad_account_with_exit_2(tmp_path: Path,
                                                            capsys: Any) -> None:
    message = renew_with(tmp_path, accounts(revenue='"3000;DROP"'), capsys)
    assert message == (f"seatbatch: configuration error: {tmp_path / 'seatbatch.toml'}: "
                       f"accounts.revenue: {MUST}'3000;DROP' (text)\n")


def test_a_process_run_refuses_it_too_before_anything(env: Env) -> None:
    env.config.write_text(accounts(deferred_revenue='"29 00"'), encoding="utf-8")
    result = env.process(env.workbook(customers=[customer()], orders=[order()]))
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr == (f"seatbatch: configuration error: {env.config}: "
                             f"accounts.deferred_revenue: {MUST}'29 00' (text)\n")
    assert not env.ledger_exists()
