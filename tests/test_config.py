"""The configuration: found in the documented order, validated whole, every problem named."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import CONFIG, Env, order
from pgserver import PASSWORD, PostgresServer
from seatbatch.core.config import ConfigError, find_config, load_config, resolve_ledger


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "seatbatch.toml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    assert caught.value.file.endswith("seatbatch.toml")
    return caught.value.problems


def test_the_test_config_loads(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, CONFIG))
    assert str(config.partner("P-ACME").discount) == "0.20"
    assert str(config.term_discounts[3]) == "0.10"
    assert config.device_types("EUR") == ("Space Pro", "Space Plus", "Space CO2 Mini")


def test_every_problem_is_named(tmp_path: Path) -> None:
    text = CONFIG.replace('"3" = "0.10"', '"3" = "1.5"').replace(
        'discount = "0.20"', 'discount = 0.2\ncolour = "red"'
    ).replace('"Space Plus" = "120.00"', '"Space Plus" = "0"', 1)
    found = dict(problems(tmp_path, text))
    assert "rate must be from 0 to below 1" in found['term_discounts."3"']
    assert "decimal string" in found["partners.P-ACME.discount"]
    assert found["partners.P-ACME.colour"] == "unknown key"
    assert "above 0" in found['price_lists[0].seat_price_per_year."Space Plus"']


def test_overlapping_price_lists(tmp_path: Path) -> None:
    duplicate = CONFIG + """
[[price_lists]]
currency = "EUR"
valid_from = "2026-01-01"
[price_lists.seat_price_per_year]
"Space Pro" = "160.00"
"""
    found = dict(problems(tmp_path, duplicate))
    assert "overlaps price_lists[0]" in found["price_lists[2]"]


def test_bad_toml_and_missing_file(tmp_path: Path) -> None:
    assert "not valid TOML" in problems(tmp_path, "[issuer\n")[0][1]
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "nope.toml")
    assert caught.value.lines()[0].endswith("nope.toml: no such configuration file")


def test_unknown_currency_and_partner_without_price_list(tmp_path: Path) -> None:
    text = CONFIG.replace('currency = "JPY"', 'currency = "XXQ"').replace(
        'name = "Other Reseller GmbH"\ncurrency = "EUR"', 'name = "Other"\ncurrency = "USD"'
    )
    found = dict(problems(tmp_path, text))
    assert "ISO 4217" in found["price_lists[1].currency"]
    assert "no price list is in USD" in found["partners.P-OTHER.currency"]


def test_ledger_resolution_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config(write(tmp_path, 'ledger = "data/l.db"\n' + CONFIG))
    monkeypatch.delenv("SEATBATCH_LEDGER", raising=False)
    assert resolve_ledger(config, None) == str(tmp_path / "data" / "l.db")
    monkeypatch.setenv("SEATBATCH_LEDGER", "/srv/env.db")
    assert resolve_ledger(config, None) == "/srv/env.db"
    assert resolve_ledger(config, "/srv/option.db") == "/srv/option.db"
    plain = load_config(write(tmp_path, CONFIG))
    monkeypatch.delenv("SEATBATCH_LEDGER")
    assert resolve_ledger(plain, None) == str(tmp_path / "seatbatch.db")


def test_config_resolution_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SEATBATCH_CONFIG", raising=False)
    assert find_config(None) == Path("seatbatch.toml")
    monkeypatch.setenv("SEATBATCH_CONFIG", "/etc/sb.toml")
    assert find_config(None) == Path("/etc/sb.toml")
    assert find_config("x.toml") == Path("x.toml")


def test_cli_config_error_is_exit_2_naming_file_and_key(env: Env) -> None:
    env.config.write_text(CONFIG.replace('"5" = "0.15"', '"5" = "abc"'))
    result = env.process(env.workbook(orders=[order()]))
    assert result.code == 2
    assert "seatbatch.toml" in result.stderr and 'term_discounts."5"' in result.stderr
    assert result.stdout == ""
    assert not env.ledger_exists()


def test_cli_unknown_partner_is_exit_2_naming_it(env: Env) -> None:
    result = env.process(env.workbook(orders=[order()]), partner="P-NOBODY")
    assert result.code == 2
    assert "P-NOBODY" in result.stderr and "unknown partner" in result.stderr
    assert env.visible_runs() == []


def test_missing_price_for_a_needed_device_type_is_exit_2(env: Env) -> None:
    env.config.write_text(CONFIG + """
[[price_lists]]
currency = "EUR"
valid_from = "2026-06-01"
[price_lists.seat_price_per_year]
"Space Pro" = "155.00"
""")
    result = env.process(env.workbook(
        customers=[{"customer_id": "C-001", "organization": "Org"}],
        orders=[order(device_type="Space Plus")],
    ))
    assert result.code == 2
    assert "no price for 'Space Plus'" in result.stderr and "price_lists[2]" in result.stderr
    assert env.count("invoices") == 0


@pytest.mark.sqlite_only
def test_env_vars_locate_config_and_ledger(env: Env) -> None:
    book = env.workbook(customers=[{"customer_id": "C-001", "organization": "Org"}],
                        orders=[order()])
    other_ledger = env.root / "from-env.db"
    result = env.run("process", book, "--partner", "P-ACME", "--as-of", "2026-11-24",
                     "--out", str(env.out), common=False,
                     env={"SEATBATCH_CONFIG": str(env.config),
                          "SEATBATCH_LEDGER": str(other_ledger)})
    assert result.code == 0, result.stderr
    assert other_ledger.exists() and not env.ledger.exists()


def test_a_postgresql_url_from_the_environment_or_the_configuration(
        tmp_path: Path, pg_server: PostgresServer) -> None:
    """`$SEATBATCH_LEDGER` and the `ledger` key take a postgresql:// URL as they take a path;
    its password is never shown."""
    env = Env(tmp_path)
    book = env.workbook(customers=[{"customer_id": "C-001", "organization": "Org"}],
                        orders=[order()])
    from_env, from_file = pg_server.create_database()[1], pg_server.create_database()[1]
    env.config.write_text(CONFIG)
    by_env = env.run("process", book, "--partner", "P-ACME", "--as-of", "2026-11-24",
                     "--out", str(env.out), common=False,
                     env={"SEATBATCH_CONFIG": str(env.config), "SEATBATCH_LEDGER": from_env})
    env.config.write_text(f'ledger = "{from_file}"\n' + CONFIG)
    by_file = env.run("process", book, "--partner", "P-ACME", "--as-of", "2026-11-24",
                      "--config", str(env.config), "--out", str(env.out), common=False)
    for result, url in ((by_env, from_env), (by_file, from_file)):
        assert result.code == 0, result.stderr
        assert Env(tmp_path, url).invoice_numbers() == ["INV-2026-000001"]
        shown = result.stdout + result.stderr + (result.folder / "manifest.json").read_text()
        assert PASSWORD not in shown
    assert not (tmp_path / "seatbatch.db").exists()
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p != env.config]
    assert [p for p in written if PASSWORD.encode() in p.read_bytes()] == []


# --- keys that differ only in case or spaces (issue 11, finding 3) ---------------------------

def test_price_list_twin_device_types_are_a_configuration_error(env: Env) -> None:
    """"Space Pro" = "150.00" beside "Space Pro " = "1.00": the later one used to win silently
    (2.16 billed instead of 324.00); now neither is used and the run stops, naming both."""
    env.config.write_text(CONFIG.replace('"Space Pro" = "150.00"',
                                         '"Space Pro" = "150.00"\n"Space Pro " = "1.00"'))
    result = env.process(env.workbook(customers=[{"customer_id": "C-001", "organization": "O"}],
                                      orders=[order()]))
    assert result.code == 2 and result.stdout == ""
    assert result.stderr == (
        f"seatbatch: configuration error: {env.config}: price_lists[0].seat_price_per_year: "
        "device types 'Space Pro' and 'Space Pro ' look the same (they differ only in case, "
        "spaces or look-alike letters); keep one of them\n")
    assert env.count("invoices") == 0


def test_device_type_twins_by_case_and_inner_spaces(tmp_path: Path) -> None:
    text = CONFIG.replace('"Space Plus" = "120.00"',
                          '"Space Plus" = "120.00"\n"space  PLUS" = "1.00"', 1)
    assert problems(tmp_path, text) == [(
        "price_lists[0].seat_price_per_year",
        "device types 'Space Plus' and 'space  PLUS' look the same (they differ only in case, "
        "spaces or look-alike letters); keep one of them")]


def test_device_type_spelled_two_ways_across_price_lists(tmp_path: Path) -> None:
    """One device type, one spelling: the workbook's cell is matched to one spelling, which
    every list must then price."""
    text = CONFIG + '''
[[price_lists]]
currency = "EUR"
valid_from = "2027-01-01"
[price_lists.seat_price_per_year]
"SPACE PRO" = "160.00"
'''
    found = dict(problems(tmp_path, text))
    assert found == {'price_lists[2].seat_price_per_year."SPACE PRO"':
                     "price_lists[0] spells this device type 'Space Pro'; spell it one way "
                     "in every list"}


def test_partner_ids_differing_in_case_are_a_configuration_error(tmp_path: Path) -> None:
    text = CONFIG + '\n[partners.p-acme]\nname = "Twin"\ncurrency = "EUR"\n'
    assert problems(tmp_path, text) == [(
        "partners", "partner ids 'P-ACME' and 'p-acme' look the same (they differ only in "
                    "case, spaces or look-alike letters); keep one of them")]


def test_workbook_device_type_matches_by_the_same_key(env: Env) -> None:
    """The cell ` space   pro ` is the configured 'Space Pro': one normalisation for both."""
    book = env.workbook(customers=[{"customer_id": "C-001", "organization": "O"}],
                        orders=[order(device_type=" space   PRO ")])
    result = env.process(book)
    assert result.code == 0, result.stderr
    line = result.manifest["invoices"][0]["lines"][0]
    assert (line["device_type"], line["net_amount"]) == ("Space Pro", "324.00")


def test_unknown_partner_differing_in_case_is_named(env: Env) -> None:
    result = env.process(env.workbook(orders=[order()]), partner="p-acme")
    assert result.code == 2
    assert "did you mean P-ACME? ids are matched exactly" in result.stderr


# --- every value of the wrong TOML type or out of range (issue 11, finding 14) ---------------

def test_toml_datetime_and_exponent_price_are_exit_2_naming_each_key(env: Env) -> None:
    env.config.write_text(CONFIG.replace('valid_from = "2026-01-01"',
                                         "valid_from = 2026-01-01T00:00:00", 1)
                          .replace('"Space Plus" = "120.00"', '"Space Plus" = "1e30"', 1))
    result = env.process(env.workbook(customers=[{"customer_id": "C-001", "organization": "O"}],
                                      orders=[order()]))
    assert result.code == 2 and result.stdout == ""
    prefix = f"seatbatch: configuration error: {env.config}: "
    assert result.stderr.splitlines() == [
        prefix + 'price_lists[0].valid_from: must be a date like 2026-01-01 or "2026-01-01", '
                 "got 2026-01-01 00:00:00 (a date and time)",
        prefix + 'price_lists[0].seat_price_per_year."Space Plus": must be a plain decimal '
                 'like "150.00": digits 0-9 with at most 6 after the point, no sign or '
                 "exponent, got '1e30'",
    ]
    assert not env.ledger_exists()


@pytest.mark.parametrize("value", ['"NaN"', '"Infinity"', '"-0"', '"+0.1"', '"1_000"',
                                   '"\uff11\uff15\uff10"', '"0.1234567"', '"1000000000.01"',
                                   '"0x10"',
                                   '""', '"sNaN"', "150", "150.0", "true", "[]", "{}",
                                   "2026-01-01", "10:00:00"])
def test_odd_prices_are_refused_naming_the_key(tmp_path: Path, value: str) -> None:
    text = CONFIG.replace('"Space Plus" = "120.00"', f'"Space Plus" = {value}', 1)
    assert [key for key, _ in problems(tmp_path, text)] == [
        'price_lists[0].seat_price_per_year."Space Plus"']


def test_deeply_nested_and_byte_order_marked_toml(tmp_path: Path) -> None:
    deep = CONFIG + "x = " + "[" * 50_000 + "]" * 50_000 + "\n"
    assert problems(tmp_path, deep) == [
        ("", "not valid TOML: arrays or tables nested too deeply")]
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + CONFIG.encode())
    assert load_config(path).partner("P-ACME").name == "Acme Facilities Ltd"


def test_a_renewal_finds_its_device_type_after_the_price_list_respells_it(env: Env) -> None:
    """The ledger keeps 'Space Pro' as first spelled; a list that now spells it 'SPACE PRO'
    prices it by the same key, rather than stopping the renewal run."""
    from datetime import date

    first = env.process(env.workbook(customers=[{"customer_id": "C-001", "organization": "O"}],
                                     orders=[order(term_years=1, start_date=date(2026, 1, 5))]),
                        as_of=date(2026, 1, 5))
    assert first.code == 0, first.stderr
    env.config.write_text(CONFIG.replace('"Space Pro" = "150.00"', '"SPACE PRO" = "160.00"')
                          .replace('"Space Pro" = "24000"', '"SPACE PRO" = "24000"'))
    renewed = env.run("renew", "--month", "2027-01", as_of=date(2027, 1, 2))
    assert renewed.code == 0, renewed.stderr
    [invoice] = renewed.manifest["invoices"]
    assert invoice["lines"][0]["unit_price"] == "160.00"


def test_device_type_twins_by_lookalike_letters(tmp_path: Path) -> None:
    """Found in review: 'Space Pro' spelled with a Cyrillic a passed the twin check at its own
    price, and an invoice would show the same name at either price."""
    text = CONFIG.replace('"Space Plus" = "120.00"',
                          '"Space Plus" = "120.00"\n"Sp\u0430ce Pro" = "1.00"', 1)
    assert problems(tmp_path, text) == [(
        "price_lists[0].seat_price_per_year",
        "device types 'Space Pro' and 'Sp\u0430ce Pro' look the same (they differ only in "
        "case, spaces or look-alike letters); keep one of them")]
